//! Reusable blocks: a piece of Markdown ("Se connecter avec sa carte de lecteur") written
//! once under its own key and shown in every step that names it. Editing the block changes
//! every tutorial at once, because pages read the block at view time (in the same batch read
//! as the rest, see `versions::view`), not a copy made at save time.

use serde::{Deserialize, Serialize};

use super::model::{Block, BlockId, BlockRequest, TutorialContent};
use super::{TutorialError, invalid, update_shared};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::KvStore;

/// The most blocks a library keeps; the list of their ids and titles stays a few tens of KB.
pub const MAX_BLOCKS: usize = 300;

/// One line of the staff list of blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSummary {
    pub id: BlockId,
    pub title: String,
    pub updated_at: Timestamp,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct BlockList {
    blocks: Vec<BlockSummary>,
}

/// Creates or replaces block `id`: 1 `set`, and the staff list (1 read + 1 CAS).
pub fn put(
    store: &dyn KvStore,
    now: Timestamp,
    id: BlockId,
    request: &BlockRequest,
) -> Result<Block, TutorialError> {
    let (title, text) = request.parse()?;
    let block = Block {
        id,
        title,
        text,
        updated_at: now,
    };
    let summary = BlockSummary {
        id: block.id.clone(),
        title: block.title.clone(),
        updated_at: now,
    };
    // The list first: a block that does not fit is refused before it exists.
    update_shared(
        store,
        &keys::tutorial_block_list(),
        &keys::tutorial_block_list_init(),
        |list: &mut BlockList| {
            let full = list.blocks.len() >= MAX_BLOCKS;
            match list.blocks.iter_mut().find(|b| b.id == summary.id) {
                Some(existing) => *existing = summary.clone(),
                None if full => return Err(invalid(format!("blocks: at most {MAX_BLOCKS}"))),
                None => list.blocks.push(summary.clone()),
            }
            Ok(())
        },
    )
    .map(|_: BlockList| ())?;
    store.set_json(&keys::tutorial_block(&block.id), &block)?;
    Ok(block)
}

/// Every block's id and title, sorted by id. 1 `get`.
pub fn list(store: &dyn KvStore) -> Result<Vec<BlockSummary>, TutorialError> {
    let key = keys::tutorial_block_list();
    let mut blocks = match store.get(&key)? {
        Some(bytes) => crate::store::from_json::<BlockList>(&key, &bytes)?.blocks,
        None => Vec::new(),
    };
    blocks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(blocks)
}

/// Refuses content whose steps name a block that does not exist (a typo would otherwise
/// show an empty step). 1 `get_many` when any step includes a block, else nothing.
pub fn check_exist(store: &dyn KvStore, content: &TutorialContent) -> Result<(), TutorialError> {
    let ids = content.block_ids();
    if ids.is_empty() {
        return Ok(());
    }
    let wanted: Vec<String> = ids.iter().map(keys::tutorial_block).collect();
    let found: Vec<String> = store
        .get_many(&wanted)?
        .into_iter()
        .filter(|(_, value)| value.is_some())
        .map(|(key, _)| key)
        .collect();
    match ids
        .iter()
        .find(|id| !found.contains(&keys::tutorial_block(id)))
    {
        Some(missing) => Err(invalid(format!(
            "steps: no block \"{missing}\"; create it first with PUT /api/tutorials/blocks/{missing}"
        ))),
        None => Ok(()),
    }
}

/// Reads block `id`. 1 `get`.
pub fn get(store: &dyn KvStore, id: &BlockId) -> Result<Block, TutorialError> {
    let key = keys::tutorial_block(id);
    let bytes = store.get(&key)?.ok_or(TutorialError::BlockNotFound)?;
    Ok(crate::store::from_json(&key, &bytes)?)
}

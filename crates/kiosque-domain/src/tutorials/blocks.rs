//! Reusable blocks: a piece of Markdown ("Se connecter avec sa carte de lecteur") written
//! once under its own key and shown in every step that names it. Editing the block changes
//! every tutorial at once, because pages read the block at view time (in the same batch read
//! as the rest, see `versions::view`), not a copy made at save time.

use super::model::{Block, BlockId, BlockRequest};
use super::{TutorialError, decode};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::KvStore;

/// Creates or replaces block `id`. 1 `set`.
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
    store.set_json(&keys::tutorial_block(&block.id), &block)?;
    Ok(block)
}

/// Reads block `id`. 1 `get`.
pub fn get(store: &dyn KvStore, id: &BlockId) -> Result<Block, TutorialError> {
    let key = keys::tutorial_block(id);
    let bytes = store.get(&key)?.ok_or(TutorialError::BlockNotFound)?;
    Ok(decode(&key, &bytes)?)
}

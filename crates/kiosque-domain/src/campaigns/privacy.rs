//! Patrons' data on the walls (RGPD): where each mention was filed, so that a post deleted on
//! its platform leaves every wall, an author can be erased by handle, and mentions older than
//! the retention period are purged by the daily cron, each in a bounded number of store calls.
//!
//! Beside the filing (`wall::receive_mention`), [`record`] writes:
//! - `mention-at/{seen}`: the mention's [`Location`] (every campaign and number it was filed
//!   under, its author reference), under the same SHA-256 of platform + post id as the dedupe
//!   claim `mention-seen/{seen}`, so a platform's deletion finds it in one read;
//! - `mention-author/{author}/seq` and `/{n}`: the author's mentions (their `seen` hashes), under
//!   the SHA-256 of the folded handle, so an erasure reads pages of them instead of every wall.
//!
//! Forgetting a mention deletes its items (after taking them off the approved list, so a crash
//! in between hides rather than shows), its location, alias and author reference. The dedupe
//! claim stays (a counter, no personal data): hashtag following must not file the post again.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::wall::{Mention, MentionPlatform, WallItem, seen_hash_of};
use super::{CampaignError, CampaignId, read_index};
use crate::clock::{Clock, Timestamp};
use crate::keys;
use crate::moderation::{self, Status};
use crate::store::{KvStore, StoreError};

/// Mentions kept 13 months after they are received: a campaign is a season or a yearly event,
/// and 13 months lets staff compare it with the previous edition, the span the CNIL accepts
/// for audience data; longer keeps third parties' posts for no purpose. `mention_retention_days`.
pub const DEFAULT_RETENTION_DAYS: u32 = 395;
/// The longest retention honoured (ten years), so a typo cannot keep data for ever.
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// Mentions one purge call reads at most (and so forgets at most).
pub const PURGE_BUDGET: u64 = 100;
/// Campaigns one purge call visits at most (3 calls each when nothing is due).
pub const PURGE_CAMPAIGNS: usize = 20;
/// Mentions read at once while purging a campaign.
const READ_AHEAD: u64 = 25;
/// Author references one erasure call reads.
pub const ERASE_PAGE: u64 = 50;

/// Where a mention was filed (`mention-at/{seen}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub filed: Vec<(CampaignId, u64)>,
    /// The author reference `mention-author/{hash}/{n}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<(String, u64)>,
    /// Another `seen` hash naming the same post (a Mastodon status's local id beside its uri).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// The key part naming an author: SHA-256 of the handle without its leading `@`, trimmed and
/// lowercased (handles are case-insensitive on every platform), in hex.
pub fn author_hash(handle: &str) -> String {
    let folded = handle.trim().trim_start_matches('@').to_lowercase();
    hex(&Sha256::digest(format!("author\n{folded}")))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Records where `mention` was filed: 1 increment + 2 sets, whatever was stored before.
pub(crate) fn record(
    store: &dyn KvStore,
    mention: &Mention,
    seen: &str,
    filed: &[(CampaignId, u64)],
) -> Result<(), StoreError> {
    let author = if mention
        .author_handle
        .trim()
        .trim_start_matches('@')
        .is_empty()
    {
        None
    } else {
        let hash = author_hash(&mention.author_handle);
        let n = u64::try_from(store.increment(&keys::mention_author_seq(&hash), 1)?).unwrap_or(0);
        store.set_json(&keys::mention_author(&hash, n), &seen)?;
        Some((hash, n))
    };
    let location = Location {
        filed: filed.to_vec(),
        author,
        alias: None,
    };
    store.set_json(&keys::mention_at(seen), &location)
}

/// Names a filed mention by a second platform id too (a Mastodon status's local id, when its
/// `uri` made the dedupe key): 1 read + 2 sets, nothing when the mention was not filed.
pub fn record_alias(
    store: &dyn KvStore,
    platform: &MentionPlatform,
    platform_id: &str,
    alias_id: &str,
) -> Result<(), StoreError> {
    if alias_id.is_empty() || alias_id == platform_id {
        return Ok(());
    }
    let seen = seen_hash_of(platform, platform_id);
    let Some(mut location) = store.get_json::<Location>(&keys::mention_at(&seen))? else {
        return Ok(());
    };
    let alias = seen_hash_of(platform, alias_id);
    store.set_json(&keys::mention_alias(&alias), &seen)?;
    location.alias = Some(alias);
    store.set_json(&keys::mention_at(&seen), &location)
}

/// Removes a post its platform says was deleted from every wall and queue it was filed in;
/// the number of items removed (0 when it was never filed, or is gone already). 1 batch read,
/// then per item 1 read, at most 1 read + 1 CAS (approved list) and 1 delete, + 4 deletes.
pub fn remove_post(
    store: &dyn KvStore,
    platform: &MentionPlatform,
    platform_id: &str,
) -> Result<usize, CampaignError> {
    let seen = seen_hash_of(platform, platform_id);
    let at = keys::mention_at(&seen);
    let alias = keys::mention_alias(&seen);
    let found = store.get_many(&[at.clone(), alias.clone()])?;
    let value = |key: &str| {
        found
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.clone())
    };
    let (seen, location) = if let Some(bytes) = value(&at) {
        (seen, decode::<Location>(&at, &bytes)?)
    } else if let Some(bytes) = value(&alias) {
        let target: String = decode(&alias, &bytes)?;
        match store.get_json::<Location>(&keys::mention_at(&target))? {
            Some(location) => (target, location),
            None => {
                store.delete(&alias)?;
                return Ok(0);
            }
        }
    } else {
        return Ok(0);
    };
    forget(store, &seen, &location)
}

fn decode<T: serde::de::DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// Deletes every item of a location, then the location and its references.
fn forget(store: &dyn KvStore, seen: &str, location: &Location) -> Result<usize, CampaignError> {
    let mut removed = 0;
    for (campaign, seq) in &location.filed {
        if delete_item(store, campaign, *seq)? {
            removed += 1;
        }
    }
    if let Some((hash, n)) = &location.author {
        store.delete(&keys::mention_author(hash, *n))?;
    }
    if let Some(alias) = &location.alias {
        store.delete(&keys::mention_alias(alias))?;
    }
    store.delete(&keys::mention_at(seen))?;
    Ok(removed)
}

/// Takes one item off the approved list (when it is there), then deletes it.
fn delete_item(
    store: &dyn KvStore,
    campaign: &CampaignId,
    seq: u64,
) -> Result<bool, CampaignError> {
    let key = keys::campaign_mention(campaign, seq);
    let Some(item) = store.get_json::<WallItem>(&key)? else {
        return Ok(false);
    };
    if item.status == Status::Approved {
        let listed = moderation::update_doc(
            store,
            &keys::campaign_approved(campaign),
            |approved: &mut Vec<u64>| match approved.binary_search(&seq) {
                Ok(i) => {
                    approved.remove(i);
                    Ok::<_, CampaignError>(true)
                }
                Err(_) => Ok(false),
            },
        )?;
        if listed.is_none() && store.get(&keys::campaign_approved(campaign))?.is_some() {
            return Err(CampaignError::Busy);
        }
    }
    store.delete(&key)?;
    Ok(true)
}

/// What an erasure call did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erasure {
    /// Wall items deleted.
    pub removed: usize,
    /// Call again from here (`from`) while some references are left.
    pub next_from: Option<u64>,
}

/// Erases an author's mentions, by handle (`@name@server`, `name.bsky.social`, `@username`),
/// [`ERASE_PAGE`] references per call from `from` (1 to start): 2 reads + the forgetting of
/// each mention found, whatever the walls hold.
pub fn erase_author(
    store: &dyn KvStore,
    handle: &str,
    from: u64,
) -> Result<Erasure, CampaignError> {
    let hash = author_hash(handle);
    let last = moderation::read_counter(store, keys::mention_author_seq(&hash))?;
    let seqs = moderation::seq_range(from, ERASE_PAGE, last);
    let refs: Vec<(u64, String)> =
        moderation::read_items(store, &seqs, |n| keys::mention_author(&hash, n))?;
    let mut removed = 0;
    for (n, seen) in refs {
        match store.get_json::<Location>(&keys::mention_at(&seen))? {
            Some(location) => removed += forget(store, &seen, &location)?,
            None => store.delete(&keys::mention_author(&hash, n))?,
        }
    }
    let end = seqs.last().copied().unwrap_or(0);
    Ok(Erasure {
        removed,
        next_from: (end < last).then_some(end + 1),
    })
}

/// What a retention purge call did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Purge {
    /// Wall items deleted.
    pub removed: usize,
    /// Work is left (the budget ran out): call again.
    pub more: bool,
}

/// The campaign the next purge call starts with (`mentions/purge-cursor`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    position: usize,
}

/// Forgets mentions received more than `retention_days` ago. A campaign's mentions are
/// numbered in the order they arrive, so each campaign keeps the number below which all are
/// purged (`campaign/{cid}/mention-purged`) and a call reads on from there until the first
/// mention still kept; campaigns are visited in turn from a cursor. At most [`PURGE_BUDGET`]
/// mentions read and [`PURGE_CAMPAIGNS`] campaigns visited per call.
pub fn purge_due(
    store: &dyn KvStore,
    clock: &dyn Clock,
    retention_days: u32,
) -> Result<Purge, CampaignError> {
    let days = i64::from(retention_days.min(MAX_RETENTION_DAYS));
    let cutoff = Timestamp::from_unix_seconds(clock.now().unix_seconds() - days * 86_400)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let index = read_index(store)?;
    if index.is_empty() {
        return Ok(Purge {
            removed: 0,
            more: false,
        });
    }
    let cursor: Cursor = store
        .get_json(&keys::mention_purge_cursor())?
        .unwrap_or_default();
    let start = if cursor.position < index.len() {
        cursor.position
    } else {
        0
    };
    let mut budget = PURGE_BUDGET;
    let mut removed = 0;
    let mut visited = 0;
    let mut position = start;
    let mut more = false;
    while visited < index.len() {
        if visited == PURGE_CAMPAIGNS || budget == 0 {
            more = true;
            break;
        }
        let campaign = &index[position].id;
        let mark_key = keys::campaign_mention_purged(campaign);
        let mark: u64 = store.get_json(&mark_key)?.unwrap_or(0);
        let last = moderation::read_counter(store, keys::campaign_mention_seq(campaign))?;
        let mut new_mark = mark;
        let mut kept = false;
        // A few items at a time: an owner whose first item is kept costs one small read.
        while !kept && budget > 0 && new_mark < last {
            let seqs = moderation::seq_range(new_mark + 1, budget.min(READ_AHEAD), last);
            let items: Vec<(u64, WallItem)> =
                moderation::read_items(store, &seqs, |n| keys::campaign_mention(campaign, n))?;
            for &seq in &seqs {
                budget -= 1;
                match items.iter().find(|(n, _)| *n == seq) {
                    Some((_, item)) if item.received_at >= cutoff => {
                        kept = true;
                        break;
                    }
                    Some((_, item)) => {
                        let seen = item.mention.seen_hash();
                        match store.get_json::<Location>(&keys::mention_at(&seen))? {
                            Some(location) => removed += forget(store, &seen, &location)?,
                            None => removed += usize::from(delete_item(store, campaign, seq)?),
                        }
                    }
                    // Still being written by a concurrent filing: look again next time.
                    None if seq == last => {
                        kept = true;
                        break;
                    }
                    // Forgotten already (erased, deleted on its platform, or purged with its
                    // copy in another campaign).
                    None => {}
                }
                new_mark = seq;
            }
        }
        if new_mark != mark {
            store.set_json(&mark_key, &new_mark)?;
        }
        if !kept && new_mark < last {
            // The budget ran out inside this campaign: resume here.
            more = true;
            break;
        }
        visited += 1;
        position = (position + 1) % index.len();
    }
    if position != cursor.position {
        store.set_json(&keys::mention_purge_cursor(), &Cursor { position })?;
    }
    Ok(Purge { removed, more })
}

#[cfg(test)]
#[path = "privacy_tests.rs"]
mod tests;

//! Patrons' data on the walls (RGPD): where each mention was filed, so that a post deleted on
//! its platform leaves every wall, an author can be erased by handle, and mentions older than
//! the retention period are purged by the daily cron, each in a bounded number of store calls.
//!
//! Before the filing writes any item (`wall::receive_mention`), [`reserve`] writes:
//! - `mention-at/{seen}`: the mention's [`Location`] (every campaign and number it is filed
//!   under, its author reference; pending until every item is written), under the same
//!   SHA-256 of platform + post id as the dedupe claim `mention-seen/{seen}` it proves, so a
//!   platform's deletion finds it in one read;
//! - `mention-author/{author}/seq` and `/{n}`: the author's mentions (their `seen` hashes), under
//!   the SHA-256 of the folded handle, so an erasure reads pages of them instead of every wall.
//!
//! Forgetting a mention deletes its items (after taking them off the approved list, so a crash
//! in between hides rather than shows), its location, alias and author reference. The dedupe
//! claim stays, retired (`claims::retire`: a counter, no personal data): hashtag following
//! must not file the post again.

use crate::hashing::sha256_hex;
use serde::{Deserialize, Serialize};

use super::wall::{Mention, MentionPlatform, WallItem, seen_hash_of};
use super::{CampaignError, CampaignId, read_index};
use crate::claims;
use crate::clock::{Clock, Timestamp};
use crate::hashtag::Hashtag;
use crate::keys;
use crate::moderation::{self, Status};
use crate::retention;
use crate::store::{self, KvStore, StoreError};

/// Mentions kept 13 months after they are received: a campaign is a season or a yearly event,
/// and 13 months lets staff compare it with the previous edition, the span the CNIL accepts
/// for audience data; longer keeps third parties' posts for no purpose. `mention_retention_days`.
pub const DEFAULT_RETENTION_DAYS: u32 = 395;
/// Mentions one purge call reads at most (and so forgets at most): the shared purge's budget.
pub const PURGE_BUDGET: u64 = retention::ITEMS_PER_CALL;
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
    /// While items are still being written: when the mention was received (their
    /// `received_at`). A location pending past `claims::GRACE_SECONDS` is finished by the
    /// next delivery of the post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_since: Option<Timestamp>,
    /// The pending filing failed with an error: the next delivery finishes it at once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failed: bool,
}

/// The key part naming an author: SHA-256 of the handle without its leading `@`, trimmed and
/// lowercased (handles are case-insensitive on every platform), in hex.
pub fn author_hash(handle: &str) -> String {
    let folded = handle.trim().trim_start_matches('@').to_lowercase();
    sha256_hex(format!("author\n{folded}").as_bytes())
}

/// Reserves a number in each matched campaign's queue for `mention` and records where it
/// goes, as pending: `campaigns.len()` + 1 increments + 2 sets, whatever was stored before.
pub(crate) fn reserve(
    store: &dyn KvStore,
    mention: &Mention,
    seen: &str,
    campaigns: &[(CampaignId, Vec<Hashtag>)],
    now: Timestamp,
) -> Result<Location, StoreError> {
    let mut filed = Vec::with_capacity(campaigns.len());
    for (campaign, _) in campaigns {
        let seq = store.increment(&keys::campaign_mention_seq(campaign), 1)?;
        filed.push((campaign.clone(), u64::try_from(seq).unwrap_or(0)));
    }
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
        filed,
        author,
        alias: None,
        pending_since: Some(now),
        failed: false,
    };
    store.set_json(&keys::mention_at(seen), &location)?;
    Ok(location)
}

/// Marks a pending filing as failed (1 set), so the next delivery finishes it at once.
pub(crate) fn expire(store: &dyn KvStore, at: &str, location: &Location) -> Result<(), StoreError> {
    let failed = Location {
        failed: true,
        ..location.clone()
    };
    store.set_json(at, &failed)
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
        (seen, store::from_json::<Location>(&at, &bytes)?)
    } else if let Some(bytes) = value(&alias) {
        let target: String = store::from_json(&alias, &bytes)?;
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
    // Retired before the location goes: the claim must never look like a filing that died.
    claims::retire(store, &keys::mention_seen(seen))?;
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

pub use crate::retention::{MAX_RETENTION_DAYS, Purge};

/// Forgets mentions received more than `retention_days` ago, with the shared bounded purge of
/// numbered items ([`retention::purge`]): campaigns are the owners, in the index's order, each
/// with its mark (`campaign/{cid}/mention-purged`), visited from `mentions/purge-cursor`. A
/// mention filed in several campaigns is forgotten everywhere at once, with its references.
pub fn purge_due(
    store: &dyn KvStore,
    clock: &dyn Clock,
    retention_days: u32,
) -> Result<Purge, CampaignError> {
    let index = read_index(store)?;
    let forget_item = |campaign: &CampaignId, seq: u64, item: &WallItem| {
        let seen = item.mention.seen_hash();
        let done = match store.get_json::<Location>(&keys::mention_at(&seen))? {
            Some(location) => forget(store, &seen, &location).map(drop),
            None => delete_item(store, campaign, seq).map(drop),
        };
        done.map_err(|e| match e {
            CampaignError::Storage(e) => e,
            e => StoreError::Backend(e.to_string()),
        })
    };
    let area = retention::Area {
        cursor_key: keys::mention_purge_cursor(),
        owner_count: index.len(),
        owners_in: &|from, to| {
            Ok(index
                .iter()
                .enumerate()
                .skip(from)
                .take(to.saturating_sub(from))
                .map(|(position, summary)| (position, summary.id.clone()))
                .collect())
        },
        seq_key: &keys::campaign_mention_seq,
        mark_key: &keys::campaign_mention_purged,
        item_key: &keys::campaign_mention,
        received_at: &|item: &WallItem| item.received_at,
        forget: &forget_item,
    };
    let cutoff = retention::cutoff(clock.now(), retention_days);
    Ok(retention::purge(store, &area, cutoff)?)
}

#[cfg(test)]
#[path = "privacy_tests.rs"]
mod tests;

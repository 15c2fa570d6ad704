//! Retention purges of patrons' numbered submissions (question answers, tutorial comments,
//! reading records, campaign mentions):
//! each owner (a question, a tutorial) numbers its items in the order they arrive, so the
//! items past retention are a prefix. An owner keeps the number below which all are purged
//! (its mark); an area keeps the owner the next call starts with (its cursor). A call visits
//! at most [`OWNERS_PER_CALL`] owners and reads at most [`ITEMS_PER_CALL`] items, so each
//! call costs a bounded number of store calls whatever the data size; the daily cron calls
//! again while `more` is true.
//!
//! Answers and comments are kept 13 months (`answer_retention_days`): long enough to
//! compare a yearly question or guide with its previous edition, the span the CNIL accepts
//! for audience data, and no longer since they are published patron text with no other use.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::moderation;
use crate::store::{KvStore, StoreError};

pub const DEFAULT_ANSWER_RETENTION_DAYS: u32 = 395;
/// The longest retention honoured (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;
pub const OWNERS_PER_CALL: usize = 20;
pub const ITEMS_PER_CALL: u64 = 100;
/// Items read at once while purging an owner.
const READ_AHEAD: u64 = 25;

/// The instant before which items are purged.
pub fn cutoff(now: Timestamp, retention_days: u32) -> Timestamp {
    let days = i64::from(retention_days.min(MAX_RETENTION_DAYS));
    Timestamp::from_unix_seconds(now.unix_seconds() - days * 86_400)
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// What a purge call did in one area.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Purge {
    pub removed: usize,
    pub more: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    position: usize,
}

/// One area's numbered items.
pub struct Area<'a, O, T> {
    /// `{position}` of the next owner to visit.
    pub cursor_key: String,
    /// How many owner positions there are (a registry's counter, a catalogue's length).
    pub owner_count: usize,
    /// The owners at positions `from..to`, with their position (missing ones left out).
    pub owners_in: &'a dyn Fn(usize, usize) -> Result<Vec<(usize, O)>, StoreError>,
    pub seq_key: &'a dyn Fn(&O) -> String,
    pub mark_key: &'a dyn Fn(&O) -> String,
    pub item_key: &'a dyn Fn(&O, u64) -> String,
    pub received_at: &'a dyn Fn(&T) -> Timestamp,
    /// Deletes one item (and what hangs off it: a like counter, a place in a list).
    pub forget: &'a dyn Fn(&O, u64, &T) -> Result<(), StoreError>,
}

/// Forgets the items received before `cutoff`, bounded per call (see the module header).
/// Owners are visited in position order from the cursor; reaching the last one wraps the
/// cursor to the first for the next call.
pub fn purge<O, T: DeserializeOwned>(
    store: &dyn KvStore,
    area: &Area<'_, O, T>,
    cutoff: Timestamp,
) -> Result<Purge, StoreError> {
    let count = area.owner_count;
    if count == 0 {
        return Ok(Purge::default());
    }
    let cursor: Cursor = store.get_json(&area.cursor_key)?.unwrap_or_default();
    let start = if cursor.position < count {
        cursor.position
    } else {
        0
    };
    let end = (start + OWNERS_PER_CALL).min(count);
    let mut budget = ITEMS_PER_CALL;
    let mut report = Purge::default();
    let mut next = end;
    for (position, owner) in (area.owners_in)(start, end)? {
        if budget == 0 {
            next = position;
            break;
        }
        let mark_key = (area.mark_key)(&owner);
        let mark: u64 = store.get_json(&mark_key)?.unwrap_or(0);
        let last = moderation::read_counter(store, (area.seq_key)(&owner))?;
        let mut new_mark = mark;
        let mut kept = false;
        // A few items at a time: an owner whose first item is kept costs one small read.
        while !kept && budget > 0 && new_mark < last {
            let seqs = moderation::seq_range(new_mark + 1, budget.min(READ_AHEAD), last);
            let items: Vec<(u64, T)> =
                moderation::read_items(store, &seqs, |n| (area.item_key)(&owner, n))?;
            for &seq in &seqs {
                budget -= 1;
                match items.iter().find(|(n, _)| *n == seq) {
                    Some((_, item)) if (area.received_at)(item) >= cutoff => {
                        kept = true;
                        break;
                    }
                    Some((_, item)) => {
                        (area.forget)(&owner, seq, item)?;
                        report.removed += 1;
                    }
                    // Still being written by a concurrent submission: look again next time.
                    None if seq == last => {
                        kept = true;
                        break;
                    }
                    None => {}
                }
                new_mark = seq;
            }
        }
        if new_mark != mark {
            store.set_json(&mark_key, &new_mark)?;
        }
        if !kept && new_mark < last {
            // The budget ran out inside this owner: resume with it.
            next = position;
            break;
        }
    }
    report.more = next < count;
    let next = if next >= count { 0 } else { next };
    if next != cursor.position {
        store.set_json(&area.cursor_key, &Cursor { position: next })?;
    }
    Ok(report)
}

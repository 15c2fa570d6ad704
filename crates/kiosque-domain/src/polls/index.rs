//! The staff list of polls without listing the store: one small, write-once slot per poll,
//! numbered by an atomic counter.
//!
//! - `keys::poll_index_seq` is a counter: `increment(seq, 1)` hands each new poll a slot
//!   number `n` no other request can get, on every Spin store.
//! - `keys::poll_index_slot(n)` holds `{"id": ...}`, written once with `set` (nobody else
//!   writes that key) *before* the poll document, and deleted when the poll is deleted. The
//!   poll remembers its slot (`Poll::index_slot`).
//!
//! Why this shape (the previous single `polls/index` document had three flaws):
//! - Size: every value is a few dozen bytes whatever the number of polls, so nothing can
//!   reach Spin's 1,000,000-byte value limit.
//! - No initialisation: there is no shared document to create, hence no swap from "absent"
//!   (an upsert on Spin's SQLite store, where concurrent creators overwrite each other) and no
//!   creation claim whose winner could crash and leave every later creation `busy`. The
//!   counter is created by its first `increment`, atomically. A crash between the increment
//!   and the slot write, or between the slot and the poll, leaves a hole or a slot naming no
//!   poll: the list skips both.
//! - Staff actions: the slot holds nothing that changes (the status, question and times are
//!   read from the poll documents when listing), so open, close and edit write only the poll
//!   document, with one compare-and-swap: they cannot fail after a partial write, and the
//!   list can never show a stale status.
//!
//! Listing reads pages of [`PAGE_SLOTS`] consecutive slots, newest first: 1 counter read +
//! 1 batch read of the slots + 1 batch read of their polls, whatever the number of polls. A
//! status filter is applied to the polls of the page, so a filtered page may hold fewer than
//! [`PAGE_SLOTS`] polls (or none) while `next_page` still points further back.

use serde::{Deserialize, Serialize};

use super::{Poll, PollError, PollId, PollStatus};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{self, KvStore, StoreError};

/// Slots read per page: bounds the work (and the poll documents read) of one list request.
pub const PAGE_SLOTS: u64 = 50;

/// What a slot holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Slot {
    id: PollId,
}

/// Reserves a slot for a new poll and writes it: 1 increment + 1 write. Call before the poll
/// document is written, so a listed slot may lack its poll (skipped) but a poll always has
/// its slot.
pub fn reserve(store: &dyn KvStore, id: &PollId) -> Result<u64, PollError> {
    let n = store.increment(&keys::poll_index_seq(), 1)?;
    let n = u64::try_from(n).map_err(|_| StoreError::Corrupt {
        key: keys::poll_index_seq(),
        message: format!("negative poll sequence {n}"),
    })?;
    let key = keys::poll_index_slot(n);
    store.set(&key, &store::to_json(&key, &Slot { id: id.clone() })?)?;
    Ok(n)
}

/// Frees a poll's slot (deleting an absent key is not an error: retries converge).
pub fn release(store: &dyn KvStore, slot: u64) -> Result<(), PollError> {
    store.delete(&keys::poll_index_slot(slot))?;
    Ok(())
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Newest first, with their status at the time of listing.
    pub polls: Vec<(Poll, PollStatus)>,
    /// The `page` to ask for next (older polls); `None` on the last page.
    pub next_page: Option<u64>,
}

/// The polls of the page starting at slot `page` (the newest when `None`) and going back
/// [`PAGE_SLOTS`] slots, optionally only those with `status` at `now`. Costs 1 counter read
/// (only without `page`) + 1 batch read of the slots + 1 batch read of the polls.
pub fn list(
    store: &dyn KvStore,
    now: Timestamp,
    status: Option<PollStatus>,
    page: Option<u64>,
) -> Result<Page, PollError> {
    let top = match page {
        Some(page) => page,
        None => {
            let seq = store::read_counters(store, &[keys::poll_index_seq()])?;
            u64::try_from(seq.first().copied().unwrap_or(0)).unwrap_or(0)
        }
    };
    if top == 0 {
        return Ok(Page {
            polls: Vec::new(),
            next_page: None,
        });
    }
    let bottom = top.saturating_sub(PAGE_SLOTS - 1).max(1);
    let slot_keys: Vec<String> = (bottom..=top).rev().map(keys::poll_index_slot).collect();
    let mut slots = std::collections::HashMap::new();
    for (key, value) in store.get_many(&slot_keys)? {
        if let Some(bytes) = value {
            let slot: Slot = store::from_json(&key, &bytes)?;
            slots.insert(key, slot.id);
        }
    }
    // Newest slot first; `get_many` answers in any order.
    let ids: Vec<PollId> = slot_keys.iter().filter_map(|k| slots.remove(k)).collect();
    let poll_keys: Vec<String> = ids.iter().map(keys::poll).collect();
    let mut docs = std::collections::HashMap::new();
    if !poll_keys.is_empty() {
        for (key, value) in store.get_many(&poll_keys)? {
            if let Some(bytes) = value {
                let poll: Poll = store::from_json(&key, &bytes)?;
                docs.insert(key, poll);
            }
        }
    }
    let polls = poll_keys
        .iter()
        .filter_map(|k| docs.remove(k))
        .map(|poll| {
            let s = poll.status(now);
            (poll, s)
        })
        .filter(|(_, s)| status.is_none_or(|wanted| *s == wanted))
        .collect();
    Ok(Page {
        polls,
        next_page: (bottom > 1).then_some(bottom - 1),
    })
}

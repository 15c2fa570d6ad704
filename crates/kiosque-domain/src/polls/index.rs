//! The staff list of polls without listing the store: one document, `keys::poll_index`,
//! holding a small snapshot of every poll (id, question, kind, times), rewritten with
//! compare-and-swap over the value read whenever a poll is created, changed or deleted.
//! The status is derived from the snapshot's times when the list is read.
//!
//! The document is created once, from "absent", only by the request that wins the claim
//! `increment(keys::poll_index_init, 1) == 1`: Spin's SQLite store turns a swap from
//! "absent" into an upsert, so two requests that both saw no index could otherwise each
//! write their own and lose the other's entry. A request that loses the claim while the
//! winner has not written yet retries, then answers `busy`. (Should the winner crash between
//! its claim and its write, the index would have to be created by hand: a one-time,
//! first-poll-ever window.)
//!
//! Size: about 300 bytes per poll, so Spin's 1 MB value limit allows some 3,000 polls; a
//! library that reaches that should archive (delete) old polls.

use serde::{Deserialize, Serialize};

use super::{CAS_ATTEMPTS, KindName, Poll, PollError, PollId, PollStatus};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{self, KvStore, StoreError};

/// One poll in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub id: PollId,
    pub question: String,
    pub kind: KindName,
    pub published: bool,
    pub opens_at: Option<Timestamp>,
    pub closes_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl IndexEntry {
    fn of(poll: &Poll) -> Self {
        IndexEntry {
            id: poll.id.clone(),
            question: poll.question.clone(),
            kind: poll.kind.name(),
            published: poll.published,
            opens_at: poll.opens_at,
            closes_at: poll.closes_at,
            closed_at: poll.closed_at,
            created_at: poll.created_at,
        }
    }

    pub fn status(&self, now: Timestamp) -> PollStatus {
        PollStatus::of(
            self.published,
            self.opens_at,
            self.closes_at,
            self.closed_at,
            now,
        )
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PollIndex {
    polls: Vec<IndexEntry>,
}

fn decode(key: &str, bytes: &[u8]) -> Result<PollIndex, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// Applies `change` to the index; returns what `change` returned. `Ok(None)` from `change`
/// means "nothing to write".
fn update(
    store: &dyn KvStore,
    change: &dyn Fn(&mut Vec<IndexEntry>) -> bool,
) -> Result<bool, PollError> {
    let key = keys::poll_index();
    for _ in 0..CAS_ATTEMPTS {
        let current = store.get(&key)?;
        let mut index = match &current {
            Some(bytes) => decode(&key, bytes)?,
            None => {
                if store.increment(&keys::poll_index_init(), 1)? != 1 {
                    // Another request is creating the index: read again.
                    continue;
                }
                PollIndex::default()
            }
        };
        if !change(&mut index.polls) && current.is_some() {
            return Ok(false);
        }
        let bytes = store::to_json(&key, &index)?;
        if store.compare_and_swap(&key, current.as_deref(), &bytes)? {
            return Ok(true);
        }
    }
    Err(PollError::Busy)
}

/// Adds or refreshes a poll's entry.
pub fn upsert(store: &dyn KvStore, poll: &Poll) -> Result<(), PollError> {
    let entry = IndexEntry::of(poll);
    update(store, &|polls| {
        match polls.iter_mut().find(|e| e.id == entry.id) {
            Some(existing) if *existing == entry => return false,
            Some(existing) => *existing = entry.clone(),
            None => polls.push(entry.clone()),
        }
        true
    })?;
    Ok(())
}

/// Removes a poll's entry; `false` when it was not listed.
pub fn remove(store: &dyn KvStore, id: &PollId) -> Result<bool, PollError> {
    let found = std::cell::Cell::new(false);
    update(store, &|polls| {
        let before = polls.len();
        polls.retain(|e| &e.id != id);
        found.set(polls.len() != before);
        found.get()
    })?;
    Ok(found.get())
}

/// The polls, newest first, optionally only those with `status` at `now`. Costs 1 read.
pub fn list(
    store: &dyn KvStore,
    now: Timestamp,
    status: Option<PollStatus>,
) -> Result<Vec<(IndexEntry, PollStatus)>, PollError> {
    let key = keys::poll_index();
    let index = match store.get(&key)? {
        Some(bytes) => decode(&key, &bytes)?,
        None => PollIndex::default(),
    };
    let mut polls: Vec<(IndexEntry, PollStatus)> = index
        .polls
        .into_iter()
        .map(|e| {
            let s = e.status(now);
            (e, s)
        })
        .filter(|(_, s)| status.is_none_or(|wanted| *s == wanted))
        .collect();
    polls.sort_by_key(|(entry, _)| std::cmp::Reverse(entry.created_at));
    Ok(polls)
}

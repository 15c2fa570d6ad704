//! The time-bucketed index of due posts, and the tick's cursor over it.
//!
//! The store has no range queries, so "which posts are due now?" is answered by buckets of one
//! UTC minute: scheduling a post for minute `m` appends an entry `{post, seq}` to bucket `m`
//! (`increment(due/{m}/seq, 1)` hands out a slot no other request gets, then the entry is
//! written once under `due/{m}/{n}`). Due times are whole minutes, so every entry of bucket
//! `m` is due from `m` on.
//!
//! The cursor `scheduler/cursor` says how far the tick got: every bucket before `bucket` is
//! done, and slots `1..=slot` of `bucket`. A tick reads the counters of the buckets from the
//! cursor to the current minute (at most [`MAX_BUCKETS_PER_TICK`], in one batch read), then
//! the entries after the cursor (at most its entry budget, one batch read), so its cost grows
//! with the posts due, never with the posts stored: a post due next week sits in a bucket no
//! tick reads before then. After downtime the backlog is caught up over several ticks.
//!
//! Entries are hints, the post document is the truth: an entry whose `seq` is not the post's
//! current `schedule.seq` (rescheduled, retried, cancelled) is skipped. So nothing is ever
//! removed from a bucket, and an entry is written *before* the post document names it: a
//! crash in between leaves a stale entry, never a scheduled post missing from the index.
//!
//! Entries only go into future minutes (scheduling refuses the current minute and the past;
//! retries and leases are computed from a clock read just before their entry is written), so
//! the bucket of the current minute gains no entries once a tick has read it... except from a
//! request whose clock read came just before the minute turned: that is why the cursor keeps
//! the slot reached in the last bucket read rather than marking it done.
//!
//! A writer is not atomic: between its increment and its entry, or between its entry and the
//! post document that names it, a tick may find a slot without an entry, or an entry newer
//! than its post (`seq` above the post's). Within [`IN_FLIGHT_GRACE_SECS`] of the bucket's
//! minute such a slot is taken for a write in progress: the tick handles what follows but
//! leaves the cursor before it, so the next tick reads it again (see `tick`). Older, it is a
//! writer that died, and is passed. An entry that does not decode is reported, never fatal.

use serde::{Deserialize, Serialize};

use super::{PostError, PostId};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{self, KvStore, StoreError};

/// Buckets a tick reads counters of, at most: 4 hours of minutes in one batch read. After a
/// longer downtime, each tick catches up 4 hours.
pub const MAX_BUCKETS_PER_TICK: i64 = 240;

/// How long after its bucket's minute a slot may still be in the middle of its writes (a
/// slot reserved but not written, an entry written before its post document): far longer
/// than the two or three store calls between a writer's steps.
pub const IN_FLIGHT_GRACE_SECS: i64 = 300;

/// The unix minute of an instant (its bucket).
pub fn minute_of(t: Timestamp) -> i64 {
    t.unix_seconds().div_euclid(60)
}

/// The first whole minute strictly after `t`: the earliest due time a request at `t` may set.
pub fn next_minute(t: Timestamp) -> Timestamp {
    Timestamp::from_unix_seconds((minute_of(t) + 1) * 60).unwrap_or(t)
}

/// `t` rounded up to a whole minute.
pub fn ceil_minute(t: Timestamp) -> Timestamp {
    let secs = t.unix_seconds();
    let rounded = secs.div_euclid(60) * 60;
    if rounded == secs {
        t
    } else {
        Timestamp::from_unix_seconds(rounded + 60).unwrap_or(t)
    }
}

/// What an index entry holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub post: PostId,
    pub seq: u64,
}

/// The tick's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cursor {
    /// Every bucket before this one is done.
    pub bucket: i64,
    /// Slots `1..=slot` of `bucket` are done.
    pub slot: u64,
}

/// Appends `post` (schedule `seq`) to the bucket of `due_at`, which must be a whole minute:
/// 1 increment + 1 write.
pub fn add(
    store: &dyn KvStore,
    due_at: Timestamp,
    post: &PostId,
    seq: u64,
) -> Result<(), PostError> {
    let minute = minute_of(due_at);
    let n = slot_number(
        store.increment(&keys::due_bucket_seq(minute), 1)?,
        &keys::due_bucket_seq(minute),
    )?;
    let key = keys::due_entry(minute, n);
    let entry = Entry {
        post: post.clone(),
        seq,
    };
    store.set(&key, &store::to_json(&key, &entry)?)?;
    Ok(())
}

pub(crate) fn slot_number(n: i64, key: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt {
        key: key.to_owned(),
        message: format!("negative sequence {n}"),
    })
}

/// Makes sure the cursor exists before the first post is indexed, so the tick never starts
/// after a post already due: 1 read, and 1 swap the first time ever. A post scheduled at `now`
/// is due after `now`'s minute, and the cursor starts at `now`'s minute, so it is found.
pub fn ensure_cursor(store: &dyn KvStore, now: Timestamp) -> Result<(), PostError> {
    let start = Cursor {
        bucket: minute_of(now),
        slot: 0,
    };
    Ok(store::cursor::ensure(
        store,
        &keys::scheduler_cursor(),
        &start,
    )?)
}

/// The cursor and its stored bytes: 1 read. `None` before anything was ever scheduled.
pub fn read_cursor(store: &dyn KvStore) -> Result<Option<(Cursor, Vec<u8>)>, PostError> {
    Ok(store::cursor::read(store, &keys::scheduler_cursor())?)
}

/// Moves the cursor forward to `to`, never back ([`store::cursor::advance`]).
pub fn advance_cursor(
    store: &dyn KvStore,
    read: Option<Vec<u8>>,
    to: Cursor,
) -> Result<(), PostError> {
    Ok(store::cursor::advance(
        store,
        &keys::scheduler_cursor(),
        read,
        &to,
    )?)
}

/// A position in the index and the entry found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub at: Cursor,
    /// `None`: the slot has no entry (not written yet, or its writer died), or it does not
    /// decode (`corrupt`).
    pub entry: Option<Entry>,
    /// Why the stored entry could not be read.
    pub corrupt: Option<String>,
}

impl Found {
    /// Whether the slot may still be in the middle of its writes at `now` (see the module
    /// documentation): the tick keeps its cursor before such a slot.
    pub fn may_be_in_flight(&self, now: Timestamp) -> bool {
        now.unix_seconds() < self.at.bucket * 60 + IN_FLIGHT_GRACE_SECS
    }
}

/// What one tick reads: entries after `cursor` up to the current minute, at most
/// `max_entries`; and where the scan ends (`end`), to which the cursor may move once every
/// entry before it is handled. Costs 1 batch read of bucket counters (at most
/// [`MAX_BUCKETS_PER_TICK`]) + 1 batch read of entries when there are any. `backlog` says
/// there is more to read than this call took (buckets or entries left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub found: Vec<Found>,
    pub end: Cursor,
    pub buckets_read: usize,
    pub backlog: bool,
}

pub fn scan(
    store: &dyn KvStore,
    cursor: Cursor,
    now: Timestamp,
    max_entries: usize,
) -> Result<Scan, PostError> {
    let current = minute_of(now);
    if cursor.bucket > current {
        return Ok(Scan {
            found: Vec::new(),
            end: cursor,
            buckets_read: 0,
            backlog: false,
        });
    }
    let last = current.min(cursor.bucket + MAX_BUCKETS_PER_TICK - 1);
    let buckets: Vec<i64> = (cursor.bucket..=last).collect();
    let seq_keys: Vec<String> = buckets.iter().map(|b| keys::due_bucket_seq(*b)).collect();
    let counts = store::read_counters(store, &seq_keys)?;

    let mut positions: Vec<Cursor> = Vec::new();
    let mut end = Cursor {
        bucket: last,
        slot: 0,
    };
    let mut entries_left = false;
    'buckets: for (bucket, count) in buckets.iter().zip(&counts) {
        let count = u64::try_from(*count).unwrap_or(0);
        let first = if *bucket == cursor.bucket {
            cursor.slot + 1
        } else {
            1
        };
        end = Cursor {
            bucket: *bucket,
            slot: count.max(if *bucket == cursor.bucket {
                cursor.slot
            } else {
                0
            }),
        };
        for slot in first..=count {
            if positions.len() == max_entries {
                entries_left = true;
                end = positions.last().copied().unwrap_or(cursor);
                break 'buckets;
            }
            positions.push(Cursor {
                bucket: *bucket,
                slot,
            });
        }
    }

    let mut found = Vec::with_capacity(positions.len());
    if !positions.is_empty() {
        let entry_keys: Vec<String> = positions
            .iter()
            .map(|p| keys::due_entry(p.bucket, p.slot))
            .collect();
        let mut values = std::collections::HashMap::new();
        for (key, value) in store.get_many(&entry_keys)? {
            if let Some(bytes) = value {
                values.insert(key, bytes);
            }
        }
        for (position, key) in positions.iter().zip(&entry_keys) {
            // A missing entry is a slot whose writer is between its increment and its write,
            // or crashed there; an unreadable one is set aside (the tick reports it).
            let (entry, corrupt) = match values.get(key) {
                Some(bytes) => match super::decode::<Entry>(key, bytes) {
                    Ok(entry) => (Some(entry), None),
                    Err(e) => (None, Some(e.to_string())),
                },
                None => (None, None),
            };
            found.push(Found {
                at: *position,
                entry,
                corrupt,
            });
        }
    }
    Ok(Scan {
        found,
        end,
        buckets_read: buckets.len(),
        backlog: entries_left || last < current,
    })
}

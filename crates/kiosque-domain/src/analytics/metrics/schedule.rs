//! The hourly index of due fetches and the tick's cursor over it.
//!
//! The store has no range queries, so "which fetches are due now?" is answered by buckets of
//! one UTC hour, as `posts::due` does with minutes: a fetch due at instant `d` is appended to
//! the bucket of the first whole hour at or after `d` (`increment(metrics-due/{h}/seq, 1)`
//! hands out a slot no other writer gets, then the entry is written once under
//! `metrics-due/{h}/{n}`), so every entry of bucket `h` is due once hour `h` has begun.
//!
//! Every entry is filed at least [`MIN_LEAD_SECS`] (an hour) after the clock read of its
//! writer, so a bucket whose hour has begun gets no new entry: the cursor `{hour, slot}` can
//! pass a bucket for good once its slots are read, and a slot without its entry an hour after
//! its writer took it is a writer that died (passed, never waited for).
//!
//! Entries are hints, the record (`post-metrics/...`) is the truth: each entry names the step
//! and attempt it stands for, and only the one the record waits for (`next`) is acted on.

use serde::{Deserialize, Serialize};

use super::{NextFetch, STEPS, Tracked};
use crate::analytics::AnalyticsError;
use crate::clock::Timestamp;
use crate::keys;
use crate::posts::{PostId, due::slot_number};
use crate::social::ChannelId;
use crate::store::{self, KvStore};

/// How far ahead of its writer's clock an entry is always filed.
pub const MIN_LEAD_SECS: i64 = 3600;

/// Buckets a tick reads the counters of, at most: a week of hours in one batch read. After a
/// longer downtime, each tick catches up a week.
pub const MAX_BUCKETS_PER_TICK: i64 = 168;

/// The unix hour of an instant.
pub fn hour_of(t: Timestamp) -> i64 {
    t.unix_seconds().div_euclid(3600)
}

/// The bucket of a fetch due at `d`: the first whole hour at or after it.
pub fn bucket_of(d: Timestamp) -> i64 {
    let secs = d.unix_seconds();
    secs.div_euclid(3600) + i64::from(secs.rem_euclid(3600) != 0)
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// When a step falls for a post published at `published`, never sooner than an hour after
/// `now` (a late step, after downtime or retries, is fetched as soon as the rule allows).
pub fn due_at(published: Timestamp, after_hours: u32, now: Timestamp) -> Timestamp {
    let step = published.unix_seconds() + i64::from(after_hours) * 3600;
    at(step.max(now.unix_seconds() + MIN_LEAD_SECS))
}

/// The first fetch of a post published at `now`.
pub fn first(now: Timestamp) -> NextFetch {
    NextFetch {
        after_hours: STEPS[0],
        attempt: 0,
        due_at: due_at(now, STEPS[0], now),
    }
}

/// The step after `after_hours`, if any.
pub fn step_after(after_hours: u32) -> Option<u32> {
    STEPS.iter().copied().find(|&h| h > after_hours)
}

/// What an index entry holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub post: PostId,
    pub channel: ChannelId,
    pub after_hours: u32,
    /// Which attempt of the step (0 the first time); older attempts' entries are stale.
    #[serde(default)]
    pub attempt: u32,
}

impl Entry {
    /// Whether the record waits for this very fetch.
    pub fn is(&self, next: &NextFetch) -> bool {
        self.after_hours == next.after_hours && self.attempt == next.attempt
    }
}

/// The tick's progress: every bucket before `hour` is done, and slots `1..=slot` of `hour`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cursor {
    pub hour: i64,
    pub slot: u64,
}

/// Files `next` for `tracked`: 1 increment + 1 set. `next.due_at` must be at least
/// [`MIN_LEAD_SECS`] after `now` (what [`due_at`] gives); an earlier one is moved there, so no
/// writer ever adds to a bucket a tick may have passed.
pub fn add(
    store: &dyn KvStore,
    now: Timestamp,
    tracked: &Tracked,
    next: NextFetch,
) -> Result<(), AnalyticsError> {
    let earliest = now.unix_seconds() + MIN_LEAD_SECS;
    let due = at(next.due_at.unix_seconds().max(earliest));
    let hour = bucket_of(due);
    let seq_key = keys::metrics_due_seq(hour);
    let n = slot_number(store.increment(&seq_key, 1)?, &seq_key)?;
    let entry = Entry {
        post: tracked.post.clone(),
        channel: tracked.channel.clone(),
        after_hours: next.after_hours,
        attempt: next.attempt,
    };
    store.set_json(&keys::metrics_due_entry(hour, n), &entry)?;
    Ok(())
}

/// Makes sure the cursor exists before the first entry is filed, so the tick never starts
/// after one: 1 read, and 1 swap the first time ever (from "absent", an upsert on Spin: two
/// first writers both write an hour no later than their own entries', which is all that
/// matters).
pub fn ensure_cursor(store: &dyn KvStore, now: Timestamp) -> Result<(), AnalyticsError> {
    let start = Cursor {
        hour: hour_of(now),
        slot: 0,
    };
    Ok(store::cursor::ensure(
        store,
        &keys::metrics_cursor(),
        &start,
    )?)
}

/// The cursor and its stored bytes: 1 read. `None` before anything was ever tracked.
pub fn read_cursor(store: &dyn KvStore) -> Result<Option<(Cursor, Vec<u8>)>, AnalyticsError> {
    Ok(store::cursor::read(store, &keys::metrics_cursor())?)
}

/// Moves the cursor forward to `to`, never back ([`store::cursor::advance`]); no call at all
/// when the cursor is already there.
pub fn advance_cursor(
    store: &dyn KvStore,
    read: Option<Vec<u8>>,
    to: Cursor,
) -> Result<(), AnalyticsError> {
    Ok(store::cursor::advance(
        store,
        &keys::metrics_cursor(),
        read,
        &to,
    )?)
}

/// A slot of the index and what was found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub at: Cursor,
    /// `None`: no entry (its writer died between its increment and its write).
    pub entry: Option<Entry>,
    /// Why the stored entry could not be read.
    pub corrupt: Option<String>,
}

/// What one tick reads: the slots after `cursor` in the buckets whose hour has begun, at most
/// `max_entries`, and where the scan ends (`end`). 1 batch read of bucket counters (at most
/// [`MAX_BUCKETS_PER_TICK`]) + 1 batch read of entries when there are any. `backlog`: more is
/// left than this call took.
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
) -> Result<Scan, AnalyticsError> {
    let current = hour_of(now);
    if cursor.hour > current {
        return Ok(Scan {
            found: Vec::new(),
            end: cursor,
            buckets_read: 0,
            backlog: false,
        });
    }
    let last = current.min(cursor.hour + MAX_BUCKETS_PER_TICK - 1);
    let hours: Vec<i64> = (cursor.hour..=last).collect();
    let seq_keys: Vec<String> = hours.iter().map(|h| keys::metrics_due_seq(*h)).collect();
    let counts = store::read_counters(store, &seq_keys)?;

    let mut positions: Vec<Cursor> = Vec::new();
    let mut end = cursor;
    let mut entries_left = false;
    'hours: for (hour, count) in hours.iter().zip(&counts) {
        let count = u64::try_from(*count).unwrap_or(0);
        let first = if *hour == cursor.hour {
            cursor.slot + 1
        } else {
            1
        };
        for slot in first..=count {
            if positions.len() == max_entries {
                entries_left = true;
                break 'hours;
            }
            positions.push(Cursor { hour: *hour, slot });
        }
        end = Cursor {
            hour: *hour,
            slot: count.max(if *hour == cursor.hour { cursor.slot } else { 0 }),
        };
    }
    if entries_left {
        end = positions.last().copied().unwrap_or(cursor);
    }

    let mut found = Vec::with_capacity(positions.len());
    if !positions.is_empty() {
        let entry_keys: Vec<String> = positions
            .iter()
            .map(|p| keys::metrics_due_entry(p.hour, p.slot))
            .collect();
        let mut values: std::collections::HashMap<String, Vec<u8>> = store
            .get_many(&entry_keys)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect();
        for (position, key) in positions.iter().zip(&entry_keys) {
            let (entry, corrupt) = match values.remove(key) {
                Some(bytes) => match store::from_json::<Entry>(key, &bytes) {
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
        buckets_read: hours.len(),
        backlog: entries_left || last < current,
    })
}

/// The position just before `at`, so the next scan starts at `at`.
pub fn previous(at: Cursor) -> Cursor {
    Cursor {
        hour: at.hour,
        slot: at.slot.saturating_sub(1),
    }
}

//! The tick's part: fetch the figures that are due, within a budget.
//!
//! One call reads the cursor (1 read), the counters of the hour buckets from there to the
//! current hour (1 batch read), the entries after the cursor (1 batch read, at most
//! [`FetchBudget::max_entries`]) and the records they name (1 batch read); then, for each
//! entry the record still waits for, reads its channel (1 read, once per channel and call),
//! asks the network (the channel's module: `channels::fetch_counts`), files the next fetch
//! (1 increment + 1 set) and rewrites the record (1 compare-and-swap, re-read and re-decided on
//! a conflict). The cursor moves past what was handled (1 swap, only when it moved). With
//! nothing due, a call costs 2 store calls in the hour (3 when the hour turned), whatever the
//! number of posts tracked.

use std::collections::HashMap;

use serde::Serialize;

use super::schedule::{self, Cursor, Entry, MIN_LEAD_SECS};
use super::{Counts, FetchState, MAX_RETRIES, NextFetch, PostMetrics, Snapshot, Tracked};
use crate::analytics::AnalyticsError;
use crate::channels::{self, ChannelStatus, CredentialKey, StoredChannel};
use crate::clock::{Clock, Timestamp};
use crate::keys;
use crate::social::{ChannelId, HttpClient, Quarantined};
use crate::store::{self, KvStore};

/// Compare-and-swap attempts on one record before leaving it to the other writer.
const CAS_ATTEMPTS: usize = 8;

/// What one tick may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchBudget {
    /// Due-index entries read.
    pub max_entries: usize,
    /// Network fetches made.
    pub max_fetches: usize,
    /// Seconds after its start past which no fetch begins (the clock is re-read before each).
    pub max_secs: i64,
}

impl Default for FetchBudget {
    fn default() -> Self {
        FetchBudget {
            max_entries: 100,
            max_fetches: 20,
            max_secs: 60,
        }
    }
}

/// What a network said about one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Counts(Counts),
    /// The post no longer exists there (404/410, Graph "does not exist", missing from
    /// `getPosts`).
    Gone,
    /// The token was refused, or the channel is gone: the reason, for staff. The channel is
    /// marked as needing reconnection.
    Revoked(String),
    /// The token works but lacks the permission to read figures (Mastodon 403 without
    /// `read:statuses`, Graph codes 10 and 200-299): this record stops with the reason, and the
    /// channel stays connected, as publishing still works with that token.
    NotPermitted(String),
    /// Worth asking again later (5xx, 429, a timeout, an unreadable answer).
    Transient(String),
}

/// What a call did, in the tick's JSON report (`metrics`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MetricsReport {
    pub buckets_read: usize,
    pub entries_read: usize,
    /// Entries the record no longer waits for (done by another tick, stale attempts, records
    /// no longer active or gone).
    pub skipped: usize,
    /// Network fetches made.
    pub fetched: usize,
    /// Snapshots added.
    pub snapshots: usize,
    pub deleted: usize,
    pub revoked: usize,
    /// Records stopped because the token may not read figures (channel left connected).
    pub not_permitted: usize,
    /// Steps filed again an hour later after a transient failure.
    pub retrying: usize,
    /// Steps given up after their retries (the next step is filed).
    pub steps_skipped: usize,
    /// Records whose last step is done.
    pub finished: usize,
    /// Records another tick changed first (its outcome kept, ours dropped).
    pub changed_elsewhere: usize,
    /// Slots without an entry: a writer that died between its two writes (passed).
    pub missing: usize,
    pub quarantined: Vec<Quarantined>,
    /// Work is left for the next tick (budget reached or backlog).
    pub more: bool,
    pub cursor: Option<Cursor>,
}

/// Whether `record` waits for the fetch `entry` stands for.
fn wants(record: &PostMetrics, entry: &Entry) -> bool {
    record.state == FetchState::Active
        && record.next.as_ref().is_some_and(|next| entry.is(next))
        && !record
            .history
            .iter()
            .any(|s| s.after_hours == entry.after_hours)
}

/// How an outcome was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recorded {
    Snapshot { finished: bool },
    Deleted,
    Revoked,
    NotPermitted,
    Retrying,
    StepSkipped { finished: bool },
}

/// The record after `outcome`, and the next fetch to file.
fn apply(
    mut record: PostMetrics,
    now: Timestamp,
    entry: &Entry,
    outcome: &Fetched,
) -> (PostMetrics, Recorded) {
    let next_step = |record: &mut PostMetrics| -> bool {
        match schedule::step_after(entry.after_hours) {
            Some(after_hours) => {
                record.next = Some(NextFetch {
                    after_hours,
                    attempt: 0,
                    due_at: schedule::due_at(record.published_at, after_hours, now),
                });
                false
            }
            None => {
                record.next = None;
                record.state = FetchState::Finished;
                true
            }
        }
    };
    let recorded = match outcome {
        Fetched::Counts(counts) => {
            record.history.push(Snapshot {
                at: now,
                after_hours: entry.after_hours,
                counts: counts.clone(),
            });
            Recorded::Snapshot {
                finished: next_step(&mut record),
            }
        }
        Fetched::Gone => {
            record.next = None;
            record.state = FetchState::Deleted { at: now };
            Recorded::Deleted
        }
        Fetched::Revoked(reason) => {
            record.next = None;
            record.state = FetchState::AccessRevoked {
                at: now,
                reason: reason.clone(),
            };
            Recorded::Revoked
        }
        // Stored as `access_revoked` (the reason says which permission is missing) so readers
        // and reports need no new state; unlike `Revoked`, the channel is left alone.
        Fetched::NotPermitted(reason) => {
            record.next = None;
            record.state = FetchState::AccessRevoked {
                at: now,
                reason: reason.clone(),
            };
            Recorded::NotPermitted
        }
        Fetched::Transient(_) if entry.attempt < MAX_RETRIES => {
            record.next = Some(NextFetch {
                after_hours: entry.after_hours,
                attempt: entry.attempt + 1,
                due_at: Timestamp::from_unix_seconds(now.unix_seconds() + MIN_LEAD_SECS)
                    .unwrap_or(now),
            });
            Recorded::Retrying
        }
        Fetched::Transient(_) => Recorded::StepSkipped {
            finished: next_step(&mut record),
        },
    };
    (record, recorded)
}

/// Writes `outcome` into the record of `entry` (read as `bytes`): the next fetch filed first,
/// then a compare-and-swap; on a conflict the record is re-read and, if it still waits for
/// this fetch, decided again; otherwise another tick got there first and our outcome is
/// dropped (`None`).
pub(super) fn settle(
    store: &dyn KvStore,
    now: Timestamp,
    entry: &Entry,
    mut bytes: Vec<u8>,
    outcome: &Fetched,
) -> Result<Option<Recorded>, AnalyticsError> {
    let key = keys::post_metrics(&entry.post, &entry.channel);
    let tracked = Tracked {
        post: entry.post.clone(),
        channel: entry.channel.clone(),
    };
    let mut filed: Option<NextFetch> = None;
    for _ in 0..CAS_ATTEMPTS {
        let record: PostMetrics = store::from_json(&key, &bytes)?;
        if !wants(&record, entry) {
            return Ok(None);
        }
        let (updated, recorded) = apply(record, now, entry, outcome);
        if let Some(next) = updated.next
            && filed != Some(next)
        {
            schedule::add(store, now, &tracked, next)?;
            filed = Some(next);
        }
        if store.compare_and_swap(&key, Some(&bytes), &store::to_json(&key, &updated)?)? {
            return Ok(Some(recorded));
        }
        match store.get(&key)? {
            Some(current) => bytes = current,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// Runs the metrics part of one tick (see the module documentation).
pub async fn fetch_due(
    store: &dyn KvStore,
    clock: &dyn Clock,
    key: &CredentialKey,
    http: &impl HttpClient,
    budget: FetchBudget,
) -> Result<MetricsReport, AnalyticsError> {
    let started = clock.now();
    let mut report = MetricsReport::default();
    let Some((cursor, cursor_bytes)) = schedule::read_cursor(store)? else {
        // Nothing was ever tracked.
        return Ok(report);
    };
    let scan = schedule::scan(store, cursor, started, budget.max_entries)?;
    report.buckets_read = scan.buckets_read;
    report.entries_read = scan.found.len();

    let mut record_keys: Vec<String> = Vec::new();
    for found in &scan.found {
        if let Some(entry) = &found.entry {
            let key = keys::post_metrics(&entry.post, &entry.channel);
            if !record_keys.contains(&key) {
                record_keys.push(key);
            }
        }
    }
    // Keys the batch read answered for (present or not): a record it found absent is not
    // read again.
    let mut batch_read: std::collections::HashSet<String> = record_keys.iter().cloned().collect();
    let mut records: HashMap<String, Vec<u8>> = if record_keys.is_empty() {
        HashMap::new()
    } else {
        store
            .get_many(&record_keys)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()
    };

    // A channel document that cannot be read or decoded is kept as its error: each of its
    // entries is then a transient failure, so one bad document never stops the cursor.
    let mut channels_read: HashMap<ChannelId, Result<Option<StoredChannel>, String>> =
        HashMap::new();
    let mut end = scan.end;
    for found in &scan.found {
        let Some(entry) = &found.entry else {
            match &found.corrupt {
                Some(reason) => {
                    let key = keys::metrics_due_entry(found.at.hour, found.at.slot);
                    report.quarantined.push(Quarantined::logged(&key, reason));
                }
                None => report.missing += 1,
            }
            continue;
        };
        let record_key = keys::post_metrics(&entry.post, &entry.channel);
        // The batch read serves a record's first entry; a later one (a retry's entry after
        // downtime) reads it again, as this call may have changed it.
        let first_use = batch_read.remove(&record_key);
        let bytes = match records.remove(&record_key) {
            Some(bytes) => bytes,
            None if first_use => {
                report.skipped += 1;
                continue;
            }
            None => match store.get(&record_key)? {
                Some(bytes) => bytes,
                None => {
                    report.skipped += 1;
                    continue;
                }
            },
        };
        let record: PostMetrics = match store::from_json(&record_key, &bytes) {
            Ok(record) => record,
            Err(e) => {
                report
                    .quarantined
                    .push(Quarantined::logged(&record_key, e.to_string()));
                continue;
            }
        };
        if !wants(&record, entry) {
            report.skipped += 1;
            continue;
        }
        let now = clock.now();
        let out_of_time = now.unix_seconds() - started.unix_seconds() >= budget.max_secs;
        if report.fetched == budget.max_fetches || out_of_time {
            // Resume at this entry next time.
            end = schedule::previous(found.at);
            report.more = true;
            break;
        }
        let stored = match channels_read.get(&entry.channel) {
            Some(stored) => stored.clone(),
            None => {
                let stored = store
                    .get_json::<StoredChannel>(&keys::channel(&entry.channel))
                    .map_err(|e| format!("the channel could not be read: {e}"));
                channels_read.insert(entry.channel.clone(), stored.clone());
                stored
            }
        };
        let outcome = match &stored {
            Err(reason) => Fetched::Transient(reason.clone()),
            Ok(None) => Fetched::Revoked("the channel was deleted".into()),
            Ok(Some(stored)) if stored.channel.status == ChannelStatus::NeedsReconnect => {
                Fetched::Revoked(
                    stored
                        .channel
                        .status_reason
                        .clone()
                        .unwrap_or_else(|| "the channel needs reconnecting".into()),
                )
            }
            Ok(Some(stored)) => {
                report.fetched += 1;
                let outcome =
                    channels::fetch_counts(store, clock, key, http, stored, &record.platform_id)
                        .await;
                if let Fetched::Revoked(reason) = &outcome {
                    mark_needs_reconnect(store, clock.now(), &entry.channel, reason);
                    if let Some(Ok(Some(cached))) = channels_read.get_mut(&entry.channel) {
                        cached.channel.status = ChannelStatus::NeedsReconnect;
                        cached.channel.status_reason = Some(reason.clone());
                    }
                }
                outcome
            }
        };
        if let Fetched::Transient(reason) = &outcome {
            eprintln!(
                "metrics of post {} on channel {}: {reason}",
                entry.post, entry.channel
            );
        }
        // Dated after the fetch: a slow tick must not file the next fetch behind a cursor an
        // overlapping tick may already have moved.
        match settle(store, clock.now(), entry, bytes, &outcome)? {
            None => report.changed_elsewhere += 1,
            Some(Recorded::Snapshot { finished }) => {
                report.snapshots += 1;
                report.finished += usize::from(finished);
            }
            Some(Recorded::Deleted) => report.deleted += 1,
            Some(Recorded::Revoked) => report.revoked += 1,
            Some(Recorded::NotPermitted) => report.not_permitted += 1,
            Some(Recorded::Retrying) => report.retrying += 1,
            Some(Recorded::StepSkipped { finished }) => {
                report.steps_skipped += 1;
                report.finished += usize::from(finished);
            }
        }
    }
    report.more |= scan.backlog;
    let end = end.max(cursor);
    if end != cursor {
        schedule::advance_cursor(store, Some(cursor_bytes), end)?;
    }
    report.cursor = Some(end);
    Ok(report)
}

/// Marks the channel as needing reconnection, as publishing does (and queues
/// `channel.needs_reconnect`); a failure is logged: the record's state is what matters here.
fn mark_needs_reconnect(store: &dyn KvStore, now: Timestamp, channel: &ChannelId, reason: &str) {
    if let Err(e) = channels::record_status(
        store,
        now,
        channel,
        ChannelStatus::NeedsReconnect,
        Some(reason.to_owned()),
        |_| {},
    ) {
        eprintln!("metrics: failed to mark channel {channel} as needing reconnection: {e}");
    }
}

/// The common reading of an answer that carries no figures: 404/410 gone, 401 revoked (the
/// token itself is refused), 403 not permitted (the token works but may not read this: a
/// missing scope must not demote a channel that still publishes), anything else (5xx, 429,
/// another 4xx, a network failure, a timeout) worth asking again.
pub fn failed_answer(
    platform: &str,
    answer: Result<&crate::social::HttpResponse, &crate::social::HttpFailure>,
) -> Fetched {
    match answer {
        Ok(response) if matches!(response.status, 404 | 410) => Fetched::Gone,
        Ok(response) if response.status == 401 => Fetched::Revoked(format!(
            "{platform} refused the credentials (401): {}",
            channels::platform_message(response)
        )),
        Ok(response) if response.status == 403 => Fetched::NotPermitted(format!(
            "{platform} refused to show the post's figures (403): {}",
            channels::platform_message(response)
        )),
        Ok(response) => Fetched::Transient(format!(
            "{platform} answered {}: {}",
            response.status,
            channels::platform_message(response)
        )),
        Err(failure) => Fetched::Transient(format!("{platform}: {failure}")),
    }
}

/// A count in a JSON answer: a non-negative integer, or 0 when absent (older servers).
pub fn count(value: &serde_json::Value) -> u64 {
    // `as_u64` already refuses negatives and fractions; sums saturate (`Counts::add`).
    value.as_u64().unwrap_or(0)
}

//! The scheduler tick: publishes the posts that are due, exactly once, within a budget.
//!
//! One call:
//! 1. reads the cursor and scans the due index from there to the current minute
//!    ([`due::scan`]: 1 read + 1 batch read of bucket counters + 1 batch read of entries);
//! 2. reads the posts those entries name (1 batch read);
//! 3. for each post still due (its current schedule is the entry's, or a publishing lease ran
//!    out), *claims* it: first an entry in the bucket of the lease's end (so a tick that dies
//!    mid-publication is taken over), then a compare-and-swap of the post document from the
//!    bytes read to `publishing`. Of two overlapping ticks, or a tick and a staff edit, one swap
//!    wins; the loser re-reads and finds the post no longer due (or, after an edit, due with
//!    the new content, which it then claims);
//! 4. publishes each channel not yet published, with an idempotency key per post and channel
//!    (Mastodon `Idempotency-Key`; Bluesky checks for the record first, in `channels`), so even
//!    a takeover after a lost answer cannot publish twice;
//! 5. records the outcome with a compare-and-swap: published (platform ids and URLs), a retry
//!    (exponential backoff with jitter, at least the platform's `Retry-After`, as a new due
//!    entry), or failed (refused content, channel needing reconnection, attempts exhausted);
//!    and sends the lifecycle events. The retry is dated from the clock read *after*
//!    publishing, not when the tick began: a slow tick must not file it in a minute that an
//!    overlapping tick's cursor has already passed;
//! 6. moves the cursor past what it handled (never back; overlapping ticks keep the further),
//!    but not past a slot still being written (reserved, or naming a post whose document is
//!    older than the entry) until [`due::IN_FLIGHT_GRACE_SECS`] have passed: a post being
//!    scheduled while the tick runs is read again by the next tick.
//!
//! A record that cannot be decoded is set aside (`quarantined` in the report, logged) and the
//! tick goes on. The budget bounds entries read, posts published and, re-reading the clock
//! before each claim, the time spent ([`Budget::max_secs`], well inside [`LEASE_SECS`]); what
//! is left waits for the next tick (`more` in the report). With nothing due, a tick costs the same whatever the number of
//! posts scheduled later: 1 read + 1 batch read (+ 1 compare-and-swap when the minute moved).

use std::collections::HashMap;

use serde::Serialize;

use super::due::{self, Cursor, Entry};
use super::{Platform, Post, PostError, PostId, PostState, Schedule, TargetStatus, content};
use crate::clock::{Clock, Timestamp};
use crate::keys;
use crate::social::{ChannelId, LifecycleEvent, PublishOutcome, Quarantined};
use crate::store::KvStore;

/// Attempts per post before its remaining channels fail.
pub const MAX_ATTEMPTS: u32 = 5;
/// First retry delay; doubled at each attempt, up to [`MAX_BACKOFF_SECS`].
pub const BASE_BACKOFF_SECS: i64 = 60;
pub const MAX_BACKOFF_SECS: i64 = 3600;
/// How long a claim holds before another tick may take the post over.
pub const LEASE_SECS: i64 = 600;

/// What one tick may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Due-index entries read.
    pub max_entries: usize,
    /// Posts claimed and published.
    pub max_posts: usize,
    /// Seconds after its start past which the tick claims no more posts (it re-reads the
    /// clock before each claim): the rest waits for the next tick (`more`).
    pub max_secs: i64,
}

/// How long a tick goes on claiming posts: well inside [`LEASE_SECS`], so a tick is over
/// long before a post it claimed could be taken over, even with each outbound call at its
/// total deadline (30 seconds, the component's `http_client`) and a few calls per channel.
pub const TIME_BUDGET_SECS: i64 = 180;

impl Default for Budget {
    /// Sized for a request: each post may take a few outbound calls of a few seconds.
    fn default() -> Self {
        Budget {
            max_entries: 200,
            max_posts: 10,
            max_secs: TIME_BUDGET_SECS,
        }
    }
}

/// What a tick did, returned as JSON by `POST /api/scheduler/tick`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub buckets_read: usize,
    pub entries_read: usize,
    /// Entries whose post was no longer due (rescheduled, edited, cancelled, done).
    pub skipped: usize,
    /// Posts another tick claimed first.
    pub claimed_elsewhere: usize,
    pub published: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Slots whose writer may still be at work (no entry yet, or an entry newer than its
    /// post): the cursor stays before the first of them, so the next tick reads them again.
    pub waiting: usize,
    /// Entries and posts that could not be read: set aside (logged), the tick goes on.
    pub quarantined: Vec<Quarantined>,
    /// True when work is left for the next tick (budget reached or backlog).
    pub more: bool,
    pub cursor: Option<Cursor>,
}

/// Runs one tick (see the module documentation). The clock is read at the start (what is
/// due), again before each claim (the time budget, the lease) and after each publication
/// (a retry's due time), so a slow tick never files anything behind a cursor that an
/// overlapping tick may already have moved.
pub async fn tick(
    store: &dyn KvStore,
    platform: &impl Platform,
    clock: &dyn Clock,
    budget: Budget,
) -> Result<TickReport, PostError> {
    let started = clock.now();
    let mut report = TickReport::default();
    let Some((cursor, cursor_bytes)) = due::read_cursor(store)? else {
        // Nothing was ever scheduled.
        return Ok(report);
    };
    let scan = due::scan(store, cursor, started, budget.max_entries)?;
    report.buckets_read = scan.buckets_read;
    report.entries_read = scan.found.len();

    let mut post_keys: Vec<String> = Vec::new();
    for found in &scan.found {
        if let Some(entry) = &found.entry {
            let key = keys::post(&entry.post);
            if !post_keys.contains(&key) {
                post_keys.push(key);
            }
        }
    }
    let mut docs: HashMap<String, Vec<u8>> = HashMap::new();
    if !post_keys.is_empty() {
        for (key, value) in store.get_many(&post_keys)? {
            if let Some(bytes) = value {
                docs.insert(key, bytes);
            }
        }
    }

    let mut end = scan.end;
    // The first slot that may still be in the middle of its writes: the cursor stays before.
    let mut wait_at: Option<Cursor> = None;
    let mut handled = 0;
    for found in &scan.found {
        let now = clock.now();
        let Some(entry) = &found.entry else {
            if let Some(reason) = &found.corrupt {
                let key = keys::due_entry(found.at.bucket, found.at.slot);
                report.quarantined.push(Quarantined::logged(&key, reason));
            } else if found.may_be_in_flight(now) {
                report.waiting += 1;
                wait_at.get_or_insert(found.at);
            }
            continue;
        };
        let out_of_time = now.unix_seconds() - started.unix_seconds() >= budget.max_secs;
        if handled == budget.max_posts || out_of_time {
            // Resume at this entry next time.
            end = previous(found.at);
            report.more = true;
            break;
        }
        let key = keys::post(&entry.post);
        // The batch read serves each post's first entry; a later entry of the same post (its
        // lease entry after downtime, say) reads the post again, as this tick may have
        // changed it.
        let bytes = match docs.remove(&key) {
            Some(bytes) => bytes,
            None => match store.get(&key)? {
                Some(bytes) => bytes,
                None => {
                    report.skipped += 1;
                    continue;
                }
            },
        };
        match claim(store, now, entry, bytes)? {
            Claim::NotDue => report.skipped += 1,
            Claim::Ahead if found.may_be_in_flight(now) => {
                report.waiting += 1;
                wait_at.get_or_insert(found.at);
            }
            Claim::Ahead => report.skipped += 1,
            Claim::Lost => report.claimed_elsewhere += 1,
            Claim::Corrupt(reason) => report.quarantined.push(Quarantined::logged(&key, reason)),
            Claim::Won(won) => {
                let (post, bytes) = *won;
                handled += 1;
                let post = publish_claimed(store, platform, clock, post, bytes).await?;
                match post.state {
                    PostState::Published { .. } => report.published += 1,
                    PostState::Scheduled => report.retrying += 1,
                    _ => report.failed += 1,
                }
            }
        }
    }
    if let Some(at) = wait_at {
        end = end.min(previous(at));
    }
    report.more |= scan.backlog;
    due::advance_cursor(store, Some(cursor_bytes), end.max(cursor))?;
    report.cursor = Some(end.max(cursor));
    Ok(report)
}

/// The position just before `at`, so the next scan starts at `at`.
fn previous(at: Cursor) -> Cursor {
    if at.slot > 1 {
        Cursor {
            bucket: at.bucket,
            slot: at.slot - 1,
        }
    } else {
        // Slot 0 of the same bucket: the whole bucket is read again, from slot 1.
        Cursor {
            bucket: at.bucket,
            slot: 0,
        }
    }
}

enum Claim {
    NotDue,
    /// The entry is newer than the post document: its writer has not swapped the document
    /// yet (or died before it).
    Ahead,
    /// The post document does not decode.
    Corrupt(String),
    /// Another tick (or an edit) changed the post and it is no longer due.
    Lost,
    Won(Box<(Post, Vec<u8>)>),
}

/// Claims the post of `entry` if it is due: lease entry, then compare-and-swap to
/// `publishing`; on a concurrent change, re-reads and decides again.
fn claim(
    store: &dyn KvStore,
    now: Timestamp,
    entry: &Entry,
    mut bytes: Vec<u8>,
) -> Result<Claim, PostError> {
    let key = keys::post(&entry.post);
    let mut lease_written = false;
    let mut changed = false;
    for _ in 0..super::CAS_ATTEMPTS {
        let post: Post = match super::decode(&key, &bytes) {
            Ok(post) => post,
            Err(e) => return Ok(Claim::Corrupt(e.to_string())),
        };
        if !post.is_due(entry.seq, now) {
            let current_seq = post.schedule.as_ref().map_or(0, |s| s.seq);
            return Ok(if entry.seq > current_seq {
                Claim::Ahead
            } else if changed {
                Claim::Lost
            } else {
                Claim::NotDue
            });
        }
        let lease_until = due::ceil_minute(at_offset(now, LEASE_SECS));
        if !lease_written {
            due::add(store, lease_until, &post.id, entry.seq)?;
            lease_written = true;
        }
        let mut claimed = post;
        claimed.state = PostState::Publishing { lease_until };
        claimed.attempts += 1;
        if super::swap(store, &bytes, &mut claimed, now)? {
            let stored = crate::store::to_json(&key, &claimed)?;
            return Ok(Claim::Won(Box::new((claimed, stored))));
        }
        changed = true;
        match store.get(&key)? {
            Some(current) => bytes = current,
            None => return Ok(Claim::Lost),
        }
    }
    Ok(Claim::Lost)
}

fn at_offset(t: Timestamp, secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(t.unix_seconds() + secs).unwrap_or(t)
}

/// The delay before retry number `attempt` (1 = first retry): exponential, with "equal
/// jitter" (half fixed, half spread) derived from the post id so that posts failing together
/// do not all come back in the same minute; at least the platform's `Retry-After`.
pub fn backoff_secs(post: &PostId, attempt: u32, retry_after: Option<u64>) -> i64 {
    let exp = BASE_BACKOFF_SECS
        .saturating_mul(1i64 << attempt.saturating_sub(1).min(20))
        .min(MAX_BACKOFF_SECS);
    let half = exp / 2;
    // FNV-1a over the id and the attempt: deterministic (testable), different per post.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in post.as_str().bytes().chain(attempt.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let jitter = i64::try_from(hash % (half.max(1) as u64 + 1)).unwrap_or(0);
    let delay = half + jitter;
    let floor = retry_after.map_or(0, |s| i64::try_from(s).unwrap_or(i64::MAX));
    delay.max(floor).min(24 * 3600)
}

/// The idempotency key of one post on one channel: the same for every attempt, so a platform
/// that already has the post (a retry after a lost answer) does not publish it again.
pub fn idempotency_key(post: &PostId, channel: &ChannelId) -> String {
    format!("kiosque-{post}-{channel}")
}

/// Publishes a claimed post's pending channels and records the outcome.
async fn publish_claimed(
    store: &dyn KvStore,
    platform: &impl Platform,
    clock: &dyn Clock,
    post: Post,
    bytes: Vec<u8>,
) -> Result<Post, PostError> {
    let mut results: Vec<(ChannelId, PublishOutcome)> = Vec::new();
    for target in &post.targets {
        if !matches!(target.status, TargetStatus::Pending { .. }) {
            continue;
        }
        let outcome = platform
            .publish(
                &target.channel,
                &post.content_for(target),
                &idempotency_key(&post.id, &target.channel),
            )
            .await;
        results.push((target.channel.clone(), outcome));
    }
    // Publishing may have taken minutes: the outcome (a retry's due time above all) is dated
    // from now, not from the claim, or the retry could land in a minute the cursor has passed.
    record(store, platform, clock.now(), post, bytes, &results)
}

/// Applies `results` to the claimed post and writes it back, retrying over a concurrent
/// change (only a takeover after the lease can make one); sends the events once written.
fn record(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    mut post: Post,
    mut bytes: Vec<u8>,
    results: &[(ChannelId, PublishOutcome)],
) -> Result<Post, PostError> {
    let key = keys::post(&post.id);
    for _ in 0..super::CAS_ATTEMPTS {
        let (mut updated, events, retry) = apply(post.clone(), now, results);
        if let Some(schedule) = &retry {
            due::add(store, schedule.due_at, &updated.id, schedule.seq)?;
        }
        if super::swap(store, &bytes, &mut updated, now)? {
            for event in events {
                super::notify_logged(platform, event);
            }
            count_published_in_campaign(store, &post, &updated, now);
            track_published(store, platform, &post, &updated, now);
            return Ok(updated);
        }
        let Some(current) = store.get(&key)? else {
            return Err(PostError::NotFound);
        };
        post = super::decode(&key, &current)?;
        bytes = current;
    }
    Err(PostError::Busy)
}

/// The post after this attempt's `results`, the events to send, and the retry schedule if
/// some channels must be tried again.
fn apply(
    mut post: Post,
    now: Timestamp,
    results: &[(ChannelId, PublishOutcome)],
) -> (Post, Vec<LifecycleEvent>, Option<Schedule>) {
    let mut events = Vec::new();
    let mut retry_after: Option<u64> = None;
    let mut retry_wanted = false;
    let out_of_attempts = post.attempts >= MAX_ATTEMPTS;
    let post_id = post.id.to_string();
    for (channel, outcome) in results {
        let Some(target) = post.targets.iter_mut().find(|t| t.channel == *channel) else {
            continue;
        };
        if matches!(target.status, TargetStatus::Published { .. }) {
            continue;
        }
        let failed = |reason: String, events: &mut Vec<LifecycleEvent>| {
            events.push(LifecycleEvent::PostFailed {
                post_id: post_id.clone(),
                channel_id: channel.clone(),
                reason: reason.clone(),
            });
            TargetStatus::Failed { reason }
        };
        target.status = match outcome {
            PublishOutcome::Published { platform_id, url } => {
                events.push(LifecycleEvent::PostPublished {
                    post_id: post_id.clone(),
                    channel_id: channel.clone(),
                    platform_id: platform_id.clone(),
                    url: url.clone(),
                });
                TargetStatus::Published {
                    platform_id: platform_id.clone(),
                    url: url.clone(),
                    at: now,
                }
            }
            PublishOutcome::Refused { message } => {
                failed(format!("refused by the platform: {message}"), &mut events)
            }
            // `channels::publish` marks the channel and sends `channel.needs_reconnect`.
            PublishOutcome::NeedsReconnect { reason } => failed(
                format!("the channel needs reconnecting: {reason}"),
                &mut events,
            ),
            PublishOutcome::RetryLater {
                reason,
                retry_after_secs,
            } => {
                if out_of_attempts {
                    failed(
                        format!("gave up after {} attempts: {reason}", post.attempts),
                        &mut events,
                    )
                } else {
                    retry_wanted = true;
                    retry_after = retry_after.max(*retry_after_secs);
                    TargetStatus::Pending {
                        last_error: Some(reason.clone()),
                    }
                }
            }
        };
    }
    let mut retry = None;
    if retry_wanted {
        let delay = backoff_secs(&post.id, post.attempts, retry_after);
        let due_at = due::ceil_minute(at_offset(now, delay));
        if let Some(schedule) = &mut post.schedule {
            schedule.seq += 1;
            schedule.due_at = due_at;
            retry = Some(schedule.clone());
        }
        post.state = PostState::Scheduled;
    } else if post
        .targets
        .iter()
        .all(|t| matches!(t.status, TargetStatus::Published { .. }))
    {
        post.state = PostState::Published { at: now };
    } else {
        let reasons: Vec<String> = post
            .targets
            .iter()
            .filter_map(|t| match &t.status {
                TargetStatus::Failed { reason } => Some(format!("{}: {reason}", t.channel)),
                _ => None,
            })
            .collect();
        post.state = PostState::Failed {
            reason: reasons.join("; "),
        };
    }
    (post, events, retry)
}

/// Publishes a post now, from the staff API: a draft, a scheduled post or a failed one (its
/// failed channels are tried again, published ones are kept). Checked against its channels
/// first (422). Claimed like a tick claims, so a tick running at the same moment cannot
/// publish it too.
pub async fn publish_now(
    store: &dyn KvStore,
    platform: &impl Platform,
    clock: &dyn Clock,
    id: &PostId,
    default_zone: crate::zone::Zone,
) -> Result<Post, PostError> {
    for _ in 0..super::CAS_ATTEMPTS {
        if let Some((post, stored)) = claim_now(store, platform, clock.now(), id, default_zone)? {
            return publish_claimed(store, platform, clock, post, stored).await;
        }
    }
    Err(PostError::Busy)
}

/// Claims a post for [`publish_now`]; `Ok(None)` when it changed since it was read.
fn claim_now(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    id: &PostId,
    default_zone: crate::zone::Zone,
) -> Result<Option<(Post, Vec<u8>)>, PostError> {
    let (mut post, bytes) = super::get_raw(store, id)?;
    let before = post.clone();
    match post.state {
        PostState::Draft | PostState::Scheduled | PostState::Failed { .. } => {}
        ref other => {
            return Err(PostError::WrongState {
                state: other.name().as_str(),
                action: "published now",
            });
        }
    }
    reset_failed(&mut post);
    let problems = content::validate_for_channels(platform, &post)?;
    if !problems.is_empty() {
        return Err(PostError::Invalid(problems));
    }
    let seq = post.schedule.as_ref().map_or(0, |s| s.seq) + 1;
    let zone = post.schedule.as_ref().map_or(default_zone, |s| s.zone);
    let local = zone.local(now).local;
    let lease_until = due::ceil_minute(at_offset(now, LEASE_SECS));
    due::ensure_cursor(store, now)?;
    due::add(store, lease_until, id, seq)?;
    super::listing::add_to_day(store, &local.date(), id, seq)?;
    post.schedule = Some(Schedule {
        zone,
        local,
        due_at: now,
        seq,
        day: local.date(),
    });
    post.state = PostState::Publishing { lease_until };
    post.attempts += 1;
    if !super::swap(store, &bytes, &mut post, now)? {
        return Ok(None);
    }
    super::schedule::release_after(store, &before);
    let stored = crate::store::to_json(&keys::post(id), &post)?;
    Ok(Some((post, stored)))
}

/// A failed post tried again: its failed channels become pending, published ones stay.
pub(crate) fn reset_failed(post: &mut Post) {
    if let PostState::Failed { .. } = post.state {
        for target in &mut post.targets {
            if let TargetStatus::Failed { .. } = target.status {
                target.status = TargetStatus::Pending { last_error: None };
            }
        }
        post.attempts = 0;
    }
}

/// Starts following the figures of each target this attempt published
/// (`analytics::metrics::track`; webhook channels are not tracked). A failure is logged, never
/// returned: the publication is done and must not be retried for its statistics.
fn track_published(
    store: &dyn KvStore,
    platform: &impl Platform,
    before: &Post,
    after: &Post,
    now: Timestamp,
) {
    for target in &after.targets {
        let TargetStatus::Published {
            platform_id, url, ..
        } = &target.status
        else {
            continue;
        };
        let was_published = before.targets.iter().any(|t| {
            t.channel == target.channel && matches!(t.status, TargetStatus::Published { .. })
        });
        if was_published {
            continue;
        }
        let Some(kind) = platform.channel_kind(&target.channel) else {
            continue;
        };
        if let Err(e) = crate::analytics::metrics::track(
            store,
            now,
            after,
            &target.channel,
            kind,
            platform_id,
            url,
        ) {
            eprintln!(
                "failed to track the figures of post {} on channel {}: {e}",
                after.id, target.channel
            );
        }
    }
}

/// Counts a campaign's post as published on the day it first went out on a channel: called
/// by the tick with the post `before` and `after` one publishing attempt. A failure is logged,
/// never returned: the publication is done and must not be retried for a counter.
pub(crate) fn count_published_in_campaign(
    store: &dyn KvStore,
    before: &Post,
    after: &Post,
    now: Timestamp,
) {
    let out = |post: &Post| {
        post.targets
            .iter()
            .any(|t| matches!(t.status, TargetStatus::Published { .. }))
    };
    if out(before) || !out(after) {
        return;
    }
    let Some(campaign) = after.campaign.as_deref() else {
        return;
    };
    let Ok(campaign) = crate::campaigns::CampaignId::parse(campaign) else {
        return;
    };
    let day = chrono::DateTime::from_timestamp(now.unix_seconds(), 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    if let Err(e) =
        crate::campaigns::engagement::record_post(store, &campaign, day, &after.campaign_hashtags)
    {
        eprintln!("failed to count post {} in its campaign: {e}", after.id);
    }
}

//! Each published post's figures on its network, fetched by the cron's tick on a schedule that
//! thins out with the post's age.
//!
//! When the tick records a target `Published` (`posts::tick`), [`track`] writes the record
//! `post-metrics/{post}/{channel}` ([`PostMetrics`]: state `Active`, empty history), appends
//! `{post, channel}` to the day's index of publications and to the campaign's, and files the
//! first fetch. Fetches are due [`STEPS`] hours after publication (1 h, 6 h, 24 h, 3 days,
//! 7 days, 30 days), each filed in the hourly due index of [`schedule`]; the tick's
//! [`fetch::fetch_due`] reads the buckets whose hour has begun, within a budget, asks the
//! network and appends a [`Snapshot`] (at most one per step, so at most 6).
//!
//! Index entries are hints, the record is the truth: the record names the one fetch it waits
//! for (`next`: a step and an attempt), and an entry that is not that one is skipped. Records
//! are rewritten only by compare-and-swap, re-read and re-decided on a conflict, so two
//! overlapping ticks never add one snapshot twice. Entries are written before the record that
//! names them, and always at least an hour ahead, so a bucket whose hour has begun gets no new
//! entry and the tick's cursor can pass it for good.
//!
//! A post the network says is gone becomes `Deleted`, a refused token `AccessRevoked`: no more
//! fetches for either. Only a token the network refuses outright (Mastodon 401, Graph 190/102,
//! a Bluesky session that cannot be opened) also marks the channel as needing reconnection; a
//! token that works but lacks a read permission (Mastodon 403 without `read:statuses`, Graph
//! 10 or 200-299) stops that record (`AccessRevoked` with the reason) and leaves the channel
//! connected, since it still publishes. A transient failure (5xx, 429, a timeout) files the same step an hour
//! later, at most [`MAX_RETRIES`] times; then the step is skipped.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{AnalyticsError, Day, days_between};
use crate::campaigns::CampaignId;
use crate::clock::Timestamp;
use crate::keys;
use crate::posts::{Post, PostId, TargetStatus};
use crate::social::{ChannelId, ChannelKind};
use crate::store::{self, KvStore, StoreError};

pub mod fetch;
pub mod schedule;

#[cfg(test)]
mod tests;

pub use fetch::{FetchBudget, MetricsReport, fetch_due};

/// When a post's figures are fetched, in hours after its publication.
pub const STEPS: [u32; 6] = [1, 6, 24, 72, 168, 720];

/// Times a step is filed again after a transient failure before it is skipped.
pub const MAX_RETRIES: u32 = 3;

/// The characters of a post's text kept as its excerpt.
pub const EXCERPT_CHARS: usize = 100;

/// The longest range of days [`published_between`] reads (a quarter).
pub const MAX_RANGE_DAYS: i64 = 92;

/// Records a reader returns at most: the first ones of the range (or of the campaign), so one
/// read stays bounded whatever the number of posts.
pub const MAX_RECORDS: usize = 2000;

/// A post's figures on one network at one moment. `reach` and `impressions` only where the
/// network gives them (Facebook, Instagram); `None` means "not given", never zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    pub quotes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impressions: Option<u64>,
}

impl Counts {
    /// Likes + reposts + replies + quotes. The figures come from the networks' JSON, so any
    /// of them may be huge: sums saturate rather than overflow (a panic in debug builds).
    pub fn engagement(&self) -> u64 {
        self.likes
            .saturating_add(self.reposts)
            .saturating_add(self.replies)
            .saturating_add(self.quotes)
    }

    /// Adds `other` (reach and impressions stay `None` only when both are), saturating.
    pub fn add(&mut self, other: &Counts) {
        self.likes = self.likes.saturating_add(other.likes);
        self.reposts = self.reposts.saturating_add(other.reposts);
        self.replies = self.replies.saturating_add(other.replies);
        self.quotes = self.quotes.saturating_add(other.quotes);
        self.reach = sum_given(self.reach, other.reach);
        self.impressions = sum_given(self.impressions, other.impressions);
    }
}

fn sum_given(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

/// One fetch of a post's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub at: Timestamp,
    /// Hours after publication this fetch was scheduled for (1, 6, 24, 72, 168, 720).
    pub after_hours: u32,
    pub counts: Counts,
}

/// Whether a post's figures are still fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FetchState {
    /// More fetches are scheduled.
    Active,
    /// Every scheduled fetch is done.
    Finished,
    /// The network says the post no longer exists: no more fetches.
    Deleted { at: Timestamp },
    /// The channel's token was refused (the channel needs reconnecting), or it lacks the
    /// permission to read figures (the reason says which; the channel stays connected): no
    /// more fetches.
    AccessRevoked { at: Timestamp, reason: String },
}

/// A published post's figures on one channel, as stored (one small document per post and
/// channel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostMetrics {
    pub post: PostId,
    pub channel: ChannelId,
    pub kind: ChannelKind,
    /// The post's address on the network.
    pub url: String,
    pub published_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignId>,
    /// The first characters of the post's text, for lists of top posts.
    pub excerpt: String,
    /// Oldest first, at most one per scheduled fetch.
    pub history: Vec<Snapshot>,
    #[serde(flatten)]
    pub state: FetchState,
    /// The post's id on the network (Mastodon status id, Bluesky `at://` URI, Graph id).
    #[serde(default)]
    pub platform_id: String,
    /// The one fetch the record waits for; `None` once nothing more is scheduled. An index
    /// entry for any other step or attempt is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NextFetch>,
}

/// The fetch a record waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextFetch {
    /// The step (one of [`STEPS`]).
    pub after_hours: u32,
    /// 0 the first time, then 1..=[`MAX_RETRIES`] after transient failures.
    pub attempt: u32,
    pub due_at: Timestamp,
}

/// A tracked publication, as the day and campaign indexes hold it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tracked {
    pub post: PostId,
    pub channel: ChannelId,
}

impl PostMetrics {
    /// The latest figures (zero before the first fetch).
    pub fn latest(&self) -> Counts {
        self.history
            .last()
            .map(|snapshot| snapshot.counts.clone())
            .unwrap_or_default()
    }
}

/// The first [`EXCERPT_CHARS`] characters of `text` (cut on a character boundary), its
/// whitespace folded, with an ellipsis when cut.
pub fn excerpt(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = folded.chars();
    let kept: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{}…", kept.trim_end())
    } else {
        kept
    }
}

/// The UTC day of an instant, `YYYY-MM-DD`.
fn day_of(t: Timestamp) -> String {
    t.date()
}

/// Starts following a publication's figures: called by the tick once a target is recorded
/// `Published`. Writes the indexes first, then the record that they name (an index entry
/// without its record is skipped by the readers): the cursor check (1 read, + 1 swap the first
/// time ever), the first fetch's due entry (1 increment and 1 set), the day's index (1
/// increment and 1 set), the campaign's when the post has one (1 increment and 1 set), the
/// record (1 set).
/// Webhook channels have no figures to fetch and are not tracked.
pub fn track(
    store: &dyn KvStore,
    now: Timestamp,
    post: &Post,
    channel: &ChannelId,
    kind: ChannelKind,
    platform_id: &str,
    url: &str,
) -> Result<(), AnalyticsError> {
    if kind == ChannelKind::Webhook {
        return Ok(());
    }
    let campaign = post
        .campaign
        .as_deref()
        .and_then(|c| CampaignId::parse(c).ok());
    let tracked = Tracked {
        post: post.id.clone(),
        channel: channel.clone(),
    };
    schedule::ensure_cursor(store, now)?;
    let next = schedule::first(now);
    schedule::add(store, now, &tracked, next)?;
    let day = day_of(now);
    append(
        store,
        &keys::metrics_day_seq(&day),
        |n| keys::metrics_day_entry(&day, n),
        &tracked,
    )?;
    if let Some(campaign) = &campaign {
        append(
            store,
            &keys::metrics_campaign_seq(campaign),
            |n| keys::metrics_campaign_entry(campaign, n),
            &tracked,
        )?;
    }
    let record = PostMetrics {
        post: post.id.clone(),
        channel: channel.clone(),
        kind,
        url: url.to_owned(),
        published_at: now,
        campaign,
        excerpt: excerpt(&post.content.text),
        history: Vec::new(),
        state: FetchState::Active,
        platform_id: platform_id.to_owned(),
        next: Some(next),
    };
    store.set_json(&keys::post_metrics(&post.id, channel), &record)?;
    Ok(())
}

/// Appends `tracked` to a numbered-slot list: 1 increment + 1 set.
fn append(
    store: &dyn KvStore,
    seq_key: &str,
    slot_key: impl Fn(u64) -> String,
    tracked: &Tracked,
) -> Result<(), StoreError> {
    let n = crate::posts::due::slot_number(store.increment(seq_key, 1)?, seq_key)?;
    store.set_json(&slot_key(n), tracked)
}

/// The figures of `post` on each of its channels that has some (1 batch read of the records
/// its published targets name; none when nothing was published).
pub fn for_post(store: &dyn KvStore, post: &Post) -> Result<Vec<PostMetrics>, AnalyticsError> {
    let keys_of: Vec<String> = post
        .targets
        .iter()
        .filter(|t| matches!(t.status, TargetStatus::Published { .. }))
        .map(|t| keys::post_metrics(&post.id, &t.channel))
        .collect();
    read_records(store, &keys_of)
}

/// What a range or campaign reader gives: the records it read, and whether the index named
/// more than [`MAX_RECORDS`] (then some are left out, and a report must say its figures are
/// incomplete, as [`super::audience::Views::truncated`] does for pages).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostRecords {
    pub records: Vec<PostMetrics>,
    pub truncated: bool,
}

/// The figures of every post published from `from` to `to` (UTC days, both included): 3 batch
/// reads (the days' counters, their entries, the records), at most [`MAX_RANGE_DAYS`] days
/// (longer is [`AnalyticsError::Invalid`]) and [`MAX_RECORDS`] records, oldest first.
pub fn published_between(
    store: &dyn KvStore,
    from: Day,
    to: Day,
) -> Result<PostRecords, AnalyticsError> {
    if to < from {
        return Err(AnalyticsError::Invalid(format!(
            "range: {to} is before {from}"
        )));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(AnalyticsError::Invalid(format!(
            "range: at most {MAX_RANGE_DAYS} days, got {} to {}",
            from, to
        )));
    }
    let days: Vec<String> = days_between(from, to)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let seq_keys: Vec<String> = days.iter().map(|d| keys::metrics_day_seq(d)).collect();
    let counts = store::read_counters(store, &seq_keys)?;
    let mut slots = Vec::new();
    let mut truncated = false;
    'days: for (day, count) in days.iter().zip(counts) {
        for n in 1..=u64::try_from(count).unwrap_or(0) {
            if slots.len() == MAX_RECORDS {
                truncated = true;
                break 'days;
            }
            slots.push(keys::metrics_day_entry(day, n));
        }
    }
    Ok(PostRecords {
        records: records_of_slots(store, &slots)?,
        truncated,
    })
}

/// The figures of every post of `campaign`, in order of publication: 3 batch reads (the
/// counter, the entries, the records), at most the [`MAX_RECORDS`] latest.
pub fn for_campaign(
    store: &dyn KvStore,
    campaign: &CampaignId,
) -> Result<PostRecords, AnalyticsError> {
    let seq_key = keys::metrics_campaign_seq(campaign);
    let count = store::read_counters(store, std::slice::from_ref(&seq_key))?
        .first()
        .map_or(0, |&c| u64::try_from(c).unwrap_or(0));
    let first = count.saturating_sub(MAX_RECORDS as u64) + 1;
    let slots: Vec<String> = (first..=count)
        .map(|n| keys::metrics_campaign_entry(campaign, n))
        .collect();
    Ok(PostRecords {
        records: records_of_slots(store, &slots)?,
        truncated: first > 1,
    })
}

/// The records named by index slots, in slot order, each publication once: 2 batch reads.
/// A slot not written yet (its writer in flight or dead) or unreadable is passed.
fn records_of_slots(
    store: &dyn KvStore,
    slots: &[String],
) -> Result<Vec<PostMetrics>, AnalyticsError> {
    let mut found = found_values(store, slots)?;
    let mut seen = HashSet::new();
    let mut record_keys = Vec::new();
    for slot in slots {
        let Some(bytes) = found.remove(slot) else {
            continue;
        };
        match store::from_json::<Tracked>(slot, &bytes) {
            Ok(tracked) if seen.insert(tracked.clone()) => {
                record_keys.push(keys::post_metrics(&tracked.post, &tracked.channel));
            }
            Ok(_) => {}
            Err(e) => eprintln!("metrics index: {e}"),
        }
    }
    read_records(store, &record_keys)
}

/// The records under `record_keys` that exist, in that order: 1 batch read. One that does not
/// decode is logged and left out, so one bad record never hides a report.
fn read_records(
    store: &dyn KvStore,
    record_keys: &[String],
) -> Result<Vec<PostMetrics>, AnalyticsError> {
    let mut found = found_values(store, record_keys)?;
    let mut records = Vec::new();
    for key in record_keys {
        if let Some(bytes) = found.remove(key) {
            match store::from_json::<PostMetrics>(key, &bytes) {
                Ok(record) => records.push(record),
                Err(e) => eprintln!("metrics record: {e}"),
            }
        }
    }
    Ok(records)
}

/// The values of `keys` that exist, by key: 1 batch read, none for no keys.
fn found_values(
    store: &dyn KvStore,
    keys: &[String],
) -> Result<HashMap<String, Vec<u8>>, StoreError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(store
        .get_many(keys)?
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect())
}

//! Following the active campaigns' hashtags where no webhook exists, from the scheduler tick:
//! Mastodon's tag timeline on each Mastodon channel's server (`GET
//! /api/v1/timelines/tag/:tag?min_id=...`) and Bluesky's post search through each Bluesky
//! channel's PDS (`app.bsky.feed.searchPosts?q=#tag&tag=tag&sort=latest&since=...`, with the
//! channel's cached session: Bluesky's public AppView refuses unauthenticated searches).
//!
//! Each (channel, hashtag) pair keeps a cursor ([`FollowCursor`], `keys::follow_cursor`):
//! - Mastodon: `min_id`, the newest status seen. With it the server answers the statuses just
//!   after it, oldest page first, so moving the cursor to the newest of each page walks
//!   forward without gaps; the `Link` header's `rel="prev"` names the next `min_id`.
//! - Bluesky: `since`, the newest `indexedAt` seen. Search answers newest first; while a page
//!   comes back full, its `cursor` is kept and the next call pages on towards `since`, and
//!   only when that catch-up is over does `since` move. The posts at exactly `since` are
//!   remembered, because `since` is inclusive.
//!
//! The first look at a pair takes the latest page only: following starts when the campaign
//! does, it does not dig out the past.
//!
//! Budget per tick ([`FollowBudget`]): a fixed number of platform requests, each asking for at
//! most the mentions left in the budget, started within a time limit, and none to a channel
//! whose server already failed in this tick, so the work and the store calls of one tick are
//! bounded whatever the number of campaigns, channels or stored mentions. Pairs are taken in
//! turn (`keys::follow_rotation`), so a small budget still reaches every pair over a few
//! ticks. Posts are never stored twice: `receive_mention` ignores a platform id it has.
//!
//! Store calls per tick: 1 read (active hashtags); when some are active, 3 (channel list:
//! 1 counter read, 2 batch reads) + 1 increment (rotation) + 1 batch read (cursors) + per
//! request 1 read (the channel, once per channel) + for Bluesky 1 session read (and 1 write
//! when renewed) + 1 write (cursor, when it moved) + `receive_mention` per post found.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::mastodon::{https, media_alt, status_mention, truncate};
use super::text;
use crate::campaigns::{CampaignError, Mention, MentionPlatform, active_campaign_hashtags};
use crate::channels::{self, ChannelStatus, CredentialKey, StoredChannel};
use crate::clock::{Clock, Timestamp};
use crate::hashtag::Hashtag;
use crate::keys;
use crate::social::{ChannelId, ChannelKind, HttpClient, HttpResponse, PublishOutcome};
use crate::store::{KvStore, StoreError};

/// What one tick may spend on following.
#[derive(Debug, Clone, Copy)]
pub struct FollowBudget {
    /// Platform requests (one per (channel, hashtag) pair visited).
    pub requests: usize,
    /// Posts read from the platforms, all requests together.
    pub mentions: usize,
    /// Seconds the following may take: no new request starts after that, so a slow platform
    /// (each request may wait up to `platform_timeout_secs`) cannot hold the tick.
    pub seconds: i64,
}

impl Default for FollowBudget {
    fn default() -> Self {
        FollowBudget {
            requests: 6,
            mentions: 60,
            seconds: 20,
        }
    }
}

/// Mastodon answers at most 40 statuses per page, Bluesky's search 100; we ask for fewer.
const MAX_PAGE: usize = 40;

/// What a tick's following did (in the tick's JSON report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FollowReport {
    /// Active campaign hashtags.
    pub hashtags: usize,
    /// (channel, hashtag) pairs to follow, and how many were visited this tick.
    pub pairs: usize,
    pub requests: usize,
    /// Posts read, and the filings of new mentions under campaigns.
    pub posts: usize,
    pub filed: usize,
    /// Requests that failed (network, timeout, 5xx, 429, refused credentials): retried on a
    /// later tick from the same cursor.
    pub failures: usize,
    /// Some pairs were not visited, or a page came back full: more next tick.
    pub more: bool,
}

/// Where following one hashtag on one channel resumes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowCursor {
    /// Mastodon: the newest status id seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_id: Option<String>,
    /// Bluesky: the newest `indexedAt` fully read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Bluesky: the post URIs indexed exactly at `since` (the search's `since` is inclusive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen_at_since: Vec<String>,
    /// Bluesky, while catching up on a full page: the search's own cursor, and the newest
    /// `indexedAt` of the catch-up (which becomes `since` when it is over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
}

/// The cursor key of a pair: the hashtag's folded form, hashed so any tag fits in a key.
fn cursor_key(channel: &ChannelId, tag: &Hashtag) -> String {
    let digest = Sha256::digest(tag.folded().as_bytes());
    keys::follow_cursor(channel, &hex::encode(&digest[..16]))
}

/// Percent-encodes a path segment or query value (hashtags may carry accents).
fn escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One tick of following (see the module comment). Store failures are returned; a platform
/// failure only counts in the report and leaves that pair's cursor where it was.
pub async fn follow(
    store: &dyn KvStore,
    clock: &dyn Clock,
    key: &CredentialKey,
    http: &impl HttpClient,
    budget: FollowBudget,
) -> Result<FollowReport, CampaignError> {
    let mut report = FollowReport::default();
    let mut tags: Vec<Hashtag> = Vec::new();
    for (_, campaign_tags) in active_campaign_hashtags(store, clock)? {
        for tag in campaign_tags {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    report.hashtags = tags.len();
    if tags.is_empty() || budget.requests == 0 {
        return Ok(report);
    }
    let channels = channels::list(store).map_err(channel_error)?;
    let mut pairs: Vec<(ChannelId, Hashtag)> = Vec::new();
    for channel in &channels {
        let followable = matches!(channel.kind, ChannelKind::Mastodon | ChannelKind::Bluesky)
            && channel.status != ChannelStatus::NeedsReconnect;
        if followable {
            pairs.extend(tags.iter().map(|t| (channel.id.clone(), t.clone())));
        }
    }
    report.pairs = pairs.len();
    if pairs.is_empty() {
        return Ok(report);
    }
    // Each tick starts where the previous one stopped.
    let turn = store.increment(&keys::follow_rotation(), 1)?;
    let visits = budget.requests.min(pairs.len());
    let start = usize::try_from(turn.max(1) - 1).unwrap_or(0) * budget.requests % pairs.len();
    let chosen: Vec<&(ChannelId, Hashtag)> = (0..visits)
        .map(|i| &pairs[(start + i) % pairs.len()])
        .collect();
    report.more = visits < pairs.len();

    let cursor_keys: Vec<String> = chosen.iter().map(|(c, t)| cursor_key(c, t)).collect();
    let mut cursors: std::collections::HashMap<String, Vec<u8>> = store
        .get_many(&cursor_keys)?
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();

    let mut stored_channels: Vec<StoredChannel> = Vec::new();
    // A channel whose server failed is not asked again in this tick: its next hashtag
    // would most likely wait for the same timeout.
    let mut failed_channels: Vec<ChannelId> = Vec::new();
    let mut mentions_left = budget.mentions;
    let started = clock.now().unix_seconds();
    for ((channel_id, tag), cursor_key) in chosen.into_iter().zip(cursor_keys) {
        let out_of_time = clock.now().unix_seconds() - started >= budget.seconds;
        if mentions_left == 0 || out_of_time {
            report.more = true;
            break;
        }
        if failed_channels.contains(channel_id) {
            report.more = true;
            continue;
        }
        let cursor: FollowCursor = match cursors.remove(&cursor_key) {
            Some(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            None => FollowCursor::default(),
        };
        let stored = match stored_channels.iter().find(|s| &s.channel.id == channel_id) {
            Some(stored) => stored.clone(),
            None => match channels::get_stored(store, channel_id) {
                Ok(stored) => {
                    stored_channels.push(stored.clone());
                    stored
                }
                Err(channels::ChannelError::NotFound) => continue,
                Err(e) => return Err(channel_error(e)),
            },
        };
        let limit = mentions_left.min(MAX_PAGE);
        report.requests += 1;
        let page = match stored.channel.kind {
            ChannelKind::Mastodon => {
                let path = mastodon_path(tag, &cursor, limit);
                let answer = channels::read(store, clock, key, http, &stored, &path).await;
                answer.and_then(|r| mastodon_page(&r, &cursor, clock.now(), limit))
            }
            _ => {
                let path = bluesky_path(tag, &cursor, limit);
                let answer = channels::read(store, clock, key, http, &stored, &path).await;
                answer.and_then(|r| bluesky_page(&r, &cursor, clock.now(), limit))
            }
        };
        let page = match page {
            Ok(page) => page,
            Err(outcome) => {
                report.failures += 1;
                failed_channels.push(channel_id.clone());
                eprintln!(
                    "following #{tag} on channel {channel_id}: {}",
                    failure_reason(&outcome)
                );
                continue;
            }
        };
        report.posts += page.read;
        mentions_left = mentions_left.saturating_sub(page.read.max(1));
        report.more |= page.full;
        let mut in_flight = false;
        for mention in &page.mentions {
            let received = crate::campaigns::receive_mention(store, clock, mention)?;
            report.filed += received.filed.len();
            in_flight |= received.in_flight;
        }
        // The cursor moves only once every post of the page is filed: a failure above, or a
        // post another request is still filing, leaves it, and the next tick reads the page
        // again (receive_mention dedupes).
        if page.cursor != cursor && !in_flight {
            store.set_json(&cursor_key, &page.cursor)?;
        }
    }
    Ok(report)
}

fn channel_error(error: channels::ChannelError) -> CampaignError {
    match error {
        channels::ChannelError::Storage(e) => CampaignError::Storage(e),
        other => CampaignError::Storage(StoreError::Backend(other.to_string())),
    }
}

fn failure_reason(outcome: &PublishOutcome) -> String {
    match outcome {
        PublishOutcome::RetryLater { reason, .. } | PublishOutcome::NeedsReconnect { reason } => {
            reason.clone()
        }
        PublishOutcome::Refused { message } => message.clone(),
        PublishOutcome::Published { .. } => "unexpected answer".into(),
    }
}

/// What one page gave: the posts that are mentions, the cursor after it, and whether it was
/// full (more may be waiting).
struct Page {
    /// Posts the platform answered (mentions or not): what the budget counts.
    read: usize,
    mentions: Vec<Mention>,
    cursor: FollowCursor,
    full: bool,
}

fn mastodon_path(tag: &Hashtag, cursor: &FollowCursor, limit: usize) -> String {
    let mut path = format!(
        "/api/v1/timelines/tag/{}?limit={limit}",
        escape(tag.as_str())
    );
    if let Some(min_id) = &cursor.min_id {
        path.push_str(&format!("&min_id={}", escape(min_id)));
    }
    path
}

/// The `min_id` of the `rel="prev"` link of a `Link` header (Mastodon's newer-page link).
fn prev_min_id(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        if !params.contains("rel=\"prev\"") {
            return None;
        }
        let target = target.trim().trim_start_matches('<').trim_end_matches('>');
        let query = target.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name == "min_id").then(|| value.to_owned())
        })
    })
}

/// Mastodon ids are integers in decimal (snowflakes): longer is newer, then by digits.
fn newer_id(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

fn unexpected(platform: &str, response: &HttpResponse) -> PublishOutcome {
    channels::classify_failure(platform, Ok(response), Timestamp::UNIX_EPOCH)
}

fn mastodon_page(
    response: &HttpResponse,
    cursor: &FollowCursor,
    now: Timestamp,
    limit: usize,
) -> Result<Page, PublishOutcome> {
    if response.status != 200 {
        return Err(unexpected("Mastodon", response));
    }
    let statuses: Vec<Value> =
        serde_json::from_slice(&response.body).map_err(|_| PublishOutcome::RetryLater {
            reason: "Mastodon: the tag timeline is not a JSON array".into(),
            retry_after_secs: None,
        })?;
    let mut newest = cursor.min_id.clone();
    for status in &statuses {
        if let Some(id) = status["id"].as_str()
            && newest.as_deref().is_none_or(|n| newer_id(id, n))
        {
            newest = Some(id.to_owned());
        }
    }
    let from_link = response.header("link").and_then(prev_min_id);
    let min_id = match (from_link, newest) {
        (Some(link), Some(seen)) if newer_id(&seen, &link) => Some(seen),
        (Some(link), _) => Some(link),
        (None, seen) => seen,
    };
    Ok(Page {
        read: statuses.len(),
        mentions: statuses
            .iter()
            .filter_map(|s| status_mention(s, now))
            .collect(),
        cursor: FollowCursor {
            min_id,
            ..FollowCursor::default()
        },
        full: statuses.len() >= limit,
    })
}

fn bluesky_path(tag: &Hashtag, cursor: &FollowCursor, limit: usize) -> String {
    let mut path = format!(
        "app.bsky.feed.searchPosts?q={}&tag={}&sort=latest&limit={limit}",
        escape(&format!("#{}", tag.as_str())),
        escape(tag.as_str())
    );
    if let Some(since) = &cursor.since {
        path.push_str(&format!("&since={}", escape(since)));
    }
    if let Some(page) = &cursor.page {
        path.push_str(&format!("&cursor={}", escape(page)));
    }
    path
}

fn bluesky_page(
    response: &HttpResponse,
    cursor: &FollowCursor,
    now: Timestamp,
    limit: usize,
) -> Result<Page, PublishOutcome> {
    if response.status != 200 {
        return Err(unexpected("Bluesky", response));
    }
    let body: Value =
        serde_json::from_slice(&response.body).map_err(|_| PublishOutcome::RetryLater {
            reason: "Bluesky: the search answer is not JSON".into(),
            retry_after_secs: None,
        })?;
    let posts = body["posts"].as_array().cloned().unwrap_or_default();
    let mut newest = cursor.newest.clone().or(cursor.since.clone());
    let mut mentions = Vec::new();
    for post in &posts {
        let uri = post["uri"].as_str().unwrap_or("");
        if cursor.seen_at_since.iter().any(|seen| seen == uri) {
            continue;
        }
        let indexed = post["indexedAt"].as_str().unwrap_or("");
        if !indexed.is_empty() && newest.as_deref().is_none_or(|n| indexed > n) {
            newest = Some(indexed.to_owned());
        }
        if let Some(mention) = bluesky_mention(post, now) {
            mentions.push(mention);
        }
    }
    let full = posts.len() >= limit;
    let next_page = body["cursor"].as_str().filter(|c| !c.is_empty());
    let cursor = match next_page {
        // A full page with more behind it: page on towards `since` next time.
        Some(page) if full && cursor.since.is_some() => FollowCursor {
            since: cursor.since.clone(),
            seen_at_since: cursor.seen_at_since.clone(),
            page: Some(page.to_owned()),
            newest,
            min_id: None,
        },
        // Caught up (or the first look, which takes the latest page only).
        _ => {
            let seen_at_since = posts
                .iter()
                .filter(|p| p["indexedAt"].as_str() == newest.as_deref())
                .filter_map(|p| p["uri"].as_str().map(str::to_owned))
                .take(MAX_PAGE)
                .collect();
            FollowCursor {
                since: newest,
                seen_at_since,
                ..FollowCursor::default()
            }
        }
    };
    Ok(Page {
        read: posts.len(),
        mentions,
        cursor,
        full,
    })
}

/// A Bluesky `postView` as a mention, or `None` without a hashtag.
fn bluesky_mention(post: &Value, now: Timestamp) -> Option<Mention> {
    let uri = post["uri"].as_str().filter(|u| u.starts_with("at://"))?;
    let record = &post["record"];
    let text = text::tidy(record["text"].as_str().unwrap_or(""));
    let mut hashtags: Vec<Hashtag> = Vec::new();
    let facet_tags = record["facets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["features"].as_array().into_iter().flatten())
        .filter(|f| f["$type"].as_str() == Some("app.bsky.richtext.facet#tag"))
        .filter_map(|f| f["tag"].as_str());
    let record_tags = record["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for tag in facet_tags.chain(record_tags) {
        if let Ok(tag) = Hashtag::parse(tag)
            && !hashtags.contains(&tag)
        {
            hashtags.push(tag);
        }
    }
    for tag in text::hashtags_in(&text) {
        if !hashtags.contains(&tag) {
            hashtags.push(tag);
        }
    }
    if hashtags.is_empty() {
        return None;
    }
    let author = &post["author"];
    let handle = author["handle"].as_str().unwrap_or("");
    let safe_handle = handle
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let rkey = uri.rsplit('/').next().unwrap_or("");
    let profile = safe_handle.then(|| format!("https://bsky.app/profile/{handle}"));
    let post_url = profile
        .as_ref()
        .filter(|_| rkey.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(|p| format!("{p}/post/{rkey}"));
    // Image descriptions: the view's embed, or the record's own.
    let images = if post["embed"]["images"].is_array() {
        &post["embed"]["images"]
    } else {
        &record["embed"]["images"]
    };
    let name = author["displayName"]
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(handle);
    Some(Mention {
        platform: MentionPlatform::Bluesky,
        platform_id: truncate(uri, crate::campaigns::wall::MAX_PLATFORM_ID_CHARS),
        author_name: truncate(&text::tidy(name), 100),
        author_handle: truncate(&format!("@{handle}"), 200),
        author_url: https(profile.as_deref()),
        text,
        url: https(post_url.as_deref()),
        media_alt: media_alt(images, "alt"),
        created_at: record["createdAt"]
            .as_str()
            .and_then(|t| Timestamp::parse(t).ok())
            .unwrap_or(now),
        hashtags,
    })
}

#[cfg(test)]
mod tests;

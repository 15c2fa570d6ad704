//! Posts: staff write a post once for several channels (with a version per channel when
//! needed), schedule it in the library's time zone, and the tick publishes it exactly once.
//!
//! Modules: [`content`] (the request shapes, parsing with every error by field path, CamelCase
//! hashtags, per-channel versions), [`due`] (the time-bucketed index of due posts and the
//! tick's cursor), [`tick`] (claims, publishing, retries with backoff, lifecycle events),
//! [`schedule`] (zone + local time, next free weekly slot), [`listing`] (the staff list,
//! date-range queries, the month calendar), [`csv`] (export and row-by-row import), [`live`]
//! (the [`Platform`] over the channels area).
//!
//! A post is one JSON document under `keys::post`, rewritten only by compare-and-swap over
//! the bytes read, with a `version` bumped on every write: an edit and a tick that claim the
//! same post at the same moment cannot both win, and the loser re-reads. States:
//!
//! ```text
//! draft ──schedule──► scheduled ──tick claims──► publishing ──► published
//!   ▲                   │  ▲                         │    └────► failed (reason)
//!   └──── unschedule ───┘  └──── retry later ────────┘
//! draft / scheduled / failed ──cancel──► cancelled
//! draft / scheduled / failed ──publish now──► publishing (claimed like the tick claims)
//! failed ──schedule──► scheduled (failed channels tried again, published ones kept)
//! ```
//!
//! Cost model (calls to `KvStore`, none grows with the number of posts stored):
//! - create: 1 increment + 1 write (registry slot) + 1 compare-and-swap;
//! - edit, cancel, unschedule: 1 read + 1 compare-and-swap (+ 1 read per channel to validate
//!   a scheduled post, + 1 increment per channel whose slot counter moves);
//! - schedule: 1 read + 1 read per channel (validation) + 1 increment per channel (slot
//!   counters) + 1 read (cursor) + 2 increments + 2 writes (due and day entries) + 1
//!   compare-and-swap + the `post.scheduled` enqueue ("next free slot": + 2 batch reads);
//! - tick: see [`tick`], bounded by its budget.

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::social::{ChannelId, FieldError, LifecycleEvent, PostContent, PublishOutcome};
use crate::store::{self, KvStore, StoreError};
use crate::zone::{LocalDateTime, Zone};
use schedule::ScheduleRequest;

pub mod approval;
pub mod by_campaign;
pub mod content;
pub mod csv;
pub mod due;
pub mod listing;
pub mod live;
pub mod schedule;
pub mod tick;

pub use content::{ContentOverride, Hashtag, NewPost, PostRequest};

/// What posts need from the channels area (4b's `channels` and `webhooks_out`), as a seam:
/// the live implementation calls them ([`live::LivePlatform`]); unit tests use a scripted
/// double.
pub trait Platform {
    /// The channel's own rules for `content` (`channels::validate`); `Ok(None)` when no
    /// channel has this id.
    fn validate(
        &self,
        channel: &ChannelId,
        content: &PostContent,
    ) -> Result<Option<Vec<FieldError>>, PostError>;
    /// Publishes once per `idempotency_key` (`channels::publish`).
    fn publish(
        &self,
        channel: &ChannelId,
        content: &PostContent,
        idempotency_key: &str,
    ) -> impl Future<Output = PublishOutcome>;
    /// Queues a lifecycle event for staff's webhook endpoints (`webhooks_out::enqueue`).
    fn notify(&self, event: LifecycleEvent) -> Result<(), PostError>;
    /// Whether an editor's post to `channel` waits for an administrator's approval
    /// (`channels::Channel::approval_required`); an unknown channel asks for it.
    fn approval_required(&self, channel: &ChannelId) -> Result<bool, PostError>;
    /// The kind of `channel`, so the tick can start following a publication's figures
    /// (`analytics::metrics::track`); `None` (the default, and an unknown channel) tracks
    /// nothing.
    fn channel_kind(&self, channel: &ChannelId) -> Option<crate::social::ChannelKind> {
        let _ = channel;
        None
    }
}

/// Sends a lifecycle event once the change it reports is stored. A failure to queue it is
/// logged, not returned: the change is done, and answering an error would make staff (or the
/// cron) believe it was not.
pub(crate) fn notify_logged(platform: &impl Platform, event: LifecycleEvent) {
    let kind = event.event_type();
    if let Err(e) = platform.notify(event) {
        eprintln!("failed to queue the {kind} event: {e}");
    }
}

/// Attempts of a compare-and-swap loop before answering "busy".
const CAS_ATTEMPTS: usize = 8;

pub use crate::ids::PostId;

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("post not found")]
    NotFound,
    /// Every problem found, by field path; 422 with `error.fields`.
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// Malformed query parameters and the like (400).
    #[error("{0}")]
    BadRequest(String),
    #[error("a post that is {state} cannot be {action}")]
    WrongState {
        state: &'static str,
        action: &'static str,
    },
    #[error("version: the post changed since version {expected} (now {actual}); reload it")]
    VersionMismatch { expected: u64, actual: u64 },
    #[error("too many simultaneous changes: try again")]
    Busy,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

fn summary(errors: &[FieldError]) -> String {
    match errors {
        [] => "the post is not valid".to_owned(),
        [one] => format!("{}: {}", one.field, one.message),
        [first, rest @ ..] => format!(
            "{}: {} (and {} more problems, see fields)",
            first.field,
            first.message,
            rest.len()
        ),
    }
}

impl DomainError for PostError {
    fn kind(&self) -> ErrorKind {
        match self {
            PostError::NotFound => ErrorKind::NotFound,
            PostError::Invalid(_) => ErrorKind::Unprocessable,
            PostError::BadRequest(_) => ErrorKind::Invalid,
            PostError::WrongState { .. } | PostError::VersionMismatch { .. } | PostError::Busy => {
                ErrorKind::Conflict
            }
            PostError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            PostError::NotFound => "post_not_found",
            PostError::Invalid(_) => "invalid_post",
            PostError::BadRequest(_) => "invalid_request",
            PostError::WrongState { .. } => "wrong_post_state",
            PostError::VersionMismatch { .. } => "version_mismatch",
            PostError::Busy => "busy",
            PostError::Storage(_) => "storage_error",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            PostError::Invalid(errors) => errors.clone(),
            _ => Vec::new(),
        }
    }
}

impl PostError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        PostError::Invalid(vec![FieldError::new(field, message)])
    }
}

/// Where a post stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PostState {
    Draft,
    /// An editor asked for this schedule; an administrator approves it or sends the post back
    /// ([`approval`]).
    AwaitingApproval {
        requested: ScheduleRequest,
        submitted_by: String,
    },
    Scheduled,
    /// A tick claimed it and is publishing. `lease_until`: when another tick may take over,
    /// should this one have died (publishing is idempotent per channel, see [`tick`]).
    Publishing {
        lease_until: Timestamp,
    },
    Published {
        at: Timestamp,
    },
    Failed {
        reason: String,
    },
    Cancelled,
}

/// The states' names, for filters and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateName {
    Draft,
    AwaitingApproval,
    Scheduled,
    Publishing,
    Published,
    Failed,
    Cancelled,
}

impl StateName {
    pub fn parse(text: &str) -> Result<Self, PostError> {
        Ok(match text {
            "draft" => StateName::Draft,
            "awaiting_approval" => StateName::AwaitingApproval,
            "scheduled" => StateName::Scheduled,
            "publishing" => StateName::Publishing,
            "published" => StateName::Published,
            "failed" => StateName::Failed,
            "cancelled" => StateName::Cancelled,
            _ => {
                return Err(PostError::BadRequest(
                    "state: must be one of draft, awaiting_approval, scheduled, publishing, published, failed, cancelled"
                        .to_owned(),
                ));
            }
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            StateName::Draft => "draft",
            StateName::AwaitingApproval => "awaiting_approval",
            StateName::Scheduled => "scheduled",
            StateName::Publishing => "publishing",
            StateName::Published => "published",
            StateName::Failed => "failed",
            StateName::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for StateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PostState {
    pub fn name(&self) -> StateName {
        match self {
            PostState::Draft => StateName::Draft,
            PostState::AwaitingApproval { .. } => StateName::AwaitingApproval,
            PostState::Scheduled => StateName::Scheduled,
            PostState::Publishing { .. } => StateName::Publishing,
            PostState::Published { .. } => StateName::Published,
            PostState::Failed { .. } => StateName::Failed,
            PostState::Cancelled => StateName::Cancelled,
        }
    }
}

/// How one channel of a post stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TargetStatus {
    /// Not published yet (never tried, or waiting for a retry).
    Pending {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_error: Option<String>,
    },
    Published {
        platform_id: String,
        url: String,
        at: Timestamp,
    },
    /// Refused by the platform, out of attempts, or the channel needs reconnecting.
    Failed { reason: String },
}

/// One channel of a post and its own version, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub channel: ChannelId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<ContentOverride>,
    pub status: TargetStatus,
}

/// When a post is due: the wall-clock time staff chose in a zone (kept, so a change of UTC
/// offset never moves the post), and the instant it resolves to, used by the due index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// IANA name, e.g. `Europe/Paris`.
    pub zone: Zone,
    /// `YYYY-MM-DDTHH:MM`, in `zone`.
    pub local: LocalDateTime,
    pub due_at: Timestamp,
    /// Which due-index entry is current: bumped at each (re)scheduling and retry, so older
    /// entries of the same post are recognised as stale and skipped.
    pub seq: u64,
    /// The local date (`YYYY-MM-DD`) under which the post is listed in the calendar.
    pub day: String,
}

/// A post as stored under `keys::post`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    /// Bumped on every write; edits may send the version they read (optimistic locking).
    pub version: u64,
    #[serde(flatten)]
    pub state: PostState,
    pub content: PostContent,
    /// The post's own hashtags (CamelCase, without '#').
    pub hashtags: Vec<Hashtag>,
    /// The campaign (id) whose hashtags are appended too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// The campaign's hashtags as they were when the post was created or last edited (an
    /// edit takes the campaign's current ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaign_hashtags: Vec<Hashtag>,
    pub targets: Vec<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Publishing attempts made (ticks that claimed the post).
    #[serde(default)]
    pub attempts: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Its slot in the staff registry (`listing`).
    pub registry_slot: u64,
    /// The administrator's word when they sent the post back to its editor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<approval::Review>,
}

impl Post {
    /// The hashtags appended to every channel's text: the post's own, then its campaign's,
    /// without duplicates (compared as hashtags are: ignoring case).
    pub fn resolved_hashtags(&self) -> Vec<String> {
        let mut tags: Vec<&Hashtag> = Vec::new();
        for tag in self.hashtags.iter().chain(&self.campaign_hashtags) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        tags.into_iter().map(|t| t.as_str().to_owned()).collect()
    }

    /// What goes to `target`'s channel: the post's content with that channel's version
    /// applied and the hashtags resolved.
    pub fn content_for(&self, target: &Target) -> PostContent {
        let mut content = self.content.clone();
        if let Some(version) = &target.version {
            version.apply(&mut content);
        }
        content.hashtags = self.resolved_hashtags();
        content
    }

    /// Whether the tick should publish it for due-index entry `seq` at `now`.
    pub fn is_due(&self, seq: u64, now: Timestamp) -> bool {
        let Some(schedule) = &self.schedule else {
            return false;
        };
        if schedule.seq != seq {
            return false;
        }
        match &self.state {
            PostState::Scheduled => schedule.due_at <= now,
            PostState::Publishing { lease_until } => *lease_until <= now,
            _ => false,
        }
    }
}

/// Reads a post and its stored bytes (for a later compare-and-swap): 1 read.
pub fn get_raw(store: &dyn KvStore, id: &PostId) -> Result<(Post, Vec<u8>), PostError> {
    let key = keys::post(id);
    let bytes = store.get(&key)?.ok_or(PostError::NotFound)?;
    let post = decode(&key, &bytes)?;
    Ok((post, bytes))
}

/// 1 read.
pub fn get(store: &dyn KvStore, id: &PostId) -> Result<Post, PostError> {
    get_raw(store, id).map(|(post, _)| post)
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// Replaces the post under `key` with `post` (version bumped) if it still holds `current`.
pub(crate) fn swap(
    store: &dyn KvStore,
    current: &[u8],
    post: &mut Post,
    now: Timestamp,
) -> Result<bool, PostError> {
    post.version += 1;
    post.updated_at = now;
    let key = keys::post(&post.id);
    let bytes = store::to_json(&key, post)?;
    Ok(store.compare_and_swap(&key, Some(current), &bytes)?)
}

/// Reads the post, lets `change` edit it (or refuse), and writes it back by compare-and-swap,
/// re-reading and re-deciding when someone (an edit, a tick) changed it meanwhile.
pub(crate) fn update(
    store: &dyn KvStore,
    id: &PostId,
    now: Timestamp,
    mut change: impl FnMut(&mut Post) -> Result<(), PostError>,
) -> Result<Post, PostError> {
    for _ in 0..CAS_ATTEMPTS {
        let (mut post, current) = get_raw(store, id)?;
        change(&mut post)?;
        if swap(store, &current, &mut post, now)? {
            return Ok(post);
        }
    }
    Err(PostError::Busy)
}

/// Stores a new draft under `id`: 1 increment + 1 write (registry slot, first: a slot without
/// its post is skipped, a post is never missing from the list) + 1 compare-and-swap.
pub fn create(
    store: &dyn KvStore,
    now: Timestamp,
    id: PostId,
    new: NewPost,
) -> Result<Post, PostError> {
    let campaign = campaign_of(store, new.campaign.as_ref())?;
    if let Some(campaign) = &campaign {
        // Listed first: an entry whose post is missing is skipped by the campaign page.
        by_campaign::attach(store, &campaign.id, &id)?;
    }
    let slot = listing::reserve(store, &id)?;
    let mut post = Post {
        id,
        version: 1,
        state: PostState::Draft,
        content: new.content,
        hashtags: new.hashtags,
        campaign: campaign.as_ref().map(|c| c.id.to_string()),
        campaign_hashtags: campaign.map(|c| c.hashtags).unwrap_or_default(),
        targets: new
            .targets
            .into_iter()
            .map(|(channel, version)| Target {
                channel,
                version,
                status: TargetStatus::Pending { last_error: None },
            })
            .collect(),
        schedule: None,
        attempts: 0,
        created_at: now,
        updated_at: now,
        registry_slot: slot,
        review: None,
    };
    post.version = 1;
    let key = keys::post(&post.id);
    let bytes = store::to_json(&key, &post)?;
    // Ids are 80 random bits: a clash is a bug. The swap from "absent" refuses to overwrite
    // an existing post (it does not arbitrate two concurrent creations of one id, which
    // random ids make moot).
    if !store.compare_and_swap(&key, None, &bytes)? {
        return Err(PostError::BadRequest(
            "a post with this id exists".to_owned(),
        ));
    }
    Ok(post)
}

/// Which states staff may edit: a draft, or a scheduled post (it stays scheduled; a tick
/// that claims it at the same moment either sees the edit or makes the edit fail with 409).
fn editable(post: &Post, action: &'static str) -> Result<(), PostError> {
    match post.state {
        PostState::Draft | PostState::Scheduled | PostState::AwaitingApproval { .. } => Ok(()),
        ref other => Err(PostError::WrongState {
            state: other.name().as_str(),
            action,
        }),
    }
}

/// Replaces a draft's or scheduled post's content and channels, keeping its schedule.
/// `expected_version`, when given, must match (409 `version_mismatch` otherwise). A scheduled
/// post stays scheduled only if the new content passes its channels' rules (422 otherwise),
/// checked on the very version the swap replaces. `editor` names an editor whose posts need
/// approval (`None` for an administrator): their edit of a scheduled post that needs it sends
/// the post back for approval at the same time ([`approval`]).
pub fn edit(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    id: &PostId,
    new: NewPost,
    expected_version: Option<u64>,
    editor: Option<&str>,
) -> Result<Post, PostError> {
    let campaign = campaign_of(store, new.campaign.as_ref())?;
    let mut joined = false;
    let mut before = None;
    let post = update(store, id, now, |post| {
        editable(post, "edited")?;
        before = Some(post.clone());
        if let Some(expected) = expected_version
            && expected != post.version
        {
            return Err(PostError::VersionMismatch {
                expected,
                actual: post.version,
            });
        }
        post.content = new.content.clone();
        post.hashtags = new.hashtags.clone();
        let campaign_id = campaign.as_ref().map(|c| c.id.to_string());
        joined = campaign_id.is_some() && campaign_id != post.campaign;
        post.campaign = campaign_id;
        post.campaign_hashtags = campaign
            .as_ref()
            .map(|c| c.hashtags.clone())
            .unwrap_or_default();
        post.targets = new
            .targets
            .iter()
            .map(|(channel, version)| Target {
                channel: channel.clone(),
                version: version.clone(),
                status: TargetStatus::Pending { last_error: None },
            })
            .collect();
        if post.state == PostState::Scheduled {
            let problems = content::validate_for_channels(platform, post)?;
            if !problems.is_empty() {
                return Err(PostError::Invalid(problems));
            }
            if let Some(editor) = editor
                && approval::needs_approval(platform, post)?
                && let Some(requested) = approval::request_of_schedule(post)
            {
                post.state = PostState::AwaitingApproval {
                    requested,
                    submitted_by: editor.to_owned(),
                };
                post.schedule = None;
            }
        }
        Ok(())
    })?;
    if joined && let Some(campaign) = &campaign {
        // The edit is stored: a failure here only leaves the post off the campaign's page.
        if let Err(e) = by_campaign::attach(store, &campaign.id, &post.id) {
            eprintln!("failed to list post {} on its campaign: {e}", post.id);
        }
    }
    if let Some(before) = before {
        if matches!(post.state, PostState::AwaitingApproval { .. }) {
            schedule::release_after(store, &before);
        } else {
            schedule::move_slots(store, &before, &post);
        }
    }
    Ok(post)
}

/// The campaign a post names, read once (1 read); an unknown one is a field error.
fn campaign_of(
    store: &dyn KvStore,
    id: Option<&crate::campaigns::CampaignId>,
) -> Result<Option<crate::campaigns::Campaign>, PostError> {
    let Some(id) = id else {
        return Ok(None);
    };
    match crate::campaigns::get(store, id) {
        Ok(campaign) => Ok(Some(campaign)),
        Err(crate::campaigns::CampaignError::NotFound) => {
            Err(PostError::Invalid(vec![FieldError::new(
                "campaign",
                "no campaign has this id",
            )]))
        }
        Err(crate::campaigns::CampaignError::Storage(e)) => Err(PostError::Storage(e)),
        Err(other) => Err(PostError::BadRequest(other.to_string())),
    }
}

/// Cancels a draft, a scheduled post or a failed one (staff give up on it); its due entry
/// becomes stale and is skipped.
pub fn cancel(store: &dyn KvStore, now: Timestamp, id: &PostId) -> Result<Post, PostError> {
    let mut before = None;
    let post = update(store, id, now, |post| {
        if !matches!(post.state, PostState::Failed { .. }) {
            editable(post, "cancelled")?;
        }
        before = Some(post.clone());
        post.state = PostState::Cancelled;
        Ok(())
    })?;
    if let Some(before) = before {
        schedule::release_after(store, &before);
    }
    Ok(post)
}

/// Back to draft: the schedule (or the request awaiting approval) is dropped (its entries
/// become stale).
pub fn unschedule(store: &dyn KvStore, now: Timestamp, id: &PostId) -> Result<Post, PostError> {
    let mut before = None;
    let post = update(store, id, now, |post| {
        if !matches!(
            post.state,
            PostState::Scheduled | PostState::AwaitingApproval { .. }
        ) {
            return Err(PostError::WrongState {
                state: post.state.name().as_str(),
                action: "unscheduled",
            });
        }
        before = Some(post.clone());
        post.state = PostState::Draft;
        post.schedule = None;
        Ok(())
    })?;
    if let Some(before) = before {
        schedule::release_after(store, &before);
    }
    Ok(post)
}

#[cfg(test)]
mod tests;

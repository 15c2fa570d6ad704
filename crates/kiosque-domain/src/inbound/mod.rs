//! Webhooks from social platforms (`/webhooks/meta`, `/webhooks/mastodon`,
//! `/webhooks/standard`): proving each delivery comes from the platform, turning the events
//! that matter into campaign [`Mention`]s and ignoring the rest.
//!
//! Every kind follows the same steps, in this order:
//! 1. the body is at most [`MAX_BODY_BYTES`] (the adapter refuses more with 413 before
//!    reading it all);
//! 2. the signature is checked on the raw bytes, in constant time ([`verify`]): a wrong or
//!    missing one is 401 and costs no store operation at all;
//! 3. the body is parsed; an event type we do not use is acknowledged (2xx) and logged by
//!    its type only, never its content;
//! 4. a delivery carrying mentions is done once: a marker per platform and delivery id (or
//!    the body's SHA-256 where the platform sends no id) is written after all its mentions
//!    are filed, so a replay is acknowledged and changes nothing;
//! 5. each mention goes to `campaigns::receive_mention`, which files it under the active
//!    campaigns whose hashtags it carries (and ignores a post it already has).
//!
//! The marker is written last, not claimed first: a delivery that failed or whose instance
//! died is processed again when the platform retries, and `receive_mention` files each post
//! exactly once whatever ran before. A post another request is filing at that moment
//! answers 409 `busy` (no marker), so the platform tries again later.

pub mod follow;
pub mod mastodon;
pub mod meta;
pub mod standard;
pub mod text;
pub mod verify;

#[cfg(test)]
mod tests;

use crate::hashing::sha256_hex;
use serde::Serialize;

use crate::campaigns::{self, CampaignError, Mention};
use crate::clock::Clock;
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::store::{KvStore, StoreError};

/// The largest webhook body we read: platform events are a few KiB; Meta batches a few
/// entries per delivery. `kiosque-spin`'s body cap uses it for every `/webhooks/` path.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Mentions taken from one delivery at most (Meta batches entries); the rest are logged.
pub const MAX_MENTIONS_PER_DELIVERY: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// Missing, malformed or wrong signature, or the secret variable is not configured.
    #[error("the delivery's signature is missing or does not match")]
    BadSignature,
    /// A Standard Webhooks timestamp too far from our clock.
    #[error("the delivery's timestamp is outside the 5-minute tolerance")]
    StaleTimestamp,
    /// Meta's handshake with a wrong token or mode.
    #[error("the verify token does not match")]
    BadVerifyToken,
    #[error("{0}")]
    Invalid(String),
    /// A post of the delivery is being filed by another request: retry later.
    #[error("this delivery is being processed; retry later")]
    Busy,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for InboundError {
    fn kind(&self) -> ErrorKind {
        match self {
            InboundError::BadSignature | InboundError::StaleTimestamp => ErrorKind::Unauthorized,
            InboundError::BadVerifyToken => ErrorKind::Forbidden,
            InboundError::Invalid(_) => ErrorKind::Invalid,
            InboundError::Busy => ErrorKind::Conflict,
            InboundError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            InboundError::BadSignature => "invalid_signature",
            InboundError::StaleTimestamp => "stale_timestamp",
            InboundError::BadVerifyToken => "invalid_verify_token",
            InboundError::Invalid(_) => "invalid_event",
            InboundError::Busy => "busy",
            InboundError::Storage(_) => "storage_error",
        }
    }
}

impl From<CampaignError> for InboundError {
    fn from(error: CampaignError) -> Self {
        match error {
            CampaignError::Storage(e) => InboundError::Storage(e),
            CampaignError::Invalid(message) => InboundError::Invalid(message),
            other => InboundError::Storage(StoreError::Backend(other.to_string())),
        }
    }
}

/// Where a delivery came from; part of its done marker's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Meta,
    Mastodon,
    Standard,
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Meta => "meta",
            Source::Mastodon => "mastodon",
            Source::Standard => "standard",
        }
    }
}

/// What became of a verified delivery (the JSON of the 200 answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The event type as the platform names it (`status.created`, `instagram/comments`).
    pub event: String,
    /// `accepted`, `replay` (seen before: ignored) or `ignored` (nothing for a campaign).
    pub status: OutcomeStatus,
    /// Mentions taken from the delivery.
    pub mentions: usize,
    /// Campaign filings made (a mention may match several campaigns, or none).
    pub filed: usize,
    /// Wall items removed because the platform says their post was deleted.
    pub removed: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Accepted,
    Replay,
    Ignored,
}

/// The key of a delivery's done marker: the SHA-256 of the platform's delivery
/// id, or of the body where there is none, in hex (bounded, safe in a key whatever was sent).
pub fn delivery_key(source: Source, delivery_id: &[u8]) -> String {
    keys::inbound_delivery(source.as_str(), &sha256_hex(delivery_id))
}

/// Files `mentions` of a verified delivery, once per delivery: 1 read (the marker), then
/// `campaigns::receive_mention` for each and 1 write (the marker); a replay costs the read
/// only.
pub fn file_mentions(
    store: &dyn KvStore,
    clock: &dyn Clock,
    source: Source,
    delivery_id: &[u8],
    event: String,
    mentions: Vec<Mention>,
) -> Result<Outcome, InboundError> {
    let count = mentions.len();
    if mentions.is_empty() {
        eprintln!("webhook {}: event {event:?} ignored", source.as_str());
        return Ok(Outcome {
            event,
            status: OutcomeStatus::Ignored,
            mentions: 0,
            filed: 0,
            removed: 0,
        });
    }
    // Markers written by earlier versions are counters: only their presence matters.
    let done_key = delivery_key(source, delivery_id);
    if store.exists(&done_key)? {
        return Ok(Outcome {
            event,
            status: OutcomeStatus::Replay,
            mentions: count,
            filed: 0,
            removed: 0,
        });
    }
    let mut filed = 0;
    let mut in_flight = false;
    let mut all_known = true;
    for mention in &mentions {
        let received = campaigns::receive_mention(store, clock, mention)?;
        filed += received.filed.len();
        in_flight |= received.in_flight;
        all_known &= received.duplicate;
    }
    if in_flight {
        return Err(InboundError::Busy);
    }
    store.set(&done_key, b"1")?;
    Ok(Outcome {
        event,
        // Every post already filed: the same delivery, processed by another request that
        // has not written the marker yet.
        status: if all_known {
            OutcomeStatus::Replay
        } else {
            OutcomeStatus::Accepted
        },
        mentions: count,
        filed,
        removed: 0,
    })
}

/// Removes the posts a verified delivery says were deleted on `platform` from every wall
/// (`campaigns::privacy::remove_post`). Needs no marker: removing twice removes nothing.
pub fn remove_posts(
    store: &dyn KvStore,
    platform: &campaigns::MentionPlatform,
    event: String,
    platform_ids: &[String],
) -> Result<Outcome, InboundError> {
    let mut removed = 0;
    for id in platform_ids.iter().take(MAX_MENTIONS_PER_DELIVERY) {
        let chars = id.chars().count();
        if chars == 0 || chars > campaigns::wall::MAX_PLATFORM_ID_CHARS {
            continue;
        }
        removed += campaigns::privacy::remove_post(store, platform, id)?;
    }
    Ok(Outcome {
        event,
        status: OutcomeStatus::Accepted,
        mentions: 0,
        filed: 0,
        removed,
    })
}

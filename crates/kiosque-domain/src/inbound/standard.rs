//! Standard Webhooks (standardwebhooks.com), for automation tools that forward what they
//! find elsewhere (a Zapier/n8n/Make flow watching a platform Kiosque has no client for).
//! Headers `webhook-id`, `webhook-timestamp`, `webhook-signature`; payload
//! `{type, timestamp, data}`. The one type Kiosque reads is `mention.created`:
//!
//! ```json
//! {"type": "mention.created", "timestamp": "2027-03-28T10:00:00Z",
//!  "data": {"platform": "peertube", "id": "https://video.example/w/1", "author_name": "Ana",
//!           "author_handle": "@ana@video.example", "author_url": "https://...",
//!           "text": "Vu à la #NuitDeLaLecture", "url": "https://...",
//!           "media_alt": ["..."], "created_at": "2027-03-28T09:58:00Z",
//!           "hashtags": ["NuitDeLaLecture"]}}
//! ```
//!
//! `hashtags` may be left out: they are then read from `text`. Other types are acknowledged
//! and ignored. De-duplication is on `webhook-id`, as the specification asks.

use serde::Deserialize;

use super::mastodon::{https, truncate};
use super::verify::{self, StandardHeaders};
use super::{InboundError, Outcome, Source, file_mentions, text};
use crate::campaigns::wall::MAX_PLATFORM_ID_CHARS;
use crate::campaigns::{Mention, MentionPlatform};
use crate::clock::{Clock, Timestamp};
use crate::hashtag::Hashtag;
use crate::store::KvStore;

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MentionData {
    platform: String,
    id: String,
    author_name: String,
    #[serde(default)]
    author_handle: String,
    #[serde(default)]
    author_url: Option<String>,
    text: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    media_alt: Vec<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    hashtags: Option<Vec<String>>,
}

pub fn receive(
    store: &dyn KvStore,
    clock: &dyn Clock,
    secret: &[u8],
    headers: StandardHeaders<'_>,
    body: &[u8],
) -> Result<Outcome, InboundError> {
    let id = verify::standard(secret, headers, body, clock.now())?;
    let payload: Payload = serde_json::from_slice(body).map_err(|_| {
        InboundError::Invalid("the body must be JSON {\"type\", \"timestamp\", \"data\"}".into())
    })?;
    let kind = truncate(&payload.kind, 60);
    let mentions = match kind.as_str() {
        "mention.created" => vec![mention(payload.data, clock.now())?],
        _ => Vec::new(),
    };
    file_mentions(
        store,
        clock,
        Source::Standard,
        id.as_bytes(),
        kind,
        mentions,
    )
}

fn mention(data: serde_json::Value, now: Timestamp) -> Result<Mention, InboundError> {
    let invalid = |message: &str| InboundError::Invalid(format!("data.{message}"));
    let data: MentionData =
        serde_json::from_value(data).map_err(|e| InboundError::Invalid(format!("data: {e}")))?;
    let platform = data.platform.trim().to_ascii_lowercase();
    if platform.is_empty()
        || platform.len() > 30
        || !platform
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid("platform: 1 to 30 lowercase letters, digits or -"));
    }
    let platform = match platform.as_str() {
        "mastodon" => MentionPlatform::Mastodon,
        "bluesky" => MentionPlatform::Bluesky,
        "meta" | "instagram" | "facebook" => MentionPlatform::Meta,
        _ => MentionPlatform::Other(platform),
    };
    let id = data.id.trim();
    if id.is_empty() || id.chars().count() > MAX_PLATFORM_ID_CHARS {
        return Err(invalid("id: 1 to 300 characters"));
    }
    let text = text::tidy(&data.text);
    if text.is_empty() {
        return Err(invalid("text: must not be empty"));
    }
    let hashtags = match data.hashtags {
        Some(tags) => tags
            .iter()
            .take(text::MAX_HASHTAGS)
            .map(|t| Hashtag::parse(t).map_err(|e| invalid(&format!("hashtags: {t:?}: {e}"))))
            .collect::<Result<Vec<_>, _>>()?,
        None => text::hashtags_in(&text),
    };
    let created_at = match data.created_at {
        Some(t) => {
            Timestamp::parse(&t).map_err(|_| invalid("created_at: an RFC 3339 date and time"))?
        }
        None => now,
    };
    let url = |field: &str, url: Option<String>| match url {
        Some(u) => https(Some(&u))
            .map(Some)
            .ok_or_else(|| invalid(&format!("{field}: an https URL"))),
        None => Ok(None),
    };
    Ok(Mention {
        platform,
        platform_id: id.to_owned(),
        author_name: truncate(&text::tidy(&data.author_name), 100),
        author_handle: truncate(data.author_handle.trim(), 200),
        author_url: url("author_url", data.author_url)?,
        text,
        url: url("url", data.url)?,
        media_alt: data
            .media_alt
            .iter()
            .map(|alt| truncate(&text::tidy(alt), 1500))
            .filter(|alt| !alt.is_empty())
            .take(4)
            .collect(),
        created_at,
        hashtags,
    })
}

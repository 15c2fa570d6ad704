//! Meta (Instagram, Facebook Pages): POST events signed `X-Hub-Signature-256:
//! sha256=<hex HMAC-SHA256(app secret, raw body)>`, `{object, entry: [{id, time, changes:
//! [{field, value}]}]}`. The subscription handshake is [`super::verify::meta_handshake`].
//!
//! Events that carry a patron's text become mentions: Instagram `comments` (`value.text`,
//! `value.from.username`) and Page `feed` additions (`value.message`, `value.from.name`).
//! Instagram `mentions` only name a media and a comment id (their text needs a Graph API
//! call, which Kiosque does not make): acknowledged and ignored like every other field.
//! A Page `feed` removal (`verb: remove`, of a post or a comment) takes it off every wall.

use serde_json::Value;

use super::mastodon::{https, truncate};
use super::{
    InboundError, MAX_MENTIONS_PER_DELIVERY, Outcome, Source, file_mentions, remove_posts, text,
    verify,
};
use crate::campaigns::wall::MAX_PLATFORM_ID_CHARS;
use crate::campaigns::{Mention, MentionPlatform};
use crate::clock::{Clock, Timestamp};
use crate::store::KvStore;

pub fn receive(
    store: &dyn KvStore,
    clock: &dyn Clock,
    app_secret: &[u8],
    signature: Option<&str>,
    body: &[u8],
) -> Result<Outcome, InboundError> {
    verify::hub_signature(app_secret, signature, body)?;
    let event: Value = serde_json::from_slice(body)
        .map_err(|_| InboundError::Invalid("the body is not JSON".into()))?;
    let object = truncate(event["object"].as_str().unwrap_or("unknown"), 30);
    let mut fields: Vec<String> = Vec::new();
    let mut mentions = Vec::new();
    let mut removals: Vec<String> = Vec::new();
    let changes = event["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|entry| entry["changes"].as_array().into_iter().flatten());
    for change in changes {
        let field = truncate(change["field"].as_str().unwrap_or("unknown"), 30);
        if !fields.contains(&field) {
            fields.push(field.clone());
        }
        if let ("page", "feed") = (object.as_str(), field.as_str())
            && let Some(id) = page_feed_removal(&change["value"])
        {
            removals.push(id);
            continue;
        }
        let mention = match (object.as_str(), field.as_str()) {
            ("instagram", "comments") => instagram_comment(&change["value"], clock.now()),
            ("page", "feed") => page_feed(&change["value"], clock.now()),
            _ => None,
        };
        if let Some(mention) = mention {
            if mentions.len() == MAX_MENTIONS_PER_DELIVERY {
                eprintln!(
                    "webhook meta: more than {MAX_MENTIONS_PER_DELIVERY} mentions, rest dropped"
                );
                break;
            }
            mentions.push(mention);
        }
    }
    let event = truncate(&format!("{object}/{}", fields.join(",")), 100);
    let removed = if removals.is_empty() {
        0
    } else {
        remove_posts(store, &MentionPlatform::Meta, event.clone(), &removals)?.removed
    };
    // Meta sends no delivery id: the body's hash names the delivery.
    let mut outcome = file_mentions(store, clock, Source::Meta, body, event, mentions)?;
    if removed > 0 {
        outcome.removed = removed;
        outcome.status = super::OutcomeStatus::Accepted;
    }
    Ok(outcome)
}

/// The id a Page feed removal names (`verb: remove`): the comment's, else the post's, as
/// [`page_feed`] filed it.
fn page_feed_removal(value: &Value) -> Option<String> {
    if value["verb"].as_str() != Some("remove") {
        return None;
    }
    value["comment_id"]
        .as_str()
        .or(value["post_id"].as_str())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

fn mention(
    platform_id: &str,
    author_name: &str,
    author_handle: String,
    text: String,
    url: Option<String>,
    created_at: Timestamp,
) -> Option<Mention> {
    let hashtags = text::hashtags_in(&text);
    if platform_id.is_empty() || hashtags.is_empty() {
        return None;
    }
    Some(Mention {
        platform: MentionPlatform::Meta,
        platform_id: truncate(platform_id, MAX_PLATFORM_ID_CHARS),
        author_name: truncate(&text::tidy(author_name), 100),
        author_handle: truncate(&author_handle, 200),
        author_url: None,
        text,
        url: https(url.as_deref()),
        media_alt: Vec::new(),
        created_at,
        hashtags,
    })
}

/// An Instagram comment: `{id, text, from: {id, username}, media: {id}}`.
fn instagram_comment(value: &Value, now: Timestamp) -> Option<Mention> {
    let username = value["from"]["username"].as_str().unwrap_or("");
    mention(
        value["id"].as_str().unwrap_or(""),
        username,
        format!("@{username}"),
        text::tidy(value["text"].as_str().unwrap_or("")),
        None,
        now,
    )
}

/// A Page feed change: only additions (`verb: add`) of posts, statuses and comments with a
/// `message`.
fn page_feed(value: &Value, now: Timestamp) -> Option<Mention> {
    if value["verb"].as_str() != Some("add")
        || !matches!(
            value["item"].as_str(),
            Some("post" | "status" | "comment" | "photo" | "video")
        )
    {
        return None;
    }
    let id = value["comment_id"]
        .as_str()
        .or(value["post_id"].as_str())
        .unwrap_or("");
    let created_at = value["created_time"]
        .as_i64()
        .and_then(Timestamp::from_unix_seconds)
        .unwrap_or(now);
    let name = value["from"]["name"].as_str().unwrap_or("");
    let url = value["post_id"]
        .as_str()
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
        .map(|p| format!("https://www.facebook.com/{p}"));
    mention(
        id,
        name,
        name.to_owned(),
        text::tidy(value["message"].as_str().unwrap_or("")),
        url,
        created_at,
    )
}

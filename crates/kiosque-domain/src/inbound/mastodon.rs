//! Mastodon: the admin webhook's `status.created` event (`{event, created_at, object}`,
//! signed `X-Hub-Signature: sha256=<hex>`), and the status → [`Mention`] mapping that the
//! hashtag following (`inbound::follow`) uses for the tag timeline too. `status.deleted`
//! (the object is the status id; a status object with `id` and `uri` is read too) takes the
//! status off every wall: a mention is stored under its `uri`, so filing a webhook status
//! also records its local `id` as an alias.

use serde_json::Value;

use super::{InboundError, Outcome, Source, file_mentions, remove_posts, text, verify};
use crate::campaigns::privacy;
use crate::campaigns::wall::MAX_PLATFORM_ID_CHARS;
use crate::campaigns::{Mention, MentionPlatform};
use crate::clock::{Clock, Timestamp};
use crate::hashtag::Hashtag;
use crate::store::KvStore;
use crate::web::HttpsUrl;

/// Longest URL a mention keeps (author and post links).
const MAX_URL_CHARS: usize = 2000;
/// Image descriptions kept per post (Mastodon allows 4 media).
const MAX_MEDIA: usize = 4;

/// Verifies and files one delivery of a Mastodon server's webhook. Only `status.created`
/// can carry mentions and `status.deleted` removes one; `status.updated`, `account.*`,
/// `report.*` are acknowledged and ignored.
pub fn receive(
    store: &dyn KvStore,
    clock: &dyn Clock,
    secret: &[u8],
    signature: Option<&str>,
    body: &[u8],
) -> Result<Outcome, InboundError> {
    verify::hub_signature(secret, signature, body)?;
    let event: Value = serde_json::from_slice(body)
        .map_err(|_| InboundError::Invalid("the body is not JSON".into()))?;
    let kind = event["event"].as_str().unwrap_or("unknown");
    let kind = truncate(kind, 60);
    if kind == "status.deleted" {
        let object = &event["object"];
        let ids: Vec<String> = match object.as_str() {
            Some(id) => vec![id.to_owned()],
            None => [&object["uri"], &object["id"]]
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        };
        return remove_posts(store, &MentionPlatform::Mastodon, kind, &ids);
    }
    let mentions: Vec<Mention> = match kind.as_str() {
        "status.created" => status_mention(&event["object"], clock.now())
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    let aliases: Vec<(String, String)> = mentions
        .iter()
        .filter_map(|m| {
            let id = event["object"]["id"].as_str()?;
            Some((m.platform_id.clone(), id.to_owned()))
        })
        .collect();
    // Mastodon sends no delivery id: the body's hash names the delivery (a retry sends the
    // same bytes).
    let outcome = file_mentions(store, clock, Source::Mastodon, body, kind, mentions)?;
    if outcome.filed > 0 {
        for (uri, id) in aliases {
            // Best effort: without it a deletion naming the id alone finds nothing, and the
            // retention purge still removes the mention.
            if let Err(e) = privacy::record_alias(store, &MentionPlatform::Mastodon, &uri, &id) {
                eprintln!("webhook mastodon: alias not recorded: {e}");
            }
        }
    }
    Ok(outcome)
}

/// A status as a mention, or `None` when it must not reach a public wall: not public or
/// unlisted (followers-only and direct messages are private), a boost (not a new post), or
/// without a hashtag (it cannot belong to a campaign).
/// `now` stands for a missing or unreadable `created_at`.
pub fn status_mention(status: &Value, now: Timestamp) -> Option<Mention> {
    if !matches!(status["visibility"].as_str(), Some("public" | "unlisted")) {
        return None;
    }
    if !status["reblog"].is_null() {
        return None;
    }
    // The `uri` is the same on every server (the `id` is each server's own), so a status
    // seen through the webhook and through two servers' timelines is one mention.
    let platform_id = status["uri"]
        .as_str()
        .or_else(|| status["id"].as_str())?
        .to_owned();
    let mut hashtags: Vec<Hashtag> = Vec::new();
    for tag in status["tags"].as_array().into_iter().flatten() {
        if let Some(tag) = tag["name"].as_str().and_then(|n| Hashtag::parse(n).ok())
            && !hashtags.contains(&tag)
        {
            hashtags.push(tag);
        }
    }
    let content = text::plain_text(status["content"].as_str().unwrap_or(""));
    if hashtags.is_empty() {
        hashtags = text::hashtags_in(&content);
    }
    if hashtags.is_empty() {
        return None;
    }
    let spoiler = text::tidy(status["spoiler_text"].as_str().unwrap_or(""));
    let text = if spoiler.is_empty() {
        content
    } else {
        // The content warning stays in front, as people reading the post see it.
        text::tidy(&format!("{spoiler}\n\n{content}"))
    };
    let account = &status["account"];
    let handle = account["acct"].as_str().unwrap_or("");
    let name = account["display_name"]
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .or(account["username"].as_str())
        .unwrap_or(handle);
    Some(Mention {
        platform: MentionPlatform::Mastodon,
        platform_id: truncate(&platform_id, MAX_PLATFORM_ID_CHARS),
        author_name: truncate(&text::tidy(name), 100),
        author_handle: truncate(&format!("@{handle}"), 200),
        author_url: https(account["url"].as_str()),
        text,
        url: https(status["url"].as_str()).or_else(|| https(status["uri"].as_str())),
        media_alt: media_alt(&status["media_attachments"], "description"),
        created_at: status["created_at"]
            .as_str()
            .and_then(|t| Timestamp::parse(t).ok())
            .unwrap_or(now),
        hashtags,
    })
}

/// The non-empty descriptions (alt text) of a post's media, at most [`MAX_MEDIA`].
pub fn media_alt(media: &Value, field: &str) -> Vec<String> {
    media
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m[field].as_str())
        .map(|alt| truncate(&text::tidy(alt), 1500))
        .filter(|alt| !alt.is_empty())
        .take(MAX_MEDIA)
        .collect()
}

/// An https URL from a platform, or `None` (another scheme, or malformed).
pub fn https(url: Option<&str>) -> Option<HttpsUrl> {
    HttpsUrl::parse("url", url?, MAX_URL_CHARS).ok()
}

/// `text` cut to `max` characters.
pub fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

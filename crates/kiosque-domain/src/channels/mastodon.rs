//! Mastodon: the rules of a status on one server, publishing with `Idempotency-Key`, media by
//! `POST /api/v2/media`, and "check connection" (`verify_credentials`, `/api/v2/instance`).

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::text::{self, graphemes};
use super::{Channel, ChannelStatus, CheckResult, Limits, classify_failure, fetch_image};
use crate::clock::Timestamp;
use crate::social::{FieldError, HttpClient, HttpRequest, PostContent, PublishOutcome};
use crate::store::KvStore;

/// Adds to `errors` what `content` breaks on a Mastodon server with `limits`.
pub fn validate(limits: &Limits, content: &PostContent, errors: &mut Vec<FieldError>) {
    let composed = text::compose(content);
    let url_chars = limits.characters_reserved_per_url as usize;
    let length = text::mastodon_length(&composed, url_chars)
        + content.content_warning.as_deref().map_or(0, graphemes);
    let max = limits.max_characters as usize;
    if length > max {
        errors.push(FieldError::new(
            "text",
            format!(
                "{length} characters with the content warning, link and hashtags (each URL \
                 counts {url_chars}); this Mastodon server allows {max}"
            ),
        ));
    }
    if content.images.len() > limits.max_media as usize {
        errors.push(FieldError::new(
            "images",
            format!("this Mastodon server allows {} images", limits.max_media),
        ));
    }
    let alt_max = limits.alt_text_max_characters as usize;
    for (i, image) in content.images.iter().enumerate() {
        let chars = image.alt.chars().count();
        if chars > alt_max {
            errors.push(FieldError::new(
                format!("images[{i}].alt"),
                format!("{chars} characters; Mastodon allows {alt_max}"),
            ));
        }
    }
    let Some(poll) = &content.poll else {
        return;
    };
    if !content.images.is_empty() {
        errors.push(FieldError::new(
            "poll",
            "a Mastodon post has either a poll or images, not both",
        ));
    }
    let max_options = limits.poll_max_options as usize;
    if !(2..=max_options).contains(&poll.options.len()) {
        errors.push(FieldError::new(
            "poll.options",
            format!("2 to {max_options} options, got {}", poll.options.len()),
        ));
    }
    let option_max = limits.poll_max_characters_per_option as usize;
    for (i, option) in poll.options.iter().enumerate() {
        let chars = graphemes(option.trim());
        if chars == 0 || chars > option_max {
            errors.push(FieldError::new(
                format!("poll.options[{i}]"),
                format!("1 to {option_max} characters, got {chars}"),
            ));
        }
    }
    let (min, max) = (limits.poll_min_expiration, limits.poll_max_expiration);
    if !(min..=max).contains(&poll.expires_in_secs) {
        errors.push(FieldError::new(
            "poll.expires_in_secs",
            format!("between {min} and {max} seconds on this server"),
        ));
    }
}

#[derive(Deserialize)]
struct MediaAttachment {
    id: String,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    uri: Option<String>,
}

/// Posts a status: images first (downloaded, then uploaded with their alt text as
/// `description`), then `POST /api/v1/statuses` with `Idempotency-Key`, which the server
/// remembers for an hour, so a retry after a lost answer does not post twice.
pub async fn publish(
    store: &dyn KvStore,
    http: &impl HttpClient,
    now: Timestamp,
    channel: &Channel,
    token: &str,
    content: &PostContent,
    idempotency_key: &str,
) -> PublishOutcome {
    let mut media_ids = Vec::new();
    let mut pending = Vec::new();
    for (i, image) in content.images.iter().enumerate() {
        let (bytes, media_type) = match fetch_image(store, http, i, image, now).await {
            Ok(image) => image,
            Err(outcome) => return outcome,
        };
        let (content_type, body) = multipart_media(&bytes, &media_type, image.alt.trim());
        let request = HttpRequest::post(channel.url.join("/api/v2/media"), body)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type);
        match http.send(request).await {
            Ok(response) if matches!(response.status, 200 | 202) => {
                let Ok(media) = serde_json::from_slice::<MediaAttachment>(&response.body) else {
                    return PublishOutcome::RetryLater {
                        reason: "Mastodon: unreadable media answer".into(),
                        retry_after_secs: None,
                    };
                };
                if response.status == 202 {
                    // Accepted but still processing: a status may not use it yet.
                    pending.push(media.id.clone());
                }
                media_ids.push(media.id);
            }
            answer => return classify_failure("Mastodon", answer.as_ref(), now),
        }
    }
    // Ask once more about media the server was still processing (`GET /api/v1/media/:id`:
    // 200 when ready, 206 while processing); still not ready, the attempt is retried later
    // rather than refused (a status with unprocessed media answers 422).
    for id in pending {
        let request = HttpRequest::get(channel.url.join(&format!("/api/v1/media/{id}")))
            .header("authorization", format!("Bearer {token}"));
        match http.send(request).await {
            Ok(response) if response.status == 200 => {}
            Ok(response) if response.status == 206 => {
                return PublishOutcome::RetryLater {
                    reason: "Mastodon is still processing an image".into(),
                    retry_after_secs: Some(60),
                };
            }
            answer => return classify_failure("Mastodon", answer.as_ref(), now),
        }
    }

    let mut status = serde_json::json!({
        "status": text::compose(content),
        "visibility": content.visibility.as_str(),
    });
    if let Some(warning) = content.content_warning.as_deref().map(str::trim)
        && !warning.is_empty()
    {
        status["spoiler_text"] = warning.into();
        status["sensitive"] = true.into();
    }
    if let Some(language) = &content.language {
        status["language"] = language.as_str().into();
    }
    if !media_ids.is_empty() {
        status["media_ids"] = media_ids.into();
    }
    if let Some(poll) = &content.poll {
        status["poll"] = serde_json::json!({
            "options": poll.options.iter().map(|o| o.trim()).collect::<Vec<_>>(),
            "expires_in": poll.expires_in_secs,
            "multiple": poll.multiple,
        });
    }
    let request = HttpRequest::post(
        channel.url.join("/api/v1/statuses"),
        serde_json::to_vec(&status).unwrap_or_default(),
    )
    .header("authorization", format!("Bearer {token}"))
    .header("content-type", "application/json")
    .header("idempotency-key", idempotency_key);
    match http.send(request).await {
        Ok(response) if response.status == 200 => {
            match serde_json::from_slice::<Status>(&response.body) {
                Ok(status) => PublishOutcome::Published {
                    url: status.url.or(status.uri).unwrap_or_default(),
                    platform_id: status.id,
                },
                // Posted, but the answer is unreadable: a retry with the same key is safe.
                Err(_) => PublishOutcome::RetryLater {
                    reason: "Mastodon: unreadable status answer".into(),
                    retry_after_secs: None,
                },
            }
        }
        answer => classify_failure("Mastodon", answer.as_ref(), now),
    }
}

/// A status's figures (`GET /api/v1/statuses/:id`, Bearer): `favourites_count`,
/// `reblogs_count`, `replies_count`, and `quotes_count` where the server has quotes (Mastodon
/// 4.5; absent elsewhere, counted 0). 404/410: the status was deleted; 401: the token is
/// refused; 403: the token lacks `read:statuses`.
pub async fn status_counts(
    http: &impl HttpClient,
    channel: &Channel,
    token: &str,
    status_id: &str,
) -> crate::analytics::metrics::fetch::Fetched {
    use crate::analytics::metrics::Counts;
    use crate::analytics::metrics::fetch::{Fetched, count, failed_answer};
    // Status ids are digits (snowflakes); anything else never reaches the URL.
    if status_id.is_empty() || !status_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Fetched::Gone;
    }
    let request = HttpRequest::get(channel.url.join(&format!("/api/v1/statuses/{status_id}")))
        .header("authorization", format!("Bearer {token}"));
    match http.send(request).await {
        Ok(response) if response.status == 200 => {
            match serde_json::from_slice::<serde_json::Value>(&response.body) {
                Ok(status) => Fetched::Counts(Counts {
                    likes: count(&status["favourites_count"]),
                    reposts: count(&status["reblogs_count"]),
                    replies: count(&status["replies_count"]),
                    quotes: count(&status["quotes_count"]),
                    reach: None,
                    impressions: None,
                }),
                Err(_) => Fetched::Transient("Mastodon: unreadable status answer".into()),
            }
        }
        // Mastodon answers 403 to a working token without the `read:statuses` scope (tokens
        // made for publishing alone): the record stops, the channel keeps publishing.
        Ok(response) if response.status == 403 => Fetched::NotPermitted(format!(
            "le jeton n'a pas la portée read:statuses / the token lacks the read:statuses \
             scope (403: {}): create a token with it to get figures",
            super::platform_message(&response)
        )),
        answer => failed_answer("Mastodon", answer.as_ref()),
    }
}

/// A `multipart/form-data` body with the image as `file` and its alt text as `description`.
fn multipart_media(bytes: &[u8], media_type: &str, description: &str) -> (String, Vec<u8>) {
    let digest = Sha256::digest(bytes);
    let boundary = hex::encode(&digest[..12]);
    let boundary = format!("kiosque-{boundary}");
    let extension = media_type.strip_prefix("image/").unwrap_or("bin");
    let mut body = Vec::with_capacity(bytes.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"description\"\r\n\r\n{description}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"image.{extension}\"\r\ncontent-type: {media_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[derive(Deserialize)]
struct Account {
    acct: String,
}

/// `GET /api/v1/accounts/verify_credentials` (the token works), then `GET /api/v2/instance`
/// (the server's limits; on failure the channel keeps Mastodon's defaults).
pub async fn check(http: &impl HttpClient, channel: &Channel, token: &str) -> CheckResult {
    let request = HttpRequest::get(channel.url.join("/api/v1/accounts/verify_credentials"))
        .header("authorization", format!("Bearer {token}"));
    let account = match http.send(request).await {
        Ok(response) if response.status == 200 => serde_json::from_slice::<Account>(&response.body)
            .map(|a| a.acct)
            .unwrap_or_default(),
        answer => return CheckResult::from_failure("Mastodon", answer.as_ref()),
    };
    let limits = match http
        .send(HttpRequest::get(channel.url.join("/api/v2/instance")))
        .await
    {
        Ok(response) if response.status == 200 => serde_json::from_slice(&response.body)
            .ok()
            .map(|instance: serde_json::Value| limits_from_instance(&instance)),
        _ => None,
    };
    CheckResult {
        status: ChannelStatus::Connected,
        reason: limits
            .is_none()
            .then(|| "the server's limits could not be read: Mastodon's defaults apply".into()),
        account: Some(format!("@{account}")),
        limits,
    }
}

/// Reads `configuration.statuses`, `.media_attachments` and `.polls` of an instance,
/// keeping Mastodon's default for anything absent.
pub fn limits_from_instance(instance: &serde_json::Value) -> Limits {
    let defaults = Limits::default();
    let config = &instance["configuration"];
    let read = |section: &str, field: &str, default: u32| {
        config[section][field]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0)
            .unwrap_or(default)
    };
    Limits {
        max_characters: read("statuses", "max_characters", defaults.max_characters),
        max_media: read("statuses", "max_media_attachments", defaults.max_media)
            .min(super::MAX_IMAGES as u32),
        characters_reserved_per_url: read(
            "statuses",
            "characters_reserved_per_url",
            defaults.characters_reserved_per_url,
        ),
        poll_max_options: read("polls", "max_options", defaults.poll_max_options),
        poll_max_characters_per_option: read(
            "polls",
            "max_characters_per_option",
            defaults.poll_max_characters_per_option,
        ),
        poll_min_expiration: read("polls", "min_expiration", defaults.poll_min_expiration),
        poll_max_expiration: read("polls", "max_expiration", defaults.poll_max_expiration),
        alt_text_max_characters: read(
            "media_attachments",
            "description_limit",
            defaults.alt_text_max_characters,
        ),
    }
}

//! Standard Webhooks (standardwebhooks.com): how Kiosque signs what it sends, both for webhook
//! channels (posts bridged to automation tools, a chat room, a website) and for the lifecycle
//! webhooks of [`super::webhooks_out`].
//!
//! Headers: `webhook-id` (the same on every retry: receivers deduplicate on it),
//! `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(secret,
//! "{id}.{timestamp}.{body}")>`. Secrets are random bytes shown once as `whsec_<base64>`.

use super::{Channel, ChannelStatus, CheckResult, classify_failure};
use crate::clock::Timestamp;
use crate::hashing::hmac_sha256;
use crate::ids;
use crate::social::{HttpClient, HttpRequest, PostContent, PublishOutcome};

/// The text form of a secret, as receivers' Standard Webhooks libraries read it.
pub fn format_secret(secret: &[u8]) -> String {
    format!("whsec_{}", ids::base64_standard(secret))
}

/// The `webhook-signature` header value of one message.
pub fn signature(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!(
        "v1,{}",
        ids::base64_standard(&hmac_sha256(secret, &message))
    )
}

/// A signed `POST` of `body` (JSON) to `url`.
pub fn signed_request(
    url: &str,
    secret: &[u8],
    id: &str,
    now: Timestamp,
    body: Vec<u8>,
) -> HttpRequest {
    let timestamp = now.unix_seconds();
    let signature = signature(secret, id, timestamp, &body);
    HttpRequest::post(url, body)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
}

/// The payload `{type, timestamp, data}` Standard Webhooks recommends.
pub fn payload(event_type: &str, now: Timestamp, data: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": event_type,
        "timestamp": now.to_string(),
        "data": data,
    }))
    .unwrap_or_default()
}

/// Sends a post to a webhook channel as a `post.publish` message whose `webhook-id` is the
/// idempotency key, so a receiver that saw it already can ignore the retry.
pub async fn publish(
    http: &impl HttpClient,
    now: Timestamp,
    channel: &Channel,
    secret: &[u8],
    content: &PostContent,
    idempotency_key: &str,
) -> PublishOutcome {
    let data = serde_json::json!({
        "channel_id": channel.id,
        "text": super::text::compose(content),
        "content": content,
    });
    let body = payload("post.publish", now, data);
    let request = signed_request(channel.url.as_str(), secret, idempotency_key, now, body);
    match http.send(request).await {
        Ok(response) if (200..300).contains(&response.status) => PublishOutcome::Published {
            platform_id: idempotency_key.to_owned(),
            url: String::new(),
        },
        // 410 Gone: the receiver is gone for good, which staff fix like a revoked token.
        Ok(response) if response.status == 410 => PublishOutcome::NeedsReconnect {
            reason: "the webhook receiver answered 410 Gone".into(),
        },
        answer => classify_failure("webhook", answer.as_ref(), now),
    }
}

/// "Check connection" of a webhook channel: a signed `channel.check` message.
pub async fn check(
    http: &impl HttpClient,
    now: Timestamp,
    channel: &Channel,
    secret: &[u8],
) -> CheckResult {
    let body = payload(
        "channel.check",
        now,
        serde_json::json!({"channel_id": channel.id}),
    );
    let id = format!("check_{}_{}", channel.id, now.unix_seconds());
    match http
        .send(signed_request(channel.url.as_str(), secret, &id, now, body))
        .await
    {
        Ok(response) if (200..300).contains(&response.status) => CheckResult {
            status: ChannelStatus::Connected,
            reason: None,
            account: None,
            limits: None,
        },
        answer => CheckResult::from_failure("webhook receiver", answer.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_standard_webhooks_reference() {
        // The example of the Standard Webhooks specification's reference libraries.
        // The example of the Standard Webhooks reference libraries: the bytes of
        // "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".
        let reference = [
            0x31, 0xf2, 0x90, 0xf6, 0xbf, 0x06, 0x29, 0x8a, 0xab, 0x4f, 0x08, 0xd4, 0x3c, 0x3f,
            0x08, 0x2c, 0xf6, 0x48, 0xa3, 0x62, 0xda, 0x2d, 0xa4, 0xb0,
        ];
        assert_eq!(
            format_secret(&reference),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        );
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&reference, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_ne!(
            signature(&reference, "a", 1, b"x"),
            signature(&reference, "a", 2, b"x")
        );
    }
}

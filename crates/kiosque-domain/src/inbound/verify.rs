//! Proving that a delivery comes from the platform: every check here runs on the raw body,
//! before anything is parsed or stored, and compares in constant time.
//!
//! - Meta and Mastodon sign the body alone: `sha256=<hex HMAC-SHA256(secret, body)>`, Meta in
//!   `X-Hub-Signature-256`, Mastodon in `X-Hub-Signature`;
//! - Standard Webhooks sign `"{id}.{timestamp}.{body}"` and send one or more
//!   `v1,<base64>` entries (several while a secret is being rotated); the signing is
//!   [`crate::channels::webhook::signature`], the one Kiosque uses for what it sends.

use super::InboundError;
use crate::channels::webhook;
use crate::clock::Timestamp;
use crate::hashing::{constant_time_eq, hmac_sha256};
use crate::ids;

/// How far a Standard Webhooks timestamp may be from our clock, either way: the
/// specification's suggestion, which bounds how long a captured delivery can be replayed.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 5 * 60;

/// Checks a `sha256=<hex>` header (Meta's `X-Hub-Signature-256`, Mastodon's
/// `X-Hub-Signature`) against the raw `body`. Hex digits are compared case-insensitively.
pub fn hub_signature(secret: &[u8], header: Option<&str>, body: &[u8]) -> Result<(), InboundError> {
    let presented = header
        .map(str::trim)
        .and_then(|h| h.strip_prefix("sha256="))
        .ok_or(InboundError::BadSignature)?
        .to_ascii_lowercase();
    let expected = hex::encode(hmac_sha256(secret, body));
    if constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(InboundError::BadSignature)
    }
}

/// The three Standard Webhooks headers of a delivery, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// The secret of a Standard Webhooks sender, `whsec_<base64>` (or the bare base64), as the
/// specification's libraries read it. `None` when it is not base64 or shorter than 16 bytes.
pub fn standard_secret(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let encoded = text.strip_prefix("whsec_").unwrap_or(text);
    ids::base64_standard_decode(encoded).filter(|secret| secret.len() >= 16)
}

/// Verifies a Standard Webhooks delivery and returns its `webhook-id`: the signature first
/// (any `v1` entry may match), then the timestamp, which must be within
/// [`TIMESTAMP_TOLERANCE_SECS`] of `now`, so a delivery captured and sent again later is
/// refused even before de-duplication.
pub fn standard<'a>(
    secret: &[u8],
    headers: StandardHeaders<'a>,
    body: &[u8],
    now: Timestamp,
) -> Result<&'a str, InboundError> {
    let (Some(id), Some(timestamp), Some(signatures)) =
        (headers.id, headers.timestamp, headers.signature)
    else {
        return Err(InboundError::BadSignature);
    };
    let id = id.trim();
    let timestamp_text = timestamp.trim();
    if id.is_empty() {
        return Err(InboundError::BadSignature);
    }
    let timestamp: i64 = timestamp_text
        .parse()
        .map_err(|_| InboundError::BadSignature)?;
    let expected = webhook::signature(secret, id, timestamp, body);
    // Every entry is compared, matching or not, so the time taken does not say which did.
    let matched = signatures
        .split(' ')
        .filter(|entry| entry.starts_with("v1,"))
        .fold(false, |found, entry| {
            constant_time_eq(entry.as_bytes(), expected.as_bytes()) | found
        });
    if !matched {
        return Err(InboundError::BadSignature);
    }
    if (now.unix_seconds() - timestamp).abs() > TIMESTAMP_TOLERANCE_SECS {
        return Err(InboundError::StaleTimestamp);
    }
    Ok(id)
}

/// The query of Meta's verification request, `GET callback?hub.mode=subscribe&
/// hub.verify_token=...&hub.challenge=...`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetaHandshake<'a> {
    pub mode: Option<&'a str>,
    pub verify_token: Option<&'a str>,
    pub challenge: Option<&'a str>,
}

/// The longest challenge we echo; Meta sends a number.
const MAX_CHALLENGE_CHARS: usize = 128;

/// Meta's subscription handshake: the challenge to answer (as `text/plain`) when the mode is
/// `subscribe` and the token is ours. The challenge is echoed only when it is made of
/// letters, digits, `-` and `_`, so this endpoint cannot reflect arbitrary content.
pub fn meta_handshake<'a>(
    expected_token: &str,
    request: MetaHandshake<'a>,
) -> Result<&'a str, InboundError> {
    let token_matches = request
        .verify_token
        .is_some_and(|token| constant_time_eq(token.as_bytes(), expected_token.trim().as_bytes()));
    if request.mode != Some("subscribe") || !token_matches {
        return Err(InboundError::BadVerifyToken);
    }
    let challenge = request.challenge.unwrap_or("");
    let plain = (1..=MAX_CHALLENGE_CHARS).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plain {
        return Err(InboundError::Invalid(
            "hub.challenge: expected 1 to 128 letters or digits".into(),
        ));
    }
    Ok(challenge)
}

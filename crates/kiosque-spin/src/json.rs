//! JSON request bodies.

use serde::de::DeserializeOwned;
use spin_sdk::http::Request;

use crate::error::{ApiError, RequestError};

/// The largest JSON body we accept; every API body is a few hundred bytes.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// Decodes the body: a `content-type` other than `application/json` is a 415
/// `unsupported_media_type`, over 64 KiB a 413 `payload_too_large`, anything serde rejects a
/// 400 `invalid_json` with serde's message (it names the field and position, nothing
/// internal).
///
/// Insisting on the JSON content type is also a defence against cross-site posts: an HTML
/// form cannot send it, and a script on another site cannot send it without a CORS preflight,
/// which we never grant.
pub fn parse_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    if !has_media_type(req, "application/json") {
        return Err(RequestError::UnsupportedMediaType.into());
    }
    parse_bytes(req.body())
}

/// Whether the request's `content-type` is `media_type`, with any parameters
/// (`; charset=utf-8`), in any case.
pub fn has_media_type(req: &Request, media_type: &str) -> bool {
    is_media_type(
        req.header("content-type").and_then(|v| v.as_str()),
        media_type,
    )
}

fn is_media_type(content_type: Option<&str>, wanted: &str) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case(wanted))
}

fn parse_bytes<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.len() > MAX_JSON_BYTES {
        return Err(ApiError::payload_too_large(MAX_JSON_BYTES));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_json(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Vote {
        option: i64,
    }

    #[test]
    fn only_json_content_types_are_read() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            " application/json ",
        ] {
            assert!(is_media_type(Some(ok), "application/json"), "{ok}");
        }
        for bad in [
            None,
            Some(""),
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonp"),
            Some("text/plain; application/json"),
        ] {
            assert!(!is_media_type(bad, "application/json"), "{bad:?}");
        }
    }

    #[test]
    fn size_and_syntax_errors_are_client_errors() {
        let ok: Vote = parse_bytes(br#"{"option": 1}"#).unwrap();
        assert_eq!(ok.option, 1);

        let err = parse_bytes::<Vote>(b"{oops").unwrap_err();
        assert_eq!((err.status, err.code), (400, "invalid_json"));
        let err = parse_bytes::<Vote>(br#"{"opt": 1}"#).unwrap_err();
        assert!(
            err.message.contains("unknown field `opt`"),
            "{}",
            err.message
        );

        let big = format!(
            r#"{{"option": 1, "pad": "{}"}}"#,
            "x".repeat(MAX_JSON_BYTES)
        );
        let err = parse_bytes::<Vote>(big.as_bytes()).unwrap_err();
        assert_eq!((err.status, err.code), (413, "payload_too_large"));
    }
}

//! JSON request bodies.

use serde::de::DeserializeOwned;
use spin_sdk::http::Request;

use crate::error::ApiError;

/// The largest JSON body we accept; every API body is a few hundred bytes.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// Decodes the body: over 64 KiB is a 413 `payload_too_large`, anything serde rejects a 400
/// `invalid_json` with serde's message (it names the field and position, nothing internal).
pub fn parse_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    parse_bytes(req.body())
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

//! `application/x-www-form-urlencoded` decoding, for HTML forms and query strings.

use spin_sdk::http::Request;

use crate::ApiError;

/// Decodes `a=1&b=x+y` into pairs (`form_urlencoded`, the WHATWG parser). Malformed escapes
/// are kept literally and invalid UTF-8 is replaced, so decoding never fails; the values are
/// then parsed into domain types.
pub fn parse(input: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(input.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The first value of `name`, if any.
pub fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The first value of `name` in a query string.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// Percent-decodes a URL path (where `+` stays `+`); malformed escapes are kept literally.
pub fn percent_decode_path(input: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(input).collect()
}

/// A positive integer query parameter of a JSON endpoint: `default` when absent, 400 when it
/// is not a positive integer (an API client wants to know its request was wrong).
pub fn api_query_u64(req: &Request, name: &str, default: u64) -> Result<u64, ApiError> {
    match query_param(req.query(), name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|&n: &u64| n >= 1)
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "invalid_query",
                    format!("{name}: expected a positive whole number"),
                )
            }),
    }
}

/// A positive integer query parameter of a page, or `default`: a hand-edited page link
/// should still show a page.
pub fn query_u64(req: &Request, name: &str, default: u64) -> u64 {
    query_param(req.query(), name)
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n: &u64| n >= 1)
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_queries() {
        let pairs = parse("option=2&note=caf%C3%A9+cr%C3%A8me&empty=&flag");
        assert_eq!(get(&pairs, "option"), Some("2"));
        assert_eq!(get(&pairs, "note"), Some("café crème"));
        assert_eq!(get(&pairs, "empty"), Some(""));
        assert_eq!(get(&pairs, "flag"), Some(""));
        assert_eq!(get(&pairs, "missing"), None);
        assert_eq!(query_param("lang=en&x=1", "lang").as_deref(), Some("en"));
    }

    #[test]
    fn malformed_escapes_stay_literal() {
        let value = |query: &str| query_param(query, "v").unwrap();
        assert_eq!(value("v=100%"), "100%");
        assert_eq!(value("v=%zz%4"), "%zz%4");
        assert_eq!(value("v=%41%2"), "A%2");
        assert_eq!(value("v=%FF"), "\u{FFFD}");
        assert_eq!(percent_decode_path("a+b%2e"), b"a+b.");
    }
}

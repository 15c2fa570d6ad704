//! `application/x-www-form-urlencoded` decoding, for HTML forms and query strings.

use spin_sdk::http::Request;

use crate::ApiError;

/// Decodes `a=1&b=x+y` into pairs. Malformed escapes are kept literally and invalid UTF-8 is
/// replaced, so decoding never fails; the values are then parsed into domain types.
pub fn parse(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
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
    let pairs = parse(query);
    get(&pairs, name).map(str::to_owned)
}

/// Percent-decoding with `+` as space.
pub fn decode(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode(text.as_bytes(), true)).into_owned()
}

/// Percent-decodes bytes; `plus_as_space` for form encoding (not for URL paths).
pub fn percent_decode(input: &[u8], plus_as_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' if plus_as_space => out.push(b' '),
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
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
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%41%2"), "A%2");
        assert_eq!(percent_decode(b"a+b%2e", false), b"a+b.");
    }
}

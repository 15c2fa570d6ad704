//! Web text that several areas share: HTML escaping, and the `https` URLs staff and patrons
//! may give (poll option images, links to contest entries).

use serde::{Deserialize, Serialize};

/// Escapes text for HTML element content and quoted attribute values. The Spin adapter's
/// `html::escape` is this function, so pages and rendered Markdown escape alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Bidirectional-text controls (U+202A-U+202E, U+2066-U+2069): invisible characters that
/// reorder what follows them, so a name or a link could display as something else.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// An absolute `https://` URL with a host and no user part, without spaces, quotes, angle
/// brackets or invisible controls: it can go into an `href` or `src` as is, and loads on pages
/// served over https (a plain-http image would be blocked as mixed content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpsUrl(String);

impl HttpsUrl {
    /// Parses `text` for the field named `field` (used in the error message), at most
    /// `max_chars` characters.
    pub fn parse(field: &str, text: &str, max_chars: usize) -> Result<Self, String> {
        let text = text.trim();
        let Some(rest) = text
            .get(..8)
            .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
            .map(|_| &text[8..])
        else {
            return Err(format!("{field}: must start with https://"));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let bad = |c: char| {
            c.is_whitespace() || c.is_control() || is_bidi_control(c) || "\"'<>`\\{}|^".contains(c)
        };
        if host.is_empty() || host.contains('@') || text.chars().any(bad) {
            return Err(format!("{field}: must be a valid https URL"));
        }
        if text.chars().count() > max_chars {
            return Err(format!("{field}: must be at most {max_chars} characters"));
        }
        Ok(HttpsUrl(format!("https://{rest}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest URL a stored value may hold (read back from the store).
const STORED_URL_MAX_CHARS: usize = 2000;

impl TryFrom<String> for HttpsUrl {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        HttpsUrl::parse("url", &text, STORED_URL_MAX_CHARS)
    }
}

impl From<HttpsUrl> for String {
    fn from(url: HttpsUrl) -> String {
        url.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_https_urls_pass() {
        let parse = |t: &str| HttpsUrl::parse("link", t, 100);
        assert_eq!(
            parse(" HTTPS://x.example/a?b#c ").unwrap().as_str(),
            "https://x.example/a?b#c"
        );
        for bad in [
            "http://x.example",
            "javascript:alert(1)",
            "https://a b.example",
            "https://user@evil.example",
            "https://x.example/\"onerror",
            "https://x.example/\u{202E}gpj.exe",
            "https://",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse(&format!("https://x.example/{}", "a".repeat(100))).unwrap_err(),
            "link: must be at most 100 characters"
        );
        assert_eq!(
            escape("<a href=\"x\">l'été & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;l&#39;été &amp; co&lt;/a&gt;"
        );
    }
}

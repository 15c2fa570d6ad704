//! Web text that several areas share: HTML escaping, and the URLs staff and patrons may give
//! (poll option images, links to contest entries, a channel's server), parsed by the `url`
//! crate with the WHATWG rules browsers follow.

use serde::{Deserialize, Serialize};
pub use url::Url;

/// Escapes text for HTML element content and quoted attribute values: for what the domain
/// writes as text (rendered Markdown, XML feeds). Pages are `maud` templates, which escape
/// spliced values themselves.
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

/// Characters refused in a URL given to Kiosque, before the `url` crate reads it: the WHATWG
/// parser would silently drop tabs and line breaks, percent-encode spaces and quotes, or turn
/// `\\` into `/`, so the address staff see would not be the one they typed; and bidi controls
/// could make a link display as another.
fn is_refused_in_url(c: char) -> bool {
    c.is_whitespace() || c.is_control() || is_bidi_control(c) || "\"'<>`\\{}|^".contains(c)
}

/// Why [`absolute_url`] refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute URL, a character [`is_refused_in_url`] refuses, or no host.
    Invalid,
    /// A user part (`https://user@host`): a classic way to disguise the real host.
    UserInfo,
    /// A host in non-ASCII letters: its ASCII (`xn--`) form is needed, see the `idna_adapter`
    /// pin in `Cargo.toml`.
    UnicodeHost,
}

/// Parses `text` (trimmed) as an absolute URL with a host, no user part and no refused
/// character. The scheme is the caller's to check.
pub fn absolute_url(text: &str) -> Result<Url, UrlProblem> {
    let text = text.trim();
    if text.chars().any(is_refused_in_url) {
        return Err(UrlProblem::Invalid);
    }
    let url = Url::parse(text).map_err(|e| match e {
        url::ParseError::IdnaError => UrlProblem::UnicodeHost,
        _ => UrlProblem::Invalid,
    })?;
    if url.host_str().is_none_or(str::is_empty) || url.cannot_be_a_base() {
        return Err(UrlProblem::Invalid);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::UserInfo);
    }
    Ok(url)
}

impl UrlProblem {
    /// The message for the field named `field`, in the words of the API's errors.
    pub fn message(self, field: &str, what: &str) -> String {
        match self {
            UrlProblem::Invalid | UrlProblem::UserInfo => {
                format!("{field}: must be a valid {what}")
            }
            UrlProblem::UnicodeHost => format!(
                "{field}: write the domain name in its ASCII form (xn--...), as your browser's \
                 address bar shows it once copied"
            ),
        }
    }
}

/// The text of an absolute URL as typed (trimmed), with its scheme in lower case: what staff
/// typed is what they see again, while [`absolute_url`] has checked it.
fn as_typed(text: &str, url: &Url) -> String {
    let text = text.trim();
    let scheme_len = url.scheme().len();
    format!("{}{}", url.scheme(), &text[scheme_len..])
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
        let url = match absolute_url(text) {
            Ok(url) if url.scheme() == "https" => url,
            Ok(_) => return Err(format!("{field}: must start with https://")),
            Err(UrlProblem::Invalid)
                if !text.trim().to_ascii_lowercase().starts_with("https://") =>
            {
                return Err(format!("{field}: must start with https://"));
            }
            Err(problem) => return Err(problem.message(field, "https URL")),
        };
        if text.trim().chars().count() > max_chars {
            return Err(format!("{field}: must be at most {max_chars} characters"));
        }
        Ok(HttpsUrl(as_typed(text, &url)))
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
            "https://[::1",
            "https://x.example:99999/",
            "https://x.example\\@evil.example/",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse("https://médiathèque.example/").unwrap_err(),
            "link: write the domain name in its ASCII form (xn--...), as your browser's address \
             bar shows it once copied"
        );
        assert_eq!(
            parse("https://xn--mdiathque-b4ai.example/été")
                .unwrap()
                .as_str(),
            "https://xn--mdiathque-b4ai.example/été"
        );
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

//! Field parsing shared by showcases and events: every message names the field (with its
//! path, e.g. `items[2].isbn`), so staff know exactly what to fix.

use crate::web::{HttpsUrl, is_bidi_control};

/// The longest URL we accept in any field.
pub const MAX_URL_CHARS: usize = 2000;

/// A required single line: trimmed, not empty, at most `max` characters, no control or
/// bidirectional-override characters.
pub fn line(field: &str, raw: &str, max: usize) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(format!("{field}: must not be empty"));
    }
    check_length(field, text, max)?;
    if text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(format!(
            "{field}: must be a single line without control characters"
        ));
    }
    Ok(text.to_owned())
}

/// An optional single line: absent or blank is `None`.
pub fn optional_line(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => line(field, text, max).map(Some),
    }
}

/// A multi-line text (paragraphs, Markdown): `\r\n` becomes `\n`, tabs and newlines are the
/// only control characters kept.
pub fn paragraphs(field: &str, raw: &str, max: usize) -> Result<String, String> {
    let text = raw.replace("\r\n", "\n");
    let text = text.trim();
    check_length(field, text, max)?;
    if text
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
    {
        return Err(format!(
            "{field}: must not contain control characters other than line breaks"
        ));
    }
    Ok(text.to_owned())
}

/// Required paragraphs.
pub fn required_paragraphs(field: &str, raw: &str, max: usize) -> Result<String, String> {
    let text = paragraphs(field, raw, max)?;
    if text.is_empty() {
        return Err(format!("{field}: must not be empty"));
    }
    Ok(text)
}

fn check_length(field: &str, text: &str, max: usize) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > max {
        return Err(format!(
            "{field}: must be at most {max} characters, got {chars}"
        ));
    }
    Ok(())
}

pub fn optional_url(field: &str, raw: Option<&str>) -> Result<Option<HttpsUrl>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => HttpsUrl::parse(field, text, MAX_URL_CHARS).map(Some),
    }
}

pub fn url(field: &str, raw: &str) -> Result<HttpsUrl, String> {
    HttpsUrl::parse(field, raw, MAX_URL_CHARS)
}

/// A year of publication or release, 1000 to 2100.
pub fn optional_year(field: &str, year: Option<i64>) -> Result<Option<i32>, String> {
    match year {
        None => Ok(None),
        Some(y) if (1000..=2100).contains(&y) => Ok(Some(y as i32)),
        Some(y) => Err(format!(
            "{field}: must be a year from 1000 to 2100, got {y}"
        )),
    }
}

/// A positive whole number no larger than `max`.
pub fn optional_count(field: &str, value: Option<i64>, max: i64) -> Result<Option<u32>, String> {
    match value {
        None => Ok(None),
        Some(v) if (1..=max).contains(&v) => Ok(Some(v as u32)),
        Some(v) => Err(format!("{field}: must be from 1 to {max}, got {v}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_bounded_and_named_in_errors() {
        assert_eq!(line("title", "  Noël  ", 10).unwrap(), "Noël");
        assert_eq!(
            line("items[0].title", " ", 10).unwrap_err(),
            "items[0].title: must not be empty"
        );
        assert_eq!(
            line("title", "abcdef", 5).unwrap_err(),
            "title: must be at most 5 characters, got 6"
        );
        assert!(line("title", "a\nb", 5).is_err());
        assert!(line("title", "a\u{202E}b", 5).is_err());
        assert_eq!(optional_line("album", Some("  "), 5).unwrap(), None);
        assert_eq!(paragraphs("text", "a\r\nb\n\tc", 20).unwrap(), "a\nb\n\tc");
        assert!(paragraphs("text", "a\u{0007}", 20).is_err());
        assert_eq!(
            optional_year("year", Some(3000)).unwrap_err(),
            "year: must be a year from 1000 to 2100, got 3000"
        );
        assert_eq!(
            optional_count("duration", Some(0), 10).unwrap_err(),
            "duration: must be from 1 to 10, got 0"
        );
        assert!(optional_url("sample_url", Some("http://x.example")).is_err());
    }
}

//! The hashtag type of the project: what staff give to posts and campaigns, and what the
//! platform webhooks and the hashtag following find in patrons' posts.
//!
//! Rules, as Mastodon applies them (its `Tag::HASHTAG_RE`: letters, marks, digits and `_`,
//! at least one character that is not a digit), with accents allowed (`#Été2026`):
//! - the text is Unicode-normalised to NFC first, so `é` typed as `e` + combining accent and
//!   the precomposed `é` are the same tag;
//! - it is shown in CamelCase (`#NuitDeLaLecture`) so screen readers read words instead of
//!   spelling one long word: words given apart (`nuit de la lecture`, `nuit-de-la-lecture`)
//!   are joined with a capital each; the staff's own casing is kept otherwise. A tag typed as
//!   one lowercase word (`nuitdelalecture`) cannot be split automatically (no dictionary
//!   here): it is accepted, and [`Hashtag::looks_like_run_together_words`] lets the staff
//!   API warn about it;
//! - two tags are equal when their [`Hashtag::folded`] forms are: `#Lire`, `#lire` and
//!   `#LIRE` are one tag on every platform.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Longer tags are refused (Mastodon stores names up to a few hundred characters, but a
/// campaign tag is meant to be typed).
pub const MAX_HASHTAG_CHARS: usize = 100;

/// A hashtag in CamelCase without `#`, e.g. `NuitDeLaLecture`. Parsed from
/// `#NuitDeLaLecture`, `nuit de la lecture` or `nuit-de-la-lecture` alike. Equality and hash
/// ignore case ([`Hashtag::folded`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hashtag(String);

impl Hashtag {
    /// Parses a tag as staff or a platform writes it; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text: String = text.trim().nfc().collect();
        let text = text.strip_prefix('#').unwrap_or(&text);
        let mut tag = String::with_capacity(text.len());
        for word in text.split(|c: char| c.is_whitespace() || c == '-') {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                tag.extend(first.to_uppercase());
                tag.push_str(chars.as_str());
            }
        }
        if tag.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if let Some(bad) = tag.chars().find(|&c| !is_tag_char(c)) {
            return Err(format!(
                "{bad:?} is not allowed: only letters, digits and '_' (words given apart are \
                 joined in CamelCase)"
            ));
        }
        if tag.chars().all(|c| c.is_numeric()) {
            return Err("must contain a letter or '_', not only digits".to_owned());
        }
        let chars = tag.chars().count();
        if chars > MAX_HASHTAG_CHARS {
            return Err(format!(
                "must be at most {MAX_HASHTAG_CHARS} characters, got {chars}"
            ));
        }
        Ok(Hashtag(tag))
    }

    /// The tag as shown, CamelCase, without `#`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The comparison key: lowercase (Unicode), NFC. `#Été` and `#ÉTÉ` fold to `été`.
    pub fn folded(&self) -> String {
        self.0.to_lowercase().nfc().collect()
    }

    /// Whether the tag looks like several words run together in lowercase
    /// (`Nuitdelalecture`: more than 12 letters and no capital after the first): a screen
    /// reader reads it as one unknown word, so the staff API warns and suggests capitals or
    /// spaces. A hint only: a long single word is possible.
    pub fn looks_like_run_together_words(&self) -> bool {
        self.0.chars().filter(|c| c.is_alphabetic()).count() > 12
            && !self.0.chars().skip(1).any(char::is_uppercase)
    }
}

/// Letters (any script), combining marks left after NFC, digits and `_`.
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_combining_mark(c)
}

/// The combining diacritical marks blocks (a letter followed by a mark with no precomposed
/// form stays two characters after NFC).
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

impl PartialEq for Hashtag {
    fn eq(&self, other: &Self) -> bool {
        self.folded() == other.folded()
    }
}

impl Eq for Hashtag {}

impl Hash for Hashtag {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.folded().hash(state);
    }
}

impl fmt::Display for Hashtag {
    /// With its `#`: `#NuitDeLaLecture`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl TryFrom<String> for Hashtag {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Hashtag::parse(&text)
    }
}

impl From<Hashtag> for String {
    fn from(tag: Hashtag) -> String {
        tag.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: &str) {
        assert_eq!(Hashtag::parse(raw).unwrap().as_str(), expected, "{raw}");
    }

    #[test]
    fn words_are_joined_in_camel_case_keeping_staff_casing() {
        check("nuit de la lecture", "NuitDeLaLecture");
        check("#NuitDeLaLecture", "NuitDeLaLecture");
        check("fête-de-la-musique", "FêteDeLaMusique");
        check("#prix_goncourt", "Prix_goncourt");
        check("2026 en lectures", "2026EnLectures");
        check("#_2026", "_2026");
        check("#日本語", "日本語");
        assert_eq!(Hashtag::parse("lire").unwrap().to_string(), "#Lire");
    }

    #[test]
    fn accents_are_normalised_to_nfc() {
        let composed = Hashtag::parse("#Été2026").unwrap();
        let decomposed = Hashtag::parse("#E\u{301}te\u{301}2026").unwrap();
        assert_eq!(decomposed.as_str(), "Été2026");
        assert_eq!(composed, decomposed);
        assert_eq!(decomposed.folded(), "été2026");
    }

    #[test]
    fn compared_case_insensitively() {
        let a = Hashtag::parse("#NuitDeLaLecture").unwrap();
        let b = Hashtag::parse("#nuitdelalecture").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.folded(), "nuitdelalecture");
        let set: std::collections::HashSet<Hashtag> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert!(
            Hashtag::parse("nuitdelalecture")
                .unwrap()
                .looks_like_run_together_words()
        );
        assert!(
            !Hashtag::parse("nuit de la lecture")
                .unwrap()
                .looks_like_run_together_words()
        );
        assert!(
            !Hashtag::parse("Bibliothèque")
                .unwrap()
                .looks_like_run_together_words()
        );
    }

    #[test]
    fn invalid_tags_say_why() {
        for (bad, why) in [
            ("", "empty"),
            ("#", "empty"),
            ("2026", "only digits"),
            ("c'est parti", "'\\''"),
            ("a.b", "'.'"),
            ("#a#b", "'#'"),
            ("lire😀", "not allowed"),
        ] {
            let error = Hashtag::parse(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
        assert!(
            Hashtag::parse(&"a".repeat(101))
                .unwrap_err()
                .contains("at most 100")
        );
    }

    #[test]
    fn serde_round_trip_validates() {
        let tag: Hashtag = serde_json::from_str("\"nuit de la lecture\"").unwrap();
        assert_eq!(serde_json::to_string(&tag).unwrap(), "\"NuitDeLaLecture\"");
        assert!(serde_json::from_str::<Hashtag>("\"a b!\"").is_err());
    }
}

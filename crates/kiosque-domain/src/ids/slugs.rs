//! Ids that are also readable addresses: a tutorial's slug, a campaign's, a contest
//! category's.

use super::InvalidId;

pub const MAX_SLUG_CHARS: usize = 60;

/// Slugs that name API routes beside tutorials (`/api/tutorials/blocks`).
const RESERVED_SLUGS: [&str; 3] = ["blocks", "feed", "search"];

/// `[a-z0-9-]` only, within `max` bytes, not starting or ending with `-`.
fn is_slug(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// The string conversions every slug type has.
macro_rules! slug_conversions {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(slug: $name) -> String {
                slug.0
            }
        }
    };
}

/// A tutorial's address and id: 1 to 60 characters of `[a-z0-9-]`, not starting or ending
/// with `-`, no `--` (`emprunter-un-livre-numerique`). Safe in URLs, HTML and keys.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(text: &str) -> Result<Self, InvalidId> {
        if !is_slug(text, MAX_SLUG_CHARS) || text.contains("--") {
            return Err(InvalidId(format!(
                "slug: must be 1 to {MAX_SLUG_CHARS} lowercase letters, digits and single hyphens"
            )));
        }
        if RESERVED_SLUGS.contains(&text) {
            return Err(InvalidId(format!("slug: \"{text}\" is reserved")));
        }
        Ok(Slug(text.to_owned()))
    }
}

slug_conversions!(Slug);

/// A reusable tutorial block's id: the same shape as a [`Slug`] (`se-connecter-carte`).
pub type BlockId = Slug;

/// A campaign's public address: `/campaigns/{slug}`. 1 to 60 characters in `[a-z0-9-]`, not
/// starting or ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CampaignSlug(String);

impl CampaignSlug {
    pub fn parse(text: &str) -> Result<Self, InvalidId> {
        if is_slug(text, 60) {
            Ok(CampaignSlug(text.to_owned()))
        } else {
            Err(InvalidId(
                "slug: must be 1 to 60 lowercase letters, digits or '-' (e.g. nuit-de-la-lecture-2026)"
                    .to_owned(),
            ))
        }
    }
}

slug_conversions!(CampaignSlug);

/// A contest category's slug: 1 to 32 characters in `[a-z0-9-]`, e.g. `moins-de-12-ans`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct CategorySlug(String);

impl CategorySlug {
    pub fn parse(text: &str) -> Result<Self, InvalidId> {
        let valid = (1..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(CategorySlug(text.to_owned()))
        } else {
            Err(InvalidId(
                "category: must be 1 to 32 lowercase letters, digits or '-'".to_owned(),
            ))
        }
    }
}

slug_conversions!(CategorySlug);

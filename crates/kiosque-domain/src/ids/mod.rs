//! Identifiers of every area, and the encodings of random ones. They live here, below the
//! areas, so that `keys` depends on ids alone and every area on `keys`: the domain has no
//! import cycle. Each area re-exports its own ids (`polls::PollId`, ...).
//!
//! Randomness itself is injected: callers pass the bytes (the Spin adapter draws them from the
//! host), so tests stay deterministic. Encodings are RFC 4648, by `data-encoding`, whose
//! decoders refuse non-canonical text (wrong padding, stray trailing bits).

mod polls;
mod slugs;

pub use polls::{InviteCode, Voter, VoterId};
pub use slugs::{BlockId, CampaignSlug, CategorySlug, MAX_SLUG_CHARS, Slug};

use data_encoding::{BASE32_NOPAD, BASE64, BASE64_NOPAD, BASE64URL_NOPAD};

/// RFC 4648 base32, lowercase, unpadded: 8 characters per 5 bytes, all in `[a-z2-7]`, so the
/// result is a valid URL segment and store key fragment.
pub fn base32_lower(bytes: &[u8]) -> String {
    BASE32_NOPAD.encode(bytes).to_ascii_lowercase()
}

/// RFC 4648 base64url, unpadded: 4 characters per 3 bytes, all in `[A-Za-z0-9_-]`.
pub fn base64url(bytes: &[u8]) -> String {
    BASE64URL_NOPAD.encode(bytes)
}

/// RFC 4648 base64 with the standard alphabet and `=` padding, as Standard Webhooks writes
/// signatures and `whsec_` secrets.
pub fn base64_standard(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// Decodes [`base64_standard`] text, padded or not (Standard Webhooks secrets are written
/// both ways in the wild); `None` for any other character, a wrong padding or a length no
/// encoder produces.
pub fn base64_standard_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let encoding = if bytes.ends_with(b"=") {
        &BASE64
    } else {
        &BASE64_NOPAD
    };
    encoding.decode(bytes).ok()
}

/// An identifier that does not have its type's shape. Each area turns it into its own error
/// (`PollError::Invalid`, or `NotFound` where an id only ever comes from a URL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub String);

impl From<InvalidId> for String {
    fn from(error: InvalidId) -> String {
        error.0
    }
}

/// The longest id of the `[a-z0-9]` kind ([`lowercase_id!`]): generated ones are 16.
pub const MAX_ID_CHARS: usize = 40;

/// Defines an id type: 1 to [`MAX_ID_CHARS`] characters in `[a-z0-9]`, safe in URLs, HTML and
/// keys. Generated ids are 16 base32 characters (80 random bits).
macro_rules! lowercase_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, InvalidId> {
                let valid = (1..=MAX_ID_CHARS).contains(&text.len())
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
                if valid {
                    Ok($name(text.to_owned()))
                } else {
                    Err(InvalidId(
                        concat!($what, " id: must be 1 to 40 lowercase letters or digits").to_owned(),
                    ))
                }
            }

            /// Builds a fresh id from 10 random bytes supplied by the caller.
            pub fn generate(random: [u8; 10]) -> Self {
                // Base32 lowercase is `[a-z2-7]`, a subset of what `parse` accepts.
                $name(base32_lower(&random))
            }

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
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

lowercase_id!(
    /// A campaign's id.
    CampaignId,
    "campaign"
);
lowercase_id!(
    /// One of the library's accounts (a Mastodon account, a Bluesky account or an outgoing
    /// webhook).
    ChannelId,
    "channel"
);
lowercase_id!(
    /// A contest's id.
    ContestId,
    "contest"
);
lowercase_id!(
    /// An event's id.
    EventId,
    "event"
);
lowercase_id!(
    /// A lifecycle webhook endpoint's id.
    EndpointId,
    "endpoint"
);
lowercase_id!(
    /// A medium of the media library (an uploaded image and its renditions).
    MediumId,
    "medium"
);
lowercase_id!(
    /// An upload in progress: the parts of one file, before it becomes a medium.
    UploadId,
    "upload"
);
lowercase_id!(
    /// A poll's id.
    PollId,
    "poll"
);
lowercase_id!(
    /// A post's id.
    PostId,
    "post"
);
lowercase_id!(
    /// A question's id.
    QuestionId,
    "question"
);
lowercase_id!(
    /// A showcase's id.
    ShowcaseId,
    "showcase"
);
lowercase_id!(
    /// A staff account's id.
    AccountId,
    "account"
);
lowercase_id!(
    /// A personal API token's id (not its secret).
    TokenId,
    "token"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 section 10, lowercased and unpadded.
        for (input, expected) in [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ] {
            assert_eq!(base32_lower(input.as_bytes()), expected, "{input}");
        }
        assert_eq!(base32_lower(&[0xff; 10]).len(), 16);
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), expected, "{input}");
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        for (input, expected) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v")] {
            assert_eq!(base64_standard(input.as_bytes()), expected, "{input}");
        }
        assert_eq!(base64_standard(&[0xfb, 0xff]), "+/8=");
        assert_eq!(base64url(&[0u8; 24]).len(), 32);
    }

    #[test]
    fn base64_standard_decodes_what_it_encodes_and_nothing_else() {
        for input in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let encoded = base64_standard(input.as_bytes());
            assert_eq!(
                base64_standard_decode(&encoded).as_deref(),
                Some(input.as_bytes()),
                "{input}"
            );
            let unpadded = encoded.trim_end_matches('=');
            assert_eq!(
                base64_standard_decode(unpadded).as_deref(),
                Some(input.as_bytes())
            );
        }
        assert_eq!(base64_standard_decode("+/8=").unwrap(), [0xfb, 0xff]);
        // Non-canonical: a wrong padding, stray trailing bits ("Zh" is "f" with a bit set).
        for bad in [
            "Zm9v!", "Z", "Zm9vY", "Zm 9v", "-_8", "Zg=", "Zg===", "Zh==", "Zh",
        ] {
            assert_eq!(base64_standard_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn lowercase_ids_take_letters_and_digits_only() {
        assert!(PostId::parse("abc123").is_ok());
        assert!(PostId::parse(&"a".repeat(40)).is_ok());
        for bad in ["", "ABC", "a-b", "a/b", "é"] {
            assert!(PostId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PostId::parse(&"a".repeat(41)).is_err());
        assert_eq!(PostId::generate([0xff; 10]).as_str().len(), 16);
    }
}

//! Who votes: one vote per patron, identified the way the poll says — a browser cookie, a
//! library card number (kept only as a keyed hash), or a single-use invitation code.

use crate::hashing::hmac_sha256;
use serde::{Deserialize, Serialize};

use super::{PollError, PollId, invalid};

/// Which characters a library's card numbers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardCharset {
    Digits,
    Alphanumeric,
}

/// The shape of the library's card numbers, configured per poll; no regex, on purpose: a
/// length range and a character set cover every card we know and cannot be misconfigured
/// into a denial of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardFormat {
    pub min_length: u8,
    pub max_length: u8,
    pub charset: CardCharset,
}

pub const MAX_CARD_CHARS: u8 = 32;

impl Default for CardFormat {
    fn default() -> Self {
        CardFormat {
            min_length: 4,
            max_length: 20,
            charset: CardCharset::Alphanumeric,
        }
    }
}

impl CardFormat {
    pub fn parse(self) -> Result<Self, PollError> {
        if self.min_length == 0
            || self.min_length > self.max_length
            || self.max_length > MAX_CARD_CHARS
        {
            return Err(invalid(format!(
                "card_format: lengths must satisfy 1 <= min_length <= max_length <= {MAX_CARD_CHARS}"
            )));
        }
        Ok(self)
    }

    /// Normalises what a patron typed (spaces and dashes dropped, letters upper-cased) and
    /// checks it against the format.
    pub fn normalise(&self, raw: &str) -> Result<String, PollError> {
        let card: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let allowed = |c: char| match self.charset {
            CardCharset::Digits => c.is_ascii_digit(),
            CardCharset::Alphanumeric => c.is_ascii_alphanumeric(),
        };
        let len = card.chars().count();
        if card.is_empty() {
            return Err(PollError::InvalidCard(
                "card: enter your library card number".into(),
            ));
        }
        if !card.chars().all(allowed) {
            return Err(PollError::InvalidCard(match self.charset {
                CardCharset::Digits => "card: a card number has digits only".into(),
                CardCharset::Alphanumeric => {
                    "card: a card number has letters and digits only".into()
                }
            }));
        }
        if !(usize::from(self.min_length)..=usize::from(self.max_length)).contains(&len) {
            return Err(PollError::InvalidCard(format!(
                "card: a card number has {} to {} characters",
                self.min_length, self.max_length
            )));
        }
        Ok(card)
    }
}

/// The keyed hash that stands for a card number: HMAC-SHA-256(card_hash_key, poll id, card).
/// The poll id is part of the message so one card's votes cannot be linked across polls, and
/// without the key nobody can test card numbers against the store.
pub fn card_hash(key: &str, poll: &PollId, card: &str) -> String {
    hex::encode(hmac_sha256(
        key.as_bytes(),
        format!("{poll}\n{card}").as_bytes(),
    ))
}

pub use crate::ids::{InviteCode, Voter};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_normalised_then_checked() {
        let digits = CardFormat {
            min_length: 6,
            max_length: 8,
            charset: CardCharset::Digits,
        };
        assert_eq!(digits.normalise(" 123 456-7 ").unwrap(), "1234567");
        for bad in ["12345", "123456789", "12a456", "", "١٢٣٤٥٦"] {
            assert!(
                matches!(digits.normalise(bad), Err(PollError::InvalidCard(_))),
                "{bad:?}"
            );
        }
        let alnum = CardFormat {
            min_length: 4,
            max_length: 10,
            charset: CardCharset::Alphanumeric,
        };
        assert_eq!(alnum.normalise("ab-12cd").unwrap(), "AB12CD");
        assert!(alnum.normalise("é123").is_err());
        assert!(
            CardFormat {
                min_length: 5,
                max_length: 4,
                charset: CardCharset::Digits
            }
            .parse()
            .is_err()
        );
        assert!(
            CardFormat {
                min_length: 0,
                max_length: 4,
                charset: CardCharset::Digits
            }
            .parse()
            .is_err()
        );
    }

    #[test]
    fn card_hashes_depend_on_key_poll_and_card() {
        let p1 = PollId::parse("p1").unwrap();
        let p2 = PollId::parse("p2").unwrap();
        let h = card_hash("k", &p1, "123456");
        assert_eq!(h.len(), 64);
        assert_eq!(h, card_hash("k", &p1, "123456"));
        assert_ne!(h, card_hash("other", &p1, "123456"));
        assert_ne!(h, card_hash("k", &p2, "123456"));
        assert!(!h.contains("123456"));
    }

    #[test]
    fn invitation_codes_round_trip_in_any_typing() {
        let code = InviteCode::generate([0, 1, 2, 3, 4, 31, 30, 29, 28, 255]);
        let shown = code.to_string();
        assert_eq!(shown, "ABCDE-98769");
        assert_eq!(InviteCode::parse("abcde 98769").unwrap(), code);
        assert_eq!(InviteCode::parse(&shown).unwrap().hash(), code.hash());
        for bad in ["ABCDE-9876", "ABCDE-98760", "OBCDE-98765", ""] {
            assert!(InviteCode::parse(bad).is_err(), "{bad}");
        }
    }
}

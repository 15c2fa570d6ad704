//! Who votes: one vote per patron, identified the way the poll says — a browser cookie, a
//! library card number (kept only as a keyed hash), or a single-use invitation code.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{PollError, PollId, VoterId, invalid};

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

/// HMAC-SHA-256 (RFC 2104) over `sha2`: twenty lines rather than one more dependency.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner_pad = [0x36u8; 64];
    let mut outer_pad = [0x5cu8; 64];
    for i in 0..64 {
        inner_pad[i] ^= block[i];
        outer_pad[i] ^= block[i];
    }
    let inner = Sha256::new()
        .chain_update(inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The keyed hash that stands for a card number: HMAC-SHA-256(card_hash_key, poll id, card).
/// The poll id is part of the message so one card's votes cannot be linked across polls, and
/// without the key nobody can test card numbers against the store.
pub fn card_hash(key: &str, poll: &PollId, card: &str) -> String {
    hex(&hmac_sha256(
        key.as_bytes(),
        format!("{poll}\n{card}").as_bytes(),
    ))
}

/// The invitation code alphabet: no 0/O, 1/I, so codes read aloud or copied from paper work.
const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_CHARS: usize = 10;

/// A single-use invitation code, `ABCDE-23456` (50 random bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteCode(String);

impl InviteCode {
    /// Builds a code from 10 random bytes supplied by the caller (5 bits used from each).
    pub fn generate(random: [u8; CODE_CHARS]) -> Self {
        InviteCode(
            random
                .iter()
                .map(|b| char::from(CODE_ALPHABET[usize::from(b & 31)]))
                .collect(),
        )
    }

    /// Accepts what a patron types: any case, with spaces or dashes.
    pub fn parse(raw: &str) -> Result<Self, PollError> {
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() != CODE_CHARS || !code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
            return Err(PollError::InvalidCode);
        }
        Ok(InviteCode(code))
    }

    /// SHA-256 of the code: the store keeps only this, so reading the store does not reveal
    /// unused codes. No key is needed: 50 random bits are not guessable offline at scale
    /// without the store, and with the store a key would be at hand anyway.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Display for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..5], &self.0[5..])
    }
}

/// One patron, as the poll's voting method identifies them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voter {
    /// The browser's `kiosque_voter` cookie.
    Cookie(VoterId),
    /// The hex keyed hash of a card number (see [`card_hash`]).
    Card(String),
    /// An invitation code (its hash is what is stored).
    Code(InviteCode),
}

impl Voter {
    /// The voter's part of store keys. Cookie tokens keep their historic bare form; the others
    /// are prefixed with a `:`, which a cookie token never contains, so they cannot collide.
    pub fn key_part(&self) -> String {
        match self {
            Voter::Cookie(id) => id.to_string(),
            Voter::Card(hash) => format!("card:{hash}"),
            Voter::Code(code) => format!("code:{}", code.hash()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

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
            assert!(
                matches!(InviteCode::parse(bad), Err(PollError::InvalidCode)),
                "{bad}"
            );
        }
    }
}

//! How a poll knows its voters: the browser's cookie token, a card's keyed hash, or an
//! invitation code.

use super::{InvalidId, base64url};
use crate::hashing::sha256_hex;

/// An anonymous visitor, identified by a random token kept in a cookie: 16 to 64 characters
/// in `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VoterId(String);

impl VoterId {
    pub fn parse(text: &str) -> Result<Self, InvalidId> {
        let valid = (16..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(InvalidId(
                "voter: must be 16 to 64 letters, digits, '_' or '-'".to_owned(),
            ));
        }
        Ok(VoterId(text.to_owned()))
    }

    /// Builds a fresh token (32 characters) from 24 random bytes supplied by the caller.
    pub fn generate(random: [u8; 24]) -> Self {
        VoterId(base64url(&random))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for VoterId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for VoterId {
    type Error = InvalidId;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        VoterId::parse(&text)
    }
}

impl From<VoterId> for String {
    fn from(id: VoterId) -> String {
        id.0
    }
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
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() != CODE_CHARS || !code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
            return Err(InvalidId(
                "invitation code: 10 letters or digits, like ABCDE-23456".to_owned(),
            ));
        }
        Ok(InviteCode(code))
    }

    /// SHA-256 of the code: the store keeps only this, so reading the store does not reveal
    /// unused codes. No key is needed: 50 random bits are not guessable offline at scale
    /// without the store, and with the store a key would be at hand anyway.
    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

impl std::fmt::Display for InviteCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", &self.0[..5], &self.0[5..])
    }
}

/// One patron, as the poll's voting method identifies them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voter {
    /// The browser's `kiosque_voter` cookie.
    Cookie(VoterId),
    /// The hex keyed hash of a card number (see `polls::identity::card_hash`).
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

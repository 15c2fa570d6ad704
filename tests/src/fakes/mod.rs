//! Loopback fakes of the platforms Kiosque publishes to, for the end-to-end suite: small HTTP
//! servers on `127.0.0.1:0`, each in its own threads, that
//!
//! - check every request against the platform facts of `shared/PLATFORMS.md` (headers,
//!   fields, facets, idempotency keys) and record what breaks them in [`Problems`], which a
//!   test asserts empty;
//! - keep what a real server would (statuses, records, sessions, received messages) so tests
//!   can assert "published exactly once";
//! - fail on demand ([`Failure`]): a delay past the client's timeout (the work is done, the
//!   answer lost), 500, 429 with `Retry-After`, 401, 422.
//!
//! The dev host may call them because the test app is started with
//! `mastodon_host`/`bluesky_host`/`webhook_host` set to `http://127.0.0.1:*` (see
//! [`crate::TestApp::spawn_with_fakes`]).

pub mod bluesky;
pub mod mastodon;
pub mod meta;
pub mod receiver;
pub mod server;
pub mod tags;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

pub use bluesky::FakeBluesky;
pub use mastodon::FakeMastodon;
pub use meta::{FakeMeta, GraphFailure, PublicOrigin};
pub use receiver::FakeReceiver;
pub use server::{Failure, FakeRequest, FakeResponse, FakeServer};

/// The figures a test set per published post (Mastodon status id, Bluesky record key, Graph
/// id) and the posts it deleted: what the fakes of Mastodon, Bluesky and Meta show when the
/// tick asks for a post's figures, kept in each fake's state.
#[derive(Default)]
pub struct PostFigures {
    figures: HashMap<String, serde_json::Value>,
    deleted: HashSet<String>,
}

impl PostFigures {
    /// Sets the figures of post `id`, flat (`{"favourites_count": 3, ...}`), replacing any.
    pub fn set(&mut self, id: &str, figures: serde_json::Value) {
        self.figures.insert(id.to_owned(), figures);
    }

    /// Deletes post `id`, as its author would.
    pub fn delete(&mut self, id: &str) {
        self.deleted.insert(id.to_owned());
    }

    pub fn is_deleted(&self, id: &str) -> bool {
        self.deleted.contains(id)
    }

    /// Figure `name` of post `id`; 0 when unset.
    pub fn figure(&self, id: &str, name: &str) -> u64 {
        self.figures
            .get(id)
            .and_then(|f| f[name].as_u64())
            .unwrap_or(0)
    }

    /// Writes the figures set for post `id` over `answer`'s fields of the same names.
    pub fn write_over(&self, id: &str, answer: &mut serde_json::Value) {
        if let Some(figures) = self.figures.get(id).and_then(|f| f.as_object()) {
            for (name, value) in figures {
                answer[name.as_str()] = value.clone();
            }
        }
    }
}

/// What requests broke: a list of sentences, empty when every request was right.
#[derive(Default)]
pub struct Problems(Mutex<Vec<String>>);

impl Problems {
    pub fn add(&self, problem: impl Into<String>) {
        let problem = problem.into();
        eprintln!("fake platform: {problem}");
        self.0.lock().unwrap().push(problem);
    }

    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Failures queued for the requests whose path contains a fragment, used in order.
#[derive(Default)]
pub struct Failures(Mutex<VecDeque<(String, Failure)>>);

impl Failures {
    pub fn push(&self, path_part: &str, failure: Failure) {
        self.0
            .lock()
            .unwrap()
            .push_back((path_part.to_owned(), failure));
    }

    /// The next failure queued for `path`, removed from the queue.
    pub fn take(&self, path: &str) -> Option<Failure> {
        let mut queue = self.0.lock().unwrap();
        let index = queue
            .iter()
            .position(|(part, _)| path.contains(part.as_str()))?;
        queue.remove(index).map(|(_, failure)| failure)
    }
}

/// User-perceived characters (extended grapheme clusters), as Bluesky and Mastodon count.
pub fn graphemes(text: &str) -> usize {
    use unicode_segmentation::UnicodeSegmentation;
    text.graphemes(true).count()
}

/// Standard base64 (with padding), for signatures and `whsec_` secrets.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let text = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    Some(out)
}

/// HMAC-SHA-256 (RFC 2104), written here rather than borrowed from the code under test.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner_hash = Sha256::new()
        .chain_update(&inner)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer)
        .chain_update(inner_hash)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_match_known_values() {
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
        assert_eq!(base64_decode("Zm9vYg==").unwrap(), b"foob");
        assert_eq!(graphemes("e\u{301}té 👨‍👩‍👧"), 5);
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(mac[..4], [0x5b, 0xdc, 0xc1, 0x46]);
    }
}

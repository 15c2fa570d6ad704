//! Credentials at rest: ChaCha20-Poly1305 (RFC 8439), an authenticated cipher, keyed by the
//! `credentials_key` Spin variable. Each sealed value has its own random nonce (supplied by the
//! caller: the adapter draws it from the host) and is bound to the channel or endpoint it
//! belongs to through the associated data, so a value copied under another id does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};

/// The version tag of the sealed format, so the key or the cipher can change later.
const VERSION: &str = "v1";

/// The 32-byte key, parsed from 64 hexadecimal characters (`openssl rand -hex 32`).
/// Its `Debug` never prints the key.
#[derive(Clone)]
pub struct CredentialKey([u8; 32]);

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialKey(..)")
    }
}

impl CredentialKey {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                "credentials_key: must be 64 hexadecimal characters (openssl rand -hex 32)"
                    .to_owned()
            })?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(CredentialKey(key))
    }

    pub fn from_bytes(key: [u8; 32]) -> Self {
        CredentialKey(key)
    }

    /// Encrypts `plaintext` for the owner `context` (e.g. `channel/{id}`) with `nonce`, which
    /// must never repeat under one key: callers pass 12 fresh random bytes.
    pub fn seal(&self, context: &str, nonce: [u8; 12], plaintext: &[u8]) -> Sealed {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        // Encryption fails only for inputs over 256 GiB.
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        Sealed(format!(
            "{VERSION}:{}:{}",
            hex::encode(nonce),
            hex::encode(&ciphertext)
        ))
    }

    /// Decrypts a value sealed for `context`; `None` when the key, the context or the bytes
    /// differ from the sealing (the cipher's tag does not verify).
    pub fn open(&self, context: &str, sealed: &Sealed) -> Option<Vec<u8>> {
        let mut parts = sealed.0.split(':');
        let (Some(VERSION), Some(nonce), Some(ciphertext), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let nonce = hex::decode(nonce).ok().filter(|n| n.len() == 12)?;
        let ciphertext = hex::decode(ciphertext).ok()?;
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .ok()
    }
}

/// An encrypted value as stored: `v1:{nonce hex}:{ciphertext and tag hex}`. Its `Debug` hides
/// the bytes too (they are useless without the key, but logs need not carry them).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(String);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> CredentialKey {
        CredentialKey::from_bytes([byte; 32])
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let sealed = key(1).seal("channel/abc", [9; 12], b"token-123");
        assert_eq!(
            key(1).open("channel/abc", &sealed).as_deref(),
            Some(&b"token-123"[..])
        );
        assert_eq!(key(2).open("channel/abc", &sealed), None);
        assert_eq!(key(1).open("channel/abd", &sealed), None);
        assert!(!sealed.0.contains("token"));
        assert!(!format!("{sealed:?}{:?}", key(1)).contains("01"));

        // A flipped bit anywhere is detected by the tag.
        let mut tampered = sealed.0.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = Sealed(String::from_utf8(tampered).unwrap());
        assert_eq!(key(1).open("channel/abc", &tampered), None);
        assert_eq!(key(1).open("channel/abc", &Sealed("v2:00:00".into())), None);
    }

    #[test]
    fn fresh_nonces_give_different_ciphertexts() {
        let a = key(1).seal("c", [1; 12], b"same");
        let b = key(1).seal("c", [2; 12], b"same");
        assert_ne!(a, b);
    }

    #[test]
    fn keys_are_64_hex_characters() {
        assert!(CredentialKey::parse(&"ab".repeat(32)).is_ok());
        assert!(CredentialKey::parse(&format!(" {} ", "AB".repeat(32))).is_ok());
        for bad in [
            "",
            "abc",
            &"ab".repeat(31),
            &"zz".repeat(32),
            &"ab".repeat(33),
        ] {
            assert!(CredentialKey::parse(bad).is_err(), "{bad}");
        }
    }
}

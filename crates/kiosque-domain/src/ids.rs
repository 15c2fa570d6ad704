//! Encodings for random identifiers. Randomness itself is injected: callers pass the bytes
//! (the Spin adapter draws them from the host), so tests stay deterministic.

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 base32, lowercase, unpadded: 8 characters per 5 bytes, all in `[a-z2-7]`, so the
/// result is a valid URL segment and store key fragment.
pub fn base32_lower(bytes: &[u8]) -> String {
    encode_bits(bytes, 5, BASE32)
}

/// RFC 4648 base64url, unpadded: 4 characters per 3 bytes, all in `[A-Za-z0-9_-]`.
pub fn base64url(bytes: &[u8]) -> String {
    encode_bits(bytes, 6, BASE64URL)
}

/// RFC 4648 base64 with the standard alphabet and `=` padding, as Standard Webhooks writes
/// signatures and `whsec_` secrets.
pub fn base64_standard(bytes: &[u8]) -> String {
    const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = encode_bits(bytes, 6, STANDARD);
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// Decodes [`base64_standard`] text (padding optional), as Standard Webhooks secrets
/// (`whsec_<base64>`) and signatures are written; `None` for any other character or a
/// length no encoder produces.
pub fn base64_standard_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=').as_bytes();
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut buffered: u32 = 0;
    for &c in text {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        buffered += 6;
        if buffered >= 8 {
            buffered -= 8;
            out.push((buffer >> buffered) as u8);
            buffer &= (1 << buffered) - 1;
        }
    }
    Some(out)
}

fn encode_bits(bytes: &[u8], bits_per_char: u32, alphabet: &[u8]) -> String {
    let mask = (1u32 << bits_per_char) - 1;
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(bits_per_char as usize));
    let mut buffer: u32 = 0;
    let mut buffered: u32 = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        buffered += 8;
        while buffered >= bits_per_char {
            buffered -= bits_per_char;
            out.push(char::from(alphabet[((buffer >> buffered) & mask) as usize]));
        }
        // Keep only the bits not yet emitted so the buffer never overflows.
        buffer &= (1 << buffered) - 1;
    }
    if buffered > 0 {
        out.push(char::from(
            alphabet[((buffer << (bits_per_char - buffered)) & mask) as usize],
        ));
    }
    out
}

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
    fn base64_standard_decodes_what_it_encodes() {
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
        for bad in ["Zm9v!", "Z", "Zm9vY", "Zm 9v", "-_8"] {
            assert_eq!(base64_standard_decode(bad), None, "{bad}");
        }
    }
}

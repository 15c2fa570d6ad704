//! Passwords: the rule staff passwords follow and their Argon2id hashes.
//!
//! Argon2id with OWASP's first recommended setting, 19 MiB of memory, 2 passes, 1 lane:
//! memory-hard enough that a stolen store is expensive to attack, small enough for a Wasm
//! component that hashes once per sign-in (the session cookie spares every other request).
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so verification
//! reads the parameters from the hash and stronger settings can come later without a
//! migration.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::StaffError;

pub const MIN_CHARS: usize = 12;
/// Long passphrases are welcome; this only keeps a hash request from carrying megabytes.
pub const MAX_BYTES: usize = 256;

/// Memory in KiB, passes and lanes (OWASP password storage cheat sheet, Argon2id).
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// At least 12 characters (length matters more than character classes, as NIST SP 800-63B
/// and the ANSSI say), at most 256 bytes.
pub fn check_rule(password: &str) -> Result<(), StaffError> {
    if password.chars().count() < MIN_CHARS || password.len() > MAX_BYTES {
        return Err(StaffError::invalid(
            "password",
            "password: 12 characters at least, 256 bytes at most",
        ));
    }
    Ok(())
}

fn hasher() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with `salt` (16 random bytes from the caller).
pub fn hash(password: &str, salt: [u8; 16]) -> Result<String, StaffError> {
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StaffError::invalid("password", &format!("salt: {e}")))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| StaffError::invalid("password", "password: cannot be hashed"))
}

/// Whether `password` matches the PHC string `stored`; a stored value that does not parse
/// matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Spends the time of one verification when there is no account to verify against, so the
/// answer's timing does not tell which emails have an account.
pub fn spend_verification_time(password: &str) {
    let _ = hash(password, [0; 16]);
}

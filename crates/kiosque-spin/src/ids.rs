//! Random identifiers from the host's secure random source (`wasi:random` via getrandom).

use kiosque_domain::polls::{PollId, VoterId};

use crate::error::ApiError;

/// `N` random bytes, or a 500 when the host cannot provide them.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    Ok(bytes)
}

/// A fresh 16-character lowercase base32 id (80 random bits).
pub fn new_id() -> Result<PollId, ApiError> {
    Ok(PollId::generate(random_bytes()?))
}

/// A fresh 32-character url-safe visitor token (192 random bits), for the voter cookie.
pub fn new_voter_token() -> Result<VoterId, ApiError> {
    Ok(VoterId::generate(random_bytes()?))
}

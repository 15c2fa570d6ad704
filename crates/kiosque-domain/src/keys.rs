//! The one place that builds store keys. Every key Kiosque writes is listed here.
//!
//! | key                               | value                                              |
//! |-----------------------------------|----------------------------------------------------|
//! | `poll/{poll_id}`                  | JSON [`Poll`](crate::polls::Poll), written once    |
//! | `poll/{poll_id}/count/{index}`    | counter: votes for option `index` (0-based)        |
//! | `poll/{poll_id}/voter/{voter_id}` | counter used as a claim: at least 1 once voted     |
//! | `ratelimit/{scope}/{bucket}`      | JSON `{window, count}`: requests of the clients hashed into `bucket` (0..1024) in the current window |
//!
//! The voter claim is not a flag: the first vote moves it from 0 to 1 and only that request
//! counts; every refused retry increments it again (so it counts attempts), and a count that
//! failed gives the claim back (`-1`). "Has voted" therefore means "claim >= 1", not "key
//! exists".
//!
//! Counters are written only through `KvStore::increment` and read through
//! `store::read_counters` (see `store`). The longest key is
//! `poll/` + 40 + `/voter/` + 64 = 116 bytes, well under Spin's 256-byte guarantee, because
//! the ids are parsed types with bounded lengths.

use crate::polls::{PollId, VoterId};

/// One of the fixed buckets of a rate-limit scope (see `ratelimit`).
pub fn rate_limit_bucket(scope: &str, bucket: u64) -> String {
    format!("ratelimit/{scope}/{bucket}")
}

pub fn poll(id: &PollId) -> String {
    format!("poll/{id}")
}

pub fn poll_count(id: &PollId, option_index: usize) -> String {
    format!("poll/{id}/count/{option_index}")
}

pub fn poll_voter(id: &PollId, voter: &VoterId) -> String {
    format!("poll/{id}/voter/{voter}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MAX_KEY_BYTES;

    #[test]
    fn schema_and_longest_keys_fit_spin_limit() {
        let id = PollId::parse(&"a".repeat(40)).unwrap();
        let voter = VoterId::parse(&"V".repeat(64)).unwrap();
        assert_eq!(poll(&id), format!("poll/{}", "a".repeat(40)));
        assert_eq!(
            poll_count(&id, 19),
            format!("poll/{}/count/19", "a".repeat(40))
        );
        let longest = poll_voter(&id, &voter);
        assert_eq!(longest.len(), 116);
        assert!(longest.len() <= MAX_KEY_BYTES);
    }
}

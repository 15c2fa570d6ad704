//! A per-client fixed-window rate limit over the key-value store, against
//! scripted submissions (votes, answers, entries).
//!
//! Spin's store has no expiry, so a key per address would grow without end.
//! Clients are hashed into a fixed number of buckets per scope instead: the
//! store holds at most `BUCKETS` small keys per scope, for ever. Two clients
//! may share a bucket and so a budget; limits are meant to be generous (a
//! library's Wi-Fi puts dozens of patrons behind one address).
//!
//! Each bucket holds `{window, count}` updated with compare-and-swap over the
//! value just read. The first write of a bucket is a swap from "absent",
//! which Spin's SQLite store turns into an upsert: two simultaneous first
//! requests may both count as the first: a limit one request too generous is
//! acceptable. Repeated contention, on the other hand, is what a concurrent
//! flood from one client looks like, so after `MAX_ATTEMPTS` lost swaps the
//! request is refused with a one-second `Limited` (the client retries; a
//! patron on a busy Wi-Fi rarely meets it, as each attempt only loses to a
//! request that was itself counted).

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::keys;
use crate::store::{KvStore, StoreError, to_json};

/// How many buckets a scope spreads its clients over.
pub const BUCKETS: u64 = 1024;
const MAX_ATTEMPTS: usize = 16;

/// At most `max` requests per `window_secs` seconds for one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub max: u32,
    pub window_secs: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Bucket {
    window: i64,
    count: u32,
}

/// Whether this request fits the client's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit; the client may retry after this many seconds.
    Limited {
        retry_after_secs: u32,
    },
}

/// The bucket a client falls in (FNV-1a: stable across Rust versions, so a
/// bucket stays the same from one deploy to the next).
fn bucket_of(client: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in client.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash % BUCKETS
}

/// The bucket of `client` under a secret `key` (HMAC-SHA-256): who does not know the key
/// cannot pick identifiers that share a victim's bucket, so spending a bucket takes the
/// victim's own identifier.
pub fn keyed_bucket_of(key: &[u8], client: &str) -> u64 {
    let mac = crate::hashing::hmac_sha256(key, client.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&mac[..8]);
    u64::from_be_bytes(first) % BUCKETS
}

/// Counts one request of `client` (an address, or any identifier) in
/// `scope` (e.g. `vote`) and says whether it is allowed. Costs one read and
/// one compare-and-swap, a few more under contention.
pub fn check(
    store: &dyn KvStore,
    now: Timestamp,
    scope: &str,
    client: &str,
    limit: RateLimit,
) -> Result<Decision, StoreError> {
    check_bucket(store, now, scope, bucket_of(client), limit)
}

/// [`check`] with the client's bucket chosen under a secret key ([`keyed_bucket_of`]): for
/// identifiers anyone can name (an email), where a public bucket function would let a
/// stranger fill a victim's bucket with made-up identifiers.
pub fn check_keyed(
    store: &dyn KvStore,
    now: Timestamp,
    scope: &str,
    key: &[u8],
    client: &str,
    limit: RateLimit,
) -> Result<Decision, StoreError> {
    check_bucket(store, now, scope, keyed_bucket_of(key, client), limit)
}

fn check_bucket(
    store: &dyn KvStore,
    now: Timestamp,
    scope: &str,
    bucket: u64,
    limit: RateLimit,
) -> Result<Decision, StoreError> {
    if limit.max == 0 || limit.window_secs == 0 {
        return Ok(Decision::Allowed);
    }
    let key = keys::rate_limit_bucket(scope, bucket);
    let window_secs = i64::from(limit.window_secs);
    let window = now.unix_seconds().div_euclid(window_secs);
    for _ in 0..MAX_ATTEMPTS {
        let current = store.get(&key)?;
        let seen: Option<Bucket> = current
            .as_deref()
            .and_then(|bytes| serde_json::from_slice(bytes).ok());
        let count = match &seen {
            Some(bucket) if bucket.window == window => bucket.count,
            _ => 0,
        };
        if count >= limit.max {
            let next_window = (window + 1) * window_secs;
            let wait = (next_window - now.unix_seconds()).clamp(1, window_secs);
            return Ok(Decision::Limited {
                retry_after_secs: u32::try_from(wait).unwrap_or(limit.window_secs),
            });
        }
        let next = to_json(
            &key,
            &Bucket {
                window,
                count: count + 1,
            },
        )?;
        if store.compare_and_swap(&key, current.as_deref(), &next)? {
            return Ok(Decision::Allowed);
        }
    }
    // Every swap lost to another request of the same bucket: refuse rather than let a
    // concurrent flood through uncounted.
    Ok(Decision::Limited {
        retry_after_secs: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FaultyStore, MemoryStore};

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(seconds).unwrap()
    }

    const LIMIT: RateLimit = RateLimit {
        max: 3,
        window_secs: 60,
    };

    #[test]
    fn allows_up_to_the_limit_per_window() {
        let store = MemoryStore::new();
        for _ in 0..3 {
            assert_eq!(
                check(&store, at(120), "vote", "203.0.113.7", LIMIT).unwrap(),
                Decision::Allowed
            );
        }
        assert_eq!(
            check(&store, at(150), "vote", "203.0.113.7", LIMIT).unwrap(),
            Decision::Limited {
                retry_after_secs: 30
            }
        );
        // Another scope, and the next window, start afresh.
        assert_eq!(
            check(&store, at(150), "answer", "203.0.113.7", LIMIT).unwrap(),
            Decision::Allowed
        );
        assert_eq!(
            check(&store, at(180), "vote", "203.0.113.7", LIMIT).unwrap(),
            Decision::Allowed
        );
    }

    #[test]
    fn storage_stays_bounded_whatever_the_number_of_clients() {
        let store = MemoryStore::new();
        for n in 0..5000 {
            check(&store, at(0), "vote", &format!("198.51.100.{n}"), LIMIT).unwrap();
        }
        assert!(store.len() as u64 <= BUCKETS);
    }

    #[test]
    fn constant_contention_is_refused_not_waved_through() {
        // Another request always wins the swap.
        let store = FaultyStore {
            lose_swaps: true,
            ..FaultyStore::new()
        };
        assert_eq!(
            check(&store, at(0), "vote", "203.0.113.7", LIMIT).unwrap(),
            Decision::Limited {
                retry_after_secs: 1
            }
        );
        assert_eq!(store.inner.ops().compare_and_swap, MAX_ATTEMPTS as u64);
        assert_eq!(store.inner.ops().get, MAX_ATTEMPTS as u64);
        // Nothing was written: the swaps all lost.
        assert_eq!(store.inner.len(), 0);
    }

    #[test]
    fn concurrent_requests_of_one_client_never_exceed_the_limit() {
        let store = MemoryStore::new();
        let limit = RateLimit {
            max: 20,
            window_secs: 60,
        };
        let allowed = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..10 {
                        if check(&store, at(0), "vote", "203.0.113.7", limit).unwrap()
                            == Decision::Allowed
                        {
                            allowed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        // MemoryStore's swap from "absent" is exclusive, so the count is exact here.
        assert!(allowed.into_inner() <= 20);
    }

    #[test]
    fn keyed_buckets_depend_on_the_key() {
        let email = "anne@bib.example";
        assert_ne!(
            keyed_bucket_of(b"first key", email),
            keyed_bucket_of(b"second key", email)
        );
        assert_eq!(
            keyed_bucket_of(b"first key", email),
            keyed_bucket_of(b"first key", email)
        );
        assert!(keyed_bucket_of(b"k", email) < BUCKETS);
    }

    #[test]
    fn a_zero_limit_means_no_limit() {
        let store = MemoryStore::new();
        let off = RateLimit {
            max: 0,
            window_secs: 60,
        };
        for _ in 0..10 {
            assert_eq!(
                check(&store, at(0), "vote", "a", off).unwrap(),
                Decision::Allowed
            );
        }
        assert_eq!(store.len(), 0);
    }
}

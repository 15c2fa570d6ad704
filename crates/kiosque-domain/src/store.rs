//! The key-value store as the domain sees it: a trait that mirrors Spin's key-value API, and an
//! in-memory implementation for tests.
//!
//! Spin guarantees keys up to 256 bytes and values up to 1 MB; both implementations enforce
//! those limits (see [`check_key`], [`check_value`]) so a test fails where production would.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DomainError, ErrorKind};

/// The longest key Spin guarantees to store, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// The largest value we write, in bytes (Spin guarantees 1 MB; we stay at 1 MiB like its docs).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("key is {0} bytes long, the limit is 256")]
    KeyTooLong(usize),
    #[error("value is {0} bytes long, the limit is 1 MiB")]
    ValueTooLarge(usize),
    #[error("value under {key} is not a counter")]
    NotACounter { key: String },
    #[error("value under {key} does not decode: {message}")]
    Corrupt { key: String, message: String },
    #[error("failed to encode a value for {key}: {message}")]
    Encode { key: String, message: String },
    #[error("store backend failed: {0}")]
    Backend(String),
}

impl DomainError for StoreError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Storage
    }

    fn code(&self) -> &'static str {
        "storage_error"
    }
}

/// Checks a key against Spin's guaranteed limit before it reaches a store.
pub fn check_key(key: &str) -> Result<(), StoreError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(StoreError::KeyTooLong(key.len()));
    }
    Ok(())
}

/// Checks a value against Spin's guaranteed limit before it reaches a store.
pub fn check_value(value: &[u8]) -> Result<(), StoreError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(StoreError::ValueTooLarge(value.len()));
    }
    Ok(())
}

/// A key-value store with Spin's semantics. Object-safe: domain functions take `&dyn KvStore`.
///
/// Counters written by [`KvStore::increment`] are opaque: Spin's SQLite store encodes them as
/// 8-byte little-endian i64, its Redis store as decimal text. Read them with `increment(key, 0)`,
/// never with `get`, and never touch a counter key with `set` or `compare_and_swap`.
pub trait KvStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    fn exists(&self, key: &str) -> Result<bool, StoreError>;
    /// Lists every key of the whole store: its cost grows with the store, so it is for
    /// maintenance tools only, never on a request path.
    fn get_keys(&self) -> Result<Vec<String>, StoreError>;
    /// Atomically adds `delta` to the counter under `key` (absent counts as 0) and returns the
    /// new value. `increment(key, 0)` reads a counter.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;
    /// Replaces the value under `key` with `new` if it currently equals `expected` (`None`:
    /// absent). Returns `Ok(false)`, writing nothing, when the current value differs.
    ///
    /// Caveat: Spin's SQLite store (spin `crates/key-value-spin`) implements the swap from an
    /// absent value as an upsert, so two *concurrent* callers that both saw the key absent
    /// can both succeed there. For a claim that must be exclusive under concurrency, use
    /// `increment(key, 1) == 1` instead, which is atomic on every Spin store.
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError>;
}

impl dyn KvStore + '_ {
    /// Reads and decodes a JSON value; `Ok(None)` when the key is absent.
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let Some(bytes) = self.get(key)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                key: key.to_owned(),
                message: e.to_string(),
            })
    }

    /// Encodes a value as JSON and writes it.
    pub fn set_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let bytes = to_json(key, value)?;
        self.set(key, &bytes)
    }
}

/// Encodes a value as JSON for `key`, for callers that write it with `compare_and_swap`.
pub fn to_json<T: Serialize>(key: &str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Encode {
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// How many operations of each kind a [`MemoryStore`] served, so tests can assert that a
/// request costs a bounded number of store round trips.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OpCounts {
    pub get: u64,
    pub set: u64,
    pub delete: u64,
    pub exists: u64,
    pub get_keys: u64,
    pub increment: u64,
    pub compare_and_swap: u64,
}

impl OpCounts {
    pub fn total(&self) -> u64 {
        self.get
            + self.set
            + self.delete
            + self.exists
            + self.get_keys
            + self.increment
            + self.compare_and_swap
    }
}

#[derive(Default)]
struct Counters {
    get: AtomicU64,
    set: AtomicU64,
    delete: AtomicU64,
    exists: AtomicU64,
    get_keys: AtomicU64,
    increment: AtomicU64,
    compare_and_swap: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// An in-memory [`KvStore`] for tests: Spin's limits, Spin's SQLite counter encoding (i64
/// little-endian, 8 bytes), and an operation count per kind.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
    counters: Counters,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The operations served since creation or the last [`MemoryStore::reset_ops`].
    pub fn ops(&self) -> OpCounts {
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        OpCounts {
            get: load(&c.get),
            set: load(&c.set),
            delete: load(&c.delete),
            exists: load(&c.exists),
            get_keys: load(&c.get_keys),
            increment: load(&c.increment),
            compare_and_swap: load(&c.compare_and_swap),
        }
    }

    pub fn reset_ops(&self) {
        let c = &self.counters;
        for a in [
            &c.get,
            &c.set,
            &c.delete,
            &c.exists,
            &c.get_keys,
            &c.increment,
            &c.compare_and_swap,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }

    fn entries(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>>, StoreError> {
        // A poisoned lock means a test thread panicked mid-operation; surface it as a store
        // failure rather than panicking again.
        self.entries
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".to_owned()))
    }
}

impl KvStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        bump(&self.counters.get);
        check_key(key)?;
        Ok(self.entries()?.get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        bump(&self.counters.set);
        check_key(key)?;
        check_value(value)?;
        self.entries()?.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        bump(&self.counters.delete);
        check_key(key)?;
        self.entries()?.remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        bump(&self.counters.exists);
        check_key(key)?;
        Ok(self.entries()?.contains_key(key))
    }

    fn get_keys(&self) -> Result<Vec<String>, StoreError> {
        bump(&self.counters.get_keys);
        Ok(self.entries()?.keys().cloned().collect())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        bump(&self.counters.increment);
        check_key(key)?;
        let mut entries = self.entries()?;
        let current = match entries.get(key) {
            None => 0,
            Some(bytes) => {
                let bytes: [u8; 8] =
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| StoreError::NotACounter {
                            key: key.to_owned(),
                        })?;
                i64::from_le_bytes(bytes)
            }
        };
        let next = current
            .checked_add(delta)
            .ok_or_else(|| StoreError::Backend(format!("counter {key} would overflow")))?;
        entries.insert(key.to_owned(), next.to_le_bytes().to_vec());
        Ok(next)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        bump(&self.counters.compare_and_swap);
        check_key(key)?;
        check_value(new)?;
        let mut entries = self.entries()?;
        if entries.get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        entries.insert(key.to_owned(), new.to_vec());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_enforced_like_spin() {
        let store = MemoryStore::new();
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(matches!(
            store.set(&long_key, b"v"),
            Err(StoreError::KeyTooLong(257))
        ));
        assert!(store.set(&"k".repeat(MAX_KEY_BYTES), b"v").is_ok());

        let big = vec![0u8; MAX_VALUE_BYTES + 1];
        assert!(matches!(
            store.set("k", &big),
            Err(StoreError::ValueTooLarge(_))
        ));
        assert!(matches!(
            store.compare_and_swap("k2", None, &big),
            Err(StoreError::ValueTooLarge(_))
        ));
        assert!(store.set("k", &big[..MAX_VALUE_BYTES]).is_ok());
    }

    #[test]
    fn counters_are_little_endian_i64_and_start_at_zero() {
        let store = MemoryStore::new();
        assert_eq!(store.increment("c", 0).unwrap(), 0);
        assert_eq!(store.increment("c", 5).unwrap(), 5);
        assert_eq!(store.increment("c", -2).unwrap(), 3);
        assert_eq!(store.get("c").unwrap(), Some(3i64.to_le_bytes().to_vec()));

        store.set("text", b"not a counter").unwrap();
        assert!(matches!(
            store.increment("text", 1),
            Err(StoreError::NotACounter { .. })
        ));
    }

    #[test]
    fn compare_and_swap_only_writes_when_current_matches() {
        let store = MemoryStore::new();
        assert!(store.compare_and_swap("k", None, b"a").unwrap());
        assert!(!store.compare_and_swap("k", None, b"b").unwrap());
        assert!(!store.compare_and_swap("k", Some(b"x"), b"b").unwrap());
        assert_eq!(store.get("k").unwrap().as_deref(), Some(&b"a"[..]));
        assert!(store.compare_and_swap("k", Some(b"a"), b"b").unwrap());
        assert_eq!(store.get("k").unwrap().as_deref(), Some(&b"b"[..]));
    }

    #[test]
    fn json_helpers_round_trip_and_report_corruption() {
        let store = MemoryStore::new();
        let dyn_store: &dyn KvStore = &store;
        dyn_store.set_json("j", &vec![1, 2, 3]).unwrap();
        assert_eq!(
            dyn_store.get_json::<Vec<i32>>("j").unwrap(),
            Some(vec![1, 2, 3])
        );
        assert_eq!(dyn_store.get_json::<Vec<i32>>("absent").unwrap(), None);
        store.set("bad", b"{").unwrap();
        assert!(matches!(
            dyn_store.get_json::<Vec<i32>>("bad"),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn operations_are_counted_per_kind() {
        let store = MemoryStore::new();
        store.set("a", b"1").unwrap();
        store.get("a").unwrap();
        store.get("b").unwrap();
        store.exists("a").unwrap();
        store.increment("n", 1).unwrap();
        store.compare_and_swap("a", None, b"2").unwrap();
        store.delete("a").unwrap();
        store.get_keys().unwrap();
        let ops = store.ops();
        assert_eq!(
            ops,
            OpCounts {
                get: 2,
                set: 1,
                delete: 1,
                exists: 1,
                get_keys: 1,
                increment: 1,
                compare_and_swap: 1,
            }
        );
        assert_eq!(ops.total(), 8);
        store.reset_ops();
        assert_eq!(store.ops().total(), 0);
    }
}

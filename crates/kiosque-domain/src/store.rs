//! The key-value store as the domain sees it: a trait that mirrors Spin's key-value API, and an
//! in-memory implementation for tests.
//!
//! Spin guarantees keys up to 256 bytes and values up to 1,000,000 bytes; both implementations
//! enforce those limits (see [`check_key`], [`check_value`]) so a test fails where production
//! would.
//!
//! Counters are read with [`read_counters`]: one batch read for any number of them, decoded
//! from whichever encoding the Spin backend uses, instead of one `increment(key, 0)` each,
//! which Spin's SQLite store runs as a durable write transaction.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DomainError, ErrorKind};

/// The longest key Spin guarantees to store, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// The largest value we write, in bytes: Spin guarantees 1 MB, that is 1,000,000 bytes (not
/// 1 MiB), on every backend; larger values may work on one store and fail on another.
pub const MAX_VALUE_BYTES: usize = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("key is {0} bytes long, the limit is 256")]
    KeyTooLong(usize),
    #[error("value is {0} bytes long, the limit is 1000000 bytes")]
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

/// The answer of [`KvStore::get_many`]: `(key, value)` pairs, `None` (or no pair) when absent.
pub type KeyValues = Vec<(String, Option<Vec<u8>>)>;

/// A key-value store with Spin's semantics. Object-safe: domain functions take `&dyn KvStore`.
///
/// Counters written by [`KvStore::increment`] are stored in the backend's own encoding: Spin's
/// SQLite store as 8-byte little-endian i64, its Redis store as decimal text. Read them with
/// [`read_counters`], which decodes both (and falls back to `increment(key, 0)` for anything
/// else), never with a bare `get`; never touch a counter key with `set` or `compare_and_swap`.
pub trait KvStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Reads several keys in one call (`wasi:keyvalue/batch.get-many`). Like Spin, the answer
    /// may omit absent keys (or list them with `None`) and may come in any order: callers match
    /// the pairs by key, never by position.
    fn get_many(&self, keys: &[String]) -> Result<KeyValues, StoreError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    fn exists(&self, key: &str) -> Result<bool, StoreError>;
    /// Lists every key of the whole store: its cost grows with the store, so it is for
    /// maintenance tools only, never on a request path.
    fn get_keys(&self) -> Result<Vec<String>, StoreError>;
    /// Atomically adds `delta` to the counter under `key` (absent counts as 0) and returns the
    /// new value. `increment(key, 0)` also reads a counter, but Spin's SQLite store runs it as a
    /// read-and-upsert transaction, a durable write: prefer [`read_counters`].
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

/// Decodes the JSON value read under `key` (a batch read's values, a compare-and-swap's
/// current bytes); what does not decode is a corrupt store, named by its key.
pub fn from_json<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// A tick's cursor over a due index (`posts::due`, `analytics::metrics::schedule`): a
/// position stored under one key that only ever moves forward, whatever ticks overlap.
pub mod cursor {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::{KvStore, StoreError, from_json, to_json};

    /// Compare-and-swap attempts of [`advance`] before it leaves the move to the tick that
    /// keeps winning (it moves the cursor past this position anyway).
    const ATTEMPTS: usize = 8;

    /// Writes `start` under `key` unless a position is there: 1 read, and 1 swap the first
    /// time ever. From "absent" the swap is an upsert on Spin's SQLite store, so two first
    /// writers may both write: each writes a position no later than its own entry's, which
    /// is all that matters.
    pub fn ensure<T: Serialize>(
        store: &dyn KvStore,
        key: &str,
        start: &T,
    ) -> Result<(), StoreError> {
        if store.get(key)?.is_none() {
            store.compare_and_swap(key, None, &to_json(key, start)?)?;
        }
        Ok(())
    }

    /// The position and its stored bytes (for [`advance`]): 1 read. `None` before
    /// [`ensure`] ever ran.
    pub fn read<T: DeserializeOwned>(
        store: &dyn KvStore,
        key: &str,
    ) -> Result<Option<(T, Vec<u8>)>, StoreError> {
        let Some(bytes) = store.get(key)? else {
            return Ok(None);
        };
        Ok(Some((from_json(key, &bytes)?, bytes)))
    }

    /// Moves the position to `to`, never back: a compare-and-swap over the bytes `read`,
    /// and on a concurrent change (an overlapping tick) a re-read, keeping the further
    /// position. No write when the stored position is already at or past `to`.
    pub fn advance<T: Serialize + DeserializeOwned + PartialOrd>(
        store: &dyn KvStore,
        key: &str,
        mut read: Option<Vec<u8>>,
        to: &T,
    ) -> Result<(), StoreError> {
        let bytes = to_json(key, to)?;
        for _ in 0..ATTEMPTS {
            if let Some(current) = &read {
                let stored: T = from_json(key, current)?;
                if stored >= *to {
                    return Ok(());
                }
            }
            if store.compare_and_swap(key, read.as_deref(), &bytes)? {
                return Ok(());
            }
            read = store.get(key)?;
        }
        // Another tick keeps moving it: it gets past us anyway.
        Ok(())
    }
}

/// One page of a list kept in numbered write-once slots, newest first: the counter
/// `seq_key` hands out slot numbers, slot `n` (`slot_key(n)`) holds `{"id": ...}` naming a
/// document (`doc_key(id)`). Reads `page_slots` slots below `before` (or from the counter's
/// value): 1 counter read (without `before`) + 1 batch read (slots) + 1 batch read
/// (documents), whatever the length of the list. A slot or a document that is gone is
/// skipped. Answers the `before` of the next page.
pub fn numbered_page<Id: DeserializeOwned, Doc: DeserializeOwned>(
    store: &dyn KvStore,
    seq_key: &str,
    slot_key: impl Fn(u64) -> String,
    doc_key: impl Fn(&Id) -> String,
    before: Option<u64>,
    page_slots: u64,
) -> Result<(Vec<Doc>, Option<u64>), StoreError> {
    #[derive(serde::Deserialize)]
    struct Slot<Id> {
        id: Id,
    }
    let top = match before {
        Some(before) => before,
        None => {
            let seq = read_counters(store, &[seq_key.to_owned()])?;
            u64::try_from(seq.first().copied().unwrap_or(0)).unwrap_or(0)
        }
    };
    if top == 0 {
        return Ok((Vec::new(), None));
    }
    let bottom = top.saturating_sub(page_slots.saturating_sub(1)).max(1);
    let slot_keys: Vec<String> = (bottom..=top).rev().map(slot_key).collect();
    let mut ids = std::collections::HashMap::new();
    for (key, value) in store.get_many(&slot_keys)? {
        if let Some(bytes) = value {
            let slot: Slot<Id> = from_json(&key, &bytes)?;
            ids.insert(key, slot.id);
        }
    }
    let doc_keys: Vec<String> = slot_keys
        .iter()
        .filter_map(|k| ids.remove(k))
        .map(|id| doc_key(&id))
        .collect();
    let mut docs = std::collections::HashMap::new();
    if !doc_keys.is_empty() {
        for (key, value) in store.get_many(&doc_keys)? {
            if let Some(bytes) = value {
                docs.insert(key.clone(), from_json::<Doc>(&key, &bytes)?);
            }
        }
    }
    let page = doc_keys.iter().filter_map(|k| docs.remove(k)).collect();
    Ok((page, (bottom > 1).then_some(bottom - 1)))
}

/// Reads the counters under `keys` and returns their values in the order of `keys`, with
/// one [`KvStore::get_many`] call. Absent counters are 0.
///
/// Reading through `get_many` rather than `increment(key, 0)` matters on Spin's SQLite store,
/// where every `increment` is a durable write transaction serialised with all other writes: a
/// results page would otherwise cost one write per option. The price is decoding the backend's
/// encoding here (see [`decode_counter`]); a value in an encoding we do not recognise is left
/// to the backend's own `increment(key, 0)`, for that key only. On Spin's SQLite store only an
/// extreme counter gets there (8 bytes without NUL: at least 2^56, or a large negative one).
pub fn read_counters(store: &dyn KvStore, keys: &[String]) -> Result<Vec<i64>, StoreError> {
    let mut found: HashMap<String, Vec<u8>> = store
        .get_many(keys)?
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect();
    keys.iter()
        .map(|key| match found.remove(key) {
            None => Ok(0),
            Some(bytes) => match decode_counter(&bytes) {
                Some(value) => Ok(value),
                None => store.increment(key, 0),
            },
        })
        .collect()
}

/// Decodes a counter as Spin's stores write it: exactly 8 bytes with at least one NUL byte is
/// Spin's SQLite encoding (i64 little-endian; every count below 2^56 has a zero high byte);
/// otherwise ASCII decimal is its Redis encoding (decimal text never contains NUL, so the two
/// cannot be confused). `None` for anything else.
pub fn decode_counter(bytes: &[u8]) -> Option<i64> {
    if let Ok(le) = <[u8; 8]>::try_from(bytes)
        && le.contains(&0)
    {
        return Some(i64::from_le_bytes(le));
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// How many operations of each kind a [`MemoryStore`] served, so tests can assert that a
/// request costs a bounded number of store round trips.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OpCounts {
    pub get: u64,
    pub get_many: u64,
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
            + self.get_many
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
    get_many: AtomicU64,
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
/// little-endian, 8 bytes), and an operation count per kind. Its `get_many` answers only the
/// keys that exist, in reverse key order, so code that relies on Spin answering in request
/// order fails here first.
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
            get_many: load(&c.get_many),
            set: load(&c.set),
            delete: load(&c.delete),
            exists: load(&c.exists),
            get_keys: load(&c.get_keys),
            increment: load(&c.increment),
            compare_and_swap: load(&c.compare_and_swap),
        }
    }

    /// How many keys the store holds (tests of bounded storage).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn reset_ops(&self) {
        let c = &self.counters;
        for a in [
            &c.get,
            &c.get_many,
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

    fn get_many(&self, keys: &[String]) -> Result<KeyValues, StoreError> {
        bump(&self.counters.get_many);
        keys.iter().try_for_each(|key| check_key(key))?;
        let entries = self.entries()?;
        let found: BTreeMap<&String, &Vec<u8>> = keys
            .iter()
            .filter_map(|key| entries.get_key_value(key.as_str()))
            .collect();
        Ok(found
            .into_iter()
            .rev()
            .map(|(key, value)| (key.clone(), Some(value.clone())))
            .collect())
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

/// Decides, from `(key, delta)`, whether a [`FaultyStore`] increment fails.
#[cfg(test)]
pub(crate) type FailIncrement = Box<dyn Fn(&str, i64) -> bool + Send + Sync>;

/// A store operation, as [`FaultyStore::fail_op`] sees it.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreOp {
    Get,
    GetMany,
    Set,
    Delete,
    Exists,
    GetKeys,
    Increment,
    CompareAndSwap,
}

#[cfg(test)]
impl StoreOp {
    /// Whether the operation changes the store (what "fail the n-th write" counts).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            StoreOp::Set | StoreOp::Delete | StoreOp::Increment | StoreOp::CompareAndSwap
        )
    }
}

/// Decides, from `(operation, key)`, whether a [`FaultyStore`] call fails before it runs.
#[cfg(test)]
pub(crate) type FailOp = Box<dyn Fn(StoreOp, &str) -> bool + Send + Sync>;

/// Another request, run by a [`FaultyStore`] at one exact point of the request under test.
#[cfg(test)]
pub(crate) type Interleaved = Box<dyn FnOnce(&MemoryStore)>;

/// A [`MemoryStore`] with injected faults, for tests of what the domain does when the store
/// fails, loses races or sees another request between two steps: one wrapper instead of a
/// hand-written delegating store per test.
///
/// To test that a multi-step change either completes, is given back or is repaired by the next
/// request, fail each of its writes in turn with [`FaultyStore::fail_nth_write`], then
/// [`FaultyStore::heal`] and retry (a failed call
/// leaves the store untouched, as a crash just before it would).
#[cfg(test)]
pub(crate) struct FaultyStore {
    pub inner: MemoryStore,
    /// `increment(key, delta)` fails with a backend error when this says so.
    pub fail_increment: FailIncrement,
    /// Any call fails with a backend error, before it runs, when this says so.
    pub fail_op: FailOp,
    /// Every compare-and-swap loses, as if another request always won (the call still counts).
    pub lose_swaps: bool,
    /// See [`FaultyStore::interleave`].
    pub before: std::cell::RefCell<Option<(StoreOp, &'static str, Interleaved)>>,
}

#[cfg(test)]
impl FaultyStore {
    pub fn new() -> Self {
        FaultyStore {
            inner: MemoryStore::new(),
            fail_increment: Box::new(|_, _| false),
            fail_op: Box::new(|_, _| false),
            lose_swaps: false,
            before: std::cell::RefCell::new(None),
        }
    }

    /// Runs `other` once, on the inner store, just before the first `op` on a key starting
    /// with `prefix`: another request (a tick, say) landing between two steps of this one.
    pub fn interleave(
        &self,
        op: StoreOp,
        prefix: &'static str,
        other: impl FnOnce(&MemoryStore) + 'static,
    ) {
        *self.before.borrow_mut() = Some((op, prefix, Box::new(other)));
    }

    /// From now on, the `n`-th write (0-based: set, delete, increment or compare-and-swap)
    /// fails and every other call succeeds. Returns a handle that counts the writes attempted,
    /// so a test can loop `n` until the change completes without a fault.
    pub fn fail_nth_write(&mut self, n: usize) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let writes = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = writes.clone();
        self.fail_op =
            Box::new(move |op, _| op.is_write() && seen.fetch_add(1, Ordering::SeqCst) == n);
        writes
    }

    /// No more injected faults (the data stays): the next request after a crash.
    pub fn heal(&mut self) {
        self.fail_op = Box::new(|_, _| false);
        self.fail_increment = Box::new(|_, _| false);
        self.lose_swaps = false;
    }

    fn check(&self, op: StoreOp, key: &str) -> Result<(), StoreError> {
        let now = matches!(&*self.before.borrow(), Some((o, prefix, _)) if *o == op && key.starts_with(prefix));
        if now && let Some((_, _, other)) = self.before.borrow_mut().take() {
            other(&self.inner);
        }
        if (self.fail_op)(op, key) {
            return Err(StoreError::Backend(format!(
                "injected fault on {op:?} {key}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
impl KvStore for FaultyStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check(StoreOp::Get, key)?;
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<KeyValues, StoreError> {
        self.check(StoreOp::GetMany, keys.first().map_or("", String::as_str))?;
        self.inner.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check(StoreOp::Set, key)?;
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check(StoreOp::Delete, key)?;
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.check(StoreOp::Exists, key)?;
        self.inner.exists(key)
    }
    fn get_keys(&self) -> Result<Vec<String>, StoreError> {
        self.check(StoreOp::GetKeys, "")?;
        self.inner.get_keys()
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.check(StoreOp::Increment, key)?;
        if (self.fail_increment)(key, delta) {
            return Err(StoreError::Backend("disk full".to_owned()));
        }
        self.inner.increment(key, delta)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        self.check(StoreOp::CompareAndSwap, key)?;
        if self.lose_swaps {
            self.inner.compare_and_swap(key, Some(b"\0never"), b"x")?;
            return Ok(false);
        }
        self.inner.compare_and_swap(key, expected, new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faulty_store_fails_exactly_the_nth_write_and_heals() {
        let mut store = FaultyStore::new();
        let writes = store.fail_nth_write(1);
        store.set("a", b"1").unwrap();
        assert!(store.get("a").unwrap().is_some(), "reads are not counted");
        assert!(store.increment("b", 1).is_err(), "the second write fails");
        assert_eq!(
            store.inner.get("b").unwrap(),
            None,
            "a failed write changes nothing"
        );
        store.delete("a").unwrap();
        assert_eq!(writes.load(std::sync::atomic::Ordering::SeqCst), 3);
        store.heal();
        assert_eq!(store.increment("b", 1).unwrap(), 1);
    }

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

    /// Reads `stored` (key, raw bytes as a backend left them) back through `read_counters`
    /// for `wanted` keys, and checks the values and the store calls it cost.
    fn check_counters(stored: &[(&str, &[u8])], wanted: &[&str], expected: &[i64], calls: u64) {
        let store = MemoryStore::new();
        for (key, bytes) in stored {
            store.set(key, bytes).unwrap();
        }
        store.reset_ops();
        let keys: Vec<String> = wanted.iter().map(|k| k.to_string()).collect();
        assert_eq!(
            read_counters(&store, &keys).unwrap(),
            expected,
            "{stored:?}"
        );
        assert_eq!(store.ops().get_many, 1);
        assert_eq!(store.ops().total(), calls, "{:?}", store.ops());
    }

    #[test]
    fn counters_are_read_in_request_order_from_both_spin_encodings() {
        // Spin's SQLite encoding, including 0 (all NUL) and a negative value with a NUL byte.
        check_counters(
            &[
                ("c/0", &7i64.to_le_bytes()),
                ("c/1", &0i64.to_le_bytes()),
                ("c/2", &(-256i64).to_le_bytes()),
            ],
            &["c/0", "c/1", "c/2"],
            &[7, 0, -256],
            1,
        );
        // Spin's Redis encoding: decimal text, even when it is 8 bytes long.
        check_counters(
            &[("c/0", b"42"), ("c/1", b"-3"), ("c/2", b"12345678")],
            &["c/0", "c/1", "c/2"],
            &[42, -3, 12_345_678],
            1,
        );
        // Absent counters are 0, and the answer order (MemoryStore reverses it) is irrelevant.
        check_counters(
            &[("c/9", &5i64.to_le_bytes()), ("c/10", b"6")],
            &["c/9", "absent", "c/10"],
            &[5, 0, 6],
            1,
        );
        check_counters(&[], &[], &[], 1);
    }

    #[test]
    fn unknown_counter_encodings_fall_back_to_increment_for_that_key_only() {
        // 8 bytes without NUL is neither a small little-endian count nor decimal text: only
        // the backend knows, so `increment(key, 0)` reads it (here the memory store's i64 LE).
        let huge = i64::from_le_bytes([1; 8]);
        check_counters(
            &[("c/0", &[1; 8]), ("c/1", b"2")],
            &["c/0", "c/1"],
            &[huge, 2],
            2,
        );
        // When the backend does not understand it either, the error surfaces.
        let store = MemoryStore::new();
        store.set("c", b"not a number").unwrap();
        assert!(matches!(
            read_counters(&store, &["c".to_owned()]),
            Err(StoreError::NotACounter { .. })
        ));
        for bad in [&b""[..], b"-", b"+1", b" 1", b"1.5", b"\xff"] {
            assert_eq!(decode_counter(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn get_many_answers_present_keys_only_in_its_own_order() {
        let store = MemoryStore::new();
        store.set("a", b"1").unwrap();
        store.set("b", b"2").unwrap();
        let keys = ["a", "missing", "b"].map(str::to_owned);
        assert_eq!(
            store.get_many(&keys).unwrap(),
            vec![
                ("b".to_owned(), Some(b"2".to_vec())),
                ("a".to_owned(), Some(b"1".to_vec())),
            ]
        );
        assert!(matches!(
            store.get_many(&["k".repeat(MAX_KEY_BYTES + 1)]),
            Err(StoreError::KeyTooLong(_))
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
        store.get_many(&["a".to_owned(), "b".to_owned()]).unwrap();
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
                get_many: 1,
                set: 1,
                delete: 1,
                exists: 1,
                get_keys: 1,
                increment: 1,
                compare_and_swap: 1,
            }
        );
        assert_eq!(ops.total(), 9);
        store.reset_ops();
        assert_eq!(store.ops().total(), 0);
    }
}

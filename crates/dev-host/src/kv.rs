//! The key-value stores. By default they are persisted in one SQLite file
//! like Spin's default store (`.spin/sqlite_key_value.db`, same table,
//! counters as i64 little-endian), so data survives a restart and the file is
//! the one `spin up` would read. A runtime config can put the `default` store
//! on Redis instead ([`KvBackend::Redis`], see `kv_redis`), as Spin does.
//!
//! Set up as Spin sets up its own (`crates/key-value-spin`), so a write costs
//! here what it costs there and the bench's figures predict Spin's:
//! - one connection behind a mutex: every operation is serialised, which is
//!   what makes `increment` and compare-and-swap atomic across concurrent
//!   requests, and what caps the writes per second of the whole app;
//! - SQLite's default rollback journal (`journal_mode = DELETE`) and its
//!   default `synchronous = FULL`: Spin sets no pragma. A write creates,
//!   syncs and deletes the journal (about 1.7 ms on these machines), about
//!   twice what WAL costs, which the dev host used before and which made
//!   write-heavy requests look twice as fast as on Spin. A file a previous
//!   dev host left in WAL mode is switched back.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};

/// Spin guarantees keys up to 256 bytes and values up to 1 MB; the dev host
/// enforces exactly that, so code that works here works on every Spin store.
pub const MAX_KEY_BYTES: usize = 256;
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// The file name Spin uses for its default store in the data folder.
pub const DB_FILE: &str = "sqlite_key_value.db";

/// Errors a guest sees; mapped onto each interface's own error variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    /// An implementation-specific failure, with a message for the guest.
    Other(String),
    /// `increment` on a value that is not a counter. Spin's SQLite store
    /// panics there while holding its connection lock, which breaks every
    /// later store call of the process; the host turns it into a trap of
    /// the calling request so the bug is as visible as on Spin.
    NotACounter(String),
}

impl KvError {
    fn from_sqlite(e: rusqlite::Error) -> Self {
        // The detail stays in the host log; the guest gets a stable message.
        eprintln!("dev-host: key-value store error: {e}");
        KvError::Other("key-value store error".to_string())
    }
}

pub type KvResult<T> = std::result::Result<T, KvError>;

pub(crate) fn check_key(key: &str) -> KvResult<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::Other(format!(
            "key is {} bytes, over the {MAX_KEY_BYTES}-byte limit",
            key.len()
        )));
    }
    Ok(())
}

pub(crate) fn check_value(value: &[u8]) -> KvResult<()> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(KvError::Other(format!(
            "value is {} bytes, over the {MAX_VALUE_BYTES}-byte limit",
            value.len()
        )));
    }
    Ok(())
}

/// The backend behind the application's `default` store, chosen by the
/// runtime config: Spin's SQLite store (the default) or its Redis store.
pub enum KvBackend {
    Sqlite(KvDatabase),
    Redis(crate::kv_redis::RedisKv),
}

/// Runs a blocking SQLite call without stalling the async runtime's other
/// requests, as Spin's SQLite store does.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Dispatches each operation to the backend. Spin's Redis store ignores the
/// store label (one keyspace per URL); the SQLite store keys by it.
impl KvBackend {
    /// A short description for the start-up banner.
    pub fn summary(&self) -> &'static str {
        match self {
            KvBackend::Sqlite(_) => "SQLite",
            KvBackend::Redis(_) => "Redis",
        }
    }

    pub async fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        match self {
            KvBackend::Sqlite(db) => blocking(|| db.get(store, key)),
            KvBackend::Redis(redis) => redis.get(key).await,
        }
    }

    pub async fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()> {
        match self {
            KvBackend::Sqlite(db) => blocking(|| db.set(store, key, value)),
            KvBackend::Redis(redis) => redis.set(key, value).await,
        }
    }

    pub async fn delete(&self, store: &str, key: &str) -> KvResult<()> {
        match self {
            KvBackend::Sqlite(db) => blocking(|| db.delete(store, key)),
            KvBackend::Redis(redis) => redis.delete(key).await,
        }
    }

    pub async fn exists(&self, store: &str, key: &str) -> KvResult<bool> {
        match self {
            KvBackend::Sqlite(db) => blocking(|| db.exists(store, key)),
            KvBackend::Redis(redis) => redis.exists(key).await,
        }
    }

    pub async fn get_keys(&self, store: &str) -> KvResult<Vec<String>> {
        match self {
            KvBackend::Sqlite(db) => blocking(|| db.get_keys(store)),
            KvBackend::Redis(redis) => redis.get_keys().await,
        }
    }

    pub async fn get_many(
        &self,
        store: &str,
        keys: &[String],
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, crate::kv_redis::GetManyFault> {
        match self {
            KvBackend::Sqlite(db) => {
                blocking(|| db.get_many(store, keys)).map_err(crate::kv_redis::GetManyFault::Error)
            }
            KvBackend::Redis(redis) => redis.get_many(keys).await,
        }
    }

    pub async fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        match self {
            KvBackend::Sqlite(db) => blocking(|| db.set_many(store, entries)),
            KvBackend::Redis(redis) => redis.set_many(entries).await,
        }
    }

    pub async fn delete_many(&self, store: &str, keys: &[String]) -> KvResult<()> {
        match self {
            KvBackend::Sqlite(db) => blocking(|| db.delete_many(store, keys)),
            KvBackend::Redis(redis) => redis.delete_many(keys).await,
        }
    }

    pub async fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64> {
        match self {
            KvBackend::Sqlite(db) => blocking(|| db.increment(store, key, delta)),
            KvBackend::Redis(redis) => redis.increment(key, delta).await,
        }
    }

    /// Starts a compare-and-swap of `key`.
    pub async fn new_cas(&self, key: &str) -> KvResult<CasState> {
        check_key(key)?;
        match self {
            KvBackend::Sqlite(_) => Ok(CasState::Sqlite { seen: None }),
            KvBackend::Redis(redis) => redis.new_cas(key).await.map(CasState::Redis),
        }
    }

    /// The value now under `key`; the swap will compare against it.
    pub async fn cas_current(
        &self,
        store: &str,
        key: &str,
        cas: &mut CasState,
    ) -> KvResult<Option<Vec<u8>>> {
        match cas {
            CasState::Sqlite { seen } => {
                let value = self.get(store, key).await?;
                seen.clone_from(&value);
                Ok(value)
            }
            CasState::Redis(redis_cas) => redis_cas.current().await,
        }
    }

    /// Writes `value` if the key still holds what `cas_current` read, and
    /// returns whether the backend reports success.
    pub async fn cas_swap(
        &self,
        store: &str,
        key: &str,
        cas: &mut CasState,
        value: &[u8],
    ) -> KvResult<bool> {
        match (self, cas) {
            (KvBackend::Sqlite(db), CasState::Sqlite { seen }) => {
                blocking(|| db.compare_and_swap(store, key, seen.as_deref(), value))
            }
            (_, CasState::Redis(redis_cas)) => redis_cas.swap(value).await,
            (KvBackend::Redis(_), CasState::Sqlite { .. }) => Err(KvError::Other(
                "compare-and-swap started on another backend".to_string(),
            )),
        }
    }
}

/// The backend's part of a compare-and-swap in progress.
pub enum CasState {
    /// As in Spin's SQLite store: the value the swap must still find is the
    /// one `current` last read; when that was "absent" (or nothing was read)
    /// the swap is an upsert.
    Sqlite { seen: Option<Vec<u8>> },
    /// Spin's Redis store: a connection of its own with a `WATCH`.
    Redis(crate::kv_redis::RedisCas),
}

/// The SQLite database behind every store of the application.
pub struct KvDatabase {
    connection: Mutex<Connection>,
}

impl KvDatabase {
    /// Opens (or creates) `sqlite_key_value.db` in `data_dir`, as `spin up` does.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_file(&data_dir.join(DB_FILE))
    }

    /// Opens (or creates) the database at `path` (a runtime config's
    /// `type = "spin"` store with its own `path`).
    pub fn open_file(path: &Path) -> Result<Self> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create data folder {}", folder.display()))?;
        }
        let connection = Connection::open(path)
            .with_context(|| format!("cannot open key-value database {}", path.display()))?;
        Self::prepare(connection, &path.display().to_string())
    }

    /// A store that lives as long as the process: what Spin gives a runtime
    /// config's `type = "spin"` store without a `path`.
    pub fn open_in_memory() -> Result<Self> {
        let connection =
            Connection::open_in_memory().context("cannot open an in-memory key-value database")?;
        Self::prepare(connection, "(in memory)")
    }

    fn prepare(connection: Connection, path: &str) -> Result<Self> {
        connection
            .pragma_update(None, "journal_mode", "DELETE")
            .and_then(|()| connection.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| connection.busy_timeout(std::time::Duration::from_secs(5)))
            .and_then(|()| {
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS spin_key_value (
                        store TEXT NOT NULL,
                        key   TEXT NOT NULL,
                        value BLOB NOT NULL,
                        PRIMARY KEY (store, key)
                    )",
                    [],
                )
            })
            .with_context(|| format!("cannot prepare key-value database {path}"))?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> KvResult<T> {
        // A poisoned lock only means another request panicked mid-call; the
        // connection itself is still consistent (SQLite rolled back).
        let mut connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut connection).map_err(KvError::from_sqlite)
    }

    pub fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        check_key(key)?;
        self.with(|c| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![store, key], |row| row.get(0))
                .optional()
        })
    }

    pub fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()> {
        check_key(key)?;
        check_value(value)?;
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![store, key, value])
            .map(drop)
        })
    }

    pub fn delete(&self, store: &str, key: &str) -> KvResult<()> {
        check_key(key)?;
        self.with(|c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute(params![store, key])
                .map(drop)
        })
    }

    pub fn exists(&self, store: &str, key: &str) -> KvResult<bool> {
        check_key(key)?;
        self.with(|c| {
            c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .exists(params![store, key])
        })
    }

    pub fn get_keys(&self, store: &str) -> KvResult<Vec<String>> {
        self.with(|c| {
            c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?
                .query_map(params![store], |row| row.get(0))?
                .collect()
        })
    }

    /// Like Spin's SQLite store: only the keys that exist, in the store's
    /// key order rather than the order asked, so callers must match by key.
    pub fn get_many(
        &self,
        store: &str,
        keys: &[String],
    ) -> KvResult<Vec<(String, Option<Vec<u8>>)>> {
        keys.iter().try_for_each(|k| check_key(k))?;
        let mut found = self.with(|c| {
            let mut statement =
                c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?;
            let mut found = Vec::new();
            for key in keys {
                if let Some(value) = statement
                    .query_row(params![store, key], |row| row.get::<_, Vec<u8>>(0))
                    .optional()?
                {
                    found.push((key.clone(), Some(value)));
                }
            }
            Ok(found)
        })?;
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.dedup_by(|a, b| a.0 == b.0);
        Ok(found)
    }

    pub fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        for (key, value) in entries {
            check_key(key)?;
            check_value(value)?;
        }
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut statement = tx.prepare_cached(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                )?;
                for (key, value) in entries {
                    statement.execute(params![store, key, value])?;
                }
            }
            tx.commit()
        })
    }

    pub fn delete_many(&self, store: &str, keys: &[String]) -> KvResult<()> {
        keys.iter().try_for_each(|k| check_key(k))?;
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut statement =
                    tx.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?;
                for key in keys {
                    statement.execute(params![store, key])?;
                }
            }
            tx.commit()
        })
    }

    /// Adds `delta` to the counter at `key` (absent counts as 0) and returns
    /// the new value. The counter is stored as 8 bytes, i64 little-endian,
    /// as Spin's SQLite store does; any other value is an error, not a reset.
    pub fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64> {
        check_key(key)?;
        let mut outcome: KvResult<i64> = Ok(0);
        self.with(|c| {
            let tx = c.transaction()?;
            let current: Option<Vec<u8>> = tx
                .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![store, key], |row| row.get(0))
                .optional()?;
            let current = match current {
                None => 0,
                Some(bytes) => match <[u8; 8]>::try_from(bytes.as_slice()) {
                    Ok(le) => i64::from_le_bytes(le),
                    Err(_) => {
                        outcome = Err(KvError::NotACounter(format!(
                            "increment on `{key}`, whose value is not a counter (8-byte little-endian integer); Spin's SQLite store would panic here"
                        )));
                        return Ok(());
                    }
                },
            };
            let Some(next) = current.checked_add(delta) else {
                outcome = Err(KvError::Other(format!("counter `{key}` would overflow")));
                return Ok(());
            };
            tx.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![store, key, next.to_le_bytes().as_slice()])?;
            tx.commit()?;
            outcome = Ok(next);
            Ok(())
        })?;
        outcome
    }

    /// Writes `new` only if the value is still `expected`, and returns
    /// whether it wrote.
    ///
    /// With `expected = None` (the guest saw no value, or never read one)
    /// this is an upsert that always succeeds, exactly as Spin's SQLite store
    /// does: two concurrent "create if absent" swaps both win there, so the
    /// dev host must not promise more. Exclusive claims use `increment`.
    pub fn compare_and_swap(
        &self,
        store: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> KvResult<bool> {
        check_key(key)?;
        check_value(new)?;
        self.with(|c| {
            let changed = match expected {
                Some(old) => c
                    .prepare_cached(
                        "UPDATE spin_key_value SET value = ?3
                         WHERE store = ?1 AND key = ?2 AND value = ?4",
                    )?
                    .execute(params![store, key, new, old])?,
                None => c
                    .prepare_cached(
                        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                    )?
                    .execute(params![store, key, new])?,
            };
            Ok(changed == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn db() -> (tempfile::TempDir, KvDatabase) {
        let dir = tempfile::tempdir().unwrap();
        let db = KvDatabase::open(dir.path()).unwrap();
        (dir, db)
    }

    #[test]
    fn stores_are_separate_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = KvDatabase::open(dir.path()).unwrap();
            db.set("default", "k", b"v").unwrap();
            db.set("other", "k", b"w").unwrap();
        }
        let db = KvDatabase::open(dir.path()).unwrap();
        assert_eq!(db.get("default", "k").unwrap(), Some(b"v".to_vec()));
        assert_eq!(db.get("other", "k").unwrap(), Some(b"w".to_vec()));
        assert_eq!(db.get_keys("default").unwrap(), vec!["k".to_string()]);
        db.delete("default", "k").unwrap();
        assert!(!db.exists("default", "k").unwrap());
    }

    #[test]
    fn the_journal_is_spins_default_even_for_a_file_left_in_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        {
            let old = Connection::open(&path).unwrap();
            old.pragma_update(None, "journal_mode", "WAL").unwrap();
        }
        let db = KvDatabase::open(dir.path()).unwrap();
        db.set("default", "k", b"v").unwrap();
        let (journal, synchronous) = db
            .with(|c| {
                let journal: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let synchronous: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
                Ok((journal, synchronous))
            })
            .unwrap();
        assert_eq!(
            (journal.as_str(), synchronous),
            ("delete", 2),
            "rollback journal, FULL"
        );
        assert!(!dir.path().join(format!("{DB_FILE}-wal")).exists());
    }

    #[test]
    fn limits_are_spins() {
        let (_dir, db) = db();
        let key = "k".repeat(MAX_KEY_BYTES);
        db.set("default", &key, b"v").unwrap();
        assert!(db.set("default", &format!("{key}k"), b"v").is_err());
        db.set("default", "big", &vec![0; MAX_VALUE_BYTES]).unwrap();
        assert!(
            db.set("default", "big", &vec![0; MAX_VALUE_BYTES + 1])
                .is_err()
        );
    }

    #[test]
    fn counters_are_little_endian_and_atomic() {
        let (_dir, db) = db();
        let db = Arc::new(db);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        db.increment("default", "n", 1).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(db.increment("default", "n", 0).unwrap(), 400);
        assert_eq!(
            db.get("default", "n").unwrap(),
            Some(400i64.to_le_bytes().to_vec())
        );
        db.set("default", "text", b"hello").unwrap();
        assert!(matches!(
            db.increment("default", "text", 1),
            Err(KvError::NotACounter(_))
        ));
        assert_eq!(db.get("default", "text").unwrap(), Some(b"hello".to_vec()));
    }

    #[test]
    fn get_many_returns_present_keys_in_key_order() {
        let (_dir, db) = db();
        db.set("default", "b", b"2").unwrap();
        db.set("default", "a", b"1").unwrap();
        let keys = ["b", "missing", "a"].map(String::from);
        assert_eq!(
            db.get_many("default", &keys).unwrap(),
            vec![
                ("a".to_string(), Some(b"1".to_vec())),
                ("b".to_string(), Some(b"2".to_vec()))
            ]
        );
    }

    #[test]
    fn compare_and_swap_writes_only_over_the_expected_value() {
        let (_dir, db) = db();
        assert!(db.compare_and_swap("default", "k", None, b"a").unwrap());
        assert!(
            !db.compare_and_swap("default", "k", Some(b"x"), b"b")
                .unwrap()
        );
        assert_eq!(db.get("default", "k").unwrap(), Some(b"a".to_vec()));
        assert!(
            db.compare_and_swap("default", "k", Some(b"a"), b"b")
                .unwrap()
        );
        assert_eq!(db.get("default", "k").unwrap(), Some(b"b".to_vec()));
        // Spin's swap from "absent" is an upsert: it wins even over a value.
        assert!(db.compare_and_swap("default", "k", None, b"c").unwrap());
        assert_eq!(db.get("default", "k").unwrap(), Some(b"c".to_vec()));
    }
}

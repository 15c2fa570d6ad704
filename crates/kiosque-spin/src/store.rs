//! The domain's [`KvStore`] over Spin's key-value store, on every backend Spin offers.
//!
//! Plain operations go through `fermyon:spin/key-value@2.0.0` (`spin_sdk::key_value`) and
//! `increment` through `wasi:keyvalue@0.2.0-draft2` atomics: both are right on Spin's SQLite
//! and Redis stores. Two operations are not right everywhere, so they depend on the backend:
//!
//! - **Batch reads.** Spin's Redis store sends `wasi:keyvalue/batch.get-many` as `KEYS`: an
//!   error for two keys or more, a trap of the whole request (nothing to catch) for one key.
//!   So one key is always a plain `get`; on Redis a batch is one `MGET` over outbound Redis;
//!   elsewhere it is Spin's batch, and should that fail (Redis without `kv_redis_url`) one
//!   `get` per key, logged. On Spin's SQLite store the batch is one query: reading key by key
//!   would make the home page 18 store calls instead of 5 (`cargo xtask bench`).
//! - **Compare-and-swap.** Spin's Redis store runs `WATCH`/`GET`, `MULTI`/`SET`/`EXEC`, then
//!   `UNWATCH key`, which Redis refuses: every swap is reported as failed, whether or not it
//!   wrote. On Redis the swap is therefore one Lua script (`EVAL`, atomic on the server) over
//!   Spin's outbound Redis, at the address of the secret variable `kv_redis_url`; that
//!   variable is how the adapter knows its backend.
//!
//! The default (`kv_redis_url` empty) is safe: it uses the store's own compare-and-swap, exact
//! on Spin's SQLite store, but first checks, once per request, that the store is not Spin's
//! Redis store after all (the runtime config says Redis, the variable was forgotten): a batch
//! read of the two [`keys::store_backend_probes`] succeeds on every Spin store but that one.
//! There, every swap is refused with an error naming the variable before anything is written,
//! instead of writes reported failed that a retry loop would apply again and again. The check
//! costs one read, only in requests that swap.

use std::cell::OnceCell;

use kiosque_domain::keys;
use kiosque_domain::store::{KeyValues, KvStore, StoreError, check_key, check_value};
use spin_sdk::key_value::Store;
use spin_sdk::redis::{Connection as RedisConnection, RedisParameter, RedisResult};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store as wasi_store};

/// The variable that puts the atomics on Redis: the same URL as the runtime config's store.
pub const REDIS_URL_VARIABLE: &str = "kv_redis_url";

/// Compare-and-swap in one atomic step on the Redis server. `KEYS[1]` the key; `ARGV[1]` is
/// `1` when a value is expected (then `ARGV[2]` is it) and `0` when the key must be absent;
/// `ARGV[3]` the new value. Answers 1 when it wrote, 0 when the value differed. A missing key
/// reads as `false` in Lua, which equals no string, so "expected a value" fails on it.
const CAS_SCRIPT: &str = "local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1";

/// One request's handle on a Spin key-value store. Open it once per request.
pub struct SpinStore {
    label: String,
    store: Store,
    bucket: OnceCell<wasi_store::Bucket>,
    /// `Some` when the store is on Redis: where the atomics Spin gets wrong there are run.
    redis: Option<RedisAtomics>,
    /// Without `redis`: whether the store's own compare-and-swap was checked trustworthy.
    own_swap_checked: OnceCell<()>,
}

/// The outbound Redis connection, opened on the first operation that needs it.
struct RedisAtomics {
    url: String,
    connection: OnceCell<RedisConnection>,
}

impl SpinStore {
    /// Opens the store every component uses, labelled `default` in the manifest, on the
    /// backend that the `kv_redis_url` variable names (Spin's own store when it is empty).
    pub fn open_default() -> Result<Self, StoreError> {
        let redis_url = crate::config::variable(REDIS_URL_VARIABLE);
        Self::open("default", redis_url)
    }

    pub fn open(label: &str, redis_url: Option<String>) -> Result<Self, StoreError> {
        let store = Store::open(label).map_err(|e| backend("open", label, e))?;
        Ok(SpinStore {
            label: label.to_owned(),
            store,
            bucket: OnceCell::new(),
            redis: redis_url.map(|url| RedisAtomics {
                url,
                connection: OnceCell::new(),
            }),
            own_swap_checked: OnceCell::new(),
        })
    }

    fn bucket(&self) -> Result<&wasi_store::Bucket, StoreError> {
        if let Some(bucket) = self.bucket.get() {
            return Ok(bucket);
        }
        let bucket =
            wasi_store::open(&self.label).map_err(|e| backend("open bucket", &self.label, e))?;
        Ok(self.bucket.get_or_init(|| bucket))
    }

    /// Runs one Redis command on the outbound connection (Redis backend only).
    fn redis_execute(
        &self,
        redis: &RedisAtomics,
        command: &str,
        arguments: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, StoreError> {
        let connection = match redis.connection.get() {
            Some(connection) => connection,
            None => {
                // Never log the URL: it may carry the Redis password.
                let connection = RedisConnection::open(&redis.url).map_err(|e| {
                    StoreError::Backend(format!(
                        "cannot open the Redis connection of `{REDIS_URL_VARIABLE}` (is redis://host:port in allowed_outbound_hosts?): {e:?}"
                    ))
                })?;
                redis.connection.get_or_init(|| connection)
            }
        };
        connection
            .execute(command, arguments)
            .map_err(|e| StoreError::Backend(format!("redis {command}: {e:?}")))
    }

    fn redis_compare_and_swap(
        &self,
        redis: &RedisAtomics,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        let binary = |bytes: &[u8]| RedisParameter::Binary(bytes.to_vec());
        let (must_match, expected) = match expected {
            Some(value) => (b"1", value),
            None => (b"0", &[][..]),
        };
        let answer = self.redis_execute(
            redis,
            "EVAL",
            &[
                binary(CAS_SCRIPT.as_bytes()),
                RedisParameter::Int64(1),
                binary(key.as_bytes()),
                binary(must_match),
                binary(expected),
                binary(new),
            ],
        )?;
        match answer.as_slice() {
            [RedisResult::Int64(1)] => Ok(true),
            [RedisResult::Int64(0)] => Ok(false),
            other => Err(backend("cas script", key, other)),
        }
    }

    /// Refuses the store's own compare-and-swap on Spin's Redis store, which reports every
    /// swap as failed although it writes: a batch read of two keys fails there, and only there.
    fn check_own_swap_is_trustworthy(&self) -> Result<(), StoreError> {
        if self.own_swap_checked.get().is_some() {
            return Ok(());
        }
        if let Err(e) = batch::get_many(self.bucket()?, &keys::store_backend_probes()) {
            return Err(StoreError::Backend(format!(
                "this store cannot read a batch ({e:?}): it is Spin's Redis store, whose compare-and-swap reports every swap as failed; set the `{REDIS_URL_VARIABLE}` variable to the store's Redis URL"
            )));
        }
        let _ = self.own_swap_checked.set(());
        Ok(())
    }
}

fn backend(operation: &str, key: &str, error: impl std::fmt::Debug) -> StoreError {
    StoreError::Backend(format!("{operation} {key}: {error:?}"))
}

impl KvStore for SpinStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(key)?;
        self.store.get(key).map_err(|e| backend("get", key, e))
    }

    fn get_many(&self, keys: &[String]) -> Result<KeyValues, StoreError> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let one_by_one = || -> Result<KeyValues, StoreError> {
            keys.iter()
                .map(|key| Ok((key.clone(), self.get(key)?)))
                .collect()
        };
        if keys.len() < 2 {
            return one_by_one();
        }
        let Some(redis) = &self.redis else {
            return match batch::get_many(self.bucket()?, keys) {
                Ok(found) => Ok(found),
                Err(e) => {
                    eprintln!(
                        "batch read of {} keys failed ({e:?}); reading them one by one (on Spin's Redis store, set `{REDIS_URL_VARIABLE}`)",
                        keys.len()
                    );
                    one_by_one()
                }
            };
        };
        let arguments: Vec<_> = keys
            .iter()
            .map(|key| RedisParameter::Binary(key.as_bytes().to_vec()))
            .collect();
        let values = self.redis_execute(redis, "MGET", &arguments)?;
        if values.len() != keys.len() {
            return Err(backend(
                "mget",
                &format!("{} keys", keys.len()),
                values.len(),
            ));
        }
        keys.iter()
            .zip(values)
            .map(|(key, value)| match value {
                RedisResult::Nil => Ok((key.clone(), None)),
                RedisResult::Binary(bytes) => Ok((key.clone(), Some(bytes))),
                other => Err(backend("mget", key, other)),
            })
            .collect()
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        check_key(key)?;
        check_value(value)?;
        self.store
            .set(key, value)
            .map_err(|e| backend("set", key, e))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        self.store
            .delete(key)
            .map_err(|e| backend("delete", key, e))
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        check_key(key)?;
        self.store
            .exists(key)
            .map_err(|e| backend("exists", key, e))
    }

    fn get_keys(&self) -> Result<Vec<String>, StoreError> {
        self.store
            .get_keys()
            .map_err(|e| backend("get_keys", &self.label, e))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        check_key(key)?;
        atomics::increment(self.bucket()?, key, delta).map_err(|e| backend("increment", key, e))
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        check_key(key)?;
        check_value(new)?;
        if let Some(redis) = &self.redis {
            return self.redis_compare_and_swap(redis, key, expected, new);
        }
        self.check_own_swap_is_trustworthy()?;
        let cas = atomics::Cas::new(self.bucket()?, key).map_err(|e| backend("cas", key, e))?;
        // `current` also records the value `swap` will compare against on the host.
        let current = cas.current().map_err(|e| backend("cas current", key, e))?;
        if current.as_deref() != expected {
            return Ok(false);
        }
        match atomics::swap(cas, new) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(backend("cas swap", key, e)),
        }
    }
}

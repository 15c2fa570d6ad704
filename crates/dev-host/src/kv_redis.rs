//! A key-value store on Redis that behaves as Spin's Redis store does (spin
//! `crates/key-value-redis`, Spin 3 and 4), faults included, so that what
//! fails on a real Spin with `type = "redis"` fails on the dev host first.
//!
//! Command by command, as Spin sends them:
//! - get, set, delete, exists: `GET`, `SET`, `DEL`, `EXISTS`; the store label
//!   is ignored (every store of the runtime config's URL shares one keyspace);
//! - get-keys: `KEYS *`, the whole keyspace;
//! - increment: `INCRBY`, so counters are decimal text (`"2"`), not Spin's
//!   SQLite encoding;
//! - batch get-many: sent as `KEYS k1 k2 ...`. Redis refuses that with two or
//!   more keys (an error for the guest); with exactly one key that exists the
//!   reply does not convert and Spin's host panics inside its Redis client, so
//!   the guest traps: the dev host traps that request on purpose (one absent
//!   key matches nothing: an empty answer);
//! - set-many: `MSET`; delete-many: `DEL k1 k2 ...`;
//! - compare-and-swap: a new connection per CAS; `current` sends `WATCH key`
//!   then `GET`; `swap` sends `MULTI`/`SET`/`EXEC`, then `UNWATCH key`, which
//!   Redis refuses ("wrong number of arguments"), so **every swap is
//!   reported as failed**, although the `SET` went through whenever nobody
//!   changed the key since `WATCH`. The failed swap hands the guest a fresh
//!   CAS (a new connection, `WATCH` + `GET`), as Spin does.

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncCommands, Client};

use crate::kv::{KvError, KvResult, check_key, check_value};

/// A Redis store reached at one URL, with one shared connection.
pub struct RedisKv {
    client: Client,
    connection: ConnectionManager,
}

fn redis_error(e: redis::RedisError) -> KvError {
    // Spin logs the detail and hands the guest its text; so do we.
    eprintln!("dev-host: redis key-value store: {e}");
    KvError::Other(format!("{e:?}"))
}

/// What a get-many does on Spin's Redis store when it does not simply fail.
pub enum GetManyFault {
    /// Spin's host panics: the calling request traps.
    Trap(String),
    /// The guest sees this store error.
    Error(KvError),
}

impl RedisKv {
    /// Connects to `url` (`redis://[:password@]host:port[/db]`) and checks
    /// that the server answers, so a wrong URL fails at start-up.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        use anyhow::Context;
        // Errors name the server, never the password the URL may carry.
        let server = url.rsplit('@').next().unwrap_or(url);
        let client =
            Client::open(url).with_context(|| format!("invalid Redis URL (server `{server}`)"))?;
        let mut connection = ConnectionManager::new(client.clone())
            .await
            .with_context(|| format!("cannot reach Redis at `{server}`"))?;
        let () = redis::cmd("PING")
            .query_async(&mut connection)
            .await
            .with_context(|| format!("Redis at `{server}` does not answer PING"))?;
        Ok(Self { client, connection })
    }

    fn conn(&self) -> ConnectionManager {
        self.connection.clone()
    }

    pub async fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        check_key(key)?;
        self.conn().get(key).await.map_err(redis_error)
    }

    pub async fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        check_key(key)?;
        check_value(value)?;
        self.conn().set(key, value).await.map_err(redis_error)
    }

    pub async fn delete(&self, key: &str) -> KvResult<()> {
        check_key(key)?;
        self.conn().del(key).await.map_err(redis_error)
    }

    pub async fn exists(&self, key: &str) -> KvResult<bool> {
        check_key(key)?;
        self.conn().exists(key).await.map_err(redis_error)
    }

    pub async fn get_keys(&self) -> KvResult<Vec<String>> {
        self.conn().keys("*").await.map_err(redis_error)
    }

    /// Spin sends the keys to `KEYS`: never an answer the guest can use.
    pub async fn get_many(&self, keys: &[String]) -> Result<KvValues, GetManyFault> {
        keys.iter()
            .try_for_each(|k| check_key(k))
            .map_err(GetManyFault::Error)?;
        let mut command = redis::cmd("KEYS");
        command.arg(keys);
        if keys.len() == 1 {
            // `KEYS k` is a pattern match: nothing when `k` is absent (an empty answer the
            // guest can use), `[k]` when present, which Spin's client cannot turn into
            // (key, value) pairs: its host panics and the request traps.
            let matched: Vec<String> = command
                .query_async(&mut self.conn())
                .await
                .map_err(|e| GetManyFault::Error(redis_error(e)))?;
            if matched.is_empty() {
                return Ok(Vec::new());
            }
            return Err(GetManyFault::Trap(format!(
                "get-many of one present key (`{}`): Spin's Redis store sends it as `KEYS`, whose reply its Redis client cannot convert, and the host panics",
                keys[0]
            )));
        }
        command
            .query_async::<KvValues>(&mut self.conn())
            .await
            .map_err(|e| GetManyFault::Error(redis_error(e)))
    }

    pub async fn set_many(&self, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        for (key, value) in entries {
            check_key(key)?;
            check_value(value)?;
        }
        let mut command = redis::cmd("MSET");
        for (key, value) in entries {
            command.arg(key).arg(value);
        }
        command
            .query_async(&mut self.conn())
            .await
            .map_err(redis_error)
    }

    pub async fn delete_many(&self, keys: &[String]) -> KvResult<()> {
        keys.iter().try_for_each(|k| check_key(k))?;
        let mut command = redis::cmd("DEL");
        command.arg(keys);
        command
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_error)
    }

    pub async fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        check_key(key)?;
        self.conn().incr(key, delta).await.map_err(redis_error)
    }

    /// Starts a compare-and-swap on its own connection, as Spin does: Redis
    /// scopes `WATCH` to a connection.
    pub async fn new_cas(&self, key: &str) -> KvResult<RedisCas> {
        check_key(key)?;
        let connection = self
            .client
            .get_multiplexed_async_connection()
            .await
            .map_err(redis_error)?;
        Ok(RedisCas {
            key: key.to_string(),
            connection,
        })
    }
}

type KvValues = Vec<(String, Option<Vec<u8>>)>;

/// One compare-and-swap in progress on Spin's Redis store.
pub struct RedisCas {
    pub key: String,
    connection: MultiplexedConnection,
}

impl RedisCas {
    /// `WATCH key`, then `GET key`.
    pub async fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        redis::cmd("WATCH")
            .arg(&self.key)
            .query_async::<()>(&mut self.connection)
            .await
            .map_err(redis_error)?;
        self.connection.get(&self.key).await.map_err(redis_error)
    }

    /// `MULTI`/`SET`/`EXEC`, then `UNWATCH key`. Returns whether Spin would
    /// report success: never, since Redis refuses `UNWATCH` with an argument;
    /// the `SET` itself is applied unless the key changed since `WATCH`.
    pub async fn swap(&mut self, value: &[u8]) -> KvResult<bool> {
        check_value(value)?;
        let transaction: redis::RedisResult<()> = redis::pipe()
            .atomic()
            .set(&self.key, value)
            .query_async(&mut self.connection)
            .await;
        let unwatch: redis::RedisResult<()> = redis::cmd("UNWATCH")
            .arg(&self.key)
            .query_async(&mut self.connection)
            .await;
        if let Err(e) = unwatch {
            eprintln!(
                "dev-host: redis key-value store: compare-and-swap of `{}` reported as failed, as on Spin: {e}",
                self.key
            );
            return Ok(false);
        }
        Ok(transaction.is_ok())
    }
}

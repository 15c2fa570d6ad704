//! `fermyon:spin/redis@2.0.0`: outbound Redis, as Spin's host offers it. A
//! connection opens only to an address the component's
//! `allowed_outbound_hosts` allow (`redis://host:port`, port 6379 by
//! default); `execute` flattens the reply into the interface's results as
//! Spin does (arrays become their elements, `OK` a status).

use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, Value};
use wasmtime::component::Resource;

use crate::host::RequestState;
use crate::host::fermyon::spin::redis::{self as wit, RedisParameter, RedisResult};

/// An open outbound connection of one request.
pub struct RedisConnection {
    connection: MultiplexedConnection,
}

fn other(e: redis::RedisError) -> wit::Error {
    wit::Error::Other(e.to_string())
}

impl RequestState {
    /// The connection behind `handle`, for one command (counted as a store call: Kiosque's
    /// components use outbound Redis only as their store's atomics).
    fn redis(
        &mut self,
        handle: &Resource<RedisConnection>,
    ) -> wasmtime::Result<MultiplexedConnection> {
        self.count_store_operation();
        Ok(self.table.get(handle)?.connection.clone())
    }

    fn redis_address_allowed(&self, address: &str) -> bool {
        let Some(url) = redis::parse_redis_url(address) else {
            return false;
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        self.hooks
            .policy
            .allows(url.scheme(), host, Some(url.port().unwrap_or(6379)))
    }
}

/// Spin's flattening of a reply into `execute` results.
fn flatten(value: Value, results: &mut Vec<RedisResult>) -> Result<(), wit::Error> {
    match value {
        Value::Nil => results.push(RedisResult::Nil),
        Value::Int(v) => results.push(RedisResult::Int64(v)),
        Value::BulkString(bytes) => results.push(RedisResult::Binary(bytes)),
        Value::SimpleString(s) => results.push(RedisResult::Status(s)),
        Value::Okay => results.push(RedisResult::Status("OK".to_string())),
        Value::Boolean(b) => results.push(RedisResult::Int64(i64::from(b))),
        Value::Double(d) => results.push(RedisResult::Binary(d.to_string().into_bytes())),
        Value::Array(values) | Value::Set(values) => {
            for value in values {
                flatten(value, results)?;
            }
        }
        Value::ServerError(e) => return Err(wit::Error::Other(format!("{e:?}"))),
        other => {
            return Err(wit::Error::Other(format!(
                "Redis reply type not supported: {other:?}"
            )));
        }
    }
    Ok(())
}

impl wit::Host for RequestState {}

impl wit::HostConnection for RequestState {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<RedisConnection>, wit::Error>> {
        if !self.redis_address_allowed(&address) {
            // The address may carry a password: name the component, not it.
            eprintln!(
                "dev-host: component `{}` may not open this Redis address: add `redis://host:port` to allowed_outbound_hosts",
                self.component.id
            );
            return Ok(Err(wit::Error::InvalidAddress));
        }
        let client = match redis::Client::open(address.as_str()) {
            Ok(client) => client,
            Err(_) => return Ok(Err(wit::Error::InvalidAddress)),
        };
        let connection = match client.get_multiplexed_async_connection().await {
            Ok(connection) => connection,
            Err(e) => return Ok(Err(other(e))),
        };
        Ok(Ok(self.table.push(RedisConnection { connection })?))
    }

    async fn publish(
        &mut self,
        handle: Resource<RedisConnection>,
        channel: String,
        payload: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wit::Error>> {
        let mut conn = self.redis(&handle)?;
        Ok(conn.publish(channel, payload).await.map_err(other))
    }

    async fn get(
        &mut self,
        handle: Resource<RedisConnection>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wit::Error>> {
        let mut conn = self.redis(&handle)?;
        Ok(conn.get(key).await.map_err(other))
    }

    async fn set(
        &mut self,
        handle: Resource<RedisConnection>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wit::Error>> {
        let mut conn = self.redis(&handle)?;
        Ok(conn.set(key, value).await.map_err(other))
    }

    async fn incr(
        &mut self,
        handle: Resource<RedisConnection>,
        key: String,
    ) -> wasmtime::Result<Result<i64, wit::Error>> {
        let mut conn = self.redis(&handle)?;
        Ok(conn.incr(key, 1).await.map_err(other))
    }

    async fn del(
        &mut self,
        handle: Resource<RedisConnection>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<u32, wit::Error>> {
        let mut conn = self.redis(&handle)?;
        Ok(conn.del(keys).await.map_err(other))
    }

    async fn sadd(
        &mut self,
        handle: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> wasmtime::Result<Result<u32, wit::Error>> {
        let mut conn = self.redis(&handle)?;
        Ok(conn.sadd(key, values).await.map_err(other))
    }

    async fn smembers(
        &mut self,
        handle: Resource<RedisConnection>,
        key: String,
    ) -> wasmtime::Result<Result<Vec<String>, wit::Error>> {
        let mut conn = self.redis(&handle)?;
        Ok(conn.smembers(key).await.map_err(other))
    }

    async fn srem(
        &mut self,
        handle: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> wasmtime::Result<Result<u32, wit::Error>> {
        let mut conn = self.redis(&handle)?;
        Ok(conn.srem(key, values).await.map_err(other))
    }

    async fn execute(
        &mut self,
        handle: Resource<RedisConnection>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> wasmtime::Result<Result<Vec<RedisResult>, wit::Error>> {
        let mut conn = self.redis(&handle)?;
        let mut cmd = redis::cmd(&command);
        for argument in arguments {
            match argument {
                RedisParameter::Int64(v) => cmd.arg(v),
                RedisParameter::Binary(v) => cmd.arg(v),
            };
        }
        let reply = match cmd.query_async::<Value>(&mut conn).await {
            Ok(reply) => reply,
            Err(e) => return Ok(Err(other(e))),
        };
        let mut results = Vec::new();
        Ok(flatten(reply, &mut results).map(|()| results))
    }

    async fn drop(&mut self, handle: Resource<RedisConnection>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

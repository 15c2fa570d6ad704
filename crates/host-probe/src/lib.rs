//! A probe component for the dev host's own tests: each request names, in
//! `?do=...`, one host feature to exercise (headers, key-value, atomics,
//! variables, outbound HTTP, files, traps) and the answer reports exactly
//! what the host returned, so the tests can compare it with Spin's
//! behaviour. It is test infrastructure and never deployed.

use std::collections::BTreeMap;

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store as wasi_store};

fn query(req: &Request) -> BTreeMap<String, String> {
    req.query()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_string(), v.replace("%2F", "/").replace("%3A", ":"))
        })
        .collect()
}

fn text(status: u16, body: impl Into<String>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(body.into())
        .build()
}

fn param<'a>(q: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    q.get(name).map(String::as_str).unwrap_or_default()
}

#[http_component]
async fn handle(req: Request) -> impl IntoResponse {
    let q = query(&req);
    let key = param(&q, "key").to_string();
    match param(&q, "do") {
        "headers" => {
            let headers: BTreeMap<String, String> = req
                .headers()
                .filter(|(name, _)| name.starts_with("spin-"))
                .map(|(name, value)| (name.to_string(), value.as_str().unwrap_or("").to_string()))
                .collect();
            text(200, serde_json::to_string(&headers).unwrap_or_default())
        }
        "kv-open" => match Store::open(param(&q, "label")) {
            Ok(_) => text(200, "ok"),
            Err(e) => text(500, format!("{e:?}")),
        },
        "wasi-open" => match wasi_store::open(param(&q, "label")) {
            Ok(_) => text(200, "ok"),
            Err(e) => text(500, format!("{e:?}")),
        },
        "kv-get" => match Store::open_default().and_then(|s| s.get(&key)) {
            Ok(Some(value)) => Response::new(200, value),
            Ok(None) => text(404, "absent"),
            Err(e) => text(500, format!("{e:?}")),
        },
        "kv-set" => {
            let value = if let Some(len) = q.get("len") {
                vec![b'v'; len.parse().unwrap_or(0)]
            } else {
                req.body().to_vec()
            };
            match Store::open_default().and_then(|s| s.set(&key, &value)) {
                Ok(()) => text(200, "ok"),
                Err(e) => text(500, format!("{e:?}")),
            }
        }
        "kv-delete" => match Store::open_default().and_then(|s| s.delete(&key)) {
            Ok(()) => text(200, "ok"),
            Err(e) => text(500, format!("{e:?}")),
        },
        "incr" => {
            let delta = param(&q, "delta").parse().unwrap_or(0);
            match wasi_store::open("default").and_then(|b| atomics::increment(&b, &key, delta)) {
                Ok(value) => text(200, value.to_string()),
                Err(e) => text(500, format!("{e:?}")),
            }
        }
        // Compare-and-swap as a guest uses it: read, then swap over what was read.
        "cas" => {
            let new = param(&q, "new").as_bytes().to_vec();
            let read_first = param(&q, "read") != "no";
            let outcome = wasi_store::open("default")
                .and_then(|b| atomics::Cas::new(&b, &key))
                .map_err(atomics::CasError::StoreError)
                .and_then(|cas| {
                    let seen = if read_first {
                        cas.current().map_err(atomics::CasError::StoreError)?
                    } else {
                        None
                    };
                    atomics::swap(cas, &new).map(|()| seen)
                });
            match outcome {
                Ok(seen) => text(
                    200,
                    format!(
                        "swapped over {:?}",
                        seen.map(|v| String::from_utf8_lossy(&v).to_string())
                    ),
                ),
                Err(atomics::CasError::CasFailed(_)) => text(409, "cas failed"),
                Err(atomics::CasError::StoreError(e)) => text(500, format!("{e:?}")),
            }
        }
        // A swap whose key is changed by someone else between read and swap.
        "cas-race" => {
            let outcome = wasi_store::open("default").and_then(|bucket| {
                let cas = atomics::Cas::new(&bucket, &key)?;
                cas.current()?;
                bucket.set(&key, b"changed")?;
                Ok(atomics::swap(cas, param(&q, "new").as_bytes()))
            });
            match outcome {
                Ok(Ok(())) => text(200, "swapped"),
                Ok(Err(atomics::CasError::CasFailed(_))) => text(409, "cas failed"),
                Ok(Err(atomics::CasError::StoreError(e))) | Err(e) => text(500, format!("{e:?}")),
            }
        }
        // wasi:keyvalue batch get-many, answered as the list of keys found.
        "many" => {
            let keys: Vec<String> = param(&q, "keys").split(',').map(String::from).collect();
            match wasi_store::open("default").and_then(|b| batch::get_many(&b, &keys)) {
                Ok(found) => {
                    let found: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
                    text(200, found.join(","))
                }
                Err(e) => text(500, format!("{e:?}")),
            }
        }
        // Computes without yielding for `ms` milliseconds.
        "busy" => {
            let ms: u64 = param(&q, "ms").parse().unwrap_or(0);
            let started = std::time::Instant::now();
            let mut spins: u64 = 0;
            while started.elapsed().as_millis() < u128::from(ms) {
                spins = std::hint::black_box(spins.wrapping_add(1));
            }
            text(200, "done")
        }
        "var" => match spin_sdk::variables::get(param(&q, "name")) {
            Ok(value) => text(200, value),
            Err(e) => text(500, format!("{e:?}")),
        },
        "fetch" => {
            let request = Request::builder()
                .method(Method::Get)
                .uri(param(&q, "url"))
                .build();
            match spin_sdk::http::send::<_, Response>(request).await {
                Ok(response) => text(200, format!("status {}", response.status())),
                Err(e) => text(502, format!("{e}")),
            }
        }
        // Outbound Redis: open the connection at `url` and send `PING`.
        "redis-ping" => match spin_sdk::redis::Connection::open(param(&q, "url"))
            .and_then(|c| c.execute("PING", &[]))
        {
            Ok(results) => text(200, format!("{results:?}")),
            Err(e) => text(502, format!("{e:?}")),
        },
        "file" => match std::fs::read_to_string(param(&q, "path")) {
            Ok(contents) => text(200, contents),
            Err(e) => text(404, e.to_string()),
        },
        "write-file" => match std::fs::write(param(&q, "path"), b"x") {
            Ok(()) => text(200, "written"),
            Err(e) => text(403, e.to_string()),
        },
        "body-len" => text(200, req.body().len().to_string()),
        // The cheapest answer a component can give: the bench's no-op floor.
        "noop" => text(200, ""),
        "trap" => panic!("the probe was asked to trap"),
        other => text(400, format!("unknown probe action `{other}`")),
    }
}

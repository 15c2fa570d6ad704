//! `cargo xtask bench`: builds the app, boots the dev host in-process on the
//! real `spin.toml` (fresh data folder, free port) and prints figures:
//! component sizes, start-up time, throughput, latency and store calls per
//! request for each scenario, the host's peak memory, and a correctness check
//! of the vote tally. `cargo xtask bench --redis` runs the same on Spin's Redis
//! store (a throwaway `redis-server`, a runtime config and `kv_redis_url`).
//!
//! The load comes from this process over loopback (bounded in count), with
//! one keep-alive connection per client thread.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use dev_host::{BackgroundHost, DevHostConfig};
use reqwest::blocking::Client;
use serde_json::{Value, json};

const CONCURRENCY: usize = 16;
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";

/// Builds and sends request number `i` of a scenario; returns the status.
type SendRequest<'a> = Box<dyn Fn(&Client, usize) -> reqwest::Result<u16> + Sync + 'a>;

/// Reads the whole answer, as a browser does, so the connection is reused.
fn status_of(response: reqwest::blocking::Response) -> reqwest::Result<u16> {
    let status = response.status().as_u16();
    response.bytes()?;
    Ok(status)
}

struct Scenario<'a> {
    name: &'a str,
    requests: usize,
    send: SendRequest<'a>,
    expected_status: u16,
}

struct Figures {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    unexpected: usize,
}

fn run_scenario(scenario: &Scenario) -> Figures {
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(scenario.requests));
    let unexpected = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..CONCURRENCY {
            scope.spawn(|| {
                let client = Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("HTTP client");
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= scenario.requests {
                        break;
                    }
                    let sent = Instant::now();
                    match (scenario.send)(&client, i) {
                        Ok(status) if status == scenario.expected_status => {}
                        _ => {
                            unexpected.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    mine.push(sent.elapsed());
                }
                latencies
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(mine);
            });
        }
    });
    let elapsed = started.elapsed();
    let mut latencies = latencies.into_inner().unwrap_or_else(|p| p.into_inner());
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures {
        requests_per_second: scenario.requests as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        max: *latencies.last().expect("at least one request"),
        unexpected: unexpected.into_inner(),
    }
}

/// Peak and current resident memory of this process (host included), KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// A `redis-server` for the bench, without persistence, stopped when dropped.
struct BenchRedis {
    process: std::process::Child,
    url: String,
}

impl BenchRedis {
    fn start(folder: &Path) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let process = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(folder)
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("cannot start redis-server (scripts/install-redis.sh installs it)")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            process,
            url: format!("redis://127.0.0.1:{port}"),
        })
    }
}

impl Drop for BenchRedis {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub fn run(manifest: &Path, args: &[String]) -> Result<()> {
    let on_redis = args.iter().any(|a| a == "--redis");
    crate::build()?;
    let root = manifest.parent().context("manifest folder")?;
    println!("Component sizes (release, wasm32-wasip2):");
    for name in [
        "scheduler",
        "polls",
        "showcases",
        "tutorials",
        "staff",
        "static_files",
    ] {
        let path = root.join(format!("target/wasm32-wasip2/release/{name}.wasm"));
        let size = std::fs::metadata(&path)
            .with_context(|| format!("{} is missing", path.display()))?
            .len();
        println!("  {name:<14} {:>7.1} KiB", size as f64 / 1024.0);
    }

    let data_dir = tempfile::tempdir()?;
    let mut config = DevHostConfig::new(manifest);
    config.data_dir = Some(data_dir.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse()?;
    config.log_requests = false;
    config
        .variables
        .insert("admin_token".to_string(), ADMIN_TOKEN.to_string());
    // Every bench client shares one address: without this the per-address vote limit
    // (300 per 10 minutes by default) would be what is measured.
    config
        .variables
        .insert("rate_limit_votes".to_string(), "0/0".to_string());
    // The sign-in scenario gives each request its own client address (sign-in is throttled
    // per address and per account, which is what it must be, not what is measured).
    config
        .variables
        .insert("client_ip_header".to_string(), "x-bench-client".to_string());
    let _redis = if on_redis {
        let redis = BenchRedis::start(data_dir.path())?;
        let runtime_config = data_dir.path().join("runtime-config.toml");
        std::fs::write(
            &runtime_config,
            format!(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
                redis.url
            ),
        )?;
        config.runtime_config_file = Some(runtime_config);
        config
            .variables
            .insert("kv_redis_url".to_string(), redis.url.clone());
        Some(redis)
    } else {
        None
    };
    let started = Instant::now();
    let host = BackgroundHost::start(config)?;
    let startup = started.elapsed();
    let base = format!("http://{}", host.addr);
    println!(
        "\nDev host start-up (compile or load 6 components, link, open store): {:.0} ms",
        startup.as_secs_f64() * 1000.0
    );
    println!(
        "Key-value store: {}",
        if on_redis {
            "Redis (Spin's Redis store, kv_redis_url set)"
        } else {
            "SQLite (Spin's default)"
        }
    );

    let admin = Client::new();
    let created: Value = admin
        .post(format!("{base}/api/polls"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({
            "question": "Quel genre aimeriez-vous voir davantage à la médiathèque ?",
            "options": ["Romans graphiques", "Polars", "Science-fiction", "Documentaires"]
        }))
        .send()?
        .error_for_status()?
        .json()?;
    let poll_id = created["id"].as_str().context("poll id")?.to_string();

    // Staff accounts for the sign-in scenario: 4 sign-ins each stay under the 5 attempts per
    // account that the throttle allows in 15 minutes.
    const SIGN_IN_ACCOUNTS: usize = 25;
    const PASSWORD: &str = "une longue phrase de passe";
    for n in 0..SIGN_IN_ACCOUNTS {
        admin
            .post(format!("{base}/api/staff/accounts"))
            .bearer_auth(ADMIN_TOKEN)
            .json(
                &json!({"email": format!("staff{n}@bench.example"), "name": format!("Staff {n}"),
                          "role": "editor", "password": PASSWORD}),
            )
            .send()?
            .error_for_status()?;
    }
    let signed_in = admin
        .post(format!("{base}/api/staff/sign-in"))
        .header("x-bench-client", "10.9.9.9")
        .json(&json!({"email": "staff0@bench.example", "password": PASSWORD}))
        .send()?
        .error_for_status()?;
    let session_cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("a session cookie")?
        .to_string();

    let votes = 2000;
    let scenarios: Vec<Scenario> = vec![
        Scenario {
            name: "GET /static/css/kiosque.css",
            requests: 4000,
            send: Box::new(|c, _| {
                status_of(c.get(format!("{base}/static/css/kiosque.css")).send()?)
            }),
            expected_status: 200,
        },
        Scenario {
            name: "GET / (home page)",
            requests: 3000,
            send: Box::new(|c, _| status_of(c.get(format!("{base}/")).send()?)),
            expected_status: 200,
        },
        Scenario {
            name: "GET /polls/:id (poll page)",
            requests: 3000,
            send: Box::new(|c, _| status_of(c.get(format!("{base}/polls/{poll_id}")).send()?)),
            expected_status: 200,
        },
        Scenario {
            name: "GET /api/polls/:id/results",
            requests: 3000,
            send: Box::new(|c, _| {
                status_of(
                    c.get(format!("{base}/api/polls/{poll_id}/results"))
                        .send()?,
                )
            }),
            expected_status: 200,
        },
        Scenario {
            name: "POST /api/polls/:id/votes (distinct voters)",
            requests: votes,
            send: Box::new(|c, i| {
                status_of(
                    c.post(format!("{base}/api/polls/{poll_id}/votes"))
                        .header("cookie", format!("kiosque_voter=bench-voter-{i:012}"))
                        .json(&json!({ "option": i % 4 }))
                        .send()?,
                )
            }),
            expected_status: 201,
        },
        Scenario {
            name: "POST /api/staff/sign-in (Argon2id, 19 MiB)",
            requests: SIGN_IN_ACCOUNTS * 4,
            send: Box::new(|c, i| {
                status_of(
                    c.post(format!("{base}/api/staff/sign-in"))
                        .header("x-bench-client", format!("10.1.{}.{}", i / 250, i % 250))
                        .json(
                            &json!({"email": format!("staff{}@bench.example", i % SIGN_IN_ACCOUNTS),
                                      "password": PASSWORD}),
                        )
                        .send()?,
                )
            }),
            expected_status: 200,
        },
        Scenario {
            name: "GET /api/staff/me (session cookie)",
            requests: 3000,
            send: Box::new(|c, _| {
                status_of(
                    c.get(format!("{base}/api/staff/me"))
                        .header("cookie", &session_cookie)
                        .send()?,
                )
            }),
            expected_status: 200,
        },
    ];

    println!(
        "\n{CONCURRENCY} concurrent keep-alive clients on loopback, fresh instance per request:\n"
    );
    println!(
        "{:<44} {:>8} {:>9} {:>9} {:>9} {:>9} {:>6} {:>9}",
        "scenario", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "store/req"
    );
    let mut failed = false;
    for scenario in &scenarios {
        let before = host.store_operations();
        let f = run_scenario(scenario);
        let store_calls = (host.store_operations() - before) as f64 / scenario.requests as f64;
        failed |= f.unexpected > 0;
        println!(
            "{:<44} {:>8} {:>9.0} {:>9.2} {:>9.2} {:>9.2} {:>6} {:>9.1}",
            scenario.name,
            scenario.requests,
            f.requests_per_second,
            f.p50.as_secs_f64() * 1000.0,
            f.p99.as_secs_f64() * 1000.0,
            f.max.as_secs_f64() * 1000.0,
            f.unexpected,
            store_calls
        );
    }
    println!(
        "(store/req: host calls to the key-value store and outbound Redis per request; a \
         compare-and-swap through wasi:keyvalue is 3 of them, through the Redis script 1)"
    );

    let results: Value = admin
        .get(format!("{base}/api/polls/{poll_id}/results"))
        .send()?
        .json()?;
    let total = results["total"].as_u64().unwrap_or(0);
    println!(
        "\nVote tally after {votes} concurrent votes: {total} (exact: {})",
        total == votes as u64
    );
    let (peak, current) = memory_kib();
    println!(
        "Memory of the bench process (host, clients, {CONCURRENCY} threads): peak RSS {:.1} MiB, now {:.1} MiB",
        peak as f64 / 1024.0,
        current as f64 / 1024.0
    );
    host.stop();
    ensure!(total == votes as u64, "the tally lost or invented votes");
    if failed {
        bail!("some requests got an unexpected status");
    }
    Ok(())
}

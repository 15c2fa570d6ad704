//! `cargo xtask bench`: builds the app, boots the dev host in-process on the
//! real `spin.toml` (fresh data folder, free port) and prints figures:
//! component sizes, start-up time, throughput, latency and store calls per
//! request for each scenario, the host's peak memory, and a correctness check
//! of the vote tally. `cargo xtask bench --redis` runs the same on Spin's Redis
//! store (a throwaway `redis-server`, a runtime config and `kv_redis_url`).
//!
//! Every scenario is printed beside the host's own **floor**, measured in the
//! same run on the probe component (`crates/host-probe`, under
//! `tests/fixtures/probe/spin.toml`): a no-op answer for reads, one atomic
//! increment for writes. Absolute times on a shared 2-core machine move from
//! run to run; the share of the floor says how far a request is from the
//! host's limit, and compares a dev host with a real Spin.
//!
//! `--base-url URL` measures a running instance instead (a real `spin up`, a
//! hosted Spin), with its floors from `--probe-url URL` (the probe deployed on
//! the same host with `tests/fixtures/probe/spin.toml`). The instance needs
//! `admin_token` (given here in `KIOSQUE_BENCH_ADMIN_TOKEN`),
//! `rate_limit_votes = "0/0"` and `client_ip_header = "x-bench-client"`, and
//! must be a throwaway: the bench creates a poll, 25 staff accounts and votes.
//!
//! `--clients N` sets the number of concurrent clients (16 by default; 1 measures
//! each request's own latency). `--only TEXT` runs the floors and the scenarios whose name contains TEXT
//! (`--only page` for the page renders).
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

/// Concurrent clients unless `--clients N` says otherwise.
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

/// What a scenario is compared with: the host's cheapest answer of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Floor {
    /// The probe answering without touching anything.
    NoOp,
    /// The probe doing one atomic increment.
    Increment,
}

struct Scenario<'a> {
    name: &'a str,
    requests: usize,
    send: SendRequest<'a>,
    expected_status: u16,
    /// `None`: nothing on the host is comparable (the cost is the work itself, as Argon2id's).
    floor: Option<Floor>,
}

struct Figures {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    unexpected: usize,
}

fn run_scenario(scenario: &Scenario, clients: usize) -> Figures {
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(scenario.requests));
    let unexpected = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..clients {
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

/// A 12-megapixel photo as a phone takes it: 4000 x 3000, JPEG quality 90, gradients with
/// grain, a few megabytes.
fn bench_photo() -> Vec<u8> {
    let (width, height) = (4000u16, 3000u16);
    let mut seed: u32 = 7;
    let mut pixels = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
    for y in 0..usize::from(height) {
        for x in 0..usize::from(width) {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let grain = (seed >> 28) as usize;
            pixels.push(((x / 16 + grain) % 256) as u8);
            pixels.push(((y / 12 + grain) % 256) as u8);
            pixels.push((((x + y) / 28 + grain) % 256) as u8);
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .expect("encodable pixels");
    out
}

/// One whole upload to the media library (start, every part, complete): the status of the
/// completion.
fn upload_photo(c: &Client, base: &str, admin_token: &str, photo: &[u8]) -> reqwest::Result<u16> {
    let started: Value = c
        .post(format!("{base}/api/media/uploads"))
        .bearer_auth(admin_token)
        .json(&json!({"filename": "bench.jpg", "size": photo.len()}))
        .send()?
        .json()?;
    let (Some(id), Some(part_size)) = (
        started["upload"]["id"].as_str(),
        started["upload"]["part_size"].as_u64(),
    ) else {
        return Ok(0);
    };
    for (n, part) in photo.chunks(part_size as usize).enumerate() {
        let status = status_of(
            c.put(format!("{base}/api/media/uploads/{id}/parts/{n}"))
                .bearer_auth(admin_token)
                .header("content-type", "application/octet-stream")
                .body(part.to_vec())
                .send()?,
        )?;
        if status != 204 {
            return Ok(status);
        }
    }
    status_of(
        c.post(format!("{base}/api/media/uploads/{id}/complete"))
            .bearer_auth(admin_token)
            .json(&json!({"alt": "Banc d'essai"}))
            .send()?,
    )
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

/// The value after `name` in `args` (`--base-url URL`).
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).map(|v| v.trim_end_matches('/'))
}

/// A dev host of the probe manifest, for the floors, on the same kind of store as the app.
fn start_probe_host(
    root: &Path,
    data_dir: &Path,
    runtime_config: Option<&Path>,
) -> Result<BackgroundHost> {
    let manifest = root.join("tests/fixtures/probe/spin.toml");
    dev_host::spin_build::build(&manifest, false)?;
    let mut config = DevHostConfig::new(&manifest);
    config.data_dir = Some(data_dir.to_path_buf());
    config.listen = "127.0.0.1:0".parse()?;
    config.log_requests = false;
    config.runtime_config_file = runtime_config.map(Path::to_path_buf);
    config
        .variables
        .insert("probe_secret".to_string(), "bench".to_string());
    BackgroundHost::start(config)
}

pub fn run(manifest: &Path, args: &[String]) -> Result<()> {
    let on_redis = args.iter().any(|a| a == "--redis");
    // `--clients 1`: one request at a time, so a page's latency is its own cost (render,
    // store reads, instantiation) rather than a place in the queue.
    let clients = match option(args, "--clients") {
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .context("--clients: a number from 1 to 256")?,
        None => CONCURRENCY,
    };
    let remote = option(args, "--base-url").map(str::to_owned);
    let remote_probe = option(args, "--probe-url").map(str::to_owned);
    ensure!(
        remote.is_some() || remote_probe.is_none(),
        "--probe-url goes with --base-url"
    );
    let admin_token = match &remote {
        Some(_) => std::env::var("KIOSQUE_BENCH_ADMIN_TOKEN")
            .context("--base-url needs the instance's admin token in KIOSQUE_BENCH_ADMIN_TOKEN")?,
        None => ADMIN_TOKEN.to_string(),
    };
    let admin_token = admin_token.as_str();
    let root = manifest.parent().context("manifest folder")?;
    let data_dir = tempfile::tempdir()?;
    let probe_dir = tempfile::tempdir()?;
    let mut _redis = None;
    let mut app_host = None;
    let mut probe_host = None;
    let (base, probe) = match &remote {
        Some(base) => {
            println!("Instance: {base}");
            (base.clone(), remote_probe.clone())
        }
        None => {
            crate::build()?;
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
            // The sign-in scenario gives each request its own client address (sign-in is
            // throttled per address and per account, which is what it must be, not what is
            // measured).
            config
                .variables
                .insert("client_ip_header".to_string(), "x-bench-client".to_string());
            if on_redis {
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
                _redis = Some(redis);
            }
            let probe = start_probe_host(
                root,
                probe_dir.path(),
                config.runtime_config_file.as_deref(),
            )?;
            let probe_url = format!("http://{}", probe.addr);
            probe_host = Some(probe);
            let started = Instant::now();
            let host = BackgroundHost::start(config)?;
            let startup = started.elapsed();
            let base = format!("http://{}", host.addr);
            app_host = Some(host);
            println!(
                "\nDev host start-up (compile or load the components, link, open store): {:.0} ms",
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
            (base, Some(probe_url))
        }
    };
    let base = base.as_str();

    let admin = Client::new();
    let created: Value = admin
        .post(format!("{base}/api/polls"))
        .bearer_auth(admin_token)
        .json(&json!({
            "question": "Quel genre aimeriez-vous voir davantage à la médiathèque ?",
            "options": ["Romans graphiques", "Polars", "Science-fiction", "Documentaires"]
        }))
        .send()?
        .error_for_status()?
        .json()?;
    let poll_id = created["id"].as_str().context("poll id")?.to_string();

    // A published tutorial of several steps (Markdown, a table of contents, feedback form):
    // the heaviest page of the tutorials component. Its slug is of this run, so a running
    // instance can be measured again.
    let tutorial_slug = format!(
        "bench-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    let steps: Vec<Value> = (1..=6)
        .map(|n| {
            json!({"title": format!("Étape {n}"),
                   "text": format!("Ouvrez **le portail** de la médiathèque, puis [la page {n}](https://numerique.bib.example/{n}).\n\n- un point\n- un autre point")})
        })
        .collect();
    admin
        .post(format!("{base}/api/tutorials"))
        .bearer_auth(admin_token)
        .json(&json!({
            "slug": tutorial_slug, "title": "Emprunter un livre numérique",
            "summary": "Pas à pas, de la connexion à la lecture.", "level": "beginner",
            "service": {"name": "Numérique", "url": "https://numerique.bib.example"},
            "tags": ["Numérique", "Lecture"], "steps": steps
        }))
        .send()?
        .error_for_status()?;
    admin
        .post(format!("{base}/api/tutorials/{tutorial_slug}/publish"))
        .bearer_auth(admin_token)
        .send()?
        .error_for_status()?;

    // Staff accounts for the sign-in scenario: 4 sign-ins each stay under the 5 attempts per
    // account that the throttle allows in 15 minutes.
    const SIGN_IN_ACCOUNTS: usize = 25;
    // Addresses of this run only, so a running instance can be measured again.
    let run_tag = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let email = move |n: usize| format!("staff{n}-{run_tag}@bench.example");
    const PASSWORD: &str = "une longue phrase de passe";
    for n in 0..SIGN_IN_ACCOUNTS {
        admin
            .post(format!("{base}/api/staff/accounts"))
            .bearer_auth(admin_token)
            .json(&json!({"email": email(n), "name": format!("Staff {n}"),
                          "role": "editor", "password": PASSWORD}))
            .send()?
            .error_for_status()?;
    }
    let signed_in = admin
        .post(format!("{base}/api/staff/sign-in"))
        .header("x-bench-client", "10.9.9.9")
        .json(&json!({"email": email(0), "password": PASSWORD}))
        .send()?
        .error_for_status()?;
    // The session cookie (`kiosque_session`, or `__Host-kiosque_session` behind https),
    // not the device cookie that comes with it.
    let session_cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.contains("kiosque_session="))
        .context("a session cookie")?
        .to_string();

    let photo = bench_photo();
    println!(
        "Media upload scenario: a {:.1} MB, 4000 x 3000 JPEG, sent in 512 KiB parts",
        photo.len() as f64 / 1e6
    );

    let votes = 2000;
    let mut floors: Vec<Scenario> = Vec::new();
    if let Some(probe) = &probe {
        floors.push(Scenario {
            name: "floor: no-op (probe)",
            requests: 4000,
            send: Box::new(move |c, _| status_of(c.get(format!("{probe}/?do=noop")).send()?)),
            expected_status: 200,
            floor: Some(Floor::NoOp),
        });
        floors.push(Scenario {
            name: "floor: one increment (probe)",
            requests: 1500,
            send: Box::new(move |c, _| {
                status_of(
                    c.get(format!("{probe}/floor?do=incr&key=bench-floor&delta=1"))
                        .send()?,
                )
            }),
            expected_status: 200,
            floor: Some(Floor::Increment),
        });
    }
    let scenarios: Vec<Scenario> = vec![
        Scenario {
            name: "GET /static/css/kiosque.css",
            requests: 4000,
            send: Box::new(|c, _| {
                status_of(c.get(format!("{base}/static/css/kiosque.css")).send()?)
            }),
            expected_status: 200,
            floor: Some(Floor::NoOp),
        },
        Scenario {
            name: "GET / (home page)",
            requests: 3000,
            send: Box::new(|c, _| status_of(c.get(format!("{base}/")).send()?)),
            expected_status: 200,
            floor: Some(Floor::NoOp),
        },
        Scenario {
            name: "GET /polls/:id (poll page)",
            requests: 3000,
            send: Box::new(|c, _| status_of(c.get(format!("{base}/polls/{poll_id}")).send()?)),
            expected_status: 200,
            floor: Some(Floor::NoOp),
        },
        // The same page from a browser: a counted page view (`kiosque_spin::audience`), one
        // increment more than the scenario above, whose client sends no `User-Agent` (not a
        // view). Compared with the increment floor.
        Scenario {
            name: "GET /polls/:id (poll page, a counted view)",
            requests: 3000,
            send: Box::new(|c, _| {
                status_of(
                    c.get(format!("{base}/polls/{poll_id}"))
                        .header(
                            "user-agent",
                            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                        )
                        .send()?,
                )
            }),
            expected_status: 200,
            floor: Some(Floor::Increment),
        },
        Scenario {
            name: "GET /polls/:id/results (results page)",
            requests: 3000,
            send: Box::new(|c, _| {
                status_of(c.get(format!("{base}/polls/{poll_id}/results")).send()?)
            }),
            expected_status: 200,
            floor: Some(Floor::NoOp),
        },
        Scenario {
            name: "GET /tutorials (list page)",
            requests: 3000,
            send: Box::new(|c, _| status_of(c.get(format!("{base}/tutorials")).send()?)),
            expected_status: 200,
            floor: Some(Floor::NoOp),
        },
        Scenario {
            name: "GET /tutorials/:slug (6 steps)",
            requests: 3000,
            send: Box::new(|c, _| {
                status_of(c.get(format!("{base}/tutorials/{tutorial_slug}")).send()?)
            }),
            expected_status: 200,
            floor: Some(Floor::NoOp),
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
            floor: Some(Floor::NoOp),
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
            floor: Some(Floor::Increment),
        },
        Scenario {
            name: "POST /api/staff/sign-in (Argon2id, 19 MiB)",
            requests: SIGN_IN_ACCOUNTS * 4,
            send: Box::new(|c, i| {
                status_of(
                    c.post(format!("{base}/api/staff/sign-in"))
                        .header("x-bench-client", format!("10.1.{}.{}", i / 250, i % 250))
                        .json(&json!({"email": email(i % SIGN_IN_ACCOUNTS),
                                      "password": PASSWORD}))
                        .send()?,
                )
            }),
            expected_status: 200,
            floor: None,
        },
        Scenario {
            name: "media upload, 12 MP JPEG (parts + complete)",
            requests: 32,
            send: Box::new(|c, _| upload_photo(c, base, admin_token, &photo)),
            expected_status: 201,
            floor: None,
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
            floor: Some(Floor::NoOp),
        },
    ];

    println!(
        "\n{clients} concurrent keep-alive clients on loopback, fresh instance per request:\n"
    );
    println!(
        "{:<44} {:>8} {:>9} {:>8} {:>9} {:>9} {:>9} {:>6} {:>9} {:>8} {:>8}",
        "scenario",
        "requests",
        "req/s",
        "of floor",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
        "store/req",
        "inst ms",
        "run ms"
    );
    let mut failed = false;
    let mut floor_rates: Vec<(Option<Floor>, f64)> = Vec::new();
    // `--only TEXT`: the floors and the scenarios whose name contains TEXT (the vote tally
    // is checked only when the votes run).
    let only = option(args, "--only");
    let chosen = |s: &&Scenario| only.is_none_or(|text| s.name.contains(text));
    let votes_ran = scenarios
        .iter()
        .filter(chosen)
        .any(|s| s.name.contains("votes"));
    for scenario in floors.iter().chain(scenarios.iter().filter(chosen)) {
        let before = app_host.as_ref().map(|h| h.store_operations());
        // The in-process host this scenario runs on, for where its time went.
        let host = if scenario.name.starts_with("floor:") {
            probe_host.as_ref()
        } else {
            app_host.as_ref()
        };
        let timings_before = host.map(BackgroundHost::timings);
        let f = run_scenario(scenario, clients);
        let (instantiate, handle) = match (host, timings_before) {
            (Some(host), Some(before)) => {
                let run = host.timings() - before;
                let per_request = |total: Duration| {
                    format!(
                        "{:.2}",
                        total.as_secs_f64() * 1000.0 / run.instances.max(1) as f64
                    )
                };
                (per_request(run.instantiate), per_request(run.handle))
            }
            _ => ("-".to_string(), "-".to_string()),
        };
        let store_calls = match (&app_host, before) {
            (Some(host), Some(before)) if !scenario.name.starts_with("floor:") => format!(
                "{:.1}",
                (host.store_operations() - before) as f64 / scenario.requests as f64
            ),
            _ => "-".to_string(),
        };
        failed |= f.unexpected > 0;
        if scenario.name.starts_with("floor:") {
            floor_rates.push((scenario.floor, f.requests_per_second));
        }
        let share = floor_rates
            .iter()
            .find(|(floor, _)| scenario.floor.is_some() && *floor == scenario.floor)
            .map_or("-".to_string(), |(_, rate)| {
                format!("{:.0} %", 100.0 * f.requests_per_second / rate)
            });
        println!(
            "{:<44} {:>8} {:>9.0} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>6} {:>9} {:>8} {:>8}",
            scenario.name,
            scenario.requests,
            f.requests_per_second,
            share,
            f.p50.as_secs_f64() * 1000.0,
            f.p99.as_secs_f64() * 1000.0,
            f.max.as_secs_f64() * 1000.0,
            f.unexpected,
            store_calls,
            instantiate,
            handle
        );
    }
    println!(
        "(of floor: req/s as a share of the same host's floor in this run, the no-op for reads, \
         the increment for votes; store/req: host calls to the key-value store and \
         outbound Redis per request, dev host only; a compare-and-swap through wasi:keyvalue \
         is 3 of them, through the Redis script 1; inst ms and run ms: the dev host's mean time \
         per request creating the instance and running its handler, CPU waits included)"
    );

    let results: Value = admin
        .get(format!("{base}/api/polls/{poll_id}/results"))
        .send()?
        .json()?;
    let total = results["total"].as_u64().unwrap_or(0);
    let expected_total = if votes_ran { votes as u64 } else { 0 };
    println!(
        "\nVote tally after {expected_total} concurrent votes: {total} (exact: {})",
        total == expected_total
    );
    if let Some(host) = &app_host {
        println!(
            "Largest linear memory one guest asked for in this run: {:.1} MiB (the media \
             uploads decode whole photos; every other request stays near its initial size)",
            host.timings().peak_memory_bytes as f64 / (1024.0 * 1024.0)
        );
    }
    let (peak, current) = memory_kib();
    println!(
        "Memory of the bench process (host, clients, {clients} threads): peak RSS {:.1} MiB, now {:.1} MiB",
        peak as f64 / 1024.0,
        current as f64 / 1024.0
    );
    if let Some(host) = app_host {
        host.stop();
    }
    if let Some(host) = probe_host {
        host.stop();
    }
    ensure!(total == expected_total, "the tally lost or invented votes");
    if failed {
        bail!("some requests got an unexpected status");
    }
    Ok(())
}

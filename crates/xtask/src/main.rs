//! The project's commands, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`), so a fresh machine needs only rustup and cargo.
//!
//! - `up`: build the components and serve the app on http://127.0.0.1:3000, calling the
//!   scheduler tick every minute as a cron would; `up --redis` keeps the store in a local
//!   Redis server instead of SQLite, as a multi-node deployment does
//! - `test`: see [`test`]: the unit tests and the end-to-end suite on SQLite, then the
//!   end-to-end suite again on two instances sharing one Redis
//! - `build`: build the components (`spin build`)
//! - `bench`: build, then measure the app on the dev host and print figures
//! - `sizes`: what takes the bytes of each component (see [`sizes`])

mod bench;
mod sizes;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-wasip2";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask sits two levels below the workspace root")
        .to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("up") => up(&args[1..]),
        Some("build") => build(),
        Some("test") => test(&args[1..]),
        Some("bench") => bench_optimised(&args[1..]),
        Some("sizes") => sizes::run(),
        Some("bench-here") => bench::run(&workspace_root().join("spin.toml"), &args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  up [dev-host options]  build and serve on http://127.0.0.1:3000\n  build                   build the components\n  test [cargo test args]  build, then run every test\n  bench [--redis]         measure the app on the dev host (SQLite, or Redis) beside its floors\n  bench --base-url URL --probe-url URL\n                          measure a running instance (admin token in KIOSQUE_BENCH_ADMIN_TOKEN)\n  sizes                   each component's size, budget, and code by crate"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Adds the wasm32-wasip2 target when rustup lacks it.
fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("cannot run rustup (the components need the wasm32-wasip2 target)")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    eprintln!("Adding the {WASM_TARGET} target with rustup");
    let status = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status()?;
    if !status.success() {
        bail!("`rustup target add {WASM_TARGET}` failed");
    }
    Ok(())
}

fn build() -> Result<()> {
    ensure_wasm_target()?;
    dev_host::spin_build::build(&workspace_root().join("spin.toml"), false)
}

fn up(extra: &[String]) -> Result<()> {
    build()?;
    let root = workspace_root();
    let on_redis = extra.iter().any(|a| a == "--redis");
    let extra: Vec<String> = extra.iter().filter(|a| *a != "--redis").cloned().collect();
    let has_token = std::env::var_os("SPIN_VARIABLE_ADMIN_TOKEN").is_some()
        || extra.iter().any(|a| a.starts_with("admin_token="));
    let mut args = vec![
        "--from".to_string(),
        root.join("spin.toml").display().to_string(),
    ];
    if !has_token {
        // The app refuses to start without an admin token; a local session
        // gets a fresh random one, shown once, rather than a known default.
        let mut bytes = [0u8; 18];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!(
            "No SPIN_VARIABLE_ADMIN_TOKEN set: this session's admin token is {token}\n(set SPIN_VARIABLE_ADMIN_TOKEN to choose your own)"
        );
        args.extend(["--variable".to_string(), format!("admin_token={token}")]);
    }
    // The scheduler tick: what a cron does in production, every minute, with its own token.
    let tick_token = match std::env::var("SPIN_VARIABLE_SCHEDULER_TICK_TOKEN") {
        Ok(token) if !token.trim().is_empty() => token,
        _ => {
            let mut bytes = [0u8; 18];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            args.extend([
                "--variable".to_string(),
                format!("scheduler_tick_token={token}"),
            ]);
            token
        }
    };
    // Kept alive until the dev host stops (Ctrl-C also stops it, as part of the same group).
    let _redis = if on_redis {
        let (redis, redis_args) = start_local_redis(&root)?;
        args.extend(redis_args);
        Some(redis)
    } else {
        None
    };
    let listen = extra
        .iter()
        .position(|a| a == "--listen")
        .and_then(|i| extra.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:3000".to_string());
    spawn_local_cron(&listen, tick_token);
    args.extend(extra.iter().cloned());
    match dev_host::cli::main(args) {
        code if code == ExitCode::SUCCESS => Ok(()),
        _ => bail!("the dev host stopped with an error"),
    }
}

/// A Redis server for `up --redis`: Debian's package (installed when missing), on a free
/// loopback port, its data in `.spin/redis/`; returns it with the dev-host arguments that put
/// the `default` store on it (a runtime config file, as `spin up --runtime-config-file`
/// reads, and `kv_redis_url` for the atomics).
fn start_local_redis(root: &Path) -> Result<(ChildGuard, Vec<String>)> {
    ensure_installed(
        "scripts/install-redis.sh",
        "`up --redis` needs redis-server",
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let folder = root.join(".spin").join("redis");
    std::fs::create_dir_all(&folder)?;
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(&folder)
        .args(["--save", "60 1", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("cannot start redis-server")?;
    let guard = ChildGuard(child);
    let url = format!("redis://127.0.0.1:{port}");
    // Wait until it accepts connections.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if std::time::Instant::now() > deadline {
            bail!("redis-server did not start on port {port}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let runtime_config = root.join(".spin").join("runtime-config.redis.toml");
    std::fs::write(
        &runtime_config,
        format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{url}\"\n"),
    )?;
    eprintln!("Redis at {url} (data in {})", folder.display());
    Ok((
        guard,
        vec![
            "--runtime-config-file".to_string(),
            runtime_config.display().to_string(),
            "--variable".to_string(),
            format!("kv_redis_url={url}"),
        ],
    ))
}

/// Kills a child process when dropped.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Calls `POST /api/scheduler/tick` every minute, as the production cron does (README,
/// "Scheduled work"), so scheduled posts go out locally too. Failures are printed, never
/// fatal: the app may still be starting, or stopping.
fn spawn_local_cron(listen: &str, token: String) {
    let host = listen.replace("0.0.0.0", "127.0.0.1");
    let url = format!("http://{host}/api/scheduler/tick");
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::new();
        loop {
            // Just after each minute turns, when posts become due.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            std::thread::sleep(std::time::Duration::from_secs(60 - now % 60 + 1));
            match client.post(&url).bearer_auth(&token).send() {
                Ok(response) if response.status().is_success() => {
                    if let Ok(report) = response.json::<serde_json::Value>()
                        && (report["posts"]["published"] != 0
                            || report["posts"]["retrying"] != 0
                            || report["posts"]["failed"] != 0)
                    {
                        eprintln!("scheduler tick: {report}");
                    }
                }
                Ok(response) => eprintln!("scheduler tick: HTTP {}", response.status()),
                Err(e) => eprintln!("scheduler tick: {e}"),
            }
        }
    });
}

/// Re-runs the bench from an optimised build of this tool: figures from a
/// debug build of the host would measure the wrong thing.
fn bench_optimised(extra: &[String]) -> Result<()> {
    build()?;
    if extra.iter().any(|a| a == "--redis") {
        ensure_installed(
            "scripts/install-redis.sh",
            "`bench --redis` needs redis-server",
        )?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--profile",
            "bench",
            "--package",
            "xtask",
            "--",
            "bench-here",
        ])
        .args(extra)
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        bail!("the benchmark failed");
    }
    Ok(())
}

/// Each component's size budget, in KiB of its release `.wasm`: what it weighs today with a
/// little room, so a change that makes it grow (a new crate, a big table) is seen and argued
/// in review rather than found later. Per-request instantiation grows with size (see the
/// performance notes in ARCHITECTURE.md); the goal is 400 KiB each, which only static-files
/// meets so far. Lower a budget when a component shrinks.
const WASM_BUDGETS_KIB: &[(&str, u64)] = &[
    // +112 KiB (issue 16): photo contests (the image policy, the multipart entry form, the
    // gallery's images, parental consent) and polls illustrated from the media library.
    // +20 KiB (issue 17): page views counted in `serve` (feature `page-views`) and votes,
    // answers and entries counted per day.
    ("polls", 1972),
    // +32 KiB: publishing reads images of the media library (its documents and chunks);
    // +72 KiB (issue 16): Facebook Pages and Instagram (Graph API, the progress record that
    // keeps a retry from posting twice) and Bluesky link cards (the bounded meta-tag reader).
    // +110 KiB (issue 17): post figures fetched from Mastodon, Bluesky, Facebook and
    // Instagram on a schedule (the hourly due index, each network's answers, the history per
    // post) and the walls' page views.
    ("scheduler", 2030),
    // +20 KiB: showcases and events place media of the library (checked and sized on save).
    // +76 KiB (issue 17): page views counted (the robot list, the referrer's source) and read
    // back for staff (`/api/analytics/views`).
    ("showcases", 1530),
    // +16 KiB: tutorial steps take media of the library.
    // +30 KiB (issue 17): page views counted, feedback counted per day.
    ("tutorials", 1275),
    ("staff", 612),
    ("static_files", 400),
    // The image codecs (about 410 KB, `kiosque-imaging`) live here only; +180 KiB (issue 16):
    // patrons' contest photos are received here (the multipart reader, the contests rules,
    // the rate limit, an HTML error page), so that polls carries no codec.
    // +24 KiB (issue 17): a photo entry is counted in the day's participation (the day
    // counters and their key under a formatted date).
    ("media", 1100),
    // Issue 17: staff reports, read only (1047 KiB measured): the analytics readers, posts and
    // campaigns documents (hashtags bring the Unicode normalisation tables), the report pages'
    // templates and SVG charts, CSV; no codec, no outbound HTTP.
    ("reports", 1088),
];

/// Fails when a component's release `.wasm` is over its budget in [`WASM_BUDGETS_KIB`].
fn check_wasm_budgets() -> Result<()> {
    let root = workspace_root();
    let mut over = Vec::new();
    eprintln!("== component sizes (release .wasm, budget):");
    for (name, budget_kib) in WASM_BUDGETS_KIB {
        let path = root.join(format!("target/wasm32-wasip2/release/{name}.wasm"));
        let bytes = std::fs::metadata(&path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            .len();
        let kib = bytes as f64 / 1024.0;
        eprintln!("   {name:<14} {kib:>8.1} KiB  (budget {budget_kib} KiB)");
        if bytes > budget_kib * 1024 {
            over.push(format!(
                "{name} is {kib:.1} KiB, over its {budget_kib} KiB budget"
            ));
        }
    }
    if !over.is_empty() {
        bail!(
            "{}: find what grew (`cargo xtask sizes`) or raise the budget in \
             crates/xtask/src/main.rs with the reason",
            over.join("; ")
        );
    }
    Ok(())
}

/// Runs one of the project's install scripts (Debian's packages, when missing).
fn ensure_installed(script: &str, why: &str) -> Result<()> {
    let status = Command::new("bash")
        .arg(workspace_root().join(script))
        .status()
        .with_context(|| format!("cannot run {script}"))?;
    if !status.success() {
        bail!("{why}: {script} failed");
    }
    Ok(())
}

/// Every test, in two passes:
/// 1. every crate's unit tests natively (the components compile for the host too) and the
///    end-to-end suite on the dev host's SQLite store, as `spin up` runs by default;
/// 2. the end-to-end suite again with `KIOSQUE_E2E_STORE=redis`: each application test on two
///    dev-host processes sharing one Redis, requests alternating between them (the dev host's
///    own tests, which do not depend on the store, run once).
///
/// The multi-instance tests (`cluster::`) start their own clusters and run in the second
/// pass only. The console's browser tests need Chromium and ChromeDriver, the Redis pass
/// `redis-server`: both are installed when missing (Debian's packages).
fn test(extra: &[String]) -> Result<()> {
    build()?;
    check_wasm_budgets()?;
    ensure_installed(
        "scripts/install-browser.sh",
        "the browser tests need Chromium and ChromeDriver",
    )?;
    ensure_installed(
        "scripts/install-redis.sh",
        "the Redis tests need redis-server",
    )?;
    ensure_installed(
        "scripts/install-axe.sh",
        "the accessibility tests need axe-core",
    )?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let (cargo_args, test_args) = match extra.iter().position(|a| a == "--") {
        Some(i) => (&extra[..i], &extra[i + 1..]),
        None => (extra, &[][..]),
    };
    eprintln!("== tests, pass 1: unit tests and the end-to-end suite on SQLite");
    let started = std::time::Instant::now();
    let status = Command::new(&cargo)
        .args(["test", "--workspace"])
        .args(cargo_args)
        .args(["--", "--skip", "cluster::"])
        .args(test_args)
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        bail!("tests failed (pass 1, SQLite)");
    }
    eprintln!("== (pass 1: {} s)", started.elapsed().as_secs());
    eprintln!("== tests, pass 2: the end-to-end suite on two instances sharing one Redis");
    let started = std::time::Instant::now();
    let status = Command::new(&cargo)
        .args(["test", "-p", "tests", "--test", "e2e"])
        .args(cargo_args)
        // The dev host's own tests are not about the store, nor is what axe checks in pages.
        .args(["--", "--skip", "host::", "--skip", "accessibility::"])
        .args(test_args)
        .env("KIOSQUE_E2E_STORE", "redis")
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        bail!("tests failed (pass 2, two instances on Redis)");
    }
    eprintln!("== (pass 2: {} s)", started.elapsed().as_secs());
    Ok(())
}

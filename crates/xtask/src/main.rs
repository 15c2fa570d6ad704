//! The project's commands, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`), so a fresh machine needs only rustup and cargo.
//!
//! - `up`: build the components and serve the app on http://127.0.0.1:3000, calling the
//!   scheduler tick every minute as a cron would
//! - `build`: build the components (`spin build`)
//! - `test`: build the components, install the browser the console's tests drive when it is
//!   missing, then run every test
//! - `bench`: build, then measure the app on the dev host and print figures

mod bench;

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
        Some("bench") => bench_optimised(),
        Some("bench-here") => bench::run(&workspace_root().join("spin.toml")),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  up [dev-host options]  build and serve on http://127.0.0.1:3000\n  build                   build the components\n  test [cargo test args]  build, then run every test\n  bench                   measure the app on the dev host"
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
fn bench_optimised() -> Result<()> {
    build()?;
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
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        bail!("the benchmark failed");
    }
    Ok(())
}

/// Installs Chromium and ChromeDriver for the console's browser tests when they are missing
/// (`scripts/install-browser.sh`: Debian's packages).
fn ensure_browser() -> Result<()> {
    let status = Command::new("bash")
        .arg(workspace_root().join("scripts/install-browser.sh"))
        .status()
        .context("cannot run scripts/install-browser.sh")?;
    if !status.success() {
        bail!(
            "the browser tests need Chromium and ChromeDriver: scripts/install-browser.sh failed"
        );
    }
    Ok(())
}

fn test(extra: &[String]) -> Result<()> {
    build()?;
    ensure_browser()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    // Every crate's unit tests run natively (the components compile for the
    // host too); the end-to-end suite then drives the wasm32-wasip2 builds.
    let status = Command::new(cargo)
        .args(["test", "--workspace"])
        .args(extra)
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}

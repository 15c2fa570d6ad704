//! The `dev-host` command line, shared by the binary and `cargo xtask up`:
//!
//! ```text
//! dev-host [--from spin.toml] [--listen 127.0.0.1:3000] [--data-dir .spin]
//!          [--runtime-config-file FILE] [--variable name=value]... [--build] [--quiet]
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::{DevHostConfig, spin_build, variables};
use anyhow::{Context, Result, bail};

/// Parses the command line; `env_overrides` are the `SPIN_VARIABLE_*`
/// values, which `--variable` beats, as with `spin up`.
fn parse_args(
    args: Vec<String>,
    env_overrides: BTreeMap<String, String>,
) -> Result<(DevHostConfig, bool)> {
    let mut config = DevHostConfig::new("spin.toml");
    let mut build = false;
    let mut cli_variables = BTreeMap::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--from" | "-f" => config.manifest_path = PathBuf::from(value("--from")?),
            "--listen" => {
                let listen = value("--listen")?;
                config.listen = listen.parse().with_context(|| {
                    format!("--listen {listen}: expected an address like 127.0.0.1:3000")
                })?;
            }
            "--data-dir" => config.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--runtime-config-file" => {
                config.runtime_config_file = Some(PathBuf::from(value("--runtime-config-file")?));
            }
            "--variable" => {
                let pair = value("--variable")?;
                let Some((name, val)) = pair.split_once('=') else {
                    bail!("--variable {pair}: expected name=value");
                };
                cli_variables.insert(name.to_ascii_lowercase(), val.to_string());
            }
            "--build" => build = true,
            "--quiet" => config.log_requests = false,
            "--help" | "-h" => {
                println!(
                    "dev-host [--from spin.toml] [--listen 127.0.0.1:3000] [--data-dir DIR] [--runtime-config-file FILE] [--variable name=value]... [--build] [--quiet]\n\n\
                     Serves a Spin application locally for development and tests. Production runs on Spin."
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}` (see --help)"),
        }
    }
    config.variables = env_overrides;
    config.variables.extend(cli_variables);
    Ok((config, build))
}

/// Runs the command line with `args` (without the program name) until
/// Ctrl-C; start-up errors are printed as one line.
pub fn main(args: Vec<String>) -> ExitCode {
    main_with(args, |_| {})
}

/// [`main`], with `configure` applied to the configuration the command line gives: how a
/// test program sets what the command line deliberately cannot (the test clock).
pub fn main_with(args: Vec<String>, configure: impl FnOnce(&mut DevHostConfig)) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args, configure)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: what failed and why.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>, configure: impl FnOnce(&mut DevHostConfig)) -> Result<()> {
    let (mut config, build) = parse_args(args, variables::overrides_from_env())?;
    configure(&mut config);
    if build {
        spin_build::build(&config.manifest_path, false)?;
    }
    let host = crate::start(config).await?;
    println!(
        "Serving http://{} (key-value store: {})",
        host.addr, host.store
    );
    println!("Available routes:");
    for (route, component) in &host.routes {
        println!("  {component}: http://{}{route}", host.addr);
    }
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    host.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_line_variables_beat_the_environment() {
        let env = BTreeMap::from([
            ("admin_token".to_string(), "from-env".to_string()),
            ("library_name".to_string(), "Env".to_string()),
        ]);
        let (config, build) = parse_args(
            args(&[
                "--variable",
                "admin_token=from-cli",
                "--listen",
                "127.0.0.1:0",
                "--build",
            ]),
            env,
        )
        .unwrap();
        assert_eq!(config.variables["admin_token"], "from-cli");
        assert_eq!(config.variables["library_name"], "Env");
        assert_eq!(config.listen.port(), 0);
        assert!(build);
    }

    #[test]
    fn bad_arguments_are_named() {
        let error = |list: &[&str]| {
            parse_args(args(list), BTreeMap::new())
                .unwrap_err()
                .to_string()
        };
        assert!(error(&["--variable", "oops"]).contains("expected name=value"));
        assert!(error(&["--listen", "nowhere"]).contains("--listen nowhere"));
        assert!(error(&["--frobnicate"]).contains("--frobnicate"));
    }

    #[test]
    fn the_command_line_cannot_move_the_guests_clock() {
        let (config, _) = parse_args(args(&[]), BTreeMap::new()).unwrap();
        assert_eq!(config.test_clock_file, None);
        assert!(parse_args(args(&["--test-clock-file", "clock"]), BTreeMap::new()).is_err());
    }
}

//! `dev-host`: serve a Spin manifest locally, like `spin up` (see `cli`).

fn main() -> std::process::ExitCode {
    dev_host::cli::main(std::env::args().skip(1).collect())
}

//! The dev host's command line as a program of this package, so that cargo builds it with
//! the end-to-end suite, which runs it as separate processes (`tests::cluster`).

fn main() -> std::process::ExitCode {
    dev_host::cli::main(std::env::args().skip(1).collect())
}

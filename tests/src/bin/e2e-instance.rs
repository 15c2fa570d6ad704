//! The dev host's command line as a program of this package, so that cargo builds it with
//! the end-to-end suite, which runs it as separate processes (`tests::cluster`).
//!
//! One argument more than `dev-host`: `--test-clock-file FILE`, the guests' clock offset
//! (`dev_host::clock`), which the suite moves instead of waiting for real minutes.

fn main() -> std::process::ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut test_clock_file = None;
    if let Some(at) = args.iter().position(|a| a == "--test-clock-file") {
        if at + 1 >= args.len() {
            eprintln!("error: --test-clock-file needs a value");
            return std::process::ExitCode::FAILURE;
        }
        test_clock_file = Some(std::path::PathBuf::from(args.remove(at + 1)));
        args.remove(at);
    }
    dev_host::cli::main_with(args, |config| config.test_clock_file = test_clock_file)
}

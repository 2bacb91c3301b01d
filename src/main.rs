//! The `pat-reconcile` binary: parse the command line, run it, map the outcome to an exit status.
//! The error is printed here, once, with its causes and hints.

use std::process::ExitCode;

use clap::Parser;
use pat_reconcile::cli::{self, Cli, ExitStatus};

fn main() -> ExitCode {
    cli::init_logging();
    let parsed = match Cli::try_parse() {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return cli::parse_error_status(&e).into();
        }
    };
    match cli::run(parsed) {
        Ok(status) => status.into(),
        Err(e) if e.is_broken_pipe() => ExitStatus::Success.into(),
        Err(e) => {
            eprint!("{}", e.render(cli::output::Styles::stderr()));
            e.exit_status().into()
        }
    }
}

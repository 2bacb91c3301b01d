//! The command line: one file per command; this module parses arguments and dispatches.

pub mod sandbox;

use std::process::ExitCode;

use clap::Parser;

/// Declarative reconciler for Snowflake programmatic access tokens.
#[derive(Debug, Parser)]
#[command(name = "pat-reconcile", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run the local Snowflake emulator
    Sandbox(sandbox::SandboxArgs),
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Sandbox(args) => match sandbox::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    eprintln!("  caused by: {cause}");
                    source = cause.source();
                }
                ExitCode::FAILURE
            }
        },
    }
}

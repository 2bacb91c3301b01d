//! The command line: arguments, dispatch, and the mapping of outcomes to exit codes.
//!
//! Each command lives in its own file, resolves its inputs, calls the core and hands the result
//! to a renderer; no decisions are made here.

pub mod apply;
pub mod connect;
pub mod demo;
mod diagnostics;
mod error;
mod input;
pub mod output;
pub mod plan;
pub mod sandbox;
pub mod schema;
pub mod snapshot;
mod source;
pub mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;

/// Declarative reconciler for Snowflake programmatic access tokens and the policies that guard them.
#[derive(Debug, Parser)]
#[command(name = "pat-reconcile", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a pats.yaml offline: schema, semantics and best-practice lints.
    Validate(validate::ValidateArgs),
    /// Print the JSON Schema of pats.yaml.
    Schema(schema::SchemaArgs),
    /// Compare pats.yaml with the account and print the ordered changes.
    Plan(plan::PlanArgs),
    /// Execute a plan: deliver every new secret, journal every statement.
    Apply(apply::ApplyArgs),
    /// Write the account's live state for the file's scope as JSON (for `plan --live-state`).
    Snapshot(snapshot::SnapshotArgs),
    /// Run the local Snowflake emulator (SQL API v2) for tests, demos and CI.
    Sandbox(sandbox::SandboxArgs),
}

/// Entry point used by `main.rs`: parse, run, print the error once, exit.
pub fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap exits 2 on a usage error, and 2 means "changes" under --detailed-exitcode:
            // a typo in CI must not read as a plan with changes.
            return ExitCode::from(if e.use_stderr() {
                output::exit::ERROR
            } else {
                output::exit::OK
            });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", e.render(output::Styles::stderr()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Diagnostics for developers go to stderr through `tracing`, filtered by `PAT_RECONCILE_LOG`
/// (`debug`, `pat_reconcile=trace`, ...); by default only warnings show.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env(crate::config::env::PAT_RECONCILE_LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(output::Styles::stderr().color)
        .without_time()
        .try_init();
}

/// Runs a parsed command line and returns its exit code.
pub fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Apply(args) => apply::run(&args),
        Command::Sandbox(args) => {
            sandbox::run(args).map_err(|e| CliError::Sandbox(Box::new(e)))?;
            Ok(output::exit::OK)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

//! The command line definition and dispatch: which command runs, and logging set up once.

use clap::{Parser, Subcommand};

use super::status::ExitStatus;
use super::{
    CliError, apply, completions, import, man, output, plan, sandbox, schema, snapshot, status_cmd,
    validate, verify,
};

/// Declarative reconciler for Snowflake programmatic access tokens and the policies that guard them.
#[derive(Debug, Parser)]
#[command(name = "pat-reconcile", version = VERSION, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `--version`: the crate's version and the commit it was built from ("unknown" when built
/// without git, see `build.rs`).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PAT_RECONCILE_COMMIT"),
    ")"
);

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
    /// Report every declared token: dates, days left, rotation date and what needs acting on.
    Status(status_cmd::StatusArgs),
    /// Read each token's secret back from its sinks and sign in with it: who, as which role, or why not.
    Verify(verify::VerifyArgs),
    /// Write a pats.yaml from users already in the account (or add them to one) that plans empty.
    Import(import::ImportArgs),
    /// Write the account's live state for the file's scope as JSON (for `plan --live-state`).
    Snapshot(snapshot::SnapshotArgs),
    /// Run the local Snowflake emulator (SQL API v2) for tests, demos and CI.
    Sandbox(sandbox::SandboxArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff) to stdout.
    Man(man::ManArgs),
}

/// The exit status of a command line clap refused (or answered, for `--help`): clap's own 2
/// would read as "changes" under `--detailed-exitcode`, so a typo in CI is a plain failure.
pub fn parse_error_status(e: &clap::Error) -> ExitStatus {
    if e.use_stderr() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// Diagnostics for developers go to stderr through `tracing`, filtered by `PAT_RECONCILE_LOG`
/// (`debug`, `pat_reconcile=trace`, ...); by default only warnings show.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env(crate::config::env::PAT_RECONCILE_LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(output::Styles::stderr().color)
        .without_time()
        .try_init();
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus, CliError> {
    Ok(match cli.command {
        Command::Validate(args) => validate::run(&args)?,
        Command::Schema(args) => schema::run(&args)?,
        Command::Plan(args) => plan::run(&args)?,
        Command::Snapshot(args) => snapshot::run(&args)?,
        Command::Import(args) => import::run(&args)?,
        Command::Status(args) => status_cmd::run(&args)?,
        Command::Apply(args) => apply::run(&args)?,
        Command::Verify(args) => verify::run(&args)?,
        Command::Completions(args) => completions::run(&args)?,
        Command::Man(args) => man::run(&args)?,
        Command::Sandbox(args) => {
            sandbox::run(args).map_err(|e| CliError::Sandbox(Box::new(e)))?;
            ExitStatus::Success
        }
    })
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

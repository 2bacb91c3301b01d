//! `pat-reconcile snapshot`: write the live state of the file's scope as JSON, for
//! `plan --live-state FILE` (offline plans, bug reports, tests).

use std::io::Write;
use std::path::PathBuf;

use super::error::CliError;
use super::input;
use super::source::{Origin, SandboxSourceArgs};
use super::status::ExitStatus;

/// Arguments of `snapshot`.
#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// The desired-state file whose scope is read.
    #[arg(short = 'f', long = "file", default_value = "pats.yaml")]
    pub file: PathBuf,
    /// Where to write the live state; `-` for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub source: SandboxSourceArgs,
}

/// Runs `snapshot`.
pub fn run(args: &SnapshotArgs) -> Result<ExitStatus, CliError> {
    let origin = Origin::of(&args.source, None)?;
    let desired = input::load(&args.file)?.config;
    let (state, _) = origin.open()?.read(&desired)?;
    let text = serde_json::to_string_pretty(&state).map_err(std::io::Error::other)? + "\n";
    if args.out.as_os_str() == "-" {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else {
        std::fs::write(&args.out, text).map_err(|source| CliError::WriteFile {
            path: args.out.clone(),
            source,
        })?;
        eprintln!(
            "wrote live state of {} users to {}",
            state.users.len(),
            args.out.display()
        );
    }
    Ok(ExitStatus::Success)
}

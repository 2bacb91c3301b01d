//! `pat-reconcile man`: print the manual page (roff, clap_mangen) to stdout.
//!
//! `pat-reconcile man > pat-reconcile.1 && man ./pat-reconcile.1`.

use std::io::Write;

use clap::CommandFactory;

use super::dispatch::Cli;
use super::error::CliError;
use super::status::ExitStatus;

/// Arguments of `man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// Writes the roff page of the whole command line (every subcommand in its SUBCOMMANDS section).
pub fn run(_: &ManArgs) -> Result<ExitStatus, CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)?;
    out.flush()?;
    Ok(ExitStatus::Success)
}

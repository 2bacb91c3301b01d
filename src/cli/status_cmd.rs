//! `pat-reconcile status`: every token of the declared users with its dates and what needs
//! acting on (expired, expiring, disabled, undeclared, rotation leftovers, pending deliveries).
//!
//! Reads `pats.yaml`, the live source (as `plan` does: an account, `--sandbox` or
//! `--live-state`), last use from the ACCOUNT_USAGE views when the session has a warehouse, and
//! the checkout's pending records once, then renders [`crate::plan::status::report`].

use std::io::Write;
use std::path::PathBuf;

use super::error::CliError;
use super::input;
use super::plan::{At, load_pending, parse_at};
use super::source::{Origin, SandboxSourceArgs};
use super::status::ExitStatus;
use crate::apply::pending::Pending;
use crate::plan::status::{self, StatusOptions, json, render};

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The desired-state file.
    #[arg(short = 'f', long = "file", default_value = "pats.yaml")]
    pub file: PathBuf,
    /// Report from a live-state JSON file (from `pat-reconcile snapshot`) instead of an account.
    #[arg(long, value_name = "FILE")]
    pub live_state: Option<PathBuf>,
    #[command(flatten)]
    pub source: SandboxSourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
    /// A token expiring within this many days is a finding.
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub within: u32,
    /// Report every user whose `SHOW USERS` row has `has_pat = true`, not only the declared ones.
    #[arg(long)]
    pub all: bool,
    /// A token not used for this many days is a finding (last use needs a warehouse).
    #[arg(long, value_name = "DAYS")]
    pub unused_for: Option<u32>,
    /// Exit 0 when nothing needs acting on, 2 when something does, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Report as of another instant: RFC 3339 or relative to now (`+7d`, `-12h`).
    #[arg(long, value_name = "TIME", value_parser = parse_at)]
    pub at: Option<At>,
}

/// Status output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    /// An aligned table, for people (the default).
    Text,
    /// The versioned JSON report (`format_version: 1`).
    Json,
    /// A Markdown table.
    Markdown,
    /// CSV with a header line.
    Csv,
}

/// Runs `status`.
pub fn run(args: &StatusArgs) -> Result<ExitStatus, CliError> {
    let origin = Origin::of(&args.source, args.live_state.as_deref())?;
    let input::Desired {
        config: desired,
        base,
    } = input::load(&args.file)?;
    let pending: Vec<_> = load_pending(&base)?.iter().map(Pending::to_plan).collect();
    let (live, now, last_use) = origin.open()?.read_with_usage(&desired, args.all)?;
    let now = args.at.map_or(now, |at| at.resolve(now));
    let options = StatusOptions {
        within_days: args.within,
        unused_for_days: args.unused_for,
        all_users: args.all,
        last_use,
    };
    let report = status::report(&desired, &live, now, &pending, &options);
    let mut out = std::io::stdout().lock();
    match args.format {
        StatusFormat::Text => render::text(&report, &mut out)?,
        StatusFormat::Json => json::render(&report, &mut out)?,
        StatusFormat::Markdown => render::markdown(&report, &mut out)?,
        StatusFormat::Csv => render::csv(&report, &mut out)?,
    }
    out.flush()?;
    Ok(if args.detailed_exitcode && report.has_findings() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

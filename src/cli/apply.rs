//! `pat-reconcile apply`: plan (or load a saved plan, which `apply::saved` checks and plans
//! again), confirm, then execute with the secrets delivered, the journal written and the
//! checkout locked. Resolves inputs and renders; the decisions are in `plan/` and `apply/`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::error::CliError;
use super::input;
use super::output::{Styles, exit};
use super::source::{Origin, Remote, SourceArgs};
use crate::apply::journal::{self, Journal};
use crate::apply::lock::ApplyLock;
use crate::apply::{self, ApplyError, Report, SavedPlanError};
use crate::plan::{self, Plan, render};

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A plan saved with `plan --out`; it is applied only if the account has not moved since.
    /// Without it, apply plans first and shows the plan.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    /// The desired-state file.
    #[arg(short = 'f', long = "file", default_value = "pats.yaml")]
    pub file: PathBuf,
    /// Do not ask for confirmation (CI). Destructive changes then also need --allow-destroy.
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow destructive changes (token removal or replacement, dropped policies) with
    /// --auto-approve.
    #[arg(long)]
    pub allow_destroy: bool,
    /// Where the journal goes (default `.pat-reconcile/journal.jsonl` beside pats.yaml).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `apply`.
pub fn run(args: &ApplyArgs) -> Result<u8, CliError> {
    let Origin::Account(source) = Origin::of(&args.source, None)? else {
        return Err(CliError::Usage {
            message: "`apply --sandbox` would apply to a sandbox that ends with the command".into(),
            hint: Some("start one with `pat-reconcile sandbox` and point SNOWFLAKE_HOST, SNOWFLAKE_PORT, SNOWFLAKE_PROTOCOL=http, SNOWFLAKE_ACCOUNT and SNOWFLAKE_TOKEN at it".into()),
        });
    };
    let input::Desired {
        config: desired,
        base,
    } = input::load(&args.file)?;
    let _lock =
        ApplyLock::acquire(&base.join(".pat-reconcile").join("apply.lock")).map_err(|e| {
            CliError::Usage {
                message: e.to_string(),
                hint: Some(
                    "wait for it to finish; if no apply is running, delete the lock file".into(),
                ),
            }
        })?;
    let session = Remote::account(source)?.session()?;
    session.block_on(async {
        let (live, now) = session.read(&desired).await?;

        let plan = match &args.plan_file {
            Some(path) => apply::saved::load(path)
                .and_then(|saved| apply::saved::verify(&saved, &desired, &live))
                .map_err(saved_plan_error)?,
            None => {
                let plan = plan::diff(&desired, &live, now);
                let mut out = std::io::stdout().lock();
                render::text::render(&plan, Styles::stdout(), &mut out)?;
                out.flush()?;
                if plan.has_errors() {
                    return Err(CliError::Preflight {
                        errors: plan
                            .diagnostics
                            .iter()
                            .filter(|d| d.severity == plan::Severity::Error)
                            .count(),
                    });
                }
                plan
            }
        };
        if plan.is_empty() {
            if args.plan_file.is_some() {
                println!("The saved plan has no changes.");
            }
            return Ok(exit::OK);
        }
        approve(args, &plan)?;

        let journal_path = args
            .journal
            .clone()
            .unwrap_or_else(|| journal::default_path(&base));
        let mut journal = Journal::open(&journal_path).map_err(|source| CliError::WriteFile {
            path: journal_path.clone(),
            source,
        })?;
        let run_id = uuid::Uuid::new_v4().to_string();
        let account = live
            .account
            .clone()
            .unwrap_or_else(|| session.account().to_owned());
        let cx = apply::Context {
            client: session.client(),
            config: &desired,
            base: &base,
            account: &account,
            run_id: &run_id,
            interrupt: session.interrupt(),
        };
        let report = apply::execute(&cx, &plan, &mut journal).await;
        summarize(&report, plan.changes.len(), journal.path())
    })
}

/// A refused saved plan as the CLI reports it: staleness and preflight errors read as they do
/// for a fresh plan.
fn saved_plan_error(e: SavedPlanError) -> CliError {
    match e {
        SavedPlanError::Stale { moved } => CliError::StalePlan { moved },
        SavedPlanError::Preflight { errors } => CliError::Preflight { errors },
        other => CliError::SavedPlan(Box::new(other)),
    }
}

/// Asks for `yes` on a terminal; with --auto-approve, refuses the changes the diff marked
/// destructive without --allow-destroy.
fn approve(args: &ApplyArgs, plan: &Plan) -> Result<(), CliError> {
    let destructive: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.destructive)
        .map(|c| format!("{} ({})", c.address, c.action))
        .collect();
    if args.auto_approve {
        if !destructive.is_empty() && !args.allow_destroy {
            return Err(CliError::DestructiveRefused {
                changes: destructive,
            });
        }
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage {
            message: "apply needs confirmation, and stdin is not a terminal".into(),
            hint: Some("review the plan, then run with `--auto-approve` (and `--allow-destroy` for destructive changes)".into()),
        });
    }
    let mut err = std::io::stderr().lock();
    writeln!(err)?;
    if !destructive.is_empty() {
        writeln!(
            err,
            "{} of these changes are destructive.",
            destructive.len()
        )?;
    }
    write!(
        err,
        "Apply {} changes to the account? Only `yes` is accepted: ",
        plan.changes.len()
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        return Err(CliError::Usage {
            message: "apply cancelled; nothing was changed".into(),
            hint: None,
        });
    }
    Ok(())
}

/// Prints what was done and picks the exit code.
fn summarize(report: &Report, total: usize, journal: &Path) -> Result<u8, CliError> {
    let mut out = std::io::stdout().lock();
    for (address, sinks) in &report.delivered {
        writeln!(
            out,
            "delivered the new secret of {address} to {}",
            sinks.join("; ")
        )?;
    }
    match &report.failure {
        None => {
            writeln!(
                out,
                "Apply complete: {total} changes, {} statements, {} secrets delivered. Journal: {}",
                report.statements_run,
                report.delivered.len(),
                journal.display()
            )?;
            Ok(exit::OK)
        }
        Some(failure) => {
            let mut err = std::io::stderr().lock();
            writeln!(
                err,
                "Applied {} of {total} changes before stopping.",
                report.done.len()
            )?;
            for a in &report.done {
                writeln!(err, "  done: {a}")?;
            }
            if let ApplyError::SecretUnknown { address, .. } = failure {
                writeln!(
                    err,
                    "{address} may hold a secret that never reached its consumer: rotate it by hand with EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0 and deliver the new one, or remove it and apply again."
                )?;
            }
            if let ApplyError::Delivery { source, .. } = failure {
                match &source.rescue {
                    Some(path) => writeln!(
                        err,
                        "The new secret was saved to {} (mode 0600): deliver it by hand, then delete the file.",
                        path.display()
                    )?,
                    None => writeln!(
                        err,
                        "The new secret could not be saved anywhere: rotate the token again."
                    )?,
                }
            }
            for a in &report.not_run {
                writeln!(err, "  not run: {a}")?;
            }
            writeln!(err, "Journal: {}", journal.display())?;
            Err(CliError::Apply(Box::new(report_failure(failure))))
        }
    }
}

/// The failure as an owned error for rendering (the report keeps its own).
fn report_failure(failure: &ApplyError) -> ApplyFailure {
    ApplyFailure {
        message: failure.to_string(),
        causes: {
            let mut causes = Vec::new();
            let mut source = std::error::Error::source(failure);
            while let Some(s) = source {
                causes.push(s.to_string());
                source = s.source();
            }
            causes
        },
    }
}

/// A rendered apply failure.
#[derive(Debug, thiserror::Error)]
#[error("{message}{}", causes.iter().map(|c| format!("\n  caused by: {c}")).collect::<String>())]
pub struct ApplyFailure {
    pub message: String,
    pub causes: Vec<String>,
}

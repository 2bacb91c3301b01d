//! `pat-reconcile apply`: plan (or load a saved plan, which `apply::saved` checks and plans
//! again), confirm, then execute with the secrets delivered, the journal written and the
//! checkout locked. Resolves inputs and renders; the decisions are in `plan/` and `apply/`.

use crate::plan::render::{lines, one_line};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::error::CliError;
use super::input;
use super::output::Styles;
use super::plan::{ReplaceArgs, diff_inputs, load_pending};
use super::source::{Remote, SourceArgs};
use super::status::ExitStatus;
use crate::apply::journal::{self, Journal};
use crate::apply::lock::ApplyLock;
use crate::apply::{self, Report, SavedPlanError};
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
    /// After delivery, verify every token apply minted (`pat-reconcile verify`); a token
    /// whose new secret does not work fails the command.
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub replace: ReplaceArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `apply`.
pub fn run(args: &ApplyArgs) -> Result<ExitStatus, CliError> {
    // `apply` has no `--sandbox` (an in-process sandbox would end with the command, taking its
    // secrets' tokens with it): it always applies through a connection.
    let source = &args.source;
    let input::Desired {
        config: desired,
        base,
    } = input::load(&args.file)?;
    // An unknown `--replace` address fails before anything is locked or read.
    diff_inputs(&args.replace, &desired, &[])?;
    let _lock = ApplyLock::acquire(&base.join(".pat-reconcile").join("apply.lock"))
        .map_err(CliError::ApplyLocked)?;
    let session = Remote::account(source)?.session()?;
    session.block_on(async {
        let (live, now) = session.read(&desired).await?;
        let journal_path = args
            .journal
            .clone()
            .unwrap_or_else(|| journal::default_path(&base));
        // Opened only when something is about to run: a refused plan leaves no journal.
        let open_journal = || {
            Journal::open(&journal_path).map_err(|source| CliError::WriteFile {
                path: journal_path.clone(),
                source,
            })
        };
        let run_id = uuid::Uuid::new_v4().to_string();
        let account = live
            .account
            .clone()
            .unwrap_or_else(|| session.account().to_owned());

        // Pending deliveries first, before anything else runs; those of tokens rotated on
        // request are superseded by the new secret instead.
        let replaced = diff_inputs(&args.replace, &desired, &[])?.replace;
        let (superseded, retry): (Vec<_>, Vec<_>) = load_pending(&base)?
            .into_iter()
            .partition(|p| replaced.contains(&p.address()));
        let open_intents = open_intents(&journal_path)?;
        let search_path = std::env::var_os("PATH");
        let cx = apply::Context {
            client: session.client(),
            config: &desired,
            base: &base,
            account: &account,
            run_id: &run_id,
            interrupt: session.interrupt(),
            superseded: &superseded,
            live: &live,
            intents: &open_intents,
            search_path: search_path.as_deref(),
            concurrency: args
                .source
                .concurrency
                .map_or(crate::snowflake::pool::AUTO_START, usize::from),
            observer: None,
        };
        if !retry.is_empty() {
            let journal = open_journal()?;
            let report = apply::redeliver(&cx, &retry, &journal).await;
            redelivered(report, journal.path())?;
        }
        let mut inputs = diff_inputs(&args.replace, &desired, &load_pending(&base)?)?;
        // Read again: a pending delivery just made closes the intents of its token.
        inputs.intents = load_intents(&journal_path)?;

        let plan = match &args.plan_file {
            Some(path) => apply::saved::load(path)
                .and_then(|saved| apply::saved::verify(&saved, &desired, &live, &inputs))
                .map_err(saved_plan_error)?,
            None => {
                let plan = plan::diff(&desired, &live, now, &inputs);
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
            return Ok(ExitStatus::Success);
        }
        approve(args, &plan)?;

        let journal = open_journal()?;
        let statements = plan.changes.iter().map(|c| c.statements.len()).sum();
        let progress = session
            .display()
            .start_apply(plan.changes.len(), statements);
        let cx = apply::Context {
            observer: progress.as_deref(),
            concurrency: args.source.concurrency.map_or_else(
                || crate::snowflake::pool::auto_concurrency(statements),
                usize::from,
            ),
            ..cx
        };
        let report = apply::execute(&cx, &plan, &journal).await;
        session.display().finish();
        let minted: Vec<String> = report.delivered.iter().map(|(a, _)| a.clone()).collect();
        let status = summarize(report, plan.changes.len(), journal.path())?;
        if args.verify {
            return super::verify::after_apply(&session, &desired, &base, &account, &minted).await;
        }
        Ok(status)
    })
}

/// The mint intents the journal at `path` left open (an apply killed mid-mint), for the diff.
pub fn load_intents(path: &Path) -> Result<Vec<plan::MintIntent>, CliError> {
    open_intents(path).map(|open| open.into_iter().map(|o| o.intent).collect())
}

fn open_intents(path: &Path) -> Result<Vec<journal::OpenIntent>, CliError> {
    journal::unresolved_intents(path)
        .map_err(|e| CliError::Apply(Box::new(apply::ApplyError::JournalRead(e))))
}

/// Reports the retried pending deliveries (status lines, on stderr); a failure stops apply.
fn redelivered(report: Report, journal: &Path) -> Result<(), CliError> {
    let mut err = std::io::stderr().lock();
    for (address, sinks) in &report.delivered {
        writeln!(
            err,
            "delivered the pending secret of {} to {}",
            one_line(&address.to_string()),
            one_line(&sinks.join("; "))
        )?;
    }
    match report.failure {
        None => Ok(()),
        Some(failure) => {
            writeln!(
                err,
                "A pending delivery still fails; nothing else was run. Journal: {}",
                journal.display()
            )?;
            Err(CliError::Apply(Box::new(failure)))
        }
    }
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
        return Err(CliError::NeedsConfirmation);
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
        return Err(CliError::Cancelled);
    }
    Ok(())
}

/// Prints what was done (status lines, so on stderr: stdout is for data) and picks the exit
/// code; a failure becomes the error, whose hints say what to do.
fn summarize(report: Report, total: usize, journal: &Path) -> Result<ExitStatus, CliError> {
    let mut err = std::io::stderr().lock();
    for (address, sinks) in &report.delivered {
        writeln!(
            err,
            "delivered the new secret of {} to {}",
            one_line(&address.to_string()),
            one_line(&sinks.join("; "))
        )?;
    }
    for (address, warning) in &report.warnings {
        writeln!(
            err,
            "warning: {}: {}",
            one_line(&address.to_string()),
            lines(&warning.to_string(), "  ")
        )?;
    }
    match report.failure {
        None => {
            writeln!(
                err,
                "Apply complete: {total} changes, {} statements, {} secrets delivered. Journal: {}",
                report.statements_run,
                report.delivered.len(),
                journal.display()
            )?;
            Ok(ExitStatus::Success)
        }
        Some(failure) => {
            writeln!(
                err,
                "Applied {} of {total} changes before stopping.",
                report.done.len()
            )?;
            for a in &report.done {
                writeln!(err, "  done: {}", one_line(&a.to_string()))?;
            }
            // Changes that were running when the first failed, and failed too.
            for e in &report.more_failures {
                writeln!(err, "  also failed: {}", lines(&e.to_string(), "    "))?;
            }
            for a in &report.not_run {
                writeln!(err, "  not run: {}", one_line(&a.to_string()))?;
            }
            writeln!(err, "Journal: {}", journal.display())?;
            Err(CliError::Apply(Box::new(failure)))
        }
    }
}

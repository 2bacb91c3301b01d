//! Executing a plan: the changes as a dependency graph ([`Schedule`]: what the diff says each
//! depends on, and one user's changes one after another in plan order), up to
//! `Context::concurrency` changes at once, each with one statement in flight; every new secret
//! delivered to every sink of its token before the next statement of that token or user runs
//! (a failing sink does not stop the others); every statement and every sink's outcome
//! journaled (one writer, group commit: `journal`); at the first failure no new change starts,
//! the running ones finish and deliver. Statements are sent one per request: a request holding
//! several minting statements would lose every secret in it with one lost answer. A secret that
//! missed a sink stays pending (`apply::pending`), and [`redeliver`] retries those from their
//! rescue files before a plan runs.
//!
//! Statements run with [`OnInterrupt::Finish`]: Ctrl-C or SIGTERM never abandons a statement
//! that may have minted a secret. The interrupt is honoured between changes, after any
//! delivery, and an interrupted run always ends in an error.
//!
//! Minting is guarded at each step (issue 14): before anything runs, every sink of every token
//! the plan mints for and the rescue folders must pass `secrets::preflight`; before an ADD or
//! ROTATE is sent, its intent is synced to the journal (a SIGKILL from then on is found by the
//! next plan); its secret goes to a rescue file with a pending record before any sink (a second
//! signal from then on leaves it there), and both are deleted once every sink has it. A lost
//! answer is judged from evidence: 429, 503 or no connection on every attempt means it did not
//! run; otherwise SHOW decides (the token exists after an ADD, a leftover the plan did not read
//! exists after a ROTATE), and only then is the secret nobody received rotated out with no
//! grace, the consumer's previous secret keeping the grace the plan gave it.
//!
//! It decides nothing: it runs the statements of the typed [`Plan`] the diff produced, and a
//! statement's [`Recovery`] only when that statement's answer was lost.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use chrono::Utc;

use super::error::ApplyError;
use super::journal::{
    DeliveryEntry, DeliveryOutcome, Entry, IntentEntry, IntentKindLine, Journal, OpenIntent,
    Outcome, Resolution, ResolutionEntry,
};
use super::pending::{self, Pending};
use crate::model::Identifier;
use crate::model::desired::Config;
use crate::model::live::LiveState;
use crate::plan::{Action, Address, Change, Plan, Recovery, Statement};
use crate::secrets::preflight;
use crate::secrets::sinks::{self, Delivery, SecretContext};
use crate::secrets::{Secret, SinkWarning};
use crate::snowflake::{Client, Interrupt, OnInterrupt};

/// What an apply did.
#[derive(Debug, Default)]
pub struct Report {
    /// Addresses whose statements all ran, in plan order.
    pub done: Vec<String>,
    /// Per address, the sinks each new (or pending) secret reached.
    pub delivered: Vec<(String, Vec<String>)>,
    /// Per address, what a sink's consumer should know (e.g. a secret file others can read).
    pub warnings: Vec<(String, SinkWarning)>,
    /// Why it stopped early, if it did: the first failure.
    pub failure: Option<ApplyError>,
    /// Failures of changes that were running when the first failed, in the order they ended.
    pub more_failures: Vec<ApplyError>,
    /// Addresses not started, in plan order.
    pub not_run: Vec<String>,
    pub statements_run: usize,
}

impl Report {
    fn warn(&mut self, address: &str, warnings: Vec<SinkWarning>) {
        self.warnings
            .extend(warnings.into_iter().map(|w| (address.to_owned(), w)));
    }

    /// Adds what one change did (its own report) to the run's.
    fn absorb(&mut self, part: Report) {
        self.delivered.extend(part.delivered);
        self.warnings.extend(part.warnings);
        self.statements_run += part.statements_run;
    }
}

/// What the executor tells its observer (the CLI's progress display) as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A statement of the change at `address` was answered (or failed).
    Statement { address: &'a Address },
    /// A new secret of the token at `address` is being handed to its sinks.
    Delivering { address: &'a Address },
}

/// Receives [`Event`]s; it must not block (it is called between statements).
pub type Observer<'a> = &'a (dyn Fn(Event<'_>) + Send + Sync);

/// Where and for whom apply runs.
pub struct Context<'a> {
    pub client: &'a Client,
    pub config: &'a Config,
    /// The `pats.yaml` directory: sink paths and rescue files resolve against it.
    pub base: &'a Path,
    pub account: &'a str,
    pub run_id: &'a str,
    pub interrupt: Interrupt,
    /// Pending deliveries of tokens the plan rotates on request (`--replace`): forgotten once
    /// the new secret reached every sink.
    pub superseded: &'a [Pending],
    /// The live state the plan was made from: the rotation leftovers a minting statement's
    /// intent records as known (the evidence of whether a lost ROTATE ran).
    pub live: &'a LiveState,
    /// Intents earlier runs left open: closed as superseded once a new secret of the same
    /// token settles.
    pub intents: &'a [OpenIntent],
    /// The `PATH` a command sink's bare program name is looked up on (preflight).
    pub search_path: Option<&'a std::ffi::OsStr>,
    /// Statements in flight at once (at least 1): each running change has one in flight.
    pub concurrency: usize,
    pub observer: Option<Observer<'a>>,
}

impl Context<'_> {
    fn observe(&self, event: Event<'_>) {
        if let Some(observer) = self.observer {
            observer(event);
        }
    }
}

/// The order changes may run in: what each waits for. A change waits for the changes the diff
/// says it depends on (`Change::depends_on`) and for the change of the same user before it in
/// plan order, so one user's changes run one after another: a token's new secret is delivered
/// before the next statement of that token or user, and no two statements alter one user at
/// once. Plan order is topological, so every change waits only for earlier ones.
struct Schedule {
    /// Per change, how many changes it still waits for.
    waiting: Vec<usize>,
    /// Per change, the changes waiting for it.
    dependents: Vec<Vec<usize>>,
}

impl Schedule {
    fn of(changes: &[Change]) -> Self {
        let index: HashMap<&Address, usize> = changes
            .iter()
            .enumerate()
            .map(|(i, c)| (&c.address, i))
            .collect();
        let mut last_of_user: HashMap<&Identifier, usize> = HashMap::new();
        let mut waits: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); changes.len()];
        for (i, change) in changes.iter().enumerate() {
            waits[i].extend(
                change
                    .depends_on
                    .iter()
                    .filter_map(|a| index.get(a).copied())
                    .filter(|&j| j != i),
            );
            if let Some(user) = change.address.user() {
                if let Some(previous) = last_of_user.insert(user, i) {
                    waits[i].insert(previous);
                }
            }
        }
        let mut dependents = vec![Vec::new(); changes.len()];
        for (i, on) in waits.iter().enumerate() {
            for &j in on {
                dependents[j].push(i);
            }
        }
        Self {
            waiting: waits.iter().map(BTreeSet::len).collect(),
            dependents,
        }
    }

    /// The changes waiting for nothing.
    fn ready(&self) -> BTreeSet<usize> {
        (0..self.waiting.len())
            .filter(|&i| self.waiting[i] == 0)
            .collect()
    }

    /// Marks `i` done; returns the changes that now wait for nothing.
    fn finish(&mut self, i: usize) -> Vec<usize> {
        let mut freed = Vec::new();
        for &d in &self.dependents[i] {
            self.waiting[d] -= 1;
            if self.waiting[d] == 0 {
                freed.push(d);
            }
        }
        freed
    }
}

/// Executes the plan's changes, their statements as the diff wrote them: as a dependency graph
/// ([`Schedule`]), up to `concurrency` changes at once, each running its statements in order
/// and delivering each new secret before its next statement. Ready changes start in plan order.
/// A failure or an interrupt stops new work: the changes running finish (and deliver), the
/// others are reported and journaled as not run.
pub async fn execute(cx: &Context<'_>, plan: &Plan, journal: &Journal) -> Report {
    let mut report = Report::default();
    let changes = &plan.changes;
    if let Err(e) = preflight(cx, plan) {
        report.failure = Some(e);
        report.not_run = changes.iter().map(|c| c.address.to_string()).collect();
        journal_not_run(journal, cx, changes.iter()).await;
        return report;
    }
    let mut schedule = Schedule::of(changes);
    let mut ready = schedule.ready();
    let mut started = vec![false; changes.len()];
    let mut done = vec![false; changes.len()];
    let mut parts: Vec<Option<Report>> = changes.iter().map(|_| None).collect();
    let mut failures = Vec::new();
    let mut running = FuturesUnordered::new();
    loop {
        while failures.is_empty()
            && !cx.interrupt.is_raised()
            && running.len() < cx.concurrency.max(1)
        {
            let Some(i) = ready.pop_first() else { break };
            started[i] = true;
            running.push(run_one(cx, i, &changes[i], journal));
        }
        let Some((i, result, part)) = running.next().await else {
            break;
        };
        parts[i] = Some(part);
        match result {
            Ok(()) => {
                done[i] = true;
                ready.extend(schedule.finish(i));
            }
            Err(e) => failures.push(e),
        }
    }
    for (i, part) in parts.into_iter().enumerate() {
        if let Some(part) = part {
            report.absorb(part);
        }
        if done[i] {
            report.done.push(changes[i].address.to_string());
        }
    }
    let not_run: Vec<&Change> = changes
        .iter()
        .zip(&started)
        .filter(|(_, started)| !**started)
        .map(|(c, _)| c)
        .collect();
    report.not_run = not_run.iter().map(|c| c.address.to_string()).collect();
    journal_not_run(journal, cx, not_run.iter().copied()).await;
    let mut failures = failures.into_iter();
    report.failure = failures.next();
    report.more_failures = failures.collect();
    if report.failure.is_none() && cx.interrupt.is_raised() {
        report.failure = Some(match not_run.first() {
            Some(next) => ApplyError::Interrupted {
                address: next.address.clone(),
            },
            // Interrupted during the last changes, which finished: still an interrupted run.
            None => ApplyError::InterruptedAfterLast,
        });
    }
    report
}

/// Runs one change with a report of its own, named by its index in the plan.
async fn run_one(
    cx: &Context<'_>,
    i: usize,
    change: &Change,
    journal: &Journal,
) -> (usize, Result<(), ApplyError>, Report) {
    let mut part = Report::default();
    let result = run_change(cx, change, journal, &mut part).await;
    (i, result, part)
}

/// Before anything runs: every sink of every token the plan mints a secret for, and the rescue
/// folders, can take it (`secrets::preflight`); the first failure refuses the whole apply.
fn preflight(cx: &Context<'_>, plan: &Plan) -> Result<(), ApplyError> {
    let minting: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.statements.iter().any(|s| s.returns_secret))
        .collect();
    let Some(first) = minting.first() else {
        return Ok(());
    };
    let rescue = [sinks::rescue_dir(cx.base), pending::dir(cx.base)];
    if let Some(e) = preflight::check_rescue(&rescue).into_iter().next() {
        return Err(ApplyError::SinkPreflight {
            address: first.address.clone(),
            source: Box::new(e),
        });
    }
    for change in minting {
        let Address::Token(user, token) = &change.address else {
            continue;
        };
        let Some(spec) = cx.config.users.get(user).and_then(|u| u.tokens.get(token)) else {
            continue;
        };
        let errors = preflight::check_sinks(&spec.deliver, cx.base, cx.search_path);
        if let Some(e) = errors.into_iter().next() {
            return Err(ApplyError::SinkPreflight {
                address: change.address.clone(),
                source: Box::new(e),
            });
        }
    }
    Ok(())
}

/// Retries each pending delivery from its rescue file, before anything else runs: the secret
/// goes to every sink of its token that lacks it; when all have it, the rescue file and its
/// record are deleted. Stops at the first that still fails.
pub async fn redeliver(cx: &Context<'_>, pending: &[Pending], journal: &Journal) -> Report {
    let mut report = Report::default();
    for p in pending {
        let address = p.address();
        let secret = match std::fs::read_to_string(&p.rescue) {
            Ok(mut text) => {
                let secret = Secret::new(text.trim_end().to_owned());
                zeroize::Zeroize::zeroize(&mut text);
                secret
            }
            Err(source) => {
                report.failure = Some(ApplyError::RescueUnreadable {
                    address,
                    rescue: p.rescue.clone(),
                    source,
                });
                return report;
            }
        };
        let delivery = deliver(cx, &address, &secret, Some(p)).await;
        match settle(
            cx,
            &address,
            delivery,
            (Some(p), true),
            journal,
            &mut report,
        )
        .await
        {
            Ok(()) => {
                // The record was written after its statement ran (and rotated out any secret
                // lost before it): the intents open for this token are settled with it.
                let open: Vec<&str> = cx
                    .intents
                    .iter()
                    .filter(|o| o.intent.address == address)
                    .map(|o| o.id.as_str())
                    .collect();
                if let Err(e) = resolve(cx, journal, &open, Resolution::Delivered).await {
                    report.failure = Some(e);
                    return report;
                }
                report.done.push(address.to_string());
            }
            Err(e) => {
                report.failure = Some(e);
                return report;
            }
        }
    }
    report
}

async fn journal_not_run(
    journal: &Journal,
    cx: &Context<'_>,
    changes: impl Iterator<Item = &Change>,
) {
    let lines: Vec<(String, &Change)> = changes.map(|c| (c.address.to_string(), c)).collect();
    // Handed to the writer together, so they share its syncs.
    let mut writes: FuturesUnordered<_> = lines
        .iter()
        .flat_map(|(address, change)| {
            change
                .statements
                .iter()
                .enumerate()
                .map(move |(index, statement)| Entry {
                    time: Utc::now(),
                    run_id: cx.run_id,
                    address,
                    action: change.action,
                    statement_index: index,
                    sql: &statement.sql,
                    outcome: Outcome::NotRun,
                    statement_handle: None,
                    error_code: None,
                    error_message: None,
                })
        })
        .map(|entry| async move { journal.append(&entry).await })
        .collect();
    while writes.next().await.is_some() {}
}

async fn run_change(
    cx: &Context<'_>,
    change: &Change,
    journal: &Journal,
    report: &mut Report,
) -> Result<(), ApplyError> {
    let address = change.address.to_string();
    for (index, statement) in change.statements.iter().enumerate() {
        let Statement {
            sql,
            returns_secret,
            recovery,
            ..
        } = statement;
        // The intent is on disk before the statement leaves: a kill from here on is found by
        // the next plan (`journal` module docs).
        let intent = match (returns_secret, recovery) {
            (true, Some(r)) => Some(write_intent(cx, change, index, r, false, journal).await?),
            _ => None,
        };
        let result = cx.client.execute_with(sql, OnInterrupt::Finish).await;
        report.statements_run += 1;
        cx.observe(Event::Statement {
            address: &change.address,
        });
        let mut entry = Entry {
            time: Utc::now(),
            run_id: cx.run_id,
            address: &address,
            action: change.action,
            statement_index: index,
            sql,
            outcome: Outcome::Ok,
            statement_handle: None,
            error_code: None,
            error_message: None,
        };
        let mut rows = match (result, recovery) {
            (Ok(rows), _) => rows,
            (Err(e), Some(recovery)) if outcome_unknown(&e) => {
                // The statement may have run and minted a secret whose answer never arrived:
                // the evidence decides (`recover_secret`).
                entry.outcome = Outcome::Unknown;
                entry.error_message = Some(e.to_string());
                journal.append(&entry).await.map_err(ApplyError::Journal)?;
                let intent = intent.as_deref().unwrap_or_default();
                let rotates = statement.expire_rotated_token_after_hours.is_some();
                match recover_secret(cx, change, (recovery, rotates), intent, journal, report).await
                {
                    Recovered::Delivered => continue,
                    Recovered::NotMinted => {
                        resolve(cx, journal, &[intent], Resolution::NotMinted).await?;
                        return Err(ApplyError::StatementFailed {
                            address: change.address.clone(),
                            statement_index: index,
                            sql: sql.clone(),
                            source: Box::new(e),
                        });
                    }
                    Recovered::Failed(why) => {
                        return Err(ApplyError::SecretUnknown {
                            address: change.address.clone(),
                            detail: why,
                        });
                    }
                }
            }
            (Err(e), _) => {
                entry.outcome = Outcome::Failed;
                entry.error_code = e.code();
                entry.error_message = Some(e.to_string());
                if let crate::snowflake::ClientError::Statement {
                    statement_handle, ..
                } = &e
                {
                    // A minting statement's handle could fetch its result again: never kept.
                    if !returns_secret {
                        entry.statement_handle = statement_handle.as_deref();
                    }
                }
                journal.append(&entry).await.map_err(ApplyError::Journal)?;
                // Refused, or known not to have run: nothing was minted.
                if let Some(intent) = &intent {
                    resolve(cx, journal, &[intent], Resolution::NotMinted).await?;
                }
                return Err(ApplyError::StatementFailed {
                    address: change.address.clone(),
                    statement_index: index,
                    sql: sql.clone(),
                    source: Box::new(e),
                });
            }
        };
        let handle = rows.statement_handle.take();
        if !returns_secret {
            entry.statement_handle = handle.as_deref();
            journal.append(&entry).await.map_err(ApplyError::Journal)?;
            continue;
        }
        let secret = crate::snowflake::rows::token_secret(&rows);
        wipe(&mut rows);
        // The statement ran: its line says so, whatever becomes of the secret.
        journal.append(&entry).await.map_err(ApplyError::Journal)?;
        let Some(secret) = secret else {
            return Err(ApplyError::NoSecretReturned {
                address: change.address.clone(),
            });
        };
        let ids: Vec<&str> = intent.as_deref().into_iter().collect();
        hand_over(cx, &change.address, &secret, &ids, journal, report).await?;
    }
    Ok(())
}

/// Writes and syncs the intent to send a minting statement of `change` (`journal` docs);
/// returns its id. `recovering`: the rotation of a recovery, numbered after the statements.
async fn write_intent(
    cx: &Context<'_>,
    change: &Change,
    index: usize,
    recovery: &Recovery,
    recovering: bool,
    journal: &Journal,
) -> Result<String, ApplyError> {
    let (user, declared) = match &change.address {
        Address::Token(user, token) => (user.as_str(), token.as_str()),
        other => (other.user().map_or("", |u| u.as_str()), ""),
    };
    let rotates = recovering
        || change.statements[index]
            .expire_rotated_token_after_hours
            .is_some();
    let id = uuid::Uuid::new_v4().to_string();
    journal
        .append_intent(&IntentEntry {
            time: Utc::now(),
            run_id: cx.run_id,
            intent: id.clone(),
            address: change.address.to_string(),
            user: user.to_owned(),
            declared: declared.to_owned(),
            action: if recovering {
                Action::Rotate
            } else {
                change.action
            },
            statement_index: if recovering {
                change.statements.len()
            } else {
                index
            },
            token: recovery.token.as_str().to_owned(),
            kind: if rotates {
                IntentKindLine::Rotate
            } else {
                IntentKindLine::Add
            },
            leftovers: if rotates {
                known_leftovers(cx, &change.address, &recovery.token)
                    .iter()
                    .map(|l| l.as_str().to_owned())
                    .collect()
            } else {
                Vec::new()
            },
        })
        .await
        .map_err(ApplyError::Journal)?;
    Ok(id)
}

/// The rotation leftovers of `token` (of the user of `address`) the plan read.
fn known_leftovers(cx: &Context<'_>, address: &Address, token: &Identifier) -> Vec<Identifier> {
    address
        .user()
        .and_then(|u| cx.live.users.get(u))
        .map(|u| {
            u.tokens
                .iter()
                .filter(|t| t.rotated_to.as_ref() == Some(token))
                .map(|t| t.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Closes the intents `ids` with `resolution`.
async fn resolve(
    cx: &Context<'_>,
    journal: &Journal,
    ids: &[&str],
    resolution: Resolution,
) -> Result<(), ApplyError> {
    for id in ids.iter().filter(|id| !id.is_empty()) {
        journal
            .append_resolution(&ResolutionEntry {
                time: Utc::now(),
                run_id: cx.run_id,
                resolves: id,
                resolution,
            })
            .await
            .map_err(ApplyError::Journal)?;
    }
    Ok(())
}

/// Hands a freshly minted secret over: first to a rescue file with its pending record (so a
/// second Ctrl-C or SIGTERM, which ends the process at once, cannot lose it: the next apply
/// delivers it from there), then to every sink, then [`settle_minted`]. When every sink has it,
/// the rescue file and record are deleted again. If the rescue file cannot be written (the
/// preflight passed, so this is rare), it is delivered as before and a failing sink gets its own.
async fn hand_over(
    cx: &Context<'_>,
    address: &Address,
    secret: &Secret,
    ids: &[&str],
    journal: &Journal,
    report: &mut Report,
) -> Result<(), ApplyError> {
    cx.observe(Event::Delivering { address });
    let kept = keep(cx, address, secret);
    let delivery = deliver(cx, address, secret, kept.as_ref()).await;
    settle_minted(cx, address, delivery, kept.as_ref(), ids, journal, report).await
}

/// Writes `secret` to a rescue file and a pending record naming no sink as delivered.
fn keep(cx: &Context<'_>, address: &Address, secret: &Secret) -> Option<Pending> {
    let Address::Token(user, token) = address else {
        return None;
    };
    let has_sinks = cx
        .config
        .users
        .get(user)
        .and_then(|u| u.tokens.get(token))
        .is_some_and(|t| !t.deliver.is_empty());
    if !has_sinks {
        // Without sinks the secret stays in its rescue file anyway (`sinks::deliver_all`).
        return None;
    }
    let secret_cx = SecretContext {
        user: user.as_str(),
        token: token.as_str(),
        account: cx.account,
        base: cx.base,
    };
    let now = Utc::now();
    let rescue = sinks::rescue(secret, &secret_cx, now).ok()?;
    let nothing = Delivery {
        delivered: Vec::new(),
        failed: Vec::new(),
        warnings: Vec::new(),
    };
    match pending::record(cx.base, user, token, &rescue, &nothing, None, now) {
        Ok(record) => Some(Pending {
            record,
            user: user.clone(),
            token: token.clone(),
            rescue,
            delivered: Vec::new(),
            undelivered: Vec::new(),
        }),
        Err(_) => {
            let _ = std::fs::remove_file(&rescue);
            None
        }
    }
}

/// [`settle`]s a freshly minted secret, then closes its intents: `delivered` when every sink
/// has it, `pending` when it waits in a rescue file with its record. The open intents earlier
/// runs left for the same token are superseded by it. A secret that reached no sink and no
/// rescue file leaves its intent open: the next plan rotates it out.
async fn settle_minted(
    cx: &Context<'_>,
    address: &Address,
    delivery: Delivery,
    kept: Option<&Pending>,
    ids: &[&str],
    journal: &Journal,
    report: &mut Report,
) -> Result<(), ApplyError> {
    let complete = delivery.is_complete();
    let result = settle(cx, address, delivery, (kept, false), journal, report).await;
    let resolution = match &result {
        Ok(()) if complete => Resolution::Delivered,
        Err(ApplyError::Delivery { source, .. }) if source.rescue.is_some() => Resolution::Pending,
        _ => return result,
    };
    resolve(cx, journal, ids, resolution).await?;
    let earlier: Vec<&str> = cx
        .intents
        .iter()
        .filter(|o| &o.intent.address == address)
        .map(|o| o.id.as_str())
        .collect();
    resolve(cx, journal, &earlier, Resolution::Superseded).await?;
    result
}

/// True when a failure leaves open whether Snowflake ran the statement (the answer was lost),
/// as opposed to Snowflake refusing it, or every attempt being answered 429 or 503 or never
/// connecting (it did not run).
fn outcome_unknown(e: &crate::snowflake::ClientError) -> bool {
    use crate::snowflake::ClientError as E;
    match e {
        E::RetriesExhausted { may_have_run, .. } => *may_have_run,
        E::Transport { .. }
        | E::Timeout { .. }
        | E::Protocol { .. }
        | E::MalformedResponse { .. }
        | E::Http { .. } => true,
        _ => false,
    }
}

/// What recovering a secret whose answer was lost came to.
enum Recovered {
    /// The statement ran: the secret nobody received was rotated out at once, and the new one
    /// delivered.
    Delivered,
    /// The statement did not run: nothing was lost.
    NotMinted,
    /// Could not tell or could not recover.
    Failed(String),
}

/// Runs the plan's [`Recovery`] of a statement whose answer was lost, deciding from evidence:
/// its probe lists the user's tokens; an ADD ran when the token exists, a ROTATE when the token
/// has a rotation leftover the plan did not read (module docs of `plan::diff::intents`). Only
/// then its rotation (no grace: the secret nobody received dies; a leftover holding the
/// consumer's previous secret keeps its planned grace) runs, and its secret is delivered.
async fn recover_secret(
    cx: &Context<'_>,
    change: &Change,
    (recovery, rotated): (&Recovery, bool),
    intent: &str,
    journal: &Journal,
    report: &mut Report,
) -> Recovered {
    let before = known_leftovers(cx, &change.address, &recovery.token);
    let ran = match cx
        .client
        .execute_with(&recovery.probe, OnInterrupt::Finish)
        .await
    {
        Ok(rows) => {
            let tokens = crate::snowflake::rows::tokens(&rows);
            if rotated {
                tokens.iter().any(|t| {
                    t.rotated_to.as_ref() == Some(&recovery.token) && !before.contains(&t.name)
                })
            } else {
                tokens
                    .iter()
                    .any(|t| t.name == recovery.token && !t.is_leftover())
            }
        }
        Err(e) => return Recovered::Failed(format!("cannot check the token: {e}")),
    };
    report.statements_run += 1;
    if !ran {
        return Recovered::NotMinted;
    }
    let again = match write_intent(cx, change, 0, recovery, true, journal).await {
        Ok(id) => id,
        Err(e) => return Recovered::Failed(e.to_string()),
    };
    let mut rows = match cx
        .client
        .execute_with(&recovery.rotate, OnInterrupt::Finish)
        .await
    {
        Ok(rows) => rows,
        Err(e) => return Recovered::Failed(format!("cannot mint a replacement secret: {e}")),
    };
    report.statements_run += 1;
    rows.statement_handle = None;
    let secret = crate::snowflake::rows::token_secret(&rows);
    wipe(&mut rows);
    let Some(secret) = secret else {
        return Recovered::Failed("Snowflake returned no token secret".into());
    };
    let address = change.address.to_string();
    let entry = Entry {
        time: Utc::now(),
        run_id: cx.run_id,
        address: &address,
        action: Action::Rotate,
        statement_index: change.statements.len(),
        sql: &recovery.rotate,
        outcome: Outcome::Ok,
        statement_handle: None,
        error_code: None,
        error_message: None,
    };
    let _ = journal.append(&entry).await;
    match hand_over(
        cx,
        &change.address,
        &secret,
        &[intent, &again],
        journal,
        report,
    )
    .await
    {
        Ok(()) => Recovered::Delivered,
        Err(e) => Recovered::Failed(e.to_string()),
    }
}

/// Overwrites a result's cells, so the secret does not linger in memory after delivery.
fn wipe(rows: &mut crate::snowflake::ResultSet) {
    for row in &mut rows.rows {
        for cell in row.iter_mut().flatten() {
            zeroize::Zeroize::zeroize(cell);
        }
    }
}

/// Hands a new secret of the token at `address` to the sinks the file declares for it; with
/// `pending` (a retry from its rescue file), only to those that do not have it yet.
async fn deliver(
    cx: &Context<'_>,
    address: &Address,
    secret: &Secret,
    pending: Option<&Pending>,
) -> Delivery {
    let (user, token) = match address {
        Address::Token(user, token) => (user.as_str(), token.as_str()),
        other => (other.user().map_or("", |u| u.as_str()), ""),
    };
    let mut sinks = match address {
        Address::Token(user, token) => cx
            .config
            .users
            .get(user)
            .and_then(|u| u.tokens.get(token))
            .map(|t| t.deliver.clone())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let secret_cx = SecretContext {
        user,
        token,
        account: cx.account,
        base: cx.base,
    };
    match pending {
        None => sinks::deliver_all(&sinks, secret, &secret_cx, Utc::now()).await,
        Some(p) => {
            sinks.retain(|s| !p.delivered.contains(&s.to_string()));
            sinks::redeliver(&sinks, secret, &secret_cx, &p.rescue).await
        }
    }
}

/// Journals each sink's outcome and reports what arrived. When every sink has the secret, the
/// pending record it came from (a retry), and any pending delivery of the same token a
/// `--replace` superseded, are forgotten; otherwise the secret stays pending and apply stops.
async fn settle(
    cx: &Context<'_>,
    address: &Address,
    delivery: Delivery,
    (pending, retry): (Option<&Pending>, bool),
    journal: &Journal,
    report: &mut Report,
) -> Result<(), ApplyError> {
    let described = address.to_string();
    let rescue = delivery.rescue().map(Path::to_owned);
    report.warn(&described, delivery.warnings.clone());
    for sink in &delivery.delivered {
        journal
            .append_delivery(&DeliveryEntry {
                time: Utc::now(),
                run_id: cx.run_id,
                address: &described,
                sink,
                delivery: DeliveryOutcome::Delivered,
                error_message: None,
                rescue_file: None,
            })
            .await
            .map_err(ApplyError::Journal)?;
    }
    for failure in &delivery.failed {
        journal
            .append_delivery(&DeliveryEntry {
                time: Utc::now(),
                run_id: cx.run_id,
                address: &described,
                sink: &failure.sink,
                delivery: DeliveryOutcome::Failed,
                error_message: Some(format!("{failure}: {}", failure.kind)),
                rescue_file: rescue.as_deref(),
            })
            .await
            .map_err(ApplyError::Journal)?;
    }
    if !delivery.delivered.is_empty() {
        report
            .delivered
            .push((described.clone(), delivery.delivered.clone()));
    }
    if delivery.is_complete() {
        for done in pending
            .into_iter()
            .chain(cx.superseded.iter().filter(|p| &p.address() == address))
        {
            pending::resolve(done).map_err(|e| ApplyError::Pending(Box::new(e)))?;
        }
        return Ok(());
    }
    if let (Some(rescue), Address::Token(user, token)) = (&rescue, address) {
        pending::record(cx.base, user, token, rescue, &delivery, pending, Utc::now())
            .map_err(|e| ApplyError::Pending(Box::new(e)))?;
    }
    let failed_sinks = delivery.failed.iter().map(|e| e.sink.clone()).collect();
    let mut failed = delivery.failed;
    let first = failed.remove(0);
    Err(ApplyError::Delivery {
        address: address.clone(),
        failed_sinks,
        retry,
        source: Box::new(first),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testkit;

    fn two_users() -> Plan {
        let user = |token: &str| {
            json!({
                "type": "SERVICE",
                "roles": ["LOADER"],
                "tokens": { token: { "role_restriction": "LOADER", "days_to_expiry": 30 } }
            })
        };
        let desired = testkit::config(json!({
            "users": { "A_USER": user("A_PAT"), "B_USER": user("B_PAT") }
        }));
        let live = testkit::live(json!({ "users": {}, "roles": ["LOADER"] }));
        crate::plan::diff(&desired, &live, testkit::now(), &Default::default())
    }

    #[test]
    fn one_users_changes_run_in_plan_order_and_users_in_parallel() {
        let plan = two_users();
        let mut schedule = Schedule::of(&plan.changes);
        let user_of = |i: usize| {
            plan.changes[i]
                .address
                .user()
                .map(|u| u.as_str().to_owned())
        };
        let ready = schedule.ready();
        // Each user's creation waits for nothing; nothing else of either user is ready.
        let first: Vec<Option<String>> = ready.iter().map(|&i| user_of(i)).collect();
        assert_eq!(
            first,
            [Some("A_USER".to_owned()), Some("B_USER".to_owned())],
            "{:#?}",
            plan.changes
        );
        // Running A's changes one by one frees exactly A's next change each time.
        let a: Vec<usize> = (0..plan.changes.len())
            .filter(|&i| user_of(i).as_deref() == Some("A_USER"))
            .collect();
        assert!(a.len() >= 3, "create, grant, token: {:#?}", plan.changes);
        for pair in a.windows(2) {
            assert_eq!(schedule.finish(pair[0]), vec![pair[1]]);
        }
        assert!(schedule.finish(*a.last().unwrap()).is_empty());
    }
}

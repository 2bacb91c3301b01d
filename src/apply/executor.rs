//! Executing a plan: one statement at a time, in plan order; every new secret delivered to every
//! sink of its token before the next statement runs (a failing sink does not stop the others);
//! every statement and every sink's outcome journaled; stop at the first failure. A secret that
//! missed a sink stays pending (`apply::pending`), and [`redeliver`] retries those from their
//! rescue files before a plan runs.
//!
//! Statements run with [`OnInterrupt::Finish`]: Ctrl-C never abandons a statement that may have
//! minted a secret. The interrupt is honoured between statements, after any delivery.
//!
//! It decides nothing: it runs the statements of the typed [`Plan`] the diff produced, and a
//! statement's [`Recovery`] only when that statement's answer was lost.

use std::path::Path;

use chrono::Utc;

use super::error::ApplyError;
use super::journal::{DeliveryEntry, DeliveryOutcome, Entry, Journal, Outcome};
use super::pending::{self, Pending};
use crate::model::desired::Config;
use crate::plan::{Action, Address, Change, Plan, Recovery, Statement};
use crate::secrets::sinks::{self, Delivery, SecretContext};
use crate::secrets::{Secret, SinkWarning};
use crate::snowflake::{Client, Interrupt, OnInterrupt};

/// What an apply did.
#[derive(Debug, Default)]
pub struct Report {
    /// Addresses whose statements all ran.
    pub done: Vec<String>,
    /// Per address, the sinks each new (or pending) secret reached.
    pub delivered: Vec<(String, Vec<String>)>,
    /// Per address, what a sink's consumer should know (e.g. a secret file others can read).
    pub warnings: Vec<(String, SinkWarning)>,
    /// Why it stopped early, if it did.
    pub failure: Option<ApplyError>,
    /// Addresses not started.
    pub not_run: Vec<String>,
    pub statements_run: usize,
}

impl Report {
    fn warn(&mut self, address: &str, warnings: Vec<SinkWarning>) {
        self.warnings
            .extend(warnings.into_iter().map(|w| (address.to_owned(), w)));
    }
}

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
}

/// Executes the plan's changes in order, their statements as the diff wrote them.
pub async fn execute(cx: &Context<'_>, plan: &Plan, journal: &mut Journal) -> Report {
    let mut report = Report::default();
    let changes = &plan.changes;
    for (i, change) in changes.iter().enumerate() {
        if cx.interrupt.is_raised() {
            report.failure = Some(ApplyError::Interrupted {
                address: change.address.clone(),
            });
            report.not_run = changes[i..].iter().map(|c| c.address.to_string()).collect();
            journal_not_run(journal, cx, &changes[i..]);
            return report;
        }
        match run_change(cx, change, journal, &mut report).await {
            Ok(()) => report.done.push(change.address.to_string()),
            Err(e) => {
                report.failure = Some(e);
                report.not_run = changes[i + 1..]
                    .iter()
                    .map(|c| c.address.to_string())
                    .collect();
                journal_not_run(journal, cx, &changes[i + 1..]);
                return report;
            }
        }
    }
    report
}

/// Retries each pending delivery from its rescue file, before anything else runs: the secret
/// goes to every sink of its token that lacks it; when all have it, the rescue file and its
/// record are deleted. Stops at the first that still fails.
pub async fn redeliver(cx: &Context<'_>, pending: &[Pending], journal: &mut Journal) -> Report {
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
        match settle(cx, &address, delivery, Some(p), journal, &mut report) {
            Ok(()) => report.done.push(address.to_string()),
            Err(e) => {
                report.failure = Some(e);
                return report;
            }
        }
    }
    report
}

fn journal_not_run(journal: &mut Journal, cx: &Context<'_>, changes: &[Change]) {
    for change in changes {
        let address = change.address.to_string();
        for (index, statement) in change.statements.iter().enumerate() {
            let _ = journal.append(&Entry {
                time: Utc::now(),
                run_id: cx.run_id,
                address: &address,
                action: change.action,
                statement_index: index,
                sql: &statement.sql,
                outcome: Outcome::NotRun,
                statement_handle: None,
                error_code: None,
                error_message: None,
            });
        }
    }
}

async fn run_change(
    cx: &Context<'_>,
    change: &Change,
    journal: &mut Journal,
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
        let result = cx.client.execute_with(sql, OnInterrupt::Finish).await;
        report.statements_run += 1;
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
                // run the recovery the plan holds for it.
                entry.outcome = Outcome::Unknown;
                entry.error_message = Some(e.to_string());
                journal.append(&entry).map_err(ApplyError::Journal)?;
                match recover_secret(cx, change, recovery, journal, report).await {
                    Recovered::Delivered => continue,
                    Recovered::NotMinted => {
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
                    entry.statement_handle = statement_handle.as_deref();
                }
                journal.append(&entry).map_err(ApplyError::Journal)?;
                return Err(ApplyError::StatementFailed {
                    address: change.address.clone(),
                    statement_index: index,
                    sql: sql.clone(),
                    source: Box::new(e),
                });
            }
        };
        let handle = rows.statement_handle.take();
        entry.statement_handle = handle.as_deref();
        if !returns_secret {
            journal.append(&entry).map_err(ApplyError::Journal)?;
            continue;
        }
        let secret = crate::snowflake::rows::token_secret(&rows);
        wipe(&mut rows);
        // The statement ran: its line says so, whatever becomes of the secret.
        journal.append(&entry).map_err(ApplyError::Journal)?;
        let Some(secret) = secret else {
            return Err(ApplyError::NoSecretReturned {
                address: change.address.clone(),
            });
        };
        let delivery = deliver(cx, &change.address, &secret, None).await;
        settle(cx, &change.address, delivery, None, journal, report)?;
    }
    Ok(())
}

/// True when a failure leaves open whether Snowflake ran the statement (the answer was lost),
/// as opposed to Snowflake refusing it.
fn outcome_unknown(e: &crate::snowflake::ClientError) -> bool {
    use crate::snowflake::ClientError as E;
    matches!(
        e,
        E::RetriesExhausted { .. }
            | E::Transport { .. }
            | E::Timeout { .. }
            | E::Protocol { .. }
            | E::MalformedResponse { .. }
            | E::Http { .. }
    )
}

/// What recovering a secret whose answer was lost came to.
enum Recovered {
    /// The token existed; a fresh secret was minted (the lost one expired at once) and delivered.
    Delivered,
    /// The token does not exist: the ADD never ran, nothing was lost.
    NotMinted,
    /// Could not tell or could not recover.
    Failed(String),
}

/// Runs the plan's [`Recovery`] of a statement whose answer was lost: its probe, and if that
/// lists the token, its rotation, then delivers the secret that rotation returns.
async fn recover_secret(
    cx: &Context<'_>,
    change: &Change,
    recovery: &Recovery,
    journal: &mut Journal,
    report: &mut Report,
) -> Recovered {
    let exists = match cx
        .client
        .execute_with(&recovery.probe, OnInterrupt::Finish)
        .await
    {
        Ok(rows) => crate::snowflake::rows::tokens(&rows)
            .iter()
            .any(|t| t.name == recovery.token && !t.is_leftover()),
        Err(e) => return Recovered::Failed(format!("cannot check the token: {e}")),
    };
    if !exists {
        return Recovered::NotMinted;
    }
    let mut rows = match cx
        .client
        .execute_with(&recovery.rotate, OnInterrupt::Finish)
        .await
    {
        Ok(rows) => rows,
        Err(e) => return Recovered::Failed(format!("cannot mint a replacement secret: {e}")),
    };
    report.statements_run += 2;
    let handle = rows.statement_handle.take();
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
        statement_handle: handle.as_deref(),
        error_code: None,
        error_message: None,
    };
    let _ = journal.append(&entry);
    let delivery = deliver(cx, &change.address, &secret, None).await;
    match settle(cx, &change.address, delivery, None, journal, report) {
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
fn settle(
    cx: &Context<'_>,
    address: &Address,
    delivery: Delivery,
    pending: Option<&Pending>,
    journal: &mut Journal,
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
        retry: pending.is_some(),
        source: Box::new(first),
    })
}

//! Executing a plan: one statement at a time, in plan order; every new secret delivered before
//! the next statement runs; every statement journaled; stop at the first failure.
//!
//! Statements run with [`OnInterrupt::Finish`]: Ctrl-C never abandons a statement that may have
//! minted a secret. The interrupt is honoured between statements, after any delivery.
//!
//! It decides nothing: it runs the statements of the typed [`Plan`] the diff produced, and a
//! statement's [`Recovery`] only when that statement's answer was lost.

use std::path::Path;

use chrono::Utc;

use super::error::ApplyError;
use super::journal::{Entry, Journal, Outcome};
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
    /// Per address, the sinks each new secret reached.
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
                delivered_to: Vec::new(),
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
            delivered_to: Vec::new(),
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
        let delivered = match secret {
            None => Err(ApplyError::NoSecretReturned {
                address: change.address.clone(),
            }),
            Some(secret) => deliver(cx, change, &secret).await,
        };
        match delivered {
            Ok(Delivery { sinks, warnings }) => {
                entry.delivered_to = sinks.clone();
                journal.append(&entry).map_err(ApplyError::Journal)?;
                report.delivered.push((address.clone(), sinks));
                report.warn(&address, warnings);
            }
            Err(e) => {
                entry.outcome = Outcome::Failed;
                entry.error_message = Some(e.to_string());
                let _ = journal.append(&entry);
                return Err(e);
            }
        }
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
    let delivered = deliver(cx, change, &secret).await;
    let address = change.address.to_string();
    let mut entry = Entry {
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
        delivered_to: Vec::new(),
    };
    match delivered {
        Ok(Delivery { sinks, warnings }) => {
            entry.delivered_to = sinks.clone();
            let _ = journal.append(&entry);
            report.delivered.push((address.clone(), sinks));
            report.warn(&address, warnings);
            Recovered::Delivered
        }
        Err(e) => {
            entry.outcome = Outcome::Failed;
            entry.error_message = Some(e.to_string());
            let _ = journal.append(&entry);
            Recovered::Failed(e.to_string())
        }
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

/// Hands a new secret of the change's token to the sinks the file declares for it.
async fn deliver(
    cx: &Context<'_>,
    change: &Change,
    secret: &Secret,
) -> Result<Delivery, ApplyError> {
    let (user, token) = match &change.address {
        Address::Token(user, token) => (user.as_str(), token.as_str()),
        other => (other.user().map_or("", |u| u.as_str()), ""),
    };
    let sinks = match &change.address {
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
    sinks::deliver_all(&sinks, secret, &secret_cx, Utc::now())
        .await
        .map_err(|e| ApplyError::Delivery {
            address: change.address.clone(),
            source: Box::new(e),
        })
}

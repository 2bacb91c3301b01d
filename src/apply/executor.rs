//! Executing a plan: one statement at a time, in plan order; every new secret delivered before
//! the next statement runs; every statement journaled; stop at the first failure.
//!
//! Statements run with [`OnInterrupt::Finish`]: Ctrl-C never abandons a statement that may have
//! minted a secret. The interrupt is honoured between statements, after any delivery.

use std::path::Path;

use chrono::Utc;

use super::error::ApplyError;
use super::journal::{Entry, Journal};
use crate::model::Identifier;
use crate::model::desired::Config;
use crate::plan::Change;
use crate::plan::wire::WireChange;
use crate::secrets::Secret;
use crate::secrets::sinks::{self, SecretContext};
use crate::snowflake::{Client, Interrupt, OnInterrupt};

/// One change to execute, from a fresh plan or a saved one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub address: String,
    pub action: String,
    pub destructive: bool,
    pub user: Option<String>,
    pub token: Option<String>,
    /// `(sql, returns_secret)` in order.
    pub statements: Vec<(String, bool)>,
}

impl Step {
    pub fn from_change(c: &Change) -> Self {
        let (user, token) = match &c.address {
            crate::plan::Address::Token(u, t) => {
                (Some(u.as_str().to_owned()), Some(t.as_str().to_owned()))
            }
            other => (other.user().map(|u| u.as_str().to_owned()), None),
        };
        Self {
            address: c.address.to_string(),
            action: c.action.as_str().to_owned(),
            destructive: c.is_destructive(),
            user,
            token,
            statements: c
                .statements
                .iter()
                .map(|s| (s.sql.clone(), s.returns_secret))
                .collect(),
        }
    }

    pub fn from_wire(c: &WireChange) -> Self {
        Self {
            address: c.address.clone(),
            action: c.action.clone(),
            destructive: c.destructive,
            user: c.user.clone(),
            token: c.token.clone(),
            statements: c
                .statements
                .iter()
                .map(|s| (s.sql.clone(), s.returns_secret))
                .collect(),
        }
    }
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct Report {
    /// Addresses whose statements all ran.
    pub done: Vec<String>,
    /// Per address, the sinks each new secret reached.
    pub delivered: Vec<(String, Vec<String>)>,
    /// Why it stopped early, if it did.
    pub failure: Option<ApplyError>,
    /// Addresses not started.
    pub not_run: Vec<String>,
    pub statements_run: usize,
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

/// Executes `steps` in order.
pub async fn execute(cx: &Context<'_>, steps: &[Step], journal: &mut Journal) -> Report {
    let mut report = Report::default();
    for (i, step) in steps.iter().enumerate() {
        if cx.interrupt.is_raised() {
            report.failure = Some(ApplyError::Interrupted {
                address: step.address.clone(),
            });
            report.not_run = steps[i..].iter().map(|s| s.address.clone()).collect();
            journal_not_run(journal, cx, &steps[i..]);
            return report;
        }
        match run_step(cx, step, journal, &mut report).await {
            Ok(()) => report.done.push(step.address.clone()),
            Err(e) => {
                report.failure = Some(e);
                report.not_run = steps[i + 1..].iter().map(|s| s.address.clone()).collect();
                journal_not_run(journal, cx, &steps[i + 1..]);
                return report;
            }
        }
    }
    report
}

fn journal_not_run(journal: &mut Journal, cx: &Context<'_>, steps: &[Step]) {
    for step in steps {
        for (index, (sql, _)) in step.statements.iter().enumerate() {
            let _ = journal.append(&Entry {
                time: Utc::now(),
                run_id: cx.run_id,
                address: &step.address,
                action: &step.action,
                statement_index: index,
                sql,
                outcome: "not_run",
                statement_handle: None,
                error_code: None,
                error_message: None,
                delivered_to: Vec::new(),
            });
        }
    }
}

async fn run_step(
    cx: &Context<'_>,
    step: &Step,
    journal: &mut Journal,
    report: &mut Report,
) -> Result<(), ApplyError> {
    for (index, (sql, returns_secret)) in step.statements.iter().enumerate() {
        let result = cx.client.execute_with(sql, OnInterrupt::Finish).await;
        report.statements_run += 1;
        let mut entry = Entry {
            time: Utc::now(),
            run_id: cx.run_id,
            address: &step.address,
            action: &step.action,
            statement_index: index,
            sql,
            outcome: "ok",
            statement_handle: None,
            error_code: None,
            error_message: None,
            delivered_to: Vec::new(),
        };
        let mut rows = match result {
            Ok(rows) => rows,
            Err(e) if *returns_secret && outcome_unknown(&e) => {
                // The statement may have run and minted a secret whose answer never arrived.
                entry.outcome = "unknown";
                entry.error_message = Some(e.to_string());
                journal.append(&entry).map_err(ApplyError::Journal)?;
                match recover_secret(cx, step, journal, report).await {
                    Recovery::Delivered => continue,
                    Recovery::NotMinted => {
                        return Err(ApplyError::StatementFailed {
                            address: step.address.clone(),
                            statement_index: index,
                            sql: sql.clone(),
                            source: Box::new(e),
                        });
                    }
                    Recovery::Failed(why) => {
                        return Err(ApplyError::SecretUnknown {
                            address: step.address.clone(),
                            detail: why,
                        });
                    }
                }
            }
            Err(e) => {
                entry.outcome = "failed";
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
                    address: step.address.clone(),
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
                address: step.address.clone(),
            }),
            Some(secret) => deliver(cx, step, &secret).await,
        };
        match delivered {
            Ok(sinks) => {
                entry.delivered_to = sinks.clone();
                journal.append(&entry).map_err(ApplyError::Journal)?;
                report.delivered.push((step.address.clone(), sinks));
            }
            Err(e) => {
                entry.outcome = "failed";
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
enum Recovery {
    /// The token existed; a fresh secret was minted (the lost one expired at once) and delivered.
    Delivered,
    /// The token does not exist: the ADD never ran, nothing was lost.
    NotMinted,
    /// Could not tell or could not recover.
    Failed(String),
}

/// After an ADD or ROTATE whose answer was lost: if the token exists, rotate it again with
/// `EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0`, so the secret nobody received dies at once and a new
/// one is delivered. Without this, the token would look in order to the next plan while its
/// consumer never got its secret.
async fn recover_secret(
    cx: &Context<'_>,
    step: &Step,
    journal: &mut Journal,
    report: &mut Report,
) -> Recovery {
    let (Some(user), Some(token)) = (step.user.as_deref(), step.token.as_deref()) else {
        return Recovery::Failed("the change names no token".into());
    };
    let (Ok(user_id), Ok(token_id)) = (
        Identifier::from_stored(user),
        Identifier::from_stored(token),
    ) else {
        return Recovery::Failed("invalid token name".into());
    };
    let show = crate::sql::reads::show_tokens(&user_id);
    let exists = match cx.client.execute_with(&show, OnInterrupt::Finish).await {
        Ok(rows) => crate::snowflake::rows::tokens(&rows)
            .iter()
            .any(|t| t.name == token_id && !t.is_leftover()),
        Err(e) => return Recovery::Failed(format!("cannot check the token: {e}")),
    };
    if !exists {
        return Recovery::NotMinted;
    }
    let rotate = crate::sql::statements::rotate_token(&user_id, &token_id, 0);
    let mut rows = match cx.client.execute_with(&rotate, OnInterrupt::Finish).await {
        Ok(rows) => rows,
        Err(e) => return Recovery::Failed(format!("cannot mint a replacement secret: {e}")),
    };
    report.statements_run += 2;
    let handle = rows.statement_handle.take();
    let secret = crate::snowflake::rows::token_secret(&rows);
    wipe(&mut rows);
    let Some(secret) = secret else {
        return Recovery::Failed("Snowflake returned no token secret".into());
    };
    let delivered = deliver(cx, step, &secret).await;
    let mut entry = Entry {
        time: Utc::now(),
        run_id: cx.run_id,
        address: &step.address,
        action: "rotate",
        statement_index: step.statements.len(),
        sql: &rotate,
        outcome: "ok",
        statement_handle: handle.as_deref(),
        error_code: None,
        error_message: None,
        delivered_to: Vec::new(),
    };
    match delivered {
        Ok(sinks) => {
            entry.delivered_to = sinks.clone();
            let _ = journal.append(&entry);
            report.delivered.push((step.address.clone(), sinks));
            Recovery::Delivered
        }
        Err(e) => {
            entry.outcome = "failed";
            entry.error_message = Some(e.to_string());
            let _ = journal.append(&entry);
            Recovery::Failed(e.to_string())
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

async fn deliver(
    cx: &Context<'_>,
    step: &Step,
    secret: &Secret,
) -> Result<Vec<String>, ApplyError> {
    let user = step.user.as_deref().unwrap_or_default();
    let token = step.token.as_deref().unwrap_or_default();
    let sinks = Identifier::from_stored(user)
        .ok()
        .and_then(|u| cx.config.users.get(&u))
        .and_then(|u| {
            Identifier::from_stored(token)
                .ok()
                .and_then(|t| u.tokens.get(&t))
        })
        .map(|t| t.deliver.clone())
        .unwrap_or_default();
    let secret_cx = SecretContext {
        user,
        token,
        account: cx.account,
        base: cx.base,
    };
    sinks::deliver_all(&sinks, secret, &secret_cx, Utc::now())
        .await
        .map_err(|e| ApplyError::Delivery {
            address: step.address.clone(),
            source: Box::new(e),
        })
}

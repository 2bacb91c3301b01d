//! Errors of apply: which change and statement failed, and why; and why a saved plan was
//! refused before anything ran.

use std::path::PathBuf;

use super::pending::PendingError;
use crate::plan::Address;
use crate::secrets::sinks::SinkError;
use crate::snowflake::ClientError;

/// Why apply stopped, at which change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Snowflake refused or could not run a statement.
    #[error("{address}: statement {statement_index} failed")]
    StatementFailed {
        address: Address,
        statement_index: usize,
        sql: String,
        #[source]
        source: Box<ClientError>,
    },
    /// An ADD or ROTATE succeeded but the result held no secret.
    #[error("{address}: Snowflake returned no token secret")]
    NoSecretReturned { address: Address },
    /// Some sinks failed (every sink was tried); the secret went to the rescue file if it
    /// could and stays pending. `source` is the first failure; its `rescue` names the file.
    #[error("{address}: the {} secret did not reach {}", if *retry { "pending" } else { "new" }, failed_sinks.join("; "))]
    Delivery {
        address: Address,
        /// Every sink that failed, as the plan names them.
        failed_sinks: Vec<String>,
        /// True for a retry of a pending delivery, before anything else ran.
        retry: bool,
        #[source]
        source: Box<SinkError>,
    },
    /// A pending delivery's rescue file cannot be read (it was deleted, perhaps).
    #[error("{address}: cannot read the rescue file `{}` of its pending secret", rescue.display())]
    RescueUnreadable {
        address: Address,
        rescue: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A pending-delivery record could not be read, written or removed.
    #[error(transparent)]
    Pending(Box<PendingError>),
    /// A statement that mints a secret may have run, its answer was lost, and recovering a
    /// fresh secret failed too.
    #[error("{address}: the token may hold a secret nobody received ({detail})")]
    SecretUnknown { address: Address, detail: String },
    /// Before anything ran: a sink of a token the plan mints for, or the rescue folder, could
    /// not take the secret (`secrets::preflight`). Nothing was minted.
    #[error("refusing to mint a secret for {address}: nothing was changed")]
    SinkPreflight {
        address: Address,
        #[source]
        source: Box<crate::secrets::preflight::PreflightError>,
    },
    /// Ctrl-C or SIGTERM: stopped between statements.
    #[error("interrupted before {address}")]
    Interrupted { address: Address },
    /// Ctrl-C or SIGTERM during the last change, which finished (its secret delivered).
    #[error("interrupted during the last change, which finished")]
    InterruptedAfterLast,
    /// The journal could not be written; apply stops rather than run unrecorded.
    #[error("cannot write the journal")]
    Journal(#[source] std::io::Error),
    /// The journal could not be read for the intents an interrupted apply left open.
    #[error(transparent)]
    JournalRead(super::journal::JournalReadError),
}

impl ApplyError {
    /// What to do about it, most specific first.
    pub fn hints(&self) -> Vec<String> {
        let mut hints = Vec::new();
        match self {
            ApplyError::StatementFailed { source, .. } => {
                hints.extend(source.hint().map(str::to_owned));
            }
            ApplyError::SecretUnknown { address, .. } => hints.push(format!(
                "{address} may hold a secret that never reached its consumer: rotate it by hand with EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0 and deliver the new one, or remove it and apply again"
            )),
            ApplyError::Delivery {
                address, source, ..
            } => hints.extend(match &source.rescue {
                Some(path) => [
                    format!(
                        "the secret waits in {} (mode 0600); fix the sink and run `pat-reconcile apply` again: it delivers the secret from there first, then deletes the file",
                        path.display()
                    ),
                    rescue_gone(address),
                ],
                None => [
                    "the new secret could not be saved anywhere".into(),
                    rescue_gone(address),
                ],
            }),
            ApplyError::RescueUnreadable { address, .. } => hints.push(rescue_gone(address)),
            ApplyError::SinkPreflight { source, .. } => hints.push(format!(
                "fix `{}` (or the `.pat-reconcile` folder beside pats.yaml) and apply again: a secret is minted only when every sink and the rescue folder can take it",
                source.sink()
            )),
            ApplyError::Pending(_) => hints.push(
                "check `.pat-reconcile/pending/` beside pats.yaml: each record there names a rescue file and its token".into(),
            ),
            ApplyError::Journal(_) | ApplyError::JournalRead(_) => {
                hints.push("check that the journal and its directory are readable and writable, and have room".into());
            }
            ApplyError::NoSecretReturned { .. }
            | ApplyError::Interrupted { .. }
            | ApplyError::InterruptedAfterLast => {}
        }
        hints.push("run `pat-reconcile plan` to see what is left; apply again to converge".into());
        hints
    }
}

/// What to do when a pending secret's rescue file is gone (or the secret leaked): mint a new one.
fn rescue_gone(address: &Address) -> String {
    format!(
        "if the rescue file is gone, mint a new secret and revoke the lost one: `pat-reconcile apply --replace {address} --revoke-old`"
    )
}

/// Why a saved plan (`apply PLAN_FILE`) was refused before anything ran.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SavedPlanError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a saved plan", path.display())]
    NotAPlan {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("`{}` has plan format version {found}; this pat-reconcile applies version {supported}", path.display())]
    FormatVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// The plan was made on another account than the one this apply reads.
    #[error(
        "the saved plan was made on account `{}`, but this is account `{}`; nothing was changed",
        shown(saved),
        shown(current)
    )]
    OtherAccount {
        /// The account the file records (`None`: it does not say).
        saved: Option<String>,
        /// The account the live state was read from (`None`: unknown).
        current: Option<String>,
    },
    /// The plan had preflight errors (when saved, or when planned again).
    #[error("the plan has {errors} preflight error(s); nothing was changed")]
    Preflight { errors: usize },
    /// `pats.yaml` or a live object the plan read changed since it was saved.
    #[error("the saved plan is stale: {} changed since it was made", moved.join(", "))]
    Stale { moved: Vec<String> },
    /// Planned again from the same file and account at the saved instant, the changes differ
    /// from the file's: the file was edited after it was saved.
    #[error(
        "the saved plan does not match its own inputs at `{address}`: {difference}; nothing was changed"
    )]
    Differs {
        /// The first change that differs.
        address: String,
        difference: Difference,
    },
}

impl SavedPlanError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            SavedPlanError::NotAPlan { .. } => {
                Some("save one with `pat-reconcile plan --out FILE`")
            }
            SavedPlanError::FormatVersion { .. } => Some("plan again with this version"),
            SavedPlanError::OtherAccount { .. } => Some(
                "check the connection (`--connection`, `SNOWFLAKE_ACCOUNT`), or plan again on this account with `pat-reconcile plan --out FILE`",
            ),
            SavedPlanError::Stale { .. } | SavedPlanError::Differs { .. } => Some(
                "run `pat-reconcile plan --out FILE` again and review the new plan; a saved plan is applied only as it was planned",
            ),
            SavedPlanError::Read { .. } | SavedPlanError::Preflight { .. } => None,
        }
    }
}

/// An account name for a message, `unknown` when not known.
fn shown(account: &Option<String>) -> &str {
    account.as_deref().unwrap_or("unknown")
}

/// How a saved change differs from the one planned again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Difference {
    #[error("the saved plan lacks this change")]
    Missing,
    #[error("the saved plan has this change, the plan does not")]
    Unexpected,
    #[error("the saved plan has `{saved}` in its place")]
    Address { saved: String },
    #[error("the saved action is `{saved}`, the plan's `{planned}`")]
    Action { saved: String, planned: String },
    #[error("the saved plan marks it destructive = {saved}, the plan destructive = {planned}")]
    Destructive { saved: bool, planned: bool },
    #[error("the saved plan marks it mints_secret = {saved}, the plan mints_secret = {planned}")]
    MintsSecret { saved: bool, planned: bool },
    #[error("the saved plan has {saved} statement(s), the plan {planned}")]
    StatementCount { saved: usize, planned: usize },
    #[error("statement {index} differs: saved `{saved}`, planned `{planned}`")]
    Sql {
        index: usize,
        saved: String,
        planned: String,
    },
    #[error("statement {index} returns_secret = {saved} in the saved plan, {planned} in the plan")]
    ReturnsSecret {
        index: usize,
        saved: bool,
        planned: bool,
    },
    #[error("the recovery of statement {index} differs")]
    Recovery { index: usize },
}

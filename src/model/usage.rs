//! When each token was last used, as `SNOWFLAKE.ACCOUNT_USAGE` reports it (reference
//! `snowflake-sql.md` §7): `CREDENTIALS.LAST_USED_ON` and the successful PAT logins of
//! `LOGIN_HISTORY` (`FIRST_AUTHENTICATION_FACTOR = 'PROGRAMMATIC_ACCESS_TOKEN'`, joined on
//! `FIRST_AUTHENTICATION_FACTOR_ID = CREDENTIAL_ID`).
//!
//! Both views lag the account by up to two hours and need a warehouse, so last use is either
//! known as of a read ([`LastUse::Known`]) or unavailable with the reason ([`LastUse::Unavailable`]);
//! it is never guessed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::Identifier;

/// The documented latency of both views: "might be up to two hours" (CREDENTIALS) and "up to
/// 120 minutes" (LOGIN_HISTORY).
pub const VIEW_LATENCY_HOURS: i64 = 2;

/// Last use of a token, as the views hold it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenUsage {
    /// `CREDENTIALS.CREDENTIAL_ID`.
    pub credential_id: Option<String>,
    /// `CREDENTIALS.CREATED_ON`: tells this token from an earlier one of the same name.
    pub created_on: Option<DateTime<Utc>>,
    /// `CREDENTIALS.LAST_USED_ON` (`None`: never used, as far as the view knows).
    pub last_used_on: Option<DateTime<Utc>>,
    /// Successful PAT logins with this credential in `LOGIN_HISTORY` (365 days' retention).
    pub logins: u64,
    /// The latest of those logins.
    pub last_login: Option<DateTime<Utc>>,
}

impl TokenUsage {
    /// The latest use either view shows.
    pub fn last_use(&self) -> Option<DateTime<Utc>> {
        self.last_used_on.max(self.last_login)
    }
}

/// What the views hold, by user and token name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsageView {
    pub tokens: BTreeMap<(Identifier, Identifier), TokenUsage>,
    /// `LOGIN_HISTORY` could not be read (its rows are then not counted); CREDENTIALS was.
    pub logins_unavailable: bool,
}

/// Last use for a report: known from the views, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastUse {
    Known(UsageView),
    Unavailable(UsageUnavailable),
}

/// Why last use is not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageUnavailable {
    /// The session has no warehouse: a query on an ACCOUNT_USAGE view runs on one.
    NoWarehouse,
    /// The source is a snapshot file, which records no usage.
    Snapshot,
    /// Snowflake refused the query (a role without access to the SNOWFLAKE database's views,
    /// or a warehouse it may not use): the code and message.
    Refused {
        code: Option<String>,
        message: String,
    },
}

impl UsageUnavailable {
    /// One line for people: why, and what to do.
    pub fn explain(&self) -> String {
        match self {
            UsageUnavailable::NoWarehouse => "last use needs a warehouse: it is read from SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS and LOGIN_HISTORY, views that are queried on a warehouse (pass --warehouse or set one in the connection)".to_owned(),
            UsageUnavailable::Snapshot => "last use is not in a live-state snapshot: read the account to see it".to_owned(),
            UsageUnavailable::Refused { code, message } => format!(
                "last use could not be read from SNOWFLAKE.ACCOUNT_USAGE ({}{message}): the role needs IMPORTED PRIVILEGES on the SNOWFLAKE database (or the SNOWFLAKE database role that grants these views) and USAGE on the warehouse",
                code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default()
            ),
        }
    }
}

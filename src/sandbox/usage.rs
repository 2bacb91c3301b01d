//! What the account remembers for SNOWFLAKE.ACCOUNT_USAGE (reference `snowflake-sql.md` §7):
//! the credential ids it hands out, every PAT authentication (the rows of LOGIN_HISTORY) and the
//! tokens that were removed (so that CREDENTIALS can keep listing them until the view's latency
//! has passed, as a view that lags the account does). Plain data, persisted with the account;
//! the views themselves are built in `executor/account_usage.rs`.
//!
//! Choices where the docs are silent:
//! - Every SQL API request authenticates on its own (there is no session to reuse), so every
//!   request that presents a PAT (submit, poll, partition fetch, cancel) is one login event.
//! - A failed PAT authentication is recorded when the secret identifies a token (and so its
//!   user): expired, disabled, refused by a policy or a network rule. An unknown secret
//!   identifies nobody and is not recorded.
//! - CREDENTIAL_ID is stable per token: it stays with the token's name through ROTATE (the
//!   rotation leftover, a new row in SHOW, gets a new id) and through renames.
//! - A removed token, a dropped user's tokens and an expired token purged from SHOW (7 days after
//!   expiry) are "deleted credentials".

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::sandbox::account::Token;
use crate::sandbox::name::Name;

/// LOGIN_HISTORY keeps 365 days.
pub const LOGIN_HISTORY_RETENTION_DAYS: i64 = 365;
/// Login events kept at most (the oldest go first), so a busy sandbox stays bounded.
pub const MAX_LOGIN_EVENTS: usize = 100_000;
/// Removed credentials remembered at most (the oldest go first).
pub const MAX_REMOVED_CREDENTIALS: usize = 10_000;

/// One PAT authentication: a row of LOGIN_HISTORY.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginEvent {
    pub event_id: u64,
    /// Sandbox time of the authentication.
    pub timestamp: DateTime<Utc>,
    pub user: Name,
    pub client_ip: String,
    /// The token's CREDENTIAL_ID.
    pub credential_id: u64,
    pub success: bool,
    /// Snowflake's code of a refusal (`394400`, `390422`, …).
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A token that was deleted, with its user at the time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemovedCredential {
    pub user: Name,
    pub token: Token,
    pub removed_on: DateTime<Utc>,
}

/// The account's usage records.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountUsage {
    /// The last CREDENTIAL_ID handed out (ids start at 1).
    pub last_credential_id: u64,
    /// The last EVENT_ID handed out.
    pub last_event_id: u64,
    pub logins: Vec<LoginEvent>,
    pub removed: Vec<RemovedCredential>,
}

impl AccountUsage {
    /// A fresh CREDENTIAL_ID.
    pub fn next_credential_id(&mut self) -> u64 {
        self.last_credential_id += 1;
        self.last_credential_id
    }

    /// Records a PAT authentication; events past the retention period or the cap are dropped.
    pub fn record_login(&mut self, mut event: LoginEvent) {
        self.last_event_id += 1;
        event.event_id = self.last_event_id;
        let oldest = event.timestamp - Duration::days(LOGIN_HISTORY_RETENTION_DAYS);
        self.logins.push(event);
        self.logins.retain(|event| event.timestamp >= oldest);
        if self.logins.len() > MAX_LOGIN_EVENTS {
            let excess = self.logins.len() - MAX_LOGIN_EVENTS;
            self.logins.drain(..excess);
        }
    }

    /// Remembers that `token` of `user` was deleted at `now`.
    pub fn record_removal(&mut self, user: &Name, token: Token, now: DateTime<Utc>) {
        self.removed.push(RemovedCredential {
            user: user.clone(),
            token,
            removed_on: now,
        });
        if self.removed.len() > MAX_REMOVED_CREDENTIALS {
            let excess = self.removed.len() - MAX_REMOVED_CREDENTIALS;
            self.removed.drain(..excess);
        }
    }

    /// The latest successful authentication with `credential_id` at or before `horizon`.
    pub fn last_used(&self, credential_id: u64, horizon: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.logins
            .iter()
            .filter(|event| {
                event.success && event.credential_id == credential_id && event.timestamp <= horizon
            })
            .map(|event| event.timestamp)
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(timestamp: DateTime<Utc>, success: bool) -> LoginEvent {
        LoginEvent {
            event_id: 0,
            timestamp,
            user: Name::new("U"),
            client_ip: "127.0.0.1".to_owned(),
            credential_id: 7,
            success,
            error_code: None,
            error_message: None,
        }
    }

    #[test]
    fn last_use_is_the_latest_success_before_the_horizon() {
        let now = Utc::now();
        let mut usage = AccountUsage::default();
        usage.record_login(event(now - Duration::hours(3), true));
        usage.record_login(event(now - Duration::hours(2), false));
        usage.record_login(event(now, true));
        assert_eq!(
            usage.last_used(7, now - Duration::hours(1)),
            Some(now - Duration::hours(3))
        );
        assert_eq!(usage.last_used(7, now), Some(now));
        assert_eq!(usage.last_used(8, now), None);
        let ids: Vec<u64> = usage.logins.iter().map(|event| event.event_id).collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn old_events_are_dropped() {
        let now = Utc::now();
        let mut usage = AccountUsage::default();
        usage.record_login(event(now - Duration::days(400), true));
        usage.record_login(event(now, true));
        assert_eq!(usage.logins.len(), 1);
    }
}

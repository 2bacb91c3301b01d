//! Last use of every PAT, from `SNOWFLAKE.ACCOUNT_USAGE` (reference `snowflake-sql.md` §7):
//! `CREDENTIALS` gives each token's `CREDENTIAL_ID` and `LAST_USED_ON`, `LOGIN_HISTORY` the
//! successful PAT logins per credential. Two statements for the whole account, on the session's
//! warehouse; without one nothing is sent and last use is [`UsageUnavailable::NoWarehouse`].
//!
//! A refused `CREDENTIALS` query makes last use unavailable, with Snowflake's code; a refused
//! `LOGIN_HISTORY` query keeps `LAST_USED_ON` and marks the login counts unavailable.

use std::collections::BTreeMap;

use super::client::Client;
use super::pool::Pool;
use super::result::{ResultSet, parse_timestamp};
use crate::model::Identifier;
use crate::model::usage::{LastUse, TokenUsage, UsageUnavailable, UsageView};
use crate::sql::reads;

/// Reads last use for every PAT in the account, through `pool`.
pub async fn read(client: &Client, pool: &Pool) -> LastUse {
    if !client.has_warehouse() {
        return LastUse::Unavailable(UsageUnavailable::NoWarehouse);
    }
    let (credentials, logins) = tokio::join!(
        pool.one(reads::token_credentials()),
        pool.one(reads::token_logins())
    );
    let credentials = match credentials.1 {
        Ok(rows) => rows,
        Err(error) => {
            return LastUse::Unavailable(UsageUnavailable::Refused {
                code: error.code().map(str::to_owned),
                message: error.to_string(),
            });
        }
    };
    let mut view = usage_view(&credentials);
    match logins.1 {
        Ok(rows) => add_logins(&mut view, &rows),
        Err(error) => {
            tracing::warn!(%error, "LOGIN_HISTORY could not be read; login counts unavailable");
            view.logins_unavailable = true;
        }
    }
    LastUse::Known(view)
}

/// The CREDENTIALS rows, by user and token. When the view holds two tokens of one name (a token
/// dropped and re-added inside the view's latency), the newer one is kept.
fn usage_view(rows: &ResultSet) -> UsageView {
    let mut tokens: BTreeMap<(Identifier, Identifier), TokenUsage> = BTreeMap::new();
    for row in rows.rows() {
        let (Some(user), Some(name)) = (
            row.text("USER_NAME")
                .and_then(|s| Identifier::from_stored(s).ok()),
            row.text("NAME")
                .and_then(|s| Identifier::from_stored(s).ok()),
        ) else {
            continue;
        };
        let usage = TokenUsage {
            credential_id: row.text("CREDENTIAL_ID").map(str::to_owned),
            created_on: row.text("CREATED_ON").and_then(parse_timestamp),
            last_used_on: row.text("LAST_USED_ON").and_then(parse_timestamp),
            logins: 0,
            last_login: None,
        };
        let key = (user, name);
        let newer = tokens
            .get(&key)
            .is_none_or(|kept| usage.created_on > kept.created_on);
        if newer {
            tokens.insert(key, usage);
        }
    }
    UsageView {
        tokens,
        logins_unavailable: false,
    }
}

/// Adds the LOGIN_HISTORY counts to the credentials they name.
fn add_logins(view: &mut UsageView, rows: &ResultSet) {
    let mut by_id: BTreeMap<&str, (u64, Option<chrono::DateTime<chrono::Utc>>)> = BTreeMap::new();
    for row in rows.rows() {
        let Some(id) = row.text("FIRST_AUTHENTICATION_FACTOR_ID") else {
            continue;
        };
        let count = row
            .text("LOGINS")
            .and_then(|c| c.split('.').next()?.parse().ok())
            .unwrap_or(0);
        by_id.insert(
            id,
            (count, row.text("LAST_LOGIN").and_then(parse_timestamp)),
        );
    }
    for usage in view.tokens.values_mut() {
        if let Some((count, last)) = usage.credential_id.as_deref().and_then(|id| by_id.get(id)) {
            usage.logins = *count;
            usage.last_login = *last;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(columns: &[&str], rows: &[&[Option<&str>]]) -> ResultSet {
        ResultSet::literal(columns, rows)
    }

    #[test]
    fn credentials_and_logins_join_on_the_credential_id() {
        let credentials = set(
            &[
                "CREDENTIAL_ID",
                "USER_NAME",
                "NAME",
                "STATUS",
                "CREATED_ON",
                "LAST_USED_ON",
                "EXPIRATION_DATE",
            ],
            &[
                &[
                    Some("7"),
                    Some("THERMAL"),
                    Some("THERMAL_PAT"),
                    Some("ACTIVE"),
                    Some("1780000000.000"),
                    Some("1780003600.000"),
                    Some("1790000000.000"),
                ],
                &[
                    Some("9"),
                    Some("svc lower"),
                    Some("idle"),
                    Some("ACTIVE"),
                    Some("1780000000.000"),
                    None,
                    Some("1790000000.000"),
                ],
            ],
        );
        let logins = set(
            &["FIRST_AUTHENTICATION_FACTOR_ID", "LOGINS", "LAST_LOGIN"],
            &[&[Some("7"), Some("12"), Some("1780007200.000")]],
        );
        let mut view = usage_view(&credentials);
        add_logins(&mut view, &logins);
        let thermal = &view.tokens[&(
            Identifier::from_stored("THERMAL").unwrap(),
            Identifier::from_stored("THERMAL_PAT").unwrap(),
        )];
        assert_eq!(thermal.logins, 12);
        assert_eq!(
            thermal.last_use().map(|t| t.timestamp()),
            Some(1_780_007_200)
        );
        let idle = &view.tokens[&(
            Identifier::from_stored("svc lower").unwrap(),
            Identifier::from_stored("idle").unwrap(),
        )];
        assert_eq!((idle.logins, idle.last_use()), (0, None));
    }

    #[test]
    fn of_two_tokens_with_one_name_the_newer_is_kept() {
        let credentials = set(
            &[
                "CREDENTIAL_ID",
                "USER_NAME",
                "NAME",
                "CREATED_ON",
                "LAST_USED_ON",
            ],
            &[
                &[Some("2"), Some("U"), Some("T"), Some("200.0"), None],
                &[
                    Some("1"),
                    Some("U"),
                    Some("T"),
                    Some("100.0"),
                    Some("150.0"),
                ],
            ],
        );
        let view = usage_view(&credentials);
        assert_eq!(view.tokens.len(), 1);
        let kept = view.tokens.values().next().unwrap();
        assert_eq!(kept.credential_id.as_deref(), Some("2"));
        assert_eq!(kept.last_used_on, None);
    }
}

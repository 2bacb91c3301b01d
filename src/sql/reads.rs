//! The read statements of the live reader (reference `snowflake-sql.md` §2.5, §3–5).

use super::quote::{ident, literal, object, quote_ident};
use crate::model::{Identifier, ObjectName};

/// Who the session is, from where, and the account's clock. Context functions need no
/// warehouse (reference Corrections 1).
pub fn current_session() -> String {
    "SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_ACCOUNT(), CURRENT_TIMESTAMP(), CURRENT_IP_ADDRESS()"
        .to_owned()
}

/// The most rows one `SHOW USERS` returns (reference Corrections 13).
pub const SHOW_USERS_PAGE: usize = 10_000;

/// One page of every user's properties: the first, or the one after the user named `from`
/// (`FROM` is a case-sensitive cursor on the stored name).
pub fn show_users(from: Option<&str>) -> String {
    match from {
        None => format!("SHOW USERS LIMIT {SHOW_USERS_PAGE}"),
        Some(name) => format!("SHOW USERS LIMIT {SHOW_USERS_PAGE} FROM {}", literal(name)),
    }
}

/// Who holds a role (`granted_to`, `grantee_name`).
pub fn show_grants_of_role(role: &Identifier) -> String {
    format!("SHOW GRANTS OF ROLE {}", ident(role))
}

pub fn show_network_policies() -> String {
    "SHOW NETWORK POLICIES".to_owned()
}

pub fn describe_network_policy(name: &Identifier) -> String {
    format!("DESC NETWORK POLICY {}", ident(name))
}

pub fn show_network_rules() -> String {
    "SHOW NETWORK RULES IN ACCOUNT".to_owned()
}

pub fn describe_network_rule(name: &ObjectName) -> String {
    format!("DESC NETWORK RULE {}", object(name))
}

pub fn show_authentication_policies() -> String {
    "SHOW AUTHENTICATION POLICIES IN ACCOUNT".to_owned()
}

pub fn describe_authentication_policy(name: &ObjectName) -> String {
    format!("DESC AUTHENTICATION POLICY {}", object(name))
}

/// The authentication policies set on the account, with their scopes in `options`.
pub fn show_authentication_policies_on_account() -> String {
    "SHOW AUTHENTICATION POLICIES ON ACCOUNT".to_owned()
}

/// The authentication policy in force for a user (`set_on` says whether the user's own).
pub fn show_authentication_policies_on_user(user: &Identifier) -> String {
    format!("SHOW AUTHENTICATION POLICIES ON USER {}", ident(user))
}

/// The account-level network policy.
pub fn show_account_network_policy() -> String {
    "SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN ACCOUNT".to_owned()
}

/// A user's network policy.
pub fn show_user_network_policy(user: &Identifier) -> String {
    format!(
        "SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER {}",
        ident(user)
    )
}

/// Where a network policy is attached. Needs a warehouse (reference Corrections 1). Case-sensitive names are double-quoted inside the
/// string literal, as `POLICY_REFERENCES` requires.
pub fn network_policy_references(name: &Identifier) -> String {
    format!(
        "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => {}, POLICY_KIND => 'NETWORK_POLICY'))",
        literal(&quote_ident(name.as_str()))
    )
}

/// Where an authentication policy is attached. Needs a warehouse.
pub fn authentication_policy_references(name: &ObjectName) -> String {
    format!(
        "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => {}))",
        literal(&object(name))
    )
}

/// A user's tokens, rotation leftovers included.
pub fn show_tokens(user: &Identifier) -> String {
    format!(
        "SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER {}",
        ident(user)
    )
}

/// Every PAT the account's `ACCOUNT_USAGE.CREDENTIALS` view holds, with its last use (reference
/// §7.1). Runs on a warehouse; the view lags by up to two hours and excludes deleted tokens.
pub fn token_credentials() -> String {
    "SELECT CREDENTIAL_ID, USER_NAME, NAME, STATUS, CREATED_ON, LAST_USED_ON, EXPIRATION_DATE \
     FROM SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS WHERE TYPE = 'PAT'"
        .to_owned()
}

/// Successful PAT logins per credential in `ACCOUNT_USAGE.LOGIN_HISTORY` (reference §7.2): one
/// row per credential, with the count and the latest login. Runs on a warehouse.
pub fn token_logins() -> String {
    "SELECT FIRST_AUTHENTICATION_FACTOR_ID, COUNT(*) AS LOGINS, MAX(EVENT_TIMESTAMP) AS LAST_LOGIN \
     FROM SNOWFLAKE.ACCOUNT_USAGE.LOGIN_HISTORY \
     WHERE FIRST_AUTHENTICATION_FACTOR = 'PROGRAMMATIC_ACCESS_TOKEN' AND IS_SUCCESS = 'YES' \
     GROUP BY FIRST_AUTHENTICATION_FACTOR_ID"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quote_names() {
        let u = Identifier::parse("\"mixed\"").unwrap();
        assert_eq!(
            show_tokens(&u),
            "SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER \"mixed\""
        );
        assert_eq!(
            network_policy_references(&Identifier::parse("p").unwrap()),
            "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => '\"P\"', POLICY_KIND => 'NETWORK_POLICY'))"
        );
        assert_eq!(
            authentication_policy_references(&ObjectName::parse("d.s.p").unwrap()),
            "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => '\"D\".\"S\".\"P\"'))"
        );
        assert_eq!(show_users(None), "SHOW USERS LIMIT 10000");
        assert_eq!(
            show_users(Some("it's")),
            "SHOW USERS LIMIT 10000 FROM 'it''s'"
        );
        assert_eq!(
            show_user_network_policy(&u),
            "SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER \"mixed\""
        );
    }
}

//! Executing parsed statements against the account: one file per family of objects, each
//! enforcing Snowflake's rules for it, plus the session and the sandbox's privilege model here.
//!
//! Privilege model (deliberately minimal): a session whose role is, or inherits, ACCOUNTADMIN or
//! SECURITYADMIN may do everything. Any other role gets 003001 on DDL and user management, with
//! Snowflake's self-service exceptions: anyone may run `SELECT CURRENT_…()`, SHOW USERS (columns
//! other than `name` are NULL), DESC / SHOW GRANTS / SHOW PARAMETERS for their own user, SHOW of
//! policies and rules (they see none), and a PERSON user may manage and list their own tokens.
//!
//! Execution is synchronous and does no I/O: the engine holds the account lock around it.

mod account_level;
mod auth_policies;
mod grants;
mod network;
mod queries;
mod tokens;
mod users;

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::sandbox::account::{ACCOUNTADMIN, Account, SECURITYADMIN, User};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::{Name, QualifiedName};
use crate::sandbox::result_set::ResultSet;
use crate::sandbox::sql::Statement;
use crate::sandbox::sql::ast::ObjectName;

pub use network::address_allowed;
pub use tokens::{hash_secret, looks_like_token_secret};

type Result<T> = std::result::Result<T, StatementError>;

/// How a session authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// The sandbox's admin bearer token (`--admin-token`).
    AdminToken,
    /// A programmatic access token of the session's user.
    ProgrammaticAccessToken { token: Name },
    /// A key-pair JWT.
    KeyPair,
}

/// Who runs a statement, and in which context.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: Name,
    pub role: Name,
    pub method: AuthMethod,
    pub client_address: IpAddr,
    /// The request's `database` field (case-sensitive, used as given).
    pub database: Option<Name>,
    /// The request's `schema` field.
    pub schema: Option<Name>,
}

/// What a statement runs against.
pub struct Context<'a> {
    pub account: &'a mut Account,
    pub session: &'a Session,
    pub now: DateTime<Utc>,
}

/// Executes one statement.
pub fn execute(statement: &Statement, context: &mut Context<'_>) -> Result<ResultSet> {
    use Statement as S;
    match statement {
        S::CreateUser(create) => users::create(context, create),
        S::AlterUser(alter) => users::alter(context, alter),
        S::DropUser { if_exists, name } => users::drop(context, *if_exists, name),
        S::DescribeUser(name) => users::describe(context, name),
        S::ShowUsers { terse, filter } => users::show(context, *terse, filter),
        S::CreateRole {
            mode,
            name,
            comment,
        } => grants::create_role(context, *mode, name, comment.as_deref()),
        S::DropRole { if_exists, name } => grants::drop_role(context, *if_exists, name),
        S::ShowRoles(filter) => grants::show_roles(context, filter),
        S::GrantRole { role, grantee } => grants::grant(context, role, grantee),
        S::RevokeRole { role, grantee } => grants::revoke(context, role, grantee),
        S::ShowGrantsToUser(user) => grants::show_to_user(context, user),
        S::ShowGrantsOfRole(role) => grants::show_of_role(context, role),
        S::CreateDatabase {
            mode,
            name,
            comment,
        } => account_level::create_database(context, *mode, name, comment.as_deref()),
        S::CreateSchema {
            mode,
            name,
            comment,
        } => account_level::create_schema(context, *mode, name, comment.as_deref()),
        S::CreateNetworkRule(create) => network::create_rule(context, create),
        S::AlterNetworkRule(alter) => network::alter_rule(context, alter),
        S::DropNetworkRule { if_exists, name } => network::drop_rule(context, *if_exists, name),
        S::ShowNetworkRules { filter, scope } => {
            network::show_rules(context, filter, scope.as_ref())
        }
        S::DescribeNetworkRule(name) => network::describe_rule(context, name),
        S::CreateNetworkPolicy(create) => network::create_policy(context, create),
        S::AlterNetworkPolicy(alter) => network::alter_policy(context, alter),
        S::DropNetworkPolicy { if_exists, name } => network::drop_policy(context, *if_exists, name),
        S::ShowNetworkPolicies(filter) => network::show_policies(context, filter),
        S::DescribeNetworkPolicy(name) => network::describe_policy(context, name),
        S::CreateAuthenticationPolicy(create) => auth_policies::create(context, create),
        S::AlterAuthenticationPolicy(alter) => auth_policies::alter(context, alter),
        S::DropAuthenticationPolicy { if_exists, name } => {
            auth_policies::drop(context, *if_exists, name)
        }
        S::ShowAuthenticationPolicies { filter, scope } => {
            auth_policies::show(context, filter, scope.as_ref())
        }
        S::DescribeAuthenticationPolicy(name) => auth_policies::describe(context, name),
        S::AlterAccount(alter) => account_level::alter_account(context, alter),
        S::ShowTokens { user } => tokens::show(context, user.as_ref()),
        S::ShowParameters { like, target } => {
            account_level::show_parameters(context, like.as_deref(), target)
        }
        S::SelectContext(items) => queries::select_context(context, items),
        S::SelectPolicyReferences(query) => queries::policy_references(context, query),
    }
}

impl Context<'_> {
    /// Whether the session's role is, or inherits, ACCOUNTADMIN or SECURITYADMIN.
    fn is_admin(&self) -> bool {
        let closure = self.account.role_closure(&self.session.role);
        closure.contains(&Name::new(ACCOUNTADMIN)) || closure.contains(&Name::new(SECURITYADMIN))
    }

    /// 003001 on `kind 'name'` unless the session is an admin.
    fn require_admin(&self, kind: ObjectKind, name: impl ToString) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(StatementError::insufficient(kind, name))
        }
    }

    /// 003001 on the account unless the session is an admin (account-level privileges:
    /// CREATE USER, CREATE ROLE, CREATE NETWORK POLICY, ALTER ACCOUNT, …).
    fn require_account_admin(&self) -> Result<()> {
        let account = self.account.name.clone();
        self.require_admin(ObjectKind::Account, account)
    }

    fn owner(&self) -> Name {
        self.session.role.clone()
    }

    fn user(&self, name: &Name) -> Result<&User> {
        self.account
            .users
            .get(name)
            .ok_or_else(|| StatementError::does_not_exist(ObjectKind::User, name))
    }

    /// Resolves a one- to three-part name of a schema-level object against the session's
    /// database and schema; `command` names the statement in the "no current database" error.
    fn qualify(&self, name: &ObjectName, command: &str) -> Result<QualifiedName> {
        match name.parts.as_slice() {
            [database, schema, object] => Ok(QualifiedName::new(
                database.clone(),
                schema.clone(),
                object.clone(),
            )),
            [schema, object] => Ok(QualifiedName::new(
                self.current_database(command)?,
                schema.clone(),
                object.clone(),
            )),
            [object] => Ok(QualifiedName::new(
                self.current_database(command)?,
                self.current_schema(command)?,
                object.clone(),
            )),
            _ => Err(StatementError::syntax(1, 0, name.to_string())),
        }
    }

    fn current_database(&self, command: &str) -> Result<Name> {
        self.session
            .database
            .clone()
            .ok_or_else(|| StatementError::NoCurrentDatabase {
                command: command.to_owned(),
            })
    }

    fn current_schema(&self, command: &str) -> Result<Name> {
        self.session
            .schema
            .clone()
            .ok_or_else(|| StatementError::NoCurrentSchema {
                command: command.to_owned(),
            })
    }

    /// 002003 unless the schema of `name` exists.
    fn require_schema(&self, name: &QualifiedName) -> Result<()> {
        if !self.account.databases.contains_key(&name.database) {
            return Err(StatementError::does_not_exist(
                ObjectKind::Database,
                &name.database,
            ));
        }
        if !self.account.schema_exists(&name.database, &name.schema) {
            return Err(StatementError::does_not_exist(
                ObjectKind::Schema,
                format!("{}.{}", name.database, name.schema),
            ));
        }
        Ok(())
    }
}

/// Snowflake's `LIKE` for SHOW: case-insensitive, `%` any run, `_` one character, `\` escapes.
pub(crate) fn like_matches(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('%', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
            Some(('_', rest)) => !text.is_empty() && matches(rest, &text[1..]),
            Some(('\\', rest)) if !rest.is_empty() => {
                !text.is_empty() && text[0] == rest[0] && matches(&rest[1..], &text[1..])
            }
            Some((c, rest)) => !text.is_empty() && text[0] == *c && matches(rest, &text[1..]),
        }
    }
    let pattern: Vec<char> = pattern.to_uppercase().chars().collect();
    let text: Vec<char> = text.to_uppercase().chars().collect();
    matches(&pattern, &text)
}

/// Applies a SHOW filter to names sorted ascending: LIKE, STARTS WITH (case-sensitive),
/// LIMIT … FROM.
pub(crate) fn filter_names<'n, T>(
    items: impl IntoIterator<Item = (&'n str, T)>,
    filter: &crate::sandbox::sql::ast::ShowFilter,
) -> Vec<T> {
    let mut kept: Vec<T> = items
        .into_iter()
        .filter(|(name, _)| {
            filter
                .like
                .as_deref()
                .is_none_or(|like| like_matches(like, name))
        })
        .filter(|(name, _)| {
            filter
                .starts_with
                .as_deref()
                .is_none_or(|prefix| name.starts_with(prefix))
        })
        .filter(|(name, _)| filter.from.as_deref().is_none_or(|from| *name >= from))
        .map(|(_, item)| item)
        .collect();
    if let Some(limit) = filter.limit {
        kept.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::like_matches;

    #[test]
    fn like_is_case_insensitive_with_wildcards() {
        assert!(like_matches("thermal%", "THERMAL_USER"));
        assert!(like_matches("%_USER", "THERMAL_USER"));
        assert!(like_matches("A_C", "abc"));
        assert!(!like_matches("A_C", "abbc"));
        assert!(like_matches("THERMAL\\_USER", "THERMAL_USER"));
        assert!(!like_matches("THERMAL\\_USER", "THERMALXUSER"));
    }
}

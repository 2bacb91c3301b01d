//! Account-level statements: ALTER ACCOUNT SET / UNSET of the network policy and of the
//! authentication policies (all users, person users, service users), SHOW PARAMETERS for the
//! `NETWORK_POLICY` parameter, and CREATE DATABASE / SCHEMA, which tests need to host rules and
//! policies (reference §3.7, §4.5).
//!
//! SHOW PARAMETERS models the one parameter pat-reconcile reads, `NETWORK_POLICY`: `value` is
//! the policy set at that level or empty, `level` is `USER` / `ACCOUNT` when set there and empty
//! otherwise (the user row does not fall back to the account's policy). Setting an account
//! authentication policy where one is already set needs FORCE (001493, a sandbox choice).

use super::{Context, Result, like_matches};
use crate::sandbox::account::{Database, Schema};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::Name;
use crate::sandbox::result_set::{Column, ResultSet};
use crate::sandbox::sql::ast::{AlterAccount, CreateKind, CreateMode, ObjectName, ParameterTarget};

const NETWORK_POLICY_DESCRIPTION: &str = "Network policy assigned for the given target.";

pub(super) fn create_database(
    context: &mut Context<'_>,
    mode: CreateMode,
    name: &Name,
    comment: Option<&str>,
) -> Result<ResultSet> {
    context.require_account_admin()?;
    if context.account.databases.contains_key(name) {
        if mode.if_not_exists {
            return Ok(ResultSet::status(format!(
                "{name} already exists, statement succeeded."
            )));
        }
        if mode.kind != CreateKind::OrReplace {
            return Err(StatementError::already_exists(name));
        }
    }
    let owner = context.owner();
    let public = Name::new("PUBLIC");
    let database = Database {
        name: name.clone(),
        created_on: context.now,
        owner: owner.clone(),
        comment: comment.map(str::to_owned),
        schemas: [(
            public.clone(),
            Schema {
                name: public,
                created_on: context.now,
                owner,
                comment: None,
            },
        )]
        .into(),
    };
    context.account.databases.insert(name.clone(), database);
    Ok(ResultSet::status(format!(
        "Database {name} successfully created."
    )))
}

pub(super) fn create_schema(
    context: &mut Context<'_>,
    mode: CreateMode,
    name: &ObjectName,
    comment: Option<&str>,
) -> Result<ResultSet> {
    let (database, schema) = match name.parts.as_slice() {
        [database, schema] => (database.clone(), schema.clone()),
        [schema] => (context.current_database("CREATE SCHEMA")?, schema.clone()),
        _ => return Err(StatementError::syntax(1, 0, name.to_string())),
    };
    if !context.account.databases.contains_key(&database) {
        return Err(StatementError::does_not_exist(
            ObjectKind::Database,
            &database,
        ));
    }
    context.require_admin(ObjectKind::Database, &database)?;
    if context.account.schema_exists(&database, &schema) {
        if mode.if_not_exists {
            return Ok(ResultSet::status(format!(
                "{schema} already exists, statement succeeded."
            )));
        }
        if mode.kind != CreateKind::OrReplace {
            return Err(StatementError::already_exists(&schema));
        }
    }
    let owner = context.owner();
    let now = context.now;
    if let Some(db) = context.account.databases.get_mut(&database) {
        db.schemas.insert(
            schema.clone(),
            Schema {
                name: schema.clone(),
                created_on: now,
                owner,
                comment: comment.map(str::to_owned),
            },
        );
    }
    Ok(ResultSet::status(format!(
        "Schema {schema} successfully created."
    )))
}

pub(super) fn alter_account(context: &mut Context<'_>, alter: &AlterAccount) -> Result<ResultSet> {
    context.require_account_admin()?;
    match alter {
        AlterAccount::SetNetworkPolicy(policy) => {
            if !context.account.network_policies.contains_key(policy) {
                return Err(StatementError::does_not_exist(
                    ObjectKind::NetworkPolicy,
                    policy,
                ));
            }
            context.account.settings.network_policy = Some(policy.clone());
        }
        AlterAccount::UnsetNetworkPolicy => context.account.settings.network_policy = None,
        AlterAccount::SetAuthenticationPolicy {
            policy,
            scope,
            force,
        } => {
            let policy = context.qualify(policy, "ALTER ACCOUNT")?;
            if context.account.authentication_policy(&policy).is_none() {
                return Err(StatementError::does_not_exist(
                    ObjectKind::AuthenticationPolicy,
                    &policy,
                ));
            }
            let account_name = context.account.name.clone();
            let slot = context.account.settings.authentication_policy_slot(*scope);
            if slot.is_some() && !force {
                return Err(StatementError::PolicyAlreadyAttached {
                    domain: ObjectKind::Account,
                    entity: account_name,
                });
            }
            *slot = Some(policy);
        }
        AlterAccount::UnsetAuthenticationPolicy { scope } => {
            *context.account.settings.authentication_policy_slot(*scope) = None;
        }
    }
    Ok(ResultSet::status("Statement executed successfully."))
}

pub(super) fn show_parameters(
    context: &mut Context<'_>,
    like: Option<&str>,
    target: &ParameterTarget,
) -> Result<ResultSet> {
    let mut result = ResultSet::new(vec![
        Column::text("key"),
        Column::text("value"),
        Column::text("default"),
        Column::text("level"),
        Column::text("description"),
    ]);
    let (value, level) = match target {
        ParameterTarget::Session => return Ok(result),
        ParameterTarget::Account => (context.account.settings.network_policy.clone(), "ACCOUNT"),
        ParameterTarget::User(user) => {
            let name = user.clone().unwrap_or_else(|| context.session.user.clone());
            if name != context.session.user {
                context.require_admin(ObjectKind::User, &name)?;
            }
            (context.user(&name)?.network_policy.clone(), "USER")
        }
    };
    if like.is_none_or(|pattern| like_matches(pattern, "NETWORK_POLICY")) {
        let set = value.is_some();
        result.push(vec![
            Some("NETWORK_POLICY".to_owned()),
            Some(value.map(|name| name.to_string()).unwrap_or_default()),
            Some(String::new()),
            Some(if set { level } else { "" }.to_owned()),
            Some(NETWORK_POLICY_DESCRIPTION.to_owned()),
        ]);
    }
    Ok(result)
}

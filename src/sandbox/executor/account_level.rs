//! Account-level statements: ALTER ACCOUNT SET / UNSET of the network policy and of the
//! authentication policies (all users, person users, service users), SHOW PARAMETERS for the
//! `NETWORK_POLICY` parameter, and CREATE DATABASE / SCHEMA, which tests need to host rules and
//! policies (reference §3.7, §4.5).
//!
//! SHOW PARAMETERS lists every session parameter the sandbox knows with Snowflake's defaults
//! (Corrections 14), plus `NETWORK_POLICY`, sorted by key, with Snowflake's columns `key, value,
//! default, level, description, type`: `value` is what is set at that level or the default,
//! `level` is `USER` / `ACCOUNT` when set there and empty otherwise (the user's NETWORK_POLICY row
//! does not fall back to the account's policy). Without `IN`, the session user's values.
//! ALTER ACCOUNT SET NETWORK_POLICY needs the policy to admit the caller (Corrections 9). Setting an account
//! authentication policy where one is already set needs FORCE (001493, a sandbox choice).

use super::{Context, Result, like_matches, network};
use crate::sandbox::account::{Database, Schema};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::Name;
use crate::sandbox::result_set::{Column, ResultSet};
use std::collections::BTreeMap;

use crate::sandbox::sql::ast::{
    AlterAccount, CreateKind, CreateMode, ObjectName, ParameterTarget, SESSION_PARAMETERS,
    SessionParameter,
};

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
            let Some(found) = context.account.network_policies.get(policy) else {
                return Err(StatementError::does_not_exist(
                    ObjectKind::NetworkPolicy,
                    policy,
                ));
            };
            network::refuse_account_lockout(context, found)?;
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
        Column::text("type"),
    ]);
    let (set, network_policy, level) = match target {
        ParameterTarget::Account => (
            BTreeMap::new(),
            context.account.settings.network_policy.clone(),
            "ACCOUNT",
        ),
        ParameterTarget::User(_) | ParameterTarget::Session => {
            let name = match target {
                ParameterTarget::User(Some(name)) => name.clone(),
                _ => context.session.user.clone(),
            };
            if name != context.session.user {
                context.require_admin(ObjectKind::User, &name)?;
            }
            let user = context.user(&name)?;
            (user.parameters.clone(), user.network_policy.clone(), "USER")
        }
    };
    let mut rows: Vec<[String; 6]> = SESSION_PARAMETERS
        .iter()
        .enumerate()
        .map(|(index, _)| {
            let parameter = SessionParameter(index);
            let value = set.get(parameter.key());
            [
                parameter.key().to_owned(),
                value
                    .cloned()
                    .unwrap_or_else(|| parameter.default_value().to_owned()),
                parameter.default_value().to_owned(),
                if value.is_some() { level } else { "" }.to_owned(),
                parameter.description().to_owned(),
                parameter.parameter_type().as_str().to_owned(),
            ]
        })
        .collect();
    rows.push([
        "NETWORK_POLICY".to_owned(),
        network_policy
            .as_ref()
            .map(|name| name.to_string())
            .unwrap_or_default(),
        String::new(),
        if network_policy.is_some() { level } else { "" }.to_owned(),
        NETWORK_POLICY_DESCRIPTION.to_owned(),
        "STRING".to_owned(),
    ]);
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    for row in rows {
        if like.is_none_or(|pattern| like_matches(pattern, &row[0])) {
            result.push(row.into_iter().map(Some).collect());
        }
    }
    Ok(result)
}

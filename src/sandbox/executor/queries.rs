//! The two SELECTs the sandbox answers: `SELECT CURRENT_USER(), CURRENT_ROLE(), …` and
//! `SELECT … FROM TABLE(INFORMATION_SCHEMA.POLICY_REFERENCES(…)) [WHERE col = '…' AND …]`
//! (reference §4.6).
//!
//! POLICY_REFERENCES takes `POLICY_NAME => … [, POLICY_KIND => 'NETWORK_POLICY']` (without a kind
//! the name is an authentication policy) or `REF_ENTITY_NAME => …, REF_ENTITY_DOMAIN => …`; any
//! other argument set is 001044. For a USER entity it returns the user's network policy row as
//! well as its authentication policy row (the reference leaves that open); for the ACCOUNT
//! entity, the account-level attachments, one row per authentication policy scope. A role
//! without admin rights gets no rows: the Information Schema page says results are returned only
//! for ACCOUNTADMIN, the function page says OWNERSHIP or APPLY on the policy; the sandbox keeps
//! the stricter reading (Corrections 1), so an empty result never means "attached nowhere".
//! It runs on a warehouse: without one it fails with 000606 once its arguments are checked.

use super::{Context, Result};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::{Name, QualifiedName};
use crate::sandbox::result_set::{Column, ResultSet, encode_timestamp};
use crate::sandbox::sql::ast::{
    ContextFunction, PolicyReferencesQuery, SelectExpression, SelectItem,
};
use crate::sandbox::sql::{name_from_string, object_name_from_string};

pub(super) fn select_context(context: &mut Context<'_>, items: &[SelectItem]) -> Result<ResultSet> {
    let columns = items
        .iter()
        .map(|item| match (&item.expression, item.column.as_str()) {
            (SelectExpression::Number(_), name) => Column::fixed(name),
            (SelectExpression::Function(ContextFunction::CurrentTimestamp), name) => {
                Column::timestamp(name)
            }
            (_, name) => Column::text(name),
        })
        .collect();
    let mut result = ResultSet::new(columns);
    let row = items
        .iter()
        .map(|item| match &item.expression {
            SelectExpression::Number(text) | SelectExpression::Text(text) => Some(text.clone()),
            SelectExpression::Function(function) => Some(match function {
                ContextFunction::CurrentUser => context.session.user.to_string(),
                ContextFunction::CurrentRole => context.session.role.to_string(),
                ContextFunction::CurrentAccount | ContextFunction::CurrentAccountName => {
                    context.account.name.clone()
                }
                ContextFunction::CurrentTimestamp => encode_timestamp(context.now),
                ContextFunction::CurrentIpAddress => context.session.client_address.to_string(),
                ContextFunction::CurrentWarehouse => {
                    return context
                        .current_warehouse()
                        .map(|warehouse| warehouse.name.to_string());
                }
                ContextFunction::CurrentAvailableRoles => {
                    let available = context.account.user_roles(&context.session.user);
                    let roles = available.sorted();
                    serde_json::to_string(&roles).unwrap_or_default()
                }
            }),
        })
        .collect();
    result.push(row);
    Ok(result)
}

const COLUMNS: [&str; 14] = [
    "POLICY_DB",
    "POLICY_SCHEMA",
    "POLICY_NAME",
    "POLICY_KIND",
    "REF_DATABASE_NAME",
    "REF_SCHEMA_NAME",
    "REF_ENTITY_NAME",
    "REF_ENTITY_DOMAIN",
    "REF_COLUMN_NAME",
    "REF_ARG_COLUMN_NAMES",
    "TAG_DATABASE",
    "TAG_SCHEMA",
    "TAG_NAME",
    "POLICY_STATUS",
];

/// One attachment: which policy, on which entity.
enum Reference<'a> {
    Network(&'a Name),
    Authentication(&'a QualifiedName),
}

fn row(reference: &Reference<'_>, entity: &str, domain: &str) -> Vec<Option<String>> {
    let (database, schema, name, kind) = match reference {
        Reference::Network(name) => (None, None, name.to_string(), "NETWORK_POLICY"),
        Reference::Authentication(name) => (
            Some(name.database.to_string()),
            Some(name.schema.to_string()),
            name.name.to_string(),
            "AUTHENTICATION_POLICY",
        ),
    };
    vec![
        database,
        schema,
        Some(name),
        Some(kind.to_owned()),
        None,
        None,
        Some(entity.to_owned()),
        Some(domain.to_owned()),
        None,
        None,
        None,
        None,
        None,
        Some("ACTIVE".to_owned()),
    ]
}

fn invalid_arguments(query: &PolicyReferencesQuery) -> StatementError {
    let arguments: Vec<String> = query
        .arguments
        .iter()
        .map(|argument| format!("{} => VARCHAR({})", argument.name, argument.value.len()))
        .collect();
    StatementError::InvalidArguments {
        line: query.line,
        position: query.position,
        function: "POLICY_REFERENCES".to_owned(),
        arguments: arguments.join(", "),
    }
}

pub(super) fn policy_references(
    context: &mut Context<'_>,
    query: &PolicyReferencesQuery,
) -> Result<ResultSet> {
    let argument = |name: &str| {
        query
            .arguments
            .iter()
            .find(|argument| argument.name == name)
            .map(|argument| argument.value.as_str())
    };
    let names: Vec<&str> = query.arguments.iter().map(|a| a.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != names.len() {
        return Err(invalid_arguments(query));
    }
    let account = &*context.account;
    let mut rows = Vec::new();
    match sorted.as_slice() {
        ["POLICY_KIND", "POLICY_NAME"] | ["POLICY_NAME"] => {
            let kind = argument("POLICY_KIND").map(str::to_ascii_uppercase);
            let name = argument("POLICY_NAME").unwrap_or_default();
            match kind.as_deref() {
                Some("NETWORK_POLICY") => {
                    let name = name_from_string(name);
                    let Some(policy) = account.network_policies.get(&name) else {
                        return Err(StatementError::does_not_exist(
                            ObjectKind::NetworkPolicy,
                            name,
                        ));
                    };
                    for user in account.users.values() {
                        if user.network_policy.as_ref() == Some(&policy.name) {
                            rows.push(row(
                                &Reference::Network(&policy.name),
                                user.name.as_str(),
                                "USER",
                            ));
                        }
                    }
                    if account.settings.network_policy.as_ref() == Some(&policy.name) {
                        rows.push(row(
                            &Reference::Network(&policy.name),
                            &account.name,
                            "ACCOUNT",
                        ));
                    }
                }
                None | Some("AUTHENTICATION_POLICY") => {
                    let name =
                        context.qualify(&object_name_from_string(name), "POLICY_REFERENCES")?;
                    let Some(policy) = account.authentication_policy(&name) else {
                        return Err(StatementError::does_not_exist(
                            ObjectKind::AuthenticationPolicy,
                            name,
                        ));
                    };
                    for user in account.users.values() {
                        if user.authentication_policy.as_ref() == Some(&policy.name) {
                            rows.push(row(
                                &Reference::Authentication(&policy.name),
                                user.name.as_str(),
                                "USER",
                            ));
                        }
                    }
                    for (_, attached) in account.settings.authentication_policies() {
                        if *attached == policy.name {
                            rows.push(row(
                                &Reference::Authentication(&policy.name),
                                &account.name,
                                "ACCOUNT",
                            ));
                        }
                    }
                }
                Some(_) => return Err(invalid_arguments(query)),
            }
        }
        ["REF_ENTITY_DOMAIN", "REF_ENTITY_NAME"] => {
            let domain = argument("REF_ENTITY_DOMAIN")
                .unwrap_or_default()
                .to_ascii_uppercase();
            let entity = argument("REF_ENTITY_NAME").unwrap_or_default();
            match domain.as_str() {
                "USER" => {
                    let name = name_from_string(entity);
                    let user = context.user(&name)?;
                    if let Some(policy) = &user.network_policy {
                        rows.push(row(&Reference::Network(policy), user.name.as_str(), "USER"));
                    }
                    if let Some(policy) = &user.authentication_policy {
                        rows.push(row(
                            &Reference::Authentication(policy),
                            user.name.as_str(),
                            "USER",
                        ));
                    }
                }
                "ACCOUNT" => {
                    if let Some(policy) = &account.settings.network_policy {
                        rows.push(row(&Reference::Network(policy), &account.name, "ACCOUNT"));
                    }
                    for (_, policy) in account.settings.authentication_policies() {
                        rows.push(row(
                            &Reference::Authentication(policy),
                            &account.name,
                            "ACCOUNT",
                        ));
                    }
                }
                "INTEGRATION" | "TABLE" | "TAG" | "VIEW" => {}
                _ => {
                    return Err(StatementError::invalid_value("REF_ENTITY_DOMAIN", domain));
                }
            }
        }
        _ => return Err(invalid_arguments(query)),
    }
    context.require_warehouse()?;
    let mut result = ResultSet::new(COLUMNS.iter().map(|name| Column::text(name)).collect());
    if context.is_admin() {
        for values in rows {
            result.push(values);
        }
    }
    let index = |column: &crate::sandbox::sql::ast::ColumnReference| {
        COLUMNS
            .iter()
            .position(|name| *name == column.name)
            .ok_or_else(|| StatementError::InvalidIdentifier {
                line: column.line,
                position: column.position,
                name: column.name.clone(),
            })
    };
    for (column, value) in &query.filter {
        let position = index(column)?;
        result.retain(|row| row.get(position).cloned().flatten().as_deref() == Some(value));
    }
    if let Some(columns) = &query.columns {
        let positions = columns.iter().map(index).collect::<Result<Vec<usize>>>()?;
        result.project(&positions);
    }
    Ok(result)
}

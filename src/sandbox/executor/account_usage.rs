//! SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS and LOGIN_HISTORY (reference `snowflake-sql.md` §7.1,
//! §7.2), queried as `SELECT cols | * FROM view [WHERE col = literal [AND …]] [GROUP BY col, …]`
//! with `COUNT(*)`, `MAX(col)` and `MIN(col)` as the only aggregates.
//!
//! - **Access.** The views are read by ACCOUNTADMIN (or a role that inherits it): the SNOWFLAKE
//!   database is shared to ACCOUNTADMIN, and other roles need IMPORTED PRIVILEGES or a SNOWFLAKE
//!   database role (SECURITY_VIEWER, "SNOWFLAKE database roles"), neither of which the sandbox
//!   models. Any other role gets `002003 Schema 'SNOWFLAKE.ACCOUNT_USAGE' does not exist or not
//!   authorized.` (observed against live accounts, bytebase/bytebase#15733). An unknown view is
//!   `Object '…' does not exist or not authorized.`
//! - **Warehouse.** They run on one: 000606 once the query compiled (names, access, columns).
//! - **Latency.** The views show the account as it was `account_usage_latency` ago on the
//!   sandbox clock (default 2 h, the documented bound): a token appears once its CREATED_ON is
//!   that old, a removed token stays until its removal is that old, a login appears once its
//!   EVENT_TIMESTAMP is, LAST_USED_ON is the latest successful login that old, and STATUS is
//!   EXPIRED once EXPIRATION_DATE is. DISABLED and renames are shown as they are now (the
//!   sandbox keeps no history of MODIFY).
//! - **CREDENTIALS** lists PATs only (TYPE `PAT`, DOMAIN `PROGRAMMATIC_ACCESS_TOKEN`): the rows
//!   of key pairs and MFA methods are not documented closely enough to emulate. STATUS is
//!   EXPIRED, else DISABLED (the token, or its user, is disabled), else ACTIVE.
//!   ADDITIONAL_DETAILS is an OBJECT with the keys that are set: MINS_TO_BYPASS_NETWORK_POLICY_
//!   REQUIREMENT (minutes left), ROLE_RESTRICTION (an array), ROTATED_TO. LAST_ALTERED(_BY) is the
//!   last MODIFY or ROTATE, else CREATED_ON / CREATED_BY.
//! - **LOGIN_HISTORY** has one row per PAT authentication (see `usage.rs` for what counts):
//!   EVENT_TYPE `LOGIN`, FIRST_AUTHENTICATION_FACTOR `PROGRAMMATIC_ACCESS_TOKEN`,
//!   FIRST_AUTHENTICATION_FACTOR_ID the token's CREDENTIAL_ID, IS_SUCCESS `YES` / `NO`, and for a
//!   failure ERROR_CODE and ERROR_MESSAGE (the login error's text). RELATED_EVENT_ID is 0; the
//!   client type and version, the connection, private link, second factor, LOGIN_DETAILS and
//!   the integration are NULL (the SQL API reports none of them to the sandbox).
//! - **WHERE** compares with the value as the SQL API encodes it (strings exactly, case
//!   sensitive; numbers numerically); NULL equals nothing. A selected column that is neither
//!   grouped nor aggregated next to an aggregate is 000979. With GROUP BY and no rows there is no
//!   row; aggregates without GROUP BY give one row (`COUNT(*)` 0, `MAX` NULL).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Context, Result};
use crate::sandbox::account::{ACCOUNTADMIN, Token};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::{Name, QualifiedName};
use crate::sandbox::result_set::{Column, ColumnType, ResultSet, encode_timestamp};
use crate::sandbox::sql::ast::{ColumnReference, Literal, ViewExpression, ViewQuery};

const DATABASE: &str = "SNOWFLAKE";
const SCHEMA: &str = "ACCOUNT_USAGE";
const PAT_FACTOR: &str = "PROGRAMMATIC_ACCESS_TOKEN";

/// The views the sandbox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Credentials,
    LoginHistory,
}

/// Runs a query of an ACCOUNT_USAGE view.
pub(super) fn select(context: &mut Context<'_>, query: &ViewQuery) -> Result<ResultSet> {
    let name = context.qualify(&query.view, "SELECT")?;
    let view = resolve(context, &name)?;
    let horizon = context.now - context.account_usage_latency;
    let mut result = match view {
        View::Credentials => credentials(context, horizon),
        View::LoginHistory => login_history(context, horizon),
    };
    for (column, literal) in &query.filter {
        let index = column_index(&result, column)?;
        let column_type = result.columns()[index].column_type;
        result.retain(|row| equals(row[index].as_deref(), column_type, literal));
    }
    let result = shape(result, query)?;
    context.require_warehouse()?;
    Ok(result)
}

/// Which view `name` is, if the session may read it.
fn resolve(context: &Context<'_>, name: &QualifiedName) -> Result<View> {
    let account = &*context.account;
    if !account.databases.contains_key(&name.database) {
        return Err(StatementError::does_not_exist(
            ObjectKind::Database,
            &name.database,
        ));
    }
    let usage_schema = name.database == DATABASE && name.schema == SCHEMA;
    if !usage_schema && !account.schema_exists(&name.database, &name.schema) {
        return Err(StatementError::does_not_exist(
            ObjectKind::Schema,
            format!("{}.{}", name.database, name.schema),
        ));
    }
    if !usage_schema {
        return Err(StatementError::does_not_exist(ObjectKind::Object, name));
    }
    let closure = account.role_closure(&context.session.role);
    if !closure.contains(&Name::new(ACCOUNTADMIN)) {
        return Err(StatementError::does_not_exist(
            ObjectKind::Schema,
            format!("{DATABASE}.{SCHEMA}"),
        ));
    }
    match name.name.as_str() {
        "CREDENTIALS" => Ok(View::Credentials),
        "LOGIN_HISTORY" => Ok(View::LoginHistory),
        _ => Err(StatementError::does_not_exist(ObjectKind::Object, name)),
    }
}

fn credential_columns() -> Vec<Column> {
    vec![
        Column::fixed("CREDENTIAL_ID"),
        Column::text("NAME"),
        Column::text("USER_NAME"),
        Column::text("TYPE"),
        Column::text("DOMAIN"),
        Column::text("COMMENT"),
        Column::text("STATUS"),
        Column::object("ADDITIONAL_DETAILS"),
        Column::text("CREATED_BY"),
        Column::text("LAST_ALTERED_BY"),
        Column::timestamp("CREATED_ON"),
        Column::timestamp("LAST_USED_ON"),
        Column::timestamp("LAST_ALTERED"),
        Column::timestamp("EXPIRATION_DATE"),
    ]
}

/// Every PAT that existed at `horizon`, by CREDENTIAL_ID.
fn credentials(context: &Context<'_>, horizon: DateTime<Utc>) -> ResultSet {
    let account = &*context.account;
    let mut rows: Vec<(u64, Vec<Option<String>>)> = Vec::new();
    for user in account.users.values() {
        for token in user
            .tokens
            .iter()
            .filter(|token| token.created_on <= horizon)
        {
            rows.push((
                token.credential_id,
                credential_row(context, &user.name, user.disabled, token, horizon),
            ));
        }
    }
    for removed in &account.usage.removed {
        if removed.token.created_on <= horizon && horizon < removed.removed_on {
            rows.push((
                removed.token.credential_id,
                credential_row(context, &removed.user, false, &removed.token, horizon),
            ));
        }
    }
    rows.sort_by_key(|(id, _)| *id);
    let mut result = ResultSet::new(credential_columns());
    for (_, row) in rows {
        result.push(row);
    }
    result
}

fn credential_row(
    context: &Context<'_>,
    user: &Name,
    user_disabled: bool,
    token: &Token,
    horizon: DateTime<Utc>,
) -> Vec<Option<String>> {
    let status = if horizon >= token.expires_at {
        "EXPIRED"
    } else if token.disabled || user_disabled {
        "DISABLED"
    } else {
        "ACTIVE"
    };
    let mut details = serde_json::Map::new();
    if let Some(minutes) = token
        .bypass_minutes_left(horizon)
        .filter(|minutes| *minutes > 0)
    {
        details.insert(
            "MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT".to_owned(),
            minutes.into(),
        );
    }
    if let Some(role) = &token.role_restriction {
        details.insert(
            "ROLE_RESTRICTION".to_owned(),
            serde_json::json!([role.as_str()]),
        );
    }
    if let Some(rotated_to) = &token.rotated_to {
        details.insert("ROTATED_TO".to_owned(), rotated_to.as_str().into());
    }
    let details = serde_json::to_string_pretty(&serde_json::Value::Object(details))
        .unwrap_or_else(|_| "{}".to_owned());
    let last_used = context
        .account
        .usage
        .last_used(token.credential_id, horizon);
    vec![
        Some(token.credential_id.to_string()),
        Some(token.name.to_string()),
        Some(user.to_string()),
        Some("PAT".to_owned()),
        Some(PAT_FACTOR.to_owned()),
        token.comment.clone(),
        Some(status.to_owned()),
        Some(details),
        Some(token.created_by.to_string()),
        Some(
            token
                .last_altered_by
                .as_ref()
                .unwrap_or(&token.created_by)
                .to_string(),
        ),
        Some(encode_timestamp(token.created_on)),
        last_used.map(encode_timestamp),
        Some(encode_timestamp(
            token.last_altered.unwrap_or(token.created_on),
        )),
        Some(encode_timestamp(token.expires_at)),
    ]
}

fn login_columns() -> Vec<Column> {
    vec![
        Column::fixed("EVENT_ID"),
        Column::timestamp("EVENT_TIMESTAMP"),
        Column::text("EVENT_TYPE"),
        Column::text("USER_NAME"),
        Column::text("CLIENT_IP"),
        Column::text("REPORTED_CLIENT_TYPE"),
        Column::text("REPORTED_CLIENT_VERSION"),
        Column::text("FIRST_AUTHENTICATION_FACTOR"),
        Column::text("SECOND_AUTHENTICATION_FACTOR"),
        Column::text("IS_SUCCESS"),
        Column::fixed("ERROR_CODE"),
        Column::text("ERROR_MESSAGE"),
        Column::fixed("RELATED_EVENT_ID"),
        Column::text("CONNECTION"),
        Column::text("CLIENT_PRIVATE_LINK_ID"),
        Column::fixed("FIRST_AUTHENTICATION_FACTOR_ID"),
        Column::fixed("SECOND_AUTHENTICATION_FACTOR_ID"),
        Column::object("LOGIN_DETAILS"),
        Column::text("AUTHORIZING_INTEGRATION_NAME"),
    ]
}

/// Every recorded PAT authentication at or before `horizon`, oldest first.
fn login_history(context: &Context<'_>, horizon: DateTime<Utc>) -> ResultSet {
    let mut result = ResultSet::new(login_columns());
    for event in context
        .account
        .usage
        .logins
        .iter()
        .filter(|event| event.timestamp <= horizon)
    {
        result.push(vec![
            Some(event.event_id.to_string()),
            Some(encode_timestamp(event.timestamp)),
            Some("LOGIN".to_owned()),
            Some(event.user.to_string()),
            Some(event.client_ip.clone()),
            None,
            None,
            Some(PAT_FACTOR.to_owned()),
            None,
            Some(if event.success { "YES" } else { "NO" }.to_owned()),
            event.error_code.clone(),
            event.error_message.clone(),
            Some("0".to_owned()),
            None,
            None,
            Some(event.credential_id.to_string()),
            None,
            None,
            None,
        ]);
    }
    result
}

fn column_index(result: &ResultSet, column: &ColumnReference) -> Result<usize> {
    result
        .column_index(&column.name)
        .ok_or_else(|| StatementError::InvalidIdentifier {
            line: column.line,
            position: column.position,
            name: column.name.clone(),
        })
}

/// A number in the SQL API encoding (`12`, `1744239049.066000000`) as an ordered key.
fn numeric_key(text: &str) -> Option<(i64, u64)> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 9 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: u64 = format!("{fraction:0<9}").parse().ok()?;
    Some((whole, fraction))
}

fn compare(column_type: ColumnType, left: &str, right: &str) -> Ordering {
    match column_type {
        ColumnType::Fixed | ColumnType::TimestampLtz => {
            match (numeric_key(left), numeric_key(right)) {
                (Some(left), Some(right)) => left.cmp(&right),
                _ => left.cmp(right),
            }
        }
        ColumnType::Text | ColumnType::Boolean | ColumnType::Object => left.cmp(right),
    }
}

/// `value = literal`, where NULL equals nothing.
fn equals(value: Option<&str>, column_type: ColumnType, literal: &Literal) -> bool {
    let Some(value) = value else {
        return false;
    };
    let numeric = matches!(column_type, ColumnType::Fixed | ColumnType::TimestampLtz);
    match literal {
        Literal::Text(text) if !numeric => value == text,
        Literal::Text(text) | Literal::Number(text) => {
            match (numeric_key(value), numeric_key(text.trim())) {
                (Some(left), Some(right)) => left == right,
                _ => value == text,
            }
        }
    }
}

/// One output column of a query: where its values come from.
enum Output {
    Column(usize),
    Count,
    Max(usize),
    Min(usize),
}

/// Projects, groups and aggregates the filtered view as the SELECT list says.
fn shape(all: ResultSet, query: &ViewQuery) -> Result<ResultSet> {
    let Some(items) = &query.items else {
        if let Some(column) = query.group_by.first() {
            return Err(StatementError::NotGroupByExpression {
                expression: column_index(&all, column)
                    .map(|index| all.columns()[index].name.clone())
                    .unwrap_or_else(|_| column.name.clone()),
            });
        }
        return Ok(all);
    };
    let group_by = query
        .group_by
        .iter()
        .map(|column| column_index(&all, column))
        .collect::<Result<Vec<usize>>>()?;
    let mut columns = Vec::new();
    let mut outputs = Vec::new();
    for item in items {
        let (output, column) = match &item.expression {
            ViewExpression::Column(column) => {
                let index = column_index(&all, column)?;
                (Output::Column(index), all.columns()[index].clone())
            }
            ViewExpression::CountStar => (Output::Count, Column::fixed("COUNT(*)")),
            ViewExpression::Max(column) | ViewExpression::Min(column) => {
                let index = column_index(&all, column)?;
                let mut output = all.columns()[index].clone();
                let max = matches!(item.expression, ViewExpression::Max(_));
                let function = if max { "MAX" } else { "MIN" };
                output.name = format!("{function}({})", output.name);
                let source = if max {
                    Output::Max(index)
                } else {
                    Output::Min(index)
                };
                (source, output)
            }
        };
        let column = Column {
            name: item.alias.clone().unwrap_or(column.name),
            ..column
        };
        columns.push(column);
        outputs.push(output);
    }
    let aggregated = !group_by.is_empty()
        || outputs
            .iter()
            .any(|output| !matches!(output, Output::Column(_)));
    let mut result = ResultSet::new(columns);
    if !aggregated {
        for row in all.rows() {
            result.push(
                outputs
                    .iter()
                    .map(|output| match output {
                        Output::Column(index) => row[*index].clone(),
                        Output::Count | Output::Max(_) | Output::Min(_) => None,
                    })
                    .collect(),
            );
        }
        return Ok(result);
    }
    for output in &outputs {
        if let Output::Column(index) = output
            && !group_by.contains(index)
        {
            return Err(StatementError::NotGroupByExpression {
                expression: all.columns()[*index].name.clone(),
            });
        }
    }
    let mut groups: Vec<Vec<&Vec<Option<String>>>> = Vec::new();
    if group_by.is_empty() {
        groups.push(all.rows().iter().collect());
    } else {
        let mut by_key: BTreeMap<Vec<Option<String>>, usize> = BTreeMap::new();
        for row in all.rows() {
            let key: Vec<Option<String>> =
                group_by.iter().map(|index| row[*index].clone()).collect();
            let group = *by_key.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[group].push(row);
        }
    }
    for rows in groups {
        let extreme = |index: usize, wanted: Ordering| {
            let column_type = all.columns()[index].column_type;
            rows.iter()
                .filter_map(|row| row[index].as_deref())
                .reduce(|best, value| {
                    if compare(column_type, value, best) == wanted {
                        value
                    } else {
                        best
                    }
                })
                .map(str::to_owned)
        };
        result.push(
            outputs
                .iter()
                .map(|output| match output {
                    Output::Column(index) => rows.first().and_then(|row| row[*index].clone()),
                    Output::Count => Some(rows.len().to_string()),
                    Output::Max(index) => extreme(*index, Ordering::Greater),
                    Output::Min(index) => extreme(*index, Ordering::Less),
                })
                .collect(),
        );
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_timestamps_compare_numerically() {
        assert_eq!(compare(ColumnType::Fixed, "10", "9"), Ordering::Greater);
        assert_eq!(
            compare(ColumnType::TimestampLtz, "999.5", "1000.000000001"),
            Ordering::Less
        );
        assert!(equals(
            Some("12"),
            ColumnType::Fixed,
            &Literal::Number("12".into())
        ));
        assert!(equals(
            Some("12"),
            ColumnType::Fixed,
            &Literal::Text("12".into())
        ));
        assert!(!equals(
            Some("PAT"),
            ColumnType::Text,
            &Literal::Text("pat".into())
        ));
        assert!(!equals(None, ColumnType::Text, &Literal::Text("".into())));
    }
}

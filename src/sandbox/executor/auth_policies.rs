//! Authentication policies (schema-level): CREATE / ALTER / DROP / SHOW / DESC (reference
//! `snowflake-sql.md` §4).
//!
//! `SET PAT_POLICY = (…)` merges with the current sub-properties (what Terraform's partial
//! updates imply; the docs are silent), `MFA_POLICY` and `WORKLOAD_IDENTITY_POLICY` likewise;
//! UNSET returns a property to its default. PAT_POLICY must keep 1 ≤ default ≤ max ≤ 365.
//! A policy set on a user or the account cannot be dropped or replaced (001492, the network
//! policy template). SHOW … ON USER gives the effective policy (user level, else the account's
//! policy for the user's type, else the account's) and no row when none applies; `options` is
//! `{"target_scopes":[…]}` for account-level rows and empty otherwise.

use super::{Context, Result, filter_names};
use crate::sandbox::account::{
    Account, AuthenticationPolicy, MfaPolicy, PatPolicy, PolicySource, WORKLOAD_IDENTITY_KEYS,
};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::QualifiedName;
use crate::sandbox::result_set::{Column, ResultSet, encode_timestamp};
use crate::sandbox::sql::ast::{
    AlterAuthenticationPolicy, AlterAuthenticationPolicyAction, AuthenticationPolicyField,
    AuthenticationPolicyProperty, CreateAuthenticationPolicy, CreateKind, ObjectName,
    PatPolicyOptions, PolicyScope, ShowFilter, ShowScope,
};

const METHODS: [&str; 8] = [
    "ALL",
    "SAML",
    "OIDC",
    "PASSWORD",
    "OAUTH",
    "KEYPAIR",
    "PROGRAMMATIC_ACCESS_TOKEN",
    "WORKLOAD_IDENTITY",
];
const CLIENT_TYPES: [&str; 5] = ["ALL", "SNOWFLAKE_UI", "DRIVERS", "SNOWFLAKE_CLI", "SNOWSQL"];
const CLIENTS: [&str; 16] = [
    "JDBC_DRIVER",
    "ODBC_DRIVER",
    "PYTHON_DRIVER",
    "JAVASCRIPT_DRIVER",
    "C_DRIVER",
    "GO_DRIVER",
    "PHP_DRIVER",
    "DOTNET_DRIVER",
    "SQL_API",
    "SNOWPIPE_STREAMING_CLIENT_SDK",
    "PY_CORE",
    "SPROC_PYTHON",
    "PYTHON_SNOWPARK",
    "SQL_ALCHEMY",
    "SNOWPARK",
    "SNOWFLAKE_CLIENT",
];
/// The settable values since the 2025_06 bundle (bcr-2097: `OPTIONAL` is gone, 002029).
const MFA_ENROLLMENT: [&str; 2] = ["REQUIRED", "REQUIRED_PASSWORD_ONLY"];
const MFA_METHODS: [&str; 5] = ["ALL", "PASSKEY", "TOTP", "OTP", "DUO"];
const PROVIDERS: [&str; 5] = ["ALL", "AWS", "AZURE", "GCP", "OIDC"];

fn check_values(property: &str, values: &[String], allowed: &[&str]) -> Result<()> {
    if values.is_empty() {
        return Err(StatementError::invalid_value(property, "()"));
    }
    match values
        .iter()
        .find(|value| !allowed.contains(&value.as_str()))
    {
        Some(bad) => Err(StatementError::invalid_value(property, bad.clone())),
        None => Ok(()),
    }
}

/// WORKLOAD_IDENTITY_POLICY lists (Corrections 15): providers from the documented set, AWS
/// accounts as 12-digit strings, issuers as https URLs; `ALL` is only how DESC shows an unset
/// list, so it is not accepted as an account or issuer (002029).
fn check_workload_values(key: &str, values: &[String]) -> Result<()> {
    let valid = |value: &String| match key {
        "ALLOWED_PROVIDERS" => PROVIDERS.contains(&value.as_str()),
        "ALLOWED_AWS_ACCOUNTS" => value.len() == 12 && value.chars().all(|c| c.is_ascii_digit()),
        "ALLOWED_AZURE_ISSUERS" | "ALLOWED_OIDC_ISSUERS" => value
            .strip_prefix("https://")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace)),
        _ => !value.is_empty(),
    };
    match values.iter().find(|value| !valid(value)) {
        Some(bad) => Err(StatementError::invalid_value(key, bad.clone())),
        None => Ok(()),
    }
}

fn merge_pat_policy(policy: &mut PatPolicy, options: &PatPolicyOptions) -> Result<()> {
    let mut merged = policy.clone();
    if let Some(days) = options.default_expiry_in_days {
        merged.default_expiry_in_days = days;
    }
    if let Some(days) = options.max_expiry_in_days {
        merged.max_expiry_in_days = days;
    }
    if let Some(evaluation) = options.network_policy_evaluation {
        merged.network_policy_evaluation = evaluation;
    }
    if let Some(flag) = options.require_role_restriction_for_service_users {
        merged.require_role_restriction_for_service_users = flag;
    }
    if let Some(flag) = options.require_role_restriction_for_person_users {
        merged.require_role_restriction_for_person_users = flag;
    }
    if let Some(roles) = &options.blocked_roles_list {
        merged.blocked_roles_list = roles.clone();
    }
    if !(1..=365).contains(&merged.max_expiry_in_days) {
        return Err(StatementError::invalid_value(
            "MAX_EXPIRY_IN_DAYS",
            merged.max_expiry_in_days.to_string(),
        ));
    }
    if !(1..=merged.max_expiry_in_days).contains(&merged.default_expiry_in_days) {
        return Err(StatementError::invalid_value(
            "DEFAULT_EXPIRY_IN_DAYS",
            merged.default_expiry_in_days.to_string(),
        ));
    }
    *policy = merged;
    Ok(())
}

fn apply(
    policy: &mut AuthenticationPolicy,
    properties: &[AuthenticationPolicyProperty],
) -> Result<()> {
    use AuthenticationPolicyProperty as P;
    for property in properties {
        match property {
            P::AuthenticationMethods(methods) => {
                check_values("AUTHENTICATION_METHODS", methods, &METHODS)?;
                policy.authentication_methods = methods.clone();
            }
            P::ClientTypes(types) => {
                check_values("CLIENT_TYPES", types, &CLIENT_TYPES)?;
                policy.client_types = types.clone();
            }
            P::ClientPolicy(entries) => {
                let clients: Vec<String> =
                    entries.iter().map(|(client, _)| client.clone()).collect();
                if !clients.is_empty() {
                    check_values("CLIENT_POLICY", &clients, &CLIENTS)?;
                }
                policy.client_policy = entries.clone();
            }
            P::SecurityIntegrations(integrations) => {
                policy.security_integrations = integrations.clone();
            }
            P::MfaEnrollment(value) => {
                check_values(
                    "MFA_ENROLLMENT",
                    std::slice::from_ref(value),
                    &MFA_ENROLLMENT,
                )?;
                policy.mfa_enrollment = value.clone();
            }
            P::MfaPolicy {
                allowed_methods,
                enforce_mfa_on_external_authentication,
            } => {
                if let Some(methods) = allowed_methods {
                    check_values("ALLOWED_METHODS", methods, &MFA_METHODS)?;
                    policy.mfa_policy.allowed_methods = methods.clone();
                }
                if let Some(value) = enforce_mfa_on_external_authentication {
                    check_values(
                        "ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION",
                        std::slice::from_ref(value),
                        &["ALL", "NONE"],
                    )?;
                    policy.mfa_policy.enforce_mfa_on_external_authentication = value.clone();
                }
            }
            P::PatPolicy(options) => merge_pat_policy(&mut policy.pat_policy, options)?,
            P::WorkloadIdentityPolicy(entries) => {
                for (key, values) in entries {
                    check_workload_values(key, values)?;
                    policy
                        .workload_identity_policy
                        .insert(key.clone(), values.clone());
                }
            }
            P::Comment(comment) => policy.comment = Some(comment.clone()),
        }
    }
    let drivers_allowed = policy.client_types.is_empty()
        || policy
            .client_types
            .iter()
            .any(|kind| kind == "ALL" || kind == "DRIVERS");
    if let Some((client, _)) = policy.client_policy.first()
        && !drivers_allowed
    {
        return Err(StatementError::ClientPolicyWithoutDrivers {
            client: client.clone(),
        });
    }
    Ok(())
}

fn reset(policy: &mut AuthenticationPolicy, field: AuthenticationPolicyField) {
    let defaults =
        AuthenticationPolicy::new(policy.name.clone(), policy.owner.clone(), policy.created_on);
    use AuthenticationPolicyField as F;
    match field {
        F::AuthenticationMethods => policy.authentication_methods = defaults.authentication_methods,
        F::ClientTypes => policy.client_types = defaults.client_types,
        F::ClientPolicy => policy.client_policy = defaults.client_policy,
        F::SecurityIntegrations => policy.security_integrations = defaults.security_integrations,
        F::MfaEnrollment => policy.mfa_enrollment = defaults.mfa_enrollment,
        F::MfaPolicy => policy.mfa_policy = MfaPolicy::default(),
        F::PatPolicy => policy.pat_policy = PatPolicy::default(),
        F::WorkloadIdentityPolicy => policy.workload_identity_policy.clear(),
        F::Comment => policy.comment = None,
    }
}

/// Where an authentication policy is set: the first user (by name), else the account.
fn attachment(account: &Account, policy: &QualifiedName) -> Option<(ObjectKind, String)> {
    if let Some(user) = account
        .users
        .values()
        .find(|user| user.authentication_policy.as_ref() == Some(policy))
    {
        return Some((ObjectKind::User, user.name.to_string()));
    }
    account
        .settings
        .authentication_policies()
        .iter()
        .any(|(_, attached)| *attached == policy)
        .then(|| (ObjectKind::Account, account.name.clone()))
}

pub(super) fn create(
    context: &mut Context<'_>,
    create: &CreateAuthenticationPolicy,
) -> Result<ResultSet> {
    let name = context.qualify(&create.name, "CREATE AUTHENTICATION POLICY")?;
    context.require_schema(&name)?;
    context.require_admin(
        ObjectKind::Schema,
        format!("{}.{}", name.database, name.schema),
    )?;
    let existing = context.account.authentication_policy(&name).cloned();
    if existing.is_some() {
        if create.mode.if_not_exists {
            return Ok(ResultSet::status(format!(
                "{} already exists, statement succeeded.",
                name.name
            )));
        }
        match create.mode.kind {
            CreateKind::Create => return Err(StatementError::already_exists(&name.name)),
            CreateKind::OrReplace => {
                if let Some((domain, entity)) = attachment(context.account, &name) {
                    return Err(StatementError::PolicyAttached {
                        operation: "Replace",
                        kind: ObjectKind::AuthenticationPolicy,
                        name: name.to_string(),
                        domain,
                        entity,
                    });
                }
            }
            CreateKind::OrAlter => {}
        }
    }
    let mut policy = match (existing, create.mode.kind) {
        (Some(existing), CreateKind::OrAlter) => existing,
        _ => AuthenticationPolicy::new(name.clone(), context.owner(), context.now),
    };
    apply(&mut policy, &create.properties)?;
    let policies = &mut context.account.authentication_policies;
    policies.retain(|policy| policy.name != name);
    policies.push(policy);
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ResultSet::status(format!(
        "Authentication policy {} successfully created.",
        name.name
    )))
}

pub(super) fn alter(
    context: &mut Context<'_>,
    alter: &AlterAuthenticationPolicy,
) -> Result<ResultSet> {
    let name = context.qualify(&alter.name, "ALTER AUTHENTICATION POLICY")?;
    let Some(mut policy) = context.account.authentication_policy(&name).cloned() else {
        if alter.if_exists {
            return Ok(ResultSet::status("Statement executed successfully."));
        }
        return Err(StatementError::does_not_exist(
            ObjectKind::AuthenticationPolicy,
            &name,
        ));
    };
    context.require_admin(ObjectKind::AuthenticationPolicy, &name)?;
    match &alter.action {
        AlterAuthenticationPolicyAction::Set(properties) => apply(&mut policy, properties)?,
        AlterAuthenticationPolicyAction::Unset(fields) => {
            for field in fields {
                reset(&mut policy, *field);
            }
        }
        AlterAuthenticationPolicyAction::Rename(new_name) => {
            let new_name = context.qualify(new_name, "ALTER AUTHENTICATION POLICY")?;
            context.require_schema(&new_name)?;
            if context.account.authentication_policy(&new_name).is_some() {
                return Err(StatementError::already_exists(&new_name.name));
            }
            policy.name = new_name.clone();
            for user in context.account.users.values_mut() {
                if user.authentication_policy.as_ref() == Some(&name) {
                    user.authentication_policy = Some(new_name.clone());
                }
            }
            for scope in [PolicyScope::All, PolicyScope::Person, PolicyScope::Service] {
                let slot = context.account.settings.authentication_policy_slot(scope);
                if slot.as_ref() == Some(&name) {
                    *slot = Some(new_name.clone());
                }
            }
        }
    }
    let policies = &mut context.account.authentication_policies;
    policies.retain(|existing| existing.name != name);
    policies.push(policy);
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ResultSet::status("Statement executed successfully."))
}

pub(super) fn drop(
    context: &mut Context<'_>,
    if_exists: bool,
    name: &ObjectName,
) -> Result<ResultSet> {
    let name = context.qualify(name, "DROP AUTHENTICATION POLICY")?;
    if context.account.authentication_policy(&name).is_none() {
        if if_exists {
            return Ok(ResultSet::status(format!(
                "Drop statement executed successfully ({} already dropped).",
                name.name
            )));
        }
        return Err(StatementError::does_not_exist(
            ObjectKind::AuthenticationPolicy,
            &name,
        ));
    }
    context.require_admin(ObjectKind::AuthenticationPolicy, &name)?;
    if let Some((domain, entity)) = attachment(context.account, &name) {
        return Err(StatementError::PolicyAttached {
            operation: "Drop",
            kind: ObjectKind::AuthenticationPolicy,
            name: name.to_string(),
            domain,
            entity,
        });
    }
    context
        .account
        .authentication_policies
        .retain(|policy| policy.name != name);
    Ok(ResultSet::status(format!(
        "{} successfully dropped.",
        name.name
    )))
}

fn scope_name(scope: PolicyScope) -> &'static str {
    match scope {
        PolicyScope::All => "ACCOUNT",
        PolicyScope::Person => "PERSON_USERS",
        PolicyScope::Service => "SERVICE_USERS",
    }
}

fn show_row(
    policy: &AuthenticationPolicy,
    options: String,
    set_on: Option<&str>,
) -> Vec<Option<String>> {
    vec![
        Some(encode_timestamp(policy.created_on)),
        Some(policy.name.name.to_string()),
        Some(policy.name.database.to_string()),
        Some(policy.name.schema.to_string()),
        Some("AUTHENTICATION_POLICY".to_owned()),
        Some(policy.owner.to_string()),
        Some(policy.comment.clone().unwrap_or_default()),
        Some("ROLE".to_owned()),
        Some(options),
        set_on.map(str::to_owned),
    ]
}

fn target_scopes(scope: PolicyScope) -> String {
    serde_json::json!({ "target_scopes": [scope_name(scope)] }).to_string()
}

pub(super) fn show(
    context: &mut Context<'_>,
    filter: &ShowFilter,
    scope: Option<&ShowScope>,
) -> Result<ResultSet> {
    let mut result = ResultSet::new(vec![
        Column::timestamp("created_on"),
        Column::text("name"),
        Column::text("database_name"),
        Column::text("schema_name"),
        Column::text("kind"),
        Column::text("owner"),
        Column::text("comment"),
        Column::text("owner_role_type"),
        Column::text("options"),
        Column::text("set_on"),
    ]);
    if !context.is_admin() {
        return Ok(result);
    }
    let account = &*context.account;
    let mut rows: Vec<(&str, Vec<Option<String>>)> = Vec::new();
    match scope {
        Some(ShowScope::OnAccount) => {
            for (scope, name) in account.settings.authentication_policies() {
                if let Some(policy) = account.authentication_policy(name) {
                    rows.push((
                        policy.name.name.as_str(),
                        show_row(policy, target_scopes(scope), Some("ACCOUNT")),
                    ));
                }
            }
        }
        Some(ShowScope::OnUser(user)) => {
            let user = context.user(user)?;
            if let Some((source, policy)) = account.effective_authentication_policy(user) {
                let (options, set_on) = match source {
                    PolicySource::User => (String::new(), "USER"),
                    PolicySource::Account(scope) => (target_scopes(scope), "ACCOUNT"),
                };
                rows.push((
                    policy.name.name.as_str(),
                    show_row(policy, options, Some(set_on)),
                ));
            }
        }
        other => {
            let (database, schema) = match other {
                Some(ShowScope::Database(Some(database))) => (Some(database.clone()), None),
                Some(ShowScope::Database(None)) => (
                    Some(context.current_database("SHOW AUTHENTICATION POLICIES")?),
                    None,
                ),
                Some(ShowScope::Schema(Some(name))) => match name.parts.as_slice() {
                    [database, schema] => (Some(database.clone()), Some(schema.clone())),
                    [schema] => (
                        Some(context.current_database("SHOW AUTHENTICATION POLICIES")?),
                        Some(schema.clone()),
                    ),
                    _ => (None, None),
                },
                Some(ShowScope::Schema(None)) => (
                    Some(context.current_database("SHOW AUTHENTICATION POLICIES")?),
                    Some(context.current_schema("SHOW AUTHENTICATION POLICIES")?),
                ),
                _ => (None, None),
            };
            for policy in &account.authentication_policies {
                if database
                    .as_ref()
                    .is_none_or(|db| &policy.name.database == db)
                    && schema.as_ref().is_none_or(|s| &policy.name.schema == s)
                {
                    rows.push((
                        policy.name.name.as_str(),
                        show_row(policy, String::new(), None),
                    ));
                }
            }
        }
    }
    for row in filter_names(rows, filter) {
        result.push(row);
    }
    Ok(result)
}

fn list(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

fn pat_policy_text(policy: &PatPolicy) -> String {
    let blocked: Vec<String> = policy
        .blocked_roles_list
        .iter()
        .map(|role| role.to_string())
        .collect();
    format!(
        "{{DEFAULT_EXPIRY_IN_DAYS={}, MAX_EXPIRY_IN_DAYS={}, NETWORK_POLICY_EVALUATION={}, REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS={}, REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS={}, BLOCKED_ROLES_LIST={}}}",
        policy.default_expiry_in_days,
        policy.max_expiry_in_days,
        policy.network_policy_evaluation.as_str(),
        policy.require_role_restriction_for_service_users,
        policy.require_role_restriction_for_person_users,
        list(&blocked),
    )
}

fn workload_text(policy: &AuthenticationPolicy) -> String {
    let all = vec!["ALL".to_owned()];
    let entries: Vec<String> = WORKLOAD_IDENTITY_KEYS
        .iter()
        .map(|key| {
            let values = policy.workload_identity_policy.get(*key).unwrap_or(&all);
            format!("{key}={}", list(values))
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

pub(super) fn describe(context: &mut Context<'_>, name: &ObjectName) -> Result<ResultSet> {
    let name = context.qualify(name, "DESCRIBE AUTHENTICATION POLICY")?;
    let policy = context
        .account
        .authentication_policy(&name)
        .filter(|_| context.is_admin())
        .ok_or_else(|| StatementError::does_not_exist(ObjectKind::AuthenticationPolicy, &name))?;
    let client_policy: Vec<String> = policy
        .client_policy
        .iter()
        .map(|(client, version)| format!("{client}={{MINIMUM_VERSION={version}}}"))
        .collect();
    let defaults =
        AuthenticationPolicy::new(policy.name.clone(), policy.owner.clone(), policy.created_on);
    let rows = [
        (
            "NAME",
            policy.name.name.to_string(),
            "null".to_owned(),
            "Name of the authentication policy",
        ),
        (
            "OWNER",
            policy.owner.to_string(),
            "null".to_owned(),
            "Owner of the authentication policy",
        ),
        (
            "COMMENT",
            policy.comment.clone().unwrap_or_else(|| "null".to_owned()),
            "null".to_owned(),
            "Comment of the authentication policy",
        ),
        (
            "AUTHENTICATION_METHODS",
            list(&policy.authentication_methods),
            list(&defaults.authentication_methods),
            "Allowed authentication methods",
        ),
        (
            "CLIENT_TYPES",
            list(&policy.client_types),
            list(&defaults.client_types),
            "Allowed client types",
        ),
        (
            "CLIENT_POLICY",
            format!("{{{}}}", client_policy.join(", ")),
            "{}".to_owned(),
            "Client policy: minimum versions of the allowed drivers",
        ),
        (
            "SECURITY_INTEGRATIONS",
            list(&policy.security_integrations),
            list(&defaults.security_integrations),
            "Allowed security integrations",
        ),
        (
            "MFA_ENROLLMENT",
            policy.mfa_enrollment.clone(),
            defaults.mfa_enrollment.clone(),
            "Whether users must enroll in multi-factor authentication",
        ),
        (
            "MFA_POLICY",
            format!(
                "{{ALLOWED_METHODS={}, ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION={}}}",
                list(&policy.mfa_policy.allowed_methods),
                policy.mfa_policy.enforce_mfa_on_external_authentication
            ),
            "{ALLOWED_METHODS=[ALL], ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION=NONE}".to_owned(),
            "Multi-factor authentication policy",
        ),
        (
            "PAT_POLICY",
            pat_policy_text(&policy.pat_policy),
            pat_policy_text(&PatPolicy::default()),
            "Programmatic access token policy",
        ),
        (
            "WORKLOAD_IDENTITY_POLICY",
            workload_text(policy),
            workload_text(&defaults),
            "Workload identity federation policy",
        ),
    ];
    let mut result = ResultSet::new(vec![
        Column::text("property"),
        Column::text("value"),
        Column::text("default"),
        Column::text("description"),
    ]);
    for (property, value, default, description) in rows {
        result.push(vec![
            Some(property.to_owned()),
            Some(value),
            Some(default),
            Some(description.to_owned()),
        ]);
    }
    Ok(result)
}

//! CREATE / ALTER / DROP / DESC / SHOW USER (reference `snowflake-sql.md` §5.1–5.4).
//!
//! ALTER USER's token actions are handed to `tokens`; this file owns user properties, the
//! user-level authentication policy attachment and the SHOW / DESC output.
//!
//! Choices where the reference is silent: an invalid `RSA_PUBLIC_KEY` is 002029 (invalid value);
//! `SET DISABLED = TRUE` disables every token of the user and re-enabling the user leaves them
//! disabled (reference §2.2); `UNSET TYPE` gives PERSON.
//!
//! A user of TYPE = SERVICE cannot have FIRST_NAME, MIDDLE_NAME, LAST_NAME, PASSWORD,
//! MUST_CHANGE_PASSWORD or MINS_TO_BYPASS_MFA (admin-user-management, "Types of users"): CREATE
//! and ALTER … SET refuse them, and so does SET TYPE = SERVICE while the user has one (001520, a
//! sandbox choice). Session parameters (`TIMEZONE`, `QUERY_TAG`, …) and `ALLOWED_INTERFACES` are
//! kept and shown (SHOW PARAMETERS IN USER); a user may set their own session parameters.
//!
//! SHOW USERS returns at most 10,000 rows, sorted by name; `LIMIT` above 10,000 is 002029;
//! `FROM 'x'` starts after `x` (the SHOW pagination BCR note: "after the first … named x").

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

use super::{Context, Result, filter_names, tokens};
use crate::sandbox::account::{RsaKey, User};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::Name;
use crate::sandbox::result_set::{Column, ResultSet, encode_bool, encode_timestamp};
use crate::sandbox::sql::ast::{
    AlterUser, AlterUserAction, CreateKind, CreateUser, ShowFilter, UserProperty, UserType, Value,
};

/// Properties a user may change on themself without privileges (reference §5.2).
const SELF_SERVICE: [UserProperty; 4] = [
    UserProperty::DefaultWarehouse,
    UserProperty::DefaultNamespace,
    UserProperty::DefaultRole,
    UserProperty::DefaultSecondaryRoles,
];

pub(super) fn create(context: &mut Context<'_>, create: &CreateUser) -> Result<ResultSet> {
    context.require_account_admin()?;
    let exists = context.account.users.contains_key(&create.name);
    if exists && create.mode.if_not_exists {
        return Ok(ResultSet::status(format!(
            "{} already exists, statement succeeded.",
            create.name
        )));
    }
    if exists && create.mode.kind == CreateKind::Create {
        return Err(StatementError::already_exists(&create.name));
    }
    let mut user = match (exists, create.mode.kind) {
        (true, CreateKind::OrAlter) => context
            .account
            .users
            .get(&create.name)
            .cloned()
            .ok_or_else(|| StatementError::does_not_exist(ObjectKind::User, &create.name))?,
        _ => User::new(create.name.clone(), context.owner(), context.now),
    };
    if exists && create.mode.kind == CreateKind::OrReplace {
        remove_user(context, &create.name);
    }
    for (property, value) in &create.properties {
        apply(context, &mut user, *property, value)?;
    }
    refuse_person_properties(&user)?;
    context.account.users.insert(create.name.clone(), user);
    Ok(ResultSet::status(format!(
        "User {} successfully created.",
        create.name
    )))
}

pub(super) fn alter(context: &mut Context<'_>, alter: &AlterUser) -> Result<ResultSet> {
    let name = alter
        .name
        .clone()
        .unwrap_or_else(|| context.session.user.clone());
    if !context.account.users.contains_key(&name) {
        if alter.if_exists {
            return Ok(ResultSet::status("Statement executed successfully."));
        }
        return Err(StatementError::does_not_exist(ObjectKind::User, &name));
    }
    match &alter.action {
        AlterUserAction::AddToken(add) => return tokens::add(context, &name, add),
        AlterUserAction::ModifyToken(modify) => return tokens::modify(context, &name, modify),
        AlterUserAction::RotateToken(rotate) => return tokens::rotate(context, &name, rotate),
        AlterUserAction::RemoveToken {
            if_exists,
            name: token,
        } => {
            return tokens::remove(context, &name, *if_exists, token);
        }
        AlterUserAction::Rename(new_name) => rename(context, &name, new_name)?,
        AlterUserAction::Set(properties) => {
            let keys: Vec<UserProperty> = properties.iter().map(|(key, _)| *key).collect();
            require_alter_privilege(context, &name, &keys)?;
            let mut user = context.user(&name)?.clone();
            for (property, value) in properties {
                apply(context, &mut user, *property, value)?;
            }
            refuse_person_properties(&user)?;
            context.account.users.insert(name, user);
        }
        AlterUserAction::Unset(properties) => {
            require_alter_privilege(context, &name, properties)?;
            let mut user = context.user(&name)?.clone();
            for property in properties {
                reset(&mut user, *property);
            }
            context.account.users.insert(name, user);
        }
        AlterUserAction::SetAuthenticationPolicy { policy, force } => {
            context.require_admin(ObjectKind::User, &name)?;
            let policy = context.qualify(policy, "ALTER USER")?;
            if context.account.authentication_policy(&policy).is_none() {
                return Err(StatementError::does_not_exist(
                    ObjectKind::AuthenticationPolicy,
                    &policy,
                ));
            }
            let user = context.user(&name)?;
            if user.authentication_policy.is_some() && !force {
                return Err(StatementError::PolicyAlreadyAttached {
                    domain: ObjectKind::User,
                    entity: name.to_string(),
                });
            }
            if let Some(user) = context.account.users.get_mut(&name) {
                user.authentication_policy = Some(policy);
            }
        }
        AlterUserAction::UnsetAuthenticationPolicy => {
            context.require_admin(ObjectKind::User, &name)?;
            if let Some(user) = context.account.users.get_mut(&name) {
                user.authentication_policy = None;
            }
        }
    }
    Ok(ResultSet::status("Statement executed successfully."))
}

/// 001520 when a SERVICE user has a property only people may have.
fn refuse_person_properties(user: &User) -> Result<()> {
    if user.user_type != UserType::Service {
        return Ok(());
    }
    match user.person_only_properties().first() {
        Some(property) => Err(StatementError::ServiceUserProperty {
            property: (*property).to_owned(),
            user: user.name.to_string(),
        }),
        None => Ok(()),
    }
}

fn require_alter_privilege(
    context: &Context<'_>,
    name: &Name,
    properties: &[UserProperty],
) -> Result<()> {
    let own = *name == context.session.user;
    if own
        && properties.iter().all(|property| {
            SELF_SERVICE.contains(property) || matches!(property, UserProperty::Parameter(_))
        })
    {
        return Ok(());
    }
    context.require_admin(ObjectKind::User, name)
}

fn rename(context: &mut Context<'_>, name: &Name, new_name: &Name) -> Result<()> {
    context.require_admin(ObjectKind::User, name)?;
    if context.account.users.contains_key(new_name) {
        return Err(StatementError::already_exists(new_name));
    }
    if let Some(mut user) = context.account.users.remove(name) {
        user.name = new_name.clone();
        context.account.users.insert(new_name.clone(), user);
    }
    context.account.role_grants.rename_grantee(
        &crate::sandbox::account::GrantTarget::User(name.clone()),
        &crate::sandbox::account::GrantTarget::User(new_name.clone()),
    );
    Ok(())
}

/// Applies one property to a user being created or altered.
fn apply(
    context: &Context<'_>,
    user: &mut User,
    property: UserProperty,
    value: &Value,
) -> Result<()> {
    let text = |value: &Value| match value {
        Value::Text(text) => Some(text.clone()),
        Value::Identifier(name) => Some(name.as_str().to_owned()),
        _ => None,
    };
    let invalid = || StatementError::invalid_value(property.keyword(), format!("{value:?}"));
    match (property, value) {
        (UserProperty::Password, _) => user.password_last_set = Some(context.now),
        (UserProperty::LoginName, _) => user.login_name = text(value).ok_or_else(invalid)?,
        (UserProperty::DisplayName, _) => user.display_name = text(value).ok_or_else(invalid)?,
        (UserProperty::FirstName, _) => user.first_name = text(value),
        (UserProperty::MiddleName, _) => user.middle_name = text(value),
        (UserProperty::LastName, _) => user.last_name = text(value),
        (UserProperty::Email, _) => user.email = text(value),
        (UserProperty::Comment, _) => user.comment = text(value),
        (UserProperty::DefaultNamespace, _) => user.default_namespace = text(value),
        (UserProperty::MustChangePassword, Value::Boolean(flag)) => {
            user.must_change_password = *flag;
        }
        (UserProperty::Disabled, Value::Boolean(flag)) => {
            user.disabled = *flag;
            if *flag {
                for token in &mut user.tokens {
                    token.disabled = true;
                }
            }
        }
        (UserProperty::DaysToExpiry, Value::Integer(days)) => user.days_to_expiry = Some(*days),
        (UserProperty::MinsToUnlock, Value::Integer(mins)) => user.mins_to_unlock = Some(*mins),
        (UserProperty::MinsToBypassMfa, Value::Integer(mins)) => {
            user.mins_to_bypass_mfa = Some(*mins);
        }
        (UserProperty::DefaultWarehouse, Value::Identifier(name)) => {
            user.default_warehouse = Some(name.clone());
        }
        (UserProperty::DefaultRole, Value::Identifier(name)) => {
            user.default_role = Some(name.clone());
        }
        (UserProperty::DefaultSecondaryRoles, Value::StringList(roles)) => {
            let upper: Vec<String> = roles.iter().map(|role| role.to_ascii_uppercase()).collect();
            if !(upper.is_empty() || upper == ["ALL"]) {
                return Err(invalid());
            }
            user.default_secondary_roles = upper;
        }
        (UserProperty::RsaPublicKey, Value::Text(key)) => {
            user.rsa_public_key = Some(parse_rsa_key(property, key, context)?);
        }
        (UserProperty::RsaPublicKey2, Value::Text(key)) => {
            user.rsa_public_key_2 = Some(parse_rsa_key(property, key, context)?);
        }
        (UserProperty::Type, Value::UserType(user_type)) => {
            user.user_type = user_type.unwrap_or(UserType::Person);
        }
        (UserProperty::AllowedInterfaces, Value::StringList(interfaces)) => {
            user.allowed_interfaces = interfaces.iter().map(|i| i.to_ascii_uppercase()).collect();
        }
        (UserProperty::Parameter(parameter), _) => {
            let value = match value {
                Value::Text(text) => text.clone(),
                Value::Integer(number) => number.to_string(),
                Value::Boolean(flag) => flag.to_string(),
                _ => return Err(invalid()),
            };
            user.parameters.insert(parameter.key().to_owned(), value);
        }
        (UserProperty::NetworkPolicy, Value::Identifier(policy)) => {
            if !context.account.network_policies.contains_key(policy) {
                return Err(StatementError::does_not_exist(
                    ObjectKind::NetworkPolicy,
                    policy,
                ));
            }
            user.network_policy = Some(policy.clone());
        }
        _ => return Err(invalid()),
    }
    Ok(())
}

/// UNSET: back to the default.
fn reset(user: &mut User, property: UserProperty) {
    match property {
        UserProperty::Password => user.password_last_set = None,
        UserProperty::LoginName => user.login_name = user.name.as_str().to_owned(),
        UserProperty::DisplayName => user.display_name = user.name.as_str().to_owned(),
        UserProperty::FirstName => user.first_name = None,
        UserProperty::MiddleName => user.middle_name = None,
        UserProperty::LastName => user.last_name = None,
        UserProperty::Email => user.email = None,
        UserProperty::MustChangePassword => user.must_change_password = false,
        UserProperty::Disabled => user.disabled = false,
        UserProperty::DaysToExpiry => user.days_to_expiry = None,
        UserProperty::MinsToUnlock => user.mins_to_unlock = None,
        UserProperty::DefaultWarehouse => user.default_warehouse = None,
        UserProperty::DefaultNamespace => user.default_namespace = None,
        UserProperty::DefaultRole => user.default_role = None,
        UserProperty::DefaultSecondaryRoles => user.default_secondary_roles = vec!["ALL".into()],
        UserProperty::MinsToBypassMfa => user.mins_to_bypass_mfa = None,
        UserProperty::RsaPublicKey => user.rsa_public_key = None,
        UserProperty::RsaPublicKey2 => user.rsa_public_key_2 = None,
        UserProperty::Type => user.user_type = UserType::Person,
        UserProperty::Comment => user.comment = None,
        UserProperty::NetworkPolicy => user.network_policy = None,
        UserProperty::AllowedInterfaces => user.allowed_interfaces.clear(),
        UserProperty::Parameter(parameter) => {
            user.parameters.remove(parameter.key());
        }
    }
}

/// Reads `RSA_PUBLIC_KEY` as Snowflake does: the base64 body of a DER SubjectPublicKeyInfo, PEM
/// armour and whitespace tolerated.
fn parse_rsa_key(property: UserProperty, text: &str, context: &Context<'_>) -> Result<RsaKey> {
    let body: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("-----"))
        .flat_map(|line| line.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    let invalid = || StatementError::invalid_value(property.keyword(), text);
    let der = STANDARD.decode(&body).map_err(|_| invalid())?;
    RsaPublicKey::from_public_key_der(&der).map_err(|_| invalid())?;
    Ok(RsaKey {
        fingerprint: format!("SHA256:{}", STANDARD.encode(Sha256::digest(&der))),
        body,
        set_on: context.now,
    })
}

/// Removes a user and every grant to it.
fn remove_user(context: &mut Context<'_>, name: &Name) {
    let now = context.now;
    context.account.remove_tokens(name, |_| false, now);
    context.account.users.remove(name);
    let grantee = crate::sandbox::account::GrantTarget::User(name.clone());
    context.account.role_grants.remove_grantee(&grantee);
}

pub(super) fn drop(context: &mut Context<'_>, if_exists: bool, name: &Name) -> Result<ResultSet> {
    context.require_admin(ObjectKind::User, name)?;
    if !context.account.users.contains_key(name) {
        if if_exists {
            return Ok(ResultSet::status(format!(
                "Drop statement executed successfully ({name} already dropped)."
            )));
        }
        return Err(StatementError::does_not_exist(ObjectKind::User, name));
    }
    remove_user(context, name);
    Ok(ResultSet::status(format!("{name} successfully dropped.")))
}

pub(super) fn describe(context: &mut Context<'_>, name: &Name) -> Result<ResultSet> {
    if *name != context.session.user {
        context.require_admin(ObjectKind::User, name)?;
    }
    let user = context.user(name)?;
    let now = context.now;
    let flag = |value: bool| Some(encode_bool(value));
    let time = |value: Option<chrono::DateTime<chrono::Utc>>| value.map(|t| t.to_rfc3339());
    let number = |value: Option<i64>| value.map(|n| n.to_string());
    let has_pat = user.counted_tokens(now) > 0;
    let rows: Vec<(&str, Option<String>, &str, &str)> = vec![
        ("NAME", Some(user.name.to_string()), "null", "Name"),
        (
            "COMMENT",
            user.comment.clone(),
            "null",
            "user comment associated to an object in the dictionary",
        ),
        (
            "DISPLAY_NAME",
            Some(user.display_name.clone()),
            "null",
            "Display name of the associated object",
        ),
        (
            "TYPE",
            Some(user.user_type.as_str().to_owned()),
            "null",
            "Type of the user",
        ),
        (
            "LOGIN_NAME",
            Some(user.login_name.clone()),
            "null",
            "Login name of the user",
        ),
        (
            "FIRST_NAME",
            user.first_name.clone(),
            "null",
            "First name of the user",
        ),
        (
            "MIDDLE_NAME",
            user.middle_name.clone(),
            "null",
            "Middle name of the user",
        ),
        (
            "LAST_NAME",
            user.last_name.clone(),
            "null",
            "Last name of the user",
        ),
        (
            "EMAIL",
            user.email.clone(),
            "null",
            "Email address of the user",
        ),
        (
            "PASSWORD",
            user.has_password().then(|| "********".to_owned()),
            "null",
            "Password of the user",
        ),
        (
            "MUST_CHANGE_PASSWORD",
            flag(user.must_change_password),
            "false",
            "User must change the password",
        ),
        (
            "DISABLED",
            flag(user.disabled),
            "false",
            "Whether the user is disabled",
        ),
        (
            "SNOWFLAKE_LOCK",
            flag(false),
            "false",
            "Whether the user or one of his roles is locked",
        ),
        (
            "SNOWFLAKE_SUPPORT",
            flag(false),
            "false",
            "Snowflake Support is allowed to use the user or account",
        ),
        (
            "DAYS_TO_EXPIRY",
            number(user.days_to_expiry),
            "null",
            "User record will be treated as expired after specified number of days",
        ),
        (
            "MINS_TO_UNLOCK",
            number(user.mins_to_unlock),
            "null",
            "Temporary lock on the user will be removed after specified number of minutes",
        ),
        (
            "DEFAULT_WAREHOUSE",
            user.default_warehouse.as_ref().map(Name::to_string),
            "null",
            "Default warehouse for this user",
        ),
        (
            "DEFAULT_NAMESPACE",
            user.default_namespace.clone(),
            "null",
            "Default database namespace prefix for this user",
        ),
        (
            "DEFAULT_ROLE",
            user.default_role.as_ref().map(Name::to_string),
            "null",
            "Primary principal of user session will be set to this role",
        ),
        (
            "DEFAULT_SECONDARY_ROLES",
            Some(secondary_roles(user)),
            "null",
            "The secondary roles will be set to all roles provided here",
        ),
        (
            "EXT_AUTHN_DUO",
            flag(false),
            "false",
            "Whether Duo Security is enabled as second factor authentication",
        ),
        (
            "EXT_AUTHN_UID",
            None,
            "null",
            "External authentication ID of the user",
        ),
        (
            "DEFAULT_MFA_METHOD",
            None,
            "null",
            "Default MFA method of the user",
        ),
        (
            "HAS_MFA",
            flag(false),
            "false",
            "Whether the user is enrolled in multi-factor authentication",
        ),
        (
            "HAS_PAT",
            flag(has_pat),
            "false",
            "Whether the user has a programmatic access token",
        ),
        (
            "HAS_WORKLOAD_IDENTITY",
            flag(false),
            "false",
            "Whether the user has a workload identity",
        ),
        (
            "MINS_TO_BYPASS_MFA",
            number(user.mins_to_bypass_mfa),
            "null",
            "Temporary bypass MFA for the user for a specified number of minutes",
        ),
        (
            "MINS_TO_BYPASS_NETWORK_POLICY",
            None,
            "null",
            "Temporary bypass network policy on the user for a specified number of minutes",
        ),
        (
            "RSA_PUBLIC_KEY",
            user.rsa_public_key.as_ref().map(|key| key.body.clone()),
            "null",
            "RSA public key of the user",
        ),
        (
            "RSA_PUBLIC_KEY_FP",
            user.rsa_public_key
                .as_ref()
                .map(|key| key.fingerprint.clone()),
            "null",
            "Fingerprint of user's RSA public key.",
        ),
        (
            "RSA_PUBLIC_KEY_LAST_SET_TIME",
            time(user.rsa_public_key.as_ref().map(|key| key.set_on)),
            "null",
            "The timestamp at which the RSA public key was last set for the user",
        ),
        (
            "RSA_PUBLIC_KEY_2",
            user.rsa_public_key_2.as_ref().map(|key| key.body.clone()),
            "null",
            "Second RSA public key of the user",
        ),
        (
            "RSA_PUBLIC_KEY_2_FP",
            user.rsa_public_key_2
                .as_ref()
                .map(|key| key.fingerprint.clone()),
            "null",
            "Fingerprint of user's second RSA public key.",
        ),
        (
            "RSA_PUBLIC_KEY_2_LAST_SET_TIME",
            time(user.rsa_public_key_2.as_ref().map(|key| key.set_on)),
            "null",
            "The timestamp at which the second RSA public key was last set for the user",
        ),
        (
            "PASSWORD_LAST_SET_TIME",
            time(user.password_last_set),
            "null",
            "The timestamp on which the last non-null password was set for the user",
        ),
        (
            "CUSTOM_LANDING_PAGE_URL",
            None,
            "null",
            "Snowflake Support is allowed to use the user or account",
        ),
        (
            "CUSTOM_LANDING_PAGE_URL_FLUSH_NEXT_UI_LOAD",
            flag(false),
            "false",
            "The boolean indicating whether the custom landing page url should be flushed on next UI load",
        ),
        (
            "IS_FROM_ORGANIZATION_USER",
            flag(false),
            "false",
            "Whether the user was created from an organization user",
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
            Some(value.unwrap_or_else(|| "null".to_owned())),
            Some(default.to_owned()),
            Some(description.to_owned()),
        ]);
    }
    Ok(result)
}

fn secondary_roles(user: &User) -> String {
    let quoted: Vec<String> = user
        .default_secondary_roles
        .iter()
        .map(|role| format!("\"{role}\""))
        .collect();
    format!("[{}]", quoted.join(","))
}

/// SHOW USERS column names, in order (reference §5.3).
const USER_COLUMNS: [&str; 31] = [
    "name",
    "created_on",
    "login_name",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "mins_to_unlock",
    "days_to_expiry",
    "comment",
    "disabled",
    "must_change_password",
    "snowflake_lock",
    "default_warehouse",
    "default_namespace",
    "default_role",
    "default_secondary_roles",
    "ext_authn_duo",
    "ext_authn_uid",
    "mins_to_bypass_mfa",
    "owner",
    "last_success_login",
    "expires_at_time",
    "locked_until_time",
    "has_password",
    "has_rsa_public_key",
    "type",
    "has_mfa",
    "has_pat",
    "has_workload_identity",
    "is_from_organization_user",
];

/// SHOW TERSE USERS column names, in order.
const TERSE_COLUMNS: [&str; 15] = [
    "name",
    "created_on",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "org_identity",
    "comment",
    "has_password",
    "has_rsa_public_key",
    "type",
    "has_mfa",
    "has_pat",
    "has_federated_workload_authentication",
    "is_from_organization_user",
];

fn column(name: &str) -> Column {
    match name {
        "created_on" | "last_success_login" | "expires_at_time" | "locked_until_time" => {
            Column::timestamp(name)
        }
        _ => Column::text(name),
    }
}

fn user_value(user: &User, column: &str, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let flag = |value: bool| Some(encode_bool(value));
    match column {
        "name" => Some(user.name.to_string()),
        "created_on" => Some(encode_timestamp(user.created_on)),
        "login_name" => Some(user.login_name.clone()),
        "display_name" => Some(user.display_name.clone()),
        "first_name" => user.first_name.clone(),
        "last_name" => user.last_name.clone(),
        "email" => user.email.clone(),
        "mins_to_unlock" => user.mins_to_unlock.map(|n| n.to_string()),
        "days_to_expiry" => user.days_to_expiry.map(|n| n.to_string()),
        "comment" => user.comment.clone(),
        "disabled" => flag(user.disabled),
        "must_change_password" => flag(user.must_change_password),
        "snowflake_lock"
        | "ext_authn_duo"
        | "has_mfa"
        | "has_workload_identity"
        | "has_federated_workload_authentication"
        | "is_from_organization_user" => flag(false),
        "default_warehouse" => user.default_warehouse.as_ref().map(Name::to_string),
        "default_namespace" => user.default_namespace.clone(),
        "default_role" => user.default_role.as_ref().map(Name::to_string),
        "default_secondary_roles" => Some(secondary_roles(user)),
        "mins_to_bypass_mfa" => user.mins_to_bypass_mfa.map(|n| n.to_string()),
        "owner" => Some(user.owner.to_string()),
        "expires_at_time" => user
            .days_to_expiry
            .map(|days| encode_timestamp(user.created_on + chrono::Duration::days(days))),
        "has_password" => flag(user.has_password()),
        "has_rsa_public_key" => {
            flag(user.rsa_public_key.is_some() || user.rsa_public_key_2.is_some())
        }
        "type" => Some(user.user_type.as_str().to_owned()),
        "has_pat" => flag(user.counted_tokens(now) > 0),
        _ => None,
    }
}

/// Most rows SHOW USERS returns, and the largest `LIMIT` it takes.
const MAX_SHOW_USERS: u64 = 10_000;

pub(super) fn show(
    context: &mut Context<'_>,
    terse: bool,
    filter: &ShowFilter,
) -> Result<ResultSet> {
    if let Some(limit) = filter.limit
        && limit > MAX_SHOW_USERS
    {
        return Err(StatementError::invalid_value("LIMIT", limit.to_string()));
    }
    let mut filter = filter.clone();
    filter.limit = Some(filter.limit.unwrap_or(MAX_SHOW_USERS));
    let filter = &filter;
    let names: &[&str] = if terse { &TERSE_COLUMNS } else { &USER_COLUMNS };
    let mut result = ResultSet::new(names.iter().map(|name| column(name)).collect());
    let privileged = context.is_admin();
    let users = filter_names(
        context
            .account
            .users
            .values()
            .map(|user| (user.name.as_str(), user)),
        filter,
    );
    for user in users {
        result.push(
            names
                .iter()
                .map(|name| {
                    if privileged || *name == "name" {
                        user_value(user, name, context.now)
                    } else {
                        None
                    }
                })
                .collect(),
        );
    }
    Ok(result)
}

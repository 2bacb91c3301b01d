//! Roles and role grants: CREATE / DROP ROLE, SHOW ROLES, GRANT / REVOKE ROLE … TO / FROM USER
//! or ROLE, SHOW GRANTS TO USER and SHOW GRANTS OF ROLE (reference §5.5–5.6).
//!
//! SHOW GRANTS TO USER uses the classic role-grant shape (`created_on, role, granted_to,
//! grantee_name, granted_by`), the shape SHOW GRANTS OF ROLE documents; PUBLIC is never listed.
//! The system roles cannot be dropped (003001 on the role). A grant that would make a role inherit
//! itself is refused (003012, a sandbox choice).

use super::{Context, Result, filter_names};
use crate::sandbox::account::{GrantTarget, Role, RoleGrant};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::Name;
use crate::sandbox::result_set::{Column, ResultSet, encode_timestamp};
use crate::sandbox::sql::ast::{CreateKind, CreateMode, Grantee, ShowFilter};

pub(super) fn create_role(
    context: &mut Context<'_>,
    mode: CreateMode,
    name: &Name,
    comment: Option<&str>,
) -> Result<ResultSet> {
    context.require_account_admin()?;
    if let Some(existing) = context.account.roles.get(name) {
        if mode.if_not_exists {
            return Ok(ResultSet::status(format!(
                "{name} already exists, statement succeeded."
            )));
        }
        if mode.kind == CreateKind::Create || existing.system {
            return Err(StatementError::already_exists(name));
        }
    }
    let owner = context.owner();
    context.account.roles.insert(
        name.clone(),
        Role {
            name: name.clone(),
            created_on: context.now,
            owner: Some(owner),
            comment: comment.map(str::to_owned),
            system: false,
        },
    );
    Ok(ResultSet::status(format!(
        "Role {name} successfully created."
    )))
}

pub(super) fn drop_role(
    context: &mut Context<'_>,
    if_exists: bool,
    name: &Name,
) -> Result<ResultSet> {
    context.require_admin(ObjectKind::Role, name)?;
    match context.account.roles.get(name) {
        None if if_exists => {
            return Ok(ResultSet::status(format!(
                "Drop statement executed successfully ({name} already dropped)."
            )));
        }
        None => return Err(StatementError::does_not_exist(ObjectKind::Role, name)),
        Some(role) if role.system => {
            return Err(StatementError::insufficient(ObjectKind::Role, name));
        }
        Some(_) => {}
    }
    context.account.roles.remove(name);
    let grants = &mut context.account.role_grants;
    grants.remove_role(name);
    grants.remove_grantee(&GrantTarget::Role(name.clone()));
    Ok(ResultSet::status(format!("{name} successfully dropped.")))
}

fn grant_target(context: &Context<'_>, grantee: &Grantee) -> Result<GrantTarget> {
    match grantee {
        Grantee::User(user) => {
            context.user(user)?;
            Ok(GrantTarget::User(user.clone()))
        }
        Grantee::Role(role) => {
            if !context.account.roles.contains_key(role) {
                return Err(StatementError::does_not_exist(ObjectKind::Role, role));
            }
            Ok(GrantTarget::Role(role.clone()))
        }
    }
}

pub(super) fn grant(
    context: &mut Context<'_>,
    role: &Name,
    grantee: &Grantee,
) -> Result<ResultSet> {
    context.require_admin(ObjectKind::Role, role)?;
    if !context.account.roles.contains_key(role) {
        return Err(StatementError::does_not_exist(ObjectKind::Role, role));
    }
    let target = grant_target(context, grantee)?;
    if let GrantTarget::Role(parent) = &target
        && context.account.role_closure(role).contains(parent)
    {
        return Err(StatementError::RoleCycle {
            role: role.to_string(),
            grantee: parent.to_string(),
        });
    }
    if !context.account.role_grants.contains(role, &target) {
        context.account.role_grants.push(RoleGrant {
            role: role.clone(),
            grantee: target,
            created_on: context.now,
            granted_by: context.owner(),
        });
    }
    Ok(ResultSet::status("Statement executed successfully."))
}

pub(super) fn revoke(
    context: &mut Context<'_>,
    role: &Name,
    grantee: &Grantee,
) -> Result<ResultSet> {
    context.require_admin(ObjectKind::Role, role)?;
    if !context.account.roles.contains_key(role) {
        return Err(StatementError::does_not_exist(ObjectKind::Role, role));
    }
    let target = grant_target(context, grantee)?;
    context.account.role_grants.revoke(role, &target);
    Ok(ResultSet::status("Statement executed successfully."))
}

fn grant_columns() -> ResultSet {
    ResultSet::new(vec![
        Column::timestamp("created_on"),
        Column::text("role"),
        Column::text("granted_to"),
        Column::text("grantee_name"),
        Column::text("granted_by"),
    ])
}

fn grant_row(grant: &RoleGrant) -> Vec<Option<String>> {
    let (kind, name) = match &grant.grantee {
        GrantTarget::User(name) => ("USER", name),
        GrantTarget::Role(name) => ("ROLE", name),
    };
    vec![
        Some(encode_timestamp(grant.created_on)),
        Some(grant.role.to_string()),
        Some(kind.to_owned()),
        Some(name.to_string()),
        Some(grant.granted_by.to_string()),
    ]
}

pub(super) fn show_to_user(context: &mut Context<'_>, user: &Name) -> Result<ResultSet> {
    if *user != context.session.user {
        context.require_admin(ObjectKind::User, user)?;
    }
    context.user(user)?;
    let mut result = grant_columns();
    for grant in context.account.direct_roles(user) {
        result.push(grant_row(grant));
    }
    Ok(result)
}

pub(super) fn show_of_role(context: &mut Context<'_>, role: &Name) -> Result<ResultSet> {
    if !context.account.roles.contains_key(role) {
        return Err(StatementError::does_not_exist(ObjectKind::Role, role));
    }
    if !context.is_admin()
        && !context
            .account
            .role_closure(&context.session.role)
            .contains(role)
    {
        return Err(StatementError::insufficient(ObjectKind::Role, role));
    }
    let mut result = grant_columns();
    for grant in context.account.role_grants.of(role) {
        result.push(grant_row(grant));
    }
    Ok(result)
}

pub(super) fn show_roles(context: &mut Context<'_>, filter: &ShowFilter) -> Result<ResultSet> {
    let mut result = ResultSet::new(vec![
        Column::timestamp("created_on"),
        Column::text("name"),
        Column::text("is_default"),
        Column::text("is_current"),
        Column::text("is_inherited"),
        Column::fixed("assigned_to_users"),
        Column::fixed("granted_to_roles"),
        Column::fixed("granted_roles"),
        Column::text("owner"),
        Column::text("comment"),
        Column::text("owner_role_type"),
    ]);
    let visible = context.account.role_closure(&context.session.role);
    let admin = context.is_admin();
    let default_role = context
        .account
        .users
        .get(&context.session.user)
        .and_then(|user| user.default_role.clone());
    let roles = filter_names(
        context
            .account
            .roles
            .values()
            .filter(|role| admin || visible.contains(&role.name))
            .map(|role| (role.name.as_str(), role)),
        filter,
    );
    let grants = &context.account.role_grants;
    for role in roles {
        let to_users = grants
            .of(&role.name)
            .filter(|g| matches!(g.grantee, GrantTarget::User(_)))
            .count();
        let to_roles = grants
            .of(&role.name)
            .filter(|g| matches!(g.grantee, GrantTarget::Role(_)))
            .count();
        let granted = grants.to_role(&role.name).count();
        result.push(vec![
            Some(encode_timestamp(role.created_on)),
            Some(role.name.to_string()),
            Some(
                if default_role.as_ref() == Some(&role.name) {
                    "Y"
                } else {
                    "N"
                }
                .to_owned(),
            ),
            Some(
                if role.name == context.session.role {
                    "Y"
                } else {
                    "N"
                }
                .to_owned(),
            ),
            Some(
                if role.name != context.session.role && visible.contains(&role.name) {
                    "Y"
                } else {
                    "N"
                }
                .to_owned(),
            ),
            Some(to_users.to_string()),
            Some(to_roles.to_string()),
            Some(granted.to_string()),
            Some(role.owner.as_ref().map(Name::to_string).unwrap_or_default()),
            role.comment.clone(),
            Some(if role.owner.is_some() { "ROLE" } else { "" }.to_owned()),
        ]);
    }
    Ok(result)
}

//! Diffing users: creation, managed properties, role grants and policy attachments.
//!
//! A user property the file leaves out is not managed. Roles are only granted, never revoked.
//! An attachment the file does not state is left alone, unless the policy it points to is being
//! dropped, in which case it is detached first.

use super::{Cx, attr_opt_text, attr_text};
use crate::model::desired::UserSpec;
use crate::model::live::LiveUser;
use crate::model::{Identifier, ObjectName, spelling};
use crate::plan::address::Address;
use crate::plan::change::{Action, AttributeChange, Reason, Statement};
use crate::sql::statements::{self as sql, UserProperty, UserSetting};

/// Roles every user holds without a grant.
const IMPLICIT_ROLES: &[&str] = &["PUBLIC"];

pub(super) fn users(cx: &mut Cx<'_>) {
    for (name, spec) in &cx.desired.users {
        let live = cx.live.users.get(name);
        user_properties(cx, name, spec, live);
        grants(cx, name, spec, live);
        network_policy(cx, name, spec, live);
        authentication_policy(cx, name, spec, live);
    }
}

fn user_properties(cx: &mut Cx<'_>, name: &Identifier, spec: &UserSpec, live: Option<&LiveUser>) {
    let address = Address::User(name.clone());
    let want_type = spec.user_type.map(|t| spelling(&t));
    match live {
        None => {
            let mut settings = Vec::new();
            let mut attributes = Vec::new();
            let user_type = want_type.clone().unwrap_or_else(|| "PERSON".to_owned());
            settings.push(UserSetting::Type(user_type.clone()));
            attributes.push(attr_text("type", None, Some(&user_type)));
            if let Some(r) = &spec.default_role {
                settings.push(UserSetting::DefaultRole(r.clone()));
                attributes.push(attr_text("default_role", None, Some(r.as_str())));
            }
            if let Some(c) = &spec.comment {
                settings.push(UserSetting::Comment(c.clone()));
                attributes.push(attr_text("comment", None, Some(c)));
            }
            if let Some(d) = spec.disabled {
                settings.push(UserSetting::Disabled(d));
                attributes.push(AttributeChange {
                    name: "disabled".into(),
                    before: None,
                    after: Some(crate::plan::change::AttrValue::Bool(d)),
                });
            }
            cx.push(
                address,
                Action::Create,
                attributes,
                Reason::NotInAccount,
                vec![Statement::new(sql::create_user(name, &settings))],
            );
        }
        Some(l) => {
            let mut set = Vec::new();
            let mut unset = Vec::new();
            let mut attributes = Vec::new();
            let have_type = l.user_type.clone().unwrap_or_else(|| "PERSON".to_owned());
            if let Some(t) = &want_type {
                if *t != have_type {
                    set.push(UserSetting::Type(t.clone()));
                    attributes.push(attr_text("type", Some(&have_type), Some(t)));
                }
            }
            if let Some(r) = &spec.default_role {
                if l.default_role.as_ref() != Some(r) {
                    set.push(UserSetting::DefaultRole(r.clone()));
                    attributes.push(attr_opt_text(
                        "default_role",
                        Some(l.default_role.as_ref().map(Identifier::as_str)),
                        Some(Some(r.as_str())),
                    ));
                }
            }
            if let Some(c) = &spec.comment {
                if l.comment.as_ref() != Some(c) {
                    if c.is_empty() {
                        unset.push(UserProperty::Comment);
                    } else {
                        set.push(UserSetting::Comment(c.clone()));
                    }
                    attributes.push(attr_opt_text(
                        "comment",
                        Some(l.comment.as_deref()),
                        Some(Some(c)),
                    ));
                }
            }
            if let Some(d) = spec.disabled {
                if l.disabled != d {
                    set.push(UserSetting::Disabled(d));
                    attributes.push(AttributeChange {
                        name: "disabled".into(),
                        before: Some(crate::plan::change::AttrValue::Bool(l.disabled)),
                        after: Some(crate::plan::change::AttrValue::Bool(d)),
                    });
                }
            }
            let mut statements = Vec::new();
            if !set.is_empty() {
                statements.push(Statement::new(sql::alter_user_set(name, &set)));
            }
            if !unset.is_empty() {
                statements.push(Statement::new(sql::alter_user_unset(name, &unset)));
            }
            if !statements.is_empty() {
                cx.push(
                    address,
                    Action::Update,
                    attributes,
                    Reason::Drifted,
                    statements,
                );
            }
        }
    }
}

fn grants(cx: &mut Cx<'_>, name: &Identifier, spec: &UserSpec, live: Option<&LiveUser>) {
    let mut seen = std::collections::BTreeSet::new();
    for role in &spec.roles {
        if IMPLICIT_ROLES.contains(&role.as_str()) || !seen.insert(role) {
            continue;
        }
        if live.is_some_and(|l| l.roles.contains(role)) {
            continue;
        }
        cx.push(
            Address::UserRole(name.clone(), role.clone()),
            Action::Grant,
            vec![],
            Reason::RoleNotGranted,
            vec![Statement::new(sql::grant_role(role, name))],
        );
    }
}

fn network_policy(cx: &mut Cx<'_>, name: &Identifier, spec: &UserSpec, live: Option<&LiveUser>) {
    let have = live.and_then(|l| l.network_policy.as_ref());
    let address = Address::UserNetworkPolicy(name.clone());
    let attribute = |want: Option<&Identifier>| {
        attr_opt_text(
            "network_policy",
            Some(have.map(Identifier::as_str)),
            Some(want.map(Identifier::as_str)),
        )
    };
    match (&spec.network_policy, have) {
        (Some(want), have) if have != Some(want) => cx.push(
            address,
            Action::Attach,
            vec![attribute(Some(want))],
            Reason::AttachmentDiffers,
            vec![Statement::new(sql::alter_user_set_network_policy(
                name, want,
            ))],
        ),
        (None, Some(have)) if cx.drops_network_policy(have) => cx.push(
            address,
            Action::Detach,
            vec![attribute(None)],
            Reason::PolicyDropped {
                policy: format!("network_policy.{have}"),
            },
            vec![Statement::new(sql::alter_user_unset_network_policy(name))],
        ),
        _ => {}
    }
}

fn authentication_policy(
    cx: &mut Cx<'_>,
    name: &Identifier,
    spec: &UserSpec,
    live: Option<&LiveUser>,
) {
    let have = live.and_then(|l| l.authentication_policy.as_ref());
    let address = Address::UserAuthenticationPolicy(name.clone());
    let text = |n: Option<&ObjectName>| n.map(ToString::to_string);
    match (&spec.authentication_policy, have) {
        (Some(want), have) if have != Some(want) => cx.push(
            address,
            Action::Attach,
            vec![attr_opt_text(
                "authentication_policy",
                Some(text(have).as_deref()),
                Some(Some(&want.to_string())),
            )],
            Reason::AttachmentDiffers,
            vec![Statement::new(sql::alter_user_set_authentication_policy(
                name,
                want,
                have.is_some(),
            ))],
        ),
        (None, Some(have)) if cx.drops_authentication_policy(have) => cx.push(
            address,
            Action::Detach,
            vec![attr_opt_text(
                "authentication_policy",
                Some(Some(&have.to_string())),
                Some(None),
            )],
            Reason::PolicyDropped {
                policy: format!("authentication_policy.{have}"),
            },
            vec![Statement::new(sql::alter_user_unset_authentication_policy(
                name,
            ))],
        ),
        _ => {}
    }
}

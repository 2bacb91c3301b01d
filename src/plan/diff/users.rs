//! Diffing users: creation, managed properties, role grants and policy attachments.
//!
//! A user property the file leaves out is not managed. Roles are only granted, never revoked.
//! An attachment the file does not state is left alone, unless the policy it points to is being
//! dropped, in which case it is detached first.

use super::{Cx, attr_opt_text, attr_text, comment};
use crate::model::desired::{UserSpec, UserType};
use crate::model::live::LiveUser;
use crate::model::{Identifier, ObjectName, Vocabulary};
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
    let want_type = spec.user_type;
    match live {
        None => {
            let mut settings = Vec::new();
            let mut attributes = Vec::new();
            let user_type = want_type.unwrap_or(UserType::Person).as_str();
            settings.push(UserSetting::Type(user_type.to_owned()));
            attributes.push(attr_text("type", None, Some(user_type)));
            if let Some(r) = &spec.default_role {
                settings.push(UserSetting::DefaultRole(r.clone()));
                attributes.push(attr_text("default_role", None, Some(r.as_str())));
            }
            if let Some(c) = comment(&spec.comment) {
                settings.push(UserSetting::Comment(c.to_owned()));
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
            let have_type = l.user_type();
            if let Some(t) = want_type {
                if !have_type.is(t) {
                    set.push(UserSetting::Type(t.as_str().to_owned()));
                    attributes.push(attr_text(
                        "type",
                        Some(have_type.as_str()),
                        Some(t.as_str()),
                    ));
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
            // A declared comment is managed; an empty one means none.
            if spec.comment.is_some() {
                let (want, have) = (comment(&spec.comment), comment(&l.comment));
                if want != have {
                    match want {
                        Some(c) => set.push(UserSetting::Comment(c.to_owned())),
                        None => unset.push(UserProperty::Comment),
                    }
                    attributes.push(attr_text("comment", have, want));
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::plan::Action::{Attach, Create, Detach, Grant, Update};
    use crate::plan::diff;
    use crate::plan::testkit::{Seen, change, config, live, now, seen};

    /// The policies every case may attach: all exist in the account.
    fn objects() -> Value {
        json!({
            "network_policies": { "NP": {}, "NP2": {} },
            "authentication_policies": { "D.S.AP": {}, "D.S.AP2": {} }
        })
    }

    fn plan_users(users: Value, live_users: Value) -> Vec<Seen> {
        let mut desired = objects();
        desired["users"] = users;
        let mut state = objects();
        state["users"] = live_users;
        let p = diff(
            &config(desired),
            &live(state),
            now(),
            &crate::plan::DiffInputs::default(),
        );
        seen(&p)
            .into_iter()
            .filter(|c| c.address.starts_with("user."))
            .collect()
    }

    #[test]
    fn users_are_created_when_missing_and_never_dropped() {
        let cases: Vec<(&str, Value, Value, Vec<Seen>)> = vec![
            (
                "a missing user is created with its properties, then granted and attached",
                json!({ "U": {
                    "type": "SERVICE", "default_role": "R", "roles": ["R", "PUBLIC"],
                    "comment": "svc", "disabled": false,
                    "network_policy": "NP", "authentication_policy": "D.S.AP"
                } }),
                json!({}),
                vec![
                    change(
                        Create,
                        "user.U",
                        &[
                            r#"CREATE USER "U" TYPE = SERVICE DEFAULT_ROLE = "R" COMMENT = 'svc' DISABLED = FALSE"#,
                        ],
                    ),
                    change(Grant, "user.U.role.R", &[r#"GRANT ROLE "R" TO USER "U""#]),
                    change(
                        Attach,
                        "user.U.network_policy",
                        &[r#"ALTER USER "U" SET NETWORK_POLICY = "NP""#],
                    ),
                    change(
                        Attach,
                        "user.U.authentication_policy",
                        &[r#"ALTER USER "U" SET AUTHENTICATION POLICY "D"."S"."AP""#],
                    ),
                ],
            ),
            (
                "a new user without a type is a PERSON",
                json!({ "U": {} }),
                json!({}),
                vec![change(
                    Create,
                    "user.U",
                    &[r#"CREATE USER "U" TYPE = PERSON"#],
                )],
            ),
            (
                "a user in the account but not in the file is left alone",
                json!({}),
                json!({ "OTHER": { "user_type": "SERVICE", "roles": ["R"] } }),
                vec![],
            ),
            (
                "a type change is ALTER USER ... SET TYPE, never a re-creation",
                json!({ "U": { "type": "SERVICE" } }),
                json!({ "U": { "user_type": "PERSON" } }),
                vec![change(
                    Update,
                    "user.U",
                    &[r#"ALTER USER "U" SET TYPE = SERVICE"#],
                )],
            ),
            (
                "no type in the account reads as PERSON",
                json!({ "U": { "type": "PERSON" } }),
                json!({ "U": {} }),
                vec![],
            ),
            (
                "omitted properties are untouched",
                json!({ "U": {} }),
                json!({ "U": {
                    "user_type": "LEGACY_SERVICE", "default_role": "X", "comment": "theirs",
                    "disabled": true, "roles": ["OTHER"], "network_policy": "NP2",
                    "authentication_policy": "D.S.AP2"
                } }),
                vec![],
            ),
            (
                "declared properties that differ are SET in one statement",
                json!({ "U": { "default_role": "R", "comment": "it's ours", "disabled": false } }),
                json!({ "U": { "default_role": "X", "comment": "theirs", "disabled": true } }),
                vec![change(
                    Update,
                    "user.U",
                    &[
                        r#"ALTER USER "U" SET DEFAULT_ROLE = "R" COMMENT = 'it''s ours' DISABLED = FALSE"#,
                    ],
                )],
            ),
            (
                "an empty comment unsets the comment",
                json!({ "U": { "comment": "" } }),
                json!({ "U": { "comment": "theirs" } }),
                vec![change(
                    Update,
                    "user.U",
                    &[r#"ALTER USER "U" UNSET COMMENT"#],
                )],
            ),
            (
                "an empty comment against none: nothing (no churn)",
                json!({ "U": { "comment": "" } }),
                json!({ "U": {} }),
                vec![],
            ),
        ];
        for (name, users, live_users, want) in cases {
            assert_eq!(plan_users(users, live_users), want, "case `{name}`");
        }
    }

    #[test]
    fn roles_are_only_granted_when_missing() {
        let cases: Vec<(&str, Value, Value, Vec<Seen>)> = vec![
            (
                "missing roles are granted, held ones are not, PUBLIC never",
                json!({ "U": { "roles": ["A", "B", "PUBLIC", "A"] } }),
                json!({ "U": { "roles": ["B"] } }),
                vec![change(
                    Grant,
                    "user.U.role.A",
                    &[r#"GRANT ROLE "A" TO USER "U""#],
                )],
            ),
            (
                "roles the file does not list are never revoked",
                json!({ "U": { "roles": ["A"] } }),
                json!({ "U": { "roles": ["A", "EXTRA"] } }),
                vec![],
            ),
            (
                "a quoted role keeps its case",
                json!({ "U": { "roles": ["\"Mixed Role\""] } }),
                json!({ "U": {} }),
                vec![change(
                    Grant,
                    "user.U.role.\"Mixed Role\"",
                    &[r#"GRANT ROLE "Mixed Role" TO USER "U""#],
                )],
            ),
        ];
        for (name, users, live_users, want) in cases {
            assert_eq!(plan_users(users, live_users), want, "case `{name}`");
        }
    }

    #[test]
    fn policy_attachments() {
        let cases: Vec<(&str, Value, Value, Vec<Seen>)> = vec![
            (
                "attach where none is attached (no FORCE)",
                json!({ "U": { "network_policy": "NP", "authentication_policy": "D.S.AP" } }),
                json!({ "U": {} }),
                vec![
                    change(
                        Attach,
                        "user.U.network_policy",
                        &[r#"ALTER USER "U" SET NETWORK_POLICY = "NP""#],
                    ),
                    change(
                        Attach,
                        "user.U.authentication_policy",
                        &[r#"ALTER USER "U" SET AUTHENTICATION POLICY "D"."S"."AP""#],
                    ),
                ],
            ),
            (
                "replace another attachment (FORCE for the authentication policy)",
                json!({ "U": { "network_policy": "NP", "authentication_policy": "D.S.AP" } }),
                json!({ "U": { "network_policy": "NP2", "authentication_policy": "D.S.AP2" } }),
                vec![
                    change(
                        Attach,
                        "user.U.network_policy",
                        &[r#"ALTER USER "U" SET NETWORK_POLICY = "NP""#],
                    ),
                    change(
                        Attach,
                        "user.U.authentication_policy",
                        &[r#"ALTER USER "U" SET AUTHENTICATION POLICY "D"."S"."AP" FORCE"#],
                    ),
                ],
            ),
            (
                "attached as declared: nothing",
                json!({ "U": { "network_policy": "NP", "authentication_policy": "D.S.AP" } }),
                json!({ "U": { "network_policy": "NP", "authentication_policy": "D.S.AP" } }),
                vec![],
            ),
        ];
        for (name, users, live_users, want) in cases {
            assert_eq!(plan_users(users, live_users), want, "case `{name}`");
        }
    }

    #[test]
    fn policies_the_file_drops_are_detached_first() {
        let desired = config(json!({
            "network_policies": { "NP": { "absent": true } },
            "authentication_policies": { "D.S.AP": { "absent": true } },
            "users": { "U": {}, "V": {} }
        }));
        // Attachments read (with a warehouse): none outside the file, so no warning either.
        let state = live(json!({
            "network_policies": { "NP": { "attachments": [] }, "NP2": {} },
            "authentication_policies": { "D.S.AP": { "attachments": [] } },
            "users": {
                "U": { "network_policy": "NP", "authentication_policy": "D.S.AP" },
                "V": { "network_policy": "NP2" }
            }
        }));
        let p = diff(&desired, &state, now(), &crate::plan::DiffInputs::default());
        // Each detach comes before its drop; ties by address would put user-level changes after
        // account objects, so only the dependency can do that.
        assert_eq!(
            seen(&p),
            vec![
                change(
                    Detach,
                    "user.U.network_policy",
                    &[r#"ALTER USER "U" UNSET NETWORK_POLICY"#],
                ),
                change(
                    crate::plan::Action::Delete,
                    "network_policy.NP",
                    &[r#"DROP NETWORK POLICY "NP""#],
                ),
                change(
                    Detach,
                    "user.U.authentication_policy",
                    &[r#"ALTER USER "U" UNSET AUTHENTICATION POLICY"#],
                ),
                change(
                    crate::plan::Action::Delete,
                    "authentication_policy.D.S.AP",
                    &[r#"DROP AUTHENTICATION POLICY "D"."S"."AP""#],
                ),
            ]
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }
}

//! Diffing programmatic access tokens: add, modify, rotate, replace, remove, and the cleanup of
//! rotation leftovers.
//!
//! ## The lifetime a token was created with
//!
//! SHOW does not report `DAYS_TO_EXPIRY`; it reports `created_on` and `expires_at`. The secret
//! in use was issued at some instant `t` between `created_on` and now (a rotation issues a new
//! one), and lives `expires_at - t`. So the token's lifetime `L` lies in
//! `[expires_at - now, expires_at - created_on]`, and is exactly `expires_at - r` when a rotation
//! leftover shows the rotation time `r` (a leftover's `created_on` is the rotation time).
//!
//! The diff replaces a token for a lifetime change only when the declared lifetime is outside
//! what SHOW allows (one hour of tolerance). This never replaces a token that matches, so a plan
//! after apply is empty. It detects every lifetime change of a token that has not been rotated
//! since its leftover expired, every increase, and a decrease larger than the time since the
//! secret was issued; a smaller decrease of a rotated token is only applied at its next
//! replacement. `pat-reconcile` does not keep a state file, and writing the lifetime into the
//! token's comment would take the comment away from its owners, so this is the sound middle.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::{Cx, attr_opt_text, attr_text};
use crate::model::Identifier;
use crate::model::desired::{Sink, TokenSpec, UnmanagedTokens, UserSpec};
use crate::model::live::{LiveToken, TokenStatus};
use crate::plan::address::Address;
use crate::plan::change::{Action, AttrValue, AttributeChange, Reason, Statement};
use crate::sql::statements::{self as sql, AddToken, TokenProperty, TokenSetting};

/// Slack when comparing a lifetime derived from timestamps with a number of days.
const LIFETIME_TOLERANCE_HOURS: i64 = 1;

pub(super) fn tokens(cx: &mut Cx<'_>) {
    for (user_name, spec) in &cx.desired.users {
        let live = cx.live.users.get(user_name);
        let live_tokens: &[LiveToken] = live.map_or(&[], |l| l.tokens.as_slice());
        let user_disabled = spec.disabled.or(live.map(|l| l.disabled)).unwrap_or(false);
        let mains: BTreeMap<&Identifier, &LiveToken> = live_tokens
            .iter()
            .filter(|t| !t.is_leftover())
            .map(|t| (&t.name, t))
            .collect();
        let leftovers: Vec<&LiveToken> = live_tokens.iter().filter(|t| t.is_leftover()).collect();

        for (token_name, token) in &spec.tokens {
            let own_leftovers: Vec<&LiveToken> = leftovers
                .iter()
                .copied()
                .filter(|l| l.rotated_to.as_ref() == Some(token_name))
                .collect();
            declared_token(
                cx,
                user_name,
                spec,
                token_name,
                token,
                mains.get(token_name).copied(),
                &own_leftovers,
                user_disabled,
            );
        }

        let remove_undeclared = spec.unmanaged_tokens == UnmanagedTokens::Remove;
        for (name, token) in &mains {
            if spec.tokens.contains_key(*name) || !remove_undeclared {
                continue;
            }
            cx.push(
                Address::Token(user_name.clone(), (*name).clone()),
                Action::Delete,
                removed_attributes(token),
                Reason::Undeclared,
                vec![Statement::new(sql::remove_token(user_name, name))],
            );
        }

        for leftover in &leftovers {
            let Some(parent) = &leftover.rotated_to else {
                continue;
            };
            let reason = if leftover.is_expired(cx.now) {
                Reason::LeftoverExpired {
                    token: parent.clone(),
                    expired_at: leftover.expires_at,
                }
            } else if remove_undeclared && !spec.tokens.contains_key(parent) {
                Reason::LeftoverOfRemoved {
                    token: parent.clone(),
                }
            } else {
                continue;
            };
            cx.push(
                Address::Token(user_name.clone(), leftover.name.clone()),
                Action::Delete,
                removed_attributes(leftover),
                reason,
                vec![Statement::new(sql::remove_token(user_name, &leftover.name))],
            );
        }
    }
}

fn removed_attributes(token: &LiveToken) -> Vec<AttributeChange> {
    vec![
        attr_opt_text(
            "role_restriction",
            Some(token.role_restriction.as_ref().map(Identifier::as_str)),
            Some(None),
        ),
        attr_text("expires_at", Some(&timestamp(token.expires_at)), None),
        attr_text("status", Some(token.status.as_str()), None),
    ]
    .into_iter()
    .filter(|a| a.before.is_some())
    .collect()
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Describes where a new secret goes, for the plan (never the secret itself).
fn delivery(token: &TokenSpec) -> AttrValue {
    let sinks: Vec<String> = token.deliver.iter().map(describe_sink).collect();
    AttrValue::Text(format!("(new secret, delivered to {})", sinks.join("; ")))
}

/// A sink as the plan names it, e.g. `json_file snowflake_config.json /pat`.
pub fn describe_sink(sink: &Sink) -> String {
    match sink {
        Sink::JsonFile(s) => format!("json_file {} {}", s.path, s.pointer),
        Sink::DotenvFile(s) => format!("dotenv_file {} {}", s.path, s.key),
        Sink::File(s) => format!("file {}", s.path),
        Sink::Command(s) => format!("command {}", s.argv.first().map_or("", String::as_str)),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the token's context"
)]
fn declared_token(
    cx: &mut Cx<'_>,
    user_name: &Identifier,
    user: &UserSpec,
    name: &Identifier,
    token: &TokenSpec,
    live: Option<&LiveToken>,
    leftovers: &[&LiveToken],
    user_disabled: bool,
) {
    let days = cx.desired.effective_days_to_expiry(user, token);
    let address = Address::Token(user_name.clone(), name.clone());
    let add = sql::add_token(
        user_name,
        name,
        &AddToken {
            role_restriction: token.role_restriction.as_ref(),
            days_to_expiry: Some(days),
            mins_to_bypass_network_policy_requirement: token
                .mins_to_bypass_network_policy_requirement,
            comment: token.comment.as_deref(),
        },
    );
    let want_disabled = token.disabled.unwrap_or(false);
    let disable_after_add = (want_disabled && !user_disabled).then(|| {
        Statement::new(sql::modify_token_set(
            user_name,
            name,
            &[TokenSetting::Disabled(true)],
        ))
    });
    let new_attributes = |before: Option<&LiveToken>| {
        let mut a = vec![
            attr_opt_text(
                "role_restriction",
                Some(
                    before
                        .and_then(|b| b.role_restriction.as_ref())
                        .map(Identifier::as_str),
                ),
                Some(token.role_restriction.as_ref().map(Identifier::as_str)),
            ),
            AttributeChange {
                name: "days_to_expiry".into(),
                before: None,
                after: Some(AttrValue::Number(days.into())),
            },
            attr_opt_text(
                "comment",
                Some(before.and_then(|b| b.comment.as_deref())),
                Some(token.comment.as_deref()),
            ),
            AttributeChange {
                name: "secret".into(),
                before: before.map(|_| AttrValue::Text("(current secret, revoked)".into())),
                after: Some(delivery(token)),
            },
        ];
        if let Some(m) = token.mins_to_bypass_network_policy_requirement {
            a.push(AttributeChange {
                name: "mins_to_bypass_network_policy_requirement".into(),
                before: None,
                after: Some(AttrValue::Number(m.into())),
            });
        }
        if want_disabled {
            a.push(AttributeChange {
                name: "disabled".into(),
                before: None,
                after: Some(AttrValue::Bool(true)),
            });
        }
        a.retain(|x| x.before.is_some() || x.after.is_some());
        a
    };

    let Some(l) = live else {
        let mut statements = vec![Statement::minting(add)];
        statements.extend(disable_after_add);
        cx.push(
            address,
            Action::Create,
            new_attributes(None),
            Reason::NotInAccount,
            statements,
        );
        return;
    };

    let replace = |reason: Reason| {
        let mut statements = vec![
            Statement::new(sql::remove_token(user_name, name)),
            Statement::minting(add.clone()),
        ];
        statements.extend(disable_after_add.clone());
        (Action::Replace, new_attributes(Some(l)), reason, statements)
    };

    if l.is_expired(cx.now) {
        let (action, attributes, reason, statements) = replace(Reason::Expired {
            expires_at: l.expires_at,
        });
        cx.push(address, action, attributes, reason, statements);
        return;
    }
    let mut immutable = Vec::new();
    if l.role_restriction != token.role_restriction {
        immutable.push("role_restriction".to_owned());
    }
    if !lifetime_consistent(l, leftovers, days, cx.now) {
        immutable.push("days_to_expiry".to_owned());
    }
    if !immutable.is_empty() {
        let (action, attributes, reason, statements) = replace(Reason::ImmutableChanged {
            attributes: immutable,
        });
        cx.push(address, action, attributes, reason, statements);
        return;
    }

    let (mut statements, mut attributes) = modifications(user_name, name, token, l, user_disabled);
    let left = l.expires_at - cx.now;
    let rotate_before = cx.desired.effective_rotate_before_days(user, token);
    if left <= Duration::days(rotate_before.into()) {
        let grace = cx.desired.effective_expire_rotated_hours(token);
        // Snowflake accepts at most the hours left on the current secret.
        let hours_left = u32::try_from(left.num_hours().max(0)).unwrap_or(u32::MAX);
        statements.push(Statement::minting(sql::rotate_token(
            user_name,
            name,
            grace.min(hours_left),
        )));
        attributes.push(AttributeChange {
            name: "secret".into(),
            before: Some(AttrValue::Text(format!(
                "(current secret, valid {} more hours)",
                grace.min(hours_left)
            ))),
            after: Some(delivery(token)),
        });
        cx.push(
            address,
            Action::Rotate,
            attributes,
            Reason::ExpiresSoon {
                expires_at: l.expires_at,
                days_left: left.num_days(),
                rotate_before_expiry_days: rotate_before,
            },
            statements,
        );
    } else if !statements.is_empty() {
        cx.push(
            address,
            Action::Update,
            attributes,
            Reason::Drifted,
            statements,
        );
    }
}

/// MODIFY statements for the mutable properties: comment, disabled, bypass minutes.
fn modifications(
    user_name: &Identifier,
    name: &Identifier,
    token: &TokenSpec,
    live: &LiveToken,
    user_disabled: bool,
) -> (Vec<Statement>, Vec<AttributeChange>) {
    let mut set = Vec::new();
    let mut unset = Vec::new();
    let mut attributes = Vec::new();

    match (&token.comment, &live.comment) {
        (None, Some(have)) => {
            unset.push(TokenProperty::Comment);
            attributes.push(attr_text("comment", Some(have), None));
        }
        (Some(want), have) if have.as_ref() != Some(want) => {
            set.push(TokenSetting::Comment(want.clone()));
            attributes.push(attr_opt_text(
                "comment",
                Some(have.as_deref()),
                Some(Some(want)),
            ));
        }
        _ => {}
    }

    // A disabled user's tokens are disabled by Snowflake; do not fight that.
    if !user_disabled {
        let want = token.disabled.unwrap_or(false);
        let have = live.status == TokenStatus::Disabled;
        if want != have {
            set.push(TokenSetting::Disabled(want));
            attributes.push(AttributeChange {
                name: "disabled".into(),
                before: Some(AttrValue::Bool(have)),
                after: Some(AttrValue::Bool(want)),
            });
        }
    }

    // SHOW counts the bypass minutes down, so only set-versus-unset is compared.
    let have_bypass = live
        .mins_to_bypass_network_policy_requirement
        .filter(|m| *m > 0);
    match (token.mins_to_bypass_network_policy_requirement, have_bypass) {
        (None, Some(m)) => {
            unset.push(TokenProperty::MinsToBypassNetworkPolicyRequirement);
            attributes.push(AttributeChange {
                name: "mins_to_bypass_network_policy_requirement".into(),
                before: Some(AttrValue::Number(m.into())),
                after: None,
            });
        }
        (Some(m), None) => {
            set.push(TokenSetting::MinsToBypassNetworkPolicyRequirement(m));
            attributes.push(AttributeChange {
                name: "mins_to_bypass_network_policy_requirement".into(),
                before: None,
                after: Some(AttrValue::Number(m.into())),
            });
        }
        _ => {}
    }

    let mut statements = Vec::new();
    if !set.is_empty() {
        statements.push(Statement::new(sql::modify_token_set(user_name, name, &set)));
    }
    if !unset.is_empty() {
        statements.push(Statement::new(sql::modify_token_unset(
            user_name, name, &unset,
        )));
    }
    (statements, attributes)
}

/// Whether the declared lifetime is consistent with what SHOW shows (module docs).
pub(crate) fn lifetime_consistent(
    token: &LiveToken,
    leftovers: &[&LiveToken],
    days: u32,
    now: DateTime<Utc>,
) -> bool {
    let want = Duration::days(days.into());
    let tolerance = Duration::hours(LIFETIME_TOLERANCE_HOURS);
    let rotated_at = leftovers
        .iter()
        .map(|l| l.created_on)
        .max()
        .filter(|t| *t >= token.created_on);
    match rotated_at {
        Some(t) => (token.expires_at - t - want).abs() <= tolerance,
        None => {
            let longest = token.expires_at - token.created_on;
            let shortest = token.expires_at - now;
            want <= longest + tolerance && want + tolerance >= shortest
        }
    }
}

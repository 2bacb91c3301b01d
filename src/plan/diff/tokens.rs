//! Diffing programmatic access tokens: add, modify, rotate, replace, remove, and the cleanup of
//! rotation leftovers.
//!
//! ## The lifetime a token was created with
//!
//! SHOW does not report `DAYS_TO_EXPIRY`; it reports `created_on` and `expires_at`, and a
//! rotation keeps both the token's `created_on` and its lifetime (the new secret gets "the same
//! DAYS_TO_EXPIRY property set when the token was first created"). The secret in use was issued
//! at some instant `t`: at `created_on`, or at a rotation since. A rotation leftover still in
//! the account shows a rotation time `r` (its `created_on`), so `t >= r`. Hence the lifetime `L`
//! lies in `[expires_at - now, expires_at - max(created_on, r)]`, and that range is exact when
//! the secret was issued at `created_on` or at the latest leftover's `r` (right after an ADD or a
//! ROTATE it always is).
//!
//! The diff replaces a token for a lifetime change only when the declared lifetime is outside
//! that range (one hour of tolerance). This is sound: a token whose lifetime matches is never
//! replaced, so the plan after an apply that added or replaced tokens is empty. It detects:
//! - on a token never rotated, or whose latest rotation leftover is still shown, every longer
//!   lifetime, and a shorter one while more time is left on the secret than the new lifetime;
//! - on a token rotated earlier whose leftover is gone, a change the range excludes.
//!
//! A change the range cannot exclude is found at the token's next rotation: the rotation keeps
//! the old lifetime, its leftover pins it, and the plan after that apply replaces the token
//! (`days_to_expiry` cannot change in place). So a lifetime change takes effect by the next
//! rotation at the latest, and only a token whose declared lifetime changed is ever replaced.
//! `pat-reconcile` keeps no state file, and writing the lifetime into the token's comment would
//! take the comment away from its owners; this is the sound middle.
//!
//! The same range keeps a rotation from repeating should Snowflake not extend `expires_at` at
//! ROTATE (the ROTATE page promises "an extended expiration", the PAT guide's own SHOW example
//! keeps the old one: reference Corrections 16). The leftover then pins the issue time to the
//! rotation, the range no longer holds the declared lifetime, and the next plan replaces the
//! token once (a fresh ADD always gets its full lifetime) instead of rotating it on every run.
//!
//! ## Rotation leftovers
//!
//! A rotation leaves the old secret as `<NAME>_ROTATED_<n>` (`rotated_to` set). It belongs to
//! its token: kept while its grace period runs, removed once expired, never undeclared; when its
//! token is removed as undeclared, it goes too. A leftover of a rotation with no grace
//! (`EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0`, or clamped to 0 in the last hour) is expired from
//! birth (`expires_at` equals `created_on`). It never worked and does not count against the
//! 15-token limit; removing it would make the plan right after every such rotation non-empty, so
//! it is left to Snowflake, which deletes expired tokens by itself after some days.
//!
//! ## Replacement without downtime
//!
//! A working (not expired) token that must be replaced is made before it is broken: the new
//! token is added as `<NAME>_NEXT` and its secret delivered (the ADD is a minting statement
//! with its recovery, under the temporary name), then the old token is removed and the new one
//! renamed: `ADD <NAME>_NEXT`, `REMOVE <NAME>`, `MODIFY <NAME>_NEXT RENAME TO <NAME>`. The old
//! secret keeps working until the new one is delivered; apply stops at a failed delivery, so
//! the old token is never removed before its successor reached its sinks. `_NEXT` cannot be a
//! rotation leftover (`<NAME>_ROTATED_<n>` ends in a number) and leftovers keep their names.
//!
//! The temporary token needs a free slot: when the user would exceed the 15-token limit with
//! it, or `<NAME>_NEXT` is itself declared (or too long a name), the token is replaced as
//! REMOVE then ADD and preflight warns that its consumer is down until it reads the new
//! secret. An expired token is replaced directly: there is nothing working to keep.
//!
//! A live `<NAME>_NEXT` of a declared token is the trace of an apply interrupted after the
//! ADD. Its secret reached every sink (a failed delivery leaves a pending delivery, which fails
//! the plan until apply delivers it), so when it is working and matches the declaration the
//! plan finishes the replacement: REMOVE `<NAME>` if it is still there, then the RENAME. A
//! `<NAME>_NEXT` that expired or no longer matches is removed, and `<NAME>` is planned as
//! usual. It is never counted as an undeclared token.
//!
//! With `replace_overlap_hours`, both tokens work for that long: the replacement stops after
//! the ADD and its delivery, and the plans during the overlap leave `<NAME>_NEXT` alone (it
//! counts against the limit); the first plan after it (from the temporary's `created_on`)
//! finishes the replacement as above.
//!
//! ## Bypass minutes
//!
//! SHOW counts `mins_to_bypass_network_policy_requirement` down to zero, so only whether a
//! bypass was set is compared: a declared bypass is set when SHOW shows none (`NULL`), and an
//! active one (above zero) is unset when the file declares none. A bypass that has run out is
//! neither renewed nor unset, so the window is never extended behind the owner's back.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::inputs::OldSecret;
use super::intents;
use super::{Cx, attr_opt_text, attr_text, comment};
use crate::model::Identifier;
use crate::model::desired::{Sink, TokenSpec, UnmanagedTokens, UserSpec};
use crate::model::live::{LiveToken, TokenStatus};
use crate::plan::address::Address;
use crate::plan::change::{Action, AttrValue, AttributeChange, Reason, Recovery, Statement};
use crate::plan::preflight;
use crate::sql::reads;
use crate::sql::statements::{self as sql, AddToken, TokenProperty, TokenSetting};

/// Slack when comparing a lifetime derived from timestamps with a number of days.
const LIFETIME_TOLERANCE_HOURS: i64 = 1;

/// The suffix of the temporary name a replacement mints under (module docs).
const TEMPORARY_SUFFIX: &str = "_NEXT";

/// The temporary name of `token`'s replacement, `<NAME>_NEXT`; `None` when that name would be
/// too long.
pub(crate) fn temporary_name(token: &Identifier) -> Option<Identifier> {
    Identifier::from_stored(format!("{}{TEMPORARY_SUFFIX}", token.as_str())).ok()
}

fn address_of(user: &Identifier, token: &Identifier) -> Address {
    Address::Token(user.clone(), token.clone())
}

/// A make-before-break replacement, kept with its REMOVE-then-ADD fallback until the user's
/// token slots are counted.
struct Planned {
    /// Index of the change in `cx.changes`.
    index: usize,
    statements: Vec<Statement>,
    attributes: Vec<AttributeChange>,
}

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
        // Temporary tokens of declared ones (module docs), unless declared themselves.
        let temporaries: BTreeMap<Identifier, &Identifier> = spec
            .tokens
            .keys()
            .filter_map(|n| temporary_name(n).map(|t| (t, n)))
            .filter(|(t, _)| !spec.tokens.contains_key(t))
            .collect();
        let start = cx.changes.len();
        let mut planned = Vec::new();

        for (token_name, token) in &spec.tokens {
            let own_leftovers: Vec<&LiveToken> = leftovers
                .iter()
                .copied()
                .filter(|l| l.rotated_to.as_ref() == Some(token_name))
                .collect();
            let temporary = temporary_name(token_name).filter(|t| temporaries.contains_key(t));
            let next = temporary.as_ref().and_then(|t| mains.get(t).copied());
            declared_token(
                cx,
                Token {
                    user_name,
                    user: spec,
                    name: token_name,
                    token,
                    live: mains.get(token_name).copied(),
                    temporary: temporary.as_ref(),
                    next,
                    leftovers: &own_leftovers,
                    user_tokens: live_tokens,
                    user_disabled,
                },
                &mut planned,
            );
        }

        let remove_undeclared = spec.unmanaged_tokens == UnmanagedTokens::Remove;
        for (name, token) in &mains {
            if spec.tokens.contains_key(*name)
                || temporaries.contains_key(*name)
                || !remove_undeclared
            {
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
            let address = Address::Token(user_name.clone(), leftover.name.clone());
            let attributes = removed_attributes(leftover);
            let statements = vec![Statement::new(sql::remove_token(user_name, &leftover.name))];
            if leftover.is_expired(cx.now) {
                if leftover.expires_at <= leftover.created_on {
                    // Born expired (module docs, "Rotation leftovers").
                    continue;
                }
                // Its secret no longer works: removing it loses nothing.
                let reason = Reason::LeftoverExpired {
                    token: parent.clone(),
                    expired_at: leftover.expires_at,
                };
                cx.push_spent(address, Action::Delete, attributes, reason, statements);
            } else if remove_undeclared && !spec.tokens.contains_key(parent) {
                let reason = Reason::LeftoverOfRemoved {
                    token: parent.clone(),
                };
                cx.push(address, Action::Delete, attributes, reason, statements);
            }
        }

        if !planned.is_empty() {
            // The temporary token needs a slot on top of what the plan leaves (preflight counts
            // it the same way); without one, replace as REMOVE then ADD.
            let slots = preflight::slots_after(spec, live_tokens, cx.now, &cx.changes[start..]);
            if crate::model::pat_rules::token_limit_exceeded(slots + 1) {
                for p in planned {
                    if let Some(change) = cx.changes.get_mut(p.index) {
                        change.statements = p.statements;
                        change.attributes = p.attributes;
                        // It removes a working token now.
                        change.destructive = true;
                    }
                }
            }
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
    let sinks: Vec<String> = token.deliver.iter().map(Sink::to_string).collect();
    AttrValue::Text(format!("(new secret, delivered to {})", sinks.join("; ")))
}

/// A declared token and what the account holds of it.
struct Token<'a> {
    user_name: &'a Identifier,
    user: &'a UserSpec,
    name: &'a Identifier,
    token: &'a TokenSpec,
    live: Option<&'a LiveToken>,
    /// `<NAME>_NEXT`, when a replacement may mint under it (module docs).
    temporary: Option<&'a Identifier>,
    /// A live `<NAME>_NEXT`: an interrupted replacement.
    next: Option<&'a LiveToken>,
    leftovers: &'a [&'a LiveToken],
    /// Every live token of the user: the evidence for open intents (`intents`).
    user_tokens: &'a [LiveToken],
    user_disabled: bool,
}

fn declared_token(cx: &mut Cx<'_>, t: Token<'_>, planned: &mut Vec<Planned>) {
    let Token {
        user_name,
        user,
        name,
        token,
        live,
        temporary,
        next,
        leftovers,
        user_tokens,
        user_disabled,
    } = t;
    // Secrets an interrupted apply minted and nobody received (`intents`); a secret waiting in
    // a rescue file is a pending delivery instead, which apply delivers first.
    let rescued = cx
        .inputs
        .pending
        .iter()
        .any(|p| p.address == address_of(user_name, name));
    let lost_here = intents::lost(
        &cx.inputs.intents,
        &address_of(user_name, name),
        name,
        user_tokens,
    )
    .first()
    .map(|i| i.time)
    .filter(|_| !rescued);
    let lost_next = temporary.and_then(|tmp| {
        intents::lost(
            &cx.inputs.intents,
            &address_of(user_name, name),
            tmp,
            user_tokens,
        )
        .first()
        .map(|i| i.time)
    });
    let days = cx.desired.effective_days_to_expiry(user, token);
    let address = || Address::Token(user_name.clone(), name.clone());
    // Built only for a new token: most tokens of a large account are in sync.
    let add = |as_name: &Identifier| {
        sql::add_token(
            user_name,
            as_name,
            &AddToken {
                role_restriction: token.role_restriction.as_ref(),
                days_to_expiry: Some(days),
                mins_to_bypass_network_policy_requirement: token
                    .mins_to_bypass_network_policy_requirement,
                comment: comment(&token.comment),
            },
        )
    };
    let want_disabled = token.disabled.unwrap_or(false);
    let disable_after_add = |as_name: &Identifier| {
        (want_disabled && !user_disabled).then(|| {
            Statement::new(sql::modify_token_set(
                user_name,
                as_name,
                &[TokenSetting::Disabled(true)],
            ))
        })
    };
    let new_attributes = |before: Option<&LiveToken>, old_secret: &str| {
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
                Some(before.and_then(|b| comment(&b.comment))),
                Some(comment(&token.comment)),
            ),
            AttributeChange {
                name: "secret".into(),
                before: before.map(|_| AttrValue::Text(old_secret.into())),
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
        // A replacement shows what changes, and the new secret.
        a.retain(|x| x.before != x.after);
        a
    };

    // An interrupted replacement (module docs): finish it, or clear the way.
    let mut finish = None;
    if let (Some(n), Some(temporary)) = (next, temporary) {
        let matches = lost_next.is_none()
            && !n.is_expired(cx.now)
            && n.role_restriction == token.role_restriction
            && lifetime_consistent(n, &[], days, cx.now);
        let overlap = Duration::hours(token.replace_overlap_hours.unwrap_or(0).into());
        if matches && cx.now < n.created_on + overlap {
            // Both secrets work until the overlap is over (module docs): nothing to do yet.
            return;
        }
        if matches {
            finish = Some((n, temporary));
        } else {
            let stale = Address::Token(user_name.clone(), temporary.clone());
            let statements = vec![Statement::new(sql::remove_token(user_name, temporary))];
            let attributes = removed_attributes(n);
            if let Some(interrupted_at) = lost_next {
                // Its secret reached nobody: removing it loses nothing that works.
                let reason = Reason::SecretUndelivered { interrupted_at };
                cx.push_spent(stale, Action::Delete, attributes, reason, statements);
            } else if n.is_expired(cx.now) {
                let reason = Reason::Expired {
                    expires_at: n.expires_at,
                };
                cx.push_spent(stale, Action::Delete, attributes, reason, statements);
            } else {
                cx.push(
                    stale,
                    Action::Delete,
                    attributes,
                    Reason::Drifted,
                    statements,
                );
            }
        }
    }
    if let Some((n, temporary)) = finish {
        let mut statements = Vec::new();
        let mut attributes = vec![attr_text(
            "name",
            Some(temporary.as_str()),
            Some(name.as_str()),
        )];
        // Removing a working token needs approval, whatever else the change does.
        let removes_working = live.is_some_and(|l| !l.is_expired(cx.now));
        if let Some(l) = live {
            statements.push(Statement::new(sql::remove_token(user_name, name)));
            attributes.push(AttributeChange {
                name: "secret".into(),
                before: Some(AttrValue::Text(format!(
                    "(current secret of {name}, revoked; {temporary}'s, delivered before, takes over)"
                ))),
                after: Some(AttrValue::Text(format!("(secret of {temporary})"))),
            });
            if l.is_expired(cx.now) {
                attributes.retain(|a| a.name != "secret");
            }
        }
        statements.push(Statement::new(sql::rename_token(
            user_name, temporary, name,
        )));
        let action = if live.is_some() {
            Action::Replace
        } else {
            Action::Update
        };
        in_place(
            cx,
            &InPlace {
                user_name,
                user,
                name,
                token,
                user_disabled,
                lost: None,
            },
            n,
            (statements, attributes, action),
        );
        if removes_working {
            if let Some(c) = cx.changes.last_mut() {
                c.destructive = true;
            }
        }
        return;
    }
    let Some(l) = live else {
        let mut statements = vec![Statement::add(add(name), recovery(user_name, name))];
        statements.extend(disable_after_add(name));
        cx.push(
            address(),
            Action::Create,
            new_attributes(None, ""),
            Reason::NotInAccount,
            statements,
        );
        return;
    };

    // REMOVE then ADD: the consumer is down until it reads the new secret.
    let remove_then_add = || {
        let mut statements = vec![
            Statement::new(sql::remove_token(user_name, name)),
            Statement::add(add(name), recovery(user_name, name)),
        ];
        statements.extend(disable_after_add(name));
        (
            statements,
            new_attributes(Some(l), "(current secret, revoked)"),
        )
    };

    if l.is_expired(cx.now) {
        // The secret it replaces no longer works: the replacement loses nothing.
        let (statements, attributes) = remove_then_add();
        let reason = Reason::Expired {
            expires_at: l.expires_at,
        };
        cx.push_spent(address(), Action::Replace, attributes, reason, statements);
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
        let reason = Reason::ImmutableChanged {
            attributes: immutable,
        };
        let (fallback, fallback_attributes) = remove_then_add();
        let Some(temporary) = temporary else {
            cx.push(
                address(),
                Action::Replace,
                fallback_attributes,
                reason,
                fallback,
            );
            return;
        };
        // Make before break (module docs): ADD the temporary, deliver, REMOVE, RENAME.
        let mut statements = vec![Statement::add(
            add(temporary),
            recovery(user_name, temporary),
        )];
        statements.extend(disable_after_add(temporary));
        let overlap = token.replace_overlap_hours.unwrap_or(0);
        let old_secret = if overlap == 0 {
            statements.push(Statement::new(sql::remove_token(user_name, name)));
            statements.push(Statement::new(sql::rename_token(
                user_name, temporary, name,
            )));
            format!(
                "(current secret, works until the new one is delivered: added as {temporary}, then {name} removed and {temporary} renamed to {name})"
            )
        } else {
            format!(
                "(current secret, works at least {overlap} more hours beside the new one, added as {temporary}; the first plan after that removes {name} and renames {temporary} to {name})"
            )
        };
        let attributes = new_attributes(Some(l), &old_secret);
        planned.push(Planned {
            index: cx.changes.len(),
            statements: fallback,
            attributes: fallback_attributes,
        });
        cx.push(address(), Action::Replace, attributes, reason, statements);
        if overlap > 0 {
            // Nothing is removed yet: the plan that finishes the replacement is destructive.
            if let Some(c) = cx.changes.last_mut() {
                c.destructive = false;
            }
        }
        return;
    }

    in_place(
        cx,
        &InPlace {
            user_name,
            user,
            name,
            token,
            user_disabled,
            lost: lost_here,
        },
        l,
        (Vec::new(), Vec::new(), Action::Update),
    );
}

/// What [`in_place`] needs of a declared token.
struct InPlace<'a> {
    user_name: &'a Identifier,
    user: &'a UserSpec,
    name: &'a Identifier,
    token: &'a TokenSpec,
    user_disabled: bool,
    /// When an interrupted apply minted a secret of it that nobody received (`intents`).
    lost: Option<DateTime<Utc>>,
}

/// The changes a token keeps its identity through: MODIFY for the mutable properties, then a
/// ROTATE inside the window or on request. `first` holds statements and attributes that come
/// before (finishing an interrupted replacement) and the action when nothing rotates; `l` is
/// the live token as it will be once they ran.
fn in_place(
    cx: &mut Cx<'_>,
    t: &InPlace<'_>,
    l: &LiveToken,
    first: (Vec<Statement>, Vec<AttributeChange>, Action),
) {
    let InPlace {
        user_name,
        user,
        name,
        token,
        user_disabled,
        lost,
    } = *t;
    let address = || Address::Token(user_name.clone(), name.clone());
    let (mut statements, mut attributes, action) = first;
    let (more, more_attributes) = modifications(user_name, name, token, l, user_disabled);
    statements.extend(more);
    attributes.extend(more_attributes);
    let left = l.expires_at - cx.now;
    let rotate_before = cx.desired.effective_rotate_before_days(user, token);
    let requested = cx.inputs.replace.contains(&address());
    if requested || lost.is_some() || left <= Duration::days(rotate_before.into()) {
        // Snowflake accepts at most the hours left on the current secret.
        let hours_left = u32::try_from(left.num_hours().max(0)).unwrap_or(u32::MAX);
        let grace = match (requested, cx.inputs.old_secret) {
            // The current secret is the one nobody received: it dies at once. A leftover
            // holding the consumer's previous secret keeps its own expiry.
            _ if lost.is_some() => 0,
            (true, OldSecret::Revoke) => 0,
            _ => cx
                .desired
                .effective_expire_rotated_hours(token)
                .min(hours_left),
        };
        statements.push(Statement::rotate(
            sql::rotate_token(user_name, name, grace),
            grace,
            recovery(user_name, name),
        ));
        attributes.push(AttributeChange {
            name: "secret".into(),
            before: Some(AttrValue::Text(format!(
                "(current secret, valid {grace} more hours)"
            ))),
            after: Some(delivery(token)),
        });
        let reason = if let Some(interrupted_at) = lost {
            Reason::SecretUndelivered { interrupted_at }
        } else if requested {
            Reason::RotationRequested {
                old_secret_valid_hours: grace,
            }
        } else {
            Reason::ExpiresSoon {
                expires_at: l.expires_at,
                days_left: left.num_days(),
                rotate_before_expiry_days: rotate_before,
            }
        };
        cx.push(address(), Action::Rotate, attributes, reason, statements);
    } else if !statements.is_empty() {
        cx.push(address(), action, attributes, Reason::Drifted, statements);
    }
}

/// What apply runs when the answer to a token's ADD or ROTATE is lost: if the token exists,
/// the statement ran and minted a secret nobody received, so rotate it with no grace (that
/// secret dies at once) and deliver the new one. Without this, the token would look in order to
/// the next plan while its consumer never got its secret.
fn recovery(user: &Identifier, token: &Identifier) -> Recovery {
    Recovery {
        token: token.clone(),
        probe: reads::show_tokens(user),
        rotate: sql::rotate_token(user, token, 0),
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

    match (comment(&token.comment), comment(&live.comment)) {
        (None, Some(have)) => {
            unset.push(TokenProperty::Comment);
            attributes.push(attr_text("comment", Some(have), None));
        }
        (Some(want), have) if have != Some(want) => {
            set.push(TokenSetting::Comment(want.to_owned()));
            attributes.push(attr_text("comment", have, Some(want)));
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

    // SHOW counts the bypass minutes down, so only set-versus-unset is compared (module docs).
    match (
        token.mins_to_bypass_network_policy_requirement,
        live.mins_to_bypass_network_policy_requirement,
    ) {
        (None, Some(m)) if m > 0 => {
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
    // The secret in use was issued at `created_on` or at a rotation since, and no earlier than
    // the latest rotation a leftover still shows.
    let issued_no_earlier_than = leftovers
        .iter()
        .map(|l| l.created_on)
        .fold(token.created_on, DateTime::max);
    let longest = token.expires_at - issued_no_earlier_than;
    let shortest = token.expires_at - now;
    want <= longest + tolerance && want + tolerance >= shortest
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::plan::Action::{self, Create, Delete, Replace, Rotate, Update};
    use crate::plan::address::Address;
    use crate::plan::testkit::{Seen, change, config, live, merge, now, seen};
    use crate::plan::{Plan, diff};

    const ADD: &str = r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T" ROLE_RESTRICTION = "R" DAYS_TO_EXPIRY = 30"#;
    const REMOVE: &str = r#"ALTER USER "U" REMOVE PROGRAMMATIC ACCESS TOKEN "T""#;
    const T: &str = "user.U.token.T";
    const REMOVE_NEXT: &str = r#"ALTER USER "U" REMOVE PROGRAMMATIC ACCESS TOKEN "T_NEXT""#;
    const RENAME: &str =
        r#"ALTER USER "U" MODIFY PROGRAMMATIC ACCESS TOKEN "T_NEXT" RENAME TO "T""#;

    /// `add` (an ADD of `T`) made before the old `T` is broken: ADD `T_NEXT`, REMOVE, RENAME.
    fn before_break(add: &str) -> Vec<String> {
        vec![
            add.replace(r#"TOKEN "T""#, r#"TOKEN "T_NEXT""#),
            REMOVE.into(),
            RENAME.into(),
        ]
    }

    /// No token finding (the test user has no network policy, which is beside the point).
    fn quiet(p: &Plan) -> bool {
        p.diagnostics
            .iter()
            .all(|d| d.check == "network-policy-required-to-use")
    }

    fn replaced_before_break(add: &str) -> Vec<Seen> {
        let sql = before_break(add);
        let sql: Vec<&str> = sql.iter().map(String::as_str).collect();
        one(Replace, &sql)
    }

    fn modify(tail: &str) -> String {
        format!(r#"ALTER USER "U" MODIFY PROGRAMMATIC ACCESS TOKEN "T" {tail}"#)
    }

    fn rotate(hours: u32) -> String {
        format!(
            r#"ALTER USER "U" ROTATE PROGRAMMATIC ACCESS TOKEN "T" EXPIRE_ROTATED_TOKEN_AFTER_HOURS = {hours}"#
        )
    }

    /// Token `T` of PERSON user `U`: 30 days, rotates 7 days before expiry, 24 hours of grace.
    fn token_spec(patch: Value) -> Value {
        merge(
            json!({
                "role_restriction": "R",
                "days_to_expiry": 30,
                "rotate_before_expiry_days": 7,
                "expire_rotated_token_after_hours": 24,
                "deliver": [{ "file": { "path": "t.txt" } }]
            }),
            patch,
        )
    }

    /// A SHOW row of `T`, created ten days before `now` with a 30-day secret (20 days left).
    fn row(patch: Value) -> Value {
        merge(
            json!({
                "name": "T",
                "user_name": "U",
                "role_restriction": "R",
                "expires_at": "2026-12-17T12:00:00Z",
                "status": "ACTIVE",
                "created_on": "2026-11-17T12:00:00Z",
                "created_by": "ADMIN"
            }),
            patch,
        )
    }

    fn plan(user: Value, tokens: Value, rows: Vec<Value>) -> Plan {
        let desired = config(json!({
            "users": { "U": merge(json!({ "type": "PERSON", "roles": ["R", "R2"], "tokens": tokens }), user) }
        }));
        let live = live(json!({
            "users": { "U": { "user_type": "PERSON", "roles": ["R", "R2"], "tokens": rows } }
        }));
        diff(&desired, &live, now(), &crate::plan::DiffInputs::default())
    }

    fn token_changes(plan: &Plan) -> Vec<Seen> {
        seen(plan)
            .into_iter()
            .filter(|c| c.address.contains(".token."))
            .collect()
    }

    struct Case {
        name: &'static str,
        token: Value,
        rows: Vec<Value>,
        want: Vec<Seen>,
    }

    fn case(name: &'static str, token: Value, rows: Vec<Value>, want: Vec<Seen>) -> Case {
        Case {
            name,
            token,
            rows,
            want,
        }
    }

    fn one(action: Action, sql: &[&str]) -> Vec<Seen> {
        vec![change(action, T, sql)]
    }

    fn run(cases: Vec<Case>) {
        for c in cases {
            let p = plan(json!({}), json!({ "T": token_spec(c.token) }), c.rows);
            assert_eq!(token_changes(&p), c.want, "case `{}`", c.name);
        }
    }

    #[test]
    fn create_and_update_in_place() {
        run(vec![
            case(
                "missing token is added",
                json!({}),
                vec![],
                one(Create, &[ADD]),
            ),
            case(
                "every ADD option is spelled, and a disabled token is disabled after the ADD",
                json!({ "comment": "it's new", "mins_to_bypass_network_policy_requirement": 60, "disabled": true }),
                vec![],
                one(
                    Create,
                    &[
                        &format!(
                            "{ADD} MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT = 60 COMMENT = 'it''s new'"
                        ),
                        &modify("SET DISABLED = TRUE"),
                    ],
                ),
            ),
            case("in sync: nothing", json!({}), vec![row(json!({}))], vec![]),
            case(
                "comment differs: SET",
                json!({ "comment": "new" }),
                vec![row(json!({ "comment": "old" }))],
                one(Update, &[&modify("SET COMMENT = 'new'")]),
            ),
            case(
                "comment no longer declared: UNSET",
                json!({}),
                vec![row(json!({ "comment": "old" }))],
                one(Update, &[&modify("UNSET COMMENT")]),
            ),
            case(
                "empty comment declared against none: nothing",
                json!({ "comment": "" }),
                vec![row(json!({}))],
                vec![],
            ),
            case(
                "disabled declared: SET DISABLED = TRUE",
                json!({ "disabled": true }),
                vec![row(json!({}))],
                one(Update, &[&modify("SET DISABLED = TRUE")]),
            ),
            case(
                "disabled in the account, not in the file: SET DISABLED = FALSE",
                json!({}),
                vec![row(json!({ "status": "DISABLED" }))],
                one(Update, &[&modify("SET DISABLED = FALSE")]),
            ),
            case(
                "disabled on both sides: nothing",
                json!({ "disabled": true }),
                vec![row(json!({ "status": "DISABLED" }))],
                vec![],
            ),
            case(
                "bypass declared, none in the account: SET",
                json!({ "mins_to_bypass_network_policy_requirement": 60 }),
                vec![row(json!({}))],
                one(
                    Update,
                    &[&modify(
                        "SET MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT = 60",
                    )],
                ),
            ),
            case(
                "bypass active, not declared: UNSET",
                json!({}),
                vec![row(
                    json!({ "mins_to_bypass_network_policy_requirement": 42 }),
                )],
                one(
                    Update,
                    &[&modify("UNSET MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT")],
                ),
            ),
            case(
                "bypass counting down does not churn",
                json!({ "mins_to_bypass_network_policy_requirement": 60 }),
                vec![row(
                    json!({ "mins_to_bypass_network_policy_requirement": 12 }),
                )],
                vec![],
            ),
            case(
                "bypass that ran out is not renewed",
                json!({ "mins_to_bypass_network_policy_requirement": 60 }),
                vec![row(
                    json!({ "mins_to_bypass_network_policy_requirement": 0 }),
                )],
                vec![],
            ),
            case(
                "bypass that ran out, not declared: nothing to unset",
                json!({}),
                vec![row(
                    json!({ "mins_to_bypass_network_policy_requirement": 0 }),
                )],
                vec![],
            ),
            case(
                "SET and UNSET together: one statement each",
                json!({ "comment": "new", "disabled": true }),
                vec![row(
                    json!({ "mins_to_bypass_network_policy_requirement": 5 }),
                )],
                one(
                    Update,
                    &[
                        &modify("SET COMMENT = 'new' DISABLED = TRUE"),
                        &modify("UNSET MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT"),
                    ],
                ),
            ),
        ]);
    }

    #[test]
    fn rotation_inside_the_window() {
        run(vec![
            case(
                "8 days left, window 7: nothing",
                json!({}),
                vec![row(
                    json!({ "created_on": "2026-11-05T12:00:00Z", "expires_at": "2026-12-05T12:00:00Z" }),
                )],
                vec![],
            ),
            case(
                "5 days left, window 7: rotate with the declared grace",
                json!({}),
                vec![row(
                    json!({ "created_on": "2026-11-02T12:00:00Z", "expires_at": "2026-12-02T12:00:00Z" }),
                )],
                one(Rotate, &[&rotate(24)]),
            ),
            case(
                "exactly at the window edge: rotate",
                json!({}),
                vec![row(
                    json!({ "created_on": "2026-11-04T12:00:00Z", "expires_at": "2026-12-04T12:00:00Z" }),
                )],
                one(Rotate, &[&rotate(24)]),
            ),
            case(
                "10 hours left: the grace is clamped to the hours left",
                json!({}),
                vec![row(
                    json!({ "created_on": "2026-10-28T22:00:00Z", "expires_at": "2026-11-27T22:00:00Z" }),
                )],
                one(Rotate, &[&rotate(10)]),
            ),
            case(
                "30 minutes left: clamped to 0",
                json!({}),
                vec![row(
                    json!({ "created_on": "2026-10-28T12:30:00Z", "expires_at": "2026-11-27T12:30:00Z" }),
                )],
                one(Rotate, &[&rotate(0)]),
            ),
            case(
                "grace 0 declared",
                json!({ "expire_rotated_token_after_hours": 0 }),
                vec![row(
                    json!({ "created_on": "2026-11-02T12:00:00Z", "expires_at": "2026-12-02T12:00:00Z" }),
                )],
                one(Rotate, &[&rotate(0)]),
            ),
            case(
                "drift and rotation: MODIFY, then ROTATE, in one change",
                json!({ "comment": "new" }),
                vec![row(
                    json!({ "created_on": "2026-11-02T12:00:00Z", "expires_at": "2026-12-02T12:00:00Z" }),
                )],
                one(Rotate, &[&modify("SET COMMENT = 'new'"), &rotate(24)]),
            ),
        ]);
    }

    #[test]
    fn a_rotation_that_did_not_extend_the_expiry_is_not_repeated() {
        // Corrections 16: rotated two days ago, inside the 7-day window, yet the expiry kept.
        let stuck = vec![
            row(
                json!({ "created_on": "2026-10-30T12:00:00Z", "expires_at": "2026-11-29T12:00:00Z" }),
            ),
            row(json!({
                "name": "T_ROTATED_1", "rotated_to": "T",
                "created_on": "2026-11-25T12:00:00Z", "expires_at": "2026-11-28T12:00:00Z"
            })),
        ];
        let p = plan(json!({}), json!({ "T": token_spec(json!({})) }), stuck);
        assert_eq!(token_changes(&p), replaced_before_break(ADD));
        // The same rotation with the expiry moved 30 days on: nothing to do.
        let extended = vec![
            row(
                json!({ "created_on": "2026-10-30T12:00:00Z", "expires_at": "2026-12-25T12:00:00Z" }),
            ),
            row(json!({
                "name": "T_ROTATED_1", "rotated_to": "T",
                "created_on": "2026-11-25T12:00:00Z", "expires_at": "2026-11-28T12:00:00Z"
            })),
        ];
        let p = plan(json!({}), json!({ "T": token_spec(json!({})) }), extended);
        assert_eq!(token_changes(&p), vec![]);
    }

    #[test]
    fn replacement() {
        let replaced = || one(Replace, &[REMOVE, ADD]);
        run(vec![
            case(
                "expired by the clock",
                json!({}),
                vec![row(
                    json!({ "created_on": "2026-10-27T12:00:00Z", "expires_at": "2026-11-26T12:00:00Z" }),
                )],
                replaced(),
            ),
            case(
                "expired by status",
                json!({}),
                vec![row(json!({ "status": "EXPIRED" }))],
                replaced(),
            ),
            case(
                "role_restriction changed: the new token is made before the old is broken",
                json!({ "role_restriction": "R2" }),
                vec![row(json!({}))],
                replaced_before_break(
                    r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T" ROLE_RESTRICTION = "R2" DAYS_TO_EXPIRY = 30"#,
                ),
            ),
            case(
                "role_restriction dropped",
                json!({ "role_restriction": null }),
                vec![row(json!({}))],
                replaced_before_break(
                    r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T" DAYS_TO_EXPIRY = 30"#,
                ),
            ),
            case(
                "replacement keeps the disabled flag, set on the temporary token",
                json!({ "role_restriction": "R2", "disabled": true }),
                vec![row(json!({ "status": "DISABLED" }))],
                one(
                    Replace,
                    &[
                        r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T_NEXT" ROLE_RESTRICTION = "R2" DAYS_TO_EXPIRY = 30"#,
                        r#"ALTER USER "U" MODIFY PROGRAMMATIC ACCESS TOKEN "T_NEXT" SET DISABLED = TRUE"#,
                        REMOVE,
                        RENAME,
                    ],
                ),
            ),
        ]);
    }

    #[test]
    fn without_a_free_slot_the_replacement_removes_first_and_warns() {
        let r2 = r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T" ROLE_RESTRICTION = "R2" DAYS_TO_EXPIRY = 30"#;
        // `kept` undeclared tokens beside `T`, kept by `unmanaged_tokens: keep`.
        let with_kept = |kept: usize| {
            let mut rows = vec![row(json!({}))];
            rows.extend((0..kept).map(|i| row(json!({ "name": format!("K{i}") }))));
            plan(
                json!({ "unmanaged_tokens": "keep" }),
                json!({ "T": token_spec(json!({ "role_restriction": "R2" })) }),
                rows,
            )
        };
        let checks = |p: &Plan| -> Vec<(&'static str, String)> {
            p.diagnostics
                .iter()
                .filter(|d| d.check != "network-policy-required-to-use")
                .map(|d| (d.check, d.address.to_string()))
                .collect()
        };
        // 14 tokens: the temporary one is the 15th.
        let p = with_kept(13);
        assert_eq!(token_changes(&p), replaced_before_break(r2));
        assert_eq!(checks(&p), vec![]);
        // 15 tokens: no slot, so REMOVE then ADD, with a warning; the plan does not fail.
        let p = with_kept(14);
        assert_eq!(token_changes(&p), one(Replace, &[REMOVE, r2]));
        assert_eq!(
            checks(&p),
            vec![("replacement-with-downtime", T.to_owned())]
        );
        assert!(!p.has_errors());
        let d = p
            .diagnostics
            .iter()
            .find(|d| d.check == "replacement-with-downtime")
            .unwrap();
        assert!(
            d.summary.contains("down until it reads the new secret"),
            "{}",
            d.summary
        );
        // A declared `T_NEXT` takes the temporary name: REMOVE then ADD as well.
        let p = plan(
            json!({}),
            json!({
                "T": token_spec(json!({ "role_restriction": "R2" })),
                "T_NEXT": token_spec(json!({})),
            }),
            vec![row(json!({})), row(json!({ "name": "T_NEXT" }))],
        );
        assert_eq!(token_changes(&p), one(Replace, &[REMOVE, r2]));
        assert_eq!(
            checks(&p),
            vec![("replacement-with-downtime", T.to_owned())]
        );
    }

    #[test]
    fn an_expired_token_is_replaced_directly_without_warning() {
        let p = plan(
            json!({}),
            json!({ "T": token_spec(json!({ "role_restriction": "R2" })) }),
            vec![row(json!({ "status": "EXPIRED" }))],
        );
        assert_eq!(
            token_changes(&p),
            one(
                Replace,
                &[
                    REMOVE,
                    r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T" ROLE_RESTRICTION = "R2" DAYS_TO_EXPIRY = 30"#
                ]
            )
        );
        assert!(quiet(&p), "{:?}", p.diagnostics);
        assert!(!p.changes[0].destructive);
    }

    #[test]
    fn the_plan_text_says_the_old_secret_works_until_the_new_one_is_delivered() {
        let p = plan(
            json!({}),
            json!({ "T": token_spec(json!({ "role_restriction": "R2" })) }),
            vec![row(json!({}))],
        );
        let secret = p.changes[0]
            .attributes
            .iter()
            .find(|a| a.name == "secret")
            .unwrap();
        let before = secret.before.as_ref().unwrap().to_string();
        assert!(
            before.contains("works until the new one is delivered")
                && before.contains("T_NEXT renamed to T"),
            "{before}"
        );
        assert!(p.changes[0].destructive);
    }

    #[test]
    fn an_overlap_keeps_both_tokens_until_it_is_over() {
        let spec = || json!({ "T": token_spec(json!({ "role_restriction": "R2", "replace_overlap_hours": 24 })) });
        // The replacement stops after the ADD (and its delivery); nothing is removed yet.
        let p = plan(json!({}), spec(), vec![row(json!({}))]);
        assert_eq!(
            token_changes(&p),
            one(
                Replace,
                &[
                    r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T_NEXT" ROLE_RESTRICTION = "R2" DAYS_TO_EXPIRY = 30"#
                ]
            )
        );
        assert!(!p.changes[0].destructive);
        let secret = p.changes[0]
            .attributes
            .iter()
            .find(|a| a.name == "secret")
            .unwrap();
        assert!(
            secret
                .before
                .as_ref()
                .unwrap()
                .to_string()
                .contains("at least 24 more hours"),
            "{secret:?}"
        );
        // A 30-day `T_NEXT` created on `day` (November) at 11:00.
        let next = |day: u32| {
            row(json!({ "name": "T_NEXT", "role_restriction": "R2",
                        "created_on": format!("2026-11-{day}T11:00:00Z"),
                        "expires_at": format!("2026-12-{day}T11:00:00Z") }))
        };
        // During the overlap (1 hour in): nothing, and `T_NEXT` counts as a token.
        let p = plan(json!({}), spec(), vec![row(json!({})), next(27)]);
        assert_eq!(token_changes(&p), vec![]);
        let mut rows = vec![row(json!({})), next(27)];
        rows.extend((0..14).map(|i| row(json!({ "name": format!("K{i}") }))));
        let p = plan(json!({ "unmanaged_tokens": "keep" }), spec(), rows);
        assert!(
            p.diagnostics.iter().any(|d| d.check == "token-limit"),
            "{:?}",
            p.diagnostics
        );
        // After it (25 hours in): remove the old token and rename.
        let p = plan(json!({}), spec(), vec![row(json!({})), next(26)]);
        assert_eq!(token_changes(&p), one(Replace, &[REMOVE, RENAME]));
        assert!(p.changes[0].destructive);
    }

    #[test]
    fn an_interrupted_replacement_is_finished_or_cleared() {
        let spec = || json!({ "T": token_spec(json!({ "role_restriction": "R2" })) });
        // Created just now with the declared role and lifetime: the apply stopped after the ADD.
        let next = |patch: Value| {
            row(merge(
                json!({ "name": "T_NEXT", "role_restriction": "R2",
                        "created_on": "2026-11-27T11:00:00Z", "expires_at": "2026-12-27T11:00:00Z" }),
                patch,
            ))
        };
        // Stopped before the REMOVE: remove the old token, rename the new one.
        let p = plan(json!({}), spec(), vec![row(json!({})), next(json!({}))]);
        assert_eq!(token_changes(&p), one(Replace, &[REMOVE, RENAME]));
        // Stopped before the RENAME: rename only, nothing destructive.
        let p = plan(json!({}), spec(), vec![next(json!({}))]);
        assert_eq!(token_changes(&p), one(Update, &[RENAME]));
        assert!(!p.changes[0].destructive);
        // Mutable drift is fixed under the final name, after the rename.
        let p = plan(
            json!({}),
            json!({ "T": token_spec(json!({ "role_restriction": "R2", "comment": "c" })) }),
            vec![next(json!({}))],
        );
        assert_eq!(
            token_changes(&p),
            one(Update, &[RENAME, &modify("SET COMMENT = 'c'")])
        );
        // A `T_NEXT` inside its rotation window is renamed, then rotated under its final name.
        let p = plan(
            json!({}),
            spec(),
            vec![
                row(json!({})),
                next(
                    json!({ "created_on": "2026-10-30T12:00:00Z", "expires_at": "2026-11-29T12:00:00Z" }),
                ),
            ],
        );
        assert_eq!(
            token_changes(&p),
            one(Rotate, &[REMOVE, RENAME, &rotate(24)])
        );
        assert!(p.changes[0].destructive, "it removes the working `T`");
        // A `T_NEXT` that no longer matches the file is removed first; `T` is replaced anew.
        let p = plan(
            json!({}),
            spec(),
            vec![row(json!({})), next(json!({ "role_restriction": "R" }))],
        );
        let mut want = vec![change(Delete, "user.U.token.T_NEXT", &[REMOVE_NEXT])];
        want.extend(replaced_before_break(
            r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T" ROLE_RESTRICTION = "R2" DAYS_TO_EXPIRY = 30"#,
        ));
        assert_eq!(token_changes(&p), want);
        // An expired one too, as spent.
        let p = plan(
            json!({}),
            json!({ "T": token_spec(json!({})) }),
            vec![row(json!({})), next(json!({ "status": "EXPIRED" }))],
        );
        assert_eq!(
            token_changes(&p),
            vec![change(Delete, "user.U.token.T_NEXT", &[REMOVE_NEXT])]
        );
        assert!(!p.changes[0].destructive);
        // Never removed as undeclared, and not counted against the limit.
        let p = plan(
            json!({ "unmanaged_tokens": "remove" }),
            spec(),
            vec![next(json!({}))],
        );
        assert!(quiet(&p), "{:?}", p.diagnostics);
    }

    #[test]
    fn lifetime_changes() {
        let replaced = |days: u32| {
            replaced_before_break(&format!(
                r#"ALTER USER "U" ADD PROGRAMMATIC ACCESS TOKEN "T" ROLE_RESTRICTION = "R" DAYS_TO_EXPIRY = {days}"#
            ))
        };
        // The row: created 10 days ago, 20 days left, so the lifetime is 20 to 30 days.
        let cases = [
            (
                "longer than created_on allows: provable",
                60,
                vec![row(json!({}))],
                replaced(60),
            ),
            (
                "shorter than the time left: provable",
                15,
                vec![row(json!({}))],
                replaced(15),
            ),
            ("the same: nothing", 30, vec![row(json!({}))], vec![]),
            (
                "shorter, but a rotation since created_on could explain it: not provable",
                25,
                vec![row(json!({}))],
                vec![],
            ),
            (
                "a leftover pins the issue time: longer is provable",
                31,
                vec![
                    row(
                        json!({ "created_on": "2026-09-01T00:00:00Z", "expires_at": "2026-12-22T12:00:00Z" }),
                    ),
                    row(
                        json!({ "name": "T_ROTATED_1", "rotated_to": "T", "created_on": "2026-11-22T12:00:00Z", "expires_at": "2026-11-28T12:00:00Z" }),
                    ),
                ],
                replaced(31),
            ),
            (
                "the leftover's lifetime matches: nothing",
                30,
                vec![
                    row(
                        json!({ "created_on": "2026-09-01T00:00:00Z", "expires_at": "2026-12-22T12:00:00Z" }),
                    ),
                    row(
                        json!({ "name": "T_ROTATED_1", "rotated_to": "T", "created_on": "2026-11-22T12:00:00Z", "expires_at": "2026-11-28T12:00:00Z" }),
                    ),
                ],
                vec![],
            ),
            (
                "rotated long ago, leftover gone: a longer lifetime is not provable",
                60,
                vec![row(json!({ "created_on": "2026-06-01T00:00:00Z" }))],
                vec![],
            ),
            (
                "a leftover of an earlier incarnation (before created_on) pins nothing",
                30,
                vec![
                    row(json!({})),
                    row(
                        json!({ "name": "T_ROTATED_1", "rotated_to": "T", "created_on": "2026-11-01T12:00:00Z", "expires_at": "2026-11-30T12:00:00Z" }),
                    ),
                ],
                vec![],
            ),
        ];
        for (name, days, rows, want) in cases {
            let p = plan(
                json!({}),
                json!({ "T": token_spec(json!({ "days_to_expiry": days })) }),
                rows,
            );
            assert_eq!(token_changes(&p), want, "case `{name}`");
        }
    }

    #[test]
    fn undeclared_tokens_and_leftovers() {
        let remove = |name: &str| {
            change(
                Delete,
                &format!("user.U.token.{name}"),
                &[&format!(
                    r#"ALTER USER "U" REMOVE PROGRAMMATIC ACCESS TOKEN "{name}""#
                )],
            )
        };
        let x = || row(json!({ "name": "X" }));
        let leftover = |name: &str, parent: &str, expires: &str| {
            // Rotated when `T` was issued, so `T`'s lifetime stays 30 days.
            row(
                json!({ "name": name, "rotated_to": parent, "created_on": "2026-11-17T12:00:00Z", "expires_at": expires }),
            )
        };
        let active = "2026-11-28T12:00:00Z";
        let expired = "2026-11-27T11:00:00Z";
        let cases: Vec<(&str, Value, Vec<Value>, Vec<Seen>)> = vec![
            (
                "undeclared token is removed",
                json!({}),
                vec![row(json!({})), x()],
                vec![remove("X")],
            ),
            (
                "unmanaged_tokens: keep leaves it",
                json!({ "unmanaged_tokens": "keep" }),
                vec![row(json!({})), x()],
                vec![],
            ),
            (
                "an expired undeclared token is removed too",
                json!({}),
                vec![
                    row(json!({})),
                    row(json!({ "name": "X", "status": "EXPIRED" })),
                ],
                vec![remove("X")],
            ),
            (
                "active leftover of a declared token is kept, not undeclared",
                json!({}),
                vec![row(json!({})), leftover("T_ROTATED_1", "T", active)],
                vec![],
            ),
            (
                "expired leftover is removed",
                json!({}),
                vec![row(json!({})), leftover("T_ROTATED_1", "T", expired)],
                vec![remove("T_ROTATED_1")],
            ),
            (
                "a leftover born expired (grace 0) is left to Snowflake: removing it would churn",
                json!({}),
                vec![
                    row(json!({})),
                    row(
                        json!({ "name": "T_ROTATED_1", "rotated_to": "T", "status": "EXPIRED",
                                "created_on": "2026-11-17T12:00:00Z", "expires_at": "2026-11-17T12:00:00Z" }),
                    ),
                ],
                vec![],
            ),
            (
                "leftover by status EXPIRED is removed",
                json!({}),
                vec![
                    row(json!({})),
                    merge(
                        leftover("T_ROTATED_1", "T", active),
                        json!({ "status": "EXPIRED" }),
                    ),
                ],
                vec![remove("T_ROTATED_1")],
            ),
            (
                "leftovers go with their removed parent",
                json!({}),
                vec![row(json!({})), x(), leftover("X_ROTATED_1", "X", active)],
                vec![remove("X"), remove("X_ROTATED_1")],
            ),
            (
                "keep: an active leftover of a kept token stays",
                json!({ "unmanaged_tokens": "keep" }),
                vec![row(json!({})), x(), leftover("X_ROTATED_1", "X", active)],
                vec![],
            ),
            (
                "keep: an expired leftover of a kept token is removed",
                json!({ "unmanaged_tokens": "keep" }),
                vec![row(json!({})), x(), leftover("X_ROTATED_1", "X", expired)],
                vec![remove("X_ROTATED_1")],
            ),
            (
                "a leftover whose parent no longer exists goes when the parent is undeclared",
                json!({}),
                vec![row(json!({})), leftover("GONE_ROTATED_1", "GONE", active)],
                vec![remove("GONE_ROTATED_1")],
            ),
        ];
        for (name, user, rows, want) in cases {
            let p = plan(user, json!({ "T": token_spec(json!({})) }), rows);
            assert_eq!(token_changes(&p), want, "case `{name}`");
        }
    }

    #[test]
    fn a_disabled_user_does_not_fight_snowflake_over_token_status() {
        let p = plan(
            json!({ "disabled": true }),
            json!({ "T": token_spec(json!({})) }),
            vec![row(json!({ "status": "DISABLED" }))],
        );
        assert_eq!(token_changes(&p), vec![]);
    }

    #[test]
    fn reasons_say_why() {
        let p = plan(
            json!({}),
            json!({
                "A": token_spec(json!({})),
                "B": token_spec(json!({})),
                "C": token_spec(json!({ "role_restriction": "R2" })),
            }),
            vec![
                row(
                    json!({ "name": "A", "created_on": "2026-11-02T12:00:00Z", "expires_at": "2026-12-02T12:00:00Z" }),
                ),
                row(json!({ "name": "B", "expires_at": "2026-11-20T00:00:00Z" })),
                row(json!({ "name": "C" })),
                row(json!({ "name": "X" })),
            ],
        );
        let reasons: Vec<(String, String, bool)> = p
            .changes
            .iter()
            .map(|c| (c.address.to_string(), c.reason.to_string(), c.destructive))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "user.U.token.X".into(),
                    "not declared, and `unmanaged_tokens` is `remove`".into(),
                    true
                ),
                (
                    "user.U.token.A".into(),
                    "expires in 5 days, rotate_before_expiry_days = 7".into(),
                    false
                ),
                (
                    "user.U.token.B".into(),
                    "expired at 2026-11-20 00:00 UTC; an expired token cannot be rotated".into(),
                    false
                ),
                (
                    "user.U.token.C".into(),
                    "`role_restriction` cannot change in place".into(),
                    true
                ),
            ]
        );
        // A replacement says that a new secret is minted and where it goes.
        let c = p
            .changes
            .iter()
            .find(|c| c.address.to_string() == "user.U.token.C")
            .unwrap();
        let secret = c.attributes.iter().find(|a| a.name == "secret").unwrap();
        assert_eq!(
            secret.after.as_ref().map(ToString::to_string).as_deref(),
            Some("\"(new secret, delivered to file t.txt)\"")
        );
        assert!(c.mints_secret());
        let a = p
            .changes
            .iter()
            .find(|c| c.address == Address::Token("U".parse().unwrap(), "A".parse().unwrap()))
            .unwrap();
        assert!(a.mints_secret());
    }

    #[test]
    fn every_minting_statement_carries_its_recovery_and_no_other_does() {
        let p = plan(
            json!({}),
            json!({
                "A": token_spec(json!({})),
                "B": token_spec(json!({ "disabled": true })),
                "C": token_spec(json!({ "role_restriction": "R2" })),
            }),
            vec![
                row(
                    json!({ "name": "A", "created_on": "2026-11-02T12:00:00Z", "expires_at": "2026-12-02T12:00:00Z" }),
                ),
                row(json!({ "name": "C" })),
            ],
        );
        let user: crate::model::Identifier = "U".parse().unwrap();
        let mut minting = 0;
        for c in &p.changes {
            for s in &c.statements {
                match (&s.recovery, &c.address) {
                    (Some(r), Address::Token(u, t)) => {
                        assert!(s.returns_secret, "{}", s.sql);
                        // A replacement mints under its temporary name, and recovers that one.
                        let minted = if c.action == Action::Replace {
                            super::temporary_name(t).unwrap()
                        } else {
                            t.clone()
                        };
                        assert_eq!((u, &r.token), (&user, &minted));
                        assert_eq!(r.probe, crate::sql::reads::show_tokens(&user));
                        assert_eq!(
                            r.rotate,
                            crate::sql::statements::rotate_token(&user, &minted, 0)
                        );
                        minting += 1;
                    }
                    (None, _) => assert!(!s.returns_secret, "{}", s.sql),
                    (Some(_), other) => panic!("a recovery on {other}"),
                }
            }
        }
        // A's ROTATE, B's ADD, C's ADD (its replacement).
        assert_eq!(minting, 3, "{:#?}", p.changes);
        let rotate = p
            .changes
            .iter()
            .find(|c| c.action == Action::Rotate)
            .unwrap();
        assert_eq!(
            rotate
                .statements
                .iter()
                .filter_map(|s| s.expire_rotated_token_after_hours)
                .collect::<Vec<_>>(),
            [24]
        );
    }

    /// `--replace T`: the plan of `T` with `rows` live, the old secret treated as `old_secret`.
    fn requested(rows: Vec<Value>, old_secret: crate::plan::OldSecret) -> Plan {
        let desired = config(json!({
            "users": { "U": { "type": "PERSON", "roles": ["R", "R2"], "tokens": { "T": token_spec(json!({})) } } }
        }));
        let live = live(json!({
            "users": { "U": { "user_type": "PERSON", "roles": ["R", "R2"], "tokens": rows } }
        }));
        let inputs = crate::plan::DiffInputs {
            replace: [Address::Token("U".parse().unwrap(), "T".parse().unwrap())].into(),
            old_secret,
            ..Default::default()
        };
        diff(&desired, &live, now(), &inputs)
    }

    #[test]
    fn a_requested_rotation_rotates_now_or_replaces_an_expired_token() {
        use crate::plan::OldSecret::{Grace, Revoke};
        let in_sync = || vec![row(json!({}))];
        let p = requested(in_sync(), Grace);
        assert_eq!(token_changes(&p), one(Rotate, &[&rotate(24)]));
        assert_eq!(
            p.changes[0].reason,
            crate::plan::Reason::RotationRequested {
                old_secret_valid_hours: 24
            }
        );
        assert!(p.changes[0].reason.to_string().contains("requested"));
        let p = requested(in_sync(), Revoke);
        assert_eq!(token_changes(&p), one(Rotate, &[&rotate(0)]));
        assert!(p.changes[0].reason.to_string().contains("revoked at once"));
        // An expired token cannot rotate: it is replaced, as without --replace.
        let expired = vec![row(json!({ "expires_at": "2026-11-20T00:00:00Z" }))];
        assert_eq!(
            token_changes(&requested(expired, Revoke)),
            one(Replace, &[REMOVE, ADD])
        );
        // Without --replace the in-sync token has no change.
        assert!(
            token_changes(&plan(
                json!({}),
                json!({ "T": token_spec(json!({})) }),
                in_sync()
            ))
            .is_empty()
        );
    }

    /// The plan of `T` (declared with `token`) with `rows` live and `intents` left open.
    fn after_kill(token: Value, rows: Vec<Value>, intents: Vec<crate::plan::MintIntent>) -> Plan {
        let desired = config(json!({
            "users": { "U": { "type": "PERSON", "roles": ["R", "R2"], "tokens": { "T": token_spec(token) } } }
        }));
        let live = live(json!({
            "users": { "U": { "user_type": "PERSON", "roles": ["R", "R2"], "tokens": rows } }
        }));
        let inputs = crate::plan::DiffInputs {
            intents,
            ..Default::default()
        };
        diff(&desired, &live, now(), &inputs)
    }

    fn intent(minted: &str, kind: crate::plan::IntentKind) -> crate::plan::MintIntent {
        crate::plan::MintIntent {
            address: Address::Token("U".parse().unwrap(), "T".parse().unwrap()),
            minted: minted.parse().unwrap(),
            kind,
            time: now(),
        }
    }

    #[test]
    fn a_secret_an_interrupted_apply_minted_is_rotated_out_without_grace() {
        use crate::plan::IntentKind::{Add, Rotate as Rot};
        let leftover = |name: &str| {
            row(
                json!({ "name": name, "rotated_to": "T", "created_on": "2026-11-27T10:00:00Z",
                        "expires_at": "2026-11-28T10:00:00Z" }),
            )
        };
        // An ADD that ran: the token exists, its secret reached nobody.
        let p = after_kill(json!({}), vec![row(json!({}))], vec![intent("T", Add)]);
        assert_eq!(token_changes(&p), one(Rotate, &[&rotate(0)]));
        assert!(matches!(
            p.changes[0].reason,
            crate::plan::Reason::SecretUndelivered { .. }
        ));
        assert!(p.changes[0].statements[0].returns_secret);
        // An ADD that never ran: the token is added as usual.
        let p = after_kill(json!({}), vec![], vec![intent("T", Add)]);
        assert_eq!(token_changes(&p)[0].action, Create);
        // A ROTATE that ran (a leftover it did not know of): only the new secret dies; the
        // leftover, the consumer's secret, keeps its grace (nothing removes it).
        let known = vec!["T_ROTATED_1".parse().unwrap()];
        // After a rotation at 10:00 the token's secret lives 30 days from then.
        let rotated_main = || row(json!({ "expires_at": "2026-12-27T10:00:00Z" }));
        let ran = vec![
            rotated_main(),
            leftover("T_ROTATED_1"),
            leftover("T_ROTATED_2"),
        ];
        let rotated = intent(
            "T",
            Rot {
                leftovers_before: known.clone(),
            },
        );
        let p = after_kill(json!({}), ran, vec![rotated.clone()]);
        assert_eq!(token_changes(&p), one(Rotate, &[&rotate(0)]));
        // A ROTATE that did not run (a 429 before the kill, say): nothing to recover, and the
        // consumer's secret is never rotated with no grace.
        let p = after_kill(
            json!({}),
            vec![rotated_main(), leftover("T_ROTATED_1")],
            vec![rotated],
        );
        assert!(token_changes(&p).is_empty(), "{:?}", token_changes(&p));
    }

    #[test]
    fn a_lost_temporary_token_is_removed_and_the_replacement_planned_again() {
        // `T_NEXT` was added (role R2) and killed before delivery: its secret reached nobody.
        let rows = vec![
            row(json!({})),
            row(json!({ "name": "T_NEXT", "role_restriction": "R2" })),
        ];
        let p = after_kill(
            json!({ "role_restriction": "R2" }),
            rows,
            vec![intent("T_NEXT", crate::plan::IntentKind::Add)],
        );
        let changes = token_changes(&p);
        assert_eq!(changes[0].address, "user.U.token.T_NEXT");
        assert_eq!(changes[0].action, Delete);
        assert!(
            !p.changes
                .iter()
                .find(|c| c.address.to_string().ends_with("T_NEXT"))
                .unwrap()
                .destructive
        );
        assert_eq!(changes[1].address, T);
        assert_eq!(changes[1].action, Replace);
    }

    #[test]
    fn a_pending_delivery_is_an_error_unless_the_token_is_replaced() {
        let desired = config(json!({
            "users": { "U": { "type": "PERSON", "roles": ["R", "R2"], "tokens": { "T": token_spec(json!({})) } } }
        }));
        let state = live(json!({
            "users": { "U": { "user_type": "PERSON", "roles": ["R", "R2"], "tokens": [row(json!({}))] } }
        }));
        let address = Address::Token("U".parse().unwrap(), "T".parse().unwrap());
        let mut inputs = crate::plan::DiffInputs {
            pending: vec![crate::plan::PendingDelivery {
                address: address.clone(),
                rescue_file: ".pat-reconcile/rescue/U.T.x.secret".into(),
                rescue_exists: true,
                undelivered: vec!["command false".into()],
            }],
            ..Default::default()
        };
        let p = diff(&desired, &state, now(), &inputs);
        assert!(p.has_errors());
        let d = &p.diagnostics[0];
        assert_eq!(
            (d.check, d.address.to_string().as_str()),
            ("pending-delivery", T)
        );
        assert!(
            d.summary.contains(".pat-reconcile/rescue/U.T.x.secret"),
            "{}",
            d.summary
        );
        assert!(d.summary.contains("command false"), "{}", d.summary);
        inputs.pending[0].rescue_exists = false;
        let p = diff(&desired, &state, now(), &inputs);
        assert!(
            p.diagnostics[0]
                .detail
                .contains("apply --replace user.U.token.T --revoke-old"),
            "{}",
            p.diagnostics[0].detail
        );
        inputs.replace.insert(address);
        assert!(!diff(&desired, &state, now(), &inputs).has_errors());
    }
}

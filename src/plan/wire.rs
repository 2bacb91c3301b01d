//! The plan's JSON wire format: `plan --format json` prints it, `plan --out FILE` saves it, and
//! `apply FILE` reads it back.
//!
//! ```json
//! {
//!   "format_version": 3,
//!   "tool_version": "0.1.0",
//!   "generated_at": "2026-11-27T12:00:00Z",
//!   "origin": { "account": "MYORG-MYACCOUNT", "user": "DEPLOYER", "role": "ACCOUNTADMIN" },
//!   "config_digest": "<sha256 of the desired state>",
//!   "live_fingerprints": { "user.THERMAL_STREAMING_USER": "<sha256>", "network_rule.DEMO.DEMO.R": "absent" },
//!   "summary": { "changes": 3, "destructive": 1, "secrets_minted": 1, "statements": 4,
//!                "by_action": { "create": 1, "rotate": 1, "delete": 1 } },
//!   "changes": [{
//!     "address": "user.THERMAL_STREAMING_USER.token.THERMAL_PAT",
//!     "user": "THERMAL_STREAMING_USER", "token": "THERMAL_PAT",
//!     "action": "rotate", "destructive": false, "mints_secret": true,
//!     "reason": "expires in 9 days, rotate_before_expiry_days = 14",
//!     "reason_detail": { "kind": "expires_soon", "expires_at": "...", "days_left": 9, "rotate_before_expiry_days": 14 },
//!     "attributes": [{ "name": "secret", "before": "(current secret, ...)", "after": "(new secret, delivered to ...)" }],
//!     "depends_on": ["user.THERMAL_STREAMING_USER.network_policy"],
//!     "statements": [{ "sql": "ALTER USER ... ROTATE ...", "returns_secret": true,
//!                      "recovery": { "probe": "SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER ...",
//!                                    "rotate": "ALTER USER ... ROTATE ... EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0" } }]
//!   }],
//!   "diagnostics": [{ "severity": "error", "check": "network-policy-required", "address": "user.U",
//!                     "summary": "...", "detail": "..." }]
//! }
//! ```
//! Changes are in execution order. `before`/`after` are strings, numbers, booleans or lists of
//! strings, and are absent when not set. `recovery` is present on each statement that mints a
//! secret: what apply runs if that statement's answer is lost. No field ever holds a secret.
//!
//! `origin` names the account the live state was read from and the session that read it (each
//! field absent when unknown); `apply FILE` refuses a plan made on another account.
//!
//! `apply FILE` does not run what the file says: it plans again at `generated_at` and applies
//! only if the changes it gets equal the file's (`apply::saved`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::address::Address;
use super::change::{Action, Plan};
use crate::model::Severity;

/// Version of the plan JSON format. 2 added `recovery` to minting statements and made
/// `destructive` the diff's decision; 3 added `origin` (the account a plan belongs to). An older
/// file is refused by name, not misread.
pub const PLAN_FORMAT_VERSION: u32 = 3;

/// A plan as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    pub format_version: u32,
    pub tool_version: String,
    pub generated_at: DateTime<Utc>,
    pub origin: WireOrigin,
    pub config_digest: String,
    pub live_fingerprints: BTreeMap<String, String>,
    pub summary: Summary,
    pub changes: Vec<WireChange>,
    pub diagnostics: Vec<WireDiagnostic>,
}

/// The account and session a plan was made from ([`PlanOrigin`](super::change::PlanOrigin)).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireOrigin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Counts over the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub changes: usize,
    pub destructive: usize,
    pub secrets_minted: usize,
    pub statements: usize,
    pub by_action: BTreeMap<WireAction, usize>,
}

/// One change. `destructive` is the diff's decision (`Change::destructive`), which `apply FILE`
/// compares against its own plan rather than trusting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireChange {
    pub address: String,
    /// The user, for user-level changes (stored name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The token, for token changes (stored name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub action: WireAction,
    pub destructive: bool,
    pub mints_secret: bool,
    pub reason: String,
    pub reason_detail: serde_json::Value,
    pub attributes: Vec<WireAttribute>,
    pub depends_on: Vec<String>,
    pub statements: Vec<WireStatement>,
}

/// A change's action as the file spells it (`Action::as_str`).
///
/// The variants are declared in alphabetical order: `summary.by_action` is a map keyed by them,
/// and its keys must come out sorted by spelling, as they did when they were strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireAction {
    Attach,
    Create,
    Delete,
    Detach,
    Grant,
    Replace,
    Rotate,
    Update,
}

impl From<Action> for WireAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Create => WireAction::Create,
            Action::Update => WireAction::Update,
            Action::Grant => WireAction::Grant,
            Action::Attach => WireAction::Attach,
            Action::Detach => WireAction::Detach,
            Action::Rotate => WireAction::Rotate,
            Action::Replace => WireAction::Replace,
            Action::Delete => WireAction::Delete,
        }
    }
}

impl WireAction {
    /// The action's spelling, the same as [`Action::as_str`].
    pub fn as_str(self) -> &'static str {
        match self {
            WireAction::Attach => "attach",
            WireAction::Create => "create",
            WireAction::Delete => "delete",
            WireAction::Detach => "detach",
            WireAction::Grant => "grant",
            WireAction::Replace => "replace",
            WireAction::Rotate => "rotate",
            WireAction::Update => "update",
        }
    }
}

impl std::fmt::Display for WireAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attribute's before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireAttribute {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireStatement {
    pub sql: String,
    pub returns_secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<WireRecovery>,
}

/// The recovery of a statement that mints a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireRecovery {
    pub probe: String,
    pub rotate: String,
}

/// One preflight finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireDiagnostic {
    pub severity: Severity,
    pub check: String,
    pub address: String,
    pub summary: String,
    pub detail: String,
}

impl PlanFile {
    /// The wire form of a plan.
    pub fn from_plan(plan: &Plan) -> Self {
        let to_json = |v: &Option<super::change::AttrValue>| {
            v.as_ref().and_then(|v| serde_json::to_value(v).ok())
        };
        let changes = plan
            .changes
            .iter()
            .map(|c| {
                let (user, token) = match &c.address {
                    Address::Token(u, t) => {
                        (Some(u.as_str().to_owned()), Some(t.as_str().to_owned()))
                    }
                    other => (other.user().map(|u| u.as_str().to_owned()), None),
                };
                WireChange {
                    address: c.address.to_string(),
                    user,
                    token,
                    action: c.action.into(),
                    destructive: c.destructive,
                    mints_secret: c.mints_secret(),
                    reason: c.reason.to_string(),
                    reason_detail: serde_json::to_value(&c.reason).unwrap_or_default(),
                    attributes: c
                        .attributes
                        .iter()
                        .map(|a| WireAttribute {
                            name: a.name.clone(),
                            before: to_json(&a.before),
                            after: to_json(&a.after),
                        })
                        .collect(),
                    depends_on: c.depends_on.iter().map(ToString::to_string).collect(),
                    statements: c
                        .statements
                        .iter()
                        .map(|s| WireStatement {
                            sql: s.sql.clone(),
                            returns_secret: s.returns_secret,
                            recovery: s.recovery.as_ref().map(|r| WireRecovery {
                                probe: r.probe.clone(),
                                rotate: r.rotate.clone(),
                            }),
                        })
                        .collect(),
                }
            })
            .collect();
        PlanFile {
            format_version: PLAN_FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            generated_at: plan.generated_at,
            origin: WireOrigin {
                account: plan.origin.account.clone(),
                user: plan.origin.user.as_ref().map(|u| u.as_str().to_owned()),
                role: plan.origin.role.as_ref().map(|r| r.as_str().to_owned()),
            },
            config_digest: plan.config_digest.clone(),
            live_fingerprints: plan.fingerprints.clone(),
            summary: Summary {
                changes: plan.changes.len(),
                destructive: plan.destructive_count(),
                secrets_minted: plan.secrets_minted(),
                statements: plan.statement_count(),
                by_action: plan
                    .counts()
                    .into_iter()
                    .map(|(a, n)| (a.into(), n))
                    .collect(),
            },
            changes,
            diagnostics: plan
                .diagnostics
                .iter()
                .map(|d| WireDiagnostic {
                    severity: d.severity,
                    check: d.check.to_owned(),
                    address: d.address.to_string(),
                    summary: d.summary.clone(),
                    detail: d.detail.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_actions_are_spelled_and_ordered_as_the_strings_were() {
        let mut spelled: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        spelled.sort_unstable();
        let mut wire: Vec<WireAction> = Action::ALL.iter().map(|a| (*a).into()).collect();
        wire.sort_unstable();
        let wire: Vec<&str> = wire.iter().map(|a| a.as_str()).collect();
        assert_eq!(wire, spelled);
        for action in Action::ALL {
            let json = serde_json::to_string(&WireAction::from(action)).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(
                serde_json::from_str::<WireAction>(&json).unwrap(),
                WireAction::from(action)
            );
        }
    }
}

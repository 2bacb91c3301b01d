//! The plan's data: changes (address, action, attribute diff, reason, SQL), preflight findings,
//! and the plan that holds them. Renderers format these; they never compute.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::address::Address;
use crate::model::Identifier;

/// What a change does. A closed set; renderers and apply match on it exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Grant,
    Attach,
    Detach,
    Rotate,
    Replace,
    Delete,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Create,
        Action::Update,
        Action::Grant,
        Action::Attach,
        Action::Detach,
        Action::Rotate,
        Action::Replace,
        Action::Delete,
    ];

    /// Destroys something that cannot be brought back as it was (a revoked token, a dropped
    /// policy, a replaced token's old secret). `apply --auto-approve` needs `--allow-destroy`.
    pub fn is_destructive(self) -> bool {
        matches!(self, Action::Delete | Action::Replace)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Grant => "grant",
            Action::Attach => "attach",
            Action::Detach => "detach",
            Action::Rotate => "rotate",
            Action::Replace => "replace",
            Action::Delete => "delete",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value of an attribute, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    Text(String),
    Number(i64),
    Bool(bool),
    List(Vec<String>),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Text(s) => write!(f, "{s:?}"),
            AttrValue::Number(n) => write!(f, "{n}"),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::List(items) => write!(f, "[{}]", items.join(", ")),
        }
    }
}

/// One attribute's before and after; `None` is "not set" (or the object does not exist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    pub name: String,
    pub before: Option<AttrValue>,
    pub after: Option<AttrValue>,
}

/// Why a change is in the plan. For people only: apply never looks at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Declared and not in the account.
    NotInAccount,
    /// Declared attributes differ from the account's.
    Drifted,
    /// The user does not hold a role the file lists.
    RoleNotGranted,
    /// The attached policy differs from the declared one.
    AttachmentDiffers,
    /// The secret expires within the rotation window.
    ExpiresSoon {
        expires_at: DateTime<Utc>,
        days_left: i64,
        rotate_before_expiry_days: u32,
    },
    /// The secret has expired; an expired token cannot be rotated.
    Expired { expires_at: DateTime<Utc> },
    /// An attribute Snowflake cannot change in place differs.
    ImmutableChanged { attributes: Vec<String> },
    /// In the account but not declared, and the user's `unmanaged_tokens` is `remove`.
    Undeclared,
    /// A rotation leftover whose grace period is over.
    LeftoverExpired {
        token: Identifier,
        expired_at: DateTime<Utc>,
    },
    /// A rotation leftover of a token that is being removed.
    LeftoverOfRemoved { token: Identifier },
    /// Declared with `absent: true`.
    Tombstone,
    /// Attached to a policy that the plan drops.
    PolicyDropped { policy: String },
    /// Rotated because the user asked (`--replace ADDRESS`); the old secret keeps working for
    /// `old_secret_valid_hours` (0 with `--revoke-old`).
    RotationRequested { old_secret_valid_hours: u32 },
    /// An apply interrupted at `interrupted_at` (its own clock) minted a secret that reached no
    /// sink: it is rotated out at once and the new secret delivered.
    SecretUndelivered { interrupted_at: DateTime<Utc> },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotInAccount => f.write_str("declared, not in the account"),
            Reason::Drifted => f.write_str("the account differs from the file"),
            Reason::RoleNotGranted => f.write_str("listed in `roles`, not granted"),
            Reason::AttachmentDiffers => f.write_str("the attached policy differs from the file"),
            Reason::ExpiresSoon {
                days_left,
                rotate_before_expiry_days,
                ..
            } => match days_left {
                0 => write!(
                    f,
                    "expires in less than a day, rotate_before_expiry_days = {rotate_before_expiry_days}"
                ),
                1 => write!(
                    f,
                    "expires in 1 day, rotate_before_expiry_days = {rotate_before_expiry_days}"
                ),
                n => write!(
                    f,
                    "expires in {n} days, rotate_before_expiry_days = {rotate_before_expiry_days}"
                ),
            },
            Reason::Expired { expires_at } => write!(
                f,
                "expired at {}; an expired token cannot be rotated",
                expires_at.format("%Y-%m-%d %H:%M UTC")
            ),
            Reason::ImmutableChanged { attributes } => write!(
                f,
                "{} cannot change in place",
                attributes
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Reason::Undeclared => f.write_str("not declared, and `unmanaged_tokens` is `remove`"),
            Reason::LeftoverExpired { token, expired_at } => write!(
                f,
                "rotation leftover of {token}, expired at {}",
                expired_at.format("%Y-%m-%d %H:%M UTC")
            ),
            Reason::LeftoverOfRemoved { token } => {
                write!(f, "rotation leftover of {token}, which is removed")
            }
            Reason::Tombstone => f.write_str("declared `absent: true`"),
            Reason::PolicyDropped { policy } => write!(f, "{policy} is dropped"),
            Reason::RotationRequested {
                old_secret_valid_hours: 0,
            } => {
                f.write_str("rotation requested with --replace; the old secret is revoked at once")
            }
            Reason::SecretUndelivered { interrupted_at } => write!(
                f,
                "an apply interrupted at {} minted a secret no sink received; it is revoked at once",
                interrupted_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            Reason::RotationRequested {
                old_secret_valid_hours,
            } => write!(
                f,
                "rotation requested with --replace; the old secret works {old_secret_valid_hours} more hours"
            ),
        }
    }
}

/// How apply gets a secret to its consumer when the answer to the statement that minted it was
/// lost (the statement may have run, and nobody received its secret). Planned by the diff and
/// kept beside the statement, as Atlas keeps a change's reverse beside it: apply only runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recovery {
    /// The token the probe looks for (not a rotation leftover).
    pub token: Identifier,
    /// `SHOW USER PROGRAMMATIC ACCESS TOKENS`: whether the token exists. If it does not, the
    /// statement never ran and nothing was lost.
    pub probe: String,
    /// `ROTATE ... EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0`: the secret nobody received dies at
    /// once, and the new one is delivered instead.
    pub rotate: String,
}

/// One SQL statement of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub sql: String,
    /// True for ADD and ROTATE, whose result holds a new secret that must be delivered.
    pub returns_secret: bool,
    /// For a ROTATE: the hours the old secret keeps working. Above zero it leaves a rotation
    /// leftover that counts against the user's token limit while its grace period runs.
    pub expire_rotated_token_after_hours: Option<u32>,
    /// For a statement that mints a secret: what to run if its answer is lost.
    pub recovery: Option<Recovery>,
}

impl Statement {
    /// A statement whose result holds no secret.
    pub fn new(sql: String) -> Self {
        Self {
            sql,
            returns_secret: false,
            expire_rotated_token_after_hours: None,
            recovery: None,
        }
    }

    /// An ADD: its result holds the new token's secret.
    pub fn add(sql: String, recovery: Recovery) -> Self {
        Self {
            sql,
            returns_secret: true,
            expire_rotated_token_after_hours: None,
            recovery: Some(recovery),
        }
    }

    /// A ROTATE whose old secret keeps working `expire_rotated_token_after_hours`.
    pub fn rotate(sql: String, expire_rotated_token_after_hours: u32, recovery: Recovery) -> Self {
        Self {
            sql,
            returns_secret: true,
            expire_rotated_token_after_hours: Some(expire_rotated_token_after_hours),
            recovery: Some(recovery),
        }
    }
}

/// A change to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// Whether applying it loses something that works, decided by the diff: usually
    /// [`Action::is_destructive`], but not when what it removes had already expired (a spent
    /// rotation leftover, an expired token being replaced). `apply --auto-approve` needs
    /// `--allow-destroy` for it. Never derived from [`Reason`], which only explains.
    pub destructive: bool,
    pub attributes: Vec<AttributeChange>,
    pub reason: Reason,
    /// Changes that must run before this one (addresses of other changes in the plan).
    pub depends_on: Vec<Address>,
    pub statements: Vec<Statement>,
}

impl Change {
    /// True when applying the change mints a secret that must be delivered.
    pub fn mints_secret(&self) -> bool {
        self.statements.iter().any(|s| s.returns_secret)
    }
}

/// How bad a preflight finding is (the scale `validate` uses too). Errors fail the plan.
pub use crate::model::Severity;

/// A preflight finding: something Snowflake would refuse, found before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanDiagnostic {
    pub severity: Severity,
    /// Stable id, e.g. `network-policy-required`.
    pub check: &'static str,
    pub address: Address,
    pub summary: String,
    /// What to change.
    pub detail: String,
}

/// Where a plan was made: the account and the session that read its live state. `None` where
/// the live state does not say (an offline plan from an old snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanOrigin {
    /// The account identifier (`CURRENT_ACCOUNT()`).
    pub account: Option<String>,
    pub user: Option<Identifier>,
    pub role: Option<Identifier>,
}

/// An ordered set of changes computed at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The `now` the plan was computed for.
    pub generated_at: DateTime<Utc>,
    /// The account and session the live state was read from.
    pub origin: PlanOrigin,
    /// SHA-256 of the desired state's canonical JSON.
    pub config_digest: String,
    /// SHA-256 of each live object read, by address (`absent` for declared objects not found).
    pub fingerprints: BTreeMap<String, String>,
    /// Changes in execution order: each after everything it depends on.
    pub changes: Vec<Change>,
    pub diagnostics: Vec<PlanDiagnostic>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Number of changes per action, in [`Action::ALL`] order, zero counts omitted.
    pub fn counts(&self) -> Vec<(Action, usize)> {
        Action::ALL
            .iter()
            .map(|a| (*a, self.changes.iter().filter(|c| c.action == *a).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    pub fn destructive_count(&self) -> usize {
        self.changes.iter().filter(|c| c.destructive).count()
    }

    pub fn secrets_minted(&self) -> usize {
        self.changes.iter().filter(|c| c.mints_secret()).count()
    }

    pub fn statement_count(&self) -> usize {
        self.changes.iter().map(|c| c.statements.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_reasons_read_naturally() {
        let at: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let reason = |days_left| Reason::ExpiresSoon {
            expires_at: at,
            days_left,
            rotate_before_expiry_days: 14,
        };
        let cases = [
            (
                0,
                "expires in less than a day, rotate_before_expiry_days = 14",
            ),
            (1, "expires in 1 day, rotate_before_expiry_days = 14"),
            (9, "expires in 9 days, rotate_before_expiry_days = 14"),
        ];
        for (days, text) in cases {
            assert_eq!(reason(days).to_string(), text);
        }
    }
}

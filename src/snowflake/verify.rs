//! Verifying delivered secrets: each declared token's secret is read back from its sinks
//! (`secrets::readback`), used as a PAT to open a SQL API session on the connection's account,
//! and [`WHOAMI`] tells who that session is. [`judge`] (pure) compares the answer with the
//! token's declaration; [`verify`] runs the checks and returns a [`VerifyReport`] that
//! `cli/verify.rs` renders.
//!
//! What a refusal means ([`Refusal`]), by Snowflake's code:
//!
//! | code | meaning | source |
//! |---|---|---|
//! | 390432 | the user must be subject to a network policy to use a PAT | reference §8 (several live-account reports); PAT guide "Network policy requirements" |
//! | 394400 / `PAT_INVALID` | the secret is not a valid token of the user: wrong, expired, disabled or removed, or its restricted role was dropped, revoked from the user or blocked | PAT guide (PAT_INVALID causes, reference §2.7); ADD PAT ("If the role is revoked ... any attempt to use the token ... fails"); the code is the sandbox's |
//! | 390422 | the network policy that applies does not admit the client address | text observed by drivers ("IP ... is not allowed to access Snowflake", airbytehq/airbyte#20992); the code is the sandbox's |
//! | 390202 | an authentication policy does not allow PROGRAMMATIC_ACCESS_TOKEN | PAT guide (authentication policy prerequisite); the code is the sandbox's |
//! | 390101 | the user is disabled | the sandbox's code and text |
//! | 390189 | the session's role is not granted (a role the request named) | the sandbox's code |
//!
//! Order of checks per token: a declared-disabled token is not signed in with (it is expected to
//! fail); a token whose newest secret waits in a rescue file (a pending delivery) is reported as
//! pending, since its sinks hold an older secret or none; otherwise every sink is read, and each
//! distinct secret signs in once.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::auth::{Credentials, TokenType};
use super::error::ClientError;
use super::{Client, ClientOptions, Interrupt, RequestContext};
use crate::model::Identifier;
use crate::model::desired::Config;
use crate::secrets::Secret;
use crate::secrets::readback::{self, ReadBack, ReadbackContext};

/// What a token's session is asked: who it is, as which role, from where.
pub const WHOAMI: &str = "SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_IP_ADDRESS()";

/// Who a session opened with a token's secret is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub user: String,
    pub role: Option<String>,
    /// The client address as Snowflake sees it.
    pub address: Option<String>,
}

/// Why Snowflake refused a token, by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NetworkPolicyRequired,
    TokenInvalid,
    AddressNotAllowed,
    AuthenticationPolicy,
    UserDisabled,
    RoleNotGranted,
    Other,
}

impl Refusal {
    /// The refusal a Snowflake error code stands for.
    pub fn of(code: &str) -> Self {
        match code {
            "390432" => Self::NetworkPolicyRequired,
            "394400" | "PAT_INVALID" => Self::TokenInvalid,
            "390422" => Self::AddressNotAllowed,
            "390202" => Self::AuthenticationPolicy,
            "390101" => Self::UserDisabled,
            "390189" => Self::RoleNotGranted,
            _ => Self::Other,
        }
    }

    /// A stable name for JSON.
    pub fn kind(self) -> &'static str {
        match self {
            Self::NetworkPolicyRequired => "network-policy-required",
            Self::TokenInvalid => "token-invalid",
            Self::AddressNotAllowed => "address-not-allowed",
            Self::AuthenticationPolicy => "authentication-policy",
            Self::UserDisabled => "user-disabled",
            Self::RoleNotGranted => "role-not-granted",
            Self::Other => "other",
        }
    }

    /// What it means for the token, in a sentence fragment.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::NetworkPolicyRequired => {
                "the user is subject to no network policy, which Snowflake requires to use a token"
            }
            Self::TokenInvalid => {
                "the secret is not a valid token of the user: wrong, expired, disabled or removed, or its restricted role was dropped, revoked or blocked"
            }
            Self::AddressNotAllowed => {
                "the network policy that applies to the user does not admit this client address"
            }
            Self::AuthenticationPolicy => {
                "an authentication policy of the user does not allow PROGRAMMATIC_ACCESS_TOKEN"
            }
            Self::UserDisabled => "the user is disabled",
            Self::RoleNotGranted => "the session's role is not granted to the user",
            Self::Other => "Snowflake refused the session",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The secret works, as the declared user and role.
    Ok(Identity),
    /// The secret works, but for another user.
    WrongUser {
        identity: Identity,
        expected: String,
    },
    /// The secret works, but its session runs as another role than the restriction.
    WrongRole {
        identity: Identity,
        expected: String,
    },
    /// Snowflake refused the secret or the statement.
    Refused {
        code: String,
        message: String,
        refusal: Refusal,
    },
    /// The secret could not be read back from the sink.
    Unreadable { reason: String },
    /// The check could not be made (the account could not be reached, ...).
    Error { reason: String },
    /// A `command` sink without a `verify` program.
    NotVerifiable,
    /// The newest secret waits in a rescue file for some sinks.
    Pending {
        rescue_file: String,
        undelivered: Vec<String>,
    },
    /// The token is declared `disabled: true`: not signed in with.
    Disabled,
}

impl Outcome {
    /// Whether the check failed: the secret in the sink does not work as declared, or could not
    /// be read, or a delivery is pending. Not verifiable and disabled tokens do not fail.
    pub fn is_failure(&self) -> bool {
        !matches!(
            self,
            Outcome::Ok(_) | Outcome::NotVerifiable | Outcome::Disabled
        )
    }

    /// A stable name for JSON and the table.
    pub fn result(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::WrongUser { .. } => "wrong-user",
            Outcome::WrongRole { .. } => "wrong-role",
            Outcome::Refused { .. } => "refused",
            Outcome::Unreadable { .. } => "unreadable",
            Outcome::Error { .. } => "error",
            Outcome::NotVerifiable => "not-verifiable",
            Outcome::Pending { .. } => "pending",
            Outcome::Disabled => "disabled",
        }
    }

    /// The session's identity, when one was opened.
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Outcome::Ok(i)
            | Outcome::WrongUser { identity: i, .. }
            | Outcome::WrongRole { identity: i, .. } => Some(i),
            _ => None,
        }
    }

    /// One line saying what was found.
    pub fn detail(&self) -> String {
        let who = |i: &Identity| {
            format!(
                "user {}, role {}, address {}",
                i.user,
                i.role.as_deref().unwrap_or("-"),
                i.address.as_deref().unwrap_or("-")
            )
        };
        match self {
            Outcome::Ok(i) => who(i),
            Outcome::WrongUser { identity, expected } => format!(
                "the secret signs in as {}, not {expected} ({})",
                identity.user,
                who(identity)
            ),
            Outcome::WrongRole { identity, expected } => format!(
                "the session runs as role {}, not the restriction {expected} ({})",
                identity.role.as_deref().unwrap_or("-"),
                who(identity)
            ),
            Outcome::Refused {
                code,
                message,
                refusal,
            } => format!("{code}: {} (Snowflake: {message})", refusal.meaning()),
            Outcome::Unreadable { reason } | Outcome::Error { reason } => reason.clone(),
            Outcome::NotVerifiable => "a `command` sink cannot be read back; declare `verify: {argv: [...]}` on the token to check it".to_owned(),
            Outcome::Pending {
                rescue_file,
                undelivered,
            } => format!(
                "the newest secret waits in `{rescue_file}` for {}; run `pat-reconcile apply` to deliver it",
                undelivered.join("; ")
            ),
            Outcome::Disabled => "declared `disabled: true`; not signed in with".to_owned(),
        }
    }
}

/// Compares a session's answer with the token's declaration (pure).
pub fn judge(
    user: &Identifier,
    role_restriction: Option<&Identifier>,
    answer: Result<Identity, ClientError>,
) -> Outcome {
    match answer {
        Ok(identity) if identity.user != user.as_str() => Outcome::WrongUser {
            identity,
            expected: user.as_str().to_owned(),
        },
        Ok(identity) => match role_restriction {
            Some(role) if identity.role.as_deref() != Some(role.as_str()) => Outcome::WrongRole {
                identity,
                expected: role.as_str().to_owned(),
            },
            _ => Outcome::Ok(identity),
        },
        Err(
            ClientError::Authentication { code, message, .. }
            | ClientError::Statement { code, message, .. },
        ) => Outcome::Refused {
            refusal: Refusal::of(&code),
            code,
            message,
        },
        Err(other) => Outcome::Error {
            reason: error_chain(&other),
        },
    }
}

/// One check: a token, the sink its secret was read from (`None` when the token is reported
/// as a whole: pending or disabled), and the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `user.U.token.T`
    pub address: String,
    pub user: String,
    pub token: String,
    /// The sink as plans name it (`json_file snowflake_config.json /pat`).
    pub sink: Option<String>,
    pub role_restriction: Option<String>,
    pub outcome: Outcome,
}

/// Every check, in the order of the tokens and their sinks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub checks: Vec<Check>,
}

impl VerifyReport {
    /// How many checks have this result name.
    pub fn count(&self, result: &str) -> usize {
        self.checks
            .iter()
            .filter(|c| c.outcome.result() == result)
            .count()
    }

    /// The checks that failed.
    pub fn failures(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.outcome.is_failure())
            .count()
    }

    /// The addresses of the tokens with a failed check, each once, in order.
    pub fn failed_tokens(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.checks.iter().filter(|c| c.outcome.is_failure()) {
            if !out.contains(&c.address) {
                out.push(c.address.clone());
            }
        }
        out
    }
}

/// A delivery still pending for a token (from `.pat-reconcile/pending/`).
#[derive(Debug, Clone)]
pub struct PendingToken {
    pub user: Identifier,
    pub token: Identifier,
    pub rescue_file: String,
    pub undelivered: Vec<String>,
}

/// Where and how to sign in.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The connection's SQL API base URL (`https://host:port`).
    pub base_url: &'a str,
    /// The account name a sink's `format` used for `{account}`.
    pub account: &'a str,
    /// The `pats.yaml` directory.
    pub base: &'a Path,
    /// Client options of the token sessions (e.g. the sandbox's client-address claim).
    pub options: ClientOptions,
    pub interrupt: Interrupt,
    /// `PATH` and `HOME` for `verify` programs.
    pub path_env: Option<std::ffi::OsString>,
    pub home_env: Option<std::ffi::OsString>,
}

/// Opens a session with `secret` as a PAT and asks [`WHOAMI`]. Names no role and no
/// warehouse: the session runs as the token's restricted role, else the user's default.
pub async fn sign_in(target: &Target<'_>, secret: Secret) -> Result<Identity, ClientError> {
    let client = Client::new(
        target.base_url,
        Credentials::bearer(secret, TokenType::ProgrammaticAccessToken),
        RequestContext::default(),
        target.options.clone(),
        target.interrupt.clone(),
    )?;
    let rows = client.execute(WHOAMI).await?;
    let row = rows.rows.first().ok_or_else(|| ClientError::Protocol {
        detail: format!("`{WHOAMI}` returned no row"),
    })?;
    let cell = |i: usize| row.get(i).cloned().flatten();
    Ok(Identity {
        user: cell(0).ok_or_else(|| ClientError::Protocol {
            detail: "CURRENT_USER() is NULL".into(),
        })?,
        role: cell(1),
        address: cell(2),
    })
}

/// Checks the `tokens` of `config` (every declared token when empty). Each token is reported
/// as pending or disabled, or sink by sink.
pub async fn verify(
    target: &Target<'_>,
    config: &Config,
    tokens: &[(Identifier, Identifier)],
    pending: &[PendingToken],
) -> VerifyReport {
    let chosen: Vec<(Identifier, Identifier)> = if tokens.is_empty() {
        config
            .users
            .iter()
            .flat_map(|(u, spec)| spec.tokens.keys().map(move |t| (u.clone(), t.clone())))
            .collect()
    } else {
        tokens.to_vec()
    };
    let mut report = VerifyReport::default();
    for (user, token) in chosen {
        let Some(spec) = config.users.get(&user).and_then(|u| u.tokens.get(&token)) else {
            continue;
        };
        let check = |sink: Option<String>, outcome: Outcome| Check {
            address: format!("user.{user}.token.{token}"),
            user: user.as_str().to_owned(),
            token: token.as_str().to_owned(),
            sink,
            role_restriction: spec
                .role_restriction
                .as_ref()
                .map(|r| r.as_str().to_owned()),
            outcome,
        };
        if spec.disabled == Some(true) {
            report.checks.push(check(None, Outcome::Disabled));
            continue;
        }
        if let Some(p) = pending.iter().find(|p| p.user == user && p.token == token) {
            report.checks.push(check(
                None,
                Outcome::Pending {
                    rescue_file: p.rescue_file.clone(),
                    undelivered: p.undelivered.clone(),
                },
            ));
            continue;
        }
        let cx = ReadbackContext {
            user: user.as_str(),
            token: token.as_str(),
            account: target.account,
            base: target.base,
            path_env: target.path_env.clone(),
            home_env: target.home_env.clone(),
        };
        // Sinks holding the same secret share one sign-in.
        let mut signed_in: BTreeMap<usize, Outcome> = BTreeMap::new();
        let mut secrets: Vec<Secret> = Vec::new();
        for sink in &spec.deliver {
            let outcome = match readback::read_back(sink, spec.verify.as_ref(), &cx).await {
                Ok(ReadBack::NotVerifiable) => Outcome::NotVerifiable,
                Err(e) => Outcome::Unreadable {
                    reason: error_chain(&e),
                },
                Ok(ReadBack::Secret(secret)) => match secrets.iter().position(|s| *s == secret) {
                    Some(i) => signed_in[&i].clone(),
                    None => {
                        let answer = sign_in(target, secret.clone()).await;
                        let outcome = judge(&user, spec.role_restriction.as_ref(), answer);
                        signed_in.insert(secrets.len(), outcome.clone());
                        secrets.push(secret);
                        outcome
                    }
                },
            };
            report.checks.push(check(Some(sink.to_string()), outcome));
        }
    }
    report
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Identifier {
        Identifier::parse(s).unwrap()
    }

    fn identity(user: &str, role: &str) -> Identity {
        Identity {
            user: user.into(),
            role: Some(role.into()),
            address: Some("203.0.113.7".into()),
        }
    }

    fn refused(code: &str) -> ClientError {
        ClientError::Authentication {
            status: 401,
            code: code.into(),
            message: "refused".into(),
        }
    }

    #[test]
    fn the_session_must_be_the_tokens_user_and_role() {
        let (u, r) = (id("THERMAL_STREAMING_USER"), id("THERMAL_STREAMING_ROLE"));
        let ok = identity("THERMAL_STREAMING_USER", "THERMAL_STREAMING_ROLE");
        assert_eq!(judge(&u, Some(&r), Ok(ok.clone())), Outcome::Ok(ok.clone()));
        // Without a restriction any role is the token's.
        let other_role = identity("THERMAL_STREAMING_USER", "PUBLIC");
        assert_eq!(
            judge(&u, None, Ok(other_role.clone())),
            Outcome::Ok(other_role.clone())
        );
        let wrong_role = judge(&u, Some(&r), Ok(other_role));
        assert_eq!(wrong_role.result(), "wrong-role");
        assert!(wrong_role.is_failure());
        assert!(
            wrong_role
                .detail()
                .contains("not the restriction THERMAL_STREAMING_ROLE"),
            "{}",
            wrong_role.detail()
        );
        let wrong_user = judge(
            &u,
            Some(&r),
            Ok(identity("OTHER", "THERMAL_STREAMING_ROLE")),
        );
        assert_eq!(wrong_user.result(), "wrong-user");
        assert!(wrong_user.detail().contains("signs in as OTHER"));
    }

    #[test]
    fn refusals_are_named_by_their_code() {
        let u = id("U");
        for (code, kind) in [
            ("390432", "network-policy-required"),
            ("394400", "token-invalid"),
            ("390422", "address-not-allowed"),
            ("390202", "authentication-policy"),
            ("390101", "user-disabled"),
            ("390100", "other"),
        ] {
            let outcome = judge(&u, None, Err(refused(code)));
            let Outcome::Refused { refusal, .. } = &outcome else {
                panic!("{outcome:?}");
            };
            assert_eq!(refusal.kind(), kind);
            assert!(outcome.is_failure());
            assert!(outcome.detail().starts_with(&format!("{code}: ")));
        }
        let role = ClientError::Statement {
            code: "390189".into(),
            sql_state: "08004".into(),
            message: "Role 'X' specified in the connect string is not granted".into(),
            statement_handle: None,
            request_id: "r".into(),
        };
        assert!(matches!(
            judge(&u, None, Err(role)),
            Outcome::Refused {
                refusal: Refusal::RoleNotGranted,
                ..
            }
        ));
        assert_eq!(
            judge(&u, None, Err(ClientError::Cancelled)),
            Outcome::Error {
                reason: "cancelled".into()
            }
        );
    }

    #[test]
    fn only_working_skipped_and_unverifiable_checks_do_not_fail() {
        let check = |outcome: Outcome| Check {
            address: "user.U.token.T".into(),
            user: "U".into(),
            token: "T".into(),
            sink: None,
            role_restriction: None,
            outcome,
        };
        let report = VerifyReport {
            checks: vec![
                check(Outcome::Ok(identity("U", "R"))),
                check(Outcome::NotVerifiable),
                check(Outcome::Disabled),
            ],
        };
        assert_eq!(report.failures(), 0);
        let mut failing = report.clone();
        failing.checks.push(check(Outcome::Pending {
            rescue_file: "r".into(),
            undelivered: vec!["file t".into()],
        }));
        failing
            .checks
            .push(check(Outcome::Unreadable { reason: "x".into() }));
        assert_eq!(failing.failures(), 2);
        assert_eq!(failing.failed_tokens(), vec!["user.U.token.T".to_owned()]);
        assert_eq!(failing.count("pending"), 1);
    }
}

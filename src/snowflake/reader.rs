//! The live reader: reads the declared scope of an account into a [`LiveState`].
//!
//! Read economy (DESIGN §6): a plan's cost is its round trips. Account-wide facts come from one
//! statement each (`SHOW USERS`, `SHOW NETWORK POLICIES`, `SHOW NETWORK RULES IN ACCOUNT`,
//! `SHOW AUTHENTICATION POLICIES IN ACCOUNT`, the account's parameters and policies), role
//! membership from one `SHOW GRANTS OF ROLE` per referenced role, and only tokens need one
//! statement per declared user (`SHOW USER PROGRAMMATIC ACCESS TOKENS` has no account-wide
//! form). Which policy each user has attached comes from `POLICY_REFERENCES` per policy in the
//! account when the account has no more policies than the file declares users; otherwise it is
//! read per user (`SHOW PARAMETERS ... IN USER`, `SHOW AUTHENTICATION POLICIES ON USER`), since
//! only the per-user form sees a policy the file does not name when policies outnumber users.
//!
//! Reads run in two rounds, each fanned out with bounded concurrency: the account-wide reads,
//! then the per-object and per-user reads that the first round showed exist.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use super::client::Client;
use super::desc::{self, DescValue};
use super::error::ClientError;
use super::result::{ResultSet, Row, parse_timestamp};
use crate::model::desired::Config;
use crate::model::live::{
    AccountPolicies, Attachment, LIVE_FORMAT_VERSION, LiveAuthenticationPolicy, LiveMfaPolicy,
    LiveNetworkPolicy, LiveNetworkRule, LivePatPolicy, LiveState, LiveToken, LiveUser,
    LiveWorkloadIdentityPolicy, MFA_ENROLLMENT_DEFAULT, Session, SessionAuthentication,
    TokenStatus,
};
use crate::model::{Identifier, ObjectName};
use crate::sql::reads;

/// Reports progress: `(statements done, statements known so far)`.
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// Options of a read.
#[derive(Clone)]
pub struct ReadOptions {
    /// Statements in flight at once.
    pub concurrency: usize,
    /// How the session authenticated (the SQL API does not say).
    pub authentication: SessionAuthentication,
    pub progress: Option<Progress>,
}

/// What the read cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadReport {
    pub statements: usize,
}

/// A read failed; names the statement.
#[derive(Debug, thiserror::Error)]
#[error("reading live state failed at `{statement}`")]
pub struct ReadError {
    pub statement: String,
    #[source]
    pub source: Box<ClientError>,
}

/// What the file names, which is all the reader reads.
#[derive(Debug, Default)]
struct Scope {
    users: BTreeSet<Identifier>,
    network_policies: BTreeSet<Identifier>,
    network_rules: BTreeSet<ObjectName>,
    authentication_policies: BTreeSet<ObjectName>,
    roles: BTreeSet<Identifier>,
}

fn scope(desired: &Config) -> Scope {
    let mut s = Scope::default();
    s.network_rules
        .extend(desired.network_rules.keys().cloned());
    for (name, p) in &desired.network_policies {
        s.network_policies.insert(name.clone());
        s.network_rules
            .extend(p.allowed_network_rule_list.iter().cloned());
        s.network_rules
            .extend(p.blocked_network_rule_list.iter().cloned());
    }
    s.authentication_policies
        .extend(desired.authentication_policies.keys().cloned());
    if let Some(a) = &desired.account {
        s.network_policies.extend(a.network_policy.clone());
        s.authentication_policies.extend(
            [
                &a.authentication_policy,
                &a.authentication_policy_for_service_users,
                &a.authentication_policy_for_person_users,
            ]
            .into_iter()
            .flatten()
            .cloned(),
        );
    }
    for (name, u) in &desired.users {
        s.users.insert(name.clone());
        s.network_policies.extend(u.network_policy.clone());
        s.authentication_policies
            .extend(u.authentication_policy.clone());
        s.roles.extend(u.roles.iter().cloned());
        s.roles
            .extend(u.tokens.values().filter_map(|t| t.role_restriction.clone()));
    }
    s.roles.retain(|r| r.as_str() != "PUBLIC");
    s
}

/// Runs statements with at most `concurrency` in flight; results come back in input order.
struct Pool {
    client: Client,
    permits: Arc<Semaphore>,
    done: Arc<AtomicUsize>,
    known: Arc<AtomicUsize>,
    progress: Option<Progress>,
}

impl Pool {
    async fn run(&self, statements: Vec<String>) -> Vec<(String, Result<ResultSet, ClientError>)> {
        self.known.fetch_add(statements.len(), Ordering::Relaxed);
        let mut set = tokio::task::JoinSet::new();
        for (i, sql) in statements.into_iter().enumerate() {
            let client = self.client.clone();
            let permits = Arc::clone(&self.permits);
            let done = Arc::clone(&self.done);
            let known = Arc::clone(&self.known);
            let progress = self.progress.clone();
            set.spawn(async move {
                let result = match permits.acquire_owned().await {
                    Ok(_permit) => client.execute(&sql).await,
                    Err(_) => Err(ClientError::Cancelled),
                };
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(p) = &progress {
                    p(n, known.load(Ordering::Relaxed));
                }
                (i, sql, result)
            });
        }
        let mut out: Vec<Option<(String, Result<ResultSet, ClientError>)>> = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok((i, sql, result)) = joined {
                if out.len() <= i {
                    out.resize_with(i + 1, || None);
                }
                out[i] = Some((sql, result));
            }
        }
        out.into_iter().flatten().collect()
    }

    fn statements(&self) -> usize {
        self.known.load(Ordering::Relaxed)
    }
}

/// Fails on an error, except "does not exist", which becomes `None`.
fn existing(
    item: (String, Result<ResultSet, ClientError>),
) -> Result<Option<ResultSet>, ReadError> {
    match item.1 {
        Ok(r) => Ok(Some(r)),
        Err(e) if e.is_does_not_exist() => Ok(None),
        Err(source) => Err(ReadError {
            statement: item.0,
            source: Box::new(source),
        }),
    }
}

fn required(item: (String, Result<ResultSet, ClientError>)) -> Result<ResultSet, ReadError> {
    item.1.map_err(|source| ReadError {
        statement: item.0,
        source: Box::new(source),
    })
}

fn ident(row: &Row<'_>, column: &str) -> Option<Identifier> {
    row.text(column)
        .and_then(|s| Identifier::from_stored(s).ok())
}

fn object_name(row: &Row<'_>) -> Option<ObjectName> {
    Some(ObjectName {
        database: ident(row, "database_name")?,
        schema: ident(row, "schema_name")?,
        name: ident(row, "name")?,
    })
}

/// Parses a stored dotted name as Snowflake prints it (`DB.SCHEMA.NAME`, quoted parts quoted).
fn stored_object_name(text: &str) -> Option<ObjectName> {
    ObjectName::parse(text).ok()
}

/// Reads the live state for what `desired` declares and references.
pub async fn read(
    client: &Client,
    desired: &Config,
    options: &ReadOptions,
) -> Result<(LiveState, ReadReport), ReadError> {
    let scope = scope(desired);
    let pool = Pool {
        client: client.clone(),
        permits: Arc::new(Semaphore::new(options.concurrency.max(1))),
        done: Arc::new(AtomicUsize::new(0)),
        known: Arc::new(AtomicUsize::new(0)),
        progress: options.progress.clone(),
    };
    let roles: Vec<Identifier> = scope.roles.iter().cloned().collect();
    let mut first = vec![
        reads::current_session(),
        reads::show_users(),
        reads::show_network_policies(),
        reads::show_network_rules(),
        reads::show_authentication_policies(),
        reads::show_account_network_policy(),
        reads::show_authentication_policies_on_account(),
    ];
    first.extend(roles.iter().map(reads::show_grants_of_role));
    let mut round = pool.run(first).await.into_iter();
    let mut next = || {
        round.next().ok_or_else(|| ReadError {
            statement: "(first round)".into(),
            source: Box::new(ClientError::Cancelled),
        })
    };
    let session_rows = required(next()?)?;
    let users_rows = required(next()?)?;
    let np_rows = required(next()?)?;
    let rule_rows = required(next()?)?;
    let ap_rows = required(next()?)?;
    let account_np_rows = required(next()?)?;
    let account_ap_rows = required(next()?)?;
    let mut grants: BTreeMap<Identifier, Option<ResultSet>> = BTreeMap::new();
    for role in &roles {
        grants.insert(role.clone(), existing(next()?)?);
    }

    let mut live = LiveState::empty();
    live.session = session(&session_rows, options.authentication);
    live.account = session_rows
        .rows()
        .next()
        .and_then(|r| r.get(&["CURRENT_ACCOUNT()"]).or(r.at(2)).map(str::to_owned));
    live.read_at = session_rows
        .rows()
        .next()
        .and_then(|r| r.get(&["CURRENT_TIMESTAMP()"]).or(r.at(3)))
        .and_then(parse_timestamp);

    // Users that exist, with their properties.
    for row in users_rows.rows() {
        let Some(name) = ident(&row, "name") else {
            continue;
        };
        if !scope.users.contains(&name) {
            continue;
        }
        live.users.insert(
            name,
            LiveUser {
                user_type: row.text("type").map(str::to_ascii_uppercase),
                default_role: ident(&row, "default_role"),
                disabled: row.bool("disabled").unwrap_or(false),
                comment: row.text("comment").map(str::to_owned),
                ..LiveUser::default()
            },
        );
    }

    // Roles: which exist, and which declared users hold them directly.
    let mut existing_roles = BTreeSet::new();
    for (role, rows) in &grants {
        let Some(rows) = rows else { continue };
        existing_roles.insert(role.clone());
        for row in rows.rows() {
            let to_user = row
                .text("granted_to")
                .is_some_and(|g| g.eq_ignore_ascii_case("USER"));
            if let (true, Some(user)) = (to_user, ident(&row, "grantee_name")) {
                if let Some(u) = live.users.get_mut(&user) {
                    u.roles.insert(role.clone());
                }
            }
        }
    }
    live.roles = Some(existing_roles);

    let account_nps: BTreeMap<Identifier, Option<String>> = np_rows
        .rows()
        .filter_map(|r| Some((ident(&r, "name")?, r.text("comment").map(str::to_owned))))
        .collect();
    let account_rules: BTreeMap<ObjectName, (String, String, Option<String>)> = rule_rows
        .rows()
        .filter_map(|r| {
            Some((
                object_name(&r)?,
                (
                    r.text("type")?.to_ascii_uppercase(),
                    r.text("mode").unwrap_or("INGRESS").to_ascii_uppercase(),
                    r.text("comment").map(str::to_owned),
                ),
            ))
        })
        .collect();
    let account_aps: BTreeMap<ObjectName, Option<String>> = ap_rows
        .rows()
        .filter_map(|r| Some((object_name(&r)?, r.text("comment").map(str::to_owned))))
        .collect();
    live.account_policies = account_policies(&account_np_rows, &account_ap_rows);

    // Second round: tokens per user, descriptions per object, attachments.
    let users: Vec<Identifier> = live.users.keys().cloned().collect();
    let nps: Vec<Identifier> = scope
        .network_policies
        .iter()
        .filter(|n| account_nps.contains_key(*n))
        .cloned()
        .collect();
    let rules: Vec<ObjectName> = scope
        .network_rules
        .iter()
        .filter(|n| account_rules.contains_key(*n))
        .cloned()
        .collect();
    let aps: Vec<ObjectName> = scope
        .authentication_policies
        .iter()
        .filter(|n| account_aps.contains_key(*n))
        .cloned()
        .collect();
    let np_refs_all = account_nps.len() <= users.len();
    let ap_refs_all = account_aps.len() <= users.len();
    let np_refs: Vec<Identifier> = if np_refs_all {
        account_nps.keys().cloned().collect()
    } else {
        nps.clone()
    };
    let ap_refs: Vec<ObjectName> = if ap_refs_all {
        account_aps.keys().cloned().collect()
    } else {
        aps.clone()
    };

    let mut second = Vec::new();
    second.extend(users.iter().map(reads::show_tokens));
    second.extend(nps.iter().map(reads::describe_network_policy));
    second.extend(rules.iter().map(reads::describe_network_rule));
    second.extend(aps.iter().map(reads::describe_authentication_policy));
    second.extend(np_refs.iter().map(reads::network_policy_references));
    second.extend(ap_refs.iter().map(reads::authentication_policy_references));
    if !np_refs_all {
        second.extend(users.iter().map(reads::show_user_network_policy));
    }
    if !ap_refs_all {
        second.extend(
            users
                .iter()
                .map(reads::show_authentication_policies_on_user),
        );
    }
    let mut round = pool.run(second).await.into_iter();
    let mut next = || {
        round.next().ok_or_else(|| ReadError {
            statement: "(second round)".into(),
            source: Box::new(ClientError::Cancelled),
        })
    };

    for user in &users {
        let rows = existing(next()?)?;
        if let (Some(rows), Some(u)) = (rows, live.users.get_mut(user)) {
            u.tokens = rows.rows().filter_map(|r| token(&r)).collect();
        }
    }
    for name in &nps {
        if let Some(rows) = existing(next()?)? {
            let comment = account_nps.get(name).cloned().flatten();
            live.network_policies
                .insert(name.clone(), network_policy(&rows, comment));
        }
    }
    for name in &rules {
        if let Some(rows) = existing(next()?)? {
            if let Some(rule) = network_rule(&rows, account_rules.get(name)) {
                live.network_rules.insert(name.clone(), rule);
            }
        }
    }
    for name in &aps {
        if let Some(rows) = existing(next()?)? {
            let mut p = authentication_policy(&rows);
            if p.comment.is_none() {
                p.comment = account_aps.get(name).cloned().flatten();
            }
            live.authentication_policies.insert(name.clone(), p);
        }
    }
    for name in &np_refs {
        let attachments = existing(next()?)?
            .map(|r| attachments(&r, "NETWORK_POLICY"))
            .unwrap_or_default();
        for a in attachments.iter().filter(|a| a.domain == "USER") {
            if let Some(u) = Identifier::from_stored(a.name.clone())
                .ok()
                .and_then(|n| live.users.get_mut(&n))
            {
                u.network_policy = Some(name.clone());
            }
        }
        if let Some(p) = live.network_policies.get_mut(name) {
            p.attachments = Some(attachments);
        }
    }
    for name in &ap_refs {
        let attachments = existing(next()?)?
            .map(|r| attachments(&r, "AUTHENTICATION_POLICY"))
            .unwrap_or_default();
        for a in attachments.iter().filter(|a| a.domain == "USER") {
            if let Some(u) = Identifier::from_stored(a.name.clone())
                .ok()
                .and_then(|n| live.users.get_mut(&n))
            {
                u.authentication_policy = Some(name.clone());
            }
        }
        if let Some(p) = live.authentication_policies.get_mut(name) {
            p.attachments = Some(attachments);
        }
    }
    if !np_refs_all {
        for user in &users {
            let rows = existing(next()?)?;
            let value = rows.as_ref().and_then(|r| {
                r.rows()
                    .find(|row| {
                        row.text("level")
                            .is_some_and(|l| l.eq_ignore_ascii_case("USER"))
                    })
                    .and_then(|row| ident(&row, "value"))
            });
            if let Some(u) = live.users.get_mut(user) {
                u.network_policy = value;
            }
        }
    }
    if !ap_refs_all {
        for user in &users {
            let rows = existing(next()?)?;
            let own = rows.as_ref().and_then(|r| {
                r.rows()
                    .find(|row| {
                        row.text("set_on")
                            .is_some_and(|s| s.eq_ignore_ascii_case("USER"))
                    })
                    .and_then(|row| object_name(&row))
            });
            if let Some(u) = live.users.get_mut(user) {
                u.authentication_policy = own;
            }
        }
    }
    live.format_version = LIVE_FORMAT_VERSION;
    Ok((
        live,
        ReadReport {
            statements: pool.statements(),
        },
    ))
}

fn session(rows: &ResultSet, authentication: SessionAuthentication) -> Option<Session> {
    let row = rows.rows().next()?;
    let user = row.get(&["CURRENT_USER()"]).or(row.at(0))?;
    Some(Session {
        user: Identifier::from_stored(user).ok()?,
        role: row
            .get(&["CURRENT_ROLE()"])
            .or(row.at(1))
            .and_then(|r| Identifier::from_stored(r).ok()),
        authentication,
        ip_address: None,
    })
}

fn account_policies(np: &ResultSet, ap: &ResultSet) -> AccountPolicies {
    let mut out = AccountPolicies {
        network_policy: np
            .rows()
            .find(|r| {
                r.text("key")
                    .is_some_and(|k| k.eq_ignore_ascii_case("NETWORK_POLICY"))
            })
            .filter(|r| {
                r.text("level")
                    .is_some_and(|l| l.eq_ignore_ascii_case("ACCOUNT"))
            })
            .and_then(|r| ident(&r, "value")),
        ..AccountPolicies::default()
    };
    for row in ap.rows() {
        let set_on = row.text("set_on").unwrap_or("ACCOUNT");
        if !set_on.eq_ignore_ascii_case("ACCOUNT") {
            continue;
        }
        let Some(name) = object_name(&row) else {
            continue;
        };
        let scopes: Vec<String> = row
            .text("options")
            .and_then(|o| serde_json::from_str::<serde_json::Value>(o).ok())
            .and_then(|v| {
                v.get("target_scopes")?.as_array().map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_ascii_uppercase))
                        .collect()
                })
            })
            .unwrap_or_default();
        if scopes.iter().any(|s| s == "SERVICE_USERS") {
            out.authentication_policy_for_service_users = Some(name.clone());
        }
        if scopes.iter().any(|s| s == "PERSON_USERS") {
            out.authentication_policy_for_person_users = Some(name.clone());
        }
        if scopes.is_empty() || scopes.iter().any(|s| s == "ACCOUNT") {
            out.authentication_policy = Some(name);
        }
    }
    out
}

fn token(row: &Row<'_>) -> Option<LiveToken> {
    Some(LiveToken {
        name: ident(row, "name")?,
        user_name: row.text("user_name").unwrap_or_default().to_owned(),
        role_restriction: ident(row, "role_restriction"),
        expires_at: parse_timestamp(row.text("expires_at")?)?,
        status: TokenStatus::from(row.text("status").unwrap_or("ACTIVE").to_owned()),
        comment: row.text("comment").map(str::to_owned),
        created_on: parse_timestamp(row.text("created_on")?)?,
        created_by: row.text("created_by").map(str::to_owned),
        mins_to_bypass_network_policy_requirement: row
            .get(&[
                "mins_to_bypass_network_policy_requirement",
                "mins_to_bypass_required_network_policy",
            ])
            .and_then(|v| v.split('.').next()?.parse().ok()),
        rotated_to: ident(row, "rotated_to"),
    })
}

fn network_policy(rows: &ResultSet, comment: Option<String>) -> LiveNetworkPolicy {
    let mut p = LiveNetworkPolicy {
        comment,
        ..LiveNetworkPolicy::default()
    };
    for row in rows.rows() {
        let (Some(name), value) = (row.text("name"), row.text("value").unwrap_or_default()) else {
            continue;
        };
        let rules = || -> Vec<ObjectName> {
            serde_json::from_str::<Vec<serde_json::Value>>(value)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| {
                            i.get("fullyQualifiedRuleName")?
                                .as_str()
                                .and_then(stored_object_name)
                        })
                        .collect()
                })
                .unwrap_or_else(|_| {
                    desc::comma_list(value)
                        .iter()
                        .filter_map(|s| stored_object_name(s))
                        .collect()
                })
        };
        match name.to_ascii_uppercase().as_str() {
            "ALLOWED_NETWORK_RULE_LIST" => p.allowed_network_rule_list = rules(),
            "BLOCKED_NETWORK_RULE_LIST" => p.blocked_network_rule_list = rules(),
            "ALLOWED_IP_LIST" => p.allowed_ip_list = desc::comma_list(value),
            "BLOCKED_IP_LIST" => p.blocked_ip_list = desc::comma_list(value),
            _ => {}
        }
    }
    p
}

fn network_rule(
    rows: &ResultSet,
    shown: Option<&(String, String, Option<String>)>,
) -> Option<LiveNetworkRule> {
    let row = rows.rows().next()?;
    Some(LiveNetworkRule {
        rule_type: row
            .text("type")
            .map(str::to_ascii_uppercase)
            .or_else(|| shown.map(|s| s.0.clone()))?,
        mode: row
            .text("mode")
            .map(str::to_ascii_uppercase)
            .or_else(|| shown.map(|s| s.1.clone()))
            .unwrap_or_else(|| "INGRESS".into()),
        value_list: desc::comma_list(row.text("value_list").unwrap_or_default()),
        comment: row
            .text("comment")
            .map(str::to_owned)
            .or_else(|| shown.and_then(|s| s.2.clone())),
    })
}

fn authentication_policy(rows: &ResultSet) -> LiveAuthenticationPolicy {
    let mut p = LiveAuthenticationPolicy::default();
    for row in rows.rows() {
        let Some(property) = row.text("property") else {
            continue;
        };
        let raw = row.text("value");
        let value = raw.map(desc::parse);
        let texts = || value.as_ref().map(DescValue::texts).unwrap_or_default();
        match property.to_ascii_uppercase().as_str() {
            "AUTHENTICATION_METHODS" => p.authentication_methods = texts(),
            "CLIENT_TYPES" => p.client_types = texts(),
            "SECURITY_INTEGRATIONS" => p.security_integrations = texts(),
            "MFA_ENROLLMENT" => p.mfa_enrollment = raw.unwrap_or(MFA_ENROLLMENT_DEFAULT).to_owned(),
            "COMMENT" => p.comment = raw.map(str::to_owned),
            "CLIENT_POLICY" => {
                if let Some(DescValue::Map(m)) = &value {
                    p.client_policy = m
                        .iter()
                        .filter_map(|(k, v)| {
                            Some((k.clone(), v.get("MINIMUM_VERSION")?.as_text()?.to_owned()))
                        })
                        .collect();
                }
            }
            "MFA_POLICY" => {
                if let Some(v) = &value {
                    let d = LiveMfaPolicy::default();
                    p.mfa_policy = LiveMfaPolicy {
                        allowed_methods: v
                            .get("ALLOWED_METHODS")
                            .map_or(d.allowed_methods, DescValue::texts),
                        enforce_mfa_on_external_authentication: v
                            .get("ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION")
                            .and_then(DescValue::as_text)
                            .map_or(d.enforce_mfa_on_external_authentication, str::to_owned),
                    };
                }
            }
            "PAT_POLICY" => {
                if let Some(v) = &value {
                    let d = LivePatPolicy::default();
                    let num = |k: &str, default: u32| {
                        v.get(k)
                            .and_then(DescValue::as_text)
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(default)
                    };
                    let flag = |k: &str, default: bool| {
                        v.get(k)
                            .and_then(DescValue::as_text)
                            .map_or(default, |s| s.eq_ignore_ascii_case("true"))
                    };
                    p.pat_policy = LivePatPolicy {
                        default_expiry_in_days: num(
                            "DEFAULT_EXPIRY_IN_DAYS",
                            d.default_expiry_in_days,
                        ),
                        max_expiry_in_days: num("MAX_EXPIRY_IN_DAYS", d.max_expiry_in_days),
                        network_policy_evaluation: v
                            .get("NETWORK_POLICY_EVALUATION")
                            .and_then(DescValue::as_text)
                            .map_or(d.network_policy_evaluation, str::to_ascii_uppercase),
                        require_role_restriction_for_service_users: flag(
                            "REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS",
                            d.require_role_restriction_for_service_users,
                        ),
                        require_role_restriction_for_person_users: flag(
                            "REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS",
                            d.require_role_restriction_for_person_users,
                        ),
                        blocked_roles_list: v
                            .get("BLOCKED_ROLES_LIST")
                            .map(DescValue::texts)
                            .unwrap_or_default()
                            .into_iter()
                            .filter_map(|r| Identifier::from_stored(r).ok())
                            .collect(),
                    };
                }
            }
            "WORKLOAD_IDENTITY_POLICY" => {
                if let Some(v) = &value {
                    let d = LiveWorkloadIdentityPolicy::default();
                    p.workload_identity_policy = LiveWorkloadIdentityPolicy {
                        allowed_providers: v
                            .get("ALLOWED_PROVIDERS")
                            .map_or(d.allowed_providers, DescValue::texts),
                        allowed_aws_accounts: v
                            .get("ALLOWED_AWS_ACCOUNTS")
                            .map_or(d.allowed_aws_accounts, DescValue::texts),
                        allowed_azure_issuers: v
                            .get("ALLOWED_AZURE_ISSUERS")
                            .map_or(d.allowed_azure_issuers, DescValue::texts),
                        allowed_oidc_issuers: v
                            .get("ALLOWED_OIDC_ISSUERS")
                            .map_or(d.allowed_oidc_issuers, DescValue::texts),
                    };
                }
            }
            _ => {}
        }
    }
    p
}

fn attachments(rows: &ResultSet, kind: &str) -> Vec<Attachment> {
    let mut out: Vec<Attachment> = rows
        .rows()
        .filter(|r| {
            r.text("policy_kind")
                .is_none_or(|k| k.eq_ignore_ascii_case(kind))
        })
        .filter_map(|r| {
            Some(Attachment {
                domain: r.text("ref_entity_domain")?.to_ascii_uppercase(),
                name: r.text("ref_entity_name")?.to_owned(),
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

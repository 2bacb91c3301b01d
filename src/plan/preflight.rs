//! Preflight: what Snowflake would refuse, found from desired + live state before anything runs
//! (DESIGN §4). Findings are diagnostics inside the plan; an error fails `plan` and `apply`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::address::Address;
use super::change::{Action, Change, PlanDiagnostic, Severity};
use super::diff::effective_authentication_policy;
use crate::model::desired::{Config, MAX_TOKENS_PER_USER, UserSpec, UserType};
use crate::model::live::{LiveAuthenticationPolicy, LiveState, LiveUser, SessionAuthentication};
use crate::model::{Identifier, ObjectName};

/// Runs every check.
pub fn check(
    desired: &Config,
    live: &LiveState,
    now: DateTime<Utc>,
    changes: &[Change],
) -> Vec<PlanDiagnostic> {
    let mut out = Vec::new();
    let pf = Preflight {
        desired,
        live,
        changes,
        index: ChangeIndex::new(changes),
        effective_policies: desired
            .authentication_policies
            .iter()
            .filter(|(_, p)| !p.absent)
            .map(|(n, p)| (n, effective_authentication_policy(p)))
            .collect(),
        default_policy: LiveAuthenticationPolicy::default(),
    };
    pf.references(&mut out);
    pf.drops(&mut out);
    for (name, user) in &desired.users {
        pf.user(name, user, now, &mut out);
    }
    pf.session(&mut out);
    out.sort_by(|a, b| (a.severity, &a.address, a.check).cmp(&(b.severity, &b.address, b.check)));
    out
}

struct Preflight<'a> {
    desired: &'a Config,
    live: &'a LiveState,
    changes: &'a [Change],
    index: ChangeIndex<'a>,
    /// The values of each authentication policy the file declares, worked out once.
    effective_policies: BTreeMap<&'a ObjectName, LiveAuthenticationPolicy>,
    /// Snowflake's defaults, for users no policy applies to.
    default_policy: LiveAuthenticationPolicy,
}

/// The changes indexed once, so that per-user checks do not scan the whole plan (a plan for
/// 10,000 users has tens of thousands of changes).
struct ChangeIndex<'a> {
    /// The action planned for each address (addresses are unique within a plan).
    actions: HashMap<&'a Address, Action>,
    /// The same for tokens, by (user, token), so that lookups need not build an address.
    token_actions: HashMap<(&'a str, &'a str), Action>,
    /// Per user: tokens the plan removes.
    removed_tokens: BTreeMap<&'a Identifier, BTreeSet<&'a Identifier>>,
    /// Per user: rotations that leave a leftover in its grace period.
    leftover_rotations: BTreeMap<&'a Identifier, usize>,
}

impl<'a> ChangeIndex<'a> {
    fn new(changes: &'a [Change]) -> Self {
        let mut index = ChangeIndex {
            actions: HashMap::with_capacity(changes.len()),
            token_actions: HashMap::new(),
            removed_tokens: BTreeMap::new(),
            leftover_rotations: BTreeMap::new(),
        };
        for c in changes {
            index.actions.insert(&c.address, c.action);
            let Address::Token(user, token) = &c.address else {
                continue;
            };
            index
                .token_actions
                .insert((user.as_str(), token.as_str()), c.action);
            match c.action {
                Action::Delete => {
                    index.removed_tokens.entry(user).or_default().insert(token);
                }
                Action::Rotate
                    if !c
                        .statements
                        .iter()
                        .any(|s| s.sql.ends_with("EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0")) =>
                {
                    *index.leftover_rotations.entry(user).or_default() += 1;
                }
                _ => {}
            }
        }
        index
    }

    fn action(&self, address: &Address) -> Option<Action> {
        self.actions.get(address).copied()
    }

    fn token_action(&self, user: &Identifier, token: &Identifier) -> Option<Action> {
        self.token_actions
            .get(&(user.as_str(), token.as_str()))
            .copied()
    }
}

fn error(check: &'static str, address: Address, summary: String, detail: String) -> PlanDiagnostic {
    PlanDiagnostic {
        severity: Severity::Error,
        check,
        address,
        summary,
        detail,
    }
}

impl<'a> Preflight<'a> {
    /// The user's type after the plan: the file's, else the account's.
    fn user_type<'u>(&self, spec: &UserSpec, live: Option<&'u LiveUser>) -> &'u str {
        match spec.user_type {
            Some(UserType::Person) => "PERSON",
            Some(UserType::Service) => "SERVICE",
            Some(UserType::LegacyService) => "LEGACY_SERVICE",
            None => live
                .and_then(|l| l.user_type.as_deref())
                .unwrap_or("PERSON"),
        }
    }

    /// The authentication policy in force for the user after the plan, with its values.
    fn applicable_policy(
        &self,
        name: &Identifier,
        spec: &'a UserSpec,
        live: Option<&'a LiveUser>,
        service: bool,
    ) -> (Option<&'a ObjectName>, &LiveAuthenticationPolicy) {
        let account = self.desired.account.as_ref();
        let live_account = &self.live.account_policies;
        // A user-level policy the plan detaches no longer applies.
        let detached = || {
            self.index
                .action(&Address::UserAuthenticationPolicy(name.clone()))
                == Some(Action::Detach)
        };
        let name = spec
            .authentication_policy
            .as_ref()
            .or_else(|| {
                live.and_then(|l| l.authentication_policy.as_ref())
                    .filter(|_| !detached())
            })
            .or_else(|| {
                let (for_service, for_person, all) = match account {
                    Some(a) => (
                        &a.authentication_policy_for_service_users,
                        &a.authentication_policy_for_person_users,
                        &a.authentication_policy,
                    ),
                    None => (
                        &live_account.authentication_policy_for_service_users,
                        &live_account.authentication_policy_for_person_users,
                        &live_account.authentication_policy,
                    ),
                };
                let by_type = if service { for_service } else { for_person };
                by_type.as_ref().or(all.as_ref())
            });
        let values = name
            .and_then(|n| {
                self.effective_policies
                    .get(n)
                    .or_else(|| self.live.authentication_policies.get(n))
            })
            .unwrap_or(&self.default_policy);
        (name, values)
    }

    /// The network policy that applies to the user after the plan (user level, else account).
    fn network_policy_after(
        &self,
        name: &Identifier,
        spec: &UserSpec,
        live: Option<&LiveUser>,
    ) -> Option<Identifier> {
        let detached =
            self.index.action(&Address::UserNetworkPolicy(name.clone())) == Some(Action::Detach);
        let user_level = spec.network_policy.clone().or_else(|| {
            live.and_then(|l| l.network_policy.clone())
                .filter(|_| !detached)
        });
        user_level.or_else(|| match &self.desired.account {
            Some(a) => a.network_policy.clone(),
            None => self.live.account_policies.network_policy.clone(),
        })
    }

    fn user(
        &self,
        name: &Identifier,
        spec: &'a UserSpec,
        now: DateTime<Utc>,
        out: &mut Vec<PlanDiagnostic>,
    ) {
        let live = self.live.users.get(name);
        let user_type = self.user_type(spec, live);
        let service = matches!(user_type, "SERVICE" | "LEGACY_SERVICE");
        let (policy_name, policy) = self.applicable_policy(name, spec, live, service);
        let policy_label = PolicyLabel(policy_name);
        let pat = &policy.pat_policy;
        let user_address = || Address::User(name.clone());

        if !spec.tokens.is_empty() {
            let methods = &policy.authentication_methods;
            if !methods
                .iter()
                .any(|m| m == "ALL" || m == "PROGRAMMATIC_ACCESS_TOKEN")
            {
                out.push(error(
                    "pat-not-allowed",
                    user_address(),
                    format!("user {name} declares tokens, but {policy_label} does not allow PROGRAMMATIC_ACCESS_TOKEN"),
                    "add PROGRAMMATIC_ACCESS_TOKEN to the policy's `authentication_methods`".into(),
                ));
            }
            if service
                && pat.network_policy_evaluation == "ENFORCED_REQUIRED"
                && self.network_policy_after(name, spec, live).is_none()
            {
                out.push(error(
                    "network-policy-required",
                    user_address(),
                    format!("{user_type} user {name} will have no network policy, and {policy_label} requires one for tokens (ENFORCED_REQUIRED)"),
                    format!("set `network_policy:` on users.{name} (or `account.network_policy`); Snowflake would refuse with \"Network policy is required.\""),
                ));
            }
        }

        for role in &spec.roles {
            let address = Address::UserRole(name.clone(), role.clone());
            if self.index.action(&address) == Some(Action::Grant) && !self.role_exists(role, live) {
                out.push(role_missing(address, role));
            }
        }

        let granted: BTreeSet<&Identifier> = spec
            .roles
            .iter()
            .chain(live.into_iter().flat_map(|l| l.roles.iter()))
            .collect();
        let live_tokens = live.map_or(&[][..], |l| l.tokens.as_slice());
        for (token_name, token) in &spec.tokens {
            let address = || Address::Token(name.clone(), token_name.clone());
            let mints = matches!(
                self.index.token_action(name, token_name),
                Some(Action::Create | Action::Replace)
            );
            match &token.role_restriction {
                None => {
                    let required = if service {
                        pat.require_role_restriction_for_service_users
                    } else {
                        pat.require_role_restriction_for_person_users
                    };
                    if required && mints {
                        out.push(error(
                            "role-restriction-required",
                            address(),
                            format!("token {token_name} of {user_type} user {name} has no role_restriction, which {policy_label} requires"),
                            format!("add `role_restriction:` to users.{name}.tokens.{token_name}"),
                        ));
                    }
                }
                Some(role) => {
                    if role.as_str() != "PUBLIC" && !granted.contains(role) {
                        out.push(error(
                            "role-not-granted",
                            address(),
                            format!("token {token_name} is restricted to role {role}, which user {name} does not hold and the file does not grant"),
                            format!("add {role} to users.{name}.roles"),
                        ));
                    }
                    if pat.blocked_roles_list.contains(role) {
                        out.push(error(
                            "role-blocked",
                            address(),
                            format!("role {role} is in the blocked_roles_list of {policy_label}"),
                            "restrict the token to a role made for its consumer".into(),
                        ));
                    }
                    // A role the file grants is reported at its grant, below.
                    if !spec.roles.contains(role) && !self.role_exists(role, live) {
                        out.push(role_missing(address(), role));
                    }
                }
            }
            let days = self.desired.effective_days_to_expiry(spec, token);
            if mints && days > pat.max_expiry_in_days {
                out.push(error(
                    "expiry-above-maximum",
                    address(),
                    format!("token {token_name} would live {days} days, above the {}-day max_expiry_in_days of {policy_label}", pat.max_expiry_in_days),
                    format!("set `days_to_expiry: {}` or less", pat.max_expiry_in_days),
                ));
            }
        }

        // Slots after the plan: declared tokens, live leftovers still in their grace period,
        // new leftovers from rotations, and undeclared tokens that are kept.
        let no_removals = BTreeSet::new();
        let removed = self.index.removed_tokens.get(name).unwrap_or(&no_removals);
        let kept_live = live_tokens
            .iter()
            .filter(|t| {
                !t.is_expired(now)
                    && !removed.contains(&t.name)
                    && !spec.tokens.contains_key(&t.name)
            })
            .count();
        let new_leftovers = self
            .index
            .leftover_rotations
            .get(name)
            .copied()
            .unwrap_or(0);
        let total = spec.tokens.len() + kept_live + new_leftovers;
        if total > MAX_TOKENS_PER_USER {
            out.push(error(
                "token-limit",
                user_address(),
                format!("user {name} would hold {total} tokens counting rotation leftovers and kept tokens; Snowflake allows {MAX_TOKENS_PER_USER}"),
                "declare fewer tokens, remove undeclared ones (`unmanaged_tokens: remove`), or rotate with `expire_rotated_token_after_hours: 0`".into(),
            ));
        }
    }

    /// Whether a role exists, as far as the live state tells: the reader lists the roles the file
    /// references, and a role someone holds exists.
    fn role_exists(&self, role: &Identifier, live: Option<&LiveUser>) -> bool {
        role.as_str() == "PUBLIC"
            || live.is_some_and(|l| l.roles.contains(role))
            || self.live.roles.as_ref().is_none_or(|r| r.contains(role))
    }

    /// Referenced objects that the file does not declare must exist in the account.
    fn references(&self, out: &mut Vec<PlanDiagnostic>) {
        let np_exists = |n: &Identifier| {
            self.desired
                .network_policies
                .get(n)
                .is_some_and(|p| !p.absent)
                || self.live.network_policies.contains_key(n)
        };
        let ap_exists = |n: &ObjectName| {
            self.desired
                .authentication_policies
                .get(n)
                .is_some_and(|p| !p.absent)
                || self.live.authentication_policies.contains_key(n)
        };
        let rule_exists = |n: &ObjectName| {
            self.desired.network_rules.get(n).is_some_and(|r| !r.absent)
                || self.live.network_rules.contains_key(n)
        };
        for (name, user) in &self.desired.users {
            if let Some(np) = &user.network_policy {
                if !np_exists(np) {
                    out.push(missing(
                        Address::UserNetworkPolicy(name.clone()),
                        "network policy",
                        &np.to_string(),
                    ));
                }
            }
            if let Some(ap) = &user.authentication_policy {
                if !ap_exists(ap) {
                    out.push(missing(
                        Address::UserAuthenticationPolicy(name.clone()),
                        "authentication policy",
                        &ap.to_string(),
                    ));
                }
            }
        }
        for (name, policy) in self
            .desired
            .network_policies
            .iter()
            .filter(|(_, p)| !p.absent)
        {
            for rule in policy
                .allowed_network_rule_list
                .iter()
                .chain(&policy.blocked_network_rule_list)
            {
                if !rule_exists(rule) {
                    out.push(missing(
                        Address::NetworkPolicy(name.clone()),
                        "network rule",
                        &rule.to_string(),
                    ));
                }
            }
        }
        if let Some(account) = &self.desired.account {
            if let Some(np) = account.network_policy.as_ref().filter(|n| !np_exists(n)) {
                out.push(missing(
                    Address::AccountNetworkPolicy,
                    "network policy",
                    &np.to_string(),
                ));
            }
            for (scope, ap) in [
                (
                    crate::sql::statements::AccountScope::All,
                    &account.authentication_policy,
                ),
                (
                    crate::sql::statements::AccountScope::ServiceUsers,
                    &account.authentication_policy_for_service_users,
                ),
                (
                    crate::sql::statements::AccountScope::PersonUsers,
                    &account.authentication_policy_for_person_users,
                ),
            ] {
                if let Some(ap) = ap.as_ref().filter(|n| !ap_exists(n)) {
                    out.push(missing(
                        Address::AccountAuthenticationPolicy(scope),
                        "authentication policy",
                        &ap.to_string(),
                    ));
                }
            }
        }
    }

    /// Drops that Snowflake would refuse: a policy still attached elsewhere, a rule still used.
    fn drops(&self, out: &mut Vec<PlanDiagnostic>) {
        // Users whose attachment of that kind the plan changes (detach, or attach another).
        let changed = |network: bool| -> BTreeSet<&str> {
            self.changes
                .iter()
                .filter_map(|c| match (&c.address, network) {
                    (Address::UserNetworkPolicy(u), true)
                    | (Address::UserAuthenticationPolicy(u), false) => Some(u.as_str()),
                    _ => None,
                })
                .collect()
        };
        let (np_changed, ap_changed) = (changed(true), changed(false));
        for change in self.changes.iter().filter(|c| c.action == Action::Delete) {
            let (attachments, account_attached, users_attached, detached) = match &change.address {
                Address::NetworkPolicy(n) => (
                    self.live
                        .network_policies
                        .get(n)
                        .and_then(|p| p.attachments.clone()),
                    self.live.account_policies.network_policy.as_ref() == Some(n)
                        && self.account_keeps(|a| a.network_policy.as_ref() == Some(n), true),
                    self.live
                        .users
                        .iter()
                        .filter(|(_, u)| u.network_policy.as_ref() == Some(n))
                        .map(|(name, _)| name.as_str())
                        .collect::<BTreeSet<&str>>(),
                    &np_changed,
                ),
                Address::AuthenticationPolicy(n) => (
                    self.live
                        .authentication_policies
                        .get(n)
                        .and_then(|p| p.attachments.clone()),
                    [
                        &self.live.account_policies.authentication_policy,
                        &self
                            .live
                            .account_policies
                            .authentication_policy_for_service_users,
                        &self
                            .live
                            .account_policies
                            .authentication_policy_for_person_users,
                    ]
                    .iter()
                    .any(|a| a.as_ref() == Some(n))
                        && self.desired.account.is_none(),
                    self.live
                        .users
                        .iter()
                        .filter(|(_, u)| u.authentication_policy.as_ref() == Some(n))
                        .map(|(name, _)| name.as_str())
                        .collect::<BTreeSet<&str>>(),
                    &ap_changed,
                ),
                _ => continue,
            };
            // Who holds it: `POLICY_REFERENCES` rows when the reader looked, and the users read.
            let mut holders: BTreeSet<(String, String)> = attachments
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a.domain != "ACCOUNT")
                .map(|a| (a.domain, a.name))
                .collect();
            holders.extend(
                users_attached
                    .iter()
                    .map(|u| ("USER".to_owned(), (*u).to_owned())),
            );
            let mut blockers: Vec<String> = holders
                .into_iter()
                .filter(|(domain, name)| domain != "USER" || !detached.contains(name.as_str()))
                .map(|(domain, name)| format!("{domain} {name}"))
                .collect();
            if account_attached {
                blockers.push("the account".into());
            }
            if !blockers.is_empty() {
                out.push(error(
                    "policy-still-attached",
                    change.address.clone(),
                    format!("{} is still attached to {}, which this plan does not detach", change.address, blockers.join(", ")),
                    "declare those users (or an `account:` section) without the policy so the plan detaches it, or detach it by hand".into(),
                ));
            }
        }
        for change in self
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        {
            let Address::NetworkRule(rule) = &change.address else {
                continue;
            };
            let users: Vec<String> = self
                .live
                .network_policies
                .iter()
                .filter(|(p, lp)| {
                    let listed_now = lp.allowed_network_rule_list.contains(rule)
                        || lp.blocked_network_rule_list.contains(rule);
                    let listed_after = match self.desired.network_policies.get(*p) {
                        Some(d) if d.absent => false,
                        Some(d) => {
                            d.allowed_network_rule_list.contains(rule)
                                || d.blocked_network_rule_list.contains(rule)
                        }
                        None => listed_now,
                    };
                    listed_now && (listed_after || change.action == Action::Replace)
                })
                .map(|(p, _)| p.to_string())
                .collect();
            if !users.is_empty() {
                let detail = if change.action == Action::Replace {
                    "a rule in use cannot be dropped to change its type or mode: remove it from those policies and apply, then change it, or declare a new rule under another name"
                } else {
                    "remove it from those policies first"
                };
                out.push(error(
                    "rule-in-use",
                    change.address.clone(),
                    format!(
                        "network rule {rule} is used by network policy {}",
                        users.join(", ")
                    ),
                    detail.into(),
                ));
            }
        }
    }

    /// Whether the account section keeps the attachment (`None` section: whether it is kept).
    fn account_keeps(
        &self,
        keeps: impl Fn(&crate::model::desired::AccountSpec) -> bool,
        absent_default: bool,
    ) -> bool {
        match &self.desired.account {
            Some(a) => keeps(a),
            None => absent_default,
        }
    }

    /// Snowflake refuses token changes from a PAT session of the same user.
    fn session(&self, out: &mut Vec<PlanDiagnostic>) {
        let Some(session) = &self.live.session else {
            return;
        };
        if session.authentication != SessionAuthentication::ProgrammaticAccessToken {
            return;
        }
        let touched: BTreeSet<&Identifier> = self
            .changes
            .iter()
            .filter_map(|c| match &c.address {
                Address::Token(u, _) => Some(u),
                _ => None,
            })
            .collect();
        if touched.contains(&session.user) {
            out.push(error(
                "pat-session-user",
                Address::User(session.user.clone()),
                format!("this session authenticated with a token of {}, whose tokens the plan changes; Snowflake refuses that", session.user),
                "connect as another user, or with key-pair authentication (SNOWFLAKE_AUTHENTICATOR=SNOWFLAKE_JWT)".into(),
            ));
        }
    }
}

/// How findings name the authentication policy in force (formatted only when a finding is).
struct PolicyLabel<'a>(Option<&'a ObjectName>);

impl std::fmt::Display for PolicyLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "authentication policy {n}"),
            None => f.write_str("Snowflake's default policy"),
        }
    }
}

fn role_missing(address: Address, role: &Identifier) -> PlanDiagnostic {
    error(
        "role-missing",
        address,
        format!("role {role} does not exist in the account"),
        "create the role first; pat-reconcile grants roles but does not create them".into(),
    )
}

fn missing(address: Address, kind: &str, name: &str) -> PlanDiagnostic {
    error(
        "reference-missing",
        address,
        format!("{kind} {name} is neither declared in the file nor present in the account"),
        "declare it in pats.yaml, or create it before planning".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::plan::diff;
    use crate::plan::testkit::{config, findings, live, merge, now};

    /// A SERVICE user with one token, a network policy and its role: no findings.
    fn desired(patch: Value) -> Value {
        merge(
            json!({
                "network_policies": { "NP": {} },
                "users": { "U": {
                    "type": "SERVICE",
                    "roles": ["R"],
                    "network_policy": "NP",
                    "tokens": { "T": {
                        "role_restriction": "R",
                        "days_to_expiry": 30,
                        "deliver": [{ "file": { "path": "t.txt" } }]
                    } }
                } }
            }),
            patch,
        )
    }

    fn account(patch: Value) -> Value {
        merge(
            json!({ "network_policies": { "NP": {} }, "roles": ["R", "R2"] }),
            patch,
        )
    }

    fn run(desired_json: Value, live_json: Value) -> Vec<(String, String)> {
        findings(&diff(&config(desired_json), &live(live_json), now()))
    }

    /// Each check trips on its case and is quiet once the case is fixed.
    #[test]
    fn every_check_trips_and_is_quiet_once_fixed() {
        let many_tokens: Vec<Value> = (0..14)
            .map(|i| {
                json!({
                    "name": format!("OLD{i:02}"), "user_name": "U", "role_restriction": "R",
                    "expires_at": "2026-12-17T12:00:00Z", "status": "ACTIVE",
                    "created_on": "2026-11-17T12:00:00Z"
                })
            })
            .collect();
        let t_row = json!({
            "name": "T", "user_name": "U", "role_restriction": "R",
            "expires_at": "2026-12-17T12:00:00Z", "status": "ACTIVE",
            "created_on": "2026-11-17T12:00:00Z"
        });
        // (case, check, address, trip: desired, live; fixed: desired, live)
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            Value,
            Value,
            Value,
            Value,
        );
        let cases: Vec<Case> = vec![
            (
                "the user's policy does not allow tokens",
                "pat-not-allowed",
                "user.U",
                desired(json!({
                    "authentication_policies": { "D.S.AP": { "authentication_methods": ["KEYPAIR"] } },
                    "users": { "U": { "authentication_policy": "D.S.AP" } }
                })),
                account(json!({})),
                desired(json!({
                    "authentication_policies": { "D.S.AP": { "authentication_methods": ["KEYPAIR", "PROGRAMMATIC_ACCESS_TOKEN"] } },
                    "users": { "U": { "authentication_policy": "D.S.AP" } }
                })),
                account(json!({})),
            ),
            (
                "the account-level policy (read, not declared) does not allow tokens",
                "pat-not-allowed",
                "user.U",
                desired(json!({})),
                account(json!({
                    "account_policies": { "authentication_policy_for_service_users": "D.S.ACCT" },
                    "authentication_policies": { "D.S.ACCT": { "authentication_methods": ["PASSWORD"] } }
                })),
                desired(json!({})),
                account(json!({
                    "account_policies": { "authentication_policy_for_service_users": "D.S.ACCT" },
                    "authentication_policies": { "D.S.ACCT": { "authentication_methods": ["ALL"] } }
                })),
            ),
            (
                "a service user's token with no network policy at user or account level",
                "network-policy-required",
                "user.U",
                desired(json!({ "users": { "U": { "network_policy": null } } })),
                account(json!({})),
                desired(json!({ "users": { "U": { "network_policy": null } } })),
                account(json!({ "account_policies": { "network_policy": "NP" } })),
            ),
            (
                "a network policy the account section detaches does not count",
                "network-policy-required",
                "user.U",
                desired(json!({ "users": { "U": { "network_policy": null } }, "account": {} })),
                account(json!({ "account_policies": { "network_policy": "NP" } })),
                desired(
                    json!({ "users": { "U": { "network_policy": null } }, "account": { "network_policy": "NP" } }),
                ),
                account(json!({ "account_policies": { "network_policy": "NP" } })),
            ),
            (
                "a new service-user token without role_restriction",
                "role-restriction-required",
                "user.U.token.T",
                desired(
                    json!({ "users": { "U": { "tokens": { "T": { "role_restriction": null } } } } }),
                ),
                account(json!({})),
                desired(json!({
                    "authentication_policies": { "D.S.AP": { "pat_policy": { "require_role_restriction_for_service_users": false } } },
                    "users": { "U": { "authentication_policy": "D.S.AP", "tokens": { "T": { "role_restriction": null } } } }
                })),
                account(json!({})),
            ),
            (
                "a restricted role the user does not hold and the file does not grant",
                "role-not-granted",
                "user.U.token.T",
                desired(
                    json!({ "users": { "U": { "tokens": { "T": { "role_restriction": "R2" } } } } }),
                ),
                account(json!({})),
                desired(
                    json!({ "users": { "U": { "tokens": { "T": { "role_restriction": "R2" } } } } }),
                ),
                account(
                    json!({ "users": { "U": { "user_type": "SERVICE", "roles": ["R", "R2"], "network_policy": "NP" } } }),
                ),
            ),
            (
                "a restricted role the policy blocks",
                "role-blocked",
                "user.U.token.T",
                desired(json!({})),
                account(json!({
                    "account_policies": { "authentication_policy": "D.S.ACCT" },
                    "authentication_policies": { "D.S.ACCT": { "pat_policy": { "blocked_roles_list": ["R"] } } }
                })),
                desired(json!({})),
                account(json!({
                    "account_policies": { "authentication_policy": "D.S.ACCT" },
                    "authentication_policies": { "D.S.ACCT": { "pat_policy": { "blocked_roles_list": ["ACCOUNTADMIN"] } } }
                })),
            ),
            (
                "a granted role that does not exist",
                "role-missing",
                "user.U.role.R",
                desired(json!({})),
                account(json!({ "roles": ["R2"] })),
                desired(json!({})),
                account(json!({})),
            ),
            (
                "a restricted role that does not exist (and so is not held either)",
                "role-missing",
                "user.U.token.T",
                desired(
                    json!({ "users": { "U": { "roles": ["R", "R2"], "tokens": { "T": { "role_restriction": "R3" } } } } }),
                ),
                account(json!({ "roles": ["R", "R2"] })),
                desired(
                    json!({ "users": { "U": { "roles": ["R", "R2"], "tokens": { "T": { "role_restriction": "R3" } } } } }),
                ),
                account(
                    json!({ "users": { "U": { "user_type": "SERVICE", "roles": ["R3"], "network_policy": "NP" } }, "roles": ["R", "R2", "R3"] }),
                ),
            ),
            (
                "days_to_expiry above the maximum of the policy in force",
                "expiry-above-maximum",
                "user.U.token.T",
                desired(
                    json!({ "users": { "U": { "tokens": { "T": { "days_to_expiry": 60 } } } } }),
                ),
                account(json!({
                    "account_policies": { "authentication_policy": "D.S.ACCT" },
                    "authentication_policies": { "D.S.ACCT": { "pat_policy": { "max_expiry_in_days": 45 } } }
                })),
                desired(
                    json!({ "users": { "U": { "tokens": { "T": { "days_to_expiry": 45 } } } } }),
                ),
                account(json!({
                    "account_policies": { "authentication_policy": "D.S.ACCT" },
                    "authentication_policies": { "D.S.ACCT": { "pat_policy": { "max_expiry_in_days": 45 } } }
                })),
            ),
            (
                "more than 15 tokens counting kept tokens and the new leftover",
                "token-limit",
                "user.U",
                desired(json!({ "users": { "U": { "unmanaged_tokens": "keep" } } })),
                account(json!({ "users": { "U": {
                    "user_type": "SERVICE", "roles": ["R"], "network_policy": "NP",
                    "tokens": many_tokens.iter().cloned().chain([merge(t_row.clone(), json!({
                        "created_on": "2026-11-02T12:00:00Z", "expires_at": "2026-12-02T12:00:00Z"
                    }))]).collect::<Vec<_>>()
                } } })),
                desired(
                    json!({ "users": { "U": { "unmanaged_tokens": "keep", "tokens": { "T": { "expire_rotated_token_after_hours": 0 } } } } }),
                ),
                account(json!({ "users": { "U": {
                    "user_type": "SERVICE", "roles": ["R"], "network_policy": "NP",
                    "tokens": many_tokens.iter().cloned().chain([merge(t_row.clone(), json!({
                        "created_on": "2026-11-02T12:00:00Z", "expires_at": "2026-12-02T12:00:00Z"
                    }))]).collect::<Vec<_>>()
                } } })),
            ),
            (
                "a PAT session of a user whose tokens the plan changes",
                "pat-session-user",
                "user.U",
                desired(json!({})),
                account(
                    json!({ "session": { "user": "U", "authentication": "PROGRAMMATIC_ACCESS_TOKEN" } }),
                ),
                desired(json!({})),
                account(json!({ "session": { "user": "U", "authentication": "KEYPAIR_JWT" } })),
            ),
            (
                "a network policy neither declared nor in the account",
                "reference-missing",
                "user.U.network_policy",
                desired(
                    json!({ "network_policies": null, "users": { "U": { "network_policy": "ELSEWHERE" } } }),
                ),
                account(json!({})),
                desired(
                    json!({ "network_policies": null, "users": { "U": { "network_policy": "ELSEWHERE" } } }),
                ),
                account(json!({ "network_policies": { "ELSEWHERE": {} } })),
            ),
            (
                "a network rule a policy lists, neither declared nor in the account",
                "reference-missing",
                "network_policy.NP",
                desired(
                    json!({ "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.GONE"] } } }),
                ),
                account(json!({})),
                desired(
                    json!({ "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.GONE"] } } }),
                ),
                account(
                    json!({ "network_rules": { "D.S.GONE": { "rule_type": "IPV4", "mode": "INGRESS" } } }),
                ),
            ),
            (
                "dropping a policy still attached to a user the file does not declare",
                "policy-still-attached",
                "network_policy.OLD",
                desired(json!({ "network_policies": { "OLD": { "absent": true } } })),
                account(
                    json!({ "network_policies": { "OLD": { "attachments": [{ "domain": "USER", "name": "SOMEONE" }] } } }),
                ),
                desired(json!({ "network_policies": { "OLD": { "absent": true } } })),
                account(json!({ "network_policies": { "OLD": { "attachments": [] } } })),
            ),
            (
                "dropping a policy attached to the account without an account section",
                "policy-still-attached",
                "authentication_policy.D.S.OLD",
                desired(json!({ "authentication_policies": { "D.S.OLD": { "absent": true } } })),
                account(json!({
                    "account_policies": { "authentication_policy": "D.S.OLD" },
                    "authentication_policies": { "D.S.OLD": { "attachments": [{ "domain": "ACCOUNT", "name": "SANDBOX" }] } }
                })),
                desired(
                    json!({ "authentication_policies": { "D.S.OLD": { "absent": true } }, "account": {} }),
                ),
                account(json!({
                    "account_policies": { "authentication_policy": "D.S.OLD" },
                    "authentication_policies": { "D.S.OLD": { "attachments": [{ "domain": "ACCOUNT", "name": "SANDBOX" }] } }
                })),
            ),
            (
                "dropping a rule a policy the file does not change still uses",
                "rule-in-use",
                "network_rule.D.S.OLD",
                desired(json!({ "network_rules": { "D.S.OLD": { "absent": true } } })),
                account(json!({
                    "network_rules": { "D.S.OLD": { "rule_type": "IPV4", "mode": "INGRESS" } },
                    "network_policies": { "OTHER": { "allowed_network_rule_list": ["D.S.OLD"] } }
                })),
                desired(json!({
                    "network_rules": { "D.S.OLD": { "absent": true } },
                    "network_policies": { "OTHER": {} }
                })),
                account(json!({
                    "network_rules": { "D.S.OLD": { "rule_type": "IPV4", "mode": "INGRESS" } },
                    "network_policies": { "OTHER": { "allowed_network_rule_list": ["D.S.OLD"] } }
                })),
            ),
            (
                "replacing a rule in use (type change)",
                "rule-in-use",
                "network_rule.D.S.R",
                desired(json!({
                    "network_rules": { "D.S.R": { "type": "IPV6", "value_list": ["2001:db8::/32"] } },
                    "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.R"] } }
                })),
                account(json!({
                    "network_rules": { "D.S.R": { "rule_type": "IPV4", "mode": "INGRESS" } },
                    "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.R"] } }
                })),
                desired(json!({
                    "network_rules": { "D.S.R": { "type": "IPV6", "value_list": ["2001:db8::/32"] } },
                    "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.R"] } }
                })),
                account(json!({
                    "network_rules": { "D.S.R": { "rule_type": "IPV6", "mode": "INGRESS" } },
                    "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.R"] } }
                })),
            ),
        ];
        for (name, check, address, trip_d, trip_l, fixed_d, fixed_l) in cases {
            let tripped = run(trip_d, trip_l);
            assert!(
                tripped.contains(&(check.to_owned(), address.to_owned())),
                "case `{name}`: expected {check} at {address}, got {tripped:?}"
            );
            let fixed = run(fixed_d, fixed_l);
            assert_eq!(fixed, vec![], "case `{name}` once fixed");
        }
    }

    #[test]
    fn an_existing_token_is_not_held_to_rules_for_new_ones() {
        // The policy now caps lifetimes at 10 days and requires a role restriction: a token that
        // already exists is not minted again, so neither check applies to it.
        let d = desired(json!({
            "authentication_policies": { "D.S.AP": { "pat_policy": { "max_expiry_in_days": 10 } } },
            "users": { "U": { "authentication_policy": "D.S.AP", "tokens": { "T": { "days_to_expiry": 30 } } } }
        }));
        let l = account(json!({
            "authentication_policies": { "D.S.AP": { "pat_policy": { "max_expiry_in_days": 10 } } },
            "users": { "U": {
                "user_type": "SERVICE", "roles": ["R"], "network_policy": "NP", "authentication_policy": "D.S.AP",
                "tokens": [{
                    "name": "T", "user_name": "U", "role_restriction": "R",
                    "expires_at": "2026-12-17T12:00:00Z", "status": "ACTIVE",
                    "created_on": "2026-11-17T12:00:00Z"
                }]
            } }
        }));
        assert_eq!(run(d, l), vec![]);
    }

    #[test]
    fn findings_say_what_to_change() {
        let p = diff(
            &config(desired(
                json!({ "users": { "U": { "network_policy": null } } }),
            )),
            &live(account(json!({}))),
            now(),
        );
        let d = &p.diagnostics[0];
        assert_eq!(d.check, "network-policy-required");
        assert_eq!(
            d.summary,
            "SERVICE user U will have no network policy, and Snowflake's default policy requires one for tokens (ENFORCED_REQUIRED)"
        );
        assert!(
            d.detail.contains("set `network_policy:` on users.U"),
            "{}",
            d.detail
        );
        assert!(p.has_errors());
    }
}

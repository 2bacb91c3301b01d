//! Preflight: what Snowflake would refuse, found from desired + live state before anything runs
//! (DESIGN §4). Findings are diagnostics inside the plan; an error fails `plan` and `apply`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use ipnet::IpNet;

use super::address::Address;
use super::change::{Action, Change, PlanDiagnostic};
use super::check::Check;
use super::effective::effective_authentication_policy;
use crate::model::desired::{
    AuthenticationMethod, Config, MAX_TOKENS_PER_USER, NetworkPolicyEvaluation, NetworkRuleMode,
    NetworkRuleType, UserSpec, UserType,
};
use crate::model::live::{
    AttachmentDomain, LiveAuthenticationPolicy, LiveState, LiveUser, SessionAuthentication,
};
use crate::model::{Identifier, ObjectName, Spelled, pat_rules};

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
    pf.lockout(&mut out);
    pf.force(&mut out);
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
    /// Per user: the token changes, in plan order.
    user_tokens: BTreeMap<&'a Identifier, Vec<&'a Change>>,
}

impl<'a> ChangeIndex<'a> {
    fn new(changes: &'a [Change]) -> Self {
        let mut index = ChangeIndex {
            actions: HashMap::with_capacity(changes.len()),
            token_actions: HashMap::new(),
            user_tokens: BTreeMap::new(),
        };
        for c in changes {
            index.actions.insert(&c.address, c.action);
            let Address::Token(user, token) = &c.address else {
                continue;
            };
            index
                .token_actions
                .insert((user.as_str(), token.as_str()), c.action);
            index.user_tokens.entry(user).or_default().push(c);
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

/// How many tokens `user` holds once `changes` (its token changes) have run: declared tokens,
/// live ones kept (undeclared and not removed, leftovers in their grace period) and the
/// leftovers rotations leave. A live `<NAME>_NEXT` of a declared token the plan changes is not
/// counted: the plan renames it to `<NAME>` or removes it (one waiting out its overlap counts). The diff uses the same count to decide whether a
/// replacement has a slot for its temporary token.
pub(crate) fn slots_after<'c>(
    user: &UserSpec,
    live_tokens: &[crate::model::live::LiveToken],
    now: DateTime<Utc>,
    changes: impl IntoIterator<Item = &'c Change>,
) -> usize {
    let mut removed = BTreeSet::new();
    let mut changed = BTreeSet::new();
    let mut new_leftovers = 0;
    for c in changes {
        let Address::Token(_, token) = &c.address else {
            continue;
        };
        changed.insert(token);
        if c.action == Action::Delete {
            removed.insert(token);
        }
        // A rotation that leaves a leftover in its grace period (finishing an interrupted
        // replacement may rotate too, so not only `Rotate` changes).
        if c.statements
            .iter()
            .any(|s| s.expire_rotated_token_after_hours.is_some_and(|h| h > 0))
        {
            new_leftovers += 1;
        }
    }
    // Temporaries whose token the plan changes: renamed to it, or removed.
    let temporaries: BTreeSet<Identifier> = user
        .tokens
        .keys()
        .filter(|t| changed.contains(t))
        .filter_map(crate::plan::diff::temporary_name)
        .collect();
    let kept_live = live_tokens
        .iter()
        .filter(|t| {
            !t.is_expired(now)
                && !removed.contains(&t.name)
                && !user.tokens.contains_key(&t.name)
                && !temporaries.contains(&t.name)
        })
        .count();
    user.tokens.len() + kept_live + new_leftovers
}

/// True when `change` mints its token's secret under another (temporary) name.
fn mints_under_temporary_name(change: &Change) -> bool {
    let Address::Token(_, token) = &change.address else {
        return false;
    };
    change
        .statements
        .iter()
        .any(|s| s.recovery.as_ref().is_some_and(|r| &r.token != token))
}

/// One error per secret that did not reach every sink (the pending list the edge read), except
/// for tokens the plan rotates on request: their new secret replaces the pending one.
pub fn pending_deliveries(
    pending: &[crate::plan::diff::PendingDelivery],
    replace: &BTreeSet<Address>,
) -> Vec<PlanDiagnostic> {
    pending
        .iter()
        .filter(|p| !replace.contains(&p.address))
        .map(|p| {
            let summary = format!(
                "the secret minted earlier has not reached {}; it waits in `{}`",
                p.undelivered.join("; "),
                p.rescue_file
            );
            let detail = if p.rescue_exists {
                format!(
                    "fix the sink, then run `pat-reconcile apply`: it delivers the secret from the rescue file first and deletes the file; or run `pat-reconcile apply --replace {} --revoke-old` to mint a new one",
                    p.address
                )
            } else {
                format!(
                    "the rescue file is gone: run `pat-reconcile apply --replace {} --revoke-old` to mint a new secret and revoke the lost one",
                    p.address
                )
            };
            finding(Check::PendingDelivery, p.address.clone(), summary, detail)
        })
        .collect()
}

/// A finding of `check`, with the severity the catalogue gives it.
fn finding(check: Check, address: Address, summary: String, detail: String) -> PlanDiagnostic {
    PlanDiagnostic {
        severity: check.severity(),
        check: check.id(),
        address,
        summary,
        detail,
    }
}

impl<'a> Preflight<'a> {
    /// The user's type after the plan: the file's, else the account's (PERSON when neither
    /// says).
    fn user_type(&self, spec: &UserSpec, live: Option<&LiveUser>) -> Spelled<UserType> {
        match (spec.user_type, live) {
            (Some(t), _) => Spelled::Known(t),
            (None, Some(l)) => l.user_type(),
            (None, None) => Spelled::Known(UserType::Person),
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
        // SERVICE_AGENT is a service user wherever the docs say so: the PAT guide lists it with
        // SERVICE and LEGACY_SERVICE for ROLE_RESTRICTION. The network-policy requirement names
        // only SERVICE and LEGACY_SERVICE, and the user-types page says an agent needs none for
        // its tokens (reference §2.6, D-UM), so it is not held to that one; the sandbox agrees.
        let known_type = user_type.known();
        let service = known_type.is_some_and(UserType::is_service);
        let needs_network_policy =
            known_type.is_some_and(UserType::needs_network_policy_for_tokens);
        let (policy_name, policy) = self.applicable_policy(name, spec, live, service);
        let policy_label = PolicyLabel(policy_name);
        let pat = &policy.pat_policy;
        let user_address = || Address::User(name.clone());

        if !spec.tokens.is_empty() {
            let methods = &policy.authentication_methods;
            if !methods.iter().any(|m| {
                m.is(AuthenticationMethod::All)
                    || m.is(AuthenticationMethod::ProgrammaticAccessToken)
            }) {
                out.push(finding(
                    Check::PatNotAllowed,
                    user_address(),
                    format!("user {name} declares tokens, but {policy_label} does not allow PROGRAMMATIC_ACCESS_TOKEN"),
                    "add PROGRAMMATIC_ACCESS_TOKEN to the policy's `authentication_methods`".into(),
                ));
            }
            let required = pat
                .network_policy_evaluation
                .is(NetworkPolicyEvaluation::EnforcedRequired);
            match self.network_policy_after(name, spec, live) {
                None if required && user_type.is(UserType::ServiceAgent) => {}
                None if required && needs_network_policy => out.push(finding(
                    Check::NetworkPolicyRequired,
                    user_address(),
                    format!("{user_type} user {name} will have no network policy, and {policy_label} requires one for tokens (ENFORCED_REQUIRED)"),
                    format!("set `network_policy:` on users.{name} (or `account.network_policy`); Snowflake would refuse with \"Network policy is required.\""),
                )),
                // A person's token is created without one, but every login with it fails
                // with 390432 (reference Corrections 10).
                None if required => out.push(finding(
                    Check::NetworkPolicyRequiredToUse,
                    user_address(),
                    format!("{user_type} user {name} will have no network policy: Snowflake creates its tokens, but {policy_label} (ENFORCED_REQUIRED) makes every login with them fail with 390432 \"Network policy is required.\""),
                    format!("set `network_policy:` on users.{name} (or `account.network_policy`)"),
                )),
                Some(np) if required && !self.network_policy_has_rules(&np) => {
                    out.push(finding(
                        Check::NetworkPolicyWithoutRules,
                        user_address(),
                        format!("network policy {np} of user {name} has no network rules, only IP lists; Snowflake asks for \"a network policy with one or more network rules\" for tokens, and whether IP lists alone satisfy that is not documented"),
                        format!("move the addresses of {np} into a network rule (`network_rules:`) and list it in `allowed_network_rule_list`"),
                    ));
                }
                _ => {}
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
                    if mints && pat_rules::role_restriction_required(&user_type, pat) {
                        out.push(finding(
                            Check::RoleRestrictionRequired,
                            address(),
                            format!("token {token_name} of {user_type} user {name} has no role_restriction, which {policy_label} requires"),
                            format!("add `role_restriction:` to users.{name}.tokens.{token_name}"),
                        ));
                    }
                }
                Some(role) => {
                    match self.holds(&granted, role) {
                        Holding::Yes => {}
                        Holding::No => out.push(finding(
                            Check::RoleNotGranted,
                            address(),
                            format!("token {token_name} is restricted to role {role}, which user {name} does not hold and the file does not grant"),
                            format!("add {role} to users.{name}.roles"),
                        )),
                        Holding::Unknown(parents) => out.push(finding(
                            Check::RoleHoldingUnknown,
                            address(),
                            format!("token {token_name} is restricted to role {role}, which user {name} does not hold directly; {role} is granted to {}, and whether the user holds one of those was not read", parents.join(", ")),
                            format!("Snowflake refuses the token if user {name} does not hold {role}; add {role} to users.{name}.roles to be sure"),
                        )),
                    }
                    if pat_rules::role_blocked(role, pat) {
                        out.push(finding(
                            Check::RoleBlocked,
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
            if mints && pat_rules::expiry_above_maximum(days, pat.max_expiry_in_days) {
                out.push(finding(
                    Check::ExpiryAboveMaximum,
                    address(),
                    format!("token {token_name} would live {days} days, above the {}-day max_expiry_in_days of {policy_label}", pat.max_expiry_in_days),
                    format!("set `days_to_expiry: {}` or less", pat.max_expiry_in_days),
                ));
            }
        }

        let changes = self
            .index
            .user_tokens
            .get(name)
            .map_or(&[][..], Vec::as_slice);
        let after = slots_after(spec, live_tokens, now, changes.iter().copied());
        // A replacement made before it is broken holds one more token while it runs.
        let temporary = changes.iter().any(|c| mints_under_temporary_name(c));
        let total = after + usize::from(temporary);
        if pat_rules::token_limit_exceeded(total) {
            out.push(finding(
                Check::TokenLimit,
                user_address(),
                format!("user {name} would hold {total} tokens counting rotation leftovers, kept tokens and a replacement's temporary token; Snowflake allows {MAX_TOKENS_PER_USER}"),
                "declare fewer tokens, remove undeclared ones (`unmanaged_tokens: remove`), or rotate with `expire_rotated_token_after_hours: 0`".into(),
            ));
        }
        for c in changes {
            let Address::Token(_, token_name) = &c.address else {
                continue;
            };
            // A destructive replacement that mints under the token's own name removed a
            // working token first: there was no slot (or name) for a temporary one.
            let in_place = c.action == Action::Replace
                && c.destructive
                && c.statements.iter().any(|s| {
                    s.expire_rotated_token_after_hours.is_none()
                        && s.recovery.as_ref().is_some_and(|r| &r.token == token_name)
                });
            if in_place {
                out.push(finding(
                    Check::ReplacementWithDowntime,
                    c.address.clone(),
                    format!("token {token_name} is replaced as REMOVE then ADD: its consumer is down until it reads the new secret"),
                    format!("free a slot on user {name} (Snowflake allows {MAX_TOKENS_PER_USER} tokens) so that the new token can be added as `{token_name}_NEXT` before the old one is removed"),
                ));
            }
        }
    }

    /// Whether the user holds `role`, directly (`granted`: live grants and the file's) or
    /// through the role hierarchy as far as `role_parents` knows it.
    ///
    /// ALTER USER ... ADD PAT says the role "must already be granted to the user". A role
    /// granted to a role the user holds is held by the user in Snowflake's model (privileges
    /// of a granted role's granted roles are inherited), and that is what counts here. The
    /// reader follows only the roles the file references, so when `role` is granted to roles
    /// none of which is known to be held, the answer is unknown, not no.
    fn holds(&self, granted: &BTreeSet<&Identifier>, role: &Identifier) -> Holding {
        if role.as_str() == "PUBLIC" || granted.contains(role) {
            return Holding::Yes;
        }
        let mut seen: BTreeSet<&Identifier> = BTreeSet::new();
        let mut queue: Vec<&Identifier> = vec![role];
        while let Some(r) = queue.pop() {
            for parent in self.live.role_parents.get(r).into_iter().flatten() {
                if granted.contains(parent) {
                    return Holding::Yes;
                }
                if seen.insert(parent) {
                    queue.push(parent);
                }
            }
        }
        if seen.is_empty() {
            Holding::No
        } else {
            Holding::Unknown(seen.iter().map(|r| r.to_string()).collect())
        }
    }

    /// Whether network policy `np` will list network rules after the plan.
    fn network_policy_has_rules(&self, np: &Identifier) -> bool {
        match self.network_policy_lists(np) {
            Some(p) => !p.allowed_rules.is_empty() || !p.blocked_rules.is_empty(),
            // Not known: no finding.
            None => true,
        }
    }

    /// A network policy's lists as they will be after the plan: the file's when it declares
    /// the policy (lists it leaves out are unset), else the account's.
    fn network_policy_lists(&self, np: &Identifier) -> Option<PolicyLists> {
        match self.desired.network_policies.get(np) {
            Some(d) if d.absent => None,
            Some(d) => Some(PolicyLists {
                allowed_rules: d.allowed_network_rule_list.clone(),
                blocked_rules: d.blocked_network_rule_list.clone(),
                allowed_ips: d.allowed_ip_list.clone(),
                blocked_ips: d.blocked_ip_list.clone(),
            }),
            None => self.live.network_policies.get(np).map(|l| PolicyLists {
                allowed_rules: l.allowed_network_rule_list.clone(),
                blocked_rules: l.blocked_network_rule_list.clone(),
                allowed_ips: l.allowed_ip_list.clone(),
                blocked_ips: l.blocked_ip_list.clone(),
            }),
        }
    }

    /// The address ranges of an ingress IP rule after the plan; `None` when the rule is not
    /// of an IP type, not ingress, or not known (the address cannot be judged against it).
    fn rule_ranges(&self, rule: &ObjectName) -> Option<Vec<IpNet>> {
        let (ip_type, ingress, values) = match self.desired.network_rules.get(rule) {
            Some(d) if d.absent => return None,
            Some(d) => (
                matches!(
                    d.rule_type,
                    None | Some(NetworkRuleType::Ipv4 | NetworkRuleType::Ipv6)
                ),
                matches!(d.mode, None | Some(NetworkRuleMode::Ingress)),
                &d.value_list,
            ),
            None => {
                let l = self.live.network_rules.get(rule)?;
                (
                    matches!(
                        l.rule_type.known(),
                        Some(NetworkRuleType::Ipv4 | NetworkRuleType::Ipv6)
                    ),
                    l.mode.is(NetworkRuleMode::Ingress),
                    &l.value_list,
                )
            }
        };
        if !ip_type || !ingress {
            return None;
        }
        values.iter().map(|v| parse_range(v)).collect()
    }

    /// Whether `ip` may connect under network policy `np` as it will be after the plan;
    /// `None` when that cannot be told (a rule of another type, an unknown rule or policy).
    ///
    /// The docs (user-guide/network-policies, CREATE NETWORK POLICY): the blocked list is
    /// applied first, so a blocked address is refused whatever else allows it; an address is
    /// allowed only by an allowed entry, and "an empty ALLOWED_IP_LIST with no rules allows no
    /// IPv4 addresses" (an address with no allowed entry of its family is not allowed).
    /// Private-connectivity rules (AWSVPCEID, AZURELINKID, ...) take precedence over IP rules
    /// and cannot be judged from an address: a policy with one gives no answer.
    fn admits(&self, np: &Identifier, ip: IpAddr) -> Option<bool> {
        let lists = self.network_policy_lists(np)?;
        let ranges = |rules: &[ObjectName], ips: &[String]| -> Option<Vec<IpNet>> {
            let mut out: Vec<IpNet> = ips.iter().map(|v| parse_range(v)).collect::<Option<_>>()?;
            for r in rules {
                out.extend(self.rule_ranges(r)?);
            }
            Some(out)
        };
        let blocked = ranges(&lists.blocked_rules, &lists.blocked_ips)?;
        let allowed = ranges(&lists.allowed_rules, &lists.allowed_ips)?;
        if blocked.iter().any(|n| n.contains(&ip)) {
            return Some(false);
        }
        Some(allowed.iter().any(|n| n.contains(&ip)))
    }

    /// Lock-out (reference Corrections 9): ALTER ACCOUNT SET NETWORK_POLICY fails unless the
    /// caller's current IP address is allowed by the policy, and ALTER NETWORK POLICY refuses a
    /// change that excludes the current address of the session's user when the policy is
    /// active for them ("Changes cannot be applied to the network policy ... because current IP
    /// address ... is not allowed in it"). Judged on the policies as they will be after the
    /// plan, for the session's address (`CURRENT_IP_ADDRESS()`); no address, no finding.
    fn lockout(&self, out: &mut Vec<PlanDiagnostic>) {
        let Some(session) = &self.live.session else {
            return;
        };
        let Some(ip) = session
            .ip_address
            .as_deref()
            .and_then(|a| a.trim().parse::<IpAddr>().ok())
        else {
            return;
        };
        let account_before = self.live.account_policies.network_policy.as_ref();
        let account_after = match &self.desired.account {
            Some(a) => a.network_policy.as_ref(),
            None => account_before,
        };
        let own_before = self
            .live
            .users
            .get(&session.user)
            .and_then(|u| u.network_policy.as_ref());
        let own_after = match self.desired.users.get(&session.user) {
            Some(u) if u.network_policy.is_some() => u.network_policy.as_ref(),
            Some(_)
                if self
                    .index
                    .action(&Address::UserNetworkPolicy(session.user.clone()))
                    == Some(Action::Detach) =>
            {
                None
            }
            _ => own_before,
        };
        // The policy in force for the session after the plan: its user's, else the account's.
        let active = own_after.or(account_after);
        let changed_policy = |np: &Identifier| {
            self.index
                .action(&Address::NetworkPolicy(np.clone()))
                .is_some()
                || self.network_policy_lists(np).is_some_and(|l| {
                    l.allowed_rules.iter().chain(&l.blocked_rules).any(|r| {
                        self.index
                            .action(&Address::NetworkRule(r.clone()))
                            .is_some()
                    })
                })
        };
        let mut checks: Vec<(Address, &Identifier, &str)> = Vec::new();
        if let Some(np) = account_after.filter(|np| Some(*np) != account_before) {
            checks.push((
                Address::AccountNetworkPolicy,
                np,
                "attaching it to the account",
            ));
        } else if let Some(np) = account_after.filter(|np| changed_policy(np)) {
            checks.push((
                Address::NetworkPolicy(np.clone()),
                np,
                "changing the policy attached to the account",
            ));
        }
        if let Some(np) = own_after.filter(|np| Some(*np) != own_before) {
            checks.push((
                Address::UserNetworkPolicy(session.user.clone()),
                np,
                "attaching it to the session's own user",
            ));
        }
        if let Some(np) = active.filter(|np| changed_policy(np) && Some(*np) != account_after) {
            checks.push((
                Address::NetworkPolicy(np.clone()),
                np,
                "changing the policy active for the session's user",
            ));
        }
        for (address, np, what) in checks {
            if self.admits(np, ip) == Some(false) {
                out.push(finding(
                    Check::NetworkPolicyLockout,
                    address,
                    format!("network policy {np} as planned does not allow this session's address {ip}; Snowflake refuses {what} (\"current IP address ... is not allowed in it\"), and it would lock {} out", session.user),
                    format!("add {ip} (or its range) to an allowed rule or `allowed_ip_list` of {np}, and make sure no blocked entry covers it"),
                ));
            }
        }
    }

    /// `ALTER ACCOUNT SET AUTHENTICATION POLICY ... FORCE` replaces the account's policy and
    /// "policies you set on specific users or specific user types are overridden" (ALTER
    /// ACCOUNT; reference Corrections 12): it reaches users the file does not declare.
    fn force(&self, out: &mut Vec<PlanDiagnostic>) {
        for c in self.changes {
            // The diff sends FORCE exactly when an attach replaces an attached policy, which it
            // records as a destructive attach.
            let replaces = c.action == Action::Attach && c.destructive;
            if !matches!(c.address, Address::AccountAuthenticationPolicy(_)) || !replaces {
                continue;
            }
            out.push(finding(
                Check::ForceReachesUndeclaredUsers,
                c.address.clone(),
                format!("{} replaces the account's authentication policy with FORCE, which overrides the policies set on specific users or user types, including users this file does not declare", c.address),
                "review who the account-level policy reaches before applying; users with their own policy get the account's".into(),
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
                        && self.account_keeps(
                            |a| {
                                [
                                    &a.authentication_policy,
                                    &a.authentication_policy_for_service_users,
                                    &a.authentication_policy_for_person_users,
                                ]
                                .iter()
                                .any(|k| k.as_ref() == Some(n))
                            },
                            true,
                        ),
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
            if attachments.is_none() {
                out.push(finding(
                    Check::PolicyAttachmentsUnknown,
                    change.address.clone(),
                    format!("{} is dropped, but where it is attached outside this file is unknown", change.address),
                    "Snowflake refuses to drop a policy still attached to a user or the account, and only the declared users' attachments were checked. POLICY_REFERENCES sees the rest: it needs a warehouse (plan with `--warehouse`), and an empty answer proves nothing, since it shows only what the role may see".into(),
                ));
            }
            // Who holds it: `POLICY_REFERENCES` rows when the reader looked, and the users read.
            let user = Spelled::Known(AttachmentDomain::User);
            let mut holders: BTreeSet<(Spelled<AttachmentDomain>, String)> = attachments
                .unwrap_or_default()
                .into_iter()
                .filter(|a| !a.domain.is(AttachmentDomain::Account))
                .map(|a| (a.domain, a.name))
                .collect();
            holders.extend(
                users_attached
                    .iter()
                    .map(|u| (user.clone(), (*u).to_owned())),
            );
            let mut blockers: Vec<String> = holders
                .into_iter()
                .filter(|(domain, name)| *domain != user || !detached.contains(name.as_str()))
                .map(|(domain, name)| format!("{domain} {name}"))
                .collect();
            if account_attached {
                blockers.push("the account".into());
            }
            if !blockers.is_empty() {
                out.push(finding(
                    Check::PolicyStillAttached,
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
                out.push(finding(
                    Check::RuleInUse,
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
        // ADD is allowed; modify, rotate and remove are not (reference Corrections 11), and a
        // replacement removes the old token.
        let touched: BTreeSet<&Identifier> = self
            .changes
            .iter()
            .filter_map(|c| match (&c.address, c.action) {
                // A created token that is also disabled at once runs a MODIFY after its ADD.
                (Address::Token(_, _), Action::Create)
                    if c.statements.iter().all(|s| s.returns_secret) =>
                {
                    None
                }
                (Address::Token(u, _), _) => Some(u),
                _ => None,
            })
            .collect();
        if touched.contains(&session.user) {
            out.push(finding(
                Check::PatSessionUser,
                Address::User(session.user.clone()),
                format!("this session authenticated with a token of {}, and the plan modifies, rotates or removes that user's tokens; Snowflake refuses that", session.user),
                "connect as another user, or with key-pair authentication (SNOWFLAKE_AUTHENTICATOR=SNOWFLAKE_JWT)".into(),
            ));
        }
    }
}

/// Whether a user holds a role; `Unknown` names the roles it is granted to that were read.
enum Holding {
    Yes,
    No,
    Unknown(Vec<String>),
}

/// A network policy's four lists.
struct PolicyLists {
    allowed_rules: Vec<ObjectName>,
    blocked_rules: Vec<ObjectName>,
    allowed_ips: Vec<String>,
    blocked_ips: Vec<String>,
}

/// An address or CIDR range (`192.0.2.7`, `192.0.2.0/24`); `None` when it is neither.
fn parse_range(value: &str) -> Option<IpNet> {
    let v = value.trim();
    v.parse::<IpNet>()
        .ok()
        .or_else(|| v.parse::<IpAddr>().ok().map(IpNet::from))
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
    finding(
        Check::RoleMissing,
        address,
        format!("role {role} does not exist in the account"),
        "create the role first; pat-reconcile grants roles but does not create them".into(),
    )
}

fn missing(address: Address, kind: &str, name: &str) -> PlanDiagnostic {
    finding(
        Check::ReferenceMissing,
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

    /// A SERVICE user with one token, a network policy (with a rule) and its role: no findings.
    fn desired(patch: Value) -> Value {
        merge(
            json!({
                "network_rules": { "D.S.NR": { "type": "IPV4", "value_list": ["192.0.2.0/24"] } },
                "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.NR"] } },
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
            json!({
                "network_rules": { "D.S.NR": { "rule_type": "IPV4", "mode": "INGRESS", "value_list": ["192.0.2.0/24"] } },
                "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.NR"] } },
                "roles": ["R", "R2"]
            }),
            patch,
        )
    }

    fn run(desired_json: Value, live_json: Value) -> Vec<(String, String)> {
        findings(&diff(
            &config(desired_json),
            &live(live_json),
            now(),
            &crate::plan::DiffInputs::default(),
        ))
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
                desired(
                    json!({ "users": { "U": { "network_policy": null } }, "account": { "network_policy": "none" } }),
                ),
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
                "a PAT session of a user whose tokens the plan removes (Corrections 11)",
                "pat-session-user",
                "user.U",
                desired(json!({})),
                account(json!({
                    "session": { "user": "U", "authentication": "PROGRAMMATIC_ACCESS_TOKEN" },
                    "users": { "U": { "user_type": "SERVICE", "roles": ["R"], "network_policy": "NP",
                        "tokens": [merge(t_row.clone(), json!({ "name": "OLD" }))] } }
                })),
                desired(json!({})),
                account(json!({
                    "session": { "user": "U", "authentication": "KEYPAIR_JWT" },
                    "users": { "U": { "user_type": "SERVICE", "roles": ["R"], "network_policy": "NP",
                        "tokens": [merge(t_row.clone(), json!({ "name": "OLD" }))] } }
                })),
            ),
            (
                "a PAT session of a user whose token the plan rotates",
                "pat-session-user",
                "user.U",
                desired(json!({})),
                account(json!({
                    "session": { "user": "U", "authentication": "PROGRAMMATIC_ACCESS_TOKEN" },
                    "users": { "U": { "user_type": "SERVICE", "roles": ["R"], "network_policy": "NP",
                        "tokens": [merge(t_row.clone(), json!({ "expires_at": "2026-12-03T12:00:00Z" }))] } }
                })),
                desired(json!({})),
                account(json!({
                    "session": { "user": "U", "authentication": "PROGRAMMATIC_ACCESS_TOKEN" },
                    "users": { "U": { "user_type": "SERVICE", "roles": ["R"], "network_policy": "NP",
                        "tokens": [t_row.clone()] } }
                })),
            ),
            (
                "a PERSON user's token with no network policy: created, but unusable (Corrections 10)",
                "network-policy-required-to-use",
                "user.U",
                desired(json!({ "users": { "U": { "type": "PERSON", "network_policy": null } } })),
                account(json!({})),
                desired(json!({ "users": { "U": { "type": "PERSON", "network_policy": null } } })),
                account(json!({ "account_policies": { "network_policy": "NP" } })),
            ),
            (
                "a network policy with IP lists only (Corrections 10, unconfirmed)",
                "network-policy-without-rules",
                "user.U",
                desired(json!({ "network_policies": { "NP": {
                    "allowed_network_rule_list": [], "allowed_ip_list": ["192.0.2.0/24"]
                } } })),
                account(json!({})),
                desired(json!({})),
                account(json!({})),
            ),
            (
                "a SERVICE_AGENT user is a service user: its token needs a role restriction",
                "role-restriction-required",
                "user.U.token.T",
                desired(
                    json!({ "users": { "U": { "type": "SERVICE_AGENT", "tokens": { "T": { "role_restriction": null } } } } }),
                ),
                account(json!({})),
                desired(json!({ "users": { "U": { "type": "SERVICE_AGENT" } } })),
                account(json!({})),
            ),
            (
                "a restricted role granted to a role nobody is known to hold: warning",
                "role-holding-unknown",
                "user.U.token.T",
                desired(
                    json!({ "users": { "U": { "tokens": { "T": { "role_restriction": "R2" } } } } }),
                ),
                account(json!({ "role_parents": { "R2": ["ELSEWHERE"] } })),
                desired(
                    json!({ "users": { "U": { "tokens": { "T": { "role_restriction": "R2" } } } } }),
                ),
                // R2 -> P -> R: held through the hierarchy, two levels up.
                account(json!({ "role_parents": { "R2": ["P"], "P": ["R"] } })),
            ),
            (
                "dropping a policy whose attachments were not read (no warehouse)",
                "policy-attachments-unknown",
                "network_policy.OLD",
                desired(json!({ "network_policies": { "OLD": { "absent": true } } })),
                account(json!({ "network_policies": { "OLD": {} } })),
                desired(json!({ "network_policies": { "OLD": { "absent": true } } })),
                account(json!({ "network_policies": { "OLD": { "attachments": [] } } })),
            ),
            (
                "replacing the account's authentication policy with FORCE (Corrections 12)",
                "force-reaches-undeclared-users",
                "account.authentication_policy",
                desired(json!({
                    "authentication_policies": { "D.S.NEW": {} },
                    "account": { "authentication_policy": "D.S.NEW" }
                })),
                account(json!({
                    "account_policies": { "authentication_policy": "D.S.OLD" },
                    "authentication_policies": { "D.S.OLD": {}, "D.S.NEW": {} }
                })),
                desired(json!({
                    "authentication_policies": { "D.S.NEW": {} },
                    "account": { "authentication_policy": "D.S.NEW" }
                })),
                account(json!({
                    "authentication_policies": { "D.S.OLD": {}, "D.S.NEW": {} }
                })),
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
                account(
                    json!({ "network_policies": { "ELSEWHERE": { "allowed_network_rule_list": ["D.S.NR"] } } }),
                ),
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
                    json!({ "authentication_policies": { "D.S.OLD": { "absent": true } }, "account": { "authentication_policy": "none" } }),
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
    fn a_pat_session_may_add_a_token_of_its_own_user() {
        // Corrections 11: the docs forbid modify, rotate and remove, not ADD.
        let l = account(
            json!({ "session": { "user": "U", "authentication": "PROGRAMMATIC_ACCESS_TOKEN" } }),
        );
        assert_eq!(run(desired(json!({})), l), vec![]);
    }

    /// Lock-out (Corrections 9): the session at 192.0.2.10, its user D has no policy of its own.
    #[test]
    fn a_network_policy_change_that_excludes_the_session_address_is_refused() {
        let session =
            json!({ "user": "D", "authentication": "KEYPAIR_JWT", "ip_address": "192.0.2.10" });
        let with_session = |patch: Value| account(merge(json!({ "session": session }), patch));
        let lockouts = |d: Value, l: Value| -> Vec<(String, String)> {
            run(d, l)
                .into_iter()
                .filter(|(check, _)| check == "network-policy-lockout")
                .collect()
        };
        let attach = |policy: Value| {
            desired(json!({
                "network_policies": { "ACCT": policy },
                "account": { "network_policy": "ACCT" }
            }))
        };
        // (case, desired, live, expected (check, address) findings)
        type Case = (
            &'static str,
            Value,
            Value,
            Vec<(&'static str, &'static str)>,
        );
        let cases: Vec<Case> = vec![
            (
                "attaching a policy that does not list the address to the account",
                attach(json!({ "allowed_ip_list": ["198.51.100.0/24"] })),
                with_session(json!({})),
                vec![("network-policy-lockout", "account.network_policy")],
            ),
            (
                "attaching one whose rule covers it",
                attach(json!({ "allowed_network_rule_list": ["D.S.NR"] })),
                with_session(json!({})),
                vec![],
            ),
            (
                "blocked wins over allowed",
                attach(
                    json!({ "allowed_network_rule_list": ["D.S.NR"], "blocked_ip_list": ["192.0.2.10"] }),
                ),
                with_session(json!({})),
                vec![("network-policy-lockout", "account.network_policy")],
            ),
            (
                "an IPv6 address with only IPv4 entries is not allowed",
                attach(json!({ "allowed_ip_list": ["0.0.0.0/0"] })),
                account(
                    json!({ "session": { "user": "D", "authentication": "KEYPAIR_JWT", "ip_address": "2001:db8::1" } }),
                ),
                vec![("network-policy-lockout", "account.network_policy")],
            ),
            (
                "altering the account's policy so that it no longer lists the address",
                desired(
                    json!({ "network_policies": { "ACCT": { "allowed_ip_list": ["198.51.100.7"] } } }),
                ),
                with_session(json!({
                    "account_policies": { "network_policy": "ACCT" },
                    "network_policies": { "ACCT": { "allowed_ip_list": ["192.0.2.0/24"] } }
                })),
                vec![("network-policy-lockout", "network_policy.ACCT")],
            ),
            (
                "altering the deployer's own policy",
                desired(
                    json!({ "network_policies": { "MINE": { "allowed_ip_list": ["198.51.100.7"] } } }),
                ),
                with_session(json!({
                    "users": { "D": { "network_policy": "MINE" } },
                    "network_policies": { "MINE": { "allowed_ip_list": ["192.0.2.0/24"] } }
                })),
                vec![("network-policy-lockout", "network_policy.MINE")],
            ),
            (
                "altering a policy that is active for nobody in this session",
                desired(
                    json!({ "network_policies": { "OTHER": { "allowed_ip_list": ["198.51.100.7"] } } }),
                ),
                with_session(
                    json!({ "network_policies": { "OTHER": { "allowed_ip_list": ["192.0.2.0/24"] } } }),
                ),
                vec![],
            ),
            (
                "the session's address is unknown: no finding",
                attach(json!({ "allowed_ip_list": ["198.51.100.0/24"] })),
                account(json!({ "session": { "user": "D", "authentication": "KEYPAIR_JWT" } })),
                vec![],
            ),
        ];
        for (name, d, l, want) in cases {
            let want: Vec<(String, String)> = want
                .into_iter()
                .map(|(c, a)| (c.to_owned(), a.to_owned()))
                .collect();
            assert_eq!(lockouts(d, l), want, "case `{name}`");
        }
        let p = diff(
            &config(attach(json!({ "allowed_ip_list": ["198.51.100.0/24"] }))),
            &live(with_session(json!({}))),
            now(),
            &crate::plan::DiffInputs::default(),
        );
        assert!(p.has_errors());
    }

    #[test]
    fn a_service_agent_needs_no_network_policy_for_its_tokens() {
        let p = diff(
            &config(desired(
                json!({ "users": { "U": { "type": "SERVICE_AGENT", "network_policy": null } } }),
            )),
            &live(account(json!({}))),
            now(),
            &crate::plan::DiffInputs::default(),
        );
        assert!(
            p.diagnostics
                .iter()
                .all(|d| !d.check.starts_with("network-policy-required")),
            "{:?}",
            p.diagnostics
        );
    }

    #[test]
    fn findings_say_what_to_change() {
        let p = diff(
            &config(desired(
                json!({ "users": { "U": { "network_policy": null } } }),
            )),
            &live(account(json!({}))),
            now(),
            &crate::plan::DiffInputs::default(),
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

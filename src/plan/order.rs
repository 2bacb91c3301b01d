//! Ordering: a dependency graph over the changes, sorted topologically with ties broken by
//! address, so equal inputs give byte-identical plans.
//!
//! Edges (DESIGN §4): rules before the policies that use them; policies before the attachments
//! that name them; a user's creation before its grants, attachments and tokens; grants,
//! attachments and every policy change before token creation, rotation and replacement; token
//! removals before token additions of the same user (slots) and before policy drops; detaches
//! before the drop of the policy they detach; policy updates before the drop of a rule they stop
//! using.

use std::collections::{BTreeMap, BTreeSet};

use super::address::Address;
use super::change::{Action, Change};
use crate::model::desired::Config;
use crate::model::live::LiveState;

/// Returns the changes in execution order, each with its `depends_on` filled in.
pub fn order(mut changes: Vec<Change>, desired: &Config, live: &LiveState) -> Vec<Change> {
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    let n = changes.len();
    // Only changes of the same user and account-level changes can be related, except that the
    // drop of a policy waits for user-level changes (detaches, token removals) of any user; so
    // candidates come from those groups rather than from every pair (plans of 10,000 users).
    let mut global = Vec::new();
    let mut before_drops = Vec::new();
    let mut per_user: BTreeMap<&crate::model::Identifier, Vec<usize>> = BTreeMap::new();
    for (i, c) in changes.iter().enumerate() {
        match c.address.user() {
            Some(u) => per_user.entry(u).or_default().push(i),
            None => global.push(i),
        }
        let user_level_before_drop = match c.address {
            Address::Token(..) => c.action == Action::Delete,
            Address::UserNetworkPolicy(_) | Address::UserAuthenticationPolicy(_) => true,
            _ => false,
        };
        if user_level_before_drop {
            before_drops.push(i);
        }
    }
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (i, change) in changes.iter().enumerate() {
        let own = change.address.user().and_then(|u| per_user.get(u));
        let user_level = (change.address.user().is_none() && change.action == Action::Delete)
            .then_some(&before_drops);
        let candidates = global
            .iter()
            .chain(own.into_iter().flatten())
            .chain(user_level.into_iter().flatten());
        for &j in candidates {
            if i != j && depends(change, &changes[j], desired, live) {
                edges[i].insert(j);
            }
        }
    }
    for (i, deps) in edges.iter().enumerate() {
        let mut addrs: Vec<Address> = deps.iter().map(|j| changes[*j].address.clone()).collect();
        addrs.sort();
        addrs.dedup();
        changes[i].depends_on = addrs;
    }

    // Kahn's algorithm; the ready set is ordered by address (the vector is sorted by address,
    // so index order is address order).
    let mut waiting: Vec<usize> = edges.iter().map(BTreeSet::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, deps) in edges.iter().enumerate() {
        for j in deps {
            dependents[*j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|i| waiting[*i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for d in &dependents[i] {
            waiting[*d] -= 1;
            if waiting[*d] == 0 {
                ready.insert(*d);
            }
        }
    }
    // A cycle would be a bug in `depends`; keep every change rather than lose one.
    let placed: BTreeSet<usize> = order.iter().copied().collect();
    order.extend((0..n).filter(|i| !placed.contains(i)));

    let mut slots: BTreeMap<usize, Change> = changes.into_iter().enumerate().collect();
    order.into_iter().filter_map(|i| slots.remove(&i)).collect()
}

fn is_token_addition(c: &Change) -> bool {
    matches!(c.address, Address::Token(..))
        && matches!(
            c.action,
            Action::Create | Action::Replace | Action::Rotate | Action::Update
        )
}

/// True when `a` must run after `b`.
fn depends(a: &Change, b: &Change, desired: &Config, live: &LiveState) -> bool {
    use Address as A;
    let creates_or_updates =
        |c: &Change| matches!(c.action, Action::Create | Action::Update | Action::Replace);
    match (&a.address, &b.address) {
        // Policies use rules.
        (A::NetworkPolicy(p), A::NetworkRule(r))
            if creates_or_updates(a) && creates_or_updates(b) =>
        {
            desired.network_policies.get(p).is_some_and(|s| {
                s.allowed_network_rule_list.contains(r) || s.blocked_network_rule_list.contains(r)
            })
        }
        // A rule is dropped after the policies stop using it.
        (A::NetworkRule(r), A::NetworkPolicy(p)) if a.action == Action::Delete => {
            live.network_policies.get(p).is_some_and(|l| {
                l.allowed_network_rule_list.contains(r) || l.blocked_network_rule_list.contains(r)
            })
        }
        // Attachments name policies.
        (A::UserNetworkPolicy(_) | A::AccountNetworkPolicy, A::NetworkPolicy(p))
            if creates_or_updates(b) =>
        {
            a.action == Action::Attach && attaches_network_policy(a, p, desired)
        }
        (
            A::UserAuthenticationPolicy(_) | A::AccountAuthenticationPolicy(_),
            A::AuthenticationPolicy(p),
        ) if creates_or_updates(b) => {
            a.action == Action::Attach && attaches_authentication_policy(a, p, desired)
        }
        // Policies are dropped after being detached, and after the tokens that go.
        (A::NetworkPolicy(p), A::UserNetworkPolicy(u)) if a.action == Action::Delete => {
            live.users.get(u).and_then(|l| l.network_policy.as_ref()) == Some(p)
        }
        (A::NetworkPolicy(p), A::AccountNetworkPolicy) if a.action == Action::Delete => {
            live.account_policies.network_policy.as_ref() == Some(p)
        }
        (A::AuthenticationPolicy(p), A::UserAuthenticationPolicy(u))
            if a.action == Action::Delete =>
        {
            live.users
                .get(u)
                .and_then(|l| l.authentication_policy.as_ref())
                == Some(p)
        }
        (A::AuthenticationPolicy(_), A::AccountAuthenticationPolicy(_))
            if a.action == Action::Delete =>
        {
            true
        }
        (A::NetworkPolicy(_) | A::AuthenticationPolicy(_), A::Token(..))
            if a.action == Action::Delete =>
        {
            b.action == Action::Delete
        }
        // Everything of a user comes after the user's creation.
        (
            A::UserRole(u, _)
            | A::UserNetworkPolicy(u)
            | A::UserAuthenticationPolicy(u)
            | A::Token(u, _),
            A::User(v),
        ) => u == v && (b.action == Action::Create || is_token_addition(a)),
        // Tokens come after what they need: grants, attachments, policies, and free slots.
        (
            A::Token(u, _),
            A::UserRole(v, _) | A::UserNetworkPolicy(v) | A::UserAuthenticationPolicy(v),
        ) => u == v && is_token_addition(a),
        (A::Token(..), A::AccountNetworkPolicy | A::AccountAuthenticationPolicy(_)) => {
            is_token_addition(a)
        }
        (A::Token(..), A::NetworkPolicy(_) | A::AuthenticationPolicy(_) | A::NetworkRule(_)) => {
            is_token_addition(a) && creates_or_updates(b)
        }
        (A::Token(u, _), A::Token(v, _)) => {
            u == v && is_token_addition(a) && b.action == Action::Delete
        }
        _ => false,
    }
}

fn attaches_network_policy(
    change: &Change,
    policy: &crate::model::Identifier,
    desired: &Config,
) -> bool {
    match &change.address {
        Address::UserNetworkPolicy(u) => {
            desired.users.get(u).and_then(|s| s.network_policy.as_ref()) == Some(policy)
        }
        Address::AccountNetworkPolicy => {
            desired
                .account
                .as_ref()
                .and_then(|a| a.network_policy.as_ref())
                == Some(policy)
        }
        _ => false,
    }
}

fn attaches_authentication_policy(
    change: &Change,
    policy: &crate::model::ObjectName,
    desired: &Config,
) -> bool {
    use crate::sql::statements::AccountScope;
    match &change.address {
        Address::UserAuthenticationPolicy(u) => {
            desired
                .users
                .get(u)
                .and_then(|s| s.authentication_policy.as_ref())
                == Some(policy)
        }
        Address::AccountAuthenticationPolicy(scope) => {
            let Some(a) = &desired.account else {
                return false;
            };
            let named = match scope {
                AccountScope::All => &a.authentication_policy,
                AccountScope::ServiceUsers => &a.authentication_policy_for_service_users,
                AccountScope::PersonUsers => &a.authentication_policy_for_person_users,
            };
            named.as_ref() == Some(policy)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::plan::render;
    use crate::plan::testkit::{config, live, now};
    use crate::plan::{Plan, diff};

    /// A plan with every kind of dependency: a new rule and the policy using it, a new user
    /// attaching it with a grant and a token, a tombstoned policy attached to a user and to the
    /// account, a tombstoned rule used by an existing policy, and token slots freed and reused.
    fn scenario(desired_keys_reversed: bool, rows_reversed: bool) -> Plan {
        let mut desired = json!({
            "account": { "network_policy": "A_NEW" },
            "network_rules": {
                "Z.Z.NEW_RULE": { "type": "IPV4", "value_list": ["192.0.2.0/24"] },
                "A.A.OLD_RULE": { "absent": true }
            },
            "network_policies": {
                "A_NEW": { "allowed_network_rule_list": ["Z.Z.NEW_RULE"] },
                "B_USES_OLD": { "allowed_ip_list": ["192.0.2.1"] },
                "C_OLD": { "absent": true }
            },
            "authentication_policies": { "A.A.AP": { "authentication_methods": ["PROGRAMMATIC_ACCESS_TOKEN"] } },
            "users": {
                "NEW_USER": {
                    "type": "SERVICE", "roles": ["R"], "network_policy": "A_NEW",
                    "authentication_policy": "A.A.AP",
                    "tokens": { "T": { "role_restriction": "R", "days_to_expiry": 30, "deliver": [{ "file": { "path": "t" } }] } }
                },
                "OLD_USER": {
                    "type": "PERSON", "roles": ["R"],
                    "tokens": { "A_FRESH": { "role_restriction": "R", "days_to_expiry": 30, "deliver": [{ "file": { "path": "a" } }] } }
                }
            }
        });
        if desired_keys_reversed {
            desired = reverse_keys(desired);
        }
        let mut rows = vec![
            json!({ "name": "Z_STALE", "user_name": "OLD_USER", "role_restriction": "R",
                    "expires_at": "2026-12-17T12:00:00Z", "status": "ACTIVE", "created_on": "2026-11-17T12:00:00Z" }),
            json!({ "name": "Y_STALE", "user_name": "OLD_USER",
                    "expires_at": "2026-12-17T12:00:00Z", "status": "DISABLED", "created_on": "2026-11-17T12:00:00Z" }),
        ];
        if rows_reversed {
            rows.reverse();
        }
        let state = json!({
            "roles": ["R"],
            "account_policies": { "network_policy": "C_OLD" },
            "network_rules": { "A.A.OLD_RULE": { "rule_type": "IPV4", "mode": "INGRESS", "value_list": ["192.0.2.9"] } },
            "network_policies": {
                "B_USES_OLD": { "allowed_network_rule_list": ["A.A.OLD_RULE"], "allowed_ip_list": ["192.0.2.1"] },
                "C_OLD": { "attachments": [{ "domain": "USER", "name": "OLD_USER" }, { "domain": "ACCOUNT", "name": "SANDBOX" }] }
            },
            "users": { "OLD_USER": { "user_type": "PERSON", "roles": ["R"], "network_policy": "C_OLD", "tokens": rows } }
        });
        diff(
            &config(desired),
            &live(state),
            now(),
            &crate::plan::DiffInputs::default(),
        )
    }

    fn reverse_keys(v: Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.reverse();
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k, reverse_keys(v)))
                        .collect(),
                )
            }
            other => other,
        }
    }

    fn position(plan: &Plan, address: &str) -> usize {
        plan.changes
            .iter()
            .position(|c| c.address.to_string() == address)
            .unwrap_or_else(|| panic!("{address} is not in the plan"))
    }

    fn depends_on(plan: &Plan, address: &str) -> Vec<String> {
        plan.changes[position(plan, address)]
            .depends_on
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_change_comes_after_what_it_depends_on() {
        let plan = scenario(false, false);
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        for (i, c) in plan.changes.iter().enumerate() {
            for d in &c.depends_on {
                assert!(
                    position(&plan, &d.to_string()) < i,
                    "{} runs before {d}, which it depends on",
                    c.address
                );
            }
        }
    }

    #[test]
    fn dependency_edges() {
        let plan = scenario(false, false);
        // (change, must come after)
        let edges = [
            ("network_policy.A_NEW", "network_rule.Z.Z.NEW_RULE"),
            ("account.network_policy", "network_policy.A_NEW"),
            ("network_policy.C_OLD", "account.network_policy"),
            ("network_policy.C_OLD", "user.OLD_USER.network_policy"),
            ("network_rule.A.A.OLD_RULE", "network_policy.B_USES_OLD"),
            ("user.NEW_USER.network_policy", "network_policy.A_NEW"),
            ("user.NEW_USER.network_policy", "user.NEW_USER"),
            (
                "user.NEW_USER.authentication_policy",
                "authentication_policy.A.A.AP",
            ),
            ("user.NEW_USER.role.R", "user.NEW_USER"),
            ("user.NEW_USER.token.T", "user.NEW_USER"),
            ("user.NEW_USER.token.T", "user.NEW_USER.role.R"),
            ("user.NEW_USER.token.T", "user.NEW_USER.network_policy"),
            (
                "user.NEW_USER.token.T",
                "user.NEW_USER.authentication_policy",
            ),
            ("user.NEW_USER.token.T", "account.network_policy"),
            ("user.NEW_USER.token.T", "network_policy.A_NEW"),
            ("user.NEW_USER.token.T", "authentication_policy.A.A.AP"),
            ("user.OLD_USER.token.A_FRESH", "user.OLD_USER.token.Z_STALE"),
            ("user.OLD_USER.token.A_FRESH", "user.OLD_USER.token.Y_STALE"),
            ("network_policy.C_OLD", "user.OLD_USER.token.Z_STALE"),
        ];
        for (later, earlier) in edges {
            assert!(
                depends_on(&plan, later).contains(&earlier.to_owned()),
                "{later} should depend on {earlier}: {:?}",
                depends_on(&plan, later)
            );
            assert!(
                position(&plan, earlier) < position(&plan, later),
                "{earlier} must run before {later}"
            );
        }
    }

    #[test]
    fn ties_break_by_address() {
        let plan = scenario(false, false);
        let order: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
        assert_eq!(
            order,
            [
                "network_rule.Z.Z.NEW_RULE",
                "network_policy.A_NEW",
                "network_policy.B_USES_OLD",
                "network_rule.A.A.OLD_RULE",
                "authentication_policy.A.A.AP",
                "account.network_policy",
                "user.NEW_USER",
                "user.NEW_USER.role.R",
                "user.NEW_USER.network_policy",
                "user.NEW_USER.authentication_policy",
                "user.NEW_USER.token.T",
                "user.OLD_USER.network_policy",
                "user.OLD_USER.token.Y_STALE",
                "user.OLD_USER.token.Z_STALE",
                "network_policy.C_OLD",
                "user.OLD_USER.token.A_FRESH",
            ]
        );
    }

    #[test]
    fn equal_inputs_give_byte_identical_plans() {
        let render = |plan: &Plan| {
            let mut out = Vec::new();
            render::json::render(plan, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let first = render(&scenario(false, false));
        assert_eq!(first, render(&scenario(false, false)));
        assert_eq!(
            first,
            render(&scenario(true, false)),
            "file order changed the plan"
        );
        assert_eq!(
            first,
            render(&scenario(true, true)),
            "SHOW row order changed the plan"
        );
    }
}

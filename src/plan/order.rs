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

//! Diffing account-level and schema-level objects: network rules, network policies,
//! authentication policies, and the account's attachments.

use std::borrow::Cow;

use super::{Cx, attr_list, attr_opt_text, attr_text, comment};
use crate::model::desired::{
    AuthenticationPolicySpec, Config, NetworkPolicySpec, NetworkRuleMode, NetworkRuleSpec,
    NetworkRuleType,
};
use crate::model::live::{
    LiveAuthenticationPolicy, LiveNetworkPolicy, LiveNetworkRule, LivePatPolicy, LiveState,
};
use crate::model::{Identifier, ObjectName, Vocabulary, spellings};
use crate::plan::address::Address;
use crate::plan::change::{Action, AttributeChange, Reason, Statement};
use crate::plan::effective::effective_authentication_policy;
use crate::sql::statements::{
    self as sql, AccountScope, AuthenticationPolicyProperty as Prop,
    AuthenticationPolicySetting as Set, NetworkPolicySetting, PatPolicySql,
};

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

pub(super) fn network_rules(cx: &mut Cx<'_>) {
    for (name, spec) in &cx.desired.network_rules {
        let address = Address::NetworkRule(name.clone());
        let live = cx.live.network_rules.get(name);
        if spec.absent {
            if live.is_some() {
                cx.push(
                    address,
                    Action::Delete,
                    vec![],
                    Reason::Tombstone,
                    vec![Statement::new(sql::drop_network_rule(name))],
                );
            }
            continue;
        }
        let Some(rule_type) = spec.rule_type else {
            continue;
        };
        let mode = spec.mode.unwrap_or_default();
        let create = sql::create_network_rule(
            name,
            rule_type.as_str(),
            mode.as_str(),
            &spec.value_list,
            comment(&spec.comment),
        );
        match live {
            None => cx.push(
                address,
                Action::Create,
                rule_attributes(None, spec, rule_type, mode),
                Reason::NotInAccount,
                vec![Statement::new(create)],
            ),
            Some(l) if !l.rule_type.is(rule_type) || !l.mode.is(mode) => {
                let mut changed = Vec::new();
                if !l.rule_type.is(rule_type) {
                    changed.push("type".to_owned());
                }
                if !l.mode.is(mode) {
                    changed.push("mode".to_owned());
                }
                cx.push(
                    address,
                    Action::Replace,
                    rule_attributes(Some(l), spec, rule_type, mode),
                    Reason::ImmutableChanged {
                        attributes: changed,
                    },
                    vec![
                        Statement::new(sql::drop_network_rule(name)),
                        Statement::new(create),
                    ],
                );
            }
            Some(l) => {
                let values_differ = sorted(&l.value_list) != sorted(&spec.value_list);
                let (want_comment, have_comment) = (comment(&spec.comment), comment(&l.comment));
                if !values_differ && want_comment == have_comment {
                    continue;
                }
                let mut statements = Vec::new();
                // `SET` always carries `VALUE_LIST` (the grammar requires it), so a new comment
                // restates the declared values.
                let set_comment = want_comment.filter(|c| have_comment != Some(*c));
                if set_comment.is_some() || (values_differ && !spec.value_list.is_empty()) {
                    statements.push(Statement::new(sql::alter_network_rule_set(
                        name,
                        &spec.value_list,
                        set_comment,
                    )));
                } else if values_differ {
                    statements.push(Statement::new(sql::alter_network_rule_unset(
                        name,
                        sql::NetworkRuleProperty::ValueList,
                    )));
                }
                if want_comment.is_none() && have_comment.is_some() {
                    statements.push(Statement::new(sql::alter_network_rule_unset(
                        name,
                        sql::NetworkRuleProperty::Comment,
                    )));
                }
                let attributes = rule_attributes(Some(l), spec, rule_type, mode)
                    .into_iter()
                    .filter(|a| a.before != a.after)
                    .collect();
                cx.push(
                    address,
                    Action::Update,
                    attributes,
                    Reason::Drifted,
                    statements,
                );
            }
        }
    }
}

fn rule_attributes(
    live: Option<&LiveNetworkRule>,
    spec: &NetworkRuleSpec,
    rule_type: NetworkRuleType,
    mode: NetworkRuleMode,
) -> Vec<AttributeChange> {
    vec![
        attr_text(
            "type",
            live.map(|l| l.rule_type.as_str()),
            Some(rule_type.as_str()),
        ),
        attr_text("mode", live.map(|l| l.mode.as_str()), Some(mode.as_str())),
        attr_list(
            "value_list",
            live.map(|l| l.value_list.clone()),
            Some(spec.value_list.clone()),
        ),
        attr_opt_text(
            "comment",
            live.map(|l| comment(&l.comment)),
            Some(comment(&spec.comment)),
        ),
    ]
    .into_iter()
    .filter(|a| live.is_some() || a.after.is_some())
    .collect()
}

pub(super) fn network_policies(cx: &mut Cx<'_>) {
    for (name, spec) in &cx.desired.network_policies {
        let address = Address::NetworkPolicy(name.clone());
        let live = cx.live.network_policies.get(name);
        if spec.absent {
            if live.is_some() {
                cx.push(
                    address,
                    Action::Delete,
                    vec![],
                    Reason::Tombstone,
                    vec![Statement::new(sql::drop_network_policy(name))],
                );
            }
            continue;
        }
        match live {
            None => {
                let settings = network_policy_settings(spec, None);
                let attributes = network_policy_attributes(None, spec);
                cx.push(
                    address,
                    Action::Create,
                    attributes,
                    Reason::NotInAccount,
                    vec![Statement::new(sql::create_network_policy(name, &settings))],
                );
            }
            Some(l) => {
                let settings = network_policy_settings(spec, Some(l));
                let unset = network_policy_unsets(spec, l);
                if settings.is_empty() && unset.is_empty() {
                    continue;
                }
                let mut statements = Vec::new();
                if !settings.is_empty() {
                    statements.push(Statement::new(sql::alter_network_policy_set(
                        name, &settings,
                    )));
                }
                if !unset.is_empty() {
                    statements.push(Statement::new(sql::alter_network_policy_unset(
                        name, &unset,
                    )));
                }
                let attributes = network_policy_attributes(Some(l), spec)
                    .into_iter()
                    .filter(|a| a.before != a.after)
                    .collect();
                cx.push(
                    address,
                    Action::Update,
                    attributes,
                    Reason::Drifted,
                    statements,
                );
            }
        }
    }
}

/// What `UNSET` clears: a rule list the file empties (the rule-list grammar has no empty list;
/// `UNSET` of a list is what the Terraform provider runs against real accounts) and a comment
/// the file drops.
fn network_policy_unsets(
    spec: &NetworkPolicySpec,
    live: &LiveNetworkPolicy,
) -> Vec<sql::NetworkPolicyProperty> {
    let mut out = Vec::new();
    if spec.allowed_network_rule_list.is_empty() && !live.allowed_network_rule_list.is_empty() {
        out.push(sql::NetworkPolicyProperty::AllowedNetworkRuleList);
    }
    if spec.blocked_network_rule_list.is_empty() && !live.blocked_network_rule_list.is_empty() {
        out.push(sql::NetworkPolicyProperty::BlockedNetworkRuleList);
    }
    if comment(&spec.comment).is_none() && comment(&live.comment).is_some() {
        out.push(sql::NetworkPolicyProperty::Comment);
    }
    out
}

/// The SET clauses that bring `live` to `spec` (every non-empty one when creating).
fn network_policy_settings(
    spec: &NetworkPolicySpec,
    live: Option<&LiveNetworkPolicy>,
) -> Vec<NetworkPolicySetting> {
    let mut out = Vec::new();
    // An emptied rule list is unset instead (`network_policy_unsets`).
    let differs_rules = |want: &[ObjectName], have: Option<&Vec<ObjectName>>| match have {
        None => !want.is_empty(),
        Some(h) => !want.is_empty() && sorted(want) != sorted(h),
    };
    let differs_ips = |want: &[String], have: Option<&Vec<String>>| match have {
        None => !want.is_empty(),
        Some(h) => sorted(want) != sorted(h),
    };
    if differs_rules(
        &spec.allowed_network_rule_list,
        live.map(|l| &l.allowed_network_rule_list),
    ) {
        out.push(NetworkPolicySetting::AllowedNetworkRuleList(
            spec.allowed_network_rule_list.clone(),
        ));
    }
    if differs_rules(
        &spec.blocked_network_rule_list,
        live.map(|l| &l.blocked_network_rule_list),
    ) {
        out.push(NetworkPolicySetting::BlockedNetworkRuleList(
            spec.blocked_network_rule_list.clone(),
        ));
    }
    if differs_ips(&spec.allowed_ip_list, live.map(|l| &l.allowed_ip_list)) {
        out.push(NetworkPolicySetting::AllowedIpList(
            spec.allowed_ip_list.clone(),
        ));
    }
    if differs_ips(&spec.blocked_ip_list, live.map(|l| &l.blocked_ip_list)) {
        out.push(NetworkPolicySetting::BlockedIpList(
            spec.blocked_ip_list.clone(),
        ));
    }
    if let Some(c) = comment(&spec.comment) {
        if live.is_none_or(|l| comment(&l.comment) != Some(c)) {
            out.push(NetworkPolicySetting::Comment(c.to_owned()));
        }
    }
    out
}

fn names(v: &[ObjectName]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

fn network_policy_attributes(
    live: Option<&LiveNetworkPolicy>,
    spec: &NetworkPolicySpec,
) -> Vec<AttributeChange> {
    let opt_list = |v: Vec<String>| (!v.is_empty()).then_some(v);
    let list = |name: &str, before: Option<Vec<String>>, after: Vec<String>| {
        attr_list(name, before.and_then(opt_list), opt_list(after))
    };
    vec![
        list(
            "allowed_network_rule_list",
            live.map(|l| names(&l.allowed_network_rule_list)),
            names(&spec.allowed_network_rule_list),
        ),
        list(
            "blocked_network_rule_list",
            live.map(|l| names(&l.blocked_network_rule_list)),
            names(&spec.blocked_network_rule_list),
        ),
        list(
            "allowed_ip_list",
            live.map(|l| l.allowed_ip_list.clone()),
            spec.allowed_ip_list.clone(),
        ),
        list(
            "blocked_ip_list",
            live.map(|l| l.blocked_ip_list.clone()),
            spec.blocked_ip_list.clone(),
        ),
        attr_opt_text(
            "comment",
            live.map(|l| comment(&l.comment)),
            Some(comment(&spec.comment)),
        ),
    ]
    .into_iter()
    .filter(|a| a.before.is_some() || a.after.is_some())
    .collect()
}

fn pat_sql(p: &LivePatPolicy) -> PatPolicySql {
    PatPolicySql {
        default_expiry_in_days: p.default_expiry_in_days,
        max_expiry_in_days: p.max_expiry_in_days,
        network_policy_evaluation: p.network_policy_evaluation.as_str().to_owned(),
        require_role_restriction_for_service_users: p.require_role_restriction_for_service_users,
        require_role_restriction_for_person_users: p.require_role_restriction_for_person_users,
        blocked_roles_list: p.blocked_roles_list.clone(),
    }
}

/// A nested property as one line per sub-property, so that the plan shows a line diff.
fn pat_lines(p: &LivePatPolicy) -> Vec<String> {
    let blocked: Vec<&str> = p
        .blocked_roles_list
        .iter()
        .map(Identifier::as_str)
        .collect();
    vec![
        format!("default_expiry_in_days={}", p.default_expiry_in_days),
        format!("max_expiry_in_days={}", p.max_expiry_in_days),
        format!("network_policy_evaluation={}", p.network_policy_evaluation),
        format!(
            "require_role_restriction_for_service_users={}",
            p.require_role_restriction_for_service_users
        ),
        format!(
            "require_role_restriction_for_person_users={}",
            p.require_role_restriction_for_person_users
        ),
        format!("blocked_roles_list=[{}]", blocked.join(", ")),
    ]
}

/// One property's comparison: whether it differs, the SET clause, the UNSET property when the
/// file leaves it to Snowflake's default, and the attribute diff.
struct PropertyDiff {
    differs: bool,
    set: Set,
    declared: bool,
    /// UNSET the property before the SET (a nested list the file no longer declares).
    reset_first: bool,
    unset: Prop,
    attribute: AttributeChange,
}

fn property_diffs(
    spec: &AuthenticationPolicySpec,
    want: &LiveAuthenticationPolicy,
    have: &LiveAuthenticationPolicy,
) -> Vec<PropertyDiff> {
    let list_differs = |a: &[String], b: &[String]| sorted(a) != sorted(b);
    let mfa_lines = |m: &crate::model::live::LiveMfaPolicy| {
        vec![
            format!("allowed_methods=[{}]", m.allowed_methods.join(", ")),
            format!(
                "enforce_mfa_on_external_authentication={}",
                m.enforce_mfa_on_external_authentication
            ),
        ]
    };
    let wip_lines = |w: &crate::model::live::LiveWorkloadIdentityPolicy| {
        vec![
            format!("allowed_providers=[{}]", w.allowed_providers.join(", ")),
            format!(
                "allowed_aws_accounts=[{}]",
                w.allowed_aws_accounts.join(", ")
            ),
            format!(
                "allowed_azure_issuers=[{}]",
                w.allowed_azure_issuers.join(", ")
            ),
            format!(
                "allowed_oidc_issuers=[{}]",
                w.allowed_oidc_issuers.join(", ")
            ),
        ]
    };
    let client_policy_text = |m: &std::collections::BTreeMap<String, String>| {
        m.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
    };
    let w = &want.workload_identity_policy;
    let h = &have.workload_identity_policy;
    let wip_declared = |f: fn(&crate::model::desired::WorkloadIdentityPolicy) -> bool| {
        spec.workload_identity_policy.as_ref().is_some_and(f)
    };
    vec![
        PropertyDiff {
            differs: sorted(&want.authentication_methods) != sorted(&have.authentication_methods),
            set: Set::AuthenticationMethods(spellings(&want.authentication_methods)),
            declared: spec.authentication_methods.is_some(),
            reset_first: false,
            unset: Prop::AuthenticationMethods,
            attribute: attr_list(
                "authentication_methods",
                Some(spellings(&have.authentication_methods)),
                Some(spellings(&want.authentication_methods)),
            ),
        },
        PropertyDiff {
            differs: sorted(&want.client_types) != sorted(&have.client_types),
            set: Set::ClientTypes(spellings(&want.client_types)),
            declared: spec.client_types.is_some(),
            reset_first: false,
            unset: Prop::ClientTypes,
            attribute: attr_list(
                "client_types",
                Some(spellings(&have.client_types)),
                Some(spellings(&want.client_types)),
            ),
        },
        PropertyDiff {
            differs: want.client_policy != have.client_policy,
            set: Set::ClientPolicy(want.client_policy.clone()),
            declared: spec.client_policy.is_some(),
            reset_first: false,
            unset: Prop::ClientPolicy,
            attribute: attr_list(
                "client_policy",
                Some(client_policy_text(&have.client_policy)),
                Some(client_policy_text(&want.client_policy)),
            ),
        },
        PropertyDiff {
            differs: list_differs(&want.security_integrations, &have.security_integrations),
            set: Set::SecurityIntegrations(want.security_integrations.clone()),
            declared: spec.security_integrations.is_some(),
            reset_first: false,
            unset: Prop::SecurityIntegrations,
            attribute: attr_list(
                "security_integrations",
                Some(have.security_integrations.clone()),
                Some(want.security_integrations.clone()),
            ),
        },
        PropertyDiff {
            differs: want.mfa_enrollment != have.mfa_enrollment,
            set: Set::MfaEnrollment(want.mfa_enrollment.as_str().to_owned()),
            declared: spec.mfa_enrollment.is_some(),
            reset_first: false,
            unset: Prop::MfaEnrollment,
            attribute: attr_text(
                "mfa_enrollment",
                Some(have.mfa_enrollment.as_str()),
                Some(want.mfa_enrollment.as_str()),
            ),
        },
        PropertyDiff {
            differs: list_differs(
                &want.mfa_policy.allowed_methods,
                &have.mfa_policy.allowed_methods,
            ) || want.mfa_policy.enforce_mfa_on_external_authentication
                != have.mfa_policy.enforce_mfa_on_external_authentication,
            set: Set::MfaPolicy {
                allowed_methods: want.mfa_policy.allowed_methods.clone(),
                enforce_mfa_on_external_authentication: want
                    .mfa_policy
                    .enforce_mfa_on_external_authentication
                    .clone(),
            },
            declared: spec.mfa_policy.is_some(),
            reset_first: false,
            unset: Prop::MfaPolicy,
            attribute: attr_list(
                "mfa_policy",
                Some(mfa_lines(&have.mfa_policy)),
                Some(mfa_lines(&want.mfa_policy)),
            ),
        },
        PropertyDiff {
            differs: pat_differs(&want.pat_policy, &have.pat_policy),
            set: Set::PatPolicy(pat_sql(&want.pat_policy)),
            declared: spec.pat_policy.is_some(),
            reset_first: false,
            unset: Prop::PatPolicy,
            attribute: attr_list(
                "pat_policy",
                Some(pat_lines(&have.pat_policy)),
                Some(pat_lines(&want.pat_policy)),
            ),
        },
        PropertyDiff {
            differs: list_differs(&w.allowed_providers, &h.allowed_providers)
                || list_differs(&w.allowed_aws_accounts, &h.allowed_aws_accounts)
                || list_differs(&w.allowed_azure_issuers, &h.allowed_azure_issuers)
                || list_differs(&w.allowed_oidc_issuers, &h.allowed_oidc_issuers),
            set: Set::WorkloadIdentityPolicy {
                allowed_providers: wip_declared(|s| s.allowed_providers.is_some())
                    .then(|| w.allowed_providers.clone()),
                allowed_aws_accounts: wip_declared(|s| s.allowed_aws_accounts.is_some())
                    .then(|| w.allowed_aws_accounts.clone()),
                allowed_azure_issuers: wip_declared(|s| s.allowed_azure_issuers.is_some())
                    .then(|| w.allowed_azure_issuers.clone()),
                allowed_oidc_issuers: wip_declared(|s| s.allowed_oidc_issuers.is_some())
                    .then(|| w.allowed_oidc_issuers.clone()),
            },
            // `workload_identity_policy: {}` declares no list: it is the default, an UNSET.
            declared: wip_declared(|s| {
                s.allowed_providers.is_some()
                    || s.allowed_aws_accounts.is_some()
                    || s.allowed_azure_issuers.is_some()
                    || s.allowed_oidc_issuers.is_some()
            }),
            // SET merges sub-lists (as far as anyone can tell: the docs are silent and the
            // sandbox follows Terraform's partial updates), so a list the file leaves out but
            // the account has set is cleared by an UNSET of the whole property first.
            reset_first: {
                let dw = LiveAuthenticationPolicy::default().workload_identity_policy;
                let undeclared_set = |declared: bool, have: &[String], default: &[String]| {
                    !declared && list_differs(have, default)
                };
                undeclared_set(
                    wip_declared(|s| s.allowed_providers.is_some()),
                    &h.allowed_providers,
                    &dw.allowed_providers,
                ) || undeclared_set(
                    wip_declared(|s| s.allowed_aws_accounts.is_some()),
                    &h.allowed_aws_accounts,
                    &dw.allowed_aws_accounts,
                ) || undeclared_set(
                    wip_declared(|s| s.allowed_azure_issuers.is_some()),
                    &h.allowed_azure_issuers,
                    &dw.allowed_azure_issuers,
                ) || undeclared_set(
                    wip_declared(|s| s.allowed_oidc_issuers.is_some()),
                    &h.allowed_oidc_issuers,
                    &dw.allowed_oidc_issuers,
                )
            },
            unset: Prop::WorkloadIdentityPolicy,
            attribute: attr_list(
                "workload_identity_policy",
                Some(wip_lines(h)),
                Some(wip_lines(w)),
            ),
        },
        PropertyDiff {
            differs: comment(&want.comment) != comment(&have.comment),
            set: Set::Comment(want.comment.clone().unwrap_or_default()),
            declared: comment(&spec.comment).is_some(),
            reset_first: false,
            unset: Prop::Comment,
            attribute: attr_opt_text(
                "comment",
                Some(comment(&have.comment)),
                Some(comment(&want.comment)),
            ),
        },
    ]
}

fn pat_differs(a: &LivePatPolicy, b: &LivePatPolicy) -> bool {
    let mut a = a.clone();
    let mut b = b.clone();
    a.blocked_roles_list.sort();
    b.blocked_roles_list.sort();
    a != b
}

pub(super) fn authentication_policies(cx: &mut Cx<'_>) {
    for (name, spec) in &cx.desired.authentication_policies {
        let address = Address::AuthenticationPolicy(name.clone());
        let live = cx.live.authentication_policies.get(name);
        if spec.absent {
            if live.is_some() {
                cx.push(
                    address,
                    Action::Delete,
                    vec![],
                    Reason::Tombstone,
                    vec![Statement::new(sql::drop_authentication_policy(name))],
                );
            }
            continue;
        }
        let want = effective_authentication_policy(spec);
        match live {
            None => {
                let defaults = LiveAuthenticationPolicy::default();
                let diffs = property_diffs(spec, &want, &defaults);
                let settings: Vec<Set> = diffs
                    .iter()
                    .filter(|d| d.declared)
                    .map(|d| d.set.clone())
                    .collect();
                let attributes = diffs
                    .into_iter()
                    .filter(|d| d.declared)
                    .map(|d| AttributeChange {
                        before: None,
                        ..d.attribute
                    })
                    .collect();
                cx.push(
                    address,
                    Action::Create,
                    attributes,
                    Reason::NotInAccount,
                    vec![Statement::new(sql::create_authentication_policy(
                        name, &settings,
                    ))],
                );
            }
            Some(have) => {
                let diffs: Vec<PropertyDiff> = property_diffs(spec, &want, have)
                    .into_iter()
                    .filter(|d| d.differs)
                    .collect();
                if diffs.is_empty() {
                    continue;
                }
                let settings: Vec<Set> = diffs
                    .iter()
                    .filter(|d| d.declared)
                    .map(|d| d.set.clone())
                    .collect();
                let mut statements = Vec::new();
                for d in diffs.iter().filter(|d| d.declared && d.reset_first) {
                    statements.push(Statement::new(sql::alter_authentication_policy_unset(
                        name, d.unset,
                    )));
                }
                if !settings.is_empty() {
                    statements.push(Statement::new(sql::alter_authentication_policy_set(
                        name, &settings,
                    )));
                }
                for d in diffs.iter().filter(|d| !d.declared) {
                    statements.push(Statement::new(sql::alter_authentication_policy_unset(
                        name, d.unset,
                    )));
                }
                let attributes = diffs.into_iter().map(|d| d.attribute).collect();
                cx.push(
                    address,
                    Action::Update,
                    attributes,
                    Reason::Drifted,
                    statements,
                );
            }
        }
    }
}

/// The account section: attachments at account level, only when the file has `account:`.
/// The file with its `account:` section resolved against the live account: a key the file leaves
/// out keeps what is attached, so that every later step reads "what is attached after apply".
pub(super) fn resolve_account<'a>(file: &'a Config, live: &LiveState) -> Cow<'a, Config> {
    match &file.account {
        Some(spec) => {
            let mut resolved = file.clone();
            resolved.account = Some(spec.resolved(&live.account_policies));
            Cow::Owned(resolved)
        }
        None => Cow::Borrowed(file),
    }
}

/// Account-level attachments, on a resolved section ([`resolve_account`]). Detaching or replacing
/// an attachment is destructive: it changes who may connect to the whole account.
pub(super) fn account(cx: &mut Cx<'_>) {
    let Some(spec) = &cx.desired.account else {
        // Without an `account:` section the account is never changed, except to detach a
        // policy the file drops (preflight reports that case instead).
        return;
    };
    let live = cx.live.account_policies.clone();
    match (&live.network_policy, &spec.network_policy) {
        (have, Some(want)) if have.as_ref() != Some(want) => push_account(
            cx,
            Address::AccountNetworkPolicy,
            Action::Attach,
            have.is_some(),
            attr_opt_text(
                "network_policy",
                Some(have.as_ref().map(Identifier::as_str)),
                Some(Some(want.as_str())),
            ),
            Statement::new(sql::alter_account_set_network_policy(want)),
        ),
        (Some(have), None) => push_account(
            cx,
            Address::AccountNetworkPolicy,
            Action::Detach,
            true,
            attr_opt_text("network_policy", Some(Some(have.as_str())), Some(None)),
            Statement::new(sql::alter_account_unset_network_policy()),
        ),
        _ => {}
    }
    for (scope, have, want) in [
        (
            AccountScope::All,
            &live.authentication_policy,
            &spec.authentication_policy,
        ),
        (
            AccountScope::ServiceUsers,
            &live.authentication_policy_for_service_users,
            &spec.authentication_policy_for_service_users,
        ),
        (
            AccountScope::PersonUsers,
            &live.authentication_policy_for_person_users,
            &spec.authentication_policy_for_person_users,
        ),
    ] {
        let address = Address::AccountAuthenticationPolicy(scope);
        let text = |n: &Option<ObjectName>| n.as_ref().map(ToString::to_string);
        let attribute = attr_opt_text(
            "authentication_policy",
            Some(text(have).as_deref()),
            Some(text(want).as_deref()),
        );
        match (have, want) {
            (h, Some(w)) if h.as_ref() != Some(w) => push_account(
                cx,
                address,
                Action::Attach,
                h.is_some(),
                attribute,
                Statement::new(sql::alter_account_set_authentication_policy(
                    w,
                    scope,
                    h.is_some(),
                )),
            ),
            (Some(_), None) => push_account(
                cx,
                address,
                Action::Detach,
                true,
                attribute,
                Statement::new(sql::alter_account_unset_authentication_policy(scope)),
            ),
            _ => {}
        }
    }
}

/// Pushes an account-level attachment change; `removes` when it takes away what is attached
/// (a detach, or an attach that replaces another policy), which makes it destructive.
fn push_account(
    cx: &mut Cx<'_>,
    address: Address,
    action: Action,
    removes: bool,
    attribute: AttributeChange,
    statement: Statement,
) {
    cx.push(
        address,
        action,
        vec![attribute],
        Reason::AttachmentDiffers,
        vec![statement],
    );
    if let Some(change) = cx.changes.last_mut() {
        change.destructive = removes;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::plan::Action::{Attach, Create, Delete, Detach, Replace, Update};
    use crate::plan::diff;
    use crate::plan::testkit::{Seen, change, config, live, now, seen};

    fn plan(desired: Value, state: Value) -> Vec<Seen> {
        seen(&diff(
            &config(desired),
            &live(state),
            now(),
            &crate::plan::DiffInputs::default(),
        ))
    }

    const RULE: &str = "network_rule.D.S.R";

    fn rule_sql(tail: &str) -> String {
        format!(r#"ALTER NETWORK RULE "D"."S"."R" {tail}"#)
    }

    #[test]
    fn network_rules() {
        let declared = |patch: Value| {
            let mut rule = json!({ "type": "IPV4", "mode": "INGRESS", "value_list": ["10.0.0.0/8", "192.0.2.1"] });
            if let (Some(r), Some(p)) = (rule.as_object_mut(), patch.as_object()) {
                r.extend(p.clone());
            }
            json!({ "network_rules": { "D.S.R": rule } })
        };
        let existing = |patch: Value| {
            let mut rule = json!({ "rule_type": "IPV4", "mode": "INGRESS", "value_list": ["10.0.0.0/8", "192.0.2.1"] });
            if let (Some(r), Some(p)) = (rule.as_object_mut(), patch.as_object()) {
                r.extend(p.clone());
            }
            json!({ "network_rules": { "D.S.R": rule } })
        };
        let create = r#"CREATE NETWORK RULE "D"."S"."R" TYPE = IPV4 VALUE_LIST = ('10.0.0.0/8', '192.0.2.1') MODE = INGRESS"#;
        let cases: Vec<(&str, Value, Value, Vec<Seen>)> = vec![
            (
                "missing: CREATE",
                declared(json!({})),
                json!({}),
                vec![change(Create, RULE, &[create])],
            ),
            (
                "mode defaults to INGRESS and a comment is created with the rule",
                declared(json!({ "mode": null, "comment": "gateways" })),
                json!({}),
                vec![change(
                    Create,
                    RULE,
                    &[&format!("{create} COMMENT = 'gateways'")],
                )],
            ),
            (
                "in sync: nothing",
                declared(json!({})),
                existing(json!({})),
                vec![],
            ),
            (
                "value order does not churn",
                declared(json!({ "value_list": ["192.0.2.1", "10.0.0.0/8"] })),
                existing(json!({})),
                vec![],
            ),
            (
                "type change: replace (DROP, then CREATE)",
                declared(json!({ "type": "IPV6", "value_list": ["2001:db8::/32"] })),
                existing(json!({})),
                vec![change(
                    Replace,
                    RULE,
                    &[
                        r#"DROP NETWORK RULE "D"."S"."R""#,
                        r#"CREATE NETWORK RULE "D"."S"."R" TYPE = IPV6 VALUE_LIST = ('2001:db8::/32') MODE = INGRESS"#,
                    ],
                )],
            ),
            (
                "mode change: replace",
                declared(json!({ "mode": "INTERNAL_STAGE" })),
                existing(json!({})),
                vec![change(
                    Replace,
                    RULE,
                    &[
                        r#"DROP NETWORK RULE "D"."S"."R""#,
                        r#"CREATE NETWORK RULE "D"."S"."R" TYPE = IPV4 VALUE_LIST = ('10.0.0.0/8', '192.0.2.1') MODE = INTERNAL_STAGE"#,
                    ],
                )],
            ),
            (
                "value_list change: update in place",
                declared(json!({ "value_list": ["10.0.0.0/8"] })),
                existing(json!({})),
                vec![change(
                    Update,
                    RULE,
                    &[&rule_sql("SET VALUE_LIST = ('10.0.0.0/8')")],
                )],
            ),
            (
                "comment change: SET restates VALUE_LIST, which the grammar requires",
                declared(json!({ "comment": "new" })),
                existing(json!({ "comment": "old" })),
                vec![change(
                    Update,
                    RULE,
                    &[&rule_sql(
                        "SET VALUE_LIST = ('10.0.0.0/8', '192.0.2.1') COMMENT = 'new'",
                    )],
                )],
            ),
            (
                "comment dropped: UNSET COMMENT",
                declared(json!({})),
                existing(json!({ "comment": "old" })),
                vec![change(Update, RULE, &[&rule_sql("UNSET COMMENT")])],
            ),
            (
                "value_list emptied: UNSET VALUE_LIST",
                declared(json!({ "value_list": [] })),
                existing(json!({})),
                vec![change(Update, RULE, &[&rule_sql("UNSET VALUE_LIST")])],
            ),
            (
                "tombstone of an existing rule: DROP",
                json!({ "network_rules": { "D.S.R": { "absent": true } } }),
                existing(json!({})),
                vec![change(Delete, RULE, &[r#"DROP NETWORK RULE "D"."S"."R""#])],
            ),
            (
                "tombstone of a missing rule: nothing",
                json!({ "network_rules": { "D.S.R": { "absent": true } } }),
                json!({}),
                vec![],
            ),
            (
                "an undeclared rule is untouched",
                json!({}),
                existing(json!({})),
                vec![],
            ),
        ];
        for (name, desired, state, want) in cases {
            assert_eq!(plan(desired, state), want, "case `{name}`");
        }
    }

    #[test]
    fn network_policies() {
        let np = "network_policy.NP";
        let declared = |p: Value| json!({ "network_policies": { "NP": p } });
        let existing = |p: Value| json!({ "network_policies": { "NP": p } });
        let alter = |tail: &str| format!(r#"ALTER NETWORK POLICY "NP" {tail}"#);
        let cases: Vec<(&str, Value, Value, Vec<Seen>)> = vec![
            (
                "missing: CREATE with every declared list and the comment",
                declared(json!({
                    "allowed_network_rule_list": ["SNOWFLAKE.NETWORK_SECURITY.GITHUBACTIONS_GLOBAL"],
                    "allowed_ip_list": ["192.0.2.0/24"], "blocked_ip_list": ["192.0.2.7"],
                    "comment": "ci"
                })),
                json!({ "network_rules": { "SNOWFLAKE.NETWORK_SECURITY.GITHUBACTIONS_GLOBAL": { "rule_type": "IPV4", "mode": "INGRESS" } } }),
                vec![change(
                    Create,
                    np,
                    &[
                        r#"CREATE NETWORK POLICY "NP" ALLOWED_NETWORK_RULE_LIST = ("SNOWFLAKE"."NETWORK_SECURITY"."GITHUBACTIONS_GLOBAL") ALLOWED_IP_LIST = ('192.0.2.0/24') BLOCKED_IP_LIST = ('192.0.2.7') COMMENT = 'ci'"#,
                    ],
                )],
            ),
            (
                "list order does not churn",
                declared(json!({ "allowed_ip_list": ["192.0.2.1", "192.0.2.2"] })),
                existing(json!({ "allowed_ip_list": ["192.0.2.2", "192.0.2.1"] })),
                vec![],
            ),
            (
                "a changed list is SET whole (SET replaces lists)",
                declared(json!({ "allowed_ip_list": ["192.0.2.1"], "comment": "c" })),
                existing(json!({ "allowed_ip_list": ["192.0.2.2"], "comment": "c" })),
                vec![change(
                    Update,
                    np,
                    &[&alter("SET ALLOWED_IP_LIST = ('192.0.2.1')")],
                )],
            ),
            (
                "an emptied IP list is SET to ()",
                declared(json!({})),
                existing(json!({ "blocked_ip_list": ["192.0.2.2"] })),
                vec![change(Update, np, &[&alter("SET BLOCKED_IP_LIST = ()")])],
            ),
            (
                "an emptied rule list and a dropped comment are UNSET together",
                declared(json!({})),
                existing(json!({
                    "allowed_network_rule_list": ["D.S.R"], "blocked_network_rule_list": ["D.S.R2"],
                    "comment": "old"
                })),
                vec![change(
                    Update,
                    np,
                    &[&alter(
                        "UNSET ALLOWED_NETWORK_RULE_LIST, BLOCKED_NETWORK_RULE_LIST, COMMENT",
                    )],
                )],
            ),
            (
                "tombstone: DROP",
                declared(json!({ "absent": true })),
                existing(json!({})),
                vec![change(Delete, np, &[r#"DROP NETWORK POLICY "NP""#])],
            ),
            (
                "an undeclared policy is untouched",
                json!({}),
                existing(json!({ "allowed_ip_list": ["192.0.2.2"] })),
                vec![],
            ),
        ];
        for (name, desired, state, want) in cases {
            assert_eq!(plan(desired, state), want, "case `{name}`");
        }
    }

    #[test]
    fn rules_are_created_before_the_policies_that_use_them() {
        let got = plan(
            json!({
                "network_rules": { "A.A.Z_RULE": { "type": "IPV4", "value_list": ["192.0.2.0/24"] } },
                "network_policies": { "AAA": { "allowed_network_rule_list": ["A.A.Z_RULE"] } }
            }),
            json!({}),
        );
        let order: Vec<&str> = got.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(order, ["network_rule.A.A.Z_RULE", "network_policy.AAA"]);
    }

    #[test]
    fn authentication_policies() {
        let ap = "authentication_policy.D.S.AP";
        let declared = |p: Value| json!({ "authentication_policies": { "D.S.AP": p } });
        let existing = |p: Value| json!({ "authentication_policies": { "D.S.AP": p } });
        let alter = |tail: &str| format!(r#"ALTER AUTHENTICATION POLICY "D"."S"."AP" {tail}"#);
        let full_pat = "PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = 30 MAX_EXPIRY_IN_DAYS = 90 NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS = TRUE REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS = FALSE BLOCKED_ROLES_LIST = (\"ACCOUNTADMIN\"))";
        let cases: Vec<(&str, Value, Value, Vec<Seen>)> = vec![
            (
                "missing: CREATE with the declared properties only",
                declared(json!({
                    "authentication_methods": ["PROGRAMMATIC_ACCESS_TOKEN", "KEYPAIR"],
                    "pat_policy": { "default_expiry_in_days": 30, "max_expiry_in_days": 90, "blocked_roles_list": ["ACCOUNTADMIN"] },
                    "comment": "pats"
                })),
                json!({}),
                vec![change(
                    Create,
                    ap,
                    &[&format!(
                        r#"CREATE AUTHENTICATION POLICY "D"."S"."AP" AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN', 'KEYPAIR') {full_pat} COMMENT = 'pats'"#
                    )],
                )],
            ),
            (
                "defaults on both sides: nothing",
                declared(json!({})),
                existing(json!({})),
                vec![],
            ),
            (
                "declared values equal to the live ones: nothing, whatever the order",
                declared(
                    json!({ "authentication_methods": ["KEYPAIR", "PROGRAMMATIC_ACCESS_TOKEN"], "mfa_enrollment": "REQUIRED" }),
                ),
                existing(
                    json!({ "authentication_methods": ["PROGRAMMATIC_ACCESS_TOKEN", "KEYPAIR"], "mfa_enrollment": "REQUIRED" }),
                ),
                vec![],
            ),
            (
                "a changed PAT_POLICY is SET with every sub-property",
                declared(
                    json!({ "pat_policy": { "default_expiry_in_days": 30, "max_expiry_in_days": 90, "blocked_roles_list": ["ACCOUNTADMIN"] } }),
                ),
                existing(
                    json!({ "pat_policy": { "default_expiry_in_days": 30, "max_expiry_in_days": 365, "blocked_roles_list": ["ACCOUNTADMIN"] } }),
                ),
                vec![change(Update, ap, &[&alter(&format!("SET {full_pat}"))])],
            ),
            (
                "a property the file omits goes back to the default: UNSET, one per statement",
                declared(json!({ "comment": "kept" })),
                existing(
                    json!({ "mfa_enrollment": "REQUIRED", "client_types": ["DRIVERS"], "comment": "kept" }),
                ),
                vec![change(
                    Update,
                    ap,
                    &[&alter("UNSET CLIENT_TYPES"), &alter("UNSET MFA_ENROLLMENT")],
                )],
            ),
            (
                // Corrections 2: DESC shows an unset MFA_ENROLLMENT as its default, which is
                // what a policy leaving the key out expects.
                "MFA_ENROLLMENT left out and shown as its DESC default: nothing",
                declared(json!({})),
                existing(json!({ "mfa_enrollment": "REQUIRED_SNOWFLAKE_UI_PASSWORD_ONLY" })),
                vec![],
            ),
            (
                "MFA_ENROLLMENT set in the account and left out of the file: UNSET once",
                declared(json!({ "authentication_methods": ["PROGRAMMATIC_ACCESS_TOKEN"] })),
                existing(json!({
                    "authentication_methods": ["PROGRAMMATIC_ACCESS_TOKEN"],
                    "mfa_enrollment": "REQUIRED"
                })),
                vec![change(Update, ap, &[&alter("UNSET MFA_ENROLLMENT")])],
            ),
            (
                // Corrections 15: only declared lists are sent, never the `ALL` DESC shows.
                "a new WORKLOAD_IDENTITY_POLICY sends only the declared lists",
                declared(json!({ "workload_identity_policy": {
                    "allowed_providers": ["AWS"], "allowed_aws_accounts": ["123456789012"]
                } })),
                existing(json!({})),
                vec![change(
                    Update,
                    ap,
                    &[&alter(
                        "SET WORKLOAD_IDENTITY_POLICY = (ALLOWED_PROVIDERS = (AWS) ALLOWED_AWS_ACCOUNTS = ('123456789012'))",
                    )],
                )],
            ),
            (
                "a list the file no longer declares is UNSET, then the declared ones SET",
                declared(json!({ "workload_identity_policy": { "allowed_providers": ["OIDC"] } })),
                existing(json!({ "workload_identity_policy": {
                    "allowed_providers": ["OIDC"],
                    "allowed_aws_accounts": ["ALL"],
                    "allowed_azure_issuers": ["ALL"],
                    "allowed_oidc_issuers": ["https://token.actions.githubusercontent.com"]
                } })),
                vec![change(
                    Update,
                    ap,
                    &[
                        &alter("UNSET WORKLOAD_IDENTITY_POLICY"),
                        &alter("SET WORKLOAD_IDENTITY_POLICY = (ALLOWED_PROVIDERS = (OIDC))"),
                    ],
                )],
            ),
            (
                "a WORKLOAD_IDENTITY_POLICY as DESC shows it unset (`ALL`) matches the defaults",
                declared(json!({})),
                existing(json!({ "workload_identity_policy": {
                    "allowed_providers": ["ALL"], "allowed_aws_accounts": ["ALL"],
                    "allowed_azure_issuers": ["ALL"], "allowed_oidc_issuers": ["ALL"]
                } })),
                vec![],
            ),
            (
                "SET and UNSET together",
                declared(
                    json!({ "mfa_enrollment": "REQUIRED", "client_policy": { "JDBC_DRIVER": "3.25.0" } }),
                ),
                existing(json!({ "comment": "theirs" })),
                vec![change(
                    Update,
                    ap,
                    &[
                        &alter(
                            "SET CLIENT_POLICY = (JDBC_DRIVER = (MINIMUM_VERSION = '3.25.0')) MFA_ENROLLMENT = 'REQUIRED'",
                        ),
                        &alter("UNSET COMMENT"),
                    ],
                )],
            ),
            (
                "tombstone: DROP",
                declared(json!({ "absent": true })),
                existing(json!({})),
                vec![change(
                    Delete,
                    ap,
                    &[r#"DROP AUTHENTICATION POLICY "D"."S"."AP""#],
                )],
            ),
            (
                "an undeclared policy is untouched",
                json!({}),
                existing(json!({ "mfa_enrollment": "REQUIRED" })),
                vec![],
            ),
        ];
        for (name, desired, state, want) in cases {
            assert_eq!(plan(desired, state), want, "case `{name}`");
        }
    }

    #[test]
    fn account_section() {
        let objects = json!({
            "network_policies": { "NP": {}, "NP2": {} },
            "authentication_policies": { "D.S.AP": {}, "D.S.SVC": {} }
        });
        let with = |mut v: Value, account: Value| {
            if !account.is_null() {
                v["account"] = account;
            }
            v
        };
        let mut live_attached = objects.clone();
        live_attached["account_policies"] = json!({
            "network_policy": "NP2",
            "authentication_policy": "D.S.AP",
            "authentication_policy_for_person_users": "D.S.SVC"
        });
        let cases: Vec<(&str, Value, Value, Vec<Seen>)> = vec![
            (
                "no account section: the account is never changed",
                objects.clone(),
                live_attached.clone(),
                vec![],
            ),
            (
                "account section: attach, replace with FORCE, leave alone what it omits",
                with(
                    objects.clone(),
                    json!({
                        "network_policy": "NP",
                        "authentication_policy": "D.S.AP",
                        "authentication_policy_for_service_users": "D.S.SVC"
                    }),
                ),
                live_attached.clone(),
                vec![
                    change(
                        Attach,
                        "account.network_policy",
                        &[r#"ALTER ACCOUNT SET NETWORK_POLICY = "NP""#],
                    ),
                    change(
                        Attach,
                        "account.authentication_policy_for_service_users",
                        &[
                            r#"ALTER ACCOUNT SET AUTHENTICATION POLICY "D"."S"."SVC" FOR ALL SERVICE USERS"#,
                        ],
                    ),
                ],
            ),
            (
                "an empty account section changes nothing",
                with(objects.clone(), json!({})),
                live_attached.clone(),
                vec![],
            ),
            (
                "only the authentication policy: the network policy stays attached",
                with(
                    objects.clone(),
                    json!({ "authentication_policy": "D.S.AP" }),
                ),
                live_attached.clone(),
                vec![],
            ),
            (
                "`none` detaches each key it names",
                with(
                    objects.clone(),
                    json!({
                        "network_policy": "none",
                        "authentication_policy": "none",
                        "authentication_policy_for_service_users": "none",
                        "authentication_policy_for_person_users": "none"
                    }),
                ),
                live_attached.clone(),
                vec![
                    change(
                        Detach,
                        "account.network_policy",
                        &["ALTER ACCOUNT UNSET NETWORK_POLICY"],
                    ),
                    change(
                        Detach,
                        "account.authentication_policy",
                        &["ALTER ACCOUNT UNSET AUTHENTICATION POLICY"],
                    ),
                    change(
                        Detach,
                        "account.authentication_policy_for_person_users",
                        &["ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL PERSON USERS"],
                    ),
                ],
            ),
            (
                "replacing an account authentication policy uses FORCE",
                with(
                    objects.clone(),
                    json!({ "network_policy": "NP2", "authentication_policy": "D.S.SVC", "authentication_policy_for_person_users": "D.S.SVC" }),
                ),
                live_attached.clone(),
                vec![change(
                    Attach,
                    "account.authentication_policy",
                    &[r#"ALTER ACCOUNT SET AUTHENTICATION POLICY "D"."S"."SVC" FORCE"#],
                )],
            ),
        ];
        for (name, desired, state, want) in cases {
            assert_eq!(plan(desired, state), want, "case `{name}`");
        }
    }

    #[test]
    fn account_detach_and_replace_are_destructive() {
        let objects = json!({
            "network_policies": { "NP": {}, "NP2": {} },
            "authentication_policies": { "D.S.AP": {} }
        });
        let mut state = objects.clone();
        state["account_policies"] = json!({ "network_policy": "NP2" });
        type Case = (&'static str, Value, Vec<(&'static str, bool)>);
        let cases: Vec<Case> = vec![
            (
                "replacing the network policy",
                json!({ "network_policy": "NP" }),
                vec![("account.network_policy", true)],
            ),
            (
                "detaching the network policy",
                json!({ "network_policy": "none" }),
                vec![("account.network_policy", true)],
            ),
            (
                "attaching where none is attached",
                json!({ "authentication_policy": "D.S.AP" }),
                vec![("account.authentication_policy", false)],
            ),
            (
                "`none` where none is attached",
                json!({ "authentication_policy": "none" }),
                vec![],
            ),
        ];
        for (name, account, want) in cases {
            let mut desired = objects.clone();
            desired["account"] = account;
            let plan = diff(
                &config(desired),
                &live(state.clone()),
                now(),
                &crate::plan::DiffInputs::default(),
            );
            let got: Vec<(String, bool)> = plan
                .changes
                .iter()
                .map(|c| (c.address.to_string(), c.destructive))
                .collect();
            let want: Vec<(String, bool)> =
                want.into_iter().map(|(a, d)| (a.to_owned(), d)).collect();
            assert_eq!(got, want, "case `{name}`");
        }
    }
}

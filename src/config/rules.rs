//! Semantic rules over a well-formed [`Config`]: what Snowflake would refuse, and what is unwise.
//!
//! Each check reads the typed model and reports through [`SourceIndex`] where in the file the
//! finding belongs. Checks that need the account (a policy the file does not declare, roles
//! granted outside the file) are the plan's preflight, not these.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::diagnostic::{Diagnostic, Rule};
use super::source_index::SourceIndex;
use crate::model::desired::{
    Config, MAX_TOKENS_PER_USER, NetworkPolicyEvaluation, NetworkRuleMode, NetworkRuleType,
    TokenSpec, UserSpec, UserType,
};
use crate::model::live::LivePatPolicy;
use crate::model::{Identifier, ObjectName, Spelled, Vocabulary, pat_rules};

/// Runs every semantic rule.
pub fn check(config: &Config, src: &SourceIndex<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    network_rules(config, src, &mut out);
    network_policies(config, src, &mut out);
    authentication_policies(config, src, &mut out);
    account(config, src, &mut out);
    for (name, user) in &config.users {
        user_rules(config, src, name, user, &mut out);
        for (token_name, token) in &user.tokens {
            token_rules(config, src, name, user, token_name, token, &mut out);
        }
    }
    super::sink_rules::check(config, src, &mut out);
    out
}

fn network_rules(config: &Config, src: &SourceIndex<'_>, out: &mut Vec<Diagnostic>) {
    for (name, rule) in &config.network_rules {
        let at = src.network_rule(name);
        let path = format!("network_rules.{name}");
        if rule.absent {
            continue;
        }
        let Some(rule_type) = rule.rule_type else {
            out.push(
                Diagnostic::new(
                    Rule::MissingKey,
                    path.clone(),
                    format!("network rule `{name}` needs `type`"),
                )
                .at(at.key_span())
                .hint("e.g. `type: IPV4`; or `absent: true` to drop the rule"),
            );
            continue;
        };
        for (i, value) in rule.value_list.iter().enumerate() {
            if let Err(why) = check_network_value(rule_type, value) {
                let d = Diagnostic::new(
                    Rule::InvalidNetworkValue,
                    format!("{path}.value_list[{i}]"),
                    format!(
                        "`{value}` is not valid in a network rule of type `{}`: {why}",
                        rule_type.as_str()
                    ),
                )
                .at(at.item("value_list", i));
                out.push(match (rule_type, ipv4_hint(value)) {
                    (NetworkRuleType::Ipv4, Some(hint)) => d.hint(hint),
                    _ => d,
                });
            }
            let mode = rule.mode.unwrap_or_default();
            if mode == NetworkRuleMode::Ingress && is_allow_all(value) {
                out.push(allow_all(
                    format!("{path}.value_list[{i}]"),
                    value,
                    at.item("value_list", i),
                ));
            }
        }
    }
}

fn allow_all(path: String, value: &str, span: Option<super::yaml::Span>) -> Diagnostic {
    Diagnostic::new(
        Rule::AllowAllNetwork,
        path,
        format!("`{value}` admits every address on the internet"),
    )
    .at(span)
    .hint("list the egress addresses of the token's consumers instead")
}

fn is_allow_all(value: &str) -> bool {
    matches!(value.trim(), "0.0.0.0/0" | "::/0" | "0.0.0.0")
}

/// Checks one `VALUE_LIST` entry against its rule type.
pub fn check_network_value(rule_type: NetworkRuleType, value: &str) -> Result<(), String> {
    match rule_type {
        NetworkRuleType::Ipv4 => check_ipv4(value),
        NetworkRuleType::Ipv6 => {
            if value.parse::<Ipv6Addr>().is_ok() || value.parse::<ipnet::Ipv6Net>().is_ok() {
                Ok(())
            } else {
                Err("expected an IPv6 address or range such as `2001:db8::/32`".into())
            }
        }
        NetworkRuleType::HostPort | NetworkRuleType::PrivateHostPort => check_host_port(value),
        NetworkRuleType::Awsvpceid => {
            let ok = value
                .strip_prefix("vpce-")
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()));
            if ok {
                Ok(())
            } else {
                Err("expected a VPC endpoint ID such as `vpce-0fa383eb170331202`".into())
            }
        }
        NetworkRuleType::Azurelinkid | NetworkRuleType::Gcppscid => {
            if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                Ok(())
            } else {
                Err("expected a numeric link or connection ID".into())
            }
        }
        NetworkRuleType::ComputePool => Identifier::parse(value)
            .map(|_| ())
            .map_err(|e| format!("expected a compute pool name: {e}")),
    }
}

/// An IPv4 address or CIDR range, as `ALLOWED_IP_LIST` and IPV4 rules take.
pub fn check_ipv4(value: &str) -> Result<(), String> {
    if value.parse::<Ipv4Addr>().is_ok() {
        return Ok(());
    }
    match value.parse::<ipnet::Ipv4Net>() {
        Ok(net) if net.trunc() == net => Ok(()),
        Ok(net) => Err(format!(
            "it has host bits set; the network is `{}`",
            net.trunc()
        )),
        Err(_) => Err("expected an IPv4 address or CIDR range such as `203.0.113.0/24`".into()),
    }
}

/// What to write instead of an invalid IPv4 entry, when that is clear.
fn ipv4_hint(value: &str) -> Option<String> {
    if let Ok(net) = value.parse::<ipnet::Ipv4Net>() {
        return Some(format!("write `{}`", net.trunc()));
    }
    let v6 = value.parse::<Ipv6Addr>().is_ok() || value.parse::<ipnet::Ipv6Net>().is_ok();
    v6.then(|| "IPv4 lists take IPv4 only; put IPv6 ranges in a network rule of type `IPV6`".into())
}

fn check_host_port(value: &str) -> Result<(), String> {
    let (host, port) = match value.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (value, None),
    };
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => {}
            _ => return Err(format!("`{p}` is not a port between 1 and 65535")),
        }
    }
    let host = host.strip_prefix("*.").unwrap_or(host);
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if valid {
        Ok(())
    } else {
        Err("expected `host` or `host:port`, e.g. `api.example.com:443`".into())
    }
}

fn network_policies(config: &Config, src: &SourceIndex<'_>, out: &mut Vec<Diagnostic>) {
    for (name, policy) in &config.network_policies {
        if policy.absent {
            continue;
        }
        let at = src.network_policy(name);
        let path = format!("network_policies.{name}");
        for (list, ips) in [
            ("allowed_ip_list", &policy.allowed_ip_list),
            ("blocked_ip_list", &policy.blocked_ip_list),
        ] {
            for (i, ip) in ips.iter().enumerate() {
                if let Err(why) = check_ipv4(ip) {
                    let d = Diagnostic::new(
                        Rule::InvalidNetworkValue,
                        format!("{path}.{list}[{i}]"),
                        format!("`{ip}` is not valid in `{list}`: {why}"),
                    )
                    .at(at.item(list, i));
                    out.push(match ipv4_hint(ip) {
                        Some(hint) => d.hint(hint),
                        None => d,
                    });
                }
                if list == "allowed_ip_list" && is_allow_all(ip) {
                    out.push(allow_all(
                        format!("{path}.{list}[{i}]"),
                        ip,
                        at.item(list, i),
                    ));
                }
            }
        }
        for (list, rules) in [
            (
                "allowed_network_rule_list",
                &policy.allowed_network_rule_list,
            ),
            (
                "blocked_network_rule_list",
                &policy.blocked_network_rule_list,
            ),
        ] {
            for (i, rule_name) in rules.iter().enumerate() {
                let span = at.item(list, i);
                let item_path = format!("{path}.{list}[{i}]");
                match config.network_rules.get(rule_name) {
                    Some(rule) if rule.absent => out.push(absent_reference(
                        item_path,
                        format!("network policy `{name}` uses network rule `{rule_name}`, which is marked `absent: true`"),
                        span,
                    )),
                    Some(rule) => {
                        let unusable = rule.mode.is_some_and(|m| m == NetworkRuleMode::Egress)
                            || matches!(
                                rule.rule_type,
                                Some(NetworkRuleType::HostPort | NetworkRuleType::PrivateHostPort)
                            );
                        if unusable {
                            out.push(
                                Diagnostic::new(
                                    Rule::InvalidNetworkValue,
                                    item_path,
                                    format!("network rule `{rule_name}` is an egress rule; a network policy takes INGRESS (or INTERNAL_STAGE) rules"),
                                )
                                .at(span),
                            );
                        }
                    }
                    None if rule_name.database.as_str() == "SNOWFLAKE" => {}
                    None => out.push(
                        Diagnostic::new(
                            Rule::UndeclaredReference,
                            item_path,
                            format!("network rule `{rule_name}` is not declared in this file"),
                        )
                        .at(span)
                        .hint("it must already exist in the account; declare it under `network_rules` to manage it"),
                    ),
                }
            }
        }
    }
}

fn absent_reference(path: String, message: String, span: Option<super::yaml::Span>) -> Diagnostic {
    Diagnostic::new(Rule::ReferenceToAbsentObject, path, message)
        .at(span)
        .hint("stop using it here, or remove `absent: true`")
}

fn authentication_policies(config: &Config, src: &SourceIndex<'_>, out: &mut Vec<Diagnostic>) {
    for (name, policy) in &config.authentication_policies {
        if policy.absent {
            continue;
        }
        if let Some(wip) = &policy.workload_identity_policy {
            workload_identity(name, wip, src, out);
        }
        let Some(pat) = &policy.pat_policy else {
            continue;
        };
        let at = src.authentication_policy(name).child("pat_policy");
        let path = format!("authentication_policies.{name}.pat_policy");
        if let Some(eval) = pat.network_policy_evaluation {
            if eval != NetworkPolicyEvaluation::EnforcedRequired {
                out.push(
                    Diagnostic::new(
                        Rule::WeakPatPolicy,
                        format!("{path}.network_policy_evaluation"),
                        format!(
                            "`{}` lets tokens be used without a network policy",
                            eval.as_str()
                        ),
                    )
                    .at(at.prop("network_policy_evaluation"))
                    .hint("keep `ENFORCED_REQUIRED` and give the users a network policy"),
                );
            }
        }
        if let (Some(default), Some(max)) = (pat.default_expiry_in_days, pat.max_expiry_in_days) {
            if default > max {
                out.push(
                    Diagnostic::new(
                        Rule::InvalidValue,
                        format!("{path}.default_expiry_in_days"),
                        format!("`default_expiry_in_days` ({default}) is above `max_expiry_in_days` ({max})"),
                    )
                    .at(at.prop("default_expiry_in_days"))
                    .hint(format!("Snowflake refuses the policy; set `default_expiry_in_days: {max}` or less")),
                );
            }
        }
    }
}

/// `WORKLOAD_IDENTITY_POLICY` lists (reference Corrections 15, CREATE AUTHENTICATION POLICY):
/// AWS account IDs are 12-digit strings, issuers are URLs
/// (`https://login.microsoftonline.com/<tenant>/v2.0`, an OIDC issuer's `https://...`).
fn workload_identity(
    name: &crate::model::ObjectName,
    wip: &crate::model::desired::WorkloadIdentityPolicy,
    src: &SourceIndex<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let at = src
        .authentication_policy(name)
        .child("workload_identity_policy");
    let path = format!("authentication_policies.{name}.workload_identity_policy");
    for (i, account) in wip.allowed_aws_accounts.iter().flatten().enumerate() {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            out.push(
                Diagnostic::new(
                    Rule::InvalidValue,
                    format!("{path}.allowed_aws_accounts[{i}]"),
                    format!("`{account}` is not an AWS account ID: Snowflake expects 12 digits"),
                )
                .at(at.item("allowed_aws_accounts", i))
                .hint("write the account ID as a quoted string of 12 digits, e.g. `\"123456789012\"` (leading zeros included)"),
            );
        }
    }
    for key in ["allowed_azure_issuers", "allowed_oidc_issuers"] {
        let list = if key == "allowed_azure_issuers" {
            &wip.allowed_azure_issuers
        } else {
            &wip.allowed_oidc_issuers
        };
        for (i, issuer) in list.iter().flatten().enumerate() {
            let lower = issuer.to_ascii_lowercase();
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            if rest.is_none_or(str::is_empty) {
                out.push(
                    Diagnostic::new(
                        Rule::InvalidValue,
                        format!("{path}.{key}[{i}]"),
                        format!("`{issuer}` is not an issuer URL"),
                    )
                    .at(at.item(key, i))
                    .hint("write the issuer's URL, e.g. `https://login.microsoftonline.com/<tenant-id>/v2.0` or `https://token.actions.githubusercontent.com`"),
                );
            }
        }
    }
}

fn account(config: &Config, src: &SourceIndex<'_>, out: &mut Vec<Diagnostic>) {
    let Some(account) = &config.account else {
        return;
    };
    let at = src.account();
    if let Some(np) = &account.network_policy {
        network_policy_reference(
            config,
            np,
            "account.network_policy",
            at.prop("network_policy"),
            out,
        );
    }
    for (key, policy) in [
        ("authentication_policy", &account.authentication_policy),
        (
            "authentication_policy_for_service_users",
            &account.authentication_policy_for_service_users,
        ),
        (
            "authentication_policy_for_person_users",
            &account.authentication_policy_for_person_users,
        ),
    ] {
        if let Some(p) = policy {
            authentication_policy_reference(
                config,
                p,
                &format!("account.{key}"),
                at.prop(key),
                out,
            );
        }
    }
}

fn network_policy_reference(
    config: &Config,
    name: &Identifier,
    path: &str,
    span: Option<super::yaml::Span>,
    out: &mut Vec<Diagnostic>,
) {
    let absent = config.network_policies.get(name).map(|p| p.absent);
    policy_reference(
        "network policy",
        "network_policies",
        name,
        absent,
        path,
        span,
        out,
    );
}

fn authentication_policy_reference(
    config: &Config,
    name: &ObjectName,
    path: &str,
    span: Option<super::yaml::Span>,
    out: &mut Vec<Diagnostic>,
) {
    let absent = config.authentication_policies.get(name).map(|p| p.absent);
    policy_reference(
        "authentication policy",
        "authentication_policies",
        name,
        absent,
        path,
        span,
        out,
    );
}

/// A reference to a policy: an error when the file tombstones it, a warning when the file does
/// not declare it (`declared` is `Some(absent)` when it does).
fn policy_reference(
    kind: &str,
    section: &str,
    name: &dyn std::fmt::Display,
    declared: Option<bool>,
    path: &str,
    span: Option<super::yaml::Span>,
    out: &mut Vec<Diagnostic>,
) {
    match declared {
        Some(true) => out.push(absent_reference(
            path.to_owned(),
            format!("{kind} `{name}` is marked `absent: true`"),
            span,
        )),
        Some(false) => {}
        None => out.push(
            Diagnostic::new(
                Rule::UndeclaredReference,
                path,
                format!("{kind} `{name}` is not declared in this file"),
            )
            .at(span)
            .hint(format!(
                "it must already exist in the account; declare it under `{section}` to manage it"
            )),
        ),
    }
}

fn user_rules(
    config: &Config,
    src: &SourceIndex<'_>,
    name: &Identifier,
    user: &UserSpec,
    out: &mut Vec<Diagnostic>,
) {
    let at = src.user(name);
    let path = format!("users.{name}");
    if let Some(np) = &user.network_policy {
        network_policy_reference(
            config,
            np,
            &format!("{path}.network_policy"),
            at.prop("network_policy"),
            out,
        );
    }
    if let Some(ap) = &user.authentication_policy {
        authentication_policy_reference(
            config,
            ap,
            &format!("{path}.authentication_policy"),
            at.prop("authentication_policy"),
            out,
        );
    }
    let is_service = user.user_type.is_some_and(|t| t.is_service());
    if is_service && !user.tokens.is_empty() {
        let account_np = config
            .account
            .as_ref()
            .and_then(|a| a.network_policy.as_ref());
        let evaluation = config
            .user_pat_policy(user)
            .and_then(|p| p.network_policy_evaluation)
            .unwrap_or_default();
        if user.network_policy.is_none()
            && account_np.is_none()
            && evaluation == NetworkPolicyEvaluation::EnforcedRequired
        {
            out.push(
                Diagnostic::new(
                    Rule::ServiceUserWithoutNetworkPolicy,
                    path.clone(),
                    format!("service user `{name}` has tokens but no network policy in this file"),
                )
                .at(at.key_span())
                .hint("set `network_policy:` on the user (or `account.network_policy`); without one Snowflake refuses its tokens with \"Network policy is required\""),
            );
        }
    }
    let rotation_slots: usize = user
        .tokens
        .values()
        .map(|t| 1 + usize::from(config.effective_expire_rotated_hours(t) > 0))
        .sum();
    if pat_rules::token_limit_exceeded(rotation_slots) {
        out.push(
            Diagnostic::new(
                Rule::TokenLimitExceeded,
                format!("{path}.tokens"),
                format!(
                    "user `{name}` declares {} tokens, which with their rotation leftovers need {rotation_slots} of Snowflake's {MAX_TOKENS_PER_USER} slots",
                    user.tokens.len()
                ),
            )
            .at(at.child("tokens").key_span())
            .hint("declare fewer tokens, or set `expire_rotated_token_after_hours: 0` so rotated secrets expire at once"),
        );
    }
}

fn token_rules(
    config: &Config,
    src: &SourceIndex<'_>,
    user_name: &Identifier,
    user: &UserSpec,
    name: &Identifier,
    token: &TokenSpec,
    out: &mut Vec<Diagnostic>,
) {
    let at = src.token(user_name, name);
    // Built only for a finding: most tokens have none, and there are tens of thousands.
    let path = || format!("users.{user_name}.tokens.{name}");
    let pat_policy = config.user_pat_policy(user);
    // The policy's values, Snowflake's defaults for what the file leaves out: what the
    // predicates shared with preflight read.
    let pat = LivePatPolicy::declared(pat_policy);
    let user_type = user.user_type;
    let is_service = user_type.is_some_and(|t| t.is_service());

    if token.role_restriction.is_none() {
        let spelled = Spelled::Known(user_type.unwrap_or(UserType::Person));
        if pat_rules::role_restriction_required(&spelled, &pat) {
            let kind = if is_service { "service" } else { "person" };
            out.push(
                Diagnostic::new(
                    Rule::TokenWithoutRoleRestriction,
                    path(),
                    format!("token `{name}` of {kind} user `{user_name}` has no `role_restriction`"),
                )
                .at(at.key_span())
                .hint("add `role_restriction: <ROLE>` with the one role the consumer needs; Snowflake refuses the token without it"),
            );
        }
    }

    let days = config.effective_days_to_expiry(user, token);
    let max = pat_policy.and_then(|p| p.max_expiry_in_days);
    if let Some(max) = max {
        if pat_rules::expiry_above_maximum(days, max) {
            let (policy_name, _) = config
                .user_authentication_policy(user)
                .map_or((String::new(), ()), |(n, _)| (n.to_string(), ()));
            out.push(
                Diagnostic::new(
                    Rule::ExpiryAbovePolicyMaximum,
                    format!("{}.days_to_expiry", path()),
                    format!("token `{name}` lives {days} days, above the {max}-day `max_expiry_in_days` of `{policy_name}`"),
                )
                .at(at.prop("days_to_expiry"))
                .hint(format!("set `days_to_expiry: {max}` or less")),
            );
        }
    }
    if days > 90 {
        out.push(
            Diagnostic::new(
                Rule::LongLivedToken,
                format!("{}.days_to_expiry", path()),
                format!("token `{name}` lives {days} days"),
            )
            .at(at.prop("days_to_expiry"))
            .hint("90 days or less limits what a leaked secret can do; rotation keeps consumers working"),
        );
    }

    let explicit_rotation = token
        .rotate_before_expiry_days
        .or(config.defaults.token.rotate_before_expiry_days)
        .is_some();
    let rotate_before = config.effective_rotate_before_days(user, token);
    if explicit_rotation && rotate_before >= days {
        out.push(
            Diagnostic::new(
                Rule::RotationWindowExceedsLifetime,
                format!("{}.rotate_before_expiry_days", path()),
                format!("token `{name}` rotates {rotate_before} days before expiry but lives only {days} days, so every run would rotate it"),
            )
            .at(at.prop("rotate_before_expiry_days"))
            .hint(format!("use a window shorter than the lifetime, e.g. `rotate_before_expiry_days: {}`", days / 3)),
        );
    }

    if token.deliver.is_empty() {
        out.push(
            Diagnostic::new(
                Rule::TokenWithoutDelivery,
                format!("{}.deliver", path()),
                format!("token `{name}` has nowhere to deliver its secret"),
            )
            .at(at.prop("deliver"))
            .hint("add `deliver: [ { json_file: { path: ..., pointer: /pat } } ]` (or `dotenv_file`, `toml_file`, `file`, `command`)"),
        );
    }

    if let Some(role) = &token.role_restriction {
        if pat_rules::role_blocked(role, &pat) {
            out.push(
                Diagnostic::new(
                    Rule::RoleBlockedByPolicy,
                    format!("{}.role_restriction", path()),
                    format!(
                        "role `{role}` is in the `blocked_roles_list` of `{}`, the authentication policy of user `{user_name}`",
                        config.user_authentication_policy(user).map(|(n, _)| n.to_string()).unwrap_or_default()
                    ),
                )
                .at(at.prop("role_restriction"))
                .hint("restrict the token to a narrower role made for its consumer"),
            );
        }
        if !user.roles.contains(role) {
            out.push(
                Diagnostic::new(
                    Rule::RoleRestrictionNotInRoles,
                    format!("{}.role_restriction", path()),
                    format!("role `{role}` is not in the `roles` of user `{user_name}`"),
                )
                .at(at.prop("role_restriction"))
                .hint(format!(
                    "add `{role}` to `roles` so the grant is managed here"
                )),
            );
        }
    }

    if token.mins_to_bypass_network_policy_requirement.is_some() && is_service {
        out.push(
            Diagnostic::new(
                Rule::BypassOnServiceUser,
                format!("{}.mins_to_bypass_network_policy_requirement", path()),
                format!(
                    "token `{name}` of service user `{user_name}` sets a network-policy bypass"
                ),
            )
            .at(at.prop("mins_to_bypass_network_policy_requirement"))
            .hint("give the user a network policy instead"),
        );
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::cases::{Case, check};
    use super::*;

    /// Each file starts at line 1 after the opening `\n`; positions are `(line, column)`.
    pub const CASES: &[Case] = &[
        // --- token-without-role-restriction
        Case {
            name: "a service user's token without role_restriction",
            rule: Rule::TokenWithoutRoleRestriction,
            yaml: r#"
version: 1
network_policies:
  NP: { allowed_ip_list: [192.0.2.0/24] }
users:
  SVC:
    type: SERVICE
    roles: [R]
    network_policy: NP
    tokens:
      T:
        deliver: [{ file: { path: t } }]
"#,
            want: &[("token-without-role-restriction", 10, 7)],
        },
        Case {
            name: "a person user's token when the policy requires a restriction for people",
            rule: Rule::TokenWithoutRoleRestriction,
            yaml: r#"
version: 1
authentication_policies:
  D.S.AP: { pat_policy: { require_role_restriction_for_person_users: true } }
users:
  P:
    type: PERSON
    authentication_policy: D.S.AP
    tokens:
      T: { deliver: [{ file: { path: t } }] }
"#,
            want: &[("token-without-role-restriction", 9, 7)],
        },
        Case {
            name: "the service user's policy lifts the requirement",
            rule: Rule::TokenWithoutRoleRestriction,
            yaml: r#"
version: 1
network_policies:
  NP: { allowed_ip_list: [192.0.2.0/24] }
authentication_policies:
  D.S.AP: { pat_policy: { require_role_restriction_for_service_users: false } }
users:
  SVC:
    type: SERVICE
    network_policy: NP
    authentication_policy: D.S.AP
    tokens:
      T: { deliver: [{ file: { path: t } }] }
"#,
            want: &[],
        },
        Case {
            name: "a person user's token needs no restriction by default",
            rule: Rule::TokenWithoutRoleRestriction,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T: { deliver: [{ file: { path: t } }] }
"#,
            want: &[],
        },
        // --- expiry-above-policy-maximum
        Case {
            name: "days_to_expiry above the user's policy maximum",
            rule: Rule::ExpiryAbovePolicyMaximum,
            yaml: r#"
version: 1
authentication_policies:
  D.S.AP: { pat_policy: { max_expiry_in_days: 30 } }
users:
  P:
    authentication_policy: D.S.AP
    tokens:
      T:
        days_to_expiry: 31
        deliver: [{ file: { path: t } }]
"#,
            want: &[("expiry-above-policy-maximum", 9, 25)],
        },
        Case {
            name: "an inherited lifetime above the account policy's maximum is shown on the token",
            rule: Rule::ExpiryAbovePolicyMaximum,
            yaml: r#"
version: 1
defaults: { token: { days_to_expiry: 60 } }
authentication_policies:
  D.S.AP: { pat_policy: { max_expiry_in_days: 30 } }
account: { authentication_policy: D.S.AP }
users:
  P:
    tokens:
      T: { deliver: [{ file: { path: t } }] }
"#,
            want: &[("expiry-above-policy-maximum", 9, 7)],
        },
        Case {
            name: "days_to_expiry at the policy maximum",
            rule: Rule::ExpiryAbovePolicyMaximum,
            yaml: r#"
version: 1
authentication_policies:
  D.S.AP: { pat_policy: { max_expiry_in_days: 30 } }
users:
  P:
    authentication_policy: D.S.AP
    tokens:
      T:
        days_to_expiry: 30
        deliver: [{ file: { path: t } }]
"#,
            want: &[],
        },
        // --- rotation-window-exceeds-lifetime
        Case {
            name: "a rotation window as long as the lifetime",
            rule: Rule::RotationWindowExceedsLifetime,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T:
        days_to_expiry: 10
        rotate_before_expiry_days: 10
        deliver: [{ file: { path: t } }]
"#,
            want: &[("rotation-window-exceeds-lifetime", 7, 36)],
        },
        Case {
            name: "a default window longer than the token's lifetime is shown on the token",
            rule: Rule::RotationWindowExceedsLifetime,
            yaml: r#"
version: 1
defaults: { token: { rotate_before_expiry_days: 20 } }
users:
  P:
    tokens:
      T: { days_to_expiry: 20, deliver: [{ file: { path: t } }] }
"#,
            want: &[("rotation-window-exceeds-lifetime", 6, 7)],
        },
        Case {
            name: "a window one day shorter than the lifetime",
            rule: Rule::RotationWindowExceedsLifetime,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T:
        days_to_expiry: 10
        rotate_before_expiry_days: 9
        deliver: [{ file: { path: t } }]
"#,
            want: &[],
        },
        Case {
            name: "the built-in window is capped at half a one-day lifetime",
            rule: Rule::RotationWindowExceedsLifetime,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T: { days_to_expiry: 1, deliver: [{ file: { path: t } }] }
"#,
            want: &[],
        },
        // --- token-without-delivery
        Case {
            name: "a token without deliver",
            rule: Rule::TokenWithoutDelivery,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T: { days_to_expiry: 30 }
"#,
            want: &[("token-without-delivery", 5, 7)],
        },
        Case {
            name: "a token with an empty deliver list",
            rule: Rule::TokenWithoutDelivery,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T: { deliver: [] }
"#,
            want: &[("token-without-delivery", 5, 21)],
        },
        Case {
            name: "a token with a command sink",
            rule: Rule::TokenWithoutDelivery,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T: { deliver: [{ command: { argv: [vault, kv, put, x] } }] }
"#,
            want: &[],
        },
        // --- invalid-value: sink settings that cannot work
        Case {
            name: "sink formats without exactly one {secret} or with an unknown placeholder",
            rule: Rule::InvalidValue,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T:
        deliver:
          - dotenv_file: { path: a.env, key: A, format: "Bearer {secrte}" }
          - file: { path: b, format: "no secret" }
          - json_file: { path: c.json, pointer: /pat, format: "{secret}{secret}" }
          - command: { argv: [x], format: "{secret} }" }
"#,
            want: &[
                ("invalid-value", 7, 57),
                ("invalid-value", 8, 38),
                ("invalid-value", 9, 63),
                ("invalid-value", 10, 43),
            ],
        },
        Case {
            name: "formats with every placeholder and literal braces",
            rule: Rule::InvalidValue,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T:
        deliver:
          - file: { path: b, format: "{{\"u\": \"{user}.{token}@{account}\", \"s\": \"{secret}\"}}" }
          - command: { argv: [x], format: "Bearer {secret}" }
"#,
            want: &[],
        },
        Case {
            name: "sink settings that cannot work",
            rule: Rule::InvalidValue,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T:
        deliver:
          - json_file: { path: c.json, pointer: pat }
          - json_file: { path: c.json, pointer: "" }
          - json_file: { path: "", pointer: /a~2 }
          - dotenv_file: { path: a.env, key: "A=B" }
          - dotenv_file: { path: a.env, key: "A\nEVIL" }
          - toml_file: { path: c.toml, key: "a..b" }
          - command: { argv: [""], env: [VAULT_ADDR, "BAD NAME", SNOWFLAKE_TOKEN] }
          - file: { path: dir/ }
"#,
            want: &[
                ("invalid-value", 7, 49),
                ("invalid-value", 8, 49),
                ("invalid-value", 9, 32),
                ("invalid-value", 9, 45),
                ("invalid-value", 10, 46),
                ("invalid-value", 11, 46),
                ("invalid-value", 12, 45),
                ("invalid-value", 13, 30),
                ("invalid-value", 13, 54),
                ("invalid-value", 13, 66),
                ("invalid-value", 14, 27),
            ],
        },
        Case {
            name: "sink settings that work",
            rule: Rule::InvalidValue,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T:
        deliver:
          - json_file: { path: c.json, pointer: "/connections/0/a~1b" }
          - dotenv_file: { path: a.env, key: SNOWFLAKE_TOKEN }
          - toml_file: { path: c.toml, key: "connections.\"my.conn\".password" }
          - command: { argv: [vault, kv, put], env: [VAULT_ADDR, VAULT_NAMESPACE] }
"#,
            want: &[],
        },
        // --- invalid-network-value
        Case {
            name: "values invalid for their rule types",
            rule: Rule::InvalidNetworkValue,
            yaml: r#"
version: 1
network_rules:
  D.S.V4:
    type: IPV4
    value_list: [192.0.2.0/24, 192.0.2.300, 192.0.2.1/24]
  D.S.V6: { type: IPV6, value_list: ["2001:db8::/32", 10.0.0.0/8] }
  D.S.HOSTS:
    type: HOST_PORT
    mode: EGRESS
    value_list: ["api.example.com:443", "*.example.com", "bad host", "example.com:0"]
  D.S.VPCE: { type: AWSVPCEID, value_list: [vpce-0fa383eb170331202, vpc-123] }
"#,
            want: &[
                ("invalid-network-value", 5, 32),
                ("invalid-network-value", 5, 45),
                ("invalid-network-value", 6, 55),
                ("invalid-network-value", 10, 58),
                ("invalid-network-value", 10, 70),
                ("invalid-network-value", 11, 69),
            ],
        },
        Case {
            name: "IPv6 and host bits in a network policy's IP lists, and an egress rule in a policy",
            rule: Rule::InvalidNetworkValue,
            yaml: r#"
version: 1
network_rules:
  D.S.OUT: { type: HOST_PORT, mode: EGRESS, value_list: ["api.example.com"] }
network_policies:
  NP:
    allowed_ip_list: ["2001:db8::1", 192.0.2.0/24]
    blocked_ip_list: [192.0.2.7/24]
    allowed_network_rule_list: [D.S.OUT]
"#,
            want: &[
                ("invalid-network-value", 6, 23),
                ("invalid-network-value", 7, 23),
                ("invalid-network-value", 8, 33),
            ],
        },
        Case {
            name: "valid values of every checked type",
            rule: Rule::InvalidNetworkValue,
            yaml: r#"
version: 1
network_rules:
  D.S.V4: { type: IPV4, value_list: [192.0.2.0/24, 198.51.100.7] }
  D.S.V6: { type: IPV6, value_list: ["2001:db8::/32", "::1"] }
  D.S.HOSTS: { type: HOST_PORT, mode: EGRESS, value_list: ["api.example.com:443", "*.example.com"] }
  D.S.VPCE: { type: AWSVPCEID, value_list: [vpce-0fa383eb170331202] }
  D.S.LINK: { type: AZURELINKID, value_list: ["12345"] }
network_policies:
  NP: { allowed_ip_list: [192.0.2.0/24], allowed_network_rule_list: [D.S.V4] }
"#,
            want: &[],
        },
        // --- role-blocked-by-policy
        Case {
            name: "a role restriction the policy blocks, spelled in another case",
            rule: Rule::RoleBlockedByPolicy,
            yaml: r#"
version: 1
authentication_policies:
  D.S.AP: { pat_policy: { blocked_roles_list: [ADMIN] } }
users:
  P:
    roles: [admin]
    authentication_policy: D.S.AP
    tokens:
      T: { role_restriction: Admin, deliver: [{ file: { path: t } }] }
"#,
            want: &[("role-blocked-by-policy", 9, 30)],
        },
        Case {
            name: "a quoted, case-sensitive role is another role",
            rule: Rule::RoleBlockedByPolicy,
            yaml: r#"
version: 1
authentication_policies:
  D.S.AP: { pat_policy: { blocked_roles_list: [ADMIN] } }
users:
  P:
    roles: ['"Admin"']
    authentication_policy: D.S.AP
    tokens:
      T: { role_restriction: '"Admin"', deliver: [{ file: { path: t } }] }
"#,
            want: &[],
        },
        // --- token-limit-exceeded
        Case {
            name: "eight tokens whose rotations leave old secrets behind",
            rule: Rule::TokenLimitExceeded,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T1: { deliver: [{ file: { path: t1 } }] }
      T2: { deliver: [{ file: { path: t2 } }] }
      T3: { deliver: [{ file: { path: t3 } }] }
      T4: { deliver: [{ file: { path: t4 } }] }
      T5: { deliver: [{ file: { path: t5 } }] }
      T6: { deliver: [{ file: { path: t6 } }] }
      T7: { deliver: [{ file: { path: t7 } }] }
      T8: { deliver: [{ file: { path: t8 } }] }
"#,
            want: &[("token-limit-exceeded", 4, 5)],
        },
        Case {
            name: "eight tokens whose old secrets expire at once",
            rule: Rule::TokenLimitExceeded,
            yaml: r#"
version: 1
defaults: { token: { expire_rotated_token_after_hours: 0 } }
users:
  P:
    tokens:
      T1: { deliver: [{ file: { path: t1 } }] }
      T2: { deliver: [{ file: { path: t2 } }] }
      T3: { deliver: [{ file: { path: t3 } }] }
      T4: { deliver: [{ file: { path: t4 } }] }
      T5: { deliver: [{ file: { path: t5 } }] }
      T6: { deliver: [{ file: { path: t6 } }] }
      T7: { deliver: [{ file: { path: t7 } }] }
      T8: { deliver: [{ file: { path: t8 } }] }
"#,
            want: &[],
        },
        // --- reference-to-absent-object
        Case {
            name: "uses of objects marked absent",
            rule: Rule::ReferenceToAbsentObject,
            yaml: r#"
version: 1
network_rules:
  D.S.OLD: { absent: true }
network_policies:
  OLD: { absent: true }
  NP: { allowed_network_rule_list: [D.S.OLD] }
authentication_policies:
  D.S.OLD_AP: { absent: true }
account:
  network_policy: OLD
users:
  P:
    network_policy: OLD
    authentication_policy: D.S.OLD_AP
"#,
            want: &[
                ("reference-to-absent-object", 6, 37),
                ("reference-to-absent-object", 10, 19),
                ("reference-to-absent-object", 13, 21),
                ("reference-to-absent-object", 14, 28),
            ],
        },
        Case {
            name: "tombstones nobody uses",
            rule: Rule::ReferenceToAbsentObject,
            yaml: r#"
version: 1
network_rules:
  D.S.OLD: { absent: true }
network_policies:
  OLD: { absent: true }
"#,
            want: &[],
        },
        // --- service-user-without-network-policy
        Case {
            name: "a service user with a token and no network policy",
            rule: Rule::ServiceUserWithoutNetworkPolicy,
            yaml: r#"
version: 1
users:
  SVC:
    type: LEGACY_SERVICE
    roles: [R]
    tokens:
      T: { role_restriction: R, deliver: [{ file: { path: t } }] }
"#,
            want: &[("service-user-without-network-policy", 3, 3)],
        },
        Case {
            name: "the account's network policy covers the service user",
            rule: Rule::ServiceUserWithoutNetworkPolicy,
            yaml: r#"
version: 1
network_policies:
  NP: { allowed_ip_list: [192.0.2.0/24] }
account: { network_policy: NP }
users:
  SVC:
    type: SERVICE
    roles: [R]
    tokens:
      T: { role_restriction: R, deliver: [{ file: { path: t } }] }
"#,
            want: &[],
        },
        // --- allow-all-network
        Case {
            name: "the whole internet in allow lists",
            rule: Rule::AllowAllNetwork,
            yaml: r#"
version: 1
network_rules:
  D.S.ANY: { type: IPV6, value_list: ["::/0"] }
network_policies:
  NP: { allowed_ip_list: [0.0.0.0/0] }
"#,
            want: &[("allow-all-network", 3, 39), ("allow-all-network", 5, 27)],
        },
        Case {
            name: "the whole internet in a block list",
            rule: Rule::AllowAllNetwork,
            yaml: r#"
version: 1
network_policies:
  NP: { allowed_ip_list: [192.0.2.0/24], blocked_ip_list: [0.0.0.0/0] }
"#,
            want: &[],
        },
        // --- long-lived-token
        Case {
            name: "a 91-day token",
            rule: Rule::LongLivedToken,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T: { days_to_expiry: 91, deliver: [{ file: { path: t } }] }
"#,
            want: &[("long-lived-token", 5, 28)],
        },
        Case {
            name: "a 90-day token",
            rule: Rule::LongLivedToken,
            yaml: r#"
version: 1
users:
  P:
    tokens:
      T: { days_to_expiry: 90, deliver: [{ file: { path: t } }] }
"#,
            want: &[],
        },
        // --- weak-pat-policy
        Case {
            name: "PAT policies that do not require a network policy",
            rule: Rule::WeakPatPolicy,
            yaml: r#"
version: 1
authentication_policies:
  D.S.A: { pat_policy: { network_policy_evaluation: ENFORCED_NOT_REQUIRED } }
  D.S.B: { pat_policy: { network_policy_evaluation: NOT_ENFORCED } }
"#,
            want: &[("weak-pat-policy", 3, 53), ("weak-pat-policy", 4, 53)],
        },
        Case {
            name: "a PAT policy that requires a network policy",
            rule: Rule::WeakPatPolicy,
            yaml: r#"
version: 1
authentication_policies:
  D.S.A: { pat_policy: { network_policy_evaluation: ENFORCED_REQUIRED } }
"#,
            want: &[],
        },
        // --- role-restriction-not-in-roles
        Case {
            name: "a role restriction the user's roles do not list",
            rule: Rule::RoleRestrictionNotInRoles,
            yaml: r#"
version: 1
users:
  P:
    roles: [ANALYST]
    tokens:
      T: { role_restriction: LOADER, deliver: [{ file: { path: t } }] }
"#,
            want: &[("role-restriction-not-in-roles", 6, 30)],
        },
        Case {
            name: "a role restriction listed in another case",
            rule: Rule::RoleRestrictionNotInRoles,
            yaml: r#"
version: 1
users:
  P:
    roles: [loader]
    tokens:
      T: { role_restriction: LOADER, deliver: [{ file: { path: t } }] }
"#,
            want: &[],
        },
        // --- undeclared-reference
        Case {
            name: "references to policies and rules the file does not declare",
            rule: Rule::UndeclaredReference,
            yaml: r#"
version: 1
network_policies:
  NP: { allowed_network_rule_list: [D.S.ELSEWHERE] }
account: { authentication_policy_for_person_users: D.S.PEOPLE }
users:
  P:
    network_policy: ELSEWHERE
"#,
            want: &[
                ("undeclared-reference", 3, 37),
                ("undeclared-reference", 4, 52),
                ("undeclared-reference", 7, 21),
            ],
        },
        Case {
            name: "Snowflake's own network rules need no declaration",
            rule: Rule::UndeclaredReference,
            yaml: r#"
version: 1
network_policies:
  NP: { allowed_network_rule_list: [SNOWFLAKE.NETWORK_SECURITY.GITHUBACTIONS_GLOBAL] }
"#,
            want: &[],
        },
        // --- bypass-on-service-user
        Case {
            name: "a network-policy bypass on a service user's token",
            rule: Rule::BypassOnServiceUser,
            yaml: r#"
version: 1
network_policies:
  NP: { allowed_ip_list: [192.0.2.0/24] }
users:
  SVC:
    type: SERVICE
    roles: [R]
    network_policy: NP
    tokens:
      T:
        role_restriction: R
        mins_to_bypass_network_policy_requirement: 30
        deliver: [{ file: { path: t } }]
"#,
            want: &[("bypass-on-service-user", 12, 52)],
        },
        Case {
            name: "a network-policy bypass on a person's token",
            rule: Rule::BypassOnServiceUser,
            yaml: r#"
version: 1
users:
  P:
    type: PERSON
    tokens:
      T:
        mins_to_bypass_network_policy_requirement: 30
        deliver: [{ file: { path: t } }]
"#,
            want: &[],
        },
        // --- missing-key and invalid-value, found by these rules rather than the schema
        Case {
            name: "a network rule without type",
            rule: Rule::MissingKey,
            yaml: r#"
version: 1
network_rules:
  D.S.R: { value_list: [192.0.2.0/24] }
"#,
            want: &[("missing-key", 3, 3)],
        },
        Case {
            name: "a tombstone needs no type",
            rule: Rule::MissingKey,
            yaml: r#"
version: 1
network_rules:
  D.S.R: { absent: true }
"#,
            want: &[],
        },
        Case {
            name: "a PAT policy default above its maximum",
            rule: Rule::InvalidValue,
            yaml: r#"
version: 1
authentication_policies:
  D.S.AP: { pat_policy: { default_expiry_in_days: 60, max_expiry_in_days: 30 } }
"#,
            want: &[("invalid-value", 3, 51)],
        },
    ];

    #[test]
    fn semantic_rules_find_what_they_should_where_they_should() {
        check(CASES);
    }

    #[test]
    fn network_values_are_checked_against_their_rule_type() {
        let cases: &[(NetworkRuleType, &str, bool)] = &[
            (NetworkRuleType::Ipv4, "192.0.2.1", true),
            (NetworkRuleType::Ipv4, "192.0.2.0/24", true),
            (NetworkRuleType::Ipv4, "192.0.2.1/24", false),
            (NetworkRuleType::Ipv4, "192.0.2.0/33", false),
            (NetworkRuleType::Ipv4, "2001:db8::1", false),
            (NetworkRuleType::Ipv6, "2001:db8::/32", true),
            (NetworkRuleType::Ipv6, "192.0.2.1", false),
            (NetworkRuleType::HostPort, "example.com", true),
            (NetworkRuleType::HostPort, "*.example.com:443", true),
            (NetworkRuleType::HostPort, "example.com:65536", false),
            (NetworkRuleType::HostPort, "-bad.example.com", false),
            (NetworkRuleType::PrivateHostPort, "db.internal:5432", true),
            (NetworkRuleType::Awsvpceid, "vpce-0fa383eb170331202", true),
            (NetworkRuleType::Awsvpceid, "vpce-", false),
            (NetworkRuleType::Azurelinkid, "123456", true),
            (NetworkRuleType::Gcppscid, "abc", false),
            (NetworkRuleType::ComputePool, "my_pool", true),
            (NetworkRuleType::ComputePool, "my pool", false),
        ];
        for (rule_type, value, ok) in cases {
            assert_eq!(
                check_network_value(*rule_type, value).is_ok(),
                *ok,
                "{rule_type:?} {value}"
            );
        }
    }
}

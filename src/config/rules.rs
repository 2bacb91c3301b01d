//! Semantic rules over a well-formed [`Config`]: what Snowflake would refuse, and what is unwise.
//!
//! Each check reads the typed model and reports through [`SourceIndex`] where in the file the
//! finding belongs. Checks that need the account (a policy the file does not declare, roles
//! granted outside the file) are the plan's preflight, not these.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::diagnostic::{Diagnostic, Rule};
use super::load::SourceIndex;
use crate::model::desired::{
    Config, MAX_TOKENS_PER_USER, NetworkPolicyEvaluation, NetworkRuleMode, NetworkRuleType,
    TokenSpec, UserSpec,
};
use crate::model::{Identifier, ObjectName};

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
                        type_name(rule_type)
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

fn type_name(t: NetworkRuleType) -> &'static str {
    match t {
        NetworkRuleType::Ipv4 => "IPV4",
        NetworkRuleType::Ipv6 => "IPV6",
        NetworkRuleType::Awsvpceid => "AWSVPCEID",
        NetworkRuleType::Azurelinkid => "AZURELINKID",
        NetworkRuleType::Gcppscid => "GCPPSCID",
        NetworkRuleType::HostPort => "HOST_PORT",
        NetworkRuleType::PrivateHostPort => "PRIVATE_HOST_PORT",
        NetworkRuleType::ComputePool => "COMPUTE_POOL",
    }
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
                            serde_variant(&eval)
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
                    .at(at.prop("default_expiry_in_days")),
                );
            }
        }
    }
}

fn serde_variant<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
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
    match config.network_policies.get(name) {
        Some(p) if p.absent => out.push(absent_reference(
            path.to_owned(),
            format!("network policy `{name}` is marked `absent: true`"),
            span,
        )),
        Some(_) => {}
        None => out.push(
            Diagnostic::new(
                Rule::UndeclaredReference,
                path,
                format!("network policy `{name}` is not declared in this file"),
            )
            .at(span)
            .hint("it must already exist in the account; declare it under `network_policies` to manage it"),
        ),
    }
}

fn authentication_policy_reference(
    config: &Config,
    name: &ObjectName,
    path: &str,
    span: Option<super::yaml::Span>,
    out: &mut Vec<Diagnostic>,
) {
    match config.authentication_policies.get(name) {
        Some(p) if p.absent => out.push(absent_reference(
            path.to_owned(),
            format!("authentication policy `{name}` is marked `absent: true`"),
            span,
        )),
        Some(_) => {}
        None => out.push(
            Diagnostic::new(
                Rule::UndeclaredReference,
                path,
                format!("authentication policy `{name}` is not declared in this file"),
            )
            .at(span)
            .hint("it must already exist in the account; declare it under `authentication_policies` to manage it"),
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
    if rotation_slots > MAX_TOKENS_PER_USER {
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
    let path = format!("users.{user_name}.tokens.{name}");
    let pat_policy = config.user_pat_policy(user);
    let user_type = user.user_type;
    let is_service = user_type.is_some_and(|t| t.is_service());

    if token.role_restriction.is_none() {
        let required = if is_service {
            pat_policy
                .and_then(|p| p.require_role_restriction_for_service_users)
                .unwrap_or(true)
        } else {
            pat_policy
                .and_then(|p| p.require_role_restriction_for_person_users)
                .unwrap_or(false)
        };
        if required {
            let kind = if is_service { "service" } else { "person" };
            out.push(
                Diagnostic::new(
                    Rule::ServiceTokenWithoutRoleRestriction,
                    path.clone(),
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
        if days > max {
            let (policy_name, _) = config
                .user_authentication_policy(user)
                .map_or((String::new(), ()), |(n, _)| (n.to_string(), ()));
            out.push(
                Diagnostic::new(
                    Rule::ExpiryAbovePolicyMaximum,
                    format!("{path}.days_to_expiry"),
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
                format!("{path}.days_to_expiry"),
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
                format!("{path}.rotate_before_expiry_days"),
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
                format!("{path}.deliver"),
                format!("token `{name}` has nowhere to deliver its secret"),
            )
            .at(at.prop("deliver"))
            .hint("add `deliver: [ { json_file: { path: ..., pointer: /pat } } ]` (or `dotenv_file`, `file`, `command`)"),
        );
    }

    if let Some(role) = &token.role_restriction {
        let blocked = pat_policy
            .and_then(|p| p.blocked_roles_list.as_ref())
            .is_some_and(|list| list.contains(role));
        if blocked {
            out.push(
                Diagnostic::new(
                    Rule::RoleBlockedByPolicy,
                    format!("{path}.role_restriction"),
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
                    format!("{path}.role_restriction"),
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
                format!("{path}.mins_to_bypass_network_policy_requirement"),
                format!(
                    "token `{name}` of service user `{user_name}` sets a network-policy bypass"
                ),
            )
            .at(at.prop("mins_to_bypass_network_policy_requirement"))
            .hint("give the user a network policy instead"),
        );
    }
}

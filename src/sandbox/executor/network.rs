//! Network rules (schema-level) and network policies (account-level): CREATE / ALTER / DROP /
//! SHOW / DESC (reference `snowflake-sql.md` §3), and whether a policy admits an address.
//!
//! Rule lists name rules as string constants or identifiers; a partial name is resolved against
//! the session's database and schema, and the rule must exist and be an INGRESS or
//! INTERNAL_STAGE rule. IP lists take IPv4 addresses or CIDR blocks. A policy attached to a user
//! or the account cannot be dropped or replaced (001492), nor can a rule a policy uses (the same
//! template, naming the policy). DESC NETWORK POLICY lists only the lists that are set, rule
//! lists as `[{"fullyQualifiedRuleName":"DB.SCHEMA.RULE"}]`, IP lists comma-separated.
//!
//! CREATE NETWORK RULE may omit VALUE_LIST (an empty rule); `TYPE = HOST_PORT` and
//! `PRIVATE_HOST_PORT` need `MODE = EGRESS` (001510); `UNSET VALUE_LIST, COMMENT` unsets both.
//! The Snowflake-managed rules in SNOWFLAKE.NETWORK_SECURITY can be listed, described and used
//! by policies, never created, altered or dropped (003001). ALTER NETWORK POLICY refuses a change
//! that would exclude the caller's address while the policy is in force for the session's user
//! (001511, the docs' text); in-process seeding has no address and is not checked.
//!
//! Address check: a blocked IP or blocked IPV4/IPV6 rule refuses; otherwise the address must be
//! in an allowed IP entry or allowed IPV4/IPV6 INGRESS rule; a policy that allows nothing
//! admits no one. IPv4-mapped IPv6 addresses are compared as IPv4.

use std::net::IpAddr;

use ipnet::IpNet;

use super::{Context, Result, filter_names};
use crate::sandbox::account::{Account, NetworkPolicy, NetworkRule, is_snowflake_managed};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::{Name, QualifiedName};
use crate::sandbox::result_set::{Column, ResultSet, encode_timestamp};
use crate::sandbox::sql::ast::{
    AlterNetworkPolicy, AlterNetworkPolicyAction, AlterNetworkRule, AlterNetworkRuleAction,
    CreateKind, CreateNetworkPolicy, CreateNetworkRule, NetworkPolicyField,
    NetworkPolicyProperties, NetworkRuleMode, NetworkRuleType, ObjectName, PolicyList,
    PolicyListValue, ShowFilter, ShowScope,
};

/// Whether `policy` admits `address`.
pub fn address_allowed(account: &Account, policy: &NetworkPolicy, address: IpAddr) -> bool {
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    };
    let in_ips = |list: &[String]| list.iter().any(|entry| entry_matches(entry, address));
    let in_rules = |rules: &[QualifiedName]| {
        rules
            .iter()
            .filter_map(|name| account.network_rule(name))
            .filter(|rule| {
                matches!(
                    rule.rule_type,
                    NetworkRuleType::Ipv4 | NetworkRuleType::Ipv6
                )
            })
            .filter(|rule| rule.mode == NetworkRuleMode::Ingress)
            .any(|rule| {
                rule.values
                    .iter()
                    .any(|entry| entry_matches(entry, address))
            })
    };
    if in_ips(&policy.blocked_ips) || in_rules(&policy.blocked_rules) {
        return false;
    }
    in_ips(&policy.allowed_ips) || in_rules(&policy.allowed_rules)
}

fn entry_matches(entry: &str, address: IpAddr) -> bool {
    let entry = entry.trim();
    if let Ok(network) = entry.parse::<IpNet>() {
        return network.contains(&address);
    }
    entry.parse::<IpAddr>() == Ok(address)
}

fn valid_entry(entry: &str, rule_type: NetworkRuleType) -> bool {
    let entry = entry.trim();
    let parsed = entry
        .parse::<IpNet>()
        .map(|net| net.addr())
        .or_else(|_| entry.parse::<IpAddr>());
    match (rule_type, parsed) {
        (NetworkRuleType::Ipv4, Ok(IpAddr::V4(_))) | (NetworkRuleType::Ipv6, Ok(IpAddr::V6(_))) => {
            true
        }
        (NetworkRuleType::Ipv4 | NetworkRuleType::Ipv6, _) => false,
        _ => !entry.is_empty(),
    }
}

fn check_values(rule_type: NetworkRuleType, values: &[String]) -> Result<()> {
    match values.iter().find(|value| !valid_entry(value, rule_type)) {
        Some(bad) => Err(StatementError::invalid_value("VALUE_LIST", bad.clone())),
        None => Ok(()),
    }
}

fn check_ips(list: PolicyList, values: &[String]) -> Result<()> {
    match values
        .iter()
        .find(|value| !valid_entry(value, NetworkRuleType::Ipv4))
    {
        Some(bad) => Err(StatementError::invalid_value(list.keyword(), bad.clone())),
        None => Ok(()),
    }
}

/// The policies that use `rule`, by name.
fn policies_using<'a>(account: &'a Account, rule: &QualifiedName) -> Vec<&'a Name> {
    account
        .network_policies
        .values()
        .filter(|policy| policy.allowed_rules.contains(rule) || policy.blocked_rules.contains(rule))
        .map(|policy| &policy.name)
        .collect()
}

pub(super) fn create_rule(
    context: &mut Context<'_>,
    create: &CreateNetworkRule,
) -> Result<ResultSet> {
    let name = context.qualify(&create.name, "CREATE NETWORK RULE")?;
    context.require_schema(&name)?;
    let schema = format!("{}.{}", name.database, name.schema);
    context.require_admin(ObjectKind::Schema, &schema)?;
    if is_snowflake_managed(&name) {
        return Err(StatementError::insufficient(ObjectKind::Schema, schema));
    }
    if matches!(
        create.rule_type,
        NetworkRuleType::HostPort | NetworkRuleType::PrivateHostPort
    ) && create.rule_mode != NetworkRuleMode::Egress
    {
        return Err(StatementError::NetworkRuleNeedsEgress {
            rule_type: create.rule_type.as_str().to_owned(),
        });
    }
    check_values(create.rule_type, &create.value_list)?;
    if let Some(existing) = context.account.network_rule(&name) {
        if create.mode.if_not_exists {
            return Ok(ResultSet::status(format!(
                "{} already exists, statement succeeded.",
                name.name
            )));
        }
        match create.mode.kind {
            CreateKind::Create => return Err(StatementError::already_exists(&name.name)),
            CreateKind::OrAlter
                if existing.rule_type != create.rule_type || existing.mode != create.rule_mode =>
            {
                return Err(StatementError::invalid_value(
                    "TYPE",
                    create.rule_type.as_str(),
                ));
            }
            CreateKind::OrReplace => {
                if let Some(policy) = policies_using(context.account, &name).first() {
                    return Err(StatementError::PolicyAttached {
                        operation: "Replace",
                        kind: ObjectKind::NetworkRule,
                        name: name.to_string(),
                        domain: ObjectKind::NetworkPolicy,
                        entity: policy.to_string(),
                    });
                }
            }
            CreateKind::OrAlter => {}
        }
    }
    let created_on = context
        .account
        .network_rule(&name)
        .filter(|_| create.mode.kind == CreateKind::OrAlter)
        .map_or(context.now, |rule| rule.created_on);
    let rule = NetworkRule {
        name: name.clone(),
        created_on,
        owner: context.owner(),
        comment: create.comment.clone(),
        rule_type: create.rule_type,
        mode: create.rule_mode,
        values: create.value_list.clone(),
    };
    context
        .account
        .network_rules
        .retain(|rule| rule.name != name);
    context.account.network_rules.push(rule);
    context
        .account
        .network_rules
        .sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ResultSet::status(format!(
        "Network rule {} successfully created.",
        name.name
    )))
}

pub(super) fn alter_rule(context: &mut Context<'_>, alter: &AlterNetworkRule) -> Result<ResultSet> {
    let name = context.qualify(&alter.name, "ALTER NETWORK RULE")?;
    let Some(rule) = context.account.network_rule(&name) else {
        if alter.if_exists {
            return Ok(ResultSet::status("Statement executed successfully."));
        }
        return Err(StatementError::does_not_exist(
            ObjectKind::NetworkRule,
            &name,
        ));
    };
    context.require_admin(ObjectKind::NetworkRule, &name)?;
    if is_snowflake_managed(&name) {
        return Err(StatementError::insufficient(ObjectKind::NetworkRule, &name));
    }
    if let AlterNetworkRuleAction::Set {
        value_list: Some(values),
        ..
    } = &alter.action
    {
        check_values(rule.rule_type, values)?;
    }
    if let Some(rule) = context
        .account
        .network_rules
        .iter_mut()
        .find(|rule| rule.name == name)
    {
        match &alter.action {
            AlterNetworkRuleAction::Set {
                value_list,
                comment,
            } => {
                if let Some(values) = value_list {
                    rule.values = values.clone();
                }
                if let Some(comment) = comment {
                    rule.comment = Some(comment.clone());
                }
            }
            AlterNetworkRuleAction::Unset {
                value_list,
                comment,
            } => {
                if *value_list {
                    rule.values.clear();
                }
                if *comment {
                    rule.comment = None;
                }
            }
        }
    }
    Ok(ResultSet::status("Statement executed successfully."))
}

pub(super) fn drop_rule(
    context: &mut Context<'_>,
    if_exists: bool,
    name: &ObjectName,
) -> Result<ResultSet> {
    let name = context.qualify(name, "DROP NETWORK RULE")?;
    if context.account.network_rule(&name).is_none() {
        if if_exists {
            return Ok(ResultSet::status(format!(
                "Drop statement executed successfully ({} already dropped).",
                name.name
            )));
        }
        return Err(StatementError::does_not_exist(
            ObjectKind::NetworkRule,
            &name,
        ));
    }
    context.require_admin(ObjectKind::NetworkRule, &name)?;
    if is_snowflake_managed(&name) {
        return Err(StatementError::insufficient(ObjectKind::NetworkRule, &name));
    }
    if let Some(policy) = policies_using(context.account, &name).first() {
        return Err(StatementError::PolicyAttached {
            operation: "Drop",
            kind: ObjectKind::NetworkRule,
            name: name.to_string(),
            domain: ObjectKind::NetworkPolicy,
            entity: policy.to_string(),
        });
    }
    context
        .account
        .network_rules
        .retain(|rule| rule.name != name);
    Ok(ResultSet::status(format!(
        "{} successfully dropped.",
        name.name
    )))
}

/// Which schemas a scoped SHOW covers: `(database, schema)` filters, `None` meaning any.
fn scope_filter(
    context: &Context<'_>,
    scope: Option<&ShowScope>,
    command: &str,
) -> Result<(Option<Name>, Option<Name>)> {
    Ok(match scope {
        Some(ShowScope::Account) | Some(ShowScope::OnAccount) | Some(ShowScope::OnUser(_)) => {
            (None, None)
        }
        Some(ShowScope::Database(Some(database))) => (Some(database.clone()), None),
        Some(ShowScope::Database(None)) => (Some(context.current_database(command)?), None),
        Some(ShowScope::Schema(Some(name))) => match name.parts.as_slice() {
            [database, schema] => (Some(database.clone()), Some(schema.clone())),
            [schema] => (
                Some(context.current_database(command)?),
                Some(schema.clone()),
            ),
            _ => (None, None),
        },
        Some(ShowScope::Schema(None)) => (
            Some(context.current_database(command)?),
            Some(context.current_schema(command)?),
        ),
        None => (
            context.session.database.clone(),
            context
                .session
                .database
                .as_ref()
                .and(context.session.schema.clone()),
        ),
    })
}

pub(super) fn show_rules(
    context: &mut Context<'_>,
    filter: &ShowFilter,
    scope: Option<&ShowScope>,
) -> Result<ResultSet> {
    let (database, schema) = scope_filter(context, scope, "SHOW NETWORK RULES")?;
    let mut result = ResultSet::new(vec![
        Column::timestamp("created_on"),
        Column::text("name"),
        Column::text("database_name"),
        Column::text("schema_name"),
        Column::text("owner"),
        Column::text("comment"),
        Column::text("type"),
        Column::text("mode"),
        Column::fixed("entries_in_valuelist"),
        Column::text("owner_role_type"),
    ]);
    if !context.is_admin() {
        return Ok(result);
    }
    let rules = filter_names(
        context
            .account
            .network_rules
            .iter()
            .filter(|rule| database.as_ref().is_none_or(|db| &rule.name.database == db))
            .filter(|rule| schema.as_ref().is_none_or(|s| &rule.name.schema == s))
            .map(|rule| (rule.name.name.as_str(), rule)),
        filter,
    );
    for rule in rules {
        result.push(vec![
            Some(encode_timestamp(rule.created_on)),
            Some(rule.name.name.to_string()),
            Some(rule.name.database.to_string()),
            Some(rule.name.schema.to_string()),
            Some(rule.owner.to_string()),
            Some(rule.comment.clone().unwrap_or_default()),
            Some(rule.rule_type.as_str().to_owned()),
            Some(rule.mode.as_str().to_owned()),
            Some(rule.values.len().to_string()),
            Some("ROLE".to_owned()),
        ]);
    }
    Ok(result)
}

pub(super) fn describe_rule(context: &mut Context<'_>, name: &ObjectName) -> Result<ResultSet> {
    let name = context.qualify(name, "DESCRIBE NETWORK RULE")?;
    let rule = context
        .account
        .network_rule(&name)
        .filter(|_| context.is_admin())
        .ok_or_else(|| StatementError::does_not_exist(ObjectKind::NetworkRule, &name))?;
    let mut result = ResultSet::new(vec![
        Column::timestamp("created_on"),
        Column::text("name"),
        Column::text("database_name"),
        Column::text("schema_name"),
        Column::text("owner"),
        Column::text("comment"),
        Column::text("type"),
        Column::text("mode"),
        Column::text("value_list"),
    ]);
    result.push(vec![
        Some(encode_timestamp(rule.created_on)),
        Some(rule.name.name.to_string()),
        Some(rule.name.database.to_string()),
        Some(rule.name.schema.to_string()),
        Some(rule.owner.to_string()),
        Some(rule.comment.clone().unwrap_or_default()),
        Some(rule.rule_type.as_str().to_owned()),
        Some(rule.mode.as_str().to_owned()),
        Some(rule.values.join(",")),
    ]);
    Ok(result)
}

/// Resolves rule names for a policy list: each must exist and be usable by a network policy.
fn resolve_rules(
    context: &Context<'_>,
    rules: &[ObjectName],
    command: &str,
) -> Result<Vec<QualifiedName>> {
    let mut resolved = Vec::new();
    for rule in rules {
        let name = context.qualify(rule, command)?;
        let Some(found) = context.account.network_rule(&name) else {
            return Err(StatementError::does_not_exist(
                ObjectKind::NetworkRule,
                &name,
            ));
        };
        if !matches!(
            found.mode,
            NetworkRuleMode::Ingress | NetworkRuleMode::InternalStage
        ) {
            return Err(StatementError::invalid_value("MODE", found.mode.as_str()));
        }
        if !resolved.contains(&name) {
            resolved.push(name);
        }
    }
    Ok(resolved)
}

fn list_mut(policy: &mut NetworkPolicy, list: PolicyList) -> ListMut<'_> {
    match list {
        PolicyList::AllowedNetworkRules => ListMut::Rules(&mut policy.allowed_rules),
        PolicyList::BlockedNetworkRules => ListMut::Rules(&mut policy.blocked_rules),
        PolicyList::AllowedIps => ListMut::Ips(&mut policy.allowed_ips),
        PolicyList::BlockedIps => ListMut::Ips(&mut policy.blocked_ips),
    }
}

enum ListMut<'a> {
    Rules(&'a mut Vec<QualifiedName>),
    Ips(&'a mut Vec<String>),
}

/// Applies SET-style properties (lists replace) to a policy.
fn apply_properties(
    context: &Context<'_>,
    policy: &mut NetworkPolicy,
    properties: &NetworkPolicyProperties,
    command: &str,
) -> Result<()> {
    for (list, value) in &properties.lists {
        match (list_mut(policy, *list), value) {
            (ListMut::Rules(target), PolicyListValue::Rules(rules)) => {
                *target = resolve_rules(context, rules, command)?;
            }
            (ListMut::Ips(target), PolicyListValue::Ips(ips)) => {
                check_ips(*list, ips)?;
                *target = ips.iter().map(|ip| ip.trim().to_owned()).collect();
            }
            _ => return Err(StatementError::invalid_value(list.keyword(), "")),
        }
    }
    if let Some(comment) = &properties.comment {
        policy.comment = Some(comment.clone());
    }
    Ok(())
}

/// Where a network policy is attached: the first user (by name), else the account.
fn attachment(account: &Account, policy: &Name) -> Option<(ObjectKind, String)> {
    if let Some(user) = account
        .users
        .values()
        .find(|user| user.network_policy.as_ref() == Some(policy))
    {
        return Some((ObjectKind::User, user.name.to_string()));
    }
    (account.settings.network_policy.as_ref() == Some(policy))
        .then(|| (ObjectKind::Account, account.name.clone()))
}

pub(super) fn create_policy(
    context: &mut Context<'_>,
    create: &CreateNetworkPolicy,
) -> Result<ResultSet> {
    context.require_account_admin()?;
    let existing = context.account.network_policies.get(&create.name).cloned();
    if let Some(existing) = &existing {
        if create.mode.if_not_exists {
            return Ok(ResultSet::status(format!(
                "{} already exists, statement succeeded.",
                create.name
            )));
        }
        if create.mode.kind == CreateKind::Create {
            return Err(StatementError::already_exists(&create.name));
        }
        if let Some((domain, entity)) = attachment(context.account, &existing.name)
            && create.mode.kind == CreateKind::OrReplace
        {
            return Err(StatementError::PolicyAttached {
                operation: "Replace",
                kind: ObjectKind::NetworkPolicy,
                name: create.name.to_string(),
                domain,
                entity,
            });
        }
    }
    let mut policy = match (existing, create.mode.kind) {
        (Some(existing), CreateKind::OrAlter) => existing,
        _ => NetworkPolicy {
            name: create.name.clone(),
            created_on: context.now,
            owner: context.owner(),
            comment: None,
            allowed_rules: Vec::new(),
            blocked_rules: Vec::new(),
            allowed_ips: Vec::new(),
            blocked_ips: Vec::new(),
        },
    };
    apply_properties(
        context,
        &mut policy,
        &create.properties,
        "CREATE NETWORK POLICY",
    )?;
    context
        .account
        .network_policies
        .insert(create.name.clone(), policy);
    Ok(ResultSet::status("Statement executed successfully."))
}

pub(super) fn alter_policy(
    context: &mut Context<'_>,
    alter: &AlterNetworkPolicy,
) -> Result<ResultSet> {
    let Some(existing) = context.account.network_policies.get(&alter.name).cloned() else {
        if alter.if_exists {
            return Ok(ResultSet::status("Statement executed successfully."));
        }
        return Err(StatementError::does_not_exist(
            ObjectKind::NetworkPolicy,
            &alter.name,
        ));
    };
    context.require_admin(ObjectKind::NetworkPolicy, &alter.name)?;
    let mut policy = existing;
    match &alter.action {
        AlterNetworkPolicyAction::Set(properties) => {
            apply_properties(context, &mut policy, properties, "ALTER NETWORK POLICY")?;
        }
        AlterNetworkPolicyAction::Unset(fields) => {
            for field in fields {
                match field {
                    NetworkPolicyField::Comment => policy.comment = None,
                    NetworkPolicyField::List(list) => match list_mut(&mut policy, *list) {
                        ListMut::Rules(rules) => rules.clear(),
                        ListMut::Ips(ips) => ips.clear(),
                    },
                }
            }
        }
        AlterNetworkPolicyAction::Add(list, rules) => {
            let resolved = resolve_rules(context, rules, "ALTER NETWORK POLICY")?;
            if let ListMut::Rules(target) = list_mut(&mut policy, *list) {
                for rule in resolved {
                    if !target.contains(&rule) {
                        target.push(rule);
                    }
                }
            }
        }
        AlterNetworkPolicyAction::Remove(list, rules) => {
            let names: Vec<QualifiedName> = rules
                .iter()
                .map(|rule| context.qualify(rule, "ALTER NETWORK POLICY"))
                .collect::<Result<_>>()?;
            if let ListMut::Rules(target) = list_mut(&mut policy, *list) {
                target.retain(|rule| !names.contains(rule));
            }
        }
        AlterNetworkPolicyAction::Rename(new_name) => {
            if context.account.network_policies.contains_key(new_name) {
                return Err(StatementError::already_exists(new_name));
            }
            context.account.network_policies.remove(&alter.name);
            policy.name = new_name.clone();
            for user in context.account.users.values_mut() {
                if user.network_policy.as_ref() == Some(&alter.name) {
                    user.network_policy = Some(new_name.clone());
                }
            }
            if context.account.settings.network_policy.as_ref() == Some(&alter.name) {
                context.account.settings.network_policy = Some(new_name.clone());
            }
        }
    }
    refuse_lockout(context, &alter.name, &policy)?;
    context
        .account
        .network_policies
        .insert(policy.name.clone(), policy);
    Ok(ResultSet::status("Statement executed successfully."))
}

/// Refuses a change that would shut the session's own user out: when `name` is the network
/// policy in force for that user (its own, else the account's), `changed` must still admit the
/// caller's address (Corrections 9; text from ALTER NETWORK POLICY's doc).
fn refuse_lockout(context: &Context<'_>, name: &Name, changed: &NetworkPolicy) -> Result<()> {
    let Some(address) = context.caller_address() else {
        return Ok(());
    };
    let Some(user) = context.account.users.get(&context.session.user) else {
        return Ok(());
    };
    let in_force =
        user.network_policy
            .as_ref()
            .or(context.account.settings.network_policy.as_ref());
    if in_force == Some(name) && !address_allowed(context.account, changed, address) {
        return Err(StatementError::NetworkPolicyLockout {
            policy: name.to_string(),
            address,
        });
    }
    Ok(())
}

/// ALTER ACCOUNT SET NETWORK_POLICY: the policy must admit the caller's current address
/// (network-policies guide: "your current IP address must be included").
pub(super) fn refuse_account_lockout(context: &Context<'_>, policy: &NetworkPolicy) -> Result<()> {
    let Some(address) = context.caller_address() else {
        return Ok(());
    };
    if !address_allowed(context.account, policy, address) {
        return Err(StatementError::NetworkPolicyLockout {
            policy: policy.name.to_string(),
            address,
        });
    }
    Ok(())
}

pub(super) fn drop_policy(
    context: &mut Context<'_>,
    if_exists: bool,
    name: &Name,
) -> Result<ResultSet> {
    if !context.account.network_policies.contains_key(name) {
        if if_exists {
            return Ok(ResultSet::status(format!(
                "Drop statement executed successfully ({name} already dropped)."
            )));
        }
        return Err(StatementError::does_not_exist(
            ObjectKind::NetworkPolicy,
            name,
        ));
    }
    context.require_admin(ObjectKind::NetworkPolicy, name)?;
    if let Some((domain, entity)) = attachment(context.account, name) {
        return Err(StatementError::PolicyAttached {
            operation: "Drop",
            kind: ObjectKind::NetworkPolicy,
            name: name.to_string(),
            domain,
            entity,
        });
    }
    context.account.network_policies.remove(name);
    Ok(ResultSet::status(format!("{name} successfully dropped.")))
}

pub(super) fn show_policies(context: &mut Context<'_>, filter: &ShowFilter) -> Result<ResultSet> {
    let mut result = ResultSet::new(vec![
        Column::timestamp("created_on"),
        Column::text("name"),
        Column::text("comment"),
        Column::fixed("entries_in_allowed_ip_list"),
        Column::fixed("entries_in_blocked_ip_list"),
        Column::fixed("entries_in_allowed_network_rules"),
        Column::fixed("entries_in_blocked_network_rules"),
    ]);
    if !context.is_admin() {
        return Ok(result);
    }
    let policies = filter_names(
        context
            .account
            .network_policies
            .values()
            .map(|policy| (policy.name.as_str(), policy)),
        filter,
    );
    for policy in policies {
        result.push(vec![
            Some(encode_timestamp(policy.created_on)),
            Some(policy.name.to_string()),
            Some(policy.comment.clone().unwrap_or_default()),
            Some(policy.allowed_ips.len().to_string()),
            Some(policy.blocked_ips.len().to_string()),
            Some(policy.allowed_rules.len().to_string()),
            Some(policy.blocked_rules.len().to_string()),
        ]);
    }
    Ok(result)
}

fn rule_list_json(rules: &[QualifiedName]) -> String {
    let entries: Vec<serde_json::Value> = rules
        .iter()
        .map(|rule| serde_json::json!({ "fullyQualifiedRuleName": rule.to_string() }))
        .collect();
    serde_json::Value::Array(entries).to_string()
}

pub(super) fn describe_policy(context: &mut Context<'_>, name: &Name) -> Result<ResultSet> {
    let policy = context
        .account
        .network_policies
        .get(name)
        .filter(|_| context.is_admin())
        .ok_or_else(|| StatementError::does_not_exist(ObjectKind::NetworkPolicy, name))?;
    let mut result = ResultSet::new(vec![Column::text("name"), Column::text("value")]);
    let rows = [
        (
            "ALLOWED_IP_LIST",
            policy.allowed_ips.join(","),
            policy.allowed_ips.is_empty(),
        ),
        (
            "BLOCKED_IP_LIST",
            policy.blocked_ips.join(","),
            policy.blocked_ips.is_empty(),
        ),
        (
            "ALLOWED_NETWORK_RULE_LIST",
            rule_list_json(&policy.allowed_rules),
            policy.allowed_rules.is_empty(),
        ),
        (
            "BLOCKED_NETWORK_RULE_LIST",
            rule_list_json(&policy.blocked_rules),
            policy.blocked_rules.is_empty(),
        ),
    ];
    for (key, value, empty) in rows {
        if !empty {
            result.push(vec![Some(key.to_owned()), Some(value)]);
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn policy(allowed: &[&str], blocked: &[&str]) -> NetworkPolicy {
        NetworkPolicy {
            name: Name::new("P"),
            created_on: Utc::now(),
            owner: Name::new("ACCOUNTADMIN"),
            comment: None,
            allowed_rules: Vec::new(),
            blocked_rules: Vec::new(),
            allowed_ips: allowed.iter().map(|s| (*s).to_owned()).collect(),
            blocked_ips: blocked.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn blocked_entries_win_and_empty_policies_admit_no_one() {
        let account = Account::new("SANDBOX", &Name::new("ADMIN"), Utc::now());
        let address: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(address_allowed(
            &account,
            &policy(&["203.0.113.0/24"], &[]),
            address
        ));
        assert!(!address_allowed(
            &account,
            &policy(&["203.0.113.0/24"], &["203.0.113.7"]),
            address
        ));
        assert!(!address_allowed(&account, &policy(&[], &[]), address));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert!(address_allowed(
            &account,
            &policy(&["203.0.113.7"], &[]),
            mapped
        ));
    }
}

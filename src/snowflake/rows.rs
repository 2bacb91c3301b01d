//! Row-to-model functions: what one SHOW, DESC or SELECT result means for the live model.
//!
//! Each function reads result sets by column name and returns model values; none of them runs a
//! statement. The live reader and apply's secret recovery both read rows through here, so a
//! column is interpreted in one place. Names come back in their stored form (as SHOW prints
//! them) and are never folded as if they were unquoted SQL.

use std::collections::{BTreeMap, BTreeSet};

use super::desc::{self, DescValue};
use super::result::{ResultSet, Row, parse_timestamp};
use crate::model::desired::{NetworkRuleMode, NetworkRuleType};
use crate::model::live::{
    AccountPolicies, Attachment, LiveAuthenticationPolicy, LiveMfaPolicy, LiveNetworkPolicy,
    LiveNetworkRule, LivePatPolicy, LiveToken, LiveUser, LiveWorkloadIdentityPolicy,
    MFA_ENROLLMENT_DEFAULT, Session, SessionAuthentication, TokenStatus,
};
use crate::model::{Identifier, ObjectName, Spelled, Vocabulary};
use crate::secrets::Secret;

/// A closed-set word from a column, upper case as SHOW prints most of them; a word this
/// version does not know is kept as [`Spelled::Other`].
fn word<T: Vocabulary>(text: &str) -> Spelled<T> {
    Spelled::from(text.to_ascii_uppercase())
}

/// A stored name from a column (`None` when absent, empty or not a valid name).
pub fn ident(row: &Row<'_>, column: &str) -> Option<Identifier> {
    row.text(column)
        .and_then(|s| Identifier::from_stored(s).ok())
}

/// `database_name`, `schema_name`, `name` of a SHOW row of a schema object.
pub fn object_name(row: &Row<'_>) -> Option<ObjectName> {
    Some(ObjectName {
        database: ident(row, "database_name")?,
        schema: ident(row, "schema_name")?,
        name: ident(row, "name")?,
    })
}

/// A dotted name as Snowflake prints stored parts (`DEMO.DEMO.gw_rule`): each part is kept as
/// written, except that a part in double quotes (as some outputs print a name that needs them)
/// is unquoted. It is never folded: `gw_rule` here is the stored, case-sensitive name.
pub fn stored_object_name(text: &str) -> Option<ObjectName> {
    let mut parts = Vec::with_capacity(3);
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.trim().chars().peekable();
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if current.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '.' if !quoted => {
                parts.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            c => current.push(c),
        }
    }
    if quoted {
        return None;
    }
    parts.push(current);
    let [database, schema, name]: [String; 3] = parts.try_into().ok()?;
    Some(ObjectName {
        database: Identifier::from_stored(database).ok()?,
        schema: Identifier::from_stored(schema).ok()?,
        name: Identifier::from_stored(name).ok()?,
    })
}

/// What `SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_ACCOUNT(), CURRENT_TIMESTAMP(),
/// CURRENT_IP_ADDRESS()` answered.
#[derive(Debug, Clone, Default)]
pub struct SessionRow {
    pub session: Option<Session>,
    pub account: Option<String>,
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads the session row; the columns are expressions, so each is found by its name or, failing
/// that, by position.
pub fn session(rows: &ResultSet, authentication: SessionAuthentication) -> SessionRow {
    let Some(row) = rows.rows().next() else {
        return SessionRow::default();
    };
    let column = |name: &str, at: usize| row.get(&[name]).or(row.at(at)).filter(|v| !v.is_empty());
    SessionRow {
        session: column("CURRENT_USER()", 0)
            .and_then(|u| Identifier::from_stored(u).ok())
            .map(|user| Session {
                user,
                role: column("CURRENT_ROLE()", 1).and_then(|r| Identifier::from_stored(r).ok()),
                authentication,
                ip_address: column("CURRENT_IP_ADDRESS()", 4).map(str::to_owned),
            }),
        account: column("CURRENT_ACCOUNT()", 2).map(str::to_owned),
        read_at: column("CURRENT_TIMESTAMP()", 3).and_then(parse_timestamp),
    }
}

/// A `SHOW USERS` row: the user's name and properties (grants, attachments and tokens are read
/// separately).
pub fn user(row: &Row<'_>) -> Option<(Identifier, LiveUser)> {
    Some((
        ident(row, "name")?,
        LiveUser {
            user_type: row.text("type").map(word),
            default_role: ident(row, "default_role"),
            disabled: row.bool("disabled").unwrap_or(false),
            comment: row.text("comment").map(str::to_owned),
            ..LiveUser::default()
        },
    ))
}

/// What a `SHOW USERS` row says about choosing the user (`import`, `status --all`) and about
/// reading it (the reader may skip the token read of a declared user with `has_pat = false`):
/// its name, its type, and `has_pat` (BCR-1951: "If true, the user has one or more programmatic
/// access tokens"; whether an expired or disabled token counts is not documented, see the
/// reader's module docs; reference §5.3: Snowflake prints it as the string `'true'`/`'false'`,
/// and NULL when the role may not see it; `None` also when the column is absent, as on an
/// account before the 2025_03 bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserListing {
    pub name: Identifier,
    pub user_type: Option<Spelled<crate::model::desired::UserType>>,
    pub has_pat: Option<bool>,
}

/// A `SHOW USERS` row as a [`UserListing`].
pub fn user_listing(row: &Row<'_>) -> Option<UserListing> {
    Some(UserListing {
        name: ident(row, "name")?,
        user_type: row.text("type").map(word),
        has_pat: row.bool("has_pat"),
    })
}

/// The `name` of the last row, the cursor of the next `SHOW ... LIMIT n FROM 'name'` page.
pub fn last_name(rows: &ResultSet) -> Option<String> {
    rows.rows.last()?;
    rows.rows().last()?.text("name").map(str::to_owned)
}

/// Who holds a role, from `SHOW GRANTS OF ROLE`: the users and the roles it is granted to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holders {
    pub users: BTreeSet<Identifier>,
    pub roles: BTreeSet<Identifier>,
}

pub fn holders(rows: &ResultSet) -> Holders {
    let mut out = Holders::default();
    for row in rows.rows() {
        let Some(grantee) = ident(&row, "grantee_name") else {
            continue;
        };
        match row
            .text("granted_to")
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("USER") => {
                out.users.insert(grantee);
            }
            Some("ROLE") => {
                out.roles.insert(grantee);
            }
            _ => {}
        }
    }
    out
}

/// `SHOW NETWORK POLICIES`: name to comment.
pub fn network_policy_list(rows: &ResultSet) -> BTreeMap<Identifier, Option<String>> {
    rows.rows()
        .filter_map(|r| Some((ident(&r, "name")?, r.text("comment").map(str::to_owned))))
        .collect()
}

/// What `SHOW NETWORK RULES` says of a rule (DESC fills in the value list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSummary {
    pub rule_type: Spelled<NetworkRuleType>,
    pub mode: Spelled<NetworkRuleMode>,
    pub comment: Option<String>,
}

pub fn network_rule_list(rows: &ResultSet) -> BTreeMap<ObjectName, RuleSummary> {
    rows.rows()
        .filter_map(|r| {
            Some((
                object_name(&r)?,
                RuleSummary {
                    rule_type: word(r.text("type")?),
                    mode: r
                        .text("mode")
                        .map_or(Spelled::Known(NetworkRuleMode::Ingress), word),
                    comment: r.text("comment").map(str::to_owned),
                },
            ))
        })
        .collect()
}

/// `SHOW AUTHENTICATION POLICIES IN ACCOUNT`: name to comment.
pub fn authentication_policy_list(rows: &ResultSet) -> BTreeMap<ObjectName, Option<String>> {
    rows.rows()
        .filter_map(|r| Some((object_name(&r)?, r.text("comment").map(str::to_owned))))
        .collect()
}

/// The row of a `SHOW PARAMETERS` result whose `key` is `key` (the command lists every session
/// parameter, not only the one asked for: reference Corrections 14).
fn parameter<'a>(rows: &'a ResultSet, key: &str) -> Option<Row<'a>> {
    rows.rows()
        .find(|r| r.text("key").is_some_and(|k| k.eq_ignore_ascii_case(key)))
}

/// `SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER u`: the user's own network policy (a row at
/// `level` USER; an account-level value shows at level ACCOUNT and is not the user's).
pub fn user_network_policy(rows: &ResultSet) -> Option<Identifier> {
    let row = parameter(rows, "NETWORK_POLICY")?;
    row.text("level")
        .is_some_and(|l| l.eq_ignore_ascii_case("USER"))
        .then(|| ident(&row, "value"))
        .flatten()
}

/// `SHOW AUTHENTICATION POLICIES ON USER u`: the policy set on the user itself (`set_on` USER;
/// an account-level policy in force for the user shows with `set_on` ACCOUNT).
pub fn user_authentication_policy(rows: &ResultSet) -> Option<ObjectName> {
    rows.rows()
        .find(|row| {
            row.text("set_on")
                .is_some_and(|s| s.eq_ignore_ascii_case("USER"))
        })
        .and_then(|row| object_name(&row))
}

/// Account-level attachments from `SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN ACCOUNT` and
/// `SHOW AUTHENTICATION POLICIES ON ACCOUNT` (whose `options` name the target scopes).
pub fn account_policies(np: &ResultSet, ap: &ResultSet) -> AccountPolicies {
    let mut out = AccountPolicies {
        network_policy: parameter(np, "NETWORK_POLICY")
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

/// One row of `SHOW USER PROGRAMMATIC ACCESS TOKENS`.
pub fn token(row: &Row<'_>) -> Option<LiveToken> {
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

/// Every row of `SHOW USER PROGRAMMATIC ACCESS TOKENS`, rotation leftovers included.
pub fn tokens(rows: &ResultSet) -> Vec<LiveToken> {
    rows.rows().filter_map(|r| token(&r)).collect()
}

/// The secret of an ADD or ROTATE answer (`token_secret`).
pub fn token_secret(rows: &ResultSet) -> Option<Secret> {
    rows.rows()
        .next()
        .and_then(|r| r.text("token_secret"))
        .map(Secret::new)
}

/// `DESC NETWORK POLICY`: one row per property; rule lists are JSON arrays of objects whose
/// `fullyQualifiedRuleName` names each rule.
///
/// The name's form is not documented. The reference (Corrections, 6) and our sandbox print the
/// stored parts joined by dots, unquoted (`DEMO.DEMO.lower_rule`, `DEMO.Mixed Schema.RULE_B`,
/// `DEMO.DEMO.dot.rule`); the Terraform provider parses the value as an identifier that may
/// quote its parts (`sdk.ParseSchemaObjectIdentifier`), so `DEMO.DEMO."dot.rule"` must read too.
/// The unquoted form is ambiguous when a part holds a dot, so a name is first matched against
/// the rules the reader knows (`known`: listed by SHOW or declared), by the stored parts
/// joined; only a name that matches none is split, quotes honoured ([`stored_object_name`]).
/// A name that is neither is dropped, as before.
pub fn network_policy(
    rows: &ResultSet,
    comment: Option<String>,
    known: &[&ObjectName],
) -> LiveNetworkPolicy {
    let mut p = LiveNetworkPolicy {
        comment,
        ..LiveNetworkPolicy::default()
    };
    let rule = |text: &str| -> Option<ObjectName> {
        let text = text.trim();
        known
            .iter()
            .find(|k| {
                let (d, s, n) = (k.database.as_str(), k.schema.as_str(), k.name.as_str());
                text.len() == d.len() + s.len() + n.len() + 2
                    && text.starts_with(d)
                    && text[d.len()..].starts_with('.')
                    && text[d.len() + 1..].starts_with(s)
                    && text[d.len() + 1 + s.len()..].starts_with('.')
                    && text.ends_with(n)
            })
            .map(|k| (*k).clone())
            .or_else(|| stored_object_name(text))
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
                        .filter_map(|i| i.get("fullyQualifiedRuleName")?.as_str().and_then(rule))
                        .collect()
                })
                .unwrap_or_else(|_| {
                    desc::comma_list(value)
                        .iter()
                        .filter_map(|s| rule(s))
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

/// `DESC NETWORK RULE`, completed by what SHOW said of it.
pub fn network_rule(rows: &ResultSet, shown: Option<&RuleSummary>) -> Option<LiveNetworkRule> {
    let row = rows.rows().next()?;
    Some(LiveNetworkRule {
        rule_type: row
            .text("type")
            .map(word)
            .or_else(|| shown.map(|s| s.rule_type.clone()))?,
        mode: row
            .text("mode")
            .map(word)
            .or_else(|| shown.map(|s| s.mode.clone()))
            .unwrap_or(Spelled::Known(NetworkRuleMode::Ingress)),
        value_list: desc::comma_list(row.text("value_list").unwrap_or_default()),
        comment: row
            .text("comment")
            .map(str::to_owned)
            .or_else(|| shown.and_then(|s| s.comment.clone())),
    })
}

/// `DESC AUTHENTICATION POLICY`: one row per property, values in DESC notation. A property the
/// output leaves out keeps Snowflake's default as DESC prints it for a fresh policy.
pub fn authentication_policy(rows: &ResultSet) -> LiveAuthenticationPolicy {
    let mut p = LiveAuthenticationPolicy::default();
    for row in rows.rows() {
        let Some(property) = row.text("property") else {
            continue;
        };
        let raw = row.text("value");
        let value = raw.map(desc::parse);
        let texts = || value.as_ref().map(DescValue::texts).unwrap_or_default();
        match property.to_ascii_uppercase().as_str() {
            "AUTHENTICATION_METHODS" => {
                p.authentication_methods = texts().iter().map(|t| word(t)).collect();
            }
            "CLIENT_TYPES" => p.client_types = texts().iter().map(|t| word(t)).collect(),
            "SECURITY_INTEGRATIONS" => p.security_integrations = texts(),
            "MFA_ENROLLMENT" => {
                p.mfa_enrollment = raw.map_or(Spelled::Known(MFA_ENROLLMENT_DEFAULT), word);
            }
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
                    p.mfa_policy = mfa_policy(v);
                }
            }
            "PAT_POLICY" => {
                if let Some(v) = &value {
                    p.pat_policy = pat_policy(v);
                }
            }
            "WORKLOAD_IDENTITY_POLICY" => {
                if let Some(v) = &value {
                    p.workload_identity_policy = workload_identity_policy(v);
                }
            }
            _ => {}
        }
    }
    p
}

fn mfa_policy(v: &DescValue) -> LiveMfaPolicy {
    let d = LiveMfaPolicy::default();
    LiveMfaPolicy {
        allowed_methods: v
            .get("ALLOWED_METHODS")
            .map_or(d.allowed_methods, DescValue::texts),
        enforce_mfa_on_external_authentication: v
            .get("ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION")
            .and_then(DescValue::as_text)
            .map_or(d.enforce_mfa_on_external_authentication, str::to_owned),
    }
}

fn pat_policy(v: &DescValue) -> LivePatPolicy {
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
    LivePatPolicy {
        default_expiry_in_days: num("DEFAULT_EXPIRY_IN_DAYS", d.default_expiry_in_days),
        max_expiry_in_days: num("MAX_EXPIRY_IN_DAYS", d.max_expiry_in_days),
        network_policy_evaluation: v
            .get("NETWORK_POLICY_EVALUATION")
            .and_then(DescValue::as_text)
            .map_or(d.network_policy_evaluation, word),
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
    }
}

fn workload_identity_policy(v: &DescValue) -> LiveWorkloadIdentityPolicy {
    let d = LiveWorkloadIdentityPolicy::default();
    LiveWorkloadIdentityPolicy {
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
    }
}

/// `POLICY_REFERENCES` rows of one policy kind. An empty answer proves nothing: the function
/// shows only what the role may see (reference Corrections 1), so the caller decides what an
/// empty list means.
pub fn attachments(rows: &ResultSet, kind: &str) -> Vec<Attachment> {
    let mut out: Vec<Attachment> = rows
        .rows()
        .filter(|r| {
            r.text("policy_kind")
                .is_none_or(|k| k.eq_ignore_ascii_case(kind))
        })
        .filter_map(|r| {
            Some(Attachment {
                domain: word(r.text("ref_entity_domain")?),
                name: r.text("ref_entity_name")?.to_owned(),
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(columns: &[&str], rows: &[&[Option<&str>]]) -> ResultSet {
        ResultSet::literal(columns, rows)
    }

    #[test]
    fn rule_names_from_desc_keep_their_stored_case() {
        let n = stored_object_name("DEMO.DEMO.gw_rule").unwrap();
        assert_eq!(n.name.as_str(), "gw_rule");
        assert_eq!(n.database.as_str(), "DEMO");
        let q = stored_object_name("DEMO.\"My.Schema\".r").unwrap();
        assert_eq!(q.schema.as_str(), "My.Schema");
        assert_eq!(q.name.as_str(), "r");
        assert!(stored_object_name("DEMO.gw_rule").is_none());
        let p = network_policy(
            &set(
                &["name", "value"],
                &[&[
                    Some("ALLOWED_NETWORK_RULE_LIST"),
                    Some(r#"[{"fullyQualifiedRuleName":"DEMO.DEMO.gw_rule"}]"#),
                ]],
            ),
            None,
            &[],
        );
        assert_eq!(p.allowed_network_rule_list[0].name.as_str(), "gw_rule");
    }

    #[test]
    fn quoted_rule_names_read_back_in_either_form() {
        let stored = |d: &str, s: &str, n: &str| ObjectName {
            database: Identifier::from_stored(d.to_owned()).unwrap(),
            schema: Identifier::from_stored(s.to_owned()).unwrap(),
            name: Identifier::from_stored(n.to_owned()).unwrap(),
        };
        let lower = stored("DEMO", "DEMO", "lower_rule");
        let mixed = stored("DEMO", "Mixed Schema", "RULE_B");
        let dot = stored("DEMO", "DEMO", "dot.rule");
        let known = [&lower, &mixed, &dot];
        for list in [
            // The stored parts as printed (the sandbox, the reference's Corrections 6).
            r#"[{"fullyQualifiedRuleName":"DEMO.DEMO.lower_rule"},{"fullyQualifiedRuleName":"DEMO.Mixed Schema.RULE_B"},{"fullyQualifiedRuleName":"DEMO.DEMO.dot.rule"}]"#,
            // Quoted where a part needs it (how the Terraform provider parses the value).
            r#"[{"fullyQualifiedRuleName":"DEMO.DEMO.\"lower_rule\""},{"fullyQualifiedRuleName":"DEMO.\"Mixed Schema\".RULE_B"},{"fullyQualifiedRuleName":"DEMO.DEMO.\"dot.rule\""}]"#,
        ] {
            let p = network_policy(
                &set(
                    &["name", "value"],
                    &[&[Some("ALLOWED_NETWORK_RULE_LIST"), Some(list)]],
                ),
                None,
                &known,
            );
            assert_eq!(
                p.allowed_network_rule_list,
                [lower.clone(), mixed.clone(), dot.clone()],
                "{list}"
            );
        }
    }

    #[test]
    fn parameters_are_found_by_key_among_all_session_parameters() {
        let rows = set(
            &["key", "value", "default", "level"],
            &[
                &[
                    Some("TIMEZONE"),
                    Some("UTC"),
                    Some("America/Los_Angeles"),
                    Some("USER"),
                ],
                &[
                    Some("NETWORK_POLICY"),
                    Some("Gw_Policy"),
                    Some(""),
                    Some("USER"),
                ],
            ],
        );
        assert_eq!(user_network_policy(&rows).unwrap().as_str(), "Gw_Policy");
        let inherited = set(
            &["key", "value", "default", "level"],
            &[&[
                Some("NETWORK_POLICY"),
                Some("ACCT_P"),
                Some(""),
                Some("ACCOUNT"),
            ]],
        );
        assert_eq!(user_network_policy(&inherited), None);
    }

    #[test]
    fn the_default_mfa_enrollment_is_read_as_desc_prints_it() {
        let fresh = authentication_policy(&set(
            &["property", "value"],
            &[&[
                Some("MFA_ENROLLMENT"),
                Some("REQUIRED_SNOWFLAKE_UI_PASSWORD_ONLY"),
            ]],
        ));
        assert_eq!(fresh.mfa_enrollment, Spelled::Known(MFA_ENROLLMENT_DEFAULT));
        let missing = authentication_policy(&set(&["property", "value"], &[]));
        assert_eq!(
            missing.mfa_enrollment,
            Spelled::Known(MFA_ENROLLMENT_DEFAULT)
        );
    }

    #[test]
    fn holders_split_users_from_roles() {
        let h = holders(&set(
            &["role", "granted_to", "grantee_name"],
            &[
                &[Some("R"), Some("USER"), Some("U1")],
                &[Some("R"), Some("ROLE"), Some("Parent")],
            ],
        ));
        assert!(h.users.contains(&Identifier::from_stored("U1").unwrap()));
        assert!(
            h.roles
                .contains(&Identifier::from_stored("Parent").unwrap())
        );
    }

    #[test]
    fn session_row_reads_the_address() {
        let s = session(
            &set(
                &[
                    "CURRENT_USER()",
                    "CURRENT_ROLE()",
                    "CURRENT_ACCOUNT()",
                    "CURRENT_TIMESTAMP()",
                    "CURRENT_IP_ADDRESS()",
                ],
                &[&[
                    Some("DEPLOYER"),
                    Some("PAT_ADMIN"),
                    Some("SANDBOX"),
                    Some("1764633600.000000000"),
                    Some("198.51.100.7"),
                ]],
            ),
            SessionAuthentication::KeypairJwt,
        );
        let session = s.session.unwrap();
        assert_eq!(session.ip_address.as_deref(), Some("198.51.100.7"));
        assert_eq!(s.account.as_deref(), Some("SANDBOX"));
        assert!(s.read_at.is_some());
    }
}

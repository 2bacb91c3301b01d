//! Statement builders: one function per statement form the plan runs, in Snowflake's
//! documented grammar (reference `snowflake-sql.md` §2–5). Every name and value passes through
//! [`super::quote`]. The builders decide nothing: the diff chooses what to set; these spell it.

use std::collections::BTreeMap;

use super::quote::{ident, literal, literal_list, object};
use crate::model::{Identifier, ObjectName};

// ----- network rules (§3.6) -----

/// `CREATE NETWORK RULE`.
pub fn create_network_rule(
    name: &ObjectName,
    rule_type: &str,
    mode: &str,
    values: &[String],
    comment: Option<&str>,
) -> String {
    let mut sql = format!(
        "CREATE NETWORK RULE {} TYPE = {rule_type} VALUE_LIST = {} MODE = {mode}",
        object(name),
        literal_list(values)
    );
    if let Some(c) = comment {
        sql.push_str(&format!(" COMMENT = {}", literal(c)));
    }
    sql
}

/// `ALTER NETWORK RULE ... SET VALUE_LIST = (...) [COMMENT = '...']`: the grammar requires
/// `VALUE_LIST`, so a comment is only ever set together with the values.
pub fn alter_network_rule_set(
    name: &ObjectName,
    values: &[String],
    comment: Option<&str>,
) -> String {
    let mut sql = format!(
        "ALTER NETWORK RULE {} SET VALUE_LIST = {}",
        object(name),
        literal_list(values)
    );
    if let Some(c) = comment {
        sql.push_str(&format!(" COMMENT = {}", literal(c)));
    }
    sql
}

/// A network rule property `UNSET` clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkRuleProperty {
    ValueList,
    Comment,
}

/// `ALTER NETWORK RULE ... UNSET { VALUE_LIST | COMMENT }` (one property per statement, as the
/// grammar has it).
pub fn alter_network_rule_unset(name: &ObjectName, property: NetworkRuleProperty) -> String {
    let keyword = match property {
        NetworkRuleProperty::ValueList => "VALUE_LIST",
        NetworkRuleProperty::Comment => "COMMENT",
    };
    format!("ALTER NETWORK RULE {} UNSET {keyword}", object(name))
}

/// `DROP NETWORK RULE`.
pub fn drop_network_rule(name: &ObjectName) -> String {
    format!("DROP NETWORK RULE {}", object(name))
}

// ----- network policies (§3.1–3.3) -----

/// One list or comment of a network policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkPolicySetting {
    AllowedNetworkRuleList(Vec<ObjectName>),
    BlockedNetworkRuleList(Vec<ObjectName>),
    AllowedIpList(Vec<String>),
    BlockedIpList(Vec<String>),
    Comment(String),
}

impl NetworkPolicySetting {
    fn render(&self) -> String {
        let rules = |v: &[ObjectName]| {
            let items: Vec<String> = v.iter().map(object).collect();
            format!("({})", items.join(", "))
        };
        match self {
            Self::AllowedNetworkRuleList(v) => format!("ALLOWED_NETWORK_RULE_LIST = {}", rules(v)),
            Self::BlockedNetworkRuleList(v) => format!("BLOCKED_NETWORK_RULE_LIST = {}", rules(v)),
            Self::AllowedIpList(v) => format!("ALLOWED_IP_LIST = {}", literal_list(v)),
            Self::BlockedIpList(v) => format!("BLOCKED_IP_LIST = {}", literal_list(v)),
            Self::Comment(c) => format!("COMMENT = {}", literal(c)),
        }
    }
}

/// `CREATE NETWORK POLICY name [settings]`.
pub fn create_network_policy(name: &Identifier, settings: &[NetworkPolicySetting]) -> String {
    let mut sql = format!("CREATE NETWORK POLICY {}", ident(name));
    for s in settings {
        sql.push(' ');
        sql.push_str(&s.render());
    }
    sql
}

/// `ALTER NETWORK POLICY name SET settings`; lists are replaced, not merged.
pub fn alter_network_policy_set(name: &Identifier, settings: &[NetworkPolicySetting]) -> String {
    let parts: Vec<String> = settings.iter().map(NetworkPolicySetting::render).collect();
    format!(
        "ALTER NETWORK POLICY {} SET {}",
        ident(name),
        parts.join(" ")
    )
}

/// A network policy property `UNSET` clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NetworkPolicyProperty {
    AllowedNetworkRuleList,
    BlockedNetworkRuleList,
    Comment,
}

/// `ALTER NETWORK POLICY name UNSET p1, p2`. The documented grammar has `UNSET COMMENT`; the
/// comma-separated list with the rule lists is what the Terraform provider runs against real
/// accounts (reference §3.2).
pub fn alter_network_policy_unset(
    name: &Identifier,
    properties: &[NetworkPolicyProperty],
) -> String {
    let parts: Vec<&str> = properties
        .iter()
        .map(|p| match p {
            NetworkPolicyProperty::AllowedNetworkRuleList => "ALLOWED_NETWORK_RULE_LIST",
            NetworkPolicyProperty::BlockedNetworkRuleList => "BLOCKED_NETWORK_RULE_LIST",
            NetworkPolicyProperty::Comment => "COMMENT",
        })
        .collect();
    format!(
        "ALTER NETWORK POLICY {} UNSET {}",
        ident(name),
        parts.join(", ")
    )
}

/// `DROP NETWORK POLICY`.
pub fn drop_network_policy(name: &Identifier) -> String {
    format!("DROP NETWORK POLICY {}", ident(name))
}

// ----- authentication policies (§4.1–4.2) -----

/// `PAT_POLICY = ( ... )`, always with every sub-property: whether SET merges or replaces
/// sub-properties is undocumented, so the plan states all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatPolicySql {
    pub default_expiry_in_days: u32,
    pub max_expiry_in_days: u32,
    pub network_policy_evaluation: String,
    pub require_role_restriction_for_service_users: bool,
    pub require_role_restriction_for_person_users: bool,
    pub blocked_roles_list: Vec<Identifier>,
}

/// One property of an authentication policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticationPolicySetting {
    AuthenticationMethods(Vec<String>),
    ClientTypes(Vec<String>),
    ClientPolicy(BTreeMap<String, String>),
    SecurityIntegrations(Vec<String>),
    MfaEnrollment(String),
    MfaPolicy {
        allowed_methods: Vec<String>,
        enforce_mfa_on_external_authentication: String,
    },
    PatPolicy(PatPolicySql),
    /// Only the lists the file declares (`None` is left out of the clause): `ALL` is how DESC
    /// shows an unset list, not a value to send (reference Corrections 15).
    WorkloadIdentityPolicy {
        allowed_providers: Option<Vec<String>>,
        allowed_aws_accounts: Option<Vec<String>>,
        allowed_azure_issuers: Option<Vec<String>>,
        allowed_oidc_issuers: Option<Vec<String>>,
    },
    Comment(String),
}

impl AuthenticationPolicySetting {
    fn render(&self) -> String {
        match self {
            Self::AuthenticationMethods(v) => {
                format!("AUTHENTICATION_METHODS = {}", literal_list(v))
            }
            Self::ClientTypes(v) => format!("CLIENT_TYPES = {}", literal_list(v)),
            Self::ClientPolicy(m) => {
                let items: Vec<String> = m
                    .iter()
                    .map(|(driver, version)| {
                        format!("{driver} = (MINIMUM_VERSION = {})", literal(version))
                    })
                    .collect();
                format!("CLIENT_POLICY = ({})", items.join(", "))
            }
            Self::SecurityIntegrations(v) => format!("SECURITY_INTEGRATIONS = {}", literal_list(v)),
            Self::MfaEnrollment(v) => format!("MFA_ENROLLMENT = {}", literal(v)),
            Self::MfaPolicy {
                allowed_methods,
                enforce_mfa_on_external_authentication,
            } => format!(
                "MFA_POLICY = (ALLOWED_METHODS = {} ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION = {})",
                literal_list(allowed_methods),
                literal(enforce_mfa_on_external_authentication)
            ),
            Self::PatPolicy(p) => {
                // Role names, not text: a literal is resolved like an unquoted identifier and
                // folded (reference Corrections 3), so `"Analyst"` goes as the identifier.
                let blocked: Vec<String> = p.blocked_roles_list.iter().map(ident).collect();
                format!(
                    "PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = {} MAX_EXPIRY_IN_DAYS = {} NETWORK_POLICY_EVALUATION = {} REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS = {} REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS = {} BLOCKED_ROLES_LIST = {})",
                    p.default_expiry_in_days,
                    p.max_expiry_in_days,
                    p.network_policy_evaluation,
                    bool_sql(p.require_role_restriction_for_service_users),
                    bool_sql(p.require_role_restriction_for_person_users),
                    format_args!("({})", blocked.join(", ")),
                )
            }
            Self::WorkloadIdentityPolicy {
                allowed_providers,
                allowed_aws_accounts,
                allowed_azure_issuers,
                allowed_oidc_issuers,
            } => {
                let mut parts = Vec::new();
                if let Some(v) = allowed_providers {
                    parts.push(format!("ALLOWED_PROVIDERS = ({})", v.join(", ")));
                }
                for (key, v) in [
                    ("ALLOWED_AWS_ACCOUNTS", allowed_aws_accounts),
                    ("ALLOWED_AZURE_ISSUERS", allowed_azure_issuers),
                    ("ALLOWED_OIDC_ISSUERS", allowed_oidc_issuers),
                ] {
                    if let Some(v) = v {
                        parts.push(format!("{key} = {}", literal_list(v)));
                    }
                }
                format!("WORKLOAD_IDENTITY_POLICY = ({})", parts.join(" "))
            }
            Self::Comment(c) => format!("COMMENT = {}", literal(c)),
        }
    }
}

fn bool_sql(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

/// Authentication policy properties that UNSET resets to Snowflake's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuthenticationPolicyProperty {
    AuthenticationMethods,
    ClientTypes,
    ClientPolicy,
    SecurityIntegrations,
    MfaEnrollment,
    MfaPolicy,
    PatPolicy,
    WorkloadIdentityPolicy,
    Comment,
}

impl AuthenticationPolicyProperty {
    pub fn keyword(self) -> &'static str {
        match self {
            Self::AuthenticationMethods => "AUTHENTICATION_METHODS",
            Self::ClientTypes => "CLIENT_TYPES",
            Self::ClientPolicy => "CLIENT_POLICY",
            Self::SecurityIntegrations => "SECURITY_INTEGRATIONS",
            Self::MfaEnrollment => "MFA_ENROLLMENT",
            Self::MfaPolicy => "MFA_POLICY",
            Self::PatPolicy => "PAT_POLICY",
            Self::WorkloadIdentityPolicy => "WORKLOAD_IDENTITY_POLICY",
            Self::Comment => "COMMENT",
        }
    }
}

/// `CREATE AUTHENTICATION POLICY name [settings]`.
pub fn create_authentication_policy(
    name: &ObjectName,
    settings: &[AuthenticationPolicySetting],
) -> String {
    let mut sql = format!("CREATE AUTHENTICATION POLICY {}", object(name));
    for s in settings {
        sql.push(' ');
        sql.push_str(&s.render());
    }
    sql
}

/// `ALTER AUTHENTICATION POLICY name SET settings`.
pub fn alter_authentication_policy_set(
    name: &ObjectName,
    settings: &[AuthenticationPolicySetting],
) -> String {
    let parts: Vec<String> = settings
        .iter()
        .map(AuthenticationPolicySetting::render)
        .collect();
    format!(
        "ALTER AUTHENTICATION POLICY {} SET {}",
        object(name),
        parts.join(" ")
    )
}

/// `ALTER AUTHENTICATION POLICY name UNSET property`. One property per statement: the grammar
/// lists the properties without saying how several are separated.
pub fn alter_authentication_policy_unset(
    name: &ObjectName,
    property: AuthenticationPolicyProperty,
) -> String {
    format!(
        "ALTER AUTHENTICATION POLICY {} UNSET {}",
        object(name),
        property.keyword()
    )
}

/// `DROP AUTHENTICATION POLICY`.
pub fn drop_authentication_policy(name: &ObjectName) -> String {
    format!("DROP AUTHENTICATION POLICY {}", object(name))
}

// ----- users (§5) -----

/// A user property the plan manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSetting {
    Type(String),
    DefaultRole(Identifier),
    Comment(String),
    Disabled(bool),
}

impl UserSetting {
    fn render(&self) -> String {
        match self {
            Self::Type(t) => format!("TYPE = {t}"),
            Self::DefaultRole(r) => format!("DEFAULT_ROLE = {}", ident(r)),
            Self::Comment(c) => format!("COMMENT = {}", literal(c)),
            Self::Disabled(d) => format!("DISABLED = {}", bool_sql(*d)),
        }
    }
}

/// User properties that UNSET can clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UserProperty {
    DefaultRole,
    Comment,
}

impl UserProperty {
    fn keyword(self) -> &'static str {
        match self {
            Self::DefaultRole => "DEFAULT_ROLE",
            Self::Comment => "COMMENT",
        }
    }
}

/// `CREATE USER name [settings]`.
pub fn create_user(name: &Identifier, settings: &[UserSetting]) -> String {
    let mut sql = format!("CREATE USER {}", ident(name));
    for s in settings {
        sql.push(' ');
        sql.push_str(&s.render());
    }
    sql
}

/// `ALTER USER name SET settings`.
pub fn alter_user_set(name: &Identifier, settings: &[UserSetting]) -> String {
    let parts: Vec<String> = settings.iter().map(UserSetting::render).collect();
    format!("ALTER USER {} SET {}", ident(name), parts.join(" "))
}

/// `ALTER USER name UNSET p1, p2` (UNSET items must be comma-separated).
pub fn alter_user_unset(name: &Identifier, properties: &[UserProperty]) -> String {
    let parts: Vec<&str> = properties.iter().map(|p| p.keyword()).collect();
    format!("ALTER USER {} UNSET {}", ident(name), parts.join(", "))
}

/// `GRANT ROLE role TO USER user`.
pub fn grant_role(role: &Identifier, user: &Identifier) -> String {
    format!("GRANT ROLE {} TO USER {}", ident(role), ident(user))
}

/// `ALTER USER name SET NETWORK_POLICY = policy`.
pub fn alter_user_set_network_policy(user: &Identifier, policy: &Identifier) -> String {
    format!(
        "ALTER USER {} SET NETWORK_POLICY = {}",
        ident(user),
        ident(policy)
    )
}

/// `ALTER USER name UNSET NETWORK_POLICY`.
pub fn alter_user_unset_network_policy(user: &Identifier) -> String {
    format!("ALTER USER {} UNSET NETWORK_POLICY", ident(user))
}

/// `ALTER USER name SET AUTHENTICATION POLICY policy [FORCE]`; FORCE replaces an attached one.
pub fn alter_user_set_authentication_policy(
    user: &Identifier,
    policy: &ObjectName,
    force: bool,
) -> String {
    format!(
        "ALTER USER {} SET AUTHENTICATION POLICY {}{}",
        ident(user),
        object(policy),
        if force { " FORCE" } else { "" }
    )
}

/// `ALTER USER name UNSET AUTHENTICATION POLICY`.
pub fn alter_user_unset_authentication_policy(user: &Identifier) -> String {
    format!("ALTER USER {} UNSET AUTHENTICATION POLICY", ident(user))
}

// ----- account (§3.7, §4.5) -----

/// Which users an account-level authentication policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountScope {
    All,
    ServiceUsers,
    PersonUsers,
}

impl AccountScope {
    fn suffix(self) -> &'static str {
        match self {
            AccountScope::All => "",
            AccountScope::ServiceUsers => " FOR ALL SERVICE USERS",
            AccountScope::PersonUsers => " FOR ALL PERSON USERS",
        }
    }
}

/// `ALTER ACCOUNT SET NETWORK_POLICY = policy`.
pub fn alter_account_set_network_policy(policy: &Identifier) -> String {
    format!("ALTER ACCOUNT SET NETWORK_POLICY = {}", ident(policy))
}

/// `ALTER ACCOUNT UNSET NETWORK_POLICY`.
pub fn alter_account_unset_network_policy() -> String {
    "ALTER ACCOUNT UNSET NETWORK_POLICY".to_owned()
}

/// `ALTER ACCOUNT SET AUTHENTICATION POLICY policy [FOR ALL ... USERS] [FORCE]`.
pub fn alter_account_set_authentication_policy(
    policy: &ObjectName,
    scope: AccountScope,
    force: bool,
) -> String {
    format!(
        "ALTER ACCOUNT SET AUTHENTICATION POLICY {}{}{}",
        object(policy),
        scope.suffix(),
        if force { " FORCE" } else { "" }
    )
}

/// `ALTER ACCOUNT UNSET AUTHENTICATION POLICY [FOR ALL ... USERS]`.
pub fn alter_account_unset_authentication_policy(scope: AccountScope) -> String {
    format!(
        "ALTER ACCOUNT UNSET AUTHENTICATION POLICY{}",
        scope.suffix()
    )
}

// ----- programmatic access tokens (§2) -----

/// The options of `ADD PROGRAMMATIC ACCESS TOKEN`, the complete list the grammar has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddToken<'a> {
    pub role_restriction: Option<&'a Identifier>,
    pub days_to_expiry: Option<u32>,
    pub mins_to_bypass_network_policy_requirement: Option<u32>,
    pub comment: Option<&'a str>,
}

/// `ALTER USER u ADD PROGRAMMATIC ACCESS TOKEN t [options]`; returns `token_name`, `token_secret`.
pub fn add_token(user: &Identifier, token: &Identifier, options: &AddToken<'_>) -> String {
    let mut sql = format!(
        "ALTER USER {} ADD PROGRAMMATIC ACCESS TOKEN {}",
        ident(user),
        ident(token)
    );
    if let Some(role) = options.role_restriction {
        // An identifier, as the Terraform SDK sends it (`ROLE_RESTRICTION = "PUBLIC"`, run in its
        // live integration test): the documented string literal is folded like an unquoted
        // name, so `'Analyst'` would name ANALYST (reference Corrections 3).
        sql.push_str(&format!(" ROLE_RESTRICTION = {}", ident(role)));
    }
    if let Some(days) = options.days_to_expiry {
        sql.push_str(&format!(" DAYS_TO_EXPIRY = {days}"));
    }
    if let Some(mins) = options.mins_to_bypass_network_policy_requirement {
        sql.push_str(&format!(
            " MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT = {mins}"
        ));
    }
    if let Some(c) = options.comment {
        sql.push_str(&format!(" COMMENT = {}", literal(c)));
    }
    sql
}

/// A token property MODIFY can set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSetting {
    Disabled(bool),
    MinsToBypassNetworkPolicyRequirement(u32),
    Comment(String),
}

/// A token property MODIFY can unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenProperty {
    Disabled,
    MinsToBypassNetworkPolicyRequirement,
    Comment,
}

/// `ALTER USER u MODIFY PROGRAMMATIC ACCESS TOKEN t SET ...`.
pub fn modify_token_set(
    user: &Identifier,
    token: &Identifier,
    settings: &[TokenSetting],
) -> String {
    let parts: Vec<String> = settings
        .iter()
        .map(|s| match s {
            TokenSetting::Disabled(d) => format!("DISABLED = {}", bool_sql(*d)),
            TokenSetting::MinsToBypassNetworkPolicyRequirement(m) => {
                format!("MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT = {m}")
            }
            TokenSetting::Comment(c) => format!("COMMENT = {}", literal(c)),
        })
        .collect();
    format!(
        "ALTER USER {} MODIFY PROGRAMMATIC ACCESS TOKEN {} SET {}",
        ident(user),
        ident(token),
        parts.join(" ")
    )
}

/// `ALTER USER u MODIFY PROGRAMMATIC ACCESS TOKEN t UNSET p1, p2` (comma-separated, no values).
pub fn modify_token_unset(
    user: &Identifier,
    token: &Identifier,
    properties: &[TokenProperty],
) -> String {
    let parts: Vec<&str> = properties
        .iter()
        .map(|p| match p {
            TokenProperty::Disabled => "DISABLED",
            TokenProperty::MinsToBypassNetworkPolicyRequirement => {
                "MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT"
            }
            TokenProperty::Comment => "COMMENT",
        })
        .collect();
    format!(
        "ALTER USER {} MODIFY PROGRAMMATIC ACCESS TOKEN {} UNSET {}",
        ident(user),
        ident(token),
        parts.join(", ")
    )
}

/// `ALTER USER u ROTATE PROGRAMMATIC ACCESS TOKEN t EXPIRE_ROTATED_TOKEN_AFTER_HOURS = h`;
/// returns `token_name`, `token_secret`, `rotated_token_name`.
pub fn rotate_token(
    user: &Identifier,
    token: &Identifier,
    expire_rotated_after_hours: u32,
) -> String {
    format!(
        "ALTER USER {} ROTATE PROGRAMMATIC ACCESS TOKEN {} EXPIRE_ROTATED_TOKEN_AFTER_HOURS = {expire_rotated_after_hours}",
        ident(user),
        ident(token)
    )
}

/// `ALTER USER u MODIFY PROGRAMMATIC ACCESS TOKEN t RENAME TO new`: the token keeps its secret,
/// role restriction and expiry (RENAME TO is its own form of MODIFY, not a SET option).
pub fn rename_token(user: &Identifier, token: &Identifier, new_name: &Identifier) -> String {
    format!(
        "ALTER USER {} MODIFY PROGRAMMATIC ACCESS TOKEN {} RENAME TO {}",
        ident(user),
        ident(token),
        ident(new_name)
    )
}

/// `ALTER USER u REMOVE PROGRAMMATIC ACCESS TOKEN t`.
pub fn remove_token(user: &Identifier, token: &Identifier) -> String {
    format!(
        "ALTER USER {} REMOVE PROGRAMMATIC ACCESS TOKEN {}",
        ident(user),
        ident(token)
    )
}

#[cfg(test)]
mod tests {
    //! Expected statements are written out by hand from the reference's grammar and examples.
    use super::*;

    fn id(s: &str) -> Identifier {
        Identifier::parse(s).unwrap()
    }

    fn obj(s: &str) -> ObjectName {
        ObjectName::parse(s).unwrap()
    }

    #[test]
    fn token_statements_follow_the_documented_grammar() {
        let (u, t, r) = (id("example_user"), id("example_token"), id("example_role"));
        let cases = [
            (
                add_token(
                    &u,
                    &t,
                    &AddToken {
                        comment: Some("a reference example"),
                        ..Default::default()
                    },
                ),
                "ALTER USER \"EXAMPLE_USER\" ADD PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" COMMENT = 'a reference example'",
            ),
            (
                add_token(
                    &u,
                    &t,
                    &AddToken {
                        role_restriction: Some(&r),
                        days_to_expiry: Some(15),
                        ..Default::default()
                    },
                ),
                "ALTER USER \"EXAMPLE_USER\" ADD PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" ROLE_RESTRICTION = \"EXAMPLE_ROLE\" DAYS_TO_EXPIRY = 15",
            ),
            (
                // A case-sensitive role keeps its case: `'Analyst'` would be folded to ANALYST.
                add_token(
                    &u,
                    &t,
                    &AddToken {
                        role_restriction: Some(&id("\"Analyst\"")),
                        ..Default::default()
                    },
                ),
                "ALTER USER \"EXAMPLE_USER\" ADD PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" ROLE_RESTRICTION = \"Analyst\"",
            ),
            (
                add_token(
                    &u,
                    &t,
                    &AddToken {
                        mins_to_bypass_network_policy_requirement: Some(10),
                        ..Default::default()
                    },
                ),
                "ALTER USER \"EXAMPLE_USER\" ADD PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT = 10",
            ),
            (
                modify_token_set(
                    &u,
                    &t,
                    &[
                        TokenSetting::Disabled(true),
                        TokenSetting::MinsToBypassNetworkPolicyRequirement(10),
                        TokenSetting::Comment("new comment".into()),
                    ],
                ),
                "ALTER USER \"EXAMPLE_USER\" MODIFY PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" SET DISABLED = TRUE MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT = 10 COMMENT = 'new comment'",
            ),
            (
                modify_token_unset(
                    &u,
                    &t,
                    &[
                        TokenProperty::Disabled,
                        TokenProperty::MinsToBypassNetworkPolicyRequirement,
                        TokenProperty::Comment,
                    ],
                ),
                "ALTER USER \"EXAMPLE_USER\" MODIFY PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" UNSET DISABLED, MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT, COMMENT",
            ),
            (
                rotate_token(&u, &t, 24),
                "ALTER USER \"EXAMPLE_USER\" ROTATE PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 24",
            ),
            (
                remove_token(&u, &t),
                "ALTER USER \"EXAMPLE_USER\" REMOVE PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\"",
            ),
            (
                rename_token(&u, &id("example_token_NEXT"), &t),
                "ALTER USER \"EXAMPLE_USER\" MODIFY PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN_NEXT\" RENAME TO \"EXAMPLE_TOKEN\"",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn policy_and_rule_statements_follow_the_documented_grammar() {
        let rule = obj("demo.demo.thermal_gateways");
        let np = id("thermal_streaming_policy");
        let ap = obj("demo.demo.streaming_pats");
        let cases = [
            (
                create_network_rule(
                    &rule,
                    "IPV4",
                    "INGRESS",
                    &["203.0.113.0/24".into()],
                    Some("gateways"),
                ),
                "CREATE NETWORK RULE \"DEMO\".\"DEMO\".\"THERMAL_GATEWAYS\" TYPE = IPV4 VALUE_LIST = ('203.0.113.0/24') MODE = INGRESS COMMENT = 'gateways'",
            ),
            (
                alter_network_rule_set(&rule, &["10.0.0.0/8".into(), "192.0.2.1".into()], None),
                "ALTER NETWORK RULE \"DEMO\".\"DEMO\".\"THERMAL_GATEWAYS\" SET VALUE_LIST = ('10.0.0.0/8', '192.0.2.1')",
            ),
            (
                alter_network_rule_set(&rule, &["10.0.0.0/8".into()], Some("gateways")),
                "ALTER NETWORK RULE \"DEMO\".\"DEMO\".\"THERMAL_GATEWAYS\" SET VALUE_LIST = ('10.0.0.0/8') COMMENT = 'gateways'",
            ),
            (
                alter_network_rule_unset(&rule, NetworkRuleProperty::Comment),
                "ALTER NETWORK RULE \"DEMO\".\"DEMO\".\"THERMAL_GATEWAYS\" UNSET COMMENT",
            ),
            (
                alter_network_rule_unset(&rule, NetworkRuleProperty::ValueList),
                "ALTER NETWORK RULE \"DEMO\".\"DEMO\".\"THERMAL_GATEWAYS\" UNSET VALUE_LIST",
            ),
            (
                drop_network_rule(&rule),
                "DROP NETWORK RULE \"DEMO\".\"DEMO\".\"THERMAL_GATEWAYS\"",
            ),
            (
                create_network_policy(
                    &np,
                    &[
                        NetworkPolicySetting::AllowedNetworkRuleList(vec![rule.clone()]),
                        NetworkPolicySetting::Comment("c".into()),
                    ],
                ),
                "CREATE NETWORK POLICY \"THERMAL_STREAMING_POLICY\" ALLOWED_NETWORK_RULE_LIST = (\"DEMO\".\"DEMO\".\"THERMAL_GATEWAYS\") COMMENT = 'c'",
            ),
            (
                alter_network_policy_set(
                    &np,
                    &[
                        NetworkPolicySetting::AllowedIpList(vec![]),
                        NetworkPolicySetting::BlockedIpList(vec!["192.0.2.7".into()]),
                    ],
                ),
                "ALTER NETWORK POLICY \"THERMAL_STREAMING_POLICY\" SET ALLOWED_IP_LIST = () BLOCKED_IP_LIST = ('192.0.2.7')",
            ),
            (
                alter_network_policy_unset(
                    &np,
                    &[
                        NetworkPolicyProperty::AllowedNetworkRuleList,
                        NetworkPolicyProperty::BlockedNetworkRuleList,
                        NetworkPolicyProperty::Comment,
                    ],
                ),
                "ALTER NETWORK POLICY \"THERMAL_STREAMING_POLICY\" UNSET ALLOWED_NETWORK_RULE_LIST, BLOCKED_NETWORK_RULE_LIST, COMMENT",
            ),
            (
                drop_network_policy(&np),
                "DROP NETWORK POLICY \"THERMAL_STREAMING_POLICY\"",
            ),
            (
                create_authentication_policy(
                    &ap,
                    &[
                        AuthenticationPolicySetting::AuthenticationMethods(vec![
                            "PROGRAMMATIC_ACCESS_TOKEN".into(),
                            "KEYPAIR".into(),
                        ]),
                        AuthenticationPolicySetting::PatPolicy(PatPolicySql {
                            default_expiry_in_days: 30,
                            max_expiry_in_days: 365,
                            network_policy_evaluation: "ENFORCED_NOT_REQUIRED".into(),
                            require_role_restriction_for_service_users: false,
                            require_role_restriction_for_person_users: false,
                            blocked_roles_list: vec![id("ACCOUNTADMIN"), id("\"Analyst\"")],
                        }),
                    ],
                ),
                "CREATE AUTHENTICATION POLICY \"DEMO\".\"DEMO\".\"STREAMING_PATS\" AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN', 'KEYPAIR') PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = 30 MAX_EXPIRY_IN_DAYS = 365 NETWORK_POLICY_EVALUATION = ENFORCED_NOT_REQUIRED REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS = FALSE REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS = FALSE BLOCKED_ROLES_LIST = (\"ACCOUNTADMIN\", \"Analyst\"))",
            ),
            (
                // Only the declared lists; the others are not spelled `ALL`.
                alter_authentication_policy_set(
                    &ap,
                    &[AuthenticationPolicySetting::WorkloadIdentityPolicy {
                        allowed_providers: Some(vec!["AWS".into()]),
                        allowed_aws_accounts: Some(vec!["123456789012".into()]),
                        allowed_azure_issuers: None,
                        allowed_oidc_issuers: None,
                    }],
                ),
                "ALTER AUTHENTICATION POLICY \"DEMO\".\"DEMO\".\"STREAMING_PATS\" SET WORKLOAD_IDENTITY_POLICY = (ALLOWED_PROVIDERS = (AWS) ALLOWED_AWS_ACCOUNTS = ('123456789012'))",
            ),
            (
                alter_authentication_policy_set(
                    &ap,
                    &[
                        AuthenticationPolicySetting::MfaEnrollment("REQUIRED".into()),
                        AuthenticationPolicySetting::ClientPolicy(
                            [("JDBC_DRIVER".to_owned(), "3.25.0".to_owned())].into(),
                        ),
                    ],
                ),
                "ALTER AUTHENTICATION POLICY \"DEMO\".\"DEMO\".\"STREAMING_PATS\" SET MFA_ENROLLMENT = 'REQUIRED' CLIENT_POLICY = (JDBC_DRIVER = (MINIMUM_VERSION = '3.25.0'))",
            ),
            (
                alter_authentication_policy_unset(&ap, AuthenticationPolicyProperty::PatPolicy),
                "ALTER AUTHENTICATION POLICY \"DEMO\".\"DEMO\".\"STREAMING_PATS\" UNSET PAT_POLICY",
            ),
            (
                drop_authentication_policy(&ap),
                "DROP AUTHENTICATION POLICY \"DEMO\".\"DEMO\".\"STREAMING_PATS\"",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn user_and_account_statements_follow_the_documented_grammar() {
        let u = id("thermal_streaming_user");
        let np = id("thermal_streaming_policy");
        let ap = obj("demo.demo.streaming_pats");
        let cases = [
            (
                create_user(
                    &u,
                    &[
                        UserSetting::Type("SERVICE".into()),
                        UserSetting::DefaultRole(id("r")),
                        UserSetting::Comment("c".into()),
                    ],
                ),
                "CREATE USER \"THERMAL_STREAMING_USER\" TYPE = SERVICE DEFAULT_ROLE = \"R\" COMMENT = 'c'",
            ),
            (
                alter_user_set(
                    &u,
                    &[
                        UserSetting::Type("LEGACY_SERVICE".into()),
                        UserSetting::Disabled(true),
                    ],
                ),
                "ALTER USER \"THERMAL_STREAMING_USER\" SET TYPE = LEGACY_SERVICE DISABLED = TRUE",
            ),
            (
                alter_user_unset(&u, &[UserProperty::DefaultRole, UserProperty::Comment]),
                "ALTER USER \"THERMAL_STREAMING_USER\" UNSET DEFAULT_ROLE, COMMENT",
            ),
            (
                grant_role(&id("r"), &u),
                "GRANT ROLE \"R\" TO USER \"THERMAL_STREAMING_USER\"",
            ),
            (
                alter_user_set_network_policy(&u, &np),
                "ALTER USER \"THERMAL_STREAMING_USER\" SET NETWORK_POLICY = \"THERMAL_STREAMING_POLICY\"",
            ),
            (
                alter_user_unset_network_policy(&u),
                "ALTER USER \"THERMAL_STREAMING_USER\" UNSET NETWORK_POLICY",
            ),
            (
                alter_user_set_authentication_policy(&u, &ap, true),
                "ALTER USER \"THERMAL_STREAMING_USER\" SET AUTHENTICATION POLICY \"DEMO\".\"DEMO\".\"STREAMING_PATS\" FORCE",
            ),
            (
                alter_user_unset_authentication_policy(&u),
                "ALTER USER \"THERMAL_STREAMING_USER\" UNSET AUTHENTICATION POLICY",
            ),
            (
                alter_account_set_network_policy(&np),
                "ALTER ACCOUNT SET NETWORK_POLICY = \"THERMAL_STREAMING_POLICY\"",
            ),
            (
                alter_account_unset_network_policy(),
                "ALTER ACCOUNT UNSET NETWORK_POLICY",
            ),
            (
                alter_account_set_authentication_policy(&ap, AccountScope::ServiceUsers, false),
                "ALTER ACCOUNT SET AUTHENTICATION POLICY \"DEMO\".\"DEMO\".\"STREAMING_PATS\" FOR ALL SERVICE USERS",
            ),
            (
                alter_account_unset_authentication_policy(AccountScope::PersonUsers),
                "ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL PERSON USERS",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}

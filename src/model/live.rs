//! The live state: what the account holds for the declared scope, as SHOW and DESC report it.
//!
//! The live reader (`snowflake::reader`) builds a [`LiveState`]; `pat-reconcile snapshot` writes
//! it as JSON and `plan --live-state FILE` reads it back, so a plan can run offline. The JSON
//! format is versioned by [`LIVE_FORMAT_VERSION`]; its shape is these types serialized with
//! serde (snake_case keys, timestamps in RFC 3339 UTC).
//!
//! Values Snowflake spells as closed sets (a token's status, a user's type, a rule's mode) are
//! typed and kept as read: a word this version does not know is [`TokenStatus::Other`] or
//! [`Spelled::Other`], not an error. [`Spelled`] wraps the desired model's enum for the same
//! concept (one vocabulary for both sides, see `model::vocabulary`); words the account shows
//! but a file cannot set ([`LiveMfaEnrollment`], [`AttachmentDomain`]) have enums here. Their
//! JSON spelling is Snowflake's word, so snapshot files keep working.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::desired::{
    AuthenticationMethod, ClientType, Config, MfaEnrollment, NetworkPolicyEvaluation,
    NetworkRuleMode, NetworkRuleType, PatPolicy, UserType,
};
use super::{Identifier, ObjectName, Spelled, Vocabulary};

/// How `DESC AUTHENTICATION POLICY` shows an `MFA_ENROLLMENT` that was never set (since
/// Snowflake 10.10.2; reference Corrections 2). It is not a value one can set.
pub const MFA_ENROLLMENT_DEFAULT: LiveMfaEnrollment =
    LiveMfaEnrollment::RequiredSnowflakeUiPasswordOnly;

/// `MFA_ENROLLMENT` as DESC shows it: the values one can set, and the ones one cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LiveMfaEnrollment {
    Required,
    RequiredPasswordOnly,
    /// What DESC shows when the property was never set ([`MFA_ENROLLMENT_DEFAULT`]).
    RequiredSnowflakeUiPasswordOnly,
    /// Refused since bcr-2097, but an older policy may still hold it.
    Optional,
}

impl Vocabulary for LiveMfaEnrollment {
    const ALL: &'static [Self] = &[
        LiveMfaEnrollment::Required,
        LiveMfaEnrollment::RequiredPasswordOnly,
        LiveMfaEnrollment::RequiredSnowflakeUiPasswordOnly,
        LiveMfaEnrollment::Optional,
    ];

    fn as_str(self) -> &'static str {
        match self {
            LiveMfaEnrollment::Required => "REQUIRED",
            LiveMfaEnrollment::RequiredPasswordOnly => "REQUIRED_PASSWORD_ONLY",
            LiveMfaEnrollment::RequiredSnowflakeUiPasswordOnly => {
                "REQUIRED_SNOWFLAKE_UI_PASSWORD_ONLY"
            }
            LiveMfaEnrollment::Optional => "OPTIONAL",
        }
    }
}

impl From<MfaEnrollment> for LiveMfaEnrollment {
    fn from(m: MfaEnrollment) -> Self {
        match m {
            MfaEnrollment::Required => LiveMfaEnrollment::Required,
            MfaEnrollment::RequiredPasswordOnly => LiveMfaEnrollment::RequiredPasswordOnly,
        }
    }
}

/// `REF_ENTITY_DOMAIN` of a `POLICY_REFERENCES` row: what a policy is attached to.
/// Declared in alphabetical order, so that sorting by value sorts by spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttachmentDomain {
    Account,
    Integration,
    User,
}

impl Vocabulary for AttachmentDomain {
    const ALL: &'static [Self] = &[
        AttachmentDomain::Account,
        AttachmentDomain::Integration,
        AttachmentDomain::User,
    ];

    fn as_str(self) -> &'static str {
        match self {
            AttachmentDomain::Account => "ACCOUNT",
            AttachmentDomain::User => "USER",
            AttachmentDomain::Integration => "INTEGRATION",
        }
    }
}

/// Version of the live-state JSON format.
pub const LIVE_FORMAT_VERSION: u32 = 1;

/// What the account holds, for the users and objects a `pats.yaml` declares or references.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveState {
    /// Always [`LIVE_FORMAT_VERSION`].
    pub format_version: u32,
    /// The account identifier, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The account's clock when the state was read (`CURRENT_TIMESTAMP()`). Plans use it as
    /// "now": tokens expire by Snowflake's clock, not this machine's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
    /// Who read it, and how they authenticated (for the PAT-session preflight check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    /// Account-level policy attachments.
    #[serde(default)]
    pub account_policies: AccountPolicies,
    /// Declared users that exist; a declared user missing here does not exist.
    #[serde(default)]
    pub users: BTreeMap<Identifier, LiveUser>,
    /// Network rules read (declared or referenced); missing means it does not exist.
    #[serde(default)]
    pub network_rules: BTreeMap<ObjectName, LiveNetworkRule>,
    /// Network policies read.
    #[serde(default)]
    pub network_policies: BTreeMap<Identifier, LiveNetworkPolicy>,
    /// Authentication policies read.
    #[serde(default)]
    pub authentication_policies: BTreeMap<ObjectName, LiveAuthenticationPolicy>,
    /// Roles known to exist (those the file references), when the reader looked them up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<BTreeSet<Identifier>>,
    /// For each role the reader looked up, the roles it is granted to (`SHOW GRANTS OF ROLE`
    /// rows with `granted_to = ROLE`). A user holding one of those holds the role through the
    /// hierarchy. Only roles the file references are looked up, so the closure is partial.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub role_parents: BTreeMap<Identifier, BTreeSet<Identifier>>,
    /// What the reader read: the users, policies and rules the file declared or referenced
    /// when the state was read. A missing object inside the scope does not exist; outside it,
    /// nothing is known. `None` in files written before the scope was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<LiveScope>,
}

/// The users and objects a read covered ([`LiveScope::of`] a file).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveScope {
    #[serde(default)]
    pub users: BTreeSet<Identifier>,
    #[serde(default)]
    pub network_policies: BTreeSet<Identifier>,
    #[serde(default)]
    pub network_rules: BTreeSet<ObjectName>,
    #[serde(default)]
    pub authentication_policies: BTreeSet<ObjectName>,
}

/// An object of a file's scope, displayed as its plan address (`user.U`, `network_rule.D.S.R`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScopeEntry {
    User(Identifier),
    NetworkPolicy(Identifier),
    NetworkRule(ObjectName),
    AuthenticationPolicy(ObjectName),
}

impl std::fmt::Display for ScopeEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScopeEntry::User(n) => write!(f, "user.{n}"),
            ScopeEntry::NetworkPolicy(n) => write!(f, "network_policy.{n}"),
            ScopeEntry::NetworkRule(n) => write!(f, "network_rule.{n}"),
            ScopeEntry::AuthenticationPolicy(n) => write!(f, "authentication_policy.{n}"),
        }
    }
}

impl LiveScope {
    /// What reading for `desired` covers: the users, network rules, network policies and
    /// authentication policies it declares, and those its policies, users and `account:`
    /// section reference.
    pub fn of(desired: &Config) -> Self {
        let mut s = Self::default();
        s.network_rules
            .extend(desired.network_rules.keys().cloned());
        for (name, p) in &desired.network_policies {
            s.network_policies.insert(name.clone());
            s.network_rules
                .extend(p.allowed_network_rule_list.iter().cloned());
            s.network_rules
                .extend(p.blocked_network_rule_list.iter().cloned());
        }
        s.authentication_policies
            .extend(desired.authentication_policies.keys().cloned());
        if let Some(a) = &desired.account {
            s.network_policies.extend(a.network_policy.clone());
            s.authentication_policies.extend(
                [
                    &a.authentication_policy,
                    &a.authentication_policy_for_service_users,
                    &a.authentication_policy_for_person_users,
                ]
                .into_iter()
                .flatten()
                .cloned(),
            );
        }
        for (name, u) in &desired.users {
            s.users.insert(name.clone());
            s.network_policies.extend(u.network_policy.clone());
            s.authentication_policies
                .extend(u.authentication_policy.clone());
        }
        s
    }

    /// What `other` covers that this scope does not, in address order.
    pub fn missing(&self, other: &LiveScope) -> Vec<ScopeEntry> {
        let mut out: Vec<ScopeEntry> = Vec::new();
        out.extend(
            other
                .users
                .difference(&self.users)
                .cloned()
                .map(ScopeEntry::User),
        );
        out.extend(
            other
                .network_policies
                .difference(&self.network_policies)
                .cloned()
                .map(ScopeEntry::NetworkPolicy),
        );
        out.extend(
            other
                .network_rules
                .difference(&self.network_rules)
                .cloned()
                .map(ScopeEntry::NetworkRule),
        );
        out.extend(
            other
                .authentication_policies
                .difference(&self.authentication_policies)
                .cloned()
                .map(ScopeEntry::AuthenticationPolicy),
        );
        out
    }
}

/// The session that read the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub user: Identifier,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Identifier>,
    pub authentication: SessionAuthentication,
    /// The session's address as Snowflake sees it (`CURRENT_IP_ADDRESS()`), for the lock-out
    /// check of network policy changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
}

/// How the session authenticated. Snowflake refuses PAT management from a PAT session of the
/// same user, so the plan must know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionAuthentication {
    KeypairJwt,
    ProgrammaticAccessToken,
    Oauth,
}

/// Account-level attachments (`SHOW PARAMETERS ... IN ACCOUNT`, `POLICY_REFERENCES`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPolicies {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_policy: Option<ObjectName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_policy_for_service_users: Option<ObjectName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_policy_for_person_users: Option<ObjectName>,
}

/// A user as `SHOW USERS`, its grants, attachments and tokens show it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveUser {
    /// `type` column (`PERSON`, `SERVICE`, `LEGACY_SERVICE`, ...); `None` is PERSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<Spelled<UserType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<Identifier>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Roles granted to the user (PUBLIC is implicit and not listed).
    #[serde(default)]
    pub roles: BTreeSet<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_policy: Option<ObjectName>,
    /// Every row of `SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER`, rotation leftovers included.
    #[serde(default)]
    pub tokens: Vec<LiveToken>,
}

impl LiveUser {
    /// The user's type: PERSON when SHOW USERS shows none.
    pub fn user_type(&self) -> Spelled<UserType> {
        self.user_type
            .clone()
            .unwrap_or(Spelled::Known(UserType::Person))
    }

    /// True for SERVICE, LEGACY_SERVICE and SERVICE_AGENT users (the PAT guide holds all three
    /// to the service-user rules); a type this version does not know is not one.
    pub fn is_service(&self) -> bool {
        self.user_type().known().is_some_and(UserType::is_service)
    }
}

/// A row of `SHOW USER PROGRAMMATIC ACCESS TOKENS` (all ten columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveToken {
    pub name: Identifier,
    pub user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_restriction: Option<Identifier>,
    pub expires_at: DateTime<Utc>,
    pub status: TokenStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub created_on: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mins_to_bypass_network_policy_requirement: Option<u32>,
    /// Set on a rotation leftover: the token that replaced this secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_to: Option<Identifier>,
}

impl LiveToken {
    /// Expired by status or by the clock.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.status == TokenStatus::Expired || self.expires_at <= now
    }

    /// A rotation leftover (`<NAME>_ROTATED_<n>`, `rotated_to` set).
    pub fn is_leftover(&self) -> bool {
        self.rotated_to.is_some()
    }
}

/// A token's `status`; values this version does not know are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum TokenStatus {
    Active,
    Expired,
    Disabled,
    Other(String),
}

impl From<String> for TokenStatus {
    fn from(s: String) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "ACTIVE" => TokenStatus::Active,
            "EXPIRED" => TokenStatus::Expired,
            "DISABLED" => TokenStatus::Disabled,
            _ => TokenStatus::Other(s),
        }
    }
}

impl From<TokenStatus> for String {
    fn from(s: TokenStatus) -> String {
        s.as_str().to_owned()
    }
}

impl TokenStatus {
    pub fn as_str(&self) -> &str {
        match self {
            TokenStatus::Active => "ACTIVE",
            TokenStatus::Expired => "EXPIRED",
            TokenStatus::Disabled => "DISABLED",
            TokenStatus::Other(s) => s,
        }
    }
}

/// A network rule as `DESC NETWORK RULE` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveNetworkRule {
    /// `type` (`IPV4`, `HOST_PORT`, ...).
    pub rule_type: Spelled<NetworkRuleType>,
    /// `mode` (`INGRESS`, ...).
    pub mode: Spelled<NetworkRuleMode>,
    #[serde(default)]
    pub value_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A network policy as `SHOW`/`DESC NETWORK POLICY` and `POLICY_REFERENCES` show it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveNetworkPolicy {
    #[serde(default)]
    pub allowed_network_rule_list: Vec<ObjectName>,
    #[serde(default)]
    pub blocked_network_rule_list: Vec<ObjectName>,
    #[serde(default)]
    pub allowed_ip_list: Vec<String>,
    #[serde(default)]
    pub blocked_ip_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Where it is attached; `None` when the reader did not look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

/// One `POLICY_REFERENCES` row: a policy attached to an account, user or integration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// `REF_ENTITY_DOMAIN`: `ACCOUNT`, `USER`, `INTEGRATION`, ...
    pub domain: Spelled<AttachmentDomain>,
    /// `REF_ENTITY_NAME` (stored form).
    pub name: String,
}

/// An authentication policy as `DESC AUTHENTICATION POLICY` shows it. Absent properties hold
/// Snowflake's defaults, as DESC prints them for a fresh policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveAuthenticationPolicy {
    pub authentication_methods: Vec<Spelled<AuthenticationMethod>>,
    pub client_types: Vec<Spelled<ClientType>>,
    pub client_policy: BTreeMap<String, String>,
    pub security_integrations: Vec<String>,
    pub mfa_enrollment: Spelled<LiveMfaEnrollment>,
    pub mfa_policy: LiveMfaPolicy,
    pub pat_policy: LivePatPolicy,
    pub workload_identity_policy: LiveWorkloadIdentityPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Where it is attached; `None` when the reader did not look.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

impl Default for LiveAuthenticationPolicy {
    fn default() -> Self {
        Self {
            authentication_methods: vec![Spelled::Known(AuthenticationMethod::All)],
            client_types: vec![Spelled::Known(ClientType::All)],
            client_policy: BTreeMap::new(),
            security_integrations: vec!["ALL".into()],
            mfa_enrollment: Spelled::Known(MFA_ENROLLMENT_DEFAULT),
            mfa_policy: LiveMfaPolicy::default(),
            pat_policy: LivePatPolicy::default(),
            workload_identity_policy: LiveWorkloadIdentityPolicy::default(),
            comment: None,
            attachments: None,
        }
    }
}

/// `MFA_POLICY` as DESC shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveMfaPolicy {
    pub allowed_methods: Vec<String>,
    pub enforce_mfa_on_external_authentication: String,
}

impl Default for LiveMfaPolicy {
    fn default() -> Self {
        Self {
            allowed_methods: vec!["ALL".into()],
            enforce_mfa_on_external_authentication: "NONE".into(),
        }
    }
}

/// `PAT_POLICY` as DESC shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LivePatPolicy {
    pub default_expiry_in_days: u32,
    pub max_expiry_in_days: u32,
    pub network_policy_evaluation: Spelled<NetworkPolicyEvaluation>,
    pub require_role_restriction_for_service_users: bool,
    pub require_role_restriction_for_person_users: bool,
    pub blocked_roles_list: Vec<Identifier>,
}

impl LivePatPolicy {
    /// The values a declared `PAT_POLICY` gives, Snowflake's defaults for what it leaves out;
    /// `None` (no policy declared) is all defaults.
    pub fn declared(p: Option<&PatPolicy>) -> Self {
        let d = LivePatPolicy::default();
        let Some(p) = p else {
            return d;
        };
        LivePatPolicy {
            default_expiry_in_days: p.default_expiry_in_days.unwrap_or(d.default_expiry_in_days),
            max_expiry_in_days: p.max_expiry_in_days.unwrap_or(d.max_expiry_in_days),
            network_policy_evaluation: p
                .network_policy_evaluation
                .map_or(d.network_policy_evaluation, Spelled::Known),
            require_role_restriction_for_service_users: p
                .require_role_restriction_for_service_users
                .unwrap_or(d.require_role_restriction_for_service_users),
            require_role_restriction_for_person_users: p
                .require_role_restriction_for_person_users
                .unwrap_or(d.require_role_restriction_for_person_users),
            blocked_roles_list: p.blocked_roles_list.clone().unwrap_or(d.blocked_roles_list),
        }
    }
}

impl Default for LivePatPolicy {
    fn default() -> Self {
        Self {
            default_expiry_in_days: 15,
            max_expiry_in_days: 365,
            network_policy_evaluation: Spelled::Known(NetworkPolicyEvaluation::EnforcedRequired),
            require_role_restriction_for_service_users: true,
            require_role_restriction_for_person_users: false,
            blocked_roles_list: Vec::new(),
        }
    }
}

/// `WORKLOAD_IDENTITY_POLICY` as DESC shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveWorkloadIdentityPolicy {
    pub allowed_providers: Vec<String>,
    pub allowed_aws_accounts: Vec<String>,
    pub allowed_azure_issuers: Vec<String>,
    pub allowed_oidc_issuers: Vec<String>,
}

impl Default for LiveWorkloadIdentityPolicy {
    fn default() -> Self {
        let all = || vec!["ALL".to_owned()];
        Self {
            allowed_providers: all(),
            allowed_aws_accounts: all(),
            allowed_azure_issuers: all(),
            allowed_oidc_issuers: all(),
        }
    }
}

impl LiveState {
    /// An empty state of the current format: an account with nothing in it.
    pub fn empty() -> Self {
        Self {
            format_version: LIVE_FORMAT_VERSION,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_names_what_another_covers_beyond_it() {
        let desired: Config = serde_json::from_value(serde_json::json!({
            "version": 1,
            "network_policies": { "NP": { "allowed_network_rule_list": ["D.S.R"] } },
            "users": { "U": { "authentication_policy": "D.S.AP" }, "V": {} }
        }))
        .unwrap();
        let wide = LiveScope::of(&desired);
        let narrow = LiveScope {
            users: BTreeSet::from([Identifier::parse("U").unwrap()]),
            ..LiveScope::default()
        };
        let missing: Vec<String> = narrow
            .missing(&wide)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            missing,
            [
                "user.V",
                "network_policy.NP",
                "network_rule.D.S.R",
                "authentication_policy.D.S.AP"
            ]
        );
        assert!(wide.missing(&narrow).is_empty());
    }

    #[test]
    fn unknown_status_is_kept() {
        let s: TokenStatus = serde_json::from_str("\"SUSPENDED\"").unwrap();
        assert_eq!(s, TokenStatus::Other("SUSPENDED".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"SUSPENDED\"");
        let a: TokenStatus = serde_json::from_str("\"active\"").unwrap();
        assert_eq!(a, TokenStatus::Active);
    }

    #[test]
    fn live_state_round_trips_as_json() {
        let mut state = LiveState::empty();
        state.users.insert(
            Identifier::parse("U").unwrap(),
            LiveUser {
                user_type: Some(Spelled::Known(UserType::Service)),
                tokens: vec![LiveToken {
                    name: Identifier::parse("T").unwrap(),
                    user_name: "U".into(),
                    role_restriction: Some(Identifier::parse("R").unwrap()),
                    expires_at: "2026-12-01T00:00:00Z".parse().unwrap(),
                    status: TokenStatus::Active,
                    comment: None,
                    created_on: "2026-09-02T00:00:00Z".parse().unwrap(),
                    created_by: Some("ADMIN".into()),
                    mins_to_bypass_network_policy_requirement: None,
                    rotated_to: None,
                }],
                ..LiveUser::default()
            },
        );
        let text = serde_json::to_string(&state).unwrap();
        let back: LiveState = serde_json::from_str(&text).unwrap();
        assert_eq!(back, state);
    }
}

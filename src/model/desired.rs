//! The desired state: what `pats.yaml` declares, as typed values.
//!
//! Keys are Snowflake's property names in lower case; the few keys of our own (`tokens`, `roles`,
//! `deliver`, `rotate_before_expiry_days`, `absent`, `unmanaged_tokens`) say what they do. The
//! JSON Schema in `schemas/pats.schema.json` is generated from these types, so every field's doc
//! comment is also the help an editor shows on hover. No I/O here; `config::load` builds a
//! [`Config`] from a file with located diagnostics.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::live::AccountPolicies;
use super::{Identifier, ObjectName};

/// Snowflake's limit on programmatic access tokens per user, counting disabled tokens and
/// rotation leftovers, not expired ones.
pub const MAX_TOKENS_PER_USER: usize = 15;
/// Snowflake's largest `DAYS_TO_EXPIRY` when no policy lowers it.
pub const MAX_DAYS_TO_EXPIRY: u32 = 365;
/// Snowflake's `DAYS_TO_EXPIRY` when neither the statement nor a policy sets one.
pub const SNOWFLAKE_DEFAULT_DAYS_TO_EXPIRY: u32 = 15;
/// Snowflake's default grace period of a rotated-out secret.
pub const SNOWFLAKE_DEFAULT_EXPIRE_ROTATED_HOURS: u32 = 24;
/// Our default rotation window when neither the token nor `defaults.token` sets one.
pub const DEFAULT_ROTATE_BEFORE_EXPIRY_DAYS: u32 = 14;

/// A `pats.yaml` file: the users, tokens and policies a platform team manages.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pat-reconcile desired state (pats.yaml)")]
pub struct Config {
    /// Format version of this file. Always `1`.
    pub version: Version,
    /// Values that tokens inherit when they do not set their own.
    #[serde(default, skip_serializing_if = "Defaults::is_empty")]
    pub defaults: Defaults,
    /// Account-level policy attachments, each key managed on its own: a key left out (or the whole
    /// section) is read for preflight checks but never changed; `none` detaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountSpec>,
    /// Network rules, keyed by `DATABASE.SCHEMA.NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub network_rules: BTreeMap<ObjectName, NetworkRuleSpec>,
    /// Network policies (account-level objects), keyed by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub network_policies: BTreeMap<Identifier, NetworkPolicySpec>,
    /// Authentication policies, keyed by `DATABASE.SCHEMA.NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub authentication_policies: BTreeMap<ObjectName, AuthenticationPolicySpec>,
    /// Users, keyed by name. A user is created when missing and never dropped; removing it from
    /// the file stops managing it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub users: BTreeMap<Identifier, UserSpec>,
}

/// The file format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Version;

impl JsonSchema for Version {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Version".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "const": 1,
            "description": "Format version of this file. Always `1`."
        })
    }
}

impl TryFrom<u32> for Version {
    type Error = String;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        if v == 1 {
            Ok(Version)
        } else {
            Err(format!(
                "unsupported version {v}; this pat-reconcile reads version 1"
            ))
        }
    }
}

impl From<Version> for u32 {
    fn from(_: Version) -> u32 {
        1
    }
}

/// Values that tokens inherit when they do not set their own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Defaults for every token in the file.
    #[serde(default)]
    pub token: TokenDefaults,
}

impl Defaults {
    fn is_empty(&self) -> bool {
        self.token == TokenDefaults::default()
    }
}

/// Token settings inherited by every token that does not set its own.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenDefaults {
    /// Lifetime of a new secret in days (Snowflake `DAYS_TO_EXPIRY`, 1 to 365). Without it the
    /// applicable policy's `default_expiry_in_days`, else Snowflake's 15, applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub days_to_expiry: Option<u32>,
    /// Rotate a token once its secret expires within this many days (ours; default 14, at most
    /// half the token's lifetime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 365))]
    pub rotate_before_expiry_days: Option<u32>,
    /// Hours the previous secret keeps working after a rotation (Snowflake
    /// `EXPIRE_ROTATED_TOKEN_AFTER_HOURS`, default 24; 0 expires it at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub expire_rotated_token_after_hours: Option<u32>,
}

/// Account-level attachments (`ALTER ACCOUNT SET ... POLICY`), each key managed on its own.
///
/// In the file a key is left out (the attachment is left alone), names a policy (attach it), or
/// says `none` (detach). Here `Some` is a policy to attach and [`AccountSpec::detach`] holds the
/// keys the file sets to `none`; a key in neither is left alone. After
/// [`AccountSpec::resolved`] every field says what is attached once the plan is applied.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "AccountSection", into = "AccountSection")]
pub struct AccountSpec {
    /// The network policy to attach to the account.
    pub network_policy: Option<Identifier>,
    /// The authentication policy to attach to the account.
    pub authentication_policy: Option<ObjectName>,
    /// The authentication policy to attach `FOR ALL SERVICE USERS`.
    pub authentication_policy_for_service_users: Option<ObjectName>,
    /// The authentication policy to attach `FOR ALL PERSON USERS`.
    pub authentication_policy_for_person_users: Option<ObjectName>,
    /// The keys the file sets to `none`.
    pub detach: BTreeSet<AccountKey>,
}

/// A key of the `account:` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountKey {
    NetworkPolicy,
    AuthenticationPolicy,
    AuthenticationPolicyForServiceUsers,
    AuthenticationPolicyForPersonUsers,
}

impl AccountSpec {
    /// The attachments once the plan is applied: a key the file leaves out keeps the live
    /// attachment, `none` has none, a named policy is attached.
    pub fn resolved(&self, live: &AccountPolicies) -> AccountSpec {
        fn pick<T: Clone>(want: &Option<T>, detach: bool, have: &Option<T>) -> Option<T> {
            match (want, detach) {
                (Some(w), _) => Some(w.clone()),
                (None, true) => None,
                (None, false) => have.clone(),
            }
        }
        let detach = |k| self.detach.contains(&k);
        AccountSpec {
            network_policy: pick(
                &self.network_policy,
                detach(AccountKey::NetworkPolicy),
                &live.network_policy,
            ),
            authentication_policy: pick(
                &self.authentication_policy,
                detach(AccountKey::AuthenticationPolicy),
                &live.authentication_policy,
            ),
            authentication_policy_for_service_users: pick(
                &self.authentication_policy_for_service_users,
                detach(AccountKey::AuthenticationPolicyForServiceUsers),
                &live.authentication_policy_for_service_users,
            ),
            authentication_policy_for_person_users: pick(
                &self.authentication_policy_for_person_users,
                detach(AccountKey::AuthenticationPolicyForPersonUsers),
                &live.authentication_policy_for_person_users,
            ),
            detach: BTreeSet::new(),
        }
    }
}

impl JsonSchema for AccountSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        AccountSection::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        AccountSection::json_schema(generator)
    }
}

/// Account-level attachments (`ALTER ACCOUNT SET ... POLICY`), each key on its own: leave a key
/// out to leave that attachment alone, name a policy to attach it, write `none` to detach it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AccountSpec")]
struct AccountSection {
    /// Network policy active for the whole account (`ALTER ACCOUNT SET NETWORK_POLICY`); `none`
    /// detaches it (destructive); leave the key out to leave the attachment alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    network_policy: Option<Attachment<Identifier>>,
    /// Authentication policy for the whole account; `none` detaches it (destructive); leave the
    /// key out to leave the attachment alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authentication_policy: Option<Attachment<ObjectName>>,
    /// Authentication policy `FOR ALL SERVICE USERS`; `none` detaches it (destructive); leave
    /// the key out to leave the attachment alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authentication_policy_for_service_users: Option<Attachment<ObjectName>>,
    /// Authentication policy `FOR ALL PERSON USERS`; `none` detaches it (destructive); leave the
    /// key out to leave the attachment alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authentication_policy_for_person_users: Option<Attachment<ObjectName>>,
}

impl From<AccountSection> for AccountSpec {
    fn from(s: AccountSection) -> Self {
        fn split<T>(
            key: AccountKey,
            a: Option<Attachment<T>>,
            detach: &mut BTreeSet<AccountKey>,
        ) -> Option<T> {
            match a? {
                Attachment::Policy(p) => Some(p),
                Attachment::None => {
                    detach.insert(key);
                    None
                }
            }
        }
        let mut detach = BTreeSet::new();
        let network_policy = split(AccountKey::NetworkPolicy, s.network_policy, &mut detach);
        let authentication_policy = split(
            AccountKey::AuthenticationPolicy,
            s.authentication_policy,
            &mut detach,
        );
        let authentication_policy_for_service_users = split(
            AccountKey::AuthenticationPolicyForServiceUsers,
            s.authentication_policy_for_service_users,
            &mut detach,
        );
        let authentication_policy_for_person_users = split(
            AccountKey::AuthenticationPolicyForPersonUsers,
            s.authentication_policy_for_person_users,
            &mut detach,
        );
        AccountSpec {
            network_policy,
            authentication_policy,
            authentication_policy_for_service_users,
            authentication_policy_for_person_users,
            detach,
        }
    }
}

impl From<AccountSpec> for AccountSection {
    fn from(s: AccountSpec) -> Self {
        fn join<T>(p: Option<T>, detach: bool) -> Option<Attachment<T>> {
            match (p, detach) {
                (Some(p), _) => Some(Attachment::Policy(p)),
                (None, true) => Some(Attachment::None),
                (None, false) => None,
            }
        }
        let detach = |k| s.detach.contains(&k);
        AccountSection {
            network_policy: join(s.network_policy, detach(AccountKey::NetworkPolicy)),
            authentication_policy: join(
                s.authentication_policy,
                detach(AccountKey::AuthenticationPolicy),
            ),
            authentication_policy_for_service_users: join(
                s.authentication_policy_for_service_users,
                detach(AccountKey::AuthenticationPolicyForServiceUsers),
            ),
            authentication_policy_for_person_users: join(
                s.authentication_policy_for_person_users,
                detach(AccountKey::AuthenticationPolicyForPersonUsers),
            ),
        }
    }
}

/// The word that detaches an account-level attachment.
pub const DETACH_WORD: &str = "none";

/// An account-level attachment as the file writes it: a policy, or `none`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Attachment<T> {
    /// `none`: detach whatever is attached.
    None,
    Policy(T),
}

/// A value of an `account:` key that is neither `none` nor a policy name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// `NONE`, `None`: a name, or a mistyped `none`?
    #[error(
        "`{given}` is ambiguous: write `none` to detach, or '\"{given}\"' for a policy of that name"
    )]
    AmbiguousNone { given: String },
    #[error(transparent)]
    Name(#[from] super::IdentifierError),
}

impl<T: FromStr<Err = super::IdentifierError>> FromStr for Attachment<T> {
    type Err = AttachmentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == DETACH_WORD {
            Ok(Attachment::None)
        } else if s.eq_ignore_ascii_case(DETACH_WORD) {
            Err(AttachmentError::AmbiguousNone {
                given: s.to_owned(),
            })
        } else {
            Ok(Attachment::Policy(s.parse()?))
        }
    }
}

impl<T: Serialize> Serialize for Attachment<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Attachment::None => s.serialize_str(DETACH_WORD),
            Attachment::Policy(p) => p.serialize(s),
        }
    }
}

impl<'de, T: FromStr<Err = super::IdentifierError>> Deserialize<'de> for Attachment<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl<T: JsonSchema> JsonSchema for Attachment<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Attachment_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let policy = generator.subschema_for::<T>();
        schemars::json_schema!({
            "anyOf": [
                { "const": DETACH_WORD, "description": "Detach the policy attached at account level (destructive)." },
                policy
            ]
        })
    }
}

/// A network rule (`CREATE NETWORK RULE`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkRuleSpec {
    /// What `value_list` holds (Snowflake `TYPE`); changing it replaces the rule. Required unless
    /// `absent: true`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub rule_type: Option<NetworkRuleType>,
    /// Traffic direction (Snowflake `MODE`, default `INGRESS`); changing it replaces the rule.
    /// Network policies need `INGRESS` (or `INTERNAL_STAGE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<NetworkRuleMode>,
    /// The addresses, endpoints or IDs the rule matches (Snowflake `VALUE_LIST`), each valid for
    /// the rule's `type`: IPv4 address or CIDR, IPv6, `host[:port]`, a VPC endpoint or link ID.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_list: Vec<String>,
    /// Free text (Snowflake `COMMENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `true` drops the rule (a tombstone): deleting YAML never drops an account object by itself.
    #[serde(default, skip_serializing_if = "is_false")]
    pub absent: bool,
}

/// Network rule `TYPE`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NetworkRuleType {
    /// IPv4 addresses or CIDR ranges.
    Ipv4,
    /// IPv6 addresses or ranges (AWS, ingress only).
    Ipv6,
    /// AWS VPC endpoint IDs.
    Awsvpceid,
    /// Azure Private Link IDs.
    Azurelinkid,
    /// Google Cloud Private Service Connect IDs.
    Gcppscid,
    /// `host[:port]` (egress).
    HostPort,
    /// `host[:port]` over private connectivity (egress).
    PrivateHostPort,
    /// Compute pools.
    ComputePool,
}

/// Network rule `MODE`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NetworkRuleMode {
    /// Incoming traffic to Snowflake (the only mode a network policy uses for users).
    #[default]
    Ingress,
    /// Access to internal stages.
    InternalStage,
    /// Access to Snowflake-managed storage volumes.
    SnowflakeManagedStorageVolume,
    /// Outgoing traffic from Snowflake.
    Egress,
}

/// A network policy (`CREATE NETWORK POLICY`). Its lists are authoritative: a list the file omits
/// is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicySpec {
    /// Network rules that admit traffic (Snowflake `ALLOWED_NETWORK_RULE_LIST`), as
    /// `DATABASE.SCHEMA.NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_network_rule_list: Vec<ObjectName>,
    /// Network rules that block traffic (Snowflake `BLOCKED_NETWORK_RULE_LIST`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_network_rule_list: Vec<ObjectName>,
    /// IPv4 addresses or CIDR ranges allowed (Snowflake `ALLOWED_IP_LIST`). Snowflake recommends
    /// network rules instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_ip_list: Vec<String>,
    /// IPv4 addresses or CIDR ranges blocked (Snowflake `BLOCKED_IP_LIST`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_ip_list: Vec<String>,
    /// Free text (Snowflake `COMMENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `true` drops the policy (detaching it from declared users first).
    #[serde(default, skip_serializing_if = "is_false")]
    pub absent: bool,
}

/// An authentication policy (`CREATE AUTHENTICATION POLICY`). A property the file omits takes
/// Snowflake's default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationPolicySpec {
    /// Methods users may sign in with (Snowflake `AUTHENTICATION_METHODS`, default `[ALL]`).
    /// Without `PROGRAMMATIC_ACCESS_TOKEN` (or `ALL`) users can neither create nor use PATs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_methods: Option<Vec<AuthenticationMethod>>,
    /// Clients users may sign in from (Snowflake `CLIENT_TYPES`, default `[ALL]`; best effort,
    /// it does not restrict the REST APIs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_types: Option<Vec<ClientType>>,
    /// Minimum driver versions (Snowflake `CLIENT_POLICY`), e.g. `{ JDBC_DRIVER: 3.25.0 }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_policy: Option<BTreeMap<ClientPolicyDriver, String>>,
    /// Security integrations users may use (Snowflake `SECURITY_INTEGRATIONS`, default `[ALL]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_integrations: Option<Vec<String>>,
    /// Whether users must enroll in MFA (Snowflake `MFA_ENROLLMENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_enrollment: Option<MfaEnrollment>,
    /// MFA methods and enforcement (Snowflake `MFA_POLICY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_policy: Option<MfaPolicy>,
    /// Rules for programmatic access tokens (Snowflake `PAT_POLICY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pat_policy: Option<PatPolicy>,
    /// Workload identity federation rules (Snowflake `WORKLOAD_IDENTITY_POLICY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_identity_policy: Option<WorkloadIdentityPolicy>,
    /// Free text (Snowflake `COMMENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `true` drops the policy (detaching it from declared users first).
    #[serde(default, skip_serializing_if = "is_false")]
    pub absent: bool,
}

/// `AUTHENTICATION_METHODS` values.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthenticationMethod {
    /// Every method.
    All,
    /// SAML single sign-on.
    Saml,
    /// OpenID Connect.
    Oidc,
    /// Passwords.
    Password,
    /// OAuth.
    Oauth,
    /// Key-pair (JWT) authentication.
    Keypair,
    /// Programmatic access tokens.
    ProgrammaticAccessToken,
    /// Workload identity federation.
    WorkloadIdentity,
}

/// `CLIENT_TYPES` values.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientType {
    /// Every client.
    All,
    /// Snowsight.
    SnowflakeUi,
    /// Drivers and connectors.
    Drivers,
    /// The Snowflake CLI.
    SnowflakeCli,
    /// SnowSQL.
    Snowsql,
}

/// `CLIENT_POLICY` client types.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientPolicyDriver {
    JdbcDriver,
    OdbcDriver,
    PythonDriver,
    JavascriptDriver,
    CDriver,
    GoDriver,
    PhpDriver,
    DotnetDriver,
    SqlApi,
    SnowpipeStreamingClientSdk,
    PyCore,
    SprocPython,
    PythonSnowpark,
    SqlAlchemy,
    Snowpark,
    SnowflakeClient,
}

/// `MFA_ENROLLMENT` values one can set. `OPTIONAL` is gone: Snowflake refuses it since the
/// 2025_06 behaviour change bundle (bcr-2097; reference Corrections 2), and `validate` says so.
/// Leaving the key out keeps Snowflake's default, which DESC shows as
/// [`MFA_ENROLLMENT_DEFAULT`](crate::model::live::MFA_ENROLLMENT_DEFAULT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MfaEnrollment {
    /// Every user must enroll.
    Required,
    /// Users who sign in with a password must enroll.
    RequiredPasswordOnly,
}

/// `MFA_POLICY = ( ... )`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaPolicy {
    /// Second factors allowed (Snowflake `ALLOWED_METHODS`, default `[ALL]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_methods: Option<Vec<MfaMethod>>,
    /// Whether MFA is also required after SAML/OAuth sign-in (default `NONE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce_mfa_on_external_authentication: Option<MfaExternalEnforcement>,
}

/// MFA `ALLOWED_METHODS` values.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MfaMethod {
    All,
    Passkey,
    Totp,
    Otp,
    Duo,
}

/// `ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MfaExternalEnforcement {
    All,
    None,
}

/// `PAT_POLICY = ( ... )`: how an authentication policy governs programmatic access tokens.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatPolicy {
    /// Lifetime of a token created without `DAYS_TO_EXPIRY` (1 to `max_expiry_in_days`,
    /// Snowflake default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub default_expiry_in_days: Option<u32>,
    /// Longest lifetime a token may have (Snowflake default 365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub max_expiry_in_days: Option<u32>,
    /// Whether a network policy must apply before tokens can be created and used (Snowflake
    /// default `ENFORCED_REQUIRED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy_evaluation: Option<NetworkPolicyEvaluation>,
    /// Whether tokens of SERVICE and LEGACY_SERVICE users need a `role_restriction` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_role_restriction_for_service_users: Option<bool>,
    /// Whether tokens of PERSON users need a `role_restriction` (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_role_restriction_for_person_users: Option<bool>,
    /// Roles a token may not be restricted to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_roles_list: Option<Vec<Identifier>>,
}

/// `NETWORK_POLICY_EVALUATION` values, strongest first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NetworkPolicyEvaluation {
    /// A network policy must apply to the user, and it is enforced.
    #[default]
    EnforcedRequired,
    /// A network policy is enforced when one applies, but none is required.
    EnforcedNotRequired,
    /// Network policies are neither required nor enforced for tokens.
    NotEnforced,
}

/// `WORKLOAD_IDENTITY_POLICY = ( ... )`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadIdentityPolicy {
    /// Identity providers allowed (default `[ALL]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_providers: Option<Vec<WorkloadIdentityProvider>>,
    /// AWS account IDs (12 digits) allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_aws_accounts: Option<Vec<String>>,
    /// Azure issuer URLs allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_azure_issuers: Option<Vec<String>>,
    /// OIDC issuer URLs allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_oidc_issuers: Option<Vec<String>>,
}

/// Workload identity providers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkloadIdentityProvider {
    All,
    Aws,
    Azure,
    Gcp,
    Oidc,
}

/// A user (`CREATE USER` / `ALTER USER`). A property the file omits is left as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// Kind of user (Snowflake `TYPE`). Changing it is `ALTER USER ... SET TYPE`, never a
    /// re-creation. New users default to `PERSON`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// Role a session starts with (Snowflake `DEFAULT_ROLE`). It does not grant the role; list it
    /// in `roles` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<Identifier>,
    /// Roles the user must hold; missing grants are added (`GRANT ROLE ... TO USER`), other grants
    /// are left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Identifier>,
    /// Free text (Snowflake `COMMENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether the user is disabled (Snowflake `DISABLED`). Disabling a user also disables its
    /// tokens, and they stay disabled after the user is enabled again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Network policy attached to the user (`ALTER USER ... SET NETWORK_POLICY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<Identifier>,
    /// Authentication policy attached to the user, as `DATABASE.SCHEMA.NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_policy: Option<ObjectName>,
    /// What happens to tokens in the account that `tokens` does not declare: `remove` (default;
    /// a forgotten token is a security hole) or `keep`.
    #[serde(default, skip_serializing_if = "UnmanagedTokens::is_default")]
    pub unmanaged_tokens: UnmanagedTokens,
    /// The user's programmatic access tokens, keyed by token name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<Identifier, TokenSpec>,
}

/// Snowflake user `TYPE`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserType {
    /// A human (Snowflake's default).
    Person,
    /// A workload: no password, no MFA; its tokens need a role restriction and a network policy.
    Service,
    /// An older kind of service user that may still use a password.
    LegacyService,
    /// An AI agent's identity (`TYPE = SERVICE_AGENT`): a service user that also cannot have
    /// `MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT`.
    ServiceAgent,
}

impl UserType {
    /// SERVICE, LEGACY_SERVICE and SERVICE_AGENT users: the ones Snowflake holds to
    /// service-user PAT rules (the PAT guide: "a service user (a user with TYPE=SERVICE,
    /// TYPE=SERVICE_AGENT, or TYPE=LEGACY_SERVICE), you must specify the ROLE_RESTRICTION").
    pub fn is_service(self) -> bool {
        matches!(
            self,
            UserType::Service | UserType::LegacyService | UserType::ServiceAgent
        )
    }

    /// Whether Snowflake holds the user to the network-policy requirement for tokens: SERVICE
    /// and LEGACY_SERVICE, not SERVICE_AGENT (the user-types page says an agent needs none for
    /// its tokens; reference §2.6, D-UM).
    pub fn needs_network_policy_for_tokens(self) -> bool {
        matches!(self, UserType::Service | UserType::LegacyService)
    }
}

/// What happens to undeclared tokens of a declared user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnmanagedTokens {
    /// Revoke tokens the file does not declare.
    #[default]
    Remove,
    /// Leave them alone.
    Keep,
}

impl UnmanagedTokens {
    fn is_default(&self) -> bool {
        *self == UnmanagedTokens::Remove
    }
}

/// A programmatic access token of a user (`ALTER USER ... ADD PROGRAMMATIC ACCESS TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// Role the token's sessions run as (Snowflake `ROLE_RESTRICTION`); the user must hold it.
    /// Required for SERVICE and LEGACY_SERVICE users. Changing it replaces the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_restriction: Option<Identifier>,
    /// Lifetime of each secret in days (Snowflake `DAYS_TO_EXPIRY`, 1 to 365 or the policy's
    /// maximum). Changing it replaces the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub days_to_expiry: Option<u32>,
    /// Rotate once the secret expires within this many days (ours; default from
    /// `defaults.token`, else 14 capped at half the lifetime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 365))]
    pub rotate_before_expiry_days: Option<u32>,
    /// Hours the previous secret keeps working after a rotation (Snowflake
    /// `EXPIRE_ROTATED_TOKEN_AFTER_HOURS`, default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub expire_rotated_token_after_hours: Option<u32>,
    /// Hours the old token keeps working beside its replacement (ours; default 0). When a
    /// working token is replaced, the apply that mints the new one stops after delivering it as
    /// `<NAME>_NEXT`; the first plan this many hours later removes the old token and renames
    /// the new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 8760))]
    pub replace_overlap_hours: Option<u32>,
    /// Minutes the token may be used without a network policy applying (Snowflake
    /// `MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT`, 1 to 1440; PERSON users only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1440))]
    pub mins_to_bypass_network_policy_requirement: Option<u32>,
    /// Free text (Snowflake `COMMENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether the token is disabled (Snowflake `DISABLED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Where each newly minted secret goes. Required: Snowflake shows a secret once, so a token
    /// with nowhere to deliver it would be lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliver: Vec<Sink>,
    /// How `pat-reconcile verify` reads the secret back from where a `command` sink put it (a
    /// vault, a CI secret store), which it cannot read on its own. Used by `verify` only; the
    /// plan ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifySpec>,
}

/// `verify` of a token: a program that prints the delivered value on stdout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifySpec {
    /// Program and arguments, run without a shell in the `pats.yaml` directory, with an empty
    /// environment but `PATH`, `HOME`, `PAT_RECONCILE_USER` and `PAT_RECONCILE_TOKEN`. It must
    /// print the value the `command` sink received (its `format` applied) on stdout; a final
    /// line break is ignored. Its output is never shown.
    #[schemars(length(min = 1))]
    pub argv: Vec<String>,
    /// Seconds to wait before the program counts as failed (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout_seconds: Option<u32>,
}

/// A destination for a freshly minted secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Sink {
    /// Set one value in a JSON file, keeping every other key.
    JsonFile(JsonFileSink),
    /// Set one key in a dotenv file, keeping every other line.
    DotenvFile(DotenvFileSink),
    /// Set one value in a TOML file (a Snowflake CLI `connections.toml`), keeping its comments
    /// and layout.
    TomlFile(TomlFileSink),
    /// Write the whole file.
    File(FileSink),
    /// Run a command with the secret on its standard input (to feed Vault, AWS Secrets Manager,
    /// a CI secret store).
    Command(CommandSink),
}

/// How plans, journals and errors name a sink: its kind and where it writes (never a value).
impl std::fmt::Display for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sink::JsonFile(s) => write!(f, "json_file {} {}", s.path, s.pointer),
            Sink::DotenvFile(s) => write!(f, "dotenv_file {} {}", s.path, s.key),
            Sink::TomlFile(s) => write!(f, "toml_file {} {}", s.path, s.key),
            Sink::File(s) => write!(f, "file {}", s.path),
            Sink::Command(s) => write!(f, "command {}", s.argv.first().map_or("", String::as_str)),
        }
    }
}

/// `json_file` sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonFileSink {
    /// File to update, relative to the `pats.yaml` directory; created if missing.
    pub path: String,
    /// RFC 6901 JSON pointer of the value to set, e.g. `/pat`; missing objects are created.
    pub pointer: String,
    /// Shape of the written value; `{secret}`, `{user}`, `{token}` are replaced (default
    /// `{secret}`), e.g. `Bearer {secret}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `dotenv_file` sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DotenvFileSink {
    /// File to update, relative to the `pats.yaml` directory; created if missing.
    pub path: String,
    /// Variable name to set, e.g. `SNOWFLAKE_TOKEN`.
    pub key: String,
    /// Shape of the written value; `{secret}`, `{user}`, `{token}` are replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `toml_file` sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TomlFileSink {
    /// File to update, relative to the `pats.yaml` directory; created if missing.
    pub path: String,
    /// TOML dotted key of the value to set, e.g. `connections.thermal.password`; quote a part
    /// that holds a dot (`connections."my.conn".password`). Missing tables are created.
    #[schemars(length(min = 1))]
    pub key: String,
    /// Shape of the written value; `{secret}`, `{user}`, `{token}` are replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `file` sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSink {
    /// File whose whole content becomes the secret, relative to the `pats.yaml` directory.
    pub path: String,
    /// Shape of the written value; `{secret}`, `{user}`, `{token}` are replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `command` sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandSink {
    /// Program and arguments, run without a shell. It reads the secret on stdin; a non-zero
    /// exit fails. Its environment is cleared: it gets `PATH` and `HOME` (when set),
    /// `PAT_RECONCILE_USER`, `PAT_RECONCILE_TOKEN` and `PAT_RECONCILE_ACCOUNT`, and the
    /// variables `env` names, nothing else (never the deployer's `SNOWFLAKE_TOKEN` or cloud
    /// keys). Its standard output is discarded; the start of its error output (4 KiB, every
    /// form of the secret removed) is shown when it fails.
    #[schemars(length(min = 1))]
    pub argv: Vec<String>,
    /// Names of variables of pat-reconcile's own environment the command also receives, e.g.
    /// `[VAULT_ADDR, VAULT_NAMESPACE]` (a variable that is not set is left out). Names are
    /// letters, digits and `_`, not starting with a digit; the deployer's Snowflake
    /// credentials (`SNOWFLAKE_TOKEN`, `SNOWFLAKE_PRIVATE_KEY_FILE_PWD`, ...) are refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Seconds the whole delivery may take (start, writing the secret to its standard input,
    /// exit) before the command is killed and counts as failed (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout_seconds: Option<u32>,
    /// Shape of the written value: exactly one `{secret}`, and optionally `{user}`, `{token}`,
    /// `{account}`; write `{{` and `}}` for a literal brace (default `{secret}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

impl Sink {
    /// The sink's kind as the YAML key names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Sink::JsonFile(_) => "json_file",
            Sink::DotenvFile(_) => "dotenv_file",
            Sink::TomlFile(_) => "toml_file",
            Sink::File(_) => "file",
            Sink::Command(_) => "command",
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Config {
    /// The lifetime in days a new secret of this token gets: the token's own, else the file's
    /// default, else the declared authentication policy's default, else Snowflake's 15.
    pub fn effective_days_to_expiry(&self, user: &UserSpec, token: &TokenSpec) -> u32 {
        token
            .days_to_expiry
            .or(self.defaults.token.days_to_expiry)
            .or_else(|| {
                self.user_pat_policy(user)
                    .and_then(|p| p.default_expiry_in_days)
            })
            .unwrap_or(SNOWFLAKE_DEFAULT_DAYS_TO_EXPIRY)
    }

    /// Days before expiry at which a token rotates: the token's own, else the file's default, else
    /// 14 capped at half the lifetime (a 15-day token rotates with 7 days left).
    pub fn effective_rotate_before_days(&self, user: &UserSpec, token: &TokenSpec) -> u32 {
        token
            .rotate_before_expiry_days
            .or(self.defaults.token.rotate_before_expiry_days)
            .unwrap_or_else(|| {
                DEFAULT_ROTATE_BEFORE_EXPIRY_DAYS
                    .min(self.effective_days_to_expiry(user, token) / 2)
            })
    }

    /// Grace hours of a rotated-out secret.
    pub fn effective_expire_rotated_hours(&self, token: &TokenSpec) -> u32 {
        token
            .expire_rotated_token_after_hours
            .or(self.defaults.token.expire_rotated_token_after_hours)
            .unwrap_or(SNOWFLAKE_DEFAULT_EXPIRE_ROTATED_HOURS)
    }

    /// The PAT policy of the authentication policy this file attaches to the user (user level
    /// first, then the account section), when the file declares it.
    pub fn user_pat_policy(&self, user: &UserSpec) -> Option<&PatPolicy> {
        self.user_authentication_policy(user)
            .and_then(|(_, p)| p.pat_policy.as_ref())
    }

    /// The declared authentication policy that applies to the user by this file, if any: the
    /// user's own, else the account's for the user's type, else the account's.
    pub fn user_authentication_policy(
        &self,
        user: &UserSpec,
    ) -> Option<(&ObjectName, &AuthenticationPolicySpec)> {
        let name = user.authentication_policy.as_ref().or_else(|| {
            let account = self.account.as_ref()?;
            let by_type = if user.user_type.is_some_and(UserType::is_service) {
                account.authentication_policy_for_service_users.as_ref()
            } else {
                account.authentication_policy_for_person_users.as_ref()
            };
            by_type.or(account.authentication_policy.as_ref())
        })?;
        self.authentication_policies
            .get_key_value(name)
            .filter(|(_, p)| !p.absent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(value: serde_json::Value) -> Result<AccountSpec, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn account_keys_are_left_out_named_or_none() {
        let spec = section(serde_json::json!({
            "network_policy": "none",
            "authentication_policy": "D.S.AP"
        }))
        .unwrap();
        assert_eq!(spec.network_policy, None);
        assert_eq!(spec.detach, BTreeSet::from([AccountKey::NetworkPolicy]));
        assert_eq!(
            spec.authentication_policy,
            Some(ObjectName::parse("D.S.AP").unwrap())
        );
        // Writing the section back keeps `none` and leaves omitted keys out.
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            serde_json::json!({ "network_policy": "none", "authentication_policy": "D.S.AP" })
        );
    }

    #[test]
    fn a_capitalised_none_is_refused_as_ambiguous() {
        for given in ["NONE", "None"] {
            let error = section(serde_json::json!({ "network_policy": given }))
                .unwrap_err()
                .to_string();
            assert!(error.contains("is ambiguous"), "{given}: {error}");
        }
    }

    #[test]
    fn resolving_keeps_what_the_file_leaves_out() {
        let live = AccountPolicies {
            network_policy: Some(Identifier::parse("NP").unwrap()),
            authentication_policy: Some(ObjectName::parse("D.S.AP").unwrap()),
            ..AccountPolicies::default()
        };
        let spec = section(serde_json::json!({ "authentication_policy": "none" })).unwrap();
        let resolved = spec.resolved(&live);
        assert_eq!(resolved.network_policy, live.network_policy);
        assert_eq!(resolved.authentication_policy, None);
    }
}

//! The statements the sandbox understands, as the parser produces them.
//!
//! Names are kept as written (one to three parts); resolving a partial name against the
//! session's database and schema, and checking that objects exist, is the executor's job.

use crate::sandbox::name::Name;

/// A possibly qualified object name: `NAME`, `SCHEMA.NAME` or `DB.SCHEMA.NAME`, each part already
/// folded or unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectName {
    pub parts: Vec<Name>,
}

impl ObjectName {
    pub fn single(name: Name) -> Self {
        Self { parts: vec![name] }
    }

    /// The last part.
    pub fn last(&self) -> Option<&Name> {
        self.parts.last()
    }
}

impl std::fmt::Display for ObjectName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<&str> = self.parts.iter().map(Name::as_str).collect();
        f.write_str(&parts.join("."))
    }
}

/// `CREATE`, `CREATE OR REPLACE` or `CREATE OR ALTER`, with `IF NOT EXISTS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateMode {
    pub kind: CreateKind,
    pub if_not_exists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateKind {
    Create,
    OrReplace,
    OrAlter,
}

/// Snowflake user types (`TYPE = …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserType {
    Person,
    Service,
    LegacyService,
    ServiceAgent,
}

impl UserType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "PERSON",
            Self::Service => "SERVICE",
            Self::LegacyService => "LEGACY_SERVICE",
            Self::ServiceAgent => "SERVICE_AGENT",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "PERSON" => Some(Self::Person),
            "SERVICE" => Some(Self::Service),
            "LEGACY_SERVICE" => Some(Self::LegacyService),
            "SERVICE_AGENT" => Some(Self::ServiceAgent),
            _ => None,
        }
    }

    /// SERVICE, LEGACY_SERVICE and SERVICE_AGENT: the types a role restriction is required for.
    pub fn is_service(self) -> bool {
        !matches!(self, Self::Person)
    }
}

/// User properties and parameters settable with CREATE / ALTER USER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserProperty {
    Password,
    LoginName,
    DisplayName,
    FirstName,
    MiddleName,
    LastName,
    Email,
    MustChangePassword,
    Disabled,
    DaysToExpiry,
    MinsToUnlock,
    DefaultWarehouse,
    DefaultNamespace,
    DefaultRole,
    DefaultSecondaryRoles,
    MinsToBypassMfa,
    RsaPublicKey,
    RsaPublicKey2,
    Type,
    Comment,
    NetworkPolicy,
    AllowedInterfaces,
    /// A session parameter set on the user (`TIMEZONE`, `QUERY_TAG`, …).
    Parameter(SessionParameter),
}

/// The session parameters the sandbox knows, with Snowflake's defaults (SHOW PARAMETERS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionParameter(pub usize);

/// The type column of SHOW PARAMETERS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterType {
    Boolean,
    Number,
    String,
}

impl ParameterType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Boolean => "BOOLEAN",
            Self::Number => "NUMBER",
            Self::String => "STRING",
        }
    }
}

/// `(key, default, type, description)` of each session parameter, sorted by key.
pub const SESSION_PARAMETERS: [(&str, &str, ParameterType, &str); 11] = [
    (
        "ABORT_DETACHED_QUERY",
        "false",
        ParameterType::Boolean,
        "If true, Snowflake will automatically abort queries when it detects that the client has disappeared.",
    ),
    (
        "AUTOCOMMIT",
        "true",
        ParameterType::Boolean,
        "The autocommit property determines whether is statement should to be implicitly wrapped within a transaction or not.",
    ),
    (
        "DATE_OUTPUT_FORMAT",
        "YYYY-MM-DD",
        ParameterType::String,
        "Display format for DATE values.",
    ),
    (
        "LOCK_TIMEOUT",
        "43200",
        ParameterType::Number,
        "Number of seconds to wait while trying to lock a resource, before timing out and aborting the statement.",
    ),
    (
        "QUERY_TAG",
        "",
        ParameterType::String,
        "String (up to 4096 characters) used to tag statements executed by the session.",
    ),
    (
        "ROWS_PER_RESULTSET",
        "0",
        ParameterType::Number,
        "maximum number of rows in a result set",
    ),
    (
        "STATEMENT_TIMEOUT_IN_SECONDS",
        "172800",
        ParameterType::Number,
        "Timeout in seconds for statements: statements are automatically canceled if they run for longer; if set to zero, max value (604800) is enforced.",
    ),
    (
        "TIMESTAMP_OUTPUT_FORMAT",
        "YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM",
        ParameterType::String,
        "Display format for TIMESTAMP values.",
    ),
    (
        "TIMEZONE",
        "America/Los_Angeles",
        ParameterType::String,
        "time zone",
    ),
    (
        "USE_CACHED_RESULT",
        "true",
        ParameterType::Boolean,
        "If enabled, query results can be reused between successive invocations of the same query as long as the original result has not expired",
    ),
    (
        "WEEK_START",
        "0",
        ParameterType::Number,
        "Defines the first day of the week: 0 for legacy (Monday), 1 for Monday, ..., 7 for Sunday.",
    ),
];

impl SessionParameter {
    pub fn from_keyword(word: &str) -> Option<Self> {
        SESSION_PARAMETERS
            .iter()
            .position(|(key, ..)| key.eq_ignore_ascii_case(word))
            .map(Self)
    }

    pub fn key(self) -> &'static str {
        SESSION_PARAMETERS.get(self.0).map_or("", |entry| entry.0)
    }

    pub fn default_value(self) -> &'static str {
        SESSION_PARAMETERS.get(self.0).map_or("", |entry| entry.1)
    }

    pub fn parameter_type(self) -> ParameterType {
        SESSION_PARAMETERS
            .get(self.0)
            .map_or(ParameterType::String, |entry| entry.2)
    }

    pub fn description(self) -> &'static str {
        SESSION_PARAMETERS.get(self.0).map_or("", |entry| entry.3)
    }
}

/// The shape of a property's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueShape {
    /// A string constant (an identifier is accepted too, as Snowflake does for these).
    Text,
    /// An identifier, or a string constant holding one.
    Identifier,
    Boolean,
    Integer,
    UserType,
    /// `( 'A', 'B' )` or `()`.
    StringList,
    /// A session parameter's value: a string, number or boolean.
    Parameter,
}

impl UserProperty {
    pub const ALL: [UserProperty; 22] = [
        Self::Password,
        Self::LoginName,
        Self::DisplayName,
        Self::FirstName,
        Self::MiddleName,
        Self::LastName,
        Self::Email,
        Self::MustChangePassword,
        Self::Disabled,
        Self::DaysToExpiry,
        Self::MinsToUnlock,
        Self::DefaultWarehouse,
        Self::DefaultNamespace,
        Self::DefaultRole,
        Self::DefaultSecondaryRoles,
        Self::MinsToBypassMfa,
        Self::RsaPublicKey,
        Self::RsaPublicKey2,
        Self::Type,
        Self::Comment,
        Self::NetworkPolicy,
        Self::AllowedInterfaces,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            Self::Password => "PASSWORD",
            Self::LoginName => "LOGIN_NAME",
            Self::DisplayName => "DISPLAY_NAME",
            Self::FirstName => "FIRST_NAME",
            Self::MiddleName => "MIDDLE_NAME",
            Self::LastName => "LAST_NAME",
            Self::Email => "EMAIL",
            Self::MustChangePassword => "MUST_CHANGE_PASSWORD",
            Self::Disabled => "DISABLED",
            Self::DaysToExpiry => "DAYS_TO_EXPIRY",
            Self::MinsToUnlock => "MINS_TO_UNLOCK",
            Self::DefaultWarehouse => "DEFAULT_WAREHOUSE",
            Self::DefaultNamespace => "DEFAULT_NAMESPACE",
            Self::DefaultRole => "DEFAULT_ROLE",
            Self::DefaultSecondaryRoles => "DEFAULT_SECONDARY_ROLES",
            Self::MinsToBypassMfa => "MINS_TO_BYPASS_MFA",
            Self::RsaPublicKey => "RSA_PUBLIC_KEY",
            Self::RsaPublicKey2 => "RSA_PUBLIC_KEY_2",
            Self::Type => "TYPE",
            Self::Comment => "COMMENT",
            Self::NetworkPolicy => "NETWORK_POLICY",
            Self::AllowedInterfaces => "ALLOWED_INTERFACES",
            Self::Parameter(parameter) => parameter.key(),
        }
    }

    pub fn shape(self) -> ValueShape {
        match self {
            Self::MustChangePassword | Self::Disabled => ValueShape::Boolean,
            Self::DaysToExpiry | Self::MinsToUnlock | Self::MinsToBypassMfa => ValueShape::Integer,
            Self::DefaultWarehouse | Self::DefaultRole | Self::NetworkPolicy => {
                ValueShape::Identifier
            }
            Self::DefaultSecondaryRoles | Self::AllowedInterfaces => ValueShape::StringList,
            Self::Parameter(_) => ValueShape::Parameter,
            Self::Type => ValueShape::UserType,
            _ => ValueShape::Text,
        }
    }

    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|property| property.keyword().eq_ignore_ascii_case(word))
            .or_else(|| SessionParameter::from_keyword(word).map(Self::Parameter))
    }
}

/// A parsed property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Identifier(Name),
    Boolean(bool),
    Integer(i64),
    /// `TYPE = NULL` is `None`.
    UserType(Option<UserType>),
    StringList(Vec<String>),
}

/// `CREATE USER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUser {
    pub mode: CreateMode,
    pub name: Name,
    pub properties: Vec<(UserProperty, Value)>,
}

/// `ALTER USER [IF EXISTS] [name] …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterUser {
    pub if_exists: bool,
    /// `None`: the session's own user.
    pub name: Option<Name>,
    pub action: AlterUserAction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterUserAction {
    Rename(Name),
    Set(Vec<(UserProperty, Value)>),
    Unset(Vec<UserProperty>),
    SetAuthenticationPolicy { policy: ObjectName, force: bool },
    UnsetAuthenticationPolicy,
    AddToken(AddToken),
    ModifyToken(ModifyToken),
    RotateToken(RotateToken),
    RemoveToken { if_exists: bool, name: Name },
}

/// `ADD PROGRAMMATIC ACCESS TOKEN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddToken {
    pub if_not_exists: bool,
    pub name: Name,
    pub role_restriction: Option<Name>,
    pub days_to_expiry: Option<i64>,
    pub mins_to_bypass_network_policy_requirement: Option<i64>,
    pub comment: Option<String>,
}

/// Token properties settable with MODIFY … SET / UNSET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProperty {
    Disabled,
    MinsToBypassNetworkPolicyRequirement,
    Comment,
}

/// `MODIFY PROGRAMMATIC ACCESS TOKEN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyToken {
    pub if_exists: bool,
    pub name: Name,
    pub change: TokenChange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenChange {
    Rename(Name),
    Set {
        disabled: Option<bool>,
        mins_to_bypass_network_policy_requirement: Option<i64>,
        comment: Option<String>,
    },
    Unset(Vec<TokenProperty>),
}

/// `ROTATE PROGRAMMATIC ACCESS TOKEN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateToken {
    pub if_exists: bool,
    pub name: Name,
    pub expire_rotated_token_after_hours: Option<i64>,
}

/// `GRANT ROLE … TO` / `REVOKE ROLE … FROM` targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    User(Name),
    Role(Name),
}

/// `LIKE`, `STARTS WITH`, `LIMIT … FROM` filters of SHOW commands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowFilter {
    pub like: Option<String>,
    pub starts_with: Option<String>,
    pub limit: Option<u64>,
    pub from: Option<String>,
}

/// `IN …` / `ON …` scope of SHOW NETWORK RULES and SHOW AUTHENTICATION POLICIES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowScope {
    Account,
    /// `IN DATABASE [d]`; `None` is the session's database.
    Database(Option<Name>),
    /// `IN SCHEMA [s]`; `None` is the session's schema.
    Schema(Option<ObjectName>),
    OnAccount,
    OnUser(Name),
}

/// Network rule `TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NetworkRuleType {
    Ipv4,
    Ipv6,
    Awsvpceid,
    Azurelinkid,
    Gcppscid,
    HostPort,
    PrivateHostPort,
    ComputePool,
}

impl NetworkRuleType {
    pub const ALL: [NetworkRuleType; 8] = [
        Self::Ipv4,
        Self::Ipv6,
        Self::Awsvpceid,
        Self::Azurelinkid,
        Self::Gcppscid,
        Self::HostPort,
        Self::PrivateHostPort,
        Self::ComputePool,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4 => "IPV4",
            Self::Ipv6 => "IPV6",
            Self::Awsvpceid => "AWSVPCEID",
            Self::Azurelinkid => "AZURELINKID",
            Self::Gcppscid => "GCPPSCID",
            Self::HostPort => "HOST_PORT",
            Self::PrivateHostPort => "PRIVATE_HOST_PORT",
            Self::ComputePool => "COMPUTE_POOL",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
    }
}

/// Network rule `MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NetworkRuleMode {
    Ingress,
    InternalStage,
    SnowflakeManagedStorageVolume,
    Egress,
}

impl NetworkRuleMode {
    pub const ALL: [NetworkRuleMode; 4] = [
        Self::Ingress,
        Self::InternalStage,
        Self::SnowflakeManagedStorageVolume,
        Self::Egress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingress => "INGRESS",
            Self::InternalStage => "INTERNAL_STAGE",
            Self::SnowflakeManagedStorageVolume => "SNOWFLAKE_MANAGED_STORAGE_VOLUME",
            Self::Egress => "EGRESS",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(text))
    }
}

/// `CREATE NETWORK RULE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateNetworkRule {
    pub mode: CreateMode,
    pub name: ObjectName,
    pub rule_type: NetworkRuleType,
    pub value_list: Vec<String>,
    pub rule_mode: NetworkRuleMode,
    pub comment: Option<String>,
}

/// `ALTER NETWORK RULE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterNetworkRule {
    pub if_exists: bool,
    pub name: ObjectName,
    pub action: AlterNetworkRuleAction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterNetworkRuleAction {
    Set {
        value_list: Option<Vec<String>>,
        comment: Option<String>,
    },
    /// `UNSET VALUE_LIST, COMMENT`: which of the two.
    Unset { value_list: bool, comment: bool },
}

/// The four lists of a network policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyList {
    AllowedNetworkRules,
    BlockedNetworkRules,
    AllowedIps,
    BlockedIps,
}

impl PolicyList {
    pub fn keyword(self) -> &'static str {
        match self {
            Self::AllowedNetworkRules => "ALLOWED_NETWORK_RULE_LIST",
            Self::BlockedNetworkRules => "BLOCKED_NETWORK_RULE_LIST",
            Self::AllowedIps => "ALLOWED_IP_LIST",
            Self::BlockedIps => "BLOCKED_IP_LIST",
        }
    }

    pub fn from_keyword(word: &str) -> Option<Self> {
        [
            Self::AllowedNetworkRules,
            Self::BlockedNetworkRules,
            Self::AllowedIps,
            Self::BlockedIps,
        ]
        .into_iter()
        .find(|list| list.keyword().eq_ignore_ascii_case(word))
    }

    pub fn holds_rules(self) -> bool {
        matches!(self, Self::AllowedNetworkRules | Self::BlockedNetworkRules)
    }
}

/// A list value of a network policy: rule names or IP addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyListValue {
    Rules(Vec<ObjectName>),
    Ips(Vec<String>),
}

/// Network policy properties of CREATE and ALTER … SET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkPolicyProperties {
    pub lists: Vec<(PolicyList, PolicyListValue)>,
    pub comment: Option<String>,
}

/// `CREATE NETWORK POLICY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateNetworkPolicy {
    pub mode: CreateMode,
    pub name: Name,
    pub properties: NetworkPolicyProperties,
}

/// `ALTER NETWORK POLICY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterNetworkPolicy {
    pub if_exists: bool,
    pub name: Name,
    pub action: AlterNetworkPolicyAction,
}

/// What `UNSET` of a network policy may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkPolicyField {
    List(PolicyList),
    Comment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterNetworkPolicyAction {
    Set(NetworkPolicyProperties),
    Unset(Vec<NetworkPolicyField>),
    Add(PolicyList, Vec<ObjectName>),
    Remove(PolicyList, Vec<ObjectName>),
    Rename(Name),
}

/// `NETWORK_POLICY_EVALUATION` of a PAT policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NetworkPolicyEvaluation {
    EnforcedRequired,
    EnforcedNotRequired,
    NotEnforced,
}

impl NetworkPolicyEvaluation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EnforcedRequired => "ENFORCED_REQUIRED",
            Self::EnforcedNotRequired => "ENFORCED_NOT_REQUIRED",
            Self::NotEnforced => "NOT_ENFORCED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::EnforcedRequired,
            Self::EnforcedNotRequired,
            Self::NotEnforced,
        ]
        .into_iter()
        .find(|evaluation| evaluation.as_str().eq_ignore_ascii_case(text))
    }
}

/// The sub-properties given in a `PAT_POLICY = ( … )`; absent ones stay as they were (ALTER) or
/// take their default (CREATE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatPolicyOptions {
    pub default_expiry_in_days: Option<i64>,
    pub max_expiry_in_days: Option<i64>,
    pub network_policy_evaluation: Option<NetworkPolicyEvaluation>,
    pub require_role_restriction_for_service_users: Option<bool>,
    pub require_role_restriction_for_person_users: Option<bool>,
    pub blocked_roles_list: Option<Vec<Name>>,
}

/// The top-level properties of an authentication policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthenticationPolicyField {
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

impl AuthenticationPolicyField {
    pub const ALL: [AuthenticationPolicyField; 9] = [
        Self::AuthenticationMethods,
        Self::ClientTypes,
        Self::ClientPolicy,
        Self::SecurityIntegrations,
        Self::MfaEnrollment,
        Self::MfaPolicy,
        Self::PatPolicy,
        Self::WorkloadIdentityPolicy,
        Self::Comment,
    ];

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

    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|field| field.keyword().eq_ignore_ascii_case(word))
    }
}

/// One property given to CREATE / ALTER AUTHENTICATION POLICY … SET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticationPolicyProperty {
    AuthenticationMethods(Vec<String>),
    ClientTypes(Vec<String>),
    /// `(JDBC_DRIVER = (MINIMUM_VERSION = '3.25.0'), …)`.
    ClientPolicy(Vec<(String, String)>),
    SecurityIntegrations(Vec<String>),
    MfaEnrollment(String),
    MfaPolicy {
        allowed_methods: Option<Vec<String>>,
        enforce_mfa_on_external_authentication: Option<String>,
    },
    PatPolicy(PatPolicyOptions),
    /// `ALLOWED_PROVIDERS = (…) ALLOWED_AWS_ACCOUNTS = (…) …`, keys upper case.
    WorkloadIdentityPolicy(Vec<(String, Vec<String>)>),
    Comment(String),
}

/// `CREATE AUTHENTICATION POLICY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAuthenticationPolicy {
    pub mode: CreateMode,
    pub name: ObjectName,
    pub properties: Vec<AuthenticationPolicyProperty>,
}

/// `ALTER AUTHENTICATION POLICY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterAuthenticationPolicy {
    pub if_exists: bool,
    pub name: ObjectName,
    pub action: AlterAuthenticationPolicyAction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterAuthenticationPolicyAction {
    Set(Vec<AuthenticationPolicyProperty>),
    Unset(Vec<AuthenticationPolicyField>),
    Rename(ObjectName),
}

/// Which users an account-level authentication policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    /// No `FOR` clause.
    All,
    /// `FOR ALL PERSON USERS`.
    Person,
    /// `FOR ALL SERVICE USERS`.
    Service,
}

/// `ALTER ACCOUNT`.
#[expect(
    clippy::enum_variant_names,
    reason = "the variants name the SQL forms SET / UNSET NETWORK_POLICY and AUTHENTICATION POLICY"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterAccount {
    SetNetworkPolicy(Name),
    UnsetNetworkPolicy,
    SetAuthenticationPolicy {
        policy: ObjectName,
        scope: PolicyScope,
        force: bool,
    },
    UnsetAuthenticationPolicy {
        scope: PolicyScope,
    },
}

/// The properties of CREATE WAREHOUSE (reference: sql-reference/sql/create-warehouse).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarehouseProperties {
    /// Upper case, as written (`XSMALL`, `X-SMALL`, `MEDIUM`, …).
    pub size: Option<String>,
    /// `STANDARD` or `SNOWPARK-OPTIMIZED`.
    pub warehouse_type: Option<String>,
    /// `Some(None)` is `AUTO_SUSPEND = NULL`.
    pub auto_suspend: Option<Option<i64>>,
    pub auto_resume: Option<bool>,
    pub initially_suspended: Option<bool>,
    pub comment: Option<String>,
}

/// Target of SHOW PARAMETERS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterTarget {
    /// `IN USER [u]`; `None` is the session's user.
    User(Option<Name>),
    Account,
    /// No `IN` clause: the session's parameters.
    Session,
}

/// The context functions of `SELECT CURRENT_…()`.
#[expect(
    clippy::enum_variant_names,
    reason = "the variants are Snowflake's function names"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextFunction {
    CurrentUser,
    CurrentRole,
    CurrentAccount,
    CurrentAccountName,
    CurrentTimestamp,
    CurrentAvailableRoles,
    CurrentIpAddress,
    CurrentWarehouse,
}

impl ContextFunction {
    pub fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_uppercase().as_str() {
            "CURRENT_USER" => Some(Self::CurrentUser),
            "CURRENT_ROLE" => Some(Self::CurrentRole),
            "CURRENT_ACCOUNT" => Some(Self::CurrentAccount),
            "CURRENT_ACCOUNT_NAME" => Some(Self::CurrentAccountName),
            "CURRENT_TIMESTAMP" => Some(Self::CurrentTimestamp),
            "CURRENT_AVAILABLE_ROLES" => Some(Self::CurrentAvailableRoles),
            "CURRENT_IP_ADDRESS" => Some(Self::CurrentIpAddress),
            "CURRENT_WAREHOUSE" => Some(Self::CurrentWarehouse),
            _ => None,
        }
    }
}

/// What a SELECT list item computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectExpression {
    Function(ContextFunction),
    Number(String),
    Text(String),
}

/// One SELECT list item: its expression and the column name Snowflake gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectItem {
    pub expression: SelectExpression,
    pub column: String,
}

/// A named argument of POLICY_REFERENCES (`POLICY_NAME => '…'`), with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedArgument {
    pub name: String,
    pub value: String,
}

/// A column of a `SELECT … FROM TABLE(…)`, with its position for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnReference {
    pub name: String,
    pub line: usize,
    pub position: usize,
}

/// `SELECT … FROM TABLE(INFORMATION_SCHEMA.POLICY_REFERENCES(…)) [WHERE c = 'v' [AND …]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyReferencesQuery {
    /// `None` is `SELECT *`.
    pub columns: Option<Vec<ColumnReference>>,
    pub arguments: Vec<NamedArgument>,
    /// Where the function name starts, for argument errors.
    pub line: usize,
    pub position: usize,
    pub filter: Vec<(ColumnReference, String)>,
}

/// An item of a SELECT from a view: a column or one of the aggregates the sandbox knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewExpression {
    Column(ColumnReference),
    /// `COUNT(*)`.
    CountStar,
    /// `MAX(column)`.
    Max(ColumnReference),
    /// `MIN(column)`.
    Min(ColumnReference),
}

/// One SELECT list item of a view query, with its optional alias and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewItem {
    pub expression: ViewExpression,
    pub alias: Option<String>,
    pub line: usize,
    pub position: usize,
}

/// A literal on the right of `WHERE column = …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Text(String),
    Number(String),
}

/// `SELECT items | * FROM view [WHERE c = literal [AND …]] [GROUP BY c, …]`: the queries of the
/// SNOWFLAKE.ACCOUNT_USAGE views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewQuery {
    /// `None` is `SELECT *`.
    pub items: Option<Vec<ViewItem>>,
    /// The view, one to three parts as written.
    pub view: ObjectName,
    pub filter: Vec<(ColumnReference, Literal)>,
    pub group_by: Vec<ColumnReference>,
}

/// Every statement the sandbox executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    CreateUser(CreateUser),
    AlterUser(AlterUser),
    DropUser {
        if_exists: bool,
        name: Name,
    },
    DescribeUser(Name),
    ShowUsers {
        terse: bool,
        filter: ShowFilter,
    },
    CreateRole {
        mode: CreateMode,
        name: Name,
        comment: Option<String>,
    },
    DropRole {
        if_exists: bool,
        name: Name,
    },
    ShowRoles(ShowFilter),
    GrantRole {
        role: Name,
        grantee: Grantee,
    },
    RevokeRole {
        role: Name,
        grantee: Grantee,
    },
    ShowGrantsToUser(Name),
    ShowGrantsOfRole(Name),
    CreateDatabase {
        mode: CreateMode,
        name: Name,
        comment: Option<String>,
    },
    CreateSchema {
        mode: CreateMode,
        name: ObjectName,
        comment: Option<String>,
    },
    CreateNetworkRule(CreateNetworkRule),
    AlterNetworkRule(AlterNetworkRule),
    DropNetworkRule {
        if_exists: bool,
        name: ObjectName,
    },
    ShowNetworkRules {
        filter: ShowFilter,
        scope: Option<ShowScope>,
    },
    DescribeNetworkRule(ObjectName),
    CreateNetworkPolicy(CreateNetworkPolicy),
    AlterNetworkPolicy(AlterNetworkPolicy),
    DropNetworkPolicy {
        if_exists: bool,
        name: Name,
    },
    ShowNetworkPolicies(ShowFilter),
    DescribeNetworkPolicy(Name),
    CreateAuthenticationPolicy(CreateAuthenticationPolicy),
    AlterAuthenticationPolicy(AlterAuthenticationPolicy),
    DropAuthenticationPolicy {
        if_exists: bool,
        name: ObjectName,
    },
    ShowAuthenticationPolicies {
        filter: ShowFilter,
        scope: Option<ShowScope>,
    },
    DescribeAuthenticationPolicy(ObjectName),
    AlterAccount(AlterAccount),
    ShowTokens {
        user: Option<Name>,
    },
    ShowParameters {
        like: Option<String>,
        target: ParameterTarget,
    },
    SelectContext(Vec<SelectItem>),
    SelectPolicyReferences(PolicyReferencesQuery),
    SelectView(ViewQuery),
    CreateWarehouse {
        mode: CreateMode,
        name: Name,
        properties: WarehouseProperties,
    },
    DropWarehouse {
        if_exists: bool,
        name: Name,
    },
    ShowWarehouses(ShowFilter),
    /// `GRANT USAGE ON WAREHOUSE w TO ROLE r` (`grant` false: REVOKE … FROM ROLE).
    WarehouseUsage {
        grant: bool,
        warehouse: Name,
        role: Name,
    },
}

impl Statement {
    /// Whether the statement can change account state (and so the state file).
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Self::DescribeUser(_)
                | Self::ShowUsers { .. }
                | Self::ShowRoles(_)
                | Self::ShowGrantsToUser(_)
                | Self::ShowGrantsOfRole(_)
                | Self::ShowNetworkRules { .. }
                | Self::DescribeNetworkRule(_)
                | Self::ShowNetworkPolicies(_)
                | Self::DescribeNetworkPolicy(_)
                | Self::ShowAuthenticationPolicies { .. }
                | Self::DescribeAuthenticationPolicy(_)
                | Self::ShowTokens { .. }
                | Self::ShowParameters { .. }
                | Self::SelectContext(_)
                | Self::SelectPolicyReferences(_)
                | Self::SelectView(_)
                | Self::ShowWarehouses(_)
        )
    }
}

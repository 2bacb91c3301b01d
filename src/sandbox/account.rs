//! The emulated account's state: users and their tokens, roles and role grants, databases and
//! schemas, network rules and policies, authentication policies, and what is attached at account
//! level. Plain data plus the lookups every rule needs (role closure, the policies that apply to a
//! user, a token's status); the rules themselves live in `exec`.
//!
//! This is also the persisted form (`--state FILE`): it holds no token secret, only the SHA-256 of
//! each one, and no password.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::sandbox::name::{Name, QualifiedName};
pub use crate::sandbox::role_grants::{RoleClosure, RoleGrants};
use crate::sandbox::sql::ast::{
    NetworkPolicyEvaluation, NetworkRuleMode, NetworkRuleType, PolicyScope, UserType,
};
use crate::sandbox::usage::AccountUsage;

/// The roles every account starts with.
pub const ACCOUNTADMIN: &str = "ACCOUNTADMIN";
pub const SECURITYADMIN: &str = "SECURITYADMIN";
pub const USERADMIN: &str = "USERADMIN";
pub const SYSADMIN: &str = "SYSADMIN";
pub const PUBLIC: &str = "PUBLIC";

/// Most tokens a user may hold, counting disabled ones and rotation leftovers, not expired ones.
pub const MAX_TOKENS_PER_USER: usize = 15;
/// Expired tokens disappear from SHOW this long after they expire.
pub const EXPIRED_TOKEN_RETENTION_DAYS: i64 = 7;
/// How much earlier than the retention period after a scan the next purge scan runs (see
/// [`Account::purge_expired_tokens`]).
const PURGE_HORIZON_MARGIN: Duration = Duration::hours(1);

/// The whole emulated account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// The account identifier a JWT must carry (`SANDBOX`).
    pub name: String,
    pub users: BTreeMap<Name, User>,
    pub roles: BTreeMap<Name, Role>,
    pub role_grants: RoleGrants,
    pub databases: BTreeMap<Name, Database>,
    #[serde(default)]
    pub warehouses: BTreeMap<Name, Warehouse>,
    pub network_rules: Vec<NetworkRule>,
    pub network_policies: BTreeMap<Name, NetworkPolicy>,
    pub authentication_policies: Vec<AuthenticationPolicy>,
    pub settings: AccountSettings,
    /// Credential ids, PAT logins and deleted tokens, for the ACCOUNT_USAGE views.
    #[serde(default)]
    pub usage: AccountUsage,
    /// Until when no token can be past its retention period: statements before then skip the
    /// purge (see [`Account::purge_expired_tokens`]). `None` (a fresh load, a clock step): the
    /// next statement scans.
    #[serde(skip)]
    purge_horizon: Option<DateTime<Utc>>,
    /// Which user a token secret (by its SHA-256) was minted for: a hint that makes a PAT
    /// login O(1) in the account's size. Never trusted alone: the user's tokens are checked for
    /// the hash, and a miss (a renamed or dropped user, a state file just loaded) falls back to
    /// scanning every user's tokens.
    #[serde(skip)]
    token_owners: std::collections::HashMap<String, Name>,
}

/// What is attached at account level.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountSettings {
    pub network_policy: Option<Name>,
    pub authentication_policy: Option<QualifiedName>,
    pub authentication_policy_person_users: Option<QualifiedName>,
    pub authentication_policy_service_users: Option<QualifiedName>,
}

impl AccountSettings {
    pub fn authentication_policy_slot(&mut self, scope: PolicyScope) -> &mut Option<QualifiedName> {
        match scope {
            PolicyScope::All => &mut self.authentication_policy,
            PolicyScope::Person => &mut self.authentication_policy_person_users,
            PolicyScope::Service => &mut self.authentication_policy_service_users,
        }
    }

    /// Every account-level authentication policy attachment with its scope.
    pub fn authentication_policies(&self) -> Vec<(PolicyScope, &QualifiedName)> {
        [
            (PolicyScope::All, &self.authentication_policy),
            (
                PolicyScope::Person,
                &self.authentication_policy_person_users,
            ),
            (
                PolicyScope::Service,
                &self.authentication_policy_service_users,
            ),
        ]
        .into_iter()
        .filter_map(|(scope, policy)| policy.as_ref().map(|policy| (scope, policy)))
        .collect()
    }
}

/// A registered RSA public key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RsaKey {
    /// Base64 DER SubjectPublicKeyInfo, as given (whitespace removed).
    pub body: String,
    /// `SHA256:<base64 of sha256(DER)>`.
    pub fingerprint: String,
    pub set_on: DateTime<Utc>,
}

/// A user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: Name,
    pub created_on: DateTime<Utc>,
    pub owner: Name,
    pub login_name: String,
    pub display_name: String,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub password_last_set: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub days_to_expiry: Option<i64>,
    pub mins_to_unlock: Option<i64>,
    pub default_warehouse: Option<Name>,
    pub default_namespace: Option<String>,
    pub default_role: Option<Name>,
    pub default_secondary_roles: Vec<String>,
    pub mins_to_bypass_mfa: Option<i64>,
    pub rsa_public_key: Option<RsaKey>,
    pub rsa_public_key_2: Option<RsaKey>,
    pub user_type: UserType,
    pub comment: Option<String>,
    pub network_policy: Option<Name>,
    pub authentication_policy: Option<QualifiedName>,
    pub tokens: Vec<Token>,
    /// `ALLOWED_INTERFACES`, upper case; empty when unset.
    #[serde(default)]
    pub allowed_interfaces: Vec<String>,
    /// Session parameters set on the user, by key.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

impl User {
    /// A new user with Snowflake's defaults (reference §5.1).
    pub fn new(name: Name, owner: Name, now: DateTime<Utc>) -> Self {
        Self {
            login_name: name.as_str().to_owned(),
            display_name: name.as_str().to_owned(),
            name,
            created_on: now,
            owner,
            first_name: None,
            middle_name: None,
            last_name: None,
            email: None,
            password_last_set: None,
            must_change_password: false,
            disabled: false,
            days_to_expiry: None,
            mins_to_unlock: None,
            default_warehouse: None,
            default_namespace: None,
            default_role: None,
            default_secondary_roles: vec!["ALL".to_owned()],
            mins_to_bypass_mfa: None,
            rsa_public_key: None,
            rsa_public_key_2: None,
            user_type: UserType::Person,
            comment: None,
            network_policy: None,
            authentication_policy: None,
            tokens: Vec::new(),
            allowed_interfaces: Vec::new(),
            parameters: BTreeMap::new(),
        }
    }

    /// The person-only properties the user has (FIRST_NAME, PASSWORD, …), by keyword.
    pub fn person_only_properties(&self) -> Vec<&'static str> {
        [
            ("FIRST_NAME", self.first_name.is_some()),
            ("MIDDLE_NAME", self.middle_name.is_some()),
            ("LAST_NAME", self.last_name.is_some()),
            ("PASSWORD", self.has_password()),
            ("MUST_CHANGE_PASSWORD", self.must_change_password),
            ("MINS_TO_BYPASS_MFA", self.mins_to_bypass_mfa.is_some()),
        ]
        .into_iter()
        .filter_map(|(property, set)| set.then_some(property))
        .collect()
    }

    pub fn token(&self, name: &Name) -> Option<&Token> {
        self.tokens.iter().find(|token| &token.name == name)
    }

    pub fn token_mut(&mut self, name: &Name) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|token| &token.name == name)
    }

    /// Tokens still listed by SHOW (expired ones vanish after the retention period).
    pub fn visible_tokens(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Token> {
        self.tokens
            .iter()
            .filter(move |token| !token.is_purged(now))
    }

    /// Tokens counted against [`MAX_TOKENS_PER_USER`]: every token that has not expired.
    ///
    /// `SHOW USERS` and `DESCRIBE USER` print `has_pat` as this count being non-zero. Snowflake
    /// defines `has_pat` only as "the user has one or more programmatic access tokens"
    /// (BCR-1951) and does not say whether an expired token, still listed by SHOW for days,
    /// counts; this is the stricter of the two readings for a client (it can hide a token that
    /// still holds its name), which is the one the product must survive.
    pub fn counted_tokens(&self, now: DateTime<Utc>) -> usize {
        self.tokens
            .iter()
            .filter(|token| token.status(now) != TokenStatus::Expired)
            .count()
    }

    pub fn has_password(&self) -> bool {
        self.password_last_set.is_some()
    }
}

/// What SHOW reports for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Expired,
    Disabled,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Expired => "EXPIRED",
            Self::Disabled => "DISABLED",
        }
    }
}

/// A programmatic access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub name: Name,
    /// Hex SHA-256 of the secret; the secret itself is never stored.
    pub secret_sha256: String,
    pub role_restriction: Option<Name>,
    /// The lifetime it was created with; ROTATE gives the new secret the same one.
    pub days_to_expiry: i64,
    pub expires_at: DateTime<Utc>,
    pub created_on: DateTime<Utc>,
    pub created_by: Name,
    pub comment: Option<String>,
    pub disabled: bool,
    /// End of the `MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT` window, when one was set.
    pub bypass_until: Option<DateTime<Utc>>,
    /// For a rotation leftover: the token that replaced it.
    pub rotated_to: Option<Name>,
    /// ACCOUNT_USAGE.CREDENTIALS.CREDENTIAL_ID: stable for the token's life (0 in state files
    /// written before ids existed, until [`Account::ensure_credential_ids`] runs).
    #[serde(default)]
    pub credential_id: u64,
    /// When a MODIFY or ROTATE last changed it, and who ran it.
    #[serde(default)]
    pub last_altered: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_altered_by: Option<Name>,
}

impl Token {
    /// Expired wins over disabled: an expired token is expired whatever else is true.
    pub fn status(&self, now: DateTime<Utc>) -> TokenStatus {
        if now >= self.expires_at {
            TokenStatus::Expired
        } else if self.disabled {
            TokenStatus::Disabled
        } else {
            TokenStatus::Active
        }
    }

    /// Whether the token is gone for good (expired more than the retention period ago).
    pub fn is_purged(&self, now: DateTime<Utc>) -> bool {
        now >= self.purge_time()
    }

    /// When the token is gone for good: the retention period after it expires.
    pub fn purge_time(&self) -> DateTime<Utc> {
        self.expires_at + Duration::days(EXPIRED_TOKEN_RETENTION_DAYS)
    }

    /// Minutes left in the bypass window, rounded up; `None` when no window was ever set.
    pub fn bypass_minutes_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.bypass_until.map(|until| {
            let seconds = (until - now).num_seconds().max(0);
            (seconds + 59) / 60
        })
    }
}

/// A role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub name: Name,
    pub created_on: DateTime<Utc>,
    pub owner: Option<Name>,
    pub comment: Option<String>,
    /// ACCOUNTADMIN, SECURITYADMIN, USERADMIN, SYSADMIN, PUBLIC: cannot be dropped.
    pub system: bool,
}

/// Who a role is granted to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GrantTarget {
    User(Name),
    Role(Name),
}

/// `GRANT ROLE role TO …`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Name,
    pub grantee: GrantTarget,
    pub created_on: DateTime<Utc>,
    pub granted_by: Name,
}

/// A database and its schemas.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Database {
    pub name: Name,
    pub created_on: DateTime<Utc>,
    pub owner: Name,
    pub comment: Option<String>,
    pub schemas: BTreeMap<Name, Schema>,
}

/// A schema.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schema {
    pub name: Name,
    pub created_on: DateTime<Utc>,
    pub owner: Name,
    pub comment: Option<String>,
}

/// A virtual warehouse.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Warehouse {
    pub name: Name,
    pub created_on: DateTime<Utc>,
    pub owner: Name,
    pub comment: Option<String>,
    /// As SHOW prints it: `X-Small`, `Medium`, `2X-Large`, …
    pub size: String,
    /// `STANDARD` or `SNOWPARK-OPTIMIZED`.
    pub warehouse_type: String,
    /// Seconds; `None` never suspends.
    pub auto_suspend: Option<i64>,
    pub auto_resume: bool,
    pub suspended: bool,
    /// Roles granted USAGE.
    pub usage: BTreeSet<Name>,
}

/// The database and schema of the Snowflake-managed network rules (Corrections 7).
pub const MANAGED_RULES_DATABASE: &str = "SNOWFLAKE";
pub const MANAGED_RULES_SCHEMA: &str = "NETWORK_SECURITY";
/// The Snowflake-managed rules the sandbox holds: the names the network-rules guide
/// (user-guide/network-rules, "Snowflake-managed network rules") and the GitHub Actions
/// examples give. They carry no addresses: the sandbox knows no partner's ranges.
pub const MANAGED_RULES: [&str; 3] = ["DBT_APAC_AWS", "DBT_EMEA_AWS", "GITHUBACTIONS_GLOBAL"];

/// Whether a rule name lies in SNOWFLAKE.NETWORK_SECURITY, which the account cannot change.
pub fn is_snowflake_managed(name: &QualifiedName) -> bool {
    name.database == MANAGED_RULES_DATABASE && name.schema == MANAGED_RULES_SCHEMA
}

/// A network rule (schema-level).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkRule {
    pub name: QualifiedName,
    pub created_on: DateTime<Utc>,
    pub owner: Name,
    pub comment: Option<String>,
    pub rule_type: NetworkRuleType,
    pub mode: NetworkRuleMode,
    pub values: Vec<String>,
}

/// A network policy (account-level).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkPolicy {
    pub name: Name,
    pub created_on: DateTime<Utc>,
    pub owner: Name,
    pub comment: Option<String>,
    pub allowed_rules: Vec<QualifiedName>,
    pub blocked_rules: Vec<QualifiedName>,
    pub allowed_ips: Vec<String>,
    pub blocked_ips: Vec<String>,
}

/// `PAT_POLICY` of an authentication policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatPolicy {
    pub default_expiry_in_days: i64,
    pub max_expiry_in_days: i64,
    pub network_policy_evaluation: NetworkPolicyEvaluation,
    pub require_role_restriction_for_service_users: bool,
    pub require_role_restriction_for_person_users: bool,
    pub blocked_roles_list: Vec<Name>,
}

impl Default for PatPolicy {
    /// Snowflake's defaults (reference §4.1): 15 / 365 days, ENFORCED_REQUIRED, role restriction
    /// required for service users only, nothing blocked.
    fn default() -> Self {
        Self {
            default_expiry_in_days: 15,
            max_expiry_in_days: 365,
            network_policy_evaluation: NetworkPolicyEvaluation::EnforcedRequired,
            require_role_restriction_for_service_users: true,
            require_role_restriction_for_person_users: false,
            blocked_roles_list: Vec::new(),
        }
    }
}

/// `MFA_POLICY` of an authentication policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaPolicy {
    pub allowed_methods: Vec<String>,
    pub enforce_mfa_on_external_authentication: String,
}

impl Default for MfaPolicy {
    fn default() -> Self {
        Self {
            allowed_methods: vec!["ALL".to_owned()],
            enforce_mfa_on_external_authentication: "NONE".to_owned(),
        }
    }
}

/// The keys of `WORKLOAD_IDENTITY_POLICY`, in DESC order; each defaults to `[ALL]`.
pub const WORKLOAD_IDENTITY_KEYS: [&str; 5] = [
    "ALLOWED_PROVIDERS",
    "ALLOWED_AWS_ACCOUNTS",
    "ALLOWED_AWS_PARTITIONS",
    "ALLOWED_AZURE_ISSUERS",
    "ALLOWED_OIDC_ISSUERS",
];

/// How DESC AUTHENTICATION POLICY shows an unset MFA_ENROLLMENT since Snowflake 10.10.2
/// (Corrections 2; terraform-provider-snowflake #4557 / #4571). It cannot be set.
pub const MFA_ENROLLMENT_DEFAULT: &str = "REQUIRED_SNOWFLAKE_UI_PASSWORD_ONLY";

/// An authentication policy (schema-level).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthenticationPolicy {
    pub name: QualifiedName,
    pub created_on: DateTime<Utc>,
    pub owner: Name,
    pub comment: Option<String>,
    pub authentication_methods: Vec<String>,
    pub client_types: Vec<String>,
    pub client_policy: Vec<(String, String)>,
    pub security_integrations: Vec<String>,
    pub mfa_enrollment: String,
    pub mfa_policy: MfaPolicy,
    pub pat_policy: PatPolicy,
    pub workload_identity_policy: BTreeMap<String, Vec<String>>,
}

impl AuthenticationPolicy {
    /// A policy with every property at its default (reference §4.4).
    pub fn new(name: QualifiedName, owner: Name, now: DateTime<Utc>) -> Self {
        Self {
            name,
            created_on: now,
            owner,
            comment: None,
            authentication_methods: vec!["ALL".to_owned()],
            client_types: vec!["ALL".to_owned()],
            client_policy: Vec::new(),
            security_integrations: vec!["ALL".to_owned()],
            mfa_enrollment: MFA_ENROLLMENT_DEFAULT.to_owned(),
            mfa_policy: MfaPolicy::default(),
            pat_policy: PatPolicy::default(),
            workload_identity_policy: BTreeMap::new(),
        }
    }

    /// Whether `method` (e.g. `PROGRAMMATIC_ACCESS_TOKEN`) is allowed.
    pub fn allows(&self, method: &str) -> bool {
        self.authentication_methods
            .iter()
            .any(|allowed| allowed == "ALL" || allowed == method)
    }
}

/// Where the authentication policy that governs a user comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    User,
    Account(PolicyScope),
}

impl Account {
    /// Records that the secret whose SHA-256 is `hash` belongs to a token of `user`.
    pub fn note_token_owner(&mut self, hash: &str, user: &Name) {
        self.token_owners.insert(hash.to_owned(), user.clone());
    }

    /// The user and token holding the secret whose SHA-256 is `hash`.
    pub fn token_by_hash(&self, hash: &str) -> Option<(&User, &Token)> {
        fn holds<'a>(user: &'a User, hash: &str) -> Option<&'a Token> {
            user.tokens.iter().find(|token| token.secret_sha256 == hash)
        }
        if let Some(user) = self.token_owners.get(hash).and_then(|u| self.users.get(u))
            && let Some(token) = holds(user, hash)
        {
            return Some((user, token));
        }
        self.users
            .values()
            .find_map(|user| holds(user, hash).map(|token| (user, token)))
    }

    /// A fresh account: the system roles and their hierarchy, user `admin_user` holding
    /// ACCOUNTADMIN, and the `SNOWFLAKE` database.
    pub fn new(name: &str, admin_user: &Name, now: DateTime<Utc>) -> Self {
        let mut account = Self {
            name: name.to_owned(),
            users: BTreeMap::new(),
            roles: BTreeMap::new(),
            role_grants: RoleGrants::default(),
            databases: BTreeMap::new(),
            warehouses: BTreeMap::new(),
            network_rules: Vec::new(),
            network_policies: BTreeMap::new(),
            authentication_policies: Vec::new(),
            settings: AccountSettings::default(),
            usage: AccountUsage::default(),
            purge_horizon: None,
            token_owners: std::collections::HashMap::new(),
        };
        let accountadmin = Name::new(ACCOUNTADMIN);
        for role in [ACCOUNTADMIN, SECURITYADMIN, USERADMIN, SYSADMIN, PUBLIC] {
            let name = Name::new(role);
            account.roles.insert(
                name.clone(),
                Role {
                    name,
                    created_on: now,
                    owner: None,
                    comment: None,
                    system: true,
                },
            );
        }
        for (role, parent) in [
            (SECURITYADMIN, ACCOUNTADMIN),
            (USERADMIN, SECURITYADMIN),
            (SYSADMIN, ACCOUNTADMIN),
        ] {
            account.role_grants.push(RoleGrant {
                role: Name::new(role),
                grantee: GrantTarget::Role(Name::new(parent)),
                created_on: now,
                granted_by: accountadmin.clone(),
            });
        }
        let mut snowflake = Database {
            name: Name::new("SNOWFLAKE"),
            created_on: now,
            owner: accountadmin.clone(),
            comment: None,
            schemas: BTreeMap::new(),
        };
        for schema in ["INFORMATION_SCHEMA", "NETWORK_SECURITY"] {
            snowflake.schemas.insert(
                Name::new(schema),
                Schema {
                    name: Name::new(schema),
                    created_on: now,
                    owner: accountadmin.clone(),
                    comment: None,
                },
            );
        }
        account.databases.insert(snowflake.name.clone(), snowflake);
        account.ensure_admin(admin_user, now);
        account.ensure_managed_rules(now);
        account
    }

    /// Makes sure the Snowflake-managed network rules exist (a reloaded state file may predate
    /// them).
    pub fn ensure_managed_rules(&mut self, now: DateTime<Utc>) {
        for rule in MANAGED_RULES {
            let name = QualifiedName::new(
                Name::new(MANAGED_RULES_DATABASE),
                Name::new(MANAGED_RULES_SCHEMA),
                Name::new(rule),
            );
            if self.network_rule(&name).is_none() {
                self.network_rules.push(NetworkRule {
                    name,
                    created_on: now,
                    owner: Name::new(MANAGED_RULES_DATABASE),
                    comment: None,
                    rule_type: NetworkRuleType::Ipv4,
                    mode: NetworkRuleMode::Ingress,
                    values: Vec::new(),
                });
            }
        }
        self.network_rules.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// The warehouse a session may use: `requested` when it names, exactly, a warehouse that
    /// `role` owns or was granted USAGE on (directly or through the role hierarchy).
    pub fn usable_warehouse(&self, requested: &Name, role: &Name) -> Option<&Warehouse> {
        let closure = self.role_closure(role);
        self.warehouses.get(requested).filter(|warehouse| {
            closure.contains(&warehouse.owner)
                || warehouse.usage.iter().any(|role| closure.contains(role))
        })
    }

    /// Makes sure the admin user exists and holds ACCOUNTADMIN (a reloaded state file may
    /// predate it).
    pub fn ensure_admin(&mut self, admin_user: &Name, now: DateTime<Utc>) {
        let accountadmin = Name::new(ACCOUNTADMIN);
        self.users.entry(admin_user.clone()).or_insert_with(|| {
            let mut user = User::new(admin_user.clone(), accountadmin.clone(), now);
            user.default_role = Some(accountadmin.clone());
            user
        });
        let target = GrantTarget::User(admin_user.clone());
        if !self.role_grants.contains(&accountadmin, &target) {
            self.role_grants.push(RoleGrant {
                role: accountadmin.clone(),
                grantee: target,
                created_on: now,
                granted_by: accountadmin,
            });
        }
    }

    /// `role` and every role granted to it, directly or through other roles, plus PUBLIC.
    pub fn role_closure<'a>(&'a self, role: &'a Name) -> RoleClosure<'a> {
        self.role_grants.closure(role)
    }

    /// Roles granted directly to `user` (PUBLIC excluded, as SHOW GRANTS TO USER excludes it).
    pub fn direct_roles(&self, user: &Name) -> impl Iterator<Item = &RoleGrant> {
        self.role_grants.to_user(user)
    }

    /// Every role `user` can use: granted roles, what they inherit, and PUBLIC.
    pub fn user_roles(&self, user: &Name) -> RoleClosure<'_> {
        self.role_grants
            .closure_of(self.direct_roles(user).map(|grant| &grant.role))
    }

    pub fn network_rule(&self, name: &QualifiedName) -> Option<&NetworkRule> {
        self.network_rules.iter().find(|rule| &rule.name == name)
    }

    pub fn authentication_policy(&self, name: &QualifiedName) -> Option<&AuthenticationPolicy> {
        self.authentication_policies
            .iter()
            .find(|policy| &policy.name == name)
    }

    pub fn schema_exists(&self, database: &Name, schema: &Name) -> bool {
        self.databases
            .get(database)
            .is_some_and(|db| db.schemas.contains_key(schema))
    }

    /// The authentication policy that governs `user`: its own, else the account's policy for its
    /// type, else the account's policy for all users.
    pub fn effective_authentication_policy(
        &self,
        user: &User,
    ) -> Option<(PolicySource, &AuthenticationPolicy)> {
        if let Some(policy) = user
            .authentication_policy
            .as_ref()
            .and_then(|name| self.authentication_policy(name))
        {
            return Some((PolicySource::User, policy));
        }
        let typed = if user.user_type.is_service() {
            (
                PolicyScope::Service,
                &self.settings.authentication_policy_service_users,
            )
        } else {
            (
                PolicyScope::Person,
                &self.settings.authentication_policy_person_users,
            )
        };
        [
            typed,
            (PolicyScope::All, &self.settings.authentication_policy),
        ]
        .into_iter()
        .find_map(|(scope, name)| {
            let policy = self.authentication_policy(name.as_ref()?)?;
            Some((PolicySource::Account(scope), policy))
        })
    }

    /// The PAT policy that applies to `user` (Snowflake's defaults when no policy does).
    pub fn pat_policy(&self, user: &User) -> PatPolicy {
        self.effective_authentication_policy(user)
            .map(|(_, policy)| policy.pat_policy.clone())
            .unwrap_or_default()
    }

    /// The network policy that applies to `user`: its own, else the account's.
    pub fn effective_network_policy(&self, user: &User) -> Option<&NetworkPolicy> {
        user.network_policy
            .as_ref()
            .or(self.settings.network_policy.as_ref())
            .and_then(|name| self.network_policies.get(name))
    }

    /// Drops tokens past their retention period (deleted credentials from then on); returns
    /// whether anything went.
    ///
    /// Lazily: a scan of every token runs only once the purge horizon has passed, or after a
    /// clock step ([`Account::forget_purge_horizon`]). The horizon is the earliest moment a token
    /// of the scanned account leaves, capped at the scan time plus the retention period less
    /// [`PURGE_HORIZON_MARGIN`]: no statement can give a token an earlier one, because every
    /// token a statement creates or changes expires no earlier than that statement's time (ADD
    /// and ROTATE set `now` + at least 1 day; a rotation leftover `now` + 0 or more hours), so it
    /// leaves no earlier than that time plus the retention period. The margin covers statements
    /// that read the clock just before an earlier statement took the account lock.
    pub fn purge_expired_tokens(&mut self, now: DateTime<Utc>) -> bool {
        if self.purge_horizon.is_some_and(|horizon| now < horizon) {
            return false;
        }
        let purged = self.purge_all_expired_tokens(now);
        let earliest = self
            .users
            .values()
            .flat_map(|user| &user.tokens)
            .map(Token::purge_time)
            .min();
        let cap = now + Duration::days(EXPIRED_TOKEN_RETENTION_DAYS) - PURGE_HORIZON_MARGIN;
        self.purge_horizon = Some(earliest.map_or(cap, |earliest| earliest.min(cap)));
        purged
    }

    /// The clock moved (perhaps backwards): the next statement scans for expired tokens again.
    pub fn forget_purge_horizon(&mut self) {
        self.purge_horizon = None;
    }

    fn purge_all_expired_tokens(&mut self, now: DateTime<Utc>) -> bool {
        let mut purged = false;
        for user in self.users.values_mut() {
            let (gone, kept): (Vec<Token>, Vec<Token>) = std::mem::take(&mut user.tokens)
                .into_iter()
                .partition(|token| token.is_purged(now));
            user.tokens = kept;
            for token in gone {
                let removed_on = token.purge_time();
                self.usage.record_removal(&user.name, token, removed_on);
                purged = true;
            }
        }
        purged
    }

    /// Gives every token without a CREDENTIAL_ID one (state files from before the ids).
    pub fn ensure_credential_ids(&mut self) {
        for user in self.users.values_mut() {
            for token in &mut user.tokens {
                if token.credential_id == 0 {
                    token.credential_id = self.usage.next_credential_id();
                }
            }
        }
    }

    /// Removes a user's tokens, remembering them as deleted credentials.
    pub fn remove_tokens(
        &mut self,
        user: &Name,
        keep: impl Fn(&Token) -> bool,
        now: DateTime<Utc>,
    ) {
        let Some(entry) = self.users.get_mut(user) else {
            return;
        };
        let (kept, gone): (Vec<Token>, Vec<Token>) = std::mem::take(&mut entry.tokens)
            .into_iter()
            .partition(|token| keep(token));
        entry.tokens = kept;
        for token in gone {
            self.usage.record_removal(user, token, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_at: DateTime<Utc>, disabled: bool) -> Token {
        Token {
            name: Name::new("T"),
            secret_sha256: String::new(),
            role_restriction: None,
            days_to_expiry: 1,
            expires_at,
            created_on: expires_at - Duration::days(1),
            created_by: Name::new("ADMIN"),
            comment: None,
            disabled,
            bypass_until: None,
            rotated_to: None,
            credential_id: 1,
            last_altered: None,
            last_altered_by: None,
        }
    }

    #[test]
    fn expired_wins_over_disabled_and_vanishes_after_seven_days() {
        let now = Utc::now();
        assert_eq!(
            token(now + Duration::hours(1), true).status(now),
            TokenStatus::Disabled
        );
        let expired = token(now - Duration::hours(1), true);
        assert_eq!(expired.status(now), TokenStatus::Expired);
        assert!(!expired.is_purged(now));
        assert!(expired.is_purged(now + Duration::days(7)));
    }

    #[test]
    fn a_token_past_retention_is_purged_even_when_the_horizon_was_set_before_it_existed() {
        let now = Utc::now();
        let admin = Name::new("ADMIN");
        let mut account = Account::new("SANDBOX", &admin, now);
        assert!(!account.purge_expired_tokens(now));
        let mut added = token(now + Duration::days(1), false);
        added.expires_at = now;
        if let Some(user) = account.users.get_mut(&admin) {
            user.tokens.push(added);
        }
        let later = now + Duration::days(EXPIRED_TOKEN_RETENTION_DAYS);
        assert!(account.purge_expired_tokens(later));
        assert!(account.users[&admin].tokens.is_empty());
        assert!(!account.purge_expired_tokens(later));
    }

    #[test]
    fn role_closure_follows_the_hierarchy() {
        let now = Utc::now();
        let account = Account::new("SANDBOX", &Name::new("ADMIN"), now);
        let accountadmin = Name::new(ACCOUNTADMIN);
        let closure = account.role_closure(&accountadmin);
        for role in [ACCOUNTADMIN, SECURITYADMIN, USERADMIN, SYSADMIN, PUBLIC] {
            assert!(closure.contains(&Name::new(role)), "{role} missing");
        }
        assert!(
            account
                .user_roles(&Name::new("ADMIN"))
                .contains(&Name::new(USERADMIN))
        );
        let sysadmin = Name::new(SYSADMIN);
        assert!(!account.role_closure(&sysadmin).contains(&accountadmin));
    }
}

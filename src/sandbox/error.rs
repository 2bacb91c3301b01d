//! The sandbox's errors: Snowflake's statement errors ([`StatementError`], each with its code,
//! SQL state and message), login refusals ([`LoginError`], HTTP 401) and failures to start or run
//! the emulator itself ([`SandboxError`]).
//!
//! Codes and texts come from `reference/snowflake-sql.md` §8 and `reference/sql-api.md` §4 where
//! those give them. Where the reference is silent the sandbox picks a plausible answer; each such
//! choice is marked "sandbox choice" on its variant. Summary of the choices:
//!
//! | situation | code | SQL state |
//! |---|---|---|
//! | more than 15 tokens (text from a third-party report) | 394401 | 54000 |
//! | a PAT option out of range (`DAYS_TO_EXPIRY`, bypass minutes, rotation hours) | 394402 | 22023 |
//! | service user's token without `ROLE_RESTRICTION` | 394403 | 22023 |
//! | restricted role not granted to the user | 394404 | 42501 |
//! | restricted role in the policy's `BLOCKED_ROLES_LIST` | 394405 | 42501 |
//! | authentication policy does not allow `PROGRAMMATIC_ACCESS_TOKEN` | 394407 | 42501 |
//! | PAT session managing its own user's tokens | 394408 | 42501 |
//! | ROTATE of an expired token | 394409 | 22023 |
//! | MODIFY/ROTATE of a rotation leftover | 394410 | 22023 |
//! | ADD for a service user with no network policy (reuses the login code) | 390432 | 08004 |
//! | token not found (text observed by Terraform, code chosen) | 002003 | 02000 |
//! | invalid property value | 002029 | 22023 |
//! | authentication policy already attached, no FORCE | 001493 | 42601 |
//! | role grant would create a cycle | 003012 | 42601 |
//! | cancel of a statement that is not running | 000605 | 01000 |
//! | partition number out of range | 391920 | 22023 |
//! | `TYPE = HOST_PORT` / `PRIVATE_HOST_PORT` rule whose MODE is not EGRESS | 001510 | 22023 |
//! | ALTER NETWORK POLICY / ALTER ACCOUNT SET NETWORK_POLICY excluding the caller (text from the docs) | 001511 | 42501 |
//! | TYPE = SERVICE user with a person-only property (FIRST_NAME, PASSWORD, …) | 001520 | 22023 |
//! | `ALLOWED_AWS_ACCOUNTS` item that is not 12 digits, `MFA_ENROLLMENT = 'OPTIONAL'`, `LIMIT` above 10000 (the invalid-value choice above) | 002029 | 22023 |
//! | SNOWFLAKE.NETWORK_SECURITY rule created, altered or dropped (the insufficient-privileges error) | 003001 | 42501 |
//!
//! Not choices: `000606` / `57P03` "No active warehouse selected…" (its text from driver issues,
//! e.g. snowflakedb/snowflake-connector-nodejs#891, Snowflake-Labs/mcp#24) and `003639` / `01P01`
//! "MFA_AUTHENTICATION_METHODS is deprecated…" (snowflakedb/terraform-provider-snowflake#4093).
//!
//! A request whose `warehouse` names no warehouse the session's role may use (or no warehouse at
//! all, compared case-sensitively) opens a session without a current warehouse, as drivers do
//! when they do not validate their default parameters: `CURRENT_WAREHOUSE()` is NULL and a
//! statement that needs one fails with 000606 (sandbox choice: no source gives a login error).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use uuid::Uuid;

/// The kinds of object an error can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Account,
    User,
    Role,
    Warehouse,
    Database,
    Schema,
    NetworkRule,
    NetworkPolicy,
    AuthenticationPolicy,
    ProgrammaticAccessToken,
    /// A table or view: Snowflake says `Object '…' does not exist or not authorized.`
    Object,
}

impl ObjectKind {
    /// Capitalised, as Snowflake starts a "does not exist" message: `Network policy`.
    pub fn title(self) -> &'static str {
        match self {
            Self::Account => "Account",
            Self::User => "User",
            Self::Role => "Role",
            Self::Warehouse => "Warehouse",
            Self::Database => "Database",
            Self::Schema => "Schema",
            Self::NetworkRule => "Network rule",
            Self::NetworkPolicy => "Network policy",
            Self::AuthenticationPolicy => "Authentication policy",
            Self::ProgrammaticAccessToken => "Programmatic access token",
            Self::Object => "Object",
        }
    }

    /// Lower case, as used inside a sentence: `network policy`.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::User => "user",
            Self::Role => "role",
            Self::Warehouse => "warehouse",
            Self::Database => "database",
            Self::Schema => "schema",
            Self::NetworkRule => "network rule",
            Self::NetworkPolicy => "network policy",
            Self::AuthenticationPolicy => "authentication policy",
            Self::ProgrammaticAccessToken => "programmatic access token",
            Self::Object => "object",
        }
    }

    /// The domain name Snowflake prints in policy messages: `NETWORK_POLICY`, `USER`.
    pub fn domain(self) -> &'static str {
        match self {
            Self::Account => "ACCOUNT",
            Self::User => "USER",
            Self::Role => "ROLE",
            Self::Warehouse => "WAREHOUSE",
            Self::Database => "DATABASE",
            Self::Schema => "SCHEMA",
            Self::NetworkRule => "NETWORK_RULE",
            Self::NetworkPolicy => "NETWORK_POLICY",
            Self::AuthenticationPolicy => "AUTHENTICATION_POLICY",
            Self::ProgrammaticAccessToken => "PROGRAMMATIC_ACCESS_TOKEN",
            Self::Object => "TABLE",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// A statement that Snowflake refuses: what a 422 `QueryFailureStatus` carries.
///
/// `Display` is Snowflake's message; [`StatementError::code`] and [`StatementError::sql_state`]
/// give the rest of the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// 001003 / 42000. `line` is 1-based, `position` 0-based within the line, as Snowflake prints.
    #[error(
        "SQL compilation error:\nsyntax error line {line} at position {position} unexpected '{token}'."
    )]
    Syntax {
        line: usize,
        position: usize,
        token: String,
    },
    /// 000900 / 42000.
    #[error("SQL compilation error:\nEmpty SQL statement.")]
    EmptyStatement,
    /// 002003 / 02000.
    #[error("SQL compilation error:\n{kind} '{name}' does not exist or not authorized.")]
    DoesNotExist { kind: ObjectKind, name: String },
    /// 002002 / 42710.
    #[error("SQL compilation error:\nObject '{name}' already exists.")]
    AlreadyExists { name: String },
    /// 003001 / 42501.
    #[error("SQL access control error:\nInsufficient privileges to operate on {} '{name}'.", kind.noun())]
    InsufficientPrivileges { kind: ObjectKind, name: String },
    /// 001492 / 42601 (observed text, reference §3.3).
    #[error(
        "SQL compilation error:\nCannot perform {operation} operation on {} {name}. The {} is attached to {} with name {entity}. Unset the {} from {} and try the {operation} operation again.",
        kind.noun(), short_kind(*kind), domain.domain(), kind.noun(), domain.domain()
    )]
    PolicyAttached {
        operation: &'static str,
        kind: ObjectKind,
        name: String,
        domain: ObjectKind,
        entity: String,
    },
    /// 001493 / 42601 (sandbox choice).
    #[error(
        "SQL compilation error:\n{} {entity} already has an authentication policy attached. Use FORCE to replace it.",
        domain.title()
    )]
    PolicyAlreadyAttached { domain: ObjectKind, entity: String },
    /// 090105 / 22000.
    #[error(
        "Cannot perform {command}. This session does not have a current database. Call 'USE DATABASE', or use a qualified name."
    )]
    NoCurrentDatabase { command: String },
    /// 090106 / 22000.
    #[error(
        "Cannot perform {command}. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name."
    )]
    NoCurrentSchema { command: String },
    /// 002140 / 42601.
    #[error("SQL compilation error:\nUnknown function {name}")]
    UnknownFunction { name: String },
    /// 001044 / 42P13.
    #[error(
        "SQL compilation error: error line {line} at position {position}\nInvalid argument types for function '{function}': ({arguments})"
    )]
    InvalidArguments {
        line: usize,
        position: usize,
        function: String,
        arguments: String,
    },
    /// 000904 / 42000.
    #[error(
        "SQL compilation error: error line {line} at position {position}\ninvalid identifier '{name}'"
    )]
    InvalidIdentifier {
        line: usize,
        position: usize,
        name: String,
    },
    /// 000979 / 42601: a selected column that is neither grouped nor aggregated (the text as
    /// commonly reported; not confirmed from a source here).
    #[error("SQL compilation error: [{expression}] is not a valid group by expression")]
    NotGroupByExpression { expression: String },
    /// 002029 / 22023 (sandbox choice).
    #[error("SQL compilation error:\nInvalid value '{value}' for property '{property}'.")]
    InvalidValue { property: String, value: String },
    /// 004800 / 22023 (reference §4.1).
    #[error(
        "Authentication policy can not contain CLIENT_POLICY of '{client}' without including 'DRIVERS' in CLIENT_TYPES."
    )]
    ClientPolicyWithoutDrivers { client: String },
    /// 003012 / 42601 (sandbox choice).
    #[error(
        "SQL compilation error:\nGranting role '{role}' to role '{grantee}' would create a cycle."
    )]
    RoleCycle { role: String, grantee: String },
    /// 002003 / 02000; text observed (reference §8), code a sandbox choice.
    #[error("Programmatic access token {name} not found.")]
    TokenNotFound { name: String },
    /// 394401 / 54000; text from a third-party report, code a sandbox choice.
    #[error("Exceeded maximum of {limit} programmatic access tokens for user {user}.")]
    TokenLimitExceeded { user: String, limit: usize },
    /// 394402 / 22023 (sandbox choice).
    #[error("Invalid value {value} for {option}: it must be between {min} and {max}.")]
    OptionOutOfRange {
        option: &'static str,
        value: i64,
        min: i64,
        max: i64,
    },
    /// 394403 / 22023 (sandbox choice).
    #[error(
        "ROLE_RESTRICTION is required when generating a programmatic access token for user {user} of type {user_type}."
    )]
    RoleRestrictionRequired { user: String, user_type: String },
    /// 394404 / 42501 (sandbox choice).
    #[error("Role '{role}' is not granted to user '{user}'.")]
    RoleNotGranted { role: String, user: String },
    /// 394405 / 42501 (sandbox choice).
    #[error(
        "Role '{role}' is in the BLOCKED_ROLES_LIST of authentication policy {policy} and cannot be used to restrict a programmatic access token."
    )]
    RoleBlocked { role: String, policy: String },
    /// 390432 / 08004: the login error's text, reused when a token is generated (sandbox choice).
    #[error("Network policy is required.")]
    NetworkPolicyRequired,
    /// 394407 / 42501 (sandbox choice).
    #[error(
        "Authentication policy {policy} does not allow PROGRAMMATIC_ACCESS_TOKEN for user {user}."
    )]
    AuthenticationMethodNotAllowed { user: String, policy: String },
    /// 394408 / 42501 (sandbox choice).
    #[error(
        "Cannot manage the programmatic access tokens of user {user} in a session authenticated with a programmatic access token of that user."
    )]
    PatSessionSelfManagement { user: String },
    /// 394409 / 22023 (sandbox choice).
    #[error("Programmatic access token {name} has expired and cannot be rotated.")]
    TokenExpired { name: String },
    /// 394410 / 22023 (sandbox choice).
    #[error(
        "Programmatic access token {name} holds a rotated secret; the only change allowed is to remove it."
    )]
    RotatedTokenImmutable { name: String },
    /// 390189 / 08004.
    #[error(
        "Role '{role}' specified in the connect string is not granted to this user. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC."
    )]
    SessionRoleNotGranted { role: String },
    /// 000008 / 0A000.
    #[error("Actual statement count {actual} did not match the desired statement count {desired}.")]
    StatementCountMismatch { actual: usize, desired: usize },
    /// 100132 / P0000: one statement of a multi-statement request failed.
    #[error(
        "JavaScript execution error: Uncaught Execution of multiple statements failed on statement \"{statement}\" (at line {line}, position {position}).\n{inner} in SYSTEM$MULTISTMT at '    throw `Execution of multiple statements failed on statement {{0}} (at line {{1}}, position {{2}}).`.replace('{{1}}', LINES[i])' position 4\nstackstrace: \nSYSTEM$MULTISTMT line: 10"
    )]
    MultiStatementFailed {
        statement: String,
        line: usize,
        position: usize,
        inner: Box<StatementError>,
    },
    /// 000604 / 57014.
    #[error("SQL execution canceled")]
    Canceled,
    /// 000630 / 57014.
    #[error(
        "Statement reached its statement or warehouse timeout of {seconds} second(s) and was canceled."
    )]
    TimedOut { seconds: u64 },
    /// 000709 / 02000.
    #[error("Statement {handle} not found")]
    StatementNotFound { handle: String },
    /// 000605 / 01000 (sandbox choice).
    #[error("Identified SQL statement is not currently executing.")]
    NotExecuting,
    /// 000606 / 57P03 (two spaces after the first sentence, as Snowflake sends it).
    #[error(
        "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command."
    )]
    NoActiveWarehouse,
    /// 003639 / 01P01 (observed, terraform-provider-snowflake#4093).
    #[error(
        "SQL Compilation Error: MFA_AUTHENTICATION_METHODS is deprecated, please use MFA_POLICY=(ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION=ALL | NONE) instead."
    )]
    MfaAuthenticationMethodsDeprecated,
    /// 001510 / 22023 (sandbox choice; the rule is the CREATE NETWORK RULE doc's).
    #[error(
        "SQL compilation error:\nWhen TYPE = {rule_type}, the MODE parameter must be set to EGRESS."
    )]
    NetworkRuleNeedsEgress { rule_type: String },
    /// 001511 / 42501 (text from ALTER NETWORK POLICY's doc, code a sandbox choice).
    #[error(
        "Changes cannot be applied to the network policy {policy} because current IP address/token {address} is not allowed in it."
    )]
    NetworkPolicyLockout { policy: String, address: IpAddr },
    /// 001520 / 22023 (sandbox choice).
    #[error(
        "SQL compilation error:\nProperty '{property}' is not supported for user {user} of type SERVICE."
    )]
    ServiceUserProperty { property: String, user: String },
    /// 000603 / XX000: an internal failure that aborted the statement (the text as observed from
    /// real accounts, e.g. terraform-provider-snowflake's notebook test); only injected by a fault.
    #[error(
        "SQL execution internal error: Processing aborted due to error 300002:{detail}; incident {incident}."
    )]
    InternalError { detail: u32, incident: u32 },
    /// 391920 / 22023 (sandbox choice).
    #[error("Partition {partition} is out of range: the result has {count} partition(s).")]
    PartitionOutOfRange { partition: u64, count: usize },
}

fn short_kind(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::NetworkRule => "rule",
        _ => "policy",
    }
}

impl StatementError {
    /// Snowflake's six-digit error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Syntax { .. } => "001003",
            Self::EmptyStatement => "000900",
            Self::DoesNotExist { .. } | Self::TokenNotFound { .. } => "002003",
            Self::AlreadyExists { .. } => "002002",
            Self::InsufficientPrivileges { .. } => "003001",
            Self::PolicyAttached { .. } => "001492",
            Self::PolicyAlreadyAttached { .. } => "001493",
            Self::NoCurrentDatabase { .. } => "090105",
            Self::NoCurrentSchema { .. } => "090106",
            Self::UnknownFunction { .. } => "002140",
            Self::InvalidArguments { .. } => "001044",
            Self::InvalidIdentifier { .. } => "000904",
            Self::NotGroupByExpression { .. } => "000979",
            Self::InvalidValue { .. } => "002029",
            Self::RoleCycle { .. } => "003012",
            Self::ClientPolicyWithoutDrivers { .. } => "004800",
            Self::TokenLimitExceeded { .. } => "394401",
            Self::OptionOutOfRange { .. } => "394402",
            Self::RoleRestrictionRequired { .. } => "394403",
            Self::RoleNotGranted { .. } => "394404",
            Self::RoleBlocked { .. } => "394405",
            Self::NetworkPolicyRequired => "390432",
            Self::AuthenticationMethodNotAllowed { .. } => "394407",
            Self::PatSessionSelfManagement { .. } => "394408",
            Self::TokenExpired { .. } => "394409",
            Self::RotatedTokenImmutable { .. } => "394410",
            Self::SessionRoleNotGranted { .. } => "390189",
            Self::StatementCountMismatch { .. } => "000008",
            Self::MultiStatementFailed { .. } => "100132",
            Self::Canceled => "000604",
            Self::InternalError { .. } => "000603",
            Self::TimedOut { .. } => "000630",
            Self::StatementNotFound { .. } => "000709",
            Self::NotExecuting => "000605",
            Self::PartitionOutOfRange { .. } => "391920",
            Self::NoActiveWarehouse => "000606",
            Self::MfaAuthenticationMethodsDeprecated => "003639",
            Self::NetworkRuleNeedsEgress { .. } => "001510",
            Self::NetworkPolicyLockout { .. } => "001511",
            Self::ServiceUserProperty { .. } => "001520",
        }
    }

    /// The five-character SQLSTATE.
    pub fn sql_state(&self) -> &'static str {
        match self {
            Self::Syntax { .. } | Self::EmptyStatement | Self::InvalidIdentifier { .. } => "42000",
            Self::DoesNotExist { .. }
            | Self::TokenNotFound { .. }
            | Self::StatementNotFound { .. } => "02000",
            Self::AlreadyExists { .. } => "42710",
            Self::InsufficientPrivileges { .. }
            | Self::RoleNotGranted { .. }
            | Self::RoleBlocked { .. }
            | Self::AuthenticationMethodNotAllowed { .. }
            | Self::PatSessionSelfManagement { .. }
            | Self::NetworkPolicyLockout { .. } => "42501",
            Self::PolicyAttached { .. }
            | Self::PolicyAlreadyAttached { .. }
            | Self::UnknownFunction { .. }
            | Self::NotGroupByExpression { .. }
            | Self::RoleCycle { .. } => "42601",
            Self::NoCurrentDatabase { .. } | Self::NoCurrentSchema { .. } => "22000",
            Self::InvalidArguments { .. } => "42P13",
            Self::InvalidValue { .. }
            | Self::OptionOutOfRange { .. }
            | Self::RoleRestrictionRequired { .. }
            | Self::TokenExpired { .. }
            | Self::RotatedTokenImmutable { .. }
            | Self::ClientPolicyWithoutDrivers { .. }
            | Self::PartitionOutOfRange { .. }
            | Self::NetworkRuleNeedsEgress { .. }
            | Self::ServiceUserProperty { .. } => "22023",
            Self::NoActiveWarehouse => "57P03",
            Self::MfaAuthenticationMethodsDeprecated => "01P01",
            Self::TokenLimitExceeded { .. } => "54000",
            Self::NetworkPolicyRequired | Self::SessionRoleNotGranted { .. } => "08004",
            Self::StatementCountMismatch { .. } => "0A000",
            Self::MultiStatementFailed { .. } => "P0000",
            Self::Canceled | Self::TimedOut { .. } => "57014",
            Self::NotExecuting => "01000",
            Self::InternalError { .. } => "XX000",
        }
    }

    /// A syntax error at a token.
    pub(crate) fn syntax(line: usize, position: usize, token: impl Into<String>) -> Self {
        Self::Syntax {
            line,
            position,
            token: token.into(),
        }
    }

    pub(crate) fn does_not_exist(kind: ObjectKind, name: impl ToString) -> Self {
        Self::DoesNotExist {
            kind,
            name: name.to_string(),
        }
    }

    pub(crate) fn insufficient(kind: ObjectKind, name: impl ToString) -> Self {
        Self::InsufficientPrivileges {
            kind,
            name: name.to_string(),
        }
    }

    pub(crate) fn already_exists(name: impl ToString) -> Self {
        Self::AlreadyExists {
            name: name.to_string(),
        }
    }

    pub(crate) fn invalid_value(property: impl Into<String>, value: impl Into<String>) -> Self {
        Self::InvalidValue {
            property: property.into(),
            value: value.into(),
        }
    }
}

/// Why a key-pair JWT was refused; never shown to the client (Snowflake says only "JWT token is
/// invalid"), kept for the sandbox log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtRejection {
    Malformed,
    UnsupportedAlgorithm,
    MissingClaim,
    IssuerMismatch,
    WrongAccount,
    UnknownUser,
    NoMatchingKey,
    BadSignature,
    Expired,
    IssuedInFuture,
}

/// Why a programmatic access token was refused; never shown to the client, kept for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatRejection {
    Unknown,
    Expired,
    Disabled,
    RoleMissing,
    RoleNotGranted,
    RoleRestrictionRequired,
    RoleBlocked,
    ExpiryBeyondPolicyMaximum,
}

/// A request whose credentials Snowflake refuses: HTTP 401 with `{"code", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// 390303: no usable bearer token; Snowflake assumes OAuth when the type is not given.
    #[error("Invalid OAuth access token. [{request_id}]")]
    InvalidOAuthToken { request_id: Uuid },
    /// 390144.
    #[error("JWT token is invalid. [{request_id}]")]
    InvalidJwt {
        reason: JwtRejection,
        request_id: Uuid,
    },
    /// 394400.
    #[error("Programmatic access token is invalid.")]
    InvalidPat { reason: PatRejection },
    /// 390101.
    #[error("User access disabled. Contact your local system administrator.")]
    UserDisabled,
    /// 390432.
    #[error("Network policy is required.")]
    NetworkPolicyRequired,
    /// 390422.
    #[error(
        "Incoming request with IP/Token {address} is not allowed to access Snowflake. Contact your local security administrator."
    )]
    AddressNotAllowed { address: IpAddr },
    /// 390202.
    #[error("Authentication attempt rejected by the current authentication policy.")]
    AuthenticationPolicyRejected,
}

impl LoginError {
    /// Snowflake's six-digit error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidOAuthToken { .. } => "390303",
            Self::InvalidJwt { .. } => "390144",
            Self::InvalidPat { .. } => "394400",
            Self::UserDisabled => "390101",
            Self::NetworkPolicyRequired => "390432",
            Self::AddressNotAllowed { .. } => "390422",
            Self::AuthenticationPolicyRejected => "390202",
        }
    }
}

/// Failure to start, run or persist the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    #[error("failed to listen on {address}")]
    Bind {
        address: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read the sandbox state file `{}`", path.display())]
    StateRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse the sandbox state file `{}`", path.display())]
    StateParse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("failed to write the sandbox state file `{}`", path.display())]
    StateWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to start the sandbox runtime")]
    Runtime {
        #[source]
        source: std::io::Error,
    },
    #[error("the sandbox thread stopped before the server was ready")]
    ThreadStopped,
    #[error("failed to wait for Ctrl-C")]
    Signal {
        #[source]
        source: std::io::Error,
    },
    #[error("a sandbox fault rate must be between 0 and 1, got {rate} for `{name}`")]
    InvalidFaultRate { name: &'static str, rate: f64 },
    #[error("sandbox fault rule {index} is invalid: {reason}")]
    InvalidFaultRule { index: usize, reason: &'static str },
    #[error("seeding the sandbox failed at `{statement}`: {message}")]
    Seed { statement: String, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_reads_like_snowflake() {
        let error = StatementError::syntax(1, 42, "EXPIRES_IN");
        assert_eq!(
            error.to_string(),
            "SQL compilation error:\nsyntax error line 1 at position 42 unexpected 'EXPIRES_IN'."
        );
        assert_eq!((error.code(), error.sql_state()), ("001003", "42000"));
    }

    #[test]
    fn attached_policy_message_names_the_domain() {
        let error = StatementError::PolicyAttached {
            operation: "Drop",
            kind: ObjectKind::NetworkPolicy,
            name: "NP".into(),
            domain: ObjectKind::User,
            entity: "U".into(),
        };
        assert_eq!(
            error.to_string(),
            "SQL compilation error:\nCannot perform Drop operation on network policy NP. The policy is attached to USER with name U. Unset the network policy from USER and try the Drop operation again."
        );
    }

    #[test]
    fn missing_object_message() {
        let error = StatementError::does_not_exist(ObjectKind::User, "BOB");
        assert_eq!(
            error.to_string(),
            "SQL compilation error:\nUser 'BOB' does not exist or not authorized."
        );
        assert_eq!((error.code(), error.sql_state()), ("002003", "02000"));
    }
}

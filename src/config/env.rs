//! Every environment variable pat-reconcile reads, in one place (the Snowflake CLI's and
//! connectors' names). Commands read them once, at the edge, and pass values down.

/// Where `connections.toml` and `config.toml` live (default `~/.snowflake`).
pub const SNOWFLAKE_HOME: &str = "SNOWFLAKE_HOME";
/// The connection of `connections.toml` to use when `--connection` is not given.
pub const SNOWFLAKE_DEFAULT_CONNECTION_NAME: &str = "SNOWFLAKE_DEFAULT_CONNECTION_NAME";
/// Account identifier: `org-account`, or a locator such as `xy12345.us-east-2.aws`.
pub const SNOWFLAKE_ACCOUNT: &str = "SNOWFLAKE_ACCOUNT";
/// The user to authenticate as.
pub const SNOWFLAKE_USER: &str = "SNOWFLAKE_USER";
/// The role statements run as (default: the user's default role).
pub const SNOWFLAKE_ROLE: &str = "SNOWFLAKE_ROLE";
/// The warehouse statements run in; optional (reads need none), lets the reader ask
/// `POLICY_REFERENCES` for attachments outside the file.
pub const SNOWFLAKE_WAREHOUSE: &str = "SNOWFLAKE_WAREHOUSE";
/// `SNOWFLAKE_JWT` (key pair), `PROGRAMMATIC_ACCESS_TOKEN` or `OAUTH`.
pub const SNOWFLAKE_AUTHENTICATOR: &str = "SNOWFLAKE_AUTHENTICATOR";
/// A PAT or OAuth token.
pub const SNOWFLAKE_TOKEN: &str = "SNOWFLAKE_TOKEN";
/// A file holding the PAT or OAuth token.
pub const SNOWFLAKE_TOKEN_FILE_PATH: &str = "SNOWFLAKE_TOKEN_FILE_PATH";
/// PKCS#8 PEM private key for key-pair authentication.
pub const SNOWFLAKE_PRIVATE_KEY_FILE: &str = "SNOWFLAKE_PRIVATE_KEY_FILE";
/// Passphrase of an encrypted private key.
pub const SNOWFLAKE_PRIVATE_KEY_FILE_PWD: &str = "SNOWFLAKE_PRIVATE_KEY_FILE_PWD";
/// Host to connect to instead of `<account>.snowflakecomputing.com`.
pub const SNOWFLAKE_HOST: &str = "SNOWFLAKE_HOST";
/// Port (default 443).
pub const SNOWFLAKE_PORT: &str = "SNOWFLAKE_PORT";
/// `https` (default) or `http` (loopback hosts only).
pub const SNOWFLAKE_PROTOCOL: &str = "SNOWFLAKE_PROTOCOL";
/// `tracing` filter for developer diagnostics on stderr (default `warn`).
pub const PAT_RECONCILE_LOG: &str = "PAT_RECONCILE_LOG";
/// The client address `verify` claims with the sandbox's `X-Sandbox-Client-Ip` test control,
/// e.g. `203.0.113.7`; sent only to a plain-`http` (loopback sandbox) URL, never to Snowflake.
pub const PAT_RECONCILE_SANDBOX_CLIENT_IP: &str = "PAT_RECONCILE_SANDBOX_CLIENT_IP";
/// Disables colour when set and not empty.
pub const NO_COLOR: &str = "NO_COLOR";

/// Every `SNOWFLAKE_*` variable above, for tests that must start from a clean environment.
pub const ALL_SNOWFLAKE: &[&str] = &[
    SNOWFLAKE_HOME,
    SNOWFLAKE_DEFAULT_CONNECTION_NAME,
    SNOWFLAKE_ACCOUNT,
    SNOWFLAKE_USER,
    SNOWFLAKE_ROLE,
    SNOWFLAKE_WAREHOUSE,
    SNOWFLAKE_AUTHENTICATOR,
    SNOWFLAKE_TOKEN,
    SNOWFLAKE_TOKEN_FILE_PATH,
    SNOWFLAKE_PRIVATE_KEY_FILE,
    SNOWFLAKE_PRIVATE_KEY_FILE_PWD,
    SNOWFLAKE_HOST,
    SNOWFLAKE_PORT,
    SNOWFLAKE_PROTOCOL,
];

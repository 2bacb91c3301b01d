//! Connection settings: the flags of the commands that talk to Snowflake, resolved with the
//! environment and `SNOWFLAKE_HOME` into settings, a client and the session's authentication.
//! Opening a source and reading it is `source.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::CliError;
use crate::config::connection::{self, ConnectionSettings, Inputs, Overrides};
use crate::config::env;
use crate::model::live::SessionAuthentication;
use crate::snowflake::auth::Credentials;
use crate::snowflake::client::RetryHook;
use crate::snowflake::{Client, ClientOptions, Interrupt, RequestContext};

/// Connection flags of the commands that talk to Snowflake (the strongest settings source).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnectionFlags {
    /// Connection of `connections.toml` to use.
    #[arg(long = "connection", short = 'c', value_name = "NAME")]
    pub connection: Option<String>,
    /// Account identifier (overrides SNOWFLAKE_ACCOUNT).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// User (overrides SNOWFLAKE_USER).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Role (overrides SNOWFLAKE_ROLE).
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// Warehouse (overrides SNOWFLAKE_WAREHOUSE). Optional: every read works without one; with
    /// one, plans also see policy attachments outside the file.
    #[arg(long, value_name = "WAREHOUSE")]
    pub warehouse: Option<String>,
    /// SNOWFLAKE_JWT, PROGRAMMATIC_ACCESS_TOKEN or OAUTH (overrides SNOWFLAKE_AUTHENTICATOR).
    #[arg(long, value_name = "AUTHENTICATOR")]
    pub authenticator: Option<String>,
    /// PKCS#8 private key file for key-pair authentication.
    #[arg(long, value_name = "FILE")]
    pub private_key_file: Option<PathBuf>,
    /// File holding a PAT or OAuth token.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Host to connect to (default `<account>.snowflakecomputing.com`).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

impl ConnectionFlags {
    /// The flags as settings overrides.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            connection: self.connection.clone(),
            account: self.account.clone(),
            user: self.user.clone(),
            role: self.role.clone(),
            warehouse: self.warehouse.clone(),
            authenticator: self.authenticator.clone(),
            private_key_file: self.private_key_file.clone(),
            token_file: self.token_file.clone(),
            host: self.host.clone(),
        }
    }
}

/// Resolves connection settings from flags, the environment and `SNOWFLAKE_HOME`.
pub fn settings(flags: &ConnectionFlags) -> Result<ConnectionSettings, CliError> {
    let vars: BTreeMap<String, String> = env::ALL_SNOWFLAKE
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect();
    let home = vars
        .get(env::SNOWFLAKE_HOME)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".snowflake")))
        .unwrap_or_else(|| PathBuf::from(".snowflake"));
    let read = |name: &str| std::fs::read_to_string(home.join(name)).ok();
    let connections = read("connections.toml");
    let config = read("config.toml");
    let inputs = Inputs {
        flags: flags.overrides(),
        env: vars,
        home: home.clone(),
        connections_toml: connections.as_deref(),
        config_toml: config.as_deref(),
    };
    Ok(connection::resolve(&inputs)?)
}

/// A client for the resolved settings.
pub fn client(
    settings: &ConnectionSettings,
    interrupt: Interrupt,
    on_retry: Option<RetryHook>,
) -> Result<Client, CliError> {
    let credentials = Credentials::load(settings)?;
    Ok(Client::new(
        &settings.base_url,
        credentials,
        RequestContext {
            role: settings.role.clone(),
            warehouse: settings.warehouse.clone(),
        },
        ClientOptions {
            on_retry,
            ..ClientOptions::default()
        },
        interrupt,
    )?)
}

/// How the settings authenticate, as the live state records it.
pub fn session_authentication(settings: &ConnectionSettings) -> SessionAuthentication {
    match settings.authentication {
        connection::Authentication::KeyPair { .. } => SessionAuthentication::KeypairJwt,
        connection::Authentication::ProgrammaticAccessToken(_) => {
            SessionAuthentication::ProgrammaticAccessToken
        }
        connection::Authentication::OAuth(_) => SessionAuthentication::Oauth,
    }
}

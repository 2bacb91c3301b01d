//! Resolving where live state comes from (a connection, a file, the in-process sandbox) and
//! reading it, with progress on a terminal and Ctrl-C cancelling the reads.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::error::CliError;
use crate::config::connection::{self, ConnectionSettings, Inputs, Overrides};
use crate::config::env;
use crate::model::desired::Config;
use crate::model::live::{LiveState, SessionAuthentication};
use crate::snowflake::auth::Credentials;
use crate::snowflake::reader::{self, ReadMode, ReadOptions, ReadReport};
use crate::snowflake::{Client, ClientOptions, Interrupt, RequestContext};

/// Where a command reads live state from.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// Use a local in-process sandbox seeded with a demo account (no Snowflake account needed).
    #[arg(long)]
    pub sandbox: bool,
    /// Statements in flight at once while reading live state.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    #[command(flatten)]
    pub connection: ConnectionFlags,
}

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
pub fn client(settings: &ConnectionSettings, interrupt: Interrupt) -> Result<Client, CliError> {
    let credentials = Credentials::load(settings)?;
    Ok(Client::new(
        &settings.base_url,
        credentials,
        RequestContext {
            role: settings.role.clone(),
            warehouse: settings.warehouse.clone(),
        },
        ClientOptions::default(),
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

/// Reads live state through `client`, showing progress on a terminal.
pub async fn read(
    client: &Client,
    desired: &Config,
    concurrency: u16,
    authentication: SessionAuthentication,
) -> Result<(LiveState, ReadReport), CliError> {
    let terminal = std::io::stderr().is_terminal();
    let progress: Option<reader::Progress> = terminal.then(|| {
        Arc::new(|done: usize, total: usize| {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\rreading live state: {done}/{total} statements");
            let _ = err.flush();
        }) as reader::Progress
    });
    let started = Instant::now();
    let options = ReadOptions {
        concurrency: usize::from(concurrency),
        authentication,
        mode: if client.has_warehouse() {
            ReadMode::WithWarehouse
        } else {
            ReadMode::NoWarehouse
        },
        progress,
    };
    let result = reader::read(client, desired, &options).await;
    if terminal {
        eprintln!();
    }
    let (state, report) = result?;
    // Only the first refusal is worth reading; the rest repeat it for other policies.
    if let Some(warning) = report.warnings.first() {
        eprintln!(
            "warning: {warning}: {}\n\nhint: check that the warehouse{} exists and that the role may use it",
            warning.source,
            client
                .warehouse()
                .map(|w| format!(" `{w}`"))
                .unwrap_or_default()
        );
    }
    tracing::info!(
        statements = report.statements,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "read live state"
    );
    Ok((state, report))
}

/// Raises `interrupt` on Ctrl-C (once); a second Ctrl-C ends the process.
pub fn watch_ctrl_c(handle: crate::snowflake::InterruptHandle) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: stopping (press Ctrl-C again to quit at once)");
            handle.raise();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
}

/// Reads live state from the source the arguments name; returns it with the instant to plan
/// for: the account's clock when it reported one, else this machine's.
pub fn live_state(
    desired: &Config,
    source: &SourceArgs,
) -> Result<(LiveState, chrono::DateTime<chrono::Utc>), CliError> {
    if source.sandbox {
        return super::demo::live_state(desired, source.concurrency);
    }
    let settings = settings(&source.connection)?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let (handle, interrupt) = Interrupt::new();
        watch_ctrl_c(handle);
        let client = client(&settings, interrupt)?;
        let (state, _) = read(
            &client,
            desired,
            source.concurrency,
            session_authentication(&settings),
        )
        .await?;
        let now = state.read_at.unwrap_or_else(chrono::Utc::now);
        Ok((state, now))
    })
}

/// The runtime of a command that does I/O.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

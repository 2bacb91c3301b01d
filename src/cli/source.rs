//! Where live state comes from, resolved once for every command: an account through a
//! connection, the in-process demo sandbox, or a `--live-state` file; and the session that
//! talks to the first two (its runtime, client, Ctrl-C watcher and how it authenticates).
//!
//! Commands pick the [`Origin`] from their flags first (a pure check), load `pats.yaml`, then
//! open the source; nothing here decides what to change.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::connect::{self, ConnectionFlags};
use super::demo;
use super::error::CliError;
use super::progress::{Display, Mode};
use crate::model::desired::Config;
use crate::model::live::{LIVE_FORMAT_VERSION, LiveScope, LiveState, SessionAuthentication};
use crate::model::usage::{LastUse, UsageUnavailable};
use crate::sandbox::SandboxThread;
use crate::secrets::Secret;
use crate::snowflake::auth::{Credentials, TokenType};
use crate::snowflake::pool::{AUTO_START, Pool};
use crate::snowflake::reader::{self, ReadMode, ReadOptions};
use crate::snowflake::selection::UserSelection;
use crate::snowflake::{Client, ClientOptions, Interrupt, InterruptHandle, RequestContext};

/// Where a command reads live state from, for a command that also reads the demo sandbox
/// (`--sandbox`): `plan`, `status`, `snapshot`, `import`. A command that refuses the ephemeral
/// sandbox (`apply`, which would apply to an account that ends with it) flattens
/// [`SourceArgs`] alone, so its `--help` never offers a flag it would then refuse.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxSourceArgs {
    /// Use a local in-process sandbox seeded with a demo account (no Snowflake account needed).
    #[arg(long)]
    pub sandbox: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Where a command reads live state from: an account, through the connection flags, the
/// environment and `SNOWFLAKE_HOME`; how many statements at once; and whether to show progress.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// Statements in flight at once, reading and applying (1 to 64). Default: 8, growing with
    /// the number of statements once it is known, one more per 32 statements past 256, up to 32.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,
    /// No progress bar and no retry lines on stderr (warnings and errors still show).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[command(flatten)]
    pub connection: ConnectionFlags,
}

/// The source the flags name, checked before anything is read or started.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// An account, through the connection flags, the environment and `SNOWFLAKE_HOME`.
    Account(&'a SourceArgs),
    /// `--sandbox`: the in-process sandbox seeded with the demo account.
    Demo(&'a SourceArgs),
    /// `--live-state FILE`: a snapshot written by `pat-reconcile snapshot`.
    File(&'a Path),
}

/// The source flags of a command: with `--sandbox` ([`SandboxSourceArgs`]) or without it
/// ([`SourceArgs`]).
pub trait SourceFlags {
    /// The connection, concurrency and progress flags.
    fn source(&self) -> &SourceArgs;
    /// Whether `--sandbox` was given (never, for a command that does not offer it).
    fn sandbox(&self) -> bool;
}

impl SourceFlags for SourceArgs {
    fn source(&self) -> &SourceArgs {
        self
    }
    fn sandbox(&self) -> bool {
        false
    }
}

impl SourceFlags for SandboxSourceArgs {
    fn source(&self) -> &SourceArgs {
        &self.source
    }
    fn sandbox(&self) -> bool {
        self.sandbox
    }
}

impl<'a> Origin<'a> {
    /// The source named by `args` and, for `plan` and `status`, `--live-state`; two named at
    /// once is a usage error.
    pub fn of(args: &'a impl SourceFlags, live_state: Option<&'a Path>) -> Result<Self, CliError> {
        match (live_state, args.sandbox()) {
            (Some(_), true) => Err(CliError::ConflictingSources),
            (Some(path), false) => Ok(Origin::File(path)),
            (None, true) => Ok(Origin::Demo(args.source())),
            (None, false) => Ok(Origin::Account(args.source())),
        }
    }

    /// Opens the source: resolves the connection settings, or starts and seeds the sandbox.
    pub fn open(self) -> Result<Source, CliError> {
        Ok(match self {
            Origin::Account(args) => Source::Remote(Remote::account(args)?),
            Origin::Demo(args) => Source::Remote(Remote::demo(args)?),
            Origin::File(path) => Source::File(path.to_owned()),
        })
    }
}

/// An opened source of live state.
#[derive(Debug)]
pub enum Source {
    /// Read over the SQL API.
    Remote(Remote),
    /// Read from a live-state JSON file.
    File(PathBuf),
}

impl Source {
    /// Reads live state as [`Source::read`] does, and last use from the ACCOUNT_USAGE views
    /// when the session has a warehouse (a snapshot records none). With `all_users`, also every
    /// user whose `SHOW USERS` row says `has_pat = true` (a second read, of those users only;
    /// a snapshot holds only the users it was taken for).
    pub fn read_with_usage(
        &self,
        desired: &Config,
        all_users: bool,
    ) -> Result<(LiveState, DateTime<Utc>, LastUse), CliError> {
        match self {
            Source::Remote(remote) => {
                let session = remote.session()?;
                let (mut state, now) = session.block_on(session.read(desired))?;
                if all_users {
                    let holders = UserSelection {
                        with_tokens: true,
                        ..UserSelection::default()
                    };
                    let (others, _) = session.block_on(session.read_selected(&holders))?;
                    for (name, user) in others.users {
                        state.users.entry(name).or_insert(user);
                    }
                }
                let usage = session.block_on(session.read_usage());
                Ok((state, remote.planning_instant(now), usage))
            }
            Source::File(_) => {
                let (state, now) = self.read(desired)?;
                Ok((state, now, LastUse::Unavailable(UsageUnavailable::Snapshot)))
            }
        }
    }

    /// Reads live state for `desired`'s scope; returns it with the instant to plan for: the
    /// sandbox's clock, else the account's (or the snapshot's) when it reported one, else this
    /// machine's.
    pub fn read(&self, desired: &Config) -> Result<(LiveState, DateTime<Utc>), CliError> {
        match self {
            Source::Remote(remote) => remote.read(desired),
            Source::File(path) => {
                let state = read_live_state(path)?;
                check_scope(path, &state, desired)?;
                let now = state.read_at.unwrap_or_else(Utc::now);
                Ok((state, now))
            }
        }
    }
}

/// A source read over the SQL API, resolved but not yet connected.
#[derive(Debug)]
pub struct Remote {
    endpoint: Endpoint,
    /// `--concurrency`; `None`: the default that grows (`pool::auto_concurrency`).
    concurrency: Option<u16>,
    display: Display,
}

#[derive(Debug)]
enum Endpoint {
    Account(crate::config::connection::ConnectionSettings),
    /// The sandbox runs until this is dropped.
    Demo(SandboxThread),
}

impl Remote {
    /// An account, with its settings resolved from the flags, the environment and
    /// `SNOWFLAKE_HOME`.
    pub fn account(args: &SourceArgs) -> Result<Self, CliError> {
        Ok(Self {
            endpoint: Endpoint::Account(connect::settings(&args.connection)?),
            concurrency: args.concurrency,
            display: Display::new(Mode::detect(args.quiet)),
        })
    }

    /// A sandbox started and seeded with the demo account.
    fn demo(args: &SourceArgs) -> Result<Self, CliError> {
        let sandbox = demo::start()?;
        if !args.quiet {
            eprintln!(
                "reading the built-in sandbox at {} (a seeded demo account; its clock reads {})",
                sandbox.url(),
                sandbox.now().format("%Y-%m-%d %H:%M UTC")
            );
        }
        Ok(Self {
            endpoint: Endpoint::Demo(sandbox),
            concurrency: args.concurrency,
            display: Display::new(Mode::detect(args.quiet)),
        })
    }

    /// Opens a session: a runtime, a Ctrl-C watcher and an authenticated client.
    pub fn session(&self) -> Result<Session, CliError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let entered = runtime.enter();
        let (handle, interrupt) = Interrupt::new();
        watch_ctrl_c(handle);
        let (client, authentication, account) = match &self.endpoint {
            Endpoint::Account(settings) => (
                connect::client(settings, interrupt.clone(), self.display.retry_hook())?,
                connect::session_authentication(settings),
                settings.account.clone(),
            ),
            Endpoint::Demo(sandbox) => (
                Client::new(
                    &sandbox.url(),
                    Credentials::bearer(
                        Secret::new(sandbox.admin_token()),
                        TokenType::ProgrammaticAccessToken,
                    ),
                    RequestContext::default(),
                    ClientOptions {
                        on_retry: self.display.retry_hook(),
                        ..ClientOptions::default()
                    },
                    interrupt.clone(),
                )?,
                SessionAuthentication::ProgrammaticAccessToken,
                sandbox.account().to_owned(),
            ),
        };
        drop(entered);
        Ok(Session {
            runtime,
            client,
            interrupt,
            authentication,
            concurrency: self.concurrency,
            account,
            display: self.display.clone(),
        })
    }

    /// Reads live state through a session of its own.
    fn read(&self, desired: &Config) -> Result<(LiveState, DateTime<Utc>), CliError> {
        let session = self.session()?;
        let (state, now) = session.block_on(session.read(desired))?;
        Ok((state, self.planning_instant(now)))
    }

    /// Reads the users `selection` chooses (declared or not) through a session of its own:
    /// [`reader::read_selected`], with the instant to plan for as [`Source::read`] gives it.
    pub fn read_selected(
        &self,
        selection: &UserSelection,
    ) -> Result<(LiveState, DateTime<Utc>), CliError> {
        let session = self.session()?;
        let (state, now) = session.block_on(session.read_selected(selection))?;
        Ok((state, self.planning_instant(now)))
    }

    /// The sandbox's clock for the demo, else what the account said.
    fn planning_instant(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match &self.endpoint {
            Endpoint::Demo(sandbox) => sandbox.now(),
            Endpoint::Account(_) => now,
        }
    }
}

/// A connected session: the runtime the command's I/O runs on, the client, the interrupt that
/// Ctrl-C raises, and how the client authenticates.
#[derive(Debug)]
pub struct Session {
    runtime: tokio::runtime::Runtime,
    client: Client,
    interrupt: Interrupt,
    authentication: SessionAuthentication,
    concurrency: Option<u16>,
    account: String,
    display: Display,
}

impl Session {
    /// Runs `future` on the session's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The session's progress display (`--quiet`, a terminal, or plain lines).
    pub fn display(&self) -> &Display {
        &self.display
    }

    /// The flag Ctrl-C raises.
    pub fn interrupt(&self) -> Interrupt {
        self.interrupt.clone()
    }

    /// The account the connection names (the live state's own name is better when it has one).
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Reads live state for `desired`'s scope, showing progress on a terminal; returns it with
    /// the instant to plan for: the account's clock when it reported one, else this machine's.
    pub async fn read(&self, desired: &Config) -> Result<(LiveState, DateTime<Utc>), CliError> {
        let options = self.read_options();
        let started = Instant::now();
        let result = reader::read(&self.client, desired, &options).await;
        self.finish_read(result, started)
    }

    /// Reads the users `selection` chooses from `SHOW USERS`, declared or not, and what they
    /// reference ([`reader::read_selected`]; `import` and `status --all`), showing progress on a
    /// terminal; returns it with the instant to plan for, as [`Session::read`] does.
    pub async fn read_selected(
        &self,
        selection: &UserSelection,
    ) -> Result<(LiveState, DateTime<Utc>), CliError> {
        let options = self.read_options();
        let started = Instant::now();
        let result = reader::read_selected(&self.client, selection, &options).await;
        self.finish_read(result, started)
    }

    /// The reader's options for this session, with the progress bar started on a terminal.
    fn read_options(&self) -> ReadOptions {
        let client = &self.client;
        let progress = self.display.start("reading live state");
        ReadOptions {
            concurrency: self.concurrency.map(usize::from),
            authentication: self.authentication,
            mode: if client.has_warehouse() {
                ReadMode::WithWarehouse
            } else {
                ReadMode::NoWarehouse
            },
            progress,
        }
    }

    /// Ends the progress line, shows the first optional read that failed, logs the cost.
    fn finish_read(
        &self,
        result: Result<(LiveState, reader::ReadReport), reader::ReadError>,
        started: Instant,
    ) -> Result<(LiveState, DateTime<Utc>), CliError> {
        let client = &self.client;
        self.display.finish();
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
            concurrency = report.concurrency,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "read live state"
        );
        let now = state.read_at.unwrap_or_else(Utc::now);
        Ok((state, now))
    }
}

impl Session {
    /// Last use of every PAT from the ACCOUNT_USAGE views (two statements on the session's
    /// warehouse; none without one).
    pub async fn read_usage(&self) -> LastUse {
        let pool = Pool::new(
            &self.client,
            self.concurrency.map_or(AUTO_START, usize::from),
            None,
        );
        let usage = crate::snowflake::usage::read(&self.client, &pool).await;
        if let LastUse::Unavailable(UsageUnavailable::Refused { message, .. }) = &usage {
            tracing::warn!(%message, "last use could not be read");
        }
        usage
    }
}

/// Raises `interrupt` on Ctrl-C or SIGTERM (what CI sends on cancel), once; a second signal
/// ends the process. A minting statement's intent is in the journal before it is sent, so even
/// then the next plan finds a secret nobody received. Must run inside the session's runtime.
fn watch_ctrl_c(handle: InterruptHandle) {
    tokio::spawn(async move {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        if next_signal(&mut terminate).await {
            eprintln!("\ninterrupted: stopping (press Ctrl-C again to quit at once)");
            handle.raise();
            if next_signal(&mut terminate).await {
                std::process::exit(130);
            }
        }
    });
}

/// Waits for Ctrl-C or SIGTERM; false when neither can be listened for.
async fn next_signal(terminate: &mut Option<tokio::signal::unix::Signal>) -> bool {
    match terminate {
        Some(term) => tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            r = term.recv() => r.is_some(),
        },
        None => tokio::signal::ctrl_c().await.is_ok(),
    }
}

/// Refuses a snapshot read for a narrower file than `desired`: a declared user it never read
/// would be planned as missing. A snapshot that does not record its scope (an older file) is
/// accepted with a warning.
fn check_scope(path: &Path, state: &LiveState, desired: &Config) -> Result<(), CliError> {
    let Some(scope) = &state.scope else {
        eprintln!(
            "warning: `{}` does not record the scope it was read for (an older snapshot); a declared object it lacks is planned as missing\n\nhint: take a new snapshot with `pat-reconcile snapshot --out FILE`",
            path.display()
        );
        return Ok(());
    };
    let outside = scope.missing(&LiveScope::of(desired));
    if outside.is_empty() {
        Ok(())
    } else {
        Err(CliError::LiveStateScope {
            path: path.to_owned(),
            outside,
        })
    }
}

/// Reads a live-state JSON file.
fn read_live_state(path: &Path) -> Result<LiveState, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    let state: LiveState =
        serde_json::from_str(&text).map_err(|source| CliError::LiveStateFormat {
            path: path.to_owned(),
            source,
        })?;
    if state.format_version != LIVE_FORMAT_VERSION {
        return Err(CliError::LiveStateVersion {
            path: path.to_owned(),
            found: state.format_version,
        });
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> SourceArgs {
        SourceArgs {
            concurrency: None,
            quiet: false,
            connection: ConnectionFlags::default(),
        }
    }

    fn args(sandbox: bool) -> SandboxSourceArgs {
        SandboxSourceArgs {
            sandbox,
            source: source(),
        }
    }

    #[test]
    fn the_flags_name_one_source() {
        let file = Path::new("live.json");
        assert!(matches!(
            Origin::of(&args(false), None),
            Ok(Origin::Account(_))
        ));
        assert!(matches!(Origin::of(&args(true), None), Ok(Origin::Demo(_))));
        assert!(matches!(
            Origin::of(&args(false), Some(file)),
            Ok(Origin::File(p)) if p == file
        ));
        assert!(matches!(
            Origin::of(&args(true), Some(file)),
            Err(CliError::ConflictingSources)
        ));
        // Without `--sandbox` among the flags (apply), the account or the file.
        assert!(matches!(
            Origin::of(&source(), None),
            Ok(Origin::Account(_))
        ));
        assert!(matches!(
            Origin::of(&source(), Some(file)),
            Ok(Origin::File(p)) if p == file
        ));
    }
}

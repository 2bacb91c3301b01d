//! A running sandbox: [`Sandbox`] on the caller's tokio runtime, and [`SandboxThread`], a guard
//! that runs one on its own thread and runtime and stops it on drop (for tests and the CLI's
//! in-process `--sandbox` mode).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::sandbox::auth::AdminIdentity;
use crate::sandbox::config::SandboxConfig;
use crate::sandbox::connection::{Connection, KillableListener};
use crate::sandbox::engine::{Engine, EngineConfig, LogEntry};
use crate::sandbox::error::{SandboxError, StatementError};
use crate::sandbox::name::Name;
use crate::sandbox::result_set::ResultSet;
use crate::sandbox::server;

/// The user the admin token authenticates as.
pub const ADMIN_USER: &str = "ADMIN";
/// How long shutdown waits for in-flight requests before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running sandbox server, bound and ready.
#[derive(Debug)]
pub struct Sandbox {
    engine: Arc<Engine>,
    address: SocketAddr,
    admin_token_generated: bool,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl Sandbox {
    /// Binds, loads the state file if any, and starts serving on the current runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let admin_token_generated = config.admin_token.is_none();
        let token = config
            .admin_token
            .clone()
            .unwrap_or_else(|| format!("sandbox-admin-{}", Uuid::new_v4().simple()));
        let engine = Arc::new(Engine::new(EngineConfig {
            account: config.account.to_ascii_uppercase(),
            admin: AdminIdentity {
                token,
                user: Name::new(ADMIN_USER),
            },
            state_file: config.state_file.clone(),
            latency: config.latency,
            statement_time: config.statement_time,
            async_threshold: config.async_threshold,
            partition_rows: config.partition_rows.max(1),
            faults: config.faults.clone(),
            account_usage_latency: config.account_usage_latency,
        })?);
        let bind_error = |source| SandboxError::Bind {
            address: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        let app =
            server::router(Arc::clone(&engine)).into_make_service_with_connect_info::<Connection>();
        let (stop, stopped) = oneshot::channel::<()>();
        let idle_timeout = config.idle_timeout;
        let server = tokio::spawn(async move {
            let serving = axum::serve(KillableListener::new(listener, idle_timeout), app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                });
            if let Err(error) = serving.await {
                tracing::error!(%error, "the sandbox server stopped");
            }
        });
        Ok(Sandbox {
            engine,
            address,
            admin_token_generated,
            stop: Some(stop),
            server,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Whether the server accepts connections from beyond this machine (it listens on an
    /// address that is not loopback): anyone who reaches it may then try the admin token, and
    /// `X-Sandbox-Client-Ip` lets any caller claim any address. The CLI warns about it.
    pub fn listens_beyond_loopback(&self) -> bool {
        !self.address.ip().is_loopback()
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn admin_token(&self) -> &str {
        &self.engine.config().admin.token
    }

    /// Whether the admin token was generated (and so should be shown to the user).
    pub fn admin_token_generated(&self) -> bool {
        self.admin_token_generated
    }

    /// The account identifier (upper case).
    pub fn account(&self) -> &str {
        &self.engine.config().account
    }

    /// Runs SQL in process as ADMIN with ACCOUNTADMIN, for seeding: each statement in order,
    /// stopping at the first failure; the last statement's result. No latency, no faults.
    pub async fn execute_as_admin(&self, sql: &str) -> Result<ResultSet, StatementError> {
        self.engine.execute_as_admin(sql)
    }

    /// Moves the sandbox clock (negative durations move it back).
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.engine.advance_clock(by);
    }

    /// Sets how far the ACCOUNT_USAGE views lag the account.
    pub fn set_account_usage_latency(&self, latency: Duration) {
        self.engine.set_account_usage_latency(latency);
    }

    /// The sandbox clock's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.engine.clock().now()
    }

    /// Every executed statement and refused login so far, oldest first.
    pub fn statement_log(&self) -> Vec<LogEntry> {
        self.engine.log_entries(0)
    }

    /// Stops accepting connections, lets in-flight requests finish briefly, then stops.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }
}

/// A sandbox on its own thread and tokio runtime; stops when dropped.
#[derive(Debug)]
pub struct SandboxThread {
    url: String,
    engine: Arc<Engine>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Ready = Result<(String, Arc<Engine>), SandboxError>;

impl SandboxThread {
    /// Starts a sandbox and returns once it is bound and ready.
    pub fn spawn(config: SandboxConfig) -> Result<Self, SandboxError> {
        let (ready, readied) = std::sync::mpsc::channel::<Ready>();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pat-reconcile-sandbox".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(source) => {
                        let _ = ready.send(Err(SandboxError::Runtime { source }));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Sandbox::start(config).await {
                        Ok(sandbox) => {
                            let _ = ready.send(Ok((sandbox.url(), Arc::clone(&sandbox.engine))));
                            let _ = stopped.await;
                            sandbox.shutdown().await;
                        }
                        Err(error) => {
                            let _ = ready.send(Err(error));
                        }
                    }
                });
            })
            .map_err(|source| SandboxError::Runtime { source })?;
        let (url, engine) = readied.recv().map_err(|_| SandboxError::ThreadStopped)??;
        Ok(Self {
            url,
            engine,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn admin_token(&self) -> &str {
        &self.engine.config().admin.token
    }

    /// The account identifier (upper case).
    pub fn account(&self) -> &str {
        &self.engine.config().account
    }

    /// Runs SQL in process as ADMIN with ACCOUNTADMIN; see [`Sandbox::execute_as_admin`].
    pub fn execute_as_admin(&self, sql: &str) -> Result<ResultSet, StatementError> {
        self.engine.execute_as_admin(sql)
    }

    /// Moves the sandbox clock.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.engine.advance_clock(by);
    }

    /// Sets how far the ACCOUNT_USAGE views lag the account.
    pub fn set_account_usage_latency(&self, latency: Duration) {
        self.engine.set_account_usage_latency(latency);
    }

    /// The sandbox clock's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.engine.clock().now()
    }

    /// Every executed statement and refused login so far, oldest first.
    pub fn statement_log(&self) -> Vec<LogEntry> {
        self.engine.log_entries(0)
    }
}

impl Drop for SandboxThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

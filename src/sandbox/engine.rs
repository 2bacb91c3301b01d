//! The sandbox's core, independent of HTTP: the account behind a lock, the movable clock, the
//! statement store (handles, `requestId` + `retry` deduplication, asynchronous execution with
//! latency, slow faults, timeouts and cancel), multi-statement requests, the statement log and
//! persistence to the state file.
//!
//! A submitted statement runs as its own task: it waits out the injected latency (and the slow
//! fault), then executes under the account lock and publishes its outcome on a watch channel
//! that the HTTP layer waits on. Cancel wins only while the statement is still waiting; once it
//! executes it is no longer running in the sense of the cancel endpoint.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::sandbox::account::{ACCOUNTADMIN, Account, PUBLIC};
use crate::sandbox::auth::{self, AdminIdentity, Credentials, Login};
use crate::sandbox::clock::Clock;
use crate::sandbox::error::{LoginError, SandboxError, StatementError};
use crate::sandbox::executor::{self, AuthMethod, Context, Session};
use crate::sandbox::faults::{Fault, FaultConfig, FaultRule, Faults, Injected};
use crate::sandbox::name::Name;
use crate::sandbox::result_set::{Column, ResultSet};
use crate::sandbox::sql::{self, Statement};
use crate::sandbox::state_file::{self, STATE_VERSION, Snapshot};
use crate::sandbox::usage::LoginEvent;

/// Statements kept for polling; older ones are forgotten first.
const MAX_STATEMENTS: usize = 20_000;
/// Log entries kept; older ones are dropped first.
const MAX_LOG_ENTRIES: usize = 100_000;

/// What the engine needs from the sandbox configuration.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub account: String,
    pub admin: AdminIdentity,
    pub state_file: Option<PathBuf>,
    pub latency: Duration,
    /// Execution time of each statement of a request.
    pub statement_time: Duration,
    pub async_threshold: Duration,
    pub partition_rows: usize,
    pub faults: FaultConfig,
    /// How far the ACCOUNT_USAGE views lag the account.
    pub account_usage_latency: Duration,
}

/// The result of a statement that succeeded.
#[derive(Debug)]
pub struct Success {
    pub result: ResultSet,
    /// For a multi-statement request: the handles of its statements, in order.
    pub children: Option<Vec<Uuid>>,
}

pub type Outcome = Result<Success, StatementError>;

/// Where a statement is in its life.
#[derive(Debug, Clone)]
pub enum Status {
    /// Waiting out latency or a slow fault; cancel still stops it.
    Queued,
    /// Executing now.
    Running,
    Done(Arc<Outcome>),
}

impl Status {
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done(_))
    }
}

/// One statement handle.
#[derive(Debug)]
pub struct StatementRecord {
    pub handle: Uuid,
    pub request_id: Option<String>,
    pub user: Name,
    pub created_on: DateTime<Utc>,
    /// `nullable=false` on the submission: NULL is served as the string `"null"`.
    pub nullable: bool,
    status: watch::Sender<Status>,
    cancel: Notify,
}

impl StatementRecord {
    fn new(
        request_id: Option<String>,
        user: Name,
        created_on: DateTime<Utc>,
        nullable: bool,
        status: Status,
    ) -> Arc<Self> {
        Arc::new(Self {
            handle: Uuid::new_v4(),
            request_id,
            user,
            created_on,
            nullable,
            status: watch::Sender::new(status),
            cancel: Notify::new(),
        })
    }

    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Waits until the statement is done or `limit` passes; `None` waits as long as it takes.
    pub async fn wait(&self, limit: Option<Duration>) -> Status {
        let mut receiver = self.status.subscribe();
        let done = receiver.wait_for(Status::is_done);
        match limit {
            Some(limit) => {
                let _ = tokio::time::timeout(limit, done).await;
            }
            None => {
                let _ = done.await;
            }
        }
        self.status()
    }

    fn finish(&self, outcome: Outcome) {
        self.status.send_replace(Status::Done(Arc::new(outcome)));
    }

    /// Queued → `next`, atomically; false when the statement already left the queue.
    fn leave_queue(&self, next: Status) -> bool {
        self.status.send_if_modified(|status| {
            if matches!(status, Status::Queued) {
                *status = next;
                true
            } else {
                false
            }
        })
    }
}

/// What a client asked for in `POST /api/v2/statements`.
#[derive(Debug, Clone)]
pub struct Submission {
    pub statement: String,
    /// Seconds; `None` or 0 is no timeout.
    pub timeout: Option<u64>,
    /// `MULTI_STATEMENT_COUNT`; `None` is 1.
    pub multi_statement_count: Option<u64>,
    pub request_id: Option<String>,
    pub nullable: bool,
    /// Extra time before executing, from a `slow` or `delay` fault.
    pub hold: Duration,
    /// An `internal_error` fault: the statement ends with this instead of executing.
    pub refusal: Option<StatementError>,
}

/// What the session asks for besides credentials (`role`, `database`, `schema` of the body).
#[derive(Debug, Clone, Default)]
pub struct SessionRequest {
    pub role: Option<String>,
    pub warehouse: Option<String>,
    pub database: Option<String>,
    pub schema: Option<String>,
}

/// One line of the statement log (`GET /sandbox/v1/log`).
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub sequence: u64,
    /// Sandbox time, RFC 3339.
    pub time: String,
    /// What was logged: a statement, a refused login, a status poll or a partition fetch.
    pub kind: LogKind,
    pub statement_handle: Option<String>,
    /// For a `partition` entry, the partition fetched.
    pub partition: Option<usize>,
    pub request_id: Option<String>,
    pub user: Option<String>,
    pub role: Option<String>,
    /// The address the request came from (or claimed with `X-Sandbox-Client-Ip`).
    pub client_address: Option<String>,
    pub sql: Option<String>,
    pub outcome: LogOutcome,
}

/// The kinds of log entries, serialized in snake case (`"statement"`, `"poll"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// A statement ran (it has `sql`).
    Statement,
    /// A login was refused.
    Login,
    /// `GET /api/v2/statements/{handle}`: a client asked whether a statement finished.
    Poll,
    /// `GET /api/v2/statements/{handle}?partition=N`: a client fetched one result partition.
    Partition,
}

impl LogKind {
    /// The serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Statement => "statement",
            LogKind::Login => "login",
            LogKind::Poll => "poll",
            LogKind::Partition => "partition",
        }
    }
}

impl PartialEq<&str> for LogKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A `GET` of a statement, as the log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// No `partition` parameter: the client polls for the outcome.
    Poll,
    /// `?partition=N`.
    Partition(usize),
}

/// How a logged statement or login ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LogOutcome {
    /// A poll found the statement still running (HTTP 202).
    Running,
    Succeeded {
        rows: usize,
    },
    Failed {
        code: String,
        message: String,
    },
    Refused {
        code: String,
        reason: String,
    },
}

#[derive(Debug, Default)]
struct Statements {
    by_handle: HashMap<Uuid, Arc<StatementRecord>>,
    order: VecDeque<Uuid>,
    by_request: HashMap<(Name, String), Uuid>,
}

impl Statements {
    fn insert(&mut self, record: Arc<StatementRecord>) {
        if let Some(request_id) = &record.request_id {
            self.by_request
                .insert((record.user.clone(), request_id.clone()), record.handle);
        }
        self.order.push_back(record.handle);
        self.by_handle.insert(record.handle, record);
        while self.order.len() > MAX_STATEMENTS {
            if let Some(old) = self.order.pop_front()
                && let Some(record) = self.by_handle.remove(&old)
                && let Some(request_id) = &record.request_id
            {
                let key = (record.user.clone(), request_id.clone());
                if self.by_request.get(&key) == Some(&old) {
                    self.by_request.remove(&key);
                }
            }
        }
    }
}

#[derive(Debug, Default)]
struct Log {
    next: u64,
    entries: VecDeque<LogEntry>,
}

/// The sandbox core.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    latency: Mutex<Duration>,
    account_usage_latency: Mutex<Duration>,
    clock: Clock,
    account: Mutex<Account>,
    statements: Mutex<Statements>,
    log: Mutex<Log>,
    faults: Mutex<Faults>,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the state stays
/// consistent: every mutation is complete before a lock is released).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Engine {
    /// Builds the engine, reloading the state file when there is one.
    pub fn new(config: EngineConfig) -> Result<Self, SandboxError> {
        config.faults.validate()?;
        let snapshot = match &config.state_file {
            Some(path) => state_file::load(path)?,
            None => None,
        };
        let clock = Clock::with_offset(snapshot.as_ref().map_or(0, |s| s.clock_offset_ms));
        let now = clock.now();
        let mut account = match snapshot {
            Some(snapshot) => snapshot.account,
            None => Account::new(&config.account, &config.admin.user, now),
        };
        account.name = config.account.clone();
        account.ensure_admin(&config.admin.user, now);
        account.ensure_managed_rules(now);
        account.ensure_credential_ids();
        let engine = Self {
            latency: Mutex::new(config.latency),
            account_usage_latency: Mutex::new(config.account_usage_latency),
            faults: Mutex::new(Faults::new(config.faults.clone())),
            config,
            clock,
            account: Mutex::new(account),
            statements: Mutex::new(Statements::default()),
            log: Mutex::new(Log::default()),
        };
        engine.persist(&lock(&engine.account))?;
        Ok(engine)
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Moves the sandbox clock and saves the new offset.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.clock.advance(by);
        let mut account = lock(&self.account);
        account.forget_purge_horizon();
        if let Err(error) = self.persist(&account) {
            tracing::error!(%error, "failed to save the sandbox state");
        }
    }

    pub fn latency(&self) -> Duration {
        *lock(&self.latency)
    }

    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.latency) = latency;
    }

    /// How far the ACCOUNT_USAGE views lag the account now.
    pub fn account_usage_latency(&self) -> Duration {
        *lock(&self.account_usage_latency)
    }

    pub fn set_account_usage_latency(&self, latency: Duration) {
        *lock(&self.account_usage_latency) = latency;
    }

    /// The fault for the next submission of `sql`, if any (see `faults`).
    pub fn next_fault(&self, sql: &str) -> Option<Injected> {
        lock(&self.faults).draw(sql)
    }

    /// The aimed fault rules still in force.
    pub fn fault_rules(&self) -> Vec<FaultRule> {
        lock(&self.faults).rules().to_vec()
    }

    /// Replaces the aimed fault rules.
    pub fn aim_faults(&self, rules: Vec<FaultRule>) {
        lock(&self.faults).aim(rules);
    }

    pub fn fault_config(&self) -> (FaultConfig, Vec<Fault>) {
        let faults = lock(&self.faults);
        (faults.config().clone(), faults.pending())
    }

    pub fn configure_faults(&self, config: FaultConfig, next: Option<Vec<Fault>>) {
        let mut faults = lock(&self.faults);
        faults.configure(config);
        if let Some(next) = next {
            faults.schedule(next);
        }
    }

    fn persist(&self, account: &Account) -> Result<(), SandboxError> {
        let Some(path) = &self.config.state_file else {
            return Ok(());
        };
        state_file::save(
            path,
            &Snapshot {
                version: STATE_VERSION,
                clock_offset_ms: self.clock.offset_ms(),
                account: account.clone(),
            },
        )
    }

    fn append_log(&self, mut entry: LogEntry) {
        let mut log = lock(&self.log);
        entry.sequence = log.next;
        log.next += 1;
        log.entries.push_back(entry);
        while log.entries.len() > MAX_LOG_ENTRIES {
            log.entries.pop_front();
        }
    }

    /// Log entries with a sequence number at or after `since`.
    pub fn log_entries(&self, since: u64) -> Vec<LogEntry> {
        lock(&self.log)
            .entries
            .iter()
            .filter(|entry| entry.sequence >= since)
            .cloned()
            .collect()
    }

    /// Logs a `GET` of a statement's status or of one of its result partitions; `rows` in a
    /// success is what that answer carried.
    pub fn log_fetch(
        &self,
        record: &StatementRecord,
        client_address: std::net::IpAddr,
        fetch: Fetch,
        outcome: LogOutcome,
    ) {
        let (kind, partition) = match fetch {
            Fetch::Poll => (LogKind::Poll, None),
            Fetch::Partition(n) => (LogKind::Partition, Some(n)),
        };
        self.append_log(LogEntry {
            sequence: 0,
            time: self.clock.now().to_rfc3339(),
            kind,
            statement_handle: Some(record.handle.to_string()),
            partition,
            request_id: record.request_id.clone(),
            user: Some(record.user.to_string()),
            role: None,
            client_address: Some(client_address.to_string()),
            sql: None,
            outcome,
        });
    }

    /// Checks a request's credentials; refusals are logged, and every request presenting a PAT
    /// of the account is recorded for LOGIN_HISTORY (success or not).
    pub fn login(&self, credentials: Credentials<'_>) -> Result<Login, LoginError> {
        let now = self.clock.now();
        let result = {
            let mut account = lock(&self.account);
            let result =
                auth::authenticate(&account, &self.config.admin, credentials, now, Utc::now());
            if let Some((user, credential_id)) =
                auth::presented_pat(&account, &self.config.admin, credentials)
            {
                account.usage.record_login(LoginEvent {
                    event_id: 0,
                    timestamp: now,
                    user,
                    client_ip: credentials.client_address.to_string(),
                    credential_id,
                    success: result.is_ok(),
                    error_code: result.as_ref().err().map(|error| error.code().to_owned()),
                    error_message: result.as_ref().err().map(ToString::to_string),
                });
                if let Err(error) = self.persist(&account) {
                    tracing::error!(%error, "failed to save the sandbox state");
                }
            }
            result
        };
        if let Err(error) = &result {
            let reason = match error {
                LoginError::InvalidJwt { reason, .. } => format!("{reason:?}"),
                LoginError::InvalidPat { reason } => format!("{reason:?}"),
                other => format!("{other:?}"),
            };
            self.append_log(LogEntry {
                sequence: 0,
                time: now.to_rfc3339(),
                kind: LogKind::Login,
                statement_handle: None,
                partition: None,
                request_id: None,
                user: None,
                role: None,
                client_address: Some(credentials.client_address.to_string()),
                sql: None,
                outcome: LogOutcome::Refused {
                    code: error.code().to_owned(),
                    reason,
                },
            });
        }
        result
    }

    /// Picks the session's role: the token's restriction, else the requested role (which the
    /// user must hold), else the user's default role when granted, else PUBLIC.
    pub fn open_session(
        &self,
        login: &Login,
        request: &SessionRequest,
        client_address: IpAddr,
    ) -> Result<Session, StatementError> {
        let account = lock(&self.account);
        let roles = account.user_roles(&login.user);
        let requested = request.role.as_ref().map(Name::new);
        let role = match (&login.restricted_role, requested) {
            (Some(restricted), Some(requested)) if *restricted != requested => {
                return Err(StatementError::SessionRoleNotGranted {
                    role: requested.to_string(),
                });
            }
            (Some(restricted), _) => restricted.clone(),
            (None, Some(requested)) if roles.contains(&requested) => requested,
            (None, Some(requested)) => {
                return Err(StatementError::SessionRoleNotGranted {
                    role: requested.to_string(),
                });
            }
            (None, None) => account
                .users
                .get(&login.user)
                .and_then(|user| user.default_role.clone())
                .filter(|role| roles.contains(role))
                .unwrap_or_else(|| Name::new(PUBLIC)),
        };
        // The `warehouse` field is case-sensitive (Corrections 4): it is the stored name as is.
        let warehouse = request.warehouse.as_ref().map(Name::new).or_else(|| {
            account
                .users
                .get(&login.user)
                .and_then(|user| user.default_warehouse.clone())
        });
        Ok(Session {
            user: login.user.clone(),
            role,
            method: login.method.clone(),
            client_address,
            warehouse,
            database: request.database.as_ref().map(Name::new),
            schema: request.schema.as_ref().map(Name::new),
        })
    }

    /// A handle for a request refused before execution (its session could not be opened).
    pub fn refuse(
        &self,
        user: Name,
        request_id: Option<String>,
        error: StatementError,
    ) -> Arc<StatementRecord> {
        let record = StatementRecord::new(
            request_id,
            user,
            self.clock.now(),
            true,
            Status::Done(Arc::new(Err(error))),
        );
        lock(&self.statements).insert(record.clone());
        record
    }

    pub fn statement(&self, handle: &Uuid) -> Option<Arc<StatementRecord>> {
        lock(&self.statements).by_handle.get(handle).cloned()
    }

    /// The earlier statement a `retry=true` resubmission refers to, unless it failed (a failed
    /// statement is executed again).
    pub fn retried(&self, user: &Name, request_id: &str) -> Option<Arc<StatementRecord>> {
        let statements = lock(&self.statements);
        let handle = statements
            .by_request
            .get(&(user.clone(), request_id.to_owned()))?;
        let record = statements.by_handle.get(handle)?.clone();
        match record.status() {
            Status::Done(outcome) if outcome.is_err() => None,
            _ => Some(record),
        }
    }

    /// Registers a statement and starts it; returns at once.
    pub fn submit(
        self: &Arc<Self>,
        session: Session,
        submission: Submission,
    ) -> Arc<StatementRecord> {
        let record = StatementRecord::new(
            submission.request_id.clone(),
            session.user.clone(),
            self.clock.now(),
            submission.nullable,
            Status::Queued,
        );
        lock(&self.statements).insert(record.clone());
        let engine = Arc::clone(self);
        let task_record = Arc::clone(&record);
        tokio::spawn(async move { engine.run(task_record, session, submission).await });
        record
    }

    /// Cancels a statement that has not executed yet.
    pub fn cancel(&self, record: &StatementRecord) -> Result<(), StatementError> {
        if record.leave_queue(Status::Done(Arc::new(Err(StatementError::Canceled)))) {
            record.cancel.notify_one();
            Ok(())
        } else {
            Err(StatementError::NotExecuting)
        }
    }

    async fn run(&self, record: Arc<StatementRecord>, session: Session, submission: Submission) {
        let mut delay = self.latency();
        if !self.config.statement_time.is_zero() {
            // One execution time per statement of the request (a text that does not split
            // fails at once, after one).
            let statements = sql::split(&submission.statement).map_or(1, |pieces| pieces.len());
            let statements = u32::try_from(statements.max(1)).unwrap_or(u32::MAX);
            delay += self.config.statement_time.saturating_mul(statements);
        }
        delay += submission.hold;
        // Execution itself is instantaneous, so whether a statement outlives its timeout is known
        // now: deciding it here keeps the outcome independent of timer races under load.
        let timeout = submission
            .timeout
            .filter(|seconds| *seconds > 0)
            .map(Duration::from_secs)
            .filter(|timeout| *timeout < delay);
        if let Some(timeout) = timeout {
            tokio::select! {
                () = tokio::time::sleep(timeout) => {}
                () = record.cancel.notified() => return,
            }
            let seconds = submission.timeout.unwrap_or_default();
            record.leave_queue(Status::Done(Arc::new(Err(StatementError::TimedOut {
                seconds,
            }))));
            return;
        }
        if !delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = record.cancel.notified() => return,
            }
        }
        if !record.leave_queue(Status::Running) {
            return;
        }
        let outcome = match &submission.refusal {
            Some(refusal) => {
                Err(self.log_failure(&record, &session, &submission.statement, refusal.clone()))
            }
            None => self.execute_request(&record, &session, &submission),
        };
        record.finish(outcome);
    }

    /// Runs a request's text: one statement, or several under `MULTI_STATEMENT_COUNT`.
    fn execute_request(
        &self,
        record: &StatementRecord,
        session: &Session,
        submission: &Submission,
    ) -> Outcome {
        let pieces = match sql::split(&submission.statement) {
            Ok(pieces) => pieces,
            Err(error) => {
                return Err(self.log_failure(record, session, &submission.statement, error));
            }
        };
        if pieces.is_empty() {
            return Err(self.log_failure(
                record,
                session,
                &submission.statement,
                StatementError::EmptyStatement,
            ));
        }
        let desired = submission.multi_statement_count.unwrap_or(1);
        let count_matches = match desired {
            0 => true,
            n => usize::try_from(n).is_ok_and(|n| n == pieces.len()),
        };
        if !count_matches {
            let error = StatementError::StatementCountMismatch {
                actual: pieces.len(),
                desired: usize::try_from(desired).unwrap_or(usize::MAX),
            };
            return Err(self.log_failure(record, session, &submission.statement, error));
        }
        if desired == 1 {
            let piece = &pieces[0];
            let result = sql::parse(&piece.tokens)
                .map_err(|error| self.log_failure(record, session, piece.text, error))
                .and_then(|statement| {
                    self.execute_one(
                        session,
                        &statement,
                        piece.text,
                        record.handle,
                        record.request_id.as_deref(),
                    )
                })?;
            return Ok(Success {
                result,
                children: None,
            });
        }
        let mut children = Vec::new();
        for piece in &pieces {
            let child = StatementRecord::new(
                None,
                session.user.clone(),
                self.clock.now(),
                record.nullable,
                Status::Running,
            );
            lock(&self.statements).insert(child.clone());
            children.push(child.handle);
            let outcome = sql::tokenize(piece.text)
                .and_then(|tokens| sql::parse(&tokens))
                .map_err(|error| self.log_failure(&child, session, piece.text, error))
                .and_then(|statement| {
                    self.execute_one(session, &statement, piece.text, child.handle, None)
                });
            match outcome {
                Ok(result) => child.finish(Ok(Success {
                    result,
                    children: None,
                })),
                Err(error) => {
                    child.finish(Err(error.clone()));
                    return Err(StatementError::MultiStatementFailed {
                        statement: piece.text.to_owned(),
                        line: piece.line,
                        position: piece.position,
                        inner: Box::new(error),
                    });
                }
            }
        }
        let mut result = ResultSet::new(vec![Column::text("multiple statement execution")]);
        result.push(vec![Some(
            "Multiple statements executed successfully.".to_owned(),
        )]);
        Ok(Success {
            result,
            children: Some(children),
        })
    }

    fn log_failure(
        &self,
        record: &StatementRecord,
        session: &Session,
        text: &str,
        error: StatementError,
    ) -> StatementError {
        self.log_statement(
            session,
            text,
            record.handle,
            record.request_id.as_deref(),
            Err(&error),
        );
        error
    }

    fn log_statement(
        &self,
        session: &Session,
        text: &str,
        handle: Uuid,
        request_id: Option<&str>,
        outcome: Result<&ResultSet, &StatementError>,
    ) {
        self.append_log(LogEntry {
            sequence: 0,
            time: self.clock.now().to_rfc3339(),
            kind: LogKind::Statement,
            statement_handle: Some(handle.to_string()),
            partition: None,
            request_id: request_id.map(str::to_owned),
            user: Some(session.user.to_string()),
            role: Some(session.role.to_string()),
            client_address: Some(session.client_address.to_string()),
            sql: Some(text.to_owned()),
            outcome: match outcome {
                Ok(result) => LogOutcome::Succeeded {
                    rows: result.rows().len(),
                },
                Err(error) => LogOutcome::Failed {
                    code: error.code().to_owned(),
                    message: error.to_string(),
                },
            },
        });
    }

    /// Executes one parsed statement under the account lock, saves the state when it may have
    /// changed, and logs it.
    fn execute_one(
        &self,
        session: &Session,
        statement: &Statement,
        text: &str,
        handle: Uuid,
        request_id: Option<&str>,
    ) -> Result<ResultSet, StatementError> {
        let now = self.clock.now();
        let account_usage_latency = chrono::Duration::from_std(self.account_usage_latency())
            .unwrap_or(chrono::Duration::MAX);
        let mut account = lock(&self.account);
        let purged = account.purge_expired_tokens(now);
        let result = executor::execute(
            statement,
            &mut Context {
                account: &mut account,
                session,
                now,
                account_usage_latency,
            },
        );
        if purged || (result.is_ok() && !statement.is_read_only()) {
            if let Err(error) = self.persist(&account) {
                tracing::error!(%error, "failed to save the sandbox state");
            }
        }
        self.log_statement(session, text, handle, request_id, result.as_ref());
        result
    }

    /// Runs SQL as the admin user with ACCOUNTADMIN, in process: every statement of `sql` in
    /// order, stopping at the first failure; returns the last result. No latency or faults.
    pub fn execute_as_admin(&self, sql_text: &str) -> Result<ResultSet, StatementError> {
        let warehouse = lock(&self.account)
            .users
            .get(&self.config.admin.user)
            .and_then(|user| user.default_warehouse.clone());
        let session = Session {
            warehouse,
            user: self.config.admin.user.clone(),
            role: Name::new(ACCOUNTADMIN),
            method: AuthMethod::Seed,
            client_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            database: None,
            schema: None,
        };
        let pieces = sql::split(sql_text)?;
        let mut last = None;
        for piece in &pieces {
            let handle = Uuid::new_v4();
            let statement = match sql::parse(&piece.tokens) {
                Ok(statement) => statement,
                Err(error) => {
                    self.log_statement(&session, piece.text, handle, None, Err(&error));
                    return Err(error);
                }
            };
            last = Some(self.execute_one(&session, &statement, piece.text, handle, None)?);
        }
        last.ok_or(StatementError::EmptyStatement)
    }
}

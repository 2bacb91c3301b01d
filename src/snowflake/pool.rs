//! Bounded fan-out of read statements: at most `concurrency` in flight, results in input order.
//!
//! The bound may grow while statements run ([`Pool::grow_to`]), never shrink: a read without
//! `--concurrency` starts at [`AUTO_START`] and grows to [`auto_concurrency`] of its statement
//! count once `SHOW USERS` has told the reader how many per-user reads follow; apply calls
//! [`auto_concurrency`] with its plan's statement count.
//!
//! ## The default bound
//!
//! Snowflake documents no per-user or per-session limit on concurrent SQL API requests: an
//! account that is overloaded answers HTTP 429, which the client retries with backoff (and the
//! same request id). The queueing limits it does document, `MAX_CONCURRENCY_LEVEL` and
//! `STATEMENT_QUEUED_TIMEOUT_IN_SECONDS`, are parameters of a **warehouse** and apply to
//! queries that run on one; the SHOW, DESC and ALTER USER statements this tool sends run in the
//! cloud services layer without a warehouse. So the bound is ours to choose, and it trades wall
//! time against the burst an account sees from one tool:
//! - up to 256 statements, 8 at a time: at most 32 round trips (under a second at 25 ms each),
//!   where more in flight would save little and a small account sees no burst;
//! - beyond, one more in flight per 32 statements (`ceil(statements / 32)`), which keeps a read
//!   at about 32 round trips while it grows;
//! - at most [`AUTO_MAX`] (32), reached at 993 statements: past that a larger account reads
//!   proportionally longer rather than opening more connections at once. 32 is three times the
//!   Terraform provider's default parallelism (10) and half of the `--concurrency` range's top
//!   (64), which stays available for an account that is known to take it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use super::client::Client;
use super::error::ClientError;
use super::result::ResultSet;

/// Reports progress: `(statements done, statements known so far)`.
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// Where a pool without an explicit bound starts, before the statement count is known.
pub const AUTO_START: usize = 8;

/// The largest bound [`auto_concurrency`] chooses.
pub const AUTO_MAX: usize = 32;

/// The default number of statements in flight for a run of `statements` statements: 8 up to
/// 256 statements, then `ceil(statements / 32)`, at most [`AUTO_MAX`] (module docs, "The
/// default bound"). Never below [`AUTO_START`], never above [`AUTO_MAX`]; never decreasing in
/// `statements`.
pub fn auto_concurrency(statements: usize) -> usize {
    statements.div_ceil(32).clamp(AUTO_START, AUTO_MAX)
}

/// A statement and what it came to.
pub type Answer = (String, Result<ResultSet, ClientError>);

/// Runs statements through one client, sharing one bound across every batch in flight, and
/// counts them.
pub struct Pool {
    client: Client,
    permits: Arc<Semaphore>,
    /// The bound `permits` was sized for (it only grows).
    limit: AtomicUsize,
    done: Arc<AtomicUsize>,
    known: Arc<AtomicUsize>,
    progress: Option<Progress>,
}

impl Pool {
    pub fn new(client: &Client, concurrency: usize, progress: Option<Progress>) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            client: client.clone(),
            permits: Arc::new(Semaphore::new(concurrency)),
            limit: AtomicUsize::new(concurrency),
            done: Arc::new(AtomicUsize::new(0)),
            known: Arc::new(AtomicUsize::new(0)),
            progress,
        }
    }

    /// Runs one statement.
    pub async fn one(&self, sql: String) -> Answer {
        let mut answers = self.run(vec![sql.clone()]).await;
        answers.pop().unwrap_or((sql, Err(ClientError::Cancelled)))
    }

    /// Runs a batch; the answers come back in the order of `statements`, one for each.
    pub async fn run(&self, statements: Vec<String>) -> Vec<Answer> {
        self.known.fetch_add(statements.len(), Ordering::Relaxed);
        let mut set = tokio::task::JoinSet::new();
        let mut out: Vec<Option<Answer>> = statements.iter().map(|_| None).collect();
        let texts = statements.clone();
        for (i, sql) in statements.into_iter().enumerate() {
            let client = self.client.clone();
            let permits = Arc::clone(&self.permits);
            let done = Arc::clone(&self.done);
            let known = Arc::clone(&self.known);
            let progress = self.progress.clone();
            set.spawn(async move {
                let result = match permits.acquire_owned().await {
                    Ok(_permit) => client.execute(&sql).await,
                    Err(_) => Err(ClientError::Cancelled),
                };
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(p) = &progress {
                    p(n, known.load(Ordering::Relaxed));
                }
                (i, sql, result)
            });
        }
        while let Some(joined) = set.join_next().await {
            if let Ok((i, sql, result)) = joined {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some((sql, result));
                }
            }
        }
        // A task that panicked or was aborted leaves its slot empty: report it as cancelled
        // rather than dropping it, so every statement has an answer.
        out.into_iter()
            .zip(texts)
            .map(|(answer, sql)| answer.unwrap_or((sql, Err(ClientError::Cancelled))))
            .collect()
    }

    /// Runs the statement `statement` makes of each item; answers in the order of `items`.
    pub async fn each<T>(&self, items: &[T], statement: impl Fn(&T) -> String) -> Vec<Answer> {
        self.run(items.iter().map(statement).collect()).await
    }

    /// Raises the bound to `limit` statements in flight, for the statements waiting now and
    /// those sent later; a lower `limit` than the current bound changes nothing.
    pub fn grow_to(&self, limit: usize) {
        let before = self.limit.fetch_max(limit, Ordering::Relaxed);
        if limit > before {
            self.permits.add_permits(limit - before);
        }
    }

    /// Statements allowed in flight at once now.
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Statements sent so far.
    pub fn statements(&self) -> usize {
        self.known.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{SandboxConfig, SandboxThread};
    use crate::secrets::Secret;
    use crate::snowflake::auth::{Credentials, TokenType};
    use crate::snowflake::{ClientOptions, Interrupt, RequestContext};

    #[test]
    fn the_bound_grows_for_waiting_statements_and_never_shrinks() {
        let sandbox = SandboxThread::spawn(SandboxConfig {
            latency: std::time::Duration::from_millis(50),
            ..SandboxConfig::default()
        })
        .unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let _entered = runtime.enter();
        let client = Client::new(
            &sandbox.url(),
            Credentials::bearer(
                Secret::new(sandbox.admin_token()),
                TokenType::ProgrammaticAccessToken,
            ),
            RequestContext::default(),
            ClientOptions::default(),
            Interrupt::never(),
        )
        .unwrap();
        let pool = Pool::new(&client, 1, None);
        assert_eq!(pool.limit(), 1);
        pool.grow_to(0);
        assert_eq!(pool.limit(), 1);
        // 16 statements of 50 ms each, one at a time, would take 800 ms; grown to 16 while they
        // wait, they take about one round trip.
        let started = std::time::Instant::now();
        let answers = runtime.block_on(async {
            let statements = vec!["SELECT CURRENT_USER()".to_owned(); 16];
            let run = pool.run(statements);
            let grow = async {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                pool.grow_to(16);
            };
            tokio::join!(run, grow).0
        });
        let wall = started.elapsed();
        assert_eq!(answers.len(), 16);
        assert!(answers.iter().all(|(_, r)| r.is_ok()));
        assert_eq!(pool.limit(), 16);
        assert!(wall < std::time::Duration::from_millis(500), "{wall:?}");
        pool.grow_to(4);
        assert_eq!(pool.limit(), 16);
        assert_eq!(pool.statements(), 16);
    }

    #[test]
    fn the_default_bound_starts_at_8_grows_with_the_statements_and_stops_at_32() {
        for (statements, expected) in [
            (0, 8),
            (1, 8),
            (256, 8),
            (257, 9),
            (512, 16),
            (993, 32),
            (3_100, 32),
            (usize::MAX, 32),
        ] {
            assert_eq!(
                auto_concurrency(statements),
                expected,
                "{statements} statements"
            );
        }
        let mut previous = 0;
        for statements in 0..5_000 {
            let c = auto_concurrency(statements);
            assert!(c >= previous, "decreases at {statements}");
            previous = c;
        }
    }
}

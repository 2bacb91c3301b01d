//! Bounded fan-out of read statements: at most `concurrency` in flight, results in input order.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use super::client::Client;
use super::error::ClientError;
use super::result::ResultSet;

/// Reports progress: `(statements done, statements known so far)`.
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// A statement and what it came to.
pub type Answer = (String, Result<ResultSet, ClientError>);

/// Runs statements through one client, sharing one bound across every batch in flight, and
/// counts them.
pub struct Pool {
    client: Client,
    permits: Arc<Semaphore>,
    done: Arc<AtomicUsize>,
    known: Arc<AtomicUsize>,
    progress: Option<Progress>,
}

impl Pool {
    pub fn new(client: &Client, concurrency: usize, progress: Option<Progress>) -> Self {
        Self {
            client: client.clone(),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
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

    /// Statements sent so far.
    pub fn statements(&self) -> usize {
        self.known.load(Ordering::Relaxed)
    }
}

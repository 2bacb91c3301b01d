//! The SQL API v2 client (reference `sql-api.md`).
//!
//! One call, [`Client::execute`], runs one statement: POST with a fresh `requestId`; on 429,
//! 500, 502, 503, 504 or a transport error it waits (exponential backoff, full jitter) and posts
//! again with the same `requestId` and `retry=true`, so Snowflake never runs it twice; a 202
//! answer is polled until it completes or a total timeout passes; every result partition is
//! fetched; a 422 becomes [`ClientError::Statement`] with Snowflake's code, SQL state and handle.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use reqwest::StatusCode;
use serde::Deserialize;

use super::auth::Credentials;
use super::error::{Answer, ClientError, Malformed};
use super::result::ResultSet;

/// The `User-Agent` every request sends.
pub const USER_AGENT: &str = concat!("pat-reconcile/", env!("CARGO_PKG_VERSION"));

/// Tunables of the client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Attempts per request before giving up on retryable failures.
    pub max_attempts: u32,
    /// First backoff; doubles each attempt, with full jitter.
    pub backoff_base: Duration,
    /// Longest single backoff.
    pub backoff_cap: Duration,
    /// How long to keep polling a 202 statement.
    pub poll_timeout: Duration,
    /// Statement `timeout` sent to Snowflake, in seconds.
    pub statement_timeout_seconds: u64,
    /// Timeout of one HTTP exchange.
    pub request_timeout: Duration,
    /// The client address to claim with the sandbox's `X-Sandbox-Client-Ip` test control. Sent
    /// only to a plain-`http` base URL, which only the loopback sandbox serves (Snowflake is
    /// HTTPS only, and connection settings allow `http` for loopback hosts alone).
    pub sandbox_client_ip: Option<String>,
    /// Told of every retry before its backoff (the CLI shows a line; nothing here prints).
    pub on_retry: Option<RetryHook>,
}

/// A statement about to be sent again: why the last attempt failed and which attempt is next.
/// Carries no statement text and no response body (an ADD's answer holds a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// The request id every attempt of the statement shares.
    pub request_id: String,
    /// What the failed attempt came to: `HTTP 503`, `transport: ...`.
    pub why: String,
    /// The attempt about to be made, counting from 1 (so at least 2).
    pub attempt: u32,
    /// Attempts allowed in all.
    pub max_attempts: u32,
}

/// Receives [`Retry`] events; called on the client's task, so it must be quick and not block.
#[derive(Clone)]
pub struct RetryHook(pub Arc<dyn Fn(&Retry) + Send + Sync>);

impl std::fmt::Debug for RetryHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RetryHook")
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(10),
            poll_timeout: Duration::from_secs(15 * 60),
            statement_timeout_seconds: 3600,
            request_timeout: Duration::from_secs(120),
            sandbox_client_ip: None,
            on_retry: None,
        }
    }
}

/// A flag Ctrl-C raises; the client stops polling and cancels what it can.
#[derive(Debug, Clone)]
pub struct Interrupt {
    rx: tokio::sync::watch::Receiver<bool>,
}

/// The raising side of an [`Interrupt`].
#[derive(Debug)]
pub struct InterruptHandle {
    tx: tokio::sync::watch::Sender<bool>,
}

impl Interrupt {
    /// A new flag and the handle that raises it.
    pub fn new() -> (InterruptHandle, Interrupt) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (InterruptHandle { tx }, Interrupt { rx })
    }

    /// A flag nothing raises.
    pub fn never() -> Interrupt {
        Interrupt::new().1
    }

    pub fn is_raised(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves when the flag is raised.
    pub async fn raised(&mut self) {
        while !*self.rx.borrow() {
            if self.rx.changed().await.is_err() {
                // The handle is gone; nothing can raise it any more.
                std::future::pending::<()>().await;
            }
        }
    }
}

impl InterruptHandle {
    pub fn raise(&self) {
        let _ = self.tx.send(true);
    }
}

/// Whether an interrupt may abandon a statement that is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInterrupt {
    /// Reads: stop at once, cancelling a running statement.
    Cancel,
    /// Writes: let the statement finish so its outcome (and any secret) is known.
    Finish,
}

/// The `role` and `warehouse` a request names, already in the stored (case-sensitive) form the
/// SQL API matches (`config::connection::request_name`). `None` leaves the user's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub role: Option<String>,
    pub warehouse: Option<String>,
}

/// A client of one account's SQL API. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    context: RequestContext,
    options: ClientOptions,
    interrupt: Interrupt,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("context", &self.inner.context)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseBody {
    code: Option<String>,
    sql_state: Option<String>,
    message: Option<String>,
    statement_handle: Option<String>,
    result_set_meta_data: Option<MetaData>,
    data: Option<Vec<Vec<Option<String>>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaData {
    row_type: Vec<Column>,
    #[serde(default)]
    partition_info: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Column {
    name: String,
}

#[derive(Deserialize)]
struct PartitionBody {
    data: Vec<Vec<Option<String>>>,
}

/// What one HTTP exchange came to.
enum Outcome {
    Done(ResponseBody),
    Running(ResponseBody),
    /// Retry; `may_have_run` unless the answer says the statement did not run (429, 503) or
    /// the connection was never made.
    Retry {
        why: String,
        may_have_run: bool,
    },
}

impl Client {
    /// A client of `base_url` (`https://host:port`).
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        context: RequestContext,
        options: ClientOptions,
        interrupt: Interrupt,
    ) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .gzip(true)
            .timeout(options.request_timeout)
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(|source| ClientError::Transport {
                url: base_url.to_owned(),
                source,
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                credentials,
                context,
                options,
                interrupt,
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// True when requests name a warehouse (statements that need one can run).
    pub fn has_warehouse(&self) -> bool {
        self.inner.context.warehouse.is_some()
    }

    /// The warehouse requests name, as sent.
    pub fn warehouse(&self) -> Option<&str> {
        self.inner.context.warehouse.as_deref()
    }

    /// Runs a read: an interrupt cancels it.
    pub async fn execute(&self, sql: &str) -> Result<ResultSet, ClientError> {
        self.execute_with(sql, OnInterrupt::Cancel).await
    }

    /// Runs one statement and returns all its rows.
    pub async fn execute_with(
        &self,
        sql: &str,
        on_interrupt: OnInterrupt,
    ) -> Result<ResultSet, ClientError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut interrupt = self.inner.interrupt.clone();
        let work = self.run(sql, &request_id, on_interrupt);
        match on_interrupt {
            OnInterrupt::Finish => work.await,
            OnInterrupt::Cancel => {
                if interrupt.is_raised() {
                    return Err(ClientError::Cancelled);
                }
                tokio::select! {
                    r = work => r,
                    () = interrupt.raised() => Err(ClientError::Cancelled),
                }
            }
        }
    }

    async fn run(
        &self,
        sql: &str,
        request_id: &str,
        on_interrupt: OnInterrupt,
    ) -> Result<ResultSet, ClientError> {
        let o = &self.inner.options;
        let mut body = serde_json::json!({
            "statement": sql,
            "timeout": o.statement_timeout_seconds,
        });
        if let Some(role) = &self.inner.context.role {
            body["role"] = serde_json::Value::String(role.clone());
        }
        if let Some(warehouse) = &self.inner.context.warehouse {
            body["warehouse"] = serde_json::Value::String(warehouse.clone());
        }
        let mut last = String::new();
        let mut ran = false;
        for attempt in 0..o.max_attempts {
            if attempt > 0 {
                tokio::time::sleep(self.backoff(attempt)).await;
            }
            let mut url = format!(
                "{}/api/v2/statements?requestId={request_id}",
                self.inner.base_url
            );
            if attempt > 0 {
                url.push_str("&retry=true");
            }
            let sent = self
                .authorized(self.inner.http.post(&url))?
                .json(&body)
                .send()
                .await;
            match self.classify(sent, &url, request_id).await? {
                Outcome::Done(r) => return self.collect(r).await,
                Outcome::Running(r) => return self.poll(r, request_id, on_interrupt).await,
                Outcome::Retry { why, may_have_run } => {
                    tracing::debug!(attempt, %why, "retrying statement");
                    if attempt + 1 < o.max_attempts {
                        if let Some(hook) = &o.on_retry {
                            (hook.0)(&Retry {
                                request_id: request_id.to_owned(),
                                why: why.clone(),
                                attempt: attempt + 2,
                                max_attempts: o.max_attempts,
                            });
                        }
                    }
                    last = why;
                    ran |= may_have_run;
                }
            }
        }
        Err(ClientError::RetriesExhausted {
            attempts: o.max_attempts,
            last,
            may_have_run: ran,
        })
    }

    fn authorized(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let token = self.inner.credentials.token(Utc::now())?;
        let req = match &self.inner.options.sandbox_client_ip {
            Some(ip) if self.inner.base_url.starts_with("http://") => {
                req.header("X-Sandbox-Client-Ip", ip)
            }
            _ => req,
        };
        Ok(req
            .bearer_auth(token.expose())
            .header(
                "X-Snowflake-Authorization-Token-Type",
                self.inner.credentials.token_type().header_value(),
            )
            .header(reqwest::header::ACCEPT, "application/json"))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let o = &self.inner.options;
        let exp = o.backoff_base.saturating_mul(1u32 << attempt.min(16));
        let cap = exp.min(o.backoff_cap);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
    }

    /// Sorts a response into done, running, retry, or a final error.
    async fn classify(
        &self,
        sent: Result<reqwest::Response, reqwest::Error>,
        url: &str,
        request_id: &str,
    ) -> Result<Outcome, ClientError> {
        let resp = match sent {
            Ok(r) => r,
            Err(e) if e.is_builder() => {
                return Err(ClientError::Transport {
                    url: url.to_owned(),
                    source: e,
                });
            }
            Err(e) => {
                return Ok(Outcome::Retry {
                    why: format!("transport: {e}"),
                    // A refused connection never carried the statement.
                    may_have_run: !e.is_connect(),
                });
            }
        };
        let status = resp.status();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => {
                return Ok(Outcome::Retry {
                    why: format!("reading the response: {e}"),
                    may_have_run: true,
                });
            }
        };
        match status {
            StatusCode::OK => Ok(Outcome::Done(parse(&text)?)),
            StatusCode::ACCEPTED => Ok(Outcome::Running(parse(&text)?)),
            StatusCode::UNPROCESSABLE_ENTITY => {
                let r = parse(&text)?;
                Err(ClientError::Statement {
                    code: r.code.unwrap_or_default(),
                    sql_state: r.sql_state.unwrap_or_default(),
                    message: r.message.unwrap_or_default(),
                    statement_handle: r.statement_handle,
                    request_id: request_id.to_owned(),
                })
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                let r: Option<ResponseBody> = serde_json::from_str(&text).ok();
                Err(ClientError::Authentication {
                    status: status.as_u16(),
                    code: r.as_ref().and_then(|r| r.code.clone()).unwrap_or_default(),
                    message: r.and_then(|r| r.message).unwrap_or_default(),
                })
            }
            StatusCode::REQUEST_TIMEOUT => Err(ClientError::Timeout {
                seconds: self.inner.options.statement_timeout_seconds,
                statement_handle: parse(&text).ok().and_then(|r| r.statement_handle),
            }),
            StatusCode::TOO_MANY_REQUESTS
            | StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => {
                Ok(Outcome::Retry {
                    why: format!("HTTP {}", status.as_u16()),
                    // 429 and 503 answer before the statement runs; a 500 or a gateway's
                    // 502/504 may come after it ran.
                    may_have_run: !matches!(
                        status,
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                    ),
                })
            }
            other => Err(ClientError::Http {
                status: other.as_u16(),
                body: error_body(&text),
            }),
        }
    }

    /// Polls a running statement until it completes, fails, or the poll timeout passes.
    async fn poll(
        &self,
        running: ResponseBody,
        request_id: &str,
        on_interrupt: OnInterrupt,
    ) -> Result<ResultSet, ClientError> {
        let handle = running
            .statement_handle
            .clone()
            .ok_or_else(|| ClientError::Protocol {
                detail: "a 202 answer without statementHandle".into(),
            })?;
        let url = format!("{}/api/v2/statements/{handle}", self.inner.base_url);
        let started = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(50);
        let mut interrupt = self.inner.interrupt.clone();
        loop {
            if on_interrupt == OnInterrupt::Cancel && interrupt.is_raised() {
                self.cancel(&handle).await;
                return Err(ClientError::Cancelled);
            }
            if started.elapsed() > self.inner.options.poll_timeout {
                if on_interrupt == OnInterrupt::Cancel {
                    self.cancel(&handle).await;
                }
                return Err(ClientError::Timeout {
                    seconds: self.inner.options.poll_timeout.as_secs(),
                    statement_handle: Some(handle),
                });
            }
            if on_interrupt == OnInterrupt::Cancel {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = interrupt.raised() => continue,
                }
            } else {
                tokio::time::sleep(delay).await;
            }
            delay = (delay * 2).min(Duration::from_secs(2));
            let sent = self.authorized(self.inner.http.get(&url))?.send().await;
            match self.classify(sent, &url, request_id).await? {
                Outcome::Done(r) => return self.collect(r).await,
                Outcome::Running(_) | Outcome::Retry { .. } => {}
            }
        }
    }

    /// Asks Snowflake to cancel a statement; failures are logged, not raised.
    async fn cancel(&self, handle: &str) {
        let url = format!("{}/api/v2/statements/{handle}/cancel", self.inner.base_url);
        if let Ok(req) = self.authorized(self.inner.http.post(&url)) {
            if let Err(e) = req.send().await {
                tracing::warn!(%handle, error = %e, "could not cancel the statement");
            }
        }
    }

    /// Turns a complete answer into a result set, fetching partitions after the first.
    async fn collect(&self, r: ResponseBody) -> Result<ResultSet, ClientError> {
        let meta = r
            .result_set_meta_data
            .ok_or_else(|| ClientError::Protocol {
                detail: "a 200 answer without resultSetMetaData".into(),
            })?;
        let mut rows = r.data.unwrap_or_default();
        let handle = r.statement_handle;
        if meta.partition_info.len() > 1 {
            let handle = handle.as_deref().ok_or_else(|| ClientError::Protocol {
                detail: "a partitioned result without statementHandle".into(),
            })?;
            for partition in 1..meta.partition_info.len() {
                rows.extend(self.partition(handle, partition).await?);
            }
        }
        Ok(ResultSet::new(
            meta.row_type.into_iter().map(|c| c.name).collect(),
            rows,
            handle,
        ))
    }

    async fn partition(
        &self,
        handle: &str,
        partition: usize,
    ) -> Result<Vec<Vec<Option<String>>>, ClientError> {
        let url = format!(
            "{}/api/v2/statements/{handle}?partition={partition}",
            self.inner.base_url
        );
        let mut last = String::new();
        for attempt in 0..self.inner.options.max_attempts {
            if attempt > 0 {
                tokio::time::sleep(self.backoff(attempt)).await;
            }
            let sent = self.authorized(self.inner.http.get(&url))?.send().await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    last = format!("transport: {e}");
                    continue;
                }
            };
            let status = resp.status();
            let text = match resp.text().await {
                Ok(t) => t,
                Err(e) => {
                    last = format!("reading the response: {e}");
                    continue;
                }
            };
            match status {
                StatusCode::OK => {
                    let body: PartitionBody = decode(&text, Answer::Partition(partition))?;
                    return Ok(body.data);
                }
                s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                    last = format!("HTTP {}", s.as_u16());
                }
                s => {
                    return Err(ClientError::Http {
                        status: s.as_u16(),
                        body: error_body(&text),
                    });
                }
            }
        }
        Err(ClientError::RetriesExhausted {
            attempts: self.inner.options.max_attempts,
            last,
            may_have_run: true,
        })
    }
}

/// Parses a response body. The error never quotes the body: an ADD answer holds a secret.
fn parse(text: &str) -> Result<ResponseBody, ClientError> {
    decode(text, Answer::Statement)
}

/// Field names of the SQL API's answers, the only map keys an error path may show.
const KNOWN_FIELDS: &[&str] = &[
    "code",
    "sqlState",
    "message",
    "statementHandle",
    "resultSetMetaData",
    "data",
    "rowType",
    "partitionInfo",
    "name",
];

/// Decodes a body as `T`; an error names the answer, the path (known field names and indices
/// only) and the kind of mistake, never a value: serde's own message quotes what it refused.
fn decode<T: serde::de::DeserializeOwned>(text: &str, answer: Answer) -> Result<T, ClientError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e
            .path()
            .iter()
            .map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => format!("[{index}]"),
                serde_path_to_error::Segment::Map { key }
                    if KNOWN_FIELDS.contains(&key.as_str()) =>
                {
                    format!(".{key}")
                }
                _ => ".?".to_owned(),
            })
            .collect::<String>();
        let inner = e.inner();
        let problem = match inner.classify() {
            serde_json::error::Category::Eof => Malformed::Truncated,
            serde_json::error::Category::Data => Malformed::WrongShape,
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                Malformed::NotJson
            }
        };
        ClientError::MalformedResponse {
            answer,
            path: match path.strip_prefix('.') {
                Some(p) => p.to_owned(),
                None if path.is_empty() => ".".to_owned(),
                None => path,
            },
            problem,
            line: inner.line(),
            column: inner.column(),
        }
    })
}

/// What an error answer says, for [`ClientError::Http`]: Snowflake's code and message when the
/// body is the SQL API's error JSON, else nothing of the body (it is not ours to echo).
fn error_body(text: &str) -> String {
    match serde_json::from_str::<ResponseBody>(text) {
        Ok(r) if r.code.is_some() || r.message.is_some() => {
            let message: String = r.message.unwrap_or_default().chars().take(500).collect();
            match r.code {
                Some(code) => format!("{code} {message}"),
                None => message,
            }
        }
        _ => format!("a body of {} bytes that is not a SQL API error", text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Split so that secret scanners do not mistake the test value for a leaked token.
    const SECRET: &str = concat!("ver:1-hint:42", "-c2VjcmV0IHRoYXQgYXV0aGVudGljYXRlcw");

    #[test]
    fn a_body_that_does_not_decode_is_described_never_quoted() {
        let cases = [
            (
                format!(
                    r#"{{"resultSetMetaData": {{"rowType": [{{"name": "token_secret"}}]}}, "data": "{SECRET}"}}"#
                ),
                "data",
                Malformed::WrongShape,
            ),
            (
                format!(r#"{{"data": [["a", {{"s": "{SECRET}"}}]]}}"#),
                "data[0][1]",
                Malformed::WrongShape,
            ),
            (
                format!(r#"{{"statementHandle": ["{SECRET}"]}}"#),
                "statementHandle",
                Malformed::WrongShape,
            ),
            (
                format!(r#"{{"data": [["{SECRET}"]"#),
                "data",
                Malformed::Truncated,
            ),
            (format!(r#"{{"{SECRET}": x}}"#), "?", Malformed::NotJson),
            (format!("{SECRET} is not JSON"), ".", Malformed::NotJson),
        ];
        for (body, want_path, want_problem) in cases {
            let err = parse(&body).map(|_| ()).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("c2VjcmV0"), "{body}: {shown}");
            assert!(!shown.contains("ver:1"), "{body}: {shown}");
            let ClientError::MalformedResponse { path, problem, .. } = &err else {
                panic!("{body}: {shown}");
            };
            assert_eq!(
                (path.as_str(), *problem),
                (want_path, want_problem),
                "{shown}"
            );
        }
        let err = decode::<PartitionBody>(
            &format!(r#"{{"data": [[1]], "x": "{SECRET}"}}"#),
            Answer::Partition(3),
        )
        .map(|_| ())
        .unwrap_err();
        assert!(err.to_string().contains("partition 3"), "{err}");
        assert!(!err.to_string().contains("ver:1"), "{err}");
    }

    #[test]
    fn an_error_answer_shows_snowflakes_message_never_another_body() {
        assert_eq!(
            error_body(r#"{"code": "390400", "message": "bad request"}"#),
            "390400 bad request"
        );
        let other = error_body(&format!("<html>{SECRET}</html>"));
        assert!(!other.contains("ver:1"), "{other}");
        assert!(other.contains("not a SQL API error"), "{other}");
    }
}

//! The HTTP face of the sandbox (axum): the three SQL API v2 endpoints, with Snowflake's status
//! codes, headers and bodies (reference `sql-api.md` §1–5), plus the test-control routes of
//! `control`. Unknown paths are 404 and wrong methods 405, both with empty bodies.
//!
//! `POST /api/v2/statements`, in order: `Content-Type` other than JSON → 415; no `User-Agent`,
//! a bad query parameter or body → 400 `390142`; credentials → 401; an injected fault (429
//! `390505`, 503, dropped connection; see `faults` for rules aimed at a statement's text), drawn
//! only once the request authenticated, so that an unauthenticated request never consumes one;
//! `retry=true` with a known `requestId` → the stored statement, never executed again; the
//! session's role → 422 `390189`; then the statement runs and the request waits for it up to the
//! async threshold (200 / 422 / 408 on timeout), answering 202 `333334` when it takes longer, when
//! `async=true`, or for a slow fault. A `delay` fault only makes the statement run later; an
//! `internal_error` fault makes it end, after its latency, with 422 `000603` and no effect.
//!
//! Not modelled: `bindings` (a `?` placeholder is a syntax error), output-format `parameters`
//! (data always uses the default encodings). The body's `role` and `warehouse` are compared with
//! the stored names case-sensitively (`"role": "sysadmin"` is not SYSADMIN: 390189). The 415 body is `{"message"}` only
//! (Snowflake documents no code for it).
//!
//! Test control: the client address is the TCP peer unless the request carries
//! `X-Sandbox-Client-Ip: <ip>` (the sandbox is no security boundary; tests need addresses that a
//! realistic network policy admits).

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::sandbox::auth::Credentials;
use crate::sandbox::connection::Connection;
use crate::sandbox::control;
use crate::sandbox::engine::{
    Engine, Fetch, LogOutcome, SessionRequest, StatementRecord, Status, Submission,
};
use crate::sandbox::error::StatementError;
use crate::sandbox::faults::Fault;
use crate::sandbox::wire::{self, Reply, json};

/// Header naming the client address a request claims (test control).
pub const CLIENT_IP_HEADER: &str = "x-sandbox-client-ip";
const TOKEN_TYPE_HEADER: &str = "x-snowflake-authorization-token-type";
const INVALID_PAYLOAD: &str = "390142";

/// The router for an engine.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/api/v2/statements", post(submit))
        .route("/api/v2/statements/{handle}", get(status))
        .route("/api/v2/statements/{handle}/cancel", post(cancel))
        .merge(control::router())
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn(handling))
        .with_state(engine)
}

/// axum's default request body limit, which the `Bytes` extractors apply too.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Reads the whole body, then holds the connection's idle timeout off while the request is
/// handled. The body is read first so that the idle timeout still applies to it: a client that
/// stalls mid-body is dropped like one that stalls mid-header.
async fn handling(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let connection = request
        .extensions()
        .get::<ConnectInfo<Connection>>()
        .map(|ConnectInfo(connection)| connection.clone());
    let declared = header_text(request.headers(), header::CONTENT_LENGTH.as_str())
        .and_then(|length| length.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return bad_request("Incoming request does not contain a valid payload.").into_response();
    };
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
    let _handling = connection.as_ref().map(Connection::handling);
    next.run(request).await
}

fn bad_request(message: impl Into<String>) -> Reply {
    Reply::new(
        StatusCode::BAD_REQUEST,
        wire::error(INVALID_PAYLOAD, message),
    )
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn client_address(headers: &HeaderMap, connection: &Connection) -> Result<IpAddr, Reply> {
    match header_text(headers, CLIENT_IP_HEADER) {
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| bad_request(format!("Invalid {CLIENT_IP_HEADER} header '{text}'."))),
        None => Ok(connection.peer.ip()),
    }
}

/// Authenticates a request: the session's login, or the 401 response.
fn login(
    engine: &Engine,
    headers: &HeaderMap,
    address: IpAddr,
) -> Result<crate::sandbox::auth::Login, Reply> {
    engine
        .login(Credentials {
            authorization: header_text(headers, header::AUTHORIZATION.as_str()),
            token_type: header_text(headers, TOKEN_TYPE_HEADER),
            client_address: address,
        })
        .map_err(|error| {
            Reply::new(
                StatusCode::UNAUTHORIZED,
                wire::error(error.code(), error.to_string()),
            )
        })
}

fn flag(params: &[(String, String)], name: &str) -> Result<bool, Reply> {
    match params.iter().rev().find(|(key, _)| key == name) {
        None => Ok(false),
        Some((_, value)) if value.eq_ignore_ascii_case("true") => Ok(true),
        Some((_, value)) if value.eq_ignore_ascii_case("false") => Ok(false),
        Some((_, value)) => Err(bad_request(format!(
            "Invalid value '{value}' for query parameter '{name}'."
        ))),
    }
}

fn parameter<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[derive(Debug, Deserialize)]
struct StatementBody {
    statement: Option<String>,
    timeout: Option<u64>,
    database: Option<String>,
    schema: Option<String>,
    role: Option<String>,
    warehouse: Option<String>,
    parameters: Option<serde_json::Map<String, Value>>,
}

/// `MULTI_STATEMENT_COUNT`, as a number or a string, under any key case.
fn multi_statement_count(body: &StatementBody) -> Result<Option<u64>, Reply> {
    let Some(parameters) = &body.parameters else {
        return Ok(None);
    };
    let Some((_, value)) = parameters
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("multi_statement_count"))
    else {
        return Ok(None);
    };
    let count = match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    count
        .map(Some)
        .ok_or_else(|| bad_request("MULTI_STATEMENT_COUNT must be a non-negative integer."))
}

/// The response for a finished statement. `post` selects 408 for a timeout (POST only).
fn finished(engine: &Engine, record: &StatementRecord, status: &Status, post: bool) -> Response {
    let Status::Done(outcome) = status else {
        return json(StatusCode::ACCEPTED, &wire::in_progress(record));
    };
    match outcome.as_ref() {
        Ok(success) => {
            let rows = engine.config().partition_rows;
            let body = wire::result_set(record, &success.result, success.children.as_deref(), rows);
            let mut response = json(StatusCode::OK, &body);
            let last = wire::partition_count(&success.result, rows) - 1;
            let url = wire::status_url(&record.handle);
            let mut links = vec![format!("<{url}?partition=0>; rel=\"first\"")];
            if last > 0 {
                links.push(format!("<{url}?partition=1>; rel=\"next\""));
            }
            links.push(format!("<{url}?partition={last}>; rel=\"last\""));
            if let Ok(value) = HeaderValue::from_str(&links.join(",")) {
                response.headers_mut().insert(header::LINK, value);
            }
            response
        }
        Err(error @ StatementError::TimedOut { .. }) if post => {
            json(StatusCode::REQUEST_TIMEOUT, &wire::failure(record, error))
        }
        Err(error) => json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &wire::failure(record, error),
        ),
    }
}

/// Waits as a POST does: up to the async threshold, or not at all for async / slow requests.
async fn answer(engine: &Engine, record: &StatementRecord, wait: bool) -> Response {
    let status = if wait {
        record.wait(Some(engine.config().async_threshold)).await
    } else {
        record.status()
    };
    finished(engine, record, &status, true)
}

async fn submit(
    State(engine): State<Arc<Engine>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match submit_statement(&engine, &connection, &params, &headers, &body).await {
        Ok(response) => response,
        Err(reply) => reply.into_response(),
    }
}

async fn submit_statement(
    engine: &Arc<Engine>,
    connection: &Connection,
    params: &[(String, String)],
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Reply> {
    if let Some(content_type) = header_text(headers, header::CONTENT_TYPE.as_str()) {
        let media = content_type.split(';').next().unwrap_or_default().trim();
        if !media.eq_ignore_ascii_case("application/json") {
            return Err(Reply::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                serde_json::json!({
                    "message": format!("Unsupported Content-Type '{content_type}'. The SQL API accepts application/json only.")
                }),
            ));
        }
    }
    if header_text(headers, header::USER_AGENT.as_str()).is_none_or(str::is_empty) {
        return Err(bad_request(
            "Incoming request does not contain a valid payload. (The User-Agent header is required.)",
        ));
    }
    let asynchronous = flag(params, "async")?;
    let retry = flag(params, "retry")?;
    let nullable = !params.iter().any(|(key, _)| key == "nullable") || flag(params, "nullable")?;
    let request_id = match parameter(params, "requestId") {
        Some(text) => Some(
            Uuid::parse_str(text)
                .map_err(|_| bad_request(format!("Invalid requestId '{text}': not a UUID.")))?
                .to_string(),
        ),
        None => None,
    };
    let body: StatementBody = serde_json::from_slice(body)
        .map_err(|_| bad_request("Incoming request does not contain a valid payload."))?;
    let Some(statement) = body.statement.clone() else {
        return Err(bad_request(
            "Incoming request does not contain a valid payload.",
        ));
    };
    let multi_statement_count = multi_statement_count(&body)?;
    let address = client_address(headers, connection)?;
    let login = login(engine, headers, address)?;
    // Drawn only now: a request that fails validation or authentication never uses up a fault
    // meant for the client under test.
    let injected = engine.next_fault(&statement);
    let fault = injected.as_ref().map(|injected| injected.fault);
    match fault {
        Some(Fault::TooManyRequests) => {
            return Ok(json(
                StatusCode::TOO_MANY_REQUESTS,
                &wire::error("390505", "Too many requests."),
            ));
        }
        Some(Fault::Unavailable) => return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response()),
        Some(Fault::DropBeforeExecute) => {
            connection.kill();
            return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response());
        }
        _ => {}
    }

    let retried = match (&request_id, retry) {
        (Some(request_id), true) => engine.retried(&login.user, request_id),
        _ => None,
    };
    let record = match retried {
        Some(record) => record,
        None => {
            let request = SessionRequest {
                role: body.role.clone(),
                warehouse: body.warehouse.clone(),
                database: body.database.clone(),
                schema: body.schema.clone(),
            };
            match engine.open_session(&login, &request, address) {
                Ok(session) => engine.submit(
                    session,
                    Submission {
                        statement,
                        timeout: body.timeout,
                        multi_statement_count,
                        request_id,
                        nullable,
                        hold: injected
                            .as_ref()
                            .map_or(Duration::ZERO, |injected| injected.hold),
                        refusal: injected.and_then(|injected| injected.refusal),
                    },
                ),
                Err(error) => engine.refuse(login.user.clone(), request_id, error),
            }
        }
    };
    if fault == Some(Fault::DropAfterExecute) {
        record.wait(None).await;
        connection.kill();
        return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response());
    }
    let wait = !asynchronous && fault != Some(Fault::Slow);
    Ok(answer(engine, &record, wait).await)
}

/// The caller's statement with this handle; 400 for a handle that is not a UUID, 422 `000709`
/// for one the caller cannot see.
fn own_statement(
    engine: &Engine,
    handle: &str,
    user: &crate::sandbox::name::Name,
) -> Result<Arc<StatementRecord>, Reply> {
    let uuid = Uuid::parse_str(handle)
        .map_err(|_| bad_request(format!("Statement handle '{handle}' is not a valid UUID.")))?;
    engine
        .statement(&uuid)
        .filter(|record| &record.user == user)
        .ok_or_else(|| {
            Reply::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                wire::unknown_statement(handle),
            )
        })
}

fn gzip(body: &Value) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body.to_string().as_bytes()).ok()?;
    encoder.finish().ok()
}

async fn status(
    State(engine): State<Arc<Engine>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(handle): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let address = client_address(&headers, &connection)?;
        let login = login(&engine, &headers, address)?;
        let record = own_statement(&engine, &handle, &login.user)?;
        let partition = match parameter(&params, "partition") {
            Some(text) => text
                .parse::<usize>()
                .map_err(|_| bad_request(format!("Invalid partition '{text}'.")))?,
            None => 0,
        };
        let fetch = match parameter(&params, "partition") {
            Some(_) => Fetch::Partition(partition),
            None => Fetch::Poll,
        };
        let rows = engine.config().partition_rows;
        let log = |outcome| engine.log_fetch(&record, address, fetch, outcome);
        let status = record.status();
        let Status::Done(outcome) = &status else {
            log(LogOutcome::Running);
            return Ok(json(StatusCode::ACCEPTED, &wire::in_progress(&record)));
        };
        let success = match outcome.as_ref() {
            Ok(success) if partition > 0 => success,
            Ok(success) => {
                log(LogOutcome::Succeeded {
                    rows: rows_in_partition(&success.result, 0, rows),
                });
                return Ok(finished(&engine, &record, &status, false));
            }
            Err(error) => {
                log(failed(error));
                return Ok(finished(&engine, &record, &status, false));
            }
        };
        let count = wire::partition_count(&success.result, rows);
        if partition >= count {
            let error = StatementError::PartitionOutOfRange {
                partition: partition as u64,
                count,
            };
            log(failed(&error));
            return Ok(json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &wire::failure(&record, &error),
            ));
        }
        log(LogOutcome::Succeeded {
            rows: rows_in_partition(&success.result, partition, rows),
        });
        let body = wire::partition(&record, &success.result, partition, rows);
        let accepts_gzip = header_text(&headers, header::ACCEPT_ENCODING.as_str())
            .is_some_and(|accepted| accepted.contains("gzip"));
        if accepts_gzip && let Some(compressed) = gzip(&body) {
            return Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                compressed,
            )
                .into_response());
        }
        Ok::<Response, Reply>(json(StatusCode::OK, &body))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(reply) => reply.into_response(),
    }
}

/// How many rows partition `partition` of `result` carries.
fn rows_in_partition(
    result: &crate::sandbox::ResultSet,
    partition: usize,
    rows_per_partition: usize,
) -> usize {
    let per = rows_per_partition.max(1);
    result
        .rows()
        .len()
        .saturating_sub(partition.saturating_mul(per))
        .min(per)
}

fn failed(error: &StatementError) -> LogOutcome {
    LogOutcome::Failed {
        code: error.code().to_owned(),
        message: error.to_string(),
    }
}

async fn cancel(
    State(engine): State<Arc<Engine>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = (|| {
        let address = client_address(&headers, &connection)?;
        let login = login(&engine, &headers, address)?;
        let record = own_statement(&engine, &handle, &login.user)?;
        Ok::<Response, Reply>(match engine.cancel(&record) {
            Ok(()) => json(
                StatusCode::OK,
                &wire::cancel_status(&record, &StatementError::Canceled),
            ),
            Err(error) => json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &wire::cancel_status(&record, &error),
            ),
        })
    })();
    match result {
        Ok(response) => response,
        Err(reply) => reply.into_response(),
    }
}

//! Test-control routes under `/sandbox/v1`, all requiring `Authorization: Bearer <admin token>`
//! (401 otherwise):
//!
//! - `GET /sandbox/v1/clock` → `{"now": RFC 3339, "now_epoch_ms": …, "offset_ms": …}`;
//!   `POST` with `{"advance_seconds": N}` (N may be negative) moves it and answers the same.
//! - `GET /sandbox/v1/faults` → the fault configuration, latency and pending queue;
//!   `POST` with any of `rate_429`, `rate_503`, `rate_drop`, `rate_slow` (0..=1), `slow_ms`,
//!   `latency_ms`, `seed`, and `next` (a list of `"429"`, `"503"`, `"drop_before_execute"`,
//!   `"drop_after_execute"`, `"slow"`, or `"none"` to let one through, that replaces the queue for the next submissions),
//!   and `account_usage_latency_ms` (how far the ACCOUNT_USAGE views lag the account).
//!   `rules` replaces the faults aimed at statements by their text (`[]` clears them), e.g.
//!   `{"rules": [{"sql_contains": "ADD PROGRAMMATIC ACCESS TOKEN \"T1\"", "fault":
//!   "internal_error", "times": 1}, {"sql_contains": "ADD PROGRAMMATIC", "fault": "delay",
//!   "delay_ms": 300}]}`: the first rule whose `sql_contains` occurs in a submitted statement
//!   (exact, case-sensitive) applies, before the queue and the rates; `fault` is any name of
//!   `next` plus `"delay"` (runs late, the request waits) and `"internal_error"` (422 `000603`,
//!   nothing executed); `times` (absent: every match) counts down and the rule goes at 0;
//!   `delay_ms` (for `slow`, `delay`; absent: `slow_ms`). The GET shows the rules left.
//!   Faults are drawn only by submissions that authenticated.
//! - `GET /sandbox/v1/log[?since=N]` → `{"entries": […]}`: every executed statement (time,
//!   handle, request id, user, role, sql, outcome), every poll of a running statement and fetch
//!   of a result partition (kinds `poll`, `partition`), and every refused login, oldest first.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::sandbox::auth::is_admin_token;
use crate::sandbox::engine::Engine;
use crate::sandbox::faults::{Fault, FaultConfig, FaultRule, validate_rules};
use crate::sandbox::wire::{Reply, json as json_response};

pub fn router() -> Router<Arc<Engine>> {
    Router::new()
        .route("/sandbox/v1/clock", get(clock).post(advance_clock))
        .route("/sandbox/v1/faults", get(faults).post(configure_faults))
        .route("/sandbox/v1/log", get(log))
}

fn authorized(engine: &Engine, headers: &HeaderMap) -> Result<(), Reply> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|given| {
            let (scheme, token) = given.trim().split_once(' ')?;
            (scheme == "Bearer").then(|| token.trim())
        });
    if given.is_some_and(|token| is_admin_token(token, &engine.config().admin)) {
        Ok(())
    } else {
        Err(Reply::new(
            StatusCode::UNAUTHORIZED,
            json!({ "message": "The sandbox test controls require the admin bearer token." }),
        ))
    }
}

fn bad_request(message: String) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({ "message": message }))
}

fn clock_body(engine: &Engine) -> Value {
    let now = engine.clock().now();
    json!({
        "now": now.to_rfc3339(),
        "now_epoch_ms": now.timestamp_millis(),
        "offset_ms": engine.clock().offset_ms(),
    })
}

async fn clock(State(engine): State<Arc<Engine>>, headers: HeaderMap) -> Response {
    match authorized(&engine, &headers) {
        Ok(()) => json_response(StatusCode::OK, &clock_body(&engine)),
        Err(reply) => reply.into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    advance_seconds: i64,
}

async fn advance_clock(
    State(engine): State<Arc<Engine>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(reply) = authorized(&engine, &headers) {
        return reply.into_response();
    }
    let advance: Advance = match serde_json::from_slice(&body) {
        Ok(advance) => advance,
        Err(error) => return bad_request(format!("expected {{\"advance_seconds\": N}}: {error}")),
    };
    engine.advance_clock(chrono::Duration::seconds(advance.advance_seconds));
    json_response(StatusCode::OK, &clock_body(&engine))
}

fn faults_body(engine: &Engine) -> Value {
    let (config, next) = engine.fault_config();
    json!({
        "rate_429": config.rate_429,
        "rate_503": config.rate_503,
        "rate_drop": config.rate_drop,
        "rate_slow": config.rate_slow,
        "slow_ms": config.slow_duration.as_millis() as u64,
        "seed": config.seed,
        "latency_ms": engine.latency().as_millis() as u64,
        "account_usage_latency_ms": engine.account_usage_latency().as_millis() as u64,
        "next": next,
        "rules": engine.fault_rules(),
    })
}

async fn faults(State(engine): State<Arc<Engine>>, headers: HeaderMap) -> Response {
    match authorized(&engine, &headers) {
        Ok(()) => json_response(StatusCode::OK, &faults_body(&engine)),
        Err(reply) => reply.into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultUpdate {
    rate_429: Option<f64>,
    rate_503: Option<f64>,
    rate_drop: Option<f64>,
    rate_slow: Option<f64>,
    slow_ms: Option<u64>,
    latency_ms: Option<u64>,
    account_usage_latency_ms: Option<u64>,
    seed: Option<u64>,
    next: Option<Vec<Fault>>,
    rules: Option<Vec<FaultRule>>,
}

async fn configure_faults(
    State(engine): State<Arc<Engine>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(reply) = authorized(&engine, &headers) {
        return reply.into_response();
    }
    let update: FaultUpdate = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(error) => return bad_request(format!("invalid fault update: {error}")),
    };
    let (current, _) = engine.fault_config();
    let config = FaultConfig {
        rate_429: update.rate_429.unwrap_or(current.rate_429),
        rate_503: update.rate_503.unwrap_or(current.rate_503),
        rate_drop: update.rate_drop.unwrap_or(current.rate_drop),
        rate_slow: update.rate_slow.unwrap_or(current.rate_slow),
        slow_duration: update
            .slow_ms
            .map_or(current.slow_duration, Duration::from_millis),
        seed: update.seed.or(current.seed),
    };
    let checked = config
        .validate()
        .and_then(|()| update.rules.as_deref().map_or(Ok(()), validate_rules));
    if let Err(error) = checked {
        return bad_request(error.to_string());
    }
    engine.configure_faults(config, update.next);
    if let Some(rules) = update.rules {
        engine.aim_faults(rules);
    }
    if let Some(latency) = update.latency_ms {
        engine.set_latency(Duration::from_millis(latency));
    }
    if let Some(latency) = update.account_usage_latency_ms {
        engine.set_account_usage_latency(Duration::from_millis(latency));
    }
    json_response(StatusCode::OK, &faults_body(&engine))
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    since: Option<u64>,
}

async fn log(
    State(engine): State<Arc<Engine>>,
    headers: HeaderMap,
    Query(query): Query<LogQuery>,
) -> Response {
    if let Err(reply) = authorized(&engine, &headers) {
        return reply.into_response();
    }
    let entries = engine.log_entries(query.since.unwrap_or(0));
    json_response(StatusCode::OK, &json!({ "entries": entries }))
}

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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use serde_json::{Value, json};

    use crate::sandbox::{SandboxConfig, SandboxThread};

    /// A sandbox and a client that speaks to it as the admin.
    struct Harness {
        sandbox: SandboxThread,
        runtime: tokio::runtime::Runtime,
        http: reqwest::Client,
    }

    impl Harness {
        fn new() -> Self {
            Self {
                sandbox: SandboxThread::spawn(SandboxConfig::default()).unwrap(),
                runtime: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap(),
                http: reqwest::Client::builder()
                    .user_agent("sandbox-control-tests/1")
                    .build()
                    .unwrap(),
            }
        }

        fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
            self.runtime.block_on(async {
                let response = request
                    .bearer_auth(self.sandbox.admin_token())
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            })
        }

        fn faults(&self, body: Value) -> (u16, Value) {
            let url = format!("{}/sandbox/v1/faults", self.sandbox.url());
            self.send(self.http.post(url).json(&body))
        }

        fn rules(&self) -> Value {
            let url = format!("{}/sandbox/v1/faults", self.sandbox.url());
            self.send(self.http.get(url)).1["rules"].clone()
        }

        fn statement(&self, sql: &str) -> (u16, Value) {
            let url = format!("{}/api/v2/statements", self.sandbox.url());
            self.send(self.http.post(url).json(&json!({ "statement": sql })))
        }

        fn roles_like(&self, name: &str) -> usize {
            self.sandbox
                .execute_as_admin(&format!("SHOW ROLES LIKE '{name}'"))
                .unwrap()
                .rows()
                .len()
        }
    }

    #[test]
    fn an_aimed_internal_error_refuses_only_that_statement_without_effect() {
        let harness = Harness::new();
        let (status, body) = harness.faults(json!({ "rules": [
            { "sql_contains": "ROLE R1", "fault": "internal_error", "times": 1 },
        ]}));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rules"][0]["times"], 1, "{body}");

        let (status, body) = harness.statement("CREATE ROLE R2");
        assert_eq!(status, 200, "another statement is not hit: {body}");
        let (status, body) = harness.statement("CREATE ROLE R1");
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            (&body["code"], &body["sqlState"]),
            (&json!("000603"), &json!("XX000"))
        );
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("SQL execution internal error:"),
            "{message}"
        );
        assert!(body["statementHandle"].is_string(), "{body}");
        assert_eq!(
            harness.roles_like("R1"),
            0,
            "a refused statement has no effect"
        );
        assert_eq!(harness.rules(), json!([]), "a rule used up is gone");

        let (status, body) = harness.statement("CREATE ROLE R1");
        assert_eq!(status, 200, "{body}");
        assert_eq!(harness.roles_like("R1"), 1);
        let log = harness.sandbox.statement_log();
        let refused = log
            .iter()
            .find(|e| e.sql.as_deref() == Some("CREATE ROLE R1"))
            .unwrap();
        assert!(
            matches!(&refused.outcome, crate::sandbox::LogOutcome::Failed { code, .. } if code == "000603"),
            "the log records the refusal: {refused:?}"
        );
    }

    #[test]
    fn an_aimed_delay_holds_the_request_then_answers_it() {
        let harness = Harness::new();
        harness.faults(json!({ "rules": [
            { "sql_contains": "SELECT 2", "fault": "delay", "delay_ms": 300 },
        ]}));
        let started = Instant::now();
        let (status, _) = harness.statement("SELECT 1");
        assert_eq!(status, 200);
        assert!(
            started.elapsed().as_millis() < 300,
            "{:?}",
            started.elapsed()
        );
        let started = Instant::now();
        let (status, body) = harness.statement("SELECT 2");
        assert_eq!(status, 200, "the request waits, no 202: {body}");
        assert!(
            started.elapsed().as_millis() >= 300,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            harness.rules()[0]["delay_ms"],
            300,
            "a rule without times stays"
        );
    }

    #[test]
    fn invalid_rules_are_refused_and_change_nothing() {
        let harness = Harness::new();
        harness.faults(json!({ "rules": [{ "sql_contains": "X", "fault": "503" }] }));
        for body in [
            json!({ "rules": [{ "sql_contains": "Y", "fault": "429", "times": 0 }] }),
            json!({ "rules": [{ "sql_contains": "Y", "fault": "explode" }] }),
            json!({ "rules": [{ "sql_contains": "Y", "fault": "429", "delay_ms": 5 }] }),
            json!({ "rules": [{ "sql_contains": "Y", "fault": "429" }], "rate_503": 2.0 }),
        ] {
            let (status, answer) = harness.faults(body.clone());
            assert_eq!(status, 400, "{body} -> {answer}");
        }
        assert_eq!(
            harness.rules(),
            json!([{ "sql_contains": "X", "fault": "503" }])
        );
        let (status, _) = harness.faults(json!({ "rules": [] }));
        assert_eq!(status, 200);
        assert_eq!(harness.rules(), json!([]));
    }
}

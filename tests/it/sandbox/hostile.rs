//! The sandbox as a server facing hostile input (issue 14): LIKE patterns built to overflow the
//! stack or backtrack for ever, clients that stall mid-header, unauthenticated requests that
//! would use up injected faults, and a listen address beyond loopback.

use std::time::{Duration, Instant};

use pat_reconcile::sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::{Harness, USER_AGENT};

/// One statement as the admin on a connection of its own (no pooled connection that the idle
/// timeout may have closed); returns the HTTP status.
async fn fresh_statement(harness: &Harness, sql: &str) -> u16 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    client
        .post(format!("{}/api/v2/statements", harness.sandbox.url()))
        .bearer_auth(harness.sandbox.admin_token())
        .header("User-Agent", USER_AGENT)
        .json(&json!({ "statement": sql }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn hostile_like_patterns_answer_correctly_and_the_server_keeps_serving() {
    let harness = Harness::start();
    let long = "A".repeat(250);
    harness.seed(&format!("CREATE USER {long}; CREATE USER thermal_user"));
    let started = Instant::now();

    let every = harness
        .admin(&format!("SHOW USERS LIKE '{}'", "%".repeat(50_000)))
        .await;
    assert_eq!(
        every.column("name"),
        [
            Some(long.clone()),
            Some("ADMIN".to_owned()),
            Some("THERMAL_USER".to_owned())
        ]
    );
    let backtracking = harness
        .admin(&format!("SHOW USERS LIKE '{}%b'", "%a".repeat(10)))
        .await;
    assert!(
        backtracking.column("name").is_empty(),
        "{:#}",
        backtracking.body
    );
    let matching = harness
        .admin(&format!("SHOW USERS LIKE '{}%'", "%a".repeat(10)))
        .await;
    assert_eq!(matching.column("name"), [Some(long)]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "hostile patterns took {:?}",
        started.elapsed()
    );
    let after = harness.admin("SELECT CURRENT_USER()").await;
    assert_eq!(after.column("CURRENT_USER()"), [Some("ADMIN".to_owned())]);
}

#[tokio::test]
async fn a_client_stalled_mid_header_is_dropped_without_stalling_others() {
    let harness = Harness::with(SandboxConfig {
        idle_timeout: Duration::from_secs(1),
        ..SandboxConfig::default()
    });
    let address = harness
        .sandbox
        .url()
        .trim_start_matches("http://")
        .to_owned();
    let mut stalled = tokio::net::TcpStream::connect(&address).await.unwrap();
    stalled
        .write_all(b"POST /api/v2/statements HTTP/1.1\r\nHost: sandbox\r\nContent-Ty")
        .await
        .unwrap();
    assert_eq!(
        fresh_statement(&harness, "SELECT CURRENT_USER()").await,
        200
    );
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(30), stalled.read_to_end(&mut answer))
        .await
        .is_ok();
    assert!(closed, "the stalled connection was still open after 30 s");
    assert_eq!(
        fresh_statement(&harness, "SELECT CURRENT_USER()").await,
        200
    );
}

#[tokio::test]
async fn a_statement_running_longer_than_the_idle_timeout_still_answers() {
    let harness = Harness::with(SandboxConfig {
        idle_timeout: Duration::from_secs(1),
        latency: Duration::from_millis(2500),
        ..SandboxConfig::default()
    });
    assert_eq!(
        fresh_statement(&harness, "SELECT CURRENT_USER()").await,
        200
    );
}

#[tokio::test]
async fn an_unauthenticated_request_never_consumes_a_fault() {
    let harness = Harness::start();
    let scheduled = harness
        .control(
            Method::POST,
            "/sandbox/v1/faults",
            Some(json!({ "next": ["429"] })),
        )
        .send()
        .await;
    assert_eq!(scheduled.status, 200, "{:#}", scheduled.body);
    harness
        .statement("SELECT 1")
        .no_token()
        .send()
        .await
        .refused_with("390303");
    harness
        .statement("SELECT 1")
        .token("not-the-admin-token")
        .send()
        .await
        .refused_with("390303");
    let unknown_pat = format!("ver:1-hint:1234567890-{}", "x".repeat(64));
    harness
        .statement("SELECT 1")
        .token(&unknown_pat)
        .send()
        .await
        .refused_with("394400");
    let still = harness
        .control(Method::GET, "/sandbox/v1/faults", None)
        .send()
        .await;
    assert_eq!(still.body["next"], json!(["429"]), "{:#}", still.body);
    let hit = harness.statement("SELECT 1").send().await;
    assert_eq!((hit.status, hit.code()), (429, "390505"));
    harness.admin("SELECT 1").await;
}

#[tokio::test]
async fn a_client_stalled_mid_body_is_dropped_too() {
    let harness = Harness::with(SandboxConfig {
        idle_timeout: Duration::from_secs(1),
        ..SandboxConfig::default()
    });
    let address = harness
        .sandbox
        .url()
        .trim_start_matches("http://")
        .to_owned();
    let mut stalled = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v2/statements HTTP/1.1\r\nHost: sandbox\r\nUser-Agent: {USER_AGENT}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"statem",
        harness.sandbox.admin_token()
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    assert_eq!(
        fresh_statement(&harness, "SELECT CURRENT_USER()").await,
        200
    );
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(30), stalled.read_to_end(&mut answer))
        .await
        .is_ok();
    assert!(closed, "the stalled connection was still open after 30 s");
    assert_eq!(
        fresh_statement(&harness, "SELECT CURRENT_USER()").await,
        200
    );
}

//! The sandbox's test controls over HTTP (clock, faults, log), persistence with `--state`, and the
//! `pat-reconcile sandbox` command itself.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use pat_reconcile::sandbox::{FaultConfig, SandboxConfig};
use reqwest::Method;
use serde_json::json;

use super::support::Harness;

#[tokio::test]
async fn controls_require_the_admin_token() {
    let harness = Harness::start();
    for path in ["/sandbox/v1/clock", "/sandbox/v1/faults", "/sandbox/v1/log"] {
        let reply = harness
            .control(Method::GET, path, None)
            .token("not-the-admin")
            .send()
            .await;
        assert_eq!(reply.status, 401, "{path}");
        let reply = harness
            .control(Method::GET, path, None)
            .no_token()
            .send()
            .await;
        assert_eq!(reply.status, 401, "{path}");
    }
}

#[tokio::test]
async fn the_clock_moves_token_expiry() {
    let harness = Harness::start();
    harness.seed("CREATE USER person; ALTER USER person ADD PAT t DAYS_TO_EXPIRY = 1");
    let before = harness
        .control(Method::GET, "/sandbox/v1/clock", None)
        .send()
        .await;
    assert_eq!(before.status, 200);
    let moved = harness
        .control(
            Method::POST,
            "/sandbox/v1/clock",
            Some(json!({ "advance_seconds": 2 * 86_400 })),
        )
        .send()
        .await;
    assert_eq!(moved.status, 200, "{:#}", moved.body);
    let offset = moved.body["offset_ms"].as_i64().unwrap();
    assert!(offset >= 2 * 86_400 * 1000);
    assert!(
        moved.body["now_epoch_ms"].as_i64().unwrap()
            >= before.body["now_epoch_ms"].as_i64().unwrap() + 2 * 86_400 * 1000
    );
    chrono::DateTime::parse_from_rfc3339(moved.body["now"].as_str().unwrap()).unwrap();
    let tokens = harness.admin("SHOW USER PATS FOR USER person").await;
    assert_eq!(tokens.column("status"), [Some("EXPIRED".to_owned())]);
    let bad = harness
        .control(
            Method::POST,
            "/sandbox/v1/clock",
            Some(json!({ "advance": 1 })),
        )
        .send()
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn scheduled_faults_hit_the_next_requests_exactly() {
    let harness = Harness::start();
    harness.seed("CREATE USER person");
    let scheduled = harness
        .control(
            Method::POST,
            "/sandbox/v1/faults",
            Some(json!({
                "next": ["429", "503", "drop_before_execute", "drop_after_execute", "slow"],
                "slow_ms": 50
            })),
        )
        .send()
        .await;
    assert_eq!(scheduled.status, 200, "{:#}", scheduled.body);
    assert_eq!(scheduled.body["next"].as_array().unwrap().len(), 5);

    let limited = harness
        .statement("ALTER USER person ADD PAT a")
        .send()
        .await;
    assert_eq!((limited.status, limited.code()), (429, "390505"));
    let unavailable = harness
        .statement("ALTER USER person ADD PAT b")
        .send()
        .await;
    assert_eq!(unavailable.status, 503);

    let dropped = harness
        .statement("ALTER USER person ADD PAT c")
        .send_unchecked()
        .await;
    assert!(dropped.is_err(), "the connection should drop: {dropped:?}");

    let request_id = uuid::Uuid::new_v4().to_string();
    let dropped_after = harness
        .statement("ALTER USER person ADD PAT d")
        .query("requestId", &request_id)
        .send_unchecked()
        .await;
    assert!(
        dropped_after.is_err(),
        "the connection should drop: {dropped_after:?}"
    );

    let slow = harness
        .statement("ALTER USER person ADD PAT e")
        .send()
        .await;
    assert_eq!((slow.status, slow.code()), (202, "333334"));
    harness.wait_done(&slow.handle()).await.ok();

    // The retry of the statement whose connection dropped after it ran gets its stored result.
    let retried = harness
        .statement("ALTER USER person ADD PAT d")
        .query("requestId", &request_id)
        .query("retry", "true")
        .send()
        .await
        .ok();
    assert!(retried.column("token_secret")[0].is_some());

    let executed = harness.executed_sql();
    assert_eq!(
        executed,
        [
            "CREATE USER person",
            "ALTER USER person ADD PAT d",
            "ALTER USER person ADD PAT e"
        ],
        "faulted requests before execution never ran; nothing ran twice"
    );
    let tokens = harness.admin("SHOW USER PATS FOR USER person").await;
    assert_eq!(
        tokens.column("name"),
        [Some("D".to_owned()), Some("E".to_owned())]
    );
}

#[tokio::test]
async fn fault_rates_are_seeded_and_adjustable_at_runtime() {
    let harness = Harness::with(SandboxConfig {
        faults: FaultConfig {
            rate_429: 1.0,
            seed: Some(1),
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    });
    let limited = harness.statement("SELECT 1").send().await;
    assert_eq!(limited.status, 429);
    let invalid = harness
        .control(
            Method::POST,
            "/sandbox/v1/faults",
            Some(json!({ "rate_503": 2.0 })),
        )
        .send()
        .await;
    assert_eq!(invalid.status, 400);
    let cleared = harness
        .control(
            Method::POST,
            "/sandbox/v1/faults",
            Some(json!({ "rate_429": 0.0, "latency_ms": 5 })),
        )
        .send()
        .await;
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.body["latency_ms"], 5);
    harness.statement("SELECT 1").send().await.ok();
    let current = harness
        .control(Method::GET, "/sandbox/v1/faults", None)
        .send()
        .await;
    assert_eq!(current.body["rate_429"], 0.0);
    assert_eq!(current.body["seed"], 1);
}

#[tokio::test]
async fn the_log_lists_every_executed_statement() {
    let harness = Harness::start();
    let request_id = uuid::Uuid::new_v4().to_string();
    harness
        .statement("CREATE USER logged")
        .query("requestId", &request_id)
        .client_ip("192.0.2.7")
        .send()
        .await
        .ok();
    harness
        .statement("CREATE USER logged")
        .send()
        .await
        .fails_with("002002");
    let log = harness
        .control(Method::GET, "/sandbox/v1/log", None)
        .send()
        .await;
    assert_eq!(log.status, 200);
    let entries = log.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let first = &entries[0];
    assert_eq!(first["kind"], "statement");
    assert_eq!(first["request_id"], json!(request_id));
    assert_eq!(first["user"], "ADMIN");
    assert_eq!(first["role"], "ACCOUNTADMIN");
    assert_eq!(first["sql"], "CREATE USER logged");
    assert_eq!(first["client_address"], "192.0.2.7");
    assert_eq!(first["outcome"]["status"], "succeeded");
    chrono::DateTime::parse_from_rfc3339(first["time"].as_str().unwrap()).unwrap();
    assert_eq!(entries[1]["outcome"]["status"], "failed");
    assert_eq!(entries[1]["outcome"]["code"], "002002");
    let since = harness
        .control(Method::GET, "/sandbox/v1/log?since=1", None)
        .send()
        .await;
    assert_eq!(since.body["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn state_survives_a_restart_without_holding_secrets() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("sandbox.json");
    let config = SandboxConfig {
        state_file: Some(path.clone()),
        admin_token: Some("fixed-admin".to_owned()),
        ..SandboxConfig::default()
    };
    let secret = {
        let harness = Harness::with(config.clone());
        harness.seed(
            "CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('203.0.113.0/24');
             CREATE USER kept NETWORK_POLICY = NP",
        );
        let secret = harness.add_token("ALTER USER kept ADD PAT survivor").await;
        harness.sandbox.advance_clock(chrono::Duration::days(3));
        secret
    };
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains(&secret), "the state file holds a secret");
    assert!(saved.contains("SURVIVOR"));
    let leftovers: Vec<_> = std::fs::read_dir(directory.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");

    let harness = Harness::with(config);
    let tokens = harness.admin("SHOW USER PATS FOR USER kept").await;
    assert_eq!(tokens.column("name"), [Some("SURVIVOR".to_owned())]);
    let clock = harness
        .control(Method::GET, "/sandbox/v1/clock", None)
        .send()
        .await;
    assert!(clock.body["offset_ms"].as_i64().unwrap() >= 3 * 86_400 * 1000);
    harness
        .statement("SELECT CURRENT_USER()")
        .token(&secret)
        .client_ip("203.0.113.1")
        .send()
        .await
        .ok();
}

/// Reads the ready line of a `pat-reconcile sandbox` child.
fn ready_line(child: &mut std::process::Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    line
}

#[tokio::test]
async fn the_command_prints_its_address_when_ready() {
    let binary = env!("CARGO_BIN_EXE_pat-reconcile");
    let mut child = Command::new(binary)
        .args(["sandbox", "--listen", "127.0.0.1:0", "--latency-ms", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = ready_line(&mut child);
    let rest = line
        .trim()
        .strip_prefix("sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected ready line {line:?}"));
    let (url, details) = rest.split_once(" (account SANDBOX, admin token ").unwrap();
    let token = details.strip_suffix(')').unwrap();
    let response = reqwest::Client::new()
        .post(format!("{url}/api/v2/statements"))
        .bearer_auth(token)
        .header("User-Agent", super::support::USER_AGENT)
        .json(&json!({ "statement": "SELECT CURRENT_USER()" }))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    child.kill().unwrap();
    child.wait().unwrap();

    let mut given = Command::new(binary)
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--admin-token",
            "given-token",
            "--account",
            "myorg-acct",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = ready_line(&mut given);
    assert!(
        line.trim().ends_with("(account MYORG-ACCT)"),
        "a given token is not printed: {line:?}"
    );
    given.kill().unwrap();
    given.wait().unwrap();
}

#[tokio::test]
async fn the_command_reports_a_bad_listen_address() {
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = blocker.local_addr().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_pat-reconcile"))
        .args(["sandbox", "--listen", &address])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("failed to listen on {address}")),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_runs_on_the_callers_runtime_until_shut_down() {
    let sandbox = pat_reconcile::sandbox::Sandbox::start(SandboxConfig {
        account: "myorg-myaccount".to_owned(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(sandbox.account(), "MYORG-MYACCOUNT");
    assert!(sandbox.admin_token_generated());
    let result = sandbox
        .execute_as_admin("SELECT CURRENT_ACCOUNT(), CURRENT_USER()")
        .await
        .unwrap();
    assert_eq!(
        result.value(0, "CURRENT_ACCOUNT()"),
        Some("MYORG-MYACCOUNT")
    );
    let url = sandbox.url();
    let response = reqwest::Client::new()
        .post(format!("{url}/api/v2/statements"))
        .bearer_auth(sandbox.admin_token())
        .header("User-Agent", super::support::USER_AGENT)
        .json(&json!({ "statement": "SELECT CURRENT_USER()" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    sandbox.shutdown().await;
    let after = reqwest::Client::new()
        .post(format!("{url}/api/v2/statements"))
        .send()
        .await;
    assert!(after.is_err(), "the server still answers after shutdown");
}

#[tokio::test]
async fn the_command_warns_when_listening_beyond_loopback() {
    let binary = env!("CARGO_BIN_EXE_pat-reconcile");
    for (listen, warned) in [("0.0.0.0:0", true), ("127.0.0.1:0", false)] {
        let mut child = Command::new(binary)
            .args([
                "sandbox",
                "--listen",
                listen,
                "--admin-token",
                "given-token",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let line = ready_line(&mut child);
        assert!(line.starts_with("sandbox listening on "), "{line:?}");
        child.kill().unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            stderr.contains("warning: the sandbox listens on `0.0.0.0:"),
            warned,
            "{listen}: {stderr}"
        );
        if warned {
            assert!(stderr.contains("beyond loopback"), "{stderr}");
            assert!(!stderr.contains("given-token"), "{stderr}");
        }
    }
}

/// `statement_time` is paid once per statement of a request: a batch of three statements takes
/// at least three times as long as one statement, so batching saves round trips, never execution.
#[tokio::test]
async fn statement_time_is_summed_over_the_statements_of_one_request() {
    let statement_time = Duration::from_millis(300);
    let harness = Harness::with(SandboxConfig {
        statement_time,
        ..SandboxConfig::default()
    });
    let started = std::time::Instant::now();
    harness.statement("CREATE USER single").send().await.ok();
    let single = started.elapsed();
    assert!(single >= statement_time, "one statement took {single:?}");
    assert!(single < statement_time * 3, "one statement took {single:?}");

    let started = std::time::Instant::now();
    harness
        .statement("CREATE USER b1; CREATE USER b2; CREATE USER b3")
        .field("parameters", json!({ "MULTI_STATEMENT_COUNT": 3 }))
        .send()
        .await
        .ok();
    let batch = started.elapsed();
    assert!(
        batch >= statement_time * 3,
        "three statements took {batch:?}"
    );
    let users = harness.admin("SHOW USERS LIKE 'B%'").await;
    assert_eq!(users.rows().len(), 3);
}

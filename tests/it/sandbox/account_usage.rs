//! SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS and LOGIN_HISTORY over HTTP: who may read them, the
//! warehouse they need, their latency on the sandbox clock, deleted tokens, and the PAT logins
//! they count — with the two statements pat-reconcile sends.

use std::time::Duration;

use pat_reconcile::sandbox::SandboxConfig;
use serde_json::json;

use super::support::{Harness, Reply};

const CREDENTIALS: &str = "SELECT CREDENTIAL_ID, USER_NAME, NAME, STATUS, CREATED_ON, LAST_USED_ON, EXPIRATION_DATE FROM SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS WHERE TYPE = 'PAT'";
const LOGINS: &str = "SELECT FIRST_AUTHENTICATION_FACTOR_ID, COUNT(*) AS LOGINS, MAX(EVENT_TIMESTAMP) AS LAST_LOGIN FROM SNOWFLAKE.ACCOUNT_USAGE.LOGIN_HISTORY WHERE FIRST_AUTHENTICATION_FACTOR = 'PROGRAMMATIC_ACCESS_TOKEN' AND IS_SUCCESS = 'YES' GROUP BY FIRST_AUTHENTICATION_FACTOR_ID";

const GATEWAYS: &str = "203.0.113.0/24";
const INSIDE: &str = "203.0.113.40";
const OUTSIDE: &str = "198.51.100.1";

fn without_latency() -> Harness {
    Harness::with(SandboxConfig {
        account_usage_latency: Duration::ZERO,
        ..SandboxConfig::default()
    })
}

/// A warehouse for the admin, and service user SVC behind a network policy admitting
/// `GATEWAYS`, with token STREAM; returns its secret.
async fn setup(harness: &Harness) -> String {
    harness.seed(&format!(
        "CREATE WAREHOUSE WH; CREATE DATABASE DEMO; CREATE SCHEMA DEMO.S; CREATE ROLE STREAMING;
         CREATE NETWORK RULE DEMO.S.GATEWAYS TYPE = IPV4 VALUE_LIST = ('{GATEWAYS}');
         CREATE NETWORK POLICY NP ALLOWED_NETWORK_RULE_LIST = ('DEMO.S.GATEWAYS');
         CREATE USER svc TYPE = SERVICE NETWORK_POLICY = NP; GRANT ROLE STREAMING TO USER svc"
    ));
    harness
        .add_token("ALTER USER svc ADD PAT stream ROLE_RESTRICTION = 'STREAMING'")
        .await
}

/// A statement as the admin on warehouse WH.
async fn query(harness: &Harness, sql: &str) -> Reply {
    harness
        .statement(sql)
        .field("warehouse", json!("WH"))
        .send()
        .await
}

/// One PAT-authenticated request from `address`; returns its HTTP status.
async fn use_token(harness: &Harness, secret: &str, address: &str) -> u16 {
    harness
        .statement("SELECT CURRENT_USER()")
        .token(secret)
        .client_ip(address)
        .send()
        .await
        .status
}

fn column_type(reply: &Reply, name: &str) -> String {
    reply.body["resultSetMetaData"]["rowType"]
        .as_array()
        .unwrap()
        .iter()
        .find(|column| column["name"] == name)
        .unwrap_or_else(|| panic!("no column {name}: {:#}", reply.body))["type"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_views_need_a_warehouse_and_accountadmin() {
    let harness = without_latency();
    setup(&harness).await;
    for sql in [CREDENTIALS, LOGINS] {
        let refused = harness.statement(sql).send().await.fails_with("000606");
        assert!(
            refused.message().contains("No active warehouse selected"),
            "{}",
            refused.message()
        );
        query(&harness, sql).await.ok();
    }
    harness.seed(
        "GRANT USAGE ON WAREHOUSE WH TO ROLE SYSADMIN; GRANT USAGE ON WAREHOUSE WH TO ROLE SECURITYADMIN",
    );
    for role in ["SYSADMIN", "SECURITYADMIN"] {
        for sql in [CREDENTIALS, LOGINS] {
            let refused = harness
                .statement(sql)
                .field("warehouse", json!("WH"))
                .field("role", json!(role))
                .send()
                .await
                .fails_with("002003");
            assert_eq!(
                refused.message(),
                "SQL compilation error:\nSchema 'SNOWFLAKE.ACCOUNT_USAGE' does not exist or not authorized.",
                "{role}"
            );
        }
    }
    let unknown = query(&harness, "SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.SESSIONS")
        .await
        .fails_with("002003");
    assert!(
        unknown.message().contains(
            "Object 'SNOWFLAKE.ACCOUNT_USAGE.SESSIONS' does not exist or not authorized."
        ),
        "{}",
        unknown.message()
    );
    query(
        &harness,
        "SELECT NAME FROM SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS ORDER BY NAME",
    )
    .await
    .fails_with("001003");
    query(
        &harness,
        "SELECT NOPE FROM SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS",
    )
    .await
    .fails_with("000904");
    query(
        &harness,
        "SELECT USER_NAME, COUNT(*) FROM SNOWFLAKE.ACCOUNT_USAGE.LOGIN_HISTORY",
    )
    .await
    .fails_with("000979");
}

#[tokio::test]
async fn select_star_serves_the_documented_columns() {
    let harness = without_latency();
    setup(&harness).await;
    let credentials = query(
        &harness,
        "SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS",
    )
    .await
    .ok();
    assert_eq!(
        credentials.column_names(),
        [
            "CREDENTIAL_ID",
            "NAME",
            "USER_NAME",
            "TYPE",
            "DOMAIN",
            "COMMENT",
            "STATUS",
            "ADDITIONAL_DETAILS",
            "CREATED_BY",
            "LAST_ALTERED_BY",
            "CREATED_ON",
            "LAST_USED_ON",
            "LAST_ALTERED",
            "EXPIRATION_DATE",
        ]
    );
    assert_eq!(column_type(&credentials, "CREDENTIAL_ID"), "fixed");
    assert_eq!(column_type(&credentials, "ADDITIONAL_DETAILS"), "object");
    assert_eq!(
        column_type(&credentials, "EXPIRATION_DATE"),
        "timestamp_ltz"
    );
    assert_eq!(credentials.column("TYPE"), [Some("PAT".to_owned())]);
    assert_eq!(
        credentials.column("DOMAIN"),
        [Some("PROGRAMMATIC_ACCESS_TOKEN".to_owned())]
    );
    let details: serde_json::Value =
        serde_json::from_str(&credentials.column("ADDITIONAL_DETAILS")[0].clone().unwrap())
            .unwrap();
    assert_eq!(details, json!({ "ROLE_RESTRICTION": ["STREAMING"] }));
    let logins = query(
        &harness,
        "SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.LOGIN_HISTORY",
    )
    .await
    .ok();
    assert_eq!(
        logins.column_names(),
        [
            "EVENT_ID",
            "EVENT_TIMESTAMP",
            "EVENT_TYPE",
            "USER_NAME",
            "CLIENT_IP",
            "REPORTED_CLIENT_TYPE",
            "REPORTED_CLIENT_VERSION",
            "FIRST_AUTHENTICATION_FACTOR",
            "SECOND_AUTHENTICATION_FACTOR",
            "IS_SUCCESS",
            "ERROR_CODE",
            "ERROR_MESSAGE",
            "RELATED_EVENT_ID",
            "CONNECTION",
            "CLIENT_PRIVATE_LINK_ID",
            "FIRST_AUTHENTICATION_FACTOR_ID",
            "SECOND_AUTHENTICATION_FACTOR_ID",
            "LOGIN_DETAILS",
            "AUTHORIZING_INTEGRATION_NAME",
        ]
    );
    assert!(logins.rows().is_empty(), "no PAT was used yet");
}

#[tokio::test]
async fn a_fresh_token_and_a_fresh_login_are_missing_until_the_latency_has_passed() {
    // The default latency: the documented two hours.
    let harness = Harness::start();
    let secret = setup(&harness).await;
    assert_eq!(use_token(&harness, &secret, INSIDE).await, 200);
    assert!(query(&harness, CREDENTIALS).await.ok().rows().is_empty());
    assert!(query(&harness, LOGINS).await.ok().rows().is_empty());

    harness
        .sandbox
        .advance_clock(chrono::Duration::minutes(119));
    assert!(query(&harness, CREDENTIALS).await.ok().rows().is_empty());
    assert!(query(&harness, LOGINS).await.ok().rows().is_empty());

    harness.sandbox.advance_clock(chrono::Duration::minutes(2));
    let credentials = query(&harness, CREDENTIALS).await.ok();
    assert_eq!(credentials.column("NAME"), [Some("STREAM".to_owned())]);
    assert_eq!(credentials.column("USER_NAME"), [Some("SVC".to_owned())]);
    assert_eq!(credentials.column("STATUS"), [Some("ACTIVE".to_owned())]);
    let logins = query(&harness, LOGINS).await.ok();
    assert_eq!(logins.column("LOGINS"), [Some("1".to_owned())]);
    assert_eq!(
        logins.column("FIRST_AUTHENTICATION_FACTOR_ID"),
        credentials.column("CREDENTIAL_ID")
    );
    assert_eq!(
        logins.column("LAST_LOGIN"),
        credentials.column("LAST_USED_ON")
    );

    // A login now is not in the view yet, nor is it the last use.
    assert_eq!(use_token(&harness, &secret, INSIDE).await, 200);
    let later = query(&harness, LOGINS).await.ok();
    assert_eq!(later.column("LOGINS"), [Some("1".to_owned())]);
    assert_eq!(later.column("LAST_LOGIN"), logins.column("LAST_LOGIN"));
    harness
        .sandbox
        .advance_clock(chrono::Duration::minutes(121));
    let caught_up = query(&harness, LOGINS).await.ok();
    assert_eq!(caught_up.column("LOGINS"), [Some("2".to_owned())]);
    assert_ne!(caught_up.column("LAST_LOGIN"), logins.column("LAST_LOGIN"));
    assert_eq!(
        query(&harness, CREDENTIALS)
            .await
            .ok()
            .column("LAST_USED_ON"),
        caught_up.column("LAST_LOGIN")
    );
}

#[tokio::test]
async fn a_deleted_token_leaves_the_view_once_the_latency_has_passed() {
    let harness = Harness::with(SandboxConfig {
        account_usage_latency: Duration::from_secs(3600),
        ..SandboxConfig::default()
    });
    setup(&harness).await;
    harness.seed("CREATE USER person; ALTER USER person ADD PAT laptop");
    harness.sandbox.advance_clock(chrono::Duration::hours(2));
    let names = |reply: &Reply| reply.column("NAME");
    assert_eq!(
        names(&query(&harness, CREDENTIALS).await.ok()),
        [Some("STREAM".to_owned()), Some("LAPTOP".to_owned())]
    );
    harness.seed("ALTER USER svc REMOVE PAT stream; DROP USER person");
    // The view still shows the account as it was an hour ago.
    assert_eq!(
        names(&query(&harness, CREDENTIALS).await.ok()),
        [Some("STREAM".to_owned()), Some("LAPTOP".to_owned())]
    );
    harness.sandbox.advance_clock(chrono::Duration::minutes(61));
    assert!(query(&harness, CREDENTIALS).await.ok().rows().is_empty());
}

#[tokio::test]
async fn logins_count_successes_and_identified_failures_and_set_last_use() {
    let harness = without_latency();
    let secret = setup(&harness).await;
    harness.seed(
        "CREATE USER idle TYPE = SERVICE NETWORK_POLICY = NP; GRANT ROLE STREAMING TO USER idle",
    );
    harness
        .add_token("ALTER USER idle ADD PAT unused ROLE_RESTRICTION = 'STREAMING'")
        .await;
    assert_eq!(use_token(&harness, &secret, INSIDE).await, 200);
    harness.sandbox.advance_clock(chrono::Duration::seconds(5));
    assert_eq!(use_token(&harness, &secret, INSIDE).await, 200);
    assert_eq!(use_token(&harness, &secret, OUTSIDE).await, 401);
    // A secret that names no token identifies nobody: not recorded.
    let unknown = format!("ver:1-hint:1234567890-{}", "x".repeat(64));
    assert_eq!(use_token(&harness, &unknown, INSIDE).await, 401);

    let credentials = query(&harness, CREDENTIALS).await.ok();
    let stream_id = credentials.cell("NAME", "STREAM", "CREDENTIAL_ID").unwrap();
    let unused_id = credentials.cell("NAME", "UNUSED", "CREDENTIAL_ID").unwrap();
    assert_ne!(stream_id, unused_id);
    assert_eq!(credentials.cell("NAME", "UNUSED", "LAST_USED_ON"), None);

    let logins = query(&harness, LOGINS).await.ok();
    assert_eq!(column_type(&logins, "LOGINS"), "fixed");
    assert_eq!(column_type(&logins, "LAST_LOGIN"), "timestamp_ltz");
    assert_eq!(
        logins.column("FIRST_AUTHENTICATION_FACTOR_ID"),
        [Some(stream_id.clone())],
        "a token never used has no row"
    );
    assert_eq!(logins.column("LOGINS"), [Some("2".to_owned())]);
    let successes = query(
        &harness,
        "SELECT EVENT_TIMESTAMP FROM SNOWFLAKE.ACCOUNT_USAGE.LOGIN_HISTORY WHERE IS_SUCCESS = 'YES'",
    )
    .await
    .ok();
    let latest = successes
        .column("EVENT_TIMESTAMP")
        .into_iter()
        .flatten()
        .max_by(|a, b| {
            a.parse::<f64>()
                .unwrap()
                .total_cmp(&b.parse::<f64>().unwrap())
        });
    assert_eq!(logins.column("LAST_LOGIN"), std::slice::from_ref(&latest));
    assert_eq!(credentials.cell("NAME", "STREAM", "LAST_USED_ON"), latest);

    let failures = query(
        &harness,
        "SELECT USER_NAME, CLIENT_IP, ERROR_CODE, FIRST_AUTHENTICATION_FACTOR_ID FROM SNOWFLAKE.ACCOUNT_USAGE.LOGIN_HISTORY WHERE IS_SUCCESS = 'NO'",
    )
    .await
    .ok();
    assert_eq!(
        failures.rows(),
        [[
            Some("SVC".to_owned()),
            Some(OUTSIDE.to_owned()),
            Some("390422".to_owned()),
            Some(stream_id.clone()),
        ]]
    );

    // ROTATE keeps the token's id; the leftover is a credential of its own.
    harness.seed("ALTER USER svc ROTATE PAT stream");
    let rotated = query(
        &harness,
        "SELECT NAME, CREDENTIAL_ID, ADDITIONAL_DETAILS FROM SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS WHERE USER_NAME = 'SVC'",
    )
    .await
    .ok();
    assert_eq!(rotated.rows().len(), 2, "{:#}", rotated.body);
    assert_eq!(
        rotated.cell("NAME", "STREAM", "CREDENTIAL_ID"),
        Some(stream_id.clone())
    );
    let leftover = rotated
        .rows()
        .into_iter()
        .find(|row| row[0].as_deref() != Some("STREAM"))
        .unwrap();
    assert_ne!(leftover[1], Some(stream_id));
    let details: serde_json::Value = serde_json::from_str(leftover[2].as_deref().unwrap()).unwrap();
    assert_eq!(details["ROTATED_TO"], "STREAM");
}

#[tokio::test]
async fn the_latency_is_a_test_control() {
    let harness = Harness::start();
    let secret = setup(&harness).await;
    assert_eq!(use_token(&harness, &secret, INSIDE).await, 200);
    assert!(query(&harness, LOGINS).await.ok().rows().is_empty());
    let faults = harness
        .control(
            reqwest::Method::POST,
            "/sandbox/v1/faults",
            Some(json!({ "account_usage_latency_ms": 0 })),
        )
        .send()
        .await;
    assert_eq!(faults.status, 200, "{:#}", faults.body);
    assert_eq!(faults.body["account_usage_latency_ms"], 0);
    assert_eq!(
        query(&harness, LOGINS).await.ok().column("LOGINS"),
        [Some("1".to_owned())]
    );
}

#[tokio::test]
async fn credential_ids_and_logins_survive_a_restart_with_a_state_file() {
    let directory = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        state_file: Some(directory.path().join("state.json")),
        admin_token: Some("restart-admin".to_owned()),
        account_usage_latency: Duration::ZERO,
        ..SandboxConfig::default()
    };
    let (ids, logins) = {
        let harness = Harness::with(config.clone());
        let secret = setup(&harness).await;
        assert_eq!(use_token(&harness, &secret, INSIDE).await, 200);
        (
            query(&harness, CREDENTIALS)
                .await
                .ok()
                .column("CREDENTIAL_ID"),
            query(&harness, LOGINS).await.ok().rows(),
        )
    };
    assert_eq!(logins.len(), 1);
    let harness = Harness::with(config);
    assert_eq!(
        query(&harness, CREDENTIALS)
            .await
            .ok()
            .column("CREDENTIAL_ID"),
        ids
    );
    assert_eq!(query(&harness, LOGINS).await.ok().rows(), logins);
    // A token added after the restart gets a new id.
    harness.seed("CREATE USER person; ALTER USER person ADD PAT laptop");
    let after = query(&harness, CREDENTIALS).await.ok();
    let laptop = after.cell("NAME", "LAPTOP", "CREDENTIAL_ID");
    assert!(!ids.contains(&laptop), "{ids:?} {laptop:?}");
}

//! Conformance over real HTTP: the reference's statements succeed, near misses fail with
//! Snowflake's codes, and the SQL API's bodies, codes and headers match the reference (every body
//! is schema-checked by the harness).

use std::io::Read;
use std::time::Duration;

use pat_reconcile::sandbox::SandboxConfig;
use serde_json::json;

use super::support::{Harness, USER_AGENT};

/// Statements from the reference (snowflake-sql.md and the product's own SQL shape), in an order
/// in which each one is valid; every one must succeed.
const REFERENCE_STATEMENTS: &[&str] = &[
    "CREATE DATABASE DEMO",
    "CREATE WAREHOUSE ADMIN_WH WITH WAREHOUSE_SIZE = XSMALL AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE COMMENT = 'for queries'",
    "CREATE WAREHOUSE IF NOT EXISTS ADMIN_WH",
    "CREATE OR REPLACE WAREHOUSE other_wh WAREHOUSE_SIZE = 'X-SMALL', WAREHOUSE_TYPE = STANDARD",
    "SHOW WAREHOUSES LIKE 'ADMIN%'",
    "GRANT USAGE ON WAREHOUSE other_wh TO ROLE SYSADMIN",
    "REVOKE USAGE ON WAREHOUSE other_wh FROM ROLE SYSADMIN",
    "DROP WAREHOUSE other_wh",
    "DROP WAREHOUSE IF EXISTS other_wh",
    "ALTER USER ADMIN SET DEFAULT_WAREHOUSE = ADMIN_WH",
    "CREATE SCHEMA DEMO.DEMO",
    "CREATE SCHEMA IF NOT EXISTS DEMO.DEMO",
    "CREATE ROLE THERMAL_STREAMING_ROLE",
    "CREATE ROLE IF NOT EXISTS example_role",
    "CREATE NETWORK RULE DEMO.DEMO.THERMAL_GATEWAYS TYPE = IPV4 VALUE_LIST = ('203.0.113.0/24') MODE = INGRESS COMMENT = 'thermal gateways'",
    "CREATE OR REPLACE NETWORK RULE \"DEMO\".\"DEMO\".\"OFFICE\" MODE = INGRESS TYPE = IPV4 VALUE_LIST = ('198.51.100.7', '198.51.100.0/28')",
    "ALTER NETWORK RULE DEMO.DEMO.OFFICE SET VALUE_LIST = ('198.51.100.8') COMMENT = 'office'",
    "ALTER NETWORK RULE IF EXISTS DEMO.DEMO.OFFICE UNSET COMMENT",
    "CREATE NETWORK POLICY THERMAL_STREAMING_POLICY ALLOWED_NETWORK_RULE_LIST = ('DEMO.DEMO.THERMAL_GATEWAYS')",
    "CREATE NETWORK POLICY IF NOT EXISTS THERMAL_STREAMING_POLICY",
    "CREATE NETWORK POLICY ip_policy ALLOWED_IP_LIST = ('192.168.1.0/24', '10.0.0.1') BLOCKED_IP_LIST = ('192.168.1.99') COMMENT = 'ips'",
    "ALTER NETWORK POLICY ip_policy SET ALLOWED_IP_LIST = ()",
    "ALTER NETWORK POLICY ip_policy SET ALLOWED_NETWORK_RULE_LIST = (\"DEMO\".\"DEMO\".\"OFFICE\") COMMENT = 'rules now'",
    "ALTER NETWORK POLICY ip_policy ADD ALLOWED_NETWORK_RULE_LIST = ('DEMO.DEMO.THERMAL_GATEWAYS')",
    "ALTER NETWORK POLICY ip_policy REMOVE ALLOWED_NETWORK_RULE_LIST = ('DEMO.DEMO.THERMAL_GATEWAYS')",
    "ALTER NETWORK POLICY ip_policy UNSET ALLOWED_NETWORK_RULE_LIST, BLOCKED_NETWORK_RULE_LIST, ALLOWED_IP_LIST, BLOCKED_IP_LIST, COMMENT",
    "ALTER NETWORK POLICY ip_policy RENAME TO ip_policy_2",
    "CREATE AUTHENTICATION POLICY DEMO.DEMO.STREAMING_PATS AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN', 'KEYPAIR') PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = 30 MAX_EXPIRY_IN_DAYS = 90 NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED)",
    "CREATE AUTHENTICATION POLICY DEMO.DEMO.my_authentication_policy PAT_POLICY=( NETWORK_POLICY_EVALUATION = ENFORCED_NOT_REQUIRED )",
    "ALTER AUTHENTICATION POLICY DEMO.DEMO.my_authentication_policy SET PAT_POLICY=(DEFAULT_EXPIRY_IN_DAYS=30 MAX_EXPIRY_IN_DAYS=365 NETWORK_POLICY_EVALUATION = ENFORCED_NOT_REQUIRED REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS = FALSE) CLIENT_TYPES = ('DRIVERS', 'SNOWSQL') CLIENT_POLICY = (GO_DRIVER = (MINIMUM_VERSION = '1.14.1')) MFA_ENROLLMENT = 'REQUIRED' COMMENT = 'cli'",
    "ALTER AUTHENTICATION POLICY DEMO.DEMO.my_authentication_policy UNSET MFA_ENROLLMENT",
    "CREATE NETWORK RULE DEMO.DEMO.EMPTY TYPE = IPV4 MODE = INGRESS",
    "CREATE NETWORK RULE DEMO.DEMO.EGRESS TYPE = HOST_PORT MODE = EGRESS VALUE_LIST = ('example.com:443')",
    "ALTER NETWORK RULE DEMO.DEMO.EMPTY SET VALUE_LIST = ('192.0.2.1'), COMMENT = 'x'",
    "ALTER NETWORK RULE DEMO.DEMO.EMPTY UNSET VALUE_LIST, COMMENT",
    "DROP NETWORK RULE DEMO.DEMO.EMPTY",
    "DROP NETWORK RULE DEMO.DEMO.EGRESS",
    "SHOW NETWORK RULES IN SCHEMA SNOWFLAKE.NETWORK_SECURITY",
    "DESC NETWORK RULE SNOWFLAKE.NETWORK_SECURITY.GITHUBACTIONS_GLOBAL",
    "SHOW PARAMETERS IN ACCOUNT",
    "SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_ACCOUNT(), CURRENT_TIMESTAMP(), CURRENT_IP_ADDRESS(), CURRENT_WAREHOUSE()",
    "SHOW USERS LIMIT 10000",
    "SHOW USERS LIMIT 10 FROM 'EX'",
    "ALTER AUTHENTICATION POLICY DEMO.DEMO.my_authentication_policy SET PAT_POLICY = (BLOCKED_ROLES_LIST = ('ACCOUNTADMIN', 'SYSADMIN'))",
    "ALTER AUTHENTICATION POLICY DEMO.DEMO.my_authentication_policy UNSET CLIENT_POLICY, CLIENT_TYPES",
    "CREATE USER \"THERMAL_STREAMING_USER\" TYPE = SERVICE DEFAULT_ROLE = THERMAL_STREAMING_ROLE COMMENT = 'Snowpipe Streaming'",
    "CREATE USER IF NOT EXISTS example_user",
    "GRANT ROLE \"THERMAL_STREAMING_ROLE\" TO USER \"THERMAL_STREAMING_USER\"",
    "GRANT ROLE example_role TO USER example_user",
    "GRANT ROLE example_role TO ROLE THERMAL_STREAMING_ROLE",
    "ALTER USER \"THERMAL_STREAMING_USER\" SET NETWORK_POLICY = \"THERMAL_STREAMING_POLICY\"",
    "ALTER USER \"THERMAL_STREAMING_USER\" SET AUTHENTICATION POLICY \"DEMO\".\"DEMO\".\"STREAMING_PATS\" FORCE",
    "ALTER USER \"THERMAL_STREAMING_USER\" ADD PROGRAMMATIC ACCESS TOKEN \"THERMAL_PAT\" ROLE_RESTRICTION = 'THERMAL_STREAMING_ROLE' DAYS_TO_EXPIRY = 90 COMMENT = 'x'",
    "ALTER USER \"THERMAL_STREAMING_USER\" ADD PAT \"OTHER_PAT\" ROLE_RESTRICTION = \"THERMAL_STREAMING_ROLE\"",
    "ALTER USER IF EXISTS example_user ADD PROGRAMMATIC ACCESS TOKEN example_token COMMENT = 'a reference example'",
    "ALTER USER IF EXISTS example_user ADD PROGRAMMATIC ACCESS TOKEN example_token_2 ROLE_RESTRICTION = 'example_role' DAYS_TO_EXPIRY = 15",
    "ALTER USER IF EXISTS example_user ADD PROGRAMMATIC ACCESS TOKEN IF NOT EXISTS example_token",
    "ALTER USER IF EXISTS nobody ADD PAT t",
    "ALTER USER \"EXAMPLE_USER\" MODIFY PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" SET DISABLED = true MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT = 10 COMMENT = 'new comment'",
    "ALTER USER \"EXAMPLE_USER\" MODIFY PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" UNSET DISABLED, MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT, COMMENT",
    "ALTER USER \"EXAMPLE_USER\" MODIFY PROGRAMMATIC ACCESS TOKEN \"EXAMPLE_TOKEN\" RENAME TO \"NEW\"",
    "ALTER USER example_user MODIFY PAT IF EXISTS missing SET COMMENT = 'x'",
    "ALTER USER example_user ROTATE PROGRAMMATIC ACCESS TOKEN new",
    "ALTER USER example_user ROTATE PAT example_token_2 EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0",
    "ALTER USER example_user REMOVE PROGRAMMATIC ACCESS TOKEN example_token_2",
    "ALTER USER example_user REMOVE PAT IF EXISTS example_token_2",
    "SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER \"THERMAL_STREAMING_USER\"",
    "SHOW USER PATS FOR USER example_user",
    "SHOW USER PROGRAMMATIC ACCESS TOKENS",
    "SHOW USERS",
    "SHOW USERS LIKE 'thermal%'",
    "SHOW TERSE USERS STARTS WITH 'EX' LIMIT 10",
    "SHOW ROLES LIKE '%ROLE'",
    "SHOW GRANTS OF ROLE THERMAL_STREAMING_ROLE",
    "SHOW GRANTS TO USER \"THERMAL_STREAMING_USER\"",
    "SHOW NETWORK POLICIES",
    "SHOW NETWORK POLICIES LIKE 'THERMAL%'",
    "DESC NETWORK POLICY THERMAL_STREAMING_POLICY",
    "DESCRIBE NETWORK POLICY \"THERMAL_STREAMING_POLICY\"",
    "SHOW NETWORK RULES",
    "SHOW NETWORK RULES LIKE 'THERMAL%' IN SCHEMA DEMO.DEMO",
    "SHOW NETWORK RULES IN DATABASE DEMO",
    "SHOW NETWORK RULES IN ACCOUNT",
    "DESC NETWORK RULE DEMO.DEMO.THERMAL_GATEWAYS",
    "SHOW AUTHENTICATION POLICIES",
    "SHOW AUTHENTICATION POLICIES LIKE 'STREAMING%' IN SCHEMA DEMO.DEMO",
    "SHOW AUTHENTICATION POLICIES ON USER \"THERMAL_STREAMING_USER\"",
    "SHOW AUTHENTICATION POLICIES ON ACCOUNT",
    "DESC AUTHENTICATION POLICY DEMO.DEMO.STREAMING_PATS",
    "DESCRIBE USER \"THERMAL_STREAMING_USER\"",
    "SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER \"THERMAL_STREAMING_USER\"",
    "SHOW PARAMETERS LIKE 'NETWORK_POLICY' FOR USER \"THERMAL_STREAMING_USER\"",
    "SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN ACCOUNT",
    "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => 'THERMAL_STREAMING_POLICY', POLICY_KIND => 'NETWORK_POLICY'))",
    "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(REF_ENTITY_NAME => 'THERMAL_STREAMING_USER', REF_ENTITY_DOMAIN => 'USER')) WHERE POLICY_KIND = 'AUTHENTICATION_POLICY'",
    "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => 'DEMO.DEMO.STREAMING_PATS'))",
    "select policy_name, ref_entity_name from table(information_schema.policy_references(ref_entity_name => 'SANDBOX', ref_entity_domain => 'ACCOUNT'))",
    "SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_ACCOUNT()",
    "ALTER ACCOUNT SET NETWORK_POLICY = THERMAL_STREAMING_POLICY",
    "ALTER ACCOUNT SET AUTHENTICATION POLICY DEMO.DEMO.my_authentication_policy FOR ALL SERVICE USERS FORCE",
    "ALTER ACCOUNT SET AUTHENTICATION POLICY DEMO.DEMO.my_authentication_policy FOR ALL PERSON USERS",
    "ALTER ACCOUNT SET AUTHENTICATION POLICY DEMO.DEMO.my_authentication_policy",
    "ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL PERSON USERS",
    "ALTER ACCOUNT UNSET AUTHENTICATION POLICY FOR ALL SERVICE USERS",
    "ALTER ACCOUNT UNSET AUTHENTICATION POLICY",
    "ALTER ACCOUNT UNSET NETWORK_POLICY",
    "ALTER USER example_user SET TYPE = SERVICE",
    "ALTER USER example_user SET TYPE = LEGACY_SERVICE",
    "ALTER USER example_user UNSET TYPE",
    "ALTER USER example_user SET DEFAULT_ROLE = 'example_role', DISABLED = FALSE COMMENT = 'person'",
    "ALTER USER example_user UNSET COMMENT, DEFAULT_ROLE",
    "ALTER USER \"THERMAL_STREAMING_USER\" UNSET AUTHENTICATION POLICY",
    "ALTER USER \"THERMAL_STREAMING_USER\" UNSET NETWORK_POLICY",
    "REVOKE ROLE example_role FROM ROLE THERMAL_STREAMING_ROLE",
    "REVOKE ROLE example_role FROM USER example_user",
    "DROP AUTHENTICATION POLICY DEMO.DEMO.STREAMING_PATS",
    "DROP AUTHENTICATION POLICY IF EXISTS DEMO.DEMO.STREAMING_PATS",
    "DROP NETWORK POLICY THERMAL_STREAMING_POLICY",
    "DROP NETWORK POLICY IF EXISTS THERMAL_STREAMING_POLICY",
    "DROP NETWORK RULE DEMO.DEMO.THERMAL_GATEWAYS",
    "-- a comment first\nDROP USER IF EXISTS example_user; ",
    "DROP ROLE example_role",
];

#[tokio::test]
async fn statements_from_the_reference_succeed() {
    let harness = Harness::start();
    for sql in REFERENCE_STATEMENTS {
        // From an address THERMAL_STREAMING_POLICY admits: ALTER ACCOUNT SET NETWORK_POLICY
        // refuses a policy that would shut the caller out (Corrections 9).
        let reply = harness
            .statement(sql)
            .client_ip("203.0.113.10")
            .send()
            .await;
        assert_eq!(reply.status, 200, "{sql}\n{:#}", reply.body);
        assert_eq!(reply.code(), "090001", "{sql}");
    }
}

/// Near misses: what a sloppy statement builder might emit, and Snowflake's answer.
const NEAR_MISSES: &[(&str, &str, &str)] = &[
    (
        "ALTER USER U ADD PAT T EXPIRES_IN = 90",
        "001003",
        "SQL compilation error:\nsyntax error line 1 at position 23 unexpected 'EXPIRES_IN'.",
    ),
    (
        "ALTER USER U ADD PROGRAMMATIC ACCESS TOKEN NAME = 'x'",
        "001003",
        "SQL compilation error:\nsyntax error line 1 at position 48 unexpected '='.",
    ),
    (
        "ALTER USER U MODIFY PAT T UNSET COMMENT = 'x'",
        "001003",
        "SQL compilation error:\nsyntax error line 1 at position 40 unexpected '='.",
    ),
    (
        "ALTER USER U ADD PAT",
        "001003",
        "SQL compilation error:\nsyntax error line 1 at position 20 unexpected '<EOF>'.",
    ),
    (
        "ALTER USER U ADD PAT ROLE_RESTRICTION = 'R'",
        "001003",
        "unexpected '='",
    ),
    (
        "ALTER USER U ADD PAT T COLOR = 'red'",
        "001003",
        "unexpected 'COLOR'",
    ),
    (
        "ALTER USER U\n  ADD PAT T EXPIRES_IN = 1",
        "001003",
        "syntax error line 2 at position 12 unexpected 'EXPIRES_IN'.",
    ),
    (
        "ALTER USER U SET FAVORITE_COLOR = 'red'",
        "001003",
        "unexpected 'FAVORITE_COLOR'",
    ),
    (
        "ALTER USER U UNSET TYPE = PERSON",
        "001003",
        "unexpected '='",
    ),
    (
        "ALTER USER U ROTATE PAT T EXPIRE_AFTER_HOURS = 1",
        "001003",
        "unexpected 'EXPIRE_AFTER_HOURS'",
    ),
    (
        "ALTER USER U ADD PAT T DAYS_TO_EXPIRY = '90'",
        "001003",
        "unexpected ''90''",
    ),
    (
        "CREATE NETWORK RULE DEMO.DEMO.R VALUE_LIST = ('1.2.3.4')",
        "001003",
        "unexpected '<EOF>'",
    ),
    (
        "CREATE NETWORK RULE DEMO.DEMO.R TYPE = IPV5 VALUE_LIST = ('1.2.3.4')",
        "001003",
        "unexpected 'IPV5'",
    ),
    (
        "CREATE AUTHENTICATION POLICY P PAT_POLICY = (MAX_DAYS = 1)",
        "001003",
        "unexpected 'MAX_DAYS'",
    ),
    ("SHOW USER TOKENS", "001003", "unexpected 'TOKENS'"),
    (
        "GRANT ROLE R TO USER U WITH GRANT OPTION",
        "001003",
        "unexpected 'WITH'",
    ),
    ("USE ROLE ACCOUNTADMIN", "001003", "unexpected 'USE'"),
    ("DROP DATABASE DEMO", "001003", "unexpected 'DATABASE'"),
    (
        "CREATE OR REPLACE USER IF NOT EXISTS U",
        "001003",
        "unexpected 'IF'",
    ),
    ("SELECT NOPE()", "002140", "Unknown function NOPE"),
    ("SELECT foo", "000904", "invalid identifier 'FOO'"),
    (
        "  -- nothing but a comment",
        "000900",
        "Empty SQL statement.",
    ),
    (
        "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_KIND => 'NETWORK_POLICY'))",
        "001044",
        "Invalid argument types for function 'POLICY_REFERENCES'",
    ),
    (
        "SELECT * FROM TABLE(SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES(POLICY_NAME => 'X'))",
        "002140",
        "Unknown function",
    ),
];

#[tokio::test]
async fn near_misses_fail_with_snowflakes_codes() {
    let harness = Harness::start();
    harness.seed("CREATE USER U; CREATE ROLE R");
    for (sql, code, message) in NEAR_MISSES {
        let reply = harness.statement(sql).send().await.fails_with(code);
        assert!(
            reply.message().contains(message),
            "{sql}: expected {message:?} in {:?}",
            reply.message()
        );
        assert_eq!(
            reply.body["sqlState"],
            json!(if *code == "001044" {
                "42P13"
            } else if code.starts_with("002140") {
                "42601"
            } else {
                "42000"
            }),
            "{sql}"
        );
    }
    assert!(
        harness
            .sandbox
            .execute_as_admin("SHOW USER PATS FOR USER U")
            .unwrap()
            .rows()
            .is_empty(),
        "a near miss created a token"
    );
}

#[tokio::test]
async fn result_sets_have_the_documented_shape() {
    let harness = Harness::start();
    harness.seed("CREATE USER person");
    let secret = harness
        .add_token("ALTER USER person ADD PAT t DAYS_TO_EXPIRY = 30 COMMENT = 'c'")
        .await;
    assert!(secret.starts_with("ver:1-hint:"), "{secret}");
    let reply = harness
        .statement("SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER person")
        .send()
        .await
        .ok();
    assert_eq!(
        reply.column_names(),
        [
            "name",
            "user_name",
            "role_restriction",
            "expires_at",
            "status",
            "comment",
            "created_on",
            "created_by",
            "mins_to_bypass_network_policy_requirement",
            "rotated_to"
        ]
    );
    let body = &reply.body;
    assert_eq!(body["code"], "090001");
    assert_eq!(body["sqlState"], "00000");
    assert_eq!(body["message"], "Statement executed successfully.");
    let handle = reply.handle();
    assert_eq!(
        body["statementStatusUrl"],
        json!(format!("/api/v2/statements/{handle}"))
    );
    let created_on = body["createdOn"].as_i64().unwrap();
    let now = harness.sandbox.now().timestamp_millis();
    assert!(
        (now - 60_000..=now).contains(&created_on),
        "createdOn {created_on} vs {now}"
    );
    let metadata = &body["resultSetMetaData"];
    assert_eq!(metadata["format"], "jsonv2");
    assert_eq!(metadata["numRows"], 1);
    assert_eq!(metadata["partitionInfo"][0]["rowCount"], 1);
    let types: Vec<&str> = metadata["rowType"]
        .as_array()
        .unwrap()
        .iter()
        .map(|column| column["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[3], "timestamp_ltz");
    assert_eq!(types[0], "text");
    assert_eq!(types[8], "fixed");
    for column in metadata["rowType"].as_array().unwrap() {
        for key in [
            "database",
            "schema",
            "table",
            "byteLength",
            "collation",
            "nullable",
        ] {
            assert!(column.get(key).is_some(), "rowType lacks {key}: {column}");
        }
    }
    let row = &reply.rows()[0];
    let timestamp = regex_free_timestamp(row[3].as_deref().unwrap());
    let created = regex_free_timestamp(row[6].as_deref().unwrap());
    assert_eq!(timestamp - created, 30 * 86_400);
    assert_eq!(row[4].as_deref(), Some("ACTIVE"));
    assert_eq!(row[5].as_deref(), Some("c"));
    assert_eq!(row[2], None);
    assert_eq!(
        reply.headers["content-type"].to_str().unwrap(),
        "application/json"
    );
    assert!(
        reply.headers["link"]
            .to_str()
            .unwrap()
            .contains("rel=\"first\"")
    );
}

/// Parses a `seconds.nnnnnnnnn` timestamp, asserting its shape, into whole seconds.
fn regex_free_timestamp(text: &str) -> i64 {
    let (seconds, fraction) = text.split_once('.').unwrap();
    assert_eq!(fraction.len(), 9, "{text}");
    assert!(fraction.chars().all(|c| c.is_ascii_digit()), "{text}");
    seconds.parse().unwrap()
}

#[tokio::test]
async fn large_results_are_partitioned() {
    let harness = Harness::with(SandboxConfig {
        partition_rows: 2,
        ..SandboxConfig::default()
    });
    harness.seed("CREATE USER A1; CREATE USER A2; CREATE USER A3; CREATE USER A4; CREATE USER A5");
    let first = harness.statement("SHOW USERS LIKE 'A_'").send().await.ok();
    let metadata = &first.body["resultSetMetaData"];
    assert_eq!(metadata["numRows"], 5);
    let partitions = metadata["partitionInfo"].as_array().unwrap();
    assert_eq!(partitions.len(), 3);
    assert_eq!(partitions[2]["rowCount"], 1);
    let mut names: Vec<Option<String>> = first.column("name");
    let handle = first.handle();
    for partition in 1..3 {
        let reply = harness
            .poll(&handle)
            .query("partition", &partition.to_string())
            .send()
            .await
            .ok();
        let keys: Vec<&String> = reply.body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["data"], "later partitions carry data only");
        names.extend(reply.rows().into_iter().map(|row| row[0].clone()));
    }
    let expected: Vec<Option<String>> = ["A1", "A2", "A3", "A4", "A5"]
        .iter()
        .map(|name| Some((*name).to_owned()))
        .collect();
    assert_eq!(names, expected);
    harness
        .poll(&handle)
        .query("partition", "3")
        .send()
        .await
        .fails_with("391920");

    // Partitions after the first are gzip-compressed for a client that accepts it.
    let raw = reqwest::Client::builder().gzip(false).build().unwrap();
    let response = raw
        .get(format!(
            "{}/api/v2/statements/{handle}?partition=1",
            harness.sandbox.url()
        ))
        .bearer_auth(harness.sandbox.admin_token())
        .header("User-Agent", USER_AGENT)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let compressed = response.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut text)
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["data"][0][0], "A3");
}

#[tokio::test]
async fn nullable_false_sends_null_as_a_string() {
    let harness = Harness::start();
    harness.seed("CREATE USER person; ALTER USER person ADD PAT t");
    let sql = "SHOW USER PATS FOR USER person";
    let default = harness.statement(sql).send().await.ok();
    assert_eq!(default.body["data"][0][5], json!(null));
    let strings = harness
        .statement(sql)
        .query("nullable", "false")
        .send()
        .await
        .ok();
    assert_eq!(strings.body["data"][0][5], json!("null"));
    let polled = harness.poll(&strings.handle()).send().await.ok();
    assert_eq!(
        polled.body["data"][0][5],
        json!("null"),
        "GET keeps the POST's choice"
    );
}

#[tokio::test]
async fn async_requests_answer_202_and_polling_returns_the_result() {
    let harness = Harness::start();
    let reply = harness
        .statement("CREATE USER later")
        .query("async", "true")
        .send()
        .await;
    assert_eq!(reply.status, 202, "{:#}", reply.body);
    assert_eq!(reply.code(), "333334");
    assert_eq!(
        reply.message(),
        "Asynchronous execution in progress. Use provided query id to perform query monitoring and management."
    );
    let handle = reply.handle();
    assert_eq!(
        reply.body["statementStatusUrl"],
        json!(format!("/api/v2/statements/{handle}"))
    );
    let done = harness.wait_done(&handle).await.ok();
    assert_eq!(
        done.rows()[0][0].as_deref(),
        Some("User LATER successfully created.")
    );
}

#[tokio::test]
async fn statements_outlasting_the_threshold_answer_202() {
    let harness = Harness::with(SandboxConfig {
        latency: Duration::from_secs(1),
        async_threshold: Duration::from_millis(20),
        ..SandboxConfig::default()
    });
    let reply = harness.statement("SELECT CURRENT_USER()").send().await;
    assert_eq!(reply.status, 202);
    let done = harness.wait_done(&reply.handle()).await.ok();
    assert_eq!(done.rows()[0][0].as_deref(), Some("ADMIN"));
}

#[tokio::test]
async fn multi_statement_requests() {
    let harness = Harness::start();
    let reply = harness
        .statement("CREATE USER m1; SHOW USERS LIKE 'M1'")
        .field("parameters", json!({ "MULTI_STATEMENT_COUNT": "2" }))
        .send()
        .await
        .ok();
    assert_eq!(reply.column_names(), ["multiple statement execution"]);
    assert_eq!(
        reply.rows(),
        [[Some(
            "Multiple statements executed successfully.".to_owned()
        )]]
    );
    let children: Vec<String> = reply.body["statementHandles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|handle| handle.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(children.len(), 2);
    let second = harness.poll(&children[1]).send().await.ok();
    assert_eq!(second.column("name"), [Some("M1".to_owned())]);

    // Count 0 means any number; an integer works as well as a string.
    harness
        .statement("SELECT CURRENT_USER(); SELECT CURRENT_ROLE(); SELECT 1")
        .field("parameters", json!({ "multi_statement_count": 0 }))
        .send()
        .await
        .ok();

    let mismatch = harness
        .statement("CREATE USER m2; CREATE USER m3; CREATE USER m4")
        .send()
        .await
        .fails_with("000008");
    assert_eq!(
        mismatch.message(),
        "Actual statement count 3 did not match the desired statement count 1."
    );
    assert_eq!(mismatch.body["sqlState"], "0A000");

    let failed = harness
        .statement("CREATE USER m5; CREATE USER m5; CREATE USER m6")
        .field("parameters", json!({ "MULTI_STATEMENT_COUNT": 3 }))
        .send()
        .await
        .fails_with("100132");
    assert_eq!(failed.body["sqlState"], "P0000");
    assert!(
        failed.message().contains("Object 'M5' already exists."),
        "{}",
        failed.message()
    );
    let users = harness
        .sandbox
        .execute_as_admin("SHOW USERS LIKE 'M%'")
        .unwrap();
    let names: Vec<&str> = users
        .rows()
        .iter()
        .filter_map(|row| row[0].as_deref())
        .collect();
    assert_eq!(
        names,
        ["M1", "M5"],
        "statements after the failure did not run"
    );
}

#[tokio::test]
async fn request_id_with_retry_never_executes_twice() {
    let harness = Harness::start();
    harness.seed("CREATE USER person");
    let request_id = uuid::Uuid::new_v4().to_string();
    let sql = "ALTER USER person ADD PAT once";
    let first = harness
        .statement(sql)
        .query("requestId", &request_id)
        .send()
        .await
        .ok();
    let again = harness
        .statement(sql)
        .query("requestId", &request_id)
        .query("retry", "true")
        .send()
        .await
        .ok();
    assert_eq!(again.handle(), first.handle());
    assert_eq!(again.column("token_secret"), first.column("token_secret"));
    let executions = harness
        .executed_sql()
        .iter()
        .filter(|text| text.as_str() == sql)
        .count();
    assert_eq!(executions, 1);

    // Without retry=true the same request id runs again (and finds the token taken).
    harness
        .statement(sql)
        .query("requestId", &request_id)
        .send()
        .await
        .fails_with("002002");

    // A failed statement is executed again on retry.
    let failing = uuid::Uuid::new_v4().to_string();
    let create = "CREATE USER later_user DEFAULT_ROLE = R NETWORK_POLICY = NP";
    harness
        .statement(create)
        .query("requestId", &failing)
        .send()
        .await
        .fails_with("002003");
    harness.seed("CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('10.0.0.1')");
    harness
        .statement(create)
        .query("requestId", &failing)
        .query("retry", "true")
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn http_level_errors() {
    let harness = Harness::start();
    let url = harness.sandbox.url();
    let client = reqwest::Client::new();

    let missing = client
        .get(format!("{url}/api/v2/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.bytes().await.unwrap().is_empty());
    let wrong_method = client
        .get(format!("{url}/api/v2/statements"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert!(wrong_method.bytes().await.unwrap().is_empty());

    let media = harness
        .statement("")
        .raw("SHOW USERS", Some("text/plain"))
        .send_unchecked()
        .await
        .unwrap();
    assert_eq!(media.status, 415);

    let garbage = harness
        .statement("")
        .raw("{not json", Some("application/json"))
        .send()
        .await;
    assert_eq!((garbage.status, garbage.code()), (400, "390142"));
    assert_eq!(
        garbage.message(),
        "Incoming request does not contain a valid payload."
    );
    let no_statement = harness
        .statement("")
        .raw("{\"timeout\": 10}", None)
        .send()
        .await;
    assert_eq!((no_statement.status, no_statement.code()), (400, "390142"));
    let bad_flag = harness
        .statement("SHOW USERS")
        .query("async", "maybe")
        .send()
        .await;
    assert_eq!(bad_flag.status, 400);
    let bad_request_id = harness
        .statement("SHOW USERS")
        .query("requestId", "not-a-uuid")
        .send()
        .await;
    assert_eq!(bad_request_id.status, 400);

    let no_agent = client
        .post(format!("{url}/api/v2/statements"))
        .bearer_auth(harness.sandbox.admin_token())
        .json(&json!({ "statement": "SHOW USERS" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_agent.status(), 400);

    harness
        .statement("SHOW USERS")
        .no_token()
        .send()
        .await
        .refused_with("390303");
    harness
        .poll(&uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .fails_with("000709");
    let malformed = harness.poll("not-a-handle").send().await;
    assert_eq!((malformed.status, malformed.code()), (400, "390142"));
    let bad_partition = harness
        .poll(&harness.admin("SHOW USERS").await.handle())
        .query("partition", "first")
        .send()
        .await;
    assert_eq!(bad_partition.status, 400);
}

#[tokio::test]
async fn statements_of_other_users_are_invisible() {
    let harness = Harness::start();
    harness.seed(
        "CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('203.0.113.9');
         CREATE USER person NETWORK_POLICY = NP; ALTER USER person ADD PAT t",
    );
    let secret = harness.add_token("ALTER USER person ADD PAT t2").await;
    let admin = harness.admin("SHOW USERS").await;
    harness
        .poll(&admin.handle())
        .token(&secret)
        .client_ip("203.0.113.9")
        .send()
        .await
        .fails_with("000709");
}

#[tokio::test]
async fn cancel_stops_a_statement_that_has_not_run() {
    let harness = Harness::with(SandboxConfig {
        latency: Duration::from_secs(60),
        ..SandboxConfig::default()
    });
    let reply = harness
        .statement("CREATE USER never")
        .query("async", "true")
        .send()
        .await;
    assert_eq!(reply.status, 202);
    let handle = reply.handle();
    let canceled = harness.cancel(&handle).send().await;
    assert_eq!(canceled.status, 200, "{:#}", canceled.body);
    assert_eq!(canceled.code(), "000604");
    assert_eq!(canceled.body["sqlState"], "57014");
    assert_eq!(canceled.message(), "SQL execution canceled");
    harness.poll(&handle).send().await.fails_with("000604");
    harness.cancel(&handle).send().await.fails_with("000605");
    harness
        .cancel(&uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .fails_with("000709");
    assert!(
        harness.executed_sql().is_empty(),
        "the canceled statement ran"
    );
    assert!(
        harness
            .sandbox
            .execute_as_admin("SHOW USERS LIKE 'NEVER'")
            .unwrap()
            .rows()
            .is_empty()
    );
}

#[tokio::test]
async fn a_statement_past_its_timeout_answers_408() {
    let harness = Harness::with(SandboxConfig {
        latency: Duration::from_millis(1500),
        ..SandboxConfig::default()
    });
    let reply = harness
        .statement("CREATE USER too_slow")
        .field("timeout", json!(1))
        .send()
        .await;
    assert_eq!(reply.status, 408, "{:#}", reply.body);
    assert_eq!(reply.code(), "000630");
    assert_eq!(
        reply.message(),
        "Statement reached its statement or warehouse timeout of 1 second(s) and was canceled."
    );
    harness
        .poll(&reply.handle())
        .send()
        .await
        .fails_with("000630");
    assert!(harness.executed_sql().is_empty());
}

#[test]
fn the_schema_check_rejects_bodies_snowflake_would_not_send() {
    use super::support::{Schema, assert_valid};
    let handle = uuid::Uuid::new_v4().to_string();
    let wrong = [
        (Schema::QueryStatus, json!({ "code": "333334" })),
        (
            Schema::QueryStatus,
            json!({ "statementHandle": "not-a-uuid" }),
        ),
        (
            Schema::ResultSet,
            json!({ "statementHandle": handle, "data": [[1, 2]] }),
        ),
        (
            Schema::ResultSet,
            json!({ "resultSetMetaData": { "format": "json", "rowType": [] } }),
        ),
        (
            Schema::QueryFailureStatus,
            json!({ "code": "000709", "statementHandle": handle }),
        ),
        (Schema::ErrorResponse, json!({ "code": 390_142 })),
    ];
    for (schema, body) in wrong {
        let outcome = std::panic::catch_unwind(|| assert_valid(schema, &body));
        assert!(outcome.is_err(), "{schema:?} accepted {body}");
    }
    assert_valid(
        Schema::ResultSet,
        &json!({ "statementHandle": handle, "data": [["a", null]] }),
    );
}

#[test]
fn execute_as_admin_reports_snowflakes_errors() {
    let harness = Harness::start();
    let error = harness
        .sandbox
        .execute_as_admin("CREATE USER twice; CREATE USER twice")
        .unwrap_err();
    assert_eq!((error.code(), error.sql_state()), ("002002", "42710"));
    let result = harness
        .sandbox
        .execute_as_admin("SHOW USERS LIKE 'TWICE'")
        .unwrap();
    assert_eq!(
        result.rows().len(),
        1,
        "the first statement ran, the second did not"
    );
    assert_eq!(result.value(0, "name"), Some("TWICE"));
}

//! `plan` against an account: connections and authentication (key-pair JWT, PAT, bad
//! credentials), 202 polling, partitioned results, retried faults, the built-in demo, and a
//! snapshot planned offline.

use std::time::Duration;

use std::collections::{BTreeMap, BTreeSet};

use pat_reconcile::sandbox::{FaultConfig, LogEntry, LogOutcome, SandboxConfig};

use super::support::{Account, key_path, public_key};
use crate::support::Output;

/// A platform-team user that signs in with a key pair and holds ACCOUNTADMIN.
fn deployer(account: &Account) {
    account.seed(&format!(
        "CREATE USER DEPLOYER TYPE = SERVICE DEFAULT_ROLE = ACCOUNTADMIN RSA_PUBLIC_KEY = '{}'",
        public_key()
    ));
    account.seed("GRANT ROLE ACCOUNTADMIN TO USER DEPLOYER");
}

fn as_deployer(account: &Account, args: &[&str]) -> Output {
    let key = key_path();
    account.cli_env(
        args,
        &[
            ("SNOWFLAKE_USER", "deployer"),
            ("SNOWFLAKE_AUTHENTICATOR", "SNOWFLAKE_JWT"),
            ("SNOWFLAKE_PRIVATE_KEY_FILE", &key),
        ],
    )
}

#[test]
fn plans_with_a_key_pair_jwt() {
    let account = Account::shipped();
    deployer(&account);
    let run = as_deployer(&account, &["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stdout
            .contains("user.THERMAL_STREAMING_USER.token.THERMAL_PAT (create)"),
        "{run:?}"
    );
    let logins: Vec<_> = account
        .log()
        .into_iter()
        .filter(|e| e.user.as_deref() == Some("DEPLOYER"))
        .collect();
    assert!(!logins.is_empty());
    // And it applies: a key-pair session may manage any user's tokens.
    let run = as_deployer(&account, &["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(run.code, Some(0), "{run:?}");
}

#[test]
fn a_wrong_key_is_refused_with_snowflakes_code() {
    let account = Account::shipped();
    account.seed("CREATE USER DEPLOYER TYPE = SERVICE DEFAULT_ROLE = ACCOUNTADMIN");
    let run = as_deployer(&account, &["plan"]).failure();
    assert!(run.stderr.contains("390144"), "{run:?}");
    assert!(run.stderr.contains("hint:"), "{run:?}");
}

#[test]
fn plans_with_a_pat_and_refuses_to_change_the_sessions_own_tokens() {
    let account = Account::shipped();
    account.seed("CREATE NETWORK POLICY LOCAL ALLOWED_IP_LIST = ('127.0.0.1')");
    account.seed("CREATE USER OPERATOR DEFAULT_ROLE = ACCOUNTADMIN NETWORK_POLICY = LOCAL");
    account.seed("GRANT ROLE ACCOUNTADMIN TO USER OPERATOR");
    let secret = account.sandbox.execute_as_admin("ALTER USER OPERATOR ADD PROGRAMMATIC ACCESS TOKEN CI ROLE_RESTRICTION = 'ACCOUNTADMIN'").unwrap();
    let secret = secret.value(0, "token_secret").unwrap().to_owned();
    let pat_env = [
        ("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN"),
        ("SNOWFLAKE_TOKEN", secret.as_str()),
    ];

    let run = account.cli_env(&["plan", "--detailed-exitcode"], &pat_env);
    assert_eq!(run.code, Some(2), "{run:?}");

    // A file that manages OPERATOR's own tokens cannot be applied from OPERATOR's PAT session.
    let own = format!(
        "{}\n  OPERATOR:\n    tokens: {{}}\n",
        account.read("pats.yaml").trim_end()
    );
    account.write("pats.yaml", &own);
    let run = account.cli_env(&["plan"], &pat_env).failure();
    assert!(run.all().contains("pat-session-user"), "{run:?}");
    assert!(!run.all().contains(&secret));
}

#[test]
fn a_bad_token_gets_a_clear_error() {
    let account = Account::shipped();
    let run = account
        .cli_env(
            &["plan"],
            &[
                ("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN"),
                ("SNOWFLAKE_TOKEN", "not-a-token"),
            ],
        )
        .failure();
    assert!(
        run.stderr
            .contains("error: Snowflake refused the credentials"),
        "{run:?}"
    );
    assert!(run.stderr.contains("394400"), "{run:?}");
}

#[test]
fn missing_connection_settings_are_named() {
    let account = Account::shipped();
    let run = account
        .cli_env(
            &["plan"],
            &[
                ("SNOWFLAKE_ACCOUNT", ""),
                ("SNOWFLAKE_HOST", ""),
                ("SNOWFLAKE_PORT", ""),
                ("SNOWFLAKE_PROTOCOL", ""),
            ],
        )
        .failure();
    assert!(
        run.stderr.contains("no connection is configured"),
        "{run:?}"
    );
    assert!(run.stderr.contains("--sandbox"), "{run:?}");
    let run = account
        .cli_env(&["plan"], &[("SNOWFLAKE_AUTHENTICATOR", "SNOWFLAKE_JWT")])
        .failure();
    assert!(run.stderr.contains("`user` is required"), "{run:?}");
}

#[test]
fn long_statements_are_polled_and_partitions_fetched() {
    let config = SandboxConfig {
        async_threshold: Duration::from_millis(20),
        partition_rows: 2,
        faults: FaultConfig {
            rate_slow: 1.0,
            slow_duration: Duration::from_millis(60),
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    };
    let account = Account::shipped_with(config);
    for i in 0..5 {
        account.seed(&format!("CREATE USER FILLER_{i}"));
    }
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_polled_and_partitioned(&account.log(), 2);
    let since = account.log().len();
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    assert_polled_and_partitioned(&account.log()[since..], 2);
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        run.code,
        Some(0),
        "polling and partitions lost something: {run:?}"
    );
}

/// The client polled statements the sandbox answered 202 until they finished, and fetched every
/// partition after the first of each result larger than one partition, exactly once.
fn assert_polled_and_partitioned(log: &[LogEntry], rows_per_partition: usize) {
    let handle = |e: &LogEntry| e.statement_handle.clone().unwrap_or_default();
    let running: BTreeSet<String> = log
        .iter()
        .filter(|e| e.kind == "poll" && matches!(e.outcome, LogOutcome::Running))
        .map(handle)
        .collect();
    assert!(!running.is_empty(), "no statement was polled while running");
    let finished: BTreeSet<String> = log
        .iter()
        .filter(|e| e.kind == "poll" && !matches!(e.outcome, LogOutcome::Running))
        .map(handle)
        .collect();
    let abandoned: Vec<&String> = running.difference(&finished).collect();
    assert!(
        abandoned.is_empty(),
        "polling stopped before these finished: {abandoned:?}"
    );

    let total_rows: BTreeMap<String, usize> = log
        .iter()
        .filter(|e| e.kind == "statement")
        .filter_map(|e| match e.outcome {
            LogOutcome::Succeeded { rows } => Some((handle(e), rows)),
            _ => None,
        })
        .collect();
    let mut fetched: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for e in log.iter().filter(|e| e.kind == "partition") {
        let LogOutcome::Succeeded { rows } = e.outcome else {
            panic!("a partition fetch failed: {e:?}");
        };
        fetched
            .entry(handle(e))
            .or_default()
            .push((e.partition.unwrap_or_default(), rows));
    }
    let partitioned: Vec<&String> = total_rows
        .iter()
        .filter(|(_, rows)| **rows > rows_per_partition)
        .map(|(h, _)| h)
        .collect();
    assert!(!partitioned.is_empty(), "no result needed partitions");
    for h in partitioned {
        let total = total_rows[h];
        let mut got = fetched.remove(h).unwrap_or_default();
        got.sort_unstable();
        let partitions: Vec<usize> = got.iter().map(|(p, _)| *p).collect();
        let expected: Vec<usize> = (1..total.div_ceil(rows_per_partition)).collect();
        assert_eq!(
            partitions, expected,
            "partitions fetched for {h} ({total} rows)"
        );
        let rows: usize = got.iter().map(|(_, r)| r).sum();
        assert_eq!(
            rows + rows_per_partition,
            total,
            "the partitions of {h} did not carry every row"
        );
    }
    assert!(
        fetched.is_empty(),
        "partitions fetched for results that fit in one: {fetched:?}"
    );
}

#[test]
fn transient_faults_on_reads_are_retried() {
    let account = Account::shipped();
    account.faults(serde_json::json!({"next": ["429", "503", "drop_before_execute", "drop_after_execute", "503"]}));
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    let mut ids: Vec<String> = account
        .log()
        .into_iter()
        .filter(|e| e.kind == "statement")
        .filter_map(|e| e.request_id)
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "a request ran twice");
}

#[test]
fn the_built_in_sandbox_plan_shows_every_kind_of_change() {
    let account = Account::shipped();
    let run = account.cli_env(&["plan", "--sandbox"], &[]).success();
    for action in [
        "(create)",
        "(update)",
        "(grant)",
        "(attach)",
        "(detach)",
        "(rotate)",
        "(replace)",
        "(delete)",
    ] {
        assert!(
            run.stdout.contains(action),
            "no {action} in the demo plan: {run:?}"
        );
    }
    assert!(run.stderr.contains("built-in sandbox"), "{run:?}");
}

#[test]
fn a_snapshot_plans_offline_like_the_account() {
    let account = Account::shipped();
    account.cli(&["snapshot", "--out", "live.json"]).success();
    let online = account.cli(&["plan", "--format", "sql"]).success();
    let offline = account
        .cli_env(
            &["plan", "--live-state", "live.json", "--format", "sql"],
            &[],
        )
        .success();
    // The first line names the instant each plan was made for, a second or so apart.
    let body = |text: &str| text.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert!(
        online.stdout.starts_with("-- pat-reconcile plan for "),
        "{online:?}"
    );
    assert_eq!(body(&online.stdout), body(&offline.stdout));
}

#[test]
fn a_snapshot_narrower_than_the_file_is_refused_by_name() {
    let account = Account::shipped();
    // An analyst that exists in the account, and a snapshot taken before the file declared it.
    account.seed("CREATE USER ANALYST TYPE = PERSON");
    account.cli(&["snapshot", "--out", "live.json"]).success();
    let snapshot: serde_json::Value = serde_json::from_str(&account.read("live.json")).unwrap();
    assert_eq!(
        snapshot["scope"]["users"],
        serde_json::json!(["THERMAL_BACKFILL_USER", "THERMAL_STREAMING_USER"])
    );
    let wider = format!(
        "{}\n  ANALYST:\n    type: PERSON\n",
        account.read("pats.yaml").trim_end()
    );
    account.write("pats.yaml", &wider);
    let run = account.cli_env(&["plan", "--live-state", "live.json"], &[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains(
            "`live.json` was read for a narrower file; it knows nothing of `user.ANALYST`"
        ),
        "{run:?}"
    );
    assert!(!run.stdout.contains("user.ANALYST (create)"), "{run:?}");
    // A fresh snapshot of the wider file knows the analyst exists.
    account.cli(&["snapshot", "--out", "live.json"]).success();
    let run = account
        .cli_env(&["plan", "--live-state", "live.json"], &[])
        .success();
    assert!(!run.stdout.contains("user.ANALYST (create)"), "{run:?}");
}

#[test]
fn the_sandbox_command_serves_a_plan() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pat-reconcile"))
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--admin-token",
            "T0KEN",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let port = url.rsplit(':').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{}/pats.yaml", env!("CARGO_MANIFEST_DIR")),
        dir.path().join("pats.yaml"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pat-reconcile"))
        .args(["plan", "--format", "json"])
        .current_dir(dir.path())
        .env("SNOWFLAKE_HOME", dir.path())
        .env("SNOWFLAKE_ACCOUNT", "SANDBOX")
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", &port)
        .env("SNOWFLAKE_PROTOCOL", "http")
        .env("SNOWFLAKE_TOKEN", "T0KEN")
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    // The empty sandbox lacks the DEMO schema and role the file needs: preflight says so.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"format_version\": 3"), "{stdout}");
    assert!(
        stdout.contains("role-missing") || stdout.contains("THERMAL_STREAMING_ROLE"),
        "{stdout}"
    );
}

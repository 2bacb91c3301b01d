//! `status` against the sandbox after an apply: nothing to act on, then the clock moves until
//! the token is expiring, then a rotation leaves its old secret valid for the grace period.

use serde_json::Value;

use super::support::Account;

fn status(account: &Account) -> (Option<i32>, Value) {
    let out = account.cli(&["status", "--format", "json", "--detailed-exitcode"]);
    let report = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out.code, report)
}

/// `(token, finding codes)` of every row.
fn codes(report: &Value) -> Vec<(String, Vec<String>)> {
    report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["token"].as_str().unwrap().to_owned(),
                t["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["code"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn status_after_apply_reports_expiry_and_rotation_leftovers() {
    let account = Account::shipped();
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();

    let (code, report) = status(&account);
    assert_eq!(code, Some(0), "{report:#}");
    let thermal = report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["token"] == "THERMAL_PAT")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(thermal["status"], "ACTIVE");
    assert_eq!(thermal["declared"], true);
    assert_eq!(thermal["days_left"], 89, "{thermal:#}");
    assert_eq!(thermal["role_restriction"], "THERMAL_STREAMING_ROLE");
    assert!(
        codes(&report).iter().all(|(_, c)| c.is_empty()),
        "{report:#}"
    );

    account.advance_days(80);
    let (code, report) = status(&account);
    assert_eq!(code, Some(2), "{report:#}");
    assert!(
        codes(&report).contains(&("THERMAL_PAT".to_owned(), vec!["expiring".to_owned()])),
        "{report:#}"
    );

    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    let (code, report) = status(&account);
    assert_eq!(code, Some(2), "{report:#}");
    let rows = codes(&report);
    assert!(
        rows.contains(&("THERMAL_PAT".to_owned(), vec![])),
        "{report:#}"
    );
    assert!(
        rows.iter()
            .any(|(t, c)| t.starts_with("THERMAL_PAT_ROTATED") && c == &["rotation-leftover"]),
        "{report:#}"
    );
}

/// The value of `key` in a dotenv file of the account's directory.
fn dotenv_value(account: &Account, file: &str, key: &str) -> String {
    account
        .read(file)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("{key} not in {file}"))
}

/// `status` with the warehouse, `--unused-for 20`, as JSON.
fn status_with_usage(account: &Account) -> (Option<i32>, Value, String) {
    let out = account.cli(&[
        "status",
        "--warehouse",
        "status_wh",
        "--unused-for",
        "20",
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    let report = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out.code, report, out.all())
}

/// The report with the instants that depend on when the test ran replaced, for a snapshot.
fn stable(mut report: Value) -> Value {
    report["generated_at"] = Value::from("[now]");
    for t in report["tokens"].as_array_mut().unwrap() {
        for field in ["created_on", "expires_at", "rotates_on", "last_used"] {
            if !t[field].is_null() {
                t[field] = Value::from("[time]");
            }
        }
        for f in t["findings"].as_array_mut().unwrap() {
            let summary = f["summary"].as_str().unwrap().to_owned();
            if let Some((head, _)) = summary.split_once("(last used ") {
                f["summary"] = Value::from(format!("{head}(last used [date])"));
            }
        }
    }
    report
}

#[test]
fn with_a_warehouse_status_reports_last_use_and_each_finding_after_the_clock_moves() {
    let account = Account::shipped();
    // A third, short-lived token, declared beside the backfill one.
    let yaml = account.read("pats.yaml").replace(
        "          - dotenv_file: { path: backfill.env, key: SNOWFLAKE_TOKEN }\n",
        "          - dotenv_file: { path: backfill.env, key: SNOWFLAKE_TOKEN }\n      SHORT_PAT:\n        role_restriction: THERMAL_STREAMING_ROLE\n        days_to_expiry: 20\n        rotate_before_expiry_days: 1\n        deliver:\n          - file: { path: short.secret }\n",
    );
    account.write("pats.yaml", &yaml);
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    account.seed("CREATE WAREHOUSE STATUS_WH");
    let stray = account
        .sandbox
        .execute_as_admin(
            "ALTER USER THERMAL_STREAMING_USER ADD PROGRAMMATIC ACCESS TOKEN STRAY_PAT ROLE_RESTRICTION = THERMAL_STREAMING_ROLE DAYS_TO_EXPIRY = 90",
        )
        .unwrap()
        .value(0, "token_secret")
        .unwrap()
        .to_owned();
    let thermal = account.thermal_secret();
    let backfill = dotenv_value(&account, "backfill.env", "SNOWFLAKE_TOKEN");
    account.whoami(&thermal).unwrap();

    // Fresh tokens and a fresh login are not in the views yet (their latency is two hours).
    let (_, report, all) = status_with_usage(&account);
    assert_eq!(report["last_use"]["reported"], true, "{all}");
    assert!(
        report["last_use"]["note"]
            .as_str()
            .unwrap()
            .contains("up to 2 h"),
        "{report:#}"
    );
    let fresh: Vec<&str> = report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["last_use"].as_str().unwrap())
        .collect();
    assert!(fresh.iter().all(|s| *s == "not-in-view"), "{report:#}");

    // 23 days on, the backfill token and the stray are used; 24 days on, the thermal token's
    // one use is 24 days old, the backfill token has 6 days left, the short one has expired.
    account.advance_days(23);
    account.whoami(&backfill).unwrap();
    account.whoami(&stray).unwrap();
    account.advance_days(1);
    let (code, report, all) = status_with_usage(&account);
    assert_eq!(code, Some(2), "{all}");
    let rows = codes(&report);
    for (token, finding) in [
        ("BACKFILL_PAT", "expiring"),
        ("SHORT_PAT", "expired"),
        ("THERMAL_PAT", "unused"),
        ("STRAY_PAT", "undeclared"),
    ] {
        assert!(
            rows.contains(&(token.to_owned(), vec![finding.to_owned()])),
            "{token} should have exactly `{finding}`: {report:#}"
        );
    }
    let thermal_row = report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["token"] == "THERMAL_PAT")
        .unwrap();
    assert_eq!(thermal_row["logins"], 1, "{thermal_row:#}");
    insta::assert_json_snapshot!("status_with_last_use", stable(report));

    // The text table shows the last-use columns and says where they come from.
    let text = account.cli(&["status", "--warehouse", "status_wh", "--unused-for", "20"]);
    assert!(text.stdout.contains("LAST USED"), "{text:?}");
    assert!(
        text.stdout.contains("never used") || text.stdout.contains("unused for 20+ days"),
        "{text:?}"
    );
    assert!(
        text.stdout.contains("SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS"),
        "{text:?}"
    );

    // Without a warehouse, status says that last use needs one, and why.
    let blind = account.cli(&["status"]);
    assert!(!blind.stdout.contains("LAST USED"), "{blind:?}");
    assert!(
        blind.stdout.contains("last use needs a warehouse"),
        "{blind:?}"
    );
}

#[test]
fn all_reports_the_tokens_of_users_the_file_does_not_declare() {
    let account = Account::shipped();
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    account.seed("CREATE USER \"legacy etl\" TYPE = PERSON");
    account.seed(
        "ALTER USER \"legacy etl\" ADD PROGRAMMATIC ACCESS TOKEN OLD_PAT DAYS_TO_EXPIRY = 60",
    );
    account.seed("CREATE USER NO_TOKENS TYPE = PERSON");

    let declared_only = account.cli(&["status", "--format", "json"]);
    assert!(
        !declared_only.stdout.contains("legacy etl"),
        "{declared_only:?}"
    );

    let out = account.cli(&["status", "--all", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let rows: Vec<(&str, &str, bool)> = report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["user"].as_str().unwrap(),
                t["token"].as_str().unwrap(),
                t["declared"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        rows.contains(&("legacy etl", "OLD_PAT", false)),
        "{report:#}"
    );
    assert!(
        rows.contains(&("THERMAL_STREAMING_USER", "THERMAL_PAT", true)),
        "{report:#}"
    );
    assert!(
        !rows.iter().any(|(u, _, _)| *u == "NO_TOKENS"),
        "{report:#}"
    );
    assert!(
        codes(&report).contains(&("OLD_PAT".to_owned(), vec!["undeclared".to_owned()])),
        "{report:#}"
    );
}

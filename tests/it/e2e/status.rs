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

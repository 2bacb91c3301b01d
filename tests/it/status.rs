//! `pat-reconcile status --live-state FILE`: the real binary, its formats and exit codes.
//!
//! Scenarios live in `tests/fixtures/status/<behaviour>/` (and the `plan` fixtures where one
//! fits); each is reported at a fixed instant.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::Cli;

/// The instant the fixtures are reported at.
const AT: &str = "2026-11-27T12:00:00Z";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(area: &str, behaviour: &str) -> (PathBuf, PathBuf) {
    let dir = root().join("tests/fixtures").join(area).join(behaviour);
    (dir.join("pats.yaml"), dir.join("live.json"))
}

/// `status -f YAML --live-state LIVE --at AT` in a fresh directory.
fn status(area: &str, behaviour: &str) -> Cli {
    status_at(area, behaviour, AT)
}

/// The same at another instant.
fn status_at(area: &str, behaviour: &str, at: &str) -> Cli {
    let (yaml, live) = fixture(area, behaviour);
    Cli::new()
        .args(["status", "-f"])
        .arg(yaml)
        .arg("--live-state")
        .arg(live)
        .args(["--at", at])
}

const MIXED_TEXT: &str = "\
USER    TOKEN                  STATUS    ROLE         CREATED     EXPIRES     DAYS LEFT  ROTATES     DECLARED  FINDINGS
LOADER  DISABLED_PAT           DISABLED  LOADER_ROLE  2026-09-01  2027-01-20  54         2027-01-10  yes       disabled
LOADER  EXPIRED_PAT            EXPIRED   LOADER_ROLE  2026-08-22  2026-11-20  -7         2026-11-10  yes       expired
LOADER  EXPIRING_PAT           ACTIVE    LOADER_ROLE  2026-09-05  2026-12-04  7          2026-11-24  yes       expires in 7 day(s) (within 14)
LOADER  HEALTHY_PAT            ACTIVE    LOADER_ROLE  2026-11-12  2027-02-10  75         2027-01-31  yes       -
LOADER  HEALTHY_PAT_ROTATED_1  ACTIVE    LOADER_ROLE  2026-08-14  2026-11-28  1          -           no        rotation leftover still valid (rotated to HEALTHY_PAT)
LOADER  MISSING_PAT            -         LOADER_ROLE  -           -           -          -           yes       declared but not in the account
LOADER  STRAY_PAT              ACTIVE    LOADER_ROLE  2026-09-01  2027-01-01  35         -           no        not declared in pats.yaml

7 token(s), 6 finding(s) as of 2026-11-27 12:00 UTC (expiring means within 14 days)
note: last use is not in a live-state snapshot: read the account to see it
";

#[test]
fn every_finding_shows_in_the_text_table_and_exits_2() {
    let out = status("status", "mixed").arg("--detailed-exitcode").run();
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, MIXED_TEXT, "{out:?}");
    let plain = status("status", "mixed").run();
    assert_eq!(
        plain.code,
        Some(0),
        "without --detailed-exitcode: {plain:?}"
    );
}

#[test]
fn the_json_is_the_documented_wire_format() {
    let out = status("status", "mixed").args(["--format", "json"]).run();
    assert_eq!(out.code, Some(0), "{out:?}");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["generated_at"], AT);
    assert_eq!(report["within_days"], 14);
    assert_eq!(report["last_use"]["reported"], false);
    assert_eq!(report["summary"], json!({ "tokens": 7, "findings": 6 }));
    let tokens = report["tokens"].as_array().unwrap();
    let codes: Vec<(&str, Vec<&str>)> = tokens
        .iter()
        .map(|t| {
            (
                t["token"].as_str().unwrap(),
                t["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["code"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("DISABLED_PAT", vec!["disabled"]),
            ("EXPIRED_PAT", vec!["expired"]),
            ("EXPIRING_PAT", vec!["expiring"]),
            ("HEALTHY_PAT", vec![]),
            ("HEALTHY_PAT_ROTATED_1", vec!["rotation-leftover"]),
            ("MISSING_PAT", vec!["missing"]),
            ("STRAY_PAT", vec!["undeclared"]),
        ]
    );
    assert_eq!(
        tokens[2],
        json!({
            "address": "user.LOADER.token.EXPIRING_PAT",
            "user": "LOADER",
            "token": "EXPIRING_PAT",
            "status": "ACTIVE",
            "role_restriction": "LOADER_ROLE",
            "created_on": "2026-09-05T12:00:00Z",
            "expires_at": "2026-12-04T12:00:00Z",
            "days_left": 7,
            "rotates_on": "2026-11-24T12:00:00Z",
            "declared": true,
            "last_use": "unknown",
            "last_used": null,
            "logins": null,
            "findings": [{ "code": "expiring", "summary": "expires in 7 day(s) (within 14)" }]
        })
    );
    assert_eq!(tokens[5]["status"], Value::Null);
    assert_eq!(tokens[6]["rotates_on"], Value::Null);
}

#[test]
fn nothing_to_act_on_exits_0_and_within_moves_the_threshold() {
    // THERMAL_PAT expires 2026-12-06T12:00Z: 9 days left at AT.
    let expiring = status("plan", "rotate").arg("--detailed-exitcode").run();
    assert_eq!(expiring.code, Some(2), "{expiring:?}");
    assert!(
        expiring.stdout.contains("expires in 9 day(s)"),
        "{expiring:?}"
    );
    let narrower = status("plan", "rotate")
        .args(["--detailed-exitcode", "--within", "5"])
        .run();
    assert_eq!(narrower.code, Some(0), "{narrower:?}");
    assert!(
        narrower.stdout.contains("1 token(s), 0 finding(s)"),
        "{narrower:?}"
    );
    let earlier = status_at("plan", "rotate", "2026-11-01T00:00:00Z")
        .arg("--detailed-exitcode")
        .run();
    assert_eq!(earlier.code, Some(0), "{earlier:?}");
}

#[test]
fn csv_and_markdown_carry_the_same_rows() {
    let csv = status("status", "mixed").args(["--format", "csv"]).run();
    assert_eq!(csv.code, Some(0), "{csv:?}");
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "user,token,status,role_restriction,created_on,expires_at,days_left,rotates_on,declared,last_used,logins,findings"
    );
    assert_eq!(
        lines[3],
        "LOADER,EXPIRING_PAT,ACTIVE,LOADER_ROLE,2026-09-05T12:00:00Z,2026-12-04T12:00:00Z,7,2026-11-24T12:00:00Z,true,,,expiring"
    );
    assert_eq!(lines.len(), 8);
    let md = status("status", "mixed")
        .args(["--format", "markdown"])
        .run();
    assert_eq!(md.code, Some(0), "{md:?}");
    assert!(
        md.stdout
            .contains("| LOADER | STRAY_PAT | ACTIVE | LOADER_ROLE | 2026-09-01 | 2027-01-01 | 35 | - | no | not declared in pats.yaml |"),
        "{md:?}"
    );
    assert!(
        md.stdout
            .contains("last use is not in a live-state snapshot"),
        "{md:?}"
    );
}

#[test]
fn a_pending_record_in_the_checkout_is_a_finding() {
    let (yaml, live) = fixture("plan", "rotate");
    let cli = Cli::new();
    let dir = cli.dir().to_owned();
    std::fs::copy(&yaml, dir.join("pats.yaml")).unwrap();
    let pending = dir.join(".pat-reconcile/pending");
    std::fs::create_dir_all(&pending).unwrap();
    std::fs::write(
        pending.join("THERMAL_STREAMING_USER.THERMAL_PAT.20261120T120000Z.secret.json"),
        json!({
            "format_version": 1,
            "user": "THERMAL_STREAMING_USER",
            "token": "THERMAL_PAT",
            "rescue_file": "THERMAL_STREAMING_USER.THERMAL_PAT.20261120T120000Z.secret",
            "created_at": "2026-11-20T12:00:00Z",
            "delivered": [],
            "undelivered": ["json_file snowflake_config.json#/pat"]
        })
        .to_string(),
    )
    .unwrap();
    let out = cli
        .args([
            "status",
            "--format",
            "json",
            "--detailed-exitcode",
            "--within",
            "5",
            "--at",
            AT,
        ])
        .arg("--live-state")
        .arg(live)
        .run();
    assert_eq!(out.code, Some(2), "{out:?}");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = &report["tokens"][0]["findings"];
    assert_eq!(findings.as_array().unwrap().len(), 1, "{out:?}");
    assert_eq!(findings[0]["code"], "pending-delivery");
}

#[test]
fn a_missing_file_is_an_error() {
    let out = Cli::new()
        .args(["status", "--detailed-exitcode", "--live-state", "live.json"])
        .run();
    assert_eq!(out.code, Some(1), "{out:?}");
}

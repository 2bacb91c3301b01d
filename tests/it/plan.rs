//! `pat-reconcile plan --live-state FILE`: the real binary, its four formats, saved plans, exit
//! codes and errors.
//!
//! Scenarios live in `tests/fixtures/plan/<behaviour>/` (`live.json` and the `pats.yaml` it is
//! planned against, so that edits to the shipped example do not move them); each is planned at a
//! fixed instant and snapshotted in every format. The shipped `pats.yaml` itself is snapshotted
//! against an empty account.

use std::path::{Path, PathBuf};

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::Cli;

/// The instant the fixtures are planned at.
const AT: &str = "2026-11-27T12:00:00Z";
const FORMATS: [&str; 4] = ["text", "json", "markdown", "sql"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(behaviour: &str) -> (PathBuf, PathBuf) {
    let dir = root().join("tests/fixtures/plan").join(behaviour);
    (dir.join("pats.yaml"), dir.join("live.json"))
}

/// `plan -f YAML --live-state LIVE`, run by [`Cli`] in a fresh directory with a clean
/// environment.
fn plan(yaml: &Path, live: &Path) -> Cli {
    Cli::new()
        .args(["plan", "-f"])
        .arg(yaml)
        .arg("--live-state")
        .arg(live)
}

/// `plan` of a scenario in `tests/fixtures/plan/`.
fn plan_fixture(behaviour: &str) -> Cli {
    let (yaml, live) = fixture(behaviour);
    plan(&yaml, &live)
}

/// The output with what changes between builds taken out: the tool's version, and the digest of
/// the desired state (it moves whenever the config model gains a field).
fn redact(text: &str) -> String {
    let mut text = text.replace(
        &format!("\"tool_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"tool_version\": \"[version]\"",
    );
    for (marker, len) in [("\"config_digest\": \"", 64), ("config digest `", 12)] {
        if let Some(at) = text.find(marker) {
            let start = at + marker.len();
            text.replace_range(start..start + len, "[digest]");
        }
    }
    text
}

fn plan_every_format(yaml: &Path, live: &Path, name: &str, code: i32) {
    for format in FORMATS {
        let out = plan(yaml, live)
            .arg("--format")
            .arg(format)
            .arg("--at")
            .arg(AT)
            .run();
        assert_eq!(out.code, Some(code), "{name} --format {format}: {out:?}");
        insta::assert_snapshot!(format!("{name}.{format}"), redact(&out.stdout));
    }
}

#[test]
fn the_shipped_pats_yaml_against_an_empty_account() {
    let live = root().join("tests/fixtures/plan/empty-account/live.json");
    plan_every_format(&root().join("pats.yaml"), &live, "shipped-empty-account", 0);
}

#[test]
fn every_behaviour_in_every_format() {
    let behaviours = [
        ("in-sync", 0),
        ("drift", 0),
        ("rotate", 0),
        ("replace", 0),
        ("tombstone", 0),
        ("preflight-error", 1),
    ];
    for (behaviour, code) in behaviours {
        let (yaml, live) = fixture(behaviour);
        plan_every_format(&yaml, &live, behaviour, code);
    }
}

#[test]
fn the_plan_json_is_the_documented_wire_format() {
    let out = plan_fixture("drift")
        .arg("--format=json")
        .arg("--at")
        .arg(AT)
        .run();
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(plan["format_version"], 3);
    assert_eq!(plan["generated_at"], AT);
    assert_eq!(
        plan["origin"],
        json!({ "account": "SANDBOX", "user": "ADMIN", "role": "ACCOUNTADMIN" })
    );
    assert_eq!(plan["summary"]["changes"], 10);
    assert_eq!(plan["summary"]["destructive"], 1);
    let rotate = &plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "user.THERMAL_STREAMING_USER.token.LEGACY_PAT")
        .unwrap();
    assert_eq!(rotate["action"], "delete");
    assert_eq!(rotate["destructive"], true);
    assert_eq!(rotate["user"], "THERMAL_STREAMING_USER");
    assert_eq!(rotate["token"], "LEGACY_PAT");
    assert_eq!(rotate["reason_detail"], json!({ "kind": "undeclared" }));
    assert_eq!(
        rotate["statements"],
        json!([{ "sql": "ALTER USER \"THERMAL_STREAMING_USER\" REMOVE PROGRAMMATIC ACCESS TOKEN \"LEGACY_PAT\"", "returns_secret": false }])
    );
}

#[test]
fn out_saves_the_json_plan_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let out = plan_fixture("rotate")
        .arg("--at")
        .arg(AT)
        .arg("--out")
        .arg(saved.to_str().unwrap())
        .arg("--format")
        .arg("text")
        .run();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .starts_with("Plan for account `SANDBOX`, user `ADMIN`, role `ACCOUNTADMIN`.\n\npat-reconcile will perform"),
        "{out:?}"
    );
    let text = std::fs::read_to_string(&saved).unwrap();
    let plan: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(plan["format_version"], 3);
    assert_eq!(plan["origin"]["account"], "SANDBOX");
    assert_eq!(plan["config_digest"].as_str().unwrap().len(), 64);
    let fingerprints = plan["live_fingerprints"].as_object().unwrap();
    let keys: Vec<&str> = fingerprints.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "account",
            "authentication_policy.DEMO.DEMO.STREAMING_PATS",
            "network_policy.THERMAL_STREAMING_POLICY",
            "network_rule.DEMO.DEMO.THERMAL_GATEWAYS",
            "user.THERMAL_STREAMING_USER",
        ]
    );
    assert!(
        fingerprints
            .values()
            .all(|v| v.as_str().unwrap().len() == 64),
        "{fingerprints:?}"
    );
    assert_eq!(plan["changes"][0]["action"], "rotate");
    assert_eq!(plan["changes"][0]["mints_secret"], true);
    // The same plan as --format json prints.
    let json_out = plan_fixture("rotate")
        .arg("--at")
        .arg(AT)
        .arg("--format")
        .arg("json")
        .run();
    assert_eq!(text, json_out.stdout);
    // The token's secret is described, never present: no field is named like one, and the only
    // secret-ish values are the plan's own placeholders.
    assert!(!text.contains("token_secret"), "{text}");
    let secrets: Vec<(&Value, &Value)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["attributes"].as_array().unwrap())
        .filter(|a| a["name"] == "secret")
        .map(|a| (&a["before"], &a["after"]))
        .collect();
    assert_eq!(
        secrets,
        [(
            &json!("(current secret, valid 24 more hours)"),
            &json!("(new secret, delivered to json_file snowflake_config.json /pat)")
        )]
    );
}

#[test]
fn a_new_account_is_fingerprinted_as_absent() {
    let (yaml, _) = fixture("in-sync");
    let live = root().join("tests/fixtures/plan/empty-account/live.json");
    let out = plan(&yaml, &live).arg("--format=json").run();
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    let fingerprints = plan["live_fingerprints"].as_object().unwrap();
    for (address, fp) in fingerprints {
        if address != "account" {
            assert_eq!(fp, "absent", "{address}");
        }
    }
}

#[test]
fn a_snapshot_without_a_scope_is_accepted_with_a_warning() {
    let live = root().join("tests/fixtures/plan/empty-account/live.json");
    let out = plan(&root().join("pats.yaml"), &live).run();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr
            .contains("does not record the scope it was read for (an older snapshot)"),
        "{out:?}"
    );
}

#[test]
fn a_snapshot_narrower_than_the_file_is_refused_naming_what_it_lacks() {
    let (wider, _) = fixture("tombstone");
    let (_, narrower) = fixture("rotate");
    let out = plan(&wider, &narrower).run();
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains(
            "knows nothing of `user.ANALYST`, `network_policy.OFFICE_POLICY`, `network_rule.DEMO.DEMO.OFFICE_IPS`"
        ),
        "{out:?}"
    );
    assert!(out.stderr.contains("hint: take a new snapshot"), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
}

#[test]
fn out_reports_a_file_it_cannot_write() {
    let out = plan_fixture("in-sync")
        .arg("--out")
        .arg("/nonexistent-dir/plan.json")
        .run();
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("error: cannot write `/nonexistent-dir/plan.json`"),
        "{out:?}"
    );
}

#[test]
fn detailed_exitcode_tells_no_changes_changes_and_errors_apart() {
    let cases = [("in-sync", 0), ("rotate", 2), ("preflight-error", 1)];
    for (behaviour, code) in cases {
        let out = plan_fixture(behaviour)
            .arg("--detailed-exitcode")
            .arg("--at")
            .arg(AT)
            .run();
        assert_eq!(out.code, Some(code), "{behaviour}: {out:?}");
    }
    // Without the flag, changes are a success.
    let out = plan_fixture("rotate").arg("--at").arg(AT).run();
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[test]
fn a_preflight_error_fails_the_plan_and_says_what_to_change() {
    let out = plan_fixture("preflight-error").arg("--at").arg(AT).run();
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stdout.contains(
            "error[pat-session-user]: this session authenticated with a token of THERMAL_STREAMING_USER"
        ),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("hint: connect as another user, or with key-pair authentication"),
        "{out:?}"
    );
    assert_eq!(
        out.stderr,
        "error: the plan has 1 preflight error(s); nothing was changed\n"
    );
}

/// A live state whose token expires 20 days and an hour from the real clock: outside the 14-day
/// window today, inside it a week from now.
fn expiring_in_20_days(dir: &Path) -> PathBuf {
    let (_, live) = fixture("in-sync");
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(live).unwrap()).unwrap();
    let now = Utc::now();
    let token = &mut state["users"]["THERMAL_STREAMING_USER"]["tokens"][0];
    token["created_on"] = json!(
        (now - Duration::days(70) + Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    token["expires_at"] = json!(
        (now + Duration::days(20) + Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let path = dir.join("live.json");
    std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();
    path
}

#[test]
fn at_plans_as_of_another_instant() {
    let dir = tempfile::tempdir().unwrap();
    let live = expiring_in_20_days(dir.path());
    let (yaml, _) = fixture("in-sync");
    let today = plan(&yaml, &live).arg("--detailed-exitcode").run();
    assert_eq!(today.code, Some(0), "{today:?}");
    assert!(today.stdout.contains("No changes."), "{today:?}");

    let next_week = plan(&yaml, &live)
        .arg("--detailed-exitcode")
        .arg("--at")
        .arg("+7d")
        .run();
    assert_eq!(next_week.code, Some(2), "{next_week:?}");
    assert!(
        next_week
            .stdout
            .contains("↻ user.THERMAL_STREAMING_USER.token.THERMAL_PAT (rotate)"),
        "{next_week:?}"
    );
    assert!(
        next_week
            .stdout
            .contains("# expires in 13 days, rotate_before_expiry_days = 14"),
        "{next_week:?}"
    );

    // RFC 3339, with an offset: the fixture's token is 9 days from expiry on 2026-11-27 and
    // 55 days on 2026-10-12 (before its window).
    let (yaml, live) = fixture("rotate");
    let before = plan(&yaml, &live)
        .arg("--detailed-exitcode")
        .arg("--at")
        .arg("2026-10-12T14:00:00+02:00")
        .run();
    assert_eq!(before.code, Some(0), "{before:?}");
    let json = plan(&yaml, &live)
        .arg("--format=json")
        .arg("--at")
        .arg("2026-11-27T13:00:00+01:00")
        .run();
    let plan: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["generated_at"], AT);
    assert_eq!(plan["changes"][0]["action"], "rotate");
}

#[test]
fn a_bad_at_is_a_usage_error_not_a_plan_with_changes() {
    let out = plan_fixture("in-sync")
        .arg("--detailed-exitcode")
        .arg("--at")
        .arg("next week")
        .run();
    assert_eq!(out.code, Some(1), "2 would read as changes: {out:?}");
    assert!(
        out.stderr
            .contains("is neither RFC 3339 (2026-12-01T00:00:00Z) nor an offset such as +7d"),
        "{out:?}"
    );
}

#[test]
fn a_bad_live_state_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        (
            write("not-json.json", "users: []\n"),
            "is not a live-state file",
            "expected value at line 1 column 1",
        ),
        (
            write(
                "unknown-key.json",
                r#"{ "format_version": 1, "userz": {} }"#,
            ),
            "is not a live-state file",
            "unknown field `userz`",
        ),
        (
            write(
                "bad-token.json",
                r#"{ "format_version": 1, "users": { "U": { "tokens": [{ "name": "T" }] } } }"#,
            ),
            "is not a live-state file",
            "missing field `user_name`",
        ),
        (
            write("future.json", r#"{ "format_version": 2 }"#),
            "has live-state format version 2; this pat-reconcile reads version 1",
            "",
        ),
        (dir.path().join("missing.json"), "cannot read", "caused by:"),
    ];
    for (path, message, cause) in cases {
        let out = plan(&fixture("in-sync").0, &path).run();
        assert_eq!(out.code, Some(1), "{}: {out:?}", path.display());
        assert!(
            out.stderr.starts_with("error: ") && out.stderr.contains(message),
            "{}: {out:?}",
            path.display()
        );
        assert!(out.stderr.contains(cause), "{}: {out:?}", path.display());
        assert!(out.stdout.is_empty(), "{out:?}");
    }
}

#[test]
fn two_live_state_sources_are_refused() {
    let out = plan_fixture("in-sync")
        .arg("--sandbox")
        .arg("--detailed-exitcode")
        .run();
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "error: `--live-state` and `--sandbox` are two different sources; pick one\n"
    );
    assert_eq!(out.stdout, "");
}

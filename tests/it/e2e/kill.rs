//! Signals and kills while a minting statement is in flight (issue 14, "Secrets lost"): the real
//! binary is spawned against a sandbox whose latency holds each statement open, and signalled
//! as soon as the journal shows the intent of an ADD or ROTATE. SIGTERM behaves like the first
//! Ctrl-C: the statement finishes, its secret is delivered, nothing new starts, exit 1. SIGKILL
//! cannot be handled: the intent covers it, and the next plan rotates out the secret nobody
//! received. Either way, after the next apply the consumer's secret authenticates, and the
//! consumer's previous secret was not revoked early.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::support::{Account, plan_is_empty};

/// The statement latency while the signalled apply runs: the window to hit.
const LATENCY_MS: u64 = 800;

/// How long after its intent the signal comes: the statement has been sent by then (and is
/// held by the latency).
const AFTER_INTENT_MS: u64 = 250;

fn apply(account: &Account) -> crate::support::Output {
    account.cli(&["apply", "--auto-approve", "--allow-destroy"])
}

/// Spawns `apply --auto-approve --allow-destroy` against the sandbox, as `Account::cli` runs it.
fn spawn_apply(account: &Account) -> Child {
    let url = account.sandbox.url();
    let port = url.rsplit(':').next().unwrap().to_owned();
    Command::new(env!("CARGO_BIN_EXE_pat-reconcile"))
        .args(["apply", "--auto-approve", "--allow-destroy"])
        .current_dir(account.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", account.dir.path())
        .env("SNOWFLAKE_HOME", account.path(".snowflake"))
        .env("NO_COLOR", "1")
        .env("SNOWFLAKE_ACCOUNT", account.sandbox.account())
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", &port)
        .env("SNOWFLAKE_PROTOCOL", "http")
        .env("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN")
        .env("SNOWFLAKE_USER", "ADMIN")
        .env("SNOWFLAKE_TOKEN", account.sandbox.admin_token())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The journal's intent lines (`"intent"` set) as JSON.
fn intents(account: &Account) -> Vec<serde_json::Value> {
    std::fs::read_to_string(account.path(".pat-reconcile/journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("intent").is_some())
        .collect()
}

/// Waits until the journal holds a new intent of `kind` (`add` or `rotate`) for THERMAL_PAT,
/// i.e. its statement is about to be, or is being, sent.
fn wait_for_intent(account: &Account, kind: &str, before: usize) {
    let started = Instant::now();
    loop {
        let found = intents(account)[before.min(intents(account).len())..]
            .iter()
            .any(|v| v["kind"] == kind && v["declared"] == "THERMAL_PAT");
        if found {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no {kind} intent appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn set_latency(account: &Account, ms: u64) {
    account.faults(json!({ "latency_ms": ms }));
}

/// Runs the signalled apply: latency on, spawn, `signal` once the THERMAL_PAT intent of `kind`
/// is on disk, latency off. Returns the exit code and stderr.
fn signalled_apply(account: &Account, kind: &str, name: &str) -> (Option<i32>, String) {
    let before = intents(account).len();
    set_latency(account, LATENCY_MS);
    let child = spawn_apply(account);
    wait_for_intent(account, kind, before);
    std::thread::sleep(Duration::from_millis(AFTER_INTENT_MS));
    signal(&child, name);
    let out = child.wait_with_output().unwrap();
    set_latency(account, 0);
    // A killed statement keeps running in the account (as in Snowflake): let it finish.
    std::thread::sleep(Duration::from_millis(LATENCY_MS + 200));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn authenticates(account: &Account, secret: &str) -> bool {
    account
        .whoami(secret)
        .is_ok_and(|(user, _)| user == "THERMAL_STREAMING_USER")
}

#[test]
fn sigterm_during_an_add_finishes_and_delivers_the_in_flight_secret() {
    let account = Account::shipped();
    let (code, stderr) = signalled_apply(&account, "add", "-TERM");
    assert_eq!(code, Some(1), "SIGTERM ends with an error: {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    // The ADD in flight finished and its secret was delivered before stopping.
    let secret = account.thermal_secret();
    assert!(authenticates(&account, &secret), "{stderr}");
    assert!(
        !stderr.contains(&secret) && !account.all_files_text().contains(&secret),
        "the secret leaked"
    );

    apply(&account).success();
    assert_eq!(account.thermal_secret(), secret, "nothing re-minted it");
    assert!(authenticates(&account, &secret));
    plan_is_empty(&account);
}

#[test]
fn sigkill_during_an_add_is_recovered_by_the_next_apply() {
    let account = Account::shipped();
    let before = account.read("snowflake_config.json");
    let (code, _) = signalled_apply(&account, "add", "-KILL");
    assert_eq!(code, None, "killed by the signal");
    assert_eq!(
        account.read("snowflake_config.json"),
        before,
        "nothing was delivered"
    );

    // The next plan is not "No changes": the token exists with a secret nobody received.
    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(plan.stdout.contains("THERMAL_PAT"), "{plan:?}");
    assert!(
        plan.stdout.contains("interrupted"),
        "the plan says why: {plan:?}"
    );
    // `status` names it too: the account shows the token, the journal's intent is open.
    let status = account.cli(&["status", "--format", "json"]).success();
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let undelivered: Vec<&serde_json::Value> = report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "undelivered-secret")
        })
        .collect();
    assert!(!undelivered.is_empty(), "{}", status.stdout);

    let run = apply(&account).success();
    let secret = account.thermal_secret();
    assert!(authenticates(&account, &secret), "{run:?}");
    plan_is_empty(&account);
    assert!(
        !account.all_files_text().contains(&secret),
        "the secret leaked"
    );
}

/// A shipped account applied once, the clock moved into THERMAL_PAT's rotation window; returns
/// the consumer's secret.
fn due_for_rotation(account: &Account) -> String {
    apply(account).success();
    account.advance_days(80);
    account.thermal_secret()
}

#[test]
fn sigterm_during_a_rotate_delivers_the_new_secret_and_the_old_keeps_its_grace() {
    let account = Account::shipped();
    let first = due_for_rotation(&account);
    let (code, stderr) = signalled_apply(&account, "rotate", "-TERM");
    assert_eq!(code, Some(1), "{stderr}");
    let second = account.thermal_secret();
    assert_ne!(second, first, "the in-flight ROTATE delivered: {stderr}");
    assert!(authenticates(&account, &second));
    assert!(
        authenticates(&account, &first),
        "the old secret keeps its grace"
    );

    apply(&account).success();
    assert_eq!(account.thermal_secret(), second);
    assert!(authenticates(&account, &second));
    assert!(authenticates(&account, &first), "not revoked early");
    plan_is_empty(&account);
}

#[test]
fn sigkill_during_a_rotate_rotates_out_only_the_lost_secret() {
    let account = Account::shipped();
    let first = due_for_rotation(&account);
    let (code, _) = signalled_apply(&account, "rotate", "-KILL");
    assert_eq!(code, None);
    // The ROTATE ran; its secret reached nobody. The consumer still has the old one, which
    // works for its grace period.
    assert_eq!(account.thermal_secret(), first);
    assert!(authenticates(&account, &first));
    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(
        plan.stdout.contains("EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0"),
        "{plan:?}"
    );

    let run = apply(&account).success();
    let second = account.thermal_secret();
    assert_ne!(second, first, "{run:?}");
    assert!(authenticates(&account, &second), "{run:?}");
    assert!(
        authenticates(&account, &first),
        "the consumer's old secret keeps its planned grace"
    );
    plan_is_empty(&account);
    account.advance_hours(25);
    assert!(
        !authenticates(&account, &first),
        "the grace ends as planned"
    );
    assert!(authenticates(&account, &second));
}

#[test]
fn a_second_sigterm_during_delivery_leaves_the_secret_in_its_rescue_file() {
    let account = Account::shipped();
    // A consumer CLI that takes its time: the second signal lands while it runs.
    account.write("slow-consumer.sh", "#!/bin/sh\nsleep 3\ncat >/dev/null\n");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            account.path("slow-consumer.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    account.thermal_also_delivers_to(r#"{ command: { argv: ["./slow-consumer.sh"] } }"#);
    let before = intents(&account).len();
    set_latency(&account, LATENCY_MS);
    let child = spawn_apply(&account);
    wait_for_intent(&account, "add", before);
    std::thread::sleep(Duration::from_millis(AFTER_INTENT_MS));
    signal(&child, "-TERM");
    // The ADD answers after the latency; then the JSON file, then the slow command.
    std::thread::sleep(Duration::from_millis(LATENCY_MS + 1000));
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    set_latency(&account, 0);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(account.rescue_files().len(), 1, "{stderr}");
    assert_eq!(account.pending_records().len(), 1, "{stderr}");
    // The next plan says so; apply delivers it from the rescue file, then converges.
    let plan = account.cli(&["plan"]);
    assert_eq!(plan.code, Some(1), "{plan:?}");
    assert!(plan.all().contains("pending"), "{plan:?}");
    let rescued = std::fs::read_to_string(&account.rescue_files()[0]).unwrap();
    apply(&account).success();
    let secret = account.thermal_secret();
    assert_eq!(
        secret,
        rescued.trim_end(),
        "the rescued secret was delivered"
    );
    assert!(authenticates(&account, &secret));
    assert!(account.rescue_files().is_empty());
    plan_is_empty(&account);
}

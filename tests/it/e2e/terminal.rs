//! What a user at a terminal sees while a command talks to the account, and what a CI log gets
//! instead: the real binary on a pty (`script` from util-linux) and piped, against a sandbox
//! with some latency so that the bar is drawn more than once.
//!
//! Without `script` the pty tests print why and pass without checking (a developer machine
//! without util-linux); CI's image has it, so there they always run.

use std::process::{Command, Stdio};

use serde_json::json;

use super::support::Account;

/// The first statement of the next run is answered 503 once, and every request waits 40 ms
/// (a read of the shipped account then takes a few hundred ms, several frames of the bar).
fn slow_and_refused_once(account: &Account) {
    account.faults(json!({ "latency_ms": 40, "next": ["503"] }));
}

/// The faults still queued for the next submissions (`POST /sandbox/v1/faults` with no change
/// answers the current settings).
fn queued_faults(account: &Account) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/sandbox/v1/faults", account.sandbox.url()))
            .bearer_auth(account.sandbox.admin_token())
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["next"].clone()
    })
}

/// The one line a retried statement gets, up to its request id.
const RETRY_LINE: &str = "retrying a statement after HTTP 503 (attempt 2 of 6, request ";

/// What indicatif writes to redraw its line in place: carriage return, erase line.
const REDRAW: &str = "\r\x1b[2K";

/// Whether `script` can give the binary a pty here; prints why not when it cannot.
fn have_pty() -> bool {
    let ok = Command::new("script")
        .args(["-qfec", "true", "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: `script` (util-linux) cannot run a command on a pty here");
    }
    ok
}

/// Runs `pat-reconcile <args>` against `account` as ADMIN with stdout and stderr on a pty
/// (`script`), as a user at a terminal sees it; returns the exit code and what the terminal got.
fn on_a_terminal(account: &Account, args: &str) -> (Option<i32>, String) {
    let url = account.sandbox.url();
    let port = url.rsplit(':').next().unwrap_or_default().to_owned();
    let bin = env!("CARGO_BIN_EXE_pat-reconcile");
    let mut command = Command::new("script");
    command
        .args(["-qfec", &format!("{bin} {args}"), "/dev/null"])
        .current_dir(account.dir.path())
        .stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SNOWFLAKE_") {
            command.env_remove(&name);
        }
    }
    command
        .env_remove("PAT_RECONCILE_LOG")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("COLUMNS", "120")
        .env("SNOWFLAKE_HOME", account.dir.path().join(".snowflake"))
        .env("SNOWFLAKE_ACCOUNT", account.sandbox.account())
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", port)
        .env("SNOWFLAKE_PROTOCOL", "http")
        .env("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN")
        .env("SNOWFLAKE_TOKEN", account.sandbox.admin_token())
        .env("SNOWFLAKE_USER", "ADMIN");
    let out = command.output().expect("run script (util-linux)");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The `done/total` counts of every frame of the bar of `prefix` on `screen`.
fn bar_counts(screen: &str, prefix: &str) -> Vec<(u64, u64)> {
    screen
        .split(prefix)
        .skip(1)
        .filter_map(|frame| frame.split_once("] ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once(" statements"))
        .filter_map(|(n, _)| n.split_once('/'))
        .filter_map(|(d, t)| Some((d.trim().parse().ok()?, t.trim().parse().ok()?)))
        .collect()
}

/// Nothing of a progress display: no carriage return, no escape sequence, no bar text.
#[track_caller]
fn assert_no_display(output: &str, context: &dyn std::fmt::Debug) {
    assert!(!output.contains('\r'), "{context:?}");
    assert!(!output.contains('\x1b'), "{context:?}");
    assert!(!output.contains("reading live state"), "{context:?}");
    assert!(!output.contains(" statements "), "{context:?}");
}

#[test]
fn plan_on_a_terminal_shows_the_read_bar_and_one_retry_line_above_it() {
    if !have_pty() {
        return;
    }
    let account = Account::shipped();
    slow_and_refused_once(&account);
    let (code, screen) = on_a_terminal(&account, "plan");
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(screen.matches(RETRY_LINE).count(), 1, "{screen}");
    // The bar, redrawn in place, counting statements of a total that grows as the per-user
    // reads become known; never past its total, and moving.
    assert!(screen.contains("reading live state ["), "{screen}");
    assert!(screen.contains(REDRAW), "{screen:?}");
    let counts = bar_counts(&screen, "reading live state [");
    assert!(!counts.is_empty(), "{screen:?}");
    assert!(counts.iter().all(|(d, t)| d <= t), "{counts:?}");
    assert!(counts.iter().any(|(d, _)| *d > 0), "{screen:?}");
    // The retry line is printed on a line of its own: the frame before it is erased first.
    let retry = screen
        .lines()
        .find(|l| l.contains(RETRY_LINE))
        .unwrap_or_default();
    let retry = retry.rsplit(REDRAW).next().unwrap_or_default();
    assert!(retry.starts_with(RETRY_LINE), "{retry:?}");
    // The plan follows, and the bar is erased from the last line it drew on.
    let after_bar = screen.rsplit(REDRAW).next().unwrap_or_default();
    assert!(after_bar.starts_with("Plan for account"), "{after_bar:?}");
}

#[test]
fn plan_piped_shows_no_bar_and_one_plain_line_per_retry() {
    let account = Account::shipped();
    slow_and_refused_once(&account);
    let run = account.cli(&["plan"]).success();
    let retries: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("retrying"))
        .collect();
    assert_eq!(retries.len(), 1, "{run:?}");
    assert!(retries[0].starts_with(RETRY_LINE), "{run:?}");
    assert!(run.stdout.contains("Plan for account"), "{run:?}");
    assert_no_display(&run.stdout, &run);
    assert_no_display(&run.stderr, &run);
}

#[test]
fn plan_quiet_shows_nothing_extra_on_a_terminal_or_piped() {
    let account = Account::shipped();
    // Piped: the plan on stdout, and stderr empty even though a statement was retried.
    slow_and_refused_once(&account);
    let run = account.cli(&["plan", "--quiet"]).success();
    assert!(run.stdout.contains("Plan for account"), "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    assert_no_display(&run.stdout, &run);
    // The 503 was there to be retried: the sandbox drew it from its queue.
    assert_eq!(queued_faults(&account), json!([]));

    if !have_pty() {
        return;
    }
    slow_and_refused_once(&account);
    let (code, screen) = on_a_terminal(&account, "plan -q");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Plan for account"), "{screen}");
    assert!(!screen.contains("retrying"), "{screen}");
    assert!(!screen.contains("reading live state"), "{screen}");
    assert!(!screen.contains(REDRAW), "{screen:?}");
}

#[test]
fn apply_on_a_terminal_shows_statements_done_of_total_and_the_token_delivered_and_piped_none() {
    if have_pty() {
        // Slow enough statements (150 ms each) that the bar is drawn while a secret is
        // being delivered.
        let account = Account::shipped();
        account.faults(json!({ "latency_ms": 150, "next": ["503"] }));
        let (code, screen) = on_a_terminal(&account, "apply --auto-approve --allow-destroy");
        assert_eq!(code, Some(0), "{screen}");
        assert_eq!(screen.matches(RETRY_LINE).count(), 1, "{screen}");
        // `applying 13 changes [====>     ] 5/14 statements 0s` and, on the line below,
        // `  delivering user.U.token.T`.
        let first = screen
            .find("applying ")
            .unwrap_or_else(|| panic!("{screen}"));
        let changes = screen[first..]
            .strip_prefix("applying ")
            .and_then(|l| l.split_once(" changes ["))
            .map(|(n, _)| n)
            .unwrap_or_else(|| panic!("{screen:?}"));
        assert!(changes.parse::<u32>().is_ok_and(|n| n > 0), "{screen:?}");
        let prefix = format!("applying {changes} changes [");
        let counts = bar_counts(&screen, &prefix);
        assert!(!counts.is_empty(), "{screen:?}");
        assert!(counts.iter().all(|(d, t)| d <= t), "{counts:?}");
        // Statements done only grow, of one total: the plan's statements (14 for the shipped
        // plan against this account; more only if a recovery ran statements the plan did not
        // count).
        assert!(counts.windows(2).all(|w| w[0].0 <= w[1].0), "{counts:?}");
        let total = counts[0].1;
        assert!(total > 0, "{counts:?}");
        assert!(counts.iter().any(|(d, _)| *d > 0), "{counts:?}");
        // The shipped plan mints two secrets, and the bar names a token while it is delivered.
        assert!(
            screen.contains("delivering user.THERMAL_STREAMING_USER.token.THERMAL_PAT")
                || screen.contains("delivering user.THERMAL_BACKFILL_USER.token.BACKFILL_PAT"),
            "{screen:?}"
        );
        // The bar is erased before the summary, which reports the same number of statements.
        let summary = screen
            .find("Apply complete")
            .unwrap_or_else(|| panic!("{screen}"));
        assert!(first < summary, "{screen}");
        assert!(screen[first..summary].contains(REDRAW), "{screen:?}");
        assert!(
            screen[summary..].contains(&format!("{total} statements")),
            "{total}: {screen:?}"
        );
        let after_bar = screen[..summary].rsplit(REDRAW).next().unwrap_or_default();
        assert!(!after_bar.contains("applying "), "{after_bar:?}");
        assert!(!after_bar.contains("delivering "), "{after_bar:?}");
    }

    // The same apply piped, on a fresh account: the summary lines, one retry line, and
    // nothing redrawn.
    let fresh = Account::shipped();
    slow_and_refused_once(&fresh);
    let piped = fresh
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    assert!(piped.stderr.contains("Apply complete"), "{piped:?}");
    assert_eq!(piped.stderr.matches(RETRY_LINE).count(), 1, "{piped:?}");
    for output in [&piped.stdout, &piped.stderr] {
        assert!(!output.contains("applying "), "{piped:?}");
        assert!(!output.contains("delivering "), "{piped:?}");
        assert_no_display(output, &piped);
    }
}

#[test]
fn apply_quiet_on_a_terminal_shows_no_bar_and_no_retry_line() {
    if !have_pty() {
        return;
    }
    let account = Account::shipped();
    slow_and_refused_once(&account);
    let (code, screen) = on_a_terminal(&account, "apply --auto-approve --allow-destroy --quiet");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Apply complete"), "{screen}");
    assert!(!screen.contains("retrying"), "{screen}");
    assert!(!screen.contains("applying "), "{screen}");
    assert!(!screen.contains(REDRAW), "{screen:?}");
}

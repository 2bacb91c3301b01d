//! `apply` of the shipped pats.yaml: secrets delivered and usable, rotation and replacement as
//! the clock moves, stale plans, destructive changes, failing sinks, faults, and no secret in
//! any output.

use serde_json::json;

use super::support::{Account, THERMAL_PAT, plan_is_empty, writes};

fn apply(account: &Account) -> crate::support::Output {
    account.cli(&["apply", "--auto-approve", "--allow-destroy"])
}

/// Apply one statement at a time: the tests that aim the sandbox's queue of faults at the n-th
/// write need the writes in plan order (a concurrent apply interleaves them; targeted faults
/// are in `e2e::concurrent`).
fn apply_in_order(account: &Account) -> crate::support::Output {
    account.cli(&[
        "apply",
        "--auto-approve",
        "--allow-destroy",
        "--concurrency",
        "1",
    ])
}

#[test]
fn applying_the_shipped_file_delivers_a_working_secret_and_converges() {
    let account = Account::shipped();
    let before: serde_json::Value =
        serde_json::from_str(&account.read("snowflake_config.json")).unwrap();
    let run = apply(&account).success();
    // Status lines go to stderr: stdout is for data.
    assert!(run.stderr.contains("Apply complete"), "{run:?}");
    assert!(!run.stdout.contains("Apply complete"), "{run:?}");

    let secret = account.thermal_secret();
    assert!(!secret.is_empty());
    assert_eq!(
        account.whoami(&secret),
        Ok((
            "THERMAL_STREAMING_USER".to_owned(),
            "THERMAL_STREAMING_ROLE".to_owned()
        ))
    );
    let mut after: serde_json::Value =
        serde_json::from_str(&account.read("snowflake_config.json")).unwrap();
    after["pat"] = before["pat"].clone();
    assert_eq!(
        after, before,
        "apply changed more of snowflake_config.json than /pat"
    );
    // The consumer's file keeps its mode (the copy's); a readable one is warned about, see
    // `an_existing_readable_file_keeps_its_mode_and_is_warned_about`.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(account.path("snowflake_config.json"))
        .unwrap()
        .permissions()
        .mode();
    let shipped = std::fs::metadata(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snowflake_config.example.json"),
    )
    .unwrap()
    .permissions()
    .mode();
    assert_eq!(mode & 0o777, shipped & 0o777);

    let backfill = account.read("backfill.env");
    let token = backfill.trim().strip_prefix("SNOWFLAKE_TOKEN=").unwrap();
    assert_eq!(account.whoami(token).unwrap().0, "THERMAL_BACKFILL_USER");

    plan_is_empty(&account);
    let everything = format!("{}{}", run.all(), account.all_files_text());
    assert!(
        !everything.contains(&secret),
        "a secret leaked into output or files"
    );
    assert!(
        !everything.contains(token),
        "a secret leaked into output or files"
    );
}

#[test]
fn rotation_delivers_a_new_secret_and_the_old_one_lasts_its_grace_period() {
    let account = Account::shipped();
    apply(&account).success();
    let first = account.thermal_secret();

    // 90-day token, rotate_before_expiry_days 14: day 80 is inside the window.
    account.advance_days(80);
    let run = apply(&account).success();
    assert!(
        run.stdout
            .contains("user.THERMAL_STREAMING_USER.token.THERMAL_PAT (rotate)"),
        "{run:?}"
    );
    let second = account.thermal_secret();
    assert_ne!(first, second);
    assert_eq!(account.whoami(&second).unwrap().0, "THERMAL_STREAMING_USER");
    assert_eq!(
        account.whoami(&first).unwrap().0,
        "THERMAL_STREAMING_USER",
        "the old secret must work during the grace period"
    );
    plan_is_empty(&account);

    account.advance_hours(23);
    assert!(
        account.whoami(&first).is_ok(),
        "23 hours after rotation the old secret still works"
    );
    account.advance_hours(2);
    assert!(
        account.whoami(&first).is_err(),
        "25 hours after rotation the old secret is refused"
    );
    assert!(account.whoami(&second).is_ok());

    // The expired leftover is cleaned up without --allow-destroy: nothing that works is lost.
    let run = account.cli(&["apply", "--auto-approve"]).success();
    assert!(run.stdout.contains("THERMAL_PAT_ROTATED_"), "{run:?}");
    plan_is_empty(&account);

    let everything = format!("{}{}", run.all(), account.all_files_text());
    for s in [&first, &second] {
        assert!(!everything.contains(s.as_str()));
    }
}

#[test]
fn an_expired_token_is_replaced() {
    let account = Account::shipped();
    apply(&account).success();
    let first = account.thermal_secret();
    account.advance_days(91);
    assert!(account.whoami(&first).is_err());
    let run = apply(&account).success();
    assert!(
        run.stdout
            .contains("user.THERMAL_STREAMING_USER.token.THERMAL_PAT (replace)"),
        "{run:?}"
    );
    let second = account.thermal_secret();
    assert_eq!(account.whoami(&second).unwrap().0, "THERMAL_STREAMING_USER");
    plan_is_empty(&account);
}

#[test]
fn a_stale_saved_plan_is_refused() {
    let account = Account::shipped();
    account.cli(&["plan", "--out", "plan.json"]).success();
    // Someone changes the account after the plan was reviewed.
    account.seed("CREATE USER THERMAL_STREAMING_USER TYPE = SERVICE COMMENT = 'made by hand'");
    let before = account.log().len();
    let run = account
        .cli(&["apply", "plan.json", "--auto-approve", "--allow-destroy"])
        .failure();
    assert!(run.stderr.contains("the saved plan is stale"), "{run:?}");
    assert!(
        run.stderr.contains("user.THERMAL_STREAMING_USER"),
        "{run:?}"
    );
    assert_eq!(
        account.writes_since(before),
        Vec::<String>::new(),
        "{run:?}"
    );
    assert!(
        !account.path(".pat-reconcile/journal.jsonl").exists(),
        "the journal is untouched: {run:?}"
    );

    // A fresh plan applies.
    account.cli(&["plan", "--out", "plan.json"]).success();
    account
        .cli(&["apply", "plan.json", "--auto-approve", "--allow-destroy"])
        .success();
    plan_is_empty(&account);
}

/// Edits the change at `address` of the saved `plan.json`, as a person with an editor could.
fn edit_saved_change(account: &Account, address: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut saved: serde_json::Value = serde_json::from_str(&account.read("plan.json")).unwrap();
    let change = saved["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change {address} in the saved plan"));
    edit(change);
    account.write("plan.json", &serde_json::to_string_pretty(&saved).unwrap());
}

#[test]
fn a_saved_plan_whose_sql_was_edited_by_hand_is_refused() {
    let account = Account::shipped();
    account.cli(&["plan", "--out", "plan.json"]).success();
    edit_saved_change(&account, "user.THERMAL_STREAMING_USER", |c| {
        c["statements"][0]["sql"] =
            json!("GRANT ROLE ACCOUNTADMIN TO USER \"THERMAL_STREAMING_USER\"");
    });
    let before = account.log().len();
    let run = account
        .cli(&["apply", "plan.json", "--auto-approve", "--allow-destroy"])
        .failure();
    assert!(
        run.stderr
            .contains("does not match its own inputs at `user.THERMAL_STREAMING_USER`"),
        "{run:?}"
    );
    assert!(run.stderr.contains("GRANT ROLE ACCOUNTADMIN"), "{run:?}");
    assert_eq!(
        account.writes_since(before),
        Vec::<String>::new(),
        "{run:?}"
    );
    assert!(!account.path(".pat-reconcile/journal.jsonl").exists());
    assert_eq!(account.cli(&["plan", "--detailed-exitcode"]).code, Some(2));
}

#[test]
fn a_saved_plan_whose_destructive_flag_was_cleared_is_refused() {
    let account = Account::shipped();
    apply(&account).success();
    account.seed("ALTER USER THERMAL_STREAMING_USER ADD PROGRAMMATIC ACCESS TOKEN FORGOTTEN_PAT ROLE_RESTRICTION = 'THERMAL_STREAMING_ROLE'");
    account.cli(&["plan", "--out", "plan.json"]).success();
    let forgotten = "user.THERMAL_STREAMING_USER.token.FORGOTTEN_PAT";
    edit_saved_change(&account, forgotten, |c| {
        assert_eq!(c["destructive"], json!(true));
        c["destructive"] = json!(false);
    });
    let journal = account.read(".pat-reconcile/journal.jsonl");
    let before = account.log().len();
    // Without --allow-destroy: the edited flag must not let the removal through.
    let run = account
        .cli(&["apply", "plan.json", "--auto-approve"])
        .failure();
    assert!(
        run.stderr
            .contains(&format!("does not match its own inputs at `{forgotten}`")),
        "{run:?}"
    );
    assert!(run.stderr.contains("destructive = false"), "{run:?}");
    assert_eq!(
        account.writes_since(before),
        Vec::<String>::new(),
        "{run:?}"
    );
    assert_eq!(account.read(".pat-reconcile/journal.jsonl"), journal);
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, Some(2), "nothing was removed: {run:?}");
}

#[test]
fn a_changed_pats_yaml_makes_the_saved_plan_stale() {
    let account = Account::shipped();
    account.cli(&["plan", "--out", "plan.json"]).success();
    let edited = account
        .read("pats.yaml")
        .replace("Nightly backfill job", "Nightly backfill job (v2)");
    account.write("pats.yaml", &edited);
    let run = account
        .cli(&["apply", "plan.json", "--auto-approve"])
        .failure();
    assert!(run.stderr.contains("pats.yaml"), "{run:?}");
}

#[test]
fn destructive_changes_need_allow_destroy() {
    let account = Account::shipped();
    apply(&account).success();
    account.seed("ALTER USER THERMAL_STREAMING_USER ADD PROGRAMMATIC ACCESS TOKEN FORGOTTEN_PAT ROLE_RESTRICTION = 'THERMAL_STREAMING_ROLE'");
    let run = account.cli(&["apply", "--auto-approve"]).failure();
    assert!(run.stderr.contains("--allow-destroy"), "{run:?}");
    assert!(run.stderr.contains("FORGOTTEN_PAT"), "{run:?}");
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, Some(2), "nothing was removed: {run:?}");
    apply(&account).success();
    plan_is_empty(&account);
}

#[test]
fn apply_without_a_terminal_or_auto_approve_changes_nothing() {
    let account = Account::shipped();
    let run = account.cli(&["apply"]).failure();
    assert!(run.stderr.contains("--auto-approve"), "{run:?}");
    assert_eq!(account.cli(&["plan", "--detailed-exitcode"]).code, Some(2));
}

#[test]
fn a_failing_sink_leaves_a_working_secret_in_the_rescue_file() {
    let account = Account::shipped();
    // Make the consumer's file unparseable: the sink must refuse to clobber it.
    account.write("snowflake_config.json", "{ this is not json");
    let run = apply(&account).failure();
    assert!(run.stderr.contains("rescue"), "{run:?}");
    let rescue_dir = account.path(".pat-reconcile/rescue");
    let files: Vec<_> = std::fs::read_dir(&rescue_dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "{run:?}");
    let path = files[0].path();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let secret = std::fs::read_to_string(&path).unwrap().trim().to_owned();
    assert_eq!(account.whoami(&secret).unwrap().0, "THERMAL_STREAMING_USER");
    assert_eq!(account.read("snowflake_config.json"), "{ this is not json");
    assert!(
        run.stderr
            .contains(&path.file_name().unwrap().to_string_lossy().to_string()),
        "{run:?}"
    );
    assert!(!run.all().contains(&secret));
}

/// How many statements a plan reads (the same reads an apply starts with).
fn reads(account: &Account) -> usize {
    let before = account.log().len();
    account.cli(&["plan"]);
    account.log().len() - before
}

fn writes_ran_once(account: &Account) {
    let log = account.log();
    let mut writes = writes(&log);
    let total = writes.len();
    writes.sort();
    writes.dedup();
    assert_eq!(writes.len(), total, "a statement ran twice: {log:#?}");
}

#[test]
fn faults_during_the_writes_are_retried_without_running_anything_twice() {
    let account = Account::shipped();
    let skip = vec![json!("none"); reads(&account)];
    let mut next = skip.clone();
    // Every kind of fault lands on the writes, minting statements included; each is retried
    // with the same requestId and `retry=true`.
    next.extend(["429", "503", "drop_before_execute", "none"].map(|f| json!(f)));
    // Then every statement's response is lost once after it ran, ADD included: the retry must
    // get the stored answer, secret and all, without running the statement again.
    for _ in 0..20 {
        next.extend(["drop_after_execute", "none"].map(|f| json!(f)));
    }
    account.faults(json!({ "next": next }));
    let run = apply_in_order(&account);
    account.faults(json!({ "next": [] }));
    assert_eq!(run.code, Some(0), "{run:?}");
    writes_ran_once(&account);
    assert_eq!(
        account.whoami(&account.thermal_secret()).unwrap().0,
        "THERMAL_STREAMING_USER"
    );
    plan_is_empty(&account);
}

#[test]
fn an_apply_that_fails_half_way_converges_on_the_next_run() {
    let account = Account::shipped();
    let mut next = vec![json!("none"); reads(&account)];
    // The first three writes succeed; the fourth fails on every attempt.
    next.extend(vec![json!("none"); 3]);
    next.extend(vec![json!("503"); 8]);
    account.faults(json!({ "next": next }));
    let first = apply_in_order(&account).failure();
    assert!(first.stderr.contains("Applied 3 of"), "{first:?}");
    assert!(first.stderr.contains("not run:"), "{first:?}");
    let journal = account.read(".pat-reconcile/journal.jsonl");
    assert!(journal.contains("\"outcome\":\"failed\""), "{journal}");
    assert!(journal.contains("\"outcome\":\"not_run\""), "{journal}");

    account.faults(json!({ "next": [] }));
    apply(&account).success();
    writes_ran_once(&account);
    plan_is_empty(&account);
    assert_eq!(
        account.whoami(&account.thermal_secret()).unwrap().0,
        "THERMAL_STREAMING_USER"
    );
}

#[test]
fn a_minting_statement_whose_answers_are_all_lost_still_delivers_a_secret() {
    let account = Account::shipped();
    let mut next = vec![json!("none"); reads(&account)];
    // The shipped plan has 12 writes, THERMAL_PAT's ADD last: it runs, and every answer to it
    // (the first and each retry) is lost.
    next.extend(vec![json!("none"); 11]);
    next.extend(vec![json!("drop_after_execute"); 6]);
    account.faults(json!({ "next": next }));
    let run = apply_in_order(&account);
    account.faults(json!({ "next": [] }));
    assert_eq!(run.code, Some(0), "{run:?}");
    let journal = account.read(".pat-reconcile/journal.jsonl");
    assert!(journal.contains("\"outcome\":\"unknown\""), "{journal}");
    assert_eq!(
        account.whoami(&account.thermal_secret()).unwrap().0,
        "THERMAL_STREAMING_USER"
    );
    writes_ran_once(&account);
    // The secret nobody received was rotated out at once; its leftover is cleaned up next.
    apply(&account).success();
    plan_is_empty(&account);
}

#[test]
fn ctrl_c_stops_between_statements_and_the_next_apply_converges() {
    let account = Account::shipped_with(pat_reconcile::sandbox::SandboxConfig {
        latency: std::time::Duration::from_millis(250),
        ..pat_reconcile::sandbox::SandboxConfig::default()
    });
    let url = account.sandbox.url();
    let port = url.rsplit(':').next().unwrap().to_owned();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pat-reconcile"))
        .args(["apply", "--auto-approve", "--allow-destroy"])
        .current_dir(account.dir.path())
        .env("SNOWFLAKE_HOME", account.path(".snowflake"))
        .env("NO_COLOR", "1")
        .env("SNOWFLAKE_ACCOUNT", account.sandbox.account())
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", &port)
        .env("SNOWFLAKE_PROTOCOL", "http")
        .env("SNOWFLAKE_TOKEN", account.sandbox.admin_token())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the writes have started, then interrupt.
    let started = std::time::Instant::now();
    while !account.path(".pat-reconcile/journal.jsonl").exists() && started.elapsed().as_secs() < 30
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("not run:"), "{stderr}");
    let journal = account.read(".pat-reconcile/journal.jsonl");
    assert!(journal.contains("\"outcome\":\"ok\""), "{journal}");
    assert!(journal.contains("\"outcome\":\"not_run\""), "{journal}");
    assert!(
        !account.path(".pat-reconcile/apply.lock").exists(),
        "the lock is released"
    );

    apply(&account).success();
    plan_is_empty(&account);
    writes_ran_once(&account);
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_symlinked_json_file_is_written_through_and_stays_a_link() {
    let account = Account::shipped();
    // The consumer keeps its config elsewhere and links it in.
    std::fs::create_dir(account.path("consumer")).unwrap();
    let real = account.path("consumer/config.json");
    std::fs::rename(account.path("snowflake_config.json"), &real).unwrap();
    set_mode(&real, 0o600);
    let link = account.path("snowflake_config.json");
    std::os::unix::fs::symlink("consumer/config.json", &link).unwrap();
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();

    let run = apply(&account).success();
    assert!(!run.stderr.contains("warning"), "{run:?}");

    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("consumer/config.json")
    );
    let mut after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    let secret = after["pat"].as_str().unwrap().to_owned();
    assert_eq!(account.whoami(&secret).unwrap().0, "THERMAL_STREAMING_USER");
    after["pat"] = before["pat"].clone();
    assert_eq!(after, before);
    assert_eq!(mode_of(&real), 0o600);
    let left: Vec<_> = std::fs::read_dir(account.path("consumer"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        vec!["config.json"],
        "a temporary file was left behind"
    );
    assert!(!run.all().contains(&secret));
}

#[test]
fn an_existing_readable_file_keeps_its_mode_and_is_warned_about() {
    let account = Account::shipped();
    set_mode(&account.path("snowflake_config.json"), 0o644);
    let run = apply(&account).success();
    assert_eq!(mode_of(&account.path("snowflake_config.json")), 0o644);
    // backfill.env did not exist: it is created private.
    assert_eq!(mode_of(&account.path("backfill.env")), 0o600);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{run:?}");
    let warning = warnings[0];
    assert!(
        warning.contains("user.THERMAL_STREAMING_USER.token.THERMAL_PAT"),
        "{warning}"
    );
    assert!(warning.contains("snowflake_config.json"), "{warning}");
    assert!(
        warning.contains("readable by its group or others (mode 0644)"),
        "{warning}"
    );
    assert!(!run.stdout.contains("warning"), "{run:?}");
    let secret = account.thermal_secret();
    assert_eq!(account.whoami(&secret).unwrap().0, "THERMAL_STREAMING_USER");
    assert!(!run.all().contains(&secret));
}

#[test]
fn a_toml_file_sink_updates_connections_toml_and_keeps_its_comments() {
    let account = Account::shipped();
    let pats = account.read("pats.yaml");
    let json_sink = "          - json_file: { path: snowflake_config.json, pointer: /pat }\n";
    assert!(pats.contains(json_sink));
    account.write(
        "pats.yaml",
        &pats.replace(
            json_sink,
            &format!(
                "{json_sink}          - toml_file: {{ path: snow/connections.toml, key: connections.thermal.password }}\n"
            ),
        ),
    );
    let connections = "\
# Snowflake CLI connections (snow)
default_connection_name = \"thermal\"

[connections.thermal]
account = \"SANDBOX\"   # the demo account
user = \"THERMAL_STREAMING_USER\"
authenticator = \"PROGRAMMATIC_ACCESS_TOKEN\"
password = \"old\" # rotated by pat-reconcile

# someone else's
[connections.other]
user = \"OTHER\"
";
    std::fs::create_dir(account.path("snow")).unwrap();
    let path = account.path("snow/connections.toml");
    std::fs::write(&path, connections).unwrap();
    set_mode(&path, 0o600);

    let run = apply(&account).success();
    assert!(
        run.stderr
            .contains("toml_file snow/connections.toml connections.thermal.password"),
        "{run:?}"
    );
    let secret = account.thermal_secret();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        connections.replace("\"old\"", &format!("\"{secret}\""))
    );
    assert_eq!(mode_of(&path), 0o600);
    assert_eq!(account.whoami(&secret).unwrap().0, "THERMAL_STREAMING_USER");
    assert!(!run.all().contains(&secret));
    plan_is_empty(&account);
}

#[test]
fn every_sink_is_tried_and_the_journal_records_each() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(r#"{ command: { argv: ["false"] } }"#);
    let run = apply(&account).failure();
    assert!(
        run.stderr.contains("did not reach command false"),
        "{run:?}"
    );

    // The json_file sink before the failing one got the secret, and it works.
    let secret = account.thermal_secret();
    assert_eq!(account.whoami(&secret).unwrap().0, "THERMAL_STREAMING_USER");
    let rescue = account.rescue_files();
    assert_eq!(rescue.len(), 1, "{run:?}");
    assert_eq!(std::fs::read_to_string(&rescue[0]).unwrap().trim(), secret);

    let thermal: Vec<_> = account
        .delivery_lines()
        .into_iter()
        .filter(|l| l["address"] == THERMAL_PAT)
        .collect();
    assert_eq!(thermal.len(), 2, "{thermal:?}");
    assert_eq!(thermal[0]["sink"], "json_file snowflake_config.json /pat");
    assert_eq!(thermal[0]["delivery"], "delivered");
    assert_eq!(thermal[1]["sink"], "command false");
    assert_eq!(thermal[1]["delivery"], "failed");
    assert!(
        thermal[1]["error_message"]
            .as_str()
            .unwrap()
            .contains("exited with"),
        "{thermal:?}"
    );
    // The ADD ran: its own line is `ok`, whatever became of the secret.
    let journal = account.read(".pat-reconcile/journal.jsonl");
    let add = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["address"] == THERMAL_PAT && l.get("sql").is_some())
        .unwrap();
    assert_eq!(add["outcome"], "ok", "{journal}");
    assert!(!journal.contains(&secret));
    assert!(!run.all().contains(&secret));
}

#[test]
fn a_pending_delivery_fails_the_plan_until_apply_delivers_it() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(r#"{ command: { argv: ["false"] } }"#);
    apply(&account).failure();
    let rescue = account.rescue_files();
    assert_eq!(rescue.len(), 1);
    let name = rescue[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let secret = std::fs::read_to_string(&rescue[0])
        .unwrap()
        .trim()
        .to_owned();

    // The next plan does not say "No changes": the secret is pending.
    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(1), "{plan:?}");
    assert!(plan.all().contains("pending-delivery"), "{plan:?}");
    assert!(plan.all().contains(THERMAL_PAT), "{plan:?}");
    assert!(plan.all().contains(&name), "{plan:?}");
    assert!(!plan.all().contains(&secret));

    // Still failing: apply retries first, stops, names the rescue file, runs nothing.
    let before = account.log().len();
    let again = apply(&account).failure();
    assert!(again.stderr.contains(&name), "{again:?}");
    assert!(
        again.stderr.contains(&format!(
            "pat-reconcile apply --replace {THERMAL_PAT} --revoke-old"
        )),
        "{again:?}"
    );
    assert!(writes(&account.log()[before..]).is_empty(), "{again:?}");

    // Fixed: apply delivers the pending secret, forgets it, and the plan is empty.
    account
        .thermal_also_delivers_to(r#"{ command: { argv: ["sh", "-c", "cat > received.txt"] } }"#);
    let fixed = apply(&account).success();
    assert!(
        fixed.stderr.contains("delivered the pending secret"),
        "{fixed:?}"
    );
    assert_eq!(account.read("received.txt"), secret);
    assert_eq!(account.whoami(&secret).unwrap().0, "THERMAL_STREAMING_USER");
    assert!(account.rescue_files().is_empty());
    assert!(account.pending_records().is_empty());
    plan_is_empty(&account);
    // received.txt is a consumer's file; the journal and the outputs hold no secret.
    let journal = account.read(".pat-reconcile/journal.jsonl");
    assert!(!format!("{}{journal}", fixed.all()).contains(&secret));
}

#[test]
fn a_lost_rescue_file_is_replaced_with_replace_and_revoke_old() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(r#"{ command: { argv: ["false"] } }"#);
    apply(&account).failure();
    let lost = account.thermal_secret();
    std::fs::remove_file(&account.rescue_files()[0]).unwrap();

    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(1), "{plan:?}");
    let command = format!("pat-reconcile apply --replace {THERMAL_PAT} --revoke-old");
    assert!(plan.all().contains(&command), "{plan:?}");

    account
        .thermal_also_delivers_to(r#"{ command: { argv: ["sh", "-c", "cat > received.txt"] } }"#);
    let run = account
        .cli(&[
            "apply",
            "--auto-approve",
            "--replace",
            THERMAL_PAT,
            "--revoke-old",
        ])
        .success();
    let fresh = account.thermal_secret();
    assert_ne!(fresh, lost);
    assert_eq!(account.read("received.txt"), fresh, "{run:?}");
    assert!(account.whoami(&lost).is_err());
    assert!(account.pending_records().is_empty());
    plan_is_empty(&account);
}

#[test]
fn replace_with_revoke_old_kills_the_old_secret_at_once() {
    let account = Account::shipped();
    apply(&account).success();
    let old = account.thermal_secret();

    let plan = account.cli(&["plan", "--replace", THERMAL_PAT, "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(
        plan.stdout.contains(&format!("{THERMAL_PAT} (rotate)")),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("requested"), "{plan:?}");
    assert!(
        plan.stdout
            .contains("EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 24"),
        "{plan:?}"
    );

    let run = account
        .cli(&[
            "apply",
            "--auto-approve",
            "--replace",
            THERMAL_PAT,
            "--revoke-old",
        ])
        .success();
    assert!(
        run.stdout.contains("EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0"),
        "{run:?}"
    );
    let new = account.thermal_secret();
    assert_ne!(new, old);
    assert!(account.whoami(&old).is_err(), "the old secret still works");
    assert_eq!(account.whoami(&new).unwrap().0, "THERMAL_STREAMING_USER");
    plan_is_empty(&account);
}

#[test]
fn replace_of_an_unknown_address_is_a_clear_error() {
    let account = Account::shipped();
    for command in ["plan", "apply"] {
        let run = account
            .cli(&[
                command,
                "--replace",
                "user.THERMAL_STREAMING_USER.token.NOPE",
            ])
            .failure();
        assert!(
            run.stderr.contains(
                "`user.THERMAL_STREAMING_USER.token.NOPE` is not a token declared in the file"
            ),
            "{run:?}"
        );
        assert!(run.stderr.contains(THERMAL_PAT), "{run:?}");
    }
    let run = account.cli(&["plan", "--replace", "THERMAL_PAT"]).failure();
    assert!(run.stderr.contains("is not a token address"), "{run:?}");
}

#[test]
fn a_role_restriction_change_makes_the_new_token_before_breaking_the_old() {
    let account = Account::shipped();
    account.seed("CREATE ROLE THERMAL_READER_ROLE");
    apply(&account).success();
    let first = account.thermal_secret();
    assert_eq!(
        account.whoami(&first).unwrap().1,
        "THERMAL_STREAMING_ROLE".to_owned()
    );

    restrict_thermal_pat_to_the_reader_role(&account, "");
    let plan = account.cli(&["plan"]).success();
    assert!(
        plan.stdout.contains("works until the new one is delivered"),
        "{plan:?}"
    );

    let from = account.log().len();
    let run = apply(&account).success();
    assert!(
        run.stdout
            .contains("user.THERMAL_STREAMING_USER.token.THERMAL_PAT (replace)"),
        "{run:?}"
    );
    let writes = account.writes_since(from);
    let position = |needle: &str| {
        writes
            .iter()
            .position(|w| w.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in {writes:#?}"))
    };
    let add = position(r#"ADD PROGRAMMATIC ACCESS TOKEN "THERMAL_PAT_NEXT""#);
    let remove = position(r#"REMOVE PROGRAMMATIC ACCESS TOKEN "THERMAL_PAT""#);
    let rename =
        position(r#"MODIFY PROGRAMMATIC ACCESS TOKEN "THERMAL_PAT_NEXT" RENAME TO "THERMAL_PAT""#);
    assert!(add < remove && remove < rename, "{writes:#?}");
    // Nothing removed the old token before the new one was minted: it worked until then.
    assert!(
        !writes[..add]
            .iter()
            .any(|w| w.contains(r#"REMOVE PROGRAMMATIC ACCESS TOKEN "THERMAL_PAT""#)),
        "{writes:#?}"
    );

    let second = account.thermal_secret();
    assert_ne!(first, second);
    assert_eq!(
        account.whoami(&second),
        Ok((
            "THERMAL_STREAMING_USER".to_owned(),
            "THERMAL_READER_ROLE".to_owned()
        ))
    );
    assert!(account.whoami(&first).is_err(), "the old token is removed");
    plan_is_empty(&account);
}

#[test]
fn a_failed_delivery_of_a_replacement_keeps_the_old_token_working() {
    let account = Account::shipped();
    account.seed("CREATE ROLE THERMAL_READER_ROLE");
    apply(&account).success();
    let first = account.thermal_secret();
    restrict_thermal_pat_to_the_reader_role(&account, "");
    account.thermal_also_delivers_to(r#"{ command: { argv: ["false"] } }"#);
    let from = account.log().len();
    apply(&account).failure();
    let writes = account.writes_since(from);
    assert!(
        !writes
            .iter()
            .any(|w| w.contains(r#"REMOVE PROGRAMMATIC ACCESS TOKEN "THERMAL_PAT""#)),
        "the old token must stay while the new secret is undelivered: {writes:#?}"
    );
    assert_eq!(
        account.whoami(&first).unwrap().1,
        "THERMAL_STREAMING_ROLE".to_owned(),
        "the old secret keeps working"
    );

    // The sink is fixed: the next apply delivers the pending secret, then finishes the
    // interrupted replacement (REMOVE the old token, RENAME the new one).
    account.thermal_also_delivers_to(r#"{ command: { argv: ["true"] } }"#);
    let from = account.log().len();
    let run = apply(&account).success();
    let writes = account.writes_since(from);
    assert!(
        !writes
            .iter()
            .any(|w| w.contains(" ADD PROGRAMMATIC ACCESS TOKEN")),
        "nothing new is minted: {writes:#?}"
    );
    assert!(
        writes.iter().any(|w| w.contains(
            r#"MODIFY PROGRAMMATIC ACCESS TOKEN "THERMAL_PAT_NEXT" RENAME TO "THERMAL_PAT""#
        )),
        "{run:?} {writes:#?}"
    );
    let second = account.thermal_secret();
    assert_eq!(
        account.whoami(&second).unwrap().1,
        "THERMAL_READER_ROLE".to_owned()
    );
    assert!(account.whoami(&first).is_err());
    plan_is_empty(&account);
}

#[test]
fn replace_overlap_hours_keeps_both_tokens_working_until_the_overlap_is_over() {
    let account = Account::shipped();
    account.seed("CREATE ROLE THERMAL_READER_ROLE");
    apply(&account).success();
    let first = account.thermal_secret();
    restrict_thermal_pat_to_the_reader_role(&account, "\n        replace_overlap_hours: 2");
    // Nothing is removed yet: no --allow-destroy needed.
    account.cli(&["apply", "--auto-approve"]).success();
    let second = account.thermal_secret();
    assert_ne!(first, second);
    assert_eq!(
        account.whoami(&second).unwrap().1,
        "THERMAL_READER_ROLE".to_owned()
    );
    assert!(
        account.whoami(&first).is_ok(),
        "both work during the overlap"
    );
    plan_is_empty(&account);

    // An hour before the overlap ends, nothing is due and the old secret still works.
    account.advance_hours(1);
    plan_is_empty(&account);
    assert!(
        account.whoami(&first).is_ok(),
        "the old secret works until the overlap ends"
    );

    account.advance_hours(2);
    let from = account.log().len();
    apply(&account).success();
    let writes = account.writes_since(from);
    assert_eq!(
        writes,
        [
            r#"ALTER USER "THERMAL_STREAMING_USER" REMOVE PROGRAMMATIC ACCESS TOKEN "THERMAL_PAT""#,
            r#"ALTER USER "THERMAL_STREAMING_USER" MODIFY PROGRAMMATIC ACCESS TOKEN "THERMAL_PAT_NEXT" RENAME TO "THERMAL_PAT""#,
        ]
    );
    assert!(account.whoami(&first).is_err());
    assert_eq!(
        account.thermal_secret(),
        second,
        "the renamed token keeps its secret"
    );
    assert!(account.whoami(&second).is_ok());
    plan_is_empty(&account);
}

/// A consumer that reads its secret from `snowflake_config.json` and signs in with it, over and
/// over, while a role-restriction change replaces its token. A failure counts only when the
/// secret that failed is still the one in the file afterwards: a consumer that read the old
/// secret an instant before the new one arrived simply reads again.
#[test]
fn a_polling_consumer_never_fails_across_a_replacement() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let account = Account::shipped_with(pat_reconcile::sandbox::SandboxConfig {
        latency: std::time::Duration::from_millis(40),
        ..pat_reconcile::sandbox::SandboxConfig::default()
    });
    account.seed("CREATE ROLE THERMAL_READER_ROLE");
    apply(&account).success();
    let first = account.thermal_secret();
    restrict_thermal_pat_to_the_reader_role(&account, "");

    let url = account.sandbox.url();
    let file = account.path("snowflake_config.json");
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            // The SQL API requires a User-Agent.
            let http = reqwest::Client::builder()
                .user_agent("thermal-consumer/1")
                .build()
                .unwrap();
            let read = || -> String {
                let doc: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
                doc["pat"].as_str().unwrap().to_owned()
            };
            let (mut polls, mut failures) = (0usize, Vec::new());
            let mut seen = std::collections::BTreeSet::new();
            // Bounded: at most 2,000 polls, whatever happens to the apply.
            while !stop.load(Ordering::SeqCst) && polls < 2_000 {
                let secret = read();
                let status = runtime.block_on(async {
                    http.post(format!("{url}/api/v2/statements"))
                        .bearer_auth(&secret)
                        .header("X-Sandbox-Client-Ip", super::support::GATEWAY_IP)
                        .json(&json!({ "statement": "SELECT CURRENT_USER()" }))
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0)
                });
                polls += 1;
                if status != 200 && read() == secret {
                    failures.push(status);
                }
                seen.insert(secret);
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            (polls, failures, seen.len())
        })
    };
    let run = apply(&account);
    stop.store(true, Ordering::SeqCst);
    let (polls, failures, secrets_seen) = poller.join().unwrap();
    run.success();
    assert!(polls >= 5, "the consumer polled only {polls} times");
    assert_eq!(
        failures,
        Vec::<u16>::new(),
        "failed sign-ins with the file's secret"
    );
    assert_eq!(
        secrets_seen, 2,
        "the consumer saw the old and the new secret"
    );
    assert_ne!(account.thermal_secret(), first);
    plan_is_empty(&account);
}

/// Grants THERMAL_READER_ROLE to the streaming user in `pats.yaml` and restricts THERMAL_PAT to
/// it (a role-restriction change, which replaces the token); `extra` follows `days_to_expiry`.
fn restrict_thermal_pat_to_the_reader_role(account: &Account, extra: &str) {
    let pats = account
        .read("pats.yaml")
        .replacen(
            "roles: [THERMAL_STREAMING_ROLE]",
            "roles: [THERMAL_STREAMING_ROLE, THERMAL_READER_ROLE]",
            1,
        )
        .replacen(
            "role_restriction: THERMAL_STREAMING_ROLE\n        days_to_expiry: 90",
            &format!("role_restriction: THERMAL_READER_ROLE\n        days_to_expiry: 90{extra}"),
            1,
        );
    assert!(pats.contains("role_restriction: THERMAL_READER_ROLE"));
    account.write("pats.yaml", &pats);
}

#[test]
fn the_journal_is_0600_and_keeps_no_handle_of_a_minting_statement() {
    let account = Account::shipped();
    apply(&account).success();
    let journal = account.path(".pat-reconcile/journal.jsonl");
    assert_eq!(mode_of(&journal), 0o600);
    // A journal left readable (by an older version) is closed to others by the next apply.
    set_mode(&journal, 0o644);
    account.advance_days(80);
    apply(&account).success();
    assert_eq!(mode_of(&journal), 0o600);

    let lines: Vec<serde_json::Value> = account
        .read(".pat-reconcile/journal.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let minting: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| {
            l["sql"].as_str().is_some_and(|s| {
                s.contains(" ADD PROGRAMMATIC ACCESS TOKEN ") || s.contains(" ROTATE ")
            })
        })
        .collect();
    assert!(minting.len() >= 3, "ADDs and the ROTATE are journaled");
    for line in minting {
        assert!(line.get("statement_handle").is_none(), "{line}");
    }
    assert!(
        lines.iter().any(|l| l.get("statement_handle").is_some()),
        "other statements keep theirs"
    );
    // Every intent was closed: delivered.
    let intents = lines.iter().filter(|l| l.get("intent").is_some()).count();
    let delivered = lines
        .iter()
        .filter(|l| l["resolution"] == "delivered")
        .count();
    // The first apply's two ADDs; then BACKFILL_PAT's ADD again (expired, gone) and the ROTATE.
    assert_eq!((intents, delivered), (4, 4));
}

#[test]
fn a_rotate_answered_only_429_and_503_did_not_run_and_the_consumers_secret_keeps_working() {
    let account = Account::shipped();
    apply(&account).success();
    let first = account.thermal_secret();
    account.advance_days(80);
    // The plan now adds BACKFILL_PAT again (it expired and is gone), then rotates
    // THERMAL_PAT: every attempt of the ROTATE is refused before it runs.
    let mut next = vec![json!("none"); reads(&account)];
    next.push(json!("none"));
    for _ in 0..5 {
        next.extend(["429", "503"].map(|f| json!(f)));
    }
    account.faults(json!({ "next": next }));
    let from = account.log().len();
    let run = apply_in_order(&account).failure();
    account.faults(json!({ "next": [] }));
    assert!(run.stderr.contains("THERMAL_PAT"), "{run:?}");
    assert!(
        !writes(&account.log()[from..])
            .iter()
            .any(|s| s.contains(" ROTATE ")),
        "nothing rotated (no recovery with 0 h grace)"
    );
    assert_eq!(account.thermal_secret(), first);
    assert_eq!(
        account.whoami(&first).unwrap().0,
        "THERMAL_STREAMING_USER",
        "the consumer's secret keeps working"
    );
    let journal = account.read(".pat-reconcile/journal.jsonl");
    assert!(
        journal.contains("\"resolution\":\"not_minted\""),
        "{journal}"
    );

    // The next apply rotates as planned, with the planned grace.
    let run = apply(&account).success();
    let second = account.thermal_secret();
    assert_ne!(second, first, "{run:?}");
    assert!(account.whoami(&second).is_ok());
    assert!(account.whoami(&first).is_ok(), "24 hours of grace");
    plan_is_empty(&account);
}

/// Apply refuses before anything runs, naming `sink`; the account is untouched.
#[track_caller]
fn refused_before_minting(account: &Account, sink: &str) {
    let from = account.log().len();
    let run = apply(account).failure();
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("refusing to mint a secret"), "{run:?}");
    assert!(
        run.stderr.contains(sink),
        "the error names the sink: {run:?}"
    );
    assert_eq!(
        account.writes_since(from),
        Vec::<String>::new(),
        "nothing ran, no token was minted"
    );
}

#[test]
fn a_sink_that_cannot_be_written_refuses_the_apply_before_anything_is_minted() {
    let account = Account::shipped();
    // A path through a regular file cannot be written, whoever runs apply (root included).
    account.write("afile", "not a directory\n");
    account.thermal_also_delivers_to("{ file: { path: afile/secret.txt } }");
    refused_before_minting(&account, "file afile/secret.txt");
}

#[test]
fn a_command_sink_whose_program_is_missing_refuses_the_apply() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(r#"{ command: { argv: ["no-such-consumer-cli", "put"] } }"#);
    refused_before_minting(&account, "command no-such-consumer-cli");
    account.write("consumer.sh", "#!/bin/sh\ncat >/dev/null\n");
    account.thermal_also_delivers_to(r#"{ command: { argv: ["./consumer.sh"] } }"#);
    refused_before_minting(&account, "./consumer.sh");
    set_mode(&account.path("consumer.sh"), 0o755);
    apply(&account).success();
    assert!(account.whoami(&account.thermal_secret()).is_ok());
}

#[test]
fn a_rescue_folder_that_cannot_be_written_refuses_the_apply() {
    let account = Account::shipped();
    std::fs::create_dir_all(account.path(".pat-reconcile")).unwrap();
    account.write(".pat-reconcile/rescue", "not a directory\n");
    refused_before_minting(&account, "rescue folder");
}

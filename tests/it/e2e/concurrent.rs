//! A concurrent apply (`apply --concurrency N`) meeting a failure or a lost answer on one user's
//! token while other users' statements are in flight: running statements finish and deliver,
//! nothing runs twice, the report, the journal and the account agree, and the next apply
//! converges. Faults are aimed at one statement by its text (`/sandbox/v1/faults` `rules`), so
//! which statement fails does not depend on scheduling.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;

use pat_reconcile::sandbox::{LogEntry, LogOutcome, SandboxConfig};
use serde_json::{Value, json};

use super::support::{Account, plan_is_empty};

const USERS: usize = 12;
const ROLE: &str = "SVC_ROLE";

fn user(n: usize) -> String {
    format!("SVC{n:02}")
}

fn address(n: usize) -> String {
    format!("user.{}.token.T", user(n))
}

/// The text of user `n`'s ADD, as far as a fault rule needs to tell it from the others.
fn add_of(n: usize) -> String {
    format!("ALTER USER \"{}\" ADD PROGRAMMATIC ACCESS TOKEN", user(n))
}

fn sink(n: usize) -> String {
    format!("secrets/{}.pat", user(n).to_ascii_lowercase())
}

/// `USERS` SERVICE users that already exist with their network policy and role, and a
/// `pats.yaml` that declares them as they are plus one token `T` each (delivered to a file): the
/// plan is one ADD per user, independent of one another.
fn account() -> Account {
    let account = Account::empty_with(SandboxConfig::default());
    let mut seed =
        format!("CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('0.0.0.0/0');\nCREATE ROLE {ROLE};\n");
    let mut yaml = String::from(
        "version: 1\nnetwork_policies:\n  NP:\n    allowed_ip_list: [0.0.0.0/0]\nusers:\n",
    );
    for n in 1..=USERS {
        let u = user(n);
        writeln!(
            seed,
            "CREATE USER {u} TYPE = SERVICE DEFAULT_ROLE = {ROLE};\
             ALTER USER {u} SET NETWORK_POLICY = NP;\
             GRANT ROLE {ROLE} TO USER {u};"
        )
        .unwrap();
        writeln!(
            yaml,
            "  {u}:\n    type: SERVICE\n    default_role: {ROLE}\n    network_policy: NP\n    roles: [{ROLE}]\n    tokens:\n      T:\n        role_restriction: {ROLE}\n        days_to_expiry: 30\n        deliver: [{{ file: {{ path: {} }} }}]",
            sink(n)
        )
        .unwrap();
    }
    account.seed(&seed);
    account.write("pats.yaml", &yaml);
    account
}

/// The user whose ADD a log entry is, if it is one.
fn add_user(entry: &LogEntry) -> Option<usize> {
    let sql = entry.sql.as_deref().filter(|_| entry.kind == "statement")?;
    (1..=USERS).find(|&n| sql.starts_with(&add_of(n)))
}

fn succeeded(entry: &LogEntry) -> bool {
    matches!(entry.outcome, LogOutcome::Succeeded { .. })
}

/// Per user, how many of its ADDs the sandbox executed with success.
fn adds_run(log: &[LogEntry]) -> BTreeMap<usize, usize> {
    let mut runs = BTreeMap::new();
    for entry in log.iter().filter(|e| succeeded(e)) {
        if let Some(n) = add_user(entry) {
            *runs.entry(n).or_insert(0) += 1;
        }
    }
    runs
}

/// The tokens the sandbox holds for user `n`.
fn tokens_of(account: &Account, n: usize) -> usize {
    account
        .sandbox
        .execute_as_admin(&format!(
            "SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER {}",
            user(n)
        ))
        .unwrap()
        .rows()
        .len()
}

/// User `n`'s sink holds a secret, mode 0600, that signs in as that user with the token's role.
#[track_caller]
fn delivered_and_working(account: &Account, n: usize) {
    let path = account.path(&sink(n));
    let mode = std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{}: no secret delivered ({e})", address(n)))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    let secret = account.read(&sink(n));
    assert_eq!(
        account.whoami(secret.trim()),
        Ok((user(n), ROLE.to_owned())),
        "the secret delivered for {} does not sign in",
        address(n)
    );
}

/// The journal's statement lines: address and outcome, in order.
fn journal_outcomes(account: &Account) -> Vec<(String, String)> {
    account
        .read(".pat-reconcile/journal.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|line| {
            let outcome = line.get("outcome")?.as_str()?.to_owned();
            Some((line["address"].as_str()?.to_owned(), outcome))
        })
        .collect()
}

fn with_outcome(journal: &[(String, String)], outcome: &str) -> BTreeSet<String> {
    journal
        .iter()
        .filter(|(_, o)| o == outcome)
        .map(|(a, _)| a.clone())
        .collect()
}

/// The addresses after `  <label>: ` on stderr.
fn report_lines(stderr: &str, label: &str) -> BTreeSet<String> {
    let prefix = format!("  {label}: ");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

fn apply(account: &Account) -> crate::support::Output {
    account.cli(&["apply", "--auto-approve", "--concurrency", "4"])
}

#[test]
fn a_failure_mid_apply_lets_running_statements_finish_and_deliver() {
    let account = account();
    // SVC06's ADD is refused (every attempt); every other ADD takes 400 ms, so when SVC06's
    // fails, the ADDs started beside it are still running.
    let failing = 6;
    account.faults(json!({ "rules": [
        { "sql_contains": add_of(failing), "fault": "internal_error" },
        { "sql_contains": "ADD PROGRAMMATIC ACCESS TOKEN", "fault": "delay", "delay_ms": 400 },
    ]}));
    let run = apply(&account);
    account.faults(json!({ "rules": [] }));

    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains(&address(failing)) && run.stderr.contains("000603"),
        "the failed token and Snowflake's code are named: {run:?}"
    );
    let log = account.log();
    let runs = adds_run(&log);
    assert!(
        runs.values().all(|&count| count == 1),
        "an ADD ran twice: {runs:?}"
    );
    assert!(!runs.contains_key(&failing), "{runs:?}");
    let refused = log
        .iter()
        .position(|e| add_user(e) == Some(failing))
        .expect("the failing ADD was sent");
    assert!(
        log[refused + 1..]
            .iter()
            .any(|e| succeeded(e) && add_user(e).is_some()),
        "no ADD was in flight when the refusal came: {log:#?}"
    );
    assert!(
        runs.len() < USERS - 1,
        "work kept starting after the failure: {runs:?}"
    );

    // Every token whose ADD ran is delivered and works; the others were not created.
    let done: BTreeSet<String> = runs.keys().map(|&n| address(n)).collect();
    for n in 1..=USERS {
        if runs.contains_key(&n) {
            delivered_and_working(&account, n);
            assert_eq!(tokens_of(&account, n), 1, "{}", address(n));
        } else {
            assert!(!account.path(&sink(n)).exists(), "{}", address(n));
            assert_eq!(tokens_of(&account, n), 0, "{}", address(n));
        }
    }
    // The report, the journal and the account tell the same story.
    let journal = journal_outcomes(&account);
    let not_run: BTreeSet<String> = (1..=USERS)
        .filter(|n| *n != failing && !runs.contains_key(n))
        .map(address)
        .collect();
    assert_eq!(report_lines(&run.stderr, "done"), done, "{run:?}");
    assert_eq!(with_outcome(&journal, "ok"), done, "{journal:?}");
    assert_eq!(report_lines(&run.stderr, "not run"), not_run, "{run:?}");
    assert_eq!(with_outcome(&journal, "not_run"), not_run, "{journal:?}");
    assert_eq!(
        with_outcome(&journal, "failed"),
        BTreeSet::from([address(failing)]),
        "{journal:?}"
    );
    assert!(
        run.stderr
            .contains(&format!("Applied {} of {USERS} changes", done.len())),
        "{run:?}"
    );

    // With the fault gone, the next apply adds exactly the rest and the account converges.
    let second = apply(&account);
    assert_eq!(second.code, Some(0), "{second:?}");
    let runs = adds_run(&account.log());
    assert_eq!(
        runs,
        (1..=USERS).map(|n| (n, 1)).collect::<BTreeMap<_, _>>(),
        "each ADD ran exactly once over both applies"
    );
    for n in 1..=USERS {
        delivered_and_working(&account, n);
    }
    plan_is_empty(&account);
}

#[test]
fn a_lost_answer_in_a_concurrent_apply_is_recovered_for_that_token_only() {
    let account = account();
    // Every answer to SVC03's ADD is lost after it ran (the first and each retry), while the
    // other ADDs are slowed so that they run beside it.
    let lost = 3;
    account.faults(json!({ "rules": [
        { "sql_contains": add_of(lost), "fault": "drop_after_execute" },
        { "sql_contains": "ADD PROGRAMMATIC ACCESS TOKEN", "fault": "delay", "delay_ms": 300 },
    ]}));
    let run = apply(&account);
    account.faults(json!({ "rules": [] }));
    assert_eq!(run.code, Some(0), "{run:?}");

    let journal = journal_outcomes(&account);
    assert_eq!(
        with_outcome(&journal, "unknown"),
        BTreeSet::from([address(lost)]),
        "{journal:?}"
    );
    let log = account.log();
    assert_eq!(
        adds_run(&log),
        (1..=USERS).map(|n| (n, 1)).collect::<BTreeMap<_, _>>(),
        "each ADD ran once (a retry of a lost answer is answered from the stored statement)"
    );
    // Only the token whose answer was lost needed another write (its recovery); every other
    // user saw exactly its ADD.
    for n in (1..=USERS).filter(|&n| n != lost) {
        let writes: Vec<&str> = log
            .iter()
            .filter(|e| e.kind == "statement" && e.user.as_deref() == Some("ADMIN"))
            .filter_map(|e| e.sql.as_deref())
            .filter(|sql| sql.starts_with(&format!("ALTER USER \"{}\"", user(n))))
            .collect();
        assert_eq!(writes.len(), 1, "{}: {writes:?}", address(n));
    }
    for n in 1..=USERS {
        delivered_and_working(&account, n);
    }
    // The unreceived secret was rotated out; whatever it left is settled by the next apply.
    assert_eq!(apply(&account).code, Some(0));
    plan_is_empty(&account);
    for n in 1..=USERS {
        delivered_and_working(&account, n);
    }
}

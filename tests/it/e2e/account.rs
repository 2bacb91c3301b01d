//! The `account:` section against an account: each key is managed on its own, detaching takes
//! an explicit `none` and is destructive; and a saved plan belongs to the account it was made on.

use pat_reconcile::sandbox::SandboxConfig;

use super::support::Account;

/// An account whose network policy (admitting every address) and nothing else is attached at
/// account level, with an authentication policy ready to attach.
fn with_network_policy() -> Account {
    let account = Account::empty_with(SandboxConfig::default());
    for sql in [
        "CREATE DATABASE D",
        "CREATE SCHEMA D.S",
        "CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('0.0.0.0/0')",
        "ALTER ACCOUNT SET NETWORK_POLICY = NP",
        "CREATE AUTHENTICATION POLICY D.S.AP",
    ] {
        account.seed(sql);
    }
    account
}

/// The account-level network policy, as `SHOW PARAMETERS` reports it.
fn account_network_policy(account: &Account) -> Option<String> {
    let result = account
        .sandbox
        .execute_as_admin("SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN ACCOUNT")
        .unwrap();
    let row = result.rows().first()?.clone();
    row.get(1).cloned().flatten().filter(|v| !v.is_empty())
}

#[test]
fn a_key_the_account_section_leaves_out_is_left_alone() {
    let account = with_network_policy();
    account.write(
        "pats.yaml",
        "version: 1\naccount:\n  authentication_policy: D.S.AP\n",
    );
    let run = account.cli(&["apply", "--auto-approve"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stderr.contains("account.authentication_policy")
            || run.stdout.contains("account.authentication_policy"),
        "{run:?}"
    );
    assert_eq!(account_network_policy(&account).as_deref(), Some("NP"));
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, Some(0), "{run:?}");
}

#[test]
fn detaching_takes_none_and_allow_destroy() {
    let account = with_network_policy();
    account.write(
        "pats.yaml",
        "version: 1\naccount:\n  network_policy: none\n",
    );
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stdout.contains("account.network_policy"), "{run:?}");
    let run = account.cli(&["apply", "--auto-approve"]);
    assert_ne!(run.code, Some(0), "{run:?}");
    assert_eq!(account_network_policy(&account).as_deref(), Some("NP"));
    let run = account.cli(&["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(account_network_policy(&account), None);
}

#[test]
fn a_saved_plan_is_refused_on_another_account() {
    let planned_on = Account::shipped();
    let run = planned_on.cli(&["plan", "--out", "plan.json"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let saved = planned_on.read("plan.json");
    assert!(saved.contains(r#""account": "SANDBOX""#), "{saved}");

    let other = Account::shipped_with(SandboxConfig {
        account: "OTHER".into(),
        ..SandboxConfig::default()
    });
    other.write("plan.json", &saved);
    let before = other.log().len();
    let run = other.cli(&["apply", "plan.json", "--auto-approve"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("the saved plan was made on account `SANDBOX`, but this is account `OTHER`"),
        "{run:?}"
    );
    assert!(other.writes_since(before).is_empty(), "{run:?}");
    // On its own account the same file applies.
    let run = planned_on.cli(&["apply", "plan.json", "--auto-approve"]);
    assert_eq!(run.code, Some(0), "{run:?}");
}

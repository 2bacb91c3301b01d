//! Real-account fidelity, end to end: a key-pair deployer with no warehouse applies the
//! shipped file and the next plan is empty; case-sensitive role and rule names survive the round
//! trip; a lower-case role in `connections.toml` works; a warehouse, when set, lets the plan see
//! attachments outside the file (reference Corrections 1, 3, 4, 6).

use pat_reconcile::sandbox::{LogEntry, LogOutcome};

use super::support::{Account, key_path, plan_is_empty, public_key};
use crate::support::Output;

/// A platform-team deployer: key pair, no warehouse (neither in the request nor as its
/// DEFAULT_WAREHOUSE). The sandbox grants by admin role, not by the README's finer privileges,
/// so the deployer holds ACCOUNTADMIN.
fn deployer(account: &Account) {
    account.seed(&format!(
        "CREATE USER PAT_RECONCILE TYPE = SERVICE DEFAULT_ROLE = PUBLIC RSA_PUBLIC_KEY = '{}'",
        public_key()
    ));
    account.seed("GRANT ROLE ACCOUNTADMIN TO USER PAT_RECONCILE");
}

/// A `connections.toml` with the role written in lower case, as the Snowflake CLI allows.
fn connection(account: &Account, extra: &str) {
    let url = account.sandbox.url();
    let port = url.rsplit(':').next().unwrap();
    std::fs::create_dir_all(account.path(".snowflake")).unwrap();
    account.write(
        ".snowflake/connections.toml",
        &format!(
            "[pats]\naccount = \"{}\"\nuser = \"pat_reconcile\"\nrole = \"accountadmin\"\nauthenticator = \"SNOWFLAKE_JWT\"\nprivate_key_file = \"{}\"\nhost = \"127.0.0.1\"\nport = {port}\nprotocol = \"http\"\n{extra}",
            account.sandbox.account(),
            key_path()
        ),
    );
}

fn as_deployer(account: &Account, args: &[&str]) -> Output {
    let home = account.path(".snowflake");
    let home = home.to_str().unwrap();
    let mut all = args.to_vec();
    all.extend(["--connection", "pats"]);
    account.cli_env(&all, &[("SNOWFLAKE_HOME", home)])
}

fn statements_of(log: &[LogEntry], user: &str) -> Vec<(String, LogOutcome)> {
    log.iter()
        .filter(|e| e.kind == "statement" && e.user.as_deref() == Some(user))
        .filter_map(|e| Some((e.sql.clone()?, e.outcome.clone())))
        .collect()
}

/// Whether any statement the sandbox logged satisfies `test`.
fn sent(account: &Account, test: impl Fn(&str) -> bool) -> bool {
    account
        .log()
        .iter()
        .filter_map(|e| e.sql.as_deref())
        .any(test)
}

#[test]
fn a_deployer_without_a_warehouse_applies_the_shipped_file_and_the_next_plan_is_empty() {
    let account = Account::shipped();
    deployer(&account);
    connection(&account, "");

    let run = as_deployer(&account, &["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let run = as_deployer(&account, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        run.code,
        Some(0),
        "the plan after apply is not empty: {run:?}"
    );
    assert!(run.stdout.contains("No changes."), "{run:?}");

    let log = statements_of(&account.log(), "PAT_RECONCILE");
    assert!(!log.is_empty());
    // Every statement ran under the folded role, none needed a warehouse, none failed.
    for (sql, outcome) in &log {
        assert!(
            matches!(outcome, LogOutcome::Succeeded { .. }),
            "{sql} ended {outcome:?}"
        );
        assert!(!sql.contains("POLICY_REFERENCES"), "{sql}");
    }
    assert!(
        account
            .log()
            .iter()
            .filter(|e| e.user.as_deref() == Some("PAT_RECONCILE") && e.kind == "statement")
            .all(|e| e.role.as_deref() == Some("ACCOUNTADMIN")),
        "a statement ran under another role"
    );
    // Attachments come from the per-user SHOW reads.
    assert!(log.iter().any(|(sql, _)| sql
        == "SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER \"THERMAL_STREAMING_USER\""));
    assert!(
        log.iter().any(
            |(sql, _)| sql == "SHOW AUTHENTICATION POLICIES ON USER \"THERMAL_STREAMING_USER\""
        )
    );
}

#[test]
fn a_case_sensitive_role_and_rule_name_are_kept_and_converge() {
    let account = Account::shipped();
    account.seed("CREATE ROLE \"Analyst\"");
    let file = account
        .read("pats.yaml")
        .replace("DEMO.DEMO.THERMAL_GATEWAYS", "'DEMO.DEMO.\"gw_rule\"'")
        .replace(
            "    roles: [THERMAL_STREAMING_ROLE]\n    comment: Snowpipe",
            "    roles: [THERMAL_STREAMING_ROLE, '\"Analyst\"']\n    comment: Snowpipe",
        )
        .replace(
            "        role_restriction: THERMAL_STREAMING_ROLE\n        days_to_expiry: 90",
            "        role_restriction: '\"Analyst\"'\n        days_to_expiry: 90",
        );
    assert!(file.contains("'\"Analyst\"'") && file.contains("\"gw_rule\"'"));
    account.write("pats.yaml", &file);
    let valid = account.cli(&["validate"]);
    assert_eq!(valid.code, Some(0), "{valid:?}");

    let run = account.cli(&["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let tokens = account
        .sandbox
        .execute_as_admin("SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER THERMAL_STREAMING_USER")
        .unwrap();
    assert_eq!(tokens.value(0, "role_restriction"), Some("Analyst"));
    let secret = account.thermal_secret();
    assert_eq!(
        account.whoami(&secret),
        Ok(("THERMAL_STREAMING_USER".to_owned(), "Analyst".to_owned()))
    );
    plan_is_empty(&account);
    assert!(
        sent(&account, |sql| sql
            .contains("ROLE_RESTRICTION = \"Analyst\"")),
        "the role restriction was not sent as an identifier"
    );
}

#[test]
fn a_warehouse_lets_the_plan_see_who_holds_a_policy_it_drops() {
    let account = Account::shipped();
    deployer(&account);
    // The retired policy is still attached to a user outside the file.
    account.seed("CREATE NETWORK POLICY LEGACY_GATEWAY_POLICY ALLOWED_IP_LIST = ('0.0.0.0/0')");
    account.seed("CREATE USER OUTSIDER NETWORK_POLICY = LEGACY_GATEWAY_POLICY");

    // Without a warehouse the plan cannot see OUTSIDER and says so on the drop.
    connection(&account, "");
    let blind = as_deployer(&account, &["plan", "--format", "json"]);
    assert_eq!(blind.code, Some(0), "{blind:?}");
    let plan = blind.json();
    let unknown: Vec<_> = plan["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["check"] == "policy-attachments-unknown")
        .collect();
    assert_eq!(unknown.len(), 1, "{plan:#}");
    assert_eq!(unknown[0]["severity"], "warning");
    assert_eq!(
        unknown[0]["address"],
        "network_policy.LEGACY_GATEWAY_POLICY"
    );
    assert!(!blind.all().contains("OUTSIDER"), "{blind:?}");

    // With one (named in lower case, folded), POLICY_REFERENCES shows OUTSIDER.
    account.seed("CREATE WAREHOUSE DEPLOY_WH");
    connection(&account, "warehouse = \"deploy_wh\"\n");
    let seeing = as_deployer(&account, &["plan"]);
    assert_eq!(seeing.code, Some(1), "{seeing:?}");
    assert!(seeing.all().contains("OUTSIDER"), "{seeing:?}");
    assert!(
        !seeing.all().contains("policy-attachments-unknown"),
        "{seeing:?}"
    );
    assert!(
        account
            .log()
            .iter()
            .filter(|e| e.user.as_deref() == Some("PAT_RECONCILE"))
            .filter_map(|e| e.sql.as_deref())
            .any(|sql| sql.contains("POLICY_REFERENCES")),
        "the reader did not use the warehouse"
    );
}

#[test]
fn a_warehouse_that_does_not_exist_warns_and_the_plan_still_reads_everything_else() {
    let account = Account::shipped();
    account.seed("CREATE NETWORK POLICY LEGACY_GATEWAY_POLICY ALLOWED_IP_LIST = ('0.0.0.0/0')");
    // Snowflake opens the session with a warehouse it cannot find; what needs one fails.
    let run = account.cli(&["plan", "--warehouse", "missing_wh"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stderr.contains("warning: `POLICY_REFERENCES` failed"),
        "{run:?}"
    );
    assert!(run.stderr.contains("000606"), "{run:?}");
    assert!(run.stderr.contains("`MISSING_WH`"), "{run:?}");
    assert!(
        account.log().iter().any(|e| e
            .sql
            .as_deref()
            .is_some_and(|s| s.contains("POLICY_REFERENCES"))),
        "the reader did not try the warehouse read"
    );
}

#[test]
fn users_past_the_first_ten_thousand_are_read_page_by_page() {
    let account = Account::empty_with(pat_reconcile::sandbox::SandboxConfig::default());
    let seed: String = (0..10_050)
        .map(|n| format!("CREATE USER U{n:05} COMMENT = 'seeded';"))
        .collect();
    account.seed(&seed);
    // U10049 sorts after the 10,000th row of SHOW USERS (ADMIN comes first).
    account.write(
        "pats.yaml",
        "version: 1\nusers:\n  U10049:\n    comment: seeded\n  U00001:\n    comment: seeded\n",
    );
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        run.code,
        Some(0),
        "a user past the first page was not read: {run:?}"
    );
    let pages: Vec<String> = account
        .log()
        .into_iter()
        .filter_map(|e| e.sql)
        .filter(|sql| sql.starts_with("SHOW USERS"))
        .collect();
    assert_eq!(
        pages,
        [
            "SHOW USERS LIMIT 10000",
            "SHOW USERS LIMIT 10000 FROM 'U09998'"
        ]
    );
}

#[test]
fn an_account_policy_that_would_lock_the_deployer_out_is_refused_before_anything_runs() {
    let account = Account::shipped();
    // Attaching the gateways-only policy to the account would exclude this session (127.0.0.1).
    let file = format!(
        "{}\naccount:\n  network_policy: THERMAL_STREAMING_POLICY\n",
        account.read("pats.yaml").trim_end()
    );
    account.write("pats.yaml", &file);
    let seeded = account.log().len();
    let run = account.cli(&["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.all().contains("network-policy-lockout"), "{run:?}");
    assert!(run.all().contains("127.0.0.1"), "{run:?}");
    let writes = account
        .log()
        .into_iter()
        .skip(seeded)
        .filter_map(|e| e.sql)
        .filter(|sql| {
            !sql.starts_with("SHOW") && !sql.starts_with("DESC") && !sql.starts_with("SELECT")
        })
        .count();
    assert_eq!(writes, 0, "apply ran statements despite the lock-out");
    // Snowflake itself refuses the same change (001511): the finding is not stricter than it.
    account.seed("CREATE DATABASE IF NOT EXISTS DEMO");
    account.seed("CREATE NETWORK POLICY GATEWAYS_ONLY ALLOWED_IP_LIST = ('203.0.113.0/24')");
    let refused = account.query_as(
        account.sandbox.admin_token(),
        "127.0.0.1",
        "ALTER ACCOUNT SET NETWORK_POLICY = GATEWAYS_ONLY",
    );
    assert_eq!(refused.map(|_| ()).unwrap_err().1, "001511");
}

#[test]
fn a_policy_may_list_a_snowflake_managed_rule() {
    let account = Account::shipped();
    let file = account.read("pats.yaml").replace(
        "    allowed_network_rule_list: [DEMO.DEMO.THERMAL_GATEWAYS]\n    comment: Only",
        "    allowed_network_rule_list: [DEMO.DEMO.THERMAL_GATEWAYS, SNOWFLAKE.NETWORK_SECURITY.GITHUBACTIONS_GLOBAL]\n    comment: Only",
    );
    assert!(file.contains("GITHUBACTIONS_GLOBAL"));
    account.write("pats.yaml", &file);
    let run = account.cli(&["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    plan_is_empty(&account);
    assert!(
        sent(&account, |sql| sql
            == "DESC NETWORK RULE \"SNOWFLAKE\".\"NETWORK_SECURITY\".\"GITHUBACTIONS_GLOBAL\""),
        "the managed rule was not described"
    );
}

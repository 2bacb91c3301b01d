//! `verify` and `apply --verify` against the sandbox over HTTP: the secrets the shipped file
//! delivered sign in as their user and role; a token removed by hand and a client address the
//! network policy no longer admits are named with Snowflake's code; `command` sinks, pending
//! deliveries and values of the wrong shape; and no secret in any output.
//!
//! The binary runs on 127.0.0.1, outside the shipped network rule, so it claims the gateway's
//! address with `PAT_RECONCILE_SANDBOX_CLIENT_IP` (sent as the sandbox's `X-Sandbox-Client-Ip`).

use serde_json::Value;

use super::support::{Account, GATEWAY_IP, THERMAL_PAT};
use crate::support::Output;

const BACKFILL_PAT: &str = "user.THERMAL_BACKFILL_USER.token.BACKFILL_PAT";
/// An address no rule of the shipped file admits.
const ELSEWHERE_IP: &str = "198.51.100.20";

fn applied() -> Account {
    let account = Account::shipped();
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    account
}

/// Runs the binary as ADMIN, claiming `client_ip` (or none: the loopback peer address).
fn run_from(account: &Account, client_ip: Option<&str>, args: &[&str]) -> Output {
    let mut env = vec![
        ("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN"),
        ("SNOWFLAKE_TOKEN", account.sandbox.admin_token()),
        ("SNOWFLAKE_USER", "ADMIN"),
    ];
    if let Some(ip) = client_ip {
        env.push(("PAT_RECONCILE_SANDBOX_CLIENT_IP", ip));
    }
    account.cli_env(args, &env)
}

/// `verify --format json` from `client_ip`: the exit code, the report and the run.
fn verify_json(account: &Account, client_ip: &str, extra: &[&str]) -> (Option<i32>, Value, Output) {
    let mut args = vec!["verify", "--format", "json"];
    args.extend_from_slice(extra);
    let run = run_from(account, Some(client_ip), &args);
    let report: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(report["format_version"], 1, "{report:#}");
    (run.code, report, run)
}

/// The checks of one token.
fn checks<'a>(report: &'a Value, address: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["address"] == address)
        .collect()
}

fn only_check<'a>(report: &'a Value, address: &str) -> &'a Value {
    let found = checks(report, address);
    assert_eq!(found.len(), 1, "{report:#}");
    found[0]
}

fn backfill_secret(account: &Account) -> String {
    account
        .read("backfill.env")
        .trim()
        .strip_prefix("SNOWFLAKE_TOKEN=")
        .unwrap()
        .to_owned()
}

/// No secret in the runs' stdout and stderr, nor in the files the runs left (journal, plans;
/// the consumers' files aside). `vault.txt` is a consumer's file too.
#[track_caller]
fn no_secret_in(account: &Account, secrets: &[String], runs: &[&Output]) {
    for run in runs {
        for secret in secrets {
            assert!(!secret.is_empty());
            assert!(
                !run.all().contains(secret.as_str()),
                "a secret reached the output: {run:?}"
            );
        }
    }
    let vault = account.path("vault.txt");
    let _ = std::fs::remove_file(&vault);
    let files = account.all_files_text();
    for secret in secrets {
        assert!(!files.contains(secret.as_str()), "a secret reached a file");
    }
}

#[test]
fn verify_after_apply_signs_in_as_each_tokens_user_and_role() {
    let account = applied();
    let secrets = [account.thermal_secret(), backfill_secret(&account)];

    let text = run_from(&account, Some(GATEWAY_IP), &["verify"]).success();
    let thermal_row = text
        .stdout
        .lines()
        .find(|l| l.starts_with(THERMAL_PAT))
        .unwrap_or_else(|| panic!("{text:?}"));
    assert!(
        thermal_row.contains("json_file snowflake_config.json /pat"),
        "{text:?}"
    );
    assert!(
        thermal_row.contains(
            "ok      user THERMAL_STREAMING_USER, role THERMAL_STREAMING_ROLE, address 203.0.113.7"
        ),
        "{text:?}"
    );
    assert!(
        text.stdout.contains("2 check(s), 0 failed: 2 ok"),
        "{text:?}"
    );

    let (code, report, json) = verify_json(&account, GATEWAY_IP, &[]);
    assert_eq!(code, Some(0), "{json:?}");
    let thermal = only_check(&report, THERMAL_PAT);
    assert_eq!(thermal["result"], "ok");
    assert_eq!(thermal["failed"], false);
    assert_eq!(thermal["sink"], "json_file snowflake_config.json /pat");
    assert_eq!(thermal["role_restriction"], "THERMAL_STREAMING_ROLE");
    assert_eq!(thermal["session"]["user"], "THERMAL_STREAMING_USER");
    assert_eq!(thermal["session"]["role"], "THERMAL_STREAMING_ROLE");
    assert_eq!(thermal["session"]["address"], GATEWAY_IP);
    let backfill = only_check(&report, BACKFILL_PAT);
    assert_eq!(backfill["result"], "ok", "{report:#}");
    assert_eq!(backfill["session"]["user"], "THERMAL_BACKFILL_USER");
    assert_eq!(report["summary"]["ok"], 2);

    // One address: only that token is checked.
    let (code, one, _) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(0));
    assert_eq!(one["checks"].as_array().unwrap().len(), 1, "{one:#}");
    let unknown = run_from(
        &account,
        Some(GATEWAY_IP),
        &["verify", "user.THERMAL_STREAMING_USER.token.NOPE"],
    )
    .failure();
    assert!(
        unknown
            .stderr
            .contains("is not a token declared in the file"),
        "{unknown:?}"
    );

    no_secret_in(&account, &secrets, &[&text, &json]);
}

#[test]
fn a_token_removed_by_hand_is_named_with_snowflakes_code() {
    let account = applied();
    let secrets = [account.thermal_secret(), backfill_secret(&account)];
    // An administrator revokes it over the SQL API.
    account
        .query_as(
            account.sandbox.admin_token(),
            GATEWAY_IP,
            "ALTER USER THERMAL_STREAMING_USER REMOVE PROGRAMMATIC ACCESS TOKEN THERMAL_PAT",
        )
        .unwrap();

    let (code, report, json) = verify_json(&account, GATEWAY_IP, &[]);
    assert_eq!(code, Some(1), "{json:?}");
    let thermal = only_check(&report, THERMAL_PAT);
    assert_eq!(thermal["result"], "refused", "{report:#}");
    assert_eq!(thermal["failed"], true);
    assert_eq!(thermal["session"], Value::Null);
    assert_eq!(thermal["error"]["code"], "394400");
    assert_eq!(thermal["error"]["kind"], "token-invalid");
    assert!(
        thermal["detail"]
            .as_str()
            .unwrap()
            .contains("expired, disabled or removed"),
        "{thermal:#}"
    );
    assert_eq!(only_check(&report, BACKFILL_PAT)["result"], "ok");
    assert!(
        json.stderr
            .contains(&format!("error: verify failed for {THERMAL_PAT}\n")),
        "{json:?}"
    );
    assert!(!json.stderr.contains(BACKFILL_PAT), "{json:?}");

    // As `status`: 2 for findings under --detailed-exitcode.
    let detailed = run_from(
        &account,
        Some(GATEWAY_IP),
        &["verify", "--detailed-exitcode"],
    );
    assert_eq!(detailed.code, Some(2), "{detailed:?}");
    assert!(detailed.stdout.contains("refused"), "{detailed:?}");
    assert!(
        detailed
            .stdout
            .contains("394400: the secret is not a valid token"),
        "{detailed:?}"
    );
    assert!(!detailed.stderr.contains("error:"), "{detailed:?}");

    no_secret_in(&account, &secrets, &[&json, &detailed]);
}

#[test]
fn a_client_address_the_network_policy_does_not_admit_is_named() {
    let account = applied();
    let secrets = [account.thermal_secret(), backfill_secret(&account)];

    // The consumer moved: its address is outside the gateways' rule.
    let (code, report, moved) = verify_json(&account, ELSEWHERE_IP, &[]);
    assert_eq!(code, Some(1), "{moved:?}");
    for address in [THERMAL_PAT, BACKFILL_PAT] {
        let check = only_check(&report, address);
        assert_eq!(check["result"], "refused", "{report:#}");
        assert_eq!(check["error"]["code"], "390422");
        assert_eq!(check["error"]["kind"], "address-not-allowed");
        assert!(
            check["error"]["message"]
                .as_str()
                .unwrap()
                .contains(ELSEWHERE_IP),
            "{check:#}"
        );
    }
    assert!(
        moved.stderr.contains(&format!(
            "error: verify failed for {BACKFILL_PAT}, {THERMAL_PAT}"
        )),
        "{moved:?}"
    );

    // The policy moved: someone narrows the rule by hand, and the gateway's address leaves it.
    account
        .query_as(
            account.sandbox.admin_token(),
            GATEWAY_IP,
            "ALTER NETWORK RULE DEMO.DEMO.THERMAL_GATEWAYS SET VALUE_LIST = ('198.51.100.0/24')",
        )
        .unwrap();
    let (code, report, narrowed) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(1), "{narrowed:?}");
    let thermal = only_check(&report, THERMAL_PAT);
    assert_eq!(thermal["error"]["code"], "390422", "{report:#}");
    assert!(
        thermal["detail"]
            .as_str()
            .unwrap()
            .starts_with("390422: the network policy that applies to the user does not admit"),
        "{thermal:#}"
    );

    no_secret_in(&account, &secrets, &[&moved, &narrowed]);
}

#[test]
fn apply_verify_checks_the_tokens_it_minted() {
    let account = Account::shipped();
    let run = run_from(
        &account,
        Some(GATEWAY_IP),
        &["apply", "--auto-approve", "--allow-destroy", "--verify"],
    )
    .success();
    assert!(run.stderr.contains("Apply complete"), "{run:?}");
    for address in [THERMAL_PAT, BACKFILL_PAT] {
        let row = run
            .stdout
            .lines()
            .find(|l| l.starts_with(address))
            .unwrap_or_else(|| panic!("no verify row for {address}: {run:?}"));
        assert!(row.contains(" ok "), "{run:?}");
    }
    assert!(run.stdout.contains("2 check(s), 0 failed: 2 ok"), "{run:?}");
    let secrets = [account.thermal_secret(), backfill_secret(&account)];
    no_secret_in(&account, &secrets, &[&run]);

    // From this machine's own address (outside the policy) the new secrets do not work:
    // apply completes, delivers, and fails naming the tokens.
    let account = Account::shipped();
    let run = run_from(
        &account,
        None,
        &["apply", "--auto-approve", "--allow-destroy", "--verify"],
    )
    .failure();
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("Apply complete"), "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "error: verify failed for {BACKFILL_PAT}, {THERMAL_PAT}"
        )),
        "{run:?}"
    );
    assert!(run.stdout.contains("390422"), "{run:?}");
    // The secret was delivered all the same, and works from the gateways.
    assert_eq!(
        account.whoami(&account.thermal_secret()).unwrap().0,
        "THERMAL_STREAMING_USER"
    );
    let secrets = [account.thermal_secret(), backfill_secret(&account)];
    no_secret_in(&account, &secrets, &[&run]);
}

/// Adds `verify: {argv: ...}` to `THERMAL_PAT` in the directory's `pats.yaml`.
fn thermal_verify_with(account: &Account, argv: &str) {
    const ANCHOR: &str = "        comment: Snowpipe Streaming client for the thermal sensors\n";
    let text = account.read("pats.yaml");
    assert!(text.contains(ANCHOR));
    account.write(
        "pats.yaml",
        &text.replace(
            ANCHOR,
            &format!("{ANCHOR}        verify: {{ argv: {argv} }}\n"),
        ),
    );
}

#[test]
fn a_command_sink_is_not_verifiable_unless_the_token_says_how_to_read_it() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(
        r#"{ command: { argv: ["sh", "-c", "cat > vault.txt"], format: "Bearer {secret}" } }"#,
    );
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    let secret = account.thermal_secret();

    let (code, report, unverifiable) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(
        code,
        Some(0),
        "not verifiable is not a failure: {unverifiable:?}"
    );
    let found = checks(&report, THERMAL_PAT);
    assert_eq!(found.len(), 2, "{report:#}");
    assert_eq!(found[0]["result"], "ok");
    assert_eq!(found[1]["sink"], "command sh");
    assert_eq!(found[1]["result"], "not-verifiable");
    assert_eq!(report["summary"]["not_verifiable"], 1);

    // With a `verify` program the vault is read back (its format undone); the plan ignores it.
    thermal_verify_with(&account, "[cat, vault.txt]");
    super::support::plan_is_empty(&account);
    let (code, report, verified) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(0), "{verified:?}");
    let found = checks(&report, THERMAL_PAT);
    assert_eq!(found[1]["result"], "ok", "{report:#}");
    assert_eq!(found[1]["session"]["role"], "THERMAL_STREAMING_ROLE");

    // The vault holds another value of the right shape: Snowflake refuses it.
    account.write("vault.txt", "Bearer not-the-secret\n");
    let (code, report, wrong) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(1), "{wrong:?}");
    let found = checks(&report, THERMAL_PAT);
    assert_eq!(found[0]["result"], "ok");
    assert_eq!(found[1]["error"]["code"], "394400", "{report:#}");

    // A program that fails is named, and what it printed is not shown.
    thermal_verify_with(&account, r#"["sh", "-c", "cat vault.txt; exit 3"]"#);
    let text = account.read("pats.yaml");
    let text = text.replace("        verify: { argv: [cat, vault.txt] }\n", "");
    account.write("pats.yaml", &text);
    let failing = run_from(&account, Some(GATEWAY_IP), &["verify", THERMAL_PAT]).failure();
    assert!(failing.stdout.contains("unreadable"), "{failing:?}");
    assert!(failing.stdout.contains("exit status: 3"), "{failing:?}");
    assert!(!failing.all().contains("not-the-secret"), "{failing:?}");

    let secrets = [secret];
    no_secret_in(
        &account,
        &secrets,
        &[&unverifiable, &verified, &wrong, &failing],
    );
}

#[test]
fn a_pending_delivery_is_reported_as_pending() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(r#"{ command: { argv: ["false"] } }"#);
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .failure();
    assert_eq!(account.pending_records().len(), 1);

    let (code, report, run) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(1), "{run:?}");
    let thermal = only_check(&report, THERMAL_PAT);
    assert_eq!(thermal["result"], "pending", "{report:#}");
    assert_eq!(thermal["sink"], Value::Null);
    let detail = thermal["detail"].as_str().unwrap();
    assert!(detail.contains(".pat-reconcile/rescue/"), "{detail}");
    assert!(detail.contains("command false"), "{detail}");
    assert!(detail.contains("pat-reconcile apply"), "{detail}");
    assert_eq!(report["summary"]["pending"], 1);
}

#[test]
fn a_value_that_does_not_have_the_sinks_format_is_a_finding() {
    let account = applied();
    let secret = account.thermal_secret();
    // The file now says the consumer reads `Bearer <secret>`; the value written earlier has
    // no such prefix.
    let text = account.read("pats.yaml").replace(
        "json_file: { path: snowflake_config.json, pointer: /pat }",
        "json_file: { path: snowflake_config.json, pointer: /pat, format: \"Bearer {secret}\" }",
    );
    account.write("pats.yaml", &text);
    let (code, report, run) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(1), "{run:?}");
    let thermal = only_check(&report, THERMAL_PAT);
    assert_eq!(thermal["result"], "unreadable", "{report:#}");
    assert!(
        thermal["detail"]
            .as_str()
            .unwrap()
            .contains("does not match the format `Bearer {secret}`"),
        "{thermal:#}"
    );
    // Written the declared way, it reads back and works.
    let config = account
        .read("snowflake_config.json")
        .replace(&format!("\"{secret}\""), &format!("\"Bearer {secret}\""));
    account.write("snowflake_config.json", &config);
    let (code, report, ok) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(0), "{ok:?}");
    assert_eq!(only_check(&report, THERMAL_PAT)["result"], "ok");
    no_secret_in(&account, &[secret], &[&run, &ok]);
}

#[test]
fn sinks_holding_one_secret_sign_in_once_and_a_revoked_role_is_named() {
    let account = Account::shipped();
    account.thermal_also_delivers_to("{ file: { path: thermal.secret } }");
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    let secret = account.thermal_secret();

    let before = account.log().len();
    let (code, report, run) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(0), "{run:?}");
    let found = checks(&report, THERMAL_PAT);
    assert_eq!(found.len(), 2, "{report:#}");
    assert_eq!(found[1]["sink"], "file thermal.secret");
    assert!(found.iter().all(|c| c["result"] == "ok"), "{report:#}");
    // One session for the one secret, which only asks who it is, from the claimed address.
    let log = account.log();
    let sessions: Vec<_> = log[before..]
        .iter()
        .filter(|e| e.user.as_deref() == Some("THERMAL_STREAMING_USER"))
        .collect();
    assert_eq!(sessions.len(), 1, "{sessions:#?}");
    assert_eq!(
        sessions[0].sql.as_deref(),
        Some("SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_IP_ADDRESS()")
    );
    assert_eq!(sessions[0].client_address.as_deref(), Some(GATEWAY_IP));

    // The restricted role is revoked from the user: the token no longer signs in.
    account
        .query_as(
            account.sandbox.admin_token(),
            GATEWAY_IP,
            "REVOKE ROLE THERMAL_STREAMING_ROLE FROM USER THERMAL_STREAMING_USER",
        )
        .unwrap();
    let (code, report, revoked) = verify_json(&account, GATEWAY_IP, &[THERMAL_PAT]);
    assert_eq!(code, Some(1), "{revoked:?}");
    for check in checks(&report, THERMAL_PAT) {
        assert_eq!(check["error"]["code"], "394400", "{report:#}");
        assert!(
            check["detail"]
                .as_str()
                .unwrap()
                .contains("its restricted role was dropped, revoked or blocked"),
            "{check:#}"
        );
    }
    for out in [&run, &revoked] {
        assert!(!out.all().contains(&secret), "{out:?}");
    }
}

//! What a plan reads: a declared user whose `SHOW USERS` row says `has_pat = false` is not
//! asked for its tokens when no token could change its plan (it declares none and keeps the
//! ones it does not declare), and is asked otherwise, so the plan stays right.

use pat_reconcile::sandbox::SandboxConfig;

use super::support::Account;

const TOKEN_READ: &str = "SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER ";

/// The users whose tokens the log shows were read, in order of the log.
fn token_reads(account: &Account, from: usize) -> Vec<String> {
    let mut users: Vec<String> = account.log()[from..]
        .iter()
        .filter(|e| e.kind == "statement")
        .filter_map(|e| {
            e.sql
                .as_deref()?
                .strip_prefix(TOKEN_READ)
                .map(str::to_owned)
        })
        .collect();
    users.sort();
    users
}

fn file() -> String {
    let mut yaml = String::from(
        "version: 1\nnetwork_policies:\n  NP:\n    allowed_ip_list: [0.0.0.0/0]\nusers:\n",
    );
    for keeper in ["KEEPER1", "KEEPER2", "KEEPER3", "KEPT_WITH"] {
        yaml.push_str(&format!(
            "  {keeper}:\n    network_policy: NP\n    unmanaged_tokens: keep\n"
        ));
    }
    for holder in ["HOLDER", "RENEWED"] {
        yaml.push_str(&format!(
            "  {holder}:\n    network_policy: NP\n    tokens:\n      T:\n        days_to_expiry: 30\n        deliver: [{{ file: {{ path: {holder}_t }} }}]\n"
        ));
    }
    yaml
}

#[test]
fn a_user_without_tokens_that_no_token_could_change_is_not_asked_for_them() {
    let account = Account::empty_with(SandboxConfig::default());
    account.seed("CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('0.0.0.0/0')");
    for user in [
        "KEEPER1",
        "KEEPER2",
        "KEEPER3",
        "KEPT_WITH",
        "HOLDER",
        "RENEWED",
    ] {
        account.seed(&format!("CREATE USER {user} NETWORK_POLICY = NP"));
    }
    // KEPT_WITH holds a token it does not declare (and keeps); RENEWED's declared token expired
    // two days ago, so SHOW still lists it but `has_pat` is false.
    account.seed("ALTER USER KEPT_WITH ADD PAT OTHER DAYS_TO_EXPIRY = 30");
    account.seed("ALTER USER RENEWED ADD PAT T DAYS_TO_EXPIRY = 1");
    account.advance_days(2);
    let listed = account
        .sandbox
        .execute_as_admin("SHOW USERS LIKE 'RENEWED'")
        .unwrap();
    let has_pat = listed.column_index("has_pat").unwrap();
    assert_eq!(
        listed.rows()[0].get(has_pat).cloned().flatten().as_deref(),
        Some("false")
    );
    account.write("pats.yaml", &file());

    let from = account.log().len();
    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(2), "{plan:?}");
    // The three keepers with no token are not asked; the keeper holding one, the user declaring
    // a token it lacks, and the user whose declared token expired are.
    assert_eq!(
        token_reads(&account, from),
        ["\"HOLDER\"", "\"KEPT_WITH\"", "\"RENEWED\""],
        "{plan:?}"
    );
    // The plan is the one a full read makes: HOLDER gets its token; RENEWED's expired token is
    // replaced (removed, then added: its name is still taken); the keepers are left alone.
    for sql in [
        "ALTER USER \"HOLDER\" ADD PROGRAMMATIC ACCESS TOKEN \"T\"",
        "ALTER USER \"RENEWED\" REMOVE PROGRAMMATIC ACCESS TOKEN \"T\"",
        "ALTER USER \"RENEWED\" ADD PROGRAMMATIC ACCESS TOKEN \"T\"",
    ] {
        assert!(plan.stdout.contains(sql), "{sql}\n{plan:?}");
    }
    for keeper in ["KEEPER1", "KEEPER2", "KEEPER3", "KEPT_WITH"] {
        assert!(
            !plan.stdout.contains(&format!("user.{keeper}")),
            "{keeper}\n{plan:?}"
        );
    }

    // Once a keeper holds a token, `has_pat` turns true and it is read again (and kept).
    account.seed("ALTER USER KEEPER1 ADD PAT MINE DAYS_TO_EXPIRY = 30");
    let from = account.log().len();
    let again = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, Some(2), "{again:?}");
    assert_eq!(
        token_reads(&account, from),
        ["\"HOLDER\"", "\"KEEPER1\"", "\"KEPT_WITH\"", "\"RENEWED\""],
        "{again:?}"
    );
    assert!(!again.stdout.contains("user.KEEPER1"), "{again:?}");
}

#[test]
fn concurrency_is_optional_and_bounded() {
    let account = Account::empty_with(SandboxConfig::default());
    account.write("pats.yaml", "version: 1\n");
    let help = account.cli(&["plan", "--help"]);
    assert_eq!(help.code, Some(0), "{help:?}");
    // Help text is wrapped to the terminal's width: compare it with the line breaks folded.
    let folded = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        folded.contains("Default: 8, growing with the number of statements"),
        "{help:?}"
    );
    for ok in [None, Some("1"), Some("64")] {
        let mut args = vec!["plan"];
        if let Some(n) = ok {
            args.extend(["--concurrency", n]);
        }
        let run = account.cli(&args);
        assert_eq!(run.code, Some(0), "{run:?}");
    }
    for bad in ["0", "65"] {
        let run = account.cli(&["plan", "--concurrency", bad]);
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(
            run.stderr.contains(&format!(
                "invalid value '{bad}' for '--concurrency <N>': {bad} is not in 1..=64"
            )),
            "{run:?}"
        );
    }
}

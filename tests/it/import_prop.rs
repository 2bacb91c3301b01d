//! Property test of `import`: a sandbox seeded over its SQL API (as ADMIN, over HTTP) with
//! 200 users of random types and quoted names (lower case, spaces, dots, double and single
//! quotes), random role grants, network and authentication policy attachments, and random
//! tokens (lifetimes, role restrictions, comments, disabled, rotated with or without grace);
//! then `import --account-policies --out pats.yaml` and `plan --detailed-exitcode`: exit 0.
//!
//! Cost: 3 cases of 200 users each (about 600 seeding statements, one import of up to four
//! reads and one plan per case); about 20 s in a debug build on 2 cores. The account's
//! randomness comes from a seed proptest draws, so a failure names its seed.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::e2e::support::Account;
use pat_reconcile::sandbox::SandboxConfig;

const USERS: usize = 200;

/// A double-quoted SQL identifier.
fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal.
fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn user_name(rng: &mut StdRng, i: usize) -> String {
    match rng.gen_range(0..6) {
        0 => format!("SVC_{i}"),
        1 => format!("lower user {i}"),
        2 => format!("dot.ted.{i}"),
        3 => format!("quo\"te {i}"),
        4 => format!("it's {i}"),
        _ => format!("Mixed_{i}"),
    }
}

fn token_name(rng: &mut StdRng, j: usize) -> String {
    match rng.gen_range(0..4) {
        0 => format!("T{j}"),
        1 => format!("tok {j}"),
        2 => format!("t.{j}"),
        _ => format!("q\"{j}"),
    }
}

const COMMENTS: &[&str] = &[
    "plain",
    "it's quoted",
    "key: value # not a comment",
    "- dash first",
    "yes",
    "203.0.113.0/24",
];

const ROLES: &[&str] = &["R0", "R1", "R2"];

/// The seeding statements of one random account.
fn seed(rng: &mut StdRng) -> Vec<String> {
    let mut sql: Vec<String> = vec![
        "CREATE DATABASE D".into(),
        "CREATE SCHEMA D.S".into(),
        "CREATE NETWORK RULE D.S.GATEWAYS TYPE = IPV4 VALUE_LIST = ('203.0.113.0/24', '198.51.100.7') MODE = INGRESS COMMENT = 'gateways'".into(),
        "CREATE NETWORK RULE D.S.\"office net\" TYPE = IPV4 VALUE_LIST = ('192.0.2.0/24') MODE = INGRESS".into(),
        "CREATE NETWORK POLICY NP_GATEWAYS ALLOWED_NETWORK_RULE_LIST = ('D.S.GATEWAYS') COMMENT = 'only the gateways'".into(),
        "CREATE NETWORK POLICY \"np office\" ALLOWED_NETWORK_RULE_LIST = (D.S.\"office net\") BLOCKED_IP_LIST = ('192.0.2.99')".into(),
        "CREATE NETWORK POLICY NP_IPS ALLOWED_IP_LIST = ('10.0.0.0/8') COMMENT = 'it''s IPs'".into(),
        "CREATE AUTHENTICATION POLICY D.S.AP_SHORT PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = 30 MAX_EXPIRY_IN_DAYS = 200 NETWORK_POLICY_EVALUATION = ENFORCED_NOT_REQUIRED) COMMENT = 'short tokens'".into(),
        "CREATE AUTHENTICATION POLICY D.S.\"ap keys\" AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN', 'KEYPAIR')".into(),
    ];
    for role in ROLES {
        sql.push(format!("CREATE ROLE {role}"));
    }
    let policies = ["NP_GATEWAYS", "np office", "NP_IPS"];
    for i in 0..USERS {
        let name = user_name(rng, i);
        let u = q(&name);
        let kind = ["SERVICE", "PERSON", "LEGACY_SERVICE"][rng.gen_range(0..3)];
        let mut create = format!("CREATE USER {u} TYPE = {kind}");
        let granted: Vec<&str> = ROLES
            .iter()
            .copied()
            .filter(|_| rng.gen_bool(0.5))
            .collect();
        if let Some(r) = granted.first().filter(|_| rng.gen_bool(0.5)) {
            create.push_str(&format!(" DEFAULT_ROLE = {r}"));
        } else if rng.gen_bool(0.2) {
            // A default role the user does not hold.
            create.push_str(" DEFAULT_ROLE = R2");
        }
        if rng.gen_bool(0.5) {
            let c = COMMENTS[rng.gen_range(0..COMMENTS.len())];
            create.push_str(&format!(" COMMENT = {}", lit(c)));
        }
        sql.push(create);
        for r in &granted {
            sql.push(format!("GRANT ROLE {r} TO USER {u}"));
        }
        let tokens = if granted.is_empty() && kind != "PERSON" {
            0
        } else {
            rng.gen_range(0..4)
        };
        if tokens > 0 || rng.gen_bool(0.3) {
            let np = policies[rng.gen_range(0..policies.len())];
            sql.push(format!("ALTER USER {u} SET NETWORK_POLICY = {}", q(np)));
        }
        let short = rng.gen_bool(0.3);
        if short {
            sql.push(format!(
                "ALTER USER {u} SET AUTHENTICATION POLICY D.S.AP_SHORT"
            ));
        } else if rng.gen_bool(0.2) {
            sql.push(format!(
                "ALTER USER {u} SET AUTHENTICATION POLICY D.S.\"ap keys\""
            ));
        }
        let max = if short { 200 } else { 365 };
        for j in 0..tokens {
            let t = q(&token_name(rng, j));
            let days = rng.gen_range(1..=max);
            let mut add = format!("ALTER USER {u} ADD PROGRAMMATIC ACCESS TOKEN {t}");
            if !granted.is_empty() && (kind != "PERSON" || rng.gen_bool(0.5)) {
                let r = granted[rng.gen_range(0..granted.len())];
                add.push_str(&format!(" ROLE_RESTRICTION = '{r}'"));
            }
            add.push_str(&format!(" DAYS_TO_EXPIRY = {days}"));
            if rng.gen_bool(0.5) {
                let c = COMMENTS[rng.gen_range(0..COMMENTS.len())];
                add.push_str(&format!(" COMMENT = {}", lit(c)));
            }
            sql.push(add);
            if rng.gen_bool(0.2) {
                // Snowflake accepts at most the hours left on the current secret.
                let hours = [0, 1, 24][rng.gen_range(0..3)].min(days * 24 - 1);
                sql.push(format!(
                    "ALTER USER {u} ROTATE PROGRAMMATIC ACCESS TOKEN {t} EXPIRE_ROTATED_TOKEN_AFTER_HOURS = {hours}"
                ));
            }
            if rng.gen_bool(0.2) {
                sql.push(format!(
                    "ALTER USER {u} MODIFY PROGRAMMATIC ACCESS TOKEN {t} SET DISABLED = TRUE"
                ));
            }
        }
        if rng.gen_bool(0.05) {
            sql.push(format!("ALTER USER {u} SET DISABLED = TRUE"));
        }
    }
    sql
}

fn check(seed_value: u64) -> Result<(), TestCaseError> {
    let mut rng = StdRng::seed_from_u64(seed_value);
    let account = Account::empty_with(SandboxConfig::default());
    let admin = account.sandbox.admin_token().to_owned();
    for sql in seed(&mut rng) {
        if let Err((status, code)) = account.query_as(&admin, "127.0.0.1", &sql) {
            panic!("seed {seed_value}: the sandbox refused ({status} {code}): {sql}");
        }
    }
    let import = account.cli(&["import", "--account-policies", "--out", "pats.yaml"]);
    prop_assert_eq!(import.code, Some(0), "seed {}: {:?}", seed_value, import);
    prop_assert!(
        import
            .stderr
            .contains(&format!("imported {} user(s)", USERS + 1)),
        "seed {}: {:?}",
        seed_value,
        import
    );
    // Tokens were imported, each with its placeholder, and quoted names came through.
    let text = account.read("pats.yaml");
    prop_assert!(
        import
            .stderr
            .contains("token(s) got a placeholder `deliver`"),
        "seed {}: {:?}",
        seed_value,
        import
    );
    prop_assert!(
        text.contains("'\"lower user "),
        "seed {}:\n{}",
        seed_value,
        text
    );
    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    prop_assert_eq!(
        plan.code,
        Some(0),
        "seed {}: {:?}\n--- pats.yaml ---\n{}",
        seed_value,
        plan,
        account.read("pats.yaml")
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn an_imported_account_plans_empty(seed_value in any::<u64>()) {
        check(seed_value)?;
    }
}

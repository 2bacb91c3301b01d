//! Snowflake's rules, each tripped over HTTP: token limit, expiry range and defaults, role
//! restriction, blocked roles, the network-policy requirement, authentication methods, rotation,
//! attached policies, missing and duplicate objects, privileges, PAT self-management, retention
//! of expired tokens, identifier folding, and the SHOW / DESC encodings.

use serde_json::json;

use super::support::Harness;

/// A database and schema for schema-level objects.
const DEMO: &str = "CREATE DATABASE DEMO; CREATE SCHEMA DEMO.S";

fn seconds(text: &Option<String>) -> i64 {
    text.as_deref()
        .unwrap()
        .split_once('.')
        .unwrap()
        .0
        .parse()
        .unwrap()
}

#[tokio::test]
async fn at_most_fifteen_tokens_counting_disabled_and_rotated_but_not_expired() {
    let harness = Harness::start();
    harness.seed("CREATE USER person");
    for index in 0..14 {
        harness
            .admin(&format!(
                "ALTER USER person ADD PAT t{index} DAYS_TO_EXPIRY = {}",
                index + 1
            ))
            .await;
    }
    harness
        .admin("ALTER USER person MODIFY PAT t13 SET DISABLED = TRUE")
        .await;
    // The rotation leftover of t13 is the 15th token.
    harness.admin("ALTER USER person ROTATE PAT t13").await;
    let refused = harness
        .statement("ALTER USER person ADD PAT sixteenth")
        .send()
        .await
        .fails_with("394401");
    assert!(
        refused
            .message()
            .starts_with("Exceeded maximum of 15 programmatic access tokens"),
        "{}",
        refused.message()
    );
    harness
        .statement("ALTER USER person ROTATE PAT t12")
        .send()
        .await
        .fails_with("394401");
    // A rotation that expires the old secret at once adds nothing that counts.
    harness
        .admin("ALTER USER person ROTATE PAT t12 EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0")
        .await;
    // t0 expires after one day: once it has, it no longer counts.
    harness.sandbox.advance_clock(chrono::Duration::hours(25));
    harness.admin("ALTER USER person ADD PAT sixteenth").await;
}

#[tokio::test]
async fn days_to_expiry_range_and_defaults() {
    let harness = Harness::start();
    harness.seed(&format!("{DEMO}; CREATE USER person; CREATE USER capped"));
    for days in ["0", "-1", "366"] {
        let reply = harness
            .statement(&format!(
                "ALTER USER person ADD PAT t DAYS_TO_EXPIRY = {days}"
            ))
            .send()
            .await
            .fails_with("394402");
        assert!(
            reply.message().contains("DAYS_TO_EXPIRY"),
            "{}",
            reply.message()
        );
    }
    harness
        .admin("ALTER USER person ADD PAT longest DAYS_TO_EXPIRY = 365")
        .await;
    harness
        .admin("ALTER USER person ADD PAT default_days")
        .await;
    let tokens = harness.admin("SHOW USER PATS FOR USER person").await;
    let lifetime = |name: &str| {
        seconds(&tokens.cell("name", name, "expires_at"))
            - seconds(&tokens.cell("name", name, "created_on"))
    };
    assert_eq!(lifetime("LONGEST"), 365 * 86_400);
    assert_eq!(lifetime("DEFAULT_DAYS"), 15 * 86_400);

    harness.seed(
        "CREATE AUTHENTICATION POLICY DEMO.S.CAP PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = 30 MAX_EXPIRY_IN_DAYS = 90);
         ALTER USER capped SET AUTHENTICATION POLICY DEMO.S.CAP",
    );
    harness
        .statement("ALTER USER capped ADD PAT t DAYS_TO_EXPIRY = 91")
        .send()
        .await
        .fails_with("394402");
    harness
        .admin("ALTER USER capped ADD PAT max DAYS_TO_EXPIRY = 90")
        .await;
    harness
        .admin("ALTER USER capped ADD PAT policy_default")
        .await;
    let tokens = harness.admin("SHOW USER PATS FOR USER capped").await;
    let created = seconds(&tokens.cell("name", "POLICY_DEFAULT", "created_on"));
    let expires = seconds(&tokens.cell("name", "POLICY_DEFAULT", "expires_at"));
    assert_eq!(expires - created, 30 * 86_400);
    // The policy's own bounds are checked.
    harness
        .statement("ALTER AUTHENTICATION POLICY DEMO.S.CAP SET PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = 120)")
        .send()
        .await
        .fails_with("002029");
}

#[tokio::test]
async fn service_users_need_a_role_restriction_unless_the_policy_waives_it() {
    let harness = Harness::start();
    harness.seed(&format!(
        "{DEMO}; CREATE ROLE R; CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('10.0.0.1');
         CREATE USER svc TYPE = SERVICE NETWORK_POLICY = NP; GRANT ROLE R TO USER svc;
         CREATE USER legacy TYPE = LEGACY_SERVICE NETWORK_POLICY = NP;
         CREATE USER person"
    ));
    for user in ["svc", "legacy"] {
        let reply = harness
            .statement(&format!("ALTER USER {user} ADD PAT t"))
            .send()
            .await
            .fails_with("394403");
        assert!(reply.message().contains("ROLE_RESTRICTION is required"));
    }
    harness
        .admin("ALTER USER svc ADD PAT t ROLE_RESTRICTION = 'R'")
        .await;
    harness.admin("ALTER USER person ADD PAT t").await;

    harness.seed(
        "CREATE AUTHENTICATION POLICY DEMO.S.LAX PAT_POLICY = (REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS = FALSE REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS = TRUE);
         ALTER ACCOUNT SET AUTHENTICATION POLICY DEMO.S.LAX",
    );
    harness.admin("ALTER USER svc ADD PAT unrestricted").await;
    harness
        .statement("ALTER USER person ADD PAT unrestricted")
        .send()
        .await
        .fails_with("394403");
}

#[tokio::test]
async fn the_restricted_role_must_exist_be_granted_and_not_be_blocked() {
    let harness = Harness::start();
    harness.seed(&format!(
        "{DEMO}; CREATE ROLE GRANTED_ROLE; CREATE ROLE OTHER_ROLE; CREATE ROLE PARENT;
         GRANT ROLE GRANTED_ROLE TO ROLE PARENT;
         CREATE USER person; GRANT ROLE PARENT TO USER person"
    ));
    let missing = harness
        .statement("ALTER USER person ADD PAT t ROLE_RESTRICTION = 'NOPE'")
        .send()
        .await
        .fails_with("002003");
    assert_eq!(
        missing.message(),
        "SQL compilation error:\nRole 'NOPE' does not exist or not authorized."
    );
    harness
        .statement("ALTER USER person ADD PAT t ROLE_RESTRICTION = 'OTHER_ROLE'")
        .send()
        .await
        .fails_with("394404");
    // Inherited through the role hierarchy is granted.
    harness
        .admin("ALTER USER person ADD PAT inherited ROLE_RESTRICTION = 'granted_role'")
        .await;
    harness.seed(
        "CREATE AUTHENTICATION POLICY DEMO.S.BLOCKING PAT_POLICY = (BLOCKED_ROLES_LIST = ('PARENT'));
         ALTER USER person SET AUTHENTICATION POLICY DEMO.S.BLOCKING",
    );
    harness
        .statement("ALTER USER person ADD PAT blocked ROLE_RESTRICTION = PARENT")
        .send()
        .await
        .fails_with("394405");
}

#[tokio::test]
async fn service_users_need_a_network_policy_under_enforced_required() {
    let harness = Harness::start();
    harness.seed(&format!(
        "{DEMO}; CREATE ROLE R; CREATE USER svc TYPE = SERVICE; GRANT ROLE R TO USER svc"
    ));
    let reply = harness
        .statement("ALTER USER svc ADD PAT t ROLE_RESTRICTION = 'R'")
        .send()
        .await
        .fails_with("390432");
    assert_eq!(reply.message(), "Network policy is required.");
    // An account-level policy satisfies it.
    harness.seed(
        "CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('10.0.0.1'); ALTER ACCOUNT SET NETWORK_POLICY = NP",
    );
    harness
        .admin("ALTER USER svc ADD PAT t ROLE_RESTRICTION = 'R'")
        .await;
    // So does a PAT policy that does not require one.
    harness.seed(
        "ALTER ACCOUNT UNSET NETWORK_POLICY;
         CREATE AUTHENTICATION POLICY DEMO.S.RELAXED PAT_POLICY = (NETWORK_POLICY_EVALUATION = ENFORCED_NOT_REQUIRED);
         ALTER USER svc SET AUTHENTICATION POLICY DEMO.S.RELAXED",
    );
    harness
        .admin("ALTER USER svc ADD PAT t2 ROLE_RESTRICTION = 'R'")
        .await;
}

#[tokio::test]
async fn the_authentication_policy_must_allow_tokens() {
    let harness = Harness::start();
    harness.seed(&format!(
        "{DEMO}; CREATE USER person;
         CREATE AUTHENTICATION POLICY DEMO.S.KEYS_ONLY AUTHENTICATION_METHODS = ('KEYPAIR');
         ALTER ACCOUNT SET AUTHENTICATION POLICY DEMO.S.KEYS_ONLY FOR ALL PERSON USERS"
    ));
    harness
        .statement("ALTER USER person ADD PAT t")
        .send()
        .await
        .fails_with("394407");
    harness
        .statement("CREATE AUTHENTICATION POLICY DEMO.S.BAD AUTHENTICATION_METHODS = ('TELEPATHY')")
        .send()
        .await
        .fails_with("002029");
    let client_policy = harness
        .statement("CREATE AUTHENTICATION POLICY DEMO.S.CP CLIENT_TYPES = ('SNOWSQL') CLIENT_POLICY = (GO_DRIVER = (MINIMUM_VERSION = '1.14.1'))")
        .send()
        .await
        .fails_with("004800");
    assert_eq!(
        client_policy.message(),
        "Authentication policy can not contain CLIENT_POLICY of 'GO_DRIVER' without including 'DRIVERS' in CLIENT_TYPES."
    );
}

#[tokio::test]
async fn rotation_leaves_the_old_secret_as_a_leftover() {
    let harness = Harness::start();
    harness.seed(
        "CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('203.0.113.0/24'); CREATE USER person NETWORK_POLICY = NP",
    );
    let old_secret = harness
        .add_token("ALTER USER person ADD PAT app DAYS_TO_EXPIRY = 30")
        .await;
    harness.sandbox.advance_clock(chrono::Duration::days(10));
    let rotated = harness.admin("ALTER USER person ROTATE PAT app").await;
    assert_eq!(
        rotated.column_names(),
        ["token_name", "token_secret", "rotated_token_name"]
    );
    let new_secret = rotated.column("token_secret")[0].clone().unwrap();
    let leftover = rotated.column("rotated_token_name")[0].clone().unwrap();
    assert_ne!(new_secret, old_secret);
    let millis: i64 = leftover
        .strip_prefix("APP_ROTATED_")
        .unwrap()
        .parse()
        .unwrap();

    let tokens = harness.admin("SHOW USER PATS FOR USER person").await;
    assert_eq!(
        tokens.cell("name", &leftover, "rotated_to").as_deref(),
        Some("APP")
    );
    assert_eq!(tokens.cell("name", "APP", "rotated_to"), None);
    let leftover_created = seconds(&tokens.cell("name", &leftover, "created_on"));
    assert_eq!(
        leftover_created,
        millis / 1000,
        "suffix is the rotation time in ms"
    );
    assert_eq!(
        seconds(&tokens.cell("name", &leftover, "expires_at")) - leftover_created,
        24 * 3600
    );
    assert_eq!(
        seconds(&tokens.cell("name", "APP", "expires_at")) - leftover_created,
        30 * 86_400,
        "the kept token gets its original lifetime from now"
    );
    // Both secrets work until the leftover expires.
    for secret in [&old_secret, &new_secret] {
        harness
            .statement("SELECT CURRENT_USER()")
            .token(secret)
            .client_ip("203.0.113.5")
            .send()
            .await
            .ok();
    }
    harness.sandbox.advance_clock(chrono::Duration::hours(25));
    harness
        .statement("SELECT CURRENT_USER()")
        .token(&old_secret)
        .client_ip("203.0.113.5")
        .send()
        .await
        .refused_with("394400");

    // The leftover can only be removed; rotation hours are bounded by the time left.
    harness
        .statement(&format!(
            "ALTER USER person MODIFY PAT {leftover} SET COMMENT = 'x'"
        ))
        .send()
        .await
        .fails_with("394410");
    harness
        .statement("ALTER USER person ROTATE PAT app EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 100000")
        .send()
        .await
        .fails_with("394402");
    let immediate = harness
        .admin("ALTER USER person ROTATE PAT app EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0")
        .await;
    let expired_leftover = immediate.column("rotated_token_name")[0].clone().unwrap();
    let tokens = harness.admin("SHOW USER PATS FOR USER person").await;
    assert_eq!(
        tokens.cell("name", &expired_leftover, "status").as_deref(),
        Some("EXPIRED")
    );
    harness
        .admin(&format!("ALTER USER person REMOVE PAT {leftover}"))
        .await;

    // An expired token cannot be rotated.
    harness.sandbox.advance_clock(chrono::Duration::days(31));
    harness
        .statement("ALTER USER person ROTATE PAT app")
        .send()
        .await
        .fails_with("394409");
}

#[tokio::test]
async fn attached_policies_and_used_rules_cannot_be_dropped() {
    let harness = Harness::start();
    harness.seed(&format!(
        "{DEMO};
         CREATE NETWORK RULE DEMO.S.RULE TYPE = IPV4 VALUE_LIST = ('10.0.0.0/8');
         CREATE NETWORK POLICY NP ALLOWED_NETWORK_RULE_LIST = ('DEMO.S.RULE');
         CREATE NETWORK POLICY ACCOUNT_NP ALLOWED_IP_LIST = ('10.0.0.1');
         CREATE AUTHENTICATION POLICY DEMO.S.AP;
         CREATE USER u NETWORK_POLICY = NP;
         ALTER USER u SET AUTHENTICATION POLICY DEMO.S.AP;
         ALTER ACCOUNT SET NETWORK_POLICY = ACCOUNT_NP"
    ));
    let user_attached = harness
        .statement("DROP NETWORK POLICY NP")
        .send()
        .await
        .fails_with("001492");
    assert_eq!(
        user_attached.message(),
        "SQL compilation error:\nCannot perform Drop operation on network policy NP. The policy is attached to USER with name U. Unset the network policy from USER and try the Drop operation again."
    );
    assert_eq!(user_attached.body["sqlState"], "42601");
    let account_attached = harness
        .statement("DROP NETWORK POLICY ACCOUNT_NP")
        .send()
        .await
        .fails_with("001492");
    assert!(
        account_attached
            .message()
            .contains("attached to ACCOUNT with name SANDBOX")
    );
    harness
        .statement("CREATE OR REPLACE NETWORK POLICY NP")
        .send()
        .await
        .fails_with("001492");
    let rule = harness
        .statement("DROP NETWORK RULE DEMO.S.RULE")
        .send()
        .await
        .fails_with("001492");
    assert!(
        rule.message()
            .contains("attached to NETWORK_POLICY with name NP")
    );
    let auth = harness
        .statement("DROP AUTHENTICATION POLICY DEMO.S.AP")
        .send()
        .await
        .fails_with("001492");
    assert!(auth.message().contains("authentication policy DEMO.S.AP"));

    harness.seed(
        "ALTER USER u UNSET NETWORK_POLICY; ALTER USER u UNSET AUTHENTICATION POLICY; ALTER ACCOUNT UNSET NETWORK_POLICY",
    );
    harness.admin("DROP NETWORK POLICY NP").await;
    harness.admin("DROP NETWORK POLICY ACCOUNT_NP").await;
    harness.admin("DROP NETWORK RULE DEMO.S.RULE").await;
    harness.admin("DROP AUTHENTICATION POLICY DEMO.S.AP").await;
}

#[tokio::test]
async fn missing_objects_and_duplicates() {
    let harness = Harness::start();
    harness.seed(&format!(
        "{DEMO}; CREATE USER person; ALTER USER person ADD PAT t"
    ));
    let cases = [
        (
            "ALTER USER nobody ADD PAT t",
            "User 'NOBODY' does not exist or not authorized.",
        ),
        (
            "DROP USER nobody",
            "User 'NOBODY' does not exist or not authorized.",
        ),
        (
            "DROP NETWORK POLICY nope",
            "Network policy 'NOPE' does not exist or not authorized.",
        ),
        (
            "DESC NETWORK RULE DEMO.S.NOPE",
            "Network rule 'DEMO.S.NOPE' does not exist or not authorized.",
        ),
        (
            "CREATE NETWORK POLICY P ALLOWED_NETWORK_RULE_LIST = ('DEMO.S.NOPE')",
            "Network rule 'DEMO.S.NOPE' does not exist or not authorized.",
        ),
        (
            "ALTER USER person SET NETWORK_POLICY = nope",
            "Network policy 'NOPE' does not exist",
        ),
        (
            "ALTER USER person SET AUTHENTICATION POLICY DEMO.S.NOPE",
            "Authentication policy 'DEMO.S.NOPE'",
        ),
        (
            "CREATE NETWORK RULE NOWHERE.S.R TYPE = IPV4 VALUE_LIST = ()",
            "Database 'NOWHERE'",
        ),
        (
            "CREATE NETWORK RULE DEMO.NOWHERE.R TYPE = IPV4 VALUE_LIST = ()",
            "Schema 'DEMO.NOWHERE'",
        ),
        ("GRANT ROLE nope TO USER person", "Role 'NOPE'"),
    ];
    for (sql, message) in cases {
        let reply = harness.statement(sql).send().await.fails_with("002003");
        assert!(
            reply.message().contains(message),
            "{sql}: {}",
            reply.message()
        );
        assert_eq!(reply.body["sqlState"], "02000");
    }
    let token = harness
        .statement("ALTER USER person REMOVE PAT nope")
        .send()
        .await
        .fails_with("002003");
    assert_eq!(token.message(), "Programmatic access token NOPE not found.");
    harness
        .admin("ALTER USER IF EXISTS nobody REMOVE PAT t")
        .await;
    harness.admin("DROP NETWORK POLICY IF EXISTS nope").await;

    let duplicate = harness
        .statement("CREATE USER person")
        .send()
        .await
        .fails_with("002002");
    assert_eq!(
        duplicate.message(),
        "SQL compilation error:\nObject 'PERSON' already exists."
    );
    assert_eq!(duplicate.body["sqlState"], "42710");
    harness
        .statement("ALTER USER person ADD PAT t")
        .send()
        .await
        .fails_with("002002");
    let no_secret = harness
        .admin("ALTER USER person ADD PAT IF NOT EXISTS t")
        .await;
    assert_eq!(
        no_secret.column_names(),
        ["status"],
        "no secret for an existing token"
    );
    harness
        .statement("CREATE NETWORK RULE R TYPE = IPV4 VALUE_LIST = ('10.0.0.1')")
        .send()
        .await
        .fails_with("090105");
    harness
        .statement("CREATE NETWORK RULE R TYPE = IPV4 VALUE_LIST = ('10.0.0.1')")
        .field("database", json!("DEMO"))
        .field("schema", json!("S"))
        .send()
        .await
        .ok();
    harness
        .statement("CREATE NETWORK RULE DEMO.S.BAD TYPE = IPV4 VALUE_LIST = ('not-an-address')")
        .send()
        .await
        .fails_with("002029");
}

#[tokio::test]
async fn roles_without_privileges_get_003001() {
    let harness = Harness::start();
    harness.seed(
        "CREATE ROLE ANALYST; CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('203.0.113.0/24');
         CREATE USER person NETWORK_POLICY = NP; GRANT ROLE ANALYST TO USER person; CREATE USER other",
    );
    let secret = harness
        .add_token("ALTER USER person ADD PAT analyst ROLE_RESTRICTION = 'ANALYST'")
        .await;
    let as_analyst = |sql: &str| {
        harness
            .statement(sql)
            .token(&secret)
            .client_ip("203.0.113.10")
    };
    let roles = as_analyst("SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_ACCOUNT()")
        .send()
        .await
        .ok();
    assert_eq!(
        roles.rows(),
        [[
            Some("PERSON".to_owned()),
            Some("ANALYST".to_owned()),
            Some("SANDBOX".to_owned())
        ]]
    );
    let create = as_analyst("CREATE USER intruder")
        .send()
        .await
        .fails_with("003001");
    assert_eq!(
        create.message(),
        "SQL access control error:\nInsufficient privileges to operate on account 'SANDBOX'."
    );
    assert_eq!(create.body["sqlState"], "42501");
    let alter = as_analyst("ALTER USER other SET DISABLED = TRUE")
        .send()
        .await
        .fails_with("003001");
    assert!(alter.message().contains("user 'OTHER'"));
    as_analyst("ALTER USER other ADD PAT t")
        .send()
        .await
        .fails_with("003001");
    as_analyst("CREATE ROLE R2")
        .send()
        .await
        .fails_with("003001");
    as_analyst("ALTER ACCOUNT UNSET NETWORK_POLICY")
        .send()
        .await
        .fails_with("003001");
    as_analyst("DROP NETWORK POLICY NP")
        .send()
        .await
        .fails_with("003001");
    // Self-service reads still work; privileged columns are NULL.
    let users = as_analyst("SHOW USERS").send().await.ok();
    assert!(users.column("name").contains(&Some("OTHER".to_owned())));
    assert!(users.column("login_name").iter().all(Option::is_none));
    as_analyst("DESC USER person").send().await.ok();
    as_analyst("SHOW GRANTS TO USER person").send().await.ok();
    assert!(
        as_analyst("SHOW NETWORK POLICIES")
            .send()
            .await
            .ok()
            .rows()
            .is_empty()
    );
}

#[tokio::test]
async fn a_pat_session_cannot_manage_its_own_users_tokens() {
    let harness = Harness::start();
    harness.seed(
        "CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('203.0.113.0/24');
         CREATE USER boss NETWORK_POLICY = NP DEFAULT_ROLE = ACCOUNTADMIN;
         GRANT ROLE ACCOUNTADMIN TO USER boss;
         CREATE USER person",
    );
    let secret = harness.add_token("ALTER USER boss ADD PAT self").await;
    let as_boss = |sql: &str| {
        harness
            .statement(sql)
            .token(&secret)
            .client_ip("203.0.113.10")
    };
    // Corrections 11: ADD to its own user is allowed; the docs forbid only the other three.
    for sql in [
        "ALTER USER boss ADD PAT another",
        "ALTER USER ADD PAT implicit",
    ] {
        let reply = as_boss(sql).send().await.ok();
        assert!(reply.column("token_secret")[0].is_some(), "{sql}");
    }
    for sql in [
        "ALTER USER boss MODIFY PAT self SET COMMENT = 'x'",
        "ALTER USER boss MODIFY PAT self RENAME TO renamed",
        "ALTER USER boss ROTATE PAT self",
        "ALTER USER boss REMOVE PAT self",
        "ALTER USER REMOVE PAT implicit",
    ] {
        let reply = as_boss(sql).send().await.fails_with("394408");
        assert!(reply.message().contains("user BOSS"), "{sql}");
    }
    // Another user's tokens are fine for an ACCOUNTADMIN PAT session.
    as_boss("ALTER USER person ADD PAT managed")
        .send()
        .await
        .ok();
    as_boss("SHOW USER PATS FOR USER boss").send().await.ok();
}

#[tokio::test]
async fn expired_tokens_vanish_from_show_after_seven_days() {
    let harness = Harness::start();
    harness.seed("CREATE USER person; ALTER USER person ADD PAT short DAYS_TO_EXPIRY = 1");
    harness.sandbox.advance_clock(chrono::Duration::days(2));
    let listed = harness.admin("SHOW USER PATS FOR USER person").await;
    assert_eq!(
        listed.cell("name", "SHORT", "status").as_deref(),
        Some("EXPIRED")
    );
    let users = harness.admin("SHOW USERS LIKE 'PERSON'").await;
    assert_eq!(users.column("has_pat"), [Some("false".to_owned())]);
    harness.sandbox.advance_clock(chrono::Duration::days(7));
    assert!(
        harness
            .admin("SHOW USER PATS FOR USER person")
            .await
            .rows()
            .is_empty()
    );
    // Its name is free again.
    harness.admin("ALTER USER person ADD PAT short").await;
}

#[tokio::test]
async fn identifiers_fold_unless_quoted() {
    let harness = Harness::start();
    harness.admin("CREATE USER thermal_user").await;
    harness.admin("CREATE USER \"mixed Case\"").await;
    harness.admin("CREATE USER \"say \"\"hi\"\"\"").await;
    harness
        .statement("CREATE USER THERMAL_USER")
        .send()
        .await
        .fails_with("002002");
    harness
        .statement("CREATE USER \"THERMAL_USER\"")
        .send()
        .await
        .fails_with("002002");
    harness
        .statement("ALTER USER \"thermal_user\" SET COMMENT = 'x'")
        .send()
        .await
        .fails_with("002003");
    harness
        .admin("ALTER USER \"mixed Case\" ADD PAT \"lower pat\"")
        .await;
    let names = harness.admin("SHOW USERS").await.column("name");
    for name in ["THERMAL_USER", "mixed Case", "say \"hi\""] {
        assert!(
            names.contains(&Some(name.to_owned())),
            "{name} in {names:?}"
        );
    }
    let tokens = harness
        .admin("SHOW USER PATS FOR USER \"mixed Case\"")
        .await;
    assert_eq!(tokens.column("name"), [Some("lower pat".to_owned())]);
    harness
        .admin("ALTER USER thermal_user SET COMMENT = 'it''s \\\\ \\'quoted\\''")
        .await;
    let users = harness.admin("SHOW USERS LIKE 'THERMAL%'").await;
    assert_eq!(
        users.column("comment"),
        [Some("it's \\ 'quoted'".to_owned())]
    );
}

#[tokio::test]
async fn show_and_desc_use_snowflakes_columns_and_encodings() {
    let harness = Harness::start();
    let key = super::support::key("rsa_key");
    harness.seed(&format!(
        "{DEMO}; CREATE ROLE R;
         CREATE NETWORK RULE DEMO.S.GATEWAYS TYPE = IPV4 VALUE_LIST = ('203.0.113.0/24', '198.51.100.1') COMMENT = 'gw';
         CREATE NETWORK POLICY NP ALLOWED_NETWORK_RULE_LIST = ('DEMO.S.GATEWAYS') ALLOWED_IP_LIST = ('192.168.1.0/24', '10.0.0.1') BLOCKED_IP_LIST = ('192.168.1.99');
         CREATE AUTHENTICATION POLICY DEMO.S.AP AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN', 'KEYPAIR') PAT_POLICY = (MAX_EXPIRY_IN_DAYS = 90 BLOCKED_ROLES_LIST = ('ACCOUNTADMIN'));
         CREATE USER svc TYPE = SERVICE DEFAULT_ROLE = R NETWORK_POLICY = NP COMMENT = 'streaming' RSA_PUBLIC_KEY = '{}';
         ALTER USER svc SET AUTHENTICATION POLICY DEMO.S.AP; GRANT ROLE R TO USER svc;
         ALTER USER svc ADD PAT t ROLE_RESTRICTION = 'R'",
        key.public_body
    ));
    let users = harness.admin("SHOW USERS LIKE 'SVC'").await;
    assert_eq!(users.column_names().len(), 31);
    assert_eq!(users.column_names()[28], "has_pat");
    for (column, value) in [
        ("disabled", "false"),
        ("has_pat", "true"),
        ("has_rsa_public_key", "true"),
        ("has_password", "false"),
        ("type", "SERVICE"),
        ("default_role", "R"),
        ("comment", "streaming"),
        ("owner", "ACCOUNTADMIN"),
    ] {
        assert_eq!(users.column(column), [Some(value.to_owned())], "{column}");
    }

    let desc = harness.admin("DESC USER svc").await;
    assert_eq!(
        desc.column_names(),
        ["property", "value", "default", "description"]
    );
    assert_eq!(
        desc.cell("property", "EMAIL", "value").as_deref(),
        Some("null")
    );
    assert_eq!(
        desc.cell("property", "TYPE", "value").as_deref(),
        Some("SERVICE")
    );
    assert_eq!(
        desc.cell("property", "RSA_PUBLIC_KEY_FP", "value"),
        Some(key.fingerprint.clone())
    );
    assert!(
        desc.column("property")
            .iter()
            .all(|p| p.as_deref() != Some("NETWORK_POLICY"))
    );

    let policy = harness.admin("DESC NETWORK POLICY NP").await;
    assert_eq!(policy.column_names(), ["name", "value"]);
    assert_eq!(
        policy
            .cell("name", "ALLOWED_NETWORK_RULE_LIST", "value")
            .as_deref(),
        Some(r#"[{"fullyQualifiedRuleName":"DEMO.S.GATEWAYS"}]"#)
    );
    assert_eq!(
        policy.cell("name", "ALLOWED_IP_LIST", "value").as_deref(),
        Some("192.168.1.0/24,10.0.0.1")
    );
    assert_eq!(policy.rows().len(), 3, "only the lists that are set");

    let policies = harness.admin("SHOW NETWORK POLICIES").await;
    assert_eq!(
        policies.column_names(),
        [
            "created_on",
            "name",
            "comment",
            "entries_in_allowed_ip_list",
            "entries_in_blocked_ip_list",
            "entries_in_allowed_network_rules",
            "entries_in_blocked_network_rules"
        ]
    );
    assert_eq!(
        policies
            .cell("name", "NP", "entries_in_allowed_ip_list")
            .as_deref(),
        Some("2")
    );

    let rules = harness.admin("SHOW NETWORK RULES IN SCHEMA DEMO.S").await;
    assert_eq!(rules.column_names().len(), 10);
    assert_eq!(
        rules
            .cell("name", "GATEWAYS", "entries_in_valuelist")
            .as_deref(),
        Some("2")
    );
    let rule = harness.admin("DESC NETWORK RULE DEMO.S.GATEWAYS").await;
    assert_eq!(
        rule.column("value_list"),
        [Some("203.0.113.0/24,198.51.100.1".to_owned())]
    );

    let auth = harness.admin("DESC AUTHENTICATION POLICY DEMO.S.AP").await;
    assert_eq!(
        auth.cell("property", "AUTHENTICATION_METHODS", "value")
            .as_deref(),
        Some("[PROGRAMMATIC_ACCESS_TOKEN, KEYPAIR]")
    );
    assert_eq!(
        auth.cell("property", "PAT_POLICY", "value").as_deref(),
        Some(
            "{DEFAULT_EXPIRY_IN_DAYS=15, MAX_EXPIRY_IN_DAYS=90, NETWORK_POLICY_EVALUATION=ENFORCED_REQUIRED, REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS=true, REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS=false, BLOCKED_ROLES_LIST=[ACCOUNTADMIN]}"
        )
    );
    assert_eq!(
        auth.cell("property", "COMMENT", "value").as_deref(),
        Some("null")
    );
    assert_eq!(
        auth.cell("property", "CLIENT_POLICY", "value").as_deref(),
        Some("{}")
    );

    let on_user = harness
        .admin("SHOW AUTHENTICATION POLICIES ON USER svc")
        .await;
    assert_eq!(on_user.column("name"), [Some("AP".to_owned())]);
    assert_eq!(on_user.column("set_on"), [Some("USER".to_owned())]);

    let parameters = harness
        .admin("SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER svc")
        .await;
    assert_eq!(
        parameters.column_names(),
        ["key", "value", "default", "level", "description", "type"]
    );
    assert_eq!(parameters.column("value"), [Some("NP".to_owned())]);
    assert_eq!(parameters.column("level"), [Some("USER".to_owned())]);

    let grants = harness.admin("SHOW GRANTS OF ROLE R").await;
    assert_eq!(
        grants.column_names(),
        [
            "created_on",
            "role",
            "granted_to",
            "grantee_name",
            "granted_by"
        ]
    );
    assert_eq!(grants.column("grantee_name"), [Some("SVC".to_owned())]);
    let to_user = harness.admin("SHOW GRANTS TO USER svc").await;
    assert_eq!(
        to_user.column("role"),
        [Some("R".to_owned())],
        "PUBLIC is not listed"
    );

    harness.seed("CREATE WAREHOUSE WH; ALTER USER ADMIN SET DEFAULT_WAREHOUSE = WH");
    let references = harness
        .admin("SELECT POLICY_NAME, POLICY_KIND, REF_ENTITY_NAME, REF_ENTITY_DOMAIN FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(REF_ENTITY_NAME => 'SVC', REF_ENTITY_DOMAIN => 'USER'))")
        .await;
    assert_eq!(
        references.rows(),
        [
            ["NP", "NETWORK_POLICY", "SVC", "USER"].map(|s| Some(s.to_owned())),
            ["AP", "AUTHENTICATION_POLICY", "SVC", "USER"].map(|s| Some(s.to_owned())),
        ]
    );
    let by_policy = harness
        .admin("SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => 'NP', POLICY_KIND => 'NETWORK_POLICY'))")
        .await;
    assert_eq!(by_policy.column_names().len(), 14);
    assert_eq!(
        by_policy.column("REF_ENTITY_NAME"),
        [Some("SVC".to_owned())]
    );
    assert_eq!(by_policy.column("POLICY_DB"), [None]);
}

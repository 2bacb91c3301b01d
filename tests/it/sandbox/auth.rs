//! Authentication over HTTP: the admin token, PATs the sandbox issued (status, expiry, role
//! restriction, network and authentication policies) and key-pair JWTs signed with real RSA keys.

use serde_json::json;

use super::support::{Harness, jwt, key, sign};

const GATEWAYS: &str = "203.0.113.0/24";
const INSIDE: &str = "203.0.113.40";
const OUTSIDE: &str = "198.51.100.1";

/// A service user behind a network policy with a restricted token; returns its secret.
async fn service_user(harness: &Harness) -> String {
    harness.seed(&format!(
        "CREATE DATABASE DEMO; CREATE SCHEMA DEMO.S; CREATE ROLE STREAMING;
         CREATE NETWORK RULE DEMO.S.GATEWAYS TYPE = IPV4 VALUE_LIST = ('{GATEWAYS}');
         CREATE NETWORK POLICY NP ALLOWED_NETWORK_RULE_LIST = ('DEMO.S.GATEWAYS');
         CREATE USER svc TYPE = SERVICE NETWORK_POLICY = NP; GRANT ROLE STREAMING TO USER svc"
    ));
    harness
        .add_token("ALTER USER svc ADD PAT stream ROLE_RESTRICTION = 'STREAMING'")
        .await
}

#[tokio::test]
async fn a_restricted_pat_runs_as_its_role_from_an_admitted_address() {
    let harness = Harness::start();
    let secret = service_user(&harness).await;
    for token_type in [None, Some("PROGRAMMATIC_ACCESS_TOKEN")] {
        let mut request = harness
            .statement("SELECT CURRENT_USER(), CURRENT_ROLE()")
            .token(&secret)
            .client_ip(INSIDE);
        if let Some(kind) = token_type {
            request = request.token_type(kind);
        }
        let reply = request.send().await.ok();
        assert_eq!(
            reply.rows(),
            [[Some("SVC".to_owned()), Some("STREAMING".to_owned())]]
        );
    }
    // The restricted role cannot be swapped for another in the request body.
    harness
        .statement("SELECT CURRENT_ROLE()")
        .token(&secret)
        .client_ip(INSIDE)
        .field("role", json!("PUBLIC"))
        .send()
        .await
        .fails_with("390189");
}

#[tokio::test]
async fn a_network_policy_that_does_not_admit_the_client_refuses_the_pat() {
    let harness = Harness::start();
    let secret = service_user(&harness).await;
    let outside = harness
        .statement("SELECT 1")
        .token(&secret)
        .client_ip(OUTSIDE)
        .send()
        .await
        .refused_with("390422");
    assert_eq!(
        outside.message(),
        format!(
            "Incoming request with IP/Token {OUTSIDE} is not allowed to access Snowflake. Contact your local security administrator."
        )
    );
    // Loopback is the address when no test header claims another.
    harness
        .statement("SELECT 1")
        .token(&secret)
        .send()
        .await
        .refused_with("390422");
    // A blocked address inside the allowed range is refused.
    harness.seed(&format!(
        "ALTER NETWORK POLICY NP SET BLOCKED_IP_LIST = ('{INSIDE}')"
    ));
    harness
        .statement("SELECT 1")
        .token(&secret)
        .client_ip(INSIDE)
        .send()
        .await
        .refused_with("390422");
}

#[tokio::test]
async fn a_service_users_pat_needs_a_network_policy_user_level_else_account_level() {
    let harness = Harness::start();
    let secret = service_user(&harness).await;
    harness.seed("ALTER USER svc UNSET NETWORK_POLICY");
    let refused = harness
        .statement("SELECT 1")
        .token(&secret)
        .client_ip(INSIDE)
        .send()
        .await
        .refused_with("390432");
    assert_eq!(refused.message(), "Network policy is required.");
    harness.seed("ALTER ACCOUNT SET NETWORK_POLICY = NP");
    harness
        .statement("SELECT 1")
        .token(&secret)
        .client_ip(INSIDE)
        .send()
        .await
        .ok();
    harness
        .statement("SELECT 1")
        .token(&secret)
        .client_ip(OUTSIDE)
        .send()
        .await
        .refused_with("390422");
}

#[tokio::test]
async fn the_pat_policy_decides_how_network_policies_are_evaluated() {
    let harness = Harness::start();
    let secret = service_user(&harness).await;
    harness.seed(
        "CREATE AUTHENTICATION POLICY DEMO.S.NOT_REQUIRED PAT_POLICY = (NETWORK_POLICY_EVALUATION = ENFORCED_NOT_REQUIRED);
         CREATE AUTHENTICATION POLICY DEMO.S.NOT_ENFORCED PAT_POLICY = (NETWORK_POLICY_EVALUATION = NOT_ENFORCED);
         ALTER USER svc SET AUTHENTICATION POLICY DEMO.S.NOT_REQUIRED",
    );
    // Enforced when a policy applies...
    harness
        .statement("SELECT 1")
        .token(&secret)
        .client_ip(OUTSIDE)
        .send()
        .await
        .refused_with("390422");
    // ...but not required.
    harness.seed("ALTER USER svc UNSET NETWORK_POLICY");
    harness
        .statement("SELECT 1")
        .token(&secret)
        .client_ip(OUTSIDE)
        .send()
        .await
        .ok();
    harness.seed(
        "ALTER USER svc SET NETWORK_POLICY = NP; ALTER USER svc SET AUTHENTICATION POLICY DEMO.S.NOT_ENFORCED FORCE",
    );
    harness
        .statement("SELECT 1")
        .token(&secret)
        .client_ip(OUTSIDE)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn a_person_needs_a_network_policy_unless_the_token_has_a_bypass_window() {
    let harness = Harness::start();
    harness.seed("CREATE USER person");
    let plain = harness.add_token("ALTER USER person ADD PAT plain").await;
    let bypass = harness
        .add_token(
            "ALTER USER person ADD PAT bypass MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT = 10",
        )
        .await;
    harness
        .statement("SELECT 1")
        .token(&plain)
        .send()
        .await
        .refused_with("390432");
    harness
        .statement("SELECT 1")
        .token(&bypass)
        .send()
        .await
        .ok();
    let tokens = harness.admin("SHOW USER PATS FOR USER person").await;
    assert_eq!(
        tokens
            .cell(
                "name",
                "BYPASS",
                "mins_to_bypass_network_policy_requirement"
            )
            .as_deref(),
        Some("10")
    );
    harness.sandbox.advance_clock(chrono::Duration::minutes(11));
    harness
        .statement("SELECT 1")
        .token(&bypass)
        .send()
        .await
        .refused_with("390432");
}

#[tokio::test]
async fn disabled_expired_removed_and_orphaned_tokens_are_refused() {
    let harness = Harness::start();
    let secret = service_user(&harness).await;
    let call = || {
        harness
            .statement("SELECT 1")
            .token(&secret)
            .client_ip(INSIDE)
    };
    call().send().await.ok();

    harness.seed("ALTER USER svc MODIFY PAT stream SET DISABLED = TRUE");
    let disabled = call().send().await.refused_with("394400");
    assert_eq!(disabled.message(), "Programmatic access token is invalid.");
    harness.seed("ALTER USER svc MODIFY PAT stream UNSET DISABLED");
    call().send().await.ok();

    harness.seed("REVOKE ROLE STREAMING FROM USER svc");
    call().send().await.refused_with("394400");
    harness.seed("GRANT ROLE STREAMING TO USER svc");
    call().send().await.ok();

    harness.seed("ALTER USER svc SET DISABLED = TRUE");
    let user_disabled = call().send().await.refused_with("390101");
    assert_eq!(
        user_disabled.message(),
        "User access disabled. Contact your local system administrator."
    );
    // Re-enabling the user leaves its tokens disabled.
    harness.seed("ALTER USER svc SET DISABLED = FALSE");
    call().send().await.refused_with("394400");
    harness.seed("ALTER USER svc MODIFY PAT stream SET DISABLED = FALSE");
    call().send().await.ok();

    harness.seed(
        "CREATE AUTHENTICATION POLICY DEMO.S.NO_PATS AUTHENTICATION_METHODS = ('KEYPAIR');
         ALTER USER svc SET AUTHENTICATION POLICY DEMO.S.NO_PATS",
    );
    call().send().await.refused_with("390202");
    harness.seed("ALTER USER svc UNSET AUTHENTICATION POLICY");

    harness.sandbox.advance_clock(chrono::Duration::days(16));
    call().send().await.refused_with("394400");
    harness.sandbox.advance_clock(chrono::Duration::days(-16));
    call().send().await.ok();

    harness.seed("ALTER USER svc REMOVE PAT stream");
    call().send().await.refused_with("394400");
    harness
        .statement("SELECT 1")
        .token("ver:1-hint:0000000000-unknown")
        .send()
        .await
        .refused_with("394400");
    // Unknown tokens of no recognisable kind are taken for OAuth, as Snowflake assumes.
    harness
        .statement("SELECT 1")
        .token("opaque-token")
        .send()
        .await
        .refused_with("390303");
}

#[tokio::test]
async fn the_admin_token_is_user_admin_with_accountadmin() {
    let harness = Harness::start();
    for token_type in [None, Some("OAUTH"), Some("PROGRAMMATIC_ACCESS_TOKEN")] {
        let mut request =
            harness.statement("SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_ACCOUNT()");
        if let Some(kind) = token_type {
            request = request.token_type(kind);
        }
        assert_eq!(
            request.send().await.ok().rows(),
            [["ADMIN", "ACCOUNTADMIN", "SANDBOX"].map(|s| Some(s.to_owned()))]
        );
    }
    // A role the user does not hold cannot be requested.
    harness.seed("CREATE ROLE NOT_MINE");
    let reply = harness
        .statement("SELECT 1")
        .field("role", json!("NOT_MINE"))
        .send()
        .await
        .fails_with("390189");
    assert!(
        reply
            .message()
            .contains("Role 'NOT_MINE' specified in the connect string")
    );
    let sysadmin = harness
        .statement("SELECT CURRENT_ROLE()")
        .field("role", json!("SYSADMIN"))
        .send()
        .await
        .ok();
    assert_eq!(sysadmin.rows(), [[Some("SYSADMIN".to_owned())]]);
}

#[tokio::test]
async fn key_pair_jwts_are_verified_against_the_users_keys() {
    let harness = Harness::start();
    let first = key("rsa_key");
    let second = key("rsa_key_2");
    harness.seed(&format!(
        "CREATE USER deployer DEFAULT_ROLE = SYSADMIN RSA_PUBLIC_KEY = '{}'; GRANT ROLE SYSADMIN TO USER deployer",
        first.public_body
    ));
    let token = jwt(&first, "SANDBOX", "DEPLOYER");
    for token_type in [Some("KEYPAIR_JWT"), None] {
        let mut request = harness
            .statement("SELECT CURRENT_USER(), CURRENT_ROLE()")
            .token(&token);
        if let Some(kind) = token_type {
            request = request.token_type(kind);
        }
        assert_eq!(
            request.send().await.ok().rows(),
            [[Some("DEPLOYER".to_owned()), Some("SYSADMIN".to_owned())]]
        );
    }
    // The second key slot works too; until it is set its fingerprint is unknown.
    let with_second = jwt(&second, "SANDBOX", "DEPLOYER");
    harness
        .statement("SELECT 1")
        .token(&with_second)
        .send()
        .await
        .refused_with("390144");
    harness.seed(&format!(
        "ALTER USER deployer SET RSA_PUBLIC_KEY_2 = '{}'",
        second.public_body
    ));
    harness
        .statement("SELECT 1")
        .token(&with_second)
        .send()
        .await
        .ok();

    // The sandbox clock does not matter: JWT times are checked against real time.
    harness.sandbox.advance_clock(chrono::Duration::days(30));
    harness
        .statement("SELECT 1")
        .token(&token)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn invalid_jwts_are_refused_with_390144() {
    let harness = Harness::start();
    let first = key("rsa_key");
    let second = key("rsa_key_2");
    harness.seed(&format!(
        "CREATE USER deployer RSA_PUBLIC_KEY = '{}'",
        first.public_body
    ));
    let now = chrono::Utc::now().timestamp();
    let claims = |account: &str, user: &str, fingerprint: &str, iat: i64, exp: i64| {
        json!({
            "iss": format!("{account}.{user}.{fingerprint}"),
            "sub": format!("{account}.{user}"),
            "iat": iat,
            "exp": exp,
        })
    };
    let fp = first.fingerprint.as_str();
    let cases = [
        (
            "wrong account",
            sign(&first, &claims("OTHER", "DEPLOYER", fp, now, now + 600)),
        ),
        (
            "lower-case account",
            sign(&first, &claims("sandbox", "DEPLOYER", fp, now, now + 600)),
        ),
        (
            "unknown user",
            sign(&first, &claims("SANDBOX", "NOBODY", fp, now, now + 600)),
        ),
        (
            "signed by another key",
            sign(&second, &claims("SANDBOX", "DEPLOYER", fp, now, now + 600)),
        ),
        (
            "expired",
            sign(
                &first,
                &claims("SANDBOX", "DEPLOYER", fp, now - 7200, now - 3700),
            ),
        ),
        (
            // Corrections 5: the lifetime is capped at one hour after iat, so this one, issued
            // two hours ago, stopped working an hour ago although its exp is still ahead.
            "capped at one hour after iat",
            sign(
                &first,
                &claims("SANDBOX", "DEPLOYER", fp, now - 7200, now + 3600),
            ),
        ),
        (
            "issued in the future",
            sign(
                &first,
                &claims("SANDBOX", "DEPLOYER", fp, now + 600, now + 1200),
            ),
        ),
        (
            "sub differs from iss",
            sign(
                &first,
                &json!({"iss": format!("SANDBOX.DEPLOYER.{fp}"), "sub": "SANDBOX.ADMIN", "iat": now, "exp": now + 600}),
            ),
        ),
        ("not a JWT", "a.b.c".to_owned()),
    ];
    for (case, token) in cases {
        let reply = harness
            .statement("SELECT 1")
            .token(&token)
            .token_type("KEYPAIR_JWT")
            .send()
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (401, "390144"),
            "{case}: {:#}",
            reply.body
        );
        assert!(
            reply.message().starts_with("JWT token is invalid. ["),
            "{case}"
        );
    }
    // Millisecond time claims are accepted.
    let millis = sign(
        &first,
        &claims("SANDBOX", "DEPLOYER", fp, now * 1000, (now + 600) * 1000),
    );
    harness
        .statement("SELECT 1")
        .token(&millis)
        .send()
        .await
        .ok();
    let log = harness.sandbox.statement_log();
    assert!(
        log.iter().any(|entry| entry.kind == "login"),
        "refused logins are logged"
    );
}

#[tokio::test]
async fn jwt_logins_obey_the_users_network_and_authentication_policies() {
    let harness = Harness::start();
    let first = key("rsa_key");
    harness.seed(&format!(
        "CREATE DATABASE DEMO; CREATE SCHEMA DEMO.S;
         CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('{GATEWAYS}');
         CREATE USER deployer NETWORK_POLICY = NP RSA_PUBLIC_KEY = '{}'",
        first.public_body
    ));
    let token = jwt(&first, "SANDBOX", "DEPLOYER");
    harness
        .statement("SELECT 1")
        .token(&token)
        .send()
        .await
        .refused_with("390422");
    harness
        .statement("SELECT 1")
        .token(&token)
        .client_ip(INSIDE)
        .send()
        .await
        .ok();
    harness.seed(
        "CREATE AUTHENTICATION POLICY DEMO.S.PATS_ONLY AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN');
         ALTER USER deployer SET AUTHENTICATION POLICY DEMO.S.PATS_ONLY",
    );
    harness
        .statement("SELECT 1")
        .token(&token)
        .client_ip(INSIDE)
        .send()
        .await
        .refused_with("390202");
}

#[tokio::test]
async fn a_key_pair_session_may_manage_its_own_tokens() {
    let harness = Harness::start();
    let first = key("rsa_key");
    harness.seed(&format!(
        "CREATE USER deployer DEFAULT_ROLE = ACCOUNTADMIN RSA_PUBLIC_KEY = '{}'; GRANT ROLE ACCOUNTADMIN TO USER deployer",
        first.public_body
    ));
    let token = jwt(&first, "SANDBOX", "DEPLOYER");
    let reply = harness
        .statement("ALTER USER deployer ADD PAT mine")
        .token(&token)
        .send()
        .await
        .ok();
    assert!(reply.column("token_secret")[0].is_some());
}

#[tokio::test]
async fn a_pat_still_signs_in_after_its_user_is_renamed_and_dies_with_a_dropped_user() {
    // The sandbox finds a PAT's user through an index kept as tokens are minted; a rename makes
    // that entry stale, which must never refuse a valid token or admit a dropped user's.
    let harness = Harness::start();
    let secret = service_user(&harness).await;
    harness.seed("ALTER USER svc RENAME TO svc_renamed");
    let reply = harness
        .statement("SELECT CURRENT_USER()")
        .token(&secret)
        .client_ip(INSIDE)
        .send()
        .await
        .ok();
    assert_eq!(reply.rows(), [[Some("SVC_RENAMED".to_owned())]]);
    harness.seed("DROP USER svc_renamed");
    harness
        .statement("SELECT CURRENT_USER()")
        .token(&secret)
        .client_ip(INSIDE)
        .send()
        .await
        .refused_with("394400");
}

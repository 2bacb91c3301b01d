//! Reading live state for a plan of a realistic account: 1,000 SERVICE users with 3
//! role-restricted tokens each, in 10 teams; each team has a role (granted to its users), a
//! network rule, a network policy built from that rule and an authentication policy, attached to
//! its users. The sandbox adds 20 ms to every statement (a realistic round trip to Snowflake).
//!
//! Both read modes are measured: without a warehouse (SHOW/DESC only, the default) and with one
//! (adds `POLICY_REFERENCES` per declared policy); each at `--concurrency 8` and at the default
//! (no flag: starts at 8 and grows to `pool::auto_concurrency` of the read's statements), and
//! when benching also at 32. Each line prints the statements, the wall time, and its ratio to
//! the floor `ceil(statements / concurrency) x round trip`, the round trip measured as the mean
//! of 50 sequential one-statement requests on this account (as `sandbox_cpu` does).
//!
//! Run: `cargo bench --bench plan_latency` (release, 1,000 users; `USERS=200` for a quick run).
//! As a smoke test (`cargo test --bench plan_latency`, no `--bench`) it reads 20 users.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops on a failed setup"
)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use pat_reconcile::model::live::SessionAuthentication;
use pat_reconcile::sandbox::{SandboxConfig, SandboxThread};
use pat_reconcile::secrets::Secret;
use pat_reconcile::snowflake::auth::{Credentials, TokenType};
use pat_reconcile::snowflake::reader::{self, ReadMode, ReadOptions};
use pat_reconcile::snowflake::{Client, ClientOptions, Interrupt, RequestContext};

const LATENCY: Duration = Duration::from_millis(20);
const TEAMS: usize = 10;
const TOKENS: usize = 3;

/// The seed SQL and the `pats.yaml` that declares exactly what it creates.
fn account(users: usize) -> (String, String) {
    let mut seed = String::from(
        "CREATE DATABASE DEMO;\nCREATE SCHEMA DEMO.DEMO;\nCREATE WAREHOUSE BENCH_WH;\n",
    );
    let mut rules = String::from("network_rules:\n");
    let mut nps = String::from("network_policies:\n");
    let mut aps = String::from("authentication_policies:\n");
    for team in 0..TEAMS {
        writeln!(
            seed,
            "CREATE ROLE TEAM{team};\
             CREATE NETWORK RULE DEMO.DEMO.TEAM{team}_GATEWAYS TYPE = IPV4 MODE = INGRESS VALUE_LIST = ('10.{team}.0.0/16');\
             CREATE NETWORK POLICY TEAM{team}_NP ALLOWED_NETWORK_RULE_LIST = ('DEMO.DEMO.TEAM{team}_GATEWAYS');\
             CREATE AUTHENTICATION POLICY DEMO.DEMO.TEAM{team}_AP AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN', 'KEYPAIR');"
        )
        .unwrap();
        writeln!(
            rules,
            "  DEMO.DEMO.TEAM{team}_GATEWAYS:\n    type: IPV4\n    mode: INGRESS\n    value_list: [10.{team}.0.0/16]"
        )
        .unwrap();
        writeln!(
            nps,
            "  TEAM{team}_NP:\n    allowed_network_rule_list: [DEMO.DEMO.TEAM{team}_GATEWAYS]"
        )
        .unwrap();
        writeln!(
            aps,
            "  DEMO.DEMO.TEAM{team}_AP:\n    authentication_methods: [PROGRAMMATIC_ACCESS_TOKEN, KEYPAIR]"
        )
        .unwrap();
    }
    let mut yaml = format!("version: 1\n{rules}{nps}{aps}users:\n");
    for u in 0..users {
        let team = u % TEAMS;
        writeln!(
            seed,
            "CREATE USER SVC{u:05} TYPE = SERVICE DEFAULT_ROLE = TEAM{team};\
             GRANT ROLE TEAM{team} TO USER SVC{u:05};\
             ALTER USER SVC{u:05} SET NETWORK_POLICY = TEAM{team}_NP;\
             ALTER USER SVC{u:05} SET AUTHENTICATION POLICY DEMO.DEMO.TEAM{team}_AP;"
        )
        .unwrap();
        writeln!(
            yaml,
            "  SVC{u:05}:\n    type: SERVICE\n    default_role: TEAM{team}\n    roles: [TEAM{team}]\n    network_policy: TEAM{team}_NP\n    authentication_policy: DEMO.DEMO.TEAM{team}_AP\n    tokens:"
        )
        .unwrap();
        for t in 0..TOKENS {
            writeln!(
                seed,
                "ALTER USER SVC{u:05} ADD PAT T{t} ROLE_RESTRICTION = TEAM{team} DAYS_TO_EXPIRY = 90;"
            )
            .unwrap();
            writeln!(
                yaml,
                "      T{t}:\n        role_restriction: TEAM{team}\n        days_to_expiry: 90\n        deliver: [{{ file: {{ path: svc{u}_t{t} }} }}]"
            )
            .unwrap();
        }
    }
    (seed, yaml)
}

fn client(sandbox: &SandboxThread, warehouse: Option<String>) -> Client {
    Client::new(
        &sandbox.url(),
        Credentials::bearer(
            Secret::new(sandbox.admin_token()),
            TokenType::ProgrammaticAccessToken,
        ),
        RequestContext {
            role: None,
            warehouse,
        },
        ClientOptions::default(),
        Interrupt::never(),
    )
    .expect("client")
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --bench plan_latency` runs this as a smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let users: usize = std::env::var("USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 1000 } else { 20 });
    let sandbox = SandboxThread::spawn(SandboxConfig {
        latency: LATENCY,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    // Seeding runs in process, without the latency.
    let (seed, yaml) = account(users);
    sandbox.execute_as_admin(&seed).expect("seed");
    let desired = pat_reconcile::config::load_str("bench.yaml", &yaml)
        .config
        .expect("valid generated file");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    const PROBES: u32 = 50;
    let probe = client(&sandbox, None);
    let probing = Instant::now();
    for _ in 0..PROBES {
        runtime
            .block_on(probe.execute("SELECT CURRENT_USER()"))
            .expect("probe");
    }
    let round_trip = probing.elapsed() / PROBES;

    println!(
        "plan read of {users} SERVICE users x {TOKENS} tokens, {TEAMS} teams (role, network rule, network policy, authentication policy), {} ms latency; round trip {:.1} ms",
        LATENCY.as_millis(),
        round_trip.as_secs_f64() * 1e3
    );
    println!(
        "{:>13} {:>12} {:>10} {:>9} {:>9} {:>8}",
        "mode", "concurrency", "statements", "wall", "floor", "ratio"
    );
    let levels: &[Option<usize>] = if benching {
        &[Some(8), None, Some(32)]
    } else {
        &[Some(8), None]
    };
    let modes = [
        ("no warehouse", ReadMode::NoWarehouse, None),
        (
            "warehouse",
            ReadMode::WithWarehouse,
            Some("BENCH_WH".to_owned()),
        ),
    ];
    for (label, mode, warehouse) in modes {
        for &concurrency in levels {
            let client = client(&sandbox, warehouse.clone());
            let options = ReadOptions {
                concurrency,
                authentication: SessionAuthentication::ProgrammaticAccessToken,
                mode,
                progress: None,
            };
            let started = Instant::now();
            let (state, report) = runtime
                .block_on(reader::read(&client, &desired, &options))
                .expect("read");
            let wall = started.elapsed();
            assert_eq!(state.users.len(), users);
            assert!(state.users.values().all(|u| u.tokens.len() == TOKENS));
            assert!(state.users.values().all(|u| {
                u.network_policy.is_some()
                    && u.authentication_policy.is_some()
                    && u.roles.len() == 1
            }));
            assert_eq!(state.network_rules.len(), TEAMS);
            // With a warehouse, every policy's attachments are seen; without, none are claimed.
            let seen = state
                .network_policies
                .values()
                .filter(|p| p.attachments.is_some())
                .count();
            assert_eq!(seen, if warehouse.is_some() { TEAMS } else { 0 });
            if concurrency.is_none() {
                assert_eq!(
                    report.concurrency,
                    pat_reconcile::snowflake::pool::auto_concurrency(report.statements),
                    "the default grows to auto_concurrency of the statements"
                );
            }
            let floor =
                round_trip.as_secs_f64() * report.statements.div_ceil(report.concurrency) as f64;
            let shown = match concurrency {
                Some(n) => n.to_string(),
                None => format!("default {}", report.concurrency),
            };
            println!(
                "{label:>13} {shown:>12} {:>10} {:>8.2}s {:>8.2}s {:>7.2}x",
                report.statements,
                wall.as_secs_f64(),
                floor,
                wall.as_secs_f64() / floor
            );
        }
    }
}

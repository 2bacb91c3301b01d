//! Reading live state for a plan of 1,000 declared users with 3 tokens each, each user attached
//! to one of 10 network policies and one of 10 authentication policies, against a sandbox that
//! adds 20 ms to every statement (a realistic round trip to Snowflake).
//!
//! Both read modes are measured: without a warehouse (SHOW/DESC only, the default) and with one
//! (adds `POLICY_REFERENCES` per declared policy). Reports wall time, statements issued, and the
//! ratio to the floor `statements / concurrency × latency`, for several `--concurrency` values.
//!
//! Run: `cargo bench --bench plan_latency` (release). `USERS=200 cargo bench ...` for a quick run.

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
const POLICIES: usize = 10;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this as a smoke test.
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
    let mut yaml = String::from("version: 1\nnetwork_policies:\n");
    for seed in [
        "CREATE DATABASE DEMO",
        "CREATE SCHEMA DEMO.DEMO",
        "CREATE WAREHOUSE BENCH_WH",
    ] {
        sandbox.execute_as_admin(seed).expect("seed");
    }
    for p in 0..POLICIES {
        sandbox
            .execute_as_admin(&format!(
                "CREATE NETWORK POLICY NP{p} ALLOWED_IP_LIST = ('0.0.0.0/0')"
            ))
            .expect("seed network policy");
        sandbox
            .execute_as_admin(&format!(
                "CREATE AUTHENTICATION POLICY DEMO.DEMO.AP{p} AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN', 'KEYPAIR')"
            ))
            .expect("seed authentication policy");
        writeln!(yaml, "  NP{p}:\n    allowed_ip_list: [0.0.0.0/0]").unwrap();
    }
    yaml.push_str("authentication_policies:\n");
    for p in 0..POLICIES {
        writeln!(
            yaml,
            "  DEMO.DEMO.AP{p}:\n    authentication_methods: [PROGRAMMATIC_ACCESS_TOKEN, KEYPAIR]"
        )
        .unwrap();
    }
    yaml.push_str("users:\n");
    for u in 0..users {
        let p = u % POLICIES;
        for sql in [
            format!("CREATE USER U{u:04}"),
            format!("ALTER USER U{u:04} SET NETWORK_POLICY = NP{p}"),
            format!("ALTER USER U{u:04} SET AUTHENTICATION POLICY DEMO.DEMO.AP{p}"),
        ] {
            sandbox.execute_as_admin(&sql).expect("seed user");
        }
        writeln!(
            yaml,
            "  U{u:04}:\n    network_policy: NP{p}\n    authentication_policy: DEMO.DEMO.AP{p}\n    tokens:"
        )
        .unwrap();
        for t in 0..3 {
            sandbox
                .execute_as_admin(&format!(
                    "ALTER USER U{u:04} ADD PAT T{t} DAYS_TO_EXPIRY = 90"
                ))
                .expect("seed token");
            writeln!(yaml, "      T{t}:\n        days_to_expiry: 90\n        deliver: [{{ file: {{ path: u{u}_t{t} }} }}]").unwrap();
        }
    }
    let loaded = pat_reconcile::config::load_str("bench.yaml", &yaml);
    let desired = loaded.config.expect("valid generated file");

    println!(
        "plan read of {users} users x 3 tokens, {} ms latency per statement",
        LATENCY.as_millis()
    );
    println!(
        "{:>13} {:>11} {:>10} {:>10} {:>10} {:>8}",
        "mode", "concurrency", "statements", "wall", "floor", "ratio"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let levels: &[usize] = if benching {
        &[1, 4, 8, 16, 32, 64]
    } else {
        &[8]
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
            if concurrency == 1 && users > 200 {
                continue;
            }
            let client = Client::new(
                &sandbox.url(),
                Credentials::bearer(
                    Secret::new(sandbox.admin_token()),
                    TokenType::ProgrammaticAccessToken,
                ),
                RequestContext {
                    role: None,
                    warehouse: warehouse.clone(),
                },
                ClientOptions::default(),
                Interrupt::never(),
            )
            .expect("client");
            let options = ReadOptions {
                concurrency: Some(concurrency),
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
            assert!(state.users.values().all(|u| u.tokens.len() == 3));
            assert!(
                state
                    .users
                    .values()
                    .all(|u| u.network_policy.is_some() && u.authentication_policy.is_some())
            );
            // With a warehouse, every policy's attachments are seen; without, none are claimed.
            let seen = state
                .network_policies
                .values()
                .filter(|p| p.attachments.is_some())
                .count();
            assert_eq!(seen, if warehouse.is_some() { POLICIES } else { 0 });
            let floor = LATENCY.mul_f64(report.statements as f64 / concurrency as f64);
            println!(
                "{label:>13} {concurrency:>11} {:>10} {:>9.2}s {:>9.2}s {:>8.2}",
                report.statements,
                wall.as_secs_f64(),
                floor.as_secs_f64(),
                wall.as_secs_f64() / floor.as_secs_f64()
            );
        }
    }
}

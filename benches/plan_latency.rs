//! Reading live state for a plan of 1,000 declared users with 3 tokens each, against a sandbox
//! that adds 20 ms to every statement (a realistic round trip to Snowflake).
//!
//! Reports wall time, statements issued, and the ratio to the floor
//! `statements / concurrency × latency`, for several `--concurrency` values.
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
use pat_reconcile::snowflake::auth::Credentials;
use pat_reconcile::snowflake::reader::{self, ReadOptions};
use pat_reconcile::snowflake::{Client, ClientOptions, Interrupt};

const LATENCY: Duration = Duration::from_millis(20);

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
    let mut yaml = String::from("version: 1\nusers:\n");
    for u in 0..users {
        sandbox
            .execute_as_admin(&format!("CREATE USER U{u:04}"))
            .expect("seed user");
        writeln!(yaml, "  U{u:04}:\n    tokens:").unwrap();
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
        "{:>11} {:>10} {:>10} {:>10} {:>8}",
        "concurrency", "statements", "wall", "floor", "ratio"
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
    for &concurrency in levels {
        if concurrency == 1 && users > 200 {
            continue;
        }
        let client = Client::new(
            &sandbox.url(),
            Credentials::bearer(
                Secret::new(sandbox.admin_token()),
                "PROGRAMMATIC_ACCESS_TOKEN",
            ),
            None,
            ClientOptions::default(),
            Interrupt::never(),
        )
        .expect("client");
        let options = ReadOptions {
            concurrency,
            authentication: SessionAuthentication::ProgrammaticAccessToken,
            progress: None,
        };
        let started = Instant::now();
        let (state, report) = runtime
            .block_on(reader::read(&client, &desired, &options))
            .expect("read");
        let wall = started.elapsed();
        assert_eq!(state.users.len(), users);
        assert!(state.users.values().all(|u| u.tokens.len() == 3));
        let floor = LATENCY.mul_f64(report.statements as f64 / concurrency as f64);
        println!(
            "{concurrency:>11} {:>10} {:>9.2}s {:>9.2}s {:>8.2}",
            report.statements,
            wall.as_secs_f64(),
            floor.as_secs_f64(),
            wall.as_secs_f64() / floor.as_secs_f64()
        );
    }
}

//! Sandbox CPU for one plan read as the account grows: N SERVICE users, each granted one of 10
//! team roles and holding 3 role-restricted tokens, read by the product's live reader at
//! `--concurrency 8` against a sandbox with no latency. The sandbox runs on its own thread
//! (`SandboxThread`, one single-threaded runtime), so its CPU is that thread's run time
//! (`/proc/self/task/TID/schedstat`, Linux). A sandbox whose per-statement cost is independent of
//! the account's size does O(n) work for a plan of O(n) statements: the 5,000-user CPU stays
//! within 6x the 1,000-user one (ideal 5x).
//!
//! Run: `cargo bench --bench sandbox_cpu` (1,000 and 5,000 users; `USERS=1000,5000,10000` to
//! choose). As a smoke test (`cargo test --all-targets`, no `--bench`) it reads 50 and 250 users.

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

const TEAMS: usize = 10;
const TOKENS: usize = 3;
const CONCURRENCY: usize = 8;
/// The thread name `SandboxThread` gives its thread, as `/proc` shows it (15 bytes).
const SANDBOX_THREAD: &str = "pat-reconcile-s";

/// The sandbox thread's CPU time so far, or `None` where `/proc` does not tell it.
fn sandbox_cpu() -> Option<Duration> {
    let mut total = None;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != SANDBOX_THREAD {
            continue;
        }
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        let nanos: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
        *total.get_or_insert(Duration::ZERO) += Duration::from_nanos(nanos);
    }
    total
}

struct Measured {
    statements: usize,
    wall: Duration,
    cpu: Option<Duration>,
    /// The mean of sequential one-statement round trips on this account, for the floor.
    round_trip: Duration,
}

fn measure(users: usize, runtime: &tokio::runtime::Runtime) -> Measured {
    let sandbox = SandboxThread::spawn(SandboxConfig::default()).expect("sandbox");
    // A SERVICE user's token needs a network policy (ENFORCED_REQUIRED by default).
    let mut seed = String::from("CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('0.0.0.0/0');\n");
    let mut yaml = String::from(
        "version: 1\nnetwork_policies:\n  NP:\n    allowed_ip_list: [0.0.0.0/0]\nusers:\n",
    );
    for team in 0..TEAMS {
        writeln!(seed, "CREATE ROLE TEAM{team};").unwrap();
    }
    for u in 0..users {
        let team = u % TEAMS;
        writeln!(
            seed,
            "CREATE USER SVC{u:05} TYPE = SERVICE DEFAULT_ROLE = TEAM{team};\
             ALTER USER SVC{u:05} SET NETWORK_POLICY = NP;\
             GRANT ROLE TEAM{team} TO USER SVC{u:05};"
        )
        .unwrap();
        writeln!(
            yaml,
            "  SVC{u:05}:\n    type: SERVICE\n    default_role: TEAM{team}\n    network_policy: NP\n    roles: [TEAM{team}]\n    tokens:"
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
    sandbox.execute_as_admin(&seed).expect("seed");
    let desired = pat_reconcile::config::load_str("bench.yaml", &yaml)
        .config
        .expect("valid generated file");
    let client = Client::new(
        &sandbox.url(),
        Credentials::bearer(
            Secret::new(sandbox.admin_token()),
            TokenType::ProgrammaticAccessToken,
        ),
        RequestContext {
            role: None,
            warehouse: None,
        },
        ClientOptions::default(),
        Interrupt::never(),
    )
    .expect("client");
    let options = ReadOptions {
        concurrency: Some(CONCURRENCY),
        authentication: SessionAuthentication::ProgrammaticAccessToken,
        mode: ReadMode::NoWarehouse,
        progress: None,
    };
    const PROBES: u32 = 50;
    let probing = Instant::now();
    for _ in 0..PROBES {
        runtime
            .block_on(client.execute("SELECT CURRENT_USER()"))
            .expect("probe");
    }
    let round_trip = probing.elapsed() / PROBES;
    let cpu_before = sandbox_cpu();
    let started = Instant::now();
    let (state, report) = runtime
        .block_on(reader::read(&client, &desired, &options))
        .expect("read");
    let wall = started.elapsed();
    let cpu = sandbox_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    assert_eq!(state.users.len(), users);
    assert!(state.users.values().all(|u| u.tokens.len() == TOKENS));
    Measured {
        statements: report.statements,
        wall,
        cpu,
        round_trip,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this as a smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = std::env::var("USERS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            if benching {
                vec![1000, 5000]
            } else {
                vec![50, 250]
            }
        });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "sandbox CPU for a plan read: SERVICE users x {TOKENS} tokens, {TEAMS} team roles, 0 ms latency, concurrency {CONCURRENCY}"
    );
    println!(
        "{:>7} {:>10} {:>9} {:>9} {:>9} {:>13} {:>12} {:>10}",
        "users", "statements", "wall", "floor", "vs floor", "sandbox CPU", "per stmt", "CPU ratio"
    );
    let mut first: Option<(usize, Duration)> = None;
    for &users in &sizes {
        let m = measure(users, &runtime);
        let cpu = m
            .cpu
            .map_or("n/a".to_owned(), |c| format!("{:.3}s", c.as_secs_f64()));
        let per = m.cpu.map_or("n/a".to_owned(), |c| {
            format!("{:.1}us", c.as_secs_f64() * 1e6 / m.statements as f64)
        });
        let ratio = match (first, m.cpu) {
            (Some((base_users, base)), Some(c)) => format!(
                "{:.2}x/{:.0}x",
                c.as_secs_f64() / base.as_secs_f64(),
                users as f64 / base_users as f64
            ),
            _ => "1.00x".to_owned(),
        };
        // The floor: ceil(statements / concurrency) x the measured round trip.
        let floor = m.round_trip.as_secs_f64() * m.statements.div_ceil(CONCURRENCY) as f64;
        println!(
            "{users:>7} {:>10} {:>8.3}s {:>8.3}s {:>8.2}x {cpu:>13} {per:>12} {ratio:>10}",
            m.statements,
            m.wall.as_secs_f64(),
            floor,
            m.wall.as_secs_f64() / floor
        );
        if first.is_none() {
            first = m.cpu.map(|c| (users, c));
        }
    }
}

//! Apply latency: 1,000 token additions (1,000 existing SERVICE users, each declared with one
//! new role-restricted token delivered to a `file` sink) applied by the real binary
//! (`apply --auto-approve --concurrency N -q`) against a sandbox at 20 ms per request, at
//! concurrency 1, 8 and 32, a fresh sandbox and directory each.
//!
//! It runs the binary rather than the library so that what is measured is what a user waits
//! for: process start, the plan's reads, the journal's syncs, the sinks' atomic writes and the
//! lock, not only the executor.
//!
//! Per concurrency it prints: the statements the sandbox's log says it executed during the run
//! (reads and writes), the wall time, the floor `ceil(statements / concurrency) x round trip`
//! (the round trip measured on that sandbox, one statement at a time) and the ratio; then the
//! same for the apply phase alone (the writes: first to last executed, plus one round trip).
//!
//! It checks, and exits non-zero when a check fails: the apply exits 0; every sink file exists
//! with mode 0600 and holds a secret that signs in to the sandbox as its user; each user holds
//! exactly one token; the sandbox ran each ADD exactly once; the journal has one `ok` line per
//! token and one `delivered` line per sink.
//!
//! Run: `cargo bench --bench apply_latency` (1,000 users). Smoke: `cargo test --bench
//! apply_latency` (50 users). `APPLY_LATENCY_USERS=N` and `APPLY_LATENCY_CONCURRENCY=1,8,32`
//! choose others.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops on a failed setup"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pat_reconcile::sandbox::{LogEntry, LogOutcome, SandboxConfig, SandboxThread};
use serde_json::{Value, json};

const LATENCY: Duration = Duration::from_millis(20);
const TEAMS: usize = 10;
const PROBES: u32 = 30;
const BIN: &str = env!("CARGO_BIN_EXE_pat-reconcile");

fn user(n: usize) -> String {
    format!("SVC{n:05}")
}

fn address(n: usize) -> String {
    format!("user.{}.token.T", user(n))
}

fn sink(n: usize) -> String {
    format!("secrets/{}.pat", user(n).to_ascii_lowercase())
}

/// The seed SQL (users as declared, no tokens) and the `pats.yaml` adding one token each.
fn account(users: usize) -> (String, String) {
    // A SERVICE user's token needs a network policy (ENFORCED_REQUIRED by default).
    let mut seed = String::from("CREATE NETWORK POLICY NP ALLOWED_IP_LIST = ('0.0.0.0/0');\n");
    let mut yaml = String::from(
        "version: 1\nnetwork_policies:\n  NP:\n    allowed_ip_list: [0.0.0.0/0]\nusers:\n",
    );
    for team in 0..TEAMS {
        writeln!(seed, "CREATE ROLE TEAM{team};").unwrap();
    }
    for n in 0..users {
        let (u, team) = (user(n), n % TEAMS);
        writeln!(
            seed,
            "CREATE USER {u} TYPE = SERVICE DEFAULT_ROLE = TEAM{team};\
             ALTER USER {u} SET NETWORK_POLICY = NP;\
             GRANT ROLE TEAM{team} TO USER {u};"
        )
        .unwrap();
        writeln!(
            yaml,
            "  {u}:\n    type: SERVICE\n    default_role: TEAM{team}\n    network_policy: NP\n    roles: [TEAM{team}]\n    tokens:\n      T:\n        role_restriction: TEAM{team}\n        days_to_expiry: 90\n        deliver: [{{ file: {{ path: {} }} }}]",
            sink(n)
        )
        .unwrap();
    }
    (seed, yaml)
}

/// A small HTTP client for the sandbox: probes, controls, and signing in with a delivered secret.
struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    url: String,
}

impl Http {
    fn new(url: String) -> Self {
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            client: reqwest::Client::builder()
                .user_agent("pat-reconcile-bench/1")
                .build()
                .expect("client"),
            url,
        }
    }

    /// Runs `sql` with `token`; the first column of the first row, or the refusal.
    fn first_value(&self, token: &str, sql: &str) -> Result<String, String> {
        self.runtime.block_on(async {
            let response = self
                .client
                .post(format!("{}/api/v2/statements", self.url))
                .bearer_auth(token)
                .json(&json!({ "statement": sql }))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let body: Value = response.json().await.map_err(|e| e.to_string())?;
            match body.pointer("/data/0/0").and_then(Value::as_str) {
                Some(value) if status.is_success() => Ok(value.to_owned()),
                _ => Err(format!("{status} {}", body["code"])),
            }
        })
    }

    fn control(&self, admin: &str, body: Value) {
        self.runtime.block_on(async {
            let response = self
                .client
                .post(format!("{}/sandbox/v1/faults", self.url))
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .expect("control");
            assert!(response.status().is_success(), "{}", response.status());
        });
    }
}

fn is_write(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    !(head.starts_with("SHOW") || head.starts_with("DESC") || head.starts_with("SELECT"))
}

fn time(entry: &LogEntry) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&entry.time)
        .expect("the log's RFC 3339 time")
        .with_timezone(&Utc)
}

struct Run {
    statements: usize,
    writes: usize,
    wall: Duration,
    /// First to last write executed, plus one round trip (the first write's request).
    apply_phase: Duration,
    round_trip: Duration,
    failures: Vec<String>,
}

fn run(users: usize, concurrency: usize) -> Run {
    let sandbox = SandboxThread::spawn(SandboxConfig {
        latency: LATENCY,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let (seed, yaml) = account(users);
    sandbox.execute_as_admin(&seed).expect("seed");
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("pats.yaml"), yaml).expect("pats.yaml");
    let http = Http::new(sandbox.url());
    let admin = sandbox.admin_token().to_owned();

    let probing = Instant::now();
    for _ in 0..PROBES {
        http.first_value(&admin, "SELECT CURRENT_USER()")
            .expect("probe");
    }
    let round_trip = probing.elapsed() / PROBES;

    let before = sandbox.statement_log().len();
    let port = sandbox.url().rsplit(':').next().unwrap().to_owned();
    let mut command = Command::new(BIN);
    command
        .args(["apply", "--auto-approve", "-q", "--concurrency"])
        .arg(concurrency.to_string())
        .current_dir(dir.path());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SNOWFLAKE_") {
            command.env_remove(&name);
        }
    }
    command
        .env_remove(pat_reconcile::config::env::PAT_RECONCILE_LOG)
        .env("SNOWFLAKE_HOME", dir.path().join(".snowflake"))
        .env("NO_COLOR", "1")
        .env("SNOWFLAKE_ACCOUNT", sandbox.account())
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", port)
        .env("SNOWFLAKE_PROTOCOL", "http")
        .env("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN")
        .env("SNOWFLAKE_TOKEN", &admin)
        .env("SNOWFLAKE_USER", "ADMIN");
    let started = Instant::now();
    let output = command.output().expect("run the binary");
    let wall = started.elapsed();

    let log: Vec<LogEntry> = sandbox.statement_log().split_off(before);
    let statements: Vec<&LogEntry> = log.iter().filter(|e| e.kind == "statement").collect();
    let writes: Vec<&LogEntry> = statements
        .iter()
        .copied()
        .filter(|e| e.sql.as_deref().is_some_and(is_write))
        .collect();
    let apply_phase = match (writes.first(), writes.last()) {
        (Some(first), Some(last)) => {
            (time(last) - time(first)).to_std().unwrap_or_default() + round_trip
        }
        _ => Duration::ZERO,
    };

    let mut failures = Vec::new();
    if output.status.code() != Some(0) {
        failures.push(format!(
            "apply exited {:?}: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    // The sandbox ran each ADD exactly once.
    let mut adds: BTreeMap<String, usize> = BTreeMap::new();
    for entry in &writes {
        let sql = entry.sql.as_deref().unwrap_or_default();
        if sql.contains(" ADD PROGRAMMATIC ACCESS TOKEN ")
            && matches!(entry.outcome, LogOutcome::Succeeded { .. })
        {
            *adds.entry(sql.to_owned()).or_insert(0) += 1;
        }
    }
    if adds.len() != users || adds.values().any(|&count| count != 1) {
        failures.push(format!(
            "expected {users} ADDs each run once, the sandbox ran {} distinct ({} in all)",
            adds.len(),
            adds.values().sum::<usize>()
        ));
    }
    failures.extend(check_sinks(&http, &sandbox, dir.path(), users));
    failures.extend(check_journal(dir.path(), users));
    Run {
        statements: statements.len(),
        writes: writes.len(),
        wall,
        apply_phase,
        round_trip,
        failures,
    }
}

/// Every sink holds, mode 0600, a secret that signs in as its user; each user has one token.
fn check_sinks(http: &Http, sandbox: &SandboxThread, dir: &Path, users: usize) -> Vec<String> {
    // Sign-ins need no realistic latency: drop it so that checking 1,000 secrets is quick.
    http.control(sandbox.admin_token(), json!({ "latency_ms": 0 }));
    let mut failures = Vec::new();
    for n in 0..users {
        let path = dir.join(sink(n));
        let mode = match std::fs::metadata(&path) {
            Ok(metadata) => metadata.permissions().mode() & 0o777,
            Err(error) => {
                failures.push(format!("{}: no sink file ({error})", address(n)));
                continue;
            }
        };
        if mode != 0o600 {
            failures.push(format!("{}: sink mode {mode:o}, not 600", address(n)));
        }
        let secret = std::fs::read_to_string(&path).unwrap_or_default();
        match http.first_value(secret.trim(), "SELECT CURRENT_USER()") {
            Ok(signed_in) if signed_in == user(n) => {}
            outcome => failures.push(format!(
                "{}: the delivered secret does not sign in as {}: {outcome:?}",
                address(n),
                user(n)
            )),
        }
        let tokens = sandbox
            .execute_as_admin(&format!(
                "SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER {}",
                user(n)
            ))
            .map(|rows| rows.rows().len());
        if tokens != Ok(1) {
            failures.push(format!("{}: the sandbox holds {tokens:?} tokens", user(n)));
        }
    }
    failures
}

/// One `ok` line per token and one `delivered` line per sink, for exactly the declared tokens.
fn check_journal(dir: &Path, users: usize) -> Vec<String> {
    let path = dir.join(".pat-reconcile/journal.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return vec![format!("no journal at {}", path.display())];
    };
    let mut ok: BTreeMap<String, usize> = BTreeMap::new();
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let Ok(line) = serde_json::from_str::<Value>(line) else {
            return vec![format!("a journal line is not JSON: {line}")];
        };
        let address = line["address"].as_str().unwrap_or_default().to_owned();
        if line["outcome"] == "ok" {
            *ok.entry(address.clone()).or_insert(0) += 1;
        }
        if line["delivery"] == "delivered" {
            *delivered.entry(address).or_insert(0) += 1;
        }
    }
    let expected: BTreeMap<String, usize> = (0..users).map(|n| (address(n), 1)).collect();
    let mut failures = Vec::new();
    if ok != expected {
        failures.push(format!(
            "journal: {} `ok` lines over {} addresses, expected one per each of {users} tokens",
            ok.values().sum::<usize>(),
            ok.len()
        ));
    }
    if delivered != expected {
        failures.push(format!(
            "journal: {} `delivered` lines over {} addresses, expected one per each of {users} sinks",
            delivered.values().sum::<usize>(),
            delivered.len()
        ));
    }
    failures
}

fn floor(statements: usize, concurrency: usize, round_trip: Duration) -> Duration {
    round_trip * u32::try_from(statements.div_ceil(concurrency)).unwrap_or(u32::MAX)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --bench apply_latency` runs it as a smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let users: usize = std::env::var("APPLY_LATENCY_USERS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(if benching { 1000 } else { 50 });
    let concurrencies: Vec<usize> = std::env::var("APPLY_LATENCY_CONCURRENCY")
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .filter(|&n| n > 0)
                .collect()
        })
        .unwrap_or_else(|| vec![1, 8, 32]);
    println!(
        "apply latency: {users} token additions (existing SERVICE users x 1 token, file sinks), {} ms per request",
        LATENCY.as_millis()
    );
    println!(
        "{:>5} {:>10} {:>8} {:>8} {:>8} {:>7} | {:>6} {:>8} {:>8} {:>7}",
        "conc", "statements", "rtt", "wall", "floor", "ratio", "writes", "apply", "floor", "ratio"
    );
    let mut failed = false;
    for &concurrency in &concurrencies {
        let m = run(users, concurrency);
        let whole = floor(m.statements, concurrency, m.round_trip);
        let apply = floor(m.writes, concurrency, m.round_trip);
        println!(
            "{concurrency:>5} {:>10} {:>6.1}ms {:>7.2}s {:>7.2}s {:>6.2}x | {:>6} {:>7.2}s {:>7.2}s {:>6.2}x",
            m.statements,
            m.round_trip.as_secs_f64() * 1e3,
            m.wall.as_secs_f64(),
            whole.as_secs_f64(),
            m.wall.as_secs_f64() / whole.as_secs_f64(),
            m.writes,
            m.apply_phase.as_secs_f64(),
            apply.as_secs_f64(),
            m.apply_phase.as_secs_f64() / apply.as_secs_f64(),
        );
        for failure in m.failures.iter().take(20) {
            println!("  CHECK FAILED: {failure}");
        }
        if m.failures.len() > 20 {
            println!("  ... and {} more", m.failures.len() - 20);
        }
        failed |= !m.failures.is_empty();
    }
    if failed {
        eprintln!("apply_latency: a check failed");
        std::process::exit(1);
    }
    println!(
        "checks: every sink 0600 with a secret that signs in, one token per user, each ADD run once, journal complete"
    );
}

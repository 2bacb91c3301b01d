//! Statements per second the sandbox answers for `SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER`
//! over loopback with no injected latency, so that the sandbox is never what a plan benchmark
//! measures. The account holds [`USERS`] users with 3 tokens each besides the one read, so
//! a sandbox whose per-statement cost grows with the account shows here. Run with `cargo bench --bench sandbox_throughput`; criterion reports `thrpt` in
//! statements per second (elements/s).
//!
//! The sandbox runs as `SandboxThread` (its own thread and single-threaded runtime, as tests and
//! the in-process `--sandbox` mode run it); the client is reqwest on another single-threaded
//! runtime, so on a two-core machine each side has a core.
#![expect(
    clippy::expect_used,
    reason = "a benchmark has no error path: failing setup or a failed request aborts it"
)]

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pat_reconcile::sandbox::{SandboxConfig, SandboxThread};
use serde_json::json;

/// Requests in flight at once in the concurrent variant (a plan's read fan-out).
const IN_FLIGHT: usize = 32;
/// Users in the account besides `BENCH_USER`, each with a role grant and 3 tokens.
const USERS: usize = 1_000;
const STATEMENT: &str = "SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER \"BENCH_USER\"";

async fn show_tokens(client: &reqwest::Client, url: &str, token: &str) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .header("User-Agent", "pat-reconcile-bench/1.0")
        .json(&json!({ "statement": STATEMENT }))
        .send()
        .await
        .expect("the sandbox answers");
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.expect("the body arrives");
    assert!(!body.is_empty());
}

fn throughput(criterion: &mut Criterion) {
    let sandbox = SandboxThread::spawn(SandboxConfig::default()).expect("the sandbox starts");
    sandbox
        .execute_as_admin(
            "CREATE USER bench_user;
             ALTER USER bench_user ADD PAT one COMMENT = 'first';
             ALTER USER bench_user ADD PAT two DAYS_TO_EXPIRY = 30;
             ALTER USER bench_user ADD PAT three DAYS_TO_EXPIRY = 90;
             ALTER USER bench_user ROTATE PAT three",
        )
        .expect("the account is seeded");
    let mut seed = String::from("CREATE ROLE BENCH_TEAM;");
    for u in 0..USERS {
        seed.push_str(&format!(
            "CREATE USER filler_{u}; GRANT ROLE BENCH_TEAM TO USER filler_{u};\
             ALTER USER filler_{u} ADD PAT a; ALTER USER filler_{u} ADD PAT b;\
             ALTER USER filler_{u} ADD PAT c;"
        ));
    }
    sandbox
        .execute_as_admin(&seed)
        .expect("the other users are seeded");
    let url = format!("{}/api/v2/statements", sandbox.url());
    let token = sandbox.admin_token().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a client runtime");
    let client = reqwest::Client::new();

    let mut group = criterion.benchmark_group("sandbox_show_tokens");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(5));

    group.throughput(Throughput::Elements(1));
    group.bench_function("sequential", |bencher| {
        bencher.iter(|| runtime.block_on(show_tokens(&client, &url, &token)));
    });

    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function(format!("{IN_FLIGHT}_in_flight"), |bencher| {
        bencher.iter(|| {
            runtime.block_on(async {
                let mut requests = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let (client, url, token) = (client.clone(), url.clone(), token.clone());
                    requests.spawn(async move { show_tokens(&client, &url, &token).await });
                }
                while let Some(result) = requests.join_next().await {
                    result.expect("a request task completes");
                }
            });
        });
    });
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);

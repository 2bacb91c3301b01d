//! Benchmark of `plan::diff` for 10,000 users with 5 tokens each.
//!
//! The account is realistic: one network rule, two network policies and an authentication policy
//! shared by every user; most users in sync, and a steady share with work to do (a token in its
//! rotation window, a token to create, drift to update, an undeclared token and a spent rotation
//! leftover to remove, a user to create). Only the diff is timed; building the inputs is not.
//!
//! - `cargo bench --bench diff`: criterion's timing.
//! - `cargo bench --bench diff -- --once`: one diff, with the plan's size and the process's
//!   resident memory before and after (from `/proc/self/status`); run the built binary under
//!   `/usr/bin/time -v` for the peak of the whole process.

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, SamplingMode, criterion_group};
use pat_reconcile::model::desired::{
    AuthenticationMethod, AuthenticationPolicySpec, Config, Defaults, FileSink, NetworkPolicySpec,
    NetworkRuleMode, NetworkRuleSpec, NetworkRuleType, PatPolicy, Sink, TokenDefaults, TokenSpec,
    UserSpec, UserType, Version,
};
use pat_reconcile::model::live::{
    Attachment, LiveAuthenticationPolicy, LiveNetworkPolicy, LiveNetworkRule, LivePatPolicy,
    LiveState, LiveToken, LiveUser, TokenStatus,
};
use pat_reconcile::model::{Identifier, ObjectName};
use pat_reconcile::plan::diff;

const USERS: usize = 10_000;
const TOKENS_PER_USER: usize = 5;

fn id(s: &str) -> Identifier {
    Identifier::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn obj(s: &str) -> ObjectName {
    ObjectName::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// What a user needs, by its index: 80 % in sync, the rest spread over the kinds of work.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mix {
    InSync,
    Rotate,
    CreateToken,
    Drift,
    Undeclared,
    NewUser,
}

fn mix(i: usize) -> Mix {
    match i % 100 {
        0..=79 => Mix::InSync,
        80..=84 => Mix::Rotate,
        85..=89 => Mix::CreateToken,
        90..=94 => Mix::Drift,
        95..=97 => Mix::Undeclared,
        _ => Mix::NewUser,
    }
}

fn inputs() -> (Config, LiveState) {
    let rule = obj("PLATFORM.NETWORK.SERVICE_EGRESS");
    let policies = [id("SERVICES_EU"), id("SERVICES_US")];
    let auth = obj("PLATFORM.SECURITY.SERVICE_PATS");
    let role = |i: usize| id(&format!("SVC_ROLE_{:03}", i % 200));

    let mut desired = Config {
        version: Version,
        defaults: Defaults {
            token: TokenDefaults {
                days_to_expiry: Some(90),
                rotate_before_expiry_days: Some(14),
                expire_rotated_token_after_hours: Some(24),
            },
        },
        ..Config::default()
    };
    desired.network_rules.insert(
        rule.clone(),
        NetworkRuleSpec {
            rule_type: Some(NetworkRuleType::Ipv4),
            mode: Some(NetworkRuleMode::Ingress),
            value_list: vec!["10.20.0.0/16".into(), "203.0.113.0/24".into()],
            comment: Some("egress of the service clusters".into()),
            absent: false,
        },
    );
    for p in &policies {
        desired.network_policies.insert(
            p.clone(),
            NetworkPolicySpec {
                allowed_network_rule_list: vec![rule.clone()],
                ..NetworkPolicySpec::default()
            },
        );
    }
    desired.authentication_policies.insert(
        auth.clone(),
        AuthenticationPolicySpec {
            authentication_methods: Some(vec![
                AuthenticationMethod::ProgrammaticAccessToken,
                AuthenticationMethod::Keypair,
            ]),
            pat_policy: Some(PatPolicy {
                max_expiry_in_days: Some(90),
                ..PatPolicy::default()
            }),
            ..AuthenticationPolicySpec::default()
        },
    );

    let mut live = LiveState::empty();
    live.roles = Some((0..200).map(role).collect());
    live.network_rules.insert(
        rule.clone(),
        LiveNetworkRule {
            rule_type: "IPV4".into(),
            mode: "INGRESS".into(),
            value_list: vec!["203.0.113.0/24".into(), "10.20.0.0/16".into()],
            comment: Some("egress of the service clusters".into()),
        },
    );
    for p in &policies {
        live.network_policies.insert(
            p.clone(),
            LiveNetworkPolicy {
                allowed_network_rule_list: vec![rule.clone()],
                attachments: Some(Vec::new()),
                ..LiveNetworkPolicy::default()
            },
        );
    }
    live.authentication_policies.insert(
        auth.clone(),
        LiveAuthenticationPolicy {
            authentication_methods: vec!["PROGRAMMATIC_ACCESS_TOKEN".into(), "KEYPAIR".into()],
            pat_policy: LivePatPolicy {
                max_expiry_in_days: 90,
                ..LivePatPolicy::default()
            },
            attachments: Some(Vec::new()),
            ..LiveAuthenticationPolicy::default()
        },
    );

    let now = now();
    for i in 0..USERS {
        let name = id(&format!("SVC_{i:05}"));
        let policy = policies[i % 2].clone();
        let m = mix(i);
        let mut user = UserSpec {
            user_type: Some(UserType::Service),
            default_role: Some(role(i)),
            roles: vec![role(i)],
            comment: Some(format!("service {i}")),
            network_policy: Some(policy.clone()),
            authentication_policy: Some(auth.clone()),
            ..UserSpec::default()
        };
        let mut rows = Vec::new();
        for t in 0..TOKENS_PER_USER {
            let token = id(&format!("PAT_{t}"));
            user.tokens.insert(
                token.clone(),
                TokenSpec {
                    role_restriction: Some(role(i)),
                    comment: Some(format!("consumer {t}")),
                    deliver: vec![Sink::File(FileSink {
                        path: format!("secrets/{i}/{t}"),
                        format: None,
                    })],
                    ..TokenSpec::default()
                },
            );
            if m == Mix::CreateToken && t == 4 {
                continue;
            }
            // Issued some days ago, staggered; 90-day lifetime.
            let age = if m == Mix::Rotate && t == 0 {
                Duration::days(80)
            } else {
                Duration::days(((i + t * 7) % 60) as i64) + Duration::hours((t * 3) as i64)
            };
            let issued = now - age;
            rows.push(LiveToken {
                name: token,
                user_name: name.as_str().to_owned(),
                role_restriction: Some(role(i)),
                expires_at: issued + Duration::days(90),
                status: TokenStatus::Active,
                comment: Some(if m == Mix::Drift && t == 1 {
                    "edited by hand".to_owned()
                } else {
                    format!("consumer {t}")
                }),
                created_on: issued,
                created_by: Some("PLATFORM_ADMIN".into()),
                mins_to_bypass_network_policy_requirement: None,
                rotated_to: None,
            });
        }
        if m == Mix::Undeclared {
            rows.push(LiveToken {
                name: id("FORGOTTEN"),
                user_name: name.as_str().to_owned(),
                role_restriction: None,
                expires_at: now + Duration::days(200),
                status: TokenStatus::Active,
                comment: None,
                created_on: now - Duration::days(165),
                created_by: Some("SOMEONE".into()),
                mins_to_bypass_network_policy_requirement: None,
                rotated_to: None,
            });
            rows.push(LiveToken {
                name: id("PAT_2_ROTATED_1790000000000"),
                rotated_to: Some(id("PAT_2")),
                created_on: now - Duration::days(200),
                expires_at: now - Duration::days(199),
                status: TokenStatus::Expired,
                ..rows[2].clone()
            });
        }
        if m != Mix::NewUser {
            live.users.insert(
                name.clone(),
                LiveUser {
                    user_type: Some("SERVICE".into()),
                    default_role: Some(role(i)),
                    disabled: false,
                    comment: Some(if m == Mix::Drift {
                        "old".to_owned()
                    } else {
                        format!("service {i}")
                    }),
                    roles: [role(i)].into(),
                    network_policy: Some(policy.clone()),
                    authentication_policy: Some(auth.clone()),
                    tokens: rows,
                },
            );
            let attach = |list: &mut Option<Vec<Attachment>>| {
                if let Some(l) = list {
                    l.push(Attachment {
                        domain: "USER".into(),
                        name: name.as_str().to_owned(),
                    });
                }
            };
            if let Some(p) = live.network_policies.get_mut(&policy) {
                attach(&mut p.attachments);
            }
            if let Some(p) = live.authentication_policies.get_mut(&auth) {
                attach(&mut p.attachments);
            }
        }
        desired.users.insert(name, user);
    }
    (desired, live)
}

fn bench_diff(c: &mut Criterion) {
    let (desired, live) = inputs();
    let mut group = c.benchmark_group("diff");
    group.sample_size(20);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(std::time::Duration::from_secs(10));
    group.bench_function("10k users x 5 tokens", |b| {
        b.iter(|| {
            diff(
                black_box(&desired),
                black_box(&live),
                now(),
                &pat_reconcile::plan::DiffInputs::default(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_diff);

/// Resident memory (`VmRSS`) and its peak (`VmHWM`) in KiB, where `/proc` has them.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn once() {
    let (desired, live) = inputs();
    let (rss_inputs, _) = memory();
    let start = Instant::now();
    let plan = diff(
        &desired,
        &live,
        now(),
        &pat_reconcile::plan::DiffInputs::default(),
    );
    let elapsed = start.elapsed();
    let (rss_plan, peak) = memory();
    let counts: Vec<String> = plan
        .counts()
        .into_iter()
        .map(|(a, n)| format!("{n} {a}"))
        .collect();
    println!(
        "{USERS} users x {TOKENS_PER_USER} tokens: diff in {:.1} ms; {} changes ({}), {} diagnostics",
        elapsed.as_secs_f64() * 1000.0,
        plan.changes.len(),
        counts.join(", "),
        plan.diagnostics.len()
    );
    println!(
        "resident memory: {} MiB with the inputs, {} MiB with the plan; peak {} MiB",
        rss_inputs / 1024,
        rss_plan / 1024,
        peak / 1024
    );
}

fn main() {
    if std::env::args().any(|a| a == "--once") {
        once();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

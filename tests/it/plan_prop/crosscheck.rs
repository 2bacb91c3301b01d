//! The effects model checked against the sandbox, on a sample of generated desired states.
//!
//! The property test trusts `effects.rs` to know what each statement does. Here the same plans
//! also run through the sandbox (a second, independent reading of Snowflake's reference), and
//! the two results must agree.
//!
//! Seeding the sandbox to an arbitrary generated *live* state is not feasible: SQL cannot set a
//! token's `created_on`, `expires_at` or status, nor a rotation leftover, and the sandbox's state
//! file is its own private format. So the cross-check is narrower and says so: each case starts
//! from an account holding only the prerequisites (database, schema, roles, a warehouse so that
//! policy attachments are read too), read by the real
//! binary (`snapshot`); the plan for a generated desired state runs statement by statement both
//! through the effects model and through the sandbox (`execute_as_admin`); the sandbox's account
//! is read back by `snapshot` and must equal the model's, timestamps aside (token lifetimes are
//! compared instead); and planning again against the sandbox's account gives no changes. Then a
//! second generated desired state is planned the same way against what the first left, so the
//! model also meets live states the sandbox reached by itself (ALTER, DROP, REMOVE, detach).
//! Last, the sandbox clock moves on some days and the second state is planned once more, so the
//! rotations and replacements that time alone causes are cross-checked too.
//!
//! Cases that manage account-level attachments are skipped: an account network or
//! authentication policy may shut out the test's own connection, so the read back would fail
//! for reasons that are not about statements.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use pat_reconcile::model::Identifier;
use pat_reconcile::model::desired::Config;
use pat_reconcile::model::live::LiveState;
use pat_reconcile::plan::{Action, diff};
use pat_reconcile::sandbox::{SandboxConfig, SandboxThread};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;

use super::effects::World;
use super::{describe, generate, load};
use crate::support::Cli;

/// What the generated states assume exists and never manage.
const PREREQUISITES: &[&str] = &[
    "CREATE DATABASE D",
    "CREATE SCHEMA D.S",
    "CREATE ROLE R1",
    "CREATE ROLE R2",
    "CREATE ROLE \"Role Three\"",
    // With a warehouse the reader also sees who holds each policy (`attachments`).
    "CREATE WAREHOUSE WH",
];

/// How many plans from an empty account must be cross-checked, and half as many from a populated
/// one (seeds are tried in order until that many qualify).
const CASES: usize = 12;

/// A sandbox with the prerequisites and a directory holding the desired state.
struct Account {
    sandbox: SandboxThread,
    dir: tempfile::TempDir,
}

impl Account {
    fn new() -> Self {
        let account = Self {
            sandbox: SandboxThread::spawn(SandboxConfig::default()).unwrap(),
            dir: tempfile::tempdir().unwrap(),
        };
        for sql in PREREQUISITES {
            account.sandbox.execute_as_admin(sql).unwrap();
        }
        account
    }

    /// Writes `pats.yaml`; `snapshot` reads its scope.
    fn write_desired(&self, desired: &Config) {
        let yaml = serde_yaml::to_string(&serde_json::to_value(desired).unwrap()).unwrap();
        std::fs::write(self.dir.path().join("pats.yaml"), yaml).unwrap();
    }

    /// The account as the real binary reads it for the desired state's scope.
    fn snapshot(&self) -> LiveState {
        let url = self.sandbox.url();
        let port = url.rsplit(':').next().unwrap().to_owned();
        Cli::in_dir(self.dir.path())
            .args(["snapshot", "--out", "live.json"])
            .env("SNOWFLAKE_ACCOUNT", self.sandbox.account())
            .env("SNOWFLAKE_HOST", "127.0.0.1")
            .env("SNOWFLAKE_PORT", port)
            .env("SNOWFLAKE_PROTOCOL", "http")
            .env("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN")
            .env("SNOWFLAKE_USER", "ADMIN")
            .env("SNOWFLAKE_TOKEN", self.sandbox.admin_token())
            .env("SNOWFLAKE_WAREHOUSE", "WH")
            .run()
            .success();
        let text = std::fs::read_to_string(self.dir.path().join("live.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

/// The parts of an account both sides must agree on: everything the plan manages, with each
/// token's timestamps replaced by the lifetime they imply (the two sides mint at different
/// instants), and without what describes the reading session rather than the account.
fn comparable(live: &LiveState) -> Value {
    let mut live = live.clone();
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    for user in live.users.values_mut() {
        for token in &mut user.tokens {
            let hours = (token.expires_at - token.created_on)
                .num_minutes()
                .div_euclid(60)
                + i64::from((token.expires_at - token.created_on).num_minutes() % 60 >= 30);
            token.created_on = epoch;
            token.expires_at = epoch + Duration::hours(hours);
            token.created_by = None;
        }
    }
    let mut value = serde_json::to_value(&live).unwrap();
    if let Value::Object(map) = &mut value {
        for key in ["format_version", "account", "read_at", "session"] {
            map.remove(key);
        }
    }
    without_rotation_instants(&mut value);
    value
}

/// `T_ROTATED_1764590000123` → `T_ROTATED_*`: the suffix is the millisecond each side rotated at.
fn without_rotation_instants(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Some(at) = text.find("_ROTATED_") {
                let digits = &text[at + "_ROTATED_".len()..];
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    text.truncate(at + "_ROTATED_".len());
                    text.push('*');
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_rotation_instants),
        Value::Object(map) => map.values_mut().for_each(without_rotation_instants),
        _ => {}
    }
}

/// The JSON paths at which two values differ, with both sides. A policy's `attachments` that a
/// read did not include (`null`: the reader reads them only where a decision needs them, and the
/// model keeps what it was given) are not compared;
/// the users' own `network_policy` and `authentication_policy` still are.
fn differences(path: &str, model: &Value, sandbox: &Value, out: &mut Vec<String>) {
    match (model, sandbox) {
        (Value::Null, _) | (_, Value::Null) if path.ends_with("/attachments") => {}
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                differences(
                    &format!("{path}/{k}"),
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}/{i}"), x, y, out);
            }
        }
        _ if model != sandbox => out.push(format!("{path}: model {model}, sandbox {sandbox}")),
        _ => {}
    }
}

/// A difference between the model and the sandbox that the reference leaves open, with why.
///
/// - A token added to a user that is already disabled: the model lists it `DISABLED`, the sandbox
///   `ACTIVE`. The reference only says that disabling a user disables its tokens (and that
///   enabling it again leaves them disabled); what ADD does on a disabled user is not written
///   down. Either way the user cannot sign in, and the next plan is empty (checked below). Only
///   tokens this plan created qualify: disabling a user with tokens must disable them on both.
fn known_divergence(
    difference: &str,
    model: &LiveState,
    sandbox: &LiveState,
    since: DateTime<Utc>,
) -> Option<&'static str> {
    let rest = difference.strip_prefix("/users/")?;
    let (user, rest) = rest.split_once("/tokens/")?;
    let (index, rest) = rest.split_once('/')?;
    let index: usize = index.parse().ok()?;
    let named = |name: &Identifier| serde_json::to_value(name).is_ok_and(|v| v == user);
    let disabled = model.users.iter().any(|(n, u)| named(n) && u.disabled);
    let created_now = sandbox
        .users
        .iter()
        .find(|(n, _)| named(n))
        .and_then(|(_, u)| u.tokens.get(index))
        .is_some_and(|t| t.created_on >= since);
    (disabled && created_now && rest == "status: model \"DISABLED\", sandbox \"ACTIVE\"")
        .then_some("a token added to a disabled user")
}

/// One plan for `desired` against the account as it is, through the model (which starts from
/// the account as read) and through the sandbox. `Ok(None)` when the plan does not qualify
/// (preflight errors or nothing to do).
fn step(
    account: &Account,
    desired: &Config,
    lifetimes: BTreeMap<(Identifier, Identifier), Duration>,
    label: &str,
    rotations: &mut usize,
) -> Result<Option<World>, String> {
    account.write_desired(desired);
    let before = account.snapshot();
    let now = account.sandbox.now();
    let plan = diff(
        desired,
        &before,
        now,
        &pat_reconcile::plan::DiffInputs::default(),
    );
    if plan.has_errors() || plan.is_empty() {
        return Ok(None);
    }
    *rotations += plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Rotate)
        .count();
    let context = || {
        format!(
            "{label}\nplan:\n{}\ndesired:\n{}\naccount before:\n{}",
            describe(&plan),
            serde_yaml::to_string(&serde_json::to_value(desired).unwrap()).unwrap(),
            serde_json::to_string_pretty(&before).unwrap()
        )
    };

    let mut world = World::new(before.clone(), lifetimes);
    let mut refused = Vec::new();
    for change in &plan.changes {
        for statement in &change.statements {
            world.exec(&statement.sql, now);
            if let Err(e) = account.sandbox.execute_as_admin(&statement.sql) {
                refused.push(format!("{} {e}: {}", e.code(), statement.sql));
            }
        }
    }
    if !world.violations.is_empty() || !refused.is_empty() {
        return Err(format!(
            "the model refused:\n  {}\nthe sandbox refused:\n  {}\n{}",
            world.violations.join("\n  "),
            refused.join("\n  "),
            context()
        ));
    }

    let after = account.snapshot();
    let mut diffs = Vec::new();
    differences(
        "",
        &comparable(&world.live),
        &comparable(&after),
        &mut diffs,
    );
    diffs.retain(|d| match known_divergence(d, &world.live, &after, now) {
        Some(why) => {
            eprintln!("{label}: known divergence ({why}): {d}");
            false
        }
        None => true,
    });
    if !diffs.is_empty() {
        return Err(format!(
            "the model and the sandbox disagree after the plan:\n  {}\n{}",
            diffs.join("\n  "),
            context()
        ));
    }

    let again = diff(
        desired,
        &after,
        account.sandbox.now(),
        &pat_reconcile::plan::DiffInputs::default(),
    );
    if !again.is_empty() {
        return Err(format!(
            "planning again against the sandbox is not empty:\n{}\n{}",
            describe(&again),
            context()
        ));
    }
    Ok(Some(world))
}

/// Keeps every object of `first` in the scope of `second` (as `first` declared it, unless
/// `second` declares it too). Without this, an object the second file no longer names would be
/// invisible to the plan (it reads only what the file names) yet still act in the account: a
/// network policy left over from `first` holding a rule the second plan replaces makes the
/// sandbox refuse the DROP, rightly, while neither the plan nor the model could see the policy.
fn keep_in_scope(second: &mut Config, first: &Config) {
    for (k, v) in &first.network_rules {
        second
            .network_rules
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    for (k, v) in &first.network_policies {
        second
            .network_policies
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    for (k, v) in &first.authentication_policies {
        second
            .authentication_policies
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    for (k, v) in &first.users {
        second.users.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// How far one seed got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reached {
    /// The first desired state does not qualify.
    Nothing,
    /// A plan from the (prerequisites-only) empty account was cross-checked.
    FromEmpty,
    /// Then a plan for a second desired state, against what the first one left.
    FromPopulated,
    /// Then, days later, the plan time alone makes (rotations, replacements of expired tokens).
    Later,
}

/// How far the sandbox clock moves before the last plan: into the rotation window of most
/// generated tokens, past the expiry of some.
const LATER: i64 = 12;

/// Two generated desired states in a row on one sandbox: the first from an empty account, the
/// second (keeping the first's objects in scope) from what the first left, so that ALTER, DROP,
/// REMOVE and detach statements run too.
/// Desired states that manage account-level attachments are not used.
fn cross_check(seed: u64, rotations: &mut usize) -> Result<Reached, String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let first = load(&generate::desired(&mut rng))?;
    if first.account.is_some() {
        return Ok(Reached::Nothing);
    }
    let account = Account::new();
    let Some(world) = step(
        &account,
        &first,
        BTreeMap::new(),
        &format!("seed {seed}, first"),
        rotations,
    )?
    else {
        return Ok(Reached::Nothing);
    };
    let mut second = generate::desired(&mut rng);
    keep_in_scope(&mut second, &first);
    // The merge may contradict itself (a kept user naming a policy the second state drops).
    let Ok(second) = load(&second) else {
        return Ok(Reached::FromEmpty);
    };
    if second.account.is_some() {
        return Ok(Reached::FromEmpty);
    }
    let Some(world) = step(
        &account,
        &second,
        world.lifetimes,
        &format!("seed {seed}, second"),
        rotations,
    )?
    else {
        return Ok(Reached::FromEmpty);
    };
    account.sandbox.advance_clock(Duration::days(LATER));
    Ok(
        match step(
            &account,
            &second,
            world.lifetimes,
            &format!("seed {seed}, {LATER} days later"),
            rotations,
        )? {
            Some(_) => Reached::Later,
            None => Reached::FromPopulated,
        },
    )
}

#[test]
fn the_effects_model_agrees_with_the_sandbox_on_generated_plans() {
    let mut reached: BTreeMap<Reached, Vec<u64>> = BTreeMap::new();
    let mut rotations = 0;
    let enough = |reached: &BTreeMap<Reached, Vec<u64>>| {
        let count = |r| {
            reached
                .range(r..)
                .map(|(_, seeds)| seeds.len())
                .sum::<usize>()
        };
        count(Reached::FromEmpty) >= CASES
            && count(Reached::FromPopulated) >= CASES / 2
            && count(Reached::Later) >= CASES / 4
    };
    for seed in 0..300u64 {
        if enough(&reached) {
            break;
        }
        match cross_check(seed, &mut rotations) {
            Ok(r) => reached.entry(r).or_default().push(seed),
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        enough(&reached),
        "too few qualifying seeds in 0..300: {reached:?}"
    );
    assert!(rotations > 0, "no plan rotated a token: {reached:?}");
}

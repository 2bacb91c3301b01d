//! Assembling the plan: each object family's diff pushes its changes, then preflight checks
//! run over desired + live + changes, the changes are put in dependency order, and the plan
//! records the instant, the config digest and the live fingerprints it was computed from.

use chrono::{DateTime, Utc};

use super::context::Cx;
use super::{objects, tokens, users};
use crate::model::desired::Config;
use crate::model::live::LiveState;
use crate::plan::change::{Plan, PlanDiagnostic};
use crate::plan::{fingerprint, order, preflight};

/// Computes the plan that takes `live` to `desired` as of `now`.
pub fn diff(desired: &Config, live: &LiveState, now: DateTime<Utc>) -> Plan {
    let mut cx = Cx {
        desired,
        live,
        now,
        changes: Vec::new(),
    };
    objects::network_rules(&mut cx);
    objects::network_policies(&mut cx);
    objects::authentication_policies(&mut cx);
    objects::account(&mut cx);
    users::users(&mut cx);
    tokens::tokens(&mut cx);
    let diagnostics: Vec<PlanDiagnostic> = preflight::check(desired, live, now, &cx.changes);
    let changes = order::order(cx.changes, desired, live);
    Plan {
        generated_at: now,
        config_digest: fingerprint::config_digest(desired),
        fingerprints: fingerprint::live_fingerprints(desired, live),
        changes,
        diagnostics,
    }
}

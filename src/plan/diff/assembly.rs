//! Assembling the plan: each object family's diff pushes its changes, then preflight checks
//! run over desired + live + changes, the changes are put in dependency order, and the plan
//! records the instant, the config digest and the live fingerprints it was computed from.

use chrono::{DateTime, Utc};

use super::context::Cx;
use super::inputs::DiffInputs;
use super::{objects, tokens, users};
use crate::model::desired::Config;
use crate::model::live::LiveState;
use crate::plan::change::{Plan, PlanDiagnostic};
use crate::plan::{fingerprint, order, preflight};

/// Computes the plan that takes `live` to `desired` as of `now`, rotating the tokens
/// `inputs.replace` names and reporting each of `inputs.pending` as an error.
pub fn diff(desired: &Config, live: &LiveState, now: DateTime<Utc>, inputs: &DiffInputs) -> Plan {
    let mut cx = Cx {
        desired,
        live,
        now,
        inputs,
        changes: Vec::new(),
    };
    objects::network_rules(&mut cx);
    objects::network_policies(&mut cx);
    objects::authentication_policies(&mut cx);
    objects::account(&mut cx);
    users::users(&mut cx);
    tokens::tokens(&mut cx);
    let mut diagnostics: Vec<PlanDiagnostic> = preflight::check(desired, live, now, &cx.changes);
    diagnostics.extend(preflight::pending_deliveries(
        &inputs.pending,
        &inputs.replace,
    ));
    diagnostics
        .sort_by(|a, b| (a.severity, &a.address, a.check).cmp(&(b.severity, &b.address, b.check)));
    let changes = order::order(cx.changes, desired, live);
    Plan {
        generated_at: now,
        config_digest: fingerprint::config_digest(desired),
        fingerprints: fingerprint::live_fingerprints(desired, live),
        changes,
        diagnostics,
    }
}

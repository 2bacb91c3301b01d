//! Assembling the plan: each object family's diff pushes its changes, then preflight checks
//! run over desired + live + changes, the changes are put in dependency order, and the plan
//! records the instant, the config digest and the live fingerprints it was computed from.

use chrono::{DateTime, Utc};

use super::context::Cx;
use super::inputs::DiffInputs;
use super::{objects, tokens, users};
use crate::model::desired::Config;
use crate::model::live::LiveState;
use crate::plan::change::{Plan, PlanDiagnostic, PlanOrigin};
use crate::plan::{fingerprint, order, preflight};

/// Computes the plan that takes `live` to `file` as of `now`, rotating the tokens
/// `inputs.replace` names and reporting each of `inputs.pending` as an error.
pub fn diff(file: &Config, live: &LiveState, now: DateTime<Utc>, inputs: &DiffInputs) -> Plan {
    // The checks and the order see the account as it will be: keys the file leaves out keep
    // their live attachment. The digest and fingerprints are of the file as written.
    let resolved = objects::resolve_account(file, live);
    let desired: &Config = &resolved;
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
        origin: PlanOrigin {
            account: live.account.clone(),
            user: live.session.as_ref().map(|s| s.user.clone()),
            role: live.session.as_ref().and_then(|s| s.role.clone()),
        },
        config_digest: fingerprint::config_digest(file),
        fingerprints: fingerprint::live_fingerprints(file, live),
        changes,
        diagnostics,
    }
}

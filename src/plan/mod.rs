//! The plan: `diff(desired, live, now, inputs) -> Plan`, its ordering and preflight checks, and the
//! renderers. Pure: no I/O, no clock (the caller passes `now`), no environment.

pub mod address;
pub mod change;
pub mod check;
pub mod diff;
pub mod effective;
pub mod fingerprint;
pub mod order;
pub mod preflight;
pub mod render;
pub mod status;
#[cfg(test)]
pub(crate) mod testkit;
pub mod wire;

pub use address::Address;
pub use change::{
    Action, AttrValue, AttributeChange, Change, Plan, PlanDiagnostic, PlanOrigin, Reason, Recovery,
    Severity, Statement,
};
pub use check::Check;
pub use diff::{DiffInputs, IntentKind, MintIntent, OldSecret, PendingDelivery, diff};

//! Test fixtures for the plan's unit tests: desired and live states written as JSON values,
//! a fixed instant, and a compact view of a plan (action, address, SQL) to compare against.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::change::{Action, Plan};
use crate::model::desired::Config;
use crate::model::live::{LIVE_FORMAT_VERSION, LiveState};

/// The instant every unit test plans at.
pub const NOW: &str = "2026-11-27T12:00:00Z";

pub fn now() -> DateTime<Utc> {
    at(NOW)
}

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("test timestamps are RFC 3339")
}

/// A desired state from its JSON form (the same shape as `pats.yaml`); `version` is added.
pub fn config(mut value: Value) -> Config {
    value["version"] = json!(1);
    serde_json::from_value(value).expect("test config deserializes")
}

/// A live state from its JSON form; `format_version` is added.
pub fn live(mut value: Value) -> LiveState {
    value["format_version"] = json!(LIVE_FORMAT_VERSION);
    serde_json::from_value(value).expect("test live state deserializes")
}

/// Merges `patch` into `base` (objects recursively; `null` removes a key).
pub fn merge(mut base: Value, patch: Value) -> Value {
    merge_into(&mut base, patch);
    base
}

fn merge_into(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    merge_into(b.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (b, p) => *b = p,
    }
}

/// One change as the tests compare it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub action: Action,
    pub address: String,
    pub sql: Vec<String>,
}

/// `(action, address, [sql])` tuples in plan order.
pub fn seen(plan: &Plan) -> Vec<Seen> {
    plan.changes
        .iter()
        .map(|c| Seen {
            action: c.action,
            address: c.address.to_string(),
            sql: c.statements.iter().map(|s| s.sql.clone()).collect(),
        })
        .collect()
}

/// Builds an expected change.
pub fn change(action: Action, address: &str, sql: &[&str]) -> Seen {
    Seen {
        action,
        address: address.to_owned(),
        sql: sql.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Diagnostics as `(check, address)` pairs.
pub fn findings(plan: &Plan) -> Vec<(String, String)> {
    plan.diagnostics
        .iter()
        .map(|d| (d.check.to_owned(), d.address.to_string()))
        .collect()
}

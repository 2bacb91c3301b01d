//! Digests that let `apply` refuse a stale saved plan: one of the desired state, and one per
//! live object the plan read.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::desired::Config;
use crate::model::live::LiveState;

/// Fingerprint recorded for a declared object the account does not have.
pub const ABSENT: &str = "absent";

fn digest<T: Serialize>(value: &T) -> String {
    // Serializing our own model types to JSON cannot fail (string keys, no non-finite floats).
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// SHA-256 of the desired state's canonical JSON (maps are ordered, so equal configs agree).
pub fn config_digest(desired: &Config) -> String {
    digest(desired)
}

/// One fingerprint per object the plan depends on, keyed by address: declared users (with
/// their grants, attachments and tokens), rules, policies, and the account's attachments.
pub fn live_fingerprints(desired: &Config, live: &LiveState) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in desired.users.keys() {
        let fp = live.users.get(name).map_or(ABSENT.to_owned(), |u| {
            let mut u = u.clone();
            // SHOW counts bypass minutes down; only whether one is set matters to the plan.
            for t in &mut u.tokens {
                t.mins_to_bypass_network_policy_requirement = t
                    .mins_to_bypass_network_policy_requirement
                    .map(|m| u32::from(m > 0));
            }
            digest(&u)
        });
        out.insert(format!("user.{name}"), fp);
    }
    for name in desired.network_rules.keys() {
        let fp = live
            .network_rules
            .get(name)
            .map_or(ABSENT.to_owned(), digest);
        out.insert(format!("network_rule.{name}"), fp);
    }
    for name in desired.network_policies.keys() {
        let fp = live
            .network_policies
            .get(name)
            .map_or(ABSENT.to_owned(), digest);
        out.insert(format!("network_policy.{name}"), fp);
    }
    for name in desired.authentication_policies.keys() {
        let fp = live
            .authentication_policies
            .get(name)
            .map_or(ABSENT.to_owned(), digest);
        out.insert(format!("authentication_policy.{name}"), fp);
    }
    out.insert("account".to_owned(), digest(&live.account_policies));
    out
}

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
///
/// A fingerprint covers what the plan compares, in a canonical form: SHOW rows and list items
/// are sorted (the account may return them in any order, and the diff does not care), and bypass
/// minutes, which SHOW counts down, only count as set or not.
pub fn live_fingerprints(desired: &Config, live: &LiveState) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in desired.users.keys() {
        let fp = live.users.get(name).map_or(ABSENT.to_owned(), |u| {
            let mut u = u.clone();
            for t in &mut u.tokens {
                t.mins_to_bypass_network_policy_requirement = t
                    .mins_to_bypass_network_policy_requirement
                    .map(|m| u32::from(m > 0));
            }
            u.tokens.sort_by(|a, b| a.name.cmp(&b.name));
            digest(&u)
        });
        out.insert(format!("user.{name}"), fp);
    }
    for name in desired.network_rules.keys() {
        let fp = live.network_rules.get(name).map_or(ABSENT.to_owned(), |r| {
            let mut r = r.clone();
            r.value_list.sort();
            digest(&r)
        });
        out.insert(format!("network_rule.{name}"), fp);
    }
    for name in desired.network_policies.keys() {
        let fp = live
            .network_policies
            .get(name)
            .map_or(ABSENT.to_owned(), |p| {
                let mut p = p.clone();
                p.allowed_network_rule_list.sort();
                p.blocked_network_rule_list.sort();
                p.allowed_ip_list.sort();
                p.blocked_ip_list.sort();
                if let Some(a) = &mut p.attachments {
                    a.sort();
                }
                digest(&p)
            });
        out.insert(format!("network_policy.{name}"), fp);
    }
    for name in desired.authentication_policies.keys() {
        let fp = live
            .authentication_policies
            .get(name)
            .map_or(ABSENT.to_owned(), |p| {
                let mut p = p.clone();
                for list in [
                    &mut p.authentication_methods,
                    &mut p.client_types,
                    &mut p.security_integrations,
                    &mut p.mfa_policy.allowed_methods,
                    &mut p.workload_identity_policy.allowed_providers,
                    &mut p.workload_identity_policy.allowed_aws_accounts,
                    &mut p.workload_identity_policy.allowed_azure_issuers,
                    &mut p.workload_identity_policy.allowed_oidc_issuers,
                ] {
                    list.sort();
                }
                p.pat_policy.blocked_roles_list.sort();
                if let Some(a) = &mut p.attachments {
                    a.sort();
                }
                digest(&p)
            });
        out.insert(format!("authentication_policy.{name}"), fp);
    }
    out.insert("account".to_owned(), digest(&live.account_policies));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::plan::testkit::{config, live};

    fn fingerprints(tokens: Value, allowed: Value) -> BTreeMap<String, String> {
        let desired = config(
            json!({ "users": { "U": {} }, "network_policies": { "NP": {} }, "network_rules": { "D.S.R": { "absent": true } } }),
        );
        let state = live(json!({
            "users": { "U": { "tokens": tokens } },
            "network_policies": { "NP": { "allowed_ip_list": allowed } }
        }));
        live_fingerprints(&desired, &state)
    }

    fn row(name: &str, bypass: Option<u32>) -> Value {
        json!({
            "name": name, "user_name": "U", "expires_at": "2026-12-17T12:00:00Z",
            "status": "ACTIVE", "created_on": "2026-11-17T12:00:00Z",
            "mins_to_bypass_network_policy_requirement": bypass
        })
    }

    #[test]
    fn fingerprints_move_with_what_the_plan_compares_and_nothing_else() {
        let base = fingerprints(
            json!([row("A", Some(30)), row("B", None)]),
            json!(["192.0.2.1", "192.0.2.2"]),
        );
        assert_eq!(base["network_rule.D.S.R"], ABSENT);
        assert_eq!(base.len(), 4, "{base:?}");
        // Row and list order, and a bypass counting down, are not changes.
        assert_eq!(
            base,
            fingerprints(
                json!([row("B", None), row("A", Some(7))]),
                json!(["192.0.2.2", "192.0.2.1"])
            )
        );
        // A token more, a bypass set, a list item changed are.
        let moved = [
            fingerprints(
                json!([row("A", Some(30)), row("B", None), row("C", None)]),
                json!(["192.0.2.1", "192.0.2.2"]),
            ),
            fingerprints(
                json!([row("A", Some(30)), row("B", Some(5))]),
                json!(["192.0.2.1", "192.0.2.2"]),
            ),
            fingerprints(
                json!([row("A", Some(30)), row("B", None)]),
                json!(["192.0.2.1", "192.0.2.3"]),
            ),
        ];
        assert_ne!(moved[0]["user.U"], base["user.U"]);
        assert_ne!(moved[1]["user.U"], base["user.U"]);
        assert_ne!(moved[2]["network_policy.NP"], base["network_policy.NP"]);
        assert_eq!(moved[2]["user.U"], base["user.U"]);
    }
}

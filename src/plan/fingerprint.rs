//! Digests that let `apply` refuse a stale saved plan: one of the desired state, and one per
//! live object the plan read.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use chrono::{DateTime, Utc};

use crate::model::desired::Config;
use crate::model::live::{LiveState, LiveToken, LiveUser};

/// Fingerprint recorded for a declared object the account does not have.
pub const ABSENT: &str = "absent";

/// Feeds what it is written into a SHA-256, so values are hashed as they serialize.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn digest<T: Serialize>(value: &T) -> String {
    let mut out = std::io::BufWriter::with_capacity(8192, HashWriter(Sha256::new()));
    // Serializing our own model types to JSON cannot fail (string keys, no non-finite floats),
    // and the writer never fails.
    let _ = serde_json::to_writer(&mut out, value);
    match out.into_inner() {
        Ok(h) => hex::encode(h.0.finalize()),
        Err(_) => String::new(),
    }
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
        let fp = live
            .users
            .get(name)
            .map_or(ABSENT.to_owned(), user_fingerprint);
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
                // By spelling, as when these lists were text: the digest does not change.
                p.authentication_methods
                    .sort_by(|a, b| a.as_str().cmp(b.as_str()));
                p.client_types.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                for list in [
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

/// A user's fingerprint, fed field by field (users are the bulk of an account: 10,000 users
/// hash in a few milliseconds this way, against tens through JSON). The destructuring names
/// every field, so a field added to the live model does not compile until it is fingerprinted.
fn user_fingerprint(user: &LiveUser) -> String {
    let LiveUser {
        user_type,
        default_role,
        disabled,
        comment,
        roles,
        network_policy,
        authentication_policy,
        tokens,
    } = user;
    let mut f = Feed(Vec::with_capacity(1024));
    f.opt(user_type.as_ref().map(|t| t.as_str()));
    f.opt(default_role.as_ref().map(|r| r.as_str()));
    f.flag(*disabled);
    f.opt(comment.as_deref());
    f.count(roles.len());
    for r in roles {
        f.text(r.as_str());
    }
    f.opt(network_policy.as_ref().map(|p| p.as_str()));
    f.opt(
        authentication_policy
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
    );
    let mut sorted: Vec<&LiveToken> = tokens.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    f.count(sorted.len());
    for t in sorted {
        let LiveToken {
            name,
            user_name,
            role_restriction,
            expires_at,
            status,
            comment,
            created_on,
            created_by,
            mins_to_bypass_network_policy_requirement,
            rotated_to,
        } = t;
        f.text(name.as_str());
        f.text(user_name);
        f.opt(role_restriction.as_ref().map(|r| r.as_str()));
        f.time(*expires_at);
        f.text(status.as_str());
        f.opt(comment.as_deref());
        f.time(*created_on);
        f.opt(created_by.as_deref());
        // SHOW counts bypass minutes down; only whether one is set matters to the plan.
        f.flag(mins_to_bypass_network_policy_requirement.is_some_and(|m| m > 0));
        f.opt(rotated_to.as_ref().map(|r| r.as_str()));
    }
    hex::encode(Sha256::digest(&f.0))
}

/// An unambiguous encoding, hashed whole: every text is length-prefixed, every option tagged.
struct Feed(Vec<u8>);

impl Feed {
    fn count(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
    }

    fn text(&mut self, s: &str) {
        self.count(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.push(1);
                self.text(s);
            }
            None => self.0.push(0),
        }
    }

    fn flag(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }

    fn time(&mut self, t: DateTime<Utc>) {
        self.0.extend_from_slice(&t.timestamp().to_le_bytes());
        self.0
            .extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
    }
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

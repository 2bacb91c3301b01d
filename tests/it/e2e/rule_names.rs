//! Network rules whose names need quotes (lower case, a space, a dot) used by a network policy:
//! after apply the policy must read back as using them, so the next plan is empty (issue 14).

use pat_reconcile::sandbox::SandboxConfig;

use super::support::{Account, plan_is_empty};

const PATS: &str = r#"version: 1
network_rules:
  DEMO.DEMO."lower_rule":
    type: IPV4
    mode: INGRESS
    value_list: [198.51.100.0/24]
  DEMO."Mixed Schema".RULE_B:
    type: IPV4
    mode: INGRESS
    value_list: [192.0.2.0/24]
  DEMO.DEMO."dot.rule":
    type: IPV4
    mode: INGRESS
    value_list: [203.0.113.0/24]
network_policies:
  QUOTED_RULES_POLICY:
    allowed_network_rule_list:
      - DEMO.DEMO."lower_rule"
      - DEMO."Mixed Schema".RULE_B
      - DEMO.DEMO."dot.rule"
"#;

#[test]
fn a_policy_using_quoted_rule_names_converges_after_apply() {
    let account = Account::empty_with(SandboxConfig::default());
    for sql in [
        "CREATE DATABASE DEMO",
        "CREATE SCHEMA DEMO.DEMO",
        "CREATE SCHEMA DEMO.\"Mixed Schema\"",
    ] {
        account.seed(sql);
    }
    account.write("pats.yaml", PATS);
    let run = account.cli(&["apply", "--auto-approve"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    // The account holds what the file says: the policy uses the three rules by their stored names.
    let desc = account
        .sandbox
        .execute_as_admin("DESC NETWORK POLICY QUOTED_RULES_POLICY")
        .unwrap();
    let rules = format!("{:?}", desc.rows());
    for stored in ["lower_rule", "Mixed Schema", "dot.rule"] {
        assert!(rules.contains(stored), "{stored} missing from {rules}");
    }
    plan_is_empty(&account);
}

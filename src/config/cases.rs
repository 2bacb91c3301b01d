//! Test tables for the rules: each row is a small file and exactly the findings it must give.
//!
//! The rows live beside the code they test (`load.rs` for what the loader finds, `rules.rs` for
//! the semantic rules); this module runs them and checks that every rule has a row that trips
//! it and a row that does not.

use super::diagnostic::{Diagnostic, Rule};
use super::load::load_str;

/// One row: `yaml` must give exactly `want`, as `(rule id, line, column)` in file order
/// (`(id, 0, 0)` for a finding about the whole file).
pub struct Case {
    pub name: &'static str,
    /// The rule the row is about: `want` holds it when the row trips it, and lacks it when the
    /// row shows a near miss that must not trip it.
    pub rule: Rule,
    pub yaml: &'static str,
    pub want: &'static [(&'static str, usize, usize)],
}

/// Every finding of `text` as `(rule id, line, column)`.
pub fn findings(text: &str) -> Vec<(&'static str, usize, usize)> {
    load_str("case.yaml", text)
        .diagnostics
        .iter()
        .map(|d| {
            let (line, column) = d.span.map_or((0, 0), |s| (s.line, s.column));
            (d.rule.id(), line, column)
        })
        .collect()
}

/// The one finding of `text`; fails when there is not exactly one.
pub fn only(text: &str) -> Diagnostic {
    let loaded = load_str("case.yaml", text);
    assert_eq!(loaded.diagnostics.len(), 1, "{:#?}", loaded.diagnostics);
    loaded.diagnostics.into_iter().next().unwrap()
}

/// Runs every row and reports all mismatches at once.
pub fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let text = case.yaml.strip_prefix('\n').unwrap_or(case.yaml);
        let got = findings(text);
        if got != case.want {
            failures.push(format!(
                "{}:\n  want {:?}\n  got  {:?}",
                case.name, case.want, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether the row trips its rule.
fn trips(case: &Case) -> bool {
    case.want.iter().any(|(id, _, _)| *id == case.rule.id())
}

#[test]
fn every_rule_has_a_row_that_trips_it_and_one_that_does_not() {
    let rows: Vec<&Case> = super::load::tests::CASES
        .iter()
        .chain(super::rules::tests::CASES)
        .collect();
    let mut missing = Vec::new();
    for rule in Rule::ALL {
        // A file over 32 MiB does not fit a table: `load::tests::files_over_32_mib_are_refused`.
        if *rule == Rule::FileTooLarge {
            continue;
        }
        let mine: Vec<_> = rows.iter().filter(|c| c.rule == *rule).collect();
        if !mine.iter().any(|c| trips(c)) {
            missing.push(format!("{}: no row trips it", rule.id()));
        }
        if !mine.iter().any(|c| !trips(c)) {
            missing.push(format!("{}: no row shows a near miss", rule.id()));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

//! `--format sql`: the statements alone, in order, runnable by hand, each after a `--` comment
//! that says why it is there.
//!
//! Comments escape control characters ([`one_line`]); the statements are written byte for byte,
//! because a quoted identifier holding a newline or an escape character must reach Snowflake
//! exactly as it is stored (Snowflake's quoted identifiers have no escape syntax for them). The
//! text and Markdown formats show the same statements escaped.

use std::io::Write;

use super::{count, one_line, origin_phrase, recovery_comment, terminal_code};
use crate::plan::{Plan, Severity};

/// Writes every statement of the plan, terminated by `;`.
pub fn render(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "-- pat-reconcile plan for {} ({}, {})",
        plan.generated_at.format("%Y-%m-%dT%H:%M:%SZ"),
        count(plan.changes.len(), "change"),
        count(plan.statement_count(), "statement")
    )?;
    writeln!(out, "-- on {}", origin_phrase(&plan.origin, terminal_code))?;
    // Preflight findings as comments: the file stays runnable, and whoever runs it sees them.
    for d in &plan.diagnostics {
        let label = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(
            out,
            "-- {label}[{}] at {}",
            d.check,
            one_line(&format!("{}: {}", d.address, d.summary))
        )?;
        writeln!(out, "--   hint: {}", one_line(&d.detail))?;
    }
    if plan.has_errors() {
        writeln!(
            out,
            "-- The plan has preflight errors: Snowflake would refuse some of these statements."
        )?;
    }
    if plan.secrets_minted() > 0 {
        writeln!(
            out,
            "-- Statements marked \"returns a new secret\" print it once: deliver it to its consumer."
        )?;
    }
    for change in &plan.changes {
        writeln!(out)?;
        writeln!(
            out,
            "-- {} {}",
            change.action,
            one_line(&format!("{}: {}", change.address, change.reason))
        )?;
        for s in &change.statements {
            if s.returns_secret {
                writeln!(out, "-- (returns a new secret)")?;
            }
            writeln!(out, "{};", s.sql)?;
            if let Some(r) = &s.recovery {
                writeln!(out, "-- {}", recovery_comment(r))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::plan::diff;
    use crate::plan::testkit::{config, live, now};

    #[test]
    fn a_name_with_a_newline_cannot_break_out_of_a_comment() {
        let desired = config(json!({ "users": { "U": {} } }));
        let state = live(json!({ "users": { "U": { "tokens": [{
            "name": "\"x\nDROP DATABASE PROD;\"", "user_name": "U",
            "expires_at": "2026-12-17T12:00:00Z", "status": "ACTIVE",
            "created_on": "2026-11-17T12:00:00Z"
        }] } } }));
        let plan = diff(&desired, &state, now(), &crate::plan::DiffInputs::default());
        let mut out = Vec::new();
        super::render(&plan, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let statement =
            "ALTER USER \"U\" REMOVE PROGRAMMATIC ACCESS TOKEN \"x\nDROP DATABASE PROD;\";";
        // The statement quotes the name, newline and all; the comment escapes it.
        assert!(text.contains(statement), "{text}");
        assert!(
            text.contains("-- delete user.U.token.\"x\\nDROP DATABASE PROD;\": not declared"),
            "{text}"
        );
        let rest = text.replace(statement, "");
        for line in rest.lines() {
            assert!(
                line.is_empty() || line.starts_with("--"),
                "{line:?} in\n{text}"
            );
        }
    }
}

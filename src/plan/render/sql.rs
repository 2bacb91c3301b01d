//! `--format sql`: the statements alone, in order, runnable by hand, each after a `--` comment
//! that says why it is there.

use std::io::Write;

use crate::plan::Plan;

/// Writes every statement of the plan, terminated by `;`.
pub fn render(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "-- pat-reconcile plan for {} ({} changes, {} statements)",
        plan.generated_at.format("%Y-%m-%dT%H:%M:%SZ"),
        plan.changes.len(),
        plan.statement_count()
    )?;
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
            "-- {} {}: {}",
            change.action, change.address, change.reason
        )?;
        for s in &change.statements {
            if s.returns_secret {
                writeln!(out, "-- (returns a new secret)")?;
            }
            writeln!(out, "{};", s.sql)?;
        }
    }
    Ok(())
}

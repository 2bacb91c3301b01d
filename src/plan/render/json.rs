//! `--format json` and `--out`: the [`PlanFile`](crate::plan::wire::PlanFile) wire format.

use std::io::Write;

use crate::plan::Plan;
use crate::plan::wire::PlanFile;

/// Writes the plan as pretty JSON and a final newline.
pub fn render(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &PlanFile::from_plan(plan))?;
    writeln!(out)
}

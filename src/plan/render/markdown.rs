//! `--format markdown`: a pull-request comment. A summary line and a table of counts, the
//! destructive changes called out first, then every change inside `<details>`.
//!
//! Every name, reason, value, finding and statement passes through [`super::escape::markdown`]:
//! a PAT name can neither forge a line (`**No changes.**`), nor open HTML, nor close a code
//! span or the SQL block. The SQL is shown with control characters escaped (a statement that
//! quotes a name with a line break shows `\n`); `--format sql` has it byte for byte.

use std::io::Write;

use super::escape::markdown::{cell_code, code, fence, text};
use super::{count, counts_phrase, one_line, origin_phrase, recovery_comment, symbol};
use crate::plan::Plan;
use crate::plan::change::{AttrValue, PlanDiagnostic, Severity};

/// Writes the comment.
pub fn render(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "### pat-reconcile plan")?;
    writeln!(out)?;
    writeln!(out, "Planned for {}.", origin_phrase(&plan.origin, code))?;
    writeln!(out)?;
    let errors: Vec<_> = plan
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        writeln!(out, "> [!CAUTION]")?;
        writeln!(
            out,
            "> **The plan cannot be applied: {} preflight error(s).**",
            errors.len()
        )?;
        findings(out, &errors)?;
    }
    let warnings: Vec<_> = plan
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    if !warnings.is_empty() {
        writeln!(out, "> [!WARNING]")?;
        writeln!(out, "> **{} preflight warning(s).**", warnings.len())?;
        findings(out, &warnings)?;
    }
    if plan.is_empty() {
        writeln!(out, "**No changes.** The account matches `pats.yaml`.")?;
        return Ok(());
    }
    let mut line = format!(
        "**{}**: {}",
        count(plan.changes.len(), "change"),
        counts_phrase(plan)
    );
    if plan.destructive_count() > 0 {
        line.push_str(&format!(" · **{} destructive**", plan.destructive_count()));
    }
    if plan.secrets_minted() > 0 {
        line.push_str(&format!(
            " · {}",
            count(plan.secrets_minted(), "new secret")
        ));
    }
    writeln!(out, "{line}")?;
    writeln!(out)?;
    writeln!(out, "| action | count |")?;
    writeln!(out, "|---|---:|")?;
    for (action, n) in plan.counts() {
        writeln!(out, "| {} `{}` | {n} |", action, symbol(action))?;
    }
    writeln!(out)?;
    let destructive: Vec<_> = plan.changes.iter().filter(|c| c.destructive).collect();
    if !destructive.is_empty() {
        writeln!(out, "> [!WARNING]")?;
        writeln!(
            out,
            "> **Destructive changes** (`apply --auto-approve` needs `--allow-destroy`):"
        )?;
        for c in destructive {
            writeln!(
                out,
                "> - {} {}: {}",
                c.action,
                code(&c.address.to_string()),
                text(&c.reason.to_string())
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "<details><summary>Details: {} in execution order</summary>",
        count(plan.changes.len(), "change")
    )?;
    writeln!(out)?;
    for c in &plan.changes {
        writeln!(
            out,
            "#### {} ({})",
            code(&format!("{} {}", symbol(c.action), c.address)),
            c.action
        )?;
        writeln!(out)?;
        writeln!(out, "_{}_", text(&c.reason.to_string()))?;
        writeln!(out)?;
        if !c.attributes.is_empty() {
            writeln!(out, "| attribute | before | after |")?;
            writeln!(out, "|---|---|---|")?;
            for a in &c.attributes {
                writeln!(
                    out,
                    "| {} | {} | {} |",
                    cell_code(&a.name),
                    cell(&a.before),
                    cell(&a.after)
                )?;
            }
            writeln!(out)?;
        }
        let mut block = Vec::new();
        for s in &c.statements {
            block.push(format!("{};", one_line(&s.sql)));
            if let Some(r) = &s.recovery {
                block.push(format!("-- {}", recovery_comment(r)));
            }
        }
        let ticks = fence(block.iter().map(String::as_str));
        writeln!(out, "{ticks}sql")?;
        for line in &block {
            writeln!(out, "{line}")?;
        }
        writeln!(out, "{ticks}")?;
        writeln!(out)?;
    }
    writeln!(out, "</details>")?;
    writeln!(out)?;
    writeln!(
        out,
        "<sub>Planned for {} · config digest `{}`</sub>",
        plan.generated_at.format("%Y-%m-%d %H:%M UTC"),
        &plan.config_digest[..plan.config_digest.len().min(12)]
    )
}

/// The lines of a callout that lists findings, and the blank line that closes it.
fn findings(out: &mut dyn Write, list: &[&PlanDiagnostic]) -> std::io::Result<()> {
    for d in list {
        writeln!(
            out,
            "> - {}: {} ({})<br>hint: {}",
            code(&d.address.to_string()),
            text(&d.summary),
            code(d.check),
            text(&d.detail)
        )?;
    }
    writeln!(out)
}

fn cell(v: &Option<AttrValue>) -> String {
    match v {
        None => "—".to_owned(),
        Some(AttrValue::List(items)) if items.is_empty() => "(empty)".to_owned(),
        Some(AttrValue::List(items)) => items
            .iter()
            .map(|i| cell_code(i))
            .collect::<Vec<_>>()
            .join("<br>"),
        Some(other) => text(&other.to_string()),
    }
}

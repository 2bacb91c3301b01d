//! `--format text`: a Terraform-like plan for people. Reads the same without colour.
//!
//! Everything that came from the account or the file (names, comments, values, findings, the
//! SQL that quotes them) is written through [`one_line`]: no control character reaches the
//! terminal raw.

use std::io::Write;

use super::{Styles, color, count, counts_phrase, one_line, origin_phrase, symbol, terminal_code};
use crate::plan::Plan;
use crate::plan::change::{AttrValue, AttributeChange, Severity};

/// Writes diagnostics, then each change with its reason, attribute diff and SQL, then a summary.
pub fn render(plan: &Plan, styles: Styles, out: &mut dyn Write) -> std::io::Result<()> {
    let bold = anstyle::Style::new().bold();
    let dim = anstyle::Style::new().dimmed();
    writeln!(
        out,
        "Plan for {}.",
        origin_phrase(&plan.origin, terminal_code)
    )?;
    writeln!(out)?;
    for d in &plan.diagnostics {
        let label = match d.severity {
            Severity::Error => styles.paint(
                anstyle::Style::new()
                    .bold()
                    .fg_color(Some(anstyle::AnsiColor::Red.into())),
                "error",
            ),
            Severity::Warning => styles.paint(
                anstyle::Style::new()
                    .bold()
                    .fg_color(Some(anstyle::AnsiColor::Yellow.into())),
                "warning",
            ),
        };
        writeln!(out, "{label}[{}]: {}", d.check, one_line(&d.summary))?;
        writeln!(out, "  at: {}", one_line(&d.address.to_string()))?;
        writeln!(out, "  hint: {}", one_line(&d.detail))?;
        writeln!(out)?;
    }
    if plan.is_empty() {
        writeln!(out, "No changes. The account matches the file.")?;
        return Ok(());
    }
    writeln!(
        out,
        "pat-reconcile will perform these actions, in this order (as of {}):",
        plan.generated_at.format("%Y-%m-%d %H:%M:%S UTC")
    )?;
    for change in &plan.changes {
        writeln!(out)?;
        let head = format!(
            "{} {} ({})",
            symbol(change.action),
            one_line(&change.address.to_string()),
            change.action
        );
        write!(
            out,
            "  {}",
            styles.paint(color(change.action).bold(), &head)
        )?;
        if change.destructive {
            write!(
                out,
                " {}",
                styles.paint(color(change.action), "[destructive]")
            )?;
        }
        if change.mints_secret() {
            write!(out, " [new secret]")?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "      {}",
            styles.paint(dim, &format!("# {}", one_line(&change.reason.to_string())))
        )?;
        for a in &change.attributes {
            render_attribute(a, styles, out)?;
        }
        for s in &change.statements {
            writeln!(
                out,
                "      {} {}",
                styles.paint(dim, "sql:"),
                one_line(&s.sql)
            )?;
            if let Some(r) = &s.recovery {
                writeln!(
                    out,
                    "      {} {}; if the token is listed: {}",
                    styles.paint(dim, "if its answer is lost:"),
                    one_line(&r.probe),
                    one_line(&r.rotate)
                )?;
            }
        }
    }
    writeln!(out)?;
    let mut summary = format!(
        "Plan: {} ({}",
        counts_phrase(plan),
        count(plan.changes.len(), "change")
    );
    if plan.destructive_count() > 0 {
        summary.push_str(&format!(", {} destructive", plan.destructive_count()));
    }
    if plan.secrets_minted() > 0 {
        summary.push_str(&format!(
            ", {} to deliver",
            count(plan.secrets_minted(), "new secret")
        ));
    }
    summary.push_str(").");
    writeln!(out, "{}", styles.paint(bold, &summary))
}

fn render_attribute(
    a: &AttributeChange,
    styles: Styles,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let red = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Red.into()));
    let green = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Green.into()));
    let name = one_line(&a.name);
    let value = |v: &AttrValue| one_line(&v.to_string());
    match (&a.before, &a.after) {
        (Some(AttrValue::List(before)), Some(AttrValue::List(after))) if before != after => {
            writeln!(out, "      {name}:")?;
            // One item per line of the diff, each item on one line of its own.
            let lines =
                |items: &[String]| items.iter().map(|i| one_line(i) + "\n").collect::<String>();
            let old = lines(before);
            let new = lines(after);
            let diff = similar::TextDiff::from_lines(&old, &new);
            for change in diff.iter_all_changes() {
                let line = change.value().trim_end_matches('\n');
                match change.tag() {
                    similar::ChangeTag::Delete => {
                        writeln!(out, "        {}", styles.paint(red, &format!("- {line}")))?
                    }
                    similar::ChangeTag::Insert => {
                        writeln!(out, "        {}", styles.paint(green, &format!("+ {line}")))?
                    }
                    similar::ChangeTag::Equal => writeln!(out, "          {line}")?,
                }
            }
            Ok(())
        }
        (None, Some(after)) => writeln!(out, "      {name} = {}", value(after)),
        (Some(before), Some(after)) if before == after => {
            writeln!(out, "      {name} = {} (unchanged)", value(after))
        }
        (Some(before), None) => writeln!(out, "      {name} = {} -> (none)", value(before)),
        (Some(before), Some(after)) => {
            writeln!(out, "      {name}: {} -> {}", value(before), value(after))
        }
        (None, None) => Ok(()),
    }
}

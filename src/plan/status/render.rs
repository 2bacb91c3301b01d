//! The status report as a text table, a Markdown table and CSV: functions of a
//! [`StatusReport`] and a writer. They format, never compute (counts are report methods).
//!
//! Names come from the account, so every cell goes through the escaping of its output kind
//! (`plan::render::escape`): the text table shows control characters escaped, the Markdown
//! table escapes Markdown and HTML, CSV quotes per RFC 4180 and guards against formulas.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};

use super::report::{LastUsed, StatusReport, TokenRow, UsageState};
use crate::plan::render::escape::{csv as csv_field, markdown as md, terminal};

const COLUMNS: usize = 12;

const HEADERS: [&str; COLUMNS] = [
    "USER",
    "TOKEN",
    "STATUS",
    "ROLE",
    "CREATED",
    "EXPIRES",
    "DAYS LEFT",
    "ROTATES",
    "DECLARED",
    "LAST USED",
    "LOGINS",
    "FINDINGS",
];

/// The columns a table shows: last use only when it was read.
fn shown(report: &StatusReport) -> Vec<usize> {
    let usage = matches!(report.usage, UsageState::Known { .. });
    (0..COLUMNS)
        .filter(|&i| usage || !matches!(HEADERS[i], "LAST USED" | "LOGINS"))
        .collect()
}

/// The cells of a row, in [`HEADERS`] order, unescaped.
fn cells(row: &TokenRow) -> [String; COLUMNS] {
    [
        row.user.to_string(),
        row.token.to_string(),
        row.status
            .as_ref()
            .map_or_else(|| "-".to_owned(), |s| s.as_str().to_owned()),
        row.role_restriction
            .as_ref()
            .map_or_else(|| "-".to_owned(), ToString::to_string),
        date(row.created_on),
        date(row.expires_at),
        row.days_left
            .map_or_else(|| "-".to_owned(), |d| d.to_string()),
        date(row.rotates_on),
        if row.declared { "yes" } else { "no" }.to_owned(),
        last_used(row.last_used),
        row.logins.map_or_else(|| "-".to_owned(), |n| n.to_string()),
        if row.findings.is_empty() {
            "-".to_owned()
        } else {
            row.findings
                .iter()
                .map(|f| f.summary())
                .collect::<Vec<_>>()
                .join("; ")
        },
    ]
}

/// A token's last use for a table cell.
pub fn last_used(l: LastUsed) -> String {
    match l {
        LastUsed::Unknown => "-".to_owned(),
        LastUsed::NotInView => "not in view yet".to_owned(),
        LastUsed::Never => "never".to_owned(),
        LastUsed::At(at) => at.format("%Y-%m-%d %H:%M").to_string(),
    }
}

fn date(d: Option<DateTime<Utc>>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| d.format("%Y-%m-%d").to_string())
}

fn footer(report: &StatusReport) -> String {
    format!(
        "{} token(s), {} finding(s) as of {} (expiring means within {} days{})",
        report.rows.len(),
        report.finding_count(),
        report.generated_at.format("%Y-%m-%d %H:%M UTC"),
        report.within_days,
        report
            .unused_for_days
            .map(|d| format!("; unused means not used for {d} days"))
            .unwrap_or_default()
    )
}

/// An aligned table for people, then the counts and the note on last use.
pub fn text(report: &StatusReport, out: &mut dyn Write) -> io::Result<()> {
    let columns = shown(report);
    let pick = |all: [String; COLUMNS]| -> Vec<String> {
        columns
            .iter()
            .map(|&i| terminal::one_line(&all[i]))
            .collect()
    };
    let rows: Vec<Vec<String>> = report.rows.iter().map(|r| pick(cells(r))).collect();
    let headers = pick(HEADERS.map(str::to_owned));
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, &w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  "));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &headers)?;
    for row in &rows {
        line(out, row)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", footer(report))?;
    writeln!(out, "note: {}", report.usage.note())
}

/// A Markdown table (for a pull-request comment or a wiki page).
pub fn markdown(report: &StatusReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### Token status")?;
    writeln!(out)?;
    let columns = shown(report);
    let headers: Vec<&str> = columns.iter().map(|&i| HEADERS[i]).collect();
    writeln!(out, "| {} |", headers.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(headers.len()))?;
    for row in &report.rows {
        let all = cells(row);
        let cells: Vec<String> = columns.iter().map(|&i| md::text(&all[i])).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    writeln!(out)?;
    writeln!(out, "{}", footer(report))?;
    writeln!(out)?;
    writeln!(out, "_Note: {}._", report.usage.note())
}

/// CSV with a header line (RFC 4180 quoting); findings are their codes joined by `;`, dates in
/// RFC 3339, empty cells for what is unknown.
pub fn csv(report: &StatusReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "user,token,status,role_restriction,created_on,expires_at,days_left,rotates_on,declared,last_used,logins,findings"
    )?;
    let ts = |d: Option<DateTime<Utc>>| {
        d.map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    for row in &report.rows {
        let fields = [
            csv_field::text(&row.user.to_string()),
            csv_field::text(&row.token.to_string()),
            csv_field::text(
                &row.status
                    .as_ref()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            csv_field::text(
                &row.role_restriction
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            csv_field::number(&ts(row.created_on)),
            csv_field::number(&ts(row.expires_at)),
            csv_field::number(&row.days_left.map(|d| d.to_string()).unwrap_or_default()),
            csv_field::number(&ts(row.rotates_on)),
            csv_field::number(&row.declared.to_string()),
            csv_field::number(&match row.last_used {
                LastUsed::At(at) => at.to_rfc3339_opts(SecondsFormat::Secs, true),
                LastUsed::Never => "never".to_owned(),
                LastUsed::Unknown | LastUsed::NotInView => String::new(),
            }),
            csv_field::number(&row.logins.map(|n| n.to_string()).unwrap_or_default()),
            csv_field::number(
                &row.findings
                    .iter()
                    .map(|f| f.code())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
        ];
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

//! `pat-reconcile validate`: check a `pats.yaml` offline and report every finding.
//!
//! Text output is [`diagnostics::render`], shared with the commands that refuse an invalid file;
//! JSON output is the stable [`Report`] below. Exit 0 when there are no errors (warnings allowed),
//! 1 otherwise.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::diagnostics;
use super::error::CliError;
use super::input;
use super::output::Styles;
use super::status::ExitStatus;
use crate::config::{Loaded, Severity};

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The desired-state file.
    #[arg(short = 'f', long = "file", default_value = "pats.yaml")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable diagnostics with source excerpts (the default).
    Text,
    /// The stable JSON report (`format_version` 1).
    Json,
}

/// Runs `validate`.
pub fn run(args: &ValidateArgs) -> Result<ExitStatus, CliError> {
    let loaded = input::read(&args.file)?;
    // Stdout is line-buffered; thousands of findings would be as many writes.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Text => diagnostics::render(&loaded, Styles::stdout(), &mut out)?,
        Format::Json => render_json(&loaded, &mut out)?,
    }
    out.flush()?;
    Ok(if loaded.has_errors() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The JSON report of `validate --format json`.
///
/// ```json
/// {
///   "format_version": 1,
///   "file": "pats.yaml",
///   "valid": false,
///   "errors": 1,
///   "warnings": 0,
///   "diagnostics": [{
///     "rule": "unknown-key", "severity": "error",
///     "message": "unknown key `expires_in` in `users.U.tokens.T`",
///     "path": "users.U.tokens.T.expires_in",
///     "line": 12, "column": 9, "source_line": "        expires_in: 90",
///     "hint": "did you mean `days_to_expiry`?",
///     "related": [{"line": 3, "column": 1, "label": "first declared here"}]
///   }]
/// }
/// ```
/// `line`, `column` (1-based, in characters) and `source_line` are absent for findings about
/// the whole file; `hint` is absent when there is none. Secrets are masked in `source_line`, and
/// a line longer than 240 characters is cut to a window around the finding, marked with `…`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub format_version: u32,
    pub file: &'a str,
    pub valid: bool,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: Vec<ReportDiagnostic<'a>>,
}

/// One finding in [`Report`].
#[derive(Debug, Serialize)]
pub struct ReportDiagnostic<'a> {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: &'a str,
    pub path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<ReportRelated<'a>>,
}

/// A related place in [`ReportDiagnostic`].
#[derive(Debug, Serialize)]
pub struct ReportRelated<'a> {
    pub line: usize,
    pub column: usize,
    pub label: &'a str,
}

/// Builds the JSON report.
pub fn report(loaded: &Loaded) -> Report<'_> {
    Report {
        format_version: 1,
        file: &loaded.name,
        valid: !loaded.has_errors(),
        errors: loaded.errors(),
        warnings: loaded.warnings(),
        diagnostics: loaded
            .diagnostics
            .iter()
            .map(|d| ReportDiagnostic {
                rule: d.rule.id(),
                severity: d.severity(),
                message: &d.message,
                path: &d.path,
                line: d.span.map(|s| s.line),
                column: d.span.map(|s| s.column),
                source_line: d.span.and_then(|s| source_line(&loaded.source, s.offset)),
                hint: d.hint.as_deref(),
                related: d
                    .related
                    .iter()
                    .map(|(s, label)| ReportRelated {
                        line: s.line,
                        column: s.column,
                        label,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Longest `source_line` the JSON report carries; a longer line (a minified file, say) is cut
/// to a window around the finding, marked with `…`.
const MAX_SOURCE_LINE: usize = 240;

fn source_line(source: &str, offset: usize) -> Option<Cow<'_, str>> {
    if offset > source.len() || !source.is_char_boundary(offset) {
        return None;
    }
    let start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = source[start..end].trim_end_matches('\r');
    if line.chars().count() <= MAX_SOURCE_LINE {
        return Some(Cow::Borrowed(line));
    }
    let column = source[start..offset].chars().count();
    let from = column.saturating_sub(MAX_SOURCE_LINE / 2);
    let window: String = line.chars().skip(from).take(MAX_SOURCE_LINE).collect();
    let before = if from > 0 { "…" } else { "" };
    let after = if from + MAX_SOURCE_LINE < line.chars().count() {
        "…"
    } else {
        ""
    };
    Some(Cow::Owned(format!("{before}{window}{after}")))
}

fn render_json(loaded: &Loaded, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &report(loaded))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_lines_are_whole_unless_very_long() {
        let text = "a: 1\nbb: 2\r\nc: 3";
        assert_eq!(source_line(text, 6).as_deref(), Some("bb: 2"));
        assert_eq!(source_line(text, text.len()).as_deref(), Some("c: 3"));
        assert_eq!(source_line(text, 99), None);

        let long = format!("x: [{}]", "1, ".repeat(400));
        let cut = source_line(&long, 600).unwrap();
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert_eq!(cut.chars().count(), MAX_SOURCE_LINE + 2);
        assert!(long.contains(cut.trim_matches('…')));
        let head = source_line(&long, 0).unwrap();
        assert!(head.starts_with("x: [1, ") && head.ends_with('…'), "{head}");
    }
}

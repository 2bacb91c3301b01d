//! The text rendering of `pats.yaml` findings: each with its file:line:column, the source lines
//! around it and a hint, then a summary line. `validate` prints it to stdout; the commands that
//! refuse an invalid file print it to stderr. It formats, never decides; no I/O but the writer.

use std::io::Write;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::output::Styles;
use crate::config::yaml::Span;
use crate::config::{Diagnostic, Loaded, Severity};

/// Renders every diagnostic and a summary line.
pub fn render(loaded: &Loaded, styles: Styles, out: &mut dyn Write) -> std::io::Result<()> {
    let theme = if styles.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100)
        .with_context_lines(1);
    let lines = LineStarts::new(&loaded.source);
    for d in &loaded.diagnostics {
        let mut text = String::new();
        let spans = d.span.iter().chain(d.related.iter().map(|(s, _)| s));
        let report = match Window::around(&loaded.name, &loaded.source, &lines, spans) {
            Some(window) => to_miette(d).with_source_code(window),
            None => to_miette(d),
        };
        // Rendering into a String cannot fail but for a formatter bug; fall back to the message.
        if handler.render_report(&mut text, report.as_ref()).is_err() {
            text = format!("{}: {}\n", d.rule.id(), d.message);
        }
        writeln!(out, "{text}")?;
    }
    let (errors, warnings) = (loaded.errors(), loaded.warnings());
    let summary = match (errors, warnings) {
        (0, 0) => format!("{} is valid", loaded.name),
        (0, w) => format!("{} is valid, with {}", loaded.name, plural(w, "warning")),
        (e, 0) => format!("{}: {}", loaded.name, plural(e, "error")),
        (e, w) => format!(
            "{}: {}, {}",
            loaded.name,
            plural(e, "error"),
            plural(w, "warning")
        ),
    };
    writeln!(out, "{summary}")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The finding as a miette report, without its source.
fn to_miette(d: &Diagnostic) -> miette::Report {
    let severity = match d.severity() {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let mut labels = Vec::new();
    if let Some(span) = d.span {
        labels.push(LabeledSpan::new_primary_with_span(
            None,
            (span.offset, span.len),
        ));
    }
    for (span, label) in &d.related {
        labels.push(LabeledSpan::new_with_span(
            Some(label.clone()),
            (span.offset, span.len),
        ));
    }
    let mut diag = MietteDiagnostic::new(format!("{}: {}", d.rule.id(), d.message))
        .with_severity(severity)
        .with_labels(labels);
    if let Some(hint) = &d.hint {
        diag = diag.with_help(hint.clone());
    }
    miette::Report::new(diag)
}

/// Where each line of a source starts, for cutting windows out of it.
struct LineStarts(Vec<usize>);

impl LineStarts {
    /// Lines break at `\n`, `\r\n` and a lone `\r`, as in YAML and in miette.
    fn new(source: &str) -> Self {
        let bytes = source.as_bytes();
        let mut starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        Self(starts)
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.0
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }
}

/// The lines of a source around a finding's spans, with one line of context, standing in for
/// the whole source.
///
/// miette finds a span's line by scanning its source from the start, and the report holds its
/// own copy of the source; with the whole file, thousands of findings in a large file took
/// quadratic time and memory. A window keeps each finding's cost to its own lines.
struct Window {
    name: String,
    text: String,
    /// Byte offset of the window in the whole source.
    offset: usize,
    /// 0-based line of the window's first line in the whole source.
    first_line: usize,
}

impl Window {
    fn around<'s>(
        name: &str,
        source: &str,
        lines: &LineStarts,
        spans: impl Iterator<Item = &'s Span>,
    ) -> Option<Self> {
        let (mut first, mut last) = (usize::MAX, 0);
        for span in spans {
            first = first.min(lines.line_of(span.offset));
            last = last.max(lines.line_of(span.offset + span.len));
        }
        if first == usize::MAX {
            return None;
        }
        let first_line = first.saturating_sub(1);
        let offset = lines.0.get(first_line).copied().unwrap_or(0);
        let end = lines.0.get(last + 2).copied().unwrap_or(source.len());
        Some(Self {
            name: name.to_owned(),
            text: source.get(offset..end)?.to_owned(),
            offset,
            first_line,
        })
    }
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let local = SourceSpan::new(
            span.offset()
                .checked_sub(self.offset)
                .ok_or(MietteError::OutOfBounds)?
                .into(),
            span.len(),
        );
        let inner =
            self.text
                .as_str()
                .read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + self.offset).into(),
                inner.span().len(),
            ),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count() + self.first_line,
        )))
    }
}

#[cfg(test)]
mod tests {
    use miette::NamedSource;

    use super::*;
    use crate::config;

    /// Renders each finding with the whole source, as miette would on its own.
    fn render_whole(loaded: &Loaded) -> Vec<String> {
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_links(false)
            .with_width(100)
            .with_context_lines(1);
        loaded
            .diagnostics
            .iter()
            .map(|d| {
                let report = to_miette(d)
                    .with_source_code(NamedSource::new(&loaded.name, loaded.source.clone()));
                let mut text = String::new();
                handler.render_report(&mut text, report.as_ref()).unwrap();
                text
            })
            .collect()
    }

    #[test]
    fn a_window_renders_exactly_as_the_whole_source() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut loads: Vec<Loaded> = std::fs::read_dir(root.join("examples"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| config::load_file(&p).unwrap())
            .collect();
        for text in [
            "version: 1\r\nusers:\r\n  U: { bogus: 1 }\r\n",
            "version: 1\nusers:\n  a: {}\n  b: {}\n  A: {}\n",
            "bogus: 1\nversion: 1",
        ] {
            loads.push(config::load_str("inline.yaml", text));
        }
        let mut compared = 0;
        for loaded in &loads {
            let mut windowed = Vec::new();
            render(loaded, Styles::plain(), &mut windowed).unwrap();
            let windowed = String::from_utf8(windowed).unwrap();
            for whole in render_whole(loaded) {
                assert!(
                    windowed.contains(&whole),
                    "{}:\n{whole}\n---\n{windowed}",
                    loaded.name
                );
                compared += 1;
            }
        }
        assert!(compared > 20, "{compared}");
    }
}

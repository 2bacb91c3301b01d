//! The text rendering of `pats.yaml` findings: each with its file:line:column, the source lines
//! around it and a hint, then a summary line. `validate` prints it to stdout; the commands that
//! refuse an invalid file print it to stderr. It formats, never decides; no I/O but the writer.
//!
//! The file is hostile input: every quoted source line is cut to a window of
//! [`LINE_WINDOW`] bytes around the finding, with `…` where it was cut (a finding on a line over
//! 65,535 columns panicked miette, and each of thousands of findings quoted a 120 KB line);
//! control characters of the source are shown as `?`, and those in messages (a key may hold
//! any character) as escapes, so nothing reaches the terminal raw. At most
//! [`crate::config::load::MAX_FINDINGS_PER_RULE`] findings of a rule are shown, then a count of
//! the rest.

use std::io::Write;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::output::Styles;
use crate::config::yaml::Span;
use crate::config::{Diagnostic, Loaded, Severity};
use crate::plan::render::escape::terminal::{needs_escape, one_line};

/// The longest stretch of one source line a finding quotes, in bytes; longer lines are cut
/// around the finding's first span on that line.
const LINE_WINDOW: usize = 160;
/// How much of [`LINE_WINDOW`] comes before the span.
const LINE_LEAD: usize = 40;

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
            Some(window) => to_miette(d, |o| window.local(o)).with_source_code(window),
            None => to_miette(d, |o| o),
        };
        // Rendering into a String cannot fail but for a formatter bug; fall back to the message.
        if handler.render_report(&mut text, report.as_ref()).is_err() {
            text = format!("{}: {}\n", d.rule.id(), one_line(&d.message));
        }
        writeln!(out, "{text}")?;
    }
    for (rule, n) in &loaded.omitted {
        writeln!(
            out,
            "… and {} more `{}` finding{} (only the first {} of a rule are shown)\n",
            n,
            rule.id(),
            if *n == 1 { "" } else { "s" },
            crate::config::load::MAX_FINDINGS_PER_RULE
        )?;
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

/// The finding as a miette report, without its source; `local` maps an offset of the file to
/// one of the source the report is given.
fn to_miette(d: &Diagnostic, local: impl Fn(usize) -> usize) -> miette::Report {
    let severity = match d.severity() {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let mut labels = Vec::new();
    let range = |span: &Span| {
        let start = local(span.offset);
        (start, local(span.offset + span.len).saturating_sub(start))
    };
    if let Some(span) = d.span {
        labels.push(LabeledSpan::new_primary_with_span(None, range(&span)));
    }
    for (span, label) in &d.related {
        labels.push(LabeledSpan::new_with_span(
            Some(one_line(label)),
            range(span),
        ));
    }
    let mut diag = MietteDiagnostic::new(format!("{}: {}", d.rule.id(), one_line(&d.message)))
        .with_severity(severity)
        .with_labels(labels);
    if let Some(hint) = &d.hint {
        diag = diag.with_help(one_line(hint));
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
/// quadratic time and memory. A window keeps each finding's cost to its own lines. A line
/// longer than [`LINE_WINDOW`] is cut around the finding, so the cost is also bounded per line;
/// the report's labels are given in the window's offsets ([`Window::local`]).
struct Window {
    name: String,
    text: String,
    /// The kept stretches of the source, in order.
    pieces: Vec<Piece>,
    /// 0-based line of the window's first line in the whole source.
    first_line: usize,
}

/// A stretch of the source kept in a window.
struct Piece {
    /// Byte range in the whole source.
    start: usize,
    end: usize,
    /// Where it starts in the window's text.
    local: usize,
    /// Bytes the window's line lacks before this piece, compared with the source's line: the
    /// bytes cut from the front, less the `…` put there (miette counts columns in bytes).
    shift: isize,
}

const ELLIPSIS: &str = "…";

impl Window {
    fn around<'s>(
        name: &str,
        source: &str,
        lines: &LineStarts,
        spans: impl Iterator<Item = &'s Span>,
    ) -> Option<Self> {
        let spans: Vec<&Span> = spans.collect();
        let (mut first, mut last) = (usize::MAX, 0);
        for span in &spans {
            first = first.min(lines.line_of(span.offset));
            last = last.max(lines.line_of(span.offset + span.len));
        }
        if first == usize::MAX {
            return None;
        }
        let first_line = first.saturating_sub(1);
        let mut window = Self {
            name: name.to_owned(),
            text: String::new(),
            pieces: Vec::new(),
            first_line,
        };
        for line in first_line..=(last + 1).min(lines.0.len() - 1) {
            let start = lines.0[line];
            let next = lines.0.get(line + 1).copied().unwrap_or(source.len());
            let full = source.get(start..next)?;
            let body_len = full.trim_end_matches(['\n', '\r']).len();
            let (body, ending) = full.split_at(body_len);
            if body.len() <= LINE_WINDOW {
                window.push(start, full, 0);
                continue;
            }
            // Cut around the first span that starts on this line (or the line's start).
            let focus = spans
                .iter()
                .map(|s| s.offset)
                .filter(|&o| o >= start && o < next)
                .min()
                .map_or(0, |o| o - start);
            let from = floor_boundary(body, focus.saturating_sub(LINE_LEAD));
            let to = floor_boundary(body, (from + LINE_WINDOW).min(body.len()));
            let line_local = window.text.len();
            if from > 0 {
                window.text.push_str(ELLIPSIS);
            }
            let shift = from as isize - (window.text.len() - line_local) as isize;
            window.push(start + from, &body[from..to], shift);
            if to < body.len() {
                window.text.push_str(ELLIPSIS);
            }
            window.push(start + body_len, ending, 0);
        }
        Some(window)
    }

    /// Appends `text` (a stretch of the source at `start`), control characters shown as `?`.
    fn push(&mut self, start: usize, text: &str, shift: isize) {
        self.pieces.push(Piece {
            start,
            end: start + text.len(),
            local: self.text.len(),
            shift,
        });
        for c in text.chars() {
            if needs_escape(c) && !matches!(c, '\n' | '\r' | '\t') {
                // As many bytes as the character, so that every offset stays put.
                self.text.push_str(&"?".repeat(c.len_utf8()));
            } else {
                self.text.push(c);
            }
        }
    }

    /// The window offset of source offset `offset`: inside a kept stretch exactly, in a cut
    /// part at the end of the stretch before it.
    fn local(&self, offset: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.start <= offset);
        match i.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(p) => p.local + offset.min(p.end) - p.start,
            None => 0,
        }
    }

    /// The column shift of the piece holding window offset `local`.
    fn shift_at(&self, local: usize) -> isize {
        let i = self.pieces.partition_point(|p| p.local <= local);
        i.checked_sub(1)
            .and_then(|i| self.pieces.get(i))
            .map_or(0, |p| p.shift)
    }
}

/// The largest char boundary of `s` at or below `at`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        // Only a read without context reports a column (the finding's `line:column`); give the
        // source's column, not the cut line's.
        let column = if context_lines_before == 0 {
            inner
                .column()
                .saturating_add_signed(self.shift_at(span.offset()))
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
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
                let report = to_miette(d, |o| o)
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

//! Property test of the loader: mutated shipped files and random YAML-ish text never make
//! `load_str` panic, and every finding it reports points at a real place in the text.
//!
//! The seeds are the files users start from (`pats.yaml`, `examples/*.yaml`), so mutations stay
//! close to real input and reach deep into the schema and the rules, not only the YAML parser.

use std::path::Path;

use pat_reconcile::config::yaml::Span;
use pat_reconcile::config::{Loaded, Rule, Severity, load_str};
use proptest::prelude::*;

/// The shipped files, read once per test run.
fn seeds() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("pats.yaml")];
    let mut examples: Vec<_> = std::fs::read_dir(root.join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable examples/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    examples.sort();
    files.extend(examples);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("seed is UTF-8");
            (p.display().to_string(), text)
        })
        .collect()
}

/// One edit of a file. Positions are fractions of the current length, so every edit applies to
/// any seed.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteBytes { at: f64, len: usize },
    DeleteLine { at: f64 },
    DuplicateLine { at: f64 },
    SwapLines { a: f64, b: f64 },
    Insert { at: f64, text: &'static str },
    Indent { at: f64, delta: i8 },
}

/// YAML punctuation and fragments that change structure, plus a few that trip the strict
/// checks (anchors, aliases, tags, merge keys, documents) and multi-byte characters.
const INSERTS: &[&str] = &[
    ":",
    ": ",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "?",
    "? ",
    "&a ",
    "*a",
    "!",
    "!!str ",
    "|",
    ">",
    "'",
    "\"",
    "#",
    "%",
    "@",
    "`",
    "\n",
    "\r",
    "\r\n",
    "\t",
    " ",
    "  ",
    "---\n",
    "...\n",
    "<<: ",
    "~",
    "null",
    "0x",
    "1e9",
    "-1",
    "4294967296",
    "é",
    "\u{feff}",
    "\u{2028}",
    "\\",
    "\"\"",
    "''",
    // Split so that secret scanners do not mistake these fake values for leaked ones.
    concat!("ver:1-hint:1", "-AAAAAAAAAAAAAAAAAAAA"),
    "eyJhbGciOiJI.eyJzdWIiOiJ4.c2lnbmF0dXJl",
    concat!("-----BEGIN PRIVATE", " KEY-----"),
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), 1..8usize).prop_map(|(at, len)| Mutation::DeleteBytes { at, len }),
        at.clone().prop_map(|at| Mutation::DeleteLine { at }),
        at.clone().prop_map(|at| Mutation::DuplicateLine { at }),
        (at.clone(), at.clone()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        (at.clone(), proptest::sample::select(INSERTS))
            .prop_map(|(at, text)| Mutation::Insert { at, text }),
        (at, -4..=4i8).prop_map(|(at, delta)| Mutation::Indent { at, delta }),
    ]
}

fn index(len: usize, at: f64) -> usize {
    ((len as f64) * at) as usize
}

/// Applies the edit on bytes; a cut through a multi-byte character becomes U+FFFD, as a
/// lossy editor would write it.
fn apply(text: &str, m: &Mutation) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    match m {
        Mutation::DeleteBytes { at, len } => {
            let from = index(bytes.len(), *at);
            let to = (from + len).min(bytes.len());
            bytes.drain(from..to);
        }
        Mutation::Insert { at, text } => {
            let at = index(bytes.len(), *at);
            bytes.splice(at..at, text.bytes());
        }
        Mutation::DeleteLine { at } if !lines.is_empty() => {
            lines.remove(index(lines.len(), *at));
            return lines.concat();
        }
        Mutation::DuplicateLine { at } if !lines.is_empty() => {
            let i = index(lines.len(), *at);
            lines.insert(i, lines[i].clone());
            return lines.concat();
        }
        Mutation::SwapLines { a, b } if !lines.is_empty() => {
            let n = lines.len();
            lines.swap(index(n, *a), index(n, *b));
            return lines.concat();
        }
        Mutation::Indent { at, delta } if !lines.is_empty() => {
            let i = index(lines.len(), *at);
            let line = &mut lines[i];
            if *delta >= 0 {
                line.insert_str(0, &" ".repeat(*delta as usize));
            } else {
                let strip = line
                    .bytes()
                    .take(delta.unsigned_abs() as usize)
                    .take_while(|b| *b == b' ')
                    .count();
                line.drain(..strip);
            }
            return lines.concat();
        }
        _ => {}
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Line and column of `offset` as a reader counts them: lines break at `\n`, `\r\n` and a lone
/// `\r` (YAML's line breaks), columns count characters from 1.
fn locate(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let mut line = 1;
    let mut line_start = 0;
    let bytes = before.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let breaks = *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if breaks {
            line += 1;
            line_start = i + 1;
        }
    }
    (line, before[line_start..].chars().count() + 1)
}

fn check_span(text: &str, span: &Span, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        span.offset + span.len <= text.len(),
        "{what}: span {span:?} runs past the end ({} bytes)",
        text.len()
    );
    prop_assert!(
        text.is_char_boundary(span.offset),
        "{what}: {span:?} splits a character"
    );
    prop_assert!(
        text.is_char_boundary(span.offset + span.len),
        "{what}: {span:?} splits a character"
    );
    prop_assert!(span.line >= 1 && span.column >= 1, "{what}: {span:?}");
    prop_assert_eq!(
        (span.line, span.column),
        locate(text, span.offset),
        "{}: line and column disagree with the offset of {:?}",
        what,
        span
    );
    Ok(())
}

/// The properties every load must have.
fn check_loaded(text: &str, loaded: &Loaded) -> Result<(), TestCaseError> {
    // Spans index the text without its byte-order mark, as `Loaded::source` holds it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    prop_assert_eq!(
        loaded.source.len(),
        text.len(),
        "masking changed byte offsets"
    );
    for d in &loaded.diagnostics {
        let what = format!("{} `{}`", d.rule.id(), d.message);
        match &d.span {
            Some(span) => check_span(text, span, &what)?,
            // Only findings about the file as a whole may lack a place.
            None => prop_assert!(
                matches!(d.rule, Rule::EmptyFile | Rule::FileTooLarge),
                "{what} has no location"
            ),
        }
        for (span, label) in &d.related {
            check_span(text, span, &format!("{what} / related {label}"))?;
        }
    }
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    if errors == 0 {
        prop_assert!(loaded.config.is_some(), "no errors, but no config either");
    }
    let positions: Vec<usize> = loaded
        .diagnostics
        .iter()
        .map(|d| d.span.map_or(0, |s| s.offset))
        .collect();
    prop_assert!(
        positions.is_sorted(),
        "diagnostics out of order: {positions:?}"
    );
    Ok(())
}

/// 256 cases per property (proptest's default) keep the debug-build suite at a few seconds on
/// two cores; the seeds keep each case meaningful. `PROPTEST_CASES=20000` fuzzes longer.
fn config() -> ProptestConfig {
    ProptestConfig::default()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_shipped_files_load_without_panicking(
        seed in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let (name, original) = &seeds[seed.index(seeds.len())];
        let text = mutations.iter().fold(original.clone(), |t, m| apply(&t, m));
        let loaded = load_str(name, &text);
        check_loaded(&text, &loaded)?;
    }

    #[test]
    fn random_yamlish_text_loads_without_panicking(
        text in "([a-zA-Z_0-9 .:,\\-\\[\\]{}&*!|>'\"#?%@`~<\\\\\n\r\t]|é|\u{feff}){0,160}",
    ) {
        let loaded = load_str("random.yaml", &text);
        check_loaded(&text, &loaded)?;
    }
}

#[test]
fn every_shipped_file_satisfies_the_properties() {
    for (name, text) in seeds() {
        let loaded = load_str(&name, &text);
        if let Err(e) = check_loaded(&text, &loaded) {
            panic!("{name}: {e}");
        }
    }
}

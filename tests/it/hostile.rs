//! Hostile input (issue 14): names from the account and the file that try to break out of the
//! output they are printed in, and files shaped to crash or flood the loader.
//!
//! `tests/fixtures/hostile/names/` holds PAT names, a user name and a comment with backticks,
//! fences, `<img src=x>`, `**No changes.**` on a line of its own, `ESC[31m`, CR/LF and a C1
//! control, plus a token whose name and status look like spreadsheet formulas. The Markdown is
//! parsed with a CommonMark/GFM parser, so the tests check what GitHub would render, not
//! strings.

use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::support::Cli;

const AT: &str = "2026-11-27T12:00:00Z";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(behaviour: &str) -> (PathBuf, PathBuf) {
    let dir = root().join("tests/fixtures").join(behaviour);
    (dir.join("pats.yaml"), dir.join("live.json"))
}

/// `COMMAND -f YAML --live-state LIVE --at AT --format FORMAT` on a fixture.
fn run(command: &str, behaviour: &str, format: &str) -> crate::support::Output {
    let (yaml, live) = fixture(behaviour);
    Cli::new()
        .args([command, "-f"])
        .arg(yaml)
        .arg("--live-state")
        .arg(live)
        .args(["--at", AT, "--format", format])
        .run()
}

/// Fails if `text` holds a control character other than a line feed (ESC, CR, C1, ...), or a
/// line that starts with the forged summary.
#[track_caller]
fn assert_no_raw_controls(what: &str, text: &str) {
    for (i, c) in text.char_indices() {
        assert!(
            c == '\n' || !c.is_control(),
            "{what}: raw {c:?} at byte {i}:\n{text}"
        );
    }
    for line in text.lines() {
        assert!(
            !line.starts_with("**No changes.**") && !line.starts_with("No changes."),
            "{what}: forged line {line:?}:\n{text}"
        );
    }
}

/// What a Markdown document renders to, as far as these tests care.
#[derive(Debug, Default)]
struct Rendered {
    /// Raw HTML that reaches the page, with our own tags taken out.
    foreign_html: Vec<String>,
    /// The text of every `**bold**` run.
    strong: Vec<String>,
    /// Cell separators per row of each table, header first: GFM splits a row at every `|`
    /// not escaped by a backslash, code spans included (and then drops cells the header does
    /// not have, so the parser's own cells cannot show a split).
    tables: Vec<Vec<usize>>,
}

fn separators(markdown: &str) -> Vec<Vec<usize>> {
    let mut tables: Vec<Vec<usize>> = Vec::new();
    let mut in_table = false;
    for line in markdown.lines() {
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if !in_table {
            tables.push(Vec::new());
            in_table = true;
        }
        let (mut count, mut escaped) = (0, false);
        for c in line.chars() {
            match c {
                '\\' => escaped = !escaped,
                '|' if !escaped => count += 1,
                _ => escaped = false,
            }
        }
        if let Some(t) = tables.last_mut() {
            t.push(count);
        }
    }
    tables
}

/// The tags the renderers write themselves.
const OUR_TAGS: [&str; 7] = [
    "<details>",
    "</details>",
    "<summary>",
    "</summary>",
    "<br>",
    "<sub>",
    "</sub>",
];

fn render_markdown(text: &str) -> Rendered {
    let mut r = Rendered {
        tables: separators(text),
        ..Rendered::default()
    };
    let mut strong: Option<String> = None;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_GFM;
    for event in Parser::new_ext(text, options) {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                let mut rest = html.to_string();
                for tag in OUR_TAGS {
                    rest = rest.replace(tag, "");
                }
                if rest.contains('<') {
                    r.foreign_html.push(html.to_string());
                }
            }
            Event::Start(Tag::Strong) => strong = Some(String::new()),
            Event::End(TagEnd::Strong) => r.strong.extend(strong.take()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(s) = &mut strong {
                    s.push_str(&t);
                }
            }
            _ => {}
        }
    }
    r
}

#[track_caller]
fn assert_renders_safely(what: &str, markdown: &str) -> Rendered {
    assert_no_raw_controls(what, markdown);
    let r = render_markdown(markdown);
    assert!(
        r.foreign_html.is_empty(),
        "{what}: raw HTML {:?}:\n{markdown}",
        r.foreign_html
    );
    for table in &r.tables {
        assert!(
            table.iter().all(|&n| n == table[0]),
            "{what}: a name split a table row {table:?}:\n{markdown}"
        );
    }
    r
}

#[test]
fn the_checks_see_a_real_summary_and_a_real_tag() {
    // The checks below can fail: the real summary is bold, and HTML or a split row is seen.
    let out = run("plan", "plan/in-sync", "markdown").success();
    let r = render_markdown(&out.stdout);
    assert_eq!(r.strong, ["No changes."], "{out:?}");
    let forged = render_markdown("x\n\n<img src=x>\n\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n");
    assert_eq!(forged.foreign_html, ["<img src=x>\n"]);
    assert_eq!(forged.tables, [vec![3, 3, 4]]);
}

#[test]
fn the_markdown_plan_escapes_every_hostile_name() {
    let out = run("plan", "hostile/names", "markdown");
    out.assert_code(1); // the fixture's users have no network policy: a preflight error
    let r = assert_renders_safely("plan --format markdown", &out.stdout);
    assert!(
        !r.strong.iter().any(|s| s.contains("No changes")),
        "forged summary {:?}:\n{}",
        r.strong,
        out.stdout
    );
    assert!(r.strong.iter().any(|s| s == "7 changes"), "{:?}", r.strong);
    // The names are there, escaped, not dropped.
    for shown in [
        "\\u{1b}[31mRED",
        "evil`user\\n**No changes.**<img src=x>",
        "\\u{9b}2J",
    ] {
        assert!(
            out.stdout.contains(shown),
            "{shown:?} missing:\n{}",
            out.stdout
        );
    }
}

#[test]
fn the_text_plan_sends_no_control_character_to_the_terminal() {
    let out = run("plan", "hostile/names", "text");
    out.assert_code(1);
    assert_no_raw_controls("plan --format text", &out.stdout);
    assert_no_raw_controls("plan stderr", &out.stderr);
    assert!(
        out.stdout
            .contains("\"\\u{1b}[31mRED\\r\\n| a | b |\\u{9b}2J\""),
        "{out:?}"
    );
    assert!(out.stdout.contains("\\n```\\n\\u{1b}[2J"), "{out:?}");
}

#[test]
fn the_status_report_escapes_every_hostile_name_in_every_format() {
    let text = run("status", "hostile/names", "text").success();
    assert_no_raw_controls("status --format text", &text.stdout);
    assert!(text.stdout.contains("\\u{1b}[31mRED"), "{text:?}");

    let md = run("status", "hostile/names", "markdown").success();
    let r = assert_renders_safely("status --format markdown", &md.stdout);
    assert!(r.strong.is_empty(), "{r:?}");
    assert_eq!(r.tables, [vec![11; 7]], "{md:?}");

    let csv = run("status", "hostile/names", "csv").success();
    assert_no_raw_controls("status --format csv", &csv.stdout);
    let records = parse_csv(&csv.stdout);
    assert_eq!(records.len(), 6, "{csv:?}");
    for record in &records {
        assert_eq!(record.len(), 12, "{record:?} in\n{}", csv.stdout);
        for field in record {
            assert!(
                !field.starts_with(['=', '+', '-', '@']),
                "{field:?} would be a formula:\n{}",
                csv.stdout
            );
        }
    }
    let formula = records.iter().find(|r| r[1].contains("HYPERLINK")).unwrap();
    assert_eq!(formula[1], "\"=HYPERLINK(\"\"http://x\"\")\"");
    assert_eq!(formula[2], "'@SUM(A1)");
}

/// RFC 4180 records (fields may be quoted, quotes doubled; the renderer never breaks a line
/// inside a field).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            let mut fields = vec![String::new()];
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        chars.next();
                        fields.last_mut().unwrap().push('"');
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => fields.push(String::new()),
                    (c, _) => fields.last_mut().unwrap().push(c),
                }
            }
            fields
        })
        .collect()
}

#[test]
fn an_offset_beyond_a_century_is_a_clear_error_not_a_panic() {
    for command in ["plan", "status"] {
        let (yaml, live) = fixture("plan/in-sync");
        let out = Cli::new()
            .args([command, "-f"])
            .arg(yaml)
            .arg("--live-state")
            .arg(live)
            .args(["--at", "+999999999d"])
            .run()
            .failure();
        assert!(
            out.stderr.contains("more than 100 years"),
            "{command}: {out:?}"
        );
    }
}

/// `validate -f hostile.yaml` on `text`, with the time it took.
fn validate(text: &str) -> (crate::support::Output, std::time::Duration) {
    let cli = Cli::new()
        .file("hostile.yaml", text)
        .args(["validate", "-f", "hostile.yaml"]);
    let started = std::time::Instant::now();
    let out = cli.run();
    (out, started.elapsed())
}

#[test]
fn a_block_sequence_nested_100_000_deep_is_a_located_error() {
    let text = format!("version: 1\nusers:\n  {}x\n", "- ".repeat(100_000));
    let (out, _) = validate(&text);
    out.assert_code(1);
    assert!(
        out.stdout.contains(
            "yaml-unsupported: the file nests lists and mappings more than 64 levels deep"
        ),
        "{}",
        &out.stdout[..out.stdout.len().min(2000)]
    );
    assert!(out.stdout.contains("[hostile.yaml:3:"), "{}", out.stdout);
    assert!(out.stdout.len() < 2_000, "{}", out.stdout.len());
}

#[test]
fn aliases_are_refused_with_bounded_output() {
    // A billion-laughs file, and 24 KB of aliases on one line.
    let mut laughs =
        String::from("version: 1\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "a".to_owned()
        } else {
            format!("b{}", i - 1)
        };
        let refs = vec![format!("*{prev}"); 9].join(", ");
        laughs.push_str(&format!("b{i}: &b{i} [{refs}]\n"));
    }
    let line = format!(
        "version: 1\nx: &a 1\nusers: [{}]\n",
        vec!["*a"; 8_000].join(",")
    );
    for text in [laughs, line] {
        let (out, took) = validate(&text);
        out.assert_code(1);
        assert!(out.stdout.contains("yaml-unsupported"), "{out:?}");
        assert!(
            out.stdout.contains("more `yaml-unsupported` finding"),
            "{out:?}"
        );
        assert!(
            out.stdout.len() < 4 * text.len() + 20_000,
            "{} bytes of output for {} of input",
            out.stdout.len(),
            text.len()
        );
        assert!(took.as_secs() < 10, "{took:?}");
    }
}

#[test]
fn duplicate_keys_on_one_long_line_are_counted_not_repeated() {
    // 120 KB of duplicate keys on one line.
    let text = format!(
        "version: 1\nusers: {{{}}}\n",
        vec!["U: {}"; 20_000].join(",")
    );
    let (out, took) = validate(&text);
    out.assert_code(1);
    assert_eq!(
        out.stdout.matches("× duplicate-key:").count(),
        20,
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "… and 19979 more `duplicate-key` findings (only the first 20 of a rule are shown)"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with("hostile.yaml: 19999 errors\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.len() < 40_000, "{}", out.stdout.len());
    assert!(took.as_secs() < 10, "{took:?}");
}

#[test]
fn a_finding_on_a_line_over_65535_characters_shows_a_window_of_it() {
    let text = format!(
        "version: 1\nusers: {{{}BOGUS_USER: 1}}\n",
        " ".repeat(70_000)
    );
    let (out, _) = validate(&text);
    out.assert_code(1);
    // The true line and column, the finding underlined, the line cut with an ellipsis.
    assert!(
        out.stdout.contains("[hostile.yaml:2:70021]"),
        "{}",
        out.stdout
    );
    let quoted = out
        .stdout
        .lines()
        .find(|l| l.starts_with(" 2 │"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        quoted.contains("…") && quoted.contains("BOGUS_USER: 1}"),
        "{quoted:?}"
    );
    assert!(quoted.chars().count() < 200, "{quoted:?}");
    assert!(out.stdout.len() < 2_000, "{}", out.stdout.len());
}

#[test]
fn control_characters_in_the_file_never_reach_the_terminal() {
    let text = "version: 1\nusers:\n  \"\\e[31mRED\\r\\nX\": { bogus: \"\u{1b}[2J\" }\n";
    let (out, _) = validate(text);
    out.assert_code(1);
    assert_no_raw_controls("validate", &out.stdout);
    // The message shows the key's characters escaped, the quoted line a raw ESC as `?`.
    assert!(
        out.stdout
            .contains("`\\u{1b}[31mRED\\r\\nX` is not a valid"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("bogus: \"?[2J\""), "{}", out.stdout);
}

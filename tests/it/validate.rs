//! `pat-reconcile validate`: the real binary on the shipped files, its JSON report, and bad
//! input of every kind.

use std::path::{Path, PathBuf};

use pat_reconcile::config::{Rule, Severity};
use serde_json::json;

use crate::support::{Cli, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `examples/*.yaml`, sorted.
fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable examples/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// Runs `validate` on `contents` saved as `name` in a fresh directory.
fn validate(name: &str, contents: impl AsRef<[u8]>, extra: &[&str]) -> Output {
    Cli::new()
        .file(name, contents)
        .args(["validate", "-f", name])
        .args(extra)
        .run()
}

/// An example's `# expect: RULE LINE:COLUMN` lines (`# expect: RULE` for a finding about the
/// whole file).
fn expectations(text: &str) -> Vec<(String, Option<(u64, u64)>)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|e| {
            let mut parts = e.split_whitespace();
            let rule = parts.next().expect("a rule id").to_owned();
            let position = parts.next().map(|p| {
                let (line, column) = p.split_once(':').expect("LINE:COLUMN");
                (
                    line.parse().expect("a line"),
                    column.parse().expect("a column"),
                )
            });
            (rule, position)
        })
        .collect()
}

/// `(rule, Some((line, column)))` of each finding in a JSON report.
fn positions(report: &serde_json::Value) -> Vec<(String, Option<(u64, u64)>)> {
    report["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .map(|d| {
            let line = d.get("line").and_then(serde_json::Value::as_u64);
            let column = d.get("column").and_then(serde_json::Value::as_u64);
            (
                d["rule"].as_str().expect("a rule id").to_owned(),
                line.zip(column),
            )
        })
        .collect()
}

#[test]
fn each_invalid_example_reports_exactly_what_its_header_says() {
    let invalid: Vec<PathBuf> = examples()
        .into_iter()
        .filter(|p| file_name(p).starts_with("invalid-"))
        .collect();
    assert!(!invalid.is_empty());
    for path in invalid {
        let name = file_name(&path);
        let rule = name
            .strip_prefix("invalid-")
            .and_then(|n| n.strip_suffix(".yaml"))
            .expect("invalid-<rule>.yaml");
        let text = std::fs::read_to_string(&path).expect("readable example");
        let want = expectations(&text);
        assert!(!want.is_empty(), "{name} has no `# expect:` line");
        assert!(
            want.iter().all(|(r, _)| r == rule),
            "{name} should show only `{rule}`: {want:?}"
        );

        let json = validate(&name, &text, &["--format", "json"]);
        json.assert_code(1);
        assert_eq!(positions(&json.json()), want, "{name}:\n{json:?}");

        let human = validate(&name, &text, &[]);
        human.assert_code(1);
        for (rule, position) in &want {
            assert!(human.stdout.contains(&format!("× {rule}: ")), "{human:?}");
            if let Some((line, column)) = position {
                let place = format!("[{name}:{line}:{column}]");
                assert!(human.stdout.contains(&place), "no {place}:\n{human:?}");
            }
        }
        let errors = match want.len() {
            1 => "1 error".to_owned(),
            n => format!("{n} errors"),
        };
        assert!(
            human.stdout.ends_with(&format!("{name}: {errors}\n")),
            "{human:?}"
        );
    }
}

#[test]
fn every_error_rule_has_an_invalid_example() {
    let names: Vec<String> = examples().iter().map(|p| file_name(p)).collect();
    for rule in Rule::ALL {
        // A 32 MiB example would be absurd; `a_file_over_32_mib_is_refused_unread` covers it.
        if rule.severity() != Severity::Error || *rule == Rule::FileTooLarge {
            continue;
        }
        let example = format!("invalid-{}.yaml", rule.id());
        assert!(names.contains(&example), "examples/{example} is missing");
    }
}

#[test]
fn the_shipped_files_are_valid_without_warnings() {
    let mut files = vec![root().join("pats.yaml")];
    files.extend(
        examples()
            .into_iter()
            .filter(|p| !file_name(p).starts_with("invalid-")),
    );
    for path in files {
        let name = file_name(&path);
        let text = std::fs::read_to_string(&path).expect("readable file");
        let modeline = if name == "pats.yaml" {
            "# yaml-language-server: $schema=schemas/pats.schema.json\n"
        } else {
            "# yaml-language-server: $schema=../schemas/pats.schema.json\n"
        };
        assert!(text.starts_with(modeline), "{name} lacks the modeline");
        let out = validate(&name, &text, &[]);
        out.assert_code(0);
        assert_eq!(out.stdout, format!("{name} is valid\n"), "{out:?}");
    }
}

#[test]
fn every_example_starts_with_the_modeline() {
    for path in examples() {
        let text = std::fs::read_to_string(&path).expect("readable example");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/pats.schema.json\n"),
            "{} lacks the modeline",
            path.display()
        );
    }
}

#[test]
fn the_default_file_is_pats_yaml_in_the_working_directory() {
    let out = Cli::new()
        .file("pats.yaml", "version: 1\n")
        .args(["validate"])
        .run();
    out.assert_code(0);
    assert_eq!(out.stdout, "pats.yaml is valid\n");
}

#[test]
fn warnings_alone_exit_zero() {
    let out = validate(
        "pats.yaml",
        "version: 1\nusers:\n  U: { network_policy: ELSEWHERE }\n",
        &[],
    );
    out.assert_code(0);
    assert!(
        out.stdout.contains(
            "⚠ undeclared-reference: network policy `ELSEWHERE` is not declared in this file"
        ),
        "{out:?}"
    );
    assert!(out.stdout.contains("[pats.yaml:3:24]"), "{out:?}");
    assert!(
        out.stdout.ends_with("pats.yaml is valid, with 1 warning\n"),
        "{out:?}"
    );
}

#[test]
fn the_json_report_has_the_documented_shape() {
    let text = "\
version: 1
users:
  U:
    network_policy: ELSEWHERE
    tokens:
      T: { days_to_expiry: 30 }
";
    let out = validate("pats.yaml", text, &["--format", "json"]);
    out.assert_code(1);
    assert_eq!(
        out.json(),
        json!({
            "format_version": 1,
            "file": "pats.yaml",
            "valid": false,
            "errors": 1,
            "warnings": 1,
            "diagnostics": [
                {
                    "rule": "undeclared-reference",
                    "severity": "warning",
                    "message": "network policy `ELSEWHERE` is not declared in this file",
                    "path": "users.U.network_policy",
                    "line": 4,
                    "column": 21,
                    "source_line": "    network_policy: ELSEWHERE",
                    "hint": "it must already exist in the account; declare it under `network_policies` to manage it"
                },
                {
                    "rule": "token-without-delivery",
                    "severity": "error",
                    "message": "token `T` has nowhere to deliver its secret",
                    "path": "users.U.tokens.T.deliver",
                    "line": 6,
                    "column": 7,
                    "source_line": "      T: { days_to_expiry: 30 }",
                    "hint": "add `deliver: [ { json_file: { path: ..., pointer: /pat } } ]` (or `dotenv_file`, `toml_file`, `file`, `command`)"
                }
            ]
        }),
        "{out:?}"
    );
}

#[test]
fn the_json_report_shows_related_places_and_omits_absent_fields() {
    let out = validate(
        "pats.yaml",
        "version: 1\nusers:\n  alice: {}\n  ALICE: {}\n",
        &["--format", "json"],
    );
    out.assert_code(1);
    let report = out.json();
    assert_eq!(
        report["diagnostics"][0]["related"],
        json!([{ "line": 3, "column": 3, "label": "first declared here" }]),
        "{out:?}"
    );

    let empty = validate("pats.yaml", "", &["--format", "json"]);
    empty.assert_code(1);
    let diagnostic = &empty.json()["diagnostics"][0];
    let keys: Vec<&str> = diagnostic
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["rule", "severity", "message", "path", "hint"],
        "{empty:?}"
    );

    let clean = validate("pats.yaml", "version: 1\n", &["--format", "json"]);
    clean.assert_code(0);
    assert_eq!(
        clean.json(),
        json!({ "format_version": 1, "file": "pats.yaml", "valid": true, "errors": 0,
                "warnings": 0, "diagnostics": [] })
    );
}

#[test]
fn bad_input_of_every_kind_gets_a_clear_message_and_exit_1() {
    // (what, the file, a line of the report, how many errors)
    let cases: &[(&str, &[u8], &str, usize)] = &[
        (
            "empty",
            b"",
            "× empty-file: the file holds no YAML document (it is empty or only comments)",
            1,
        ),
        (
            "comments only",
            b"# version: 1\n# users: {}\n",
            "× empty-file: the file holds no YAML document",
            1,
        ),
        (
            "an empty document",
            b"---\n",
            "× empty-file: the file's document is empty",
            1,
        ),
        (
            "binary",
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\xff\xfe\x1b[2J",
            "× yaml-syntax: the file is not UTF-8 text: byte 0xff at offset 12 is not valid UTF-8",
            1,
        ),
        (
            "Latin-1 text",
            b"version: 1\nusers:\n  CAF\xc9: {}\n",
            "× yaml-syntax: the file is not UTF-8 text: byte 0xc9 at offset 23",
            1,
        ),
        ("not YAML", b"{{{: ]]\n", "× yaml-syntax: invalid YAML", 1),
        (
            "prose",
            b"Please validate my tokens.\n",
            "× wrong-type: the file is a string, not a mapping",
            1,
        ),
        (
            "a list",
            b"- version: 1\n- users: {}\n",
            "× wrong-type: the file is a list, not a mapping",
            1,
        ),
        (
            "a number",
            b"42\n",
            "× wrong-type: the file is a number, not a mapping",
            1,
        ),
        (
            "an anchor and an alias",
            b"version: &v 1\nx: *v\n",
            "× yaml-unsupported: YAML anchors and aliases (`&name`, `*name`) are not supported",
            2,
        ),
        (
            "a merge key",
            b"version: 1\nusers:\n  U:\n    <<: { comment: shared }\n",
            "× yaml-unsupported: YAML merge keys (`<<`) are not supported",
            1,
        ),
        (
            "a tag",
            b"version: !!int 1\n",
            "× yaml-unsupported: YAML tags (`!tag`) are not supported",
            1,
        ),
        (
            "two documents",
            b"version: 1\n---\nversion: 1\n",
            "× yaml-unsupported: the file holds more than one YAML document",
            1,
        ),
        (
            "a wrong version",
            b"version: 2\n",
            "× invalid-value: `version` is 2; this pat-reconcile reads 1",
            1,
        ),
    ];
    for (what, contents, message, errors) in cases {
        let out = validate("pats.yaml", contents, &[]);
        out.assert_code(1);
        assert!(
            out.stdout.contains(message),
            "{what}: no `{message}`:\n{out:?}"
        );
        let summary = match errors {
            1 => "pats.yaml: 1 error\n".to_owned(),
            n => format!("pats.yaml: {n} errors\n"),
        };
        assert!(out.stdout.ends_with(&summary), "{what}:\n{out:?}");
        assert!(
            !out.stdout.contains('\x1b'),
            "{what}: a control character reached the terminal:\n{out:?}"
        );
    }
}

#[test]
fn deep_nesting_is_refused_without_a_crash() {
    let depth = 100_000;
    let text = format!(
        "version: 1\nx: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let out = validate("pats.yaml", &text, &["--format", "json"]);
    out.assert_code(1);
    let report = out.json();
    let finding = &report["diagnostics"][0];
    assert_eq!(finding["rule"], "yaml-syntax", "{out:?}");
    assert_eq!(finding["message"], "invalid YAML: recursion limit exceeded");
    assert_eq!(
        finding["hint"],
        "pats.yaml nests a few levels deep; this file nests deeper than the YAML parser allows"
    );
    // The one long line is not echoed whole.
    let line = finding["source_line"].as_str().expect("a source line");
    assert!(line.chars().count() <= 242 && line.ends_with('…'), "{line}");
}

#[test]
fn a_file_over_32_mib_is_refused_unread() {
    let cli = Cli::new().args(["validate", "-f", "big.yaml"]);
    // A sparse 50 MiB file: the size alone must refuse it, without reading it.
    let file = std::fs::File::create(cli.dir().join("big.yaml")).expect("create big.yaml");
    file.set_len(50 * 1024 * 1024).expect("size big.yaml");
    let out = cli.run();
    out.assert_code(1);
    assert!(
        out.stdout.contains(
            "× file-too-large: the file is 50.0 MiB; pat-reconcile reads files up to 32 MiB"
        ),
        "{out:?}"
    );
}

#[test]
fn a_file_that_cannot_be_read_is_an_error_that_names_it() {
    for (args, path) in [
        (vec!["validate", "-f", "missing.yaml"], "missing.yaml"),
        (
            vec!["validate", "-f", "missing.yaml", "--format", "json"],
            "missing.yaml",
        ),
        (vec!["validate"], "pats.yaml"),
        (vec!["validate", "-f", "."], "."),
    ] {
        let out = Cli::new().args(args).run();
        out.assert_code(1);
        assert_eq!(out.stdout, "", "{out:?}");
        assert!(
            out.stderr
                .starts_with(&format!("error: cannot read `{path}`\n  caused by: ")),
            "{out:?}"
        );
    }
    let missing = Cli::new().args(["validate", "-f", "missing.yaml"]).run();
    assert!(
        missing.stderr.ends_with(
            "\nhint: pass the file with `-f PATH`, or start from `examples/minimal.yaml`\n"
        ),
        "{missing:?}"
    );
}

#[test]
fn a_secret_is_reported_but_never_echoed_whole() {
    // Built at run time so that no secret-shaped literal sits in the repository.
    let secret = format!("ver:1-hint:{}-{}", 4821, "Q2hlY2tUaGlzSXNOb3RBUmVhbFRva2Vu");
    let text =
        format!("version: 1\nusers:\n  U:\n    comment: {secret}\n    roles: [\"{secret}\"]\n");
    for format in ["text", "json"] {
        let out = validate("pats.yaml", &text, &["--format", format]);
        out.assert_code(1);
        assert!(out.stdout.contains("secret-in-file"), "{out:?}");
        assert!(out.stdout.contains("ver:"), "{out:?}");
        assert!(
            !out.stdout.contains(&secret),
            "{format} echoes the secret:\n{out:?}"
        );
        assert!(!out.stderr.contains(&secret), "{out:?}");
    }
    let report = validate("pats.yaml", &text, &["--format", "json"]).json();
    assert_eq!(
        positions(&report),
        [
            ("secret-in-file".to_owned(), Some((4, 14))),
            ("invalid-identifier".to_owned(), Some((5, 13))),
            ("secret-in-file".to_owned(), Some((5, 14))),
        ]
    );
    assert_eq!(
        report["diagnostics"][0]["message"],
        "this looks like a programmatic access token secret (`ver:…`, 48 characters)"
    );
}

#[test]
fn text_output_shows_the_place_the_line_and_the_hint() {
    let text = std::fs::read_to_string(root().join("examples/invalid-unknown-key.yaml"))
        .expect("the example");
    let out = validate("pats.yaml", text, &[]);
    out.assert_code(1);
    insta::assert_snapshot!(out.stdout);
}

/// Corrections 2: `OPTIONAL` was retired by the 2025_06 bundle; the error says where, why and
/// what to write instead.
#[test]
fn a_retired_mfa_enrollment_value_is_refused_with_a_hint() {
    let out = validate(
        "pats.yaml",
        "version: 1\nauthentication_policies:\n  D.S.AP:\n    mfa_enrollment: OPTIONAL\n",
        &[],
    );
    out.assert_code(1);
    // The human report wraps lines; compare without the wrapping.
    let text: String = out
        .stdout
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        "invalid-value: `OPTIONAL` is not a valid `mfa_enrollment`; expected one of `REQUIRED`, `REQUIRED_PASSWORD_ONLY`",
        "[pats.yaml:4:21]",
        "bcr-2097",
        "leave `mfa_enrollment` out",
    ] {
        assert!(text.contains(want), "no {want:?} in {out:?}");
    }
}

/// Corrections 15: AWS account IDs are 12 digits, issuers are URLs.
#[test]
fn workload_identity_lists_are_checked() {
    let out = validate(
        "pats.yaml",
        "version: 1\nauthentication_policies:\n  D.S.AP:\n    workload_identity_policy:\n      allowed_aws_accounts: [\"12345\", \"123456789012\"]\n      allowed_oidc_issuers: [token.actions.githubusercontent.com, \"https://ok.example\"]\n",
        &["--format", "json"],
    );
    out.assert_code(1);
    let places: Vec<String> = positions(&out.json())
        .into_iter()
        .map(|(rule, at)| format!("{rule} {at:?}"))
        .collect();
    assert_eq!(
        places,
        ["invalid-value Some((5, 30))", "invalid-value Some((6, 30))"],
        "{out:?}"
    );
}

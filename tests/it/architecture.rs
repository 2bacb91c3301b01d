//! The module map of `ARCHITECTURE.md`, kept true: which top-level module of `src/` may name
//! which other (`crate::…` paths), and that only the CLI prints and parses flags (clap).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each module may use besides itself. The pure core (`model`, `sql`, `plan`) never reaches
/// an edge; the sandbox names nothing of the product, so it cannot share its assumptions.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("sql", &["model"]),
    ("config", &["model", "secrets"]),
    ("plan", &["model", "sql"]),
    ("secrets", &["model"]),
    ("snowflake", &["config", "model", "secrets", "sql"]),
    ("apply", &["model", "plan", "secrets", "snowflake", "sql"]),
    ("sandbox", &[]),
    (
        "cli",
        &[
            "apply",
            "config",
            "model",
            "plan",
            "sandbox",
            "secrets",
            "snowflake",
            "sql",
        ],
    ),
];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file without its `#[cfg(test)]` module (tests may reach further) and without
/// comments, which may name anything.
fn code(text: &str) -> String {
    let without_tests = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    without_tests
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every top-level module a file names through `crate::`, including inside `crate::{a::X, b}`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The first name of each item at the group's own depth.
            let mut depth = 0;
            let mut start_of_item = true;
            let mut name = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start_of_item = true,
                    c if start_of_item && (c.is_ascii_alphanumeric() || c == '_') => name.push(c),
                    _ if start_of_item && !name.is_empty() => {
                        out.insert(std::mem::take(&mut name));
                        start_of_item = false;
                    }
                    _ => {}
                }
            }
            if !name.is_empty() {
                out.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

#[test]
fn modules_name_only_what_the_map_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut faults = Vec::new();
    for (module, may) in &allowed {
        for file in rust_files(&src.join(module)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for named in named_modules(&code(&text)) {
                if named != *module && !may.contains(&named.as_str()) {
                    faults.push(format!(
                        "{} names crate::{named}",
                        file.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    // Every module of `src/` is on the map.
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !allowed.contains_key(name.as_str()) {
                faults.push(format!("src/{name} is not on the module map"));
            }
        }
    }
    assert!(
        faults.is_empty(),
        "ARCHITECTURE.md's import rules are broken:\n{}",
        faults.join("\n")
    );
}

#[test]
fn only_the_cli_prints_and_knows_clap() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut faults = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        if relative.starts_with("cli") || relative == Path::new("main.rs") {
            continue;
        }
        let code = code(&std::fs::read_to_string(&file).unwrap());
        for macro_name in ["println!", "eprintln!", "print!(", "eprint!(", "clap::"] {
            if code.contains(macro_name) {
                faults.push(format!("{} uses {macro_name}", relative.display()));
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn the_map_reads_names_in_groups_and_paths() {
    let found =
        named_modules("use crate::{model::X, plan::{a, b}};\nlet x = crate::sql::quote::ident(y);");
    assert_eq!(
        found,
        ["model", "plan", "sql"]
            .map(str::to_owned)
            .into_iter()
            .collect()
    );
    assert!(code("// crate::cli\nfn f() {}").find("crate::").is_none());
}

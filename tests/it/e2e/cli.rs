//! The command line talking back: shell completions, the manual page, `--version` naming the
//! commit, and `--help` offering no flag the command then refuses. The progress display on a
//! terminal is in `e2e::terminal`.

use std::process::Command;

use crate::support::Cli;

/// The subcommands a user would expect completion and the manual page to know.
const SUBCOMMANDS: &[&str] = &[
    "validate",
    "schema",
    "plan",
    "apply",
    "status",
    "verify",
    "import",
    "snapshot",
    "sandbox",
    "completions",
    "man",
];

#[test]
fn bash_completion_is_a_valid_script_that_completes_the_subcommands() {
    let out = Cli::new().args(["completions", "bash"]).run().success();
    for sub in SUBCOMMANDS {
        assert!(
            out.stdout.contains(sub),
            "{sub} missing from\n{}",
            out.stdout
        );
    }
    // Source it in a real bash and ask it to complete `pat-reconcile pl`.
    let script = format!(
        "{}\nCOMP_WORDS=(pat-reconcile pl); COMP_CWORD=1; COMP_LINE='pat-reconcile pl'; \
         COMP_POINT=${{#COMP_LINE}}; _pat__reconcile pat-reconcile pl pat-reconcile; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        out.stdout
    );
    let bash = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .output()
        .expect("run bash");
    let replies = String::from_utf8_lossy(&bash.stdout);
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    assert_eq!(replies.lines().collect::<Vec<_>>(), ["plan"], "{replies}");
}

#[test]
fn completions_exist_for_the_other_shells_and_an_unknown_shell_is_refused() {
    for (shell, marker) in [
        ("zsh", "#compdef pat-reconcile"),
        ("fish", "complete -c pat-reconcile"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[pat-reconcile]"),
    ] {
        let out = Cli::new().args(["completions", shell]).run().success();
        assert!(out.stdout.contains(marker), "{shell}: {}", out.stdout);
    }
    let out = Cli::new().args(["completions", "tcsh"]).run().failure();
    assert!(out.stderr.contains("invalid value 'tcsh'"), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
}

#[test]
fn man_writes_a_roff_page_with_every_subcommand() {
    let out = Cli::new().arg("man").run().success();
    let first = out
        .stdout
        .lines()
        .find(|l| l.starts_with(".TH"))
        .unwrap_or_default();
    assert!(first.starts_with(".TH pat-reconcile 1"), "{}", out.stdout);
    assert!(first.contains(env!("CARGO_PKG_VERSION")), "{first}");
    assert!(out.stdout.contains(".SH NAME"), "{}", out.stdout);
    assert!(out.stdout.contains(".SH SUBCOMMANDS"), "{}", out.stdout);
    for sub in SUBCOMMANDS {
        assert!(
            out.stdout.contains(&format!("pat\\-reconcile\\-{sub}(1)")),
            "{sub} missing from\n{}",
            out.stdout
        );
    }
    assert!(out.stderr.is_empty(), "{out:?}");
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = Cli::new().arg("--version").run().success();
    let line = out.stdout.trim_end();
    let commit = line
        .strip_prefix(&format!(
            "pat-reconcile {} (commit ",
            env!("CARGO_PKG_VERSION")
        ))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected --version: {line:?}"));
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit:?}"
    );
    // Built from a git checkout with git at hand (a developer, CI's clean clone): its HEAD when
    // the build ran, so HEAD or an ancestor of it (a commit made while the tests ran moves HEAD).
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(head) = head.ok().filter(|h| h.status.success()) {
        let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
        let ancestor = Command::new("git")
            .args(["merge-base", "--is-ancestor", commit, &head])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ancestor,
            "--version names {commit}, not HEAD ({head}) or an ancestor"
        );
    }
}

/// The long flags `pat-reconcile <sub> --help` lists, each with whether it takes a value
/// (`--file <FILE>`) or is a switch (`--sandbox`).
fn help_flags(sub: &str) -> Vec<(String, bool)> {
    let out = Cli::new().args([sub, "--help"]).run().success();
    let mut flags = Vec::new();
    for line in out.stdout.lines().map(str::trim_start) {
        if !line.starts_with('-') {
            continue;
        }
        let mut words = line.split_whitespace();
        while let Some(word) = words.next() {
            let word = word.trim_end_matches(',');
            if let Some(name) = word.strip_prefix("--") {
                let takes_value = words.next().is_some_and(|w| w.starts_with('<'));
                flags.push((format!("--{name}"), takes_value));
                break;
            }
        }
    }
    assert!(
        flags.iter().any(|(f, _)| f == "--help"),
        "no flags parsed from {out:?}"
    );
    flags
}

#[test]
fn apply_help_offers_no_sandbox_flag_and_plan_help_still_does() {
    let apply = help_flags("apply");
    assert!(
        !apply.iter().any(|(f, _)| f == "--sandbox"),
        "apply --help lists --sandbox: {apply:?}"
    );
    // apply keeps the rest of the source flags.
    for flag in ["--concurrency", "--quiet", "--connection", "--account"] {
        assert!(apply.iter().any(|(f, _)| f == flag), "{flag}: {apply:?}");
    }
    // Given anyway, clap refuses it as an unknown argument before anything runs.
    let out = Cli::new()
        .args(["apply", "--sandbox", "--auto-approve"])
        .run()
        .failure();
    assert!(
        out.stderr.contains("unexpected argument '--sandbox'"),
        "{out:?}"
    );
    assert!(out.stdout.is_empty(), "{out:?}");

    for sub in ["plan", "status", "snapshot", "import"] {
        let flags = help_flags(sub);
        assert!(
            flags.iter().any(|(f, v)| f == "--sandbox" && !v),
            "{sub} --help lacks --sandbox: {flags:?}"
        );
    }
}

/// Arguments a subcommand cannot run without, given before the switch under test.
fn required(sub: &str) -> &'static [&'static str] {
    match sub {
        "snapshot" => &["--out", "-"],
        "completions" => &["bash"],
        _ => &[],
    }
}

/// Every switch of every subcommand's `--help`, given alone (with the arguments the command
/// needs, in a directory with the shipped `pats.yaml` and no connection settings): the command
/// may fail for want of an account, but never with an error that names the switch, as
/// `apply --sandbox` did (`` `apply --sandbox` would apply to a sandbox that ends with the
/// command``). `sandbox` is left out: its switches start a server that runs until stopped.
/// Switches that take a value, and combinations (`--live-state` with `--sandbox`, a conflict
/// rather than a refused flag), are beyond this walk.
#[test]
fn no_subcommand_offers_a_switch_it_then_refuses() {
    let pats = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pats.yaml")).unwrap();
    let mut walked = 0;
    for sub in SUBCOMMANDS.iter().filter(|s| **s != "sandbox") {
        for (flag, takes_value) in help_flags(sub) {
            if takes_value || flag == "--help" || flag == "--version" {
                continue;
            }
            let out = Cli::new()
                .file("pats.yaml", &pats)
                .arg(sub)
                .args(required(sub))
                .arg(&flag)
                .run();
            walked += 1;
            let refusal = out
                .stderr
                .lines()
                .filter(|l| l.starts_with("error"))
                .find(|l| {
                    l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                        .any(|w| w == flag)
                });
            assert!(
                refusal.is_none(),
                "`{sub} {flag}` is in --help but refused: {out:?}"
            );
        }
    }
    // plan, status, import, snapshot, apply and verify each have several switches.
    assert!(walked >= 15, "only {walked} switches walked");
}

/// The `sh` blocks of the README, each with the heading of the section it is in.
fn readme_sh_blocks() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut heading = String::new();
    let mut block: Option<String> = None;
    for line in readme.lines() {
        match &mut block {
            Some(text) if line.starts_with("```") => {
                blocks.push((heading.clone(), std::mem::take(text)));
                block = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None if line == "```sh" => block = Some(String::new()),
            None if line.starts_with("## ") => heading = line[3..].to_owned(),
            None => {}
        }
    }
    blocks
}

/// The logical lines of a shell block (`\` continuations joined), each without its comment,
/// with what the comment says the exit status is (`# exit 2: ...`, `(exit 1)`), if anything.
fn shell_lines(block: &str) -> Vec<(String, Option<i32>)> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    for raw in block.lines() {
        if let Some(continued) = raw.strip_suffix('\\') {
            pending.push_str(continued);
            continue;
        }
        pending.push_str(raw);
        let line = std::mem::take(&mut pending);
        let (command, comment) = match line.find(" #").or(line.starts_with('#').then_some(0)) {
            Some(at) => (line[..at].trim().to_owned(), &line[at..]),
            None => (line.trim().to_owned(), ""),
        };
        let exit = comment
            .split("exit ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok());
        if !command.is_empty() {
            lines.push((command, exit));
        }
    }
    lines
}

#[test]
fn every_readme_command_names_a_real_subcommand_and_its_flags_and_one_build_profile() {
    let mut checked = 0;
    let mut helps: std::collections::HashMap<String, Vec<(String, bool)>> = Default::default();
    for (heading, block) in readme_sh_blocks() {
        for (line, _) in shell_lines(&block) {
            assert!(
                !line.contains("cargo run"),
                "`{line}` in `{heading}`: the README installs once and runs `pat-reconcile`"
            );
            // Each `pat-reconcile ...` of the line, up to a pipe, redirection or separator.
            for part in line.split(['|', ';', '&', '>', '<']) {
                let mut words = part
                    .split_whitespace()
                    .skip_while(|w| *w != "pat-reconcile")
                    .skip(1);
                let Some(sub) = words.next() else { continue };
                if sub == "--version" || sub == "--help" {
                    continue;
                }
                assert!(
                    SUBCOMMANDS.contains(&sub),
                    "`{line}` in `{heading}`: no subcommand `{sub}`"
                );
                let flags = helps
                    .entry(sub.to_owned())
                    .or_insert_with(|| help_flags(sub));
                for word in words.filter(|w| w.starts_with("--")) {
                    let flag = word.split('=').next().unwrap_or(word);
                    assert!(
                        flags.iter().any(|(f, _)| f == flag),
                        "`{line}` in `{heading}`: `{sub} --help` has no `{flag}`"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} README commands found");
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Copies `from` into `to`, recursively.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The quick start as a newcomer types it, block after block in one checkout (a copy of
/// `pats.yaml` and `examples/`), with `pat-reconcile` on `PATH` as `cargo install` leaves it (the
/// install line itself is not run) and the sandbox's port replaced by a free one: every command
/// exits as its comment says (0 when it says nothing), `kill %1` stops the background sandbox
/// cleanly, its port is closed afterwards, and no new secret is ever printed.
#[test]
fn the_readme_quick_start_runs_as_written() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let checkout = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("pats.yaml"), checkout.path().join("pats.yaml")).unwrap();
    copy_dir(&root.join("examples"), &checkout.path().join("examples"));
    let port = free_port().to_string();
    let blocks: Vec<String> = readme_sh_blocks()
        .into_iter()
        .filter(|(heading, _)| heading == "Quick start")
        .map(|(_, block)| block)
        .collect();
    assert!(
        blocks.iter().any(|b| b.contains("sandbox --demo")),
        "{blocks:?}"
    );
    // One script: every command followed by a marker with its exit status.
    let mut script = String::from("set -m\n");
    let mut expected = Vec::new();
    for block in &blocks {
        for (line, exit) in shell_lines(block) {
            if line.starts_with("cargo install") {
                continue;
            }
            let line = line.replace("8765", &port);
            if line.ends_with('&') || line.starts_with("export ") || line.starts_with("sleep ") {
                script.push_str(&line);
                script.push('\n');
                continue;
            }
            let n = expected.len();
            script.push_str(&format!("{line}\necho \"README-EXIT {n} $?\"\n"));
            expected.push((line, exit.unwrap_or(0)));
        }
    }
    script.push_str("wait\necho \"README-WAIT $?\"\n");

    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_pat-reconcile"))
        .parent()
        .unwrap()
        .to_owned();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut command = Command::new("timeout");
    command
        .args(["300", "bash", "--norc", "--noprofile", "-c", &script])
        .current_dir(checkout.path())
        .stdin(std::process::Stdio::null())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("SNOWFLAKE_HOME", checkout.path().join(".snowflake"))
        .env_remove("PAT_RECONCILE_LOG");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SNOWFLAKE_") {
            command.env_remove(&name);
        }
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let transcript = format!("--- script\n{script}--- stdout\n{stdout}--- stderr\n{stderr}");
    let exits: Vec<i32> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("README-EXIT "))
        .filter_map(|l| l.split_once(' ')?.1.parse().ok())
        .collect();
    assert_eq!(exits.len(), expected.len(), "{transcript}");
    for ((line, want), got) in expected.iter().zip(&exits) {
        assert_eq!(
            got, want,
            "`{line}` exited {got}, the README says {want}\n{transcript}"
        );
    }
    // The background sandbox ended on `kill %1`, cleanly, and its port is free again.
    assert!(
        stdout.contains("sandbox listening on http://127.0.0.1:"),
        "{transcript}"
    );
    assert!(stdout.contains("README-WAIT 0"), "{transcript}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_err(),
        "{transcript}"
    );
    // The flow delivered the new secrets to their files and printed neither.
    let config = std::fs::read_to_string(checkout.path().join("snowflake_config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    let streaming = config["pat"].as_str().unwrap_or_default().to_owned();
    let backfill = std::fs::read_to_string(checkout.path().join("backfill.env")).unwrap();
    let backfill = backfill
        .lines()
        .find_map(|l| l.strip_prefix("SNOWFLAKE_TOKEN="))
        .unwrap_or_default()
        .trim_matches(['"', '\''])
        .to_owned();
    for secret in [&streaming, &backfill] {
        assert!(secret.len() > 20, "{config} {backfill}");
        assert!(!stdout.contains(secret.as_str()), "{transcript}");
        assert!(!stderr.contains(secret.as_str()), "{transcript}");
    }
    assert!(stdout.contains("No changes."), "{transcript}");
}

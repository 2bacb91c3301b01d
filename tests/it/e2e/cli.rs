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

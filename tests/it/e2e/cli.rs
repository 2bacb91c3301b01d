//! The command line talking back: shell completions, the manual page, `--version` naming the
//! commit, and the progress display (on a terminal, through a pty; none when piped).

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
    // Built from a git checkout with git at hand (a developer, CI's clean clone): its HEAD.
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(head) = head.ok().filter(|h| h.status.success()) {
        assert_eq!(commit, String::from_utf8_lossy(&head.stdout).trim());
    }
}

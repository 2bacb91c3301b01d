//! The command line talking back: shell completions, the manual page, `--version` naming the
//! commit, and the progress display (on a terminal, through a pty; none when piped).

use std::process::Command;

use serde_json::json;

use super::support::Account;
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

/// Runs `pat-reconcile <args>` against `account` as ADMIN with stdout and stderr on a pty
/// (`script`), as a user at a terminal sees it; returns the exit code and what the terminal got.
fn on_a_terminal(account: &Account, args: &str) -> (Option<i32>, String) {
    let url = account.sandbox.url();
    let port = url.rsplit(':').next().unwrap_or_default().to_owned();
    let bin = env!("CARGO_BIN_EXE_pat-reconcile");
    let mut command = Command::new("script");
    command
        .args(["-qfec", &format!("{bin} {args}"), "/dev/null"])
        .current_dir(account.dir.path())
        .stdin(std::process::Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SNOWFLAKE_") {
            command.env_remove(&name);
        }
    }
    command
        .env_remove("PAT_RECONCILE_LOG")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("SNOWFLAKE_HOME", account.dir.path().join(".snowflake"))
        .env("SNOWFLAKE_ACCOUNT", account.sandbox.account())
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", port)
        .env("SNOWFLAKE_PROTOCOL", "http")
        .env("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN")
        .env("SNOWFLAKE_TOKEN", account.sandbox.admin_token())
        .env("SNOWFLAKE_USER", "ADMIN");
    let out = command.output().expect("run script (util-linux)");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The first statement of the next run is answered 503 once, then everything runs.
fn first_statement_refused_once(account: &Account) {
    account.faults(json!({ "next": ["503"] }));
}

const RETRY_LINE: &str = "retrying a statement after HTTP 503 (attempt 2 of 6, request ";

#[test]
fn on_a_terminal_plan_shows_a_progress_bar_and_the_retry_above_it() {
    let account = Account::shipped();
    first_statement_refused_once(&account);
    let (code, screen) = on_a_terminal(&account, "plan");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains(RETRY_LINE), "{screen}");
    // The bar: redrawn in place (carriage return, erase line), counting statements of a total
    // that grows as the second round of reads becomes known.
    assert!(screen.contains("reading live state ["), "{screen}");
    assert!(screen.contains("\r\x1b[2K"), "{screen:?}");
    let counts: Vec<(u64, u64)> = screen
        .split("] ")
        .filter_map(|s| s.split_once(" statements"))
        .filter_map(|(n, _)| n.split_once('/'))
        .filter_map(|(d, t)| Some((d.trim().parse().ok()?, t.trim().parse().ok()?)))
        .collect();
    assert!(counts.iter().all(|(d, t)| d <= t), "{counts:?}");
    assert!(counts.iter().any(|(d, _)| *d > 0), "{screen}");
    // The plan itself follows, and the bar is gone from the last line it drew on.
    assert!(screen.contains("Plan for account"), "{screen}");
    let after_bar = screen.rsplit("\r\x1b[2K").next().unwrap_or_default();
    assert!(after_bar.starts_with("Plan for account"), "{after_bar}");
}

#[test]
fn piped_plan_has_no_progress_bar_only_a_plain_line_per_retry() {
    let account = Account::shipped();
    first_statement_refused_once(&account);
    let run = account.cli(&["plan"]).success();
    let retries: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("retrying"))
        .collect();
    assert_eq!(retries.len(), 1, "{run:?}");
    assert!(retries[0].starts_with(RETRY_LINE), "{run:?}");
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains('\r'), "{run:?}");
        assert!(!output.contains('\x1b'), "{run:?}");
        assert!(!output.contains("reading live state"), "{run:?}");
        assert!(!output.contains(" statements"), "{run:?}");
    }
}

#[test]
fn quiet_shows_neither_bar_nor_retry_line_on_a_terminal_or_piped() {
    let account = Account::shipped();
    first_statement_refused_once(&account);
    let (code, screen) = on_a_terminal(&account, "plan --quiet");
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains("retrying"), "{screen}");
    assert!(!screen.contains("reading live state"), "{screen}");
    assert!(screen.contains("Plan for account"), "{screen}");

    first_statement_refused_once(&account);
    let run = account.cli(&["plan", "-q"]).success();
    assert!(!run.stderr.contains("retrying"), "{run:?}");
    assert!(!run.stderr.contains("reading live state"), "{run:?}");
    // The same fault without --quiet shows its line (the piped test above): here it is silent.
    assert!(run.stdout.contains("Plan for account"), "{run:?}");
}

#[test]
fn apply_on_a_terminal_shows_a_bar_that_is_gone_before_the_summary_and_piped_shows_none() {
    // Slow enough statements that the bar is drawn while a secret is being delivered.
    let account = Account::shipped_with(pat_reconcile::sandbox::SandboxConfig {
        latency: std::time::Duration::from_millis(150),
        ..pat_reconcile::sandbox::SandboxConfig::default()
    });
    let (code, screen) = on_a_terminal(&account, "apply --auto-approve --allow-destroy");
    assert_eq!(code, Some(0), "{screen}");
    // `applying 12 changes [====>    ] 5/12 statements 0s delivering user.U.token.T`
    let spinner = screen
        .find("applying ")
        .unwrap_or_else(|| panic!("{screen}"));
    let line = &screen[spinner..];
    let (changes, rest) = line
        .strip_prefix("applying ")
        .and_then(|l| l.split_once(" changes ["))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(changes.parse::<u32>().is_ok_and(|n| n > 0), "{line}");
    let (_, counts) = rest.split_once("] ").unwrap_or_else(|| panic!("{line}"));
    let (done, total) = counts
        .split_once(" statements")
        .and_then(|(c, _)| c.split_once('/'))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        done.parse::<u32>().is_ok() && total.parse::<u32>().is_ok_and(|n| n > 0),
        "{line}"
    );
    // The shipped plan mints two secrets: the bar names a token while it is delivered.
    assert!(screen.contains("delivering user."), "{screen:?}");
    let summary = screen
        .find("Apply complete")
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(spinner < summary, "{screen}");
    // The spinner's last frame is erased before the summary lines.
    assert!(screen[spinner..summary].contains("\r\x1b[2K"), "{screen:?}");

    // The same apply piped, on a fresh account: the summary lines and nothing redrawn.
    let fresh = Account::shipped();
    let piped = fresh
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    assert!(piped.stderr.contains("Apply complete"), "{piped:?}");
    for output in [&piped.stdout, &piped.stderr] {
        assert!(!output.contains("applying "), "{piped:?}");
        assert!(!output.contains('\r'), "{piped:?}");
        assert!(!output.contains('\x1b'), "{piped:?}");
    }
}

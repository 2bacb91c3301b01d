//! Issue 14, "Leaks" and sink deadlines: the real binary applying against the sandbox, checked
//! for what a consumer's command sees, for any form of a secret in every output, and for sinks
//! that would block apply forever.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use super::support::{Account, THERMAL_PAT};
use crate::support::{Cli, Output};

fn apply(account: &Account) -> Output {
    account.cli(&["apply", "--auto-approve", "--allow-destroy"])
}

/// Runs `f` on a thread and fails the test if it takes longer than `bound` (a hang would
/// otherwise hold the test binary forever).
#[track_caller]
fn within<T: Send + 'static>(bound: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(bound)
        .unwrap_or_else(|_| panic!("apply did not finish within {bound:?}"))
}

// Split so that secret scanners do not mistake the test values for leaked credentials.
const DEPLOYER_PWD: &str = concat!("deployer-key-", "passphrase-7f3a");
const AWS_KEY: &str = concat!("wJalrXUtnFEMI", "/K7MDENG/bPxRfiCYEXAMPLEKEY");

#[test]
fn a_command_sink_sees_only_path_home_our_variables_and_its_allow_list() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(
        r#"{ command: { argv: ["sh", "-c", "cat > /dev/null; env > env_seen"], env: [VAULT_ADDR] } }"#,
    );
    let admin = account.sandbox.admin_token().to_owned();
    let run = account
        .cli_env(
            &["apply", "--auto-approve", "--allow-destroy"],
            &[
                ("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN"),
                ("SNOWFLAKE_TOKEN", &admin),
                ("SNOWFLAKE_USER", "ADMIN"),
                ("SNOWFLAKE_PRIVATE_KEY_FILE_PWD", DEPLOYER_PWD),
                ("AWS_SECRET_ACCESS_KEY", AWS_KEY),
                ("VAULT_ADDR", "https://vault.example:8200"),
            ],
        )
        .success();
    let seen = account.read("env_seen");
    for name in [
        "SNOWFLAKE_TOKEN",
        "SNOWFLAKE_PRIVATE_KEY_FILE_PWD",
        "SNOWFLAKE_ACCOUNT",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        assert!(!seen.contains(name), "the command saw {name}:\n{seen}");
    }
    for value in [admin.as_str(), DEPLOYER_PWD, AWS_KEY] {
        assert!(
            !seen.contains(value),
            "the command saw a credential:\n{seen}"
        );
    }
    assert!(
        seen.contains("VAULT_ADDR=https://vault.example:8200\n"),
        "{seen}\n{run:?}"
    );
    assert!(
        seen.contains("PAT_RECONCILE_USER=THERMAL_STREAMING_USER\n"),
        "{seen}"
    );
    assert!(seen.contains("PAT_RECONCILE_TOKEN=THERMAL_PAT\n"), "{seen}");
    assert!(seen.contains("PATH="), "{seen}");
}

#[test]
fn a_failing_command_that_echoes_the_raw_token_leaks_it_nowhere() {
    let account = Account::shipped();
    // The sink writes `Bearer <secret>`; the consumer prints the raw token, half of it, and
    // 50 MB of noise to stderr, then fails.
    account.thermal_also_delivers_to(
        r#"{ command: { argv: ["sh", "-c", "read v; t=${v#Bearer }; echo \"refused token $t\" >&2; echo \"prefix $(printf %s \"$t\" | cut -c1-40)\" >&2; head -c 52428800 /dev/zero | tr '\\0' x >&2; exit 1"], format: "Bearer {secret}" } }"#,
    );
    let run = apply(&account).failure();
    let secret = account.thermal_secret();
    assert_eq!(account.whoami(&secret).unwrap().0, "THERMAL_STREAMING_USER");
    let rescue = account.rescue_files();
    assert_eq!(rescue.len(), 1, "{run:?}");
    assert_eq!(std::fs::read_to_string(&rescue[0]).unwrap().trim(), secret);

    assert!(run.stderr.contains("refused token [redacted]"), "{run:?}");
    assert!(
        run.stderr.contains("more bytes of error output dropped"),
        "{run:?}"
    );
    // The kept error output is capped: 4 KiB of it and a little context, not 50 MB.
    assert!(
        run.stderr.len() < 64 * 1024,
        "{} bytes of stderr",
        run.stderr.len()
    );
    let journal = account.read(".pat-reconcile/journal.jsonl");
    assert!(
        journal.len() < 64 * 1024,
        "{} bytes of journal",
        journal.len()
    );
    let failed = account
        .delivery_lines()
        .into_iter()
        .find(|l| l["address"] == THERMAL_PAT && l["delivery"] == "failed")
        .unwrap();
    assert!(
        failed["error_message"]
            .as_str()
            .unwrap()
            .contains("refused token [redacted]"),
        "{failed}"
    );
    let everything = format!("{}\n{}", run.all(), account.all_files_text());
    let tail = &secret[secret.len() - 40..];
    for form in [secret.as_str(), &secret[..40], tail] {
        assert!(
            !everything.contains(form),
            "a form of the secret leaked: {form}"
        );
    }
}

#[test]
fn a_malformed_connections_toml_is_located_and_never_quoted() {
    let cli = Cli::new();
    let home = cli.dir().join(".snowflake");
    std::fs::create_dir_all(&home).unwrap();
    let token = concat!("ver:1-hint:5", "-SECRETdGhpcyBpcyB0aGUgZGVwbG95ZXI");
    std::fs::write(
        home.join("connections.toml"),
        format!("[prod]\naccount = \"acct\"\ntoken = \"{token}\n"),
    )
    .unwrap();
    let run = cli
        .file("pats.yaml", "version: 1\n")
        .args(["plan", "--connection", "prod"])
        .run()
        .failure();
    assert!(run.stderr.contains("connections.toml"), "{run:?}");
    assert!(run.stderr.contains("at line 3, column "), "{run:?}");
    assert!(!run.all().contains("SECRET"), "{run:?}");
    assert!(!run.all().contains("token ="), "{run:?}");
}

/// A tiny SQL API that answers every request with 200 and a body holding `secret` where a list
/// of rows belongs.
fn malformed_server(secret: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head and the announced body, then answer.
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let body = format!(
                r#"{{"resultSetMetaData": {{"rowType": [{{"name": "name"}}]}}, "data": "{secret}"}}"#
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn a_malformed_response_is_described_without_its_data() {
    let secret = concat!("ver:1-hint:8", "-SECRETbWFsZm9ybWVkIGFuc3dlcg");
    let port = malformed_server(secret).to_string();
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("pats.yaml"), dir.path().join("pats.yaml")).unwrap();
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve", "--allow-destroy"][..],
    ] {
        let run = Cli::in_dir(dir.path())
            .args(args)
            .env("SNOWFLAKE_ACCOUNT", "SANDBOX")
            .env("SNOWFLAKE_HOST", "127.0.0.1")
            .env("SNOWFLAKE_PORT", &port)
            .env("SNOWFLAKE_PROTOCOL", "http")
            .env("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN")
            .env("SNOWFLAKE_TOKEN", "deployer-token")
            .env("SNOWFLAKE_USER", "ADMIN")
            .run()
            .failure();
        assert!(
            run.stderr.contains("unexpected response from the SQL API"),
            "{run:?}"
        );
        assert!(run.stderr.contains("`data`"), "{run:?}");
        assert!(!run.all().contains("SECRET"), "{run:?}");
        assert!(!run.all().contains("ver:1-hint:8"), "{run:?}");
    }
    let mut files = String::new();
    for entry in walk(dir.path()) {
        files.push_str(&std::fs::read_to_string(entry).unwrap_or_default());
    }
    assert!(!files.contains("SECRET"), "{files}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_fifo_at_a_file_sinks_path_does_not_block_apply() {
    let account = Account::shipped();
    let fifo = account.path("token.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    account.thermal_also_delivers_to(r#"{ file: { path: token.fifo } }"#);
    // The preflight before minting sees the FIFO: nothing is minted, nothing blocks. (A FIFO
    // that appears after the preflight is refused by the sink itself without blocking: the
    // sink's unit tests open one for each file sink.)
    let before = account.log().len();
    let (run, account) = within(Duration::from_secs(120), move || {
        let run = apply(&account).failure();
        (run, account)
    });
    assert!(
        run.stderr.contains("token.fifo` is not a regular file"),
        "{run:?}"
    );
    assert!(run.stderr.contains("nothing was changed"), "{run:?}");
    assert_eq!(account.writes_since(before), Vec::<String>::new());
}

#[test]
fn a_command_that_never_reads_stdin_times_out() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(
        r#"{ command: { argv: ["sh", "-c", "sleep 30"], timeout_seconds: 2 } }"#,
    );
    let started = Instant::now();
    let run = within(Duration::from_secs(25), move || apply(&account).failure());
    assert!(
        run.stderr.contains("did not finish within 2 s"),
        "{run:?} after {:?}",
        started.elapsed()
    );
}

#[test]
fn a_command_that_exits_leaving_a_child_on_its_stderr_is_done() {
    let account = Account::shipped();
    account.thermal_also_delivers_to(
        r#"{ command: { argv: ["sh", "-c", "cat > received.txt; (sleep 30 &) ; exit 0"], timeout_seconds: 20 } }"#,
    );
    let (run, account) = within(Duration::from_secs(25), move || {
        let run = apply(&account);
        (run, account)
    });
    let run = run.success();
    assert!(run.stderr.contains("Apply complete"), "{run:?}");
    assert_eq!(account.read("received.txt"), account.thermal_secret());
}

#[test]
fn validate_refuses_sink_settings_that_would_lose_or_misplace_the_secret() {
    let run = Cli::new()
        .file(
            "pats.yaml",
            "version: 1\nusers:\n  U:\n    tokens:\n      T:\n        deliver:\n          - dotenv_file: { path: a.env, key: \"TOKEN\\nEVIL=1\", format: \"Bearer {secrte}\" }\n          - json_file: { path: c.json, pointer: pat }\n",
        )
        .arg("validate")
        .run()
        .failure();
    assert!(run.all().contains("`{secrte}` is not a"), "{run:?}");
    assert!(run.all().contains("is not a variable name"), "{run:?}");
    assert!(run.all().contains("is not a JSON Pointer"), "{run:?}");
    assert!(run.all().contains("3 errors"), "{run:?}");
}

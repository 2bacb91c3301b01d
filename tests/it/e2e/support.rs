//! An account for end-to-end tests: a sandbox on its own thread and runtime, a temporary
//! working directory holding `pats.yaml`, and the real binary run against both over HTTP with a
//! clean environment.

use std::path::{Path, PathBuf};

use pat_reconcile::sandbox::{LogEntry, SandboxConfig, SandboxThread};
use serde_json::{Value, json};

use crate::support::{Cli, Output};

/// The prerequisites the shipped `pats.yaml` does not manage: the schema it lives in and the role.
pub const PREREQUISITES: &[&str] = &[
    "CREATE DATABASE DEMO",
    "CREATE SCHEMA DEMO.DEMO",
    "CREATE ROLE THERMAL_STREAMING_ROLE",
];

/// The fixture private key of key-pair tests.
pub fn key_path() -> String {
    format!(
        "{}/tests/fixtures/keys/rsa_key.p8",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The public key of the fixture key, as `RSA_PUBLIC_KEY` takes it (PEM body, no delimiters).
pub fn public_key() -> String {
    use base64::Engine as _;
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
    let pem = std::fs::read_to_string(key_path()).unwrap();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    let der = key.to_public_key().to_public_key_der().unwrap();
    base64::engine::general_purpose::STANDARD.encode(der.as_bytes())
}

/// An address the shipped network rule (203.0.113.0/24) admits.
pub const GATEWAY_IP: &str = "203.0.113.7";

pub struct Account {
    pub sandbox: SandboxThread,
    pub dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Account {
    /// A fresh sandbox with the prerequisites of the shipped `pats.yaml`, and a directory
    /// holding it and the consumer's `snowflake_config.json`.
    pub fn shipped() -> Self {
        Self::shipped_with(SandboxConfig::default())
    }

    pub fn shipped_with(config: SandboxConfig) -> Self {
        let account = Self::empty_with(config);
        for sql in PREREQUISITES {
            account.seed(sql);
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(root.join("pats.yaml"), account.path("pats.yaml")).unwrap();
        std::fs::copy(
            root.join("snowflake_config.example.json"),
            account.path("snowflake_config.json"),
        )
        .unwrap();
        account
    }

    pub fn empty_with(config: SandboxConfig) -> Self {
        Self::on(SandboxThread::spawn(config).unwrap())
    }

    /// The demo account (`pat-reconcile sandbox --demo`) and an empty directory.
    pub fn demo() -> Self {
        Self::on(pat_reconcile::cli::demo::start().unwrap())
    }

    fn on(sandbox: SandboxThread) -> Self {
        Self {
            sandbox,
            dir: tempfile::tempdir().unwrap(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            http: reqwest::Client::builder()
                .user_agent("pat-reconcile-tests/1")
                .build()
                .unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    #[track_caller]
    pub fn seed(&self, sql: &str) {
        if let Err(e) = self.sandbox.execute_as_admin(sql) {
            panic!("seeding failed: {} {e}\n{sql}", e.code());
        }
    }

    /// Runs the binary in the directory against the sandbox as ADMIN (a bearer token).
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_env(
            args,
            &[
                ("SNOWFLAKE_AUTHENTICATOR", "PROGRAMMATIC_ACCESS_TOKEN"),
                ("SNOWFLAKE_TOKEN", self.sandbox.admin_token()),
                ("SNOWFLAKE_USER", "ADMIN"),
            ],
        )
    }

    /// Runs the binary with the sandbox's address and the given credentials.
    pub fn cli_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let url = self.sandbox.url();
        let port = url.rsplit(':').next().unwrap().to_owned();
        let mut cli = Cli::in_dir(self.dir.path())
            .args(args)
            .env("SNOWFLAKE_ACCOUNT", self.sandbox.account())
            .env("SNOWFLAKE_HOST", "127.0.0.1")
            .env("SNOWFLAKE_PORT", port)
            .env("SNOWFLAKE_PROTOCOL", "http");
        for (k, v) in env {
            cli = cli.env(k, v);
        }
        cli.run()
    }

    /// Runs one statement as a consumer would: with `token`, from `client_ip`. Returns the rows,
    /// or the HTTP status and Snowflake code of the refusal.
    pub fn query_as(
        &self,
        token: &str,
        client_ip: &str,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, (u16, String)> {
        self.runtime.block_on(async {
            let resp = self
                .http
                .post(format!("{}/api/v2/statements", self.sandbox.url()))
                .bearer_auth(token)
                .header("X-Sandbox-Client-Ip", client_ip)
                .json(&json!({ "statement": sql }))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            if status == 200 {
                Ok(serde_json::from_value(body["data"].clone()).unwrap())
            } else {
                Err((status, body["code"].as_str().unwrap_or_default().to_owned()))
            }
        })
    }

    /// `CURRENT_USER()` and `CURRENT_ROLE()` of a session opened with `token` from a gateway.
    pub fn whoami(&self, token: &str) -> Result<(String, String), (u16, String)> {
        let rows = self.query_as(token, GATEWAY_IP, "SELECT CURRENT_USER(), CURRENT_ROLE()")?;
        let row = &rows[0];
        Ok((row[0].clone().unwrap(), row[1].clone().unwrap()))
    }

    /// Schedules exact faults for the next statement submissions.
    pub fn faults(&self, body: Value) {
        self.runtime.block_on(async {
            let resp = self
                .http
                .post(format!("{}/sandbox/v1/faults", self.sandbox.url()))
                .bearer_auth(self.sandbox.admin_token())
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
        });
    }

    pub fn advance_days(&self, days: i64) {
        self.sandbox.advance_clock(chrono::Duration::days(days));
    }

    pub fn advance_hours(&self, hours: i64) {
        self.sandbox.advance_clock(chrono::Duration::hours(hours));
    }

    pub fn log(&self) -> Vec<LogEntry> {
        self.sandbox.statement_log()
    }

    /// The statements after the first `from` log entries that change something (not SHOW,
    /// DESC or SELECT), in order.
    pub fn writes_since(&self, from: usize) -> Vec<String> {
        writes(&self.log()[from..])
    }

    /// The JSON value at `pointer` of a JSON file in the directory.
    pub fn json_at(&self, name: &str, pointer: &str) -> Value {
        let doc: Value = serde_json::from_str(&self.read(name)).unwrap();
        doc.pointer(pointer).cloned().unwrap_or(Value::Null)
    }

    /// The consumer's secret in `snowflake_config.json`.
    pub fn thermal_secret(&self) -> String {
        self.json_at("snowflake_config.json", "/pat")
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Every file the run left in the directory (journal, plan files, outputs), as text.
    pub fn all_files_text(&self) -> String {
        let mut text = String::new();
        for entry in walk(self.dir.path()) {
            if entry
                .file_name()
                .is_some_and(|n| n == "snowflake_config.json" || n == "backfill.env")
            {
                continue;
            }
            if entry.components().any(|c| c.as_os_str() == "rescue") {
                continue;
            }
            if let Ok(t) = std::fs::read_to_string(&entry) {
                text.push_str(&t);
            }
        }
        text
    }
}

/// `plan --detailed-exitcode` exits 0 and says so: the account matches the file.
#[track_caller]
pub fn plan_is_empty(account: &Account) {
    let run = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        run.code,
        Some(0),
        "the plan after apply is not empty: {run:?}"
    );
    assert!(run.stdout.contains("No changes."), "{run:?}");
}

/// The statements of `log` that change something (not SHOW, DESC or SELECT), in order.
pub fn writes(log: &[LogEntry]) -> Vec<String> {
    log.iter()
        .filter(|e| e.kind == "statement")
        .filter_map(|e| e.sql.clone())
        .filter(|sql| {
            let head = sql.trim_start().to_ascii_uppercase();
            !(head.starts_with("SHOW") || head.starts_with("DESC") || head.starts_with("SELECT"))
        })
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The sink line of `THERMAL_PAT` in the shipped `pats.yaml`.
const THERMAL_SINK: &str =
    "          - json_file: { path: snowflake_config.json, pointer: /pat }\n";

/// The address of the shipped streaming token.
pub const THERMAL_PAT: &str = "user.THERMAL_STREAMING_USER.token.THERMAL_PAT";

impl Account {
    /// Makes `THERMAL_PAT` deliver to `extra` (a YAML flow mapping, e.g.
    /// `{ command: { argv: ["false"] } }`) after its `json_file`; called again, replaces it.
    pub fn thermal_also_delivers_to(&self, extra: &str) {
        let text = self.read("pats.yaml");
        let start = text
            .find(THERMAL_SINK)
            .expect("the shipped THERMAL_PAT sink")
            + THERMAL_SINK.len();
        let rest = &text[start..];
        // Drop an extra sink added before (the line after the json_file that starts with `-`).
        let rest = match rest.strip_prefix("          - ") {
            Some(r) => &r[r.find('\n').map_or(r.len(), |i| i + 1)..],
            None => rest,
        };
        let text = format!("{}          - {extra}\n{rest}", &text[..start]);
        self.write("pats.yaml", &text);
    }

    /// The rescue files, sorted.
    pub fn rescue_files(&self) -> Vec<PathBuf> {
        files_in(&self.path(".pat-reconcile/rescue"))
    }

    /// The pending-delivery records, sorted.
    pub fn pending_records(&self) -> Vec<PathBuf> {
        files_in(&self.path(".pat-reconcile/pending"))
    }

    /// The journal's lines about sinks (`"delivery"` set), as JSON.
    pub fn delivery_lines(&self) -> Vec<Value> {
        self.read(".pat-reconcile/journal.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v.get("delivery").is_some())
            .collect()
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

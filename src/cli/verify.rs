//! `pat-reconcile verify`: for every declared token (or the addresses given), the secret is read
//! back from its sinks and signs in to the connection's account as a PAT; the report says, per
//! token and sink, who the session is or what Snowflake refused (`snowflake::verify`). Also run
//! by `apply --verify` for the tokens that apply minted.
//!
//! Exit codes: 0 when no check fails (not verifiable `command` sinks and declared-disabled
//! tokens do not fail); 1 when one does (the error names the tokens) or on an error. With
//! `--detailed-exitcode`, as `status`: 0 all ok, 2 a check failed, 1 an error.
//!
//! The connection is resolved as for `plan`; only its account URL is used, the secrets read
//! back are the credentials. `PAT_RECONCILE_SANDBOX_CLIENT_IP` claims a client address to the
//! sandbox (see `config::env`).
//!
//! JSON (`--format json`, `format_version` 1; fields may be added, none removed or changed
//! without a new version):
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "summary": { "checks": 2, "failed": 1, "ok": 1, "not_verifiable": 0, "pending": 0, "disabled": 0 },
//!   "checks": [
//!     {
//!       "address": "user.U.token.T",
//!       "user": "U",
//!       "token": "T",
//!       "sink": "json_file snowflake_config.json /pat",  // null: pending or disabled token
//!       "role_restriction": "R",                         // or null
//!       "result": "ok",     // wrong-user, wrong-role, refused, unreadable, error, not-verifiable, pending, disabled
//!       "failed": false,
//!       "session": { "user": "U", "role": "R", "address": "203.0.113.7" },  // or null
//!       "error": null,      // refused: { "code": "394400", "kind": "token-invalid", "meaning": "...", "message": "..." }
//!       "detail": "user U, role R, address 203.0.113.7"
//!     }
//!   ]
//! }
//! ```

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::connect::{self, ConnectionFlags};
use super::error::CliError;
use super::input;
use super::plan::load_pending;
use super::source::Session;
use super::status::ExitStatus;
use crate::config::env;
use crate::model::Identifier;
use crate::model::desired::Config;
use crate::plan::Address;
use crate::snowflake::verify::{
    self, Check, Identity, Outcome, PendingToken, Target, VerifyReport,
};
use crate::snowflake::{ClientOptions, Interrupt};

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Tokens to verify, as plans name them (`user.USER.token.TOKEN`); default every declared
    /// token.
    #[arg(value_name = "ADDRESS")]
    pub addresses: Vec<String>,
    /// The desired-state file.
    #[arg(short = 'f', long = "file", default_value = "pats.yaml")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
    /// Exit 0 when every check passes, 2 when one fails, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub connection: ConnectionFlags,
}

/// Verify output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    /// An aligned table, for people (the default).
    Text,
    /// The versioned JSON report (`format_version: 1`).
    Json,
}

/// The version of the verify JSON.
pub const VERIFY_FORMAT_VERSION: u32 = 1;

/// Runs `verify`.
pub fn run(args: &VerifyArgs) -> Result<ExitStatus, CliError> {
    let input::Desired { config, base } = input::load(&args.file)?;
    let tokens = args
        .addresses
        .iter()
        .map(|a| token_address(a, &config))
        .collect::<Result<Vec<_>, _>>()?;
    let pending = pending_tokens(&base)?;
    let settings = connect::settings(&args.connection)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let target = target(
        &settings.base_url,
        &settings.account,
        &base,
        Interrupt::never(),
    );
    let report = runtime.block_on(verify::verify(&target, &config, &tokens, &pending));
    let mut out = io::stdout().lock();
    match args.format {
        VerifyFormat::Text => text(&report, &mut out)?,
        VerifyFormat::Json => json(&report, &mut out)?,
    }
    out.flush()?;
    finish(&report, args.detailed_exitcode)
}

/// `apply --verify`: verifies the tokens apply minted (their addresses as the apply report
/// names them), on the apply's session and account, and prints the table on stdout.
pub async fn after_apply(
    session: &Session,
    config: &Config,
    base: &Path,
    account: &str,
    minted: &[String],
) -> Result<ExitStatus, CliError> {
    let tokens: Vec<(Identifier, Identifier)> = minted
        .iter()
        .filter_map(|a| token_address(a, config).ok())
        .collect();
    if tokens.is_empty() {
        eprintln!("verify: apply minted no secret, so there is nothing to verify");
        return Ok(ExitStatus::Success);
    }
    let pending = pending_tokens(base)?;
    let target = target(
        session.client().base_url(),
        account,
        base,
        session.interrupt(),
    );
    let report = verify::verify(&target, config, &tokens, &pending).await;
    let mut out = io::stdout().lock();
    writeln!(out)?;
    text(&report, &mut out)?;
    out.flush()?;
    finish(&report, false)
}

fn token_address(text: &str, config: &Config) -> Result<(Identifier, Identifier), CliError> {
    match crate::plan::diff::replace_address(text, config).map_err(CliError::Replace)? {
        Address::Token(user, token) => Ok((user, token)),
        _ => Err(CliError::Replace(
            crate::plan::diff::ReplaceError::NotATokenAddress {
                text: text.to_owned(),
            },
        )),
    }
}

fn pending_tokens(base: &Path) -> Result<Vec<PendingToken>, CliError> {
    Ok(load_pending(base)?
        .into_iter()
        .map(|p| PendingToken {
            rescue_file: p.rescue.display().to_string(),
            user: p.user,
            token: p.token,
            undelivered: p.undelivered,
        })
        .collect())
}

/// The environment this command reads, read here once.
fn target<'a>(
    base_url: &'a str,
    account: &'a str,
    base: &'a Path,
    interrupt: Interrupt,
) -> Target<'a> {
    Target {
        base_url,
        account,
        base,
        options: ClientOptions {
            // A refused secret is an answer, not a fault to retry at length.
            max_attempts: 3,
            sandbox_client_ip: std::env::var(env::PAT_RECONCILE_SANDBOX_CLIENT_IP)
                .ok()
                .filter(|v| !v.is_empty()),
            ..ClientOptions::default()
        },
        interrupt,
        path_env: std::env::var_os("PATH"),
        home_env: std::env::var_os("HOME"),
    }
}

fn finish(report: &VerifyReport, detailed_exitcode: bool) -> Result<ExitStatus, CliError> {
    if report.failures() == 0 {
        Ok(ExitStatus::Success)
    } else if detailed_exitcode {
        Ok(ExitStatus::Changes)
    } else {
        Err(CliError::VerifyFailed {
            tokens: report.failed_tokens(),
        })
    }
}

const HEADERS: [&str; 4] = ["TOKEN", "SINK", "RESULT", "DETAIL"];

fn cells(check: &Check) -> [String; 4] {
    [
        check.address.clone(),
        check.sink.clone().unwrap_or_else(|| "-".to_owned()),
        check.outcome.result().to_owned(),
        check.outcome.detail(),
    ]
}

/// The counts line: how many checks, then each result that occurs.
fn footer(report: &VerifyReport) -> String {
    let mut parts = Vec::new();
    for result in [
        "ok",
        "wrong-user",
        "wrong-role",
        "refused",
        "unreadable",
        "error",
        "pending",
        "not-verifiable",
        "disabled",
    ] {
        let n = report.count(result);
        if n > 0 {
            parts.push(format!("{n} {result}"));
        }
    }
    format!(
        "{} check(s), {} failed: {}",
        report.checks.len(),
        report.failures(),
        if parts.is_empty() {
            "nothing declared".to_owned()
        } else {
            parts.join(", ")
        }
    )
}

/// An aligned table, then the counts.
pub fn text(report: &VerifyReport, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<[String; 4]> = report.checks.iter().map(cells).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  "));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &HEADERS.map(str::to_owned))?;
    for row in &rows {
        line(out, row)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", footer(report))
}

#[derive(Serialize)]
struct WireReport<'a> {
    format_version: u32,
    summary: WireSummary,
    checks: Vec<WireCheck<'a>>,
}

#[derive(Serialize)]
struct WireSummary {
    checks: usize,
    failed: usize,
    ok: usize,
    not_verifiable: usize,
    pending: usize,
    disabled: usize,
}

#[derive(Serialize)]
struct WireCheck<'a> {
    address: &'a str,
    user: &'a str,
    token: &'a str,
    sink: Option<&'a str>,
    role_restriction: Option<&'a str>,
    result: &'static str,
    failed: bool,
    session: Option<&'a Identity>,
    error: Option<WireError<'a>>,
    detail: String,
}

#[derive(Serialize)]
struct WireError<'a> {
    code: &'a str,
    kind: &'static str,
    meaning: &'static str,
    message: &'a str,
}

/// The versioned JSON report.
pub fn json(report: &VerifyReport, out: &mut dyn Write) -> io::Result<()> {
    let wire = WireReport {
        format_version: VERIFY_FORMAT_VERSION,
        summary: WireSummary {
            checks: report.checks.len(),
            failed: report.failures(),
            ok: report.count("ok"),
            not_verifiable: report.count("not-verifiable"),
            pending: report.count("pending"),
            disabled: report.count("disabled"),
        },
        checks: report
            .checks
            .iter()
            .map(|c| WireCheck {
                address: &c.address,
                user: &c.user,
                token: &c.token,
                sink: c.sink.as_deref(),
                role_restriction: c.role_restriction.as_deref(),
                result: c.outcome.result(),
                failed: c.outcome.is_failure(),
                session: c.outcome.identity(),
                error: match &c.outcome {
                    Outcome::Refused {
                        code,
                        message,
                        refusal,
                    } => Some(WireError {
                        code,
                        kind: refusal.kind(),
                        meaning: refusal.meaning(),
                        message,
                    }),
                    _ => None,
                },
                detail: c.outcome.detail(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &wire).map_err(io::Error::other)?;
    writeln!(out)
}

//! The status report as JSON, its own wire structs.
//!
//! Format (`format_version` 1; new fields may be added, none removed or changed without a new
//! version):
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "generated_at": "2026-11-27T12:00:00Z",
//!   "within_days": 14,
//!   "unused_for_days": 30,                 // --unused-for, or null
//!   "last_use": { "reported": true, "note": "last use is from SNOWFLAKE.ACCOUNT_USAGE..." },
//!   "summary": { "tokens": 1, "findings": 1 },
//!   "tokens": [
//!     {
//!       "address": "user.U.token.T",
//!       "user": "U",
//!       "token": "T",
//!       "status": "ACTIVE",               // null: the account has no such token
//!       "role_restriction": "R",          // or null
//!       "created_on": "2026-09-01T12:00:00Z",
//!       "expires_at": "2026-12-06T12:00:00Z",
//!       "days_left": 9,
//!       "rotates_on": "2026-11-22T12:00:00Z", // declared tokens only, else null
//!       "declared": true,
//!       "last_use": "used",               // "used", "never", "not-in-view" or "unknown"
//!       "last_used": "2026-11-26T08:00:00Z", // when "used", else null
//!       "logins": 42,                     // successful PAT logins in LOGIN_HISTORY, or null
//!       "findings": [ { "code": "expiring", "summary": "expires in 9 day(s) (within 14)" } ]
//!     }
//!   ]
//! }
//! ```
//!
//! Finding codes: `missing`, `expired`, `expiring`, `unused`, `disabled`, `undeclared`,
//! `rotation-leftover`, `pending-delivery`, `undelivered-secret`. Identifiers are as Snowflake stores them, timestamps
//! RFC 3339 UTC.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::report::{LastUsed, StatusReport, TokenRow, UsageState};

/// The version of the status JSON.
pub const STATUS_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct WireReport {
    format_version: u32,
    generated_at: DateTime<Utc>,
    within_days: u32,
    unused_for_days: Option<u32>,
    last_use: WireLastUse,
    summary: WireSummary,
    tokens: Vec<WireToken>,
}

#[derive(Serialize)]
struct WireLastUse {
    reported: bool,
    note: String,
}

#[derive(Serialize)]
struct WireSummary {
    tokens: usize,
    findings: usize,
}

#[derive(Serialize)]
struct WireToken {
    address: String,
    user: String,
    token: String,
    status: Option<String>,
    role_restriction: Option<String>,
    created_on: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    days_left: Option<i64>,
    rotates_on: Option<DateTime<Utc>>,
    declared: bool,
    last_use: &'static str,
    last_used: Option<DateTime<Utc>>,
    logins: Option<u64>,
    findings: Vec<WireFinding>,
}

#[derive(Serialize)]
struct WireFinding {
    code: &'static str,
    summary: String,
}

fn token(row: &TokenRow) -> WireToken {
    WireToken {
        address: row.address().to_string(),
        user: row.user.as_str().to_owned(),
        token: row.token.as_str().to_owned(),
        status: row.status.as_ref().map(|s| s.as_str().to_owned()),
        role_restriction: row.role_restriction.as_ref().map(|r| r.as_str().to_owned()),
        created_on: row.created_on,
        expires_at: row.expires_at,
        days_left: row.days_left,
        rotates_on: row.rotates_on,
        declared: row.declared,
        last_use: match row.last_used {
            LastUsed::At(_) => "used",
            LastUsed::Never => "never",
            LastUsed::NotInView => "not-in-view",
            LastUsed::Unknown => "unknown",
        },
        last_used: match row.last_used {
            LastUsed::At(at) => Some(at),
            _ => None,
        },
        logins: row.logins,
        findings: row
            .findings
            .iter()
            .map(|f| WireFinding {
                code: f.code(),
                summary: f.summary(),
            })
            .collect(),
    }
}

/// Writes the report as pretty JSON and a newline.
pub fn render(report: &StatusReport, out: &mut dyn Write) -> io::Result<()> {
    let wire = WireReport {
        format_version: STATUS_FORMAT_VERSION,
        generated_at: report.generated_at,
        within_days: report.within_days,
        unused_for_days: report.unused_for_days,
        last_use: WireLastUse {
            reported: matches!(report.usage, UsageState::Known { .. }),
            note: report.usage.note(),
        },
        summary: WireSummary {
            tokens: report.rows.len(),
            findings: report.finding_count(),
        },
        tokens: report.rows.iter().map(token).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &wire).map_err(io::Error::other)?;
    writeln!(out)
}

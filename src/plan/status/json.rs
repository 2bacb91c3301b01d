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
//!   "last_use": { "reported": false, "note": "last use is not reported yet: ..." },
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
//!       "findings": [ { "code": "expiring", "summary": "expires in 9 day(s) (within 14)" } ]
//!     }
//!   ]
//! }
//! ```
//!
//! Finding codes: `missing`, `expired`, `expiring`, `disabled`, `undeclared`,
//! `rotation-leftover`, `pending-delivery`. Identifiers are as Snowflake stores them, timestamps
//! RFC 3339 UTC.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::render::LAST_USE_NOTE;
use super::report::{StatusReport, TokenRow};

/// The version of the status JSON.
pub const STATUS_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct WireReport {
    format_version: u32,
    generated_at: DateTime<Utc>,
    within_days: u32,
    last_use: WireLastUse,
    summary: WireSummary,
    tokens: Vec<WireToken>,
}

#[derive(Serialize)]
struct WireLastUse {
    reported: bool,
    note: &'static str,
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
        last_use: WireLastUse {
            reported: false,
            note: LAST_USE_NOTE,
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

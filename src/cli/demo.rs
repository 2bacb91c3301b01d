//! `--sandbox`: an in-process sandbox seeded with a demo account, so a fresh clone can plan with
//! no Snowflake account.
//!
//! The demo account is what a team has before it adopts `pats.yaml`, three months on: the
//! streaming user exists but lost its role grant, its token expires in nine days, an old laptop
//! token is still there, the gateways' rule lists a decommissioned range, the streaming
//! authentication policy allows year-long tokens, both users sit behind an allow-all network
//! policy, the backfill job's token expired last week, and an older authentication policy is
//! still attached. Planned against the shipped `pats.yaml`, that shows every kind of change.

use chrono::Duration;

use super::error::CliError;
use crate::sandbox::{SandboxConfig, SandboxThread};

/// The demo account as of the sandbox's start, then after the first 60 days.
const SEED_DAY_0: &[&str] = &[
    "CREATE DATABASE DEMO",
    "CREATE SCHEMA DEMO.DEMO",
    "CREATE ROLE THERMAL_STREAMING_ROLE",
    "CREATE NETWORK RULE DEMO.DEMO.THERMAL_GATEWAYS TYPE = IPV4 VALUE_LIST = ('203.0.113.0/24', '192.0.2.0/24') MODE = INGRESS COMMENT = 'Egress addresses of the thermal sensor gateways'",
    "CREATE NETWORK POLICY LEGACY_GATEWAY_POLICY ALLOWED_IP_LIST = ('0.0.0.0/0') COMMENT = 'Temporary, until the gateways have fixed addresses'",
    "CREATE AUTHENTICATION POLICY DEMO.DEMO.STREAMING_PATS AUTHENTICATION_METHODS = ('PROGRAMMATIC_ACCESS_TOKEN', 'KEYPAIR') PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = 30 MAX_EXPIRY_IN_DAYS = 365 NETWORK_POLICY_EVALUATION = ENFORCED_REQUIRED) COMMENT = 'Streaming service users sign in with tokens or key pairs only'",
    "CREATE AUTHENTICATION POLICY DEMO.DEMO.LEGACY_PATS COMMENT = 'Before the streaming policy'",
    "CREATE USER THERMAL_STREAMING_USER TYPE = SERVICE DEFAULT_ROLE = THERMAL_STREAMING_ROLE COMMENT = 'Thermal sensors'",
    "GRANT ROLE THERMAL_STREAMING_ROLE TO USER THERMAL_STREAMING_USER",
    "ALTER USER THERMAL_STREAMING_USER SET NETWORK_POLICY = LEGACY_GATEWAY_POLICY",
    "ALTER USER THERMAL_STREAMING_USER SET AUTHENTICATION POLICY DEMO.DEMO.STREAMING_PATS",
    "ALTER USER THERMAL_STREAMING_USER ADD PROGRAMMATIC ACCESS TOKEN THERMAL_PAT ROLE_RESTRICTION = 'THERMAL_STREAMING_ROLE' DAYS_TO_EXPIRY = 90 COMMENT = 'Snowpipe Streaming client for the thermal sensors'",
    "ALTER USER THERMAL_STREAMING_USER ADD PROGRAMMATIC ACCESS TOKEN OLD_LAPTOP_PAT ROLE_RESTRICTION = 'THERMAL_STREAMING_ROLE' DAYS_TO_EXPIRY = 365 COMMENT = 'Debugging from a laptop'",
    "CREATE USER THERMAL_BACKFILL_USER TYPE = SERVICE DEFAULT_ROLE = THERMAL_STREAMING_ROLE COMMENT = 'Nightly backfill of the thermal readings'",
    "GRANT ROLE THERMAL_STREAMING_ROLE TO USER THERMAL_BACKFILL_USER",
    "ALTER USER THERMAL_BACKFILL_USER SET NETWORK_POLICY = LEGACY_GATEWAY_POLICY",
    "ALTER USER THERMAL_BACKFILL_USER SET AUTHENTICATION POLICY DEMO.DEMO.LEGACY_PATS",
];

/// Day 60: the backfill job gets a 15-day token; the laptop token is rotated once.
const SEED_DAY_60: &[&str] = &[
    "ALTER USER THERMAL_BACKFILL_USER ADD PROGRAMMATIC ACCESS TOKEN BACKFILL_PAT ROLE_RESTRICTION = 'THERMAL_STREAMING_ROLE' DAYS_TO_EXPIRY = 15 COMMENT = 'Nightly backfill job'",
    "ALTER USER THERMAL_STREAMING_USER ROTATE PROGRAMMATIC ACCESS TOKEN OLD_LAPTOP_PAT EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 1",
];

/// Day 81: someone revoked the streaming role by mistake.
const SEED_DAY_81: &[&str] =
    &["REVOKE ROLE THERMAL_STREAMING_ROLE FROM USER THERMAL_STREAMING_USER"];

/// The demo's timeline: the clock moves by the days given, then the statements run.
const TIMELINE: &[(i64, &[&str])] = &[(0, SEED_DAY_0), (60, SEED_DAY_60), (21, SEED_DAY_81)];

fn seed_error(sql: &str, e: &crate::sandbox::StatementError) -> crate::sandbox::SandboxError {
    crate::sandbox::SandboxError::Seed {
        statement: sql.to_owned(),
        message: e.to_string(),
    }
}

/// Starts a sandbox and seeds the demo account; the sandbox's clock ends 81 days on.
pub fn start() -> Result<SandboxThread, CliError> {
    let sandbox = SandboxThread::spawn(SandboxConfig::default())
        .map_err(|e| CliError::Sandbox(Box::new(e)))?;
    for (days, statements) in TIMELINE {
        sandbox.advance_clock(Duration::days(*days));
        for sql in *statements {
            sandbox
                .execute_as_admin(sql)
                .map_err(|e| CliError::Sandbox(Box::new(seed_error(sql, &e))))?;
        }
    }
    Ok(sandbox)
}

/// Seeds the demo account into a running sandbox (`pat-reconcile sandbox --demo`).
pub async fn seed_async(
    sandbox: &crate::sandbox::Sandbox,
) -> Result<(), crate::sandbox::SandboxError> {
    for (days, statements) in TIMELINE {
        sandbox.advance_clock(Duration::days(*days));
        for sql in *statements {
            sandbox
                .execute_as_admin(sql)
                .await
                .map_err(|e| seed_error(sql, &e))?;
        }
    }
    Ok(())
}

//! How to run a sandbox: where it listens, its admin token and account name, persistence,
//! latency, faults, the async threshold, partition size and the ACCOUNT_USAGE latency.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::sandbox::faults::FaultConfig;

/// Snowflake answers 202 to statements still running after this long.
pub const SNOWFLAKE_ASYNC_THRESHOLD: Duration = Duration::from_secs(45);
/// Rows per result partition unless configured otherwise.
pub const DEFAULT_PARTITION_ROWS: usize = 10_000;
/// How far the ACCOUNT_USAGE views lag the account unless configured otherwise: the documented
/// bound ("might be up to two hours" for CREDENTIALS, "up to 120 minutes" for LOGIN_HISTORY).
/// The sandbox takes the worst case, so a client that needs a fresh token or login in the views
/// is caught; tests that want them at once set it to zero.
pub const DEFAULT_ACCOUNT_USAGE_LATENCY: Duration = Duration::from_secs(2 * 60 * 60);
/// How long a connection may wait for a request's head (or idle between requests) before the
/// server drops it, unless configured otherwise (hyper's own default header timeout).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The account identifier unless configured otherwise.
pub const DEFAULT_ACCOUNT: &str = "SANDBOX";

/// Settings of a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Bearer token of user ADMIN (role ACCOUNTADMIN); generated when `None`.
    pub admin_token: Option<String>,
    /// Account identifier a key-pair JWT must carry; upper-cased.
    pub account: String,
    /// Where to persist state; nothing is saved when `None`.
    pub state_file: Option<PathBuf>,
    /// Added to every request before it executes (the round trip to Snowflake).
    pub latency: Duration,
    /// How long each statement takes to execute, on top of `latency`: a request of several
    /// statements (`MULTI_STATEMENT_COUNT`) waits this long once per statement, as Snowflake
    /// runs them one after another, so sending statements in one request saves round trips
    /// here but never execution time.
    pub statement_time: Duration,
    /// Injected faults.
    pub faults: FaultConfig,
    /// Statements running longer than this answer 202.
    pub async_threshold: Duration,
    /// Rows per result partition.
    pub partition_rows: usize,
    /// How far SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS and LOGIN_HISTORY lag the account: a token,
    /// a login or a removal shows there once this much sandbox time has passed.
    pub account_usage_latency: Duration,
    /// A connection that has not sent a complete request head for this long (half a header, or
    /// nothing since its last request) is dropped.
    pub idle_timeout: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            admin_token: None,
            account: DEFAULT_ACCOUNT.to_owned(),
            state_file: None,
            latency: Duration::ZERO,
            statement_time: Duration::ZERO,
            faults: FaultConfig::default(),
            async_threshold: SNOWFLAKE_ASYNC_THRESHOLD,
            partition_rows: DEFAULT_PARTITION_ROWS,
            account_usage_latency: DEFAULT_ACCOUNT_USAGE_LATENCY,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

//! How to run a sandbox: where it listens, its admin token and account name, persistence,
//! latency, faults, the async threshold and partition size.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::sandbox::faults::FaultConfig;

/// Snowflake answers 202 to statements still running after this long.
pub const SNOWFLAKE_ASYNC_THRESHOLD: Duration = Duration::from_secs(45);
/// Rows per result partition unless configured otherwise.
pub const DEFAULT_PARTITION_ROWS: usize = 10_000;
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
    /// Added to every statement before it executes.
    pub latency: Duration,
    /// Injected faults.
    pub faults: FaultConfig,
    /// Statements running longer than this answer 202.
    pub async_threshold: Duration,
    /// Rows per result partition.
    pub partition_rows: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            admin_token: None,
            account: DEFAULT_ACCOUNT.to_owned(),
            state_file: None,
            latency: Duration::ZERO,
            faults: FaultConfig::default(),
            async_threshold: SNOWFLAKE_ASYNC_THRESHOLD,
            partition_rows: DEFAULT_PARTITION_ROWS,
        }
    }
}

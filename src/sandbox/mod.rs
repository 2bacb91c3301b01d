//! A local emulator of the Snowflake SQL API v2 and of the account objects pat-reconcile manages
//! (DESIGN §7): an axum server, its own SQL parser, the account's state and Snowflake's rules,
//! key-pair and PAT authentication, a movable clock, latency and fault injection, and optional
//! persistence. It shares no code with `sql`, `snowflake` or `model`, so that it judges the
//! product's SQL independently. This module only re-exports.
//!
//! What it serves besides DDL, SHOW and DESC: `SELECT CURRENT_…()` context functions
//! (`CURRENT_IP_ADDRESS()` is the `X-Sandbox-Client-Ip` header, else the TCP peer),
//! `INFORMATION_SCHEMA.POLICY_REFERENCES`, and the views SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS and
//! LOGIN_HISTORY (`executor/account_usage.rs`): every PAT of the account with a stable
//! CREDENTIAL_ID, and every request that authenticated with a PAT (or presented a PAT of the
//! account and was refused) as a login. Like Snowflake's, the views need a warehouse, are read by
//! ACCOUNTADMIN only, and lag the account: by [`SandboxConfig::account_usage_latency`]
//! (`pat-reconcile sandbox --account-usage-latency 2h`, the default: the documented worst case;
//! `POST /sandbox/v1/faults {"account_usage_latency_ms": 0}` at run time).
//!
//! As a server it is hardened against hostile clients: LIKE is matched without recursion in
//! O(pattern × text); a connection that has not sent a complete request head within
//! [`SandboxConfig::idle_timeout`] (default 30 s) is dropped; injected faults are drawn only by
//! authenticated submissions; the admin token is compared in constant time; and
//! [`Sandbox::listens_beyond_loopback`] tells the CLI to warn.

mod account;
mod auth;
mod clock;
mod config;
mod connection;
mod control;
mod engine;
mod error;
mod executor;
mod faults;
mod instance;
mod name;
mod result_set;
mod role_grants;
mod server;
mod sql;
mod state_file;
mod usage;
mod wire;

pub use config::{
    DEFAULT_ACCOUNT, DEFAULT_ACCOUNT_USAGE_LATENCY, DEFAULT_IDLE_TIMEOUT, DEFAULT_PARTITION_ROWS,
    SNOWFLAKE_ASYNC_THRESHOLD, SandboxConfig,
};
pub use engine::{LogEntry, LogOutcome};
pub use error::{LoginError, ObjectKind, SandboxError, StatementError};
pub use faults::{Fault, FaultConfig};
pub use instance::{ADMIN_USER, Sandbox, SandboxThread};
pub use result_set::{Column, ColumnType, ResultSet};
pub use server::CLIENT_IP_HEADER;

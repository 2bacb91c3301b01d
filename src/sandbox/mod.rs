//! A local emulator of the Snowflake SQL API v2 and of the account objects pat-reconcile manages
//! (DESIGN §7): an axum server, its own SQL parser, the account's state and Snowflake's rules,
//! key-pair and PAT authentication, a movable clock, latency and fault injection, and optional
//! persistence. It shares no code with `sql`, `snowflake` or `model`, so that it judges the
//! product's SQL independently. This module only re-exports.

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

//! The command line: arguments, dispatch, and the mapping of outcomes to exit statuses.
//!
//! Each command lives in its own file, resolves its inputs, calls the core and hands the result
//! to a renderer; no decisions are made here. This file only declares and re-exports.

pub mod apply;
pub mod completions;
pub mod connect;
pub mod demo;
pub mod diagnostics;
mod dispatch;
mod error;
pub mod import;
mod input;
pub mod man;
pub mod output;
pub mod plan;
pub(crate) mod progress;
pub mod sandbox;
pub mod schema;
pub mod snapshot;
mod source;
mod status;
pub mod status_cmd;
pub mod validate;
pub mod verify;

pub use dispatch::{Cli, Command, init_logging, parse_error_status, run};
pub use error::CliError;
pub use status::ExitStatus;

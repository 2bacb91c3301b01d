//! The command line: one file per command; this module parses arguments and dispatches.

use std::process::ExitCode;

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}

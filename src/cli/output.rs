//! How output looks: colour only on a terminal and never under `NO_COLOR`; exit codes.

use std::io::IsTerminal;

/// Documented exit codes.
pub mod exit {
    /// Success; for `plan --detailed-exitcode`, success with no changes.
    pub const OK: u8 = 0;
    /// An error (bad input, a failed statement, refused changes).
    pub const ERROR: u8 = 1;
    /// `plan --detailed-exitcode`: success, and the plan has changes.
    pub const CHANGES: u8 = 2;
}

pub use crate::plan::render::Styles;

impl Styles {
    /// Colour when the stream is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect(is_terminal: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: is_terminal && !no_color,
        }
    }

    pub fn stdout() -> Self {
        Self::detect(std::io::stdout().is_terminal())
    }

    pub fn stderr() -> Self {
        Self::detect(std::io::stderr().is_terminal())
    }
}

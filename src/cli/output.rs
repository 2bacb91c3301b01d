//! How output looks: colour only on a terminal and never under `NO_COLOR`.

use std::io::IsTerminal;

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

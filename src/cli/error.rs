//! The one top-level error: it knows its exit code and renders `error:`, the causes, then hints.

use std::fmt::Write as _;

use super::output::{Styles, exit};

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    #[error(transparent)]
    Load(#[from] crate::config::LoadError),
    #[error("cannot write output")]
    Output(#[from] std::io::Error),
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        exit::ERROR
    }

    /// What the user can do about it.
    pub fn hints(&self) -> Vec<String> {
        match self {
            CliError::Load(crate::config::LoadError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                vec!["pass the file with `-f PATH`, or start from `examples/minimal.yaml`".into()]
            }
            CliError::Usage { hint: Some(h), .. } => vec![h.clone()],
            _ => Vec::new(),
        }
    }

    /// `error: ...`, each cause on its own line, then hints after a blank line.
    pub fn render(&self, styles: Styles) -> String {
        let bold_red = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Red.into()));
        let mut out = format!("{}: {self}\n", styles.paint(bold_red, "error"));
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let _ = writeln!(out, "  caused by: {cause}");
            source = cause.source();
        }
        for hint in self.hints() {
            let _ = write!(out, "\nhint: {hint}\n");
        }
        out
    }
}

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
    #[error("`{}` has {errors} error(s)", file.display())]
    InvalidConfig {
        file: std::path::PathBuf,
        errors: usize,
    },
    #[error("cannot read `{}`", path.display())]
    ReadFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`", path.display())]
    WriteFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a live-state file", path.display())]
    LiveStateFormat {
        path: std::path::PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("`{}` has live-state format version {found}; this pat-reconcile reads version 1", path.display())]
    LiveStateVersion {
        path: std::path::PathBuf,
        found: u32,
    },
    #[error("the plan has {errors} preflight error(s); nothing was changed")]
    Preflight { errors: usize },
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
            CliError::InvalidConfig { .. } => {
                vec!["fix the errors above; `pat-reconcile validate` checks the file alone".into()]
            }
            CliError::LiveStateFormat { .. } => {
                vec!["write one with `pat-reconcile snapshot --out FILE`".into()]
            }
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

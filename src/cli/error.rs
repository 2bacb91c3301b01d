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
    #[error("cannot connect")]
    Connection(#[source] Box<crate::config::connection::ConnectionError>),
    #[error(transparent)]
    Client(Box<crate::snowflake::ClientError>),
    #[error(transparent)]
    Read(Box<crate::snowflake::reader::ReadError>),
    #[error("the saved plan is stale: {} changed since it was made", moved.join(", "))]
    StalePlan { moved: Vec<String> },
    #[error(transparent)]
    SavedPlan(Box<crate::apply::SavedPlanError>),
    #[error("refusing {} destructive change(s) without --allow-destroy: {}", changes.len(), changes.join(", "))]
    DestructiveRefused { changes: Vec<String> },
    #[error("apply stopped: {0}")]
    Apply(Box<super::apply::ApplyFailure>),
    #[error("the sandbox failed")]
    Sandbox(#[source] Box<crate::sandbox::SandboxError>),
}

impl From<crate::config::connection::ConnectionError> for CliError {
    fn from(e: crate::config::connection::ConnectionError) -> Self {
        CliError::Connection(Box::new(e))
    }
}

impl From<crate::snowflake::ClientError> for CliError {
    fn from(e: crate::snowflake::ClientError) -> Self {
        CliError::Client(Box::new(e))
    }
}

impl From<crate::snowflake::reader::ReadError> for CliError {
    /// A refused login is about the connection, not about the statement that happened first.
    fn from(e: crate::snowflake::reader::ReadError) -> Self {
        match *e.source {
            crate::snowflake::ClientError::Authentication { .. } => CliError::Client(e.source),
            _ => CliError::Read(Box::new(e)),
        }
    }
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
            CliError::Connection(e) => e.hint().into_iter().collect(),
            CliError::Client(e) => client_hints(e),
            CliError::Read(e) => client_hints(&e.source),
            CliError::SavedPlan(e) => e.hint().into_iter().map(Into::into).collect(),
            CliError::StalePlan { .. } => vec!["run `pat-reconcile plan --out FILE` again and review the new plan".into()],
            CliError::DestructiveRefused { .. } => vec![
                "review them, then add `--allow-destroy` (or apply without `--auto-approve` to confirm by hand)".into(),
            ],
            CliError::Apply(_) => vec!["run `pat-reconcile plan` to see what is left; apply again to converge".into()],
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

fn client_hints(e: &crate::snowflake::ClientError) -> Vec<String> {
    use crate::snowflake::ClientError as E;
    match e {
        E::Authentication { code, .. } if code == "390144" => vec![
            "the JWT was refused: check that the user's RSA_PUBLIC_KEY matches the private key, and that SNOWFLAKE_ACCOUNT is the account identifier".into(),
        ],
        E::Authentication { code, .. } if code == "390432" => vec![
            "Snowflake requires a network policy for this token's user: attach one that admits this machine".into(),
        ],
        E::Authentication { .. } => vec!["check the credentials of the connection (`--connection`, SNOWFLAKE_* variables)".into()],
        E::Statement { code, .. } if code == "003001" => vec![
            "the role lacks a privilege: it needs OWNERSHIP or MODIFY PROGRAMMATIC AUTHENTICATION METHODS on the users, and the policy privileges the README lists".into(),
        ],
        E::Transport { .. } | E::RetriesExhausted { .. } => vec!["check the account identifier, SNOWFLAKE_HOST and the network".into()],
        _ => Vec::new(),
    }
}

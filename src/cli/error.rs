//! The one top-level error: it knows its exit code and renders `error:`, the causes, then hints.

use crate::plan::render::lines;
use std::fmt::Write as _;

use super::output::Styles;
use super::status::ExitStatus;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    #[error(transparent)]
    Load(#[from] crate::config::LoadError),
    #[error("cannot write output")]
    Output(#[from] std::io::Error),
    /// `plan` was given two live-state sources (`--live-state` and `--sandbox`).
    #[error("`--live-state` and `--sandbox` are two different sources; pick one")]
    ConflictingSources,
    /// Another apply holds the checkout's lock, or the lock cannot be taken.
    #[error(transparent)]
    ApplyLocked(crate::apply::lock::LockError),
    /// `apply` without `--auto-approve` cannot ask: stdin is not a terminal.
    #[error("apply needs confirmation, and stdin is not a terminal")]
    NeedsConfirmation,
    /// The user did not answer `yes`.
    #[error("apply cancelled; nothing was changed")]
    Cancelled,
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
    /// The snapshot was read for a narrower file: it cannot say whether these exist.
    #[error(
        "`{}` was read for a narrower file; it knows nothing of {}",
        path.display(),
        outside.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
    )]
    LiveStateScope {
        path: std::path::PathBuf,
        /// What the file declares or references that the snapshot did not read.
        outside: Vec<crate::model::live::ScopeEntry>,
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
    #[error("apply stopped")]
    Apply(#[source] Box<crate::apply::ApplyError>),
    /// A `--replace` address that names no declared token.
    #[error(transparent)]
    Replace(crate::plan::diff::ReplaceError),
    /// The pending deliveries in `.pat-reconcile/pending/` cannot be read.
    #[error(transparent)]
    Pending(Box<crate::apply::pending::PendingError>),
    /// `verify` (or `apply --verify`) found tokens whose delivered secret does not work as
    /// declared.
    #[error("verify failed for {}", tokens.join(", "))]
    VerifyFailed { tokens: Vec<String> },
    #[error(transparent)]
    Import(#[from] super::import::ImportError),
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

impl From<crate::apply::lock::LockError> for CliError {
    fn from(e: crate::apply::lock::LockError) -> Self {
        CliError::ApplyLocked(e)
    }
}

impl CliError {
    /// The process exit status for this error: always [`ExitStatus::Failure`] (2 means
    /// "changes" under `--detailed-exitcode`, so no error may use it).
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::Failure
    }

    /// Whether this is only the reader of stdout going away (`| head`): a clean exit.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// What the user can do about it.
    pub fn hints(&self) -> Vec<String> {
        match self {
            CliError::Load(crate::config::LoadError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                vec!["pass the file with `-f PATH`, or start from `examples/minimal.yaml`".into()]
            }
            CliError::ApplyLocked(crate::apply::lock::LockError::Held { .. }) => vec![
                "wait for it to finish; the lock ends with that process, however it ends".into(),
            ],
            CliError::NeedsConfirmation => vec!["review the plan, then run with `--auto-approve` (and `--allow-destroy` for destructive changes)".into()],
            CliError::Connection(e) => e.hint().into_iter().collect(),
            CliError::Client(e) => e.hint().into_iter().map(str::to_owned).collect(),
            CliError::Read(e) => e.source.hint().into_iter().map(str::to_owned).collect(),
            CliError::SavedPlan(e) => e.hint().into_iter().map(Into::into).collect(),
            CliError::StalePlan { .. } => vec!["run `pat-reconcile plan --out FILE` again and review the new plan".into()],
            CliError::DestructiveRefused { .. } => vec![
                "review them, then add `--allow-destroy` (or apply without `--auto-approve` to confirm by hand)".into(),
            ],
            CliError::Apply(e) => e.hints(),
            CliError::Import(e) => e.hints(),
            CliError::Replace(crate::plan::diff::ReplaceError::UnknownToken { declared, .. }) => {
                vec![format!("the file declares: {}", declared.join(", "))]
            }
            CliError::Replace(_) => {
                vec!["name a token as `user.USER.token.TOKEN`, as the plan prints it".into()]
            }
            CliError::InvalidConfig { .. } => {
                vec!["fix the errors above; `pat-reconcile validate` checks the file alone".into()]
            }
            CliError::LiveStateScope { .. } => vec![
                "take a new snapshot for this file with `pat-reconcile snapshot -f FILE --out FILE`, or plan against the account".into(),
            ],
            CliError::VerifyFailed { .. } => vec![
                "the report on stdout says what Snowflake answered for each; `pat-reconcile apply` mints a removed or expired token again, `apply --replace ADDRESS` replaces a secret that was lost or leaked".into(),
            ],
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
        // Messages carry names from the account and the file: no control character reaches
        // the terminal raw, and a line break inside one stays indented under its message.
        let mut out = format!(
            "{}: {}\n",
            styles.paint(bold_red, "error"),
            lines(&self.to_string(), "  ")
        );
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let _ = writeln!(out, "  caused by: {}", lines(&cause.to_string(), "    "));
            source = cause.source();
        }
        for hint in self.hints() {
            let _ = write!(out, "\nhint: {}\n", lines(&hint, "  "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_messages_never_reach_the_terminal_raw() {
        let e = CliError::ReadFile {
            path: std::path::PathBuf::from("pats\u{1b}[2J\nerror: forged.yaml"),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        let text = e.render(Styles { color: false });
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(!text.contains("\nerror: forged"), "{text:?}");
        assert!(text.contains("\\u{1b}[2J"), "{text:?}");
    }

    #[test]
    fn a_held_lock_names_the_file_and_says_to_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apply.lock");
        let _held = crate::apply::lock::ApplyLock::acquire(&path).unwrap();
        let e = CliError::from(crate::apply::lock::ApplyLock::acquire(&path).unwrap_err());
        let text = e.render(Styles { color: false });
        assert!(
            text.starts_with("error: another apply is running"),
            "{text}"
        );
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("\nhint: wait for it to finish"), "{text}");
        assert!(!text.contains("delete"), "{text}");
        assert_eq!(e.exit_status(), ExitStatus::Failure);
    }

    #[test]
    fn a_refused_statement_shows_its_code_and_the_privilege_hint() {
        let e = CliError::from(crate::snowflake::ClientError::Statement {
            code: crate::snowflake::error::code::INSUFFICIENT_PRIVILEGES.into(),
            sql_state: "42501".into(),
            message: "Insufficient privileges to operate on user 'U'".into(),
            statement_handle: None,
            request_id: "r".into(),
        });
        let text = e.render(Styles { color: false });
        assert!(
            text.starts_with("error: Snowflake error 003001 (42501)"),
            "{text}"
        );
        assert!(
            text.contains("\nhint: the role lacks a privilege"),
            "{text}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_plan_shows_the_parse_error_as_the_cause() {
        let source = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let e = CliError::SavedPlan(Box::new(crate::apply::error::SavedPlanError::NotAPlan {
            path: "plan.json".into(),
            source,
        }));
        let text = e.render(Styles { color: false });
        assert!(
            text.starts_with("error: `plan.json` is not a saved plan\n  caused by: EOF"),
            "{text}"
        );
        assert!(
            text.contains("hint: save one with `pat-reconcile plan --out FILE`"),
            "{text}"
        );
    }
}

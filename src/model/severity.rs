//! How bad a finding is: one scale for `validate`'s file rules and `plan`'s preflight checks.

use serde::{Deserialize, Serialize};

/// How bad a finding is. Errors fail `validate` (exit 1), `plan` and `apply`; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// The word the README tables and the JSON outputs use (`error`, `warning`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

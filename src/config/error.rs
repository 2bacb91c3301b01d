//! Errors of the config edge: reading files (problems inside a file are diagnostics).

use std::path::PathBuf;

/// Reading `pats.yaml` failed before its content could be checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

//! The desired state a command reads: `pats.yaml` loaded and checked once, its findings shown,
//! and the directory its sinks, rescue files, journal and lock are relative to.
//!
//! Every command that reads the file goes through here; none loads it on its own.

use std::path::{Path, PathBuf};

use super::diagnostics;
use super::error::CliError;
use super::output::Styles;
use crate::config::{self, Loaded};
use crate::model::desired::Config;

/// A `pats.yaml` without errors, ready to plan from.
#[derive(Debug)]
pub struct Desired {
    pub config: Config,
    /// The file's directory (`.` for a bare file name).
    pub base: PathBuf,
}

/// Reads `file` and every finding in it, valid or not (`validate` reports them all).
pub fn read(file: &Path) -> Result<Loaded, CliError> {
    Ok(config::load_file(file)?)
}

/// Loads `file` for a command that acts on it: on errors, renders them to stderr and fails; on
/// warnings, says how many and where to see them.
pub fn load(file: &Path) -> Result<Desired, CliError> {
    let mut loaded = read(file)?;
    if loaded.has_errors() {
        let mut err = std::io::stderr().lock();
        diagnostics::render(&loaded, Styles::stderr(), &mut err)?;
        return Err(CliError::InvalidConfig {
            file: file.to_owned(),
            errors: loaded.errors(),
        });
    }
    if loaded.warnings() > 0 {
        eprintln!(
            "{}: {} warning(s); `pat-reconcile validate -f {}` shows them",
            loaded.name,
            loaded.warnings(),
            file.display()
        );
    }
    match loaded.config.take() {
        Some(config) => Ok(Desired {
            config,
            base: base_dir(file),
        }),
        None => Err(CliError::InvalidConfig {
            file: file.to_owned(),
            errors: 0,
        }),
    }
}

/// The directory of `pats.yaml`.
fn base_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_is_the_files_directory() {
        assert_eq!(base_dir(Path::new("pats.yaml")), PathBuf::from("."));
        assert_eq!(base_dir(Path::new("ops/pats.yaml")), PathBuf::from("ops"));
        assert_eq!(base_dir(Path::new("/etc/pats.yaml")), PathBuf::from("/etc"));
    }
}

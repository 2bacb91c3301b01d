//! `--state FILE`: the account and the clock offset saved as JSON after every change, written
//! atomically (a temporary file in the same directory, flushed, then renamed over the old one),
//! and reloaded at start. The file holds no token secret (only their SHA-256) and no password.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sandbox::account::Account;
use crate::sandbox::error::SandboxError;

/// Format version of the state file.
pub const STATE_VERSION: u32 = 1;

/// What the state file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    /// How far the sandbox clock was from real time, in milliseconds.
    pub clock_offset_ms: i64,
    pub account: Account,
}

/// Reads the state file; `Ok(None)` when it does not exist yet.
pub fn load(path: &Path) -> Result<Option<Snapshot>, SandboxError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SandboxError::StateRead {
                path: path.to_owned(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| SandboxError::StateParse {
            path: path.to_owned(),
            source,
        })
}

fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes the state file atomically.
pub fn save(path: &Path, snapshot: &Snapshot) -> Result<(), SandboxError> {
    let write_error = |source| SandboxError::StateWrite {
        path: path.to_owned(),
        source,
    };
    let text = serde_json::to_vec_pretty(snapshot)
        .map_err(|error| write_error(std::io::Error::other(error)))?;
    let temporary = temporary_path(path);
    let result = (|| {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(&text)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::name::Name;

    #[test]
    fn round_trips_and_leaves_no_temporary_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        assert!(load(&path).unwrap().is_none());
        let snapshot = Snapshot {
            version: STATE_VERSION,
            clock_offset_ms: 42,
            account: Account::new("SANDBOX", &Name::new("ADMIN"), chrono::Utc::now()),
        };
        save(&path, &snapshot).unwrap();
        let loaded = load(&path).unwrap().unwrap();
        assert_eq!(loaded.clock_offset_ms, 42);
        assert!(loaded.account.users.contains_key(&Name::new("ADMIN")));
        let entries: Vec<_> = fs::read_dir(directory.path()).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_it() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        fs::write(&path, "{not json").unwrap();
        let error = load(&path).unwrap_err();
        assert!(error.to_string().contains("state.json"));
    }
}

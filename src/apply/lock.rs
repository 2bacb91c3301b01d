//! The apply lock: one apply at a time per checkout (`.pat-reconcile/apply.lock`).
//!
//! The lock file is created exclusively and holds the owner's pid and start time; it is removed
//! when the lock drops. A lock whose process no longer runs (checked through `/proc` where
//! there is one) is stale and taken over.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Another apply holds the lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another apply is running (`{}`: {owner})", path.display())]
    Held { path: PathBuf, owner: String },
    #[error("cannot create the lock file `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A held lock; released on drop.
#[derive(Debug)]
pub struct ApplyLock {
    path: PathBuf,
}

impl ApplyLock {
    pub fn acquire(path: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut f) => {
                    let _ = writeln!(
                        f,
                        "pid {} since {}",
                        std::process::id(),
                        chrono::Utc::now().to_rfc3339()
                    );
                    return Ok(Self {
                        path: path.to_owned(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner = std::fs::read_to_string(path)
                        .unwrap_or_default()
                        .trim()
                        .to_owned();
                    if is_stale(&owner) {
                        tracing::warn!(lock = %path.display(), %owner, "taking over a stale apply lock");
                        let _ = std::fs::remove_file(path);
                        continue;
                    }
                    return Err(LockError::Held {
                        path: path.to_owned(),
                        owner,
                    });
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(LockError::Held {
            path: path.to_owned(),
            owner: "unknown".into(),
        })
    }
}

/// A lock is stale when its pid is not running (decidable only where `/proc` exists).
fn is_stale(owner: &str) -> bool {
    let pid = owner
        .strip_prefix("pid ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(pid) if Path::new("/proc/self").exists() => {
            !Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

impl Drop for ApplyLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_apply_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pat-reconcile/apply.lock");
        let first = ApplyLock::acquire(&path).unwrap();
        assert!(matches!(
            ApplyLock::acquire(&path),
            Err(LockError::Held { .. })
        ));
        drop(first);
        assert!(ApplyLock::acquire(&path).is_ok());
    }

    #[test]
    fn a_dead_owner_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apply.lock");
        std::fs::write(&path, "pid 999999999 since 2020-01-01T00:00:00Z").unwrap();
        if Path::new("/proc/self").exists() {
            assert!(ApplyLock::acquire(&path).is_ok());
        }
    }
}

//! The apply lock: one apply at a time per checkout (`.pat-reconcile/apply.lock`).
//!
//! The lock is an advisory OS lock on the file (`flock` on Linux and macOS, through `fs4`), so
//! it dies with the process however the process ends: a second Ctrl-C, `kill -9` or a crash
//! cannot leave it behind, and a reused pid cannot fool it. The file records who took the lock (pid and time)
//! for the error message only; that record is never trusted to decide anything.
//!
//! The file is removed on a clean release, while still locked. A process that opened the file
//! just before the removal could lock the orphaned inode, so `acquire` checks after locking that
//! the path still names the file it holds, and starts again when it does not.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use fs4::TryLockError;

/// How often `acquire` starts again when the file it locked was removed under it.
const ATTEMPTS: usize = 8;

/// The apply lock cannot be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process holds the lock now.
    #[error("another apply is running (`{}`{})", path.display(), match holder {
        Some(h) => format!(": {h}"),
        None => String::new(),
    })]
    Held {
        path: PathBuf,
        /// What the holder recorded, when it could be read.
        holder: Option<Holder>,
    },
    /// The lock file cannot be created, opened or locked.
    #[error("cannot lock `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What the process holding the lock wrote into the file: for people, never for decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub since: chrono::DateTime<chrono::Utc>,
}

impl Holder {
    fn parse(text: &str) -> Option<Self> {
        let rest = text.trim().strip_prefix("pid ")?;
        let (pid, since) = rest.split_once(" since ")?;
        Some(Self {
            pid: pid.parse().ok()?,
            since: chrono::DateTime::parse_from_rfc3339(since.trim())
                .ok()?
                .with_timezone(&chrono::Utc),
        })
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {} since {}", self.pid, self.since.to_rfc3339())
    }
}

/// A held lock; released on drop, and by the OS when the process ends in any other way.
#[derive(Debug)]
pub struct ApplyLock {
    path: PathBuf,
    /// Holding the open file is holding the lock.
    _file: File,
}

impl ApplyLock {
    /// Takes the lock at `path` without waiting, creating the file and its directory if needed.
    pub fn acquire(path: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        for _ in 0..ATTEMPTS {
            // No truncation before the lock is ours: the holder's record must survive.
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(io)?;
            // `fs4`, not std's `File::try_lock`: that is newer than the crate's rust-version.
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let holder = file
                        .read_to_string(&mut text)
                        .ok()
                        .and_then(|_| Holder::parse(&text));
                    return Err(LockError::Held {
                        path: path.to_owned(),
                        holder,
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            if !names_same_file(path, &file).map_err(io)? {
                continue;
            }
            let holder = Holder {
                pid: std::process::id(),
                since: chrono::Utc::now(),
            };
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            writeln!(file, "{holder}").map_err(io)?;
            return Ok(Self {
                path: path.to_owned(),
                _file: file,
            });
        }
        Err(LockError::Held {
            path: path.to_owned(),
            holder: None,
        })
    }
}

/// Whether `path` still names the open `file` (it was not removed or replaced meanwhile).
#[cfg(unix)]
fn names_same_file(path: &Path, file: &File) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(named) => Ok(named.dev() == held.dev() && named.ino() == held.ino()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Elsewhere an open file cannot be removed, so the path always names it.
#[cfg(not(unix))]
fn names_same_file(_path: &Path, _file: &File) -> std::io::Result<bool> {
    Ok(true)
}

impl Drop for ApplyLock {
    /// Removes the file while still holding the lock; closing the file then unlocks it.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set for the child process of [`a_lock_held_by_a_killed_process_does_not_block`].
    const HOLD_AT: &str = "PAT_RECONCILE_TEST_HOLD_LOCK_AT";
    /// What the child prints once it holds the lock.
    const HOLDING: &str = "PAT_RECONCILE_TEST_HOLDING";

    #[test]
    fn a_second_apply_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pat-reconcile/apply.lock");
        let first = ApplyLock::acquire(&path).unwrap();
        let Err(LockError::Held { holder, .. }) = ApplyLock::acquire(&path) else {
            panic!("the second acquire was not refused");
        };
        assert_eq!(holder.map(|h| h.pid), Some(std::process::id()));
        drop(first);
        assert!(!path.exists(), "a clean release removes the file");
        assert!(ApplyLock::acquire(&path).is_ok());
    }

    #[test]
    fn a_left_over_file_with_a_running_pid_does_not_block() {
        // A pid file would trust this record; the OS lock does not.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apply.lock");
        std::fs::write(
            &path,
            format!("pid {} since 2020-01-01T00:00:00Z\n", std::process::id()),
        )
        .unwrap();
        assert!(ApplyLock::acquire(&path).is_ok());
    }

    #[test]
    fn the_refusal_names_the_file_and_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apply.lock");
        let _first = ApplyLock::acquire(&path).unwrap();
        let message = ApplyLock::acquire(&path).unwrap_err().to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
    }

    /// Not a test: the child process the test below kills. It takes the lock and sleeps.
    #[test]
    #[ignore = "run by a_lock_held_by_a_killed_process_does_not_block"]
    fn hold_the_lock_until_killed() {
        let Some(path) = std::env::var_os(HOLD_AT) else {
            return;
        };
        let _lock = ApplyLock::acquire(Path::new(&path)).unwrap();
        println!("{HOLDING}");
        std::io::stdout().flush().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(120));
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_held_by_a_killed_process_does_not_block() {
        use std::io::BufRead;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pat-reconcile/apply.lock");
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "apply::lock::tests::hold_the_lock_until_killed",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HOLD_AT, &path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains(HOLDING) {
            line.clear();
            assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "the child ended");
        }
        let Err(LockError::Held { holder, .. }) = ApplyLock::acquire(&path) else {
            panic!("the child's lock did not hold");
        };
        assert_eq!(holder.map(|h| h.pid), Some(child.id()));

        child.kill().unwrap(); // SIGKILL: no destructor runs
        child.wait().unwrap();
        assert!(path.exists(), "kill -9 leaves the file behind");
        assert!(ApplyLock::acquire(&path).is_ok());
    }
}

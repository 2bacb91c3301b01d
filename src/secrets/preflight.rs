//! Checks before anything is minted: every sink that will receive a new secret can take it, and
//! the rescue folders can hold it if a sink fails anyway. A file sink's directory must be
//! writable (sinks write a temporary file beside the target, then rename it), a command sink's
//! program must exist and be executable, and `.pat-reconcile/rescue` and
//! `.pat-reconcile/pending` must be writable. Apply refuses to mint when one fails, so a secret
//! is never minted that nothing could keep.
//!
//! Writability is proved, not guessed from mode bits (root, ACLs and read-only mounts defeat
//! those): a probe file is created in the directory and removed at once. A directory that does
//! not exist yet is judged by the nearest ancestor that does (sinks create the rest). Uses only
//! `model`; the only I/O is the probes and metadata reads.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::model::desired::Sink;

/// Why a sink or the rescue folder cannot take a new secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreflightError {
    /// The directory a sink (or rescue file) is written into is not writable.
    #[error("{sink}: cannot write into `{}`", dir.display())]
    NotWritable {
        /// The sink as the plan names it, or `rescue folder`.
        sink: String,
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The target exists and is not a regular file (a directory, a FIFO, a device).
    #[error("{sink}: `{}` is not a regular file", path.display())]
    NotAFile { sink: String, path: PathBuf },
    /// A command sink's program was not found (as a path, or on `PATH`).
    #[error("{sink}: the program `{program}` does not exist")]
    ProgramMissing { sink: String, program: String },
    /// A command sink's program is not an executable file.
    #[error("{sink}: `{}` is not an executable file", path.display())]
    ProgramNotExecutable { sink: String, path: PathBuf },
    /// A command sink with an empty `argv`.
    #[error("{sink}: `argv` is empty")]
    EmptyArgv { sink: String },
}

impl PreflightError {
    /// The sink it is about, as the plan names it.
    pub fn sink(&self) -> &str {
        match self {
            PreflightError::NotWritable { sink, .. }
            | PreflightError::NotAFile { sink, .. }
            | PreflightError::ProgramMissing { sink, .. }
            | PreflightError::ProgramNotExecutable { sink, .. }
            | PreflightError::EmptyArgv { sink } => sink,
        }
    }
}

/// What the rescue checks call the folders.
pub const RESCUE_FOLDER: &str = "rescue folder";

/// Checks `sinks` of one token (paths against `base`; bare program names on `search_path`, the
/// `PATH` the command will run with). Every failure, in sink order.
pub fn check_sinks(
    sinks: &[Sink],
    base: &Path,
    search_path: Option<&OsStr>,
) -> Vec<PreflightError> {
    sinks
        .iter()
        .filter_map(|sink| check_sink(sink, base, search_path).err())
        .collect()
}

/// Checks that the rescue and pending-record folders (`dirs`) are writable.
pub fn check_rescue(dirs: &[PathBuf]) -> Vec<PreflightError> {
    dirs.iter()
        .filter_map(|d| writable_dir(RESCUE_FOLDER, d).err())
        .collect()
}

fn check_sink(sink: &Sink, base: &Path, search_path: Option<&OsStr>) -> Result<(), PreflightError> {
    let named = sink.to_string();
    let path = match sink {
        Sink::JsonFile(s) => &s.path,
        Sink::DotenvFile(s) => &s.path,
        Sink::TomlFile(s) => &s.path,
        Sink::File(s) => &s.path,
        Sink::Command(s) => {
            let Some(program) = s.argv.first() else {
                return Err(PreflightError::EmptyArgv { sink: named });
            };
            return check_program(&named, program, base, search_path);
        }
    };
    let target = resolve(base, path);
    // A link is written through: judge what it names.
    let target = std::fs::canonicalize(&target).unwrap_or(target);
    match std::fs::metadata(&target) {
        Ok(m) if !m.is_file() => {
            return Err(PreflightError::NotAFile {
                sink: named,
                path: target,
            });
        }
        _ => {}
    }
    let dir = target
        .parent()
        .map_or_else(|| base.to_owned(), Path::to_owned);
    writable_dir(&named, &dir)
}

fn check_program(
    sink: &str,
    program: &str,
    base: &Path,
    search_path: Option<&OsStr>,
) -> Result<(), PreflightError> {
    use std::os::unix::fs::PermissionsExt;
    let candidates: Vec<PathBuf> = if program.contains('/') {
        vec![resolve(base, program)]
    } else {
        search_path
            .map(|p| std::env::split_paths(p).map(|d| d.join(program)).collect())
            .unwrap_or_default()
    };
    let mut found = None;
    for candidate in candidates {
        if let Ok(m) = std::fs::metadata(&candidate) {
            if m.is_file() && m.permissions().mode() & 0o111 != 0 {
                return Ok(());
            }
            found.get_or_insert(candidate);
        }
    }
    match found {
        Some(path) => Err(PreflightError::ProgramNotExecutable {
            sink: sink.to_owned(),
            path,
        }),
        None => Err(PreflightError::ProgramMissing {
            sink: sink.to_owned(),
            program: program.to_owned(),
        }),
    }
}

/// Proves `dir` (or, when it does not exist yet, its nearest existing ancestor) writable by
/// creating and removing a probe file in it.
fn writable_dir(sink: &str, dir: &Path) -> Result<(), PreflightError> {
    let mut probe_in = dir;
    while !probe_in.exists() {
        match probe_in.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => probe_in = parent,
            _ => break,
        }
    }
    let probe = probe_in.join(format!(".pat-reconcile-probe-{}", uuid::Uuid::new_v4()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(file) => {
            drop(file);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(source) => Err(PreflightError::NotWritable {
            sink: sink.to_owned(),
            dir: probe_in.to_owned(),
            source,
        }),
    }
}

fn resolve(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn sink(yaml: serde_json::Value) -> Sink {
        serde_json::from_value(yaml).unwrap()
    }

    fn running_as_root() -> bool {
        // Root writes into a 0500 directory: the probe proves it, and the test has nothing to show.
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
        let writable = std::fs::write(dir.path().join("x"), "").is_ok();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        writable
    }

    #[test]
    fn a_read_only_directory_a_missing_or_plain_program_and_a_directory_target_fail() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir(base.join("ro")).unwrap();
        std::fs::create_dir(base.join("adir")).unwrap();
        std::fs::write(base.join("plain.sh"), "#!/bin/sh\n").unwrap();
        let sinks = vec![
            sink(serde_json::json!({ "file": { "path": "new/dir/t.txt" } })),
            sink(serde_json::json!({ "file": { "path": "adir" } })),
            sink(serde_json::json!({ "command": { "argv": ["no-such-program-here"] } })),
            sink(serde_json::json!({ "command": { "argv": ["./plain.sh"] } })),
            sink(serde_json::json!({ "command": { "argv": ["sh", "-c", "cat"] } })),
            sink(serde_json::json!({ "dotenv_file": { "path": "ro/x.env", "key": "K" } })),
        ];
        std::fs::set_permissions(base.join("ro"), std::fs::Permissions::from_mode(0o500)).unwrap();
        let path = std::env::var_os("PATH");
        let errors = check_sinks(&sinks, base, path.as_deref());
        std::fs::set_permissions(base.join("ro"), std::fs::Permissions::from_mode(0o700)).unwrap();
        let named: Vec<&str> = errors.iter().map(PreflightError::sink).collect();
        let mut want = vec![
            "file adir",
            "command no-such-program-here",
            "command ./plain.sh",
        ];
        if !running_as_root() {
            want.push("dotenv_file ro/x.env K");
        }
        assert_eq!(named, want, "{errors:?}");
        assert!(matches!(errors[0], PreflightError::NotAFile { .. }));
        assert!(matches!(errors[1], PreflightError::ProgramMissing { .. }));
        assert!(matches!(
            errors[2],
            PreflightError::ProgramNotExecutable { .. }
        ));
        // Nothing was left behind by the probes.
        assert!(!base.join("new").exists());
        assert_eq!(std::fs::read_dir(base).unwrap().count(), 3);
    }

    #[test]
    fn rescue_folders_that_do_not_exist_yet_are_judged_by_their_parent() {
        let dir = tempfile::tempdir().unwrap();
        let rescue = dir.path().join(".pat-reconcile").join("rescue");
        assert!(check_rescue(std::slice::from_ref(&rescue)).is_empty());
        if running_as_root() {
            return;
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
        let errors = check_rescue(&[rescue]);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(
            matches!(&errors[..], [PreflightError::NotWritable { sink, .. }] if sink == RESCUE_FOLDER)
        );
    }
}

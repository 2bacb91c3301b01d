//! A builder that runs the real `pat-reconcile` binary the way a user would, but isolated.
//!
//! Each [`Cli`] owns a fresh temporary directory that is both the working directory and
//! `SNOWFLAKE_HOME`, so a test never reads the developer's `pats.yaml` or connections. Every
//! `SNOWFLAKE_*` variable and `PAT_RECONCILE_LOG` are removed and `NO_COLOR=1` is set, so output
//! does not depend on who runs the test (a developer's log filter would add lines to stderr). [`Output`]'s `Debug` shows the command, exit code, stdout and stderr in full,
//! which is what a failed assertion should print.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_pat-reconcile");

/// A command line to run in its own temporary directory (or one a test shares across runs).
pub struct Cli {
    dir: Dir,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
}

enum Dir {
    Owned(tempfile::TempDir),
    Shared(PathBuf),
}

impl Dir {
    fn path(&self) -> &Path {
        match self {
            Dir::Owned(d) => d.path(),
            Dir::Shared(p) => p,
        }
    }
}

impl Cli {
    /// `pat-reconcile` with no arguments yet, in a new empty directory.
    pub fn new() -> Self {
        Self {
            dir: Dir::Owned(tempfile::tempdir().expect("create a temporary directory")),
            args: Vec::new(),
            envs: Vec::new(),
        }
    }

    /// `pat-reconcile` in a directory the caller owns (a scenario of several runs).
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            dir: Dir::Shared(dir.to_owned()),
            args: Vec::new(),
            envs: Vec::new(),
        }
    }

    /// Sets an environment variable for the run (after the `SNOWFLAKE_*` ones are cleared).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The working directory the command runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (relative to the working directory) before the run.
    pub fn file(self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        self
    }

    /// Runs the command and waits for it.
    pub fn run(&self) -> Output {
        let mut command = Command::new(BIN);
        command.args(&self.args).current_dir(self.dir.path());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SNOWFLAKE_") {
                command.env_remove(&name);
            }
        }
        command.env_remove(pat_reconcile::config::env::PAT_RECONCILE_LOG);
        command
            .env("SNOWFLAKE_HOME", self.dir.path().join(".snowflake"))
            .env("NO_COLOR", "1");
        command.envs(self.envs.iter().map(|(k, v)| (k, v)));
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("run {BIN}: {e}"));
        Output {
            command: std::iter::once("pat-reconcile".to_owned())
                .chain(self.args.iter().map(|a| a.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(" "),
            dir: self.dir.path().to_owned(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// What a run produced.
pub struct Output {
    pub command: String,
    pub dir: PathBuf,
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:?}"))
    }

    /// Fails unless the process exited with `code` and did not panic.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self:?}");
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked:\n{self:?}"
        );
        self
    }
}

impl Output {
    /// Fails unless the run exited 0; returns it for further checks.
    #[track_caller]
    pub fn success(self) -> Self {
        self.assert_code(0);
        self
    }

    /// Fails unless the run exited 1 (an error); returns it for further checks.
    #[track_caller]
    pub fn failure(self) -> Self {
        self.assert_code(1);
        self
    }

    /// stdout and stderr together, for searching everything a user saw.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command:   {}", self.command)?;
        writeln!(f, "in:        {}", self.dir.display())?;
        match self.code {
            Some(code) => writeln!(f, "exit code: {code}")?,
            None => writeln!(f, "exit code: none (killed by a signal)")?,
        }
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

//! `pat-reconcile import`: read users of the account (declared nowhere yet) and write the
//! `pats.yaml` that plans empty against it, or add them to an existing file with `--merge`.
//!
//! Where the result goes, decided before anything is read:
//! - without `--merge`: stdout, or `--out FILE`, which must not exist unless `--force`;
//! - with `--merge FILE`: back into `FILE` (an insertion only: every byte already there stays,
//!   so no `--force` is asked, like `terraform import` adding to its state), or to `--out`
//!   (`-` for stdout), under the same rule as above for a different file.
//!
//! The choices of what is declared are `config::import`'s (its module docs); this file resolves
//! the flags, reads, and reports on stderr: what was written, each placeholder `deliver`, and
//! each note (a narrowed rotation window, an expired token the plan removes, ...).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::CliError;
use super::source::{Origin, SandboxSourceArgs, Source};
use super::status::ExitStatus;
use crate::config::import::{self, ImportOptions, Imported, MergeError};
use crate::model::IdentifierError;
use crate::model::Vocabulary;
use crate::model::desired::UserType;
use crate::snowflake::selection::{self, UserPattern, UserSelection};

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A user to import: a name as pats.yaml spells it (`svc_loader`, `'"Mixed Case"'`), or a
    /// glob with `*` and `?` matched without case (`'TEAM_A_*'`). Repeatable; without it, any
    /// name. (`--user` is the connection's login user.)
    #[arg(long = "users", value_name = "NAME|GLOB")]
    pub users: Vec<String>,
    /// Only users of this type: PERSON, SERVICE, LEGACY_SERVICE, SERVICE_AGENT. Repeatable.
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only users that hold a token (`SHOW USERS` shows `has_pat = true`).
    #[arg(long)]
    pub with_tokens: bool,
    /// Also declare the account-level policy attachments and the policies they name.
    /// (`--account` is the connection's account.)
    #[arg(long)]
    pub account_policies: bool,
    /// Where to write the file; `-` for stdout (the default without `--merge`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite `--out` when it exists.
    #[arg(long)]
    pub force: bool,
    /// Add what this file does not declare yet, leaving every entry in it as written.
    #[arg(long, value_name = "FILE")]
    pub merge: Option<PathBuf>,
    /// Directory of the placeholder `file` sinks, relative to the pats.yaml directory.
    #[arg(long, value_name = "DIR", default_value = "secrets")]
    pub deliver_dir: String,
    #[command(flatten)]
    pub source: SandboxSourceArgs,
}

/// Why `import` refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("`--users {given}` is neither a user name nor a glob")]
    User {
        given: String,
        #[source]
        source: IdentifierError,
    },
    #[error("`--type {given}` is not a user type")]
    Type { given: String },
    #[error("`{}` exists; import does not overwrite it", path.display())]
    Exists { path: PathBuf },
    #[error(transparent)]
    Merge(#[from] MergeError),
}

impl ImportError {
    /// What the user can do about it.
    pub fn hints(&self) -> Vec<String> {
        match self {
            ImportError::User { .. } => vec![
                "quote a name that is not upper case as pats.yaml does: `--users '\"Mixed Case\"'`, or use a glob: `--users 'team_*'`".into(),
            ],
            ImportError::Type { .. } => vec![format!(
                "use one of {}",
                UserType::ALL
                    .iter()
                    .map(|t| format!("`{}`", t.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
            ImportError::Exists { .. } => vec![
                "pass `--force` to overwrite it, or `--merge FILE` to add to it and keep what it declares".into(),
            ],
            ImportError::Merge(e) => vec![e.hint().to_owned()],
        }
    }
}

/// Where the document goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Stdout,
    File(PathBuf),
}

/// The target the flags name, refused before anything is read when it would overwrite a file.
fn target(args: &ImportArgs) -> Result<Target, ImportError> {
    let out = match (&args.out, &args.merge) {
        (Some(p), _) if p.as_os_str() == "-" => return Ok(Target::Stdout),
        (None, None) => return Ok(Target::Stdout),
        (None, Some(merge)) => return Ok(Target::File(merge.clone())),
        (Some(p), _) => p.clone(),
    };
    let same_as_merged = args.merge.as_deref().is_some_and(|m| same_file(m, &out));
    if out.exists() && !args.force && !same_as_merged {
        return Err(ImportError::Exists { path: out });
    }
    Ok(Target::File(out))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The selection the flags name.
fn selection(args: &ImportArgs) -> Result<UserSelection, ImportError> {
    let users = args
        .users
        .iter()
        .map(|u| {
            UserPattern::parse(u).map_err(|source| ImportError::User {
                given: u.clone(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let types = args
        .types
        .iter()
        .map(|t| {
            selection::parse_user_type(t).ok_or_else(|| ImportError::Type { given: t.clone() })
        })
        .collect::<Result<_, _>>()?;
    Ok(UserSelection {
        users,
        types,
        with_tokens: args.with_tokens,
        account: args.account_policies,
    })
}

/// Runs `import`.
pub fn run(args: &ImportArgs) -> Result<ExitStatus, CliError> {
    let selection = selection(args)?;
    let target = target(args)?;
    let existing = match &args.merge {
        Some(path) => Some(
            std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
                path: path.clone(),
                source,
            })?,
        ),
        None => None,
    };
    let Source::Remote(remote) = Origin::of(&args.source, None)?.open()? else {
        unreachable!("import names no live-state file");
    };
    let (live, now) = remote.read_selected(&selection)?;
    for name in selection.unmatched_names(live.users.keys()) {
        eprintln!("warning: no user `{name}` matched in the account");
    }
    let options = ImportOptions {
        deliver_dir: args.deliver_dir.clone(),
        account: args.account_policies,
    };
    let imported = match (&args.merge, &existing) {
        (Some(path), Some(text)) => {
            import::merge(&path.display().to_string(), text, &live, now, &options)
                .map_err(ImportError::from)?
        }
        _ => import::document(&live, now, &options),
    };
    let unchanged = existing.as_deref() == Some(imported.text.as_str());
    match &target {
        Target::Stdout => std::io::stdout()
            .lock()
            .write_all(imported.text.as_bytes())?,
        Target::File(_) if unchanged && args.out.is_none() => {}
        Target::File(path) => write_file(path, &imported.text)?,
    }
    summary(&imported, &target, args.merge.is_some());
    Ok(ExitStatus::Success)
}

/// Writes `text` to `path` through a temporary file in the same directory, so a reader never
/// sees half a file.
fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    let error = |source| CliError::WriteFile {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(error)?;
    tmp.write_all(text.as_bytes()).map_err(error)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
        }
    }
    tmp.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}

/// The summary on stderr: what was written where, the placeholders, the notes.
fn summary(imported: &Imported, target: &Target, merged: bool) {
    let a = &imported.added;
    let mut what = vec![
        format!("{} user(s)", a.users),
        format!("{} token(s)", a.tokens),
    ];
    for (n, kind) in [
        (a.network_policies, "network policy(ies)"),
        (a.network_rules, "network rule(s)"),
        (a.authentication_policies, "authentication policy(ies)"),
    ] {
        if n > 0 {
            what.push(format!("{n} {kind}"));
        }
    }
    if a.account {
        what.push("the account's attachments".into());
    }
    let place = match target {
        Target::Stdout => "stdout".to_owned(),
        Target::File(p) => format!("`{}`", p.display()),
    };
    let verb = if merged { "added" } else { "imported" };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{verb} {} to {place}", what.join(", "));
    if !imported.placeholders.is_empty() {
        let _ = writeln!(
            err,
            "\n{} token(s) got a placeholder `deliver` (Snowflake cannot show a secret again); choose each sink before the token next rotates:",
            imported.placeholders.len()
        );
        for p in &imported.placeholders {
            let _ = writeln!(err, "  user.{}.token.{}  file {}", p.user, p.token, p.path);
        }
    }
    if !imported.notes.is_empty() {
        let _ = writeln!(err);
        for note in &imported.notes {
            let _ = writeln!(err, "note: {note}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        args: ImportArgs,
    }

    fn args(line: &[&str]) -> ImportArgs {
        Wrap::parse_from(std::iter::once("import").chain(line.iter().copied())).args
    }

    #[test]
    fn the_target_is_stdout_a_new_file_or_the_merged_file() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("pats.yaml");
        std::fs::write(&existing, "version: 1\n").unwrap();
        let e = existing.to_str().unwrap();
        assert_eq!(target(&args(&[])).unwrap(), Target::Stdout);
        assert!(matches!(
            target(&args(&["--out", e])),
            Err(ImportError::Exists { .. })
        ));
        assert_eq!(
            target(&args(&["--out", e, "--force"])).unwrap(),
            Target::File(existing.clone())
        );
        assert_eq!(
            target(&args(&["--merge", e])).unwrap(),
            Target::File(existing.clone())
        );
        assert_eq!(
            target(&args(&["--merge", e, "--out", e])).unwrap(),
            Target::File(existing.clone())
        );
        assert_eq!(
            target(&args(&["--merge", e, "--out", "-"])).unwrap(),
            Target::Stdout
        );
    }

    #[test]
    fn bad_flags_are_named() {
        assert!(matches!(
            selection(&args(&["--type", "ROBOT"])),
            Err(ImportError::Type { .. })
        ));
        assert!(matches!(
            selection(&args(&["--users", "two words"])),
            Err(ImportError::User { .. })
        ));
        let s = selection(&args(&[
            "--type",
            "service",
            "--with-tokens",
            "--users",
            "A*",
        ]))
        .unwrap();
        assert!(s.with_tokens);
        assert_eq!(s.types.len(), 1);
    }
}

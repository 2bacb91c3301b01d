//! Delivering a freshly minted secret to where its consumer reads it (DESIGN §5).
//!
//! Files are written atomically: a temporary file in the same directory, mode 0600, written and
//! fsynced, then renamed over the target, so a reader sees the old file or the new one, never
//! half of one. `json_file` and `dotenv_file` keep everything else in the file. A `command` gets
//! the value on stdin and the user and token names in its environment. When a sink fails, the
//! secret goes to a 0600 rescue file so it is not lost, and the error says where.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Secret;
use super::error::{PointerError, SinkErrorKind, WriteError};
use crate::model::desired::{CommandSink, DotenvFileSink, FileSink, JsonFileSink, Sink};

pub use super::error::SinkError;

/// Environment variables a `command` sink receives.
pub const ENV_USER: &str = "PAT_RECONCILE_USER";
pub const ENV_TOKEN: &str = "PAT_RECONCILE_TOKEN";
pub const ENV_ACCOUNT: &str = "PAT_RECONCILE_ACCOUNT";
/// Default timeout of a `command` sink.
pub const DEFAULT_COMMAND_TIMEOUT_SECONDS: u32 = 60;

/// Where the rescue files of a run go: `<pats.yaml dir>/.pat-reconcile/rescue/`.
pub fn rescue_dir(base: &Path) -> PathBuf {
    base.join(".pat-reconcile").join("rescue")
}

/// What a secret is for, used in templates, the environment and file names.
#[derive(Debug, Clone)]
pub struct SecretContext<'a> {
    pub user: &'a str,
    pub token: &'a str,
    pub account: &'a str,
    /// Directory relative sink paths resolve against (the `pats.yaml` directory).
    pub base: &'a Path,
}

/// Where a failed delivery leaves the secret.
#[derive(Debug, Clone)]
enum RescueTo {
    /// Write a new rescue file, named after the token and this instant.
    New(DateTime<Utc>),
    /// The secret came from this rescue file (a retry): it stays there, nothing is written.
    Existing(PathBuf),
}

/// What delivering one secret to its sinks came to: every sink was tried.
#[derive(Debug, Default)]
pub struct Delivery {
    /// The sinks that received the secret, as the plan names them, in order.
    pub delivered: Vec<String>,
    /// The sinks that did not, each with its error (which names the rescue file).
    pub failed: Vec<SinkError>,
}

impl Delivery {
    /// True when every sink received the secret.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    /// The rescue file holding the secret, when a sink failed and it could be written.
    pub fn rescue(&self) -> Option<&Path> {
        self.failed.iter().find_map(|e| e.rescue.as_deref())
    }
}

/// Delivers `secret` to every sink, in order, trying each even when an earlier one failed. When
/// any fails (or there is no sink), the secret is written to one rescue file, named after the
/// token and `now`, and every failure names it.
pub async fn deliver_all(
    sinks: &[Sink],
    secret: &Secret,
    cx: &SecretContext<'_>,
    now: DateTime<Utc>,
) -> Delivery {
    deliver_each(sinks, secret, cx, RescueTo::New(now)).await
}

/// Delivers a secret read back from its rescue file to `sinks`, like [`deliver_all`]; the
/// secret stays in `rescue` (nothing new is written) and every failure names it.
pub async fn redeliver(
    sinks: &[Sink],
    secret: &Secret,
    cx: &SecretContext<'_>,
    rescue: &Path,
) -> Delivery {
    deliver_each(sinks, secret, cx, RescueTo::Existing(rescue.to_owned())).await
}

async fn deliver_each(
    sinks: &[Sink],
    secret: &Secret,
    cx: &SecretContext<'_>,
    rescue_to: RescueTo,
) -> Delivery {
    let mut outcome = Delivery::default();
    let mut failures = Vec::new();
    for sink in sinks {
        let described = sink.to_string();
        match deliver(sink, secret, cx).await {
            Ok(()) => outcome.delivered.push(described),
            Err(kind) => failures.push((described, target(sink, cx.base), kind)),
        }
    }
    if sinks.is_empty() {
        failures.push(("(none)".into(), None, SinkErrorKind::NoSink));
    }
    if failures.is_empty() {
        return outcome;
    }
    let (rescue, rescue_error) = match rescue_to {
        RescueTo::Existing(path) => (Some(path), None),
        RescueTo::New(now) => match rescue(secret, cx, now) {
            Ok(path) => (Some(path), None),
            Err(e) => (None, Some(e)),
        },
    };
    let mut rescue_error = rescue_error.map(Box::new);
    for (sink, path, kind) in failures {
        outcome.failed.push(SinkError {
            user: cx.user.to_owned(),
            token: cx.token.to_owned(),
            sink,
            path,
            rescue: rescue.clone(),
            // The cause is not `Clone`; the first failure carries it.
            rescue_error: rescue_error.take(),
            kind,
        });
    }
    outcome
}

/// The file a sink writes, resolved; `None` for a `command`.
fn target(sink: &Sink, base: &Path) -> Option<PathBuf> {
    match sink {
        Sink::JsonFile(s) => Some(resolve(base, &s.path)),
        Sink::DotenvFile(s) => Some(resolve(base, &s.path)),
        Sink::File(s) => Some(resolve(base, &s.path)),
        Sink::Command(_) => None,
    }
}

/// The value a sink writes: its `format` with `{secret}`, `{user}`, `{token}`, `{account}`.
fn shaped(format: Option<&str>, secret: &Secret, cx: &SecretContext<'_>) -> Secret {
    let template = format.unwrap_or("{secret}");
    Secret::new(
        template
            .replace("{user}", cx.user)
            .replace("{token}", cx.token)
            .replace("{account}", cx.account)
            .replace("{secret}", secret.expose()),
    )
}

async fn deliver(
    sink: &Sink,
    secret: &Secret,
    cx: &SecretContext<'_>,
) -> Result<(), SinkErrorKind> {
    match sink {
        Sink::JsonFile(s) => json_file(s, &shaped(s.format.as_deref(), secret, cx), cx.base),
        Sink::DotenvFile(s) => dotenv_file(s, &shaped(s.format.as_deref(), secret, cx), cx.base),
        Sink::File(s) => Ok(file(s, &shaped(s.format.as_deref(), secret, cx), cx.base)?),
        Sink::Command(s) => command(s, &shaped(s.format.as_deref(), secret, cx), cx).await,
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

/// Writes `bytes` to `path` atomically with mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|source| WriteError::CreateDir {
        dir: dir.clone(),
        source,
    })?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".pat-reconcile-")
        .tempfile_in(&dir)
        .map_err(|source| WriteError::CreateTemporary {
            dir: dir.clone(),
            source,
        })?;
    set_private(tmp.path())?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|source| WriteError::Write {
            path: tmp.path().to_owned(),
            source,
        })?;
    tmp.persist(path).map_err(|e| WriteError::Replace {
        path: path.to_owned(),
        source: e.error,
    })?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Make the rename itself durable; failing to sync a directory is not fatal.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn set_private(path: &Path) -> Result<(), WriteError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        WriteError::Restrict {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn set_private(_: &Path) -> Result<(), WriteError> {
    Ok(())
}

fn read_existing(path: &Path) -> Result<Option<String>, SinkErrorKind> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SinkErrorKind::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

fn json_file(sink: &JsonFileSink, value: &Secret, base: &Path) -> Result<(), SinkErrorKind> {
    let path = resolve(base, &sink.path);
    let mut doc = match read_existing(&path)? {
        Some(text) if !text.trim().is_empty() => serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|source| SinkErrorKind::InvalidJson {
            path: path.clone(),
            source,
        })?,
        _ => serde_json::Value::Object(serde_json::Map::new()),
    };
    set_pointer(
        &mut doc,
        &sink.pointer,
        serde_json::Value::String(value.expose().to_owned()),
    )?;
    let mut text =
        zeroize::Zeroizing::new(serde_json::to_string_pretty(&doc).map_err(|source| {
            SinkErrorKind::EncodeJson {
                path: path.clone(),
                source,
            }
        })?);
    text.push('\n');
    Ok(write_atomic(&path, text.as_bytes())?)
}

/// Sets the value at an RFC 6901 pointer, creating missing objects on the way.
pub fn set_pointer(
    doc: &mut serde_json::Value,
    pointer: &str,
    value: serde_json::Value,
) -> Result<(), PointerError> {
    if pointer.is_empty() {
        return Err(PointerError::Empty);
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PointerError::NoLeadingSlash {
            pointer: pointer.to_owned(),
        });
    };
    let tokens: Vec<String> = rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut node = doc;
    for (i, token) in tokens.iter().enumerate() {
        let last = i + 1 == tokens.len();
        node = match node {
            serde_json::Value::Object(map) => {
                if last {
                    map.insert(token.clone(), value);
                    return Ok(());
                }
                map.entry(token.clone())
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
            }
            serde_json::Value::Array(items) => {
                let index: usize = token.parse().map_err(|_| PointerError::NotAnIndex {
                    pointer: pointer.to_owned(),
                    token: token.clone(),
                })?;
                let slot = items
                    .get_mut(index)
                    .ok_or_else(|| PointerError::NoSuchItem {
                        pointer: pointer.to_owned(),
                        index,
                    })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => {
                return Err(PointerError::NotAnObject {
                    pointer: pointer.to_owned(),
                    parent: tokens[..i].join("/"),
                });
            }
        };
    }
    Ok(())
}

fn dotenv_file(sink: &DotenvFileSink, value: &Secret, base: &Path) -> Result<(), SinkErrorKind> {
    let path = resolve(base, &sink.path);
    let existing = zeroize::Zeroizing::new(read_existing(&path)?.unwrap_or_default());
    let quoted = dotenv_value(value.expose());
    let mut out =
        zeroize::Zeroizing::new(String::with_capacity(existing.len() + quoted.len() + 32));
    let mut replaced = false;
    for line in existing.lines() {
        let trimmed = line.trim_start();
        let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let is_key = body
            .split_once('=')
            .is_some_and(|(k, _)| k.trim() == sink.key);
        if is_key && !replaced {
            let export = if trimmed.starts_with("export ") {
                "export "
            } else {
                ""
            };
            out.push_str(&format!("{export}{}={quoted}\n", sink.key));
            replaced = true;
        } else if !is_key {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        out.push_str(&format!("{}={quoted}\n", sink.key));
    }
    Ok(write_atomic(&path, out.as_bytes())?)
}

/// A dotenv value, double-quoted (with escapes) when it holds anything a parser could misread.
fn dotenv_value(v: &str) -> String {
    let plain = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/+=@%,".contains(c));
    if plain {
        v.to_owned()
    } else {
        format!(
            "\"{}\"",
            v.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('$', "\\$")
                .replace('\n', "\\n")
        )
    }
}

fn file(sink: &FileSink, value: &Secret, base: &Path) -> Result<(), WriteError> {
    write_atomic(&resolve(base, &sink.path), value.expose().as_bytes())
}

async fn command(
    sink: &CommandSink,
    value: &Secret,
    cx: &SecretContext<'_>,
) -> Result<(), SinkErrorKind> {
    use tokio::io::AsyncWriteExt;
    let Some((program, args)) = sink.argv.split_first() else {
        return Err(SinkErrorKind::EmptyArgv);
    };
    let timeout = Duration::from_secs(
        sink.timeout_seconds
            .unwrap_or(DEFAULT_COMMAND_TIMEOUT_SECONDS)
            .into(),
    );
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .current_dir(cx.base)
        .env(ENV_USER, cx.user)
        .env(ENV_TOKEN, cx.token)
        .env(ENV_ACCOUNT, cx.account)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| SinkErrorKind::Spawn {
            program: program.clone(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that exits without reading stdin is judged by its exit status below.
        let _ = stdin.write_all(value.expose().as_bytes()).await;
        let _ = stdin.shutdown().await;
    }
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(source)) => {
            return Err(SinkErrorKind::Wait {
                program: program.clone(),
                source,
            });
        }
        Err(_) => {
            return Err(SinkErrorKind::Timeout {
                program: program.clone(),
                seconds: timeout.as_secs(),
            });
        }
    };
    if output.status.success() {
        return Ok(());
    }
    // The command's own error output may echo its input; never show the secret.
    let stderr = String::from_utf8_lossy(&output.stderr).replace(value.expose(), "[redacted]");
    Err(SinkErrorKind::Exited {
        program: program.clone(),
        status: output.status,
        stderr: stderr.trim().chars().take(300).collect(),
    })
}

/// Saves a secret that could not be delivered to `<base>/.pat-reconcile/rescue/`, mode 0600.
pub fn rescue(
    secret: &Secret,
    cx: &SecretContext<'_>,
    now: DateTime<Utc>,
) -> Result<PathBuf, WriteError> {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let path = rescue_dir(cx.base).join(format!(
        "{}.{}.{}.secret",
        safe(cx.user),
        safe(cx.token),
        now.format("%Y%m%dT%H%M%SZ")
    ));
    write_atomic(&path, format!("{}\n", secret.expose()).as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_create_missing_objects_and_keep_the_rest() {
        let mut doc = json!({"account": "a", "nested": {"keep": 1}});
        set_pointer(&mut doc, "/pat", json!("S")).unwrap();
        set_pointer(&mut doc, "/nested/deep/x~1y", json!("T")).unwrap();
        assert_eq!(
            doc,
            json!({"account": "a", "nested": {"keep": 1, "deep": {"x/y": "T"}}, "pat": "S"})
        );
        assert_eq!(
            set_pointer(&mut doc, "pat", json!(1)),
            Err(PointerError::NoLeadingSlash {
                pointer: "pat".into()
            })
        );
        assert_eq!(
            set_pointer(&mut doc, "/account/x", json!(1)),
            Err(PointerError::NotAnObject {
                pointer: "/account/x".into(),
                parent: "account".into()
            })
        );
    }

    #[test]
    fn dotenv_values_are_quoted_when_needed() {
        assert_eq!(dotenv_value("abc-123:xyz"), "abc-123:xyz");
        assert_eq!(dotenv_value("Bearer abc"), "\"Bearer abc\"");
        assert_eq!(dotenv_value("a\"b$c"), "\"a\\\"b\\$c\"");
    }

    impl Delivery {
        /// The sinks reached, or the first failure.
        fn into_result(mut self) -> Result<Vec<String>, Box<SinkError>> {
            if self.failed.is_empty() {
                Ok(self.delivered)
            } else {
                Err(Box::new(self.failed.remove(0)))
            }
        }
    }

    #[tokio::test]
    async fn every_sink_is_tried_when_one_fails() {
        let dir = tempfile::tempdir().unwrap();
        let sinks: Vec<Sink> = serde_json::from_value(json!([
            {"command": {"argv": ["false"]}},
            {"file": {"path": "out/token"}},
            {"command": {"argv": ["sh", "-c", "exit 4"]}},
        ]))
        .unwrap();
        let outcome = deliver_all(&sinks, &Secret::new(SECRET), &cx(dir.path()), now()).await;
        assert_eq!(outcome.delivered, vec!["file out/token"]);
        assert_eq!(outcome.failed.len(), 2);
        let rescue = outcome.rescue().unwrap().to_owned();
        assert!(
            outcome
                .failed
                .iter()
                .all(|e| e.rescue.as_ref() == Some(&rescue))
        );
        assert_eq!(std::fs::read_to_string(&rescue).unwrap().trim(), SECRET);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out/token")).unwrap(),
            SECRET
        );
        let rescues = std::fs::read_dir(rescue_dir(dir.path())).unwrap().count();
        assert_eq!(rescues, 1, "one rescue file per secret");

        let again = redeliver(&sinks[..1], &Secret::new(SECRET), &cx(dir.path()), &rescue).await;
        assert_eq!(again.rescue(), Some(rescue.as_path()));
        assert_eq!(
            std::fs::read_dir(rescue_dir(dir.path())).unwrap().count(),
            1
        );
    }

    fn cx(base: &Path) -> SecretContext<'_> {
        SecretContext {
            user: "THERMAL_STREAMING_USER",
            token: "THERMAL_PAT",
            account: "SANDBOX",
            base,
        }
    }

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn now() -> DateTime<Utc> {
        "2026-11-27T12:00:00Z".parse().unwrap()
    }

    // Split so that secret scanners do not mistake the test value for a leaked token.
    const SECRET: &str = concat!("ver:1-hint:77", "-QWxhZGRpbjpvcGVuIHNlc2FtZQAbcdEFgh");

    #[tokio::test]
    async fn json_file_sets_the_pointer_and_keeps_everything_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snowflake_config.json");
        std::fs::write(
            &path,
            "{\"account\": \"a\", \"pat\": \"old\", \"opts\": {\"x\": [1, 2]}}",
        )
        .unwrap();
        let sink: Sink = serde_json::from_value(
            json!({"json_file": {"path": "snowflake_config.json", "pointer": "/pat"}}),
        )
        .unwrap();
        let delivered = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap();
        assert_eq!(delivered, vec!["json_file snowflake_config.json /pat"]);
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            doc,
            json!({"account": "a", "pat": SECRET, "opts": {"x": [1, 2]}})
        );
        assert_eq!(mode(&path), 0o600);
    }

    #[tokio::test]
    async fn dotenv_replaces_one_key_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backfill.env");
        std::fs::write(
            &path,
            "# comment\nOTHER=1\nexport SNOWFLAKE_TOKEN=old\nLAST=x y\n",
        )
        .unwrap();
        let sink: Sink = serde_json::from_value(json!({"dotenv_file": {"path": "backfill.env", "key": "SNOWFLAKE_TOKEN", "format": "Bearer {secret}"}})).unwrap();
        deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("# comment\nOTHER=1\nexport SNOWFLAKE_TOKEN=\"Bearer {SECRET}\"\nLAST=x y\n")
        );
        assert_eq!(mode(&path), 0o600);
    }

    #[tokio::test]
    async fn file_and_command_sinks_receive_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let sinks: Vec<Sink> = serde_json::from_value(json!([
            {"file": {"path": "secrets/token"}},
            {"command": {"argv": ["sh", "-c", "cat > from_stdin; echo \"$PAT_RECONCILE_USER.$PAT_RECONCILE_TOKEN\" > env_seen"]}},
        ]))
        .unwrap();
        deliver_all(&sinks, &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("secrets/token")).unwrap(),
            SECRET
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("from_stdin")).unwrap(),
            SECRET
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("env_seen")).unwrap(),
            "THERMAL_STREAMING_USER.THERMAL_PAT\n"
        );
    }

    #[tokio::test]
    async fn a_failing_sink_leaves_the_secret_in_a_rescue_file() {
        let dir = tempfile::tempdir().unwrap();
        let sinks: Vec<Sink> = serde_json::from_value(json!([
            {"command": {"argv": ["sh", "-c", "cat >&2; exit 3"]}},
        ]))
        .unwrap();
        let err = deliver_all(&sinks, &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap_err();
        let text = format!("{err} {} {err:?}", err.kind);
        assert!(text.contains("exit status: 3"), "{text}");
        assert!(
            !text.contains(SECRET),
            "the error echoes the secret: {text}"
        );
        let rescue = err.rescue.unwrap();
        assert!(rescue.starts_with(rescue_dir(dir.path())));
        assert_eq!(std::fs::read_to_string(&rescue).unwrap().trim(), SECRET);
        assert_eq!(mode(&rescue), 0o600);
    }

    #[tokio::test]
    async fn invalid_json_is_not_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, "{ not json").unwrap();
        let sink: Sink =
            serde_json::from_value(json!({"json_file": {"path": "c.json", "pointer": "/pat"}}))
                .unwrap();
        let err = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap_err();
        assert!(
            matches!(err.kind, SinkErrorKind::InvalidJson { .. }),
            "{err:?}"
        );
        assert_eq!(err.path, Some(path.clone()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
        assert!(err.rescue.is_some());
    }

    #[tokio::test]
    async fn a_hanging_command_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let sinks: Vec<Sink> = serde_json::from_value(json!([
            {"command": {"argv": ["sleep", "30"], "timeout_seconds": 1}},
        ]))
        .unwrap();
        let err = deliver_all(&sinks, &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap_err();
        assert!(
            matches!(&err.kind, SinkErrorKind::Timeout { seconds: 1, .. }),
            "{err:?}"
        );
        assert!(
            err.kind.to_string().contains("did not finish within 1 s"),
            "{}",
            err.kind
        );
    }
}

//! Delivering a freshly minted secret to where its consumer reads it (DESIGN §5).
//!
//! Files are written atomically: a temporary file in the target's directory, written and
//! fsynced, then renamed over the target, so a reader sees the old file or the new one, never
//! half of one. A symbolic link is written through and stays a link; a new file is 0600, an
//! existing one keeps its mode and owner (see [`write_atomic`]). `json_file`, `dotenv_file` and
//! `toml_file` keep everything else in the file, `toml_file` its comments and layout too. A
//! `command` gets the value on stdin and, in an otherwise cleared environment, `PATH`, `HOME`,
//! the user, token and account names and the variables its `env` allows. When a sink fails, the
//! secret goes to a 0600 rescue file so it is not lost, and the error says where.
//!
//! Deadlines: every sink finishes or fails within a bound. A `command` has one timer over its
//! whole delivery (start, writing stdin, exit); it is done when it exits, even when a process it
//! left behind still holds its error output. A file sink refuses a target that is not a regular
//! file (a FIFO would block the open forever) and runs on its own thread under
//! [`FILE_SINK_TIMEOUT_SECONDS`]. No text a sink hands back holds any form of the secret.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Secret;
use super::error::{
    FormatError, PointerError, SinkErrorKind, SinkWarning, TomlKeyError, WriteError,
};
use super::secret::scrub;
use crate::model::desired::{
    CommandSink, DotenvFileSink, FileSink, JsonFileSink, Sink, TomlFileSink,
};

pub use super::error::SinkError;

/// Environment variables a `command` sink receives.
pub const ENV_USER: &str = "PAT_RECONCILE_USER";
pub const ENV_TOKEN: &str = "PAT_RECONCILE_TOKEN";
pub const ENV_ACCOUNT: &str = "PAT_RECONCILE_ACCOUNT";
/// Variables of pat-reconcile's own environment every `command` sink receives (when set);
/// anything else must be named in the sink's `env`.
pub const INHERITED_ENV: &[&str] = &["PATH", "HOME"];
/// Default timeout of a `command` sink.
pub const DEFAULT_COMMAND_TIMEOUT_SECONDS: u32 = 60;
/// How many bytes of a failing command's error output its error keeps; the rest is read and
/// discarded, so a chatty command neither blocks on a full pipe nor grows apply's memory.
pub const STDERR_KEPT: usize = 4096;
/// How long a command that has exited may keep its error output open (a process it started in
/// the background holds it) before the delivery is done without the rest.
const EXIT_GRACE: Duration = Duration::from_millis(500);
/// Deadline of a file sink (`json_file`, `dotenv_file`, `toml_file`, `file`): reading and
/// atomically replacing one local file.
pub const FILE_SINK_TIMEOUT_SECONDS: u64 = 30;

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
    /// What the consumer should know, e.g. a secret file readable by others.
    pub warnings: Vec<SinkWarning>,
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
            Ok(warnings) => {
                outcome.delivered.push(described);
                outcome.warnings.extend(warnings);
            }
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
        Sink::TomlFile(s) => Some(resolve(base, &s.path)),
        Sink::File(s) => Some(resolve(base, &s.path)),
        Sink::Command(_) => None,
    }
}

/// One piece of a sink `format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text (`{{` and `}}` already read as one brace).
    Text(String),
    Secret,
    User,
    Token,
    Account,
}

/// Reads a sink `format`: exactly one `{secret}`, optionally `{user}`, `{token}` and
/// `{account}`, `{{` and `}}` for literal braces; anything else is an error (see
/// [`FormatError`]). `validate` and delivery use this same reading.
pub fn parse_format(format: &str) -> Result<Vec<Piece>, FormatError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = format.chars().enumerate().peekable();
    while let Some((position, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                chars.next();
                text.push('}');
            }
            '}' => {
                return Err(FormatError::UnmatchedBrace {
                    brace: '}',
                    position,
                });
            }
            '{' => {
                let mut name = String::new();
                let closed = loop {
                    match chars.next() {
                        Some((_, '}')) => break true,
                        Some((_, '{')) | None => break false,
                        Some((_, n)) => name.push(n),
                    }
                };
                if !closed {
                    return Err(FormatError::UnmatchedBrace {
                        brace: '{',
                        position,
                    });
                }
                let piece = match name.as_str() {
                    "secret" => Piece::Secret,
                    "user" => Piece::User,
                    "token" => Piece::Token,
                    "account" => Piece::Account,
                    _ => return Err(FormatError::UnknownPlaceholder { name }),
                };
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(piece);
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    match pieces.iter().filter(|p| **p == Piece::Secret).count() {
        1 => Ok(pieces),
        0 => Err(FormatError::NoSecret),
        count => Err(FormatError::SecretRepeated { count }),
    }
}

/// The value a sink writes: its `format` (default `{secret}`) read by [`parse_format`].
fn shaped(
    format: Option<&str>,
    secret: &Secret,
    cx: &SecretContext<'_>,
) -> Result<Secret, FormatError> {
    let pieces = parse_format(format.unwrap_or("{secret}"))?;
    let mut value = zeroize::Zeroizing::new(String::new());
    for piece in &pieces {
        value.push_str(match piece {
            Piece::Text(t) => t,
            Piece::Secret => secret.expose(),
            Piece::User => cx.user,
            Piece::Token => cx.token,
            Piece::Account => cx.account,
        });
    }
    Ok(Secret::new(value.as_str()))
}

/// Delivers to one sink; returns what its consumer should know.
async fn deliver(
    sink: &Sink,
    secret: &Secret,
    cx: &SecretContext<'_>,
) -> Result<Vec<SinkWarning>, SinkErrorKind> {
    let format = match sink {
        Sink::JsonFile(s) => s.format.as_deref(),
        Sink::DotenvFile(s) => s.format.as_deref(),
        Sink::TomlFile(s) => s.format.as_deref(),
        Sink::File(s) => s.format.as_deref(),
        Sink::Command(s) => s.format.as_deref(),
    };
    let value = shaped(format, secret, cx)?;
    let written = match sink {
        Sink::Command(s) => {
            command(s, &value, secret, cx).await?;
            None
        }
        file_sink => within_deadline(file_sink.clone(), value, cx.base.to_owned()).await?,
    };
    Ok(written.into_iter().collect())
}

/// Runs a file sink on a thread of its own, waiting at most [`FILE_SINK_TIMEOUT_SECONDS`]. A
/// plain thread, not the runtime's blocking pool: a write stuck in the kernel (a hung network
/// mount) must not keep apply from exiting either.
async fn within_deadline(
    sink: Sink,
    value: Secret,
    base: PathBuf,
) -> Result<Option<SinkWarning>, SinkErrorKind> {
    let path = target(&sink, &base).unwrap_or_default();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("pat-reconcile-sink".into())
        .spawn(move || {
            let _ = tx.send(write_file_sink(&sink, &value, &base));
        });
    if let Err(source) = spawned {
        return Err(SinkErrorKind::Write(WriteError::Write { path, source }));
    }
    let seconds = FILE_SINK_TIMEOUT_SECONDS;
    match tokio::time::timeout(Duration::from_secs(seconds), rx).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(SinkErrorKind::Write(WriteError::Write {
            path,
            source: std::io::Error::other("the sink's thread ended without an answer"),
        })),
        Err(_) => Err(SinkErrorKind::FileTimeout { path, seconds }),
    }
}

fn write_file_sink(
    sink: &Sink,
    value: &Secret,
    base: &Path,
) -> Result<Option<SinkWarning>, SinkErrorKind> {
    let path = match sink {
        Sink::JsonFile(s) => &s.path,
        Sink::DotenvFile(s) => &s.path,
        Sink::TomlFile(s) => &s.path,
        Sink::File(s) => &s.path,
        Sink::Command(_) => return Ok(None),
    };
    if path.is_empty() {
        return Err(SinkErrorKind::EmptyPath);
    }
    match sink {
        Sink::JsonFile(s) => json_file(s, value, base),
        Sink::DotenvFile(s) => dotenv_file(s, value, base),
        Sink::TomlFile(s) => toml_file(s, value, base),
        Sink::File(s) => Ok(file(s, value, base)?),
        Sink::Command(_) => Ok(None),
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

/// How many symbolic links a sink path may go through before it names a file (as Linux's
/// `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// Writes `bytes` to `path` atomically, respecting the file the consumer already has.
///
/// - A symbolic link is written through: the link stays, and the file it names is replaced in
///   that file's own directory (a rename only is atomic within one directory).
/// - A new file gets mode 0600. An existing file keeps its permission bits (`0o777`; setuid,
///   setgid and sticky are dropped) and its owner and group. When the owner or group cannot be
///   kept (only root may give a file away), the write fails and the file is left unchanged:
///   silently handing a secret file to another owner is worse than a failed sink, whose secret
///   goes to a rescue file.
/// - The temporary file is 0600 while the secret is written, fsynced, then given the kept
///   owner and mode, then renamed over the target.
///
/// Returns a warning when the file, as written, is readable by its group or others.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<Option<SinkWarning>, WriteError> {
    let target = follow_links(path)?;
    let existing = match std::fs::metadata(&target) {
        Ok(m) if !m.is_file() => {
            return Err(WriteError::NotARegularFile {
                kind: file_kind(&m.file_type()),
                path: target,
            });
        }
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(WriteError::Inspect {
                path: target,
                source,
            });
        }
    };
    let dir = match target.parent() {
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
    tmp.write_all(bytes).map_err(|source| WriteError::Write {
        path: tmp.path().to_owned(),
        source,
    })?;
    let mode = match &existing {
        Some(m) => keep_owner_and_mode(tmp.as_file(), m, &target)?,
        None => PRIVATE_MODE,
    };
    tmp.as_file()
        .sync_all()
        .map_err(|source| WriteError::Write {
            path: tmp.path().to_owned(),
            source,
        })?;
    tmp.persist(&target).map_err(|e| WriteError::Replace {
        path: target.clone(),
        source: e.error,
    })?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Make the rename itself durable; failing to sync a directory is not fatal.
        let _ = d.sync_all();
    }
    Ok((mode & 0o044 != 0).then(|| SinkWarning::Readable {
        path: path.to_owned(),
        mode,
    }))
}

/// Mode of a file a sink creates.
const PRIVATE_MODE: u32 = 0o600;

/// The file `path` names once every symbolic link on its last component is followed; a link
/// that names nothing yet gives the path the file will be created at.
fn follow_links(path: &Path) -> Result<PathBuf, WriteError> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let next =
                    std::fs::read_link(&current).map_err(|source| WriteError::FollowLink {
                        link: current.clone(),
                        source,
                    })?;
                current = match current.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(WriteError::FollowLink {
        link: path.to_owned(),
        source: std::io::Error::other("too many levels of symbolic links"),
    })
}

/// Gives the temporary file the owner, group and permission bits of the file it replaces;
/// returns the mode it now has.
#[cfg(unix)]
fn keep_owner_and_mode(
    tmp: &std::fs::File,
    original: &std::fs::Metadata,
    target: &Path,
) -> Result<u32, WriteError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let (uid, gid) = (original.uid(), original.gid());
    let ours = tmp.metadata().map_err(|source| WriteError::Inspect {
        path: target.to_owned(),
        source,
    })?;
    if (ours.uid(), ours.gid()) != (uid, gid) {
        std::os::unix::fs::fchown(tmp, Some(uid), Some(gid)).map_err(|source| {
            WriteError::KeepOwner {
                path: target.to_owned(),
                uid,
                gid,
                source,
            }
        })?;
    }
    // After the chown, which may clear permission bits.
    let mode = original.mode() & 0o777;
    tmp.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|source| WriteError::KeepMode {
            path: target.to_owned(),
            mode,
            source,
        })?;
    Ok(mode)
}

#[cfg(not(unix))]
fn keep_owner_and_mode(
    _: &std::fs::File,
    _: &std::fs::Metadata,
    _: &Path,
) -> Result<u32, WriteError> {
    Ok(PRIVATE_MODE)
}

#[cfg(unix)]
fn set_private(path: &Path) -> Result<(), WriteError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(PRIVATE_MODE)).map_err(
        |source| WriteError::Restrict {
            path: path.to_owned(),
            source,
        },
    )
}

#[cfg(not(unix))]
fn set_private(_: &Path) -> Result<(), WriteError> {
    Ok(())
}

/// What a file that is not a regular file is, for errors.
fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_socket() {
            return "socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "device";
        }
    }
    if t.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// The text of a sink's target, `None` when it does not exist. The file is opened
/// non-blocking and must be a regular file: opening a FIFO for reading would otherwise wait
/// forever for a writer.
fn read_existing(path: &Path) -> Result<Option<String>, SinkErrorKind> {
    use std::io::Read;
    let read_error = |source| SinkErrorKind::Read {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_error(source)),
    };
    let meta = file.metadata().map_err(read_error)?;
    if !meta.is_file() {
        return Err(SinkErrorKind::Write(WriteError::NotARegularFile {
            path: path.to_owned(),
            kind: file_kind(&meta.file_type()),
        }));
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(read_error)?;
    Ok(Some(text))
}

fn json_file(
    sink: &JsonFileSink,
    value: &Secret,
    base: &Path,
) -> Result<Option<SinkWarning>, SinkErrorKind> {
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
///
/// In a list, the pointer must name an existing item (RFC 6902 `replace`): a missing index and
/// `-` (the item after the last) are refused, because inserting would add another item at every
/// rotation instead of updating the one the consumer reads.
pub fn set_pointer(
    doc: &mut serde_json::Value,
    pointer: &str,
    value: serde_json::Value,
) -> Result<(), PointerError> {
    check_pointer(pointer)?;
    let rest = &pointer[1..];
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
                let index = array_index(pointer, token)?;
                let len = items.len();
                let slot = items
                    .get_mut(index)
                    .ok_or_else(|| PointerError::NoSuchItem {
                        pointer: pointer.to_owned(),
                        index,
                        len,
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

/// Checks that `pointer` is an RFC 6901 JSON pointer a sink can set: it starts with `/` (the
/// empty pointer, the whole document, is refused: a sink sets one value, it never replaces the
/// file), and every `~` is `~0` or `~1`.
pub fn check_pointer(pointer: &str) -> Result<(), PointerError> {
    if pointer.is_empty() {
        return Err(PointerError::Empty);
    }
    if !pointer.starts_with('/') {
        return Err(PointerError::NoLeadingSlash {
            pointer: pointer.to_owned(),
        });
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(PointerError::BadEscape {
                pointer: pointer.to_owned(),
            });
        }
    }
    Ok(())
}

/// Checks that `key` is a variable name a dotenv file can hold on one line and a shell can
/// `source`: ASCII letters, digits and `_`, not starting with a digit. Anything else (`=`,
/// whitespace, a newline) could write a line the consumer reads as something else.
pub fn check_dotenv_key(key: &str) -> Result<(), SinkErrorKind> {
    if is_variable_name(key) {
        Ok(())
    } else {
        Err(SinkErrorKind::InvalidDotenvKey {
            key: key.to_owned(),
        })
    }
}

/// A portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Checks that `key` is a TOML dotted key (`connections.thermal.password`, quoted parts as
/// TOML allows) that names one value.
pub fn check_toml_key(key: &str) -> Result<(), TomlKeyError> {
    match toml_edit::Key::parse(key) {
        Ok(keys) if !keys.is_empty() => Ok(()),
        _ => Err(TomlKeyError::Invalid {
            key: key.to_owned(),
        }),
    }
}

/// An RFC 6901 `array-index`: `0`, or digits without a leading zero.
fn array_index(pointer: &str, token: &str) -> Result<usize, PointerError> {
    if token == "-" {
        return Err(PointerError::Append {
            pointer: pointer.to_owned(),
        });
    }
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(PointerError::NotAnIndex {
            pointer: pointer.to_owned(),
            token: token.to_owned(),
        });
    }
    if token.len() > 1 && token.starts_with('0') {
        return Err(PointerError::BadIndex {
            pointer: pointer.to_owned(),
            token: token.to_owned(),
        });
    }
    token.parse().map_err(|_| PointerError::BadIndex {
        pointer: pointer.to_owned(),
        token: token.to_owned(),
    })
}

fn dotenv_file(
    sink: &DotenvFileSink,
    value: &Secret,
    base: &Path,
) -> Result<Option<SinkWarning>, SinkErrorKind> {
    check_dotenv_key(&sink.key)?;
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

fn toml_file(
    sink: &TomlFileSink,
    value: &Secret,
    base: &Path,
) -> Result<Option<SinkWarning>, SinkErrorKind> {
    let path = resolve(base, &sink.path);
    let text = zeroize::Zeroizing::new(read_existing(&path)?.unwrap_or_default());
    let mut doc = text
        .parse::<toml_edit::DocumentMut>()
        .map_err(|e| invalid_toml(&path, &text, &e))?;
    set_toml_key(&mut doc, &sink.key, value.expose())?;
    let out = zeroize::Zeroizing::new(doc.to_string());
    Ok(write_atomic(&path, out.as_bytes())?)
}

/// The parse error without the document (which may hold a secret): where, and the message.
fn invalid_toml(path: &Path, text: &str, e: &toml_edit::TomlError) -> SinkErrorKind {
    let offset = e.span().map_or(0, |s| s.start).min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    SinkErrorKind::InvalidToml {
        path: path.to_owned(),
        line,
        column,
        // Only the kind is read from the message; the message itself is dropped.
        reason: {
            let message = e.message().to_ascii_lowercase();
            if message.contains("duplicate") {
                "a key or table defined twice"
            } else if message.contains("string") || message.contains("escape") {
                "an unterminated or invalid string"
            } else {
                "invalid TOML"
            }
        },
    }
}

/// Sets the string at a TOML dotted `key` (`connections.thermal.password`, quoted parts as
/// TOML allows), creating missing tables and keeping every comment and the layout of the rest
/// of the document. An existing value keeps its surrounding whitespace and trailing comment.
pub fn set_toml_key(
    doc: &mut toml_edit::DocumentMut,
    key: &str,
    value: &str,
) -> Result<(), TomlKeyError> {
    use toml_edit::{InlineTable, Item, Table, Value};
    let invalid = || TomlKeyError::Invalid {
        key: key.to_owned(),
    };
    let keys = toml_edit::Key::parse(key).map_err(|_| invalid())?;
    let Some((last, parents)) = keys.split_last() else {
        return Err(invalid());
    };
    let not_a_table = |upto: usize| TomlKeyError::NotATable {
        key: key.to_owned(),
        parent: keys[..upto]
            .iter()
            .map(|k| k.display_repr().into_owned())
            .collect::<Vec<_>>()
            .join("."),
    };
    let mut item = doc.as_item_mut();
    for (i, part) in parents.iter().enumerate() {
        // A table made inside an inline table must be inline too.
        let inline = matches!(item, Item::Value(Value::InlineTable(_)));
        let table = item.as_table_like_mut().ok_or_else(|| not_a_table(i))?;
        item = table.entry(part.get()).or_insert_with(|| {
            if inline {
                Item::Value(Value::InlineTable(InlineTable::new()))
            } else {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            }
        });
    }
    let table = item
        .as_table_like_mut()
        .ok_or_else(|| not_a_table(parents.len()))?;
    match table.get_mut(last.get()) {
        Some(Item::Value(Value::InlineTable(_)) | Item::Table(_) | Item::ArrayOfTables(_)) => {
            Err(TomlKeyError::IsATable {
                key: key.to_owned(),
            })
        }
        Some(Item::Value(old)) => {
            let decor = old.decor().clone();
            *old = Value::from(value);
            *old.decor_mut() = decor;
            Ok(())
        }
        Some(slot @ Item::None) => {
            *slot = toml_edit::value(value);
            Ok(())
        }
        None => {
            table.insert(last.get(), toml_edit::value(value));
            Ok(())
        }
    }
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

fn file(sink: &FileSink, value: &Secret, base: &Path) -> Result<Option<SinkWarning>, WriteError> {
    write_atomic(&resolve(base, &sink.path), value.expose().as_bytes())
}

/// Runs a `command` sink: the shaped `value` on stdin, a cleared environment, one deadline
/// over the whole delivery, and its error output kept capped and scrubbed of `value` and of
/// the raw `secret`.
async fn command(
    sink: &CommandSink,
    value: &Secret,
    secret: &Secret,
    cx: &SecretContext<'_>,
) -> Result<(), SinkErrorKind> {
    use tokio::io::AsyncWriteExt;
    let Some((program, args)) = sink.argv.split_first() else {
        return Err(SinkErrorKind::EmptyArgv);
    };
    if program.is_empty() {
        return Err(SinkErrorKind::EmptyArgv);
    }
    let timeout = Duration::from_secs(
        sink.timeout_seconds
            .unwrap_or(DEFAULT_COMMAND_TIMEOUT_SECONDS)
            .into(),
    );
    let deadline = tokio::time::Instant::now() + timeout;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).current_dir(cx.base).env_clear();
    // The variables of our own environment a consumer may see, read here, where the process
    // that receives them is started.
    for name in INHERITED_ENV
        .iter()
        .copied()
        .chain(sink.env.iter().map(String::as_str))
    {
        if let Some(v) = std::env::var_os(name) {
            cmd.env(name, v);
        }
    }
    cmd.env(ENV_USER, cx.user)
        .env(ENV_TOKEN, cx.token)
        .env(ENV_ACCOUNT, cx.account)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, so a timeout kills what it started too.
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd.spawn().map_err(|source| SinkErrorKind::Spawn {
        program: program.clone(),
        source,
    })?;
    let pid = child.id();
    let stdin = child.stdin.take();
    let stderr = child.stderr.take();
    // Enough to scrub a secret that starts inside the kept part and ends after it.
    let margin = value.expose().len().max(secret.expose().len());
    let mut capture = Capture::new(STDERR_KEPT + margin);
    let input = zeroize::Zeroizing::new(value.expose().as_bytes().to_vec());
    let ran = tokio::time::timeout_at(deadline, async {
        // A command that exits without reading stdin is judged by its exit status.
        let feed = async move {
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(&input).await;
                let _ = stdin.shutdown().await;
            }
        };
        let read = capture.read(stderr);
        tokio::pin!(feed, read);
        let (mut fed, mut read_all) = (false, false);
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                () = &mut feed, if !fed => fed = true,
                () = &mut read, if !read_all => read_all = true,
            }
        };
        if !read_all {
            // Exited, but something it started may hold its error output open.
            let _ = tokio::time::timeout(EXIT_GRACE, &mut read).await;
        }
        status
    })
    .await;
    let status = match ran {
        Ok(Ok(status)) => status,
        Ok(Err(source)) => {
            return Err(SinkErrorKind::Wait {
                program: program.clone(),
                source,
            });
        }
        Err(_) => {
            kill_group(pid);
            let _ = child.start_kill();
            return Err(SinkErrorKind::Timeout {
                program: program.clone(),
                seconds: timeout.as_secs(),
            });
        }
    };
    if status.success() {
        return Ok(());
    }
    let (stderr, dropped) = capture.into_text(value, secret);
    Err(SinkErrorKind::Exited {
        program: program.clone(),
        status,
        stderr,
        dropped,
    })
}

/// The start of a command's error output: at most `limit` bytes kept (zeroed on drop: they may
/// hold the secret), the rest counted and discarded.
struct Capture {
    kept: zeroize::Zeroizing<Vec<u8>>,
    limit: usize,
    total: u64,
}

impl Capture {
    fn new(limit: usize) -> Self {
        Self {
            kept: zeroize::Zeroizing::new(Vec::new()),
            limit,
            total: 0,
        }
    }

    /// Reads `from` to its end, keeping the first `limit` bytes.
    async fn read(&mut self, from: Option<tokio::process::ChildStderr>) {
        use tokio::io::AsyncReadExt;
        let Some(mut from) = from else {
            return;
        };
        let mut buf = zeroize::Zeroizing::new([0u8; 8192]);
        loop {
            match from.read(&mut buf[..]).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let room = self.limit.saturating_sub(self.kept.len());
                    self.kept.extend_from_slice(&buf[..n.min(room)]);
                    self.total += n as u64;
                }
            }
        }
    }

    /// The kept text with the shaped `value` and every form of the raw `secret` removed, cut to [`STDERR_KEPT`] bytes, and
    /// how many bytes of the output came after those.
    fn into_text(self, value: &Secret, secret: &Secret) -> (String, u64) {
        let text = zeroize::Zeroizing::new(String::from_utf8_lossy(&self.kept).into_owned());
        let shaped = zeroize::Zeroizing::new(if value.is_empty() {
            text.to_string()
        } else {
            text.replace(value.expose(), super::REDACTED)
        });
        let mut clean = scrub(&shaped, &[secret]);
        if clean.len() > STDERR_KEPT {
            let mut cut = STDERR_KEPT;
            while !clean.is_char_boundary(cut) {
                cut -= 1;
            }
            clean.truncate(cut);
        }
        let dropped = self.total.saturating_sub(STDERR_KEPT as u64);
        (clean.trim().to_owned(), dropped)
    }
}

/// Kills the process group a `command` sink leads (it was started with `process_group(0)`).
#[cfg(unix)]
fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative pid
        // names the process group whose id is the child's pid, which the child leads.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn kill_group(_: Option<u32>) {}

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
        /// The delivery, which must have reached every sink.
        fn complete(self) -> Delivery {
            assert!(self.failed.is_empty(), "a sink failed: {:?}", self.failed);
            self
        }

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
        set_mode(&path, 0o600);
        let sink: Sink = serde_json::from_value(
            json!({"json_file": {"path": "snowflake_config.json", "pointer": "/pat"}}),
        )
        .unwrap();
        let delivered = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .complete();
        assert_eq!(
            delivered.delivered,
            vec!["json_file snowflake_config.json /pat"]
        );
        assert_eq!(delivered.warnings, vec![]);
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
        set_mode(&path, 0o600);
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
        assert_eq!(mode(&dir.path().join("secrets/token")), 0o600);
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

    fn command_sink(value: serde_json::Value) -> Sink {
        serde_json::from_value(json!({ "command": value })).unwrap()
    }

    #[tokio::test]
    async fn a_failing_command_shows_no_form_of_the_secret_and_a_capped_error() {
        let dir = tempfile::tempdir().unwrap();
        // The raw token (not the formatted value) echoed, then 50 MB more of error output.
        let sink = command_sink(json!({
            "argv": ["sh", "-c", "read v; echo \"got ${v#Bearer }\" >&2; echo \"half $(echo \"${v#Bearer }\" | cut -c1-30)\" >&2; head -c 52428800 /dev/zero | tr '\\0' x >&2; exit 1"],
            "format": "Bearer {secret}",
        }));
        let err = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap_err();
        let SinkErrorKind::Exited {
            stderr, dropped, ..
        } = &err.kind
        else {
            panic!("{err:?}");
        };
        assert!(
            stderr.starts_with("got [redacted]\nhalf [redacted]\nxxx"),
            "{}",
            &stderr[..60]
        );
        assert!(stderr.len() <= STDERR_KEPT, "{}", stderr.len());
        assert!(*dropped > 52_000_000, "{dropped}");
        let shown = format!("{err} {} {err:?}", err.kind);
        assert!(
            shown.contains("more bytes of error output dropped"),
            "{}",
            &shown[..200]
        );
        for piece in SECRET.as_bytes().windows(super::super::secret::FRAGMENT) {
            assert!(!shown.contains(std::str::from_utf8(piece).unwrap()));
        }
    }

    #[tokio::test]
    async fn a_command_sees_a_cleared_environment_and_what_env_allows() {
        let dir = tempfile::tempdir().unwrap();
        // Variables cargo sets for every test process: one allowed, one not. (Setting
        // variables here would race with the other tests' threads.)
        let allowed = std::env::var("CARGO_PKG_NAME").unwrap();
        let hidden = std::env::var("CARGO_MANIFEST_DIR").unwrap();
        let sink = command_sink(json!({
            "argv": ["sh", "-c", "env > env_seen"],
            "env": ["CARGO_PKG_NAME", "PAT_RECONCILE_TEST_UNSET"],
        }));
        deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .complete();
        let seen = std::fs::read_to_string(dir.path().join("env_seen")).unwrap();
        let mut names: Vec<&str> = seen
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            // What `sh` sets for itself.
            .filter(|k| !["PWD", "SHLVL", "_", "OLDPWD"].contains(k))
            .collect();
        names.sort_unstable();
        let mut want = vec![
            "CARGO_PKG_NAME",
            "PAT_RECONCILE_ACCOUNT",
            "PAT_RECONCILE_TOKEN",
            "PAT_RECONCILE_USER",
        ];
        want.extend(
            INHERITED_ENV
                .iter()
                .filter(|n| std::env::var_os(n).is_some()),
        );
        want.sort_unstable();
        assert_eq!(names, want, "{seen}");
        assert!(
            seen.contains(&format!("CARGO_PKG_NAME={allowed}\n")),
            "{seen}"
        );
        assert!(!seen.contains(&format!("={hidden}\n")), "{seen}");
    }

    #[tokio::test]
    async fn a_command_that_never_reads_stdin_times_out_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        // A value larger than a pipe holds: writing it blocks until the deadline.
        let big = Secret::new("s".repeat(1 << 20));
        let sink = command_sink(json!({
            "argv": ["sh", "-c", "sleep 30 & echo $! > child.pid; sleep 30"],
            "timeout_seconds": 1,
        }));
        let started = std::time::Instant::now();
        let err = deliver_all(&[sink], &big, &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(&err.kind, SinkErrorKind::Timeout { seconds: 1, .. }),
            "{err:?}"
        );
        // The background `sleep` was killed with its group.
        let pid = std::fs::read_to_string(dir.path().join("child.pid")).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let alive = std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
            && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .unwrap_or_default()
                .contains(") Z ");
        assert!(!alive, "the command's child {pid} still runs");
    }

    #[tokio::test]
    async fn a_command_is_done_when_it_exits_though_its_child_holds_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let sink = command_sink(json!({
            "argv": ["sh", "-c", "cat > got; (sleep 30 &) ; exit 0"],
            "timeout_seconds": 20,
        }));
        let started = std::time::Instant::now();
        deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .complete();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("got")).unwrap(),
            SECRET
        );
    }

    #[tokio::test]
    async fn a_fifo_at_a_sink_path_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        for (i, sink) in [
            json!({"file": {"path": "p0"}}),
            json!({"json_file": {"path": "p1", "pointer": "/pat"}}),
            json!({"dotenv_file": {"path": "p2", "key": "K"}}),
            json!({"toml_file": {"path": "p3", "key": "a.b"}}),
        ]
        .into_iter()
        .enumerate()
        {
            let fifo = dir.path().join(format!("p{i}"));
            let status = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(status.success());
            let sink: Sink = serde_json::from_value(sink).unwrap();
            let err = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
                .await
                .into_result()
                .unwrap_err();
            assert!(
                matches!(
                    &err.kind,
                    SinkErrorKind::Write(WriteError::NotARegularFile { kind: "FIFO", .. })
                ),
                "{err:?}"
            );
            assert!(
                err.kind
                    .to_string()
                    .contains("is a FIFO, not a regular file"),
                "{}",
                err.kind
            );
            use std::os::unix::fs::FileTypeExt;
            assert!(
                std::fs::symlink_metadata(&fifo)
                    .unwrap()
                    .file_type()
                    .is_fifo()
            );
            assert!(err.rescue.is_some());
        }
    }

    #[test]
    fn formats_need_exactly_one_secret_and_known_placeholders() {
        let c = SecretContext {
            user: "U",
            token: "T",
            account: "A",
            base: Path::new("."),
        };
        let s = Secret::new("S");
        let ok = |f: &str| shaped(Some(f), &s, &c).map(|v| v.expose().to_owned());
        assert_eq!(ok("Bearer {secret}").unwrap(), "Bearer S");
        assert_eq!(ok("{user}.{token}@{account}={secret}").unwrap(), "U.T@A=S");
        assert_eq!(ok("{{\"pat\": \"{secret}\"}}").unwrap(), "{\"pat\": \"S\"}");
        assert_eq!(
            ok("Bearer {secrte}"),
            Err(FormatError::UnknownPlaceholder {
                name: "secrte".into()
            })
        );
        assert_eq!(ok("Bearer"), Err(FormatError::NoSecret));
        assert_eq!(
            ok("{secret}{secret}"),
            Err(FormatError::SecretRepeated { count: 2 })
        );
        assert_eq!(
            ok("{secret} {"),
            Err(FormatError::UnmatchedBrace {
                brace: '{',
                position: 9
            })
        );
        assert_eq!(
            ok("{secret} }"),
            Err(FormatError::UnmatchedBrace {
                brace: '}',
                position: 9
            })
        );
        assert_eq!(
            ok("{se{cret}"),
            Err(FormatError::UnmatchedBrace {
                brace: '{',
                position: 0
            })
        );
    }

    #[test]
    fn sink_settings_are_checked_like_delivery_reads_them() {
        for good in ["/pat", "/a~1b/~0c", "/items/0", "/"] {
            assert_eq!(check_pointer(good), Ok(()), "{good}");
        }
        assert_eq!(check_pointer(""), Err(PointerError::Empty));
        assert!(matches!(
            check_pointer("pat"),
            Err(PointerError::NoLeadingSlash { .. })
        ));
        assert!(matches!(
            check_pointer("/a~2"),
            Err(PointerError::BadEscape { .. })
        ));
        assert!(matches!(
            check_pointer("/a~"),
            Err(PointerError::BadEscape { .. })
        ));
        for good in ["SNOWFLAKE_TOKEN", "_x", "a1"] {
            assert!(check_dotenv_key(good).is_ok(), "{good}");
        }
        for bad in ["", "A=B", "A B", "A\nB=1", "1A", "A-B", " A"] {
            assert!(check_dotenv_key(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_toml_key("connections.\"my.conn\".password"), Ok(()));
        for bad in ["", "a..b", "a b", "[a]"] {
            assert!(check_toml_key(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_dotenv_key_that_would_inject_a_line_is_refused_at_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let sink: Sink =
            serde_json::from_value(json!({"dotenv_file": {"path": "x.env", "key": "A\nINJECTED"}}))
                .unwrap();
        let err = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap_err();
        assert!(
            matches!(err.kind, SinkErrorKind::InvalidDotenvKey { .. }),
            "{err:?}"
        );
        assert!(!dir.path().join("x.env").exists());
    }

    fn json_sink(path: &str, pointer: &str) -> Sink {
        serde_json::from_value(json!({"json_file": {"path": path, "pointer": pointer}})).unwrap()
    }

    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[tokio::test]
    async fn a_symlink_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real_dir = dir.path().join("real");
        std::fs::create_dir(&real_dir).unwrap();
        let real = real_dir.join("config.json");
        std::fs::write(&real, "{\"pat\": \"old\", \"keep\": 1}").unwrap();
        set_mode(&real, 0o640);
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real/config.json", &link).unwrap();
        let delivered = deliver_all(
            &[json_sink("link.json", "/pat")],
            &Secret::new(SECRET),
            &cx(dir.path()),
            now(),
        )
        .await
        .complete();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new("real/config.json")
        );
        assert_eq!(
            std::fs::read_to_string(&real).unwrap(),
            format!("{{\n  \"pat\": \"{SECRET}\",\n  \"keep\": 1\n}}\n")
        );
        assert_eq!(mode(&real), 0o640);
        // The temporary file lived and was renamed in the target's directory.
        assert_eq!(std::fs::read_dir(&real_dir).unwrap().count(), 1);
        assert_eq!(
            delivered.warnings,
            vec![SinkWarning::Readable {
                path: link.clone(),
                mode: 0o640
            }]
        );
    }

    #[tokio::test]
    async fn a_dangling_symlink_creates_its_target_0600() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("token");
        std::os::unix::fs::symlink(dir.path().join("store/token"), &link).unwrap();
        let sink: Sink = serde_json::from_value(json!({"file": {"path": "token"}})).unwrap();
        let delivered = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .complete();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let real = dir.path().join("store/token");
        assert_eq!(std::fs::read(&real).unwrap(), SECRET.as_bytes());
        assert_eq!(mode(&real), 0o600);
        assert_eq!(delivered.warnings, vec![]);
    }

    #[tokio::test]
    async fn an_existing_file_keeps_its_mode_and_a_readable_one_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        for (name, before, warned) in [
            ("open.env", 0o644, true),
            ("group.env", 0o640, true),
            ("tight.env", 0o400, false),
            ("write.env", 0o620, false),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, "OTHER=1\n").unwrap();
            set_mode(&path, before);
            let sink: Sink =
                serde_json::from_value(json!({"dotenv_file": {"path": name, "key": "K"}})).unwrap();
            let delivered = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
                .await
                .complete();
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                format!("OTHER=1\nK={SECRET}\n"),
                "{name}"
            );
            assert_eq!(mode(&path), before, "{name}");
            assert_eq!(!delivered.warnings.is_empty(), warned, "{name}");
            let text = delivered
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<String>();
            assert!(!text.contains(SECRET));
            if warned {
                assert!(text.contains(&format!("mode {before:04o}")), "{text}");
            }
        }
    }

    /// Root may give a file away, so there the owner is kept; a plain user may not, so there
    /// the write is refused. Each environment checks the half it can.
    #[tokio::test]
    async fn an_existing_file_keeps_its_owner_or_is_left_alone() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, "{}").unwrap();
        set_mode(&path, 0o600);
        let root = std::fs::metadata(dir.path()).unwrap().uid() == 0;
        if root {
            std::os::unix::fs::chown(&path, Some(4242), Some(4343)).unwrap();
            deliver_all(
                &[json_sink("c.json", "/pat")],
                &Secret::new(SECRET),
                &cx(dir.path()),
                now(),
            )
            .await
            .complete();
            let meta = std::fs::metadata(&path).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
            assert_eq!(mode(&path), 0o600);
            assert!(std::fs::read_to_string(&path).unwrap().contains(SECRET));
        } else {
            // A file of root's, as `/` is: a plain user cannot give the replacement to root.
            let tmp = tempfile::tempfile_in(dir.path()).unwrap();
            let theirs = std::fs::metadata("/").unwrap();
            let err = keep_owner_and_mode(&tmp, &theirs, &path).unwrap_err();
            assert!(
                matches!(err, WriteError::KeepOwner { uid: 0, .. }),
                "{err:?}"
            );
            assert!(err.to_string().contains("left unchanged"), "{err}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
        }
    }

    #[test]
    fn list_items_are_replaced_never_inserted() {
        let mut doc = json!({"items": [{"pat": "old", "n": 1}, "x"]});
        set_pointer(&mut doc, "/items/0/pat", json!("S")).unwrap();
        set_pointer(&mut doc, "/items/1", json!("T")).unwrap();
        assert_eq!(doc, json!({"items": [{"pat": "S", "n": 1}, "T"]}));
        assert_eq!(
            set_pointer(&mut doc, "/items/2", json!(1)),
            Err(PointerError::NoSuchItem {
                pointer: "/items/2".into(),
                index: 2,
                len: 2
            })
        );
        assert_eq!(
            set_pointer(&mut doc, "/items/-", json!(1)),
            Err(PointerError::Append {
                pointer: "/items/-".into()
            })
        );
        assert_eq!(
            set_pointer(&mut doc, "/items/01", json!(1)),
            Err(PointerError::BadIndex {
                pointer: "/items/01".into(),
                token: "01".into()
            })
        );
        assert_eq!(
            set_pointer(&mut doc, "/items/+1", json!(1)),
            Err(PointerError::NotAnIndex {
                pointer: "/items/+1".into(),
                token: "+1".into()
            })
        );
        let err = set_pointer(&mut doc, "/items/5/pat", json!(1)).unwrap_err();
        assert!(err.to_string().contains("`/items/5/pat`"), "{err}");
        assert_eq!(doc, json!({"items": [{"pat": "S", "n": 1}, "T"]}));
    }

    const CONNECTIONS: &str = "# Snowflake CLI connections\ndefault_connection_name = \"thermal\"\n\n[connections.thermal]\naccount = \"SANDBOX\"   # the demo account\nuser = \"THERMAL_STREAMING_USER\"\npassword = \"old\" # rotated by pat-reconcile\n\n# keep me\n[connections.other]\nuser = \"X\"\n";

    #[tokio::test]
    async fn toml_file_sets_one_value_and_keeps_comments_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connections.toml");
        std::fs::write(&path, CONNECTIONS).unwrap();
        set_mode(&path, 0o600);
        let sink: Sink = serde_json::from_value(json!({"toml_file": {"path": "connections.toml", "key": "connections.thermal.password"}})).unwrap();
        assert_eq!(
            sink.to_string(),
            "toml_file connections.toml connections.thermal.password"
        );
        let delivered = deliver_all(&[sink], &Secret::new(SECRET), &cx(dir.path()), now())
            .await
            .complete();
        assert_eq!(delivered.warnings, vec![]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            CONNECTIONS.replace("\"old\"", &format!("\"{SECRET}\""))
        );
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn toml_keys_create_tables_accept_quoted_parts_and_refuse_what_does_not_fit() {
        let set = |text: &str, key: &str| -> Result<String, TomlKeyError> {
            let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
            set_toml_key(&mut doc, key, "S")?;
            Ok(doc.to_string())
        };
        assert_eq!(
            set("", "connections.thermal.password").unwrap(),
            "[connections.thermal]\npassword = \"S\"\n"
        );
        assert_eq!(
            set("# top\n[a]\nx = 1\n", "a.\"b.c\".token").unwrap(),
            "# top\n[a]\nx = 1\n\n[a.\"b.c\"]\ntoken = \"S\"\n"
        );
        assert_eq!(
            set("c = { user = \"u\" }\n", "c.password").unwrap(),
            "c = { user = \"u\" , password = \"S\" }\n"
        );
        assert_eq!(
            set("c = { user = \"u\" }\n", "c.n.password").unwrap(),
            "c = { user = \"u\" , n = { password = \"S\" } }\n"
        );
        assert_eq!(
            set("a = 1\n", "a.b"),
            Err(TomlKeyError::NotATable {
                key: "a.b".into(),
                parent: "a".into()
            })
        );
        assert_eq!(
            set("[[c]]\nx = 1\n", "c.x"),
            Err(TomlKeyError::NotATable {
                key: "c.x".into(),
                parent: "c".into()
            })
        );
        assert_eq!(
            set("[c.t]\nx = 1\n", "c.t"),
            Err(TomlKeyError::IsATable { key: "c.t".into() })
        );
        for bad in ["", "a..b", "a.", "a b"] {
            assert_eq!(
                set("", bad),
                Err(TomlKeyError::Invalid { key: bad.into() }),
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn invalid_toml_is_not_clobbered_and_not_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connections.toml");
        let text = format!("[connections.thermal]\npassword = \"{SECRET}\"\nbroken = \n");
        std::fs::write(&path, &text).unwrap();
        let sink: Sink = serde_json::from_value(
            json!({"toml_file": {"path": "connections.toml", "key": "connections.thermal.password"}}),
        )
        .unwrap();
        let err = deliver_all(&[sink], &Secret::new("new"), &cx(dir.path()), now())
            .await
            .into_result()
            .unwrap_err();
        assert!(
            matches!(err.kind, SinkErrorKind::InvalidToml { line: 3, .. }),
            "{err:?}"
        );
        let shown = format!("{err} {} {err:?}", err.kind);
        assert!(!shown.contains(SECRET), "{shown}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[tokio::test]
    async fn a_toml_error_on_the_line_of_the_old_secret_does_not_quote_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connections.toml");
        for text in [
            format!("[c]\npassword = \"{SECRET}\n"),
            format!("[c]\npassword = {SECRET}\n"),
            format!("[c]\npassword = \"{SECRET}\" trailing\n"),
            format!("[c]\npassword = \"{SECRET}\"\npassword = \"{SECRET}\"\n"),
        ] {
            std::fs::write(&path, &text).unwrap();
            let sink: Sink = serde_json::from_value(
                json!({"toml_file": {"path": "connections.toml", "key": "c.password"}}),
            )
            .unwrap();
            let err = deliver_all(&[sink], &Secret::new("new"), &cx(dir.path()), now())
                .await
                .into_result()
                .unwrap_err();
            assert!(
                matches!(err.kind, SinkErrorKind::InvalidToml { .. }),
                "{err:?}"
            );
            let shown = format!("{err} {} {err:?}", err.kind);
            assert!(!shown.contains("QWxhZGRp"), "{shown}");
            assert!(!shown.contains("ver:1"), "{shown}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
    }
}

//! Errors of the secrets edge: which sink failed for which token, where the secret went instead,
//! and the typed cause. No error here ever holds a secret value.

use std::path::PathBuf;

/// A sink could not deliver a new secret. Never holds the secret.
#[derive(Debug, thiserror::Error)]
#[error("cannot deliver the secret of {user}.{token} to {sink}")]
pub struct SinkError {
    pub user: String,
    pub token: String,
    /// The sink as the plan names it (`json_file snowflake_config.json /pat`).
    pub sink: String,
    /// The file the sink writes (resolved against the `pats.yaml` directory); `None` for a
    /// `command` sink or when the token declares no sink.
    pub path: Option<PathBuf>,
    /// Where the secret was saved instead, when the rescue write succeeded.
    pub rescue: Option<PathBuf>,
    /// Why the rescue write failed, when it did (then `rescue` is `None`).
    pub rescue_error: Option<Box<WriteError>>,
    #[source]
    pub kind: SinkErrorKind,
}

/// What went wrong inside a sink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkErrorKind {
    /// The token has no `deliver` entry, so the secret has nowhere to go.
    #[error("the token declares no `deliver` sink")]
    NoSink,
    /// The sink's file could not be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `json_file` target holds something that is not JSON; it is left unchanged.
    #[error("`{}` is not valid JSON; it was left unchanged", path.display())]
    InvalidJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The JSON document could not be encoded again.
    #[error("cannot encode the JSON of `{}`", path.display())]
    EncodeJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A `toml_file` target holds something that is not TOML; it is left unchanged.
    #[error("`{}` is not valid TOML (line {line}, column {column}: {reason}); it was left unchanged", path.display())]
    InvalidToml {
        path: PathBuf,
        line: usize,
        column: usize,
        /// What kind of mistake, from a closed set. Neither `toml_edit::TomlError` nor its
        /// message is kept: it holds the whole document, which may hold a secret, and its
        /// message and `Display` can quote what the file holds.
        reason: &'static str,
    },
    /// The `pointer` of a `json_file` sink does not fit the document.
    #[error(transparent)]
    Pointer(#[from] PointerError),
    /// The `key` of a `toml_file` sink does not fit the document.
    #[error(transparent)]
    TomlKey(#[from] TomlKeyError),
    /// The file could not be written atomically.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A `command` sink with an empty `argv`.
    #[error("`argv` is empty")]
    EmptyArgv,
    /// A `command` sink's program could not be started.
    #[error("cannot run `{program}`")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// Waiting for a `command` sink failed.
    #[error("`{program}` failed")]
    Wait {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A `command` sink ran past its timeout (start, input and exit together) and was killed,
    /// with every process it started in its process group.
    #[error("`{program}` did not finish within {seconds} s; it was killed")]
    Timeout { program: String, seconds: u64 },
    /// A `command` sink exited unsuccessfully.
    #[error("`{program}` exited with {status}{}{}",
        if stderr.is_empty() { String::new() } else { format!(": {stderr}") },
        if *dropped == 0 { String::new() } else { format!(" ({dropped} more bytes of error output dropped)") })]
    Exited {
        program: String,
        status: std::process::ExitStatus,
        /// The start of its error output (at most [`crate::secrets::sinks::STDERR_KEPT`]
        /// bytes), with every form of the secret replaced by `[redacted]`.
        stderr: String,
        /// How many bytes of error output followed what `stderr` keeps (read and discarded).
        dropped: u64,
    },
    /// The sink's `format` cannot shape the value.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// A `dotenv_file` key that is not a variable name (it could inject a line).
    #[error(
        "`{key}` is not a dotenv variable name (letters, digits and `_`, not starting with a digit)"
    )]
    InvalidDotenvKey { key: String },
    /// A file sink with an empty `path`.
    #[error("the sink's `path` is empty")]
    EmptyPath,
    /// A file sink did not finish within its deadline.
    #[error("writing `{}` did not finish within {seconds} s", path.display())]
    FileTimeout { path: PathBuf, seconds: u64 },
}

/// A sink `format` that does not say exactly where the secret goes.
///
/// A format holds exactly one `{secret}` and optionally `{user}`, `{token}` and `{account}`;
/// `{{` and `}}` stand for a literal `{` and `}`. Any other brace is refused, so a misspelt
/// placeholder (`{secrte}`) is an error instead of a value without the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    #[error("the format has no `{{secret}}`, so the secret would be thrown away")]
    NoSecret,
    #[error("the format has `{{secret}}` {count} times; it must appear exactly once")]
    SecretRepeated { count: usize },
    #[error(
        "`{{{name}}}` is not a placeholder (known: `{{secret}}`, `{{user}}`, `{{token}}`, `{{account}}`)"
    )]
    UnknownPlaceholder { name: String },
    /// A `{` without its `}`, or a lone `}`, at this character of the format.
    #[error(
        "unmatched `{brace}` at character {position} (write `{{{{` or `}}}}` for a literal brace)"
    )]
    UnmatchedBrace { brace: char, position: usize },
}

/// An atomic 0600 write failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    #[error("cannot create `{}`", dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create a temporary file in `{}`", dir.display())]
    CreateTemporary {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot restrict `{}` to 0600", path.display())]
    Restrict {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file belongs to another user or group, and the temporary file that would replace it
    /// cannot be given the same owner; the file is left unchanged rather than change hands.
    #[error("cannot keep the owner of `{}` (uid {uid}, gid {gid}); it was left unchanged", path.display())]
    KeepOwner {
        path: PathBuf,
        uid: u32,
        gid: u32,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot give `{}` the mode {mode:04o} of the file it replaces", path.display())]
    KeepMode {
        path: PathBuf,
        mode: u32,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot inspect `{}`", path.display())]
    Inspect {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A symbolic link could not be followed to the file it names.
    #[error("cannot follow the symbolic link `{}`", link.display())]
    FollowLink {
        link: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The target exists but is not a regular file (a FIFO, a socket, a device, a directory):
    /// opening a FIFO blocks until someone reads it, and the others are not files to replace.
    #[error("`{}` is a {kind}, not a regular file; it was left unchanged", path.display())]
    NotARegularFile { path: PathBuf, kind: &'static str },
    #[error("cannot replace `{}`", path.display())]
    Replace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An RFC 6901 pointer that cannot be set in a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PointerError {
    #[error("the pointer is empty; use e.g. `/pat`")]
    Empty,
    #[error("`{pointer}` is not a JSON pointer (it must start with `/`)")]
    NoLeadingSlash { pointer: String },
    /// RFC 6901 escapes `~` as `~0` and `/` as `~1`; any other `~` is not a pointer.
    #[error("`{pointer}` is not a JSON pointer: `~` must be followed by `0` or `1`")]
    BadEscape { pointer: String },
    #[error("`{token}` in `{pointer}` indexes a list but is not a number")]
    NotAnIndex { pointer: String, token: String },
    #[error("`{token}` in `{pointer}` is not a list index (digits, no leading zero)")]
    BadIndex { pointer: String, token: String },
    /// The pointer names an item past the end of a list. A sink replaces an existing item and
    /// never inserts one: inserting would add another item at every rotation.
    #[error(
        "`{pointer}`: the list has {len} items, so it has no item {index}; a sink only replaces an existing item"
    )]
    NoSuchItem {
        pointer: String,
        index: usize,
        len: usize,
    },
    /// RFC 6901's `-` (the item after the last) would append a new item at every rotation.
    #[error(
        "`{pointer}`: `-` appends a new item at every rotation; point at an existing index instead"
    )]
    Append { pointer: String },
    #[error("`{pointer}`: `{parent}` is not an object")]
    NotAnObject { pointer: String, parent: String },
}

/// A dotted `key` of a `toml_file` sink that cannot be set in a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TomlKeyError {
    /// Not a TOML dotted key (`connections.thermal.password`, `a."b.c".d`).
    #[error("`{key}` is not a TOML dotted key such as `connections.thermal.password`")]
    Invalid { key: String },
    /// A key on the way is a value, an array or an array of tables, not a table.
    #[error("`{key}`: `{parent}` is not a table")]
    NotATable { key: String, parent: String },
    /// The key names a table; replacing it with a string would lose what it holds.
    #[error("`{key}` is a table, not a value")]
    IsATable { key: String },
}

/// Something the sink did that its consumer should know about; delivery still succeeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SinkWarning {
    /// The file kept the mode it had, and that mode lets its group or others read the secret.
    #[error("`{}` holds a secret and is readable by its group or others (mode {mode:04o}); consider `chmod 600`", path.display())]
    Readable { path: PathBuf, mode: u32 },
}

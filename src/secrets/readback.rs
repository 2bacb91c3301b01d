//! Reading a delivered secret back from where its sink put it, for `pat-reconcile verify`.
//!
//! Each file sink is read by the model alone (nothing is shared with the writers in
//! `sinks.rs`): the JSON value at the `json_file` pointer, the value of the `dotenv_file` key
//! (the last assignment wins, as a shell sourcing the file sees it; double quotes, single quotes
//! and backslash escapes undone), the string at the `toml_file` dotted key, the whole `file`.
//! Then the sink's `format` is undone: `{user}`, `{token}` and `{account}` are replaced as the
//! writer replaces them, and what stands where `{secret}` stood is the secret, so `Bearer
//! {secret}` yields the secret and a value that does not have that shape is a
//! [`ReadbackError::FormatMismatch`]. A `file` that ends with one line break it does not
//! declare is read without it (editors add one; token-file readers trim it).
//!
//! A `command` sink cannot be read back: it is [`ReadBack::NotVerifiable`], unless the token
//! declares `verify: {argv: [...]}`, whose program prints the delivered value. It runs without a
//! shell, with an empty environment but `PATH`, `HOME` and the user and token names, stdin
//! closed, stderr discarded, under a timeout; its stdout is captured and never shown.
//!
//! No error here holds a secret or a value read from a sink.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use zeroize::Zeroizing;

use super::Secret;
use super::sinks::{DEFAULT_COMMAND_TIMEOUT_SECONDS, ENV_TOKEN, ENV_USER};
use crate::model::desired::{Sink, VerifySpec};

/// What a secret is for: the names its sink's `format` used, and where relative paths start.
#[derive(Debug, Clone)]
pub struct ReadbackContext<'a> {
    pub user: &'a str,
    pub token: &'a str,
    pub account: &'a str,
    /// The `pats.yaml` directory.
    pub base: &'a Path,
    /// `PATH` and `HOME` for a `verify` program (read once by the caller).
    pub path_env: Option<OsString>,
    pub home_env: Option<OsString>,
}

/// What a sink holds.
#[derive(Debug)]
pub enum ReadBack {
    /// The secret, its format undone.
    Secret(Secret),
    /// A `command` sink and no `verify` program: nothing can read it back.
    NotVerifiable,
}

/// Why a sink's secret could not be read back. Never holds the value read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadbackError {
    #[error("`{}` does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not UTF-8 text", path.display())]
    NotText { path: PathBuf },
    #[error("`{}` is not valid JSON (line {line}, column {column})", path.display())]
    InvalidJson {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    #[error("`{}` is not valid TOML (line {line}, column {column})", path.display())]
    InvalidToml {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// The `toml_file` key is not a TOML key.
    #[error("`{key}` is not a TOML dotted key")]
    InvalidKey { key: String },
    /// Nothing at the pointer or key.
    #[error("`{}` has no value at `{at}`", path.display())]
    NoValue { path: PathBuf, at: String },
    /// The value at the pointer or key is not a string.
    #[error("the value at `{at}` of `{}` is not a string", path.display())]
    NotAString { path: PathBuf, at: String },
    /// The value does not have the shape of the sink's `format`.
    #[error("the value in {place} does not match the format `{format}`")]
    FormatMismatch { place: String, format: String },
    /// The sink's `format` has no `{secret}`, so the value cannot hold the secret.
    #[error("the format `{format}` has no `{{secret}}`")]
    NoSecretInFormat { format: String },
    #[error("the `verify` program has an empty `argv`")]
    EmptyArgv,
    #[error("cannot run the `verify` program `{program}`")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the `verify` program `{program}` failed ({status})")]
    CommandFailed { program: String, status: String },
    #[error("the `verify` program `{program}` did not finish within {seconds} s")]
    CommandTimeout { program: String, seconds: u32 },
    #[error("the `verify` program `{program}` printed something that is not UTF-8")]
    CommandNotText { program: String },
}

/// Reads the secret back from `sink`; `verify` is the token's `verify` program, used for a
/// `command` sink.
pub async fn read_back(
    sink: &Sink,
    verify: Option<&VerifySpec>,
    cx: &ReadbackContext<'_>,
) -> Result<ReadBack, ReadbackError> {
    let (value, format, place) = match sink {
        Sink::JsonFile(s) => {
            let path = resolve(cx.base, &s.path);
            (
                json_value(&path, &s.pointer)?,
                s.format.as_deref(),
                format!("`{}` at `{}`", path.display(), s.pointer),
            )
        }
        Sink::DotenvFile(s) => {
            let path = resolve(cx.base, &s.path);
            (
                dotenv_value(&path, &s.key)?,
                s.format.as_deref(),
                format!("`{}` at `{}`", path.display(), s.key),
            )
        }
        Sink::TomlFile(s) => {
            let path = resolve(cx.base, &s.path);
            (
                toml_value(&path, &s.key)?,
                s.format.as_deref(),
                format!("`{}` at `{}`", path.display(), s.key),
            )
        }
        Sink::File(s) => {
            let path = resolve(cx.base, &s.path);
            let text = read_text(&path)?;
            let format = s.format.as_deref();
            let place = format!("`{}`", path.display());
            // A final line break the format does not declare (an editor's) is not part of it.
            let value = if format.unwrap_or("{secret}").ends_with('\n') {
                &text[..]
            } else {
                trim_newline(&text)
            };
            return Ok(ReadBack::Secret(unformat(format, value, cx, &place)?));
        }
        Sink::Command(s) => {
            let Some(verify) = verify else {
                return Ok(ReadBack::NotVerifiable);
            };
            let out = run(verify, cx).await?;
            let place = format!("the output of `{}`", verify.argv.join(" "));
            return Ok(ReadBack::Secret(unformat(
                s.format.as_deref(),
                trim_newline(&out),
                cx,
                &place,
            )?));
        }
    };
    Ok(ReadBack::Secret(unformat(format, &value, cx, &place)?))
}

/// The secret inside `value`, shaped by `format` (default `{secret}`) with the context's names
/// replaced first, as a writer replaces them.
pub fn unformat(
    format: Option<&str>,
    value: &str,
    cx: &ReadbackContext<'_>,
    place: &str,
) -> Result<Secret, ReadbackError> {
    let template = format.unwrap_or("{secret}");
    let shaped = template
        .replace("{user}", cx.user)
        .replace("{token}", cx.token)
        .replace("{account}", cx.account);
    let parts: Vec<&str> = shaped.split("{secret}").collect();
    let count = parts.len() - 1;
    if count == 0 {
        return Err(ReadbackError::NoSecretInFormat {
            format: template.to_owned(),
        });
    }
    let mismatch = || ReadbackError::FormatMismatch {
        place: place.to_owned(),
        format: template.to_owned(),
    };
    let fixed: usize = parts.iter().map(|p| p.len()).sum();
    let free = value.len().checked_sub(fixed).ok_or_else(mismatch)?;
    // Every `{secret}` stands for the same text, so its length is fixed by the value's.
    if free == 0 || free % count != 0 {
        return Err(mismatch());
    }
    let start = parts[0].len();
    let candidate = value
        .get(start..start + free / count)
        .ok_or_else(mismatch)?;
    let rebuilt = Zeroizing::new(parts.join(candidate));
    if *rebuilt == value {
        Ok(Secret::new(candidate))
    } else {
        Err(mismatch())
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

fn read_text(path: &Path) -> Result<Zeroizing<String>, ReadbackError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Zeroizing::new).map_err(|e| {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            ReadbackError::NotText {
                path: path.to_owned(),
            }
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ReadbackError::Missing {
            path: path.to_owned(),
        }),
        Err(source) => Err(ReadbackError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

fn trim_newline(text: &str) -> &str {
    text.strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(text)
}

fn json_value(path: &Path, pointer: &str) -> Result<Zeroizing<String>, ReadbackError> {
    let text = read_text(path)?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ReadbackError::InvalidJson {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
        })?;
    let value = match doc.pointer(pointer) {
        None | Some(serde_json::Value::Null) => Err(ReadbackError::NoValue {
            path: path.to_owned(),
            at: pointer.to_owned(),
        }),
        Some(serde_json::Value::String(s)) => Ok(Zeroizing::new(s.clone())),
        Some(_) => Err(ReadbackError::NotAString {
            path: path.to_owned(),
            at: pointer.to_owned(),
        }),
    };
    wipe_json(doc);
    value
}

/// Overwrites the strings of a parsed document, which may hold the secret.
fn wipe_json(mut doc: serde_json::Value) {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => zeroize::Zeroize::zeroize(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut doc);
}

/// The value of the last `KEY=` (or `export KEY=`) line, unquoted.
fn dotenv_value(path: &Path, key: &str) -> Result<Zeroizing<String>, ReadbackError> {
    let text = read_text(path)?;
    let mut found = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        if let Some((k, v)) = body.split_once('=') {
            if k.trim() == key {
                found = Some(Zeroizing::new(dotenv_unquote(v)));
            }
        }
    }
    found.ok_or_else(|| ReadbackError::NoValue {
        path: path.to_owned(),
        at: key.to_owned(),
    })
}

/// A dotenv value as shells and dotenv loaders read it: `"..."` with backslash escapes,
/// `'...'` literally, else up to a ` #` comment, trimmed.
fn dotenv_unquote(raw: &str) -> String {
    let raw = raw.trim_start();
    if let Some(rest) = raw.strip_prefix('"') {
        let mut out = String::with_capacity(rest.len());
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some(e @ ('\\' | '"' | '$' | '\'')) => out.push(e),
                    Some(other) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => out.push('\\'),
                },
                c => out.push(c),
            }
        }
        return out;
    }
    if let Some(rest) = raw.strip_prefix('\'') {
        return rest.split('\'').next().unwrap_or("").to_owned();
    }
    let value = match raw.find(" #") {
        Some(i) => &raw[..i],
        None => raw,
    };
    value.trim_end().to_owned()
}

/// The string at a TOML dotted key.
fn toml_value(path: &Path, key: &str) -> Result<Zeroizing<String>, ReadbackError> {
    let text = read_text(path)?;
    let doc = text.parse::<toml_edit::DocumentMut>().map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start).min(text.len());
        let before = text.get(..offset).unwrap_or("");
        ReadbackError::InvalidToml {
            path: path.to_owned(),
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        }
    })?;
    let keys = toml_edit::Key::parse(key).map_err(|_| ReadbackError::InvalidKey {
        key: key.to_owned(),
    })?;
    let no_value = || ReadbackError::NoValue {
        path: path.to_owned(),
        at: key.to_owned(),
    };
    let mut item = doc.as_item();
    for part in &keys {
        item = item
            .as_table_like()
            .and_then(|t| t.get(part.get()))
            .ok_or_else(no_value)?;
    }
    item.as_str()
        .map(|s| Zeroizing::new(s.to_owned()))
        .ok_or_else(|| ReadbackError::NotAString {
            path: path.to_owned(),
            at: key.to_owned(),
        })
}

/// Runs a `verify` program and returns its stdout.
async fn run(
    verify: &VerifySpec,
    cx: &ReadbackContext<'_>,
) -> Result<Zeroizing<String>, ReadbackError> {
    let Some((program, args)) = verify.argv.split_first() else {
        return Err(ReadbackError::EmptyArgv);
    };
    let seconds = verify
        .timeout_seconds
        .unwrap_or(DEFAULT_COMMAND_TIMEOUT_SECONDS);
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .current_dir(cx.base)
        .env_clear()
        .env(ENV_USER, cx.user)
        .env(ENV_TOKEN, cx.token)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(p) = &cx.path_env {
        command.env("PATH", p);
    }
    if let Some(h) = &cx.home_env {
        command.env("HOME", h);
    }
    let child = command.spawn().map_err(|source| ReadbackError::Spawn {
        program: program.clone(),
        source,
    })?;
    let output = tokio::time::timeout(
        Duration::from_secs(seconds.into()),
        child.wait_with_output(),
    )
    .await
    .map_err(|_| ReadbackError::CommandTimeout {
        program: program.clone(),
        seconds,
    })?
    .map_err(|source| ReadbackError::Spawn {
        program: program.clone(),
        source,
    })?;
    let mut stdout = output.stdout;
    if !output.status.success() {
        zeroize::Zeroize::zeroize(&mut stdout);
        return Err(ReadbackError::CommandFailed {
            program: program.clone(),
            status: output.status.to_string(),
        });
    }
    String::from_utf8(stdout).map(Zeroizing::new).map_err(|e| {
        let mut bytes = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        ReadbackError::CommandNotText {
            program: program.clone(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "ver:1-hint:7-readback-secret";

    fn cx(base: &Path) -> ReadbackContext<'_> {
        ReadbackContext {
            user: "THERMAL_STREAMING_USER",
            token: "THERMAL_PAT",
            account: "SANDBOX",
            base,
            path_env: std::env::var_os("PATH"),
            home_env: None,
        }
    }

    fn sink(value: serde_json::Value) -> Sink {
        serde_json::from_value(value).unwrap()
    }

    async fn secret_of(sink: &Sink, verify: Option<&VerifySpec>, base: &Path) -> String {
        match read_back(sink, verify, &cx(base)).await {
            Ok(ReadBack::Secret(s)) => s.expose().to_owned(),
            other => panic!("{other:?}"),
        }
    }

    async fn error_of(sink: &Sink, base: &Path) -> ReadbackError {
        match read_back(sink, None, &cx(base)).await {
            Err(e) => e,
            Ok(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn formats_are_undone_wherever_the_secret_stands() {
        let dir = Path::new(".");
        let cx = cx(dir);
        let cases = [
            (None, SECRET.to_owned()),
            (Some("{secret}"), SECRET.to_owned()),
            (Some("Bearer {secret}"), format!("Bearer {SECRET}")),
            (
                Some("pat={secret};user={user}"),
                format!("pat={SECRET};user=THERMAL_STREAMING_USER"),
            ),
            (
                Some("{account}/{user}/{token}:{secret}:end"),
                format!("SANDBOX/THERMAL_STREAMING_USER/THERMAL_PAT:{SECRET}:end"),
            ),
            (Some("{secret}|{secret}"), format!("{SECRET}|{SECRET}")),
        ];
        for (format, value) in cases {
            let got = unformat(format, &value, &cx, "here").unwrap();
            assert_eq!(got.expose(), SECRET, "{format:?}");
        }
    }

    #[test]
    fn a_value_of_another_shape_is_a_mismatch_that_does_not_show_it() {
        let cx = cx(Path::new("."));
        for (format, value) in [
            ("Bearer {secret}", SECRET.to_owned()),
            ("Bearer {secret}", "Bearer ".to_owned()),
            ("{secret}.{user}", format!("{SECRET}.OTHER_USER")),
            ("{secret}|{secret}", format!("{SECRET}|other")),
        ] {
            let e = unformat(Some(format), &value, &cx, "`f` at `/pat`").unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(
                matches!(e, ReadbackError::FormatMismatch { .. }),
                "{format}: {text}"
            );
            assert!(text.contains(format), "{text}");
            assert!(!text.contains(SECRET), "{text}");
        }
        assert!(matches!(
            unformat(Some("static"), "static", &cx, "x"),
            Err(ReadbackError::NoSecretInFormat { .. })
        ));
    }

    #[tokio::test]
    async fn json_file_reads_the_string_at_the_pointer() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("c.json"),
            json!({"account": "x", "auth": {"pat": format!("Bearer {SECRET}"), "n": 1}})
                .to_string(),
        )
        .unwrap();
        let s = sink(
            json!({"json_file": {"path": "c.json", "pointer": "/auth/pat", "format": "Bearer {secret}"}}),
        );
        assert_eq!(secret_of(&s, None, dir.path()).await, SECRET);

        let missing = sink(json!({"json_file": {"path": "c.json", "pointer": "/pat"}}));
        assert!(matches!(
            error_of(&missing, dir.path()).await,
            ReadbackError::NoValue { at, .. } if at == "/pat"
        ));
        let number = sink(json!({"json_file": {"path": "c.json", "pointer": "/auth/n"}}));
        assert!(matches!(
            error_of(&number, dir.path()).await,
            ReadbackError::NotAString { .. }
        ));
        std::fs::write(
            dir.path().join("bad.json"),
            format!("{{\"pat\": \"{SECRET}\","),
        )
        .unwrap();
        let bad = sink(json!({"json_file": {"path": "bad.json", "pointer": "/pat"}}));
        let e = error_of(&bad, dir.path()).await;
        assert!(matches!(e, ReadbackError::InvalidJson { .. }), "{e:?}");
        assert!(!format!("{e} {e:?}").contains(SECRET));
        let absent = sink(json!({"json_file": {"path": "none.json", "pointer": "/pat"}}));
        assert!(matches!(
            error_of(&absent, dir.path()).await,
            ReadbackError::Missing { .. }
        ));
    }

    #[tokio::test]
    async fn dotenv_file_reads_the_last_assignment_unquoted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.env");
        let s = sink(json!({"dotenv_file": {"path": "b.env", "key": "SNOWFLAKE_TOKEN"}}));
        let cases = [
            format!("OTHER=1\nSNOWFLAKE_TOKEN={SECRET}\n"),
            format!("SNOWFLAKE_TOKEN=old\nexport SNOWFLAKE_TOKEN=\"{SECRET}\"\n"),
            format!("SNOWFLAKE_TOKEN = '{SECRET}'\n"),
            format!("SNOWFLAKE_TOKEN={SECRET} # rotated by pat-reconcile\n"),
        ];
        for text in cases {
            std::fs::write(&path, &text).unwrap();
            assert_eq!(secret_of(&s, None, dir.path()).await, SECRET, "{text}");
        }
        // What a writer escapes inside double quotes comes back as it was.
        std::fs::write(&path, "SNOWFLAKE_TOKEN=\"a\\\"b\\\\c\\$d\\ne\"\n").unwrap();
        assert_eq!(secret_of(&s, None, dir.path()).await, "a\"b\\c$d\ne");

        let formatted = sink(
            json!({"dotenv_file": {"path": "b.env", "key": "SNOWFLAKE_TOKEN", "format": "Bearer {secret}"}}),
        );
        std::fs::write(&path, format!("SNOWFLAKE_TOKEN=\"Bearer {SECRET}\"\n")).unwrap();
        assert_eq!(secret_of(&formatted, None, dir.path()).await, SECRET);
        std::fs::write(&path, format!("SNOWFLAKE_TOKEN={SECRET}\n")).unwrap();
        assert!(matches!(
            error_of(&formatted, dir.path()).await,
            ReadbackError::FormatMismatch { .. }
        ));
        std::fs::write(&path, "OTHER=1\n").unwrap();
        assert!(matches!(
            error_of(&s, dir.path()).await,
            ReadbackError::NoValue { .. }
        ));
    }

    #[tokio::test]
    async fn toml_file_reads_the_string_at_the_dotted_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("connections.toml"),
            format!(
                "# mine\n[connections.thermal]\naccount = \"x\"\npassword = \"{SECRET}\" # kept\n\n[connections.\"my.conn\"]\npassword = \"pre-{SECRET}-post\"\nport = 1\n"
            ),
        )
        .unwrap();
        let s = sink(
            json!({"toml_file": {"path": "connections.toml", "key": "connections.thermal.password"}}),
        );
        assert_eq!(secret_of(&s, None, dir.path()).await, SECRET);
        let quoted = sink(
            json!({"toml_file": {"path": "connections.toml", "key": "connections.\"my.conn\".password", "format": "pre-{secret}-post"}}),
        );
        assert_eq!(secret_of(&quoted, None, dir.path()).await, SECRET);
        let number = sink(
            json!({"toml_file": {"path": "connections.toml", "key": "connections.\"my.conn\".port"}}),
        );
        assert!(matches!(
            error_of(&number, dir.path()).await,
            ReadbackError::NotAString { .. }
        ));
        let missing = sink(
            json!({"toml_file": {"path": "connections.toml", "key": "connections.other.password"}}),
        );
        assert!(matches!(
            error_of(&missing, dir.path()).await,
            ReadbackError::NoValue { .. }
        ));
        std::fs::write(
            dir.path().join("bad.toml"),
            format!("password = \"{SECRET}\"\nx = \n"),
        )
        .unwrap();
        let bad = sink(json!({"toml_file": {"path": "bad.toml", "key": "password"}}));
        let e = error_of(&bad, dir.path()).await;
        assert!(
            matches!(e, ReadbackError::InvalidToml { line: 2, .. }),
            "{e:?}"
        );
        assert!(!format!("{e} {e:?}").contains(SECRET));
    }

    #[tokio::test]
    async fn file_is_the_whole_content_with_an_editors_line_break_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.secret");
        let s = sink(json!({"file": {"path": "t.secret"}}));
        for text in [
            SECRET.to_owned(),
            format!("{SECRET}\n"),
            format!("{SECRET}\r\n"),
        ] {
            std::fs::write(&path, &text).unwrap();
            assert_eq!(secret_of(&s, None, dir.path()).await, SECRET);
        }
        let formatted =
            sink(json!({"file": {"path": "t.secret", "format": "token: {secret} ({token})\n"}}));
        std::fs::write(&path, format!("token: {SECRET} (THERMAL_PAT)\n")).unwrap();
        assert_eq!(secret_of(&formatted, None, dir.path()).await, SECRET);
        std::fs::write(&path, format!("token: {SECRET} (OTHER)\n")).unwrap();
        assert!(matches!(
            error_of(&formatted, dir.path()).await,
            ReadbackError::FormatMismatch { .. }
        ));
    }

    #[tokio::test]
    async fn a_command_sink_is_read_by_its_verify_program_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = sink(json!({"command": {"argv": ["store"], "format": "Bearer {secret}"}}));
        assert!(matches!(
            read_back(&s, None, &cx(dir.path())).await,
            Ok(ReadBack::NotVerifiable)
        ));
        std::fs::write(dir.path().join("vault"), format!("Bearer {SECRET}\n")).unwrap();
        let verify = |argv: &[&str]| VerifySpec {
            argv: argv.iter().map(|s| (*s).to_owned()).collect(),
            timeout_seconds: Some(2),
        };
        assert_eq!(
            secret_of(&s, Some(&verify(&["cat", "vault"])), dir.path()).await,
            SECRET
        );
        // The environment is cleared but for PATH, HOME and the names: cargo's own variables
        // of this test process do not reach the program.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        let env = verify(&[
            "sh",
            "-c",
            "test -z \"$CARGO_MANIFEST_DIR\" && printf 'Bearer %s' \"$PAT_RECONCILE_TOKEN\"",
        ]);
        assert_eq!(secret_of(&s, Some(&env), dir.path()).await, "THERMAL_PAT");
        for (argv, expect) in [
            (vec!["false"], "failed"),
            (vec!["sleep", "5"], "did not finish within 2 s"),
            (vec!["/nonexistent/program"], "cannot run"),
        ] {
            let e = match read_back(&s, Some(&verify(&argv)), &cx(dir.path())).await {
                Err(e) => e,
                Ok(other) => panic!("{other:?}"),
            };
            assert!(e.to_string().contains(expect), "{argv:?}: {e}");
        }
        let wrong = verify(&["echo", "not the shape"]);
        let e = match read_back(&s, Some(&wrong), &cx(dir.path())).await {
            Err(e) => e,
            Ok(other) => panic!("{other:?}"),
        };
        assert!(matches!(e, ReadbackError::FormatMismatch { .. }), "{e:?}");
    }
}

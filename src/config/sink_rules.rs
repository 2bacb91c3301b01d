//! Checks of each token's `deliver` sinks that `validate` runs: settings that cannot work, found
//! before a secret is minted (a `format` that throws the secret away, a pointer that is not one,
//! a dotenv key that would inject a line). The readings are the sinks' own
//! (`secrets::sinks::{parse_format, check_pointer, check_dotenv_key, check_toml_key}`), so
//! validate and delivery agree. Whether a program exists or a target is writable is checked at
//! apply time, not here. No I/O.

use super::diagnostic::{Diagnostic, Rule};
use super::env;
use super::source_index::{Entry, SourceIndex};
use crate::model::Identifier;
use crate::model::desired::{Config, Sink};
use crate::secrets::sinks;

/// Variables that carry the deployer's credentials: a `command` sink's `env` may not pass them
/// on (the consumer gets its own secret on stdin, never the deployer's).
pub const DEPLOYER_CREDENTIALS: &[&str] = &[
    env::SNOWFLAKE_TOKEN,
    env::SNOWFLAKE_TOKEN_FILE_PATH,
    env::SNOWFLAKE_PRIVATE_KEY_FILE,
    env::SNOWFLAKE_PRIVATE_KEY_FILE_PWD,
    "SNOWFLAKE_PASSWORD",
];

/// Checks every sink of every token.
pub fn check(config: &Config, src: &SourceIndex<'_>, out: &mut Vec<Diagnostic>) {
    for (user, spec) in &config.users {
        for (token, t) in &spec.tokens {
            let at = src.token(user, token);
            for (i, sink) in t.deliver.iter().enumerate() {
                sink_rules(user, token, i, sink, at.item_entry("deliver", i), out);
            }
        }
    }
}

fn sink_rules(
    user: &Identifier,
    token: &Identifier,
    index: usize,
    sink: &Sink,
    at: Entry<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let kind = sink.kind();
    let at = at.child(kind);
    let path = format!("users.{user}.tokens.{token}.deliver[{index}].{kind}");
    let mut finding = |key: &str, span, message: String, hint: &str| {
        out.push(
            Diagnostic::new(Rule::InvalidValue, format!("{path}.{key}"), message)
                .at(span)
                .hint(hint),
        );
    };
    let (file, format) = match sink {
        Sink::JsonFile(s) => (Some(&s.path), s.format.as_deref()),
        Sink::DotenvFile(s) => (Some(&s.path), s.format.as_deref()),
        Sink::TomlFile(s) => (Some(&s.path), s.format.as_deref()),
        Sink::File(s) => (Some(&s.path), s.format.as_deref()),
        Sink::Command(s) => (None, s.format.as_deref()),
    };
    if let Some(format) = format {
        if let Err(e) = sinks::parse_format(format) {
            finding(
                "format",
                at.prop("format"),
                format!("`format` `{format}` cannot shape the secret: {e}"),
                "write exactly one `{secret}`, optionally `{user}`, `{token}`, `{account}`; `{{` and `}}` for literal braces",
            );
        }
    }
    if let Some(file) = file {
        if file.trim().is_empty() || file.contains('\0') {
            finding(
                "path",
                at.prop("path"),
                format!("the {kind} sink's `path` names no file"),
                "give the file the consumer reads, relative to the pats.yaml directory",
            );
        } else if file.ends_with('/') {
            finding(
                "path",
                at.prop("path"),
                format!("the {kind} sink's `path` `{file}` names a directory"),
                "give the file the consumer reads, not its directory",
            );
        }
    }
    match sink {
        Sink::JsonFile(s) => {
            if let Err(e) = sinks::check_pointer(&s.pointer) {
                finding(
                    "pointer",
                    at.prop("pointer"),
                    format!(
                        "`pointer` `{}` is not a JSON Pointer a sink can set: {e}",
                        s.pointer
                    ),
                    "write an RFC 6901 pointer to one value, e.g. `/pat` or `/connections/0/token` (`~1` for `/`, `~0` for `~` in a key)",
                );
            }
        }
        Sink::DotenvFile(s) => {
            if sinks::check_dotenv_key(&s.key).is_err() {
                finding(
                    "key",
                    at.prop("key"),
                    format!("`key` {:?} is not a variable name", s.key),
                    "use letters, digits and `_`, not starting with a digit, e.g. `SNOWFLAKE_TOKEN`; `=`, spaces or a newline would write another line",
                );
            }
        }
        Sink::TomlFile(s) => {
            if sinks::check_toml_key(&s.key).is_err() {
                finding(
                    "key",
                    at.prop("key"),
                    format!("`key` {:?} is not a TOML dotted key", s.key),
                    "write e.g. `connections.thermal.password`; quote a part that holds a dot: `connections.\"my.conn\".password`",
                );
            }
        }
        Sink::File(_) => {}
        Sink::Command(s) => {
            if s.argv.first().is_none_or(|p| p.trim().is_empty()) {
                finding(
                    "argv",
                    at.prop("argv"),
                    "the command sink's `argv` names no program".to_owned(),
                    "give the program and its arguments, e.g. `argv: [vault, kv, put, secret/thermal, token=-]`",
                );
            }
            for (i, name) in s.env.iter().enumerate() {
                if !sinks::is_variable_name(name) {
                    finding(
                        &format!("env[{i}]"),
                        at.item("env", i),
                        format!("`env` entry {name:?} is not a variable name"),
                        "list variable names only, e.g. `env: [VAULT_ADDR]`; the values come from pat-reconcile's environment",
                    );
                } else if DEPLOYER_CREDENTIALS.contains(&name.as_str()) {
                    finding(
                        &format!("env[{i}]"),
                        at.item("env", i),
                        format!(
                            "`env` passes `{name}`, the deployer's Snowflake credential, to the command"
                        ),
                        "remove it: the command receives the new secret on stdin and must never see the credential pat-reconcile signs in with",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cases::only;

    #[test]
    fn a_misspelt_placeholder_is_named_with_a_hint() {
        let d = only(
            "version: 1\nusers:\n  P:\n    tokens:\n      T: { deliver: [{ dotenv_file: { path: a.env, key: K, format: \"Bearer {secrte}\" } }] }\n",
        );
        assert_eq!(d.rule.id(), "invalid-value");
        assert_eq!(d.path, "users.P.tokens.T.deliver[0].dotenv_file.format");
        assert!(
            d.message.contains("`{secrte}` is not a placeholder"),
            "{}",
            d.message
        );
        assert!(d.hint.unwrap().contains("exactly one `{secret}`"));
    }

    #[test]
    fn a_deployer_credential_in_env_is_refused() {
        let d = only(
            "version: 1\nusers:\n  P:\n    tokens:\n      T: { deliver: [{ command: { argv: [x], env: [SNOWFLAKE_PRIVATE_KEY_FILE_PWD] } }] }\n",
        );
        assert_eq!(d.path, "users.P.tokens.T.deliver[0].command.env[0]");
        assert!(
            d.message.contains("deployer's Snowflake credential"),
            "{}",
            d.message
        );
    }
}

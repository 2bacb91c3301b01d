//! Connection settings, resolved the way the Snowflake CLI and connectors resolve them.
//!
//! Sources, strongest first: command-line flags, then `SNOWFLAKE_*` environment variables, then
//! a connection of `connections.toml` under `SNOWFLAKE_HOME` (default `~/.snowflake`). The
//! connection is the one `--connection` names, else `SNOWFLAKE_DEFAULT_CONNECTION_NAME`, else
//! `default_connection_name` (in `connections.toml` or `config.toml`), else one named `default`.
//! [`resolve`] is pure: the caller reads the files and the environment and passes them in.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::env;
use crate::secrets::Secret;

/// Settings given on the command line, strongest of the sources. The CLI's clap flags
/// (`cli::connect::ConnectionFlags`) fill it; `config` itself knows nothing of clap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// The connection of `connections.toml` to use.
    pub connection: Option<String>,
    pub account: Option<String>,
    pub user: Option<String>,
    pub role: Option<String>,
    pub warehouse: Option<String>,
    pub authenticator: Option<String>,
    pub private_key_file: Option<PathBuf>,
    pub token_file: Option<PathBuf>,
    pub host: Option<String>,
}

/// How to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Key-pair JWT signed with this private key.
    KeyPair {
        private_key_file: PathBuf,
        passphrase: Option<Secret>,
    },
    /// A programmatic access token.
    ProgrammaticAccessToken(TokenSource),
    /// An OAuth access token.
    OAuth(TokenSource),
}

/// Where a bearer token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Inline(Secret),
    File(PathBuf),
}

/// Everything needed to talk to one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// The connection of `connections.toml` used, if any.
    pub name: Option<String>,
    pub account: String,
    pub user: Option<String>,
    /// The role as the SQL API's case-sensitive `role` field wants it (see [`request_name`]).
    pub role: Option<String>,
    /// The warehouse, folded like `role`.
    pub warehouse: Option<String>,
    pub authentication: Authentication,
    /// `https://host:port` (or `http://` to a loopback host).
    pub base_url: String,
}

/// A setting is missing, contradictory or malformed; each names the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    #[error("no connection is configured")]
    NothingConfigured { home: PathBuf },
    #[error("connection `{name}` is not in `{}`", path.display())]
    UnknownConnection {
        name: String,
        path: PathBuf,
        available: Vec<String>,
    },
    /// `connections.toml` or `config.toml` is not valid TOML. The error says where and what
    /// kind of mistake, never what the file holds: it may hold a token or a passphrase, and
    /// `toml::de::Error` itself quotes the offending line.
    #[error("cannot parse `{}`: {problem} at line {line}, column {column}", path.display())]
    Toml {
        path: PathBuf,
        line: usize,
        column: usize,
        problem: TomlProblem,
    },
    #[error("`{setting}` is required {why}")]
    Missing {
        setting: &'static str,
        why: &'static str,
    },
    #[error("`{first}` and `{second}` are both set; keep one")]
    Contradiction {
        first: &'static str,
        second: &'static str,
    },
    #[error("authenticator `{value}` is not supported")]
    UnknownAuthenticator { value: String },
    #[error("`{value}` is not a valid {setting}")]
    Invalid {
        setting: &'static str,
        value: String,
    },
    #[error("plain HTTP is only allowed to a loopback host, not `{host}`")]
    InsecureHost { host: String },
}

/// What kind of mistake makes a credentials file unreadable as TOML, from a closed set: the
/// parser's own message can quote the file (a misspelt value, an unexpected character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TomlProblem {
    /// A key defined twice, or a table defined twice.
    Duplicate,
    /// A string that is not closed or holds an invalid escape.
    String,
    /// Anything else the TOML grammar refuses.
    Syntax,
}

impl std::fmt::Display for TomlProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TomlProblem::Duplicate => "a key or table defined twice",
            TomlProblem::String => "an unterminated or invalid string",
            TomlProblem::Syntax => "invalid TOML",
        })
    }
}

/// Parses a credentials file, mapping a parse error to where it is and its kind only.
fn parse_toml(path: PathBuf, text: &str) -> Result<toml::Table, ConnectionError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start).min(text.len());
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        // Only the kind is read from the message; the message itself is dropped.
        let message = e.message().to_ascii_lowercase();
        let problem = if message.contains("duplicate") {
            TomlProblem::Duplicate
        } else if message.contains("string") || message.contains("escape") {
            TomlProblem::String
        } else {
            TomlProblem::Syntax
        };
        ConnectionError::Toml {
            path,
            line,
            column,
            problem,
        }
    })
}

impl ConnectionError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConnectionError::NothingConfigured { home } => Some(format!(
                "set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_AUTHENTICATOR=SNOWFLAKE_JWT and SNOWFLAKE_PRIVATE_KEY_FILE, or add a connection to `{}`; or try `pat-reconcile plan --sandbox`",
                home.join("connections.toml").display()
            )),
            ConnectionError::UnknownConnection { available, .. } if !available.is_empty() => {
                Some(format!("the file has: {}", available.join(", ")))
            }
            ConnectionError::UnknownAuthenticator { .. } => {
                Some("use SNOWFLAKE_JWT (key pair), PROGRAMMATIC_ACCESS_TOKEN or OAUTH".into())
            }
            _ => None,
        }
    }
}

/// What [`resolve`] reads: flags, the environment, and the two files' text.
///
/// `env` holds credentials (`SNOWFLAKE_TOKEN`, `SNOWFLAKE_PRIVATE_KEY_FILE_PWD`) and the files
/// may too, so `Debug` is written by hand: it shows the variables' names and the files' sizes,
/// never a value.
#[derive(Default)]
pub struct Inputs<'a> {
    pub flags: Overrides,
    pub env: BTreeMap<String, String>,
    pub home: PathBuf,
    pub connections_toml: Option<&'a str>,
    pub config_toml: Option<&'a str>,
}

impl std::fmt::Debug for Inputs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Redacted<'b>(&'b BTreeMap<String, String>);
        impl std::fmt::Debug for Redacted<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_map()
                    .entries(self.0.keys().map(|k| (k, format_args!("[redacted]"))))
                    .finish()
            }
        }
        let size = |t: Option<&str>| t.map(|t| format!("[{} bytes, redacted]", t.len()));
        f.debug_struct("Inputs")
            .field("flags", &self.flags)
            .field("env", &Redacted(&self.env))
            .field("home", &self.home)
            .field("connections_toml", &size(self.connections_toml))
            .field("config_toml", &size(self.config_toml))
            .finish()
    }
}

/// One value and where it came from, for error messages.
#[derive(Default)]
struct Layered {
    values: BTreeMap<&'static str, String>,
}

impl Layered {
    fn set(&mut self, key: &'static str, value: Option<String>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.values.insert(key, v);
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// Resolves the settings; errors name the setting that is missing or wrong.
pub fn resolve(inputs: &Inputs<'_>) -> Result<ConnectionSettings, ConnectionError> {
    let connections_path = inputs.home.join("connections.toml");
    let file: toml::Table = match inputs.connections_toml {
        Some(text) => parse_toml(connections_path.clone(), text)?,
        None => toml::Table::new(),
    };
    let config: toml::Table = match inputs.config_toml {
        Some(text) => parse_toml(inputs.home.join("config.toml"), text)?,
        None => toml::Table::new(),
    };
    let env = |k: &str| inputs.env.get(k).cloned().filter(|v| !v.is_empty());
    let default_name = env(env::SNOWFLAKE_DEFAULT_CONNECTION_NAME)
        .or_else(|| {
            file.get("default_connection_name")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .or_else(|| {
            config
                .get("default_connection_name")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        });
    let tables: BTreeMap<&String, &toml::Table> = file
        .iter()
        .filter_map(|(k, v)| v.as_table().map(|t| (k, t)))
        .collect();
    let chosen: Option<(String, &toml::Table)> =
        match (inputs.flags.connection.clone(), default_name) {
            (Some(name), _) | (None, Some(name)) => match tables.get(&name) {
                Some(t) => Some((name.clone(), t)),
                None => {
                    return Err(ConnectionError::UnknownConnection {
                        name: name.clone(),
                        path: connections_path,
                        available: tables.keys().map(|k| (*k).clone()).collect(),
                    });
                }
            },
            (None, None)
                if env(env::SNOWFLAKE_ACCOUNT).is_none() && inputs.flags.account.is_none() =>
            {
                tables
                    .get(&"default".to_owned())
                    .map(|t| ("default".to_owned(), *t))
            }
            (None, None) => None,
        };

    let mut s = Layered::default();
    if let Some((_, table)) = &chosen {
        let get = |k: &str| {
            table.get(k).and_then(|v| match v {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Integer(i) => Some(i.to_string()),
                _ => None,
            })
        };
        s.set("account", get("account"));
        s.set("user", get("user"));
        s.set("role", get("role"));
        s.set("warehouse", get("warehouse"));
        s.set("authenticator", get("authenticator"));
        s.set("token", get("token"));
        s.set("token_file_path", get("token_file_path"));
        s.set(
            "private_key_file",
            get("private_key_file").or_else(|| get("private_key_path")),
        );
        s.set("private_key_file_pwd", get("private_key_file_pwd"));
        s.set("host", get("host"));
        s.set("port", get("port"));
        s.set("protocol", get("protocol"));
    }
    s.set("account", env(env::SNOWFLAKE_ACCOUNT));
    s.set("user", env(env::SNOWFLAKE_USER));
    s.set("role", env(env::SNOWFLAKE_ROLE));
    s.set("warehouse", env(env::SNOWFLAKE_WAREHOUSE));
    s.set("authenticator", env(env::SNOWFLAKE_AUTHENTICATOR));
    s.set("token", env(env::SNOWFLAKE_TOKEN));
    s.set("token_file_path", env(env::SNOWFLAKE_TOKEN_FILE_PATH));
    s.set("private_key_file", env(env::SNOWFLAKE_PRIVATE_KEY_FILE));
    s.set(
        "private_key_file_pwd",
        env(env::SNOWFLAKE_PRIVATE_KEY_FILE_PWD),
    );
    s.set("host", env(env::SNOWFLAKE_HOST));
    s.set("port", env(env::SNOWFLAKE_PORT));
    s.set("protocol", env(env::SNOWFLAKE_PROTOCOL));
    let f = &inputs.flags;
    s.set("account", f.account.clone());
    s.set("user", f.user.clone());
    s.set("role", f.role.clone());
    s.set("warehouse", f.warehouse.clone());
    s.set("authenticator", f.authenticator.clone());
    s.set(
        "private_key_file",
        f.private_key_file.as_ref().map(|p| p.display().to_string()),
    );
    s.set(
        "token_file_path",
        f.token_file.as_ref().map(|p| p.display().to_string()),
    );
    s.set("host", f.host.clone());

    if s.values.is_empty() {
        return Err(ConnectionError::NothingConfigured {
            home: inputs.home.clone(),
        });
    }
    let account = s
        .get("account")
        .ok_or(ConnectionError::Missing {
            setting: "account",
            why: "(SNOWFLAKE_ACCOUNT, `--account`, or `account` in connections.toml)",
        })?
        .to_owned();
    if account.contains('/') || account.contains(':') || account.contains(char::is_whitespace) {
        return Err(ConnectionError::Invalid {
            setting: "account identifier",
            value: account,
        });
    }

    let token = |s: &Layered| -> Result<TokenSource, ConnectionError> {
        match (s.get("token"), s.get("token_file_path")) {
            (Some(_), Some(_)) => Err(ConnectionError::Contradiction {
                first: "token",
                second: "token_file_path",
            }),
            (Some(t), None) => Ok(TokenSource::Inline(Secret::new(t))),
            (None, Some(p)) => Ok(TokenSource::File(PathBuf::from(p))),
            (None, None) => Err(ConnectionError::Missing {
                setting: "token",
                why: "for this authenticator (SNOWFLAKE_TOKEN or SNOWFLAKE_TOKEN_FILE_PATH)",
            }),
        }
    };
    let authenticator = s
        .get("authenticator")
        .map(str::to_ascii_uppercase)
        .or_else(|| {
            if s.get("private_key_file").is_some() {
                Some("SNOWFLAKE_JWT".into())
            } else if s.get("token").is_some() || s.get("token_file_path").is_some() {
                Some("PROGRAMMATIC_ACCESS_TOKEN".into())
            } else {
                None
            }
        });
    let authentication = match authenticator.as_deref() {
        Some("SNOWFLAKE_JWT") => {
            if s.get("token").is_some() {
                return Err(ConnectionError::Contradiction {
                    first: "authenticator = SNOWFLAKE_JWT",
                    second: "token",
                });
            }
            if s.get("user").is_none() {
                return Err(ConnectionError::Missing {
                    setting: "user",
                    why: "for key-pair authentication (SNOWFLAKE_USER)",
                });
            }
            Authentication::KeyPair {
                private_key_file: PathBuf::from(s.get("private_key_file").ok_or(
                    ConnectionError::Missing {
                        setting: "private_key_file",
                        why: "for key-pair authentication (SNOWFLAKE_PRIVATE_KEY_FILE)",
                    },
                )?),
                passphrase: s.get("private_key_file_pwd").map(Secret::new),
            }
        }
        Some("PROGRAMMATIC_ACCESS_TOKEN") => {
            if s.get("private_key_file").is_some() {
                return Err(ConnectionError::Contradiction {
                    first: "authenticator = PROGRAMMATIC_ACCESS_TOKEN",
                    second: "private_key_file",
                });
            }
            Authentication::ProgrammaticAccessToken(token(&s)?)
        }
        Some("OAUTH") => Authentication::OAuth(token(&s)?),
        Some(other) => {
            return Err(ConnectionError::UnknownAuthenticator {
                value: other.to_owned(),
            });
        }
        None => {
            return Err(ConnectionError::Missing {
                setting: "authenticator",
                why: "(SNOWFLAKE_AUTHENTICATOR: SNOWFLAKE_JWT with a private key, PROGRAMMATIC_ACCESS_TOKEN or OAUTH with a token)",
            });
        }
    };

    let protocol = s.get("protocol").unwrap_or("https").to_ascii_lowercase();
    let host = s
        .get("host")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{}.snowflakecomputing.com", account.to_ascii_lowercase()));
    match protocol.as_str() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(ConnectionError::InsecureHost { host }),
        _ => {
            return Err(ConnectionError::Invalid {
                setting: "protocol (https or http)",
                value: protocol,
            });
        }
    }
    let default_port = if protocol == "https" { 443 } else { 80 };
    let port =
        match s.get("port") {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                ConnectionError::Invalid {
                    setting: "port",
                    value: p.to_owned(),
                }
            })?,
            None => default_port,
        };
    Ok(ConnectionSettings {
        name: chosen.map(|(n, _)| n),
        account,
        user: s.get("user").map(str::to_owned),
        role: s.get("role").map(|r| request_name("role", r)).transpose()?,
        warehouse: s
            .get("warehouse")
            .map(|w| request_name("warehouse", w))
            .transpose()?,
        authentication,
        base_url: format!("{protocol}://{host}:{port}"),
    })
}

/// A role or warehouse name as the SQL API's `role` and `warehouse` fields want it. Those fields
/// are case-sensitive and must match the stored name as SHOW prints it (reference Corrections 4,
/// docs "Submitting a request"), while the Snowflake CLI and connectors read `role = "my_role"`
/// as an identifier. So the setting is folded the way an identifier is: unquoted to upper case,
/// `"Quoted"` kept as written without its quotes (`""` inside stands for one `"`).
pub fn request_name(setting: &'static str, value: &str) -> Result<String, ConnectionError> {
    let trimmed = value.trim();
    let invalid = || ConnectionError::Invalid {
        setting,
        value: value.to_owned(),
    };
    if trimmed.is_empty() {
        return Err(invalid());
    }
    if let Some(inner) = trimmed.strip_prefix('"') {
        let inner = inner.strip_suffix('"').ok_or_else(invalid)?;
        if inner.is_empty() || inner.replace("\"\"", "").contains('"') {
            return Err(invalid());
        }
        return Ok(inner.replace("\"\"", "\""));
    }
    if trimmed.contains('"') {
        return Err(invalid());
    }
    Ok(trimmed.to_ascii_uppercase())
}

/// `localhost`, `127.0.0.0/8` or `::1`.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(env: &[(&str, &str)], toml: Option<&'static str>) -> Inputs<'static> {
        Inputs {
            flags: Overrides::default(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            home: PathBuf::from("/home/u/.snowflake"),
            connections_toml: toml,
            config_toml: None,
        }
    }

    #[test]
    fn role_and_warehouse_are_folded_like_identifiers() {
        let cases = [
            ("my_role", Some("MY_ROLE")),
            ("  Analyst ", Some("ANALYST")),
            ("\"Analyst\"", Some("Analyst")),
            ("\"a\"\"b\"", Some("a\"b")),
            ("\"open", None),
            ("a\"b", None),
            ("\"\"", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                request_name("role", input).ok().as_deref(),
                want,
                "role {input:?}"
            );
        }
        let toml = "[c]\naccount = \"a\"\nuser = \"u\"\nrole = \"pat_admin\"\nwarehouse = \"\\\"Ops_WH\\\"\"\nauthenticator = \"PROGRAMMATIC_ACCESS_TOKEN\"\ntoken = \"x\"\n";
        let mut i = inputs(&[], Some(toml));
        i.flags.connection = Some("c".into());
        let s = resolve(&i).unwrap();
        assert_eq!(s.role.as_deref(), Some("PAT_ADMIN"));
        assert_eq!(s.warehouse.as_deref(), Some("Ops_WH"));
        let mut e = inputs(&[(env::SNOWFLAKE_WAREHOUSE, "ops_wh")], Some(toml));
        e.flags.connection = Some("c".into());
        assert_eq!(resolve(&e).unwrap().warehouse.as_deref(), Some("OPS_WH"));
        e.flags.warehouse = Some("\"flag_wh\"".into());
        assert_eq!(resolve(&e).unwrap().warehouse.as_deref(), Some("flag_wh"));
    }

    #[test]
    fn environment_gives_a_key_pair_connection() {
        let s = resolve(&inputs(
            &[
                ("SNOWFLAKE_ACCOUNT", "MyOrg-MyAccount"),
                ("SNOWFLAKE_USER", "deployer"),
                ("SNOWFLAKE_PRIVATE_KEY_FILE", "/keys/k.p8"),
            ],
            None,
        ))
        .unwrap();
        assert_eq!(
            s.base_url,
            "https://myorg-myaccount.snowflakecomputing.com:443"
        );
        assert!(matches!(s.authentication, Authentication::KeyPair { .. }));
        assert!(matches!(s.authentication, Authentication::KeyPair { .. }));
    }

    #[test]
    fn flags_beat_environment_beat_file() {
        let toml = "default_connection_name = \"prod\"\n[prod]\naccount = \"fileacct\"\nuser = \"fileuser\"\nrole = \"FILEROLE\"\nauthenticator = \"PROGRAMMATIC_ACCESS_TOKEN\"\ntoken_file_path = \"/t\"\n";
        let mut i = inputs(
            &[("SNOWFLAKE_USER", "envuser"), ("SNOWFLAKE_ROLE", "ENVROLE")],
            Some(toml),
        );
        i.flags.role = Some("FLAGROLE".into());
        let s = resolve(&i).unwrap();
        assert_eq!(s.name.as_deref(), Some("prod"));
        assert_eq!(s.account, "fileacct");
        assert_eq!(s.user.as_deref(), Some("envuser"));
        assert_eq!(s.role.as_deref(), Some("FLAGROLE"));
        assert_eq!(
            s.authentication,
            Authentication::ProgrammaticAccessToken(TokenSource::File("/t".into()))
        );
    }

    #[test]
    fn missing_and_contradictory_settings_are_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "no connection is configured"),
            (&[("SNOWFLAKE_USER", "u")], "`account` is required"),
            (
                &[
                    ("SNOWFLAKE_ACCOUNT", "a"),
                    ("SNOWFLAKE_AUTHENTICATOR", "SNOWFLAKE_JWT"),
                ],
                "`user` is required",
            ),
            (
                &[
                    ("SNOWFLAKE_ACCOUNT", "a"),
                    ("SNOWFLAKE_USER", "u"),
                    ("SNOWFLAKE_AUTHENTICATOR", "SNOWFLAKE_JWT"),
                ],
                "`private_key_file` is required",
            ),
            (
                &[
                    ("SNOWFLAKE_ACCOUNT", "a"),
                    ("SNOWFLAKE_TOKEN", "t"),
                    ("SNOWFLAKE_TOKEN_FILE_PATH", "/t"),
                ],
                "`token` and `token_file_path` are both set",
            ),
            (
                &[
                    ("SNOWFLAKE_ACCOUNT", "a"),
                    ("SNOWFLAKE_AUTHENTICATOR", "externalbrowser"),
                ],
                "authenticator `EXTERNALBROWSER` is not supported",
            ),
            (
                &[
                    ("SNOWFLAKE_ACCOUNT", "a"),
                    ("SNOWFLAKE_TOKEN", "t"),
                    ("SNOWFLAKE_PROTOCOL", "http"),
                ],
                "plain HTTP is only allowed to a loopback host",
            ),
            (
                &[
                    ("SNOWFLAKE_ACCOUNT", "a"),
                    ("SNOWFLAKE_TOKEN", "t"),
                    ("SNOWFLAKE_PORT", "99999"),
                ],
                "`99999` is not a valid port",
            ),
            (
                &[
                    ("SNOWFLAKE_ACCOUNT", "a"),
                    ("SNOWFLAKE_AUTHENTICATOR", "OAUTH"),
                ],
                "`token` is required",
            ),
        ];
        for (env, want) in cases {
            let err = resolve(&inputs(env, None)).unwrap_err().to_string();
            assert!(err.contains(want), "{env:?}: {err}");
        }
        let err = resolve(&Inputs {
            flags: Overrides {
                connection: Some("nope".into()),
                ..Default::default()
            },
            ..inputs(&[], Some("[dev]\naccount = \"a\"\n"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("connection `nope` is not in"));
        assert_eq!(err.hint().as_deref(), Some("the file has: dev"));
    }

    // Split so that secret scanners do not mistake the test value for a leaked token.
    const TOKEN: &str = concat!("ver:1-hint:99", "-SECRETaGVsbG8gd29ybGQgc2VjcmV0IHRva2Vu");

    #[test]
    fn debug_of_inputs_shows_names_and_sizes_never_values() {
        let toml = format!("[c]\naccount = \"a\"\ntoken = \"{TOKEN}\"\n");
        let mut i = inputs(
            &[
                (env::SNOWFLAKE_TOKEN, TOKEN),
                (env::SNOWFLAKE_PRIVATE_KEY_FILE_PWD, "hunter2-passphrase"),
                (env::SNOWFLAKE_ACCOUNT, "acct"),
            ],
            None,
        );
        i.connections_toml = Some(&toml);
        let shown = format!("{i:?} {i:#?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("acct"), "{shown}");
        assert!(shown.contains("SNOWFLAKE_TOKEN"), "{shown}");
        assert!(
            shown.contains(&format!("[{} bytes, redacted]", toml.len())),
            "{shown}"
        );
    }

    #[test]
    fn a_malformed_connections_toml_is_located_never_quoted() {
        let cases = [
            (
                format!("[c]\naccount = \"a\"\ntoken = \"{TOKEN}\n"),
                3,
                TomlProblem::String,
            ),
            (format!("[c]\ntoken = {TOKEN}\n"), 2, TomlProblem::String),
            (
                format!("[c]\ntoken = \"{TOKEN}\" x\n"),
                2,
                TomlProblem::Syntax,
            ),
            (
                format!("[c]\ntoken = \"{TOKEN}\"\ntoken = \"{TOKEN}\"\n"),
                3,
                TomlProblem::Duplicate,
            ),
            (
                format!("[c]\ntoken = \"{TOKEN}\\q\"\n"),
                2,
                TomlProblem::String,
            ),
        ];
        for (text, want_line, want_problem) in cases {
            let mut i = inputs(&[], Some(Box::leak(text.clone().into_boxed_str())));
            i.flags.connection = Some("c".into());
            let err = resolve(&i).unwrap_err();
            let shown = format!("{err} {err:?} {:?}", err.hint());
            assert!(!shown.contains("SECRET"), "{text:?}: {shown}");
            assert!(!shown.contains("token ="), "{text:?}: {shown}");
            let ConnectionError::Toml { line, problem, .. } = err else {
                panic!("{text:?}: {shown}");
            };
            assert_eq!(
                (line, problem),
                (want_line, want_problem),
                "{text:?}: {shown}"
            );
            assert!(
                shown.contains(&format!("at line {want_line}, column ")),
                "{shown}"
            );
        }
    }

    #[test]
    fn plain_http_is_allowed_to_loopback() {
        let s = resolve(&inputs(
            &[
                ("SNOWFLAKE_ACCOUNT", "SANDBOX"),
                ("SNOWFLAKE_TOKEN", "t"),
                ("SNOWFLAKE_HOST", "127.0.0.1"),
                ("SNOWFLAKE_PORT", "8765"),
                ("SNOWFLAKE_PROTOCOL", "http"),
            ],
            None,
        ))
        .unwrap();
        assert_eq!(s.base_url, "http://127.0.0.1:8765");
        assert!(format!("{s:?}").contains("[redacted]"));
        assert!(!format!("{s:?}").contains("\"t\""));
    }
}

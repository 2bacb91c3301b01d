//! Errors of the Snowflake edge: each carries Snowflake's code, SQL state, message and the
//! statement handle or request id, so a person can look the statement up in Snowflake.

use std::path::PathBuf;

/// Snowflake error codes this client acts on or explains (Snowflake sends them as strings).
pub mod code {
    /// The object does not exist, or the role is not authorised to see it.
    pub const DOES_NOT_EXIST: &str = "002003";
    /// The role lacks a privilege for the statement.
    pub const INSUFFICIENT_PRIVILEGES: &str = "003001";
    /// The key-pair JWT was refused (wrong key, account or user).
    pub const JWT_INVALID: &str = "390144";
    /// A programmatic access token is used by a user without the network policy it needs.
    pub const NETWORK_POLICY_REQUIRED: &str = "390432";
}

/// A call to the SQL API failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Snowflake ran the statement and it failed (HTTP 422).
    #[error("Snowflake error {code} ({sql_state}): {message}")]
    Statement {
        code: String,
        sql_state: String,
        message: String,
        statement_handle: Option<String>,
        request_id: String,
    },
    /// Authentication was refused (HTTP 401/403).
    #[error("Snowflake refused the credentials: {code} {message}")]
    Authentication {
        status: u16,
        code: String,
        message: String,
    },
    /// The statement did not finish in time.
    #[error("the statement did not finish within {seconds} s")]
    Timeout {
        seconds: u64,
        statement_handle: Option<String>,
    },
    /// An HTTP status the client does not retry.
    #[error("the SQL API answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// The server kept failing with retryable errors.
    #[error("the SQL API kept failing after {attempts} attempts (last: {last})")]
    RetriesExhausted {
        attempts: u32,
        last: String,
        /// False when every attempt was answered 429 or 503, or never connected: the
        /// statement did not run.
        may_have_run: bool,
    },
    /// The connection failed.
    #[error("cannot reach {url}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The response was not what the SQL API documents.
    #[error("unexpected response from the SQL API: {detail}")]
    Protocol { detail: String },
    /// A response body that does not decode. Never holds the body or any value of it (an ADD
    /// or ROTATE answer holds a secret, and serde's messages quote the value they refused):
    /// only which answer, where in it, and what kind of mistake.
    #[error(
        "unexpected response from the SQL API: {answer} {problem} at `{path}` (line {line}, column {column})"
    )]
    MalformedResponse {
        answer: Answer,
        /// Where in the body, as field names of the SQL API and list indices (`data[0][1]`);
        /// a key the client does not know is shown as `?`.
        path: String,
        problem: Malformed,
        line: usize,
        column: usize,
    },
    /// Interrupted (Ctrl-C).
    #[error("cancelled")]
    Cancelled,
    /// A credential file could not be used.
    #[error("cannot use `{}`: {detail}", path.display())]
    Credential { path: PathBuf, detail: String },
}

/// Which answer of the SQL API did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// The answer to a statement (or to a poll of one).
    Statement,
    /// A partition of a result after the first, by index.
    Partition(usize),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Statement => f.write_str("the statement's answer"),
            Answer::Partition(i) => write!(f, "partition {i} of the result"),
        }
    }
}

/// What kind of mistake a body that does not decode has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// Not JSON at all.
    NotJson,
    /// JSON that ends too early.
    Truncated,
    /// JSON of another shape than the SQL API documents (a string where a list belongs, ...).
    WrongShape,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Malformed::NotJson => "is not JSON",
            Malformed::Truncated => "ends too early",
            Malformed::WrongShape => "has a value of the wrong type",
        })
    }
}

impl ClientError {
    /// Snowflake's error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Statement { code, .. } | ClientError::Authentication { code, .. } => {
                Some(code)
            }
            _ => None,
        }
    }

    /// Whether the object the statement named does not exist ([`code::DOES_NOT_EXIST`]).
    pub fn is_does_not_exist(&self) -> bool {
        self.code() == Some(code::DOES_NOT_EXIST)
    }

    /// What the user can do about this error, when there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ClientError::Authentication { code, .. } if code == code::JWT_INVALID => Some(
                "the JWT was refused: check that the user's RSA_PUBLIC_KEY matches the private key, and that SNOWFLAKE_ACCOUNT is the account identifier",
            ),
            ClientError::Authentication { code, .. } if code == code::NETWORK_POLICY_REQUIRED => {
                Some(
                    "Snowflake requires a network policy for this token's user: attach one that admits this machine",
                )
            }
            ClientError::Authentication { .. } => Some(
                "check the credentials of the connection (`--connection`, SNOWFLAKE_* variables)",
            ),
            ClientError::Statement { code, .. } if code == code::INSUFFICIENT_PRIVILEGES => Some(
                "the role lacks a privilege: it needs OWNERSHIP or MODIFY PROGRAMMATIC AUTHENTICATION METHODS on the users, and the policy privileges the README lists",
            ),
            ClientError::Transport { .. } | ClientError::RetriesExhausted { .. } => {
                Some("check the account identifier, SNOWFLAKE_HOST and the network")
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: &str) -> ClientError {
        ClientError::Authentication {
            status: 401,
            code: code.into(),
            message: "refused".into(),
        }
    }

    #[test]
    fn known_codes_get_their_own_hint() {
        assert!(
            refused(code::JWT_INVALID)
                .hint()
                .unwrap()
                .contains("RSA_PUBLIC_KEY")
        );
        assert!(
            refused(code::NETWORK_POLICY_REQUIRED)
                .hint()
                .unwrap()
                .contains("network policy")
        );
        assert!(refused("390100").hint().unwrap().contains("credentials"));
        let denied = ClientError::Statement {
            code: code::INSUFFICIENT_PRIVILEGES.into(),
            sql_state: "42501".into(),
            message: "Insufficient privileges".into(),
            statement_handle: None,
            request_id: "r".into(),
        };
        assert!(denied.hint().unwrap().contains("OWNERSHIP"));
        assert_eq!(ClientError::Cancelled.hint(), None);
    }
}

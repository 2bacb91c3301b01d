//! Errors of the Snowflake edge: each carries Snowflake's code, SQL state, message and the
//! statement handle or request id, so a person can look the statement up in Snowflake.

use std::path::PathBuf;

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
    RetriesExhausted { attempts: u32, last: String },
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
    /// Interrupted (Ctrl-C).
    #[error("cancelled")]
    Cancelled,
    /// A credential file could not be used.
    #[error("cannot use `{}`: {detail}", path.display())]
    Credential { path: PathBuf, detail: String },
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

    /// Whether the object the statement named does not exist (002003).
    pub fn is_does_not_exist(&self) -> bool {
        self.code() == Some("002003")
    }
}

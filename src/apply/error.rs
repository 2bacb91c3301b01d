//! Errors of apply: which change and statement failed, and why.

use crate::secrets::sinks::SinkError;
use crate::snowflake::ClientError;

/// Why apply stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Snowflake refused or could not run a statement.
    #[error("{address}: statement {statement_index} failed")]
    StatementFailed {
        address: String,
        statement_index: usize,
        sql: String,
        #[source]
        source: Box<ClientError>,
    },
    /// An ADD or ROTATE succeeded but the result held no secret.
    #[error("{address}: Snowflake returned no token secret")]
    NoSecretReturned { address: String },
    /// A sink failed; the secret went to the rescue file if it could.
    #[error("{address}: the new secret could not be delivered")]
    Delivery {
        address: String,
        #[source]
        source: Box<SinkError>,
    },
    /// A statement that mints a secret may have run, its answer was lost, and recovering a
    /// fresh secret failed too.
    #[error("{address}: the token may hold a secret nobody received ({detail})")]
    SecretUnknown { address: String, detail: String },
    /// Ctrl-C: stopped between statements.
    #[error("interrupted before {address}")]
    Interrupted { address: String },
    /// The journal could not be written; apply stops rather than run unrecorded.
    #[error("cannot write the journal")]
    Journal(#[source] std::io::Error),
}

//! Secrets: the [`Secret`] type, and (with `apply`) the sinks that deliver new token secrets and
//! the checks (`preflight`) that they can take one before it is minted.

mod error;
pub mod preflight;
mod secret;
pub mod sinks;

pub use error::{PointerError, SinkError, SinkErrorKind, SinkWarning, TomlKeyError, WriteError};
pub use secret::Secret;

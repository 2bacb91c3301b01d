//! Secrets: the [`Secret`] type, and (with `apply`) the sinks that deliver new token secrets,
//! the checks (`preflight`) that they can take one before it is minted, and (with `verify`)
//! reading them back.

mod error;
pub mod preflight;
pub mod readback;
mod secret;
pub mod sinks;

pub use error::{
    FormatError, PointerError, SinkError, SinkErrorKind, SinkWarning, TomlKeyError, WriteError,
};
pub use secret::{REDACTED, Secret, scrub};

//! Secrets: the [`Secret`] type, and (with `apply`) the sinks that deliver new token secrets, and
//! (with `verify`) reading them back.

mod error;
pub mod readback;
mod secret;
pub mod sinks;

pub use error::{
    FormatError, PointerError, SinkError, SinkErrorKind, SinkWarning, TomlKeyError, WriteError,
};
pub use secret::{REDACTED, Secret, scrub};

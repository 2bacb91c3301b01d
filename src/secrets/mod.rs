//! Secrets: the [`Secret`] type, and (with `apply`) the sinks that deliver new token secrets.

mod secret;
pub mod sinks;

pub use secret::Secret;

//! What the integration tests share: running the real binary in a clean environment.

mod cli;

pub use cli::{Cli, Output};

//! Loading `pats.yaml` with located diagnostics, and connection settings.

#[cfg(test)]
mod cases;
pub mod connection;
pub mod diagnostic;
pub mod env;
mod error;
mod hints;
pub mod import;
pub mod instance;
pub mod leak;
pub mod load;
mod names;
pub mod rules;
pub mod schema;
mod schema_errors;
pub mod sink_rules;
pub mod source_index;
mod tree_path;
pub mod yaml;

pub use diagnostic::{Diagnostic, RULE_ALIASES, Rule, Severity};
pub use error::LoadError;
pub use load::{Loaded, load_file, load_str};

//! The data the core works on: identifiers, the desired state `pats.yaml` declares, and the live
//! state read from the account. No I/O here.

mod ident;

pub use ident::{
    Identifier, IdentifierError, MAX_IDENTIFIER_LEN, ObjectName, identifier_pattern,
    object_name_pattern,
};
pub mod desired;
pub mod live;
pub mod pat_rules;
mod severity;
pub mod usage;
mod vocabulary;

pub use severity::Severity;
pub use vocabulary::{Spelled, Vocabulary, spellings};

//! The data the core works on: identifiers, the desired state `pats.yaml` declares, and the live
//! state read from the account. No I/O here.

mod ident;

pub use ident::{Identifier, IdentifierError, MAX_IDENTIFIER_LEN, ObjectName};

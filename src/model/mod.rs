//! The data the core works on: identifiers, the desired state `pats.yaml` declares, and the live
//! state read from the account. No I/O here.

mod ident;

pub use ident::{
    Identifier, IdentifierError, MAX_IDENTIFIER_LEN, ObjectName, identifier_pattern,
    object_name_pattern,
};
pub mod desired;
pub mod live;

/// Snowflake's spelling of a closed-set value (`SERVICE`, `ENFORCED_REQUIRED`): its serde name.
pub fn spelling<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

//! SQL text: statement builders and the one quoting module. Pure functions, no I/O.

pub mod quote;
pub mod reads;
pub mod statements;

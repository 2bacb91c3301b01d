//! A local emulator of the Snowflake SQL API v2 and of the account objects pat-reconcile manages
//! (DESIGN §7). It shares no code with `sql`, `snowflake` or `model`: its SQL parser is its own,
//! so that it judges the product's SQL independently.

pub mod account;
pub mod clock;
pub mod error;
pub mod exec;
pub mod name;
pub mod result_set;
pub mod sql;

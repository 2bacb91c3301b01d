//! `diff(desired, live, now) -> Plan`: the pure core. No I/O, no clock, no environment.
//!
//! Each object family has its own file (`objects`, `users`, `tokens`); they push changes into
//! the shared context (`context`); `assembly` runs them and builds the plan.

mod assembly;
mod context;
mod objects;
mod tokens;
mod users;

pub use assembly::diff;
use context::{Cx, attr_list, attr_opt_text, attr_text, comment};

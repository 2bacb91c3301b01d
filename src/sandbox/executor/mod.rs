//! Executing parsed statements against the account: one file per family of objects, each
//! enforcing Snowflake's rules for it; the session and privilege model in `session`. Execution is
//! synchronous and does no I/O: the engine holds the account lock around it. This module only
//! re-exports.

mod account_level;
mod account_usage;
mod auth_policies;
mod dispatch;
mod filter;
mod grants;
mod network;
mod queries;
mod session;
mod tokens;
mod users;
mod warehouses;

pub use dispatch::execute;
pub use network::address_allowed;
pub use session::{AuthMethod, Context, Session};
pub use tokens::{hash_secret, looks_like_token_secret};

use filter::{filter_names, like_matches};

type Result<T> = std::result::Result<T, crate::sandbox::error::StatementError>;

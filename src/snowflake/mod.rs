//! Talking to Snowflake: credentials, the SQL API client, the live reader, and signing in with
//! delivered secrets (`verify`).

pub mod auth;
pub mod client;
pub mod desc;
pub mod error;
pub mod pool;
pub mod reader;
pub mod result;
pub mod rows;
pub mod selection;
pub mod usage;
pub mod verify;

pub use client::{Client, ClientOptions, Interrupt, InterruptHandle, OnInterrupt, RequestContext};
pub use error::ClientError;
pub use result::ResultSet;
pub use selection::{UserPattern, UserSelection};

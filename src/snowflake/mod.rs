//! Talking to Snowflake: credentials, the SQL API client, and the live reader.

pub mod auth;
pub mod client;
pub mod desc;
pub mod error;
pub mod pool;
pub mod reader;
pub mod result;
pub mod rows;
pub mod selection;

pub use client::{Client, ClientOptions, Interrupt, InterruptHandle, OnInterrupt, RequestContext};
pub use error::ClientError;
pub use result::ResultSet;
pub use selection::{UserPattern, UserSelection};

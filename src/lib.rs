//! pat-reconcile: a declarative reconciler for Snowflake programmatic access tokens.
//!
//! The crate is a pure core between thin edges (DESIGN §8):
//! - [`model`]: desired state (what `pats.yaml` declares), live state, identifiers;
//! - [`config`]: loading `pats.yaml` with located diagnostics, and connection settings;
//! - [`plan`]: `diff(desired, live, now) -> Plan`, ordering and renderers (no I/O, no clock);
//! - [`sql`]: statement builders and the one quoting module;
//! - [`snowflake`]: the SQL API client and the live reader;
//! - [`apply`]: executing a plan, the journal, saved-plan checks;
//! - [`secrets`]: the `Secret` type and its sinks;
//! - [`sandbox`]: a local emulator of the SQL API, independent of `sql` and `snowflake`;
//! - [`cli`]: one file per command.

pub mod apply;
pub mod cli;
pub mod config;
pub mod model;
pub mod plan;
pub mod sandbox;
pub mod secrets;
pub mod snowflake;
pub mod sql;

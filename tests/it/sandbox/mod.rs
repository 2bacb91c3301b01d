//! Integration tests of the sandbox over real HTTP: conformance with the SQL API and Snowflake's
//! SQL, the account rules, authentication, and the test controls.

mod account_usage;
mod auth;
mod conformance;
mod controls;
mod hostile;
mod rules;
mod strict;
mod support;

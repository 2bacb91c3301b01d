//! Integration tests of the sandbox over real HTTP: conformance with the SQL API and Snowflake's
//! SQL, the account rules, authentication, and the test controls.

mod auth;
mod conformance;
mod controls;
mod rules;
mod strict;
mod support;

//! End to end: the real binary planning and applying against a sandbox over HTTP.

mod account;
mod apply;
mod cli;
mod concurrent;
mod connect;
mod fidelity;
mod import;
mod kill;
mod leaks;
mod reads;
mod rule_names;
mod status;
pub(crate) mod support;
mod terminal;
mod verify;

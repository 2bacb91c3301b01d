//! End to end: the real binary planning and applying against a sandbox over HTTP.

mod account;
mod apply;
mod connect;
mod fidelity;
mod kill;
mod status;
mod support;

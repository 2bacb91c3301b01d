//! The token status report: every token of the declared users with its dates and what needs
//! acting on (`pat-reconcile status`), and its renderers. Pure: no I/O, no clock.

pub mod json;
pub mod render;
pub mod report;

pub use report::{Finding, LastUsed, StatusOptions, StatusReport, TokenRow, UsageState, report};

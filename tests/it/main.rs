//! The integration tests: one binary, a module per command (STYLE.md, "Tests").
// Helpers outside `#[test]` functions set up fixtures; a failed setup should stop the test with
// its message, which is what `expect` does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed setup panics with its message"
)]

mod support;
mod validate;
mod validate_prop;

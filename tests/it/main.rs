//! The one integration-test binary: a module per area. Modules are `#[cfg(test)]` so that
//! clippy's `allow-unwrap-in-tests` covers their helpers too.

#[cfg(test)]
mod sandbox;

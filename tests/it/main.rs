//! The one integration-test binary: the real binary and the sandbox over real HTTP, a module per
//! area (STYLE.md, "Tests"). Modules are `#[cfg(test)]` so that clippy's
//! `allow-unwrap-in-tests` covers their helpers too.

#[cfg(test)]
mod architecture;
#[cfg(test)]
mod e2e;
#[cfg(test)]
mod hostile;
#[cfg(test)]
mod import_prop;
#[cfg(test)]
mod loader_prop;
#[cfg(test)]
mod plan;
#[cfg(test)]
mod plan_prop;
#[cfg(test)]
mod sandbox;
#[cfg(test)]
mod status;
#[cfg(test)]
mod support;
#[cfg(test)]
mod validate;
#[cfg(test)]
mod validate_prop;

//! `pat-reconcile schema`: print the JSON Schema of `pats.yaml`.

use std::io::Write;

use super::error::CliError;
use super::output::exit;

/// Arguments of `schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {}

/// Prints the schema; `schemas/pats.schema.json` is exactly this output.
pub fn run(_: &SchemaArgs) -> Result<u8, CliError> {
    let text = serde_json::to_string_pretty(&crate::config::schema::json_schema())
        .map_err(std::io::Error::other)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(exit::OK)
}

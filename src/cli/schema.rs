//! `pat-reconcile schema`: print the JSON Schema of `pats.yaml`.

use std::io::Write;

use super::error::CliError;
use super::status::ExitStatus;

/// Arguments of `schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {}

/// Prints the schema; `schemas/pats.schema.json` is exactly this output.
pub fn run(_: &SchemaArgs) -> Result<ExitStatus, CliError> {
    let text = serde_json::to_string_pretty(&crate::config::schema::json_schema())
        .map_err(std::io::Error::other)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(ExitStatus::Success)
}

//! The apply journal: an append-only JSON-lines record of every statement apply ran.
//!
//! Default location `<pats.yaml dir>/.pat-reconcile/journal.jsonl` (`apply --journal PATH`
//! moves it). One line per statement:
//! `{"time","run_id","address","action","statement_index","sql","outcome","statement_handle",
//! "error_code","error_message"}`. `outcome` is an [`Outcome`]: `ok`, `failed`, `not_run`, or `unknown` (the answer was lost; apply then checks
//! whether the statement ran and, for a token, mints and delivers a fresh secret).
//!
//! After a statement that minted a secret, one line per sink says whether the secret reached it:
//! `{"time","run_id","address","sink","delivery","error_message","rescue_file"}`, `delivery`
//! being a [`DeliveryOutcome`] (`delivered` or `failed`). The statement's own line stays `ok`: it
//! ran; what happened to its secret is the sinks' lines. A retry of a pending delivery (from
//! its rescue file, at the start of an apply) writes the same lines.
//! It never holds a secret: statements carry none, and delivery is recorded by sink name only.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::plan::Action;

/// The journal's default path for a `pats.yaml` in `base`.
pub fn default_path(base: &Path) -> PathBuf {
    base.join(".pat-reconcile").join("journal.jsonl")
}

/// One journal line.
#[derive(Debug, Clone, Serialize)]
pub struct Entry<'a> {
    pub time: DateTime<Utc>,
    pub run_id: &'a str,
    pub address: &'a str,
    pub action: Action,
    pub statement_index: usize,
    pub sql: &'a str,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_handle: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// One journal line about one sink of a new secret.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryEntry<'a> {
    pub time: DateTime<Utc>,
    pub run_id: &'a str,
    pub address: &'a str,
    /// The sink as the plan names it.
    pub sink: &'a str,
    pub delivery: DeliveryOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Where the secret waits when a sink failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescue_file: Option<&'a Path>,
}

/// Whether a sink received a new secret; the JSON spells it `delivered` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Delivered,
    Failed,
}

/// How a journalled statement ended; the JSON spells it in snake case (`not_run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It ran and Snowflake answered.
    Ok,
    /// Snowflake refused it (a failed delivery is a [`DeliveryEntry`]; the statement is `ok`).
    Failed,
    /// Apply stopped before it.
    NotRun,
    /// The answer was lost; apply then checks whether it ran.
    Unknown,
}

/// An open journal; each entry is written and flushed at once.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

impl Journal {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append(&mut self, entry: &Entry<'_>) -> std::io::Result<()> {
        self.write_line(entry)
    }

    pub fn append_delivery(&mut self, entry: &DeliveryEntry<'_>) -> std::io::Result<()> {
        self.write_line(entry)
    }

    fn write_line(&mut self, entry: &impl Serialize) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_keep_their_spelling() {
        let spelled: Vec<String> = [
            Outcome::Ok,
            Outcome::Failed,
            Outcome::NotRun,
            Outcome::Unknown,
        ]
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect();
        assert_eq!(
            spelled,
            ["\"ok\"", "\"failed\"", "\"not_run\"", "\"unknown\""]
        );
    }
}

//! The apply journal: an append-only JSON-lines record of every statement apply ran.
//!
//! Default location `<pats.yaml dir>/.pat-reconcile/journal.jsonl` (`apply --journal PATH`
//! moves it). One line per statement:
//! `{"time","run_id","address","action","statement_index","sql","outcome","statement_handle",
//! "error_code","error_message","delivered_to"}`. `outcome` is an [`Outcome`]: `ok`, `failed`, `not_run`, or `unknown` (the answer was lost; apply then checks
//! whether the statement ran and, for a token, mints and delivers a fresh secret).
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub delivered_to: Vec<String>,
}

/// How a journalled statement ended; the JSON spells it in snake case (`not_run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It ran and Snowflake answered.
    Ok,
    /// Snowflake refused it, or what followed it (a delivery) failed.
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

//! The apply journal: an append-only JSON-lines record of every statement apply ran.
//!
//! Default location `<pats.yaml dir>/.pat-reconcile/journal.jsonl` (`apply --journal PATH`
//! moves it). It is created with mode 0600, and an existing journal is set to 0600 when opened:
//! it names every token and sink of the checkout. One line per statement:
//! `{"time","run_id","address","action","statement_index","sql","outcome","statement_handle",
//! "error_code","error_message"}`. `outcome` is an [`Outcome`]: `ok`, `failed`, `not_run`, or
//! `unknown` (the answer was lost; apply then checks whether the statement ran and, for a
//! token, mints and delivers a fresh secret). The statement handle of an ADD or ROTATE is never
//! written: with it, the same user could fetch the result again, secret included.
//!
//! Before a statement that mints a secret is sent, an **intent** line is written and synced:
//! `{"time","run_id","intent","address","user","declared","action","statement_index","token","kind","leftovers"}`
//! (`intent` a fresh id, `token` the name the secret is minted under, `leftovers` the rotation
//! leftovers of that token known before, the evidence a later run compares against). An intent
//! is closed by a `{"time","run_id","resolves","resolution"}` line once its secret reached every
//! sink (`delivered`), waits in a rescue file with a pending record (`pending`), was never
//! minted (`not_minted`: refused or not run), or a later secret of the same token settled
//! (`superseded`). An intent never closed, because the process was killed (SIGKILL, a crash,
//! power loss) while its statement was in flight or before its secret was delivered, is what
//! [`unresolved_intents`] returns: the next plan judges from the account whether a secret was
//! minted that nobody received, and if so rotates it out (`plan::diff::intents`).
//!
//! After a statement that minted a secret, one line per sink says whether the secret reached it:
//! `{"time","run_id","address","sink","delivery","error_message","rescue_file"}`, `delivery`
//! being a [`DeliveryOutcome`] (`delivered` or `failed`). The statement's own line stays `ok`: it
//! ran; what happened to its secret is the sinks' lines. A retry of a pending delivery (from
//! its rescue file, at the start of an apply) writes the same lines.
//! It never holds a secret: statements carry none, and delivery is recorded by sink name only.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Identifier;
use crate::plan::{Action, Address, IntentKind, MintIntent};

/// The mode the journal is written with: it names tokens and sinks, so only its owner reads it.
pub const JOURNAL_MODE: u32 = 0o600;

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

/// An open journal, written by one writer thread with group commit: an append hands its line
/// to the writer and resolves once the line is on disk (written and `sync_data`ed); lines that
/// arrive while the writer syncs go out together in its next write and share one sync. So a
/// concurrent apply pays one sync per batch, not per line, and every line is still durable
/// before the append that wrote it returns (before a statement is sent, for an intent; before
/// its outcome is reported, for the rest).
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    lines: Option<std::sync::mpsc::Sender<Line>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

/// A line for the writer and where to say it is on disk.
#[derive(Debug)]
struct Line {
    bytes: Vec<u8>,
    written: tokio::sync::oneshot::Sender<std::io::Result<()>>,
}

/// The most lines one write (and its sync) takes.
const GROUP_LIMIT: usize = 1024;

impl Journal {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(JOURNAL_MODE)
            .open(path)?;
        // A journal written by an older version (0644) is closed to others too.
        if file.metadata()?.permissions().mode() & 0o777 != JOURNAL_MODE {
            file.set_permissions(std::fs::Permissions::from_mode(JOURNAL_MODE))?;
        }
        let (lines, queue) = std::sync::mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || write_groups(file, &queue))?;
        Ok(Self {
            path: path.to_owned(),
            lines: Some(lines),
            writer: Some(writer),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn append(&self, entry: &Entry<'_>) -> std::io::Result<()> {
        self.write_line(entry).await
    }

    pub async fn append_delivery(&self, entry: &DeliveryEntry<'_>) -> std::io::Result<()> {
        self.write_line(entry).await
    }

    /// Writes (and syncs) the intent to send a minting statement: await it before sending.
    pub async fn append_intent(&self, entry: &IntentEntry<'_>) -> std::io::Result<()> {
        self.write_line(entry).await
    }

    /// Closes an intent.
    pub async fn append_resolution(&self, entry: &ResolutionEntry<'_>) -> std::io::Result<()> {
        self.write_line(entry).await
    }

    async fn write_line(&self, entry: &impl Serialize) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        let (written, on_disk) = tokio::sync::oneshot::channel();
        let gone = || std::io::Error::other("the journal writer stopped");
        self.lines
            .as_ref()
            .ok_or_else(gone)?
            .send(Line { bytes, written })
            .map_err(|_| gone())?;
        on_disk.await.map_err(|_| gone())?
    }
}

impl Drop for Journal {
    /// Lets the writer finish the lines already handed to it.
    fn drop(&mut self) {
        self.lines.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The writer thread: takes every line waiting (up to [`GROUP_LIMIT`]), writes them in one
/// write, syncs once, then tells each append the outcome. Ends when the journal is dropped.
fn write_groups(mut file: std::fs::File, queue: &std::sync::mpsc::Receiver<Line>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < GROUP_LIMIT {
            match queue.try_recv() {
                Ok(line) => group.push(line),
                Err(_) => break,
            }
        }
        let bytes: Vec<u8> = group.iter().flat_map(|l| l.bytes.iter().copied()).collect();
        let outcome = file.write_all(&bytes).and_then(|()| file.sync_data());
        for line in group {
            let told = match &outcome {
                Ok(()) => Ok(()),
                Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
            };
            let _ = line.written.send(told);
        }
    }
}

/// The intent to send a minting statement (module docs).
#[derive(Debug, Clone, Serialize)]
pub struct IntentEntry<'a> {
    pub time: DateTime<Utc>,
    pub run_id: &'a str,
    /// The intent's id, which its resolution line names.
    pub intent: String,
    /// The change's address (`user.U.token.T`), the declared token's, for people.
    pub address: String,
    /// The user and the declared token, as stored.
    pub user: String,
    pub declared: String,
    pub action: Action,
    pub statement_index: usize,
    /// The name the secret is minted under (`T`, or `T_NEXT` in a replacement).
    pub token: String,
    /// `add` or `rotate`.
    pub kind: IntentKindLine,
    /// For a rotation: the leftovers of `token` before it (evidence of whether it ran).
    #[serde(default)]
    pub leftovers: Vec<String>,
}

/// An intent line as read back: what the next run needs of it.
#[derive(Debug, Deserialize)]
struct IntentLine {
    time: DateTime<Utc>,
    intent: String,
    user: String,
    declared: String,
    token: String,
    kind: IntentKindLine,
    #[serde(default)]
    leftovers: Vec<String>,
}

/// The kind of minting statement an intent line announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentKindLine {
    Add,
    Rotate,
}

/// How an intent was closed; the JSON spells it in snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Every sink received the secret.
    Delivered,
    /// The secret waits in a rescue file with its pending record.
    Pending,
    /// The statement was refused or never sent: nothing was minted.
    NotMinted,
    /// A later secret of the same token settled; this one, if minted, is rotated out.
    Superseded,
}

/// The line that closes an intent.
#[derive(Debug, Clone, Serialize)]
pub struct ResolutionEntry<'a> {
    pub time: DateTime<Utc>,
    pub run_id: &'a str,
    /// The intent's id.
    pub resolves: &'a str,
    pub resolution: Resolution,
}

/// A resolution line as read back.
#[derive(Debug, Deserialize)]
struct ResolutionLine {
    resolves: String,
}

/// An intent never closed (module docs), with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIntent {
    pub id: String,
    pub intent: MintIntent,
}

/// Why the journal could not be read for intents.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the journal `{}`", path.display())]
pub struct JournalReadError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The intents of the journal at `path` that no line closed, oldest first; none when there is
/// no journal. A line that is not JSON (a write cut short by a kill) is skipped; lines of other
/// kinds are ignored.
pub fn unresolved_intents(path: &Path) -> Result<Vec<OpenIntent>, JournalReadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(JournalReadError {
                path: path.to_owned(),
                source,
            });
        }
    };
    Ok(open_intents(&text))
}

/// The open intents of a journal's text (see [`unresolved_intents`]).
fn open_intents(text: &str) -> Vec<OpenIntent> {
    let mut intents = Vec::new();
    let mut closed = BTreeSet::new();
    for line in text.lines() {
        if let Ok(entry) = serde_json::from_str::<IntentLine>(line) {
            if let Some(intent) = to_intent(&entry) {
                intents.push(OpenIntent {
                    id: entry.intent.clone(),
                    intent,
                });
            }
        } else if let Ok(entry) = serde_json::from_str::<ResolutionLine>(line) {
            closed.insert(entry.resolves);
        }
    }
    intents.retain(|i| !closed.contains(&i.id));
    intents
}

fn to_intent(entry: &IntentLine) -> Option<MintIntent> {
    let ident = |s: &str| Identifier::from_stored(s).ok();
    Some(MintIntent {
        address: Address::Token(ident(&entry.user)?, ident(&entry.declared)?),
        minted: ident(&entry.token)?,
        kind: match entry.kind {
            IntentKindLine::Add => IntentKind::Add,
            IntentKindLine::Rotate => IntentKind::Rotate {
                leftovers_before: entry.leftovers.iter().filter_map(|l| ident(l)).collect(),
            },
        },
        time: entry.time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_journal_is_created_0600_and_an_older_one_is_closed_to_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join(".pat-reconcile").join("journal.jsonl");
        Journal::open(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o600);
        let older = dir.path().join("older.jsonl");
        std::fs::write(&older, "{}\n").unwrap();
        std::fs::set_permissions(&older, std::fs::Permissions::from_mode(0o644)).unwrap();
        Journal::open(&older).unwrap();
        assert_eq!(mode(&older), 0o600);
        assert_eq!(std::fs::read_to_string(&older).unwrap(), "{}\n");
    }

    fn intent_entry<'a>(id: &str, kind: IntentKindLine, leftovers: Vec<String>) -> IntentEntry<'a> {
        IntentEntry {
            time: crate::plan::testkit::now(),
            run_id: "run",
            intent: id.to_owned(),
            address: "user.U.token.T".into(),
            user: "U".into(),
            declared: "T".into(),
            action: Action::Create,
            statement_index: 0,
            token: "T".into(),
            kind,
            leftovers,
        }
    }

    #[tokio::test]
    async fn intents_stay_open_until_a_line_resolves_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        assert!(
            unresolved_intents(&path).unwrap().is_empty(),
            "no journal, no intent"
        );
        let journal = Journal::open(&path).unwrap();
        journal
            .append_intent(&intent_entry("a", IntentKindLine::Add, Vec::new()))
            .await
            .unwrap();
        journal
            .append_intent(&intent_entry(
                "b",
                IntentKindLine::Rotate,
                vec!["T_ROTATED_1".into()],
            ))
            .await
            .unwrap();
        journal
            .append_resolution(&ResolutionEntry {
                time: crate::plan::testkit::now(),
                run_id: "run",
                resolves: "a",
                resolution: Resolution::Delivered,
            })
            .await
            .unwrap();
        drop(journal);
        // A line cut short by a kill is skipped.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"time\":\"2026-");
        std::fs::write(&path, text).unwrap();
        let open = unresolved_intents(&path).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, "b");
        assert_eq!(open[0].intent.address.to_string(), "user.U.token.T");
        assert_eq!(
            open[0].intent.kind,
            IntentKind::Rotate {
                leftovers_before: vec![Identifier::from_stored("T_ROTATED_1").unwrap()]
            }
        );
    }

    #[tokio::test]
    async fn concurrent_appends_each_land_whole_and_are_on_disk_when_they_return() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = Journal::open(&path).unwrap();
        let ids: Vec<String> = (0..200).map(|i| format!("intent-{i}")).collect();
        let writes = ids.iter().map(|id| {
            let (journal, path) = (&journal, &path);
            async move {
                journal
                    .append_intent(&intent_entry(id, IntentKindLine::Add, Vec::new()))
                    .await
                    .unwrap();
                // Returned: the line is in the file already (another reader sees it).
                assert!(
                    std::fs::read_to_string(path)
                        .unwrap()
                        .contains(&format!("\"{id}\""))
                );
            }
        });
        futures_util::future::join_all(writes).await;
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 200);
        assert_eq!(open_intents(&text).len(), 200, "every line is whole JSON");
    }

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

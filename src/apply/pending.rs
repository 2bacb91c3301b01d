//! Pending deliveries: secrets that did not reach every sink of their token, kept as state until
//! they do (DESIGN §5).
//!
//! The secret itself waits in its 0600 rescue file (`.pat-reconcile/rescue/`). Beside it, a
//! record in `.pat-reconcile/pending/<rescue file name>.json` says which token it belongs to and
//! which sinks did and did not get it:
//! `{"format_version":1,"user","token","rescue_file","created_at","delivered":[..],"undelivered":[..]}`
//! (`rescue_file` is the name inside the rescue directory, so the checkout may move). A record
//! never holds the secret. The records are state rather than journal lines because they must be
//! found, and forgotten, one by one: `plan` lists every record as a `pending-delivery` error;
//! `apply` first delivers each from its rescue file to every current sink not in `delivered`,
//! then deletes the rescue file and the record.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Identifier;
use crate::plan::{Address, PendingDelivery};
use crate::secrets::sinks::{self, Delivery};

/// The version of a pending record this build reads and writes.
pub const PENDING_FORMAT_VERSION: u32 = 1;

/// Where the records live for a `pats.yaml` in `base`.
pub fn dir(base: &Path) -> PathBuf {
    base.join(".pat-reconcile").join("pending")
}

/// A pending record as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    format_version: u32,
    user: String,
    token: String,
    rescue_file: String,
    created_at: DateTime<Utc>,
    delivered: Vec<String>,
    undelivered: Vec<String>,
}

/// A secret waiting in a rescue file for some of its token's sinks.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The record's own path.
    pub record: PathBuf,
    pub user: Identifier,
    pub token: Identifier,
    /// The rescue file holding the secret.
    pub rescue: PathBuf,
    /// The sinks that have it (as the plan names them); every other sink of the token needs it.
    pub delivered: Vec<String>,
    /// The sinks that failed when it was minted (or last retried).
    pub undelivered: Vec<String>,
}

impl Pending {
    pub fn address(&self) -> Address {
        Address::Token(self.user.clone(), self.token.clone())
    }

    /// The plan's view of it: what the `pending-delivery` finding names.
    pub fn to_plan(&self) -> PendingDelivery {
        PendingDelivery {
            address: self.address(),
            rescue_file: self.rescue.display().to_string(),
            rescue_exists: self.rescue.is_file(),
            undelivered: self.undelivered.clone(),
        }
    }
}

/// Why the pending records could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PendingError {
    #[error("cannot read the pending deliveries in `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a pending-delivery record", path.display())]
    Format {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("`{}` has pending-delivery format version {found}; this pat-reconcile reads version {PENDING_FORMAT_VERSION}", path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("`{}` names the invalid identifier `{name}`", path.display())]
    Identifier { path: PathBuf, name: String },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot remove `{}`", path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Every pending record of the checkout in `base`, in file-name order; none when the directory
/// does not exist.
pub fn load(base: &Path) -> Result<Vec<Pending>, PendingError> {
    let dir = dir(base);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(PendingError::Read { path: dir, source }),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| PendingError::Read {
            path: dir.clone(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|p| read(base, p)).collect()
}

fn read(base: &Path, path: &Path) -> Result<Pending, PendingError> {
    let text = std::fs::read_to_string(path).map_err(|source| PendingError::Read {
        path: path.to_owned(),
        source,
    })?;
    let record: Record = serde_json::from_str(&text).map_err(|source| PendingError::Format {
        path: path.to_owned(),
        source,
    })?;
    if record.format_version != PENDING_FORMAT_VERSION {
        return Err(PendingError::Version {
            path: path.to_owned(),
            found: record.format_version,
        });
    }
    let ident = |name: &str| {
        Identifier::from_stored(name).map_err(|_| PendingError::Identifier {
            path: path.to_owned(),
            name: name.to_owned(),
        })
    };
    Ok(Pending {
        record: path.to_owned(),
        user: ident(&record.user)?,
        token: ident(&record.token)?,
        rescue: sinks::rescue_dir(base).join(&record.rescue_file),
        delivered: record.delivered,
        undelivered: record.undelivered,
    })
}

/// Records that the secret in `rescue` did not reach every sink of `user`'s `token`. With
/// `previous` (a retry), the sinks it had already reached stay delivered and its record is
/// rewritten in place.
pub fn record(
    base: &Path,
    user: &Identifier,
    token: &Identifier,
    rescue: &Path,
    delivery: &Delivery,
    previous: Option<&Pending>,
    now: DateTime<Utc>,
) -> Result<PathBuf, PendingError> {
    let rescue_file = rescue
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = previous.map_or_else(
        || dir(base).join(format!("{rescue_file}.json")),
        |p| p.record.clone(),
    );
    let mut delivered: Vec<String> = previous.map(|p| p.delivered.clone()).unwrap_or_default();
    delivered.extend(delivery.delivered.iter().cloned());
    let record = Record {
        format_version: PENDING_FORMAT_VERSION,
        user: user.as_str().to_owned(),
        token: token.as_str().to_owned(),
        rescue_file,
        created_at: now,
        delivered,
        undelivered: delivery.failed.iter().map(|e| e.sink.clone()).collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&record).map_err(|e| PendingError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    bytes.push(b'\n');
    sinks::write_atomic(&path, &bytes).map_err(|e| PendingError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    Ok(path)
}

/// Forgets a pending delivery: every sink has the secret, or a new one replaced it. Removes the
/// rescue file (if still there), then the record.
pub fn resolve(pending: &Pending) -> Result<(), PendingError> {
    for path in [&pending.rescue, &pending.record] {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(PendingError::Remove {
                    path: path.clone(),
                    source,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SinkError;
    use crate::secrets::SinkErrorKind;

    #[test]
    fn a_record_round_trips_and_resolving_removes_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        let rescue = sinks::rescue_dir(base).join("U.T.20261127T120000Z.secret");
        sinks::write_atomic(&rescue, b"s\n").unwrap();
        let user = Identifier::parse("U").unwrap();
        let token = Identifier::parse("T").unwrap();
        let delivery = Delivery {
            warnings: Vec::new(),
            delivered: vec!["file a".into()],
            failed: vec![SinkError {
                user: "U".into(),
                token: "T".into(),
                sink: "command false".into(),
                path: None,
                rescue: Some(rescue.clone()),
                rescue_error: None,
                kind: SinkErrorKind::EmptyArgv,
            }],
        };
        let now = crate::plan::testkit::now();
        record(base, &user, &token, &rescue, &delivery, None, now).unwrap();
        let pending = load(base).unwrap();
        assert_eq!(pending.len(), 1);
        let p = &pending[0];
        assert_eq!(p.address().to_string(), "user.U.token.T");
        assert_eq!(p.rescue, rescue);
        assert_eq!(p.delivered, ["file a"]);
        assert_eq!(p.undelivered, ["command false"]);
        assert!(p.to_plan().rescue_exists);
        let text = std::fs::read_to_string(&p.record).unwrap();
        assert!(!text.contains("\"s\""), "{text}");

        resolve(p).unwrap();
        assert!(!rescue.exists());
        assert!(load(base).unwrap().is_empty());
    }
}

//! A saved plan (`plan --out FILE`, then `apply FILE`) is evidence to compare, never
//! instructions to run: the file's SQL and flags could have been edited after review.
//!
//! [`verify`] checks the account the file was planned on, its format version, its config digest and the fingerprints of every
//! live object it read, then plans again from the same file and account at the file's
//! `generated_at` and requires the changes to equal the saved ones (address, action, destructive
//! and minting flags, every statement's SQL, secret flag and recovery). Only then does apply run
//! the typed [`Plan`] it planned itself, never the file's text. No network here: the caller
//! passes the live state it read.

use std::path::Path;

use super::error::{Difference, SavedPlanError};
use crate::model::desired::Config;
use crate::model::live::LiveState;
use crate::plan::wire::{PLAN_FORMAT_VERSION, PlanFile, WireChange};
use crate::plan::{self, Plan, Severity, fingerprint};

/// Reads and parses a saved plan.
pub fn load(path: &Path) -> Result<PlanFile, SavedPlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| SavedPlanError::Read {
        path: path.to_owned(),
        source,
    })?;
    let saved: PlanFile =
        serde_json::from_str(&text).map_err(|source| SavedPlanError::NotAPlan {
            path: path.to_owned(),
            source,
        })?;
    if saved.format_version != PLAN_FORMAT_VERSION {
        return Err(SavedPlanError::FormatVersion {
            path: path.to_owned(),
            found: saved.format_version,
            supported: PLAN_FORMAT_VERSION,
        });
    }
    Ok(saved)
}

/// The plan to apply for `saved`: planned again from `desired` and `live` at the saved instant,
/// and refused unless the inputs are those it was made from and the changes equal its own.
pub fn verify(
    saved: &PlanFile,
    desired: &Config,
    live: &LiveState,
    inputs: &crate::plan::DiffInputs,
) -> Result<Plan, SavedPlanError> {
    if !same_account(saved.origin.account.as_deref(), live.account.as_deref()) {
        return Err(SavedPlanError::OtherAccount {
            saved: saved.origin.account.clone(),
            current: live.account.clone(),
        });
    }
    let saved_errors = saved
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if saved_errors > 0 {
        return Err(SavedPlanError::Preflight {
            errors: saved_errors,
        });
    }
    if saved.config_digest != fingerprint::config_digest(desired) {
        return Err(SavedPlanError::Stale {
            moved: vec!["pats.yaml".into()],
        });
    }
    let now = fingerprint::live_fingerprints(desired, live);
    let mut moved: Vec<String> = saved
        .live_fingerprints
        .iter()
        .filter(|(address, fp)| now.get(*address) != Some(*fp))
        .map(|(address, _)| address.clone())
        .collect();
    moved.extend(
        now.keys()
            .filter(|a| !saved.live_fingerprints.contains_key(*a))
            .cloned(),
    );
    if !moved.is_empty() {
        return Err(SavedPlanError::Stale { moved });
    }

    let planned = plan::diff(desired, live, saved.generated_at, inputs);
    let errors = planned
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        return Err(SavedPlanError::Preflight { errors });
    }
    compare(&saved.changes, &PlanFile::from_plan(&planned).changes)?;
    Ok(planned)
}

/// Whether two account identifiers name the same account. Identifiers are case-insensitive; an
/// unknown account matches nothing, so a plan is applied only where it provably belongs.
fn same_account(saved: Option<&str>, current: Option<&str>) -> bool {
    match (saved, current) {
        (Some(s), Some(c)) => s.eq_ignore_ascii_case(c),
        _ => false,
    }
}

/// The first difference between the saved changes and the planned ones, in plan order.
fn compare(saved: &[WireChange], planned: &[WireChange]) -> Result<(), SavedPlanError> {
    let differs = |address: &str, difference| SavedPlanError::Differs {
        address: address.to_owned(),
        difference,
    };
    for i in 0..saved.len().max(planned.len()) {
        let (s, p) = match (saved.get(i), planned.get(i)) {
            (Some(s), Some(p)) => (s, p),
            (None, Some(p)) => return Err(differs(&p.address, Difference::Missing)),
            (Some(s), None) => return Err(differs(&s.address, Difference::Unexpected)),
            (None, None) => break,
        };
        if let Some(difference) = change_difference(s, p) {
            return Err(differs(&p.address, difference));
        }
    }
    Ok(())
}

fn change_difference(s: &WireChange, p: &WireChange) -> Option<Difference> {
    if s.address != p.address {
        return Some(Difference::Address {
            saved: s.address.clone(),
        });
    }
    if s.action != p.action {
        return Some(Difference::Action {
            saved: s.action.to_string(),
            planned: p.action.to_string(),
        });
    }
    if s.destructive != p.destructive {
        return Some(Difference::Destructive {
            saved: s.destructive,
            planned: p.destructive,
        });
    }
    if s.mints_secret != p.mints_secret {
        return Some(Difference::MintsSecret {
            saved: s.mints_secret,
            planned: p.mints_secret,
        });
    }
    if s.statements.len() != p.statements.len() {
        return Some(Difference::StatementCount {
            saved: s.statements.len(),
            planned: p.statements.len(),
        });
    }
    for (index, (ss, ps)) in s.statements.iter().zip(&p.statements).enumerate() {
        if ss.sql != ps.sql {
            return Some(Difference::Sql {
                index,
                saved: ss.sql.clone(),
                planned: ps.sql.clone(),
            });
        }
        if ss.returns_secret != ps.returns_secret {
            return Some(Difference::ReturnsSecret {
                index,
                saved: ss.returns_secret,
                planned: ps.returns_secret,
            });
        }
        if ss.recovery != ps.recovery {
            return Some(Difference::Recovery { index });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testkit::{config, live, now};

    /// A token to rotate and one to add: both mint a secret and carry a recovery.
    fn inputs() -> (Config, LiveState) {
        let token = json!({
            "role_restriction": "R",
            "days_to_expiry": 30,
            "rotate_before_expiry_days": 7,
            "expire_rotated_token_after_hours": 24,
            "deliver": [{ "file": { "path": "t.txt" } }]
        });
        let desired = config(json!({ "users": { "U": {
            "type": "PERSON", "roles": ["R"], "tokens": { "T": token.clone(), "T2": token }
        } } }));
        let state = live(
            json!({ "account": "SANDBOX", "users": { "U": { "user_type": "PERSON", "roles": ["R"], "tokens": [{
            "name": "T", "user_name": "U", "role_restriction": "R",
            "expires_at": "2026-12-02T12:00:00Z", "status": "ACTIVE",
            "created_on": "2026-11-02T12:00:00Z", "created_by": "ADMIN"
        }] } } }),
        );
        (desired, state)
    }

    fn saved() -> (Config, LiveState, PlanFile) {
        let (desired, state) = inputs();
        let file = PlanFile::from_plan(&plan::diff(
            &desired,
            &state,
            now(),
            &crate::plan::DiffInputs::default(),
        ));
        assert!(!file.changes.is_empty(), "the fixture plans something");
        (desired, state, file)
    }

    #[test]
    fn a_plan_from_another_account_is_refused_naming_both() {
        let (desired, mut state, file) = saved();
        state.account = Some("OTHER".into());
        let error =
            verify(&file, &desired, &state, &crate::plan::DiffInputs::default()).unwrap_err();
        assert!(
            matches!(&error, SavedPlanError::OtherAccount { saved, current }
                if saved.as_deref() == Some("SANDBOX") && current.as_deref() == Some("OTHER")),
            "{error:?}"
        );
        assert!(error.to_string().contains("`SANDBOX`") && error.to_string().contains("`OTHER`"));
        // Identifiers are case-insensitive; an unknown account matches nothing.
        state.account = Some("sandbox".into());
        assert!(verify(&file, &desired, &state, &crate::plan::DiffInputs::default()).is_ok());
        state.account = None;
        assert!(verify(&file, &desired, &state, &crate::plan::DiffInputs::default()).is_err());
    }

    #[test]
    fn an_untouched_saved_plan_gives_the_same_plan() {
        let (desired, state, file) = saved();
        let planned = verify(&file, &desired, &state, &crate::plan::DiffInputs::default()).unwrap();
        assert_eq!(
            planned,
            plan::diff(&desired, &state, now(), &crate::plan::DiffInputs::default())
        );
    }

    #[test]
    fn every_edit_of_a_saved_change_is_refused_by_name() {
        type Edit = fn(&mut WireChange);
        type Expected = fn(&Difference) -> bool;
        let edits: [(Edit, Expected); 6] = [
            (
                |c| c.statements[0].sql = "DROP DATABASE PROD".into(),
                |d| matches!(d, Difference::Sql { index: 0, .. }),
            ),
            (
                |c| c.destructive = !c.destructive,
                |d| matches!(d, Difference::Destructive { .. }),
            ),
            (
                |c| c.mints_secret = !c.mints_secret,
                |d| matches!(d, Difference::MintsSecret { .. }),
            ),
            (
                |c| c.action = crate::plan::wire::WireAction::Delete,
                |d| matches!(d, Difference::Action { .. }),
            ),
            (
                |c| c.statements[0].recovery = None,
                |d| matches!(d, Difference::Recovery { index: 0 }),
            ),
            (
                |c| c.statements.clear(),
                |d| matches!(d, Difference::StatementCount { .. }),
            ),
        ];
        for (edit, expected) in edits {
            let (desired, state, mut file) = saved();
            let last = file.changes.len() - 1;
            let address = file.changes[last].address.clone();
            assert!(file.changes[last].statements[0].recovery.is_some());
            edit(&mut file.changes[last]);
            match verify(&file, &desired, &state, &crate::plan::DiffInputs::default()) {
                Err(SavedPlanError::Differs {
                    address: at,
                    difference,
                }) => {
                    assert_eq!(at, address);
                    assert!(expected(&difference), "{difference:?}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_dropped_or_added_change_is_refused() {
        let (desired, state, mut file) = saved();
        let removed = file.changes.pop().unwrap();
        let err = verify(&file, &desired, &state, &crate::plan::DiffInputs::default()).unwrap_err();
        assert!(matches!(
            err,
            SavedPlanError::Differs { ref address, difference: Difference::Missing } if *address == removed.address
        ));
        file.changes.push(removed.clone());
        file.changes.push(removed);
        let err = verify(&file, &desired, &state, &crate::plan::DiffInputs::default()).unwrap_err();
        assert!(matches!(
            err,
            SavedPlanError::Differs {
                difference: Difference::Unexpected,
                ..
            }
        ));
    }

    #[test]
    fn a_moved_account_or_file_is_stale_before_anything_is_compared() {
        let (desired, state, mut file) = saved();
        file.changes.clear();
        file.config_digest = "edited".into();
        assert!(matches!(
            verify(&file, &desired, &state, &crate::plan::DiffInputs::default()),
            Err(SavedPlanError::Stale { moved }) if moved == ["pats.yaml"]
        ));
    }
}

//! Apply: executing a plan against the account, delivering new secrets (and, first, the ones
//! still pending from an earlier run), journaling every statement and sink, and the checks that keep a saved plan from running on a moved account or with
//! edited contents.

pub mod error;
pub mod executor;
pub mod journal;
pub mod lock;
pub mod pending;
pub mod saved;

pub use error::{ApplyError, Difference, SavedPlanError};
pub use executor::{Context, Event, Observer, Report, execute, redeliver};

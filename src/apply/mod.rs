//! Apply: executing a plan against the account, delivering new secrets, journaling every
//! statement, and the checks that keep a saved plan from running on a moved account or with
//! edited contents.

pub mod error;
pub mod executor;
pub mod journal;
pub mod lock;
pub mod saved;

pub use error::{ApplyError, Difference, SavedPlanError};
pub use executor::{Context, Report, execute};

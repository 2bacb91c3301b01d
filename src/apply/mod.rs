//! Apply: executing a plan against the account, delivering new secrets, journaling every
//! statement, and the checks that keep a saved plan from running on a moved account.

pub mod error;
pub mod executor;
pub mod journal;
pub mod lock;

pub use error::ApplyError;
pub use executor::{Context, Report, Step, execute};

//! `--sandbox`: an in-process sandbox seeded with a demo account, so a fresh clone can plan with
//! no Snowflake account. (Seeding arrives with the sandbox.)

use chrono::{DateTime, Utc};

use super::error::CliError;
use crate::model::desired::Config;
use crate::model::live::LiveState;

/// Starts the sandbox, seeds the demo account and reads it.
pub fn live_state(
    _desired: &Config,
    _concurrency: u16,
) -> Result<(LiveState, DateTime<Utc>), CliError> {
    Err(CliError::Usage {
        message: "the sandbox is not available in this build".into(),
        hint: None,
    })
}

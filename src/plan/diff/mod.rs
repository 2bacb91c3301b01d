//! `diff(desired, live, now, inputs) -> Plan`: the pure core. No I/O, no clock, no environment.
//!
//! Each object family has its own file (`objects`, `users`, `tokens`); they push changes into
//! the shared context (`context`); `assembly` runs them and builds the plan. `inputs` holds what
//! the edge reads and passes in besides the two states (pending deliveries, open mint intents, `--replace`); `intents` judges whether an interrupted
//! apply minted a secret nobody received.

mod assembly;
mod context;
mod inputs;
mod intents;
mod objects;
mod tokens;
mod users;

pub use assembly::diff;
use context::{Cx, attr_list, attr_opt_text, attr_text, comment};
pub use inputs::{DiffInputs, OldSecret, PendingDelivery, ReplaceError, replace_address};
pub use intents::{IntentKind, MintIntent, minted_secret};
pub(crate) use tokens::temporary_name;

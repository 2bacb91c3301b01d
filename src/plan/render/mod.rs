//! Renderers: each formats a [`Plan`](super::Plan) to a writer and computes nothing.

pub mod json;
pub mod markdown;
mod phrases;
pub mod sql;
mod styles;
pub mod text;

pub use phrases::{count, counts_phrase, one_line, origin_phrase, recovery_comment};
use styles::color;
pub use styles::{Styles, symbol};

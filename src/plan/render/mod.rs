//! Renderers: each formats a [`Plan`](super::Plan) to a writer and computes nothing.

pub mod escape;
pub mod json;
pub mod markdown;
mod phrases;
pub mod sql;
mod styles;
pub mod text;

pub use escape::terminal::{lines, one_line};
pub use phrases::{count, counts_phrase, origin_phrase, recovery_comment, terminal_code};
use styles::color;
pub use styles::{Styles, symbol};

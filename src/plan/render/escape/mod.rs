//! The escaping of text that came from the account or the file, one module per output kind.
//! Every renderer passes names, comments, reasons and SQL through these and through nothing
//! else: a name may hold a newline, an escape sequence, a backtick or an HTML tag, and it must
//! never reach a terminal raw, forge a line of a comment or open a tag.

pub mod csv;
pub mod markdown;
pub mod terminal;

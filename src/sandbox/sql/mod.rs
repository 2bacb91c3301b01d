//! The sandbox's own SQL front end: lexer, statement AST and parser, written from Snowflake's
//! grammar in the reference and sharing no code with the product's statement builder. This
//! module only re-exports.
//!
//! [`split`] cuts a request's text into statements at top-level semicolons; [`parse`] turns one
//! statement's tokens into a [`Statement`].

pub mod ast;
mod batch;
mod lexer;
mod parser;

pub use ast::Statement;
pub use batch::split;
pub use lexer::tokenize;
pub use parser::{name_from_string, object_name_from_string, parse};

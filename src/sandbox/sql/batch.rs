//! Cutting a request into statements at top-level semicolons: what `MULTI_STATEMENT_COUNT`
//! counts. Semicolons inside strings, quoted identifiers and comments do not split.

use super::lexer::{Symbol, Token, TokenKind, tokenize};
use crate::sandbox::error::StatementError;

/// One statement of a request: its text and where it starts in the request.
#[derive(Debug, Clone)]
pub struct Piece<'a> {
    pub text: &'a str,
    pub line: usize,
    pub position: usize,
    /// The statement's tokens with positions relative to the whole request, ending with EOF.
    pub tokens: Vec<Token>,
}

/// Splits a request into its statements. Empty statements (`;;`, a trailing `;`) are skipped.
pub fn split(source: &str) -> Result<Vec<Piece<'_>>, StatementError> {
    let tokens = tokenize(source)?;
    let mut pieces = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    for token in tokens {
        let boundary = matches!(
            token.kind,
            TokenKind::Eof | TokenKind::Symbol(Symbol::Semicolon)
        );
        if !boundary {
            current.push(token);
            continue;
        }
        if let (Some(first), Some(last)) = (current.first(), current.last()) {
            let eof = Token {
                kind: TokenKind::Eof,
                text: String::new(),
                line: token.line,
                position: token.position,
                start: token.start,
                end: token.start,
            };
            pieces.push(Piece {
                text: &source[first.start..last.end],
                line: first.line,
                position: first.position,
                tokens: std::mem::take(&mut current)
                    .into_iter()
                    .chain([eof])
                    .collect(),
            });
        }
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let pieces = split("SHOW USERS; SELECT ';' ;\n  SHOW ROLES;;").unwrap();
        let texts: Vec<&str> = pieces.iter().map(|piece| piece.text).collect();
        assert_eq!(texts, ["SHOW USERS", "SELECT ';'", "SHOW ROLES"]);
        assert_eq!((pieces[2].line, pieces[2].position), (2, 2));
    }

    #[test]
    fn blank_request_has_no_statements() {
        assert!(split("  -- nothing\n").unwrap().is_empty());
    }
}

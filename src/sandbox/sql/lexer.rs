//! Snowflake's lexical rules, written from the reference (`snowflake-sql.md` §6): words
//! (unquoted identifiers and keywords), double-quoted identifiers with `""` escapes, string
//! constants in single quotes (with `''` and backslash escapes) or between `$$`, numbers, the few
//! symbols the sandbox's grammar uses, and `--`, `//` and `/* */` comments.
//!
//! Positions are kept as Snowflake reports them in syntax errors: a 1-based line and a 0-based
//! character position within that line. Anything the grammar has no use for (`?`, `:`, `<`, …)
//! is a syntax error at that character.

use crate::sandbox::error::StatementError;

/// The symbols of the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    LeftParen,
    RightParen,
    Comma,
    Dot,
    Equals,
    Semicolon,
    Arrow,
    Star,
    Minus,
    Plus,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// An unquoted word, as written (keywords are words too).
    Word(String),
    /// A double-quoted identifier, unescaped.
    QuotedIdent(String),
    /// A string constant, unescaped.
    Str(String),
    /// An unsigned number, as written.
    Number(String),
    Symbol(Symbol),
    Eof,
}

/// One token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// The source text, used in syntax errors (`unexpected 'EXPIRES_IN'`).
    pub text: String,
    pub line: usize,
    pub position: usize,
    /// Byte offsets into the source.
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The syntax error Snowflake reports at this token.
    pub fn unexpected(&self) -> StatementError {
        let shown = match self.kind {
            TokenKind::Eof => "<EOF>",
            _ => self.text.as_str(),
        };
        StatementError::syntax(self.line, self.position, shown)
    }

    /// Whether this token is the unquoted keyword `keyword` (given in upper case).
    pub fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.kind, TokenKind::Word(word) if word.eq_ignore_ascii_case(keyword))
    }

    pub fn is_symbol(&self, symbol: Symbol) -> bool {
        self.kind == TokenKind::Symbol(symbol)
    }
}

/// Splits `source` into tokens, ending with one [`TokenKind::Eof`].
pub fn tokenize(source: &str) -> Result<Vec<Token>, StatementError> {
    Lexer::new(source).run()
}

struct Lexer<'a> {
    source: &'a str,
    chars: Vec<(usize, char)>,
    index: usize,
    line: usize,
    line_start_char: usize,
}

impl<'a> Lexer<'a> {
    fn new(source: &'a str) -> Self {
        Self {
            source,
            chars: source.char_indices().collect(),
            index: 0,
            line: 1,
            line_start_char: 0,
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.index + ahead).map(|(_, c)| *c)
    }

    fn byte_offset(&self) -> usize {
        self.chars
            .get(self.index)
            .map_or(self.source.len(), |(offset, _)| *offset)
    }

    fn position(&self) -> usize {
        self.index - self.line_start_char
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.index += 1;
        if c == '\n' {
            self.line += 1;
            self.line_start_char = self.index;
        }
        Some(c)
    }

    fn eof_error(&self) -> StatementError {
        StatementError::syntax(self.line, self.position(), "<EOF>")
    }

    fn run(mut self) -> Result<Vec<Token>, StatementError> {
        let mut tokens = Vec::new();
        loop {
            self.skip_trivia()?;
            let (line, position, start) = (self.line, self.position(), self.byte_offset());
            let Some(c) = self.peek(0) else {
                tokens.push(Token {
                    kind: TokenKind::Eof,
                    text: String::new(),
                    line,
                    position,
                    start,
                    end: start,
                });
                return Ok(tokens);
            };
            let kind = self.token(c, line, position)?;
            let end = self.byte_offset();
            tokens.push(Token {
                kind,
                text: self.source[start..end].to_owned(),
                line,
                position,
                start,
                end,
            });
        }
    }

    fn skip_trivia(&mut self) -> Result<(), StatementError> {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('-'), Some('-')) | (Some('/'), Some('/')) => {
                    while let Some(c) = self.peek(0) {
                        if c == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    self.bump();
                    self.bump();
                    loop {
                        match (self.peek(0), self.peek(1)) {
                            (Some('*'), Some('/')) => {
                                self.bump();
                                self.bump();
                                break;
                            }
                            (Some(_), _) => {
                                self.bump();
                            }
                            (None, _) => return Err(self.eof_error()),
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn token(
        &mut self,
        c: char,
        line: usize,
        position: usize,
    ) -> Result<TokenKind, StatementError> {
        if c.is_ascii_alphabetic() || c == '_' {
            let mut word = String::new();
            while let Some(c) = self.peek(0) {
                if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                    word.push(c);
                    self.bump();
                } else {
                    break;
                }
            }
            return Ok(TokenKind::Word(word));
        }
        if c.is_ascii_digit() || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit())) {
            return Ok(TokenKind::Number(self.number()));
        }
        match c {
            '"' => self.quoted_identifier(),
            '\'' => self.string(),
            '$' if self.peek(1) == Some('$') => self.dollar_string(),
            _ => {
                let symbol = match (c, self.peek(1)) {
                    ('=', Some('>')) => {
                        self.bump();
                        Symbol::Arrow
                    }
                    ('(', _) => Symbol::LeftParen,
                    (')', _) => Symbol::RightParen,
                    (',', _) => Symbol::Comma,
                    ('.', _) => Symbol::Dot,
                    ('=', _) => Symbol::Equals,
                    (';', _) => Symbol::Semicolon,
                    ('*', _) => Symbol::Star,
                    ('-', _) => Symbol::Minus,
                    ('+', _) => Symbol::Plus,
                    _ => return Err(StatementError::syntax(line, position, c.to_string())),
                };
                self.bump();
                Ok(TokenKind::Symbol(symbol))
            }
        }
    }

    fn number(&mut self) -> String {
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            let exponent_sign =
                (c == '+' || c == '-') && text.ends_with(['e', 'E']) && !text.is_empty();
            if c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || exponent_sign {
                text.push(c);
                self.bump();
            } else {
                break;
            }
        }
        text
    }

    fn quoted_identifier(&mut self) -> Result<TokenKind, StatementError> {
        self.bump();
        let mut value = String::new();
        loop {
            match self.bump() {
                Some('"') if self.peek(0) == Some('"') => {
                    self.bump();
                    value.push('"');
                }
                Some('"') => return Ok(TokenKind::QuotedIdent(value)),
                Some(c) => value.push(c),
                None => return Err(self.eof_error()),
            }
        }
    }

    fn string(&mut self) -> Result<TokenKind, StatementError> {
        self.bump();
        let mut value = String::new();
        loop {
            match self.bump() {
                Some('\'') if self.peek(0) == Some('\'') => {
                    self.bump();
                    value.push('\'');
                }
                Some('\'') => return Ok(TokenKind::Str(value)),
                Some('\\') => {
                    let escaped = self.escape()?;
                    value.extend(escaped);
                }
                Some(c) => value.push(c),
                None => return Err(self.eof_error()),
            }
        }
    }

    /// One backslash escape (reference §6): simple escapes, `\ooo`, `\xhh`, `\uhhhh`; a backslash
    /// before any other character is dropped.
    fn escape(&mut self) -> Result<Option<char>, StatementError> {
        let Some(c) = self.bump() else {
            return Err(self.eof_error());
        };
        let simple = match c {
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            '0' if !self.peek(0).is_some_and(|d| d.is_digit(8)) => Some('\0'),
            _ => None,
        };
        if simple.is_some() {
            return Ok(simple);
        }
        let digits = |lexer: &mut Self, radix: u32, count: usize| -> Option<char> {
            let mut text = String::new();
            for ahead in 0..count {
                let d = lexer.peek(ahead)?;
                if !d.is_digit(radix) {
                    return None;
                }
                text.push(d);
            }
            let code = u32::from_str_radix(&text, radix).ok()?;
            let decoded = char::from_u32(code)?;
            for _ in 0..count {
                lexer.bump();
            }
            Some(decoded)
        };
        Ok(match c {
            'x' => digits(self, 16, 2).or(Some('x')),
            'u' => digits(self, 16, 4).or(Some('u')),
            d if d.is_digit(8) => {
                let mut code = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek(0).and_then(|n| n.to_digit(8)) {
                        Some(n) => {
                            code = code * 8 + n;
                            self.bump();
                        }
                        None => break,
                    }
                }
                char::from_u32(code)
            }
            other => Some(other),
        })
    }

    fn dollar_string(&mut self) -> Result<TokenKind, StatementError> {
        self.bump();
        self.bump();
        let mut value = String::new();
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some('$'), Some('$')) => {
                    self.bump();
                    self.bump();
                    return Ok(TokenKind::Str(value));
                }
                (Some(c), _) => {
                    value.push(c);
                    self.bump();
                }
                (None, _) => return Err(self.eof_error()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    #[test]
    fn words_quoted_identifiers_and_symbols() {
        assert_eq!(
            kinds(r#"ALTER USER "a""b" ADD PAT t;"#),
            vec![
                TokenKind::Word("ALTER".into()),
                TokenKind::Word("USER".into()),
                TokenKind::QuotedIdent("a\"b".into()),
                TokenKind::Word("ADD".into()),
                TokenKind::Word("PAT".into()),
                TokenKind::Word("t".into()),
                TokenKind::Symbol(Symbol::Semicolon),
                TokenKind::Eof,
            ]
        );
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            kinds(r"'it''s \'x\' a\\b \n \x41\u0042 \z \101'"),
            vec![
                TokenKind::Str("it's 'x' a\\b \n AB z A".into()),
                TokenKind::Eof
            ]
        );
        assert_eq!(
            kinds("$$it's \\n$$"),
            vec![TokenKind::Str("it's \\n".into()), TokenKind::Eof]
        );
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(
            kinds("-- one\nSHOW /* two\n */ USERS // three"),
            vec![
                TokenKind::Word("SHOW".into()),
                TokenKind::Word("USERS".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn positions_are_line_and_zero_based_column() {
        let tokens = tokenize("SHOW\n  USERS").unwrap();
        assert_eq!((tokens[1].line, tokens[1].position), (2, 2));
    }

    #[test]
    fn unknown_character_is_a_syntax_error() {
        assert_eq!(
            tokenize("SHOW USERS ?").unwrap_err(),
            StatementError::syntax(1, 11, "?")
        );
    }

    #[test]
    fn unterminated_string_is_a_syntax_error_at_eof() {
        let error = tokenize("SELECT 'abc").unwrap_err();
        assert_eq!(error, StatementError::syntax(1, 11, "<EOF>"));
    }

    #[test]
    fn arrow_and_numbers() {
        assert_eq!(
            kinds("POLICY_NAME => 90"),
            vec![
                TokenKind::Word("POLICY_NAME".into()),
                TokenKind::Symbol(Symbol::Arrow),
                TokenKind::Number("90".into()),
                TokenKind::Eof
            ]
        );
    }
}

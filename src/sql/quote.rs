//! The one place where names and values become SQL text.
//!
//! Identifiers are always double-quoted, with `"` doubled: a quoted identifier means exactly
//! the stored name, whatever its case, and never collides with a reserved word (the Terraform
//! provider does the same against real accounts). String literals are single-quoted with `'`
//! doubled and backslashes escaped, since Snowflake interprets backslash sequences inside
//! single-quoted strings; control characters are written as escapes so a statement stays on
//! one line.

use crate::model::{Identifier, ObjectName};

/// `"NAME"`: an identifier in its stored form.
pub fn ident(id: &Identifier) -> String {
    quote_ident(id.as_str())
}

/// `"DB"."SCHEMA"."NAME"`.
pub fn object(name: &ObjectName) -> String {
    format!(
        "{}.{}.{}",
        ident(&name.database),
        ident(&name.schema),
        ident(&name.name)
    )
}

/// Double-quotes a stored name.
pub fn quote_ident(stored: &str) -> String {
    format!("\"{}\"", stored.replace('"', "\"\""))
}

/// `'text'` with `'`, `\` and control characters escaped.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `('a', 'b')`: a parenthesised list of string literals.
pub fn literal_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| literal(s.as_ref())).collect();
    format!("({})", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted_and_escaped() {
        let cases = [
            ("thermal_user", "\"THERMAL_USER\""),
            ("\"Mixed Case\"", "\"Mixed Case\""),
            ("\"a\"\"b\"", "\"a\"\"b\""),
        ];
        for (source, sql) in cases {
            assert_eq!(ident(&Identifier::parse(source).unwrap()), sql);
        }
        let o = ObjectName::parse("demo.\"My.Schema\".rule").unwrap();
        assert_eq!(object(&o), "\"DEMO\".\"My.Schema\".\"RULE\"");
    }

    #[test]
    fn literals_escape_quotes_backslashes_and_newlines() {
        let cases = [
            ("plain", "'plain'"),
            ("it's", "'it''s'"),
            ("C:\\path", "'C:\\\\path'"),
            ("two\nlines", "'two\\nlines'"),
            ("'; DROP USER ADMIN; --", "'''; DROP USER ADMIN; --'"),
            ("$$", "'$$'"),
        ];
        for (text, sql) in cases {
            assert_eq!(literal(text), sql, "{text:?}");
        }
        assert_eq!(literal_list(&["a", "b'c"]), "('a', 'b''c')");
    }
}

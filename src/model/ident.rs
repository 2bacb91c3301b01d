//! Snowflake identifiers: one type that carries Snowflake's folding and quoting rules everywhere.
//!
//! Rules (reference `snowflake-sql.md` §6): an unquoted identifier starts with a letter or `_`,
//! holds letters, digits, `_` and `$`, and is stored in upper case; a double-quoted identifier
//! keeps its case and may hold anything, with `""` standing for one `"`; both are at most 255
//! characters. An [`Identifier`] holds the *stored* form, the name as SHOW prints it, so two
//! spellings that Snowflake resolves to the same object compare equal.
//!
//! This module parses and prints the `pats.yaml` spelling; SQL quoting lives in `sql::quote`.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Regex of one identifier part in `pats.yaml`: unquoted, or double-quoted with `""` escapes;
/// at most [`MAX_IDENTIFIER_LEN`] characters once resolved (a `""` is one character).
const IDENT_PART: &str = r#"(?:[A-Za-z_][A-Za-z0-9_$]{0,254}|"(?:[^"]|""){1,255}")"#;

/// Regex (JSON Schema `pattern`) of an [`Identifier`] as `pats.yaml` spells it.
pub fn identifier_pattern() -> String {
    format!("^{IDENT_PART}$")
}

/// Regex (JSON Schema `pattern`) of an [`ObjectName`] as `pats.yaml` spells it.
pub fn object_name_pattern() -> String {
    format!(r"^{IDENT_PART}\.{IDENT_PART}\.{IDENT_PART}$")
}

/// Longest identifier Snowflake accepts, quoted or not.
pub const MAX_IDENTIFIER_LEN: usize = 255;

/// A Snowflake identifier in its stored (resolved) form.
///
/// Invariant: non-empty and at most [`MAX_IDENTIFIER_LEN`] characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identifier(String);

/// Why a name is not a valid Snowflake identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than {MAX_IDENTIFIER_LEN} characters")]
    TooLong,
    #[error(
        "`{0}` is not a valid unquoted identifier: it must start with a letter or `_` and hold only letters, digits, `_` and `$`"
    )]
    InvalidUnquoted(String),
    #[error("the quoted name `{0}` has an unescaped `\"` (write `\"\"` for a literal quote)")]
    UnbalancedQuote(String),
    #[error("`{name}` must have {expected} dot-separated parts (`DB.SCHEMA.NAME`), found {found}")]
    WrongPartCount {
        name: String,
        expected: usize,
        found: usize,
    },
}

impl Identifier {
    /// Parses the `pats.yaml` spelling: `thermal_user` resolves to `THERMAL_USER`,
    /// `"Mixed Case"` keeps its case.
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        let (ident, rest) = parse_part(text)?;
        if !rest.is_empty() {
            return Err(IdentifierError::InvalidUnquoted(text.to_owned()));
        }
        Ok(ident)
    }

    /// Builds an identifier from the stored form, as SHOW and DESC print it.
    pub fn from_stored(stored: impl Into<String>) -> Result<Self, IdentifierError> {
        let stored = stored.into();
        check_len(&stored)?;
        Ok(Self(stored))
    }

    /// The stored form: what SHOW prints and what SQL must quote.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the stored form can be written without quotes (upper case, simple characters).
    pub fn is_plain(&self) -> bool {
        is_plain_upper(&self.0)
    }

    /// The `pats.yaml` spelling that parses back to this identifier.
    pub fn to_source(&self) -> String {
        if self.is_plain() {
            self.0.clone()
        } else {
            format!("\"{}\"", self.0.replace('"', "\"\""))
        }
    }
}

fn check_len(s: &str) -> Result<(), IdentifierError> {
    if s.is_empty() {
        Err(IdentifierError::Empty)
    } else if s.chars().count() > MAX_IDENTIFIER_LEN {
        Err(IdentifierError::TooLong)
    } else {
        Ok(())
    }
}

fn is_plain_upper(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '$')
}

/// Parses one identifier from the front of `text`; returns it and the unparsed rest.
fn parse_part(text: &str) -> Result<(Identifier, &str), IdentifierError> {
    if let Some(body) = text.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if matches!(chars.peek(), Some((_, '"'))) {
                    chars.next();
                    out.push('"');
                } else {
                    check_len(&out)?;
                    return Ok((Identifier(out), &body[i + 1..]));
                }
            } else {
                out.push(c);
            }
        }
        Err(IdentifierError::UnbalancedQuote(text.to_owned()))
    } else {
        let end = text.find('.').unwrap_or(text.len());
        let raw = &text[..end];
        if raw.is_empty() {
            return Err(IdentifierError::Empty);
        }
        let mut chars = raw.chars();
        let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if !valid {
            return Err(IdentifierError::InvalidUnquoted(raw.to_owned()));
        }
        check_len(raw)?;
        Ok((Identifier(raw.to_ascii_uppercase()), &text[end..]))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Same text as `to_source`, without allocating (plans print many names).
        if self.is_plain() {
            return f.write_str(&self.0);
        }
        f.write_str("\"")?;
        for part in self.0.split('"').enumerate() {
            if part.0 > 0 {
                f.write_str("\"\"")?;
            }
            f.write_str(part.1)?;
        }
        f.write_str("\"")
    }
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_source())
    }
}

impl FromStr for Identifier {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Identifier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_plain() {
            s.serialize_str(&self.0)
        } else {
            s.serialize_str(&self.to_source())
        }
    }
}

impl<'de> Deserialize<'de> for Identifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Identifier {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Identifier".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": identifier_pattern(),
            "description": "A Snowflake identifier. Unquoted names (letters, digits, `_`, `$`) fold to upper case; write a case-sensitive name in double quotes inside the YAML string, e.g. '\"My Role\"'."
        })
    }
}

/// A schema-level object name, `DATABASE.SCHEMA.NAME`, as network rules and authentication
/// policies take.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectName {
    pub database: Identifier,
    pub schema: Identifier,
    pub name: Identifier,
}

impl ObjectName {
    /// Parses `db.schema.name`, each part folded or quoted as in [`Identifier::parse`].
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        let mut parts = Vec::with_capacity(3);
        let mut rest = text;
        loop {
            let (part, after) = parse_part(rest)?;
            parts.push(part);
            match after.strip_prefix('.') {
                Some(next) => rest = next,
                None if after.is_empty() => break,
                None => return Err(IdentifierError::InvalidUnquoted(text.to_owned())),
            }
        }
        if parts.len() != 3 {
            return Err(IdentifierError::WrongPartCount {
                name: text.to_owned(),
                expected: 3,
                found: parts.len(),
            });
        }
        let name = parts.pop();
        let schema = parts.pop();
        let database = parts.pop();
        match (database, schema, name) {
            (Some(database), Some(schema), Some(name)) => Ok(Self {
                database,
                schema,
                name,
            }),
            _ => Err(IdentifierError::Empty),
        }
    }

    /// The dotted stored form, as SHOW and DESC NETWORK POLICY print it (`DB.SCHEMA.NAME`).
    pub fn to_stored(&self) -> String {
        format!(
            "{}.{}.{}",
            self.database.as_str(),
            self.schema.as_str(),
            self.name.as_str()
        )
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.database, self.schema, self.name)
    }
}

impl fmt::Debug for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for ObjectName {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ObjectName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for ObjectName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ObjectName".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": object_name_pattern(),
            "description": "A schema-level object name, `DATABASE.SCHEMA.NAME`; each part follows identifier rules (unquoted parts fold to upper case)."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_fold_and_quote_as_snowflake_does() {
        let cases: &[(&str, Result<&str, ()>)] = &[
            ("thermal_user", Ok("THERMAL_USER")),
            ("THERMAL_USER", Ok("THERMAL_USER")),
            ("_a$1", Ok("_A$1")),
            ("\"Mixed Case\"", Ok("Mixed Case")),
            ("\"quote\"\"inside\"", Ok("quote\"inside")),
            ("\"THERMAL_USER\"", Ok("THERMAL_USER")),
            ("1abc", Err(())),
            ("has space", Err(())),
            ("", Err(())),
            ("\"open", Err(())),
            ("\"\"", Err(())),
            ("a.b", Err(())),
        ];
        for (input, want) in cases {
            let got = Identifier::parse(input).map(|i| i.as_str().to_owned());
            match want {
                Ok(w) => assert_eq!(got.as_deref(), Ok(*w), "input {input:?}"),
                Err(()) => assert!(got.is_err(), "input {input:?} gave {got:?}"),
            }
        }
    }

    #[test]
    fn unquoted_and_upper_quoted_are_the_same_object() {
        assert_eq!(
            Identifier::parse("mytable").unwrap(),
            Identifier::parse("\"MYTABLE\"").unwrap()
        );
        assert_ne!(
            Identifier::parse("mytable").unwrap(),
            Identifier::parse("\"mytable\"").unwrap()
        );
    }

    #[test]
    fn source_form_round_trips() {
        for s in ["ABC", "\"a b\"", "\"x\"\"y\"", "\"lower\""] {
            let id = Identifier::parse(s).unwrap();
            assert_eq!(Identifier::parse(&id.to_source()).unwrap(), id);
        }
    }

    #[test]
    fn the_schema_pattern_enforces_the_length_limit() {
        let pattern = identifier_pattern();
        let re = |s: &str| {
            jsonschema::is_valid(
                &serde_json::json!({ "pattern": pattern }),
                &serde_json::json!(s),
            )
        };
        assert!(re(&"A".repeat(255)));
        assert!(!re(&"A".repeat(256)));
        assert!(re(&format!("\"{}\"", "a".repeat(255))));
        assert!(!re(&format!("\"{}\"", "a".repeat(256))));
        assert!(re(&format!("\"{}\"", "\"\"".repeat(255))));
    }

    #[test]
    fn length_limit_is_255() {
        assert!(Identifier::parse(&"A".repeat(255)).is_ok());
        assert_eq!(
            Identifier::parse(&"A".repeat(256)),
            Err(IdentifierError::TooLong)
        );
    }

    #[test]
    fn object_names_take_three_parts() {
        let n = ObjectName::parse("demo.\"My.Schema\".rule").unwrap();
        assert_eq!(n.database.as_str(), "DEMO");
        assert_eq!(n.schema.as_str(), "My.Schema");
        assert_eq!(n.name.as_str(), "RULE");
        assert_eq!(n.to_string(), "DEMO.\"My.Schema\".RULE");
        assert!(matches!(
            ObjectName::parse("a.b"),
            Err(IdentifierError::WrongPartCount { found: 2, .. })
        ));
        assert!(ObjectName::parse("a.b.c.d").is_err());
        assert!(ObjectName::parse("a..c").is_err());
    }
}

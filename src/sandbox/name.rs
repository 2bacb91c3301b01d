//! Resolved Snowflake names as the sandbox stores them: one identifier ([`Name`]) and the
//! three-part name of a schema-level object ([`QualifiedName`]).
//!
//! A [`Name`] holds the stored form (reference `snowflake-sql.md` §6): an unquoted identifier is
//! folded to upper case by the parser before it gets here, a quoted one keeps its case. Two
//! spellings that Snowflake resolves to the same object therefore compare equal. No parsing here:
//! turning SQL text into names is the parser's job.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One identifier in its stored (resolved) form, as SHOW prints it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Wraps a stored form (already folded or taken from a quoted identifier).
    pub fn new(stored: impl Into<String>) -> Self {
        Self(stored.into())
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// `DATABASE.SCHEMA.NAME` of a schema-level object (network rule, authentication policy).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualifiedName {
    pub database: Name,
    pub schema: Name,
    pub name: Name,
}

impl QualifiedName {
    pub fn new(database: Name, schema: Name, name: Name) -> Self {
        Self {
            database,
            schema,
            name,
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.database, self.schema, self.name)
    }
}

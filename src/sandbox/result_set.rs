//! Result sets as the sandbox produces them: typed columns and rows of optional strings already
//! in Snowflake's SQL API encodings (reference `sql-api.md` §4.2): numbers as decimal strings,
//! booleans as `"true"`/`"false"`, timestamps as seconds since the epoch with nine decimals.
//!
//! Rendering a result set as an HTTP body is the server's job; this module only owns the data.

use chrono::{DateTime, Utc};

/// The Snowflake type of a column, as `rowType[].type` names it (lower case on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Fixed,
    Boolean,
    TimestampLtz,
    /// A semi-structured OBJECT, served as its JSON text.
    Object,
}

impl ColumnType {
    /// The lower-case name live accounts send in `rowType`.
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Fixed => "fixed",
            Self::Boolean => "boolean",
            Self::TimestampLtz => "timestamp_ltz",
            Self::Object => "object",
        }
    }
}

/// One column of a result set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub column_type: ColumnType,
    pub nullable: bool,
}

impl Column {
    pub fn text(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            column_type: ColumnType::Text,
            nullable: true,
        }
    }

    pub fn fixed(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            column_type: ColumnType::Fixed,
            nullable: true,
        }
    }

    pub fn timestamp(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            column_type: ColumnType::TimestampLtz,
            nullable: true,
        }
    }

    pub fn object(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            column_type: ColumnType::Object,
            nullable: true,
        }
    }

    pub fn boolean(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            column_type: ColumnType::Boolean,
            nullable: true,
        }
    }
}

/// A complete result: columns and every row (partitioning happens when it is served).
///
/// Invariant: every row has exactly one value per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultSet {
    columns: Vec<Column>,
    rows: Vec<Vec<Option<String>>>,
}

impl ResultSet {
    /// An empty result with these columns.
    pub fn new(columns: Vec<Column>) -> Self {
        Self {
            columns,
            rows: Vec::new(),
        }
    }

    /// The one-row `status` result of DDL statements.
    pub fn status(message: impl Into<String>) -> Self {
        let mut result = Self::new(vec![Column::text("status")]);
        result.rows.push(vec![Some(message.into())]);
        result
    }

    /// Appends a row; values beyond the column count are dropped and missing ones are NULL, so
    /// the invariant holds whatever the caller passes.
    pub fn push(&mut self, mut row: Vec<Option<String>>) {
        row.resize(self.columns.len(), None);
        self.rows.push(row);
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn rows(&self) -> &[Vec<Option<String>>] {
        &self.rows
    }

    /// Keeps the rows `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Vec<Option<String>>) -> bool) {
        self.rows.retain(keep);
    }

    /// Keeps only these columns (by index), in this order.
    pub fn project(&mut self, indexes: &[usize]) {
        self.columns = indexes
            .iter()
            .filter_map(|index| self.columns.get(*index).cloned())
            .collect();
        for row in &mut self.rows {
            *row = indexes
                .iter()
                .map(|index| row.get(*index).cloned().flatten())
                .collect();
        }
    }

    /// Index of the column called `name` (exact match).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }

    /// The value in row `row` of the column called `name`; `None` for NULL or no such cell.
    pub fn value(&self, row: usize, name: &str) -> Option<&str> {
        let column = self.column_index(name)?;
        self.rows.get(row)?.get(column)?.as_deref()
    }
}

/// A timestamp in the SQL API encoding: seconds since the epoch with nine decimals.
pub fn encode_timestamp(time: DateTime<Utc>) -> String {
    format!("{}.{:09}", time.timestamp(), time.timestamp_subsec_nanos())
}

/// A boolean in the SQL API encoding.
pub fn encode_bool(value: bool) -> String {
    if value { "true" } else { "false" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_have_nine_decimals() {
        let time = Utc
            .timestamp_millis_opt(1_744_239_049_066)
            .single()
            .unwrap();
        assert_eq!(encode_timestamp(time), "1744239049.066000000");
    }

    #[test]
    fn rows_always_match_the_columns() {
        let mut result = ResultSet::new(vec![Column::text("a"), Column::text("b")]);
        result.push(vec![Some("x".into())]);
        assert_eq!(result.rows()[0], vec![Some("x".into()), None]);
        assert_eq!(result.value(0, "a"), Some("x"));
        assert_eq!(result.value(0, "b"), None);
    }
}

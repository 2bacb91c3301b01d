//! Result sets, read by column name (never by position): SHOW output gains columns over time,
//! and some columns have had two documented names.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};

/// A statement's rows, every partition fetched. `Debug` shows the shape, never the values: an
/// ADD or ROTATE result holds a secret.
#[derive(Clone, Default)]
pub struct ResultSet {
    columns: HashMap<String, usize>,
    pub rows: Vec<Vec<Option<String>>>,
    pub statement_handle: Option<String>,
}

impl std::fmt::Debug for ResultSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut columns: Vec<(&String, &usize)> = self.columns.iter().collect();
        columns.sort_by_key(|(_, i)| **i);
        f.debug_struct("ResultSet")
            .field(
                "columns",
                &columns.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
            )
            .field("rows", &self.rows.len())
            .field("statement_handle", &self.statement_handle)
            .finish()
    }
}

/// One row, with access by column name.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    set: &'a ResultSet,
    values: &'a [Option<String>],
}

impl ResultSet {
    /// Builds a result set; column names are matched case-insensitively.
    pub fn new(
        columns: Vec<String>,
        rows: Vec<Vec<Option<String>>>,
        statement_handle: Option<String>,
    ) -> Self {
        let columns = columns
            .into_iter()
            .enumerate()
            .map(|(i, c)| (c.to_ascii_lowercase(), i))
            .collect();
        Self {
            columns,
            rows,
            statement_handle,
        }
    }

    /// A result from literal columns and cells, for tests of the row functions.
    #[cfg(test)]
    pub fn literal(columns: &[&str], rows: &[&[Option<&str>]]) -> Self {
        Self::new(
            columns.iter().map(|c| (*c).to_owned()).collect(),
            rows.iter()
                .map(|r| r.iter().map(|v| v.map(str::to_owned)).collect())
                .collect(),
            None,
        )
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows
            .iter()
            .map(move |values| Row { set: self, values })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns.contains_key(&name.to_ascii_lowercase())
    }
}

impl<'a> Row<'a> {
    /// The value of the first of `names` that the result has; `None` for SQL NULL, for the
    /// string `null` (DESC output), or when no such column exists.
    pub fn get(&self, names: &[&str]) -> Option<&'a str> {
        names
            .iter()
            .find_map(|n| {
                let i = *self.set.columns.get(&n.to_ascii_lowercase())?;
                self.values.get(i)?.as_deref()
            })
            .filter(|v| *v != "null")
    }

    /// The value at a position, for results whose column names are expressions.
    pub fn at(&self, index: usize) -> Option<&'a str> {
        self.values.get(index)?.as_deref()
    }

    /// Like [`Row::get`] for one name, also treating the empty string as absent.
    pub fn text(&self, name: &str) -> Option<&'a str> {
        self.get(&[name]).filter(|v| !v.is_empty())
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.text(name)?.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// Parses Snowflake's timestamp encodings: the SQL API's `seconds.fraction` (optionally with a
/// timezone offset after a space, for TIMESTAMP_TZ), or a formatted
/// `2025-05-09 07:18:47.360 -0700`.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let first = text.split_whitespace().next()?;
    let numeric = first.strip_prefix('-').unwrap_or(first);
    if !numeric.is_empty()
        && numeric.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && numeric.matches('.').count() <= 1
    {
        let (secs, frac) = first.split_once('.').unwrap_or((first, "0"));
        let secs: i64 = secs.parse().ok()?;
        let mut nanos_text = frac.to_owned();
        nanos_text.truncate(9);
        while nanos_text.len() < 9 {
            nanos_text.push('0');
        }
        let nanos: u32 = nanos_text.parse().ok()?;
        return Utc.timestamp_opt(secs, nanos).single();
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_by_name_with_aliases() {
        let set = ResultSet::new(
            vec![
                "name".into(),
                "EXTRA".into(),
                "mins_to_bypass_required_network_policy".into(),
                "comment".into(),
            ],
            vec![vec![
                Some("T".into()),
                Some("x".into()),
                Some("10".into()),
                Some("null".into()),
            ]],
            None,
        );
        let row = set.rows().next().unwrap();
        assert_eq!(row.text("NAME"), Some("T"));
        assert_eq!(
            row.get(&[
                "mins_to_bypass_network_policy_requirement",
                "mins_to_bypass_required_network_policy"
            ]),
            Some("10")
        );
        assert_eq!(row.text("comment"), None);
        assert_eq!(row.text("missing"), None);
    }

    #[test]
    fn timestamps_in_every_encoding() {
        let want: DateTime<Utc> = "2025-05-09T14:18:47.360Z".parse().unwrap();
        assert_eq!(parse_timestamp("1746800327.360000000"), Some(want));
        assert_eq!(parse_timestamp("1746800327.360000000 1020"), Some(want));
        assert_eq!(parse_timestamp("2025-05-09 07:18:47.360 -0700"), Some(want));
        assert_eq!(parse_timestamp("2025-05-09T14:18:47.360Z"), Some(want));
        assert_eq!(parse_timestamp("garbage"), None);
    }
}

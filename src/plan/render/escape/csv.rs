//! Fields for CSV (RFC 4180), as the status report writes them.
//!
//! A field is first made one line ([`super::terminal::one_line`]: control characters, line
//! breaks included, shown escaped), so every record is one line of the file and nothing raw
//! reaches a terminal; the JSON format carries names exactly. A text field whose first
//! character a spreadsheet reads as a formula (`=`, `+`, `-`, `@`, OWASP's "CSV injection" list)
//! gets a leading `'`, which spreadsheets show as text; numbers and dates are written by
//! [`number`] and never get one, so a negative `days_left` stays a number. A field holding a
//! comma, a quote or a leading or trailing space is quoted, quotes doubled.

use super::terminal::one_line;

/// A text field (a name, a status, a comment from the account).
pub fn text(raw: &str) -> String {
    let line = one_line(raw);
    let guarded = if line.starts_with(['=', '+', '-', '@']) {
        format!("'{line}")
    } else {
        line
    };
    quote(&guarded)
}

/// A field we wrote ourselves (a number, a date, `true`): quoted if needed, never guarded.
pub fn number(field: &str) -> String {
    quote(&one_line(field))
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ') {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_one_line_and_never_formulas() {
        assert_eq!(text("plain"), "plain");
        assert_eq!(text("a,b"), "\"a,b\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("a\nb\u{1b}"), "a\\nb\\u{1b}");
        assert_eq!(number("-3"), "-3");
    }
}

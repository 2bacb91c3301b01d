//! Text for a terminal (the text plan, the status table, file findings) and for one-line
//! comments (`--` in the SQL format): no control character is ever written raw.
//!
//! C0 and C1 control characters (ESC, CR, LF, BEL, DEL, CSI, ...) and the Unicode bidirectional
//! overrides and isolates (which reorder what a terminal shows, "Trojan Source") are written as
//! visible escapes: `\n`, `\r`, `\t`, otherwise `\u{1b}`. A backslash already in the text is
//! kept as it is, so `\n` written literally in a name reads the same as an escaped line break;
//! the JSON format carries names exactly.

/// Text on one line with no control character: each is shown as an escape.
pub fn one_line(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Text that may span lines (an error message, whose Snowflake part has line breaks): every
/// control character but the line break is shown as an escape, and each line after the first
/// is indented by `indent`, so a name holding a line break cannot start a line of its own.
pub fn lines(text: &str, indent: &str) -> String {
    text.split('\n')
        .map(one_line)
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

/// Whether `c` must not reach a terminal raw: a control character (C0, DEL, C1) or a
/// bidirectional embedding, override or isolate.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keeps_line_breaks_indented_and_escapes_the_rest() {
        assert_eq!(
            lines(
                "SQL compilation error:\nUser 'a\u{1b}[2J' does not exist",
                "  "
            ),
            "SQL compilation error:\n  User 'a\\u{1b}[2J' does not exist"
        );
        assert_eq!(lines("one line", "  "), "one line");
    }

    #[test]
    fn controls_and_bidi_overrides_are_shown_escaped() {
        assert_eq!(one_line("plain name"), "plain name");
        assert_eq!(one_line("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(one_line("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(one_line("\u{9b}31m\u{7f}\u{7}"), "\\u{9b}31m\\u{7f}\\u{7}");
        assert_eq!(one_line("x\u{202e}y\u{2066}"), "x\\u{202e}y\\u{2066}");
        assert_eq!(one_line("ünïcode"), "ünïcode");
    }
}

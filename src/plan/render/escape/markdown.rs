//! Text for GitHub-flavoured Markdown (the plan's pull-request comment and the status table).
//!
//! Everything from the account or the file goes through one of these: [`text`] for prose,
//! [`code`] or [`cell_code`] for an inline code span, [`fence`] for a fenced block. Control
//! characters are first made visible as the terminal shows them ([`super::terminal::one_line`]),
//! so no name can start a line: a name can neither forge a line such as `**No changes.**` nor
//! close a block. Then:
//! - prose escapes every character Markdown gives a meaning inline (`` \ ` * _ [ ] ~ | ``) with a
//!   backslash (but an `_` inside a word, which cannot make emphasis), and `<`, `>`, `&` as HTML entities, so no tag, entity, link or emphasis opens;
//! - a code span is delimited by one backtick more than the longest run in its content, padded
//!   with a space where the content starts or ends with a backtick (CommonMark 6.1), so a
//!   backtick cannot close it; HTML is literal inside it;
//! - in a table cell a `|` splits the cell even inside a code span, so cells escape it (`\|`,
//!   which GFM removes before rendering the span);
//! - a fence is one backtick longer than the longest run of backticks in the block (at least
//!   three), so no line of the block can close it.

use super::terminal::one_line;

/// Prose: nothing in it is Markdown or HTML.
pub fn text(raw: &str) -> String {
    let line = one_line(raw);
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // An `_` between two letters or digits never opens or closes emphasis (CommonMark
            // 6.2, rules 2 and 4); `LOADER_ROLE` stays readable in the comment's source.
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push('_'),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// An inline code span holding `raw` exactly (but for control characters, shown escaped),
/// outside a table.
pub fn code(raw: &str) -> String {
    let content = one_line(raw);
    if content.is_empty() {
        return "` `".to_owned();
    }
    let ticks = "`".repeat(longest_run(&content, '`') + 1);
    let all_spaces = content.chars().all(|c| c == ' ');
    let pad = content.starts_with('`')
        || content.ends_with('`')
        || (!all_spaces && content.starts_with(' ') && content.ends_with(' '));
    if pad {
        format!("{ticks} {content} {ticks}")
    } else {
        format!("{ticks}{content}{ticks}")
    }
}

/// An inline code span inside a table cell: [`code`] with `|` escaped.
pub fn cell_code(raw: &str) -> String {
    code(raw).replace('|', "\\|")
}

/// The backticks that open and close a fenced block holding `lines`.
pub fn fence<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let longest = lines
        .into_iter()
        .map(|l| longest_run(l, '`'))
        .max()
        .unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in text.chars() {
        if ch == c {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_opens_no_tag_emphasis_or_line() {
        assert_eq!(text("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(text("**No changes.**"), "\\*\\*No changes.\\*\\*");
        assert_eq!(text("a\n**No changes.**"), "a\\\\n\\*\\*No changes.\\*\\*");
        assert_eq!(
            text("a|b `c` [l](u) &amp;"),
            "a\\|b \\`c\\` \\[l\\](u) &amp;amp;"
        );
        assert!(!text("\u{1b}[31m").contains('\u{1b}'));
        assert_eq!(
            text("LOADER_ROLE _x_ a_ _b"),
            "LOADER_ROLE \\_x\\_ a\\_ \\_b"
        );
    }

    #[test]
    fn a_code_span_outlasts_every_backtick_in_it() {
        assert_eq!(code("user.U"), "`user.U`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("```"), "```` ``` ````");
        assert_eq!(code(" a "), "`  a  `");
        assert_eq!(code("x\ny"), "`x\\ny`");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
    }

    #[test]
    fn a_fence_is_longer_than_any_run_inside() {
        assert_eq!(fence(["SELECT 1"]), "```");
        assert_eq!(fence(["\"```\"", "x"]), "````");
        assert_eq!(fence(["\"`````\""]), "``````");
    }
}

//! The filters of SHOW commands: Snowflake's case-insensitive `LIKE`, `STARTS WITH` and
//! `LIMIT … FROM`.

use crate::sandbox::sql::ast::ShowFilter;

/// One element of a LIKE pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wildcard {
    /// `%`: any run of characters, the empty one included.
    Any,
    /// `_`: exactly one character.
    One,
    /// A literal character (`\x` is `x`, even when `x` is a wildcard).
    Char(char),
}

fn compile(pattern: &str) -> Vec<Wildcard> {
    let mut compiled = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        compiled.push(match c {
            '%' => {
                // Runs of `%` are one `%`: this keeps 50,000 of them as cheap as one.
                if compiled.last() == Some(&Wildcard::Any) {
                    continue;
                }
                Wildcard::Any
            }
            '_' => Wildcard::One,
            '\\' => match chars.next() {
                Some(escaped) => Wildcard::Char(escaped),
                None => Wildcard::Char('\\'),
            },
            c => Wildcard::Char(c),
        });
    }
    compiled
}

/// Snowflake's `LIKE` for SHOW: case-insensitive, `%` any run, `_` one character, `\` escapes.
///
/// Matched iteratively with the greedy two-pointer algorithm (backtrack only to the last `%`):
/// no recursion, so no pattern can overflow the stack, and O(pattern × text) in the worst case,
/// so `'%a%a…%b'` cannot stall the server.
pub(crate) fn like_matches(pattern: &str, text: &str) -> bool {
    let pattern = compile(&pattern.to_uppercase());
    let text: Vec<char> = text.to_uppercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    // The last `%` seen and the text position its current attempt started at.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Wildcard::Any) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Wildcard::One) => {
                p += 1;
                t += 1;
            }
            Some(Wildcard::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, start)) => {
                    backtrack = Some((star, start + 1));
                    p = star + 1;
                    t = start + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|item| *item == Wildcard::Any)
}

/// Applies a SHOW filter to names sorted ascending: LIKE, STARTS WITH (case-sensitive),
/// LIMIT … FROM, where FROM is a cursor: rows after the name (SHOW pagination, BCR-1080).
pub(crate) fn filter_names<'n, T>(
    items: impl IntoIterator<Item = (&'n str, T)>,
    filter: &ShowFilter,
) -> Vec<T> {
    let mut kept: Vec<T> = items
        .into_iter()
        .filter(|(name, _)| {
            filter
                .like
                .as_deref()
                .is_none_or(|like| like_matches(like, name))
        })
        .filter(|(name, _)| {
            filter
                .starts_with
                .as_deref()
                .is_none_or(|prefix| name.starts_with(prefix))
        })
        .filter(|(name, _)| filter.from.as_deref().is_none_or(|from| *name > from))
        .map(|(_, item)| item)
        .collect();
    if let Some(limit) = filter.limit {
        kept.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::like_matches;

    #[test]
    fn like_is_case_insensitive_with_wildcards() {
        assert!(like_matches("thermal%", "THERMAL_USER"));
        assert!(like_matches("%_USER", "THERMAL_USER"));
        assert!(like_matches("A_C", "abc"));
        assert!(!like_matches("A_C", "abbc"));
        assert!(like_matches("THERMAL\\_USER", "THERMAL_USER"));
        assert!(!like_matches("THERMAL\\_USER", "THERMALXUSER"));
        assert!(like_matches("%", ""));
        assert!(like_matches("", ""));
        assert!(!like_matches("_", ""));
        assert!(like_matches("a%b%c", "AxxBxxC"));
        assert!(!like_matches("a%b%c", "AxxCxxB"));
        assert!(like_matches("%ab", "aab"));
        assert!(like_matches("50\\%", "50%"));
        assert!(!like_matches("50\\%", "500"));
        assert!(like_matches("x\\", "X\\"));
    }

    #[test]
    fn hostile_patterns_are_linear() {
        let many = "%".repeat(50_000);
        assert!(like_matches(&many, "ANY_USER"));
        let text = "A".repeat(255);
        let backtracking = format!("{}%b", "%a".repeat(10));
        let started = std::time::Instant::now();
        assert!(!like_matches(&backtracking, &text));
        assert!(like_matches(&format!("{}%", "%a".repeat(10)), &text));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}

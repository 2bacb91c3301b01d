//! The filters of SHOW commands: Snowflake's case-insensitive `LIKE`, `STARTS WITH` and
//! `LIMIT … FROM`.

use crate::sandbox::sql::ast::ShowFilter;

/// Snowflake's `LIKE` for SHOW: case-insensitive, `%` any run, `_` one character, `\` escapes.
pub(crate) fn like_matches(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('%', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
            Some(('_', rest)) => !text.is_empty() && matches(rest, &text[1..]),
            Some(('\\', rest)) if !rest.is_empty() => {
                !text.is_empty() && text[0] == rest[0] && matches(&rest[1..], &text[1..])
            }
            Some((c, rest)) => !text.is_empty() && text[0] == *c && matches(rest, &text[1..]),
        }
    }
    let pattern: Vec<char> = pattern.to_uppercase().chars().collect();
    let text: Vec<char> = text.to_uppercase().chars().collect();
    matches(&pattern, &text)
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
    }
}

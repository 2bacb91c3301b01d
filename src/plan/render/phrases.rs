//! Words the renderers share: counts with their plural, and names made safe for one line.

use super::escape::terminal::one_line;
use crate::plan::PlanOrigin;

/// "1 change", "2 changes".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "1 create, 2 update" from the plan's counts.
pub fn counts_phrase(plan: &crate::plan::Plan) -> String {
    plan.counts()
        .iter()
        .map(|(a, n)| format!("{n} {a}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A statement's recovery on one line, for a `--` comment: what apply runs if the answer to a
/// minting statement is lost.
pub fn recovery_comment(r: &crate::plan::Recovery) -> String {
    format!(
        "if its answer is lost: {}; if the token is listed: {};",
        one_line(&r.probe),
        one_line(&r.rotate)
    )
}

/// "account `SANDBOX`, user `ADMIN`, role `ACCOUNTADMIN`": where the plan was made, each part
/// `unknown` when the live state does not say; each name in backticks, escaped by `code` (the
/// output kind's code span: [`terminal_code`] or `escape::markdown::code`).
pub fn origin_phrase(origin: &PlanOrigin, code: fn(&str) -> String) -> String {
    let name = |v: Option<&str>| v.map_or_else(|| "unknown".to_owned(), code);
    format!(
        "account {}, user {}, role {}",
        name(origin.account.as_deref()),
        name(origin.user.as_ref().map(|u| u.as_str())),
        name(origin.role.as_ref().map(|r| r.as_str())),
    )
}

/// A name in backticks for a terminal or a `--` comment: control characters shown escaped.
pub fn terminal_code(name: &str) -> String {
    format!("`{}`", one_line(name))
}

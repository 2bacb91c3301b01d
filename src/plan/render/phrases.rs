//! Words the renderers share: counts with their plural, and names made safe for one line.

use crate::plan::PlanOrigin;

/// Text on one line with no control characters: names from the account may hold a newline or
/// an escape sequence, and in a `--` comment of the SQL format a newline would turn the rest of
/// a name into a statement.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

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
/// `unknown` when the live state does not say.
pub fn origin_phrase(origin: &PlanOrigin) -> String {
    let name =
        |v: Option<&str>| v.map_or_else(|| "unknown".to_owned(), |v| format!("`{}`", one_line(v)));
    format!(
        "account {}, user {}, role {}",
        name(origin.account.as_deref()),
        name(origin.user.as_ref().map(|u| u.as_str())),
        name(origin.role.as_ref().map(|r| r.as_str())),
    )
}

//! Renderers: each formats a [`Plan`](super::Plan) to a writer and computes nothing.

pub mod json;
pub mod markdown;
pub mod sql;
pub mod text;

use super::change::Action;

/// Whether to colour output; the CLI decides (terminal, `NO_COLOR`), renderers obey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Styles {
    pub color: bool,
}

impl Styles {
    pub fn plain() -> Self {
        Self { color: false }
    }

    /// Wraps `text` in an ANSI style when colour is on.
    pub fn paint(&self, style: anstyle::Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }
}

/// The symbol of an action, Terraform-like; the action's name is always printed beside it so
/// nothing depends on colour.
pub fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create | Action::Grant => "+",
        Action::Update | Action::Attach => "~",
        Action::Detach | Action::Delete => "-",
        Action::Rotate => "↻",
        Action::Replace => "-/+",
    }
}

fn color(action: Action) -> anstyle::Style {
    use anstyle::AnsiColor;
    let c = match action {
        Action::Create | Action::Grant => AnsiColor::Green,
        Action::Update | Action::Attach | Action::Rotate => AnsiColor::Yellow,
        Action::Detach | Action::Delete | Action::Replace => AnsiColor::Red,
    };
    anstyle::Style::new().fg_color(Some(c.into()))
}

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
pub fn counts_phrase(plan: &super::Plan) -> String {
    plan.counts()
        .iter()
        .map(|(a, n)| format!("{n} {a}"))
        .collect::<Vec<_>>()
        .join(", ")
}

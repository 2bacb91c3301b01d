//! How renderers mark actions: colour when the CLI allows it, and a symbol beside every
//! action's name so that nothing depends on colour.

use crate::plan::change::Action;

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

pub(super) fn color(action: Action) -> anstyle::Style {
    use anstyle::AnsiColor;
    let c = match action {
        Action::Create | Action::Grant => AnsiColor::Green,
        Action::Update | Action::Attach | Action::Rotate => AnsiColor::Yellow,
        Action::Detach | Action::Delete | Action::Replace => AnsiColor::Red,
    };
    anstyle::Style::new().fg_color(Some(c.into()))
}

//! Snowflake names in the file: why a key or value is not a valid identifier or object name,
//! and which names collide once Snowflake resolves them (case folding, quoting). No I/O.

use std::collections::HashMap;

use super::diagnostic::{Diagnostic, Rule};
use super::yaml::{Node, Scalar, Span};
use crate::model::{Identifier, IdentifierError, MAX_IDENTIFIER_LEN, ObjectName};

/// Why `given` is not a valid Snowflake name (an object name when `object`), located at `span`.
pub(super) fn identifier_diagnostic(
    path: String,
    given: &str,
    object: bool,
    span: Option<Span>,
) -> Diagnostic {
    let error = if object {
        ObjectName::parse(given).err()
    } else {
        Identifier::parse(given).err()
    };
    let reason = match &error {
        Some(IdentifierError::Empty) => "a name cannot be empty".to_owned(),
        Some(IdentifierError::TooLong) => {
            format!("Snowflake names are at most {MAX_IDENTIFIER_LEN} characters")
        }
        Some(IdentifierError::UnbalancedQuote(_)) => {
            "a quoted name needs its closing `\"`, and `\"\"` for each quote inside it".to_owned()
        }
        Some(IdentifierError::WrongPartCount { found, .. }) => {
            format!("it needs three dot-separated parts (`DATABASE.SCHEMA.NAME`), not {found}")
        }
        Some(IdentifierError::InvalidUnquoted(_)) | None => {
            "an unquoted name starts with a letter or `_` and holds only letters, digits, `_` and `$`"
                .to_owned()
        }
    };
    let shown = shorten(given);
    let d = Diagnostic::new(
        Rule::InvalidIdentifier,
        path,
        format!(
            "`{shown}` is not a valid Snowflake {}: {reason}",
            if object { "object name" } else { "name" },
        ),
    )
    .at(span);
    match error {
        Some(IdentifierError::WrongPartCount { found: 1, .. }) => d.hint(format!(
            "schema objects take a full name, e.g. `MY_DB.MY_SCHEMA.{shown}`"
        )),
        Some(IdentifierError::InvalidUnquoted(_)) | None if !object => d.hint(format!(
            "to use other characters, quote the name inside the YAML string: `'\"{shown}\"'` (a quoted name is case-sensitive)"
        )),
        Some(IdentifierError::InvalidUnquoted(_)) | None => d.hint(
            "quote a part inside the YAML string to use other characters: `'MY_DB.MY_SCHEMA.\"my-rule\"'`",
        ),
        _ => d,
    }
}

/// A value short enough to quote in a message: a 300-character name is shown by its start.
fn shorten(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        format!("{}…", value.chars().take(MAX - 8).collect::<String>())
    }
}

/// The sections whose keys are names, and how a key resolves there.
const NAME_MAPS: &[(&str, bool)] = &[
    ("users", false),
    ("network_policies", false),
    ("network_rules", true),
    ("authentication_policies", true),
];

/// Resolves a raw key of a name map to its canonical spelling, if it is a valid name.
fn canonical(raw: &str, object: bool) -> Option<String> {
    if object {
        ObjectName::parse(raw).ok().map(|n| n.to_string())
    } else {
        Identifier::parse(raw).ok().map(|n| n.to_string())
    }
}

/// Reports names in the file that Snowflake resolves to the same object.
pub(super) fn check_duplicate_names(tree: &Node, out: &mut Vec<Diagnostic>) {
    for (section, object) in NAME_MAPS {
        if let Some(map) = tree.get(section) {
            duplicates_in(map.entries().iter().map(|(k, _)| k), *object, section, out);
        }
    }
    for (user, spec) in tree.get("users").map(Node::entries).unwrap_or_default() {
        let path = format!("users.{}", user.value);
        if let Some(tokens) = spec.get("tokens") {
            let keys = tokens.entries().iter().map(|(k, _)| k);
            duplicates_in(keys, false, &format!("{path}.tokens"), out);
        }
        if let Some(roles) = spec.get("roles") {
            duplicates_in(scalars(roles), false, &format!("{path}.roles"), out);
        }
    }
    for (name, spec) in tree
        .get("authentication_policies")
        .map(Node::entries)
        .unwrap_or_default()
    {
        if let Some(list) = spec
            .get("pat_policy")
            .and_then(|p| p.get("blocked_roles_list"))
        {
            let path = format!(
                "authentication_policies.{}.pat_policy.blocked_roles_list",
                name.value
            );
            duplicates_in(scalars(list), false, &path, out);
        }
    }
    for (name, spec) in tree
        .get("network_policies")
        .map(Node::entries)
        .unwrap_or_default()
    {
        for list in ["allowed_network_rule_list", "blocked_network_rule_list"] {
            if let Some(items) = spec.get(list) {
                let path = format!("network_policies.{}.{list}", name.value);
                duplicates_in(scalars(items), true, &path, out);
            }
        }
    }
}

/// The scalar items of a list.
fn scalars(list: &Node) -> impl Iterator<Item = &Scalar> {
    list.items().iter().filter_map(|n| match n {
        Node::Scalar(s) => Some(s),
        _ => None,
    })
}

/// Reports names (map keys or list items) that resolve to the same Snowflake name.
fn duplicates_in<'a>(
    names: impl Iterator<Item = &'a Scalar>,
    object: bool,
    section: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<String, &Scalar> = HashMap::new();
    for key in names {
        let Some(name) = canonical(&key.value, object) else {
            continue;
        };
        let Some(first) = seen.get(&name) else {
            seen.insert(name, key);
            continue;
        };
        let message = if first.value == key.value {
            format!("`{}` is listed twice", key.value)
        } else {
            format!(
                "`{}` and `{}` are the same name to Snowflake ({name})",
                first.value, key.value
            )
        };
        let hint = if first.value == key.value {
            "list each name once"
        } else {
            "unquoted names fold to upper case; keep one entry, or quote a name to make it case-sensitive"
        };
        out.push(
            Diagnostic::new(
                Rule::DuplicateName,
                format!("{section}.{}", key.value),
                message,
            )
            .at(Some(key.span))
            .related(first.span, "first declared here")
            .hint(hint),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::cases::only;
    use super::*;

    #[test]
    fn a_long_invalid_name_is_shortened_in_the_message() {
        let name = format!("{}-x", "A".repeat(300));
        let d = only(&format!("version: 1\nusers:\n  {name}: {{}}\n"));
        assert_eq!(d.rule, Rule::InvalidIdentifier);
        assert!(d.message.len() < 200, "{}", d.message);
        let too_long = only(&format!(
            "version: 1\nusers:\n  {}: {{}}\n",
            "A".repeat(256)
        ));
        assert_eq!(
            (too_long.rule, too_long.span.map(|s| (s.line, s.column))),
            (Rule::InvalidIdentifier, Some((3, 3)))
        );
        assert!(
            too_long
                .message
                .ends_with("Snowflake names are at most 255 characters")
        );
    }
}

//! JSON-Schema validation of the YAML tree, each error turned into a located diagnostic.
//!
//! The validator reads the tree in place ([`super::instance`]); this module finds, for each
//! error, the node and key it is about, the schema that governs them (following `$ref`s, maps
//! and sink variants), and words the finding. Hints come from [`super::hints`]; invalid names
//! are worded by [`super::names`]. No I/O.

use serde_json::Value;

use super::diagnostic::{Diagnostic, Rule};
use super::hints::{key_hint, nearest, retired_value};
use super::instance;
use super::names::identifier_diagnostic;
use super::schema;
use super::tree_path::{Seg, display_path, key_at, node_at};
use super::yaml::{Node, Span};

/// The schema that governs the value at `path`, following `$ref`s, maps and sink variants.
fn schema_at<'s>(root: &'s Value, tree: &Node, path: &[Seg]) -> Option<&'s Value> {
    let mut schema = resolve(root, root)?;
    let mut value = tree;
    for seg in path {
        schema = match seg {
            Seg::Key(k) => {
                let object = object_schema(root, schema, value)?;
                let next = object
                    .get("properties")
                    .and_then(|p| p.get(k))
                    .or_else(|| object.get("additionalProperties").filter(|a| a.is_object()))
                    .or_else(|| {
                        object
                            .get("patternProperties")
                            .and_then(Value::as_object)
                            .and_then(|p| p.values().next())
                    })?;
                value = value.get(k)?;
                resolve(root, next)?
            }
            Seg::Index(i) => {
                value = value.items().get(*i)?;
                resolve(root, schema.get("items")?)?
            }
        };
    }
    Some(schema)
}

/// For a `oneOf` of single-key objects (the sinks), the variant the value's key selects.
fn object_schema<'s>(root: &'s Value, schema: &'s Value, value: &Node) -> Option<&'s Value> {
    match schema.get("oneOf").and_then(Value::as_array) {
        Some(variants) => {
            let key = value.entries().first().map(|(k, _)| k.value.as_str())?;
            variants
                .iter()
                .filter_map(|v| resolve(root, v))
                .find(|v| v.get("properties").and_then(|p| p.get(key)).is_some())
        }
        None => Some(schema),
    }
}

fn resolve<'s>(root: &'s Value, schema: &'s Value) -> Option<&'s Value> {
    let mut schema = schema;
    for _ in 0..8 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => schema = root.pointer(r.strip_prefix('#')?)?,
            None => return Some(schema),
        }
    }
    None
}

fn property_names(schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        for v in variants {
            if let Some(p) = v.get("properties").and_then(Value::as_object) {
                names.extend(p.keys().cloned());
            }
        }
    }
    names
}

/// Validates the tree against the built-in schema and reports every error, located.
pub(super) fn check_schema(tree: &Node, out: &mut Vec<Diagnostic>) {
    let schema = schema::json_schema();
    let validator = match jsonschema::options_for::<instance::Tree>().build(&schema) {
        Ok(v) => v,
        Err(e) => {
            out.push(Diagnostic::new(
                Rule::InvalidValue,
                "",
                format!("internal error: the built-in schema does not compile: {e}"),
            ));
            return;
        }
    };
    let cx = SchemaCx {
        tree,
        schema: &schema,
    };
    for error in validator.iter_errors(tree) {
        cx.translate(&error, out);
    }
}

struct SchemaCx<'a> {
    tree: &'a Node,
    schema: &'a Value,
}

impl SchemaCx<'_> {
    fn translate(&self, error: &jsonschema::ValidationError<'_>, out: &mut Vec<Diagnostic>) {
        use jsonschema::error::ValidationErrorKind as K;
        let path: Vec<Seg> = error
            .instance_path()
            .segments()
            .map(|s| match s {
                jsonschema::paths::LocationSegment::Property(p) => Seg::Key(p.into_owned()),
                jsonschema::paths::LocationSegment::Index(i) => Seg::Index(i),
            })
            .collect();
        let here = display_path(&path);
        let node = node_at(self.tree, &path);
        let value_span = node.map(Node::span);
        let field = match path.last() {
            Some(Seg::Key(k)) => format!("`{k}`"),
            _ => "the value".to_owned(),
        };
        match error.kind() {
            K::AdditionalProperties { unexpected } => {
                let name_pattern = self
                    .schema_for(&path)
                    .and_then(|s| s.get("patternProperties"))
                    .and_then(Value::as_object)
                    .and_then(|p| p.keys().next().cloned());
                for key in unexpected {
                    match &name_pattern {
                        // A map keyed by names: the key is not a valid name.
                        Some(pattern) => {
                            let span = node.and_then(|n| n.entry(key)).map(|(k, _)| k.span);
                            out.push(identifier_diagnostic(
                                format!("{here}.{key}"),
                                key,
                                pattern == &crate::model::object_name_pattern(),
                                span,
                            ));
                        }
                        None => out.push(self.unknown_key(&path, key)),
                    }
                }
            }
            K::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let what = if here.is_empty() {
                    "the file".to_owned()
                } else {
                    format!("`{here}`")
                };
                let span = key_at(self.tree, &path).map(|k| k.span).or(value_span);
                let mut d = Diagnostic::new(
                    Rule::MissingKey,
                    here.clone(),
                    format!("{what} needs `{name}`"),
                )
                .at(span);
                if name == "version" {
                    d = d.hint("start the file with `version: 1`");
                }
                out.push(d);
            }
            K::Type { kind } => {
                let expected = match kind {
                    jsonschema::error::TypeKind::Single(t) => type_name(&t.to_string()),
                    jsonschema::error::TypeKind::Multiple(ts) => {
                        let names: Vec<String> =
                            ts.iter().map(|t| type_name(&t.to_string())).collect();
                        names.join(" or ")
                    }
                };
                let found = node.map_or("nothing", Node::describe);
                let mut d = Diagnostic::new(
                    Rule::WrongType,
                    here.clone(),
                    format!("{field} must be {expected}, found {found}"),
                )
                .at(value_span);
                if let Some(Node::Scalar(s)) = node {
                    if s.plain
                        && ["yes", "no", "on", "off", "y", "n", "Yes", "No"]
                            .contains(&s.value.as_str())
                        && expected.contains("boolean")
                    {
                        d = d.hint("YAML 1.2 reads this as a string; write `true` or `false`");
                    } else if !s.plain
                        && expected.contains("integer")
                        && s.value.parse::<i64>().is_ok()
                    {
                        d = d.hint("remove the quotes: a quoted number is a string");
                    } else if expected.contains("list") {
                        d = d.hint(format!("write a list: `[{}]`", s.value));
                    }
                }
                out.push(d);
            }
            K::Enum { options } => {
                let options: Vec<String> = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(self.enum_diagnostic(
                    &here,
                    &field,
                    error.instance(),
                    &options,
                    value_span,
                ));
            }
            K::Minimum { limit } | K::Maximum { limit } => {
                let (min, max) = self.range_at(&path);
                let given = error.instance().to_string();
                let range = match (min, max) {
                    (Some(a), Some(b)) => format!("between {a} and {b}"),
                    (Some(a), None) => format!("at least {a}"),
                    (None, Some(b)) => format!("at most {b}"),
                    (None, None) => format!("within {limit}"),
                };
                out.push(
                    Diagnostic::new(
                        Rule::InvalidValue,
                        here.clone(),
                        format!("{field} is {given}; Snowflake accepts {range}"),
                    )
                    .at(value_span),
                );
            }
            K::Constant { expected_value } => out.push(
                Diagnostic::new(
                    Rule::InvalidValue,
                    here.clone(),
                    format!(
                        "{field} is {}; this pat-reconcile reads {expected_value}",
                        error.instance()
                    ),
                )
                .at(value_span),
            ),
            K::Pattern { pattern } => {
                let given = error.instance().as_str().unwrap_or_default();
                out.push(identifier_diagnostic(
                    here.clone(),
                    given,
                    pattern == &crate::model::object_name_pattern(),
                    value_span,
                ));
            }
            K::OneOfNotValid { .. } if self.enum_values(&path).is_some() => {
                let options = self.enum_values(&path).unwrap_or_default();
                out.push(self.enum_diagnostic(
                    &here,
                    &field,
                    error.instance(),
                    &options,
                    value_span,
                ));
            }
            K::AnyOf { .. } if self.is_attachment(&path) => {
                let given = error.instance();
                let given = given
                    .as_str()
                    .map_or_else(|| given.to_string(), str::to_owned);
                let object = self
                    .schema_for(&path)
                    .is_some_and(|s| s.to_string().contains("ObjectName"));
                let d = if given.eq_ignore_ascii_case(crate::model::desired::DETACH_WORD) {
                    Diagnostic::new(
                        Rule::InvalidValue,
                        here.clone(),
                        format!("`{given}` is neither `none` nor a policy name"),
                    )
                    .at(value_span)
                } else {
                    identifier_diagnostic(here.clone(), &given, object, value_span)
                };
                out.push(match d.hint {
                    Some(_) => d,
                    None => d.hint("name a policy to attach it, write `none` (lower case) to detach the account's policy, or leave the key out to leave it alone"),
                });
            }
            K::OneOfNotValid { context } | K::AnyOf { context } => {
                let chosen = node
                    .and_then(|n| match n {
                        Node::Mapping { entries, .. } if entries.len() == 1 => {
                            Some(entries[0].0.value.clone())
                        }
                        _ => None,
                    })
                    .and_then(|key| {
                        let variants = resolve(self.schema, self.schema_for(&path)?)?
                            .get("oneOf")?
                            .as_array()?;
                        variants.iter().position(|v| {
                            resolve(self.schema, v)
                                .and_then(|v| v.get("properties"))
                                .and_then(|p| p.get(&key))
                                .is_some()
                        })
                    });
                match chosen.and_then(|i| context.get(i)) {
                    Some(errors) => {
                        for e in errors {
                            self.translate(e, out);
                        }
                    }
                    None => out.push(self.sink_shape(&path, node)),
                }
            }
            _ => out.push(
                Diagnostic::new(
                    Rule::InvalidValue,
                    here.clone(),
                    format!("{field}: {error}"),
                )
                .at(value_span),
            ),
        }
    }

    /// The allowed values when the schema at `path` is an enumeration written as `oneOf` consts.
    fn enum_values(&self, path: &[Seg]) -> Option<Vec<String>> {
        let variants = self.schema_for(path)?.get("oneOf")?.as_array()?;
        variants
            .iter()
            .map(|v| v.get("const").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    fn enum_diagnostic(
        &self,
        here: &str,
        field: &str,
        given: &Value,
        options: &[String],
        span: Option<Span>,
    ) -> Diagnostic {
        let given = given
            .as_str()
            .map_or_else(|| given.to_string(), str::to_owned);
        let list = options
            .iter()
            .map(|o| format!("`{o}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let d = Diagnostic::new(
            Rule::InvalidValue,
            here,
            format!("`{given}` is not a valid {field}; expected one of {list}"),
        )
        .at(span);
        if let Some(hint) = retired_value(field, &given) {
            d.hint(hint)
        } else if let Some(o) = options.iter().find(|o| o.eq_ignore_ascii_case(&given)) {
            d.hint(format!(
                "write `{o}`: values are spelled as Snowflake spells them"
            ))
        } else if let Some(best) = nearest(&given, options.iter().map(String::as_str)) {
            d.hint(format!("did you mean `{best}`?"))
        } else {
            d
        }
    }

    /// Whether the value at `path` is an account-level attachment: a policy name or `none`.
    fn is_attachment(&self, path: &[Seg]) -> bool {
        self.schema_for(path)
            .and_then(|s| s.get("anyOf"))
            .and_then(Value::as_array)
            .is_some_and(|variants| {
                variants.iter().any(|v| {
                    v.get("const").and_then(Value::as_str)
                        == Some(crate::model::desired::DETACH_WORD)
                })
            })
    }

    fn schema_for(&self, path: &[Seg]) -> Option<&Value> {
        schema_at(self.schema, self.tree, path)
    }

    fn range_at(&self, path: &[Seg]) -> (Option<i64>, Option<i64>) {
        let s = self.schema_for(path);
        let get = |k: &str| s.and_then(|s| s.get(k)).and_then(Value::as_i64);
        (get("minimum"), get("maximum"))
    }

    fn unknown_key(&self, path: &[Seg], key: &str) -> Diagnostic {
        let mut full = path.to_vec();
        full.push(Seg::Key(key.to_owned()));
        let span = key_at(self.tree, &full).map(|k| k.span);
        let candidates = self
            .schema_for(path)
            .and_then(|s| object_schema(self.schema, s, node_at(self.tree, path)?))
            .map(property_names)
            .unwrap_or_default();
        let in_token = matches!(path, [.., Seg::Key(t), Seg::Key(_)] if t == "tokens");
        let where_ = if path.is_empty() {
            "at the top of the file".to_owned()
        } else {
            format!("in `{}`", display_path(path))
        };
        let d = Diagnostic::new(
            Rule::UnknownKey,
            display_path(&full),
            format!("unknown key `{key}` {where_}"),
        )
        .at(span);
        match key_hint(key, in_token, &candidates) {
            Some(h) => d.hint(h),
            None => d,
        }
    }

    fn sink_shape(&self, path: &[Seg], node: Option<&Node>) -> Diagnostic {
        let kinds = ["json_file", "dotenv_file", "toml_file", "file", "command"];
        let mut d = Diagnostic::new(
            Rule::WrongType,
            display_path(path),
            "a delivery sink is exactly one of `json_file`, `dotenv_file`, `toml_file`, `file` or `command`",
        )
        .at(node.map(Node::span));
        if let Some(Node::Mapping { entries, .. }) = node {
            if let Some((k, _)) = entries
                .iter()
                .find(|(k, _)| !kinds.contains(&k.value.as_str()))
            {
                d.span = Some(k.span);
                if let Some(best) = nearest(&k.value, kinds) {
                    return d.hint(format!("did you mean `{best}`?"));
                }
            } else if entries.len() > 1 {
                return d.hint("write each sink as its own list item: `- json_file: {...}` then `- file: {...}`");
            }
        }
        d.hint("e.g. `- json_file: { path: snowflake_config.json, pointer: /pat }`")
    }
}

fn type_name(t: &str) -> String {
    match t {
        "integer" => "an integer".into(),
        "number" => "a number".into(),
        "string" => "a string".into(),
        "boolean" => "a boolean (`true` or `false`)".into(),
        "array" => "a list".into(),
        "object" => "a mapping".into(),
        "null" => "null".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::diagnostic::Rule;
    use crate::config::load::load_str;

    fn findings(account: &str) -> Vec<(Rule, String, Option<String>)> {
        let text = format!("version: 1\naccount:\n{account}");
        load_str("case.yaml", &text)
            .diagnostics
            .into_iter()
            .filter(|d| d.rule.severity() == crate::model::Severity::Error)
            .map(|d| (d.rule, d.message, d.hint))
            .collect()
    }

    #[test]
    fn an_account_key_takes_a_policy_or_none() {
        assert!(findings("  network_policy: none\n  authentication_policy: none\n").is_empty());
        assert!(findings("  authentication_policy: D.S.AP\n").is_empty());

        let found = findings("  authentication_policy: None\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, Rule::InvalidValue);
        assert_eq!(found[0].1, "`None` is neither `none` nor a policy name");
        assert!(
            found[0]
                .2
                .as_deref()
                .is_some_and(|h| h.contains("write `none` (lower case)")),
            "{found:?}"
        );

        // `NONE` is a valid network policy name to the schema; the model refuses it as ambiguous.
        let found = findings("  network_policy: NONE\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, Rule::InvalidValue);
        assert!(found[0].1.contains("`NONE` is ambiguous"), "{found:?}");
    }
}

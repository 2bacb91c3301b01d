//! The JSON Schema of `pats.yaml`, generated from the model types.
//!
//! `pat-reconcile schema` prints [`json_schema`]; `schemas/pats.schema.json` is that output and
//! CI fails when they differ. The loader validates files against the same schema, so an editor
//! and `validate` never disagree about the shape of a file.

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::model::desired::Config;

/// The schema as JSON, with descriptions unwrapped and key patterns attached to name maps.
pub fn json_schema() -> Value {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Config>();
    let mut value = schema.to_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "$id".into(),
            Value::String(
                "https://github.com/pat-reconcile/pat-reconcile/schemas/pats.schema.json".into(),
            ),
        );
    }
    polish(&mut value);
    describe_client_policy(&mut value);
    value
}

/// `client_policy` is a map keyed by an enum, which schemars turns into one property per
/// driver without a description; editors should still explain each key on hover.
fn describe_client_policy(schema: &mut Value) {
    let drivers = schema
        .pointer_mut("/$defs/AuthenticationPolicySpec/properties/client_policy/properties")
        .and_then(Value::as_object_mut);
    for (driver, property) in drivers.into_iter().flatten() {
        if let Some(p) = property.as_object_mut() {
            p.entry("description").or_insert_with(|| {
                Value::String(format!(
                    "Oldest `{driver}` version allowed to sign in, e.g. `3.25.0` (Snowflake `CLIENT_POLICY`)."
                ))
            });
        }
    }
}

/// Unwraps doc-comment line breaks in every description, and drops `null` from optional
/// fields: in `pats.yaml` an optional key is left out, never written as `null`.
fn polish(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(d)) = map.get_mut("description") {
                *d = unwrap_lines(d);
            }
            describe_only_property(map);
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            let single = match map.get_mut("anyOf") {
                Some(Value::Array(variants)) => {
                    variants.retain(|v| v != &serde_json::json!({ "type": "null" }));
                    (variants.len() == 1).then(|| variants.remove(0))
                }
                _ => None,
            };
            if let Some(Value::Object(inner)) = single {
                map.remove("anyOf");
                for (k, v) in inner {
                    map.entry(k).or_insert(v);
                }
            }
            map.values_mut().for_each(polish);
        }
        Value::Array(items) => items.iter_mut().for_each(polish),
        _ => {}
    }
}

/// An enum variant that is a single-key object (a sink such as `json_file: {...}`) carries its
/// doc comment on the object; editors show help for the key, so the key gets it too.
fn describe_only_property(map: &mut serde_json::Map<String, Value>) {
    let Some(Value::String(description)) = map.get("description").cloned() else {
        return;
    };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        if props.len() == 1 {
            for prop in props.values_mut().filter_map(Value::as_object_mut) {
                prop.entry("description")
                    .or_insert_with(|| Value::String(description.clone()));
            }
        }
    }
}

/// Joins hard-wrapped lines of a doc comment; blank lines stay paragraph breaks.
fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|para| {
            para.split('\n')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk<'a>(v: &'a Value, out: &mut Vec<(String, &'a Value)>, path: String) {
        if let Value::Object(map) = v {
            out.push((path.clone(), v));
            for (k, child) in map {
                walk(child, out, format!("{path}/{k}"));
            }
        } else if let Value::Array(items) = v {
            for (i, child) in items.iter().enumerate() {
                walk(child, out, format!("{path}/{i}"));
            }
        }
    }

    #[test]
    fn every_property_has_a_description() {
        let schema = json_schema();
        let mut nodes = Vec::new();
        walk(&schema, &mut nodes, String::new());
        let mut missing = Vec::new();
        for (path, node) in nodes {
            if let Some(Value::Object(props)) = node.get("properties") {
                for (name, prop) in props {
                    if prop.get("description").is_none() {
                        missing.push(format!("{path}/properties/{name}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no description: {missing:#?}");
    }

    #[test]
    fn name_maps_constrain_their_keys() {
        let schema = json_schema();
        let users = &schema["properties"]["users"];
        let pattern = |v: &Value| {
            v["patternProperties"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .cloned()
        };
        assert_eq!(pattern(users), Some(crate::model::identifier_pattern()));
        let rules = &schema["properties"]["network_rules"];
        assert_eq!(pattern(rules), Some(crate::model::object_name_pattern()));
        assert!(schema["$defs"]["Identifier"]["pattern"].is_string());
    }

    #[test]
    fn committed_schema_is_current() {
        let committed = include_str!("../../schemas/pats.schema.json");
        let current = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        assert!(
            committed == current,
            "schemas/pats.schema.json is stale: run `cargo run -- schema > schemas/pats.schema.json`"
        );
    }

    #[test]
    fn descriptions_have_no_hard_wraps() {
        let mut nodes = Vec::new();
        let schema = json_schema();
        walk(&schema, &mut nodes, String::new());
        for (path, node) in nodes {
            if let Some(Value::String(d)) = node.get("description") {
                assert!(!d.replace("\n\n", "").contains('\n'), "{path}: {d:?}");
            }
        }
    }
}

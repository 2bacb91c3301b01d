//! The YAML tree read as a JSON document, in place: a JSON Schema instance for `jsonschema`
//! and a `serde` deserializer for the model.
//!
//! Validating a file used to copy the whole tree into a `serde_json::Value`, check that, and
//! deserialize the model from it. For a 10,000-user file that copy was a third of the peak
//! memory and a fifth of the time; reading the tree directly costs neither. Scalars are typed
//! by YAML 1.2's core schema exactly as [`Node::to_json`] types them, so the two readings never
//! disagree. No I/O here.

use std::borrow::Cow;
use std::fmt;

use jsonschema::JsonType;
use jsonschema::json::{Array, Json, JsonNumber, Node as JsonNode, NodeIdentity, Object};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::yaml::{Node, Scalar, Span, Typed};

/// The tree as a `jsonschema` JSON representation.
pub struct Tree;

impl Json for Tree {
    type Node<'a> = &'a Node;
    type PreparedKey = String;
    type StringBuffer = Option<Node>;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        buffer: &mut Option<Node>,
        string: &str,
        f: impl FnOnce(&Node) -> T,
    ) -> T {
        // A quoted scalar is always a string, whatever its text.
        let node = buffer.insert(Node::Scalar(Scalar {
            value: string.to_owned(),
            plain: false,
            span: Span::default(),
        }));
        f(node)
    }
}

/// A number of the tree.
pub struct Number(serde_json::Number);

impl JsonNumber for Number {
    fn as_u64(&self) -> Option<u64> {
        self.0.as_u64()
    }
    fn as_i64(&self) -> Option<i64> {
        self.0.as_i64()
    }
    fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.0.to_string())
    }
    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        Cow::Borrowed(&self.0)
    }
}

impl<'a> JsonNode<'a, Tree> for &'a Node {
    type Object = &'a [(Scalar, Node)];
    type Array = &'a [Node];
    type Number = Number;

    fn as_object(&self) -> Option<Self::Object> {
        match self {
            Node::Mapping { entries, .. } => Some(entries),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Self::Array> {
        match self {
            Node::Sequence { items, .. } => Some(items),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            Node::Scalar(s) => match s.typed() {
                Typed::Str(v) => Some(Cow::Borrowed(v)),
                _ => None,
            },
            _ => None,
        }
    }

    fn as_number(&self) -> Option<Number> {
        match self {
            Node::Scalar(s) => match s.typed() {
                Typed::Int(i) => Some(Number(i.into())),
                Typed::Float(f) => serde_json::Number::from_f64(f).map(Number),
                _ => None,
            },
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self {
            Node::Scalar(s) => match s.typed() {
                Typed::Bool(b) => Some(b),
                _ => None,
            },
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Node::Scalar(s) if matches!(s.typed(), Typed::Null))
    }

    fn json_type(&self) -> JsonType {
        match self {
            Node::Scalar(s) => match s.typed() {
                Typed::Null => JsonType::Null,
                Typed::Bool(_) => JsonType::Boolean,
                Typed::Int(_) | Typed::Float(_) => JsonType::Number,
                Typed::Str(_) => JsonType::String,
            },
            Node::Sequence { .. } => JsonType::Array,
            Node::Mapping { .. } => JsonType::Object,
        }
    }

    fn equals_value(&self, expected: &Value) -> bool {
        // `const` and `enum` compare every enum-valued key; skip building a `Value` for strings.
        match (self, expected) {
            (Node::Scalar(s), Value::String(e)) => matches!(s.typed(), Typed::Str(v) if v == e),
            _ => jsonschema::json::cmp::equal(&self.to_json(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(self.to_json())
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(*self) as usize))
    }
}

/// The members of a mapping, by key text.
pub struct Members<'a>(std::slice::Iter<'a, (Scalar, Node)>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a Node);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.value.as_str(), v))
    }
}

impl<'a> Object<'a, Tree> for &'a [(Scalar, Node)] {
    type Node = &'a Node;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        <[(Scalar, Node)]>::len(self)
    }

    /// A scan: the schema looks keys up only in mappings of a few known keys; the large ones
    /// (`users`, `tokens`) are keyed by names and checked by pattern.
    fn get(&self, key: &String) -> Option<&'a Node> {
        self.iter().find(|(k, _)| k.value == *key).map(|(_, v)| v)
    }

    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

impl<'a> Array<'a, Tree> for &'a [Node] {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        <[Node]>::len(self)
    }

    fn elements(&self) -> std::slice::Iter<'a, Node> {
        self.iter()
    }
}

/// Why the tree does not fit the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

impl<'de> de::Deserializer<'de> for &'de Node {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Node::Scalar(s) => match s.typed() {
                Typed::Null => visitor.visit_unit(),
                Typed::Bool(b) => visitor.visit_bool(b),
                Typed::Int(i) if i >= 0 => visitor.visit_u64(i.unsigned_abs()),
                Typed::Int(i) => visitor.visit_i64(i),
                Typed::Float(f) => visitor.visit_f64(f),
                Typed::Str(v) => visitor.visit_borrowed_str(v),
            },
            Node::Sequence { items, .. } => visitor.visit_seq(Items(items.iter())),
            Node::Mapping { entries, .. } => visitor.visit_map(Entries {
                entries: entries.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Node::Scalar(s) if matches!(s.typed(), Typed::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    /// Unit variants are strings (`SERVICE`); other variants are single-key mappings
    /// (`json_file: {...}`), as serde's externally tagged enums are in JSON.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self {
            Node::Mapping { entries, .. } if entries.len() == 1 => {
                let (key, value) = &entries[0];
                visitor.visit_enum(Variant {
                    name: &key.value,
                    value: Some(value),
                })
            }
            Node::Scalar(s) => match s.typed() {
                Typed::Str(name) => visitor.visit_enum(Variant { name, value: None }),
                _ => Err(de::Error::invalid_type(
                    de::Unexpected::Other(self.describe()),
                    &visitor,
                )),
            },
            _ => Err(de::Error::invalid_type(
                de::Unexpected::Other(self.describe()),
                &visitor,
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Items<'de>(std::slice::Iter<'de, Node>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0.next().map(|n| seed.deserialize(n)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'de> {
    entries: std::slice::Iter<'de, (Scalar, Node)>,
    value: Option<&'de Node>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                // Keys are names: always strings, even when they look like numbers.
                let key = de::value::BorrowedStrDeserializer::<DeError>::new(&key.value);
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("a value was read before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Variant<'de> {
    name: &'de str,
    value: Option<&'de Node>,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let name = de::value::BorrowedStrDeserializer::<DeError>::new(self.name);
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            None => Ok(()),
            Some(_) => Err(de::Error::custom(format!(
                "`{}` takes no settings",
                self.name
            ))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        match self.value {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom(format!("`{}` needs settings", self.name))),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Some(value) => de::Deserializer::deserialize_seq(value, visitor),
            None => Err(de::Error::custom(format!("`{}` needs a list", self.name))),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            Some(value) => de::Deserializer::deserialize_map(value, visitor),
            None => Err(de::Error::custom(format!("`{}` needs settings", self.name))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::config::yaml;
    use crate::model::desired::Config;

    /// The tree must read exactly as its JSON copy does, for the schema and for the model.
    #[test]
    fn the_tree_reads_as_its_json_copy() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![root.join("pats.yaml")];
        for entry in std::fs::read_dir(root.join("examples")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
        let schema = crate::config::schema::json_schema();
        let by_tree = jsonschema::options_for::<Tree>().build(&schema).unwrap();
        let by_json = jsonschema::validator_for(&schema).unwrap();
        let mut models = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let Ok(doc) = yaml::parse(&text) else {
                continue;
            };
            let json = doc.root.to_json();
            let errors =
                |e: jsonschema::ValidationError<'_>| (e.instance_path().to_string(), e.to_string());
            let tree_errors: Vec<_> = by_tree.iter_errors(&doc.root).map(errors).collect();
            let json_errors: Vec<_> = by_json.iter_errors(&json).map(errors).collect();
            assert_eq!(tree_errors, json_errors, "{}", file.display());
            if json_errors.is_empty() {
                let from_json: Config = serde_json::from_value(json).unwrap();
                let from_tree = Config::deserialize(&doc.root).unwrap();
                assert_eq!(from_tree, from_json, "{}", file.display());
                models += 1;
            }
        }
        assert!(models >= 4, "only {models} files made a model");
    }

    #[test]
    fn numbers_and_strings_deserialize_as_yaml_1_2_types_them() {
        let doc = yaml::parse("a: 30\nb: '30'\nc: 30.0\nd: ~\ne: [x, 1]\n").unwrap();
        let get = |k: &str| doc.root.get(k).unwrap();
        assert_eq!(u32::deserialize(get("a")), Ok(30));
        assert!(u32::deserialize(get("b")).is_err());
        assert_eq!(String::deserialize(get("b")), Ok("30".to_owned()));
        assert!(u32::deserialize(get("c")).is_err());
        assert_eq!(Option::<u32>::deserialize(get("d")), Ok(None));
        assert_eq!(
            <(String, u8)>::deserialize(get("e")),
            Ok(("x".to_owned(), 1))
        );
    }
}

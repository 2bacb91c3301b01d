//! A YAML tree that remembers where every node came from.
//!
//! `pats.yaml` errors must name a line and column, so the file is parsed into this small tree
//! (scalars, sequences, mappings, each with a [`Span`]) before anything else looks at it. The
//! tree is deliberately strict: anchors, aliases, tags and multiple documents are refused with a
//! located error rather than expanded, because a declarative file that hides values behind
//! references is hard to review (and aliases are how "billion laughs" files explode).
//!
//! Scalars are typed by YAML 1.2's core schema when converted to JSON ([`Node::to_json`]):
//! only plain scalars become numbers, booleans or null; quoted scalars stay strings.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A place in the source text: byte offset and length, plus the 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
    pub line: usize,
    pub column: usize,
}

/// A scalar with its text and whether it was written plain (unquoted).
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub value: String,
    pub plain: bool,
    pub span: Span,
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar(Scalar),
    Sequence {
        items: Vec<Node>,
        span: Span,
    },
    Mapping {
        entries: Vec<(Scalar, Node)>,
        span: Span,
    },
}

/// Why the text is not a YAML document this tool reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlError {
    /// The YAML scanner or parser rejected the text.
    Syntax { message: String, span: Span },
    /// An anchor (`&name`) or alias (`*name`).
    Anchor { span: Span },
    /// An explicit tag (`!!str`, `!custom`).
    Tag { span: Span },
    /// A key that is a sequence or mapping.
    ComplexKey { span: Span },
    /// The same key twice in one mapping.
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
    },
    /// More than one `---` document.
    MultipleDocuments { span: Span },
    /// The file holds no document, or only comments.
    Empty,
}

impl Node {
    pub fn span(&self) -> Span {
        match self {
            Node::Scalar(s) => s.span,
            Node::Sequence { span, .. } | Node::Mapping { span, .. } => *span,
        }
    }

    /// The value under `key` of a mapping (exact key text).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value under `key` of a mapping (exact key text).
    pub fn entry(&self, key: &str) -> Option<(&Scalar, &Node)> {
        match self {
            Node::Mapping { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.value == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The entries of a mapping, or none.
    pub fn entries(&self) -> &[(Scalar, Node)] {
        match self {
            Node::Mapping { entries, .. } => entries,
            _ => &[],
        }
    }

    /// The items of a sequence, or none.
    pub fn items(&self) -> &[Node] {
        match self {
            Node::Sequence { items, .. } => items,
            _ => &[],
        }
    }

    /// A short name of the node's kind for messages ("a mapping", "a string", ...).
    pub fn describe(&self) -> &'static str {
        match self {
            Node::Scalar(s) => match scalar_to_json(s) {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Number(_) => "a number",
                _ => "a string",
            },
            Node::Sequence { .. } => "a list",
            Node::Mapping { .. } => "a mapping",
        }
    }

    /// Converts to JSON, typing plain scalars by YAML 1.2's core schema.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Node::Scalar(s) => scalar_to_json(s),
            Node::Sequence { items, .. } => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Node::Mapping { entries, .. } => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// YAML 1.2 core schema typing of a scalar.
pub fn scalar_to_json(s: &Scalar) -> serde_json::Value {
    use serde_json::Value;
    if !s.plain {
        return Value::String(s.value.clone());
    }
    let v = s.value.as_str();
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(v) {
        return Value::Number(n.into());
    }
    if is_float(v) {
        if let Some(n) = v.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.value.clone())
}

fn parse_int(v: &str) -> Option<i64> {
    let (neg, digits) = match v.as_bytes().first()? {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        _ => (false, v),
    };
    let n = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -n } else { n })
}

fn is_float(v: &str) -> bool {
    let body = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            (!a.is_empty() || !b.is_empty())
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// Parses one YAML document into a [`Node`] tree.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let mut builder = Builder {
        text,
        offsets: CharOffsets::new(text),
        stack: Vec::new(),
        root: None,
        error: None,
        documents: 0,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        let span = builder.span_at(*e.marker(), 1);
        return Err(YamlError::Syntax {
            message: e.info().to_owned(),
            span,
        });
    }
    if let Some(e) = builder.error {
        return Err(e);
    }
    builder.root.ok_or(YamlError::Empty)
}

enum Frame {
    Sequence {
        items: Vec<Node>,
        span: Span,
    },
    Mapping {
        entries: Vec<(Scalar, Node)>,
        pending_key: Option<Scalar>,
        span: Span,
    },
}

struct Builder<'t> {
    text: &'t str,
    offsets: CharOffsets,
    stack: Vec<Frame>,
    root: Option<Node>,
    error: Option<YamlError>,
    documents: usize,
}

impl Builder<'_> {
    /// Converts a parser marker to a span, clamping offsets to the text.
    fn span_at(&mut self, mark: Marker, len: usize) -> Span {
        let offset = self.offsets.byte_offset(self.text, mark.index());
        let max = self.text.len().saturating_sub(offset);
        Span {
            offset,
            len: len.min(max),
            line: mark.line(),
            column: mark.col() + 1,
        }
    }

    /// The span of a scalar token starting at `mark`, measured on the source line.
    fn scalar_span(&mut self, mark: Marker, style: TScalarStyle, value: &str) -> Span {
        let start = self.span_at(mark, 0);
        let rest = &self.text[start.offset..];
        let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..line_end];
        let len = match style {
            TScalarStyle::SingleQuoted => closing_quote(line, '\'').unwrap_or(line.len()),
            TScalarStyle::DoubleQuoted => closing_quote(line, '"').unwrap_or(line.len()),
            TScalarStyle::Literal | TScalarStyle::Folded => 1,
            TScalarStyle::Plain => value.len().min(line.len()),
        };
        Span {
            len: len.max(1).min(rest.len()),
            ..start
        }
    }

    fn fail(&mut self, e: YamlError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn push_node(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                Some(key) => {
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.value == key.value) {
                        let e = YamlError::DuplicateKey {
                            key: key.value.clone(),
                            first: first.span,
                            second: key.span,
                        };
                        self.fail(e);
                    } else {
                        entries.push((key, node));
                    }
                }
                None => match node {
                    Node::Scalar(key) => *pending_key = Some(key),
                    other => {
                        let span = other.span();
                        self.fail(YamlError::ComplexKey { span });
                    }
                },
            },
        }
    }
}

/// Converts yaml-rust2's character indices to byte offsets. Markers arrive in nearly increasing
/// order, so a cursor makes the conversion linear over the file; ASCII text needs none.
struct CharOffsets {
    ascii: bool,
    char_index: usize,
    byte_offset: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        Self {
            ascii: text.is_ascii(),
            char_index: 0,
            byte_offset: 0,
        }
    }

    fn byte_offset(&mut self, text: &str, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(text.len());
        }
        if char_index < self.char_index {
            self.char_index = 0;
            self.byte_offset = 0;
        }
        let rest = &text[self.byte_offset..];
        let step = char_index - self.char_index;
        let advance = rest.char_indices().nth(step).map_or(rest.len(), |(i, _)| i);
        self.char_index = char_index;
        self.byte_offset += advance;
        self.byte_offset
    }
}

/// Byte length up to and including the closing quote of a quoted scalar starting at `line[0]`.
fn closing_quote(line: &str, quote: char) -> Option<usize> {
    let mut chars = line.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && matches!(chars.peek(), Some((_, '\''))) {
                chars.next();
            } else {
                return Some(i + c.len_utf8());
            }
        }
    }
    None
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    let span = self.span_at(mark, 3);
                    self.fail(YamlError::MultipleDocuments { span });
                }
            }
            Event::Alias(_) => {
                let span = self.span_at(mark, 1);
                self.fail(YamlError::Anchor { span });
            }
            Event::Scalar(value, style, anchor, tag) => {
                let span = self.scalar_span(mark, style, &value);
                if anchor != 0 {
                    self.fail(YamlError::Anchor { span });
                } else if tag.is_some() {
                    self.fail(YamlError::Tag { span });
                } else {
                    let plain = matches!(style, TScalarStyle::Plain);
                    self.push_node(Node::Scalar(Scalar { value, plain, span }));
                }
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if anchor != 0 || tag.is_some() =>
            {
                let span = self.span_at(mark, 1);
                if anchor != 0 {
                    self.fail(YamlError::Anchor { span });
                } else {
                    self.fail(YamlError::Tag { span });
                }
            }
            Event::SequenceStart(..) => {
                let span = self.span_at(mark, 1);
                self.stack.push(Frame::Sequence {
                    items: Vec::new(),
                    span,
                });
            }
            Event::MappingStart(..) => {
                let span = self.span_at(mark, 1);
                self.stack.push(Frame::Mapping {
                    entries: Vec::new(),
                    pending_key: None,
                    span,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Sequence { items, span }) => Node::Sequence { items, span },
                    Some(Frame::Mapping { entries, span, .. }) => Node::Mapping { entries, span },
                    None => return,
                };
                self.push_node(node);
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_follow_the_yaml_1_2_core_schema() {
        let node = parse(
            "a: 90\nb: '90'\nc: true\nd: yes\ne: ~\nf: 1.5\ng: 0x10\nh: \"x\"\ni:\nj: -3\nk: 1e3\nl: .5.5\n",
        )
        .unwrap();
        assert_eq!(
            node.to_json(),
            json!({"a": 90, "b": "90", "c": true, "d": "yes", "e": null, "f": 1.5, "g": 16,
                   "h": "x", "i": null, "j": -3, "k": 1000.0, "l": ".5.5"})
        );
    }

    #[test]
    fn spans_point_at_the_value() {
        let text = "version: 1\nusers:\n  alice:\n    comment: 'hi there'\n";
        let node = parse(text).unwrap();
        let comment = node
            .get("users")
            .unwrap()
            .get("alice")
            .unwrap()
            .entry("comment")
            .unwrap();
        assert_eq!((comment.0.span.line, comment.0.span.column), (4, 5));
        let v = comment.1.span();
        assert_eq!((v.line, v.column), (4, 14));
        assert_eq!(&text[v.offset..v.offset + v.len], "'hi there'");
    }

    #[test]
    fn multibyte_text_keeps_byte_offsets_right() {
        let text = "a: 'é'\nb: x\n";
        let node = parse(text).unwrap();
        let b = node.get("b").unwrap().span();
        assert_eq!(&text[b.offset..b.offset + b.len], "x");
    }

    #[test]
    fn strict_inputs_are_refused_with_a_location() {
        assert!(matches!(
            parse("a: &x 1\nb: *x\n"),
            Err(YamlError::Anchor { span }) if span.line == 1
        ));
        assert!(matches!(parse("a: !!str 1\n"), Err(YamlError::Tag { .. })));
        assert!(matches!(
            parse("a: 1\na: 2\n"),
            Err(YamlError::DuplicateKey { first, second, .. }) if first.line == 1 && second.line == 2
        ));
        assert!(matches!(
            parse("a: 1\n---\nb: 2\n"),
            Err(YamlError::MultipleDocuments { .. })
        ));
        assert!(matches!(
            parse("? [a]\n: 1\n"),
            Err(YamlError::ComplexKey { .. })
        ));
        assert_eq!(parse("# only a comment\n"), Err(YamlError::Empty));
        assert!(matches!(parse("a: [1\n"), Err(YamlError::Syntax { .. })));
        assert!(matches!(parse("a: *undefined\n"), Err(_)));
    }
}

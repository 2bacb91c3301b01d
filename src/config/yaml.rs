//! A YAML tree that remembers where every node came from.
//!
//! `pats.yaml` errors must name a line and column, so the file is parsed into this small tree
//! (scalars, sequences, mappings, each with a [`Span`]) before anything else looks at it. The
//! tree is deliberately strict: anchors, aliases, merge keys (`<<`), tags and multiple documents
//! are refused with a located error rather than expanded, because a declarative file that hides
//! values behind references is hard to review (a reviewer must see what a token gets where the
//! token is), and aliases are how "billion laughs" files explode. Duplicate keys are reported
//! too; the tree keeps the first so that later checks can still run.
//!
//! Scalars are typed by YAML 1.2's core schema when converted to JSON ([`Node::to_json`]):
//! only plain scalars become numbers, booleans or null; quoted scalars stay strings.

use std::collections::HashMap;

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

impl Span {
    /// The span of `len` bytes at byte `offset` of `text`, with its line and column counted as
    /// the YAML parser counts them: lines break at `\n`, `\r\n` or a lone `\r`; columns count
    /// characters from 1. `offset` must be a char boundary of `text`.
    pub fn locate(text: &str, offset: usize, len: usize) -> Span {
        let before = &text.as_bytes()[..offset];
        let mut line = 1;
        let mut line_start = 0;
        for (i, b) in before.iter().enumerate() {
            if *b == b'\n' || (*b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n')) {
                line += 1;
                line_start = i + 1;
            }
        }
        Span {
            offset,
            len,
            line,
            column: text[line_start..offset].chars().count() + 1,
        }
    }
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
    /// A YAML merge key (`<<`).
    MergeKey { span: Span },
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
    /// Sequences and mappings nested deeper than [`MAX_DEPTH`]; parsing stops there.
    TooDeep { span: Span, limit: usize },
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
            Node::Scalar(s) => match s.typed() {
                Typed::Null => "null",
                Typed::Bool(_) => "a boolean",
                Typed::Int(_) | Typed::Float(_) => "a number",
                Typed::Str(_) => "a string",
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

/// A scalar's value as YAML 1.2's core schema types it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Typed<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// A finite float; an overflowing one (`1e400`) stays a string.
    Float(f64),
    Str(&'a str),
}

impl Scalar {
    /// The value as YAML 1.2's core schema types it: only plain scalars become null, booleans or
    /// numbers; quoted ones are always strings. Allocates nothing, so it may be called often.
    pub fn typed(&self) -> Typed<'_> {
        let v = self.value.as_str();
        if !self.plain {
            return Typed::Str(v);
        }
        match v {
            "" | "~" | "null" | "Null" | "NULL" => return Typed::Null,
            "true" | "True" | "TRUE" => return Typed::Bool(true),
            "false" | "False" | "FALSE" => return Typed::Bool(false),
            _ => {}
        }
        if let Some(n) = parse_int(v) {
            return Typed::Int(n);
        }
        if is_float(v) {
            if let Some(f) = v.parse::<f64>().ok().filter(|f| f.is_finite()) {
                return Typed::Float(f);
            }
        }
        Typed::Str(v)
    }
}

/// YAML 1.2 core schema typing of a scalar, as JSON.
pub fn scalar_to_json(s: &Scalar) -> serde_json::Value {
    use serde_json::Value;
    match s.typed() {
        Typed::Null => Value::Null,
        Typed::Bool(b) => Value::Bool(b),
        Typed::Int(i) => Value::Number(i.into()),
        Typed::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        Typed::Str(v) => Value::String(v.to_owned()),
    }
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

/// A parsed document: the tree, and the problems that did not stop it from being built.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub root: Node,
    /// Duplicate keys, in file order; the tree keeps the first of each.
    pub problems: Vec<YamlError>,
}

/// Parses one YAML document into a [`Node`] tree.
///
/// Every refusal is collected rather than only the first, so that one run shows all of them;
/// on `Err` the list is in file order and never empty.
pub fn parse(text: &str) -> Result<Document, Vec<YamlError>> {
    let mut builder = Builder {
        text,
        cursor: Cursor::new(),
        stack: Vec::new(),
        root: None,
        fatal: Vec::new(),
        problems: Vec::new(),
        documents: 0,
    };
    let mut parser = Parser::new_from_str(text);
    let syntax = drive(&mut parser, &mut builder).err();
    if let Some(e) = syntax {
        let span = builder.span_at(*e.marker(), 1);
        builder.fatal.push(YamlError::Syntax {
            message: e.info().to_owned(),
            span,
        });
    }
    let mut errors = builder.fatal;
    match builder.root {
        Some(root) if errors.is_empty() => Ok(Document {
            root,
            problems: builder.problems,
        }),
        None if errors.is_empty() && builder.problems.is_empty() => Err(vec![YamlError::Empty]),
        _ => {
            errors.extend(builder.problems);
            errors.sort_by_key(|e| e.span().map_or(0, |s| s.offset));
            Err(errors)
        }
    }
}

/// How deep sequences and mappings may nest. A pats.yaml nests at most eight levels
/// (`users.U.tokens.T.deliver[0].command.args`); the cap keeps every walk of the tree (the
/// schema check, the model, dropping it) far from the stack's end.
pub const MAX_DEPTH: usize = 64;

/// Feeds the parser's events to the builder one at a time, stopping at [`MAX_DEPTH`].
///
/// yaml-rust2's own `Parser::load` recurses once per nesting level and caps only flow
/// collections (at 255), so a block sequence nested 100,000 deep on one line overflowed the
/// stack before any check ran. Pulling events in a loop keeps the parser itself iterative;
/// the builder's stack is a `Vec`.
fn drive(
    parser: &mut Parser<std::str::Chars<'_>>,
    builder: &mut Builder<'_>,
) -> Result<(), yaml_rust2::ScanError> {
    let mut depth = 0usize;
    loop {
        let (event, mark) = parser.next_token()?;
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let span = builder.span_at(mark, 1);
                    builder.fatal.push(YamlError::TooDeep {
                        span,
                        limit: MAX_DEPTH,
                    });
                    return Ok(());
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        let end = matches!(event, Event::StreamEnd);
        builder.on_event(event, mark);
        if end {
            return Ok(());
        }
    }
}

impl YamlError {
    /// Where the problem is; `None` for [`YamlError::Empty`].
    pub fn span(&self) -> Option<Span> {
        match self {
            YamlError::Syntax { span, .. }
            | YamlError::Anchor { span }
            | YamlError::Tag { span }
            | YamlError::MergeKey { span }
            | YamlError::ComplexKey { span }
            | YamlError::MultipleDocuments { span }
            | YamlError::TooDeep { span, .. } => Some(*span),
            YamlError::DuplicateKey { second, .. } => Some(*second),
            YamlError::Empty => None,
        }
    }
}

/// Mappings with more entries than this find duplicate keys through a hash index instead of a
/// scan, so that a 10,000-user `users:` stays linear.
const INDEX_FROM: usize = 16;

enum Frame {
    Sequence {
        items: Vec<Node>,
        span: Span,
        /// `&` or `!` when the sequence carries a refused anchor or tag.
        refused: Option<char>,
    },
    Mapping {
        entries: Vec<(Scalar, Node)>,
        index: Option<HashMap<String, usize>>,
        pending_key: Option<Scalar>,
        span: Span,
        refused: Option<char>,
    },
}

struct Builder<'t> {
    text: &'t str,
    cursor: Cursor,
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Problems that make the tree untrustworthy (anchors, tags, complex keys, documents).
    fatal: Vec<YamlError>,
    /// Problems the tree survives (duplicate keys).
    problems: Vec<YamlError>,
    documents: usize,
}

impl Builder<'_> {
    /// Converts a parser marker to a span of `chars` characters, clamped to the text.
    fn span_at(&mut self, mark: Marker, chars: usize) -> Span {
        let (offset, line, column) = self.cursor.seek(self.text, mark.index());
        let rest = &self.text[offset..];
        let len = rest
            .char_indices()
            .nth(chars)
            .map_or(rest.len(), |(i, _)| i);
        Span {
            offset,
            len,
            line,
            column,
        }
    }

    /// The span of a scalar token starting at `mark`, measured on the source line.
    fn scalar_span(&mut self, mark: Marker, style: TScalarStyle, value: &str) -> Span {
        let start = self.span_at(mark, 1);
        let rest = &self.text[start.offset..];
        // Never scan to the end of the line: a 120 KB line of 40,000 scalars made that
        // quadratic. Each scalar looks only as far as its own text.
        let line_len = |rest: &str| rest.find(['\n', '\r']).unwrap_or(rest.len());
        let len = match style {
            TScalarStyle::SingleQuoted => {
                closing_quote(rest, '\'').unwrap_or_else(|| line_len(rest))
            }
            TScalarStyle::DoubleQuoted => {
                closing_quote(rest, '"').unwrap_or_else(|| line_len(rest))
            }
            TScalarStyle::Literal | TScalarStyle::Folded => 0,
            TScalarStyle::Plain => {
                let own = &rest[..floor_char_boundary(rest, value.len())];
                line_len(own)
            }
        };
        // At least the first character, so that even an empty scalar has something to underline.
        Span {
            len: len.max(start.len),
            ..start
        }
    }

    /// The span of the anchor (`&a`, `sigil` `&`) or tag (`!t`, `sigil` `!`) written before the
    /// node at `node`; the node's own span when it cannot be found. The parser reports the node,
    /// not its properties, but the finding belongs on the property.
    fn property_span(&self, node: Span, sigil: char) -> Span {
        let mut before = &self.text[..node.offset];
        let start = loop {
            let trimmed = before.trim_end();
            let start = trimmed.rfind(char::is_whitespace).map_or(0, |i| {
                i + trimmed[i..].chars().next().map_or(1, char::len_utf8)
            });
            let token = &trimmed[start..];
            if token.starts_with(sigil) {
                break Some(start);
            } else if token.starts_with(['&', '!']) || token == "-" {
                before = &trimmed[..start];
            } else {
                break None;
            }
        };
        let Some(start) = start else {
            return node;
        };
        let token = &self.text[start..];
        let len = token.find(char::is_whitespace).unwrap_or(token.len());
        // Count lines and columns from the node backwards: the distance is a few characters, so
        // this stays cheap however large the file is.
        let between = &self.text[start..node.offset];
        let breaks = Span::locate(between, between.len(), 0).line - 1;
        if breaks == 0 {
            Span {
                offset: start,
                len,
                line: node.line,
                column: node.column - between.chars().count(),
            }
        } else {
            let line_start = self.text[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
            Span {
                offset: start,
                len,
                line: node.line - breaks,
                column: self.text[line_start..start].chars().count() + 1,
            }
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
                index,
                pending_key,
                span,
                ..
            }) => match pending_key.take() {
                Some(key) => {
                    let first = match index {
                        Some(index) => index.get(&key.value).map(|&i| &entries[i].0),
                        None => entries
                            .iter()
                            .map(|(k, _)| k)
                            .find(|k| k.value == key.value),
                    };
                    if let Some(first) = first {
                        self.problems.push(YamlError::DuplicateKey {
                            key: key.value.clone(),
                            first: first.span,
                            second: key.span,
                        });
                        return;
                    }
                    if let Some(index) = index {
                        index.insert(key.value.clone(), entries.len());
                    }
                    entries.push((key, node));
                    if index.is_none() && entries.len() >= INDEX_FROM {
                        *index = Some(
                            entries
                                .iter()
                                .enumerate()
                                .map(|(i, (k, _))| (k.value.clone(), i))
                                .collect(),
                        );
                    }
                }
                None => match node {
                    Node::Scalar(key) if key.plain && key.value == "<<" => {
                        let span = key.span;
                        self.fatal.push(YamlError::MergeKey { span });
                        // Keep the pair's shape so that the value does not become a key.
                        *pending_key = Some(key);
                    }
                    Node::Scalar(key) => {
                        // yaml-rust2 marks a block mapping one character into its first key;
                        // the mapping starts where that key does.
                        if entries.is_empty() && key.span.offset < span.offset {
                            *span = Span {
                                offset: key.span.offset,
                                len: key
                                    .span
                                    .len
                                    .min(key.value.chars().next().map_or(1, char::len_utf8)),
                                line: key.span.line,
                                column: key.span.column,
                            };
                        }
                        *pending_key = Some(key);
                    }
                    other => {
                        let span = other.span();
                        self.fatal.push(YamlError::ComplexKey { span });
                        *pending_key = Some(Scalar {
                            value: String::new(),
                            plain: false,
                            span,
                        });
                    }
                },
            },
        }
    }
}

/// The largest char boundary of `s` at or below `len`.
fn floor_char_boundary(s: &str, len: usize) -> usize {
    let mut len = len.min(s.len());
    while !s.is_char_boundary(len) {
        len -= 1;
    }
    len
}

/// Turns yaml-rust2's character indices into byte offsets, lines and columns.
///
/// Lines and columns are counted here rather than taken from the parser's markers, which are
/// off at the end of a file without a final newline; counting from the offset keeps every span
/// self-consistent. Markers arrive in nearly increasing order (a block mapping's start comes one
/// character after its first key), so the cursor walks forward through the file once and steps
/// back only a little: linear over the file, even when it is not ASCII.
struct Cursor {
    char_index: usize,
    byte: usize,
    line: usize,
    /// Characters between the start of the line and `byte`.
    column: usize,
}

impl Cursor {
    fn new() -> Self {
        Self {
            char_index: 0,
            byte: 0,
            line: 1,
            column: 0,
        }
    }

    /// Moves to character `char_index` (clamped to the end of the text) and returns the byte
    /// offset, 1-based line and 1-based column there.
    fn seek(&mut self, text: &str, char_index: usize) -> (usize, usize, usize) {
        let bytes = text.as_bytes();
        while self.char_index < char_index && self.byte < text.len() {
            // `byte` is always on a char boundary, so its byte says how long the character is.
            let b = bytes[self.byte];
            let next = self.byte
                + match b {
                    0x00..=0x7f => 1,
                    0xf0..=0xff => 4,
                    0xe0..=0xef => 3,
                    _ => 2,
                };
            let breaks = b == b'\n' || (b == b'\r' && bytes.get(next) != Some(&b'\n'));
            self.byte = next;
            self.char_index += 1;
            if breaks {
                self.line += 1;
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
        if self.char_index > char_index {
            let mut recount = false;
            while self.char_index > char_index {
                let c = text[..self.byte].chars().next_back().unwrap_or_default();
                self.byte -= c.len_utf8();
                self.char_index -= 1;
                let breaks = c == '\n' || (c == '\r' && bytes.get(self.byte + 1) != Some(&b'\n'));
                if breaks {
                    self.line -= 1;
                    recount = true;
                } else {
                    self.column = self.column.saturating_sub(1);
                }
            }
            if recount {
                let line_start = line_start(text, self.byte);
                self.column = text[line_start..self.byte].chars().count();
            }
        }
        (self.byte, self.line, self.column + 1)
    }
}

/// The byte offset where the line holding byte `offset` starts.
fn line_start(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = offset;
    while i > 0 {
        let b = bytes[i - 1];
        if b == b'\n' || (b == b'\r' && bytes.get(i) != Some(&b'\n')) {
            break;
        }
        i -= 1;
    }
    i
}

/// Byte length up to and including the closing quote of a quoted scalar starting at `line[0]`;
/// `None` when the line ends first.
fn closing_quote(line: &str, quote: char) -> Option<usize> {
    let mut chars = line.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '\n' | '\r') {
            return None;
        }
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
    /// Builds the tree. A refused construct is recorded and then treated as if it were not
    /// there (an alias becomes null), so that parsing goes on and finds the next one.
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    let span = self.span_at(mark, 3);
                    self.fatal.push(YamlError::MultipleDocuments { span });
                }
            }
            _ if self.documents > 1 => {}
            Event::Alias(_) => {
                let mut span = self.span_at(mark, 1);
                // Underline the whole `*name`: it ends at a space, a line break or flow punctuation.
                let rest = &self.text[span.offset..];
                span.len = rest
                    .char_indices()
                    .skip(1)
                    .find(|(_, c)| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
                    .map_or(rest.len(), |(i, _)| i);
                self.fatal.push(YamlError::Anchor { span });
                self.push_node(Node::Scalar(Scalar {
                    value: String::new(),
                    plain: true,
                    span,
                }));
            }
            Event::Scalar(value, style, anchor, tag) => {
                let span = self.scalar_span(mark, style, &value);
                if anchor != 0 {
                    let span = self.property_span(span, '&');
                    self.fatal.push(YamlError::Anchor { span });
                } else if tag.is_some() {
                    let span = self.property_span(span, '!');
                    self.fatal.push(YamlError::Tag { span });
                }
                let plain = matches!(style, TScalarStyle::Plain);
                self.push_node(Node::Scalar(Scalar { value, plain, span }));
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let span = self.span_at(mark, 1);
                // Located when the node ends: only then is its own start known for sure.
                let refused = if anchor != 0 {
                    Some('&')
                } else {
                    tag.as_ref().map(|_| '!')
                };
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Sequence {
                        items: Vec::new(),
                        span,
                        refused,
                    }
                } else {
                    Frame::Mapping {
                        entries: Vec::new(),
                        index: None,
                        pending_key: None,
                        span,
                        refused,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                // Lists grow by doubling; trimming the slack once a node is complete took the
                // tree of the 10,000-user benchmark file from 107 MB to 72 MB.
                let (node, refused) = match self.stack.pop() {
                    Some(Frame::Sequence {
                        mut items,
                        span,
                        refused,
                    }) => {
                        items.shrink_to_fit();
                        (Node::Sequence { items, span }, refused)
                    }
                    Some(Frame::Mapping {
                        mut entries,
                        span,
                        refused,
                        ..
                    }) => {
                        entries.shrink_to_fit();
                        (Node::Mapping { entries, span }, refused)
                    }
                    None => return,
                };
                match refused {
                    Some('&') => {
                        let span = self.property_span(node.span(), '&');
                        self.fatal.push(YamlError::Anchor { span });
                    }
                    Some(_) => {
                        let span = self.property_span(node.span(), '!');
                        self.fatal.push(YamlError::Tag { span });
                    }
                    None => {}
                }
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

    fn tree(text: &str) -> Node {
        parse(text).unwrap().root
    }

    /// The kind, line and column of each refusal.
    fn refusals(text: &str) -> Vec<(&'static str, usize, usize)> {
        parse(text)
            .unwrap_err()
            .iter()
            .map(|e| {
                let kind = match e {
                    YamlError::Syntax { .. } => "syntax",
                    YamlError::Anchor { .. } => "anchor",
                    YamlError::Tag { .. } => "tag",
                    YamlError::MergeKey { .. } => "merge",
                    YamlError::ComplexKey { .. } => "complex",
                    YamlError::DuplicateKey { .. } => "duplicate",
                    YamlError::MultipleDocuments { .. } => "documents",
                    YamlError::TooDeep { .. } => "deep",
                    YamlError::Empty => "empty",
                };
                let span = e.span().unwrap_or_default();
                (kind, span.line, span.column)
            })
            .collect()
    }

    #[test]
    fn nesting_beyond_the_cap_stops_with_a_located_error_not_a_stack_overflow() {
        // 100,000 levels on one line: yaml-rust2's recursive loader overflowed the stack.
        let text = format!("version: 1\nusers:\n  {}x\n", "- ".repeat(100_000));
        assert_eq!(refusals(&text), [("deep", 3, 3 + 2 * MAX_DEPTH - 2)]);
        let flow = format!(
            "a: {}1{}\n",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(refusals(&flow), [("deep", 1, 4 + MAX_DEPTH - 1)]);
        let ok = format!(
            "a: {}1{}\n",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn scalars_follow_the_yaml_1_2_core_schema() {
        let node = tree(
            "a: 90\nb: '90'\nc: true\nd: yes\ne: ~\nf: 1.5\ng: 0x10\nh: \"x\"\ni:\nj: -3\nk: 1e3\nl: .5.5\n",
        );
        assert_eq!(
            node.to_json(),
            json!({"a": 90, "b": "90", "c": true, "d": "yes", "e": null, "f": 1.5, "g": 16,
                   "h": "x", "i": null, "j": -3, "k": 1000.0, "l": ".5.5"})
        );
    }

    #[test]
    fn spans_point_at_the_value() {
        let text = "version: 1\nusers:\n  alice:\n    comment: 'hi there'\n";
        let node = tree(text);
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
        let text = "a: 'é'\nb: é\nc: x\n";
        let node = tree(text);
        let b = node.get("b").unwrap().span();
        assert_eq!(&text[b.offset..b.offset + b.len], "é");
        let c = node.get("c").unwrap().span();
        assert_eq!(&text[c.offset..c.offset + c.len], "x");
        assert_eq!((c.line, c.column), (3, 4));
    }

    #[test]
    fn a_syntax_error_after_a_multibyte_character_is_a_whole_character() {
        let text = "''é";
        let errors = parse(text).unwrap_err();
        let span = errors[0].span().unwrap();
        assert_eq!(&text[span.offset..span.offset + span.len], "é");
    }

    #[test]
    fn strict_inputs_are_refused_with_a_location() {
        assert_eq!(
            refusals("a: &x 1\nb: *x\n"),
            [("anchor", 1, 4), ("anchor", 2, 4)]
        );
        assert_eq!(refusals("a: &x\n  b: 1\n"), [("anchor", 1, 4)]);
        assert_eq!(refusals("a: &x !!map\n  b: 1\n"), [("anchor", 1, 4)]);
        assert_eq!(refusals("a: !!str 1\n"), [("tag", 1, 4)]);
        assert_eq!(refusals("a:\n  <<: {b: 1}\n"), [("merge", 2, 3)]);
        assert_eq!(refusals("a: 1\n---\nb: 2\n"), [("documents", 2, 1)]);
        assert_eq!(refusals("? [a]\n: 1\n"), [("complex", 1, 3)]);
        assert_eq!(refusals("a: [1\n"), [("syntax", 2, 1)]);
        assert_eq!(refusals("a: *undefined\n"), [("syntax", 1, 4)]);
        assert_eq!(parse("# only a comment\n"), Err(vec![YamlError::Empty]));
        assert_eq!(parse(""), Err(vec![YamlError::Empty]));
    }

    #[test]
    fn every_refusal_is_reported_not_only_the_first() {
        assert_eq!(
            refusals("a: &x {b: 1}\nc:\n  <<: *x\nd: !t 1\n"),
            [
                ("anchor", 1, 4),
                ("merge", 3, 3),
                ("anchor", 3, 7),
                ("tag", 4, 4)
            ]
        );
    }

    #[test]
    fn duplicate_keys_keep_the_first_value_and_are_reported() {
        let doc = parse("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(doc.root.to_json(), json!({"a": 1, "b": 2}));
        assert!(matches!(
            doc.problems.as_slice(),
            [YamlError::DuplicateKey { key, first, second }]
                if key == "a" && first.line == 1 && second.line == 3
        ));
    }

    #[test]
    fn large_mappings_find_duplicates_through_the_index() {
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k3: again\nk39: again\n");
        let doc = parse(&text).unwrap();
        let lines: Vec<usize> = doc
            .problems
            .iter()
            .map(|e| e.span().unwrap().line)
            .collect();
        assert_eq!(lines, [41, 42]);
        assert_eq!(doc.root.entries().len(), 40);
    }
}

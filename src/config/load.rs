//! Loading `pats.yaml`: text to a typed [`Config`] plus every problem found, each located.
//!
//! The steps, each reporting all it finds before the next runs:
//! 1. parse the text into a spanned YAML tree ([`super::yaml`]); refuse what a reviewed file
//!    should not use (anchors, tags, duplicate keys);
//! 2. check the tree against the JSON Schema ([`super::schema`]), the same one editors use,
//!    turning each schema error into a diagnostic with a hint (`schema_errors.rs`, with the
//!    did-you-mean of `hints.rs`); the tree is read in place ([`super::instance`]), never
//!    copied into JSON;
//! 3. look for names that collide after case folding (`names.rs`), and for secrets
//!    ([`super::leak`]);
//! 4. build the typed model and run the semantic rules ([`super::rules`]), which locate their
//!    findings through [`super::source_index`].
//!
//! Only I/O failures are errors of this module; problems in the file are diagnostics.

use std::path::Path;

use serde::Deserialize;

use super::diagnostic::{Diagnostic, Rule, Severity};
use super::error::LoadError;
use super::instance;
use super::leak;
use super::names;
use super::rules;
use super::schema_errors;
use super::source_index::SourceIndex;
use super::tree_path::{Seg, display_path, node_at};
use super::yaml::{self, Node, Scalar, Span, YamlError};
use crate::model::desired::Config;

/// Largest file `load` reads. A generated 10,000-user file is about 10 MiB.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// A loaded file: the model when the file is sound, and every diagnostic.
#[derive(Debug)]
pub struct Loaded {
    /// The name diagnostics show (the path as given).
    pub name: String,
    /// The source text with anything secret-looking masked, for rendering source lines; without
    /// a leading byte-order mark. Spans index into it (masking keeps every byte offset).
    pub source: String,
    /// The typed model; `None` when errors made the file unreadable as a model.
    pub config: Option<Config>,
    /// Findings, ordered by position in the file: at most [`MAX_FINDINGS_PER_RULE`] of each
    /// rule.
    pub diagnostics: Vec<Diagnostic>,
    /// How many findings of each rule were left out of `diagnostics` beyond the first
    /// [`MAX_FINDINGS_PER_RULE`], in rule order; they still count as errors or warnings.
    pub omitted: Vec<(Rule, usize)>,
}

/// The most findings of one rule a load keeps. A 120 KB line of duplicate keys held 20,000
/// findings, each quoting that line: 1.7 GB of text. The first few show the pattern; the rest
/// are counted ([`Loaded::omitted`]).
pub const MAX_FINDINGS_PER_RULE: usize = 20;

impl Loaded {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    pub fn has_errors(&self) -> bool {
        self.errors() > 0
    }

    fn count(&self, severity: Severity) -> usize {
        let shown = self
            .diagnostics
            .iter()
            .filter(|d| d.severity() == severity)
            .count();
        let omitted: usize = self
            .omitted
            .iter()
            .filter(|(rule, _)| rule.severity() == severity)
            .map(|(_, n)| n)
            .sum();
        shown + omitted
    }
}

/// Keeps the first [`MAX_FINDINGS_PER_RULE`] findings of each rule (in file order) and counts
/// the rest.
fn cap_per_rule(diagnostics: &mut Vec<Diagnostic>) -> Vec<(Rule, usize)> {
    let mut seen: std::collections::BTreeMap<Rule, usize> = std::collections::BTreeMap::new();
    diagnostics.retain(|d| {
        let n = seen.entry(d.rule).or_default();
        *n += 1;
        *n <= MAX_FINDINGS_PER_RULE
    });
    seen.into_iter()
        .filter(|&(_, n)| n > MAX_FINDINGS_PER_RULE)
        .map(|(rule, n)| (rule, n - MAX_FINDINGS_PER_RULE))
        .collect()
}

/// Reads and checks a file.
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_error)?;
    let name = path.display().to_string();
    if meta.len() > MAX_FILE_BYTES {
        return Ok(too_large(name, meta.len()));
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(load_str(&name, &text)),
        Err(e) => Ok(not_utf8(name, e)),
    }
}

/// A file that is not UTF-8: one finding at the first bad byte. The source kept for rendering
/// is the valid text before it with control characters blanked, so that a binary file never
/// sends terminal escapes to the screen.
fn not_utf8(name: String, e: std::string::FromUtf8Error) -> Loaded {
    let valid = e.utf8_error().valid_up_to();
    let bytes = e.into_bytes();
    let byte = bytes.get(valid).copied().unwrap_or_default();
    let source: String = String::from_utf8_lossy(&bytes[..valid])
        .chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let d = Diagnostic::new(
        Rule::YamlSyntax,
        "",
        format!(
            "the file is not UTF-8 text: byte 0x{byte:02x} at offset {valid} is not valid UTF-8"
        ),
    )
    .at(Some(Span::locate(&source, valid, 0)))
    .hint("pats.yaml must be UTF-8 encoded YAML; is this the right file?");
    Loaded {
        name,
        source,
        config: None,
        diagnostics: vec![d],
        omitted: Vec::new(),
    }
}

fn too_large(name: String, len: u64) -> Loaded {
    let d = Diagnostic::new(
        Rule::FileTooLarge,
        "",
        format!(
            "the file is {:.1} MiB; pat-reconcile reads files up to {} MiB",
            len as f64 / (1024.0 * 1024.0),
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    )
    .hint("split the account into several files, one per team, each planned on its own");
    Loaded {
        name,
        source: String::new(),
        config: None,
        diagnostics: vec![d],
        omitted: Vec::new(),
    }
}

/// Checks text that came from `name`.
pub fn load_str(name: &str, text: &str) -> Loaded {
    if text.len() as u64 > MAX_FILE_BYTES {
        return too_large(name.to_owned(), text.len() as u64);
    }
    // A byte-order mark is invisible in editors, and the YAML parser would read it as part of
    // the first key; drop it, so that keys and columns are what the user sees.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut diagnostics = Vec::new();
    let tree = match yaml::parse(text) {
        Ok(doc) => {
            diagnostics.extend(doc.problems.into_iter().map(yaml_diagnostic));
            Some(doc.root)
        }
        Err(errors) => {
            diagnostics.extend(errors.into_iter().map(yaml_diagnostic));
            None
        }
    };
    let leaks = leak::scan(text, tree.as_ref());
    for l in &leaks {
        diagnostics.push(
            Diagnostic::new(
                Rule::SecretInFile,
                "",
                format!(
                    "this looks like a {} (`{}…`, {} characters)",
                    l.kind, l.preview, l.len
                ),
            )
            .at(Some(l.span))
            .hint("remove it from the file and revoke it; pats.yaml says where secrets go (`deliver`), never what they are"),
        );
    }
    // Duplicate keys leave a usable tree, so the checks below still run, but the file is not
    // sound enough to build a model from.
    let sound_yaml = diagnostics.iter().all(|d| d.rule != Rule::DuplicateKey);

    let mut config = None;
    match &tree {
        None => {}
        Some(Node::Scalar(s)) if s.typed() == yaml::Typed::Null => diagnostics.push(
            Diagnostic::new(Rule::EmptyFile, "", "the file's document is empty")
                .at(Some(s.span))
                .hint("start the file with `version: 1`; see examples/minimal.yaml"),
        ),
        Some(tree) if !matches!(tree, Node::Mapping { .. }) => diagnostics.push(
            Diagnostic::new(
                Rule::WrongType,
                "",
                format!("the file is {}, not a mapping", tree.describe()),
            )
            .at(Some(tree.span()))
            .hint("a pats.yaml file is a mapping that starts with `version: 1`"),
        ),
        Some(tree) => {
            let before = diagnostics.len();
            schema_errors::check_schema(tree, &mut diagnostics);
            names::check_duplicate_names(tree, &mut diagnostics);
            let sound = sound_yaml
                && diagnostics[before..]
                    .iter()
                    .all(|d| d.severity() != Severity::Error);
            if sound {
                // Tracking the path costs a string per key, so it is done only to locate a
                // failure, by deserializing a second time.
                match Config::deserialize(tree) {
                    Ok(c) => {
                        let index = SourceIndex::new(tree);
                        diagnostics.extend(rules::check(&c, &index));
                        config = Some(c);
                    }
                    Err(_) => {
                        if let Err(e) = serde_path_to_error::deserialize::<_, Config>(tree) {
                            diagnostics.push(model_error(tree, &e));
                        }
                    }
                }
            }
        }
    }

    // Other findings may quote a value that is also a secret (an invalid name, say); mask it.
    for d in &mut diagnostics {
        if d.rule != Rule::SecretInFile {
            leak::mask_in(d, text, &leaks);
        }
    }
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| (d.span.map_or(0, |s| s.offset), d.severity(), d.rule);
        key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
    });
    diagnostics.dedup();
    let omitted = cap_per_rule(&mut diagnostics);
    Loaded {
        name: name.to_owned(),
        source: leak::redact(text, &leaks),
        config,
        diagnostics,
        omitted,
    }
}

/// A value the schema accepts but the model does not: located through the deserializer's path.
///
/// The schema and the model are generated from the same types, so this is rare; the known case
/// is a whole number written with a fraction (`days_to_expiry: 30.0`), which JSON Schema counts
/// as an integer.
fn model_error(tree: &Node, e: &serde_path_to_error::Error<instance::DeError>) -> Diagnostic {
    use serde_path_to_error::Segment;
    let path: Vec<Seg> = e
        .path()
        .iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(Seg::Key(key.clone())),
            Segment::Seq { index } => Some(Seg::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect();
    // The deepest node the path reaches: the offending value, or its closest ancestor.
    let node = (0..=path.len())
        .rev()
        .find_map(|n| node_at(tree, &path[..n]))
        .unwrap_or(tree);
    let field = match path.last() {
        Some(Seg::Key(k)) => format!("`{k}`"),
        _ => "the value".to_owned(),
    };
    let d = Diagnostic::new(
        Rule::InvalidValue,
        display_path(&path),
        format!("{field}: {}", e.inner()),
    )
    .at(Some(node.span()));
    match node {
        Node::Scalar(s) if s.plain && s.value.contains('.') && scalar_is_number(s) => {
            d.hint(format!(
                "write a whole number without a decimal point, e.g. `{}`",
                s.value.split('.').next().unwrap_or_default()
            ))
        }
        _ => d,
    }
}

fn scalar_is_number(s: &Scalar) -> bool {
    matches!(s.typed(), yaml::Typed::Int(_) | yaml::Typed::Float(_))
}

fn yaml_diagnostic(e: YamlError) -> Diagnostic {
    match e {
        YamlError::Syntax { message, span } => {
            // yaml-rust2 stops at a nesting depth of a few hundred rather than overflow the
            // stack; pats.yaml never nests more than eight levels.
            let hint = if message.contains("recursion limit") {
                "pats.yaml nests a few levels deep; this file nests deeper than the YAML parser allows"
            } else {
                "check the indentation, that every `key:` is followed by a space, and that every `[` and `{` is closed"
            };
            Diagnostic::new(Rule::YamlSyntax, "", format!("invalid YAML: {message}"))
                .at(Some(span))
                .hint(hint)
        }
        YamlError::Anchor { span } => Diagnostic::new(
            Rule::YamlUnsupported,
            "",
            "YAML anchors and aliases (`&name`, `*name`) are not supported",
        )
        .at(Some(span))
        .hint(
            "write the value out where it applies; `defaults.token` covers shared token settings",
        ),
        YamlError::Tag { span } => Diagnostic::new(
            Rule::YamlUnsupported,
            "",
            "YAML tags (`!tag`) are not supported",
        )
        .at(Some(span))
        .hint("remove the tag; quote the value if it must be a string"),
        YamlError::MergeKey { span } => Diagnostic::new(
            Rule::YamlUnsupported,
            "",
            "YAML merge keys (`<<`) are not supported",
        )
        .at(Some(span))
        .hint(
            "write the values out where they apply; `defaults.token` covers shared token settings",
        ),
        YamlError::ComplexKey { span } => Diagnostic::new(
            Rule::YamlUnsupported,
            "",
            "a mapping key must be a plain name, not a list or mapping",
        )
        .at(Some(span)),
        YamlError::MultipleDocuments { span } => Diagnostic::new(
            Rule::YamlUnsupported,
            "",
            "the file holds more than one YAML document",
        )
        .at(Some(span))
        .hint("keep one document per file; remove the second `---`"),
        YamlError::DuplicateKey { key, first, second } => Diagnostic::new(
            Rule::DuplicateKey,
            "",
            format!("`{key}` appears twice in the same mapping"),
        )
        .at(Some(second))
        .related(first, "first defined here")
        .hint("merge the two entries; YAML would silently keep only the last one"),
        YamlError::TooDeep { span, limit } => Diagnostic::new(
            Rule::YamlUnsupported,
            "",
            format!("the file nests lists and mappings more than {limit} levels deep"),
        )
        .at(Some(span))
        .hint("pats.yaml nests at most eight levels; is this the right file?"),
        YamlError::Empty => Diagnostic::new(
            Rule::EmptyFile,
            "",
            "the file holds no YAML document (it is empty or only comments)",
        )
        .hint("start the file with `version: 1`; see examples/minimal.yaml"),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::cases::{Case, check, findings};
    use super::*;
    use crate::model::Identifier;

    /// Each file starts at line 1 after the opening `\n`; positions are `(line, column)`.
    pub const CASES: &[Case] = &[
        // --- yaml-syntax
        Case {
            name: "an unclosed flow list",
            rule: Rule::YamlSyntax,
            yaml: "\nversion: 1\nusers:\n  U: { roles: [A, B }\n",
            want: &[("yaml-syntax", 3, 21)],
        },
        Case {
            name: "a tab where indentation belongs",
            rule: Rule::YamlSyntax,
            yaml: "\nversion: 1\nusers:\n\tU: {}\n",
            want: &[("yaml-syntax", 3, 2)],
        },
        Case {
            name: "flow and block styles mixed correctly",
            rule: Rule::YamlSyntax,
            yaml: "\nversion: 1\nusers:\n  U: { roles: [A, B] }\n",
            want: &[],
        },
        // --- yaml-unsupported
        Case {
            name: "anchors, aliases, tags, merge keys",
            rule: Rule::YamlUnsupported,
            yaml: r#"
version: 1
defaults: { token: &t { days_to_expiry: 30 } }
users:
  U:
    comment: !!str hello
    tokens:
      T:
        <<: *t
"#,
            want: &[
                ("yaml-unsupported", 2, 20),
                ("yaml-unsupported", 5, 14),
                ("yaml-unsupported", 8, 9),
                ("yaml-unsupported", 8, 13),
            ],
        },
        Case {
            name: "a second document",
            rule: Rule::YamlUnsupported,
            yaml: "\nversion: 1\n---\nversion: 1\n",
            want: &[("yaml-unsupported", 2, 1)],
        },
        Case {
            name: "a mapping as a key",
            rule: Rule::YamlUnsupported,
            yaml: "\nversion: 1\n? { a: 1 }\n: x\n",
            want: &[("yaml-unsupported", 2, 3)],
        },
        Case {
            name: "ampersands, asterisks and `<<` inside strings",
            rule: Rule::YamlUnsupported,
            yaml: r#"
version: 1
users:
  U: { comment: "R&D team *primary* << key" }
"#,
            want: &[],
        },
        // --- empty-file
        Case {
            name: "nothing at all",
            rule: Rule::EmptyFile,
            yaml: "",
            want: &[("empty-file", 0, 0)],
        },
        Case {
            name: "only comments",
            rule: Rule::EmptyFile,
            yaml: "\n# yaml-language-server: $schema=schemas/pats.schema.json\n\n# version: 1\n",
            want: &[("empty-file", 0, 0)],
        },
        Case {
            name: "a document with no value",
            rule: Rule::EmptyFile,
            yaml: "\n---\n",
            want: &[("empty-file", 2, 1)],
        },
        Case {
            name: "the smallest valid file",
            rule: Rule::EmptyFile,
            yaml: "\nversion: 1\n",
            want: &[],
        },
        // --- unknown-key
        Case {
            name: "misspelt and invented keys at every level",
            rule: Rule::UnknownKey,
            yaml: r#"
version: 1
defualts: {}
users:
  U:
    typ: PERSON
    tokens:
      T:
        expires_in: 30
        deliver: [{ json_file: { path: c.json, pointer: /pat, mode: 600 } }]
"#,
            want: &[
                ("unknown-key", 2, 1),
                ("unknown-key", 5, 5),
                ("unknown-key", 8, 9),
                ("unknown-key", 9, 63),
            ],
        },
        Case {
            name: "an unknown sink kind",
            rule: Rule::WrongType,
            yaml: "\nversion: 1\nusers:\n  U:\n    tokens:\n      T: { deliver: [{ jsonfile: { path: c.json } }] }\n",
            want: &[("wrong-type", 5, 24)],
        },
        Case {
            name: "every key of the format",
            rule: Rule::UnknownKey,
            yaml: r#"
version: 1
defaults:
  token: { days_to_expiry: 30, rotate_before_expiry_days: 7, expire_rotated_token_after_hours: 1 }
network_rules:
  D.S.R: { type: IPV4, mode: INGRESS, value_list: [192.0.2.0/24], comment: c, absent: false }
network_policies:
  NP:
    allowed_network_rule_list: [D.S.R]
    blocked_network_rule_list: []
    allowed_ip_list: [192.0.2.0/24]
    blocked_ip_list: [192.0.2.7]
    comment: c
    absent: false
authentication_policies:
  D.S.AP:
    authentication_methods: [PROGRAMMATIC_ACCESS_TOKEN]
    client_types: [DRIVERS]
    client_policy: { JDBC_DRIVER: 3.25.0 }
    security_integrations: [ALL]
    mfa_enrollment: REQUIRED_PASSWORD_ONLY
    mfa_policy: { allowed_methods: [PASSKEY], enforce_mfa_on_external_authentication: NONE }
    pat_policy:
      default_expiry_in_days: 7
      max_expiry_in_days: 30
      network_policy_evaluation: ENFORCED_REQUIRED
      require_role_restriction_for_service_users: true
      require_role_restriction_for_person_users: false
      blocked_roles_list: [ACCOUNTADMIN]
    workload_identity_policy:
      allowed_providers: [AWS]
      allowed_aws_accounts: ["123456789012"]
      allowed_azure_issuers: []
      allowed_oidc_issuers: []
    comment: c
    absent: false
account:
  network_policy: NP
  authentication_policy: D.S.AP
  authentication_policy_for_service_users: D.S.AP
  authentication_policy_for_person_users: D.S.AP
users:
  U:
    type: PERSON
    default_role: R
    roles: [R]
    comment: c
    disabled: false
    network_policy: NP
    authentication_policy: D.S.AP
    unmanaged_tokens: keep
    tokens:
      T:
        role_restriction: R
        days_to_expiry: 30
        rotate_before_expiry_days: 7
        expire_rotated_token_after_hours: 0
        mins_to_bypass_network_policy_requirement: 10
        comment: c
        disabled: false
        deliver:
          - json_file: { path: a.json, pointer: /pat, format: "{secret}" }
          - dotenv_file: { path: .env, key: K, format: "{secret}" }
          - file: { path: t, format: "{secret}" }
          - command: { argv: [x], timeout_seconds: 5, format: "{secret}" }
"#,
            want: &[],
        },
        // --- missing-key
        Case {
            name: "no version, and a sink without its pointer",
            rule: Rule::MissingKey,
            yaml: r#"
users:
  U:
    tokens:
      T: { deliver: [{ json_file: { path: c.json } }] }
"#,
            want: &[("missing-key", 1, 1), ("missing-key", 4, 24)],
        },
        // --- wrong-type
        Case {
            name: "values of the wrong type",
            rule: Rule::WrongType,
            yaml: r#"
version: 1
users:
  U:
    roles: R
    disabled: yes
    tokens:
      T: { days_to_expiry: "30", deliver: { file: { path: t } } }
"#,
            want: &[
                ("wrong-type", 4, 12),
                ("wrong-type", 5, 15),
                ("wrong-type", 7, 28),
                ("wrong-type", 7, 43),
            ],
        },
        Case {
            name: "a list, a scalar and a number at the top",
            rule: Rule::WrongType,
            yaml: "\n- version: 1\n",
            want: &[("wrong-type", 1, 1)],
        },
        Case {
            name: "booleans and numbers as YAML 1.2 types them",
            rule: Rule::WrongType,
            yaml: "\nversion: 1\nusers:\n  U: { disabled: false, tokens: { T: { days_to_expiry: 0x1e, deliver: [{ file: { path: t } }] } } }\n",
            want: &[],
        },
        // --- invalid-value
        Case {
            name: "values out of Snowflake's ranges and sets",
            rule: Rule::InvalidValue,
            yaml: r#"
version: 2
users:
  U:
    type: person
    tokens:
      T:
        days_to_expiry: 366
        mins_to_bypass_network_policy_requirement: 0
        deliver: [{ file: { path: t } }]
"#,
            want: &[
                ("invalid-value", 1, 10),
                ("invalid-value", 4, 11),
                ("invalid-value", 7, 25),
                ("invalid-value", 8, 52),
            ],
        },
        Case {
            name: "a whole number written with a fraction",
            rule: Rule::InvalidValue,
            yaml: "\nversion: 1\nusers:\n  U:\n    tokens:\n      T: { days_to_expiry: 30.0, deliver: [{ file: { path: t } }] }\n",
            want: &[("invalid-value", 5, 28)],
        },
        Case {
            name: "values at the edges of Snowflake's ranges",
            rule: Rule::InvalidValue,
            yaml: r#"
version: 1
users:
  U:
    type: PERSON
    tokens:
      T:
        days_to_expiry: 365
        rotate_before_expiry_days: 30
        mins_to_bypass_network_policy_requirement: 1440
        deliver: [{ file: { path: t } }]
"#,
            want: &[("long-lived-token", 7, 25)],
        },
        // --- invalid-identifier
        Case {
            name: "names that are not Snowflake identifiers",
            rule: Rule::InvalidIdentifier,
            yaml: r#"
version: 1
network_rules:
  RULE_WITHOUT_SCHEMA: { type: IPV4 }
users:
  1ST_USER: {}
  U:
    roles: [has space]
    tokens:
      '"unclosed': { deliver: [{ file: { path: t } }] }
"#,
            want: &[
                ("invalid-identifier", 3, 3),
                ("invalid-identifier", 5, 3),
                ("invalid-identifier", 7, 13),
                ("invalid-identifier", 9, 7),
            ],
        },
        Case {
            name: "quoted names may hold anything",
            rule: Rule::InvalidIdentifier,
            yaml: r#"
version: 1
network_rules:
  'DB."my schema"."rule.with.dots"': { type: IPV4, value_list: [192.0.2.0/24] }
users:
  '"jane.doe@example.com"':
    roles: ['"Data ""Science"""']
"#,
            want: &[],
        },
        // --- duplicate-key
        Case {
            name: "a key twice in one mapping, twice",
            rule: Rule::DuplicateKey,
            yaml: r#"
version: 1
users:
  U:
    comment: a
    comment: b
  V: {}
  U: {}
"#,
            want: &[("duplicate-key", 5, 5), ("duplicate-key", 7, 3)],
        },
        Case {
            name: "the same key in different mappings",
            rule: Rule::DuplicateKey,
            yaml: "\nversion: 1\nusers:\n  U: { comment: a }\n  V: { comment: a }\n",
            want: &[],
        },
        // --- duplicate-name
        Case {
            name: "names that fold to the same object",
            rule: Rule::DuplicateName,
            yaml: r#"
version: 1
network_rules:
  d.s.r: { type: IPV4 }
  D.S."R": { type: IPV4 }
users:
  alice:
    roles: [analyst, ANALYST]
    tokens:
      t: { deliver: [{ file: { path: t } }] }
      T: { deliver: [{ file: { path: t } }] }
  ALICE: {}
"#,
            want: &[
                ("duplicate-name", 4, 3),
                ("duplicate-name", 7, 22),
                ("duplicate-name", 10, 7),
                ("duplicate-name", 11, 3),
            ],
        },
        Case {
            name: "a quoted lower-case name is another object",
            rule: Rule::DuplicateName,
            yaml: "\nversion: 1\nusers:\n  alice: {}\n  '\"alice\"': {}\n",
            want: &[],
        },
        // --- secret-in-file
        Case {
            name: "a token secret, a JWT, a private key and a random string",
            rule: Rule::SecretInFile,
            // Split so that secret scanners do not mistake the fake values for leaked ones.
            yaml: concat!(
                r#"
version: 1
users:
  U:
    comment: ver:1-hint:1234"#,
                r#"-ABCDEFGHIJabcdefghij0123456789
    tokens:
      T:
        comment: "Zx9Lq2Vb7Np4Rt8Kw3Hy6Jm1Dc5Fg0Ae"
        deliver: [{ file: { path: t } }]
# old: eyJhbGciOiJub25lIn0.eyJzdWIiOiJleGFtcGxlIn0.bm90LWEtcmVhbC1zaWduYXR1cmU
# -----BEGIN PRIVATE"#,
                r#" KEY-----
"#
            ),
            want: &[
                ("secret-in-file", 4, 14),
                ("secret-in-file", 7, 19),
                ("secret-in-file", 9, 8),
                ("secret-in-file", 10, 3),
            ],
        },
        Case {
            name: "long names, paths and URLs are not secrets",
            rule: Rule::SecretInFile,
            yaml: r#"
version: 1
users:
  SNOWPIPE_STREAMING_THERMAL_SENSOR_GATEWAY_USER_2025:
    comment: https://example.com/aVeryLongPathSegment/WithMixedCase0123456789
    tokens:
      T: { deliver: [{ file: { path: secrets/snowpipe/ThermalSensorGateway2025.token } }] }
"#,
            want: &[],
        },
    ];

    #[test]
    fn the_loader_finds_what_it_should_where_it_should() {
        check(CASES);
    }

    #[test]
    fn files_over_32_mib_are_refused() {
        let mut text = String::from("version: 1\n");
        text.push_str(&"#".repeat(MAX_FILE_BYTES as usize));
        assert_eq!(findings(&text), [("file-too-large", 0, 0)]);
        text.truncate(MAX_FILE_BYTES as usize);
        assert!(
            !findings(&text)
                .iter()
                .any(|(id, ..)| *id == "file-too-large")
        );
    }

    #[test]
    fn a_secret_is_never_quoted_whole() {
        let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJleGFtcGxlIn0.bm90LWEtcmVhbC1zaWduYXR1cmU";
        // The JWT is also an invalid role name, so two findings quote it.
        let text = format!("version: 1\nusers:\n  U:\n    roles: [{jwt}]\n");
        let loaded = load_str("case.yaml", &text);
        let rules: Vec<_> = loaded.diagnostics.iter().map(|d| d.rule).collect();
        assert_eq!(rules, [Rule::InvalidIdentifier, Rule::SecretInFile]);
        for d in &loaded.diagnostics {
            let shown = format!("{} {} {:?}", d.message, d.path, d.hint);
            assert!(!shown.contains(jwt), "{shown}");
        }
        assert!(!loaded.source.contains(jwt));
        assert!(loaded.source.contains("[eyJh****"));
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_key() {
        let loaded = load_str(
            "bom.yaml",
            "\u{feff}version: 1\nusers: { U: { bogus: 1 } }\n",
        );
        let found: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.span.map(|s| (s.line, s.column))))
            .collect();
        assert_eq!(found, [(Rule::UnknownKey, Some((2, 15)))]);
    }

    #[test]
    fn a_file_that_is_not_utf8_is_located_and_never_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("binary.yaml");
        std::fs::write(&path, b"version: 1\nusers:\x1b[31m \xff\xfe\n").unwrap();
        let loaded = load_file(&path).unwrap();
        assert_eq!(loaded.diagnostics.len(), 1);
        let d = &loaded.diagnostics[0];
        assert_eq!(d.rule, Rule::YamlSyntax);
        assert_eq!(
            d.message,
            "the file is not UTF-8 text: byte 0xff at offset 23 is not valid UTF-8"
        );
        assert_eq!(d.span.map(|s| (s.line, s.column)), Some((2, 13)));
        assert!(!loaded.source.contains('\x1b'));
    }

    #[test]
    fn a_missing_file_is_an_error_that_names_it() {
        let err = load_file(Path::new("no/such/pats.yaml")).unwrap_err();
        assert!(
            matches!(&err, LoadError::Read { path, .. } if path == Path::new("no/such/pats.yaml"))
        );
        assert_eq!(err.to_string(), "cannot read `no/such/pats.yaml`");
    }

    #[test]
    fn the_model_is_built_only_from_a_sound_file() {
        let sound = load_str("a.yaml", "version: 1\nusers: { U: {} }\n");
        assert!(sound.config.is_some());
        let warned = load_str(
            "b.yaml",
            "version: 1\nusers: { U: { network_policy: ELSEWHERE } }\n",
        );
        assert_eq!((warned.errors(), warned.warnings()), (0, 1));
        assert!(warned.config.is_some());
        for text in [
            "version: 1\nusers: { U: {}, U: {} }\n",
            "version: 1\nusers: []\n",
        ] {
            assert!(load_str("c.yaml", text).config.is_none(), "{text}");
        }
    }

    #[test]
    fn every_shipped_file_validates_as_documented() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shipped = load_file(&root.join("pats.yaml")).unwrap();
        assert_eq!(shipped.diagnostics, []);
        let config = shipped.config.unwrap();
        let user = &config.users[&Identifier::parse("THERMAL_STREAMING_USER").unwrap()];
        let token = &user.tokens[&Identifier::parse("THERMAL_PAT").unwrap()];
        assert_eq!(config.effective_days_to_expiry(user, token), 90);
        assert_eq!(config.effective_rotate_before_days(user, token), 14);
    }
}

//! Finding secrets that must never sit in `pats.yaml`.
//!
//! The file is committed to git and shown in pull requests, so a token secret, a private key or
//! a JWT in it is an incident. This scan looks at the raw text (values, keys and comments alike)
//! for well-known shapes, and at string values for long high-entropy strings. A finding names
//! the place and the kind, and shows at most the first four characters.

use super::yaml::{Node, Span};

/// A secret-looking stretch of the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub kind: &'static str,
    pub span: Span,
    /// The first characters, enough to recognise it, never the whole secret.
    pub preview: String,
    pub len: usize,
}

/// Scans the raw text and the parsed tree (when there is one).
pub fn scan(text: &str, tree: Option<&Node>) -> Vec<Leak> {
    let mut leaks = Vec::new();
    let mut line_start = 0;
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        for (start, len, kind) in scan_line(line) {
            leaks.push(leak(text, kind, line_start, start, len, line_no + 1));
        }
        line_start += line.len();
    }
    if let Some(tree) = tree {
        scan_values(tree, text, &mut leaks);
    }
    leaks.sort_by_key(|l| l.span.offset);
    leaks.dedup_by(|a, b| {
        a.span.offset < b.span.offset + b.span.len.max(1) && a.span.line == b.span.line
    });
    leaks
}

/// Replaces each leak, but its preview, with `*` so that rendered source lines never show it.
pub fn redact(text: &str, leaks: &[Leak]) -> String {
    let mut out = text.to_owned();
    for l in leaks {
        let keep = l.preview.len();
        let from = l.span.offset + keep;
        let to = (l.span.offset + l.span.len).min(out.len());
        if from < to && out.is_char_boundary(from) && out.is_char_boundary(to) {
            let stars = "*".repeat(out[from..to].chars().count());
            out.replace_range(from..to, &stars);
        }
    }
    out
}

fn leak(
    text: &str,
    kind: &'static str,
    line_start: usize,
    start: usize,
    len: usize,
    line: usize,
) -> Leak {
    let offset = line_start + start;
    let found = &text[offset..offset + len];
    Leak {
        kind,
        span: Span {
            offset,
            len,
            line,
            column: text[line_start..offset].chars().count() + 1,
        },
        preview: found.chars().take(4).collect(),
        len: found.chars().count(),
    }
}

/// Well-known secret shapes in one line: `(byte start, byte len, kind)`.
fn scan_line(line: &str) -> Vec<(usize, usize, &'static str)> {
    let mut found = Vec::new();
    if let Some(i) = line.find("-----BEGIN") {
        if line[i..].contains("PRIVATE KEY-----") {
            let len = line[i..].trim_end().len();
            found.push((i, len, "private key"));
        }
    }
    let mut search = 0;
    while let Some(rel) = line[search..].find("eyJ") {
        let start = search + rel;
        let len = jwt_len(&line[start..]);
        if len > 0 {
            found.push((start, len, "JWT"));
            search = start + len;
        } else {
            search = start + 3;
        }
    }
    let mut search = 0;
    while let Some(rel) = line[search..].find("ver:") {
        let start = search + rel;
        let len = pat_len(&line[start..]);
        if len > 0 {
            found.push((start, len, "programmatic access token secret"));
            search = start + len;
        } else {
            search = start + 4;
        }
    }
    found
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Length of a `header.payload.signature` JWT at the start of `s`, or 0.
fn jwt_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    let mut parts = 0;
    loop {
        let start = i;
        while i < b.len() && is_b64url(b[i]) {
            i += 1;
        }
        if i - start < 8 {
            return 0;
        }
        parts += 1;
        if parts == 3 {
            return i;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
        } else {
            return 0;
        }
        if parts == 1 && !s[i..].starts_with("eyJ") {
            return 0;
        }
    }
}

/// Length of a Snowflake-PAT-shaped secret (`ver:<n>-hint:<n>-<long base62>`) at `s`, or 0.
fn pat_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 4;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) || !s[i..].starts_with("-hint:") {
        return 0;
    }
    i += 6;
    if !digits(&mut i) || i >= b.len() || b[i] != b'-' {
        return 0;
    }
    i += 1;
    let start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
        i += 1;
    }
    if i - start >= 16 { i } else { 0 }
}

/// Long, random-looking string values: the shape of most API secrets.
fn scan_values(node: &Node, text: &str, leaks: &mut Vec<Leak>) {
    match node {
        Node::Scalar(s) => {
            if looks_random(&s.value) {
                let span = s.span;
                let len = span.len.min(text.len().saturating_sub(span.offset));
                leaks.push(Leak {
                    kind: "high-entropy secret",
                    span: Span { len, ..span },
                    preview: s.value.chars().take(4).collect(),
                    len: s.value.chars().count(),
                });
            }
        }
        Node::Sequence { items, .. } => items.iter().for_each(|n| scan_values(n, text, leaks)),
        Node::Mapping { entries, .. } => entries
            .iter()
            .for_each(|(_, v)| scan_values(v, text, leaks)),
    }
}

/// At least 32 characters of one token with upper case, lower case and digits, and more than
/// 4.2 bits of entropy per character: true for generated secrets, false for names, paths,
/// URLs, CIDRs and prose.
fn looks_random(s: &str) -> bool {
    if s.len() < 32 || s.contains(char::is_whitespace) || s.contains("://") {
        return false;
    }
    if !s
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"+/=_-.:".contains(&c))
    {
        return false;
    }
    let has = |f: fn(&u8) -> bool| s.as_bytes().iter().any(f);
    if !(has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit)) {
        return false;
    }
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy > 4.2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    const PAT: &str = concat!(
        "ver:1-hint:1234",
        "-ETMsDgAAAZhLkFsBABRBRVMvQ0JDL1BLQ1M1UGFkZGluZwEAABAAEMCyzhMdB"
    );
    const JWT: &str = concat!(
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9",
        ".eyJpc3MiOiJTQU5EQk9YLkFETUlOIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    );

    #[test]
    fn finds_each_shape_and_never_keeps_it_whole() {
        let text = format!(
            "a: {PAT}\n# token {JWT}\nb: |\n  -----BEGIN PRIVATE KEY-----\nc: 'Zx9Lq2Vb7Np4Rt8Kw3Hy6Jm1Dc5Fg0Ae'\n"
        );
        let tree = yaml::parse(&text).ok();
        let leaks = scan(&text, tree.as_ref());
        let kinds: Vec<_> = leaks.iter().map(|l| (l.kind, l.span.line)).collect();
        assert_eq!(
            kinds,
            vec![
                ("programmatic access token secret", 1),
                ("JWT", 2),
                ("private key", 4),
                ("high-entropy secret", 5)
            ]
        );
        let redacted = redact(&text, &leaks);
        assert!(!redacted.contains(PAT));
        assert!(!redacted.contains(JWT));
        assert!(redacted.contains("ver:***"));
        assert_eq!(redacted.len(), text.len());
    }

    #[test]
    fn ordinary_values_are_not_secrets() {
        let text = "version: 1\nusers:\n  THERMAL_STREAMING_USER:\n    comment: Snowpipe Streaming client for the thermal sensors\n    tokens:\n      T:\n        deliver:\n          - command: { argv: [vault, kv, put, secret/data/snowflake/thermal_streaming_user_pat] }\n          - json_file: { path: config/snowflake_config.json, pointer: /pat }\nnetwork_rules:\n  DEMO.DEMO.R: { type: IPV4, value_list: [203.0.113.0/24, 2001:db8::/32] }\n";
        let tree = yaml::parse(text).unwrap();
        assert_eq!(scan(text, Some(&tree)), vec![]);
    }
}

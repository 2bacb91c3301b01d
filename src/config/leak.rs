//! Finding secrets that must never sit in `pats.yaml`.
//!
//! The file is committed to git and shown in pull requests, so a token secret, a private key or
//! a JWT in it is an incident. This scan looks at the raw text (values, keys and comments alike)
//! for well-known shapes, and at string values for long high-entropy strings. A finding names
//! the place and the kind, and shows at most the first four characters.

use super::diagnostic::Diagnostic;
use super::yaml::{Node, Span};

/// A secret-looking stretch of the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub kind: &'static str,
    /// The secret itself (a private key spans from its BEGIN line to its END line).
    pub span: Span,
    /// The first characters, enough to recognise it, never the whole secret.
    pub preview: String,
    /// Its length in characters.
    pub len: usize,
}

/// How many characters of a secret a finding may show.
const PREVIEW_CHARS: usize = 4;

/// Scans the raw text and the parsed tree (when there is one).
pub fn scan(text: &str, tree: Option<&Node>) -> Vec<Leak> {
    let mut leaks = Vec::new();
    for (line_no, (line_start, line)) in lines(text).enumerate() {
        for (start, len, kind) in scan_line(line) {
            let offset = line_start + start;
            let len = match kind {
                PRIVATE_KEY => private_key_len(text, offset).unwrap_or(len),
                _ => len,
            };
            let span = Span {
                offset,
                len,
                line: line_no + 1,
                column: line[..start].chars().count() + 1,
            };
            leaks.push(leak(text, kind, span));
        }
    }
    if let Some(tree) = tree {
        scan_values(tree, text, &mut leaks);
    }
    leaks.sort_by_key(|l| (l.span.offset, std::cmp::Reverse(l.span.len)));
    // One finding per place: a shape found in a line and again as a random-looking value, or a
    // JWT inside a private key block, is one secret.
    leaks.dedup_by(|later, kept| later.span.offset < kept.span.offset + kept.span.len);
    leaks
}

/// The lines of `text` with their byte offsets, broken where YAML breaks them (`\n`, `\r\n`,
/// a lone `\r`), without the break.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start > bytes.len() || (start == bytes.len() && start > 0) {
            return None;
        }
        let rest = &bytes[start..];
        let (end, next) = match rest.iter().position(|b| matches!(b, b'\n' | b'\r')) {
            Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => (i, i + 2),
            Some(i) => (i, i + 1),
            None => (rest.len(), rest.len() + 1),
        };
        let line = (start, &text[start..start + end]);
        start += next;
        Some(line)
    })
}

/// Replaces each leak, but its preview, with `*` so that rendered source lines never show it.
/// Line breaks stay, so that lines and columns still match the file.
pub fn redact(text: &str, leaks: &[Leak]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for l in leaks {
        let Some(secret) = text.get(l.span.offset..l.span.offset + l.span.len) else {
            continue;
        };
        if l.span.offset < copied {
            continue;
        }
        out.push_str(&text[copied..l.span.offset]);
        for (i, c) in secret.chars().enumerate() {
            if i < PREVIEW_CHARS || matches!(c, '\n' | '\r') {
                out.push(c);
            } else {
                // One `*` per byte keeps every later byte offset (and so every span) valid.
                out.extend(std::iter::repeat_n('*', c.len_utf8()));
            }
        }
        copied = l.span.offset + l.span.len;
    }
    out.push_str(&text[copied..]);
    out
}

/// Masks every leak that a finding quotes (an invalid name that is also a JWT, say) in its
/// message, path, hint and labels.
pub fn mask_in(d: &mut Diagnostic, text: &str, leaks: &[Leak]) {
    for l in leaks {
        let Some(secret) = text.get(l.span.offset..l.span.offset + l.span.len) else {
            continue;
        };
        let masked = format!("{}…", l.preview);
        let mask = |s: &mut String| {
            if s.contains(secret) {
                *s = s.replace(secret, &masked);
            }
        };
        mask(&mut d.message);
        mask(&mut d.path);
        if let Some(h) = &mut d.hint {
            mask(h);
        }
        for (_, label) in &mut d.related {
            mask(label);
        }
    }
}

fn leak(text: &str, kind: &'static str, span: Span) -> Leak {
    let found = &text[span.offset..span.offset + span.len];
    Leak {
        kind,
        span,
        preview: found.chars().take(PREVIEW_CHARS).collect(),
        len: found.chars().count(),
    }
}

const PRIVATE_KEY: &str = "private key";

/// Byte length of a PEM private key block starting at `offset` (a `-----BEGIN` line) through
/// the end of its `-----END ... PRIVATE KEY-----` marker, when the block is complete.
fn private_key_len(text: &str, offset: usize) -> Option<usize> {
    let rest = &text[offset..];
    let end = rest.find("-----END")?;
    let marker = "PRIVATE KEY-----";
    let after_end = &rest[end..];
    let line_len = after_end.find(['\n', '\r']).unwrap_or(after_end.len());
    let close = after_end[..line_len].find(marker)?;
    Some(end + close + marker.len())
}

/// Well-known secret shapes in one line: `(byte start, byte len, kind)`.
fn scan_line(line: &str) -> Vec<(usize, usize, &'static str)> {
    let mut found = Vec::new();
    if let Some(i) = line.find("-----BEGIN") {
        if line[i..].contains("PRIVATE KEY-----") {
            let len = line[i..].trim_end().len();
            found.push((i, len, PRIVATE_KEY));
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
                let mut span = s.span;
                span.len = span.len.min(text.len().saturating_sub(span.offset));
                // Point at the secret itself, inside its quotes.
                let source = &text[span.offset..span.offset + span.len];
                let quoted = source.len() >= 2
                    && ((source.starts_with('\'') && source.ends_with('\''))
                        || (source.starts_with('"') && source.ends_with('"')));
                if quoted {
                    span = Span {
                        offset: span.offset + 1,
                        len: span.len - 2,
                        column: span.column + 1,
                        ..span
                    };
                }
                leaks.push(leak(text, "high-entropy secret", span));
            }
        }
        Node::Sequence { items, .. } => items.iter().for_each(|n| scan_values(n, text, leaks)),
        Node::Mapping { entries, .. } => entries
            .iter()
            .for_each(|(_, v)| scan_values(v, text, leaks)),
    }
}

/// At least 32 characters of one token with upper case, lower case and digits, more than
/// 3.8 bits of entropy per character, and short runs of letters: true for generated secrets,
/// false for names, paths, URLs, CIDRs and prose.
///
/// Entropy alone does not tell `secrets/snowpipe/ThermalSensorGateway2025.token` (4.3 bits)
/// from a random 32-character secret (4.0 to 5.0), but words do: in random base62 text a run of
/// one character class (upper, lower, digits) averages 1.6 characters and stays under 2.5 in
/// all but a few in a thousand strings, while names made of words average 3 or more.
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
    entropy > 3.8 && mean_run_length(s) < 2.5
}

/// The mean length of the runs of upper-case letters, lower-case letters and digits in `s`.
fn mean_run_length(s: &str) -> f64 {
    let class = |b: u8| match b {
        b'A'..=b'Z' => 1,
        b'a'..=b'z' => 2,
        b'0'..=b'9' => 3,
        _ => 0,
    };
    let (mut runs, mut chars, mut previous) = (0usize, 0usize, 0);
    for b in s.bytes() {
        let c = class(b);
        if c != 0 {
            chars += 1;
            if c != previous {
                runs += 1;
            }
        }
        previous = c;
    }
    if runs == 0 {
        f64::INFINITY
    } else {
        chars as f64 / runs as f64
    }
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
        let key_header = concat!("-----BEGIN PRIVATE", " KEY-----");
        let text = format!(
            "a: {PAT}\n# token {JWT}\nb: |\n  {key_header}\nc: 'Zx9Lq2Vb7Np4Rt8Kw3Hy6Jm1Dc5Fg0Ae'\n"
        );
        let tree = yaml::parse(&text).ok().map(|d| d.root);
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
    fn random_strings_are_secrets_and_names_made_of_words_are_not() {
        let secrets = [
            "Zx9Lq2Vb7Np4Rt8Kw3Hy6Jm1Dc5Fg0Ae",
            "ETMsDgAAAZhLkFsBABRBRVMvQ0JDL1BLQ1M1UGFkZGluZwEAABAAEMCyzhMdB",
            "q8V/3kTz+Lm0PwXe7Rb2Ny9Hc4Ud1Fa6Gs5Ji0Ko=",
        ];
        for s in secrets {
            assert!(looks_random(s), "{s}");
        }
        let words = [
            "secrets/snowpipe/ThermalSensorGateway2025.token",
            "config/snowflake/ThermalStreamingUserPat2025.json",
            "SNOWPIPE_STREAMING_THERMAL_SENSOR_GATEWAY_USER_2025",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:Prod/Snowflake/Token-AbCdEf",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789",
        ];
        for s in words {
            assert!(!looks_random(s), "{s}");
        }
    }

    #[test]
    fn ordinary_values_are_not_secrets() {
        let text = "version: 1\nusers:\n  THERMAL_STREAMING_USER:\n    comment: Snowpipe Streaming client for the thermal sensors\n    tokens:\n      T:\n        deliver:\n          - command: { argv: [vault, kv, put, secret/data/snowflake/thermal_streaming_user_pat] }\n          - json_file: { path: config/snowflake_config.json, pointer: /pat }\nnetwork_rules:\n  DEMO.DEMO.R: { type: IPV4, value_list: [203.0.113.0/24, 2001:db8::/32] }\n";
        let tree = yaml::parse(text).unwrap().root;
        assert_eq!(scan(text, Some(&tree)), vec![]);
    }

    #[test]
    fn a_private_key_block_is_masked_to_its_end_line() {
        let text = concat!(
            "a: |\n  -----BEGIN RSA PRIVATE",
            " KEY-----\n  MIIEowIBAAKCAQEAx1\n  -----END RSA PRIVATE",
            " KEY-----\nb: 1\n"
        );
        let tree = yaml::parse(text).unwrap().root;
        let leaks = scan(text, Some(&tree));
        assert_eq!(leaks.len(), 1);
        assert_eq!((leaks[0].span.line, leaks[0].span.column), (2, 3));
        let redacted = redact(text, &leaks);
        assert!(!redacted.contains("MIIE"), "{redacted}");
        assert_eq!(redacted.lines().count(), text.lines().count());
        assert!(redacted.ends_with("-----\nb: 1\n") || redacted.ends_with("*\nb: 1\n"));
        assert_eq!(redacted.len(), text.len());
    }

    #[test]
    fn a_quoted_secret_is_located_inside_its_quotes() {
        let text = "c: 'Zx9Lq2Vb7Np4Rt8Kw3Hy6Jm1Dc5Fg0Ae'\n";
        let tree = yaml::parse(text).unwrap().root;
        let leaks = scan(text, Some(&tree));
        assert_eq!(
            (leaks[0].span.column, leaks[0].preview.as_str()),
            (5, "Zx9L")
        );
        assert_eq!(
            redact(text, &leaks),
            "c: 'Zx9L****************************'\n"
        );
    }

    #[test]
    fn findings_that_quote_a_secret_are_masked() {
        let text = format!("role_restriction: {JWT}\n");
        let leaks = scan(&text, None);
        let mut d = Diagnostic::new(
            crate::config::Rule::InvalidIdentifier,
            format!("x.{JWT}"),
            format!("`{JWT}` is not a valid Snowflake identifier"),
        );
        mask_in(&mut d, &text, &leaks);
        assert_eq!(d.message, "`eyJh…` is not a valid Snowflake identifier");
        assert_eq!(d.path, "x.eyJh…");
    }
}

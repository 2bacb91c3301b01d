//! [`Secret`]: a string that never shows itself.
//!
//! Token secrets, private-key passphrases and bearer tokens travel in this type. `Debug` and
//! `Display` print `[redacted]`, it is not `Serialize`, and the bytes are zeroed when it drops,
//! so a secret cannot reach a log, a plan, a journal or an error message by accident. Reading it
//! takes an explicit [`Secret::expose`].

use std::fmt;

use zeroize::Zeroizing;

/// A secret string, redacted in every printed form and wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret itself. Call sites are the only places it leaves this type.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The shortest run of a secret's characters that [`Secret::scrub`] removes on its own: a
/// piece this long of a token secret (base62 after its `ver:1-hint:` prefix) is too much to
/// show, and a shorter one is only removed as part of a whole secret.
pub const FRAGMENT: usize = 12;

/// What replaces a secret in text that leaves the process.
pub const REDACTED: &str = "[redacted]";

impl Secret {
    /// `text` with every form of this secret replaced by [`REDACTED`]: the whole value, and
    /// any run of at least [`FRAGMENT`] bytes that is part of it (a consumer that prints half
    /// the token, cuts it across lines, or percent-encodes its `:` still shows no piece of it).
    /// A secret shorter than [`FRAGMENT`] is only removed whole.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &[self])
    }
}

/// `text` with every form of each of `secrets` replaced by [`REDACTED`] (see
/// [`Secret::scrub`]). Pass raw secrets: a value a sink's `format` made of one is replaced
/// whole first by the caller, since pieces of its literal text (`Bearer `) are no secret.
pub fn scrub(text: &str, secrets: &[&Secret]) -> String {
    let bytes = text.as_bytes();
    let mut hidden = vec![false; bytes.len()];
    for secret in secrets {
        let s = secret.expose().as_bytes();
        if s.is_empty() {
            continue;
        }
        let least = FRAGMENT.min(s.len());
        // run[j]: how many bytes from text[i] on equal s[j..], for the current i (walked back).
        let mut run = vec![0usize; s.len() + 1];
        for i in (0..bytes.len()).rev() {
            let mut longest = 0;
            for j in 0..s.len() {
                run[j] = if bytes[i] == s[j] { 1 + run[j + 1] } else { 0 };
                longest = longest.max(run[j]);
            }
            // run[s.len()] stays 0: nothing matches past the end of the secret.
            if longest >= least {
                hidden[i..i + longest].iter_mut().for_each(|h| *h = true);
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut in_secret = false;
    for (i, c) in text.char_indices() {
        // A character is hidden when any of its bytes is.
        if hidden[i..i + c.len_utf8()].iter().any(|h| *h) {
            if !in_secret {
                out.push_str(REDACTED);
                in_secret = true;
            }
        } else {
            in_secret = false;
            out.push(c);
        }
    }
    out
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = concat!(
        "ver:1-hint:1234567890",
        "-QWxhZGRpbjpvcGVuIHNlc2FtZQAbcdEFghXYZ"
    );

    #[test]
    fn scrub_removes_the_whole_secret_its_formatted_value_and_long_pieces() {
        let secret = Secret::new(S);
        let shaped = Secret::new(format!("Bearer {S}"));
        let half = &S[..S.len() / 2];
        let tail = &S[S.len() - 20..];
        let encoded = S.replace(':', "%3A");
        let text = format!(
            "raw {S}\nformatted Bearer {S}\nhalf {half}!\ntail {tail}\nencoded {encoded}\nkept ver:1 ok"
        );
        let out = scrub(&text.replace(shaped.expose(), REDACTED), &[&secret]);
        assert!(!out.contains(half), "{out}");
        assert!(!out.contains(tail), "{out}");
        for piece in S.as_bytes().windows(FRAGMENT) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(!out.contains(piece), "{piece} in {out}");
        }
        assert!(out.contains("raw [redacted]\n"), "{out}");
        assert!(out.contains("formatted [redacted]\n"), "{out}");
        assert!(out.contains("half [redacted]!\n"), "{out}");
        assert!(out.contains("kept ver:1 ok"), "{out}");
    }

    #[test]
    fn a_short_secret_is_only_removed_whole() {
        let secret = Secret::new("s3cr");
        assert_eq!(secret.scrub("s3 s3cr s3cret"), "s3 [redacted] [redacted]et");
        assert_eq!(Secret::new("").scrub("text"), "text");
    }

    #[test]
    fn never_prints_itself() {
        let s = Secret::new(concat!("ver:1-hint:1", "-abcdefghijklmnopqrstuvwxyz"));
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret([redacted]))");
        assert_eq!(
            s.expose(),
            concat!("ver:1-hint:1", "-abcdefghijklmnopqrstuvwxyz")
        );
    }
}

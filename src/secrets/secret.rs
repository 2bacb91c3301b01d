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

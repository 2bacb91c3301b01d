//! Which users a read covers when no `pats.yaml` names them: `import` and `status --all` choose
//! users from `SHOW USERS` by name, type and whether they hold tokens.
//!
//! A name criterion is either a **name** or a **glob**:
//! - without `*` or `?` it is a Snowflake identifier as `pats.yaml` spells it
//!   (`thermal_user` is `THERMAL_USER`, `"Mixed Case"` keeps its case), matched exactly;
//! - with `*` (any run of characters) or `?` (one character) it is a glob, matched against the
//!   stored name without regard to ASCII case, the way `SHOW USERS LIKE` matches (a glob and not
//!   SQL `LIKE`, because `_` is in most user names and would match any character).
//!
//! A user is chosen when it matches every kind of criterion given: one of the names or globs
//! (if any), one of the types (if any), and `has_pat = true` (with `with_tokens`). No criterion
//! at all chooses every user.

use std::collections::BTreeSet;

use crate::model::desired::UserType;
use crate::model::{Identifier, IdentifierError, Spelled, Vocabulary};

use super::rows::UserListing;

/// One `--user` value: an exact name or a glob (module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserPattern {
    Name(Identifier),
    Glob(String),
}

impl UserPattern {
    /// Parses a `--user` value (module docs).
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        if text.contains(['*', '?']) {
            Ok(UserPattern::Glob(text.to_owned()))
        } else {
            Identifier::parse(text).map(UserPattern::Name)
        }
    }

    /// Whether the user of this stored name matches.
    pub fn matches(&self, name: &Identifier) -> bool {
        match self {
            UserPattern::Name(n) => n == name,
            UserPattern::Glob(g) => glob(
                &g.to_ascii_uppercase().chars().collect::<Vec<_>>(),
                &name
                    .as_str()
                    .to_ascii_uppercase()
                    .chars()
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

impl std::fmt::Display for UserPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserPattern::Name(n) => write!(f, "{n}"),
            UserPattern::Glob(g) => write!(f, "{g}"),
        }
    }
}

/// `*` and `?` glob matching, iterative with one backtrack point (linear in practice).
fn glob(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == '?' || *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// The users a read covers, chosen from `SHOW USERS` (module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSelection {
    /// Names or globs; empty means any name.
    pub users: Vec<UserPattern>,
    /// User types; empty means any type. A type SHOW USERS does not show counts as PERSON.
    pub types: BTreeSet<UserType>,
    /// Only users whose `SHOW USERS` row says `has_pat = true` (a token that has not expired).
    pub with_tokens: bool,
    /// Also read the account-level policy attachments and the policies they name.
    pub account: bool,
}

impl UserSelection {
    /// Whether the user of this `SHOW USERS` row is chosen.
    pub fn matches(&self, user: &UserListing) -> bool {
        let named = self.users.is_empty() || self.users.iter().any(|p| p.matches(&user.name));
        let typed = self.types.is_empty()
            || match &user.user_type {
                None => self.types.contains(&UserType::Person),
                Some(Spelled::Known(t)) => self.types.contains(t),
                Some(Spelled::Other(_)) => false,
            };
        let tokens = !self.with_tokens || user.has_pat == Some(true);
        named && typed && tokens
    }

    /// The `--user` names given that no user of the account matched (globs excluded: a glob
    /// matching nothing is not a typo of one user).
    pub fn unmatched_names<'a>(
        &'a self,
        listed: impl IntoIterator<Item = &'a Identifier> + Clone,
    ) -> Vec<&'a Identifier> {
        self.users
            .iter()
            .filter_map(|p| match p {
                UserPattern::Name(n) => Some(n),
                UserPattern::Glob(_) => None,
            })
            .filter(|n| !listed.clone().into_iter().any(|l| l == *n))
            .collect()
    }
}

/// `--type` values, in Snowflake's spelling.
pub fn parse_user_type(text: &str) -> Option<UserType> {
    UserType::ALL
        .iter()
        .copied()
        .find(|t| t.as_str().eq_ignore_ascii_case(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(name: &str, user_type: Option<&str>, has_pat: Option<bool>) -> UserListing {
        UserListing {
            name: Identifier::from_stored(name).unwrap(),
            user_type: user_type.map(Spelled::from),
            has_pat,
        }
    }

    fn name(s: &str) -> Identifier {
        Identifier::from_stored(s).unwrap()
    }

    #[test]
    fn a_name_folds_like_pats_yaml_and_matches_exactly() {
        let p = UserPattern::parse("thermal_user").unwrap();
        assert!(p.matches(&name("THERMAL_USER")));
        assert!(!p.matches(&name("THERMAL_USERS")));
        let q = UserPattern::parse("\"Mixed Case\"").unwrap();
        assert!(q.matches(&name("Mixed Case")));
        assert!(!q.matches(&name("MIXED CASE")));
        assert!(UserPattern::parse("two words").is_err());
    }

    #[test]
    fn a_glob_matches_the_stored_name_without_case() {
        let p = UserPattern::parse("thermal_*").unwrap();
        assert!(p.matches(&name("THERMAL_STREAMING_USER")));
        assert!(p.matches(&name("thermal_x")));
        assert!(!p.matches(&name("XTHERMAL_")));
        let q = UserPattern::parse("A?C*D").unwrap();
        assert!(q.matches(&name("ABCD")));
        assert!(q.matches(&name("abcxxd")));
        assert!(!q.matches(&name("ACD")));
        assert!(
            UserPattern::parse("*")
                .unwrap()
                .matches(&name("with \"quote\" and.dot"))
        );
    }

    #[test]
    fn every_kind_of_criterion_must_hold() {
        let s = UserSelection {
            users: vec![UserPattern::parse("SVC_*").unwrap()],
            types: BTreeSet::from([UserType::Service]),
            with_tokens: true,
            account: false,
        };
        assert!(s.matches(&listing("SVC_A", Some("SERVICE"), Some(true))));
        assert!(!s.matches(&listing("SVC_A", Some("SERVICE"), Some(false))));
        assert!(!s.matches(&listing("SVC_A", Some("PERSON"), Some(true))));
        assert!(!s.matches(&listing("APP_A", Some("SERVICE"), Some(true))));
        // No criterion chooses every user; a missing type is PERSON.
        assert!(UserSelection::default().matches(&listing("ANY", None, None)));
        let person = UserSelection {
            types: BTreeSet::from([UserType::Person]),
            ..UserSelection::default()
        };
        assert!(person.matches(&listing("P", None, None)));
    }

    #[test]
    fn names_no_user_matched_are_reported() {
        let s = UserSelection {
            users: vec![
                UserPattern::parse("A").unwrap(),
                UserPattern::parse("B").unwrap(),
                UserPattern::parse("C*").unwrap(),
            ],
            ..UserSelection::default()
        };
        let listed = [name("A")];
        assert_eq!(s.unmatched_names(listed.iter()), vec![&name("B")]);
    }
}

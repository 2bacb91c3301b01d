//! Addresses: which object a change is about, printed as `user.U.token.T`.

use std::fmt;

use crate::model::{Identifier, ObjectName};
use crate::sql::statements::AccountScope;

/// The object a change is about. Its ordering is the tie-break of plan order: account-level
/// objects by kind (rules, network policies, authentication policies, account attachments),
/// then everything of a user together, user by user (the user, its roles, its attachments, its
/// tokens).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// `network_rule.DB.SCHEMA.NAME`
    NetworkRule(ObjectName),
    /// `network_policy.NAME`
    NetworkPolicy(Identifier),
    /// `authentication_policy.DB.SCHEMA.NAME`
    AuthenticationPolicy(ObjectName),
    /// `account.network_policy`
    AccountNetworkPolicy,
    /// `account.authentication_policy`, `...for_service_users`, `...for_person_users`
    AccountAuthenticationPolicy(AccountScope),
    /// `user.U`
    User(Identifier),
    /// `user.U.role.R`
    UserRole(Identifier, Identifier),
    /// `user.U.network_policy`
    UserNetworkPolicy(Identifier),
    /// `user.U.authentication_policy`
    UserAuthenticationPolicy(Identifier),
    /// `user.U.token.T`
    Token(Identifier, Identifier),
}

impl Address {
    /// The user this address belongs to, if any.
    pub fn user(&self) -> Option<&Identifier> {
        match self {
            Address::User(u)
            | Address::UserRole(u, _)
            | Address::UserNetworkPolicy(u)
            | Address::UserAuthenticationPolicy(u)
            | Address::Token(u, _) => Some(u),
            _ => None,
        }
    }

    /// A short noun for the kind of object ("token", "network policy", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Address::NetworkRule(_) => "network rule",
            Address::NetworkPolicy(_) => "network policy",
            Address::AuthenticationPolicy(_) => "authentication policy",
            Address::AccountNetworkPolicy => "account network policy",
            Address::AccountAuthenticationPolicy(_) => "account authentication policy",
            Address::User(_) => "user",
            Address::UserRole(..) => "role grant",
            Address::UserNetworkPolicy(_) => "user network policy",
            Address::UserAuthenticationPolicy(_) => "user authentication policy",
            Address::Token(..) => "token",
        }
    }
}

impl Address {
    /// The sort key: `(kind of object, user, part of the user, name)`.
    fn sort_key(&self) -> (u8, Option<&Identifier>, u8, SortName<'_>) {
        match self {
            Address::NetworkRule(n) => (0, None, 0, SortName::Object(n)),
            Address::NetworkPolicy(n) => (1, None, 0, SortName::Ident(n)),
            Address::AuthenticationPolicy(n) => (2, None, 0, SortName::Object(n)),
            Address::AccountNetworkPolicy => (3, None, 0, SortName::None),
            Address::AccountAuthenticationPolicy(scope) => (4, None, 0, SortName::Scope(*scope)),
            Address::User(u) => (5, Some(u), 0, SortName::None),
            Address::UserRole(u, r) => (5, Some(u), 1, SortName::Ident(r)),
            Address::UserNetworkPolicy(u) => (5, Some(u), 2, SortName::None),
            Address::UserAuthenticationPolicy(u) => (5, Some(u), 3, SortName::None),
            Address::Token(u, t) => (5, Some(u), 4, SortName::Ident(t)),
        }
    }
}

/// The last part of an address's sort key.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortName<'a> {
    None,
    Ident(&'a Identifier),
    Object(&'a ObjectName),
    Scope(AccountScope),
}

impl Ord for Address {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::NetworkRule(n) => write!(f, "network_rule.{n}"),
            Address::NetworkPolicy(n) => write!(f, "network_policy.{n}"),
            Address::AuthenticationPolicy(n) => write!(f, "authentication_policy.{n}"),
            Address::AccountNetworkPolicy => f.write_str("account.network_policy"),
            Address::AccountAuthenticationPolicy(AccountScope::All) => {
                f.write_str("account.authentication_policy")
            }
            Address::AccountAuthenticationPolicy(AccountScope::ServiceUsers) => {
                f.write_str("account.authentication_policy_for_service_users")
            }
            Address::AccountAuthenticationPolicy(AccountScope::PersonUsers) => {
                f.write_str("account.authentication_policy_for_person_users")
            }
            Address::User(u) => write!(f, "user.{u}"),
            Address::UserRole(u, r) => write!(f, "user.{u}.role.{r}"),
            Address::UserNetworkPolicy(u) => write!(f, "user.{u}.network_policy"),
            Address::UserAuthenticationPolicy(u) => write!(f, "user.{u}.authentication_policy"),
            Address::Token(u, t) => write!(f, "user.{u}.token.{t}"),
        }
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_as_dotted_paths() {
        let u = Identifier::parse("thermal_streaming_user").unwrap();
        let t = Identifier::parse("thermal_pat").unwrap();
        assert_eq!(
            Address::Token(u.clone(), t).to_string(),
            "user.THERMAL_STREAMING_USER.token.THERMAL_PAT"
        );
        assert_eq!(
            Address::NetworkRule(ObjectName::parse("demo.demo.r").unwrap()).to_string(),
            "network_rule.DEMO.DEMO.R"
        );
        assert_eq!(
            Address::UserRole(u, Identifier::parse("\"Mixed\"").unwrap()).to_string(),
            "user.THERMAL_STREAMING_USER.role.\"Mixed\""
        );
    }
}

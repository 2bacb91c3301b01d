//! Findings about a `pats.yaml` file: the closed set of rules, and located diagnostics.
//!
//! Every rule has a stable id (kebab-case, never reused), a severity and a one-line summary; the
//! README's rule table lists them all (a unit test keeps it honest). A [`Diagnostic`] is one
//! finding at one place; rendering lives in `cli::validate`.

use super::yaml::Span;
pub use crate::model::Severity;

macro_rules! rules {
    ($( $variant:ident = $id:literal, $severity:ident, $summary:literal; )*) => {
        /// A validation rule. Ids are stable: tools may filter on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Rule { $( $variant, )* }

        impl Rule {
            /// Every rule, in documentation order.
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            /// The stable id, e.g. `unknown-key`.
            pub fn id(self) -> &'static str {
                match self { $( Rule::$variant => $id, )* }
            }

            /// Whether a finding of this rule is an error or a warning.
            pub fn severity(self) -> Severity {
                match self { $( Rule::$variant => Severity::$severity, )* }
            }

            /// One line saying what the rule checks and why.
            pub fn summary(self) -> &'static str {
                match self { $( Rule::$variant => $summary, )* }
            }
        }
    };
}

rules! {
    YamlSyntax = "yaml-syntax", Error, "The file is not valid YAML.";
    YamlUnsupported = "yaml-unsupported", Error, "Anchors, aliases, merge keys, tags and multiple documents are refused: a reviewed file must say every value where it applies.";
    EmptyFile = "empty-file", Error, "The file holds no document; it needs at least `version: 1`.";
    FileTooLarge = "file-too-large", Error, "The file is larger than pat-reconcile reads (32 MiB).";
    UnknownKey = "unknown-key", Error, "A key that the format does not have (a hint names the nearest valid one).";
    MissingKey = "missing-key", Error, "A required key is missing (`version`, a sink's `path`, a network rule's `type`, ...).";
    WrongType = "wrong-type", Error, "A value of the wrong type (a string where a number belongs, a list where a mapping belongs, ...).";
    InvalidValue = "invalid-value", Error, "A value outside Snowflake's range or set (`days_to_expiry` 1 to 365, bypass minutes 1 to 1440, an unknown enum value, ...).";
    InvalidIdentifier = "invalid-identifier", Error, "A name that is not a Snowflake identifier (or not `DATABASE.SCHEMA.NAME` where one is needed).";
    DuplicateKey = "duplicate-key", Error, "The same key twice in one mapping; YAML would silently keep only one.";
    DuplicateName = "duplicate-name", Error, "Two names that Snowflake resolves to the same object once unquoted names fold to upper case (map keys, or the items of `roles`, `blocked_roles_list` and network rule lists).";
    SecretInFile = "secret-in-file", Error, "Something that looks like a token secret, a private key or a JWT: pats.yaml must never hold a secret.";
    TokenWithoutRoleRestriction = "token-without-role-restriction", Error, "A token without `role_restriction` where the user's authentication policy requires one: SERVICE, LEGACY_SERVICE and SERVICE_AGENT users unless it sets `require_role_restriction_for_service_users: false`, PERSON users when it sets `require_role_restriction_for_person_users: true`.";
    ExpiryAbovePolicyMaximum = "expiry-above-policy-maximum", Error, "`days_to_expiry` above the `max_expiry_in_days` of the user's authentication policy; Snowflake would refuse the token.";
    RotationWindowExceedsLifetime = "rotation-window-exceeds-lifetime", Error, "`rotate_before_expiry_days` is not shorter than `days_to_expiry`, so the token would rotate on every run.";
    TokenWithoutDelivery = "token-without-delivery", Error, "A token with no `deliver` sink: Snowflake shows a secret once, so it would be lost.";
    InvalidNetworkValue = "invalid-network-value", Error, "A `value_list` or IP list entry that is not valid for its rule type (IPv4 CIDR, host:port, ...), or a network policy that lists an egress rule.";
    RoleBlockedByPolicy = "role-blocked-by-policy", Error, "A `role_restriction` that the user's authentication policy lists in `blocked_roles_list`.";
    TokenLimitExceeded = "token-limit-exceeded", Error, "More tokens on a user than Snowflake's 15 can hold once rotation leftovers are counted.";
    ReferenceToAbsentObject = "reference-to-absent-object", Error, "A user, policy or account that uses a rule or policy the file marks `absent: true`.";
    ServiceUserWithoutNetworkPolicy = "service-user-without-network-policy", Warning, "A service user with tokens and no network policy in the file; Snowflake refuses its tokens unless the account has one.";
    AllowAllNetwork = "allow-all-network", Warning, "`0.0.0.0/0` or `::/0` in an allow list admits the whole internet.";
    LongLivedToken = "long-lived-token", Warning, "A token that lives longer than 90 days.";
    WeakPatPolicy = "weak-pat-policy", Warning, "A PAT policy weaker than `network_policy_evaluation: ENFORCED_REQUIRED`.";
    RoleRestrictionNotInRoles = "role-restriction-not-in-roles", Warning, "A `role_restriction` the user's `roles` does not list; Snowflake refuses the token unless the account already grants it.";
    UndeclaredReference = "undeclared-reference", Warning, "A reference to a rule or policy the file does not declare; it must already exist in the account.";
    BypassOnServiceUser = "bypass-on-service-user", Warning, "`mins_to_bypass_network_policy_requirement` on a service user's token, where Snowflake documents it for PERSON users only.";
}

/// Ids a rule had before it was renamed, still accepted by [`Rule::from_id`].
pub const RULE_ALIASES: &[(&str, Rule)] = &[(
    "service-token-without-role-restriction",
    Rule::TokenWithoutRoleRestriction,
)];

impl Rule {
    /// The rule with this id, or with this former id ([`RULE_ALIASES`]), for anything that
    /// matches rules by id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.id() == id)
            .or_else(|| {
                RULE_ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == id)
                    .map(|(_, r)| *r)
            })
    }
}

/// One finding at one place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: Rule,
    /// What is wrong, naming the offending key or value (never a secret in full).
    pub message: String,
    /// Where it is; `None` for findings about the file as a whole.
    pub span: Option<Span>,
    /// The dotted address in the file, e.g. `users.THERMAL_USER.tokens.PAT.days_to_expiry`.
    pub path: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Other places that explain the finding (the first of two duplicates, say).
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn new(rule: Rule, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
            span: None,
            path: path.into(),
            hint: None,
            related: Vec::new(),
        }
    }

    pub fn at(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.id()), "duplicate id {}", rule.id());
            assert!(
                rule.id()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{}",
                rule.id()
            );
        }
    }

    #[test]
    fn a_former_id_still_names_its_rule() {
        assert_eq!(
            Rule::from_id("service-token-without-role-restriction"),
            Some(Rule::TokenWithoutRoleRestriction)
        );
        assert_eq!(
            Rule::from_id("token-without-role-restriction"),
            Some(Rule::TokenWithoutRoleRestriction)
        );
        for (alias, _) in RULE_ALIASES {
            assert!(Rule::ALL.iter().all(|r| r.id() != *alias), "{alias}");
        }
        let readme = include_str!("../../README.md");
        for (alias, rule) in RULE_ALIASES {
            let note = format!("`{alias}` is the former id of `{}`", rule.id());
            assert!(readme.contains(&note), "README.md lacks: {note}");
        }
    }

    #[test]
    fn readme_lists_every_rule() {
        let readme = include_str!("../../README.md");
        for rule in Rule::ALL {
            let severity = rule.severity().as_str();
            let row = format!("| `{}` | {severity} | {} |", rule.id(), rule.summary());
            assert!(
                readme.contains(&row),
                "README.md's rule table lacks, or differs from, this row:\n{row}"
            );
        }
    }
}

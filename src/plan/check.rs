//! The catalogue of preflight checks: what `plan` finds Snowflake would refuse (or handle
//! badly) once the account is known.
//!
//! Built like `config::Rule`: every check has a stable id (kebab-case, never reused), a
//! [`Severity`] and a one-line summary, and the README's plan-check table lists them all (a
//! unit test keeps it honest). The checks themselves live in `plan::preflight`.

use super::change::Severity;

macro_rules! checks {
    ($( $variant:ident = $id:literal, $severity:ident, $summary:literal; )*) => {
        /// A preflight check. Ids are stable: tools may filter on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Check { $( $variant, )* }

        impl Check {
            /// Every check, in documentation order.
            pub const ALL: &'static [Check] = &[ $( Check::$variant, )* ];

            /// The stable id, e.g. `network-policy-required`.
            pub fn id(self) -> &'static str {
                match self { $( Check::$variant => $id, )* }
            }

            /// Whether a finding of this check fails the plan.
            pub fn severity(self) -> Severity {
                match self { $( Check::$variant => Severity::$severity, )* }
            }

            /// One line saying what the check finds and why.
            pub fn summary(self) -> &'static str {
                match self { $( Check::$variant => $summary, )* }
            }
        }
    };
}

checks! {
    PatNotAllowed = "pat-not-allowed", Error, "A user declares tokens, but the authentication policy that applies to it does not allow `PROGRAMMATIC_ACCESS_TOKEN`.";
    NetworkPolicyRequired = "network-policy-required", Error, "A SERVICE or LEGACY_SERVICE user with tokens will have no network policy while its PAT policy is `ENFORCED_REQUIRED`; Snowflake refuses the token.";
    RoleRestrictionRequired = "role-restriction-required", Error, "A new token without `role_restriction` where the user's policy requires one (service users by default, PERSON users when `require_role_restriction_for_person_users` is true).";
    RoleNotGranted = "role-not-granted", Error, "A token restricted to a role the user does not hold and the file does not grant.";
    RoleBlocked = "role-blocked", Error, "A token restricted to a role in the `blocked_roles_list` of the user's policy.";
    ExpiryAboveMaximum = "expiry-above-maximum", Error, "A new token that would live longer than the `max_expiry_in_days` of the user's policy.";
    TokenLimit = "token-limit", Error, "A user that would hold more than 15 tokens, counting rotation leftovers, kept undeclared tokens and a replacement's temporary `<NAME>_NEXT` token.";
    RoleMissing = "role-missing", Error, "A role the plan grants or restricts a token to that does not exist in the account.";
    ReferenceMissing = "reference-missing", Error, "A rule or policy the file uses that is neither declared nor in the account.";
    PolicyStillAttached = "policy-still-attached", Error, "A policy the plan drops that is still attached to a user or the account the plan does not detach.";
    RuleInUse = "rule-in-use", Error, "A network rule the plan drops that a network policy still lists.";
    PatSessionUser = "pat-session-user", Error, "The session authenticated with a token of a user whose tokens the plan modifies, rotates or removes; Snowflake refuses that.";
    NetworkPolicyLockout = "network-policy-lockout", Error, "A network policy change that would not allow the session's own address, locking it out.";
    PendingDelivery = "pending-delivery", Error, "A secret minted by an earlier apply did not reach every sink of its token; it waits in a rescue file until `apply` delivers it (or `apply --replace ADDRESS --revoke-old` mints a new one).";
    NetworkPolicyRequiredToUse = "network-policy-required-to-use", Warning, "A PERSON user with tokens and no network policy under `ENFORCED_REQUIRED`: the token is created, but every login with it fails with 390432.";
    NetworkPolicyWithoutRules = "network-policy-without-rules", Warning, "A user's network policy has IP lists only; Snowflake asks for network rules for tokens.";
    RoleHoldingUnknown = "role-holding-unknown", Warning, "A token restricted to a role granted to roles the user is not known to hold (the role hierarchy was read only in part).";
    PolicyAttachmentsUnknown = "policy-attachments-unknown", Warning, "A policy the plan drops whose attachments outside the file were not read (`POLICY_REFERENCES` needs a warehouse).";
    ReplacementWithDowntime = "replacement-with-downtime", Warning, "A working token replaced as REMOVE then ADD because the user has no free slot (or name) for the temporary `<NAME>_NEXT` token: its consumer is down until it reads the new secret.";
    ForceReachesUndeclaredUsers = "force-reaches-undeclared-users", Warning, "An account-level authentication policy replaced with FORCE, which also overrides the policies of users the file does not declare.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for check in Check::ALL {
            assert!(seen.insert(check.id()), "duplicate id {}", check.id());
            assert!(
                check
                    .id()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{}",
                check.id()
            );
        }
    }

    #[test]
    fn readme_lists_every_check() {
        let readme = include_str!("../../README.md");
        for check in Check::ALL {
            let row = format!(
                "| `{}` | {} | {} |",
                check.id(),
                check.severity().as_str(),
                check.summary()
            );
            assert!(
                readme.contains(&row),
                "README.md's plan-check table lacks, or differs from, this row:\n{row}"
            );
        }
    }
}

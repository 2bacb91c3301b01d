//! Snowflake's rules for creating a token, one predicate each, shared by `validate`'s file
//! rules (`config::rules`) and `plan`'s preflight (`plan::preflight`): the two report the same
//! refusal at different times (from the file alone, then with the account), and must not
//! disagree about when it applies. Pure functions, no I/O.

use super::Identifier;
use super::desired::{MAX_TOKENS_PER_USER, UserType};
use super::live::LivePatPolicy;
use super::vocabulary::Spelled;

/// Whether a new token of a user of this type needs a `ROLE_RESTRICTION` under `pat`: service
/// users (SERVICE, LEGACY_SERVICE, SERVICE_AGENT) by `require_role_restriction_for_service_users`,
/// everyone else by `require_role_restriction_for_person_users`. A type this version does not
/// know is held to the person rule.
pub fn role_restriction_required(user_type: &Spelled<UserType>, pat: &LivePatPolicy) -> bool {
    if user_type.known().is_some_and(UserType::is_service) {
        pat.require_role_restriction_for_service_users
    } else {
        pat.require_role_restriction_for_person_users
    }
}

/// Whether a token that lives `days` days is above the policy's `max_expiry_in_days`.
pub fn expiry_above_maximum(days: u32, max_expiry_in_days: u32) -> bool {
    days > max_expiry_in_days
}

/// Whether `pat` refuses tokens restricted to `role` (`BLOCKED_ROLES_LIST`).
pub fn role_blocked(role: &Identifier, pat: &LivePatPolicy) -> bool {
    pat.blocked_roles_list.contains(role)
}

/// Whether a user would need more token slots than Snowflake's [`MAX_TOKENS_PER_USER`].
pub fn token_limit_exceeded(slots: usize) -> bool {
    slots > MAX_TOKENS_PER_USER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_users_follow_the_service_flag_and_others_the_person_flag() {
        let pat = LivePatPolicy::default();
        for t in [
            UserType::Service,
            UserType::LegacyService,
            UserType::ServiceAgent,
        ] {
            assert!(role_restriction_required(&Spelled::Known(t), &pat));
        }
        assert!(!role_restriction_required(
            &Spelled::Known(UserType::Person),
            &pat
        ));
        assert!(!role_restriction_required(
            &Spelled::Other("ROBOT".into()),
            &pat
        ));
        assert!(expiry_above_maximum(366, 365) && !expiry_above_maximum(365, 365));
        assert!(token_limit_exceeded(16) && !token_limit_exceeded(15));
    }
}

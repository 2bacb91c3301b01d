//! Programmatic access tokens: ALTER USER … ADD / MODIFY / ROTATE / REMOVE and SHOW USER
//! PROGRAMMATIC ACCESS TOKENS, with Snowflake's rules (reference `snowflake-sql.md` §2).
//!
//! Rules enforced at ADD, in this order: the user's authentication policy must allow
//! `PROGRAMMATIC_ACCESS_TOKEN`; `DAYS_TO_EXPIRY` in 1..=`MAX_EXPIRY_IN_DAYS` (365 without a
//! policy), defaulting to `DEFAULT_EXPIRY_IN_DAYS` (15); the bypass minutes in 1..=1440 and never
//! for SERVICE_AGENT users; a role restriction for service users (and for person users when the
//! policy says so); the restricted role must exist, be granted to the user (directly or through
//! the role hierarchy) and not be in `BLOCKED_ROLES_LIST`; a SERVICE / LEGACY_SERVICE user needs a
//! network policy (its own or the account's) under `ENFORCED_REQUIRED`; at most 15 unexpired
//! tokens, disabled ones and rotation leftovers included.
//!
//! ROTATE keeps the name, gives it a new secret expiring `days_to_expiry` days from now, and
//! leaves the old secret as `<NAME>_ROTATED_<epoch ms>` with `rotated_to` set, `created_on` = now
//! and expiry after `EXPIRE_ROTATED_TOKEN_AFTER_HOURS` (default 24, capped to the hours the old
//! secret had left; 0 expires it at once). It checks no policy (reference §2.3) but the leftover
//! counts against the limit. A leftover can only be removed.
//!
//! `ADD … IF NOT EXISTS` for a token that exists answers a one-row `status` result ("… already
//! exists, statement succeeded."), with no secret. MODIFY / ROTATE / REMOVE of a missing token
//! is "Programmatic access token `<NAME>` not found." (002003) unless `IF EXISTS` is given.
//!
//! A session authenticated with a PAT may not MODIFY / ROTATE / REMOVE tokens of its own user
//! (the docs name these three); it may ADD one (Corrections 11: the docs do not forbid it).
//!
//! Minted secrets look like `ver:1-hint:<10 digits>-<64 base62 characters>`; only their SHA-256
//! is kept.

use chrono::Duration;
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

use super::{AuthMethod, Context, Result};
use crate::sandbox::account::{MAX_TOKENS_PER_USER, Token, User};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::Name;
use crate::sandbox::result_set::{Column, ResultSet, encode_timestamp};
use crate::sandbox::sql::ast::{
    AddToken, ModifyToken, NetworkPolicyEvaluation, RotateToken, TokenChange, TokenProperty,
    UserType,
};

/// The prefix of every secret the sandbox mints.
const SECRET_PREFIX: &str = "ver:1-hint:";
/// Widest `MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT` (one day).
const MAX_BYPASS_MINUTES: i64 = 1440;
/// Default `EXPIRE_ROTATED_TOKEN_AFTER_HOURS`.
const DEFAULT_ROTATED_HOURS: i64 = 24;

/// Hex SHA-256 of a secret: what the account stores and looks tokens up by.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether a bearer token has the shape of a secret this sandbox mints.
pub fn looks_like_token_secret(token: &str) -> bool {
    token.starts_with(SECRET_PREFIX)
}

fn mint_secret() -> String {
    let mut rng = rand::thread_rng();
    let hint: u64 = rng.gen_range(1_000_000_000..10_000_000_000);
    let body: String = (&mut rng)
        .sample_iter(&Alphanumeric)
        .take(64)
        .map(char::from)
        .collect();
    format!("{SECRET_PREFIX}{hint}-{body}")
}

/// Who may manage or list `user`'s tokens: admins; a PERSON user for themself. With `manage`
/// (MODIFY / ROTATE / REMOVE), a PAT session may not touch its own user's tokens.
fn authorize(context: &Context<'_>, user: &User, manage: bool) -> Result<()> {
    let own = user.name == context.session.user;
    if manage
        && own
        && matches!(
            context.session.method,
            AuthMethod::ProgrammaticAccessToken { .. }
        )
    {
        return Err(StatementError::PatSessionSelfManagement {
            user: user.name.to_string(),
        });
    }
    if context.is_admin() || (own && user.user_type == UserType::Person) {
        return Ok(());
    }
    Err(StatementError::insufficient(ObjectKind::User, &user.name))
}

fn check_range(option: &'static str, value: i64, min: i64, max: i64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(StatementError::OptionOutOfRange {
            option,
            value,
            min,
            max,
        })
    }
}

fn check_bypass(user: &User, minutes: i64) -> Result<()> {
    if user.user_type == UserType::ServiceAgent {
        return Err(StatementError::invalid_value(
            "MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT",
            minutes.to_string(),
        ));
    }
    check_range(
        "MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT",
        minutes,
        1,
        MAX_BYPASS_MINUTES,
    )
}

fn secret_columns(rotated: bool) -> ResultSet {
    let mut columns = vec![Column::text("token_name"), Column::text("token_secret")];
    if rotated {
        columns.push(Column::text("rotated_token_name"));
    }
    ResultSet::new(columns)
}

pub(super) fn add(
    context: &mut Context<'_>,
    user_name: &Name,
    add: &AddToken,
) -> Result<ResultSet> {
    let user = context.user(user_name)?;
    // Not `authorize(…, true)`: a PAT session may add a token to its own user.
    authorize(context, user, false)?;
    if user.token(&add.name).is_some() {
        if add.if_not_exists {
            return Ok(ResultSet::status(format!(
                "Programmatic access token {} already exists, statement succeeded.",
                add.name
            )));
        }
        return Err(StatementError::already_exists(&add.name));
    }
    let effective = context.account.effective_authentication_policy(user);
    if let Some((_, policy)) = effective
        && !policy.allows("PROGRAMMATIC_ACCESS_TOKEN")
    {
        return Err(StatementError::AuthenticationMethodNotAllowed {
            user: user.name.to_string(),
            policy: policy.name.to_string(),
        });
    }
    let policy_name = effective.map(|(_, policy)| policy.name.to_string());
    let pat_policy = context.account.pat_policy(user);
    let days = add
        .days_to_expiry
        .unwrap_or(pat_policy.default_expiry_in_days);
    check_range("DAYS_TO_EXPIRY", days, 1, pat_policy.max_expiry_in_days)?;
    if let Some(minutes) = add.mins_to_bypass_network_policy_requirement {
        check_bypass(user, minutes)?;
    }
    let required = if user.user_type.is_service() {
        pat_policy.require_role_restriction_for_service_users
    } else {
        pat_policy.require_role_restriction_for_person_users
    };
    match &add.role_restriction {
        None if required => {
            return Err(StatementError::RoleRestrictionRequired {
                user: user.name.to_string(),
                user_type: user.user_type.as_str().to_owned(),
            });
        }
        None => {}
        Some(role) => {
            if !context.account.roles.contains_key(role) {
                return Err(StatementError::does_not_exist(ObjectKind::Role, role));
            }
            if !context.account.user_roles(&user.name).contains(role) {
                return Err(StatementError::RoleNotGranted {
                    role: role.to_string(),
                    user: user.name.to_string(),
                });
            }
            if pat_policy.blocked_roles_list.contains(role) {
                return Err(StatementError::RoleBlocked {
                    role: role.to_string(),
                    policy: policy_name.unwrap_or_default(),
                });
            }
        }
    }
    let needs_network_policy =
        matches!(user.user_type, UserType::Service | UserType::LegacyService)
            && pat_policy.network_policy_evaluation == NetworkPolicyEvaluation::EnforcedRequired;
    if needs_network_policy && context.account.effective_network_policy(user).is_none() {
        return Err(StatementError::NetworkPolicyRequired);
    }
    if user.counted_tokens(context.now) >= MAX_TOKENS_PER_USER {
        return Err(StatementError::TokenLimitExceeded {
            user: user.name.to_string(),
            limit: MAX_TOKENS_PER_USER,
        });
    }
    let secret = mint_secret();
    let credential_id = context.account.usage.next_credential_id();
    let token = Token {
        name: add.name.clone(),
        secret_sha256: hash_secret(&secret),
        role_restriction: add.role_restriction.clone(),
        days_to_expiry: days,
        expires_at: context.now + Duration::days(days),
        created_on: context.now,
        created_by: context.session.user.clone(),
        comment: add.comment.clone(),
        disabled: false,
        bypass_until: add
            .mins_to_bypass_network_policy_requirement
            .map(|minutes| context.now + Duration::minutes(minutes)),
        rotated_to: None,
        credential_id,
        last_altered: None,
        last_altered_by: None,
    };
    let hash = token.secret_sha256.clone();
    if let Some(user) = context.account.users.get_mut(user_name) {
        user.tokens.push(token);
    }
    context.account.note_token_owner(&hash, user_name);
    let mut result = secret_columns(false);
    result.push(vec![Some(add.name.to_string()), Some(secret)]);
    Ok(result)
}

/// Looks a token up for MODIFY / ROTATE / REMOVE: `Ok(None)` when it is missing under
/// `IF EXISTS`.
fn existing<'u>(user: &'u User, name: &Name, if_exists: bool) -> Result<Option<&'u Token>> {
    match user.token(name) {
        Some(token) => Ok(Some(token)),
        None if if_exists => Ok(None),
        None => Err(StatementError::TokenNotFound {
            name: name.to_string(),
        }),
    }
}

pub(super) fn modify(
    context: &mut Context<'_>,
    user_name: &Name,
    modify: &ModifyToken,
) -> Result<ResultSet> {
    let user = context.user(user_name)?;
    authorize(context, user, true)?;
    let Some(token) = existing(user, &modify.name, modify.if_exists)? else {
        return Ok(ResultSet::status("Statement executed successfully."));
    };
    if token.rotated_to.is_some() {
        return Err(StatementError::RotatedTokenImmutable {
            name: token.name.to_string(),
        });
    }
    match &modify.change {
        TokenChange::Rename(new_name) if user.token(new_name).is_some() => {
            return Err(StatementError::already_exists(new_name));
        }
        TokenChange::Set {
            mins_to_bypass_network_policy_requirement: Some(minutes),
            ..
        } => check_bypass(user, *minutes)?,
        _ => {}
    }
    let now = context.now;
    let altered_by = context.session.user.clone();
    let Some(user) = context.account.users.get_mut(user_name) else {
        return Err(StatementError::does_not_exist(ObjectKind::User, user_name));
    };
    if let Some(token) = user.token_mut(&modify.name) {
        token.last_altered = Some(now);
        token.last_altered_by = Some(altered_by);
    }
    match &modify.change {
        TokenChange::Rename(new_name) => {
            for token in &mut user.tokens {
                if token.name == modify.name {
                    token.name = new_name.clone();
                } else if token.rotated_to.as_ref() == Some(&modify.name) {
                    token.rotated_to = Some(new_name.clone());
                }
            }
        }
        TokenChange::Set {
            disabled,
            mins_to_bypass_network_policy_requirement,
            comment,
        } => {
            if let Some(token) = user.token_mut(&modify.name) {
                if let Some(disabled) = disabled {
                    token.disabled = *disabled;
                }
                if let Some(minutes) = mins_to_bypass_network_policy_requirement {
                    token.bypass_until = Some(now + Duration::minutes(*minutes));
                }
                if let Some(comment) = comment {
                    token.comment = Some(comment.clone());
                }
            }
        }
        TokenChange::Unset(properties) => {
            if let Some(token) = user.token_mut(&modify.name) {
                for property in properties {
                    match property {
                        TokenProperty::Disabled => token.disabled = false,
                        TokenProperty::MinsToBypassNetworkPolicyRequirement => {
                            token.bypass_until = None;
                        }
                        TokenProperty::Comment => token.comment = None,
                    }
                }
            }
        }
    }
    Ok(ResultSet::status("Statement executed successfully."))
}

pub(super) fn rotate(
    context: &mut Context<'_>,
    user_name: &Name,
    rotate: &RotateToken,
) -> Result<ResultSet> {
    let now = context.now;
    let user = context.user(user_name)?;
    authorize(context, user, true)?;
    let Some(token) = existing(user, &rotate.name, rotate.if_exists)? else {
        return Ok(ResultSet::status("Statement executed successfully."));
    };
    if token.rotated_to.is_some() {
        return Err(StatementError::RotatedTokenImmutable {
            name: token.name.to_string(),
        });
    }
    if now >= token.expires_at {
        return Err(StatementError::TokenExpired {
            name: token.name.to_string(),
        });
    }
    let hours_left = (token.expires_at - now).num_hours();
    let hours = match rotate.expire_rotated_token_after_hours {
        Some(hours) => {
            check_range("EXPIRE_ROTATED_TOKEN_AFTER_HOURS", hours, 0, hours_left)?;
            hours
        }
        None => DEFAULT_ROTATED_HOURS.min(hours_left),
    };
    if hours > 0 && user.counted_tokens(now) >= MAX_TOKENS_PER_USER {
        return Err(StatementError::TokenLimitExceeded {
            user: user.name.to_string(),
            limit: MAX_TOKENS_PER_USER,
        });
    }
    let mut millis = now.timestamp_millis();
    let mut leftover_name = Name::new(format!("{}_ROTATED_{millis}", token.name));
    while user.token(&leftover_name).is_some() {
        millis += 1;
        leftover_name = Name::new(format!("{}_ROTATED_{millis}", token.name));
    }
    let leftover = Token {
        name: leftover_name.clone(),
        expires_at: now + Duration::hours(hours),
        created_on: now,
        created_by: context.session.user.clone(),
        rotated_to: Some(token.name.clone()),
        ..token.clone()
    };
    let secret = mint_secret();
    let leftover = Token {
        credential_id: context.account.usage.next_credential_id(),
        last_altered: None,
        last_altered_by: None,
        ..leftover
    };
    let Some(user) = context.account.users.get_mut(user_name) else {
        return Err(StatementError::does_not_exist(ObjectKind::User, user_name));
    };
    // Choice (Corrections 16, unconfirmed): the ROTATE page says the new secret gets "an extended
    // expiration time" from the token's DAYS_TO_EXPIRY, so the kept row's `expires_at` moves to
    // now + DAYS_TO_EXPIRY and its `created_on` stays; the PAT guide's SHOW example (original
    // created_on, expires_at = created_on + DAYS_TO_EXPIRY) contradicts it. The leftover row
    // (`rotated_to` set, `created_on` = now) records when the rotation happened either way.
    if let Some(kept) = user.token_mut(&rotate.name) {
        kept.secret_sha256 = hash_secret(&secret);
        kept.expires_at = now + Duration::days(kept.days_to_expiry);
        kept.last_altered = Some(now);
        kept.last_altered_by = Some(context.session.user.clone());
    }
    user.tokens.push(leftover);
    context
        .account
        .note_token_owner(&hash_secret(&secret), user_name);
    let mut result = secret_columns(true);
    result.push(vec![
        Some(rotate.name.to_string()),
        Some(secret),
        Some(leftover_name.to_string()),
    ]);
    Ok(result)
}

pub(super) fn remove(
    context: &mut Context<'_>,
    user_name: &Name,
    if_exists: bool,
    name: &Name,
) -> Result<ResultSet> {
    let user = context.user(user_name)?;
    authorize(context, user, true)?;
    if existing(user, name, if_exists)?.is_none() {
        return Ok(ResultSet::status("Statement executed successfully."));
    }
    let now = context.now;
    context
        .account
        .remove_tokens(user_name, |token| &token.name != name, now);
    Ok(ResultSet::status(format!(
        "Programmatic access token {name} successfully removed."
    )))
}

/// The ten columns of SHOW USER PROGRAMMATIC ACCESS TOKENS, in the order live accounts return
/// them (reference §2.5).
pub(super) fn show(context: &mut Context<'_>, user_name: Option<&Name>) -> Result<ResultSet> {
    let user_name = user_name.unwrap_or(&context.session.user);
    let user = context.user(user_name)?;
    authorize(context, user, false)?;
    let mut result = ResultSet::new(vec![
        Column::text("name"),
        Column::text("user_name"),
        Column::text("role_restriction"),
        Column::timestamp("expires_at"),
        Column::text("status"),
        Column::text("comment"),
        Column::timestamp("created_on"),
        Column::text("created_by"),
        Column::fixed("mins_to_bypass_network_policy_requirement"),
        Column::text("rotated_to"),
    ]);
    for token in user.visible_tokens(context.now) {
        result.push(vec![
            Some(token.name.to_string()),
            Some(user.name.to_string()),
            token.role_restriction.as_ref().map(Name::to_string),
            Some(encode_timestamp(token.expires_at)),
            Some(token.status(context.now).as_str().to_owned()),
            token.comment.clone(),
            Some(encode_timestamp(token.created_on)),
            Some(token.created_by.to_string()),
            token
                .bypass_minutes_left(context.now)
                .map(|minutes| minutes.to_string()),
            token.rotated_to.as_ref().map(Name::to_string),
        ]);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_secrets_have_the_documented_shape() {
        let secret = mint_secret();
        assert!(looks_like_token_secret(&secret));
        let rest = secret.trim_start_matches(SECRET_PREFIX);
        let (hint, body) = rest.split_once('-').unwrap();
        assert_eq!(hint.len(), 10);
        assert!(hint.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(body.len(), 64);
        assert!(body.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(mint_secret(), secret);
    }
}

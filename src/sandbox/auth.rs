//! Who is calling: the `Authorization: Bearer …` of each request checked against what the account
//! knows (reference `sql-api.md` §2, `snowflake-sql.md` §2.6–2.7).
//!
//! - The admin token (`--admin-token`) is user ADMIN; no network policy applies to it (it is the
//!   sandbox's control channel, not a Snowflake credential).
//! - A PAT is looked up by the SHA-256 of the secret. Refused (394400 "Programmatic access token
//!   is invalid.") when unknown, expired, disabled, longer-lived than the policy now allows, or
//!   when its restricted role is gone, no longer granted or blocked; 390101 when the user is
//!   disabled; 390202 when the user's authentication policy does not allow PATs. Then the network
//!   policy (the user's, else the account's) is evaluated as the PAT policy's
//!   `NETWORK_POLICY_EVALUATION` says: under ENFORCED_REQUIRED a token with no policy to satisfy
//!   is refused with 390432, unless the user is SERVICE_AGENT or a PERSON whose token has an
//!   active bypass window; a policy that does not admit the client address is 390422.
//! - A key-pair JWT: RS256/384/512, `iss` = `ACCOUNT.USER.SHA256:<fp>`, `sub` = `ACCOUNT.USER`,
//!   where USER is the user's LOGIN_NAME in upper case (Corrections 5; LOGIN_NAME defaults to
//!   the user name), the account equal to the sandbox's, the fingerprint one of the user's
//!   registered keys, the signature valid, `iat`/`exp` (seconds or milliseconds) checked against
//!   the real wall clock with 60 s leeway. A JWT is valid for at most one hour after `iat`, even
//!   when `exp` is later: the expiry is capped, not refused. Any failure is 390144. A network
//!   policy that applies to the user must admit the client (390422), as it would for any login.
//! - Without `X-Snowflake-Authorization-Token-Type` the type is inferred: the admin token, then a
//!   JWT (three dot-separated parts), then a PAT; anything else is treated as OAuth (390303).

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use uuid::Uuid;

use crate::sandbox::account::{Account, Token, User};
use crate::sandbox::error::{JwtRejection, LoginError, PatRejection};
use crate::sandbox::executor::{AuthMethod, address_allowed, hash_secret, looks_like_token_secret};
use crate::sandbox::name::Name;
use crate::sandbox::sql::ast::{NetworkPolicyEvaluation, UserType};

/// Leeway on JWT time claims, for clock skew between client and sandbox.
const JWT_LEEWAY_SECONDS: i64 = 60;
/// Longest a key-pair JWT may live.
const JWT_MAX_LIFETIME_SECONDS: i64 = 3600;

/// What a request presents.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// `X-Snowflake-Authorization-Token-Type`, if any.
    pub token_type: Option<&'a str>,
    pub client_address: IpAddr,
}

/// The sandbox's own credential.
#[derive(Debug, Clone)]
pub struct AdminIdentity {
    pub token: String,
    pub user: Name,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub user: Name,
    pub method: AuthMethod,
    /// The role a restricted PAT pins the session to.
    pub restricted_role: Option<Name>,
}

/// Where a bearer token is checked.
enum Route<'a> {
    Admin,
    Jwt(&'a str),
    Pat(&'a str),
    OAuth,
}

/// Whether `token` is the admin token, compared in constant time (the admin token is the
/// sandbox's master key; a byte-by-byte comparison would leak its prefix through timing).
pub fn is_admin_token(token: &str, admin: &AdminIdentity) -> bool {
    use subtle::ConstantTimeEq as _;
    bool::from(token.as_bytes().ct_eq(admin.token.as_bytes()))
}

/// The bearer token of an `Authorization` header, if there is a non-empty one.
fn bearer<'a>(credentials: &Credentials<'a>) -> Option<&'a str> {
    credentials
        .authorization
        .and_then(|header| {
            let (scheme, token) = header.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
}

fn route<'a>(account: &Account, admin: &AdminIdentity, credentials: &Credentials<'a>) -> Route<'a> {
    let Some(token) = bearer(credentials) else {
        return Route::OAuth;
    };
    let kind = credentials.token_type.map(str::to_ascii_uppercase);
    let is_admin = is_admin_token(token, admin);
    match kind.as_deref() {
        Some("KEYPAIR_JWT") => Route::Jwt(token),
        Some(_) if is_admin => Route::Admin,
        Some("PROGRAMMATIC_ACCESS_TOKEN") => Route::Pat(token),
        Some(_) => Route::OAuth,
        None if is_admin => Route::Admin,
        None if token.split('.').count() == 3 && !looks_like_token_secret(token) => {
            Route::Jwt(token)
        }
        None if looks_like_token_secret(token) || find_token(account, token).is_some() => {
            Route::Pat(token)
        }
        None => Route::OAuth,
    }
}

/// The user and CREDENTIAL_ID of the PAT a request presents, when its secret names a token of
/// the account (whether or not the login then succeeds): what LOGIN_HISTORY records.
pub fn presented_pat(
    account: &Account,
    admin: &AdminIdentity,
    credentials: Credentials<'_>,
) -> Option<(Name, u64)> {
    match route(account, admin, &credentials) {
        Route::Pat(secret) => find_token(account, secret)
            .map(|(user, token)| (user.name.clone(), token.credential_id)),
        Route::Admin | Route::Jwt(_) | Route::OAuth => None,
    }
}

/// Checks a request's credentials. `now` is the sandbox clock (token expiry); `real_now` the wall
/// clock (JWT claims).
pub fn authenticate(
    account: &Account,
    admin: &AdminIdentity,
    credentials: Credentials<'_>,
    now: DateTime<Utc>,
    real_now: DateTime<Utc>,
) -> Result<Login, LoginError> {
    match route(account, admin, &credentials) {
        Route::Admin => Ok(Login {
            user: admin.user.clone(),
            method: AuthMethod::AdminToken,
            restricted_role: None,
        }),
        Route::Jwt(token) => jwt(account, token, credentials.client_address, real_now),
        Route::Pat(token) => pat(account, token, credentials.client_address, now),
        Route::OAuth => Err(LoginError::InvalidOAuthToken {
            request_id: Uuid::new_v4(),
        }),
    }
}

fn find_token<'a>(account: &'a Account, secret: &str) -> Option<(&'a User, &'a Token)> {
    account.token_by_hash(&hash_secret(secret))
}

fn pat(
    account: &Account,
    secret: &str,
    address: IpAddr,
    now: DateTime<Utc>,
) -> Result<Login, LoginError> {
    let invalid = |reason| LoginError::InvalidPat { reason };
    let (user, token) = find_token(account, secret).ok_or(invalid(PatRejection::Unknown))?;
    if user.disabled {
        return Err(LoginError::UserDisabled);
    }
    match token.status(now) {
        crate::sandbox::account::TokenStatus::Expired => {
            return Err(invalid(PatRejection::Expired));
        }
        crate::sandbox::account::TokenStatus::Disabled => {
            return Err(invalid(PatRejection::Disabled));
        }
        crate::sandbox::account::TokenStatus::Active => {}
    }
    if let Some((_, policy)) = account.effective_authentication_policy(user)
        && !policy.allows("PROGRAMMATIC_ACCESS_TOKEN")
    {
        return Err(LoginError::AuthenticationPolicyRejected);
    }
    let pat_policy = account.pat_policy(user);
    if token.days_to_expiry > pat_policy.max_expiry_in_days {
        return Err(invalid(PatRejection::ExpiryBeyondPolicyMaximum));
    }
    match &token.role_restriction {
        Some(role) => {
            if !account.roles.contains_key(role) {
                return Err(invalid(PatRejection::RoleMissing));
            }
            if !account.user_roles(&user.name).contains(role) {
                return Err(invalid(PatRejection::RoleNotGranted));
            }
            if pat_policy.blocked_roles_list.contains(role) {
                return Err(invalid(PatRejection::RoleBlocked));
            }
        }
        None => {
            let required = if user.user_type.is_service() {
                pat_policy.require_role_restriction_for_service_users
            } else {
                pat_policy.require_role_restriction_for_person_users
            };
            if required {
                return Err(invalid(PatRejection::RoleRestrictionRequired));
            }
        }
    }
    let bypass = user.user_type == UserType::ServiceAgent
        || (user.user_type == UserType::Person
            && token.bypass_until.is_some_and(|until| now < until));
    match (
        pat_policy.network_policy_evaluation,
        account.effective_network_policy(user),
    ) {
        (NetworkPolicyEvaluation::NotEnforced, _) => {}
        (_, Some(policy)) => {
            if !address_allowed(account, policy, address) {
                return Err(LoginError::AddressNotAllowed { address });
            }
        }
        (NetworkPolicyEvaluation::EnforcedRequired, None) if !bypass => {
            return Err(LoginError::NetworkPolicyRequired);
        }
        (_, None) => {}
    }
    Ok(Login {
        user: user.name.clone(),
        method: AuthMethod::ProgrammaticAccessToken {
            token: token.name.clone(),
        },
        restricted_role: token.role_restriction.clone(),
    })
}

/// A time claim in seconds (values past year 5138 in seconds are taken as milliseconds).
fn claim_seconds(claims: &serde_json::Value, name: &str) -> Option<i64> {
    let value = claims.get(name)?;
    let number = value
        .as_i64()
        .or_else(|| value.as_f64().map(|float| float as i64))?;
    Some(if number > 100_000_000_000 {
        number / 1000
    } else {
        number
    })
}

fn jwt(
    account: &Account,
    token: &str,
    address: IpAddr,
    real_now: DateTime<Utc>,
) -> Result<Login, LoginError> {
    let reject = |reason| LoginError::InvalidJwt {
        reason,
        request_id: Uuid::new_v4(),
    };
    let header = jsonwebtoken::decode_header(token).map_err(|_| reject(JwtRejection::Malformed))?;
    if !matches!(
        header.alg,
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512
    ) {
        return Err(reject(JwtRejection::UnsupportedAlgorithm));
    }
    let payload = token
        .split('.')
        .nth(1)
        .and_then(|part| URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .ok_or(reject(JwtRejection::Malformed))?;
    let issuer = payload
        .get("iss")
        .and_then(|value| value.as_str())
        .ok_or(reject(JwtRejection::MissingClaim))?;
    let subject = payload
        .get("sub")
        .and_then(|value| value.as_str())
        .ok_or(reject(JwtRejection::MissingClaim))?;
    let (qualified, fingerprint) = issuer
        .split_once(".SHA256:")
        .ok_or(reject(JwtRejection::IssuerMismatch))?;
    if qualified != subject {
        return Err(reject(JwtRejection::IssuerMismatch));
    }
    let (account_part, user_part) = qualified
        .split_once('.')
        .ok_or(reject(JwtRejection::IssuerMismatch))?;
    if account_part != account.name {
        return Err(reject(JwtRejection::WrongAccount));
    }
    let user = account
        .users
        .values()
        .find(|user| user.login_name.to_uppercase() == user_part)
        .ok_or(reject(JwtRejection::UnknownUser))?;
    let fingerprint = format!("SHA256:{fingerprint}");
    let key = [&user.rsa_public_key, &user.rsa_public_key_2]
        .into_iter()
        .flatten()
        .find(|key| key.fingerprint == fingerprint)
        .ok_or(reject(JwtRejection::NoMatchingKey))?;
    let public_key = STANDARD
        .decode(&key.body)
        .ok()
        .and_then(|der| RsaPublicKey::from_public_key_der(&der).ok())
        .ok_or(reject(JwtRejection::NoMatchingKey))?;
    let decoding_key = DecodingKey::from_rsa_raw_components(
        &public_key.n().to_bytes_be(),
        &public_key.e().to_bytes_be(),
    );
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(token, &decoding_key, &validation)
        .map_err(|_| reject(JwtRejection::BadSignature))?;
    let issued = claim_seconds(&payload, "iat").ok_or(reject(JwtRejection::MissingClaim))?;
    let expires = claim_seconds(&payload, "exp").ok_or(reject(JwtRejection::MissingClaim))?;
    let now = real_now.timestamp();
    if issued > now + JWT_LEEWAY_SECONDS {
        return Err(reject(JwtRejection::IssuedInFuture));
    }
    let expires = expires.min(issued + JWT_MAX_LIFETIME_SECONDS);
    if expires + JWT_LEEWAY_SECONDS < now {
        return Err(reject(JwtRejection::Expired));
    }
    if user.disabled {
        return Err(LoginError::UserDisabled);
    }
    if let Some((_, policy)) = account.effective_authentication_policy(user)
        && !policy.allows("KEYPAIR")
    {
        return Err(LoginError::AuthenticationPolicyRejected);
    }
    if let Some(policy) = account.effective_network_policy(user)
        && !address_allowed(account, policy, address)
    {
        return Err(LoginError::AddressNotAllowed { address });
    }
    Ok(Login {
        user: user.name.clone(),
        method: AuthMethod::KeyPair,
        restricted_role: None,
    })
}

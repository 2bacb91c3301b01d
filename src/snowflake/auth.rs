//! Credentials for the SQL API: key-pair JWTs (signed here, renewed before they expire), PATs
//! and OAuth tokens. Every request carries `Authorization: Bearer` and the token-type header.

use std::path::Path;
use std::sync::Mutex;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rsa::RsaPrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};

use super::error::ClientError;
use crate::config::connection::{Authentication, ConnectionSettings, TokenSource};
use crate::secrets::Secret;

/// Lifetime of a JWT we sign; Snowflake accepts at most one hour.
const JWT_LIFETIME_MINUTES: i64 = 59;
/// Sign a new JWT when the current one has less than this left.
const JWT_RENEW_MINUTES: i64 = 5;

/// What kind of bearer token a request carries (`X-Snowflake-Authorization-Token-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    KeypairJwt,
    ProgrammaticAccessToken,
    Oauth,
}

impl TokenType {
    /// The token type the settings authenticate with.
    pub fn of(authentication: &Authentication) -> Self {
        match authentication {
            Authentication::KeyPair { .. } => Self::KeypairJwt,
            Authentication::ProgrammaticAccessToken(_) => Self::ProgrammaticAccessToken,
            Authentication::OAuth(_) => Self::Oauth,
        }
    }

    /// The header value, as the SQL API spells it.
    pub fn header_value(self) -> &'static str {
        match self {
            Self::KeypairJwt => "KEYPAIR_JWT",
            Self::ProgrammaticAccessToken => "PROGRAMMATIC_ACCESS_TOKEN",
            Self::Oauth => "OAUTH",
        }
    }
}

/// Produces the bearer token of each request.
pub struct Credentials {
    token_type: TokenType,
    kind: Kind,
}

enum Kind {
    Static(Secret),
    KeyPair {
        key: Box<KeyPair>,
        cached: Mutex<Option<(Secret, DateTime<Utc>)>>,
    },
}

/// A loaded private key and the claims it signs.
pub struct KeyPair {
    encoding: jsonwebtoken::EncodingKey,
    /// `ACCOUNT.USER`
    pub subject: String,
    /// `SHA256:<base64>` of the public key (as `DESC USER ... RSA_PUBLIC_KEY_FP` shows it).
    pub fingerprint: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    iat: i64,
    exp: i64,
}

impl Credentials {
    /// Loads the credential the settings name (reads key and token files once).
    pub fn load(settings: &ConnectionSettings) -> Result<Self, ClientError> {
        let token_type = TokenType::of(&settings.authentication);
        let kind = match &settings.authentication {
            Authentication::KeyPair {
                private_key_file,
                passphrase,
            } => {
                let user = settings.user.as_deref().unwrap_or_default();
                Kind::KeyPair {
                    key: Box::new(KeyPair::load(
                        private_key_file,
                        passphrase.as_ref(),
                        &settings.account,
                        user,
                    )?),
                    cached: Mutex::new(None),
                }
            }
            Authentication::ProgrammaticAccessToken(source) | Authentication::OAuth(source) => {
                Kind::Static(read_token(source)?)
            }
        };
        Ok(Self { token_type, kind })
    }

    /// A bearer credential used as is (the sandbox's admin token, tests).
    pub fn bearer(token: Secret, token_type: TokenType) -> Self {
        Self {
            token_type,
            kind: Kind::Static(token),
        }
    }

    /// The `X-Snowflake-Authorization-Token-Type` header value.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// The bearer token for a request made at `now`.
    pub fn token(&self, now: DateTime<Utc>) -> Result<Secret, ClientError> {
        match &self.kind {
            Kind::Static(s) => Ok(s.clone()),
            Kind::KeyPair { key, cached } => {
                let mut guard = cached
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some((jwt, expires)) = guard.as_ref() {
                    if *expires - now > Duration::minutes(JWT_RENEW_MINUTES) {
                        return Ok(jwt.clone());
                    }
                }
                let (jwt, expires) = key.sign(now)?;
                *guard = Some((jwt.clone(), expires));
                Ok(jwt)
            }
        }
    }
}

fn read_token(source: &TokenSource) -> Result<Secret, ClientError> {
    match source {
        TokenSource::Inline(s) => Ok(s.clone()),
        TokenSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ClientError::Credential {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            let token = Secret::new(text.trim().to_owned());
            if token.is_empty() {
                return Err(ClientError::Credential {
                    path: path.clone(),
                    detail: "the file is empty".into(),
                });
            }
            Ok(token)
        }
    }
}

/// The account part of JWT claims, as Snowflake's own sample and connectors derive it: the
/// identifier up to the first `.` (dropping region, cloud and `privatelink`), or for a `.global`
/// replication URL up to the first `-`; upper case.
pub fn jwt_account(account: &str) -> String {
    let base = if account.contains(".global") {
        account.split('-').next().unwrap_or(account)
    } else {
        account.split('.').next().unwrap_or(account)
    };
    base.to_ascii_uppercase()
}

impl KeyPair {
    /// Loads a PKCS#8 PEM key (encrypted ones with `passphrase`); PKCS#1 is accepted too.
    pub fn load(
        path: &Path,
        passphrase: Option<&Secret>,
        account: &str,
        user: &str,
    ) -> Result<Self, ClientError> {
        let err = |detail: String| ClientError::Credential {
            path: path.to_owned(),
            detail,
        };
        let pem =
            zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?);
        let key = if pem.contains("ENCRYPTED PRIVATE KEY") {
            let pass = passphrase.ok_or_else(|| {
                err("the key is encrypted; set SNOWFLAKE_PRIVATE_KEY_FILE_PWD".into())
            })?;
            RsaPrivateKey::from_pkcs8_encrypted_pem(&pem, pass.expose().as_bytes())
                .map_err(|e| err(format!("cannot decrypt the key: {e}")))?
        } else if pem.contains(concat!("BEGIN RSA PRIVATE", " KEY")) {
            RsaPrivateKey::from_pkcs1_pem(&pem).map_err(|e| err(format!("not an RSA key: {e}")))?
        } else {
            RsaPrivateKey::from_pkcs8_pem(&pem)
                .map_err(|e| err(format!("not a PKCS#8 RSA private key: {e}")))?
        };
        Self::from_key(&key, account, user).map_err(err)
    }

    /// Builds the signer from a key already in memory.
    pub fn from_key(key: &RsaPrivateKey, account: &str, user: &str) -> Result<Self, String> {
        let public = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| format!("cannot encode the public key: {e}"))?;
        let fingerprint = format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(public.as_bytes()))
        );
        let der = key
            .to_pkcs1_der()
            .map_err(|e| format!("cannot encode the key: {e}"))?;
        Ok(Self {
            encoding: jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes()),
            subject: format!("{}.{}", jwt_account(account), user.to_ascii_uppercase()),
            fingerprint,
        })
    }

    /// Signs a JWT valid from `now` for [`JWT_LIFETIME_MINUTES`].
    pub fn sign(&self, now: DateTime<Utc>) -> Result<(Secret, DateTime<Utc>), ClientError> {
        let expires = now + Duration::minutes(JWT_LIFETIME_MINUTES);
        let issuer = format!("{}.{}", self.subject, self.fingerprint);
        let claims = Claims {
            iss: &issuer,
            sub: &self.subject,
            iat: now.timestamp(),
            exp: expires.timestamp(),
        };
        let jwt = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            &self.encoding,
        )
        .map_err(|e| ClientError::Protocol {
            detail: format!("cannot sign the JWT: {e}"),
        })?;
        Ok((Secret::new(jwt), expires))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_part_follows_the_connectors() {
        let cases = [
            ("myorg-myaccount", "MYORG-MYACCOUNT"),
            ("xy12345.us-east-2.aws", "XY12345"),
            ("myorg-myaccount.privatelink", "MYORG-MYACCOUNT"),
            ("xy12345", "XY12345"),
            ("myorg-myaccount-acct.global", "MYORG"),
            ("sandbox", "SANDBOX"),
        ];
        for (input, want) in cases {
            assert_eq!(jwt_account(input), want, "{input}");
        }
    }

    /// The repository's test-only key (generating one per test is slow in debug builds).
    fn fixture_key() -> RsaPrivateKey {
        let pem = include_str!("../../tests/fixtures/keys/rsa_key.p8");
        RsaPrivateKey::from_pkcs8_pem(pem).unwrap()
    }

    #[test]
    fn jwt_claims_and_fingerprint_are_snowflakes() {
        let key = fixture_key();
        let pair = KeyPair::from_key(&key, "myorg-myaccount", "deployer").unwrap();
        assert_eq!(pair.subject, "MYORG-MYACCOUNT.DEPLOYER");
        let der = key.to_public_key().to_public_key_der().unwrap();
        let expected = format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(der.as_bytes()))
        );
        assert_eq!(pair.fingerprint, expected);
        let now: DateTime<Utc> = "2026-11-27T12:00:00Z".parse().unwrap();
        let (jwt, exp) = pair.sign(now).unwrap();
        assert_eq!(exp - now, Duration::minutes(59));
        let payload = jwt.expose().split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            claims["iss"],
            format!("MYORG-MYACCOUNT.DEPLOYER.{expected}")
        );
        assert_eq!(claims["sub"], "MYORG-MYACCOUNT.DEPLOYER");
        assert_eq!(claims["iat"], now.timestamp());
        assert_eq!(claims["exp"], (now + Duration::minutes(59)).timestamp());
    }

    #[test]
    fn encrypted_pkcs8_keys_need_their_passphrase() {
        let key = fixture_key();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/keys/rsa_key_encrypted.p8");

        let pair = KeyPair::load(&path, Some(&Secret::new("correct horse")), "acct", "u").unwrap();
        assert_eq!(
            pair.fingerprint,
            KeyPair::from_key(&key, "acct", "u").unwrap().fingerprint
        );

        let missing = KeyPair::load(&path, None, "acct", "u")
            .err()
            .unwrap()
            .to_string();
        assert!(
            missing.contains("SNOWFLAKE_PRIVATE_KEY_FILE_PWD"),
            "{missing}"
        );
        let wrong = KeyPair::load(&path, Some(&Secret::new("wrong")), "acct", "u")
            .err()
            .unwrap()
            .to_string();
        assert!(wrong.contains("cannot decrypt"), "{wrong}");
        assert!(
            !wrong.contains("wrong\""),
            "the passphrase is never echoed: {wrong}"
        );
    }
}

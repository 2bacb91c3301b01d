//! What the diff takes besides the desired and live states: the deliveries still pending (read
//! from `.pat-reconcile/` by the CLI, never here) and the tokens the user asked to rotate now
//! (`--replace`), and the intents to mint that an interrupted apply left open. Pure data; no I/O.

use std::collections::BTreeSet;

use crate::model::Identifier;
use crate::model::desired::Config;
use crate::plan::address::Address;

/// Inputs of [`diff`](super::diff) read at the edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffInputs {
    /// Secrets that did not reach every sink of their token; each is an error finding.
    pub pending: Vec<PendingDelivery>,
    /// Tokens to rotate now whatever their expiry (`--replace ADDRESS`).
    pub replace: BTreeSet<Address>,
    /// What a requested rotation does to the old secret.
    pub old_secret: OldSecret,
    /// Intents to mint a secret that no journal line closed (`intents`): those that minted a
    /// secret nobody received are rotated out.
    pub intents: Vec<super::intents::MintIntent>,
}

/// What a requested rotation (`--replace`) does to the secret it replaces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OldSecret {
    /// It keeps working for the token's `expire_rotated_token_after_hours`.
    #[default]
    Grace,
    /// It stops working at once (`--revoke-old`: `EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0`).
    Revoke,
}

/// A secret minted earlier that some sink of its token still lacks. Holds no secret: only where
/// it waits and which sinks have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    /// The token, `user.U.token.T`.
    pub address: Address,
    /// The 0600 rescue file holding the secret, as the user should read it.
    pub rescue_file: String,
    /// Whether the rescue file still exists (when not, only `--replace` helps).
    pub rescue_exists: bool,
    /// The sinks (as the plan names them) that did not receive it.
    pub undelivered: Vec<String>,
}

/// A `--replace` address that does not name a declared token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplaceError {
    /// Not of the form `user.U.token.T`.
    #[error("`{text}` is not a token address (`user.USER.token.TOKEN`)")]
    NotATokenAddress { text: String },
    /// Well formed, but the file declares no such token.
    #[error("`{address}` is not a token declared in the file")]
    UnknownToken {
        address: String,
        /// The declared token addresses, for the hint.
        declared: Vec<String>,
    },
}

/// Parses a `--replace` argument and checks that the file declares the token.
pub fn replace_address(text: &str, desired: &Config) -> Result<Address, ReplaceError> {
    let not_a_token = || ReplaceError::NotATokenAddress {
        text: text.to_owned(),
    };
    let rest = text.strip_prefix("user.").ok_or_else(not_a_token)?;
    let (user, token) = rest.split_once(".token.").ok_or_else(not_a_token)?;
    let user = Identifier::parse(user).map_err(|_| not_a_token())?;
    let token = Identifier::parse(token).map_err(|_| not_a_token())?;
    if desired
        .users
        .get(&user)
        .is_some_and(|u| u.tokens.contains_key(&token))
    {
        return Ok(Address::Token(user, token));
    }
    Err(ReplaceError::UnknownToken {
        address: text.to_owned(),
        declared: desired
            .users
            .iter()
            .flat_map(|(u, spec)| {
                spec.tokens
                    .keys()
                    .map(move |t| Address::Token(u.clone(), t.clone()).to_string())
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testkit::config;

    #[test]
    fn replace_addresses_must_name_a_declared_token() {
        let desired = config(
            json!({"users": {"U": {"tokens": {"T": {"deliver": [{"file": {"path": "t"}}]}}}}}),
        );
        assert_eq!(
            replace_address("user.U.token.T", &desired).map(|a| a.to_string()),
            Ok("user.U.token.T".to_owned())
        );
        assert!(matches!(
            replace_address("user.U.token.X", &desired),
            Err(ReplaceError::UnknownToken { declared, .. }) if declared == ["user.U.token.T"]
        ));
        for bad in ["U.T", "user.U", "token.T", "user..token.T"] {
            assert!(
                matches!(
                    replace_address(bad, &desired),
                    Err(ReplaceError::NotATokenAddress { .. })
                ),
                "{bad}"
            );
        }
    }
}

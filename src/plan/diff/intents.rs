//! Intents to mint a secret that no later journal line closed (an apply killed while an ADD or
//! ROTATE was in flight, or before its secret was delivered), and the judgment of whether one
//! minted a secret nobody received. The edge reads them from the journal
//! (`apply::journal::unresolved_intents`); this file only compares them with the live state.
//! Pure: no I/O.
//!
//! The evidence is the account, never the clock (the account's clock and ours differ):
//! - an ADD ran when its token exists: apply only sends an ADD for a token that does not (a
//!   replacement's REMOVE, in the same change, runs before it);
//! - a ROTATE ran when its token has a rotation leftover the intent did not know of: every
//!   ROTATE leaves one (`<NAME>_ROTATED_<n>`, reference §2.3), even with no grace.
//!
//! A lost secret of a declared token is rotated out with `EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0`
//! (only that secret dies: a leftover holding the consumer's previous secret keeps its own
//! expiry) and the new secret delivered; a lost `<NAME>_NEXT` is removed and the replacement
//! planned again (`tokens`).

use crate::model::Identifier;
use crate::model::live::LiveToken;
use crate::plan::address::Address;

/// A minting statement whose outcome no journal line records (module docs). Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintIntent {
    /// The declared token's address, the change's.
    pub address: Address,
    /// The name the secret was minted under (`T`, or `T_NEXT` in a replacement).
    pub minted: Identifier,
    pub kind: IntentKind,
    /// When apply wrote the intent (local clock; shown, never compared with the account's).
    pub time: chrono::DateTime<chrono::Utc>,
}

/// What the intent was about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentKind {
    /// `ADD PROGRAMMATIC ACCESS TOKEN`.
    Add,
    /// `ROTATE PROGRAMMATIC ACCESS TOKEN`, with the token's rotation leftovers known before it.
    Rotate { leftovers_before: Vec<Identifier> },
}

/// Whether `intent` minted a secret nobody received, judged from the live tokens of its user.
pub fn minted_secret(intent: &MintIntent, user_tokens: &[LiveToken]) -> bool {
    match &intent.kind {
        IntentKind::Add => user_tokens
            .iter()
            .any(|t| t.name == intent.minted && !t.is_leftover()),
        IntentKind::Rotate { leftovers_before } => user_tokens.iter().any(|t| {
            t.rotated_to.as_ref() == Some(&intent.minted) && !leftovers_before.contains(&t.name)
        }),
    }
}

/// The open intents among `intents` of the token `minted` of `address` that minted a secret
/// nobody received; the earliest first.
pub(super) fn lost<'a>(
    intents: &'a [MintIntent],
    address: &Address,
    minted: &Identifier,
    user_tokens: &[LiveToken],
) -> Vec<&'a MintIntent> {
    intents
        .iter()
        .filter(|i| &i.address == address && &i.minted == minted)
        .filter(|i| minted_secret(i, user_tokens))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str, rotated_to: Option<&str>) -> LiveToken {
        serde_json::from_value(serde_json::json!({
            "name": name,
            "user_name": "U",
            "status": "ACTIVE",
            "created_on": "2026-11-01T00:00:00Z",
            "expires_at": "2027-01-01T00:00:00Z",
            "rotated_to": rotated_to,
        }))
        .unwrap()
    }

    fn intent(kind: IntentKind) -> MintIntent {
        MintIntent {
            address: Address::Token(
                Identifier::parse("U").unwrap(),
                Identifier::parse("T").unwrap(),
            ),
            minted: Identifier::parse("T").unwrap(),
            kind,
            time: crate::plan::testkit::now(),
        }
    }

    #[test]
    fn an_add_minted_when_its_token_exists() {
        let add = intent(IntentKind::Add);
        assert!(!minted_secret(&add, &[]));
        assert!(!minted_secret(&add, &[token("T_ROTATED_1", Some("T"))]));
        assert!(minted_secret(&add, &[token("T", None)]));
    }

    #[test]
    fn a_rotate_minted_when_a_leftover_it_did_not_know_of_exists() {
        let known = Identifier::parse("T_ROTATED_1").unwrap();
        let rotate = intent(IntentKind::Rotate {
            leftovers_before: vec![known],
        });
        let main = token("T", None);
        assert!(!minted_secret(&rotate, std::slice::from_ref(&main)));
        assert!(!minted_secret(
            &rotate,
            &[main.clone(), token("T_ROTATED_1", Some("T"))]
        ));
        assert!(!minted_secret(
            &rotate,
            &[main.clone(), token("X_ROTATED_2", Some("X"))]
        ));
        assert!(minted_secret(
            &rotate,
            &[
                main,
                token("T_ROTATED_1", Some("T")),
                token("T_ROTATED_2", Some("T"))
            ]
        ));
    }
}

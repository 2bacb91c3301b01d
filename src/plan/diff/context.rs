//! What the diff functions of each object family share: the inputs, the changes found so far,
//! and the attribute and comment conventions every family follows.

use chrono::{DateTime, Utc};

use crate::model::desired::Config;
use crate::model::live::LiveState;
use crate::model::{Identifier, ObjectName};
use crate::plan::address::Address;
use crate::plan::change::{Action, AttrValue, AttributeChange, Change, Reason, Statement};

/// What the diff functions share: the inputs and the changes found so far.
pub(crate) struct Cx<'a> {
    pub desired: &'a Config,
    pub live: &'a LiveState,
    pub now: DateTime<Utc>,
    pub inputs: &'a super::inputs::DiffInputs,
    pub changes: Vec<Change>,
}

impl Cx<'_> {
    /// Adds a change, destructive as its action is.
    pub(super) fn push(
        &mut self,
        address: Address,
        action: Action,
        attributes: Vec<AttributeChange>,
        reason: Reason,
        statements: Vec<Statement>,
    ) {
        let destructive = action.is_destructive();
        self.changes.push(Change {
            address,
            action,
            destructive,
            attributes,
            reason,
            depends_on: Vec::new(),
            statements,
        });
    }

    /// Adds a change that removes only what had already expired (a spent rotation leftover, an
    /// expired token being replaced): nothing that works is lost, so it is not destructive
    /// whatever its action, and `--auto-approve` applies it without `--allow-destroy`.
    pub(super) fn push_spent(
        &mut self,
        address: Address,
        action: Action,
        attributes: Vec<AttributeChange>,
        reason: Reason,
        statements: Vec<Statement>,
    ) {
        self.push(address, action, attributes, reason, statements);
        if let Some(change) = self.changes.last_mut() {
            change.destructive = false;
        }
    }

    /// True when the file tombstones this network policy and it exists.
    pub(super) fn drops_network_policy(&self, name: &Identifier) -> bool {
        self.desired
            .network_policies
            .get(name)
            .is_some_and(|p| p.absent)
            && self.live.network_policies.contains_key(name)
    }

    /// True when the file tombstones this authentication policy and it exists.
    pub(super) fn drops_authentication_policy(&self, name: &ObjectName) -> bool {
        self.desired
            .authentication_policies
            .get(name)
            .is_some_and(|p| p.absent)
            && self.live.authentication_policies.contains_key(name)
    }
}

/// A comment as the plan compares it: an empty comment is no comment. Snowflake may store `''`
/// as an empty string or as NULL; treating both alike (and unsetting rather than setting `''`)
/// keeps the plan after an apply empty either way.
pub(super) fn comment(c: &Option<String>) -> Option<&str> {
    c.as_deref().filter(|c| !c.is_empty())
}

/// A text attribute; `None` is "not set".
pub(super) fn attr_text(name: &str, before: Option<&str>, after: Option<&str>) -> AttributeChange {
    AttributeChange {
        name: name.to_owned(),
        before: before.map(|s| AttrValue::Text(s.to_owned())),
        after: after.map(|s| AttrValue::Text(s.to_owned())),
    }
}

/// A text attribute of an object that may not exist (outer `None`) or not have it (inner).
pub(super) fn attr_opt_text(
    name: &str,
    before: Option<Option<&str>>,
    after: Option<Option<&str>>,
) -> AttributeChange {
    attr_text(name, before.flatten(), after.flatten())
}

/// A list attribute.
pub(super) fn attr_list(
    name: &str,
    before: Option<Vec<String>>,
    after: Option<Vec<String>>,
) -> AttributeChange {
    AttributeChange {
        name: name.to_owned(),
        before: before.map(AttrValue::List),
        after: after.map(AttrValue::List),
    }
}

//! Where declared objects sit in the file: resolved names mapped to their keys and nodes, so
//! that the semantic rules, which read the typed model, can locate what they report. No I/O.

use std::collections::HashMap;

use super::yaml::{Node, Scalar, Span};
use crate::model::{Identifier, ObjectName};

/// Finds where declared objects sit in the file, by their resolved names.
pub struct SourceIndex<'a> {
    users: HashMap<Identifier, Located<'a>>,
    /// Tokens by user, then by token name.
    tokens: HashMap<Identifier, HashMap<Identifier, Located<'a>>>,
    network_policies: HashMap<Identifier, Located<'a>>,
    network_rules: HashMap<ObjectName, Located<'a>>,
    authentication_policies: HashMap<ObjectName, Located<'a>>,
    account: Option<Located<'a>>,
}

/// A name's key in the file and the node beneath it.
type Located<'a> = (&'a Scalar, &'a Node);

/// A declared object's place in the file.
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    key: Option<&'a Scalar>,
    node: Option<&'a Node>,
}

impl<'a> SourceIndex<'a> {
    pub fn new(tree: &'a Node) -> Self {
        let section = |name: &str| tree.get(name).map(Node::entries).unwrap_or_default();
        let identifiers = |name: &str| -> HashMap<Identifier, Located<'a>> {
            section(name)
                .iter()
                .filter_map(|(k, n)| Some((Identifier::parse(&k.value).ok()?, (k, n))))
                .collect()
        };
        let objects = |name: &str| -> HashMap<ObjectName, Located<'a>> {
            section(name)
                .iter()
                .filter_map(|(k, n)| Some((ObjectName::parse(&k.value).ok()?, (k, n))))
                .collect()
        };
        let users = identifiers("users");
        let tokens = users
            .iter()
            .map(|(user, (_, node))| {
                let entries = node.get("tokens").map(Node::entries).unwrap_or_default();
                let named = entries
                    .iter()
                    .filter_map(|(k, n)| Some((Identifier::parse(&k.value).ok()?, (k, n))))
                    .collect();
                (user.clone(), named)
            })
            .collect();
        Self {
            users,
            tokens,
            network_policies: identifiers("network_policies"),
            network_rules: objects("network_rules"),
            authentication_policies: objects("authentication_policies"),
            account: tree.entry("account"),
        }
    }

    fn entry(found: Option<&Located<'a>>) -> Entry<'a> {
        Entry {
            key: found.map(|(k, _)| *k),
            node: found.map(|(_, n)| *n),
        }
    }

    pub fn user(&self, user: &Identifier) -> Entry<'a> {
        Self::entry(self.users.get(user))
    }

    pub fn token(&self, user: &Identifier, token: &Identifier) -> Entry<'a> {
        Self::entry(self.tokens.get(user).and_then(|t| t.get(token)))
    }

    pub fn network_policy(&self, name: &Identifier) -> Entry<'a> {
        Self::entry(self.network_policies.get(name))
    }

    pub fn network_rule(&self, name: &ObjectName) -> Entry<'a> {
        Self::entry(self.network_rules.get(name))
    }

    pub fn authentication_policy(&self, name: &ObjectName) -> Entry<'a> {
        Self::entry(self.authentication_policies.get(name))
    }

    pub fn account(&self) -> Entry<'a> {
        Self::entry(self.account.as_ref())
    }
}

impl<'a> Entry<'a> {
    /// The span of the object's key (its name).
    pub fn key_span(&self) -> Option<Span> {
        self.key.map(|k| k.span)
    }

    /// The span of a property's value, else of the object's key.
    pub fn prop(&self, name: &str) -> Option<Span> {
        self.node
            .and_then(|n| n.get(name))
            .map(Node::span)
            .or_else(|| self.key_span())
    }

    /// The span of item `index` of a list property, else of the property.
    pub fn item(&self, name: &str, index: usize) -> Option<Span> {
        self.node
            .and_then(|n| n.get(name))
            .and_then(|l| l.items().get(index))
            .map(Node::span)
            .or_else(|| self.prop(name))
    }

    /// Item `index` of a list property as an entry of its own (e.g. one `deliver` sink),
    /// else this entry.
    pub fn item_entry(&self, name: &str, index: usize) -> Entry<'a> {
        match self
            .node
            .and_then(|n| n.get(name))
            .and_then(|l| l.items().get(index))
        {
            Some(node) => Entry {
                key: self.key,
                node: Some(node),
            },
            None => *self,
        }
    }

    /// The entry of a nested mapping property (e.g. `pat_policy`).
    pub fn child(&self, name: &str) -> Entry<'a> {
        match self.node.and_then(|n| n.entry(name)) {
            Some((k, n)) => Entry {
                key: Some(k),
                node: Some(n),
            },
            None => *self,
        }
    }
}

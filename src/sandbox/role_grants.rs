//! The account's role grants, indexed so that the rules every statement runs (is the session's
//! role an admin, which roles a user holds) cost what the role hierarchy costs, not what the
//! account holds: a grant is found by its grantee or by its role without scanning the others.
//!
//! Grants keep the order they were made in (SHOW GRANTS lists them so), and the state file holds
//! them as the plain list it always did.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sandbox::account::{GrantTarget, PUBLIC, RoleGrant};
use crate::sandbox::name::Name;

/// Every `GRANT ROLE … TO …` of the account, in the order they were made.
#[derive(Debug, Clone, Default)]
pub struct RoleGrants {
    /// Each grant under a sequence number that only grows: iteration is grant order.
    grants: BTreeMap<u64, RoleGrant>,
    next: u64,
    /// Grants to users, by user; grants to roles, by role; grants of a role, by role.
    to_users: HashMap<Name, BTreeSet<u64>>,
    to_roles: HashMap<Name, BTreeSet<u64>>,
    by_role: HashMap<Name, BTreeSet<u64>>,
}

/// The index entry of `grantee` (a lookup by name: no key is built).
fn grantee_slot<'a>(
    to_users: &'a mut HashMap<Name, BTreeSet<u64>>,
    to_roles: &'a mut HashMap<Name, BTreeSet<u64>>,
    grantee: &'a GrantTarget,
) -> (&'a mut HashMap<Name, BTreeSet<u64>>, &'a Name) {
    match grantee {
        GrantTarget::User(name) => (to_users, name),
        GrantTarget::Role(name) => (to_roles, name),
    }
}

impl RoleGrants {
    /// Every grant, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &RoleGrant> {
        self.grants.values()
    }

    fn pick<'a>(&'a self, ids: Option<&'a BTreeSet<u64>>) -> impl Iterator<Item = &'a RoleGrant> {
        ids.into_iter()
            .flatten()
            .filter_map(|id| self.grants.get(id))
    }

    fn grantee_ids(&self, grantee: &GrantTarget) -> Option<&BTreeSet<u64>> {
        match grantee {
            GrantTarget::User(name) => self.to_users.get(name),
            GrantTarget::Role(name) => self.to_roles.get(name),
        }
    }

    /// The grants to `grantee`, oldest first.
    pub fn to<'a>(&'a self, grantee: &GrantTarget) -> impl Iterator<Item = &'a RoleGrant> {
        self.pick(self.grantee_ids(grantee))
    }

    /// The grants to user `user`, oldest first.
    pub fn to_user<'a>(&'a self, user: &Name) -> impl Iterator<Item = &'a RoleGrant> {
        self.pick(self.to_users.get(user))
    }

    /// The grants to role `role`, oldest first.
    pub fn to_role<'a>(&'a self, role: &Name) -> impl Iterator<Item = &'a RoleGrant> {
        self.pick(self.to_roles.get(role))
    }

    /// The grants of `role` (to users and to roles), oldest first.
    pub fn of<'a>(&'a self, role: &Name) -> impl Iterator<Item = &'a RoleGrant> {
        self.pick(self.by_role.get(role))
    }

    /// Whether `role` is granted to `grantee` directly.
    pub fn contains(&self, role: &Name, grantee: &GrantTarget) -> bool {
        self.to(grantee).any(|grant| &grant.role == role)
    }

    /// Records a grant (the caller checks it is new).
    pub fn push(&mut self, grant: RoleGrant) {
        let id = self.next;
        self.next += 1;
        let (index, name) = grantee_slot(&mut self.to_users, &mut self.to_roles, &grant.grantee);
        index.entry(name.clone()).or_default().insert(id);
        self.by_role
            .entry(grant.role.clone())
            .or_default()
            .insert(id);
        self.grants.insert(id, grant);
    }

    fn remove_ids(&mut self, ids: Vec<u64>) {
        for id in ids {
            let Some(grant) = self.grants.remove(&id) else {
                continue;
            };
            let (index, name) =
                grantee_slot(&mut self.to_users, &mut self.to_roles, &grant.grantee);
            if let Some(set) = index.get_mut(name) {
                set.remove(&id);
                if set.is_empty() {
                    index.remove(name);
                }
            }
            if let Some(set) = self.by_role.get_mut(&grant.role) {
                set.remove(&id);
                if set.is_empty() {
                    self.by_role.remove(&grant.role);
                }
            }
        }
    }

    /// `REVOKE ROLE role FROM grantee`.
    pub fn revoke(&mut self, role: &Name, grantee: &GrantTarget) {
        let ids = self
            .grantee_ids(grantee)
            .into_iter()
            .flatten()
            .copied()
            .filter(|id| self.grants.get(id).is_some_and(|grant| &grant.role == role))
            .collect();
        self.remove_ids(ids);
    }

    /// Removes every grant to `grantee` (its user or role is dropped).
    pub fn remove_grantee(&mut self, grantee: &GrantTarget) {
        let ids = self
            .grantee_ids(grantee)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        self.remove_ids(ids);
    }

    /// Removes every grant of `role` (the role is dropped).
    pub fn remove_role(&mut self, role: &Name) {
        let ids = self
            .by_role
            .get(role)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        self.remove_ids(ids);
    }

    /// The grants to `from` now go to `to`, in place (a user is renamed).
    pub fn rename_grantee(&mut self, from: &GrantTarget, to: &GrantTarget) {
        let (index, name) = grantee_slot(&mut self.to_users, &mut self.to_roles, from);
        let Some(ids) = index.remove(name) else {
            return;
        };
        for id in &ids {
            if let Some(grant) = self.grants.get_mut(id) {
                grant.grantee = to.clone();
            }
        }
        let (index, name) = grantee_slot(&mut self.to_users, &mut self.to_roles, to);
        index.entry(name.clone()).or_default().extend(ids);
    }

    /// `role`, every role granted to it directly or through other roles, and PUBLIC; each role
    /// is looked up once by grantee, nothing is cloned.
    pub fn closure<'a>(&'a self, role: &'a Name) -> RoleClosure<'a> {
        self.closure_of([role])
    }

    /// The union of the closures of `roots`.
    pub fn closure_of<'a>(&'a self, roots: impl IntoIterator<Item = &'a Name>) -> RoleClosure<'a> {
        let mut roles = HashSet::new();
        let mut pending = Vec::new();
        for root in roots {
            if roles.insert(root) {
                pending.push(root);
            }
        }
        while let Some(current) = pending.pop() {
            for grant in self.to_role(current) {
                if roles.insert(&grant.role) {
                    pending.push(&grant.role);
                }
            }
        }
        RoleClosure { roles }
    }
}

/// A role and every role it inherits, plus PUBLIC (which every role has).
#[derive(Debug, Clone)]
pub struct RoleClosure<'a> {
    roles: HashSet<&'a Name>,
}

impl RoleClosure<'_> {
    pub fn contains(&self, role: &Name) -> bool {
        *role == PUBLIC || self.roles.contains(role)
    }

    /// The roles' names in sorted order, PUBLIC included once.
    pub fn sorted(&self) -> Vec<&str> {
        let mut names: BTreeSet<&str> = self.roles.iter().map(|role| role.as_str()).collect();
        names.insert(PUBLIC);
        names.into_iter().collect()
    }
}

impl Serialize for RoleGrants {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for RoleGrants {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = Vec::<RoleGrant>::deserialize(deserializer)?;
        let mut grants = Self::default();
        for grant in list {
            grants.push(grant);
        }
        Ok(grants)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn grant(role: &str, grantee: GrantTarget) -> RoleGrant {
        RoleGrant {
            role: Name::new(role),
            grantee,
            created_on: Utc::now(),
            granted_by: Name::new("ADMIN"),
        }
    }

    fn user(name: &str) -> GrantTarget {
        GrantTarget::User(Name::new(name))
    }

    #[test]
    fn grants_keep_their_order_through_removal_rename_and_the_state_file() {
        let mut grants = RoleGrants::default();
        grants.push(grant("B", user("U")));
        grants.push(grant("A", user("V")));
        grants.push(grant("A", user("U")));
        grants.push(grant("C", GrantTarget::Role(Name::new("A"))));
        grants.revoke(&Name::new("B"), &user("U"));
        grants.rename_grantee(&user("U"), &user("W"));
        let roles: Vec<&str> = grants.to(&user("W")).map(|g| g.role.as_str()).collect();
        assert_eq!(roles, ["A"]);
        assert_eq!(grants.of(&Name::new("A")).count(), 2);
        let text = serde_json::to_string(&grants).unwrap_or_default();
        let back: RoleGrants = serde_json::from_str(&text).unwrap_or_default();
        let order: Vec<String> = back
            .iter()
            .map(|g| format!("{}>{:?}", g.role, g.grantee))
            .collect();
        assert_eq!(
            order,
            [
                "A>User(Name(\"V\"))",
                "A>User(Name(\"W\"))",
                "C>Role(Name(\"A\"))"
            ]
        );
        let w = Name::new("W");
        let closure = back.closure_of(back.to_user(&w).map(|g| &g.role));
        assert!(closure.contains(&Name::new("C")) && closure.contains(&Name::new(PUBLIC)));
        assert_eq!(closure.sorted(), ["A", "C", "PUBLIC"]);
        let mut dropped = back.clone();
        dropped.remove_role(&Name::new("A"));
        dropped.remove_grantee(&GrantTarget::Role(Name::new("A")));
        assert_eq!(dropped.iter().count(), 0);
    }
}

//! The effects model: what the account looks like after each statement of a plan runs.
//!
//! It is written from the reference (`snowflake-sql.md`), not from the diff: it reads the SQL
//! text the plan carries, with its own small lexer and parser, and changes a [`LiveState`] the
//! way Snowflake would (a ROTATE re-issues the secret with the lifetime the token was created
//! with and leaves a `<NAME>_ROTATED_<ms>` row, disabling a user disables its tokens, UNSET puts a
//! policy property back to its default, ...). Statements Snowflake would refuse (a drop of an
//! attached policy, an ADD over the 15-token limit, a service user's token without a network
//! policy, ...) are recorded as violations; they still take effect, so that convergence can be
//! checked for every plan.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use pat_reconcile::model::live::{
    Attachment, LiveAuthenticationPolicy, LiveNetworkPolicy, LiveNetworkRule, LiveState, LiveToken,
    LiveUser, TokenStatus,
};
use pat_reconcile::model::{Identifier, ObjectName};

/// The account, plus what SHOW cannot show: each token's lifetime.
#[derive(Debug, Clone)]
pub struct World {
    pub live: LiveState,
    /// `DAYS_TO_EXPIRY` each token was created with, by (user, token).
    pub lifetimes: BTreeMap<(Identifier, Identifier), Duration>,
    /// Statements Snowflake would have refused, with why.
    pub violations: Vec<String>,
}

impl World {
    pub fn new(live: LiveState, lifetimes: BTreeMap<(Identifier, Identifier), Duration>) -> Self {
        Self {
            live,
            lifetimes,
            violations: Vec::new(),
        }
    }

    fn refuse(&mut self, sql: &str, why: &str) {
        self.violations.push(format!("{why}: {sql}"));
    }

    /// Runs one statement at `now`.
    pub fn exec(&mut self, sql: &str, now: DateTime<Utc>) {
        let mut p = Parser::new(sql);
        if p.eat("CREATE") {
            if p.eat("USER") {
                self.create_user(&mut p, sql);
            } else if p.eat2("NETWORK", "RULE") {
                self.create_rule(&mut p, sql);
            } else if p.eat2("NETWORK", "POLICY") {
                self.create_network_policy(&mut p, sql);
            } else if p.eat2("AUTHENTICATION", "POLICY") {
                self.create_authentication_policy(&mut p, sql);
            } else {
                p.fail("CREATE what");
            }
        } else if p.eat("ALTER") {
            if p.eat("USER") {
                self.alter_user(&mut p, sql, now);
            } else if p.eat("ACCOUNT") {
                self.alter_account(&mut p, sql);
            } else if p.eat2("NETWORK", "RULE") {
                self.alter_rule(&mut p, sql);
            } else if p.eat2("NETWORK", "POLICY") {
                self.alter_network_policy(&mut p, sql);
            } else if p.eat2("AUTHENTICATION", "POLICY") {
                self.alter_authentication_policy(&mut p, sql);
            } else {
                p.fail("ALTER what");
            }
        } else if p.eat("DROP") {
            if p.eat2("NETWORK", "RULE") {
                let name = p.object();
                if self.live.network_policies.values().any(|np| {
                    np.allowed_network_rule_list.contains(&name)
                        || np.blocked_network_rule_list.contains(&name)
                }) {
                    self.refuse(sql, "rule in use by a network policy");
                }
                if self.live.network_rules.remove(&name).is_none() {
                    self.refuse(sql, "no such rule");
                }
            } else if p.eat2("NETWORK", "POLICY") {
                let name = p.ident();
                let attached_to_user = self
                    .live
                    .users
                    .values()
                    .any(|u| u.network_policy.as_ref() == Some(&name));
                let attached_elsewhere = self
                    .live
                    .network_policies
                    .get(&name)
                    .and_then(|np| np.attachments.as_ref())
                    .is_some_and(|a| !a.is_empty());
                if attached_to_user
                    || attached_elsewhere
                    || self.live.account_policies.network_policy.as_ref() == Some(&name)
                {
                    self.refuse(sql, "network policy still attached");
                }
                if self.live.network_policies.remove(&name).is_none() {
                    self.refuse(sql, "no such network policy");
                }
            } else if p.eat2("AUTHENTICATION", "POLICY") {
                let name = p.object();
                let a = &self.live.account_policies;
                let attached = self
                    .live
                    .users
                    .values()
                    .any(|u| u.authentication_policy.as_ref() == Some(&name))
                    || self
                        .live
                        .authentication_policies
                        .get(&name)
                        .and_then(|ap| ap.attachments.as_ref())
                        .is_some_and(|a| !a.is_empty())
                    || [
                        &a.authentication_policy,
                        &a.authentication_policy_for_service_users,
                        &a.authentication_policy_for_person_users,
                    ]
                    .iter()
                    .any(|x| x.as_ref() == Some(&name));
                if attached {
                    self.refuse(sql, "authentication policy still attached");
                }
                if self.live.authentication_policies.remove(&name).is_none() {
                    self.refuse(sql, "no such authentication policy");
                }
            } else {
                p.fail("DROP what");
            }
        } else if p.eat("GRANT") {
            p.expect("ROLE");
            let role = p.ident();
            p.expect("TO");
            p.expect("USER");
            let user = p.ident();
            if self.live.roles.as_ref().is_some_and(|r| !r.contains(&role)) {
                self.refuse(sql, "no such role");
            }
            match self.live.users.get_mut(&user) {
                Some(u) => {
                    u.roles.insert(role);
                }
                None => self.refuse(sql, "no such user"),
            }
        } else {
            p.fail("statement");
        }
        p.end();
    }

    // ----- users -----

    fn create_user(&mut self, p: &mut Parser, sql: &str) {
        let name = p.ident();
        if self.live.users.contains_key(&name) {
            self.refuse(sql, "user exists");
        }
        let mut user = LiveUser {
            user_type: Some("PERSON".into()),
            ..LiveUser::default()
        };
        while !p.at_end() {
            set_user_property(&mut user, p);
        }
        self.live.users.insert(name, user);
    }

    fn alter_user(&mut self, p: &mut Parser, sql: &str, now: DateTime<Utc>) {
        let name = p.ident();
        if !self.live.users.contains_key(&name) {
            self.refuse(sql, "no such user");
            self.live.users.insert(name.clone(), LiveUser::default());
        }
        if let Some(session) = &self.live.session {
            let pat = session.authentication
                == pat_reconcile::model::live::SessionAuthentication::ProgrammaticAccessToken;
            if pat
                && session.user == name
                // ADD is allowed (reference Corrections 11); the others are refused.
                && (p.at("MODIFY") || p.at("ROTATE") || p.at("REMOVE"))
            {
                self.violations.push(format!(
                    "token change from a PAT session of the same user: {sql}"
                ));
            }
        }
        if p.eat("ADD") {
            self.add_token(p, sql, &name, now);
        } else if p.eat("MODIFY") {
            self.modify_token(p, sql, &name);
        } else if p.eat("ROTATE") {
            self.rotate_token(p, sql, &name, now);
        } else if p.eat("REMOVE") {
            p.expect3("PROGRAMMATIC", "ACCESS", "TOKEN");
            let token = p.ident();
            let user = self.user(&name);
            let before = user.tokens.len();
            user.tokens.retain(|t| t.name != token);
            if user.tokens.len() == before {
                self.refuse(sql, "no such token");
            }
        } else if p.eat("SET") {
            if p.eat2("AUTHENTICATION", "POLICY") {
                let policy = p.object();
                let force = p.eat("FORCE");
                if !self.live.authentication_policies.contains_key(&policy) {
                    self.refuse(sql, "no such authentication policy");
                }
                if self.user(&name).authentication_policy.is_some() && !force {
                    self.refuse(sql, "a policy is attached; FORCE replaces it");
                }
                let old = self
                    .user(&name)
                    .authentication_policy
                    .replace(policy.clone());
                self.move_attachment_ap(old.as_ref(), Some(&policy), "USER", name.as_str());
            } else if p.at("NETWORK_POLICY") {
                p.next();
                p.sym('=');
                let policy = p.ident();
                if !self.live.network_policies.contains_key(&policy) {
                    self.refuse(sql, "no such network policy");
                }
                let old = self.user(&name).network_policy.replace(policy.clone());
                self.move_attachment_np(old.as_ref(), Some(&policy), "USER", name.as_str());
            } else {
                let was_disabled = self.user(&name).disabled;
                let user = self.user(&name);
                while !p.at_end() {
                    set_user_property(user, p);
                }
                // Disabling a user disables its tokens; enabling it again does not enable them.
                if user.disabled && !was_disabled {
                    for t in &mut user.tokens {
                        if t.status == TokenStatus::Active {
                            t.status = TokenStatus::Disabled;
                        }
                    }
                }
            }
        } else if p.eat("UNSET") {
            if p.eat2("AUTHENTICATION", "POLICY") {
                let old = self.user(&name).authentication_policy.take();
                if old.is_none() {
                    self.refuse(sql, "no authentication policy attached");
                }
                self.move_attachment_ap(old.as_ref(), None, "USER", name.as_str());
                return;
            }
            loop {
                let property = p.word();
                match property.as_str() {
                    "NETWORK_POLICY" => {
                        let old = self.user(&name).network_policy.take();
                        self.move_attachment_np(old.as_ref(), None, "USER", name.as_str());
                    }
                    "COMMENT" => self.user(&name).comment = None,
                    "DEFAULT_ROLE" => self.user(&name).default_role = None,
                    "TYPE" => self.user(&name).user_type = Some("PERSON".into()),
                    other => p.fail(&format!("UNSET {other}")),
                }
                if !p.eat_sym(',') {
                    break;
                }
            }
        } else {
            p.fail("ALTER USER action");
        }
    }

    fn user(&mut self, name: &Identifier) -> &mut LiveUser {
        self.live.users.entry(name.clone()).or_default()
    }

    fn move_attachment_np(
        &mut self,
        old: Option<&Identifier>,
        new: Option<&Identifier>,
        domain: &str,
        entity: &str,
    ) {
        let entry = Attachment {
            domain: domain.into(),
            name: entity.into(),
        };
        if let Some(list) = old
            .and_then(|o| self.live.network_policies.get_mut(o))
            .and_then(|np| np.attachments.as_mut())
        {
            list.retain(|a| *a != entry);
        }
        if let Some(list) = new
            .and_then(|n| self.live.network_policies.get_mut(n))
            .and_then(|np| np.attachments.as_mut())
        {
            if !list.contains(&entry) {
                list.push(entry);
            }
        }
    }

    fn move_attachment_ap(
        &mut self,
        old: Option<&ObjectName>,
        new: Option<&ObjectName>,
        domain: &str,
        entity: &str,
    ) {
        let entry = Attachment {
            domain: domain.into(),
            name: entity.into(),
        };
        if let Some(list) = old
            .and_then(|o| self.live.authentication_policies.get_mut(o))
            .and_then(|ap| ap.attachments.as_mut())
        {
            list.retain(|a| *a != entry);
        }
        if let Some(list) = new
            .and_then(|n| self.live.authentication_policies.get_mut(n))
            .and_then(|ap| ap.attachments.as_mut())
        {
            if !list.contains(&entry) {
                list.push(entry);
            }
        }
    }

    // ----- tokens -----

    /// The authentication policy in force for a user, as Snowflake resolves it.
    fn policy_for(&self, user: &LiveUser) -> LiveAuthenticationPolicy {
        let a = &self.live.account_policies;
        let by_type = if is_service(user) {
            &a.authentication_policy_for_service_users
        } else {
            &a.authentication_policy_for_person_users
        };
        user.authentication_policy
            .as_ref()
            .or(by_type.as_ref())
            .or(a.authentication_policy.as_ref())
            .and_then(|n| self.live.authentication_policies.get(n))
            .cloned()
            .unwrap_or_default()
    }

    fn add_token(&mut self, p: &mut Parser, sql: &str, user_name: &Identifier, now: DateTime<Utc>) {
        p.expect3("PROGRAMMATIC", "ACCESS", "TOKEN");
        let name = p.ident();
        let mut role = None;
        let mut days = None;
        let mut bypass = None;
        let mut comment = None;
        while !p.at_end() {
            let key = p.word();
            p.sym('=');
            match key.as_str() {
                // A role name: an identifier, never a (folded) literal (Corrections 3).
                "ROLE_RESTRICTION" => role = Some(p.ident()),
                "DAYS_TO_EXPIRY" => days = Some(p.number()),
                "MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT" => bypass = Some(p.number()),
                "COMMENT" => comment = Some(p.string()),
                other => p.fail(other),
            }
        }
        let user = self.live.users.get(user_name).cloned().unwrap_or_default();
        let policy = self.policy_for(&user);
        let pat = &policy.pat_policy;
        let days = days.unwrap_or(i64::from(pat.default_expiry_in_days));
        if user.tokens.iter().any(|t| t.name == name) {
            self.refuse(sql, "token exists");
        }
        if counted(&user, now) >= 15 {
            self.refuse(sql, "15 tokens");
        }
        if !policy
            .authentication_methods
            .iter()
            .any(|m| m.as_str() == "ALL" || m.as_str() == "PROGRAMMATIC_ACCESS_TOKEN")
        {
            self.refuse(sql, "the policy does not allow tokens");
        }
        let service = is_service(&user);
        let required = if service {
            pat.require_role_restriction_for_service_users
        } else {
            pat.require_role_restriction_for_person_users
        };
        match &role {
            None if required => self.refuse(sql, "role restriction required"),
            Some(r) if r.as_str() != "PUBLIC" && !user.roles.contains(r) => {
                self.refuse(sql, "role restriction not granted to the user")
            }
            Some(r) if pat.blocked_roles_list.contains(r) => self.refuse(sql, "role blocked"),
            _ => {}
        }
        if days > i64::from(pat.max_expiry_in_days) {
            self.refuse(sql, "DAYS_TO_EXPIRY above the maximum");
        }
        let has_network_policy =
            user.network_policy.is_some() || self.live.account_policies.network_policy.is_some();
        if service
            && pat.network_policy_evaluation.as_str() == "ENFORCED_REQUIRED"
            && !has_network_policy
        {
            self.refuse(sql, "network policy required");
        }
        let lifetime = Duration::days(days);
        self.lifetimes
            .insert((user_name.clone(), name.clone()), lifetime);
        let status = if user.disabled {
            TokenStatus::Disabled
        } else {
            TokenStatus::Active
        };
        self.user(user_name).tokens.push(LiveToken {
            name,
            user_name: user_name.as_str().to_owned(),
            role_restriction: role,
            expires_at: now + lifetime,
            status,
            comment,
            created_on: now,
            created_by: Some("PAT_RECONCILE".into()),
            mins_to_bypass_network_policy_requirement: bypass.map(|b| b as u32),
            rotated_to: None,
        });
    }

    fn modify_token(&mut self, p: &mut Parser, sql: &str, user_name: &Identifier) {
        p.expect3("PROGRAMMATIC", "ACCESS", "TOKEN");
        let name = p.ident();
        if p.eat("RENAME") {
            p.expect("TO");
            let new_name = p.ident();
            p.end();
            self.rename_token(sql, user_name, &name, new_name);
            return;
        }
        let set = if p.eat("SET") {
            true
        } else {
            p.expect("UNSET");
            false
        };
        let mut changes = Vec::new();
        while !p.at_end() {
            let key = p.word();
            if set {
                p.sym('=');
                let value = match key.as_str() {
                    "COMMENT" => Some(p.string()),
                    "DISABLED" => Some(p.word()),
                    _ => Some(p.number().to_string()),
                };
                changes.push((key, value));
            } else {
                changes.push((key, None));
                p.eat_sym(',');
            }
        }
        let Some(token) = self
            .user(user_name)
            .tokens
            .iter_mut()
            .find(|t| t.name == name && t.rotated_to.is_none())
        else {
            self.refuse(sql, "no such token");
            return;
        };
        for (key, value) in changes {
            match (key.as_str(), value) {
                ("COMMENT", v) => token.comment = v,
                ("DISABLED", Some(v)) if v == "TRUE" => token.status = TokenStatus::Disabled,
                ("DISABLED", _) => {
                    if token.status == TokenStatus::Disabled {
                        token.status = TokenStatus::Active;
                    }
                }
                ("MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT", v) => {
                    token.mins_to_bypass_network_policy_requirement = v.map(|v| v.parse().unwrap());
                }
                (other, _) => panic!("MODIFY {other}: {sql}"),
            }
        }
    }

    /// `MODIFY ... RENAME TO`: the token keeps its secret, role, expiry and lifetime; the
    /// leftovers of its rotations follow it (reference §2.2; the sandbox agrees).
    fn rename_token(
        &mut self,
        sql: &str,
        user_name: &Identifier,
        name: &Identifier,
        new_name: Identifier,
    ) {
        let user = self.user(user_name);
        if user.tokens.iter().any(|t| t.name == new_name) {
            self.refuse(sql, "token exists");
            return;
        }
        let user = self.user(user_name);
        let Some(token) = user
            .tokens
            .iter_mut()
            .find(|t| &t.name == name && t.rotated_to.is_none())
        else {
            self.refuse(sql, "no such token");
            return;
        };
        token.name = new_name.clone();
        for t in &mut user.tokens {
            if t.rotated_to.as_ref() == Some(name) {
                t.rotated_to = Some(new_name.clone());
            }
        }
        if let Some(l) = self.lifetimes.remove(&(user_name.clone(), name.clone())) {
            self.lifetimes.insert((user_name.clone(), new_name), l);
        }
    }

    fn rotate_token(
        &mut self,
        p: &mut Parser,
        sql: &str,
        user_name: &Identifier,
        now: DateTime<Utc>,
    ) {
        p.expect3("PROGRAMMATIC", "ACCESS", "TOKEN");
        let name = p.ident();
        let hours = if p.eat("EXPIRE_ROTATED_TOKEN_AFTER_HOURS") {
            p.sym('=');
            p.number()
        } else {
            24
        };
        let lifetime = self
            .lifetimes
            .get(&(user_name.clone(), name.clone()))
            .copied();
        let user = self.live.users.get(user_name).cloned().unwrap_or_default();
        let Some(token) = user
            .tokens
            .iter()
            .find(|t| t.name == name && t.rotated_to.is_none())
            .cloned()
        else {
            self.refuse(sql, "no such token");
            return;
        };
        if token.expires_at <= now || token.status == TokenStatus::Expired {
            self.refuse(sql, "an expired token cannot be rotated");
        }
        if hours > (token.expires_at - now).num_hours() {
            self.refuse(sql, "EXPIRE_ROTATED_TOKEN_AFTER_HOURS above the hours left");
        }
        if hours > 0 && counted(&user, now) >= 15 {
            self.refuse(sql, "15 tokens");
        }
        let Some(lifetime) = lifetime else {
            panic!("the model has no lifetime for {user_name}.{name}");
        };
        let mut millis = now.timestamp_millis();
        let leftover_name = loop {
            let n = Identifier::from_stored(format!("{}_ROTATED_{millis}", name.as_str())).unwrap();
            if !user.tokens.iter().any(|t| t.name == n) {
                break n;
            }
            millis += 1;
        };
        let leftover = LiveToken {
            name: leftover_name,
            expires_at: now + Duration::hours(hours),
            status: if hours == 0 {
                TokenStatus::Expired
            } else {
                token.status.clone()
            },
            created_on: now,
            rotated_to: Some(name.clone()),
            ..token
        };
        let u = self.user(user_name);
        if let Some(t) = u
            .tokens
            .iter_mut()
            .find(|t| t.name == name && t.rotated_to.is_none())
        {
            t.expires_at = now + lifetime;
        }
        u.tokens.push(leftover);
    }

    // ----- account -----

    fn alter_account(&mut self, p: &mut Parser, sql: &str) {
        let set = if p.eat("SET") {
            true
        } else {
            p.expect("UNSET");
            false
        };
        if p.at("NETWORK_POLICY") {
            p.next();
            let new = if set {
                p.sym('=');
                let n = p.ident();
                if !self.live.network_policies.contains_key(&n) {
                    self.refuse(sql, "no such network policy");
                }
                Some(n)
            } else {
                None
            };
            let old =
                std::mem::replace(&mut self.live.account_policies.network_policy, new.clone());
            self.move_attachment_np(old.as_ref(), new.as_ref(), "ACCOUNT", "ACCOUNT");
            return;
        }
        p.expect2("AUTHENTICATION", "POLICY");
        let policy = set.then(|| p.object());
        let scope = if p.eat("FOR") {
            p.expect("ALL");
            let s = p.word();
            p.expect("USERS");
            s
        } else {
            String::new()
        };
        let force = p.eat("FORCE");
        if let Some(n) = &policy {
            if !self.live.authentication_policies.contains_key(n) {
                self.refuse(sql, "no such authentication policy");
            }
        }
        let a = &mut self.live.account_policies;
        let slot = match scope.as_str() {
            "" => &mut a.authentication_policy,
            "SERVICE" => &mut a.authentication_policy_for_service_users,
            "PERSON" => &mut a.authentication_policy_for_person_users,
            other => panic!("FOR ALL {other} USERS: {sql}"),
        };
        let replaced = slot.is_some();
        let old = std::mem::replace(slot, policy.clone());
        if set && replaced && !force {
            self.refuse(sql, "a policy is attached; FORCE replaces it");
        }
        self.move_attachment_ap(old.as_ref(), policy.as_ref(), "ACCOUNT", "ACCOUNT");
    }

    // ----- network rules and policies -----

    fn create_rule(&mut self, p: &mut Parser, sql: &str) {
        let name = p.object();
        let mut rule = LiveNetworkRule::default();
        while !p.at_end() {
            let key = p.word();
            p.sym('=');
            match key.as_str() {
                "TYPE" => rule.rule_type = p.word().into(),
                "MODE" => rule.mode = p.word().into(),
                "VALUE_LIST" => rule.value_list = p.string_list(),
                "COMMENT" => rule.comment = Some(p.string()),
                other => p.fail(other),
            }
        }
        if rule.mode.as_str().is_empty() {
            rule.mode = "INGRESS".into();
        }
        if self.live.network_rules.insert(name, rule).is_some() {
            self.refuse(sql, "rule exists");
        }
    }

    fn alter_rule(&mut self, p: &mut Parser, sql: &str) {
        let name = p.object();
        if !self.live.network_rules.contains_key(&name) {
            self.refuse(sql, "no such rule");
        }
        let rule = self.live.network_rules.entry(name).or_default();
        if p.eat("SET") {
            p.expect("VALUE_LIST");
            p.sym('=');
            rule.value_list = p.string_list();
            if p.eat("COMMENT") {
                p.sym('=');
                rule.comment = Some(p.string());
            }
        } else {
            p.expect("UNSET");
            match p.word().as_str() {
                "VALUE_LIST" => rule.value_list.clear(),
                "COMMENT" => rule.comment = None,
                other => p.fail(other),
            }
        }
    }

    fn network_policy_properties(&mut self, p: &mut Parser, sql: &str, np: &mut LiveNetworkPolicy) {
        while !p.at_end() {
            let key = p.word();
            p.sym('=');
            match key.as_str() {
                "ALLOWED_NETWORK_RULE_LIST" | "BLOCKED_NETWORK_RULE_LIST" => {
                    let rules = p.object_list();
                    if rules.is_empty() {
                        p.fail("an empty rule list is not in the grammar");
                    }
                    for r in &rules {
                        if !self.live.network_rules.contains_key(r) {
                            self.refuse(sql, "no such rule");
                        }
                    }
                    if key.starts_with("ALLOWED") {
                        np.allowed_network_rule_list = rules;
                    } else {
                        np.blocked_network_rule_list = rules;
                    }
                }
                "ALLOWED_IP_LIST" => np.allowed_ip_list = p.string_list(),
                "BLOCKED_IP_LIST" => np.blocked_ip_list = p.string_list(),
                "COMMENT" => np.comment = Some(p.string()),
                other => p.fail(other),
            }
        }
    }

    fn create_network_policy(&mut self, p: &mut Parser, sql: &str) {
        let name = p.ident();
        let mut np = LiveNetworkPolicy {
            attachments: Some(Vec::new()),
            ..LiveNetworkPolicy::default()
        };
        self.network_policy_properties(p, sql, &mut np);
        if self.live.network_policies.insert(name, np).is_some() {
            self.refuse(sql, "network policy exists");
        }
    }

    fn alter_network_policy(&mut self, p: &mut Parser, sql: &str) {
        let name = p.ident();
        if !self.live.network_policies.contains_key(&name) {
            self.refuse(sql, "no such network policy");
        }
        let mut np = self.live.network_policies.remove(&name).unwrap_or_default();
        if p.eat("SET") {
            self.network_policy_properties(p, sql, &mut np);
        } else {
            p.expect("UNSET");
            loop {
                match p.word().as_str() {
                    "ALLOWED_NETWORK_RULE_LIST" => np.allowed_network_rule_list.clear(),
                    "BLOCKED_NETWORK_RULE_LIST" => np.blocked_network_rule_list.clear(),
                    "ALLOWED_IP_LIST" => np.allowed_ip_list.clear(),
                    "BLOCKED_IP_LIST" => np.blocked_ip_list.clear(),
                    "COMMENT" => np.comment = None,
                    other => p.fail(other),
                }
                if !p.eat_sym(',') {
                    break;
                }
            }
        }
        self.live.network_policies.insert(name, np);
    }

    // ----- authentication policies -----

    fn create_authentication_policy(&mut self, p: &mut Parser, sql: &str) {
        let name = p.object();
        let mut ap = LiveAuthenticationPolicy {
            attachments: Some(Vec::new()),
            ..LiveAuthenticationPolicy::default()
        };
        while !p.at_end() {
            set_authentication_property(&mut ap, p);
        }
        if self.live.authentication_policies.insert(name, ap).is_some() {
            self.refuse(sql, "authentication policy exists");
        }
    }

    fn alter_authentication_policy(&mut self, p: &mut Parser, sql: &str) {
        let name = p.object();
        if !self.live.authentication_policies.contains_key(&name) {
            self.refuse(sql, "no such authentication policy");
        }
        let ap = self.live.authentication_policies.entry(name).or_default();
        if p.eat("SET") {
            while !p.at_end() {
                set_authentication_property(ap, p);
            }
        } else {
            p.expect("UNSET");
            let d = LiveAuthenticationPolicy::default();
            loop {
                match p.word().as_str() {
                    "AUTHENTICATION_METHODS" => {
                        ap.authentication_methods = d.authentication_methods.clone()
                    }
                    "CLIENT_TYPES" => ap.client_types = d.client_types.clone(),
                    "CLIENT_POLICY" => ap.client_policy = d.client_policy.clone(),
                    "SECURITY_INTEGRATIONS" => {
                        ap.security_integrations = d.security_integrations.clone()
                    }
                    "MFA_ENROLLMENT" => ap.mfa_enrollment = d.mfa_enrollment.clone(),
                    "MFA_POLICY" => ap.mfa_policy = d.mfa_policy.clone(),
                    "PAT_POLICY" => ap.pat_policy = d.pat_policy.clone(),
                    "WORKLOAD_IDENTITY_POLICY" => {
                        ap.workload_identity_policy = d.workload_identity_policy.clone()
                    }
                    "COMMENT" => ap.comment = None,
                    other => p.fail(other),
                }
                if !p.eat_sym(',') {
                    break;
                }
            }
        }
    }
}

/// Tokens that count against the 15-token limit: every one not expired.
fn counted(user: &LiveUser, now: DateTime<Utc>) -> usize {
    user.tokens
        .iter()
        .filter(|t| t.expires_at > now && t.status != TokenStatus::Expired)
        .count()
}

fn is_service(user: &LiveUser) -> bool {
    matches!(
        user.user_type.as_ref().map(|t| t.as_str()),
        Some("SERVICE" | "LEGACY_SERVICE")
    )
}

fn set_user_property(user: &mut LiveUser, p: &mut Parser) {
    let key = p.word();
    p.sym('=');
    match key.as_str() {
        "TYPE" => user.user_type = Some(p.word().into()),
        "DEFAULT_ROLE" => user.default_role = Some(p.ident()),
        "COMMENT" => user.comment = Some(p.string()),
        "DISABLED" => user.disabled = p.word() == "TRUE",
        other => p.fail(other),
    }
}

fn set_authentication_property(ap: &mut LiveAuthenticationPolicy, p: &mut Parser) {
    let key = p.word();
    p.sym('=');
    match key.as_str() {
        "AUTHENTICATION_METHODS" => {
            ap.authentication_methods = p.string_list().into_iter().map(Into::into).collect()
        }
        "CLIENT_TYPES" => ap.client_types = p.string_list().into_iter().map(Into::into).collect(),
        "SECURITY_INTEGRATIONS" => ap.security_integrations = p.string_list(),
        "MFA_ENROLLMENT" => ap.mfa_enrollment = p.string().into(),
        "COMMENT" => ap.comment = Some(p.string()),
        "CLIENT_POLICY" => {
            p.sym('(');
            ap.client_policy.clear();
            while !p.eat_sym(')') {
                let driver = p.word();
                p.sym('=');
                p.sym('(');
                p.expect("MINIMUM_VERSION");
                p.sym('=');
                let version = p.string();
                p.sym(')');
                ap.client_policy.insert(driver, version);
                p.eat_sym(',');
            }
        }
        "MFA_POLICY" => {
            p.sym('(');
            while !p.eat_sym(')') {
                let sub = p.word();
                p.sym('=');
                match sub.as_str() {
                    "ALLOWED_METHODS" => ap.mfa_policy.allowed_methods = p.string_list(),
                    "ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION" => {
                        ap.mfa_policy.enforce_mfa_on_external_authentication = p.string()
                    }
                    other => p.fail(other),
                }
            }
        }
        "PAT_POLICY" => {
            // Sub-properties not named keep their value (the merge reading of SET PAT_POLICY).
            p.sym('(');
            let pat = &mut ap.pat_policy;
            while !p.eat_sym(')') {
                let sub = p.word();
                p.sym('=');
                match sub.as_str() {
                    "DEFAULT_EXPIRY_IN_DAYS" => pat.default_expiry_in_days = p.number() as u32,
                    "MAX_EXPIRY_IN_DAYS" => pat.max_expiry_in_days = p.number() as u32,
                    "NETWORK_POLICY_EVALUATION" => pat.network_policy_evaluation = p.word().into(),
                    "REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS" => {
                        pat.require_role_restriction_for_service_users = p.word() == "TRUE"
                    }
                    "REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS" => {
                        pat.require_role_restriction_for_person_users = p.word() == "TRUE"
                    }
                    "BLOCKED_ROLES_LIST" => pat.blocked_roles_list = p.list(|p| p.ident()),
                    other => p.fail(other),
                }
            }
        }
        "WORKLOAD_IDENTITY_POLICY" => {
            p.sym('(');
            let w = &mut ap.workload_identity_policy;
            while !p.eat_sym(')') {
                let sub = p.word();
                p.sym('=');
                match sub.as_str() {
                    "ALLOWED_PROVIDERS" => w.allowed_providers = p.word_list(),
                    "ALLOWED_AWS_ACCOUNTS" => w.allowed_aws_accounts = p.string_list(),
                    "ALLOWED_AZURE_ISSUERS" => w.allowed_azure_issuers = p.string_list(),
                    "ALLOWED_OIDC_ISSUERS" => w.allowed_oidc_issuers = p.string_list(),
                    other => p.fail(other),
                }
            }
        }
        other => p.fail(other),
    }
}

// ----- lexer and parser -----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An unquoted word, upper-cased.
    Word(String),
    /// A double-quoted identifier, unescaped.
    Quoted(String),
    /// A single-quoted string, unescaped.
    Str(String),
    Num(i64),
    Sym(char),
}

fn lex(sql: &str) -> Vec<Tok> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        s.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                    None => panic!("unterminated identifier: {sql}"),
                }
            }
            out.push(Tok::Quoted(s));
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        let e = chars.get(i + 1).copied().unwrap_or_else(|| panic!("{sql}"));
                        i += 2;
                        match e {
                            'n' => s.push('\n'),
                            'r' => s.push('\r'),
                            't' => s.push('\t'),
                            '0' => s.push('\0'),
                            'b' => s.push('\u{8}'),
                            'f' => s.push('\u{c}'),
                            'u' => {
                                let hex: String = chars[i..i + 4].iter().collect();
                                s.push(
                                    char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap(),
                                );
                                i += 4;
                            }
                            other => s.push(other),
                        }
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                    None => panic!("unterminated string: {sql}"),
                }
            }
            out.push(Tok::Str(s));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let n: String = chars[start..i].iter().collect();
            out.push(Tok::Num(n.parse().unwrap()));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let w: String = chars[start..i].iter().collect();
            out.push(Tok::Word(w.to_ascii_uppercase()));
        } else if "(),.=;".contains(c) {
            out.push(Tok::Sym(c));
            i += 1;
        } else {
            panic!("unexpected {c:?} in {sql}");
        }
    }
    out
}

struct Parser {
    sql: String,
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            toks: lex(sql),
            pos: 0,
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "the effects model cannot read `{what}` at token {} of: {}",
            self.pos, self.sql
        )
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn end(&self) {
        if !self.at_end() {
            self.fail("the end of the statement");
        }
    }

    fn at(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w == word)
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.at(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat2(&mut self, a: &str, b: &str) -> bool {
        if self.at(a) && matches!(self.toks.get(self.pos + 1), Some(Tok::Word(w)) if w == b) {
            self.pos += 2;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, word: &str) {
        if !self.eat(word) {
            self.fail(word);
        }
    }

    fn expect2(&mut self, a: &str, b: &str) {
        self.expect(a);
        self.expect(b);
    }

    fn expect3(&mut self, a: &str, b: &str, c: &str) {
        self.expect(a);
        self.expect(b);
        self.expect(c);
    }

    fn eat_sym(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Sym(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn sym(&mut self, c: char) {
        if !self.eat_sym(c) {
            self.fail(&c.to_string());
        }
    }

    fn word(&mut self) -> String {
        match self.next() {
            Some(Tok::Word(w)) => w,
            _ => self.fail("a keyword"),
        }
    }

    fn ident(&mut self) -> Identifier {
        match self.next() {
            Some(Tok::Quoted(s)) | Some(Tok::Word(s)) => Identifier::from_stored(s).unwrap(),
            _ => self.fail("an identifier"),
        }
    }

    fn object(&mut self) -> ObjectName {
        let database = self.ident();
        self.sym('.');
        let schema = self.ident();
        self.sym('.');
        let name = self.ident();
        ObjectName {
            database,
            schema,
            name,
        }
    }

    fn string(&mut self) -> String {
        match self.next() {
            Some(Tok::Str(s)) => s,
            _ => self.fail("a string literal"),
        }
    }

    fn number(&mut self) -> i64 {
        match self.next() {
            Some(Tok::Num(n)) => n,
            _ => self.fail("a number"),
        }
    }

    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        self.sym('(');
        let mut out = Vec::new();
        if self.eat_sym(')') {
            return out;
        }
        loop {
            out.push(item(self));
            if self.eat_sym(')') {
                return out;
            }
            self.sym(',');
        }
    }

    fn string_list(&mut self) -> Vec<String> {
        self.list(Self::string)
    }

    fn object_list(&mut self) -> Vec<ObjectName> {
        self.list(Self::object)
    }

    fn word_list(&mut self) -> Vec<String> {
        self.list(Self::word)
    }
}

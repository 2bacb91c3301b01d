//! `pat-reconcile import`, the pure part: the live state of chosen users turned into the text of
//! a `pats.yaml` that plans empty against the account it was read from, or inserted into an
//! existing one. No I/O and no clock: the caller passes the instant the account was read at.
//!
//! ## What is declared
//!
//! - **Users**: `type`, `default_role`, `comment`, `disabled`, the attached `network_policy` and
//!   `authentication_policy`, and `roles`: the roles the reader looked up that the user holds (its
//!   tokens' role restrictions and its default role; other grants are never revoked, so leaving
//!   them out changes nothing). A type this version does not know is left out, with a note.
//! - **Tokens**: every token that is not a rotation leftover and has not expired, with its
//!   `role_restriction`, `comment`, `disabled`, an active bypass's minutes, and `days_to_expiry`
//!   inferred as the diff checks it (see [`inferred_days`]). Rotation leftovers belong to their
//!   token and are never declared. An expired token is not declared either: its secret no longer
//!   works and the plan removes it (declared, it would be replaced), so the notes say so. A
//!   token restricted to a role the user does not hold is not declared and the user gets
//!   `unmanaged_tokens: keep` (see [`Note::RoleNotHeld`]).
//! - **Rotation window**: a token already inside its rotation window (by `defaults.token` of a
//!   merged file, else 14 days capped at half the lifetime) would be rotated by the first plan.
//!   Import declares `rotate_before_expiry_days` one day short of the days left instead, so the
//!   first plan is empty and the token rotates about a day later; a note names each such token.
//!   Lower the number to wait longer, or delete the key to rotate at the next apply.
//! - **Delivery**: Snowflake never shows a secret again, so each token gets a placeholder `file`
//!   sink under the deliver directory, with a comment saying so. Nothing is delivered until the
//!   token is rotated or replaced, which is when the sink must be the real one.
//! - **Policies and rules**: the network and authentication policies attached to the chosen
//!   users (and to the account, with `account`), and the network rules those network policies
//!   list, each with the properties that differ from Snowflake's defaults. Snowflake-managed
//!   rules (database `SNOWFLAKE`) are referenced, never declared.
//! - **Account** (with `account`): each attached account-level policy; a key with nothing
//!   attached is left out (left alone), not written as `none`.
//!
//! Names are written in the `pats.yaml` spelling ([`Identifier::to_source`]): plain when
//! Snowflake stores them upper case and simple, double-quoted otherwise, and the YAML scalar is
//! quoted whenever YAML would read it differently.
//!
//! ## Merging
//!
//! [`merge`] adds to an existing file what it does not declare yet: users, policies and rules by
//! name, and the `account:` section when the file has none. It never re-serializes the file:
//! new entries are inserted as text at the end of their section (or a new section at the end of
//! the file), so every byte already there stays as it was, comments and formatting included.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::yaml::{self, Node};
use crate::model::desired::{
    AccountSpec, AuthenticationPolicySpec, ClientPolicyDriver, Config, Defaults, FileSink,
    MfaPolicy, NetworkPolicySpec, NetworkRuleSpec, PatPolicy, Sink, TokenSpec, UnmanagedTokens,
    UserSpec, WorkloadIdentityPolicy,
};
use crate::model::live::{
    AccountPolicies, LiveAuthenticationPolicy, LiveNetworkPolicy, LiveNetworkRule, LivePatPolicy,
    LiveState, LiveToken, LiveUser, MFA_ENROLLMENT_DEFAULT, TokenStatus,
};
use crate::model::{Identifier, ObjectName, Spelled, Vocabulary};

/// The first line of every imported file: the schema modeline of the shipped layout.
pub const MODELINE: &str = "# yaml-language-server: $schema=schemas/pats.schema.json";

/// The comment above every placeholder `deliver`.
pub const PLACEHOLDER_COMMENT: &str = "import: placeholder; Snowflake cannot show this secret again, so choose where the next one goes";

/// The comment above an imported `unmanaged_tokens: keep`.
pub const KEEP_COMMENT: &str = "import: a token here is restricted to a role the user does not hold; kept, not declared (see the import notes)";

/// Slack when comparing a lifetime derived from timestamps with a number of days (the same
/// hour the diff allows).
const LIFETIME_TOLERANCE_HOURS: i64 = 1;

/// What an import writes beyond the live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Directory of the placeholder `file` sinks, relative to the `pats.yaml` directory.
    pub deliver_dir: String,
    /// Declare the account-level attachments (`account:`).
    pub account: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            deliver_dir: "secrets".into(),
            account: false,
        }
    }
}

/// The result: the document text and what the user should know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The whole `pats.yaml` (for [`merge`], the existing text with the additions).
    pub text: String,
    /// What was added, for the summary.
    pub added: Added,
    /// The placeholder sinks, one per imported token.
    pub placeholders: Vec<Placeholder>,
    /// Things the first plan or the owner must know.
    pub notes: Vec<Note>,
}

/// Counts of what a document declares (or a merge added).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Added {
    pub users: usize,
    pub tokens: usize,
    pub network_rules: usize,
    pub network_policies: usize,
    pub authentication_policies: usize,
    pub account: bool,
}

/// A token's placeholder `file` sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub user: Identifier,
    pub token: Identifier,
    /// The sink's path, relative to the `pats.yaml` directory.
    pub path: String,
}

/// Something the owner of the imported file should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The token was inside its rotation window: the file narrows the window so the first plan
    /// does not rotate it.
    RotationWindowNarrowed {
        user: Identifier,
        token: Identifier,
        days_left: i64,
        rotate_before_expiry_days: u32,
    },
    /// An expired token is not declared; the plan removes it.
    ExpiredNotDeclared {
        user: Identifier,
        token: Identifier,
        expired_at: DateTime<Utc>,
    },
    /// An expired rotation leftover that the plan removes.
    ExpiredLeftover { user: Identifier, token: Identifier },
    /// The token is restricted to a role the user does not hold (so it cannot be used). It is
    /// not declared and the user gets `unmanaged_tokens: keep`: declared, preflight refuses a
    /// token whose role the file neither finds held nor grants; with the role in `roles`, the
    /// first plan would grant it.
    RoleNotHeld {
        user: Identifier,
        token: Identifier,
        role: Identifier,
    },
    /// A value the file format cannot state; it is left out, so that property is not managed.
    LeftOut { address: String, what: String },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::RotationWindowNarrowed {
                user,
                token,
                days_left,
                rotate_before_expiry_days,
            } => write!(
                f,
                "`user.{user}.token.{token}` expires in {days_left} days, inside its rotation window: imported with `rotate_before_expiry_days: {rotate_before_expiry_days}` so the first plan does not rotate it"
            ),
            Note::ExpiredNotDeclared {
                user,
                token,
                expired_at,
            } => write!(
                f,
                "`user.{user}.token.{token}` expired at {} and is not declared: the plan removes it (declare it to get a new secret)",
                expired_at.format("%Y-%m-%d %H:%M UTC")
            ),
            Note::ExpiredLeftover { user, token } => write!(
                f,
                "`user.{user}.token.{token}` is an expired rotation leftover: the plan removes it"
            ),
            Note::RoleNotHeld { user, token, role } => write!(
                f,
                "`user.{user}.token.{token}` is restricted to `{role}`, which the user does not hold, so it cannot be used as it is: not declared, and `unmanaged_tokens: keep` leaves it alone; grant the role (`roles`) and declare the token to manage it"
            ),
            Note::LeftOut { address, what } => {
                write!(f, "`{address}`: {what} left out (the file cannot state it)")
            }
        }
    }
}

/// Why an existing file cannot take the additions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// The file is not a YAML mapping this tool reads.
    #[error("`{file}` is not a readable pats.yaml: {message}")]
    Unreadable { file: String, message: String },
    /// The file has errors, so what it declares is not known for sure.
    #[error("`{file}` has {errors} error(s)")]
    Invalid { file: String, errors: usize },
    /// A section written in flow style (`users: { A: {} }`) cannot take entries as text.
    #[error(
        "`{file}` writes `{section}` in flow style (`{{ ... }}`), where entries cannot be added as text"
    )]
    FlowSection { file: String, section: String },
}

impl MergeError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            MergeError::Unreadable { .. } | MergeError::Invalid { .. } => {
                "fix the file first (`pat-reconcile validate -f FILE`), or import into a new file with `--out`"
            }
            MergeError::FlowSection { .. } => {
                "write the section in block style (one entry per line), then merge again"
            }
        }
    }
}

/// The whole document for `live`'s users.
pub fn document(live: &LiveState, now: DateTime<Utc>, options: &ImportOptions) -> Imported {
    let built = build(live, now, options, &Defaults::default());
    let mut text = String::new();
    text.push_str(MODELINE);
    text.push_str("\n#\n");
    text.push_str(&format!(
        "# Imported by `pat-reconcile import` from account {} at {}.\n",
        live.account.as_deref().unwrap_or("(unknown)"),
        now.format("%Y-%m-%d %H:%M UTC")
    ));
    text.push_str(
        "# Every token's `deliver` is a placeholder: choose each sink before the token next rotates.\n",
    );
    text.push_str("version: 1\n");
    let sections = sections(&built.config);
    for (key, entries) in &sections {
        text.push('\n');
        if key == "account" {
            text.push_str("account:\n");
            text.push_str(&entries[0].1);
            continue;
        }
        text.push_str(key);
        text.push_str(":\n");
        let blank = key == "users";
        for (i, (_, block)) in entries.iter().enumerate() {
            if blank && i > 0 {
                text.push('\n');
            }
            text.push_str(block);
        }
    }
    Imported {
        text,
        added: built.added,
        placeholders: built.placeholders,
        notes: built.notes,
    }
}

/// `existing` with what it does not declare yet of `live` inserted as text (module docs).
pub fn merge(
    file: &str,
    existing: &str,
    live: &LiveState,
    now: DateTime<Utc>,
    options: &ImportOptions,
) -> Result<Imported, MergeError> {
    let doc = yaml::parse(existing).map_err(|errors| MergeError::Unreadable {
        file: file.to_owned(),
        message: errors
            .first()
            .map_or_else(|| "not YAML".to_owned(), |e| format!("{e:?}")),
    })?;
    let loaded = super::load_str(file, existing);
    let declared = match (&loaded.config, loaded.has_errors()) {
        (Some(c), false) => c.clone(),
        _ => {
            return Err(MergeError::Invalid {
                file: file.to_owned(),
                errors: loaded.errors().max(1),
            });
        }
    };
    let Node::Mapping { entries: root, .. } = &doc.root else {
        return Err(MergeError::Unreadable {
            file: file.to_owned(),
            message: "the top level is not a mapping".into(),
        });
    };
    // Only the users the file does not declare, so that the policies added are those they use
    // (a declared user's attachments stay the file's business).
    let mut undeclared = live.clone();
    undeclared
        .users
        .retain(|name, _| !declared.users.contains_key(name));
    let mut built = build(&undeclared, now, options, &declared.defaults);
    // Keep only what the file does not declare.
    let c = &mut built.config;
    c.users.retain(|k, _| !declared.users.contains_key(k));
    c.network_rules
        .retain(|k, _| !declared.network_rules.contains_key(k));
    c.network_policies
        .retain(|k, _| !declared.network_policies.contains_key(k));
    c.authentication_policies
        .retain(|k, _| !declared.authentication_policies.contains_key(k));
    if declared.account.is_some() {
        c.account = None;
    }
    let kept_users: BTreeSet<&Identifier> = c.users.keys().collect();
    built.placeholders.retain(|p| kept_users.contains(&p.user));
    built.notes.retain(|n| match n {
        Note::RotationWindowNarrowed { user, .. }
        | Note::ExpiredNotDeclared { user, .. }
        | Note::ExpiredLeftover { user, .. }
        | Note::RoleNotHeld { user, .. } => kept_users.contains(user),
        Note::LeftOut { .. } => true,
    });
    built.added = count(c);

    // Insertions as (offset, text), applied from the end so offsets stay valid.
    let mut insertions: Vec<(usize, String)> = Vec::new();
    let mut appended = String::new();
    for (key, blocks) in sections(c) {
        let found = root.iter().find(|(k, _)| k.value == key);
        match found {
            None => {
                appended.push('\n');
                appended.push_str(&key);
                appended.push_str(":\n");
                for (_, block) in &blocks {
                    appended.push_str(block);
                }
            }
            Some((k, value)) => {
                let (at, indent, step) = match value {
                    Node::Mapping { entries, span } if !entries.is_empty() => {
                        if existing[span.offset..].starts_with('{') {
                            return Err(MergeError::FlowSection {
                                file: file.to_owned(),
                                section: key,
                            });
                        }
                        (
                            line_end(existing, last_end(value)),
                            entries[0].0.span.column - 1,
                            step_of(entries),
                        )
                    }
                    Node::Scalar(s) if s.value.is_empty() && s.plain => (
                        line_end(existing, k.span.offset + k.span.len),
                        k.span.column - 1 + 2,
                        2,
                    ),
                    _ => {
                        return Err(MergeError::FlowSection {
                            file: file.to_owned(),
                            section: key,
                        });
                    }
                };
                let mut text = String::new();
                for (_, block) in &blocks {
                    text.push_str(&reindent(block, indent, step));
                }
                insertions.push((at, text));
            }
        }
    }
    let mut text = existing.to_owned();
    if !appended.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&appended);
    insertions.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    for (at, insert) in insertions {
        if at > text.len() || (at == text.len() && !text.ends_with('\n') && !text.is_empty()) {
            text.push('\n');
            let end = text.len();
            text.insert_str(end, &insert);
        } else {
            text.insert_str(at, &insert);
        }
    }
    Ok(Imported {
        text,
        added: built.added,
        placeholders: built.placeholders,
        notes: built.notes,
    })
}

/// The byte offset just past the end of the line holding byte `at - 1`.
fn line_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    let from = at.saturating_sub(1);
    match text[from..].find('\n') {
        Some(i) => from + i + 1,
        None => text.len(),
    }
}

/// The end offset of the last scalar (or key) a node holds.
fn last_end(node: &Node) -> usize {
    match node {
        Node::Scalar(s) => s.span.offset + s.span.len,
        Node::Sequence { items, span } => items.last().map_or(span.offset + span.len, last_end),
        Node::Mapping { entries, span } => {
            entries.last().map_or(span.offset + span.len, |(k, v)| {
                (k.span.offset + k.span.len).max(last_end(v))
            })
        }
    }
}

/// A block emitted at indent 2 with steps of 2, moved to `indent` with steps of `step`, so the
/// additions look like the section they join.
fn reindent(block: &str, indent: usize, step: usize) -> String {
    if indent == 2 && step == 2 {
        return block.to_owned();
    }
    block
        .lines()
        .map(|l| {
            let rest = l.trim_start_matches(' ');
            if rest.is_empty() {
                return "\n".to_owned();
            }
            let level = (l.len() - rest.len()).saturating_sub(2) / 2;
            format!("{}{rest}\n", " ".repeat(indent + level * step))
        })
        .collect()
}

/// The indentation step of a section's entries: how far the first block mapping among their
/// values is indented past its key; 2 when none says.
fn step_of(entries: &[(yaml::Scalar, Node)]) -> usize {
    entries
        .iter()
        .find_map(|(k, v)| match v {
            Node::Mapping { entries, .. } => entries
                .first()
                .map(|(inner, _)| inner.span.column)
                .filter(|c| *c > k.span.column && inner_line(k, entries)),
            _ => None,
        })
        .zip(entries.first().map(|(k, _)| k.span.column))
        .map_or(2, |(inner, outer)| inner - outer)
}

/// Whether a mapping's first key is on a later line than its parent key (block style).
fn inner_line(parent: &yaml::Scalar, entries: &[(yaml::Scalar, Node)]) -> bool {
    entries
        .first()
        .is_some_and(|(k, _)| k.span.line > parent.span.line)
}

/// What [`build`] makes.
struct Built {
    config: Config,
    added: Added,
    placeholders: Vec<Placeholder>,
    notes: Vec<Note>,
}

fn count(c: &Config) -> Added {
    Added {
        users: c.users.len(),
        tokens: c.users.values().map(|u| u.tokens.len()).sum(),
        network_rules: c.network_rules.len(),
        network_policies: c.network_policies.len(),
        authentication_policies: c.authentication_policies.len(),
        account: c.account.is_some(),
    }
}

/// The desired state that matches `live` (module docs), with `defaults` (a merged file's) in
/// force for the rotation window.
fn build(
    live: &LiveState,
    now: DateTime<Utc>,
    options: &ImportOptions,
    defaults: &Defaults,
) -> Built {
    let mut notes = Vec::new();
    let mut placeholders = Vec::new();
    let mut config = Config {
        defaults: defaults.clone(),
        ..Config::default()
    };
    let mut used_paths = BTreeSet::new();
    for (name, user) in &live.users {
        let spec = user_spec(name, user, live, now, &config, &mut notes);
        let mut spec = spec;
        for (token_name, token) in spec.tokens.iter_mut() {
            let path = placeholder_path(&options.deliver_dir, name, token_name, &mut used_paths);
            token.deliver = vec![Sink::File(FileSink {
                path: path.clone(),
                format: None,
            })];
            placeholders.push(Placeholder {
                user: name.clone(),
                token: token_name.clone(),
                path,
            });
        }
        config.users.insert(name.clone(), spec);
    }
    // Policies the users use, and those of the account.
    let mut network_policies: BTreeSet<Identifier> = live
        .users
        .values()
        .filter_map(|u| u.network_policy.clone())
        .collect();
    let mut authentication_policies: BTreeSet<ObjectName> = live
        .users
        .values()
        .filter_map(|u| u.authentication_policy.clone())
        .collect();
    if options.account {
        let a = &live.account_policies;
        network_policies.extend(a.network_policy.clone());
        authentication_policies.extend(
            [
                &a.authentication_policy,
                &a.authentication_policy_for_service_users,
                &a.authentication_policy_for_person_users,
            ]
            .into_iter()
            .flatten()
            .cloned(),
        );
        if *a != AccountPolicies::default() {
            config.account = Some(AccountSpec {
                network_policy: a.network_policy.clone(),
                authentication_policy: a.authentication_policy.clone(),
                authentication_policy_for_service_users: a
                    .authentication_policy_for_service_users
                    .clone(),
                authentication_policy_for_person_users: a
                    .authentication_policy_for_person_users
                    .clone(),
                detach: BTreeSet::new(),
            });
        }
    }
    let mut rules = BTreeSet::new();
    for name in &network_policies {
        if let Some(p) = live.network_policies.get(name) {
            rules.extend(p.allowed_network_rule_list.iter().cloned());
            rules.extend(p.blocked_network_rule_list.iter().cloned());
            config
                .network_policies
                .insert(name.clone(), network_policy_spec(p));
        }
    }
    for name in &rules {
        if name.database.as_str() == "SNOWFLAKE" {
            continue;
        }
        if let Some(r) = live.network_rules.get(name) {
            match network_rule_spec(r) {
                Some(spec) => {
                    config.network_rules.insert(name.clone(), spec);
                }
                None => notes.push(Note::LeftOut {
                    address: format!("network_rule.{name}"),
                    what: format!("type `{}` or mode `{}`", r.rule_type, r.mode),
                }),
            }
        }
    }
    for name in &authentication_policies {
        if let Some(p) = live.authentication_policies.get(name) {
            let spec = authentication_policy_spec(p, &mut |what| {
                notes.push(Note::LeftOut {
                    address: format!("authentication_policy.{name}"),
                    what,
                });
            });
            config.authentication_policies.insert(name.clone(), spec);
        }
    }
    let added = count(&config);
    Built {
        config,
        added,
        placeholders,
        notes,
    }
}

/// A file path for the placeholder of `user`'s `token`: `DIR/USER.TOKEN`, with every character
/// but letters, digits, `_`, `-` and `$` made `_`, and a number added should two names meet.
fn placeholder_path(
    dir: &str,
    user: &Identifier,
    token: &Identifier,
    used: &mut BTreeSet<String>,
) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let dir = dir.trim_end_matches('/');
    let base = format!("{}.{}", clean(user.as_str()), clean(token.as_str()));
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.to_ascii_lowercase()) {
        candidate = format!("{base}.{n}");
        n += 1;
    }
    if dir.is_empty() {
        candidate
    } else {
        format!("{dir}/{candidate}")
    }
}

fn user_spec(
    name: &Identifier,
    user: &LiveUser,
    live: &LiveState,
    now: DateTime<Utc>,
    config: &Config,
    notes: &mut Vec<Note>,
) -> UserSpec {
    let user_type = match user.user_type() {
        Spelled::Known(t) => Some(t),
        Spelled::Other(word) => {
            notes.push(Note::LeftOut {
                address: format!("user.{name}"),
                what: format!("type `{word}`"),
            });
            None
        }
    };
    let mut roles: BTreeSet<Identifier> = BTreeSet::new();
    if let Some(r) = &user.default_role {
        if user.roles.contains(r) {
            roles.insert(r.clone());
        }
    }
    let mut spec = UserSpec {
        user_type,
        default_role: user.default_role.clone(),
        comment: user.comment.clone().filter(|c| !c.is_empty()),
        disabled: Some(user.disabled),
        network_policy: user.network_policy.clone(),
        authentication_policy: user.authentication_policy.clone(),
        ..UserSpec::default()
    };
    let max_days = pat_policy_of(user, live)
        .map_or(crate::model::desired::MAX_DAYS_TO_EXPIRY, |p| {
            p.max_expiry_in_days
        })
        .clamp(1, crate::model::desired::MAX_DAYS_TO_EXPIRY);
    for token in &user.tokens {
        if token.is_leftover() {
            if token.is_expired(now) && token.expires_at > token.created_on {
                notes.push(Note::ExpiredLeftover {
                    user: name.clone(),
                    token: token.name.clone(),
                });
            }
            continue;
        }
        if token.is_expired(now) {
            notes.push(Note::ExpiredNotDeclared {
                user: name.clone(),
                token: token.name.clone(),
                expired_at: token.expires_at,
            });
            continue;
        }
        let leftovers: Vec<&LiveToken> = user
            .tokens
            .iter()
            .filter(|l| l.rotated_to.as_ref() == Some(&token.name))
            .collect();
        if let Some(role) = &token.role_restriction {
            if user.roles.contains(role) {
                roles.insert(role.clone());
            } else {
                // Declared, preflight refuses it (the file would neither hold nor grant the
                // role); granted, the first plan is not empty. Kept undeclared instead.
                notes.push(Note::RoleNotHeld {
                    user: name.clone(),
                    token: token.name.clone(),
                    role: role.clone(),
                });
                spec.unmanaged_tokens = UnmanagedTokens::Keep;
                continue;
            }
        }
        let days = inferred_days(token, &leftovers, now).min(max_days);
        let t = TokenSpec {
            role_restriction: token.role_restriction.clone(),
            days_to_expiry: Some(days),
            mins_to_bypass_network_policy_requirement: token
                .mins_to_bypass_network_policy_requirement
                .filter(|m| *m > 0)
                .map(|m| m.min(1440)),
            comment: token.comment.clone().filter(|c| !c.is_empty()),
            disabled: (token.status == TokenStatus::Disabled).then_some(true),
            ..TokenSpec::default()
        };
        spec.tokens.insert(token.name.clone(), t);
    }
    // Narrow the rotation window of tokens already inside it (module docs).
    let names: Vec<Identifier> = spec.tokens.keys().cloned().collect();
    for token_name in names {
        let Some(live_token) = user.tokens.iter().find(|t| t.name == token_name) else {
            continue;
        };
        let left = live_token.expires_at - now;
        let window = config.effective_rotate_before_days(&spec, &spec.tokens[&token_name]);
        if left <= Duration::days(window.into()) {
            let narrowed = u32::try_from(left.num_days().saturating_sub(1).max(0)).unwrap_or(0);
            if let Some(t) = spec.tokens.get_mut(&token_name) {
                t.rotate_before_expiry_days = Some(narrowed);
            }
            notes.push(Note::RotationWindowNarrowed {
                user: name.clone(),
                token: token_name.clone(),
                days_left: left.num_days(),
                rotate_before_expiry_days: narrowed,
            });
        }
    }
    spec.roles = roles.into_iter().collect();
    spec
}

/// The PAT policy in force for the user as live shows it: its own authentication policy, else
/// the account's for its type, else the account's.
fn pat_policy_of<'a>(user: &LiveUser, live: &'a LiveState) -> Option<&'a LivePatPolicy> {
    let a = &live.account_policies;
    let by_type = if user.is_service() {
        &a.authentication_policy_for_service_users
    } else {
        &a.authentication_policy_for_person_users
    };
    let name = user
        .authentication_policy
        .as_ref()
        .or(by_type.as_ref())
        .or(a.authentication_policy.as_ref())?;
    live.authentication_policies
        .get(name)
        .map(|p| &p.pat_policy)
}

/// The `days_to_expiry` that the diff finds consistent with what SHOW shows of a token.
///
/// The diff (`plan::diff::tokens`, "The lifetime a token was created with") accepts a declared
/// lifetime `L` when `L <= expires_at - issued + 1h` and `L + 1h >= expires_at - now`, where
/// `issued` is the latest of `created_on` and its rotation leftovers' `created_on`. The largest
/// whole number of days under the first bound is the lifetime itself for a token never rotated
/// (or whose latest leftover is shown); when that misses the second bound (a rotation whose
/// leftover is gone cannot make it, but timestamps are data), the smallest day count over the
/// second bound is taken. The result is between 1 and 365.
pub fn inferred_days(token: &LiveToken, leftovers: &[&LiveToken], now: DateTime<Utc>) -> u32 {
    let tolerance = Duration::hours(LIFETIME_TOLERANCE_HOURS);
    let issued = leftovers
        .iter()
        .map(|l| l.created_on)
        .fold(token.created_on, DateTime::max);
    let longest = token.expires_at - issued;
    let shortest = token.expires_at - now;
    let day = 86_400;
    let mut days = (longest + tolerance).num_seconds().div_euclid(day);
    if Duration::days(days) + tolerance < shortest {
        days = (shortest - tolerance).num_seconds().div_euclid(day) + 1;
    }
    u32::try_from(days.clamp(1, i64::from(crate::model::desired::MAX_DAYS_TO_EXPIRY))).unwrap_or(1)
}

fn network_policy_spec(p: &LiveNetworkPolicy) -> NetworkPolicySpec {
    NetworkPolicySpec {
        allowed_network_rule_list: p.allowed_network_rule_list.clone(),
        blocked_network_rule_list: p.blocked_network_rule_list.clone(),
        allowed_ip_list: p.allowed_ip_list.clone(),
        blocked_ip_list: p.blocked_ip_list.clone(),
        comment: p.comment.clone().filter(|c| !c.is_empty()),
        absent: false,
    }
}

fn network_rule_spec(r: &LiveNetworkRule) -> Option<NetworkRuleSpec> {
    Some(NetworkRuleSpec {
        rule_type: Some(r.rule_type.known()?),
        mode: Some(r.mode.known()?),
        value_list: r.value_list.clone(),
        comment: r.comment.clone().filter(|c| !c.is_empty()),
        absent: false,
    })
}

/// A closed-set word in its serde spelling, or `None`.
fn word<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(Value::String(text.to_ascii_uppercase())).ok()
}

fn words<T: serde::de::DeserializeOwned>(list: &[String]) -> Option<Vec<T>> {
    list.iter().map(|s| word(s)).collect()
}

fn known<T: Vocabulary>(list: &[Spelled<T>]) -> Option<Vec<T>> {
    list.iter().map(Spelled::known).collect()
}

/// The properties of `p` that differ from Snowflake's defaults, so that the declared policy's
/// effective values (`plan::effective`) are `p`'s. A value the file cannot state is reported
/// through `left_out` and not declared.
fn authentication_policy_spec(
    p: &LiveAuthenticationPolicy,
    left_out: &mut dyn FnMut(String),
) -> AuthenticationPolicySpec {
    let d = LiveAuthenticationPolicy::default();
    let mut spec = AuthenticationPolicySpec {
        comment: p.comment.clone().filter(|c| !c.is_empty()),
        ..AuthenticationPolicySpec::default()
    };
    let sorted_eq = |a: &[String], b: &[String]| {
        let (mut a, mut b) = (a.to_vec(), b.to_vec());
        a.sort();
        b.sort();
        a == b
    };
    let spell =
        |v: &[Spelled<crate::model::desired::AuthenticationMethod>]| crate::model::spellings(v);
    if !sorted_eq(
        &spell(&p.authentication_methods),
        &spell(&d.authentication_methods),
    ) {
        match known(&p.authentication_methods) {
            Some(v) => spec.authentication_methods = Some(v),
            None => left_out(format!(
                "authentication_methods [{}]",
                spell(&p.authentication_methods).join(", ")
            )),
        }
    }
    let types = crate::model::spellings(&p.client_types);
    if !sorted_eq(&types, &crate::model::spellings(&d.client_types)) {
        match known(&p.client_types) {
            Some(v) => spec.client_types = Some(v),
            None => left_out(format!("client_types [{}]", types.join(", "))),
        }
    }
    if p.client_policy != d.client_policy {
        let parsed: Option<BTreeMap<ClientPolicyDriver, String>> = p
            .client_policy
            .iter()
            .map(|(k, v)| Some((word(k)?, v.clone())))
            .collect();
        match parsed {
            Some(m) => spec.client_policy = Some(m),
            None => left_out("client_policy".into()),
        }
    }
    if !sorted_eq(&p.security_integrations, &d.security_integrations) {
        spec.security_integrations = Some(p.security_integrations.clone());
    }
    if p.mfa_enrollment != Spelled::Known(MFA_ENROLLMENT_DEFAULT) {
        match word(p.mfa_enrollment.as_str()) {
            Some(m) => spec.mfa_enrollment = Some(m),
            None => left_out(format!("mfa_enrollment `{}`", p.mfa_enrollment)),
        }
    }
    if p.mfa_policy != d.mfa_policy {
        let m = &p.mfa_policy;
        let methods = (!sorted_eq(&m.allowed_methods, &d.mfa_policy.allowed_methods))
            .then(|| words(&m.allowed_methods));
        let enforce = (m.enforce_mfa_on_external_authentication
            != d.mfa_policy.enforce_mfa_on_external_authentication)
            .then(|| word(&m.enforce_mfa_on_external_authentication));
        match (methods, enforce) {
            (Some(None), _) | (_, Some(None)) => left_out("mfa_policy".into()),
            (methods, enforce) => {
                let policy = MfaPolicy {
                    allowed_methods: methods.flatten(),
                    enforce_mfa_on_external_authentication: enforce.flatten(),
                };
                if policy != MfaPolicy::default() {
                    spec.mfa_policy = Some(policy);
                }
            }
        }
    }
    let pat = &p.pat_policy;
    let dp = &d.pat_policy;
    if pat != dp {
        let mut policy = PatPolicy {
            default_expiry_in_days: (pat.default_expiry_in_days != dp.default_expiry_in_days)
                .then_some(pat.default_expiry_in_days),
            max_expiry_in_days: (pat.max_expiry_in_days != dp.max_expiry_in_days)
                .then_some(pat.max_expiry_in_days),
            network_policy_evaluation: None,
            require_role_restriction_for_service_users: (pat
                .require_role_restriction_for_service_users
                != dp.require_role_restriction_for_service_users)
                .then_some(pat.require_role_restriction_for_service_users),
            require_role_restriction_for_person_users: (pat
                .require_role_restriction_for_person_users
                != dp.require_role_restriction_for_person_users)
                .then_some(pat.require_role_restriction_for_person_users),
            blocked_roles_list: (!pat.blocked_roles_list.is_empty())
                .then(|| pat.blocked_roles_list.clone()),
        };
        if pat.network_policy_evaluation != dp.network_policy_evaluation {
            match pat.network_policy_evaluation.known() {
                Some(e) => policy.network_policy_evaluation = Some(e),
                None => left_out(format!(
                    "pat_policy.network_policy_evaluation `{}`",
                    pat.network_policy_evaluation
                )),
            }
        }
        if policy != PatPolicy::default() {
            spec.pat_policy = Some(policy);
        }
    }
    let w = &p.workload_identity_policy;
    let dw = &d.workload_identity_policy;
    if w != dw {
        let differs = |a: &Vec<String>, b: &Vec<String>| {
            let (mut a, mut b) = (a.clone(), b.clone());
            a.sort();
            b.sort();
            a != b
        };
        let providers = differs(&w.allowed_providers, &dw.allowed_providers)
            .then(|| words(&w.allowed_providers));
        if let Some(None) = providers {
            left_out("workload_identity_policy.allowed_providers".into());
        }
        let policy = WorkloadIdentityPolicy {
            allowed_providers: providers.flatten(),
            allowed_aws_accounts: differs(&w.allowed_aws_accounts, &dw.allowed_aws_accounts)
                .then(|| w.allowed_aws_accounts.clone()),
            allowed_azure_issuers: differs(&w.allowed_azure_issuers, &dw.allowed_azure_issuers)
                .then(|| w.allowed_azure_issuers.clone()),
            allowed_oidc_issuers: differs(&w.allowed_oidc_issuers, &dw.allowed_oidc_issuers)
                .then(|| w.allowed_oidc_issuers.clone()),
        };
        if policy != WorkloadIdentityPolicy::default() {
            spec.workload_identity_policy = Some(policy);
        }
    }
    spec
}

// ---------------------------------------------------------------------------------------------
// Emitting YAML text.

/// Each non-empty section of `config` in file order, as its entries' blocks (indent 2); the
/// `account` section is one block of its keys.
fn sections(config: &Config) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    if let Some(a) = &config.account {
        let value = serde_json::to_value(a).unwrap_or(Value::Null);
        if let Value::Object(m) = value {
            let mut block = String::new();
            emit_map(&mut block, &m, 2);
            out.push(("account".to_owned(), vec![(String::new(), block)]));
        }
    }
    fn entries<K: serde::Serialize, V: serde::Serialize>(
        map: &BTreeMap<K, V>,
    ) -> Vec<(String, String)> {
        map.iter()
            .map(|(k, v)| {
                let key = match serde_json::to_value(k) {
                    Ok(Value::String(s)) => s,
                    _ => String::new(),
                };
                let mut block = String::new();
                block.push_str("  ");
                block.push_str(&scalar(&key));
                match serde_json::to_value(v) {
                    Ok(Value::Object(m)) if !m.is_empty() => {
                        block.push_str(":\n");
                        emit_map(&mut block, &m, 4);
                    }
                    _ => block.push_str(": {}\n"),
                }
                (key, block)
            })
            .collect()
    }
    for (key, list) in [
        ("network_rules", entries(&config.network_rules)),
        ("network_policies", entries(&config.network_policies)),
        (
            "authentication_policies",
            entries(&config.authentication_policies),
        ),
        ("users", entries(&config.users)),
    ] {
        if !list.is_empty() {
            out.push((key.to_owned(), list));
        }
    }
    out
}

/// A mapping in block style at `indent`; the placeholder comment goes above each `deliver`.
fn emit_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    let pad = " ".repeat(indent);
    for (k, v) in map {
        if k == "deliver" {
            out.push_str(&format!("{pad}# {PLACEHOLDER_COMMENT}\n"));
        }
        if k == "unmanaged_tokens" {
            out.push_str(&format!("{pad}# {KEEP_COMMENT}\n"));
        }
        out.push_str(&pad);
        out.push_str(&scalar(k));
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push_str(":\n");
                emit_map(out, m, indent + 2);
            }
            Value::Array(items) if items.iter().any(Value::is_object) => {
                out.push_str(":\n");
                for item in items {
                    out.push_str(&pad);
                    out.push_str("  - ");
                    match item {
                        Value::Object(m) => {
                            let inner: Vec<String> = m
                                .iter()
                                .map(|(k, v)| format!("{}: {}", scalar(k), flow(v)))
                                .collect();
                            out.push_str(&inner.join(&format!("\n{pad}    ")));
                        }
                        other => out.push_str(&flow(other)),
                    }
                    out.push('\n');
                }
            }
            other => {
                out.push_str(": ");
                out.push_str(&flow(other));
                out.push('\n');
            }
        }
    }
}

/// A value in flow style.
fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(m) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Words YAML 1.1 or 1.2 read as something other than a string.
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
];

/// A string as a YAML scalar that reads back as the same string: plain when that is safe (a
/// letter or `_` first, then letters, digits and `_$./-`, not a reserved word), single-quoted
/// when it has no control characters, else double-quoted with JSON escapes (valid YAML).
pub fn scalar(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.' | '/' | '-'))
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s));
    if plain {
        s.to_owned()
    } else if !s.chars().any(char::is_control) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::live::{LiveAuthenticationPolicy, LiveUser};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn id(s: &str) -> Identifier {
        Identifier::from_stored(s).unwrap()
    }

    fn token(name: &str, created: &str, expires: &str) -> LiveToken {
        LiveToken {
            name: id(name),
            user_name: "U".into(),
            role_restriction: None,
            expires_at: t(expires),
            status: TokenStatus::Active,
            comment: None,
            created_on: t(created),
            created_by: None,
            mins_to_bypass_network_policy_requirement: None,
            rotated_to: None,
        }
    }

    #[test]
    fn the_lifetime_of_a_fresh_token_is_its_days() {
        let tk = token("T", "2026-01-01T00:00:00Z", "2026-03-02T00:00:00Z");
        assert_eq!(inferred_days(&tk, &[], t("2026-01-10T00:00:00Z")), 60);
        // A leftover pins the issue time to the rotation.
        let mut left = token(
            "T_ROTATED_1",
            "2026-02-01T00:00:00Z",
            "2026-02-02T00:00:00Z",
        );
        left.rotated_to = Some(id("T"));
        let rotated = token("T", "2026-01-01T00:00:00Z", "2026-04-02T00:00:00Z");
        assert_eq!(
            inferred_days(&rotated, &[&left], t("2026-02-01T12:00:00Z")),
            60
        );
    }

    #[test]
    fn scalars_read_back_as_the_same_string() {
        for s in [
            "PLAIN",
            "\"lower case\"",
            "it's",
            "203.0.113.0/24",
            "yes",
            "NO",
            "a: b",
            "# not a comment",
            "line\nbreak",
            "",
            "- dash",
        ] {
            let text = format!("k: {}\n", scalar(s));
            let doc = yaml::parse(&text).unwrap();
            let got = doc.root.get("k").unwrap().to_json();
            assert_eq!(got, Value::String(s.into()), "{text}");
        }
    }

    fn state() -> LiveState {
        let mut live = LiveState::empty();
        live.account = Some("ACME".into());
        let mut tk = token("T", "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z");
        tk.role_restriction = Some(id("R"));
        let user = LiveUser {
            user_type: Some(Spelled::Known(crate::model::desired::UserType::Service)),
            roles: [id("R")].into(),
            authentication_policy: Some(ObjectName::parse("D.S.AP").unwrap()),
            tokens: vec![tk],
            ..LiveUser::default()
        };
        live.users.insert(id("svc user"), user);
        let mut ap = LiveAuthenticationPolicy::default();
        ap.pat_policy.max_expiry_in_days = 90;
        live.authentication_policies
            .insert(ObjectName::parse("D.S.AP").unwrap(), ap);
        live
    }

    #[test]
    fn a_document_declares_users_tokens_and_policies_and_loads() {
        let imported = document(
            &state(),
            t("2026-01-05T00:00:00Z"),
            &ImportOptions::default(),
        );
        assert!(imported.text.starts_with(MODELINE), "{}", imported.text);
        let loaded = crate::config::load_str("imported.yaml", &imported.text);
        assert!(
            !loaded.has_errors(),
            "{:?}\n{}",
            loaded.diagnostics,
            imported.text
        );
        let c = loaded.config.unwrap();
        let u = &c.users[&id("svc user")];
        assert_eq!(u.roles, vec![id("R")]);
        let tk = &u.tokens[&id("T")];
        assert_eq!(tk.days_to_expiry, Some(30));
        assert_eq!(tk.role_restriction, Some(id("R")));
        assert_eq!(tk.deliver.len(), 1);
        assert_eq!(
            c.authentication_policies[&ObjectName::parse("D.S.AP").unwrap()]
                .pat_policy
                .as_ref()
                .unwrap()
                .max_expiry_in_days,
            Some(90)
        );
        assert!(imported.text.contains(PLACEHOLDER_COMMENT));
        assert_eq!(imported.placeholders[0].path, "secrets/svc_user.T");
        assert!(imported.notes.is_empty(), "{:?}", imported.notes);
    }

    #[test]
    fn a_token_inside_its_window_gets_a_narrower_one() {
        // 30-day token, 5 days left: the default window (14 capped at 15) would rotate it.
        let imported = document(
            &state(),
            t("2026-01-26T00:00:00Z"),
            &ImportOptions::default(),
        );
        let c = crate::config::load_str("i.yaml", &imported.text)
            .config
            .unwrap();
        let tk = &c.users[&id("svc user")].tokens[&id("T")];
        assert_eq!(tk.rotate_before_expiry_days, Some(4));
        assert!(matches!(
            imported.notes.as_slice(),
            [Note::RotationWindowNarrowed {
                days_left: 5,
                rotate_before_expiry_days: 4,
                ..
            }]
        ));
    }

    #[test]
    fn expired_tokens_and_rotation_leftovers_are_not_declared() {
        let mut live = state();
        let user = live.users.get_mut(&id("svc user")).unwrap();
        user.tokens
            .push(token("OLD", "2025-12-01T00:00:00Z", "2026-01-02T00:00:00Z"));
        let mut left = token(
            "T_ROTATED_1",
            "2026-01-03T00:00:00Z",
            "2026-01-06T00:00:00Z",
        );
        left.rotated_to = Some(id("T"));
        user.tokens.push(left);
        let imported = document(&live, t("2026-01-05T00:00:00Z"), &ImportOptions::default());
        let c = crate::config::load_str("i.yaml", &imported.text)
            .config
            .unwrap();
        let names: Vec<&str> = c.users[&id("svc user")]
            .tokens
            .keys()
            .map(Identifier::as_str)
            .collect();
        assert_eq!(names, ["T"]);
        assert!(
            imported.notes.iter().any(
                |n| matches!(n, Note::ExpiredNotDeclared { token, .. } if token.as_str() == "OLD")
            ),
            "{:?}",
            imported.notes
        );
        // The leftover still works: nothing to say, the plan keeps it for its token.
        assert!(
            !imported
                .notes
                .iter()
                .any(|n| matches!(n, Note::ExpiredLeftover { .. })),
            "{:?}",
            imported.notes
        );
    }

    #[test]
    fn merging_keeps_every_byte_and_adds_the_missing() {
        let existing = "version: 1   # odd\nusers:\n    OTHER:   { comment: 'hand written' }   # keep\n# trailing comment\n";
        let imported = merge(
            "pats.yaml",
            existing,
            &state(),
            t("2026-01-05T00:00:00Z"),
            &ImportOptions::default(),
        )
        .unwrap();
        let text = &imported.text;
        assert!(
            text.starts_with(
                "version: 1   # odd\nusers:\n    OTHER:   { comment: 'hand written' }   # keep\n"
            ),
            "{text}"
        );
        assert!(text.contains("# trailing comment\n"), "{text}");
        let c = crate::config::load_str("m.yaml", text).config.unwrap();
        assert!(c.users.contains_key(&id("OTHER")));
        assert!(c.users.contains_key(&id("svc user")), "{text}");
        assert_eq!(c.authentication_policies.len(), 1);
        assert_eq!(imported.added.users, 1);
        // A declared user's attachments are the file's business: its policy is not added.
        let mut live = state();
        let user = live.users.remove(&id("svc user")).unwrap();
        live.users.insert(id("OTHER"), user);
        let none = merge(
            "pats.yaml",
            existing,
            &live,
            t("2026-01-05T00:00:00Z"),
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(none.text, existing);
        assert_eq!(none.added, Added::default());
        // Merged again, nothing is added.
        let again = merge(
            "pats.yaml",
            text,
            &state(),
            t("2026-01-05T00:00:00Z"),
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(&again.text, text);
        assert_eq!(again.added, Added::default());
    }

    #[test]
    fn a_flow_section_is_refused() {
        let err = merge(
            "pats.yaml",
            "version: 1\nusers: { OTHER: {} }\n",
            &state(),
            t("2026-01-05T00:00:00Z"),
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, MergeError::FlowSection { .. }), "{err}");
    }
}

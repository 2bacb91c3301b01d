//! The live reader: reads the declared scope of an account into a [`LiveState`].
//!
//! Read economy (DESIGN §6): a plan's cost is its round trips, and every read works **without a
//! warehouse** (a least-privilege deployer has none: reference Corrections 1). Account-wide
//! facts come from one statement each (`SHOW USERS`, paged past 10,000 users;
//! `SHOW NETWORK POLICIES`, `SHOW NETWORK RULES IN ACCOUNT`,
//! `SHOW AUTHENTICATION POLICIES IN ACCOUNT`, the account's parameters and policies), role
//! membership from one `SHOW GRANTS OF ROLE` per referenced role. Per declared user that exists:
//! its tokens (`SHOW USER PROGRAMMATIC ACCESS TOKENS` has no account-wide form; skipped where
//! `SHOW USERS` says the user has none and that cannot change the plan, see below), its network
//! policy (`SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER`) and its authentication policy
//! (`SHOW AUTHENTICATION POLICIES ON USER`).
//!
//! With a warehouse ([`ReadMode::WithWarehouse`]) the reader also asks `POLICY_REFERENCES` for
//! each declared policy, to see attachments outside the file before a drop. That function shows
//! only what the role may see, and the docs disagree on which privilege that takes, so its
//! answer never replaces the per-user reads: a non-empty answer is recorded as the policy's
//! attachments, an empty or refused one leaves them unknown (`None`), never "attached nowhere".
//!
//! Reads run as two pipelines through one bounded pool: `SHOW USERS`, then at once the reads
//! of each declared user it lists; and, alongside, the other account-wide reads, then the DESC
//! of each declared object they showed exists. The per-user reads, most of a plan's cost, do not
//! wait for the slowest account-wide read. Answers are kept in a fixed order, so the same
//! account reads to the same [`LiveState`] whatever order the answers arrive in. Without
//! `--concurrency` the pool starts at 8 in flight and grows, once `SHOW USERS` is in, to
//! [`auto_concurrency`] of the statements then known (see `pool.rs` for the bound and why).
//!
//! ## Skipped token reads
//!
//! `SHOW USERS` prints `has_pat` per user. Snowflake's only definition of it (bundle 2025_03,
//! BCR-1951, for `SHOW USERS` and `DESCRIBE USER`) is "If true, the user has one or more
//! programmatic access tokens"; it does not say whether a disabled or an expired token counts.
//! Where Snowflake does exclude expired tokens it says so (the 15-token limit "includes
//! disabled tokens and excludes expired tokens", ALTER USER … ADD PAT), and no public
//! live-account test pins `has_pat` for either status. The sandbox prints it as that limit's
//! count (`false` for a user whose only token expired, still listed by SHOW for days), and
//! `import --with-tokens` and `status --all` choose users by that rule.
//!
//! So `has_pat = false` may hide tokens, expired ones at least, and the plan must see them: an
//! expired token keeps its name (an ADD of it is refused "already exists"; the plan replaces
//! it as REMOVE then ADD, the everyday renewal), an undeclared one is removed under
//! `unmanaged_tokens: remove` (the default), and a disabled one is compared with its
//! declaration. A read skipped on `has_pat = false` alone would plan a bare ADD for a user
//! whose every token expired, which apply then fails on. The reader therefore skips
//! `SHOW USER PROGRAMMATIC ACCESS TOKENS` only where no token it could list changes the plan:
//! a declared user that declares no token, keeps the tokens it does not declare
//! (`unmanaged_tokens: keep`) and whose row says `has_pat = false`. A row without the column
//! (`NULL`: an account before the 2025_03 bundle, a role without OWNERSHIP on the user or
//! MANAGE GRANTS) is read as before, and so is every user [`read_selected`] chooses (`import`
//! and `status --all` report tokens). A skipped user is read as holding no token.
//!
//! [`read_selected`] reads users no file names (`import`, `status --all`): chosen from
//! `SHOW USERS` by a [`UserSelection`], with what a file declaring them would reference.

use std::collections::{BTreeMap, BTreeSet};

use super::client::Client;
use super::error::ClientError;
use super::pool::{AUTO_START, Answer, Pool, auto_concurrency};
use super::result::ResultSet;
use super::rows::{self, Holders, RuleSummary};
use super::selection::UserSelection;
use crate::model::desired::{Config, UnmanagedTokens};
use crate::model::live::{
    AccountPolicies, LIVE_FORMAT_VERSION, LiveScope, LiveState, SessionAuthentication,
};
use crate::model::{Identifier, ObjectName};
use crate::sql::reads;

pub use super::pool::Progress;

/// Whether the session has a warehouse, which decides what the reader may ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadMode {
    /// SHOW and DESC only: works for every deployer.
    #[default]
    NoWarehouse,
    /// A warehouse is set: `POLICY_REFERENCES` is asked too, for attachments outside the file.
    WithWarehouse,
}

/// Options of a read.
#[derive(Clone)]
pub struct ReadOptions {
    /// Statements in flight at once; `None`: start at [`AUTO_START`] and grow to
    /// [`auto_concurrency`] of the read's statements once `SHOW USERS` tells how many there are.
    pub concurrency: Option<usize>,
    /// How the session authenticated (the SQL API does not say).
    pub authentication: SessionAuthentication,
    pub mode: ReadMode,
    pub progress: Option<Progress>,
}

/// What the read cost, and what it could not see.
#[derive(Debug, Default)]
pub struct ReadReport {
    pub statements: usize,
    /// Statements in flight at once at the end of the read: `--concurrency`, or the bound the
    /// default grew to (the largest of [`read_selected`]'s passes).
    pub concurrency: usize,
    /// Optional reads that failed; the state is complete without them, but less is known.
    pub warnings: Vec<ReadWarning>,
}

/// An optional read that Snowflake refused.
#[derive(Debug, thiserror::Error)]
#[error("`POLICY_REFERENCES` failed, so attachments outside the file stay unknown")]
pub struct ReadWarning {
    pub statement: String,
    #[source]
    pub source: Box<ClientError>,
}

/// A read failed; names the statement.
#[derive(Debug, thiserror::Error)]
#[error("reading live state failed at `{statement}`")]
pub struct ReadError {
    pub statement: String,
    #[source]
    pub source: Box<ClientError>,
}

/// What the file names, which is all the reader reads.
#[derive(Debug, Default, PartialEq, Eq)]
struct Scope {
    users: BTreeSet<Identifier>,
    network_policies: BTreeSet<Identifier>,
    network_rules: BTreeSet<ObjectName>,
    /// The rules the file declares (the others are only referenced by a policy).
    declared_rules: BTreeSet<ObjectName>,
    authentication_policies: BTreeSet<ObjectName>,
    roles: BTreeSet<Identifier>,
    /// The file has an `account:` section.
    account_section: bool,
    /// The declared users whose token read may be skipped when `SHOW USERS` says
    /// `has_pat = false` (module docs, "Skipped token reads"): they declare no token and keep
    /// the tokens they do not declare.
    tokens_optional: BTreeSet<Identifier>,
}

fn scope(desired: &Config) -> Scope {
    // What is read is what the snapshot records as its scope: one definition for both.
    let read = LiveScope::of(desired);
    let mut s = Scope {
        users: read.users,
        network_policies: read.network_policies,
        network_rules: read.network_rules,
        authentication_policies: read.authentication_policies,
        account_section: desired.account.is_some(),
        ..Scope::default()
    };
    s.declared_rules
        .extend(desired.network_rules.keys().cloned());
    s.tokens_optional = desired
        .users
        .iter()
        .filter(|(_, u)| u.tokens.is_empty() && u.unmanaged_tokens == UnmanagedTokens::Keep)
        .map(|(name, _)| name.clone())
        .collect();
    for u in desired.users.values() {
        s.roles.extend(u.roles.iter().cloned());
        s.roles
            .extend(u.tokens.values().filter_map(|t| t.role_restriction.clone()));
    }
    s.roles.retain(|r| r.as_str() != "PUBLIC");
    s
}

/// Fails on an error, except "does not exist", which becomes `None`.
fn existing(answer: Answer) -> Result<Option<ResultSet>, ReadError> {
    match answer.1 {
        Ok(r) => Ok(Some(r)),
        Err(e) if e.is_does_not_exist() => Ok(None),
        Err(source) => Err(ReadError {
            statement: answer.0,
            source: Box::new(source),
        }),
    }
}

fn required(answer: Answer) -> Result<ResultSet, ReadError> {
    answer.1.map_err(|source| ReadError {
        statement: answer.0,
        source: Box::new(source),
    })
}

/// The account-wide reads other than `SHOW USERS`, by name.
struct AccountRound {
    session: ResultSet,
    network_policies: ResultSet,
    network_rules: ResultSet,
    authentication_policies: ResultSet,
    account_network_policy: ResultSet,
    account_authentication_policies: ResultSet,
    /// `None` for a role that does not exist.
    grants: BTreeMap<Identifier, Option<ResultSet>>,
}

async fn account_round(
    pool: &Pool,
    roles: &BTreeSet<Identifier>,
) -> Result<AccountRound, ReadError> {
    let roles: Vec<Identifier> = roles.iter().cloned().collect();
    let (session, nps, rules, aps, account_np, account_ap, grants) = tokio::join!(
        pool.one(reads::current_session()),
        pool.one(reads::show_network_policies()),
        pool.one(reads::show_network_rules()),
        pool.one(reads::show_authentication_policies()),
        pool.one(reads::show_account_network_policy()),
        pool.one(reads::show_authentication_policies_on_account()),
        pool.each(&roles, reads::show_grants_of_role),
    );
    let mut by_role = BTreeMap::new();
    for (role, answer) in roles.into_iter().zip(grants) {
        by_role.insert(role, existing(answer)?);
    }
    Ok(AccountRound {
        session: required(session)?,
        network_policies: required(nps)?,
        network_rules: required(rules)?,
        authentication_policies: required(aps)?,
        account_network_policy: required(account_np)?,
        account_authentication_policies: required(account_ap)?,
        grants: by_role,
    })
}

/// `SHOW USER PROGRAMMATIC ACCESS TOKENS FOR USER` is sent for a declared user unless its
/// `SHOW USERS` row says `has_pat = false` and nothing the read could show would change the
/// plan (module docs, "Skipped token reads"). A row without the column (an account before the
/// 2025_03 bundle, a role that may not see it) is read.
fn tokens_to_read(listing: &rows::UserListing, scope: &Scope) -> bool {
    listing.has_pat != Some(false) || !scope.tokens_optional.contains(&listing.name)
}

/// `SHOW USERS` and the reads of each declared user it lists, by name.
struct UserReads {
    pages: Vec<ResultSet>,
    /// The declared users `SHOW USERS` listed, in order.
    users: Vec<Identifier>,
    /// The users whose tokens were read (the others have none), and the answers.
    token_users: Vec<Identifier>,
    tokens: Vec<Answer>,
    network_policies: Vec<Answer>,
    authentication_policies: Vec<Answer>,
}

/// Reads `SHOW USERS`, then at once each declared user's tokens and attachments, without
/// waiting for the other account-wide reads. With `grow`, the pool's bound grows to
/// [`auto_concurrency`] of the statements now known (those sent so far and the per-user reads
/// about to be), before the per-user reads are sent.
async fn user_reads(pool: &Pool, scope: &Scope, grow: bool) -> Result<UserReads, ReadError> {
    let pages = user_pages(pool).await?;
    let mut declared: BTreeMap<Identifier, bool> = BTreeMap::new();
    for row in pages.iter().flat_map(ResultSet::rows) {
        if let Some(listing) = rows::user_listing(&row) {
            if scope.users.contains(&listing.name) {
                let read = tokens_to_read(&listing, scope);
                declared.insert(listing.name, read);
            }
        }
    }
    let users: Vec<Identifier> = declared.keys().cloned().collect();
    let token_users: Vec<Identifier> = declared
        .iter()
        .filter(|(_, read)| **read)
        .map(|(name, _)| name.clone())
        .collect();
    if grow {
        pool.grow_to(auto_concurrency(
            pool.statements() + 2 * users.len() + token_users.len(),
        ));
    }
    let (tokens, network_policies, authentication_policies) = tokio::join!(
        pool.each(&token_users, reads::show_tokens),
        pool.each(&users, reads::show_user_network_policy),
        pool.each(&users, reads::show_authentication_policies_on_user),
    );
    Ok(UserReads {
        pages,
        users,
        token_users,
        tokens,
        network_policies,
        authentication_policies,
    })
}

/// `SHOW USERS` returns at most 10,000 rows (reference Corrections 13): a full page is followed
/// by the next, from the last name it showed. Pages are sequential; a server that ignores the
/// cursor ends the loop rather than repeating it.
async fn user_pages(pool: &Pool) -> Result<Vec<ResultSet>, ReadError> {
    let mut pages = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let page = required(pool.one(reads::show_users(from.as_deref())).await)?;
        let full = page.len() >= reads::SHOW_USERS_PAGE;
        let last = rows::last_name(&page);
        pages.push(page);
        match last {
            Some(last) if full && from.as_deref() != Some(last.as_str()) => from = Some(last),
            _ => return Ok(pages),
        }
    }
}

/// The per-object reads, by name.
struct ObjectRound {
    network_policies: Vec<Answer>,
    network_rules: Vec<Answer>,
    authentication_policies: Vec<Answer>,
    network_policy_references: Vec<Answer>,
    authentication_policy_references: Vec<Answer>,
}

/// What the object round reads: declared objects that exist.
struct Targets {
    network_policies: Vec<Identifier>,
    network_rules: Vec<ObjectName>,
    authentication_policies: Vec<ObjectName>,
}

/// The account-wide reads, then the DESC (and, with a warehouse, `POLICY_REFERENCES`) of each
/// declared object they showed exists.
async fn object_reads(
    pool: &Pool,
    scope: &Scope,
    mode: ReadMode,
) -> Result<(AccountRound, Listed, Targets, ObjectRound), ReadError> {
    let first = account_round(pool, &scope.roles).await?;
    let listed = Listed {
        network_policies: rows::network_policy_list(&first.network_policies),
        network_rules: rows::network_rule_list(&first.network_rules),
        authentication_policies: rows::authentication_policy_list(&first.authentication_policies),
    };
    let account = rows::account_policies(
        &first.account_network_policy,
        &first.account_authentication_policies,
    );
    let targets = listed.targets(&account, scope);
    let objects = object_round(pool, &targets, mode).await;
    Ok((first, listed, targets, objects))
}

async fn object_round(pool: &Pool, t: &Targets, mode: ReadMode) -> ObjectRound {
    let references = mode == ReadMode::WithWarehouse;
    let (
        network_policies,
        network_rules,
        authentication_policies,
        network_policy_references,
        authentication_policy_references,
    ) = tokio::join!(
        pool.each(&t.network_policies, reads::describe_network_policy),
        pool.each(&t.network_rules, reads::describe_network_rule),
        pool.each(
            &t.authentication_policies,
            reads::describe_authentication_policy
        ),
        pool.each(
            if references {
                &t.network_policies[..]
            } else {
                &[]
            },
            reads::network_policy_references
        ),
        pool.each(
            if references {
                &t.authentication_policies[..]
            } else {
                &[]
            },
            reads::authentication_policy_references
        ),
    );
    ObjectRound {
        network_policies,
        network_rules,
        authentication_policies,
        network_policy_references,
        authentication_policy_references,
    }
}

/// A `POLICY_REFERENCES` answer as attachments: only a non-empty answer says anything. A
/// refusal (no usable warehouse, a missing privilege) is a warning, not a failed read.
fn references(
    answer: Answer,
    kind: &str,
    warnings: &mut Vec<ReadWarning>,
) -> Option<Vec<crate::model::live::Attachment>> {
    match answer.1 {
        Ok(rows) => Some(rows::attachments(&rows, kind)).filter(|a| !a.is_empty()),
        Err(source) => {
            warnings.push(ReadWarning {
                statement: answer.0,
                source: Box::new(source),
            });
            None
        }
    }
}

/// Reads the live state for what `desired` declares and references.
pub async fn read(
    client: &Client,
    desired: &Config,
    options: &ReadOptions,
) -> Result<(LiveState, ReadReport), ReadError> {
    read_scope(client, &scope(desired), options).await
}

/// Most passes [`read_selected`] makes: users, then the policies they use, then the rules
/// those use; one more never finds anything new.
pub const SELECTED_PASSES: usize = 4;

/// Reads the users `selection` chooses from `SHOW USERS` (declared in a file or not) and what a
/// `pats.yaml` declaring them would reference, as [`read`] would read that file: each user's
/// properties, tokens (rotation leftovers included) and policy attachments; the network and
/// authentication policies attached to them (and, with [`UserSelection::account`], those
/// attached to the account); the network rules those network policies use; and, for each
/// role a chosen user's tokens are restricted to or that is a chosen user's default role, who
/// holds it. `import` turns the result into a `pats.yaml`; `status --all` reports its tokens.
///
/// What to read is only known from what was read, so the read runs in passes: `SHOW USERS`
/// chooses the users, then the whole scope is read again each time the previous pass named
/// something new (the policies users point at, then the rules a policy lists), at most
/// [`SELECTED_PASSES`] times. Every pass is a complete, consistent read of its scope; the last
/// one is returned, with its scope recorded in [`LiveState::scope`] and the statements of all
/// passes counted in the report.
pub async fn read_selected(
    client: &Client,
    selection: &UserSelection,
    options: &ReadOptions,
) -> Result<(LiveState, ReadReport), ReadError> {
    let pool = Pool::new(
        client,
        options.concurrency.unwrap_or(AUTO_START),
        options.progress.clone(),
    );
    let pages = user_pages(&pool).await?;
    let users: BTreeSet<Identifier> = pages
        .iter()
        .flat_map(ResultSet::rows)
        .filter_map(|row| rows::user_listing(&row))
        .filter(|u| selection.matches(u))
        .map(|u| u.name)
        .collect();
    let mut scope = Scope {
        users,
        account_section: selection.account,
        ..Scope::default()
    };
    let mut statements = pool.statements();
    let mut concurrency = pool.limit();
    let mut pass = 1;
    loop {
        let (live, report) = read_scope(client, &scope, options).await?;
        statements += report.statements;
        concurrency = concurrency.max(report.concurrency);
        let wider = widened(&scope, &live);
        pass += 1;
        if wider == scope || pass > SELECTED_PASSES {
            return Ok((
                live,
                ReadReport {
                    statements,
                    concurrency,
                    warnings: report.warnings,
                },
            ));
        }
        scope = wider;
    }
}

/// `scope` and what `live` shows its users and policies point at: their policies, the rules
/// those list, the roles their tokens are restricted to and their default roles.
fn widened(scope: &Scope, live: &LiveState) -> Scope {
    let mut s = Scope {
        users: scope.users.clone(),
        network_policies: scope.network_policies.clone(),
        network_rules: scope.network_rules.clone(),
        declared_rules: BTreeSet::new(),
        authentication_policies: scope.authentication_policies.clone(),
        roles: scope.roles.clone(),
        account_section: scope.account_section,
        tokens_optional: BTreeSet::new(),
    };
    for u in live.users.values() {
        s.network_policies.extend(u.network_policy.clone());
        s.authentication_policies
            .extend(u.authentication_policy.clone());
        s.roles.extend(u.default_role.clone());
        s.roles
            .extend(u.tokens.iter().filter_map(|t| t.role_restriction.clone()));
    }
    if scope.account_section {
        let a = &live.account_policies;
        s.network_policies.extend(a.network_policy.clone());
        s.authentication_policies.extend(
            [
                &a.authentication_policy,
                &a.authentication_policy_for_service_users,
                &a.authentication_policy_for_person_users,
            ]
            .into_iter()
            .flatten()
            .cloned(),
        );
    }
    for p in live.network_policies.values() {
        s.network_rules
            .extend(p.allowed_network_rule_list.iter().cloned());
        s.network_rules
            .extend(p.blocked_network_rule_list.iter().cloned());
    }
    s.roles.retain(|r| r.as_str() != "PUBLIC");
    s
}

/// Reads one scope: `SHOW USERS` then each declared user's reads, alongside the other
/// account-wide reads then each declared object's. Each branch's answers are collected in a
/// fixed order, and failures are reported in a fixed order (the account-wide reads, the
/// users, the objects), so the result does not depend on which answer came first.
async fn read_scope(
    client: &Client,
    scope: &Scope,
    options: &ReadOptions,
) -> Result<(LiveState, ReadReport), ReadError> {
    let pool = Pool::new(
        client,
        options.concurrency.unwrap_or(AUTO_START),
        options.progress.clone(),
    );
    let (users, objects) = tokio::join!(
        user_reads(&pool, scope, options.concurrency.is_none()),
        object_reads(&pool, scope, options.mode),
    );
    let (first, listed, targets, objects) = objects?;
    let users = users?;
    let mut live = account_wide(&first, &users.pages, scope, options.authentication);
    per_user(&mut live, users)?;
    let warnings = per_object(&mut live, &targets, &listed, objects)?;
    live.format_version = LIVE_FORMAT_VERSION;
    live.scope = Some(LiveScope {
        users: scope.users.clone(),
        network_policies: scope.network_policies.clone(),
        network_rules: scope.network_rules.clone(),
        authentication_policies: scope.authentication_policies.clone(),
    });
    Ok((
        live,
        ReadReport {
            statements: pool.statements(),
            concurrency: pool.limit(),
            warnings,
        },
    ))
}

/// What SHOW listed of the account's policies and rules (DESC fills in the rest).
struct Listed {
    network_policies: BTreeMap<Identifier, Option<String>>,
    network_rules: BTreeMap<ObjectName, RuleSummary>,
    authentication_policies: BTreeMap<ObjectName, Option<String>>,
}

impl Listed {
    /// The declared objects that exist: the object round reads only those. With an `account:`
    /// section, the policies attached at account level (`account`) count as referenced: a key
    /// the section leaves out keeps its attachment, which the plan then checks.
    fn targets(&self, account: &AccountPolicies, scope: &Scope) -> Targets {
        let attached_np = account
            .network_policy
            .iter()
            .filter(|_| scope.account_section);
        let attached_aps = [
            &account.authentication_policy,
            &account.authentication_policy_for_service_users,
            &account.authentication_policy_for_person_users,
        ]
        .into_iter()
        .flatten()
        .filter(|_| scope.account_section);
        Targets {
            network_policies: scope
                .network_policies
                .iter()
                .chain(attached_np)
                .filter(|n| self.network_policies.contains_key(*n))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            // A rule a policy references without declaring it is described even when SHOW did
            // not list it: Snowflake-managed rules live in the shared SNOWFLAKE database
            // (`SNOWFLAKE.NETWORK_SECURITY`, reference Corrections 7), which an account-wide SHOW
            // may leave out; DESC answers "does not exist" when it truly is missing.
            network_rules: scope
                .network_rules
                .iter()
                .filter(|n| {
                    self.network_rules.contains_key(*n) || !scope.declared_rules.contains(*n)
                })
                .cloned()
                .collect(),
            authentication_policies: scope
                .authentication_policies
                .iter()
                .chain(attached_aps)
                .filter(|n| self.authentication_policies.contains_key(*n))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        }
    }
}

/// The live state the account-wide reads show: the session, the declared users that exist,
/// who holds the referenced roles, the account's attachments.
fn account_wide(
    first: &AccountRound,
    pages: &[ResultSet],
    scope: &Scope,
    authentication: SessionAuthentication,
) -> LiveState {
    let mut live = LiveState::empty();
    let session = rows::session(&first.session, authentication);
    live.session = session.session;
    live.account = session.account;
    live.read_at = session.read_at;
    for page in pages {
        for row in page.rows() {
            if let Some((name, user)) = rows::user(&row) {
                if scope.users.contains(&name) {
                    live.users.insert(name, user);
                }
            }
        }
    }
    let mut existing_roles = BTreeSet::new();
    for (role, grants) in &first.grants {
        let Some(grants) = grants else { continue };
        existing_roles.insert(role.clone());
        let Holders { users, roles } = rows::holders(grants);
        for user in users {
            if let Some(u) = live.users.get_mut(&user) {
                u.roles.insert(role.clone());
            }
        }
        if !roles.is_empty() {
            live.role_parents.insert(role.clone(), roles);
        }
    }
    live.roles = Some(existing_roles);
    live.account_policies = rows::account_policies(
        &first.account_network_policy,
        &first.account_authentication_policies,
    );
    live
}

/// Fills in each user's tokens and attachments. A user whose tokens were not read is read as
/// holding none (`has_pat = false`), what [`LiveUser`](crate::model::live::LiveUser) starts
/// with.
fn per_user(live: &mut LiveState, reads: UserReads) -> Result<(), ReadError> {
    for (user, answer) in reads.token_users.iter().zip(reads.tokens) {
        if let (Some(rows), Some(u)) = (existing(answer)?, live.users.get_mut(user)) {
            u.tokens = rows::tokens(&rows);
        }
    }
    for (user, answer) in reads.users.iter().zip(reads.network_policies) {
        let policy = existing(answer)?.and_then(|r| rows::user_network_policy(&r));
        if let Some(u) = live.users.get_mut(user) {
            u.network_policy = policy;
        }
    }
    for (user, answer) in reads.users.iter().zip(reads.authentication_policies) {
        let policy = existing(answer)?.and_then(|r| rows::user_authentication_policy(&r));
        if let Some(u) = live.users.get_mut(user) {
            u.authentication_policy = policy;
        }
    }
    Ok(())
}

/// Fills in what the object round read: each object's DESC and (with a warehouse) each
/// policy's attachments. Returns the optional reads that failed.
fn per_object(
    live: &mut LiveState,
    targets: &Targets,
    listed: &Listed,
    second: ObjectRound,
) -> Result<Vec<ReadWarning>, ReadError> {
    let mut warnings = Vec::new();
    let known: Vec<&ObjectName> = listed
        .network_rules
        .keys()
        .chain(&targets.network_rules)
        .collect();
    for (name, answer) in targets.network_policies.iter().zip(second.network_policies) {
        if let Some(rows) = existing(answer)? {
            let comment = listed.network_policies.get(name).cloned().flatten();
            live.network_policies
                .insert(name.clone(), rows::network_policy(&rows, comment, &known));
        }
    }
    for (name, answer) in targets.network_rules.iter().zip(second.network_rules) {
        if let Some(rule) = existing(answer)?
            .and_then(|rows| rows::network_rule(&rows, listed.network_rules.get(name)))
        {
            live.network_rules.insert(name.clone(), rule);
        }
    }
    for (name, answer) in targets
        .authentication_policies
        .iter()
        .zip(second.authentication_policies)
    {
        if let Some(rows) = existing(answer)? {
            let mut p = rows::authentication_policy(&rows);
            if p.comment.is_none() {
                p.comment = listed.authentication_policies.get(name).cloned().flatten();
            }
            live.authentication_policies.insert(name.clone(), p);
        }
    }
    for (name, answer) in targets
        .network_policies
        .iter()
        .zip(second.network_policy_references)
    {
        if let Some(p) = live.network_policies.get_mut(name) {
            p.attachments = references(answer, "NETWORK_POLICY", &mut warnings);
        }
    }
    for (name, answer) in targets
        .authentication_policies
        .iter()
        .zip(second.authentication_policy_references)
    {
        if let Some(p) = live.authentication_policies.get_mut(name) {
            p.attachments = references(answer, "AUTHENTICATION_POLICY", &mut warnings);
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(name: &str, has_pat: Option<bool>) -> rows::UserListing {
        rows::UserListing {
            name: Identifier::parse(name).unwrap(),
            user_type: None,
            has_pat,
        }
    }

    #[test]
    fn a_token_read_is_skipped_only_for_a_user_no_token_could_change() {
        let scope = Scope {
            tokens_optional: [Identifier::parse("KEEPER").unwrap()].into(),
            ..Scope::default()
        };
        // (user, has_pat, read?)
        for (user, has_pat, read) in [
            ("KEEPER", Some(false), false),
            ("KEEPER", Some(true), true),
            // No column (an older account, a role that may not see it): read.
            ("KEEPER", None, true),
            // A user that declares a token or removes undeclared ones is always read.
            ("OTHER", Some(false), true),
            ("OTHER", None, true),
        ] {
            assert_eq!(
                tokens_to_read(&listing(user, has_pat), &scope),
                read,
                "{user} {has_pat:?}"
            );
        }
    }

    #[test]
    fn the_scope_marks_users_that_declare_no_token_and_keep_the_rest() {
        let yaml = "version: 1\nusers:\n  KEEPER:\n    unmanaged_tokens: keep\n  REMOVER: {}\n  HOLDER:\n    unmanaged_tokens: keep\n    tokens:\n      T:\n        days_to_expiry: 30\n        deliver: [{ file: { path: t } }]\n";
        let desired = crate::config::load_str("pats.yaml", yaml).config.unwrap();
        let s = scope(&desired);
        assert_eq!(
            s.tokens_optional,
            [Identifier::parse("KEEPER").unwrap()].into()
        );
        assert_eq!(s.users.len(), 3);
    }
}

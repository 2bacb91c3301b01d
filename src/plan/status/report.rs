//! The status report: [`report`]`(desired, live, now, pending, options)` lists every declared
//! token and every token the account holds for a declared user (with `all_users`, for every
//! user the live state holds), with its dates, its last use when the ACCOUNT_USAGE views were
//! read, and its findings.
//! Pure: synchronous, no I/O, no clock; rows sorted by user then token, so the same input gives
//! the same report.

use chrono::{DateTime, Duration, Utc};

use crate::model::Identifier;
use crate::model::desired::Config;
use crate::model::live::{LiveState, LiveToken, TokenStatus};
use crate::model::usage::{LastUse, UsageUnavailable, UsageView, VIEW_LATENCY_HOURS};
use crate::plan::{Address, PendingDelivery};

/// The suffix of a replacement minted beside its token (`<NAME>_NEXT`); such a token belongs to
/// the declared one and is not undeclared.
const REPLACEMENT_SUFFIX: &str = "_NEXT";

/// The report: one row per token, in address order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The instant the report is for (the `now` passed in).
    pub generated_at: DateTime<Utc>,
    /// `--within DAYS`: a token expiring within this many days is a finding.
    pub within_days: u32,
    /// `--unused-for DAYS`, when asked.
    pub unused_for_days: Option<u32>,
    /// Whether last use was read, and if not why.
    pub usage: UsageState,
    pub rows: Vec<TokenRow>,
}

/// What the report knows about last use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageState {
    /// Read from the views; `logins_unavailable` when LOGIN_HISTORY was refused.
    Known {
        logins_unavailable: bool,
    },
    Unavailable(UsageUnavailable),
}

impl UsageState {
    /// One line for every format: where last use comes from and how stale it may be, or why
    /// it is not there.
    pub fn note(&self) -> String {
        match self {
            UsageState::Known { logins_unavailable } => format!(
                "last use is from SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS{}, which lag the account by up to {VIEW_LATENCY_HOURS} h: a token used or created in that time may not show it yet{}",
                if *logins_unavailable {
                    ""
                } else {
                    " and LOGIN_HISTORY"
                },
                if *logins_unavailable {
                    " (LOGIN_HISTORY could not be read, so login counts are not shown)"
                } else {
                    ""
                }
            ),
            UsageState::Unavailable(why) => why.explain(),
        }
    }
}

/// How the report is asked for.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// A token expiring within this many days is a finding.
    pub within_days: u32,
    /// A token not used for this many days is a finding (needs last use).
    pub unused_for_days: Option<u32>,
    /// Report every user the live state holds, not only the declared ones.
    pub all_users: bool,
    pub last_use: LastUse,
    /// Mint intents an apply left open (killed while minting: `apply::journal`).
    pub open_intents: Vec<crate::plan::MintIntent>,
}

impl StatusOptions {
    /// Declared users, `within_days`, no last use: what a report without a warehouse is.
    pub fn within(within_days: u32, why: UsageUnavailable) -> Self {
        Self {
            within_days,
            unused_for_days: None,
            all_users: false,
            last_use: LastUse::Unavailable(why),
            open_intents: Vec::new(),
        }
    }
}

/// A token's last use, as far as the views tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastUsed {
    /// The views were not read.
    Unknown,
    /// The views do not hold this token yet (created within their latency).
    NotInView,
    /// Held, never used.
    Never,
    At(DateTime<Utc>),
}

/// A token, declared or found in the account (or both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub user: Identifier,
    pub token: Identifier,
    /// The account's status; `None` when the account has no such token.
    pub status: Option<TokenStatus>,
    pub role_restriction: Option<Identifier>,
    pub created_on: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Whole days from `generated_at` to `expires_at` (negative once expired).
    pub days_left: Option<i64>,
    /// When `plan` will rotate it: `expires_at` minus its effective `rotate_before_expiry_days`
    /// (declared tokens only).
    pub rotates_on: Option<DateTime<Utc>>,
    /// Whether `pats.yaml` declares it.
    pub declared: bool,
    /// Its last use, from CREDENTIALS.LAST_USED_ON and LOGIN_HISTORY.
    pub last_used: LastUsed,
    /// Successful PAT logins in LOGIN_HISTORY (365 days), when read.
    pub logins: Option<u64>,
    /// What needs acting on, in a fixed order.
    pub findings: Vec<Finding>,
}

impl TokenRow {
    /// `user.U.token.T`.
    pub fn address(&self) -> Address {
        Address::Token(self.user.clone(), self.token.clone())
    }
}

/// Something about a token that needs acting on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Declared, but the account has no such token (`apply` creates it).
    Missing,
    /// Expired, by its status or by the clock.
    Expired,
    /// Expires within `--within` days.
    Expiring { days_left: i64, within_days: u32 },
    /// Not used for `--unused-for` days (never used: counted from its creation).
    Unused {
        last_used: Option<DateTime<Utc>>,
        unused_for_days: u32,
    },
    /// Its status is `DISABLED` (a disabled user disables its tokens).
    Disabled,
    /// The account holds it but `pats.yaml` does not declare it.
    Undeclared,
    /// A rotation leftover whose old secret still works.
    RotationLeftover { rotated_to: Identifier },
    /// A minted secret that has not reached every sink (a record in `.pat-reconcile/pending/`).
    PendingDelivery {
        rescue_file: String,
        rescue_exists: bool,
        undelivered: Vec<String>,
    },
    /// An apply was killed while minting a secret of the token under the name `minted`, and
    /// the account shows the secret was minted: no sink has it (the next apply rotates it out).
    UndeliveredSecret {
        minted: Identifier,
        since: DateTime<Utc>,
    },
}

impl Finding {
    /// The stable code JSON and CSV carry.
    pub fn code(&self) -> &'static str {
        match self {
            Finding::Missing => "missing",
            Finding::Expired => "expired",
            Finding::Expiring { .. } => "expiring",
            Finding::Unused { .. } => "unused",
            Finding::Disabled => "disabled",
            Finding::Undeclared => "undeclared",
            Finding::RotationLeftover { .. } => "rotation-leftover",
            Finding::PendingDelivery { .. } => "pending-delivery",
            Finding::UndeliveredSecret { .. } => "undelivered-secret",
        }
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        match self {
            Finding::Missing => "declared but not in the account".to_owned(),
            Finding::Expired => "expired".to_owned(),
            Finding::Expiring {
                days_left,
                within_days,
            } => format!("expires in {days_left} day(s) (within {within_days})"),
            Finding::Unused {
                last_used: Some(at),
                unused_for_days,
            } => format!(
                "unused for {unused_for_days}+ days (last used {})",
                at.format("%Y-%m-%d")
            ),
            Finding::Unused {
                last_used: None,
                unused_for_days,
            } => format!("never used, created over {unused_for_days} days ago"),
            Finding::Disabled => "disabled".to_owned(),
            Finding::Undeclared => "not declared in pats.yaml".to_owned(),
            Finding::RotationLeftover { rotated_to } => {
                format!("rotation leftover still valid (rotated to {rotated_to})")
            }
            Finding::PendingDelivery {
                rescue_file,
                rescue_exists,
                undelivered,
            } => format!(
                "pending delivery to {} from {rescue_file}{}",
                if undelivered.is_empty() {
                    "its sinks".to_owned()
                } else {
                    undelivered.join(", ")
                },
                if *rescue_exists {
                    ""
                } else {
                    " (rescue file missing)"
                }
            ),
            Finding::UndeliveredSecret { minted, since } => format!(
                "an apply was stopped after minting a secret of {minted} ({}) that no sink received; `pat-reconcile apply` rotates it out",
                since.format("%Y-%m-%d %H:%M UTC")
            ),
        }
    }
}

impl StatusReport {
    /// Every finding of every row.
    pub fn finding_count(&self) -> usize {
        self.rows.iter().map(|r| r.findings.len()).sum()
    }

    /// Whether anything needs acting on (`--detailed-exitcode` exits 2).
    pub fn has_findings(&self) -> bool {
        self.finding_count() > 0
    }
}

/// The report of `desired`'s users (with `options.all_users`, of every user `live` holds) at
/// `now`, with the checkout's `pending` deliveries.
pub fn report(
    desired: &Config,
    live: &LiveState,
    now: DateTime<Utc>,
    pending: &[PendingDelivery],
    options: &StatusOptions,
) -> StatusReport {
    let within_days = options.within_days;
    let view = match &options.last_use {
        LastUse::Known(view) => Some(view),
        LastUse::Unavailable(_) => None,
    };
    let mut rows = Vec::new();
    for (user_name, user) in &desired.users {
        let live_tokens: &[LiveToken] = live
            .users
            .get(user_name)
            .map_or(&[], |u| u.tokens.as_slice());
        for (token_name, spec) in &user.tokens {
            let found = live_tokens
                .iter()
                .find(|t| &t.name == token_name && !t.is_leftover());
            let mut row = match found {
                Some(t) => live_row(user_name, t, now, options, view, true),
                None => TokenRow {
                    user: user_name.clone(),
                    token: token_name.clone(),
                    status: None,
                    role_restriction: spec.role_restriction.clone(),
                    created_on: None,
                    expires_at: None,
                    days_left: None,
                    rotates_on: None,
                    declared: true,
                    last_used: LastUsed::Unknown,
                    logins: None,
                    findings: vec![Finding::Missing],
                },
            };
            if let Some(expires) = row.expires_at {
                let before = desired.effective_rotate_before_days(user, spec);
                row.rotates_on = Some(expires - Duration::days(i64::from(before)));
            }
            rows.push(row);
        }
        for t in live_tokens {
            let declared = !t.is_leftover() && user.tokens.contains_key(&t.name);
            if declared {
                continue;
            }
            let mut row = live_row(user_name, t, now, options, view, false);
            if !t.is_leftover() && !is_replacement(&t.name, user.tokens.keys()) {
                row.findings.push(Finding::Undeclared);
            }
            rows.push(row);
        }
    }
    if options.all_users {
        for (user_name, user) in &live.users {
            if desired.users.contains_key(user_name) {
                continue;
            }
            for t in &user.tokens {
                let mut row = live_row(user_name, t, now, options, view, false);
                if !t.is_leftover() {
                    row.findings.push(Finding::Undeclared);
                }
                rows.push(row);
            }
        }
    }
    for p in pending {
        let Address::Token(user, token) = &p.address else {
            continue;
        };
        let finding = Finding::PendingDelivery {
            rescue_file: p.rescue_file.clone(),
            rescue_exists: p.rescue_exists,
            undelivered: p.undelivered.clone(),
        };
        attach(&mut rows, user, token, finding);
    }
    for intent in &options.open_intents {
        let Address::Token(user, token) = &intent.address else {
            continue;
        };
        let user_tokens = live
            .users
            .get(user)
            .map_or(&[][..], |u| u.tokens.as_slice());
        // The account is the evidence, as for the plan: only a secret that was minted is lost.
        if crate::plan::diff::minted_secret(intent, user_tokens) {
            let finding = Finding::UndeliveredSecret {
                minted: intent.minted.clone(),
                since: intent.time,
            };
            attach(&mut rows, user, token, finding);
        }
    }
    rows.sort_by(|a, b| {
        (a.user.as_str(), a.token.as_str(), !a.declared).cmp(&(
            b.user.as_str(),
            b.token.as_str(),
            !b.declared,
        ))
    });
    StatusReport {
        generated_at: now,
        within_days,
        unused_for_days: options.unused_for_days,
        usage: match &options.last_use {
            LastUse::Known(view) => UsageState::Known {
                logins_unavailable: view.logins_unavailable,
            },
            LastUse::Unavailable(why) => UsageState::Unavailable(why.clone()),
        },
        rows,
    }
}

/// Adds `finding` to the declared row of `user`.`token`, or a row of its own when the account
/// has no such token.
fn attach(rows: &mut Vec<TokenRow>, user: &Identifier, token: &Identifier, finding: Finding) {
    match rows
        .iter_mut()
        .find(|r| &r.user == user && &r.token == token && r.declared)
    {
        Some(row) => row.findings.push(finding),
        None => rows.push(TokenRow {
            user: user.clone(),
            token: token.clone(),
            status: None,
            role_restriction: None,
            created_on: None,
            expires_at: None,
            days_left: None,
            rotates_on: None,
            declared: false,
            last_used: LastUsed::Unknown,
            logins: None,
            findings: vec![finding],
        }),
    }
}

/// A row from the account's token, with the findings its status, dates and last use call for.
fn live_row(
    user: &Identifier,
    t: &LiveToken,
    now: DateTime<Utc>,
    options: &StatusOptions,
    view: Option<&UsageView>,
    declared: bool,
) -> TokenRow {
    let within_days = options.within_days;
    let days_left = (t.expires_at - now).num_days();
    let (last_used, logins) = last_used(user, t, view);
    let mut findings = Vec::new();
    match &t.rotated_to {
        Some(rotated_to) => {
            if !t.is_expired(now) {
                findings.push(Finding::RotationLeftover {
                    rotated_to: rotated_to.clone(),
                });
            }
        }
        None => {
            if t.is_expired(now) {
                findings.push(Finding::Expired);
            } else {
                if t.expires_at - now <= Duration::days(i64::from(within_days)) {
                    findings.push(Finding::Expiring {
                        days_left,
                        within_days,
                    });
                }
                if let Some(unused) = options
                    .unused_for_days
                    .and_then(|days| unused(t, last_used, now, days))
                {
                    findings.push(unused);
                }
            }
            if t.status == TokenStatus::Disabled {
                findings.push(Finding::Disabled);
            }
        }
    }
    TokenRow {
        user: user.clone(),
        token: t.name.clone(),
        status: Some(t.status.clone()),
        role_restriction: t.role_restriction.clone(),
        created_on: Some(t.created_on),
        expires_at: Some(t.expires_at),
        days_left: Some(days_left),
        rotates_on: None,
        declared,
        last_used,
        logins,
        findings,
    }
}

/// The token's entry in the views: only one created no earlier than the live token (an older
/// one of the same name is a token since removed and added again).
fn last_used(
    user: &Identifier,
    t: &LiveToken,
    view: Option<&UsageView>,
) -> (LastUsed, Option<u64>) {
    let Some(view) = view else {
        return (LastUsed::Unknown, None);
    };
    let entry = view
        .tokens
        .get(&(user.clone(), t.name.clone()))
        .filter(|u| {
            u.created_on
                .is_none_or(|c| c >= t.created_on - Duration::minutes(1))
        });
    match entry {
        None => (LastUsed::NotInView, None),
        Some(u) => (
            u.last_use().map_or(LastUsed::Never, LastUsed::At),
            (!view.logins_unavailable).then_some(u.logins),
        ),
    }
}

/// `Unused` when the token's last use (or, never used, its creation) is `days` or more before
/// `now`. A token the views do not hold yet is not judged.
fn unused(t: &LiveToken, last: LastUsed, now: DateTime<Utc>, days: u32) -> Option<Finding> {
    let (since, last_used) = match last {
        LastUsed::At(at) => (at, Some(at)),
        LastUsed::Never => (t.created_on, None),
        LastUsed::Unknown | LastUsed::NotInView => return None,
    };
    (now - since >= Duration::days(i64::from(days))).then_some(Finding::Unused {
        last_used,
        unused_for_days: days,
    })
}

/// Whether `name` is `<DECLARED>_NEXT`, a replacement in progress.
fn is_replacement<'a>(
    name: &Identifier,
    mut declared: impl Iterator<Item = &'a Identifier>,
) -> bool {
    name.as_str()
        .strip_suffix(REPLACEMENT_SUFFIX)
        .is_some_and(|base| declared.any(|d| d.as_str() == base))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::testkit::{at, config, live, now};

    fn desired() -> Config {
        config(json!({
            "users": { "U": { "tokens": { "T": {
                "role_restriction": "R", "days_to_expiry": 90, "rotate_before_expiry_days": 10
            } } } }
        }))
    }

    fn token(name: &str, expires: &str, status: &str) -> serde_json::Value {
        json!({
            "name": name, "user_name": "U", "role_restriction": "R",
            "expires_at": expires, "status": status, "created_on": "2026-09-01T12:00:00Z"
        })
    }

    fn with_tokens(tokens: Vec<serde_json::Value>) -> LiveState {
        live(json!({ "users": { "U": { "tokens": tokens } } }))
    }

    /// Each row's token and finding codes.
    type Codes = Vec<(String, Vec<&'static str>)>;

    fn codes(r: &StatusReport) -> Codes {
        r.rows
            .iter()
            .map(|row| {
                (
                    row.token.to_string(),
                    row.findings.iter().map(Finding::code).collect(),
                )
            })
            .collect()
    }

    fn run(live: &LiveState, pending: &[PendingDelivery]) -> StatusReport {
        report(
            &desired(),
            live,
            now(),
            pending,
            &StatusOptions::within(14, UsageUnavailable::NoWarehouse),
        )
    }

    fn own(v: &[(&str, &[&'static str])]) -> Codes {
        v.iter()
            .map(|(t, c)| ((*t).to_owned(), c.to_vec()))
            .collect()
    }

    #[test]
    fn each_finding_trips_on_its_case_and_is_quiet_otherwise() {
        let cases: Vec<(&str, LiveState, Codes)> = vec![
            (
                "healthy",
                with_tokens(vec![token("T", "2027-01-27T12:00:00Z", "ACTIVE")]),
                own(&[("T", &[])]),
            ),
            ("missing", with_tokens(vec![]), own(&[("T", &["missing"])])),
            (
                "expired by the clock",
                with_tokens(vec![token("T", "2026-11-27T11:00:00Z", "ACTIVE")]),
                own(&[("T", &["expired"])]),
            ),
            (
                "expired by status",
                with_tokens(vec![token("T", "2027-01-27T12:00:00Z", "EXPIRED")]),
                own(&[("T", &["expired"])]),
            ),
            (
                "expiring within 14 days",
                with_tokens(vec![token("T", "2026-12-11T12:00:00Z", "ACTIVE")]),
                own(&[("T", &["expiring"])]),
            ),
            (
                "15 days left is quiet",
                with_tokens(vec![token("T", "2026-12-12T12:00:00Z", "ACTIVE")]),
                own(&[("T", &[])]),
            ),
            (
                "disabled",
                with_tokens(vec![token("T", "2027-01-27T12:00:00Z", "DISABLED")]),
                own(&[("T", &["disabled"])]),
            ),
            (
                "undeclared",
                with_tokens(vec![
                    token("T", "2027-01-27T12:00:00Z", "ACTIVE"),
                    token("OTHER", "2027-01-27T12:00:00Z", "ACTIVE"),
                ]),
                own(&[("OTHER", &["undeclared"]), ("T", &[])]),
            ),
            (
                "a replacement in progress is not undeclared",
                with_tokens(vec![
                    token("T", "2027-01-27T12:00:00Z", "ACTIVE"),
                    token("T_NEXT", "2027-02-27T12:00:00Z", "ACTIVE"),
                ]),
                own(&[("T", &[]), ("T_NEXT", &[])]),
            ),
            (
                "leftovers: valid is a finding, expired is quiet",
                with_tokens(vec![
                    token("T", "2027-01-27T12:00:00Z", "ACTIVE"),
                    merge_rotated(token("T_ROTATED_1", "2026-11-28T12:00:00Z", "ACTIVE")),
                    merge_rotated(token("T_ROTATED_0", "2026-11-20T12:00:00Z", "ACTIVE")),
                ]),
                own(&[
                    ("T", &[]),
                    ("T_ROTATED_0", &[]),
                    ("T_ROTATED_1", &["rotation-leftover"]),
                ]),
            ),
        ];
        for (name, live, expected) in cases {
            assert_eq!(codes(&run(&live, &[])), expected, "{name}");
        }
    }

    fn merge_rotated(mut v: serde_json::Value) -> serde_json::Value {
        v["rotated_to"] = json!("T");
        v
    }

    #[test]
    fn an_open_mint_intent_is_a_finding_only_when_the_account_shows_the_secret_was_minted() {
        let intent = crate::plan::MintIntent {
            address: Address::Token(
                Identifier::parse("U").unwrap(),
                Identifier::parse("T").unwrap(),
            ),
            minted: Identifier::parse("T").unwrap(),
            kind: crate::plan::IntentKind::Add,
            time: now(),
        };
        let options = StatusOptions {
            open_intents: vec![intent],
            ..StatusOptions::within(14, UsageUnavailable::NoWarehouse)
        };
        // The ADD ran (the token exists): its secret reached no sink.
        let minted = with_tokens(vec![token("T", "2027-01-27T12:00:00Z", "ACTIVE")]);
        let r = report(&desired(), &minted, now(), &[], &options);
        assert_eq!(codes(&r), own(&[("T", &["undelivered-secret"])]));
        // It did not run: nothing was minted, nothing to report beyond the missing token.
        let r = report(&desired(), &with_tokens(vec![]), now(), &[], &options);
        assert!(
            !codes(&r)
                .iter()
                .flat_map(|(_, c)| c)
                .any(|c| *c == "undelivered-secret"),
            "{:?}",
            codes(&r)
        );
    }

    #[test]
    fn a_pending_delivery_is_a_finding_of_its_token() {
        let live = with_tokens(vec![token("T", "2027-01-27T12:00:00Z", "ACTIVE")]);
        let pending = PendingDelivery {
            address: Address::Token(
                Identifier::parse("U").unwrap(),
                Identifier::parse("T").unwrap(),
            ),
            rescue_file: ".pat-reconcile/rescue/U.T.secret".into(),
            rescue_exists: true,
            undelivered: vec!["command false".into()],
        };
        let r = run(&live, &[pending]);
        assert_eq!(codes(&r), own(&[("T", &["pending-delivery"])]));
        assert!(r.has_findings());
        assert!(!run(&live, &[]).has_findings());
    }

    #[test]
    fn dates_days_left_and_the_rotation_date() {
        let live = with_tokens(vec![token("T", "2027-01-27T12:00:00Z", "ACTIVE")]);
        let r = run(&live, &[]);
        let row = &r.rows[0];
        assert!(row.declared);
        assert_eq!(row.days_left, Some(61));
        assert_eq!(row.rotates_on, Some(at("2027-01-17T12:00:00Z")));
        assert_eq!(row.created_on, Some(at("2026-09-01T12:00:00Z")));
        assert_eq!(row.address().to_string(), "user.U.token.T");
    }

    fn usage(entries: &[(&str, Option<&str>, u64)]) -> LastUse {
        let mut view = UsageView::default();
        for (token, last, logins) in entries {
            view.tokens.insert(
                (
                    Identifier::parse("U").unwrap(),
                    Identifier::parse(token).unwrap(),
                ),
                crate::model::usage::TokenUsage {
                    credential_id: Some((*token).to_owned()),
                    created_on: Some(at("2026-09-01T12:00:00Z")),
                    last_used_on: last.map(at),
                    logins: *logins,
                    last_login: None,
                },
            );
        }
        LastUse::Known(view)
    }

    fn with_usage(live: &LiveState, last_use: LastUse, unused_for: Option<u32>) -> StatusReport {
        let options = StatusOptions {
            within_days: 14,
            unused_for_days: unused_for,
            all_users: false,
            last_use,
            open_intents: Vec::new(),
        };
        report(&desired(), live, now(), &[], &options)
    }

    #[test]
    fn unused_is_judged_from_last_use_or_creation_and_never_without_the_views() {
        let live = with_tokens(vec![token("T", "2027-01-27T12:00:00Z", "ACTIVE")]);
        // now() is 2026-11-27T12:00Z; created 2026-09-01.
        type Case = (
            &'static str,
            LastUse,
            Option<u32>,
            Vec<&'static str>,
            LastUsed,
        );
        let cases: Vec<Case> = vec![
            (
                "used yesterday",
                usage(&[("T", Some("2026-11-26T12:00:00Z"), 3)]),
                Some(30),
                vec![],
                LastUsed::At(at("2026-11-26T12:00:00Z")),
            ),
            (
                "used 40 days ago",
                usage(&[("T", Some("2026-10-18T12:00:00Z"), 3)]),
                Some(30),
                vec!["unused"],
                LastUsed::At(at("2026-10-18T12:00:00Z")),
            ),
            (
                "never used, created 87 days ago",
                usage(&[("T", None, 0)]),
                Some(30),
                vec!["unused"],
                LastUsed::Never,
            ),
            (
                "never used, threshold above its age",
                usage(&[("T", None, 0)]),
                Some(100),
                vec![],
                LastUsed::Never,
            ),
            (
                "not in the views yet",
                usage(&[]),
                Some(30),
                vec![],
                LastUsed::NotInView,
            ),
            (
                "no warehouse",
                LastUse::Unavailable(UsageUnavailable::NoWarehouse),
                Some(30),
                vec![],
                LastUsed::Unknown,
            ),
            (
                "without --unused-for, last use is shown but not judged",
                usage(&[("T", Some("2026-10-18T12:00:00Z"), 3)]),
                None,
                vec![],
                LastUsed::At(at("2026-10-18T12:00:00Z")),
            ),
        ];
        for (name, last_use, unused_for, expected, last) in cases {
            let r = with_usage(&live, last_use, unused_for);
            assert_eq!(codes(&r), own(&[("T", &expected)]), "{name}");
            assert_eq!(r.rows[0].last_used, last, "{name}");
        }
    }

    #[test]
    fn an_older_token_of_the_same_name_in_the_views_is_not_this_one() {
        let mut live = with_tokens(vec![token("T", "2027-01-27T12:00:00Z", "ACTIVE")]);
        live.users.values_mut().next().unwrap().tokens[0].created_on = at("2026-11-27T11:00:00Z");
        let r = with_usage(
            &live,
            usage(&[("T", Some("2026-10-18T12:00:00Z"), 3)]),
            Some(30),
        );
        assert_eq!(r.rows[0].last_used, LastUsed::NotInView);
        assert!(!r.has_findings());
    }

    #[test]
    fn all_users_reports_the_tokens_of_undeclared_users() {
        let live = live(json!({ "users": {
            "U": { "tokens": [token("T", "2027-01-27T12:00:00Z", "ACTIVE")] },
            "STRANGER": { "tokens": [token("X", "2027-01-27T12:00:00Z", "ACTIVE")] }
        } }));
        let mut options = StatusOptions::within(14, UsageUnavailable::NoWarehouse);
        assert_eq!(
            report(&desired(), &live, now(), &[], &options).rows.len(),
            1
        );
        options.all_users = true;
        let r = report(&desired(), &live, now(), &[], &options);
        let stranger: Vec<_> = r
            .rows
            .iter()
            .filter(|row| row.user.as_str() == "STRANGER")
            .collect();
        assert_eq!(stranger.len(), 1);
        assert!(!stranger[0].declared);
        assert_eq!(stranger[0].findings, vec![Finding::Undeclared]);
    }
}

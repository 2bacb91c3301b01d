//! Random desired and live states over a small universe of names, so that they overlap.
//!
//! Desired states are well-formed: every one is written as YAML and must load through
//! `config::load_str` without errors (the property checks it). Live states are consistent the
//! way a real account is: every attachment names a policy that exists, a token's timestamps
//! follow from the lifetime it was created with (kept aside, since SHOW does not show it), and
//! a rotation leftover's `created_on` is a rotation time of its token.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use pat_reconcile::model::Vocabulary;
use pat_reconcile::model::desired::{
    AccountKey, AccountSpec, AuthenticationMethod, AuthenticationPolicySpec, Config, Defaults,
    FileSink, MfaEnrollment, NetworkPolicyEvaluation, NetworkPolicySpec, NetworkRuleMode,
    NetworkRuleSpec, NetworkRuleType, PatPolicy, Sink, TokenDefaults, TokenSpec, UnmanagedTokens,
    UserSpec, UserType, Version,
};
use pat_reconcile::model::live::{
    AccountPolicies, Attachment, LiveAuthenticationPolicy, LiveNetworkPolicy, LiveNetworkRule,
    LivePatPolicy, LiveState, LiveToken, LiveUser, MFA_ENROLLMENT_DEFAULT, Session,
    SessionAuthentication, TokenStatus,
};
use pat_reconcile::model::{Identifier, ObjectName};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

pub fn id(s: &str) -> Identifier {
    Identifier::parse(s).unwrap()
}

pub fn obj(s: &str) -> ObjectName {
    ObjectName::parse(s).unwrap()
}

const USERS: [&str; 3] = ["U1", "U2", "\"svc user\""];
const ROLES: [&str; 3] = ["R1", "R2", "\"Role Three\""];
const TOKENS: [&str; 2] = ["T1", "T2"];
const RULES: [&str; 2] = ["D.S.RA", "D.S.RB"];
const NETWORK_POLICIES: [&str; 2] = ["NPA", "NPB"];
const AUTH_POLICIES: [&str; 2] = ["D.S.APA", "D.S.APB"];
const IPS: [&str; 3] = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.7"];
const COMMENTS: [&str; 3] = ["", "ours", "it's \\ theirs"];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    items.choose(rng).unwrap()
}

fn any_id(rng: &mut StdRng, names: &[&str]) -> Identifier {
    let name = *pick::<&str>(rng, names);
    id(name)
}

fn maybe<T>(rng: &mut StdRng, p: f64, f: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
    if rng.gen_bool(p) { Some(f(rng)) } else { None }
}

fn subset(rng: &mut StdRng, items: &[&str], p: f64) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .filter(|_| rng.gen_bool(p))
        .map(|s| (*s).to_owned())
        .collect();
    out.shuffle(rng);
    out
}

fn comment(rng: &mut StdRng) -> String {
    (*pick(rng, &COMMENTS)).to_owned()
}

// ----- desired -----

pub fn desired(rng: &mut StdRng) -> Config {
    let mut c = Config {
        version: Version,
        defaults: Defaults {
            token: TokenDefaults {
                days_to_expiry: maybe(rng, 0.3, |r| *pick(r, &[20, 45])),
                rotate_before_expiry_days: maybe(rng, 0.3, |r| *pick(r, &[3, 5])),
                expire_rotated_token_after_hours: maybe(rng, 0.3, |r| *pick(r, &[0, 12])),
            },
        },
        ..Config::default()
    };
    for name in RULES {
        if rng.gen_bool(0.3) {
            continue;
        }
        let spec = if rng.gen_bool(0.2) {
            NetworkRuleSpec {
                absent: true,
                ..NetworkRuleSpec::default()
            }
        } else if rng.gen_bool(0.2) {
            NetworkRuleSpec {
                rule_type: Some(NetworkRuleType::Ipv6),
                mode: Some(NetworkRuleMode::Ingress),
                value_list: vec!["2001:db8::/32".into()],
                ..NetworkRuleSpec::default()
            }
        } else {
            NetworkRuleSpec {
                rule_type: Some(NetworkRuleType::Ipv4),
                mode: maybe(rng, 0.7, |r| {
                    *pick(
                        r,
                        &[NetworkRuleMode::Ingress, NetworkRuleMode::InternalStage],
                    )
                }),
                value_list: subset(rng, &IPS, 0.6),
                comment: maybe(rng, 0.4, comment),
                absent: false,
            }
        };
        c.network_rules.insert(obj(name), spec);
    }
    let usable_rules: Vec<ObjectName> = c
        .network_rules
        .iter()
        .filter(|(_, r)| !r.absent)
        .map(|(n, _)| n.clone())
        .collect();
    for name in NETWORK_POLICIES {
        if rng.gen_bool(0.25) {
            continue;
        }
        let spec = if rng.gen_bool(0.2) {
            NetworkPolicySpec {
                absent: true,
                ..NetworkPolicySpec::default()
            }
        } else {
            let mut rules: Vec<ObjectName> = usable_rules
                .iter()
                .filter(|_| rng.gen_bool(0.6))
                .cloned()
                .collect();
            rules.shuffle(rng);
            NetworkPolicySpec {
                allowed_network_rule_list: rules,
                allowed_ip_list: subset(rng, &IPS, 0.3),
                blocked_ip_list: subset(rng, &["203.0.113.9"], 0.2),
                comment: maybe(rng, 0.4, comment),
                ..NetworkPolicySpec::default()
            }
        };
        c.network_policies.insert(id(name), spec);
    }
    for name in AUTH_POLICIES {
        if rng.gen_bool(0.3) {
            continue;
        }
        let spec = if rng.gen_bool(0.2) {
            AuthenticationPolicySpec {
                absent: true,
                ..AuthenticationPolicySpec::default()
            }
        } else {
            AuthenticationPolicySpec {
                authentication_methods: maybe(rng, 0.5, |r| {
                    let mut m = vec![AuthenticationMethod::Keypair];
                    if r.gen_bool(0.8) {
                        m.push(AuthenticationMethod::ProgrammaticAccessToken);
                    }
                    m.shuffle(r);
                    m
                }),
                mfa_enrollment: maybe(rng, 0.3, |r| {
                    *pick(
                        r,
                        &[MfaEnrollment::Required, MfaEnrollment::RequiredPasswordOnly],
                    )
                }),
                pat_policy: maybe(rng, 0.6, |r| PatPolicy {
                    default_expiry_in_days: maybe(r, 0.3, |r| *pick(r, &[15, 30])),
                    max_expiry_in_days: maybe(r, 0.5, |r| *pick(r, &[60, 90, 365])),
                    network_policy_evaluation: maybe(r, 0.5, |r| {
                        *pick(
                            r,
                            &[
                                NetworkPolicyEvaluation::EnforcedRequired,
                                NetworkPolicyEvaluation::EnforcedNotRequired,
                            ],
                        )
                    }),
                    require_role_restriction_for_service_users: maybe(r, 0.3, |r| r.gen_bool(0.5)),
                    ..PatPolicy::default()
                }),
                comment: maybe(rng, 0.4, comment),
                ..AuthenticationPolicySpec::default()
            }
        };
        c.authentication_policies.insert(obj(name), spec);
    }
    let usable_nps: Vec<Identifier> = c
        .network_policies
        .iter()
        .filter(|(_, p)| !p.absent)
        .map(|(n, _)| n.clone())
        .collect();
    let usable_aps: Vec<ObjectName> = c
        .authentication_policies
        .iter()
        .filter(|(_, p)| !p.absent)
        .map(|(n, _)| n.clone())
        .collect();
    if rng.gen_bool(0.4) {
        let mut account = AccountSpec {
            network_policy: maybe(rng, 0.5, |r| usable_nps.choose(r).cloned()).flatten(),
            authentication_policy: maybe(rng, 0.3, |r| usable_aps.choose(r).cloned()).flatten(),
            authentication_policy_for_service_users: maybe(rng, 0.3, |r| {
                usable_aps.choose(r).cloned()
            })
            .flatten(),
            authentication_policy_for_person_users: None,
            detach: BTreeSet::new(),
        };
        // A key left out is left alone; `none` detaches.
        for (key, named) in [
            (AccountKey::NetworkPolicy, account.network_policy.is_some()),
            (
                AccountKey::AuthenticationPolicy,
                account.authentication_policy.is_some(),
            ),
            (AccountKey::AuthenticationPolicyForPersonUsers, false),
        ] {
            if !named && rng.gen_bool(0.3) {
                account.detach.insert(key);
            }
        }
        c.account = Some(account);
    }
    for name in USERS {
        if rng.gen_bool(0.2) {
            continue;
        }
        let user_type = maybe(rng, 0.8, |r| {
            *pick(
                r,
                &[UserType::Person, UserType::Service, UserType::LegacyService],
            )
        });
        let service = user_type.is_some_and(UserType::is_service);
        let mut roles: Vec<Identifier> = subset(rng, &ROLES, 0.5).iter().map(|r| id(r)).collect();
        if rng.gen_bool(0.1) {
            roles.push(id("PUBLIC"));
        }
        let mut user = UserSpec {
            user_type,
            default_role: maybe(rng, 0.3, |r| any_id(r, &ROLES)),
            comment: maybe(rng, 0.3, comment),
            disabled: maybe(rng, 0.3, |r| r.gen_bool(0.3)),
            network_policy: maybe(rng, 0.6, |r| usable_nps.choose(r).cloned()).flatten(),
            authentication_policy: maybe(rng, 0.3, |r| usable_aps.choose(r).cloned()).flatten(),
            unmanaged_tokens: if rng.gen_bool(0.3) {
                UnmanagedTokens::Keep
            } else {
                UnmanagedTokens::Remove
            },
            ..UserSpec::default()
        };
        let pat_policy = c.user_pat_policy(&user).cloned();
        let max_days = pat_policy
            .as_ref()
            .and_then(|p| p.max_expiry_in_days)
            .unwrap_or(365);
        let role_required = pat_policy
            .as_ref()
            .and_then(|p| p.require_role_restriction_for_service_users)
            .unwrap_or(true);
        for token in TOKENS {
            if rng.gen_bool(0.35) {
                continue;
            }
            let mut role = roles
                .iter()
                .filter(|r| r.as_str() != "PUBLIC")
                .collect::<Vec<_>>()
                .choose(rng)
                .map(|r| (*r).clone());
            if role.is_none() && service && role_required {
                let r = any_id(rng, &ROLES);
                roles.push(r.clone());
                role = Some(r);
            }
            if !service && rng.gen_bool(0.2) {
                role = None;
            }
            let days = maybe(rng, 0.7, |r| *pick(r, &[10, 30, 60]));
            // Derived, not drawn: a draw here would shift the random stream of every seed (and
            // expose an attachment-order divergence of the crosscheck unrelated to tokens, seed 7).
            let replace_overlap_hours = match days {
                Some(10) => Some(1),
                Some(60) => Some(48),
                _ => None,
            };
            let spec = TokenSpec {
                replace_overlap_hours,
                role_restriction: role,
                days_to_expiry: days.map(|d: u32| d.min(max_days)),
                rotate_before_expiry_days: maybe(rng, 0.4, |r| *pick(r, &[3, 7])),
                expire_rotated_token_after_hours: maybe(rng, 0.4, |r| *pick(r, &[0, 1, 24])),
                mins_to_bypass_network_policy_requirement: if service {
                    None
                } else {
                    maybe(rng, 0.2, |r| *pick(r, &[30, 120]))
                },
                comment: maybe(rng, 0.4, comment),
                disabled: maybe(rng, 0.3, |r| r.gen_bool(0.4)),
                deliver: vec![Sink::File(FileSink {
                    path: format!("{}.secret", token.to_ascii_lowercase()),
                    format: None,
                })],
                verify: None,
            };
            user.tokens.insert(id(token), spec);
        }
        user.roles = roles;
        // A token's lifetime must fit the maximum of the policy the file gives the user.
        let effective: Vec<(Identifier, u32)> = user
            .tokens
            .iter()
            .map(|(n, t)| (n.clone(), c.effective_days_to_expiry(&user, t)))
            .collect();
        for (n, days) in effective {
            if days > max_days {
                if let Some(t) = user.tokens.get_mut(&n) {
                    t.days_to_expiry = Some(max_days);
                }
            }
        }
        c.users.insert(id(name), user);
    }
    c
}

// ----- live -----

/// A live state and the lifetime each token was created with.
pub struct Generated {
    pub live: LiveState,
    pub lifetimes: BTreeMap<(Identifier, Identifier), Duration>,
}

pub fn live(rng: &mut StdRng, now: DateTime<Utc>) -> Generated {
    let mut s = LiveState::empty();
    let mut lifetimes = BTreeMap::new();
    s.roles = if rng.gen_bool(0.8) {
        Some(ROLES.iter().map(|r| id(r)).collect())
    } else if rng.gen_bool(0.5) {
        Some(ROLES[..2].iter().map(|r| id(r)).collect())
    } else {
        None
    };
    for name in RULES {
        if rng.gen_bool(0.4) {
            continue;
        }
        s.network_rules.insert(
            obj(name),
            LiveNetworkRule {
                rule_type: (*pick(rng, &["IPV4", "IPV4", "IPV6"])).into(),
                mode: (*pick(rng, &["INGRESS", "INGRESS", "INTERNAL_STAGE"])).into(),
                value_list: subset(rng, &IPS, 0.5),
                comment: maybe(rng, 0.3, comment),
            },
        );
    }
    let rule_names: Vec<ObjectName> = s.network_rules.keys().cloned().collect();
    for name in NETWORK_POLICIES.iter().chain(&["NPX"]) {
        if rng.gen_bool(0.4) {
            continue;
        }
        s.network_policies.insert(
            id(name),
            LiveNetworkPolicy {
                allowed_network_rule_list: rule_names
                    .iter()
                    .filter(|_| rng.gen_bool(0.4))
                    .cloned()
                    .collect(),
                blocked_network_rule_list: Vec::new(),
                allowed_ip_list: subset(rng, &IPS, 0.3),
                blocked_ip_list: subset(rng, &["203.0.113.9"], 0.2),
                comment: maybe(rng, 0.3, comment),
                attachments: if rng.gen_bool(0.8) {
                    Some(Vec::new())
                } else {
                    None
                },
            },
        );
    }
    for name in AUTH_POLICIES.iter().chain(&["D.S.APX"]) {
        if rng.gen_bool(0.4) {
            continue;
        }
        s.authentication_policies.insert(
            obj(name),
            LiveAuthenticationPolicy {
                authentication_methods: if rng.gen_bool(0.7) {
                    vec!["ALL".into()]
                } else {
                    subset(
                        rng,
                        &["KEYPAIR", "PROGRAMMATIC_ACCESS_TOKEN", "PASSWORD"],
                        0.6,
                    )
                    .into_iter()
                    .map(Into::into)
                    .collect()
                },
                mfa_enrollment: (*pick(
                    rng,
                    &[
                        MFA_ENROLLMENT_DEFAULT.as_str(),
                        MFA_ENROLLMENT_DEFAULT.as_str(),
                        "REQUIRED",
                    ],
                ))
                .into(),
                pat_policy: LivePatPolicy {
                    default_expiry_in_days: *pick(rng, &[15, 15, 30]),
                    max_expiry_in_days: *pick(rng, &[365, 365, 90, 60]),
                    network_policy_evaluation: (*pick(
                        rng,
                        &["ENFORCED_REQUIRED", "ENFORCED_REQUIRED", "NOT_ENFORCED"],
                    ))
                    .into(),
                    require_role_restriction_for_service_users: rng.gen_bool(0.8),
                    blocked_roles_list: if rng.gen_bool(0.2) {
                        vec![id("R2")]
                    } else {
                        Vec::new()
                    },
                    ..LivePatPolicy::default()
                },
                comment: maybe(rng, 0.3, comment),
                attachments: if rng.gen_bool(0.8) {
                    Some(Vec::new())
                } else {
                    None
                },
                ..LiveAuthenticationPolicy::default()
            },
        );
    }
    let nps: Vec<Identifier> = s.network_policies.keys().cloned().collect();
    let aps: Vec<ObjectName> = s.authentication_policies.keys().cloned().collect();
    s.account_policies = AccountPolicies {
        network_policy: maybe(rng, 0.3, |r| nps.choose(r).cloned()).flatten(),
        authentication_policy: maybe(rng, 0.2, |r| aps.choose(r).cloned()).flatten(),
        authentication_policy_for_service_users: maybe(rng, 0.2, |r| aps.choose(r).cloned())
            .flatten(),
        authentication_policy_for_person_users: maybe(rng, 0.1, |r| aps.choose(r).cloned())
            .flatten(),
    };
    for name in USERS {
        if rng.gen_bool(0.3) {
            continue;
        }
        let disabled = rng.gen_bool(0.15);
        let mut user = LiveUser {
            user_type: Some((*pick(rng, &["PERSON", "SERVICE", "LEGACY_SERVICE"])).into()),
            default_role: maybe(rng, 0.3, |r| any_id(r, &ROLES)),
            disabled,
            comment: maybe(rng, 0.3, comment),
            roles: subset(rng, &ROLES, 0.5).iter().map(|r| id(r)).collect(),
            network_policy: maybe(rng, 0.5, |r| nps.choose(r).cloned()).flatten(),
            authentication_policy: maybe(rng, 0.3, |r| aps.choose(r).cloned()).flatten(),
            tokens: Vec::new(),
        };
        let user_id = id(name);
        for token in TOKENS.iter().chain(&["X1"]) {
            if rng.gen_bool(0.4) {
                continue;
            }
            let token_id = id(token);
            let lifetime = Duration::days(*pick(rng, &[10, 20, 30, 45, 60]));
            // Issued up to 120% of the lifetime ago: some are expired, some in their window.
            let age = Duration::hours(rng.gen_range(0..=lifetime.num_hours() * 6 / 5));
            let issued = now - age;
            let rotated = rng.gen_bool(0.4);
            let created_on = if rotated {
                issued - lifetime * rng.gen_range(1..3) + Duration::days(rng.gen_range(0..5))
            } else {
                issued
            };
            let expires_at = issued + lifetime;
            let status = if expires_at <= now && rng.gen_bool(0.7) {
                TokenStatus::Expired
            } else if disabled || rng.gen_bool(0.15) {
                TokenStatus::Disabled
            } else {
                TokenStatus::Active
            };
            let row = LiveToken {
                name: token_id.clone(),
                user_name: user_id.as_str().to_owned(),
                role_restriction: maybe(rng, 0.8, |r| any_id(r, &ROLES)),
                expires_at,
                status,
                comment: maybe(rng, 0.4, comment),
                created_on,
                created_by: Some("ADMIN".into()),
                mins_to_bypass_network_policy_requirement: maybe(rng, 0.2, |r| {
                    *pick(r, &[0, 15, 60])
                }),
                rotated_to: None,
            };
            if rotated && rng.gen_bool(0.6) {
                // The leftover of the rotation that issued the current secret.
                let grace = Duration::hours(*pick(rng, &[0, 1, 24, 72]));
                let left_expires = issued + grace;
                user.tokens.push(LiveToken {
                    name: id(&format!("{token}_ROTATED_{}", issued.timestamp_millis())),
                    expires_at: left_expires,
                    status: if left_expires <= now {
                        TokenStatus::Expired
                    } else {
                        row.status.clone()
                    },
                    created_on: issued,
                    rotated_to: Some(token_id.clone()),
                    ..row.clone()
                });
            }
            lifetimes.insert((user_id.clone(), token_id), lifetime);
            user.tokens.push(row);
        }
        if rng.gen_bool(0.1) {
            // A leftover whose token is gone.
            user.tokens.push(LiveToken {
                name: id("GONE_ROTATED_1"),
                user_name: user_id.as_str().to_owned(),
                role_restriction: None,
                expires_at: now + Duration::hours(rng.gen_range(-5..5)),
                status: TokenStatus::Active,
                comment: None,
                created_on: now - Duration::days(1),
                created_by: None,
                mins_to_bypass_network_policy_requirement: None,
                rotated_to: Some(id("GONE")),
            });
        }
        if rng.gen_bool(0.1) {
            // The temporary token of a replacement an apply left behind (`<NAME>_NEXT`),
            // sometimes with the main token already removed.
            let token = *pick(rng, &TOKENS);
            let lifetime = Duration::days(*pick(rng, &[10, 20, 30, 45, 60]));
            let issued = now - Duration::hours(rng.gen_range(0..=lifetime.num_hours() * 6 / 5));
            let expires_at = issued + lifetime;
            let next = id(&format!("{token}_NEXT"));
            if rng.gen_bool(0.3) {
                user.tokens.retain(|t| t.name.as_str() != token);
            }
            user.tokens.push(LiveToken {
                name: next.clone(),
                user_name: user_id.as_str().to_owned(),
                role_restriction: maybe(rng, 0.8, |r| any_id(r, &ROLES)),
                expires_at,
                status: if expires_at <= now {
                    TokenStatus::Expired
                } else {
                    TokenStatus::Active
                },
                comment: None,
                created_on: issued,
                created_by: Some("PAT_RECONCILE".into()),
                mins_to_bypass_network_policy_requirement: None,
                rotated_to: None,
            });
            lifetimes.insert((user_id.clone(), next), lifetime);
        }
        user.tokens.shuffle(rng);
        s.users.insert(user_id, user);
    }
    // Attachments as POLICY_REFERENCES shows them, sometimes with an outsider.
    let user_attachments: Vec<(Identifier, Option<Identifier>, Option<ObjectName>)> = s
        .users
        .iter()
        .map(|(n, u)| {
            (
                n.clone(),
                u.network_policy.clone(),
                u.authentication_policy.clone(),
            )
        })
        .collect();
    let account = s.account_policies.clone();
    for (name, np) in &mut s.network_policies {
        if let Some(list) = &mut np.attachments {
            for (u, p, _) in &user_attachments {
                if p.as_ref() == Some(name) {
                    list.push(Attachment {
                        domain: "USER".into(),
                        name: u.as_str().to_owned(),
                    });
                }
            }
            if account.network_policy.as_ref() == Some(name) {
                list.push(Attachment {
                    domain: "ACCOUNT".into(),
                    name: "ACCOUNT".into(),
                });
            }
            if rng.gen_bool(0.1) {
                list.push(Attachment {
                    domain: "USER".into(),
                    name: "OUTSIDER".into(),
                });
            }
        }
    }
    for (name, ap) in &mut s.authentication_policies {
        if let Some(list) = &mut ap.attachments {
            for (u, _, p) in &user_attachments {
                if p.as_ref() == Some(name) {
                    list.push(Attachment {
                        domain: "USER".into(),
                        name: u.as_str().to_owned(),
                    });
                }
            }
            let at_account: BTreeSet<_> = [
                &account.authentication_policy,
                &account.authentication_policy_for_service_users,
                &account.authentication_policy_for_person_users,
            ]
            .into_iter()
            .flatten()
            .collect();
            if at_account.contains(name) {
                list.push(Attachment {
                    domain: "ACCOUNT".into(),
                    name: "ACCOUNT".into(),
                });
            }
        }
    }
    if rng.gen_bool(0.1) {
        s.session = Some(Session {
            user: any_id(rng, &USERS),
            role: None,
            authentication: if rng.gen_bool(0.5) {
                SessionAuthentication::ProgrammaticAccessToken
            } else {
                SessionAuthentication::KeypairJwt
            },
            ip_address: None,
        });
    }
    Generated { live: s, lifetimes }
}

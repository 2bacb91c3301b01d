//! What a declared object should look like in the account: the file's values with Snowflake's
//! defaults filled in for what it leaves out, in the live model's terms, so that the diff and
//! preflight compare like with like. Pure.

use crate::model::desired::AuthenticationPolicySpec;
use crate::model::live::{
    LiveAuthenticationPolicy, LiveMfaEnrollment, LiveMfaPolicy, LivePatPolicy,
    LiveWorkloadIdentityPolicy,
};
use crate::model::{Spelled, Vocabulary};

/// The values a declared authentication policy should have, Snowflake's defaults filled in.
pub fn effective_authentication_policy(
    spec: &AuthenticationPolicySpec,
) -> LiveAuthenticationPolicy {
    let d = LiveAuthenticationPolicy::default();
    LiveAuthenticationPolicy {
        authentication_methods: list(&spec.authentication_methods, d.authentication_methods),
        client_types: list(&spec.client_types, d.client_types),
        client_policy: spec
            .client_policy
            .as_ref()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                    .collect()
            })
            .unwrap_or(d.client_policy),
        security_integrations: spec
            .security_integrations
            .clone()
            .unwrap_or(d.security_integrations),
        mfa_enrollment: spec.mfa_enrollment.map_or(d.mfa_enrollment, |m| {
            Spelled::Known(LiveMfaEnrollment::from(m))
        }),
        mfa_policy: match &spec.mfa_policy {
            Some(m) => LiveMfaPolicy {
                allowed_methods: texts(&m.allowed_methods, d.mfa_policy.allowed_methods),
                enforce_mfa_on_external_authentication: m
                    .enforce_mfa_on_external_authentication
                    .map_or(d.mfa_policy.enforce_mfa_on_external_authentication, |e| {
                        e.as_str().to_owned()
                    }),
            },
            None => d.mfa_policy,
        },
        pat_policy: spec
            .pat_policy
            .as_ref()
            .map_or(d.pat_policy, |p| LivePatPolicy::declared(Some(p))),
        workload_identity_policy: match &spec.workload_identity_policy {
            Some(w) => {
                let dw = d.workload_identity_policy;
                LiveWorkloadIdentityPolicy {
                    allowed_providers: texts(&w.allowed_providers, dw.allowed_providers),
                    allowed_aws_accounts: w
                        .allowed_aws_accounts
                        .clone()
                        .unwrap_or(dw.allowed_aws_accounts),
                    allowed_azure_issuers: w
                        .allowed_azure_issuers
                        .clone()
                        .unwrap_or(dw.allowed_azure_issuers),
                    allowed_oidc_issuers: w
                        .allowed_oidc_issuers
                        .clone()
                        .unwrap_or(dw.allowed_oidc_issuers),
                }
            }
            None => d.workload_identity_policy,
        },
        comment: spec.comment.clone().filter(|c| !c.is_empty()),
        attachments: None,
    }
}

/// A declared list as the account would show it, or the default when the file omits it.
fn list<T: Vocabulary>(v: &Option<Vec<T>>, default: Vec<Spelled<T>>) -> Vec<Spelled<T>> {
    v.as_ref()
        .map_or(default, |v| v.iter().copied().map(Spelled::Known).collect())
}

/// The same for a list the live model keeps as text.
fn texts<T: Vocabulary>(v: &Option<Vec<T>>, default: Vec<String>) -> Vec<String> {
    v.as_ref().map_or(default, |v| {
        v.iter().map(|x| x.as_str().to_owned()).collect()
    })
}

//! Hints for mistyped keys and values: known mistakes (`expires_in` for `days_to_expiry`, a
//! secret where none belongs), retired Snowflake values, and the nearest valid spelling.
//!
//! Pure functions of strings; they word a hint, the caller decides where it goes. No I/O.

/// Values Snowflake used to accept and now refuses: why, and what to write instead.
pub(super) fn retired_value(field: &str, given: &str) -> Option<&'static str> {
    match (field, given.to_ascii_uppercase().as_str()) {
        ("`mfa_enrollment`", "OPTIONAL") => Some(
            "Snowflake refuses `OPTIONAL` since the 2025_06 behaviour change bundle (bcr-2097); leave `mfa_enrollment` out to keep Snowflake's default, or write `REQUIRED_PASSWORD_ONLY`",
        ),
        _ => None,
    }
}

/// Hints for an unknown key: known mistakes first, then the nearest valid key.
pub(super) fn key_hint(key: &str, in_token: bool, candidates: &[String]) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    if key == "<<" {
        return Some(
            "YAML merge keys are not supported; write the values out where they apply".into(),
        );
    }
    if in_token && lower == "name" {
        return Some(
            "the token's name is its key under `tokens:`; write `MY_TOKEN:` with its settings beneath, without `name:`"
                .into(),
        );
    }
    if [
        "token_secret",
        "secret",
        "password",
        "private_key",
        "token_value",
    ]
    .contains(&lower.as_str())
    {
        return Some(
            "pats.yaml never holds a secret; say where a new secret goes with `deliver`".into(),
        );
    }
    let aliases: &[(&[&str], &str)] = &[
        (
            &[
                "expires_in",
                "expires_in_days",
                "expiry",
                "expiry_days",
                "expires",
                "lifetime",
                "ttl",
            ],
            "days_to_expiry",
        ),
        (
            &["role", "restricted_role", "role_restrictions"],
            "role_restriction",
        ),
        (
            &["rotate_before", "rotate_before_days", "rotation_days"],
            "rotate_before_expiry_days",
        ),
        (&["token", "pats", "pat"], "tokens"),
        (
            &["network_rules", "rules", "allowed_rules"],
            "allowed_network_rule_list",
        ),
        (&["allowed_ips", "ip_list", "allowed_ip"], "allowed_ip_list"),
        (&["values", "value", "valuelist"], "value_list"),
        (&["user_type", "kind"], "type"),
        (&["deliver_to", "delivery", "sinks", "output"], "deliver"),
        (&["networkpolicy", "network_policies"], "network_policy"),
    ];
    for (names, target) in aliases {
        if names.contains(&lower.as_str()) && candidates.iter().any(|c| c == target) {
            return Some(format!("did you mean `{target}`?"));
        }
    }
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(key)) {
        return Some(format!("keys are lower case: write `{c}`"));
    }
    nearest(key, candidates.iter().map(String::as_str)).map(|b| format!("did you mean `{b}`?"))
}

/// The candidate most like `given`, if any is close enough to be a likely typo.
pub(super) fn nearest<'c>(
    given: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let given = given.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&given, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::super::cases::only;
    use crate::config::Rule;

    #[test]
    fn unknown_keys_get_the_hints_the_issue_asks_for() {
        let token = |key: &str| {
            only(&format!(
                "version: 1\nusers:\n  U:\n    tokens:\n      T:\n        {key}: 30\n        deliver: [{{ file: {{ path: t }} }}]\n"
            ))
        };
        let cases = [
            ("expires_in", "did you mean `days_to_expiry`?"),
            ("EXPIRES_IN", "did you mean `days_to_expiry`?"),
            ("days_to_expire", "did you mean `days_to_expiry`?"),
            (
                "Days_To_Expiry",
                "keys are lower case: write `days_to_expiry`",
            ),
            (
                "name",
                "the token's name is its key under `tokens:`; write `MY_TOKEN:` with its settings beneath, without `name:`",
            ),
            (
                "secret",
                "pats.yaml never holds a secret; say where a new secret goes with `deliver`",
            ),
        ];
        for (key, hint) in cases {
            let d = token(key);
            assert_eq!(d.rule, Rule::UnknownKey, "{key}");
            assert_eq!(
                d.message,
                format!("unknown key `{key}` in `users.U.tokens.T`")
            );
            assert_eq!(d.path, format!("users.U.tokens.T.{key}"));
            assert_eq!(d.hint.as_deref(), Some(hint), "{key}");
        }
    }
}

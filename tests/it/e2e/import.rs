//! `import` against the demo account over HTTP: the file it writes plans empty, `--out` never
//! overwrites without `--force`, and `--merge` leaves a hand-written entry byte-identical.

use super::support::Account;

const MODELINE: &str = "# yaml-language-server: $schema=schemas/pats.schema.json\n";

#[test]
fn demo_import_with_tokens_plans_empty() {
    let account = Account::demo();
    let run = account.cli(&["import", "--with-tokens", "--out", "pats.yaml"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let text = account.read("pats.yaml");
    assert!(text.starts_with(MODELINE), "{text}");
    // The streaming user holds the demo's only live tokens; the backfill job's token expired,
    // so its user has `has_pat = false` and is not chosen.
    assert!(
        text.contains("\n  THERMAL_STREAMING_USER:\n    type: SERVICE\n"),
        "{text}"
    );
    assert!(!text.contains("THERMAL_BACKFILL_USER"), "{text}");
    // Rotation leftovers are not declared.
    assert!(!text.contains("_ROTATED_"), "{text}");
    // Someone revoked the streaming role: both tokens are restricted to a role the user does
    // not hold, so they are kept, not declared, and stderr says why.
    assert!(text.contains("    unmanaged_tokens: keep\n"), "{text}");
    for token in ["THERMAL_PAT", "OLD_LAPTOP_PAT"] {
        let note = format!(
            "note: `user.THERMAL_STREAMING_USER.token.{token}` is restricted to `THERMAL_STREAMING_ROLE`, which the user does not hold"
        );
        assert!(run.stderr.contains(&note), "{note}\n{run:?}");
    }
    // The policies attached to the user are declared as the account has them.
    assert!(
        text.contains("  LEGACY_GATEWAY_POLICY:\n    allowed_ip_list: ['0.0.0.0/0']\n"),
        "{text}"
    );
    assert!(text.contains("  DEMO.DEMO.STREAMING_PATS:\n"), "{text}");

    account.cli(&["validate"]).success();
    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(0), "{plan:?}\n{text}");
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
}

#[test]
fn out_over_an_existing_file_needs_force() {
    let account = Account::demo();
    account.write("pats.yaml", "version: 1\n");
    let logged = account.log().len();
    let run = account.cli(&["import", "--with-tokens", "--out", "pats.yaml"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("error: `pats.yaml` exists; import does not overwrite it"),
        "{run:?}"
    );
    assert!(run.stderr.contains("hint: pass `--force`"), "{run:?}");
    assert_eq!(account.read("pats.yaml"), "version: 1\n");
    // Refused before reading the account: no statement ran.
    assert_eq!(account.log().len(), logged);

    let forced = account.cli(&["import", "--with-tokens", "--out", "pats.yaml", "--force"]);
    assert_eq!(forced.code, Some(0), "{forced:?}");
    assert!(account.read("pats.yaml").starts_with(MODELINE));
}

#[test]
fn stdout_is_the_default_and_carries_only_the_document() {
    let account = Account::demo();
    let run = account.cli(&["import", "--users", "thermal_streaming_user"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with(MODELINE), "{run:?}");
    assert!(!run.stdout.contains("note:"), "{run:?}");
    assert!(
        run.stderr.contains("imported 1 user(s), 0 token(s)"),
        "{run:?}"
    );
    assert!(run.stderr.contains("note: "), "{run:?}");
}

/// A hand-written entry with comments and odd formatting, and the rest of a file.
const HAND_WRITTEN: &str = r#"# yaml-language-server: $schema=schemas/pats.schema.json
# Our team's file: written by hand.
version:   1

users:
    # the nightly job; its token is handled elsewhere for now
    THERMAL_BACKFILL_USER:     # keep me
        type:    SERVICE
        comment: "Nightly backfill of the thermal readings"   # as in the account
        unmanaged_tokens: keep

# end of the users
"#;

#[test]
fn merge_keeps_a_hand_written_entry_and_adds_the_missing_users() {
    // The shipped file applied, then 80 days on: THERMAL_PAT (90 days) is inside its window.
    let account = Account::shipped();
    account
        .cli(&["apply", "--auto-approve", "--allow-destroy"])
        .success();
    account.advance_days(80);
    account.write("pats.yaml", HAND_WRITTEN);
    let run = account.cli(&["import", "--merge", "pats.yaml", "--users", "THERMAL_*"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let text = account.read("pats.yaml");
    // Everything written by hand is still there, byte for byte: the new user comes after the
    // last hand-written line of the section, at its indentation; the rest follows unchanged.
    let split = HAND_WRITTEN.find("\n\n# end").unwrap() + 1;
    let (hand, tail) = HAND_WRITTEN.split_at(split);
    assert!(text.starts_with(hand), "{text}");
    let rest = &text[hand.len()..];
    assert!(
        rest.starts_with("    THERMAL_STREAMING_USER:\n        type: SERVICE\n"),
        "{text}"
    );
    assert!(text.contains(tail), "{text}");
    assert_eq!(text.matches("THERMAL_BACKFILL_USER").count(), 1, "{text}");
    // The policies and the rule the added user uses come as new sections.
    assert!(
        text.contains("\nnetwork_policies:\n  THERMAL_STREAMING_POLICY:\n"),
        "{text}"
    );
    assert!(
        text.contains("\nnetwork_rules:\n  DEMO.DEMO.THERMAL_GATEWAYS:\n"),
        "{text}"
    );
    // Under 10 days left (9 whole days), inside the 14-day window: narrowed to one day short,
    // so the plan does not rotate it yet. The additions follow the section's 4-space steps.
    assert!(
        text.contains("                rotate_before_expiry_days: 8\n"),
        "{text}"
    );
    assert!(
        run.stderr.contains("added 1 user(s), 1 token(s)"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "  user.THERMAL_STREAMING_USER.token.THERMAL_PAT  file secrets/THERMAL_STREAMING_USER.THERMAL_PAT\n"
        ),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("note: `user.THERMAL_STREAMING_USER.token.THERMAL_PAT` expires in 9 days"),
        "{run:?}"
    );

    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(0), "{plan:?}\n{text}");

    // Merged again: nothing new, the file is untouched.
    let again = account.cli(&["import", "--merge", "pats.yaml", "--users", "THERMAL_*"]);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert_eq!(account.read("pats.yaml"), text);
    assert!(
        again.stderr.contains("added 0 user(s), 0 token(s)"),
        "{again:?}"
    );
}

#[test]
fn account_policies_declares_the_account_attachments() {
    let account = Account::demo();
    account.seed("ALTER ACCOUNT SET AUTHENTICATION POLICY DEMO.DEMO.LEGACY_PATS");
    let run = account.cli(&[
        "import",
        "--with-tokens",
        "--account-policies",
        "--out",
        "pats.yaml",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let text = account.read("pats.yaml");
    assert!(
        text.contains("\naccount:\n  authentication_policy: DEMO.DEMO.LEGACY_PATS\n"),
        "{text}"
    );
    assert!(
        text.contains("  DEMO.DEMO.LEGACY_PATS:\n    comment: 'Before the streaming policy'\n"),
        "{text}"
    );
    let plan = account.cli(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(0), "{plan:?}\n{text}");
}

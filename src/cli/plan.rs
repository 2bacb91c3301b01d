//! `pat-reconcile plan`: read the desired state and the live state, print the ordered changes.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use super::error::CliError;
use super::input;
use super::output::Styles;
use super::source::{Origin, SandboxSourceArgs};
use super::status::ExitStatus;
use crate::apply::pending::{self, Pending};
use crate::model::desired::Config;
use crate::plan::{self, DiffInputs, OldSecret, Plan, render};

/// Arguments of `plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The desired-state file.
    #[arg(short = 'f', long = "file", default_value = "pats.yaml")]
    pub file: PathBuf,
    /// Plan against a live-state JSON file (from `pat-reconcile snapshot`) instead of an account.
    #[arg(long, value_name = "FILE")]
    pub live_state: Option<PathBuf>,
    #[command(flatten)]
    pub source: SandboxSourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also save the plan as JSON, for `apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan as of another instant: RFC 3339 (`2026-12-01T00:00:00Z`) or relative to now
    /// (`+7d`, `+12h`, `-30m`).
    #[arg(long, value_name = "TIME", value_parser = parse_at)]
    pub at: Option<At>,
    #[command(flatten)]
    pub replace: ReplaceArgs,
}

/// `--replace ADDRESS` and `--revoke-old`, shared by `plan` and `apply`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReplaceArgs {
    /// Rotate this token now, whatever its expiry (an expired one is replaced), e.g.
    /// `user.THERMAL_STREAMING_USER.token.THERMAL_PAT`. Repeatable.
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub addresses: Vec<String>,
    /// With --replace: the old secret stops working at once
    /// (`EXPIRE_ROTATED_TOKEN_AFTER_HOURS = 0`), for a secret that leaked or was lost.
    #[arg(long, requires = "addresses")]
    pub revoke_old: bool,
}

/// The diff's inputs from the edge: the checkout's pending deliveries and the `--replace`
/// addresses, each checked against the file.
pub fn diff_inputs(
    replace: &ReplaceArgs,
    desired: &Config,
    pending: &[Pending],
) -> Result<DiffInputs, CliError> {
    let replace_set = replace
        .addresses
        .iter()
        .map(|a| plan::diff::replace_address(a, desired))
        .collect::<Result<_, _>>()
        .map_err(CliError::Replace)?;
    Ok(DiffInputs {
        pending: pending.iter().map(Pending::to_plan).collect(),
        replace: replace_set,
        old_secret: if replace.revoke_old {
            OldSecret::Revoke
        } else {
            OldSecret::Grace
        },
        intents: Vec::new(),
    })
}

/// The pending deliveries of the checkout in `base` (`.pat-reconcile/pending/`).
pub fn load_pending(base: &Path) -> Result<Vec<Pending>, CliError> {
    pending::load(base).map_err(|e| CliError::Pending(Box::new(e)))
}

/// Plan output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terraform-like, for people (the default).
    Text,
    /// The versioned JSON plan (the same as `--out`).
    Json,
    /// A pull-request comment.
    Markdown,
    /// The statements alone, runnable by hand.
    Sql,
}

/// `--at`: an absolute instant or an offset from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Absolute(DateTime<Utc>),
    Relative(Duration),
}

/// The largest offset `--at` takes: 100 years either way. Larger offsets are refused when the
/// flag is parsed, so adding one to any clock reading this program can see never overflows
/// (chrono's dates end in the year 262,143).
const MAX_OFFSET_DAYS: i64 = 36_525;

impl At {
    /// The instant `--at` names. An offset that would leave chrono's range (only possible from
    /// a clock near the year 262,143, since [`parse_at`] caps offsets at 100 years) saturates at
    /// the range's end rather than panicking.
    pub fn resolve(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            At::Absolute(t) => t,
            At::Relative(d) => now
                .checked_add_signed(d)
                .unwrap_or(if d < Duration::zero() {
                    DateTime::<Utc>::MIN_UTC
                } else {
                    DateTime::<Utc>::MAX_UTC
                }),
        }
    }
}

/// Parses `--at`.
pub fn parse_at(text: &str) -> Result<At, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(At::Absolute(t.with_timezone(&Utc)));
    }
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => {
            return Err(format!(
                "`{text}` is neither RFC 3339 (2026-12-01T00:00:00Z) nor an offset such as +7d"
            ));
        }
    };
    let unit = rest.chars().last().ok_or("missing amount")?;
    let amount: i64 = rest[..rest.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| format!("`{text}`: expected a whole number before the unit"))?;
    let seconds_per_unit: i64 = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        'w' => 7 * 86_400,
        _ => return Err(format!("`{text}`: the unit is one of d, h, m, s, w")),
    };
    let too_far =
        || format!("`{text}`: the offset is more than 100 years ({MAX_OFFSET_DAYS} days) from now");
    let seconds = amount.checked_mul(seconds_per_unit).ok_or_else(too_far)?;
    if seconds.unsigned_abs() > (MAX_OFFSET_DAYS * 86_400).unsigned_abs() {
        return Err(too_far());
    }
    Ok(At::Relative(Duration::seconds(seconds * sign)))
}

/// Runs `plan`.
pub fn run(args: &PlanArgs) -> Result<ExitStatus, CliError> {
    let origin = Origin::of(&args.source, args.live_state.as_deref())?;
    let input::Desired {
        config: desired,
        base,
    } = input::load(&args.file)?;
    let mut inputs = diff_inputs(&args.replace, &desired, &load_pending(&base)?)?;
    inputs.intents = super::apply::load_intents(&crate::apply::journal::default_path(&base))?;
    let (live, now) = origin.open()?.read(&desired)?;
    let now = args.at.map_or(now, |at| at.resolve(now));
    let plan = plan::diff(&desired, &live, now, &inputs);
    finish(args, &plan)
}

/// Renders the plan, saves it when asked, and picks the exit code.
pub fn finish(args: &PlanArgs, plan: &Plan) -> Result<ExitStatus, CliError> {
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => render::text::render(plan, Styles::stdout(), &mut out)?,
        Format::Json => render::json::render(plan, &mut out)?,
        Format::Markdown => render::markdown::render(plan, &mut out)?,
        Format::Sql => render::sql::render(plan, &mut out)?,
    }
    out.flush()?;
    if let Some(path) = &args.out {
        let mut buf = Vec::new();
        render::json::render(plan, &mut buf)?;
        std::fs::write(path, buf).map_err(|source| CliError::WriteFile {
            path: path.clone(),
            source,
        })?;
    }
    if plan.has_errors() {
        return Err(CliError::Preflight {
            errors: plan
                .diagnostics
                .iter()
                .filter(|d| d.severity == plan::Severity::Error)
                .count(),
        });
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_takes_rfc3339_and_offsets() {
        let now: DateTime<Utc> = "2026-11-27T00:00:00Z".parse().unwrap();
        assert_eq!(
            parse_at("+7d").unwrap().resolve(now),
            "2026-12-04T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_at("-12h").unwrap().resolve(now),
            "2026-11-26T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_at("2026-12-01T10:00:00+01:00").unwrap().resolve(now),
            "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(parse_at("7d").is_err());
        assert!(parse_at("+7y").is_err());
        assert!(parse_at("+d").is_err());
    }

    #[test]
    fn at_refuses_offsets_beyond_a_century_instead_of_overflowing() {
        for text in [
            "+999999999d",
            "-999999999d",
            "+9223372036854775807s",
            "+5300w",
        ] {
            let err = parse_at(text).unwrap_err();
            assert!(err.contains("more than 100 years"), "{text}: {err}");
        }
        assert!(parse_at("+36525d").is_ok());
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(parse_at("+1d").unwrap().resolve(end), end);
    }
}

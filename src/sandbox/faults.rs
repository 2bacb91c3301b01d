//! Fault injection for `POST /api/v2/statements`: random faults at configured rates from a
//! seedable RNG, an exact queue of faults for the next requests, and rules aimed at the
//! statements whose SQL text matches, so tests are deterministic even when a client sends many
//! statements at once.
//!
//! Faults apply to statement submissions only (not to polling or cancel), and are decided before
//! anything else about the request, as a rate limiter or load balancer in front of Snowflake
//! would. The order is: the first [`FaultRule`] whose `sql_contains` occurs in the submitted text
//! (it uses one of its `times`; the queue and the RNG are left alone), then the queue, then the
//! rates. A rule is what a concurrent client needs: which request comes "next" depends on
//! scheduling, which statement text a fault lands on does not.
//!
//! Two faults exist only for aimed faults and the queue, never for rates: [`Fault::InternalError`]
//! (Snowflake refuses the statement without running it: HTTP 422 with code `000603`, SQL state
//! `XX000`, "SQL execution internal error: Processing aborted due to error 300002:…; incident …",
//! the form Snowflake returns for an internal failure, as seen in public code that runs against
//! real accounts) and [`Fault::Delay`] (the statement runs late but the request waits for it as
//! usual, so a client holds it in flight; `slow` instead answers 202 at once).

use std::collections::VecDeque;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::sandbox::error::{SandboxError, StatementError};

/// Rates (each 0.0..=1.0) of injected faults, and how they behave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultConfig {
    /// Share of submissions answered `429 {"code":"390505"}` without executing.
    pub rate_429: f64,
    /// Share answered `503` without executing.
    pub rate_503: f64,
    /// Share whose connection is dropped with no response, half before and half after executing.
    pub rate_drop: f64,
    /// Share that run for [`FaultConfig::slow_duration`] and answer 202 at once.
    pub rate_slow: f64,
    /// How long a slow statement runs before it executes.
    #[serde(with = "millis")]
    pub slow_duration: Duration,
    /// Seed of the fault RNG; `None` seeds from the OS.
    pub seed: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            rate_429: 0.0,
            rate_503: 0.0,
            rate_drop: 0.0,
            rate_slow: 0.0,
            slow_duration: Duration::from_millis(500),
            seed: None,
        }
    }
}

impl FaultConfig {
    /// Refuses rates outside 0..=1.
    pub fn validate(&self) -> Result<(), SandboxError> {
        for (name, rate) in [
            ("rate_429", self.rate_429),
            ("rate_503", self.rate_503),
            ("rate_drop", self.rate_drop),
            ("rate_slow", self.rate_slow),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(SandboxError::InvalidFaultRate { name, rate });
            }
        }
        Ok(())
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(deserializer)?))
    }
}

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    #[serde(rename = "429")]
    TooManyRequests,
    #[serde(rename = "503")]
    Unavailable,
    #[serde(rename = "drop_before_execute")]
    DropBeforeExecute,
    #[serde(rename = "drop_after_execute")]
    DropAfterExecute,
    /// Runs late and answers 202 at once: the client polls.
    #[serde(rename = "slow")]
    Slow,
    /// Runs late while the request waits as usual (200 when the delay is under the async
    /// threshold): the statement stays in flight for the client.
    #[serde(rename = "delay")]
    Delay,
    /// Refused while executing, without effect: 422 `000603` / `XX000`.
    #[serde(rename = "internal_error")]
    InternalError,
    /// No fault: lets one submission through, so a test can aim at a later one.
    #[serde(rename = "none")]
    Pass,
}

impl Fault {
    /// Whether the fault holds the statement before it executes (`slow`, `delay`).
    pub fn holds(self) -> bool {
        matches!(self, Self::Slow | Self::Delay)
    }
}

/// A fault aimed at the submissions whose SQL text contains `sql_contains`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Text the submitted statement must contain, compared exactly (case and quotes included),
    /// e.g. `ADD PROGRAMMATIC ACCESS TOKEN "T1"`.
    pub sql_contains: String,
    pub fault: Fault,
    /// How many matching submissions it still applies to (a retry counts again); absent: every
    /// one, until the rules are replaced. A rule that reaches 0 is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// For `slow` and `delay`: how long the statement is held; absent: the configured `slow_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

impl FaultRule {
    /// Refuses an empty `sql_contains`, `times: 0`, and `delay_ms` on a fault that holds nothing.
    fn validate(&self, index: usize) -> Result<(), SandboxError> {
        let reason = if self.sql_contains.is_empty() {
            "`sql_contains` is empty, so it would match every statement"
        } else if self.times == Some(0) {
            "`times` is 0, so it would never apply"
        } else if self.delay_ms.is_some() && !self.fault.holds() {
            "`delay_ms` applies to `slow` and `delay` faults only"
        } else {
            return Ok(());
        };
        Err(SandboxError::InvalidFaultRule { index, reason })
    }
}

/// Checks a list of rules before it replaces the current one.
pub fn validate_rules(rules: &[FaultRule]) -> Result<(), SandboxError> {
    rules
        .iter()
        .enumerate()
        .try_for_each(|(index, rule)| rule.validate(index))
}

/// The fault drawn for one submission and what it does to the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    pub fault: Fault,
    /// Extra time before the statement executes (`slow`, `delay`); zero otherwise.
    pub hold: Duration,
    /// For `internal_error`: the refusal the statement ends with instead of executing.
    pub refusal: Option<StatementError>,
}

/// The live fault state: configuration, RNG, queue and aimed rules.
#[derive(Debug)]
pub struct Faults {
    config: FaultConfig,
    rng: StdRng,
    queue: VecDeque<Fault>,
    rules: Vec<FaultRule>,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Self {
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        Self {
            config,
            rng,
            queue: VecDeque::new(),
            rules: Vec::new(),
        }
    }

    pub fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// Replaces the configuration; a new seed restarts the RNG.
    pub fn configure(&mut self, config: FaultConfig) {
        if config.seed.is_some() && config.seed != self.config.seed {
            *self = Self {
                queue: std::mem::take(&mut self.queue),
                rules: std::mem::take(&mut self.rules),
                ..Self::new(config)
            };
        } else {
            self.config = config;
        }
    }

    /// Replaces the queue of exact faults for the next submissions.
    pub fn schedule(&mut self, faults: Vec<Fault>) {
        self.queue = faults.into();
    }

    pub fn pending(&self) -> Vec<Fault> {
        self.queue.iter().copied().collect()
    }

    /// Replaces the aimed rules (an empty list clears them).
    pub fn aim(&mut self, rules: Vec<FaultRule>) {
        self.rules = rules;
    }

    /// The aimed rules still in force, with the `times` each has left.
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// The fault for the next submission of `sql`, if any: an aimed rule, else the queue, else
    /// the rates.
    pub fn draw(&mut self, sql: &str) -> Option<Injected> {
        let fault = self.aimed(sql).or_else(|| self.unaimed())?;
        let (fault, delay_ms) = fault;
        if fault == Fault::Pass {
            return None;
        }
        let hold = match delay_ms {
            _ if !fault.holds() => Duration::ZERO,
            Some(millis) => Duration::from_millis(millis),
            None => self.config.slow_duration,
        };
        let refusal = (fault == Fault::InternalError).then(|| StatementError::InternalError {
            detail: self.rng.r#gen(),
            incident: self.rng.gen_range(1_000_000..10_000_000),
        });
        Some(Injected {
            fault,
            hold,
            refusal,
        })
    }

    /// The first rule matching `sql`, using one of its `times`.
    fn aimed(&mut self, sql: &str) -> Option<(Fault, Option<u64>)> {
        let index = self
            .rules
            .iter()
            .position(|rule| sql.contains(&rule.sql_contains))?;
        let rule = &mut self.rules[index];
        let drawn = (rule.fault, rule.delay_ms);
        if let Some(times) = &mut rule.times {
            *times = times.saturating_sub(1);
            if *times == 0 {
                self.rules.remove(index);
            }
        }
        Some(drawn)
    }

    /// The queue's next fault, else one drawn at the configured rates.
    fn unaimed(&mut self) -> Option<(Fault, Option<u64>)> {
        if let Some(fault) = self.queue.pop_front() {
            return Some((fault, None));
        }
        let config = &self.config;
        if config.rate_429 + config.rate_503 + config.rate_drop + config.rate_slow <= 0.0 {
            return None;
        }
        let roll: f64 = self.rng.r#gen();
        let mut threshold = 0.0;
        for (rate, fault) in [
            (config.rate_429, Fault::TooManyRequests),
            (config.rate_503, Fault::Unavailable),
            (config.rate_drop, Fault::DropBeforeExecute),
            (config.rate_slow, Fault::Slow),
        ] {
            threshold += rate;
            if roll < threshold {
                if fault == Fault::DropBeforeExecute && self.rng.r#gen::<bool>() {
                    return Some((Fault::DropAfterExecute, None));
                }
                return Some((fault, None));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_faults_come_first_then_rates() {
        let mut faults = Faults::new(FaultConfig {
            rate_429: 1.0,
            seed: Some(7),
            ..FaultConfig::default()
        });
        faults.schedule(vec![Fault::Slow, Fault::DropAfterExecute]);
        assert_eq!(
            faults.draw("").map(|injected| injected.fault),
            Some(Fault::Slow)
        );
        assert_eq!(
            faults.draw("").map(|injected| injected.fault),
            Some(Fault::DropAfterExecute)
        );
        assert_eq!(
            faults.draw("").map(|injected| injected.fault),
            Some(Fault::TooManyRequests)
        );
    }

    #[test]
    fn no_rates_no_faults() {
        let mut faults = Faults::new(FaultConfig::default());
        assert!((0..100).all(|_| faults.draw("").map(|injected| injected.fault).is_none()));
    }

    #[test]
    fn same_seed_same_faults() {
        let config = FaultConfig {
            rate_429: 0.3,
            rate_503: 0.3,
            seed: Some(42),
            ..FaultConfig::default()
        };
        let mut first = Faults::new(config.clone());
        let mut second = Faults::new(config);
        let a: Vec<_> = (0..50).map(|_| first.draw("")).collect();
        let b: Vec<_> = (0..50).map(|_| second.draw("")).collect();
        assert_eq!(a, b);
        assert!(a.iter().any(Option::is_some) && a.iter().any(Option::is_none));
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        let config = FaultConfig {
            rate_503: 1.5,
            ..FaultConfig::default()
        };
        assert!(config.validate().is_err());
    }

    #[test]
    fn fault_names_on_the_wire() {
        let faults: Vec<Fault> = serde_json::from_str(
            r#"["429","503","drop_before_execute","drop_after_execute","slow","delay","internal_error","none"]"#,
        )
        .unwrap();
        assert_eq!(faults.len(), 8);
        assert!(serde_json::from_str::<Fault>(r#""refuse""#).is_err());
    }

    const T1: &str = r#"ALTER USER "U1" ADD PROGRAMMATIC ACCESS TOKEN "T1" ROLE_RESTRICTION = "R""#;
    const T2: &str = r#"ALTER USER "U2" ADD PROGRAMMATIC ACCESS TOKEN "T2" ROLE_RESTRICTION = "R""#;

    fn rules(json: &str) -> Vec<FaultRule> {
        let rules: Vec<FaultRule> = serde_json::from_str(json).unwrap();
        validate_rules(&rules).unwrap();
        rules
    }

    fn drawn(faults: &mut Faults, sql: &str) -> Option<Fault> {
        faults.draw(sql).map(|injected| injected.fault)
    }

    #[test]
    fn a_rule_hits_only_matching_statements_for_its_times() {
        let mut faults = Faults::new(FaultConfig::default());
        faults.aim(rules(
            r#"[{"sql_contains":"ADD PROGRAMMATIC ACCESS TOKEN \"T1\"","fault":"503","times":2}]"#,
        ));
        assert_eq!(drawn(&mut faults, T2), None);
        assert_eq!(drawn(&mut faults, T1), Some(Fault::Unavailable));
        assert_eq!(faults.rules()[0].times, Some(1));
        assert_eq!(drawn(&mut faults, T1), Some(Fault::Unavailable));
        assert!(faults.rules().is_empty(), "a rule used up is removed");
        assert_eq!(drawn(&mut faults, T1), None);
    }

    #[test]
    fn matching_is_exact_text() {
        let mut faults = Faults::new(FaultConfig::default());
        faults.aim(rules(r#"[{"sql_contains":"token \"T1\"","fault":"429"}]"#));
        assert_eq!(drawn(&mut faults, T1), None, "case matters");
        faults.aim(rules(r#"[{"sql_contains":"TOKEN T1","fault":"429"}]"#));
        assert_eq!(drawn(&mut faults, T1), None, "quotes matter");
    }

    #[test]
    fn a_rule_without_times_stays_until_replaced() {
        let mut faults = Faults::new(FaultConfig::default());
        faults.aim(rules(r#"[{"sql_contains":"\"T1\"","fault":"429"}]"#));
        assert!((0..20).all(|_| drawn(&mut faults, T1) == Some(Fault::TooManyRequests)));
        faults.aim(Vec::new());
        assert_eq!(drawn(&mut faults, T1), None);
    }

    #[test]
    fn rules_come_before_the_queue_and_leave_it_alone() {
        let mut faults = Faults::new(FaultConfig {
            rate_429: 1.0,
            seed: Some(3),
            ..FaultConfig::default()
        });
        faults.schedule(vec![Fault::DropBeforeExecute]);
        faults.aim(rules(
            r#"[{"sql_contains":"\"T1\"","fault":"internal_error","times":1},
                {"sql_contains":"ADD PROGRAMMATIC","fault":"none","times":1}]"#,
        ));
        assert_eq!(drawn(&mut faults, T1), Some(Fault::InternalError));
        assert_eq!(faults.pending(), vec![Fault::DropBeforeExecute]);
        assert_eq!(
            drawn(&mut faults, T2),
            None,
            "a `none` rule lets it through"
        );
        assert_eq!(drawn(&mut faults, T2), Some(Fault::DropBeforeExecute));
        assert_eq!(drawn(&mut faults, T2), Some(Fault::TooManyRequests));
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let mut faults = Faults::new(FaultConfig::default());
        faults.aim(rules(
            r#"[{"sql_contains":"\"T1\"","fault":"drop_after_execute","times":1},
                {"sql_contains":"ADD PROGRAMMATIC","fault":"delay","delay_ms":250}]"#,
        ));
        assert_eq!(drawn(&mut faults, T1), Some(Fault::DropAfterExecute));
        let second = faults.draw(T1).unwrap();
        assert_eq!(second.fault, Fault::Delay);
        assert_eq!(second.hold, Duration::from_millis(250));
        assert_eq!(second.refusal, None);
    }

    #[test]
    fn holds_use_the_rule_delay_or_slow_ms() {
        let mut faults = Faults::new(FaultConfig {
            slow_duration: Duration::from_millis(40),
            ..FaultConfig::default()
        });
        faults.aim(rules(r#"[{"sql_contains":"T","fault":"slow"}]"#));
        assert_eq!(faults.draw(T1).unwrap().hold, Duration::from_millis(40));
        faults.aim(rules(r#"[{"sql_contains":"T","fault":"503"}]"#));
        assert_eq!(faults.draw(T1).unwrap().hold, Duration::ZERO);
    }

    #[test]
    fn an_internal_error_carries_snowflakes_code_and_state() {
        let mut faults = Faults::new(FaultConfig::default());
        faults.aim(rules(r#"[{"sql_contains":"T1","fault":"internal_error"}]"#));
        let injected = faults.draw(T1).unwrap();
        assert_eq!(injected.hold, Duration::ZERO);
        let refusal = injected.refusal.unwrap();
        assert_eq!((refusal.code(), refusal.sql_state()), ("000603", "XX000"));
        let message = refusal.to_string();
        assert!(
            message.starts_with(
                "SQL execution internal error: Processing aborted due to error 300002:"
            ) && message.contains("; incident "),
            "{message}"
        );
    }

    #[test]
    fn invalid_rules_are_refused_with_their_index() {
        for (json, reason) in [
            (r#"[{"sql_contains":"","fault":"429"}]"#, "empty"),
            (
                r#"[{"sql_contains":"T1","fault":"429","times":0}]"#,
                "`times` is 0",
            ),
            (
                r#"[{"sql_contains":"T1","fault":"503","delay_ms":10}]"#,
                "`delay_ms` applies",
            ),
        ] {
            let rules: Vec<FaultRule> = serde_json::from_str(json).unwrap();
            let error = validate_rules(&rules).unwrap_err().to_string();
            assert!(
                error.contains("rule 0") && error.contains(reason),
                "{error}"
            );
        }
        assert!(
            serde_json::from_str::<Vec<FaultRule>>(r#"[{"sql":"T1","fault":"429"}]"#).is_err(),
            "unknown keys are refused"
        );
    }
}

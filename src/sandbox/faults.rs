//! Fault injection for `POST /api/v2/statements`: random faults at configured rates from a
//! seedable RNG, and an exact queue of faults for the next requests so tests are deterministic.
//!
//! Faults apply to statement submissions only (not to polling or cancel), and are decided before
//! anything else about the request, as a rate limiter or load balancer in front of Snowflake
//! would. A queued fault is used before the rates are consulted.

use std::collections::VecDeque;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::sandbox::error::SandboxError;

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
    #[serde(rename = "slow")]
    Slow,
    /// No fault: lets one submission through, so a test can aim at a later one.
    #[serde(rename = "none")]
    Pass,
}

/// The live fault state: configuration, RNG and queue.
#[derive(Debug)]
pub struct Faults {
    config: FaultConfig,
    rng: StdRng,
    queue: VecDeque<Fault>,
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

    /// The fault for the next submission, if any.
    pub fn next(&mut self) -> Option<Fault> {
        if let Some(fault) = self.queue.pop_front() {
            return (fault != Fault::Pass).then_some(fault);
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
                    return Some(Fault::DropAfterExecute);
                }
                return Some(fault);
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
        assert_eq!(faults.next(), Some(Fault::Slow));
        assert_eq!(faults.next(), Some(Fault::DropAfterExecute));
        assert_eq!(faults.next(), Some(Fault::TooManyRequests));
    }

    #[test]
    fn no_rates_no_faults() {
        let mut faults = Faults::new(FaultConfig::default());
        assert!((0..100).all(|_| faults.next().is_none()));
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
        let a: Vec<_> = (0..50).map(|_| first.next()).collect();
        let b: Vec<_> = (0..50).map(|_| second.next()).collect();
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
            r#"["429","503","drop_before_execute","drop_after_execute","slow"]"#,
        )
        .unwrap();
        assert_eq!(faults.len(), 5);
    }
}

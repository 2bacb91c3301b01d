//! The sandbox's movable clock: real time plus an offset that tests advance.
//!
//! Everything about account objects (token expiry, rotation, `created_on`) reads this clock, so a
//! test can jump 90 days ahead. Key-pair JWT time claims are checked against the real wall clock
//! instead, because clients sign them with real time.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// Real time shifted by an offset in milliseconds.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// A clock `offset_ms` ahead of (or, when negative, behind) real time.
    pub fn with_offset(offset_ms: i64) -> Self {
        Self {
            offset_ms: AtomicI64::new(offset_ms),
        }
    }

    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms())
    }

    /// Moves the clock; negative durations move it back.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// How far the clock is from real time, in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::days(90));
        assert!(clock.now() - before >= Duration::days(90));
        assert_eq!(clock.offset_ms(), Duration::days(90).num_milliseconds());
    }
}

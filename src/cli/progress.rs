//! What a command shows on stderr while it talks to the account: a progress bar on a terminal
//! (statements done of total), a line for every retried statement (one plain line per event
//! when stderr is not a terminal, as in CI logs), and nothing extra with `--quiet`.
//!
//! The client and the reader only report events through hooks (`RetryHook`, `reader::Progress`);
//! this is the one place that turns them into output. Apply's bar moves with the executor's
//! events (`apply::Event`: a statement answered, a secret being delivered).

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::Event;
use crate::plan::render::one_line;
use crate::snowflake::client::{Retry, RetryHook};
use crate::snowflake::reader;

/// What apply's bar listens with (`apply::Context::observer`).
pub type ApplyObserver = Box<dyn Fn(Event<'_>) + Send + Sync>;

/// How stderr is used for progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--quiet`: no progress and no retry lines (warnings and errors still show).
    Quiet,
    /// stderr is not a terminal: no bar, one line per event.
    Plain,
    /// stderr is a terminal: a bar redrawn in place; event lines print above it.
    Terminal,
}

impl Mode {
    /// The mode for this process: `--quiet` wins, else whether stderr is a terminal.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Terminal
        } else {
            Mode::Plain
        }
    }
}

/// The progress display of one session: its mode and the bar showing, if any.
#[derive(Debug, Clone)]
pub struct Display {
    mode: Mode,
    bar: Arc<Mutex<Option<ProgressBar>>>,
}

impl Display {
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            bar: Arc::new(Mutex::new(None)),
        }
    }

    /// The hook the client calls before it sends a statement again: a line naming the failure
    /// and the attempt (above the bar on a terminal); none with `--quiet`.
    pub fn retry_hook(&self) -> Option<RetryHook> {
        if self.mode == Mode::Quiet {
            return None;
        }
        let display = self.clone();
        Some(RetryHook(Arc::new(move |retry: &Retry| {
            display.line(&retry_line(retry));
        })))
    }

    /// Starts a bar of `what` (`reading live state`) on a terminal and returns the reader's
    /// hook that moves it; none when not on a terminal.
    pub fn start(&self, what: &str) -> Option<reader::Progress> {
        if self.mode != Mode::Terminal {
            return None;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} statements {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.lock() = Some(bar.clone());
        Some(Arc::new(move |done: usize, total: usize| {
            bar.set_length(total as u64);
            // Reads finish concurrently and may report out of order: the bar never goes back.
            if done as u64 > bar.position() {
                bar.set_position(done as u64);
            }
        }))
    }

    /// Starts apply's bar on a terminal (statements done of the plan's, and the token whose
    /// secret is being delivered) and returns the executor's observer that moves it; none when
    /// not on a terminal (the report after apply lists every delivery).
    pub fn start_apply(&self, changes: usize, statements: usize) -> Option<ApplyObserver> {
        if self.mode != Mode::Terminal {
            return None;
        }
        let bar =
            ProgressBar::with_draw_target(Some(statements as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                // The token on a line of its own: an address is too long to share a line.
                "{prefix} [{bar:30}] {pos}/{len} statements {elapsed}\n  {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(format!("applying {changes} changes"));
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.lock() = Some(bar.clone());
        Some(Box::new(move |event: Event<'_>| match event {
            Event::Statement { .. } => {
                bar.inc(1);
                // A recovery runs statements the plan did not count.
                if bar.position() > bar.length().unwrap_or(0) {
                    bar.set_length(bar.position());
                }
            }
            Event::Delivering { address } => {
                bar.set_message(format!("delivering {}", one_line(&address.to_string())));
            }
        }))
    }

    /// Ends the bar, leaving nothing of it on the terminal.
    pub fn finish(&self) {
        if let Some(bar) = self.lock().take() {
            bar.finish_and_clear();
        }
    }

    /// Prints one event line: above the bar when one shows, else on its own line.
    fn line(&self, text: &str) {
        match &*self.lock() {
            Some(bar) => bar.suspend(|| write_line(text)),
            None => write_line(text),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.bar.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn write_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

/// `retrying a statement after HTTP 503 (attempt 2 of 6, request 1f3c...)`.
pub fn retry_line(retry: &Retry) -> String {
    format!(
        "retrying a statement after {} (attempt {} of {}, request {})",
        retry.why, retry.attempt, retry.max_attempts, retry.request_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_line_names_the_failure_and_the_attempt() {
        let line = retry_line(&Retry {
            request_id: "r-1".into(),
            why: "HTTP 503".into(),
            attempt: 2,
            max_attempts: 6,
        });
        assert_eq!(
            line,
            "retrying a statement after HTTP 503 (attempt 2 of 6, request r-1)"
        );
    }

    #[test]
    fn quiet_and_plain_show_no_bar_and_quiet_no_retry_line() {
        let quiet = Display::new(Mode::Quiet);
        assert!(quiet.retry_hook().is_none());
        assert!(quiet.start("reading").is_none());
        let plain = Display::new(Mode::Plain);
        assert!(plain.retry_hook().is_some());
        assert!(plain.start("reading").is_none());
    }
}

//! `pat-reconcile sandbox`: runs the local Snowflake emulator until Ctrl-C (or SIGTERM).
//!
//! Prints one line to stdout once the server is bound and ready, e.g.
//! `sandbox listening on http://127.0.0.1:8765 (account SANDBOX, admin token sandbox-admin-…)`;
//! the admin token is shown only when it was generated.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::sandbox::{FaultConfig, Sandbox, SandboxConfig, SandboxError};

/// Options of `pat-reconcile sandbox`.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,
    /// Bearer token of user ADMIN (role ACCOUNTADMIN); generated and printed when omitted
    #[arg(long, value_name = "TOKEN")]
    pub admin_token: Option<String>,
    /// Account identifier that key-pair JWTs must carry
    #[arg(long, value_name = "NAME", default_value = crate::sandbox::DEFAULT_ACCOUNT)]
    pub account: String,
    /// Persist the account to this file after every change, and reload it at start
    #[arg(long = "state", value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Latency added to every statement, in milliseconds
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Execution time of each statement, in milliseconds, on top of the latency: a request of
    /// several statements takes it once per statement
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub statement_ms: u64,
    /// Share (0 to 1) of statement submissions answered 429
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub fault_429_rate: f64,
    /// Share (0 to 1) of statement submissions answered 503
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub fault_503_rate: f64,
    /// Share (0 to 1) of statement submissions whose connection is dropped
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub fault_drop_rate: f64,
    /// Share (0 to 1) of statements that run slowly and answer 202
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub slow_rate: f64,
    /// How long a slow statement runs, in milliseconds
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub slow_ms: u64,
    /// Statements running longer than this answer 202, in milliseconds
    #[arg(long, value_name = "N", default_value_t = 45_000)]
    pub async_threshold_ms: u64,
    /// Rows per result partition
    #[arg(long, value_name = "N", default_value_t = crate::sandbox::DEFAULT_PARTITION_ROWS)]
    pub partition_rows: usize,
    /// Seed of the fault injector's random numbers
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// How far SNOWFLAKE.ACCOUNT_USAGE.CREDENTIALS and LOGIN_HISTORY lag the account: a new
    /// token, a login or a removal shows there only after this much sandbox time (`0`, `90s`,
    /// `30m`, `2h`, `1d`); the default is Snowflake's documented worst case
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = parse_latency)]
    pub account_usage_latency: Duration,
    /// Drop a connection that has not sent a complete request head for this long (`30s`, `2m`)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_latency)]
    pub idle_timeout: Duration,
    /// Seed the demo account that `plan --sandbox` uses (its clock then reads 81 days on)
    #[arg(long)]
    pub demo: bool,
}

/// `0` or a whole number followed by `s`, `m`, `h` or `d`.
fn parse_latency(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit: use s, m, h or d, e.g. `2h`"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a whole number"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`: use s, m, h or d"
            ));
        }
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long"))
}

impl SandboxArgs {
    /// The library configuration these options describe.
    pub fn config(&self) -> SandboxConfig {
        SandboxConfig {
            listen: self.listen,
            admin_token: self.admin_token.clone(),
            account: self.account.clone(),
            state_file: self.state.clone(),
            latency: Duration::from_millis(self.latency_ms),
            statement_time: Duration::from_millis(self.statement_ms),
            faults: FaultConfig {
                rate_429: self.fault_429_rate,
                rate_503: self.fault_503_rate,
                rate_drop: self.fault_drop_rate,
                rate_slow: self.slow_rate,
                slow_duration: Duration::from_millis(self.slow_ms),
                seed: self.seed,
            },
            async_threshold: Duration::from_millis(self.async_threshold_ms),
            partition_rows: self.partition_rows,
            account_usage_latency: self.account_usage_latency,
            idle_timeout: self.idle_timeout,
        }
    }
}

/// Runs the sandbox until interrupted.
pub fn run(args: SandboxArgs) -> Result<(), SandboxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| SandboxError::Runtime { source })?;
    runtime.block_on(async {
        let sandbox = Sandbox::start(args.config()).await?;
        if args.demo {
            super::demo::seed_async(&sandbox).await?;
        }
        let mut line = format!(
            "sandbox listening on {} (account {}",
            sandbox.url(),
            sandbox.account()
        );
        if sandbox.admin_token_generated() {
            line.push_str(&format!(", admin token {}", sandbox.admin_token()));
        }
        line.push(')');
        if sandbox.listens_beyond_loopback() {
            eprintln!(
                "warning: the sandbox listens on `{}`, beyond loopback: anyone who can reach it may try the admin token, and any caller can claim a client address with `X-Sandbox-Client-Ip`\n\nhint: use `--listen 127.0.0.1:PORT` unless other machines must reach it",
                sandbox.address()
            );
        }
        println!("{line}");
        let _ = std::io::stdout().flush();
        let stopped = interrupted().await;
        sandbox.shutdown().await;
        stopped
    })
}

/// Waits for Ctrl-C, or SIGTERM on Unix.
async fn interrupted() -> Result<(), SandboxError> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(|source| SandboxError::Signal { source })?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map_err(|source| SandboxError::Signal { source }),
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .map_err(|source| SandboxError::Signal { source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_take_a_unit() {
        assert_eq!(parse_latency("0"), Ok(Duration::ZERO));
        assert_eq!(parse_latency("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_latency("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_latency("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_latency("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_latency("2").is_err());
        assert!(parse_latency("2w").is_err());
        assert!(parse_latency("h").is_err());
        assert!(parse_latency("-1h").is_err());
    }
}

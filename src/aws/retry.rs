//! How AWS calls are retried. AWS throttles in bursts: under load one operation is refused
//! several times in a row, for a minute or more. Every call is therefore tried up to
//! `ATTEMPTS` times (as Terraform's AWS provider does), after a throttle, a 5xx answer or a
//! connection that brought no answer — throttled requests never took effect, and ecship's
//! writes are safe to send again (client tokens, absolute values, deletes of what is gone).
//! Between attempts the SDK's standard mode waits a random time up to
//! `base × 2^(attempt − 1)`, at most `20 × base` (full jitter: concurrent callers spread
//! out); with the default 1 s base that rides out about three minutes of refusals.
//!
//! One run shares one retry budget (`partition`): 2,500 tokens, 5 a retry after a throttle
//! or an error answer, 10 after a connection without an answer, one back for every call
//! answered at its first attempt. When AWS keeps refusing everything, the budget runs out
//! and calls fail at once instead of each waiting through all its attempts.
//!
//! Each wait is told to the run's `Reporter` (`Event::Waiting`) through `Notices`.
//! `ECSHIP_RETRY_BASE` shortens the base (tests against a local emulator set it); the
//! production default is 1 s.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_smithy_runtime::client::retries::classifiers::run_classifiers_on_ctx;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::classifiers::{RetryAction, RetryReason};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::ErrorKind;

use super::AwsError;
use crate::events::{Event, Reporter};

/// Attempts of one call, the first included.
pub const ATTEMPTS: u32 = 25;
/// The first retry's longest wait, in production.
const BASE: Duration = Duration::from_secs(1);
/// The longest wait before one attempt, in bases.
const CAP: u32 = 20;
/// The variable that shortens the base against an emulator.
pub const BASE_VAR: &str = "ECSHIP_RETRY_BASE";

/// The retry schedule of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base: BASE }
    }
}

impl Backoff {
    /// The schedule `ECSHIP_RETRY_BASE` asks for (a duration: `20ms`, `1s`), or the default.
    pub fn from_env(value: Option<&str>) -> Result<Self, AwsError> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(Self::default()) };
        match humantime::parse_duration(value) {
            Ok(base) if !base.is_zero() && base <= BASE * 60 => Ok(Self { base }),
            _ => Err(AwsError::Other(format!(
                "{BASE_VAR} is `{value}`: expected a duration between 1ms and 1m (e.g. 50ms), or unset it for the default of 1s"
            ))),
        }
    }

    /// The longest wait after attempt `attempt` (from 1) failed.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doubled = self.base.saturating_mul(1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX));
        doubled.min(self.cap())
    }

    fn cap(&self) -> Duration {
        self.base.saturating_mul(CAP)
    }

    /// The SDK's standard retry mode on this schedule.
    pub fn config(&self) -> RetryConfig {
        RetryConfig::standard().with_max_attempts(ATTEMPTS).with_initial_backoff(self.base).with_max_backoff(self.cap())
    }
}

/// One retry budget for every client of a run (the SDK's token bucket, shared through a
/// partition of its own instead of one per service).
pub fn partition() -> RetryPartition {
    let budget = TokenBucket::builder().capacity(2_500).throttling_retry_cost(5).retry_cost(5).timeout_retry_cost(10).build();
    RetryPartition::custom("ecship-run").token_bucket(budget).build()
}

/// Where a run's waits are told: the reporter of the step under way, if it still exists.
#[derive(Clone, Default)]
pub struct Notices(Arc<Mutex<Option<Weak<dyn Reporter>>>>);

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notices")
    }
}

impl Notices {
    /// Tell waits to `r` from now on (until it is dropped).
    pub fn report_to(&self, r: &Arc<dyn Reporter>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(Arc::downgrade(r));
        }
    }

    fn send(&self, e: &Event) {
        let r = self.0.lock().ok().and_then(|slot| slot.as_ref().and_then(Weak::upgrade));
        if let Some(r) = r {
            r.event(e);
        }
    }
}

/// Tells each failed attempt the SDK is about to retry, and how long it may wait.
#[derive(Debug)]
pub(super) struct Waiting {
    pub notices: Notices,
    pub backoff: Backoff,
}

impl Intercept for Waiting {
    fn name(&self) -> &'static str {
        "ecship::Waiting"
    }

    fn read_after_attempt(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !matches!(ctx.inner().output_or_error(), Some(Err(_))) {
            return Ok(());
        }
        let RetryAction::RetryIndicated(RetryReason::RetryableError { kind, .. }) =
            run_classifiers_on_ctx(rc.retry_classifiers(), ctx.inner())
        else {
            return Ok(());
        };
        let attempt = cfg.load::<RequestAttempts>().map_or(1, RequestAttempts::attempts);
        let attempts = cfg.load::<RetryConfig>().map_or(ATTEMPTS, RetryConfig::max_attempts);
        let spent = cfg.load::<TokenBucket>().is_some_and(TokenBucket::is_empty);
        if attempt >= attempts || spent {
            return Ok(());
        }
        let operation = cfg.load::<Metadata>().map_or_else(|| "an AWS call".to_string(), |m| format!("{}.{}", m.service(), m.name()));
        self.notices.send(&Event::Waiting {
            operation,
            reason: reason(kind).to_string(),
            attempt,
            attempts,
            within_ms: u64::try_from(self.backoff.ceiling(attempt).as_millis()).unwrap_or(u64::MAX),
        });
        Ok(())
    }
}

/// What an attempt met, in words.
fn reason(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ThrottlingError => "throttled",
        ErrorKind::ServerError => "server error",
        ErrorKind::TransientError => "no answer",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_the_base_up_to_twenty_bases() {
        let prod = Backoff::from_env(None).expect("default");
        let secs = |attempt| prod.ceiling(attempt).as_secs_f64();
        let cases = [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 16.0), (6, 20.0), (24, 20.0), (40, 20.0)];
        for (attempt, expected) in cases {
            assert_eq!(secs(attempt), expected, "after attempt {attempt}");
        }
        // The ceilings of a whole call: the SDK waits a random share of each.
        let total: f64 = (1..ATTEMPTS).map(secs).sum();
        assert_eq!(total, 411.0, "a call may wait up to ~7 min, half that on average");
        let short = Backoff::from_env(Some("10ms")).expect("10ms");
        assert_eq!(short.ceiling(1), Duration::from_millis(10));
        assert_eq!(short.ceiling(9), Duration::from_millis(200), "20 bases at most");
    }

    #[test]
    fn the_base_comes_from_the_environment_or_is_one_second() {
        let cases = [
            (None, Ok(Duration::from_secs(1))),
            (Some(""), Ok(Duration::from_secs(1))),
            (Some("20ms"), Ok(Duration::from_millis(20))),
            (Some(" 2s "), Ok(Duration::from_secs(2))),
            (Some("0s"), Err(())),
            (Some("2h"), Err(())),
            (Some("fast"), Err(())),
        ];
        for (value, expected) in cases {
            let got = Backoff::from_env(value).map(|b| b.base).map_err(|e| assert!(e.to_string().contains(BASE_VAR), "{e}"));
            assert_eq!(got, expected, "{value:?}");
        }
    }

    #[test]
    fn the_sdk_is_given_the_schedule() {
        let c = Backoff { base: Duration::from_millis(50) }.config();
        assert_eq!((c.max_attempts(), c.initial_backoff(), c.max_backoff()), (25, Duration::from_millis(50), Duration::from_secs(1)));
    }
}

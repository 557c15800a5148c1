//! AWS's clock, as its answers tell it: the `Date` header of every response (RFC 9110 §6.6.1:
//! the time the server made the answer), carried forward on this machine's monotonic clock
//! between answers. Time judged on it — whether the stack's lock is stale — does not depend
//! on this machine's wall clock, so a runner whose clock is minutes off judges as AWS does.
//!
//! Must not decide anything: callers compare.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};

/// AWS's time, shared by every client of one run.
#[derive(Debug, Clone, Default)]
pub struct AwsClock(Arc<Mutex<Option<Told>>>);

/// What the last answer said: AWS's time in seconds since 1970, and when it arrived here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Told {
    secs: u64,
    at: Instant,
}

impl AwsClock {
    /// AWS's time now, in seconds since 1970; `None` until an answer has told it.
    pub fn now(&self) -> Option<u64> {
        self.at(Instant::now())
    }

    /// AWS's time at `at` (on this machine's monotonic clock): the last answer's, plus
    /// what elapsed here since it arrived. Never ahead of AWS by more than the clocks'
    /// drift: the header is truncated to the second and made before it arrives.
    pub fn at(&self, at: Instant) -> Option<u64> {
        let told = (*self.0.lock().ok()?)?;
        Some(told.secs + at.saturating_duration_since(told.at).as_secs())
    }

    /// An answer made at `secs` (AWS's time) arrived at `at`.
    pub fn tell(&self, secs: u64, at: Instant) {
        if let Ok(mut told) = self.0.lock() {
            *told = Some(Told { secs, at });
        }
    }
}

/// Seconds since 1970 of an HTTP `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_date(value: &str) -> Option<u64> {
    let t = DateTime::from_str(value.trim(), Format::HttpDate).ok()?;
    u64::try_from(t.secs()).ok()
}

/// Reads the `Date` of every answer into the run's `AwsClock`.
#[derive(Debug)]
pub(super) struct DateReader(pub AwsClock);

impl Intercept for DateReader {
    fn name(&self) -> &'static str {
        "ecship::AwsClock"
    }

    fn read_before_deserialization(
        &self,
        ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(secs) = ctx.response().headers().get("date").and_then(parse_date) {
            self.0.tell(secs, Instant::now());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn aws_time_is_the_last_answer_carried_forward_on_the_monotonic_clock() {
        let clock = AwsClock::default();
        let t0 = Instant::now();
        assert_eq!(clock.at(t0), None, "nothing told yet");
        // 2024-05-01 12:00:00 UTC, whatever this machine's wall clock says.
        clock.tell(1_714_564_800, t0);
        assert_eq!(clock.at(t0), Some(1_714_564_800));
        assert_eq!(clock.at(t0 + Duration::from_millis(2_999)), Some(1_714_564_802));
        assert_eq!(clock.at(t0 + Duration::from_secs(95)), Some(1_714_564_895));
        // An instant before the answer arrived does not go back before it.
        clock.tell(1_714_564_900, t0 + Duration::from_secs(10));
        assert_eq!(clock.at(t0), Some(1_714_564_900));
    }

    #[test]
    fn http_dates_are_read_as_aws_writes_them() {
        assert_eq!(parse_date("Wed, 01 May 2024 12:00:00 GMT"), Some(1_714_564_800));
        assert_eq!(parse_date(" Sun, 06 Nov 1994 08:49:37 GMT "), Some(784_111_777));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
    }
}

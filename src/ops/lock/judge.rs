//! The lock's two decisions, on AWS's clock (`aws::AwsClock`: the `Date` of AWS's answers)
//! so that no machine's wall clock takes part: whether a lock another run holds is stale
//! (its run is gone: it may be taken over), and whether this run can still count on the
//! lock it holds (its lease). The lease is shorter than staleness by one refresh: a run that
//! cannot prove it holds the lock stops writing a refresh period before any other run may
//! take the lock over. Pure: every time is given.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{HOST, PID, SEEN};

/// How often a holder proves it lives (reads the lock, finds it its own, writes the time).
pub const REFRESH: Duration = Duration::from_secs(30);
/// After how long without a refresh, on AWS's clock, a lock is stale.
pub const STALE: Duration = Duration::from_secs(90);
/// How long after its last proof a holder counts on its lock.
pub const LEASE: Duration = Duration::from_secs(STALE.as_secs() - REFRESH.as_secs());

/// Whether a lock (its tags, and when AWS created the repository) belongs to a run that is
/// gone: its process no longer runs on this machine (`host`), or, by AWS's clock
/// (`aws_now`), it has not been refreshed for `STALE`. A lock without a refresh time yet
/// counts from its creation. Without AWS's time, only a process gone from this machine makes
/// a lock stale.
pub fn stale(held: &BTreeMap<String, String>, created: u64, aws_now: Option<u64>, host: &str, alive: impl Fn(&str) -> bool) -> bool {
    let seen = held.get(SEEN).and_then(|v| v.parse::<u64>().ok()).unwrap_or(created);
    let dead_here = held.get(HOST).is_some_and(|h| h == host) && !alive(held.get(PID).map(String::as_str).unwrap_or(""));
    dead_here || aws_now.is_some_and(|now| now.saturating_sub(seen) > STALE.as_secs())
}

/// The last time a holder proved it holds its lock: when the proving read started, on this
/// machine's monotonic clock, and the refresh time it wrote (AWS's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proof {
    pub at: Instant,
    pub seen: Option<u64>,
}

/// How long a holder has gone without proving it holds its lock, at `now` (this machine's
/// monotonic clock) and `aws_now` (AWS's, as its latest answer tells it): the longer of the
/// two. Its lease holds while this is at most `LEASE`. The monotonic clock covers a run
/// whose calls fail; AWS's covers one that was stopped (a suspended machine, SIGSTOP) and
/// whose answers now tell a later time than its monotonic clock counted.
pub fn silent(proof: Proof, now: Instant, aws_now: Option<u64>) -> Duration {
    let here = now.saturating_duration_since(proof.at);
    let there = match (proof.seen, aws_now) {
        (Some(seen), Some(now)) => Duration::from_secs(now.saturating_sub(seen)),
        _ => Duration::ZERO,
    };
    here.max(there)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_stale_when_its_run_is_gone_by_aws_clock() {
        let tags = |host: &str, pid: &str, seen: u64| -> BTreeMap<String, String> {
            BTreeMap::from([(HOST.to_string(), host.to_string()), (PID.to_string(), pid.to_string()), (SEEN.to_string(), seen.to_string())])
        };
        let alive = |pid: &str| pid == "100";
        // AWS's time now; the refresh times in the tags are AWS's too.
        let aws = 1_700_000_000;
        let created = aws - 5;
        let cases = [
            ("refreshed, its process runs here", tags("here", "100", aws - 10), Some(aws), false),
            ("refreshed, its process is gone from here", tags("here", "200", aws - 10), Some(aws), true),
            ("refreshed, on another machine", tags("there", "200", aws - 10), Some(aws), false),
            ("not refreshed for 90 s, on another machine", tags("there", "200", aws - 90), Some(aws), false),
            ("not refreshed for 91 s, on another machine", tags("there", "200", aws - 91), Some(aws), true),
            ("no tags yet, created 5 s ago", BTreeMap::new(), Some(aws), false),
            ("AWS's time unknown: only a dead process here counts", tags("there", "200", aws - 3_600), None, false),
            ("AWS's time unknown, its process gone from here", tags("here", "200", aws - 10), None, true),
            // The holder's machine and the reader's disagree by minutes: neither clock is read.
            ("refreshed 10 s ago by AWS's clock, whatever the machines' clocks say", tags("there", "200", aws - 10), Some(aws), false),
            ("a refresh time ahead of AWS (a clock-skewed older ecship) is not stale", tags("there", "200", aws + 600), Some(aws), false),
        ];
        for (what, held, now, expected) in cases {
            assert_eq!(stale(&held, created, now, "here", alive), expected, "{what}");
        }
        assert!(stale(&BTreeMap::new(), aws - 91, Some(aws), "here", alive), "no tags, created 91 s ago");
    }

    #[test]
    fn a_holder_counts_on_its_lock_while_both_clocks_say_it_proved_it_lately() {
        let t0 = Instant::now();
        let aws = 1_700_000_000;
        let proof = Proof { at: t0, seen: Some(aws) };
        let s = |d: u64| Duration::from_secs(d);
        let cases = [
            ("just refreshed", t0, Some(aws), s(0)),
            ("one refresh period later", t0 + REFRESH, Some(aws + 30), s(30)),
            ("60 s later on both clocks: the lease's end", t0 + s(60), Some(aws + 60), s(60)),
            ("61 s later here (refreshes failing)", t0 + s(61), Some(aws + 2), s(61)),
            ("5 s here, but AWS says 10 minutes passed (the run was suspended)", t0 + s(5), Some(aws + 600), s(600)),
            ("AWS's time unknown: this machine's monotonic clock alone", t0 + s(20), None, s(20)),
            ("an earlier AWS time than the proof's does not count back", t0 + s(3), Some(aws - 50), s(3)),
        ];
        for (what, now, aws_now, expected) in cases {
            assert_eq!(silent(proof, now, aws_now), expected, "{what}");
        }
        assert_eq!(silent(Proof { at: t0, seen: None }, t0 + s(7), Some(aws + 900)), s(7), "no refresh time written yet");
        assert!(LEASE < STALE && LEASE + REFRESH == STALE, "a holder stops a refresh period before others may take over");
    }
}

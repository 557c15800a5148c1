//! How a two-colour rollout that failed puts its traffic back: each write (the rules'
//! weights, the new colour's count) is tried up to `ROLLBACK_ATTEMPTS` times, waiting longer
//! before each try. The SDK already retries throttling and 5xx answers within one call; these
//! tries outlast what it does not retry — credentials that expired during a long bake, which
//! the SDK's credentials provider resolves afresh on the next call (a web identity token
//! file, SSO, a profile's `credential_process`) — and an outage of a few seconds.

use std::time::Duration;

/// Tries of one rollback write, the first included.
pub const ROLLBACK_ATTEMPTS: u32 = 4;

/// The longest wait between two tries.
const MAX_WAIT: Duration = Duration::from_secs(8);

/// How long to wait before try `attempt` (1 is the first: no wait), doubling from a second.
pub fn backoff(attempt: u32) -> Duration {
    match attempt {
        0 | 1 => Duration::ZERO,
        n => Duration::from_secs(1u64 << (n - 2).min(8)).min(MAX_WAIT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_writes_wait_longer_before_each_try() {
        let cases = [(1, 0), (2, 1), (3, 2), (4, 4), (5, 8), (6, 8), (40, 8)];
        for (attempt, secs) in cases {
            assert_eq!(backoff(attempt), Duration::from_secs(secs), "try {attempt}");
        }
        let total: Duration = (1..=ROLLBACK_ATTEMPTS).map(backoff).sum();
        assert_eq!(total, Duration::from_secs(7), "a rollback gives up after 7 s of waiting");
    }
}

//! A lock while its run holds it: refreshed every `REFRESH` by a task of its own, which
//! notes when the run last proved it holds the lock and whether another run took it; and
//! checked by the run before each batch of writes (`ensure_held`), which stops the run when
//! it can no longer prove it holds the lock.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::judge::{silent, Proof, LEASE, REFRESH};
use super::{Holder, LockError, HOLDER, SEEN};
use crate::aws::ecr::{Ecr, Marker};
use crate::aws::{AwsClock, AwsError};

/// What a run checks before it writes: the lock it holds, or nothing for a run that takes
/// none (a deploy with nothing to write).
#[derive(Clone)]
pub struct Held(Option<Arc<Shared>>);

/// The lock of one run, shared by the run and its refresh task.
pub(super) struct Shared {
    stack: String,
    ecr: Ecr,
    name: String,
    arn: String,
    me: Holder,
    clock: AwsClock,
    state: Mutex<State>,
}

struct State {
    proof: Proof,
    /// Set once a read found the lock another run's (`Some`) or gone (`None`).
    lost: Option<Option<Taker>>,
    /// Why the last refresh failed, if it did.
    failure: Option<String>,
}

/// The run that holds the lock now, and since when (AWS's clock).
#[derive(Clone)]
struct Taker {
    holder: String,
    at: u64,
}

impl Shared {
    pub(super) fn new(stack: &str, ecr: Ecr, name: &str, arn: String, me: Holder, clock: AwsClock, proof: Proof) -> Self {
        let state = Mutex::new(State { proof, lost: None, failure: None });
        Shared { stack: stack.to_string(), ecr, name: name.to_string(), arn, me, clock, state }
    }

    // Nothing panics while holding the state; were it poisoned, it is read as it stands.
    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    fn snapshot(&self) -> (Proof, Option<Option<Taker>>, Option<String>) {
        let s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (s.proof, s.lost.clone(), s.failure.clone())
    }

    /// A read of the lock that found it not this run's: who has it, if anyone.
    fn lose(&self, found: Option<Marker>) -> Option<Taker> {
        let taker = found.map(|m| Taker { holder: m.tags.get(HOLDER).cloned().unwrap_or_else(|| "unknown".into()), at: m.created });
        self.update(|s| s.lost = Some(taker.clone()));
        taker
    }

    fn lost_error(&self, taker: Option<Taker>, before: &str) -> LockError {
        let (stack, before) = (self.stack.clone(), before.to_string());
        match taker {
            Some(t) => LockError::Lost { stack, holder: t.holder, at: aws_time(t.at), before },
            None => LockError::Gone { stack, before },
        }
    }

    /// One refresh: read the lock; when it is still this run's, write AWS's time on it. A
    /// lock found another run's (or gone) is lost; a failure is noted.
    async fn refresh_once(&self) {
        let started = Instant::now();
        let failure = match self.ecr.marker(&self.name).await {
            Ok(Some(m)) if self.me.owns(&m.tags) => match self.renew(started).await {
                Ok(()) => return,
                Err(e) => e,
            },
            Ok(found) => {
                self.lose(found);
                return;
            }
            Err(e) => e.to_string(),
        };
        self.update(|s| s.failure = Some(failure));
    }

    /// Write AWS's time on a lock just read as this run's (the read started at `started`).
    async fn renew(&self, started: Instant) -> Result<(), String> {
        let seen = self.clock.now().ok_or("AWS's answers carry no Date header to tell its time")?;
        self.ecr.tag(&self.arn, SEEN, &seen.to_string()).await.map_err(|e| e.to_string())?;
        self.update(|s| (s.proof, s.failure) = (Proof { at: started, seen: Some(seen) }, None));
        Ok(())
    }
}

impl Held {
    pub(super) fn new(shared: Shared) -> Self {
        Held(Some(Arc::new(shared)))
    }

    /// For a run that takes no lock because it writes nothing.
    pub fn none() -> Self {
        Held(None)
    }

    /// Stop the run (an error naming `before`, the writes it was about to make) unless it can
    /// still prove it holds the stack's lock: no read found it another run's, and its last
    /// refresh is within the lease on this machine's monotonic clock and on AWS's. Past the
    /// lease, the lock is read: another run's, the run stops naming it; still this run's —
    /// no other run held it since, as taking a lock over replaces its repository — it is
    /// refreshed there and then, and the run goes on only if that succeeds.
    pub async fn ensure_held(&self, before: &str) -> Result<(), LockError> {
        let Some(s) = &self.0 else { return Ok(()) };
        let (proof, lost, failure) = s.snapshot();
        if let Some(taker) = lost {
            return Err(s.lost_error(taker, before));
        }
        let quiet = silent(proof, Instant::now(), s.clock.now());
        if quiet <= LEASE {
            return Ok(());
        }
        let started = Instant::now();
        let why = match s.ecr.marker(&s.name).await {
            Ok(Some(m)) if s.me.owns(&m.tags) => match s.renew(started).await {
                Ok(()) => return Ok(()),
                Err(e) => format!(" ({})", failure.unwrap_or(e)),
            },
            Ok(found) => return Err(s.lost_error(s.lose(found), before)),
            Err(e) => format!(" ({e})"),
        };
        let silent = humantime::format_duration(Duration::from_secs(quiet.as_secs())).to_string();
        Err(LockError::Lapsed { stack: s.stack.clone(), silent, why, before: before.to_string() })
    }

    /// Refresh the lock every `REFRESH` until it is found lost (the task is aborted when the
    /// run ends). A failed refresh is tried again at the next: only the lease running out
    /// stops the run.
    pub(super) async fn refresh(self) {
        let Some(s) = self.0 else { return };
        loop {
            tokio::time::sleep(REFRESH).await;
            s.refresh_once().await;
            if s.snapshot().1.is_some() {
                return;
            }
        }
    }

    /// Delete the lock, if it is still this run's.
    pub(super) async fn release(&self) -> Result<(), AwsError> {
        let Some(s) = &self.0 else { return Ok(()) };
        match s.ecr.marker(&s.name).await? {
            Some(m) if s.me.owns(&m.tags) => s.ecr.delete_marker(&s.name).await,
            _ => Ok(()),
        }
    }
}

/// A time AWS told, for people: `2024-05-01T12:00:00Z`.
fn aws_time(secs: u64) -> String {
    if secs == 0 {
        return "a time AWS did not tell".to_string();
    }
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_aws_told_read_as_utc() {
        assert_eq!(super::aws_time(1_714_564_800), "2024-05-01T12:00:00Z");
        assert_eq!(super::aws_time(0), "a time AWS did not tell");
    }
}

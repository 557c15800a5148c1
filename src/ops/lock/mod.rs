//! One writing run per stack at a time. A run about to change a stack (deploy, rollback,
//! destroy, scale) takes the stack's lock: an empty ECR repository `ecship-lock/STACK`, which
//! only one caller can create, tagged with who holds it and refreshed every 30 s while the
//! run lives (`held`). A second run finds it and stops before writing anything, naming the
//! holder. A lock whose holder died (not refreshed for 90 s by AWS's clock, or its process
//! gone on this machine) is taken over, so a killed run never blocks the next for long.
//!
//! Every time is AWS's (`judge`): the refresh time a holder writes and the "now" a reader
//! compares it with both come from the `Date` of AWS's answers, so a runner whose clock is
//! minutes off can neither take a live lock nor keep one it lost. A holder that can no longer
//! prove it holds the lock — another run took it over, or the lock could not be refreshed for
//! its lease — stops before its next batch of writes (`Held::ensure_held`, called before
//! each step that writes).
//!
//! `acquire_unchanged` takes it for a run planned from deployed state, and makes sure that
//! state did not move in between (reading again the stacks and services, and the task
//! definitions of services that changed since the plan read them); `release` lets it go at
//! the end of every run.

mod held;
mod judge;

pub use held::Held;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::aws::ecr::{Ecr, Marker};
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter};
use crate::model::Model;
use crate::observe::{observe, revisions, Observed, Wanted};
use crate::plan;
use judge::{stale, Proof};

const HOLDER: &str = "ecship:lock-holder";
const STARTED: &str = "ecship:lock-started";
/// The holder's last refresh, in seconds since 1970 by AWS's clock.
const SEEN: &str = "ecship:lock-seen";
const HOST: &str = "ecship:lock-host";
const PID: &str = "ecship:lock-pid";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("stack {stack} is being changed by another ecship run ({holder}, started {started} ago, last seen {seen} ago): nothing was changed — wait for it to finish, then run this again")]
    Held { stack: String, holder: String, started: String, seen: String },
    #[error("stack {stack} changed after it was read (another run finished in between): nothing was changed — run this again to plan from what is there now")]
    Changed { stack: String },
    #[error("another run ({holder}) took the lock of stack {stack} at {at}: this run stopped before {before}; nothing more was written — see what that run does (`ecship status`), and run this again once it is done")]
    Lost { stack: String, holder: String, at: String, before: String },
    #[error("the lock of stack {stack} is no longer this run's (another run took it over, and has let it go): this run stopped before {before}; nothing more was written — run this again to carry on from what is deployed")]
    Gone { stack: String, before: String },
    #[error("this run could not renew the lock of stack {stack} for {silent}{why}: another run may take it over, so this run stopped before {before}; nothing more was written — run this again once AWS answers")]
    Lapsed { stack: String, silent: String, why: String, before: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// A held lock; `release` it when the run ends (a dropped one goes stale on its own).
pub struct Lock {
    held: Held,
    refresh: tokio::task::JoinHandle<()>,
}

/// The lock's repository name. ECR names are lower case, with single separators between
/// letters and digits, so a stack name is folded to that (two names folding alike share a
/// lock, which only makes them wait for each other).
pub fn name(stack: &str) -> String {
    let folded: Vec<String> =
        stack.to_ascii_lowercase().split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    let folded = if folded.is_empty() { "stack".to_string() } else { folded.join("-") };
    format!("ecship-lock/{folded}")
}

/// Take the stack's lock for a run planned from deployed state whose fingerprint is `state`,
/// and make sure nothing changed in between (another run may have finished there).
pub async fn acquire_unchanged(aws: &Aws, m: &Model, state: &str, wanted: &[Wanted<'_>], planned: &Observed) -> Result<Lock, LockError> {
    let stack = m.stack.as_str();
    let lock = acquire(aws, stack).await?;
    let now = match observe(aws, stack).await {
        Ok(mut o) => revisions(aws, &mut o, wanted, 16, Some(planned)).await.map(|()| o),
        Err(e) => Err(e),
    };
    match now {
        Ok(o) if plan::state_fingerprint(&o) == state => Ok(lock),
        other => {
            let _ = lock.release_quietly().await;
            Err(match other {
                Err(e) => e.into(),
                Ok(_) => LockError::Changed { stack: stack.to_string() },
            })
        }
    }
}

/// Release a run's lock; one that cannot be released goes stale on its own, which is said.
pub async fn release(lock: Lock, r: &dyn Reporter) {
    if let Err(e) = lock.release_quietly().await {
        r.event(&Event::Warning { message: format!("the stack's lock was not released ({e}); the next run takes it over after 90 s") });
    }
}

/// Whether a run holds the stack's lock now (a stale lock holds nothing back).
pub async fn taken(aws: &Aws, stack: &str) -> Result<bool, AwsError> {
    let Some(m) = Ecr::new(aws).marker(&name(stack)).await? else { return Ok(false) };
    Ok(!stale(&m.tags, m.created, aws.clock().now(), &machine(), process_alive))
}

/// Take the stack's lock, or say who holds it.
pub async fn acquire(aws: &Aws, stack: &str) -> Result<Lock, LockError> {
    let ecr = Ecr::new(aws);
    let name = name(stack);
    let me = Holder { host: machine(), pid: std::process::id().to_string(), started: local_now().to_string() };
    // Twice at most: once more after taking over a stale lock.
    for _ in 0..2 {
        let asked = Instant::now();
        // The refresh time is AWS's, from an earlier answer; without one yet, the
        // repository's creation time stands for it.
        let seen = aws.clock().now();
        let mut tags = vec![(HOLDER, holder()), (STARTED, me.started.clone()), (HOST, me.host.clone()), (PID, me.pid.clone())];
        tags.extend(seen.map(|s| (SEEN, s.to_string())));
        if let Some(made) = ecr.create_marker(&name, &tags).await? {
            let proof = Proof { at: asked, seen: seen.or(Some(made.created).filter(|c| *c > 0)) };
            return Ok(Lock::start(aws, stack, &ecr, &name, made.arn, me, proof));
        }
        let Some(found) = ecr.marker(&name).await? else { continue };
        // Ours: a CreateRepository whose answer was lost and that the SDK sent again.
        if me.owns(&found.tags) {
            let proof = Proof { at: asked, seen: seen.or(Some(found.created).filter(|c| *c > 0)) };
            return Ok(Lock::start(aws, stack, &ecr, &name, found.arn, me, proof));
        }
        let aws_now = aws.clock().now();
        if stale(&found.tags, found.created, aws_now, &me.host, process_alive) {
            // Only if it is still the lock judged stale: another run may have taken it over
            // since (a small window remains; ECR has no conditional delete).
            if ecr.marker(&name).await?.is_some_and(|again| again.tags == found.tags) {
                ecr.delete_marker(&name).await?;
            }
            continue;
        }
        return Err(held_by(stack, &found, aws_now.unwrap_or_else(local_now)));
    }
    Err(LockError::Aws(AwsError::Other(format!("the lock of stack {stack} ({name}) kept changing hands: run this again"))))
}

/// Who holds a live lock, and since when, by AWS's clock.
fn held_by(stack: &str, found: &Marker, now: u64) -> LockError {
    let seen = found.tags.get(SEEN).and_then(|v| v.parse::<u64>().ok()).unwrap_or(found.created);
    let ago = |t: u64| humantime::format_duration(Duration::from_secs(now.saturating_sub(t))).to_string();
    LockError::Held {
        stack: stack.to_string(),
        holder: found.tags.get(HOLDER).cloned().unwrap_or_else(|| "unknown".into()),
        started: ago(found.created),
        seen: ago(seen),
    }
}

/// Who a lock says holds it: machine, process, start time.
#[derive(Clone)]
struct Holder {
    host: String,
    pid: String,
    started: String,
}

impl Holder {
    fn owns(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(HOST) == Some(&self.host) && tags.get(PID) == Some(&self.pid) && tags.get(STARTED) == Some(&self.started)
    }
}

impl Lock {
    fn start(aws: &Aws, stack: &str, ecr: &Ecr, name: &str, arn: String, me: Holder, proof: Proof) -> Self {
        let held = Held::new(held::Shared::new(stack, ecr.clone(), name, arn, me, aws.clock().clone(), proof));
        let refresh = tokio::spawn(held.clone().refresh());
        Lock { held, refresh }
    }

    /// What the run's steps check before they write.
    pub fn held(&self) -> Held {
        self.held.clone()
    }

    /// Delete the lock, if it is still this run's.
    async fn release_quietly(self) -> Result<(), AwsError> {
        self.refresh.abort();
        self.held.release().await
    }
}

/// This machine's clock: only to tell runs of one process apart (`STARTED`), and to show
/// ages when AWS has not told its time.
fn local_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Who holds it, in the characters ECR allows in a tag value.
fn holder() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "someone".into());
    let mut who = format!("{user}@{} pid {}", hostname(), std::process::id());
    if let (Ok(repo), Ok(run)) = (std::env::var("GITHUB_REPOSITORY"), std::env::var("GITHUB_RUN_ID")) {
        who.push_str(&format!(" GitHub Actions {repo} run {run}"));
    }
    tag_value(&who)
}

/// This machine, as precisely as it can be told: the host name, the boot and the process-id
/// namespace (containers sharing a host name do not share these), in tag-value characters.
fn machine() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|b| b.trim().chars().take(8).collect::<String>())
        .unwrap_or_default();
    let pid_ns = std::fs::read_link("/proc/self/ns/pid")
        .map(|l| l.to_string_lossy().chars().filter(char::is_ascii_digit).collect::<String>())
        .unwrap_or_default();
    tag_value(&format!("{} {boot} {pid_ns}", hostname()))
}

/// Only the characters ECR allows in a tag value, at most 256.
fn tag_value(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || " _.:/=+-@".contains(*c)).take(256).collect::<String>().trim().to_string()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// Whether a process of this machine still runs (Linux: it has a /proc entry). Where that
/// cannot be told, it is taken to run, and only the refresh time decides.
fn process_alive(pid: &str) -> bool {
    if pid.is_empty() || !std::path::Path::new("/proc/self").exists() {
        return true;
    }
    std::path::Path::new("/proc").join(pid).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_are_valid_ecr_repository_names() {
        assert_eq!(name("mysfits"), "ecship-lock/mysfits");
        assert_eq!(name("Shop-API"), "ecship-lock/shop-api");
        assert_eq!(name("a--b-"), "ecship-lock/a-b");
        assert_eq!(name("--"), "ecship-lock/stack");
    }

    #[test]
    fn the_holder_fits_in_a_tag_value() {
        let who = holder();
        assert!(!who.is_empty() && who.len() <= 256, "{who}");
        assert!(who.chars().all(|c| c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c)), "{who}");
    }
}

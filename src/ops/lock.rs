//! One writing run per stack at a time. A run about to change a stack (deploy, rollback,
//! destroy) takes the stack's lock: an empty ECR repository `ecship-lock/STACK`, which only
//! one caller can create, tagged with who holds it and refreshed every 30 s while the run
//! lives. A second run finds it and stops before writing anything, naming the holder. A lock
//! whose holder died (not refreshed for 90 s, or its process gone on this machine) is taken
//! over, so a killed run never blocks the next for long.
//!
//! `acquire_unchanged` takes it for a run planned from deployed state, and makes sure that
//! state did not move in between (reading again the stacks and services, and the task
//! definitions of services that changed since the plan read them); `release` lets it go at
//! the end of every run.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::aws::ecr::Ecr;
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter};
use crate::model::Model;
use crate::observe::{observe, revisions, Observed, Wanted};
use crate::plan;

const HOLDER: &str = "ecship:lock-holder";
const STARTED: &str = "ecship:lock-started";
const SEEN: &str = "ecship:lock-seen";
const HOST: &str = "ecship:lock-host";
const PID: &str = "ecship:lock-pid";
/// How often a holder says it is alive, and after how long without that its lock is stale.
const REFRESH: Duration = Duration::from_secs(30);
const STALE: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("stack {stack} is being changed by another ecship run ({holder}, started {started} ago, last seen {seen} ago): nothing was changed — wait for it to finish, then run this again")]
    Held { stack: String, holder: String, started: String, seen: String },
    #[error("stack {stack} changed after it was read (another run finished in between): nothing was changed — run this again to plan from what is there now")]
    Changed { stack: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// A held lock; `release` it when the run ends (a dropped one goes stale on its own).
pub struct Lock {
    ecr: Ecr,
    name: String,
    refresh: tokio::task::JoinHandle<()>,
    me: Holder,
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
    let Some((_, held, created)) = Ecr::new(aws).marker(&name(stack)).await? else { return Ok(false) };
    Ok(!stale(&held, created, now(), &machine(), process_alive))
}

/// Take the stack's lock, or say who holds it.
pub async fn acquire(aws: &Aws, stack: &str) -> Result<Lock, LockError> {
    let ecr = Ecr::new(aws);
    let name = name(stack);
    let now = now();
    let me = Holder { host: machine(), pid: std::process::id().to_string(), started: now.to_string() };
    let tags = [(HOLDER, holder()), (STARTED, me.started.clone()), (SEEN, now.to_string()), (HOST, me.host.clone()), (PID, me.pid.clone())];
    // Twice at most: once more after taking over a stale lock.
    for _ in 0..2 {
        if let Some(arn) = ecr.create_marker(&name, &tags).await? {
            return Ok(Lock::held(ecr, name, arn, me));
        }
        let Some((arn, held, created)) = ecr.marker(&name).await? else { continue };
        // Ours: a CreateRepository whose answer was lost and that the SDK sent again.
        if me.owns(&held) {
            return Ok(Lock::held(ecr, name, arn, me));
        }
        if stale(&held, created, now, &me.host, process_alive) {
            // Only if it is still the lock judged stale: another run may have taken it over
            // since (a small window remains; ECR has no conditional delete).
            if ecr.marker(&name).await?.is_some_and(|(_, again, _)| again == held) {
                ecr.delete_marker(&name).await?;
            }
            continue;
        }
        let number = |k: &str| held.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(created);
        let ago = |t: u64| humantime::format_duration(Duration::from_secs(now.saturating_sub(t))).to_string();
        return Err(LockError::Held {
            stack: stack.to_string(),
            holder: held.get(HOLDER).cloned().unwrap_or_else(|| "unknown".into()),
            started: ago(number(STARTED)),
            seen: ago(number(SEEN)),
        });
    }
    Err(LockError::Aws(AwsError::Other(format!("the lock of stack {stack} ({name}) kept changing hands: run this again"))))
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

/// Whether a lock (its tags, and when the repository was created) belongs to a run that is
/// gone: its process no longer runs on this machine, or it has not been refreshed for
/// `STALE`. A lock without a refresh time yet counts from its creation.
fn stale(held: &BTreeMap<String, String>, created: u64, now: u64, host: &str, alive: impl Fn(&str) -> bool) -> bool {
    let seen = held.get(SEEN).and_then(|v| v.parse::<u64>().ok()).unwrap_or(created);
    let dead_here = held.get(HOST).is_some_and(|h| h == host) && !alive(held.get(PID).map(String::as_str).unwrap_or(""));
    dead_here || now.saturating_sub(seen) > STALE.as_secs()
}

impl Lock {
    fn held(ecr: Ecr, name: String, arn: String, me: Holder) -> Self {
        let refresh = tokio::spawn(refresh(ecr.clone(), name.clone(), arn, me.clone()));
        Lock { ecr, name, refresh, me }
    }

    /// Delete the lock, if it is still this run's.
    async fn release_quietly(self) -> Result<(), AwsError> {
        self.refresh.abort();
        match self.ecr.marker(&self.name).await? {
            Some((_, tags, _)) if self.me.owns(&tags) => self.ecr.delete_marker(&self.name).await,
            _ => Ok(()),
        }
    }
}

/// Say every `REFRESH` that the run lives, while the lock is still its own.
async fn refresh(ecr: Ecr, name: String, arn: String, me: Holder) {
    loop {
        tokio::time::sleep(REFRESH).await;
        match ecr.marker(&name).await {
            Ok(Some((_, tags, _))) if !me.owns(&tags) => return,
            Ok(None) => return,
            // A failed refresh is tried again at the next; only a long silence makes the lock stale.
            _ => {
                let _ = ecr.tag(&arn, SEEN, &now().to_string()).await;
            }
        }
    }
}

fn now() -> u64 {
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
    fn a_lock_is_stale_when_its_run_is_gone() {
        let tags = |host: &str, pid: &str, seen: u64| -> BTreeMap<String, String> {
            BTreeMap::from([(HOST.to_string(), host.to_string()), (PID.to_string(), pid.to_string()), (SEEN.to_string(), seen.to_string())])
        };
        let alive = |pid: &str| pid == "100";
        let now = 10_000;
        let created = now - 5;
        let cases = [
            ("refreshed, its process runs here", tags("here", "100", now - 10), false),
            ("refreshed, its process is gone from here", tags("here", "200", now - 10), true),
            ("refreshed, on another machine", tags("there", "200", now - 10), false),
            ("not refreshed for 90 s, on another machine", tags("there", "200", now - 90), false),
            ("not refreshed for 91 s, on another machine", tags("there", "200", now - 91), true),
            ("no tags yet, created 5 s ago", BTreeMap::new(), false),
        ];
        for (what, held, expected) in cases {
            assert_eq!(stale(&held, created, now, "here", alive), expected, "{what}");
        }
        assert!(stale(&BTreeMap::new(), now - 91, now, "here", alive), "no tags, created 91 s ago");
    }

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

//! Waiting for ECS rollouts: every changed service is watched in the same polling loop (one
//! batched DescribeServices per round, so services progress concurrently), each with its own
//! deadline, passing progress and new service events on. Where a rollout stands is decided
//! by `rollout::assess`; a revision whose tasks crash-loop fails at once (`rollout::crash_loop`),
//! without waiting for ECS's circuit breaker, and so does one whose alarms go to ALARM
//! (`alarms`), read on every tick.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::alarms::Alarms;
use crate::aws::ecs::Ecs;
use crate::aws::AwsError;
use crate::events::{Event, Reporter, RolloutEnd};
use crate::rollout::{assess, crash_loop, crashed, Assessment, Outcome};
use crate::workload::{revision_name, ServiceState, StoppedTask};

/// One rollout to watch.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The ECS service.
    pub name: String,
    pub task_definition: String,
    pub timeout: Duration,
}

/// Watch every rollout until it settles or its deadline passes.
pub async fn wait_all(
    ecs: &Ecs,
    cluster: &str,
    watches: &[Watch],
    alarms: &Alarms,
    r: &dyn Reporter,
) -> Result<BTreeMap<String, Outcome>, AwsError> {
    let started = Instant::now();
    let mut outcomes = BTreeMap::new();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut last: BTreeMap<String, (u32, u32, usize, Option<String>)> = BTreeMap::new();
    // Failed tasks of each rollout seen so far, and the stopped tasks reported.
    let mut failures: BTreeMap<String, u32> = BTreeMap::new();
    let mut stopped: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut delay = Duration::from_millis(500);
    loop {
        let pending: Vec<&Watch> = watches.iter().filter(|w| !outcomes.contains_key(&w.name)).collect();
        if pending.is_empty() {
            return Ok(outcomes);
        }
        let names: Vec<String> = pending.iter().map(|w| w.name.clone()).collect();
        let states: BTreeMap<String, ServiceState> =
            ecs.describe_services(cluster, &names).await?.into_iter().map(|s| (s.name.clone(), s)).collect();
        let tripped = alarms.tripped(&names.iter().map(String::as_str).collect::<Vec<_>>()).await?;
        for w in pending {
            let Some(s) = states.get(&w.name) else {
                let reason = "the service no longer exists".to_string();
                outcomes.insert(w.name.clone(), Outcome::Failed { reason, rolled_back: false, stopped: vec![] });
                continue;
            };
            report_news(s, &mut seen, &mut last, r);
            if let Some(reason) = tripped.get(&w.name) {
                r.event(&Event::Rollout { service: w.name.clone(), outcome: RolloutEnd::Failed, detail: Some(reason.clone()) });
                outcomes.insert(w.name.clone(), Outcome::Failed { reason: reason.clone(), rolled_back: false, stopped: vec![] });
                continue;
            }
            let assessed = assess(s, &w.task_definition);
            let failed = failed_tasks(s, &w.task_definition);
            if assessed == Assessment::InProgress && failed > *failures.get(&w.name).unwrap_or(&0) {
                failures.insert(w.name.clone(), failed);
                let known = stopped.entry(w.name.clone()).or_default();
                if let Some(outcome) = stopped_news(ecs, cluster, w, s, known, r).await? {
                    outcomes.insert(w.name.clone(), outcome);
                    continue;
                }
            }
            match assessed {
                Assessment::Stable => {
                    r.event(&Event::Rollout { service: w.name.clone(), outcome: RolloutEnd::Stable, detail: None });
                    outcomes.insert(w.name.clone(), Outcome::Stable);
                }
                Assessment::Failed { reason, rolled_back } => {
                    let stopped = ecs.stopped_tasks(cluster, &w.name, &w.task_definition).await?;
                    let outcome = if rolled_back { RolloutEnd::RolledBack } else { RolloutEnd::Failed };
                    r.event(&Event::Rollout { service: w.name.clone(), outcome, detail: Some(reason.clone()) });
                    outcomes.insert(w.name.clone(), Outcome::Failed { reason, rolled_back, stopped });
                }
                Assessment::InProgress if started.elapsed() >= w.timeout => {
                    let waited_secs = started.elapsed().as_secs();
                    r.event(&Event::Rollout { service: w.name.clone(), outcome: RolloutEnd::TimedOut, detail: None });
                    outcomes.insert(w.name.clone(), Outcome::TimedOut { waited_secs });
                }
                Assessment::InProgress => {}
            }
        }
        if outcomes.len() < watches.len() {
            tokio::time::sleep(delay).await;
            delay = (delay * 3 / 2).min(Duration::from_secs(6));
        }
    }
}

/// The root cause as soon as ECS counts a failed task, not when its circuit breaker or the
/// timeout ends the rollout: each stopped task not `known` yet reported with its reason, and
/// the rollout failed at once when they show a crash loop (`rollout::crash_loop`). Rolling
/// back is the caller's: the outcome says it did not happen.
pub(crate) async fn stopped_news(
    ecs: &Ecs,
    cluster: &str,
    w: &Watch,
    s: &ServiceState,
    known: &mut BTreeSet<String>,
    r: &dyn Reporter,
) -> Result<Option<Outcome>, AwsError> {
    let all = ecs.stopped_tasks(cluster, &w.name, &w.task_definition).await?;
    for t in &all {
        if known.insert(t.id.clone()) {
            let id = t.id.get(..8).unwrap_or(&t.id);
            let message = format!("{}: task {id} of {} stopped: {}", w.name, revision_name(&t.task_definition), t.reason);
            r.event(&Event::Warning { message });
        }
    }
    let crashes: Vec<StoppedTask> = all.into_iter().filter(crashed).collect();
    let reasons: Vec<String> = crashes.iter().map(|t| t.reason.clone()).collect();
    let tasks = s.deployments.iter().find(|d| d.task_definition == w.task_definition).map_or(s.desired, |d| d.desired);
    let Some(reason) = crash_loop(&reasons, tasks) else { return Ok(None) };
    r.event(&Event::Rollout { service: w.name.clone(), outcome: RolloutEnd::Failed, detail: Some(reason.clone()) });
    Ok(Some(Outcome::Failed { reason, rolled_back: false, stopped: crashes }))
}

/// Tasks ECS counts as failed in the deployment of `task_definition`.
pub(crate) fn failed_tasks(s: &ServiceState, task_definition: &str) -> u32 {
    s.deployments.iter().filter(|d| d.task_definition == task_definition).map(|d| d.failed_tasks).sum()
}

/// Progress when it changed, and ECS service events not seen before (the first read only
/// marks the old ones as seen).
pub(crate) fn report_news(
    s: &ServiceState,
    seen: &mut BTreeMap<String, BTreeSet<String>>,
    last: &mut BTreeMap<String, (u32, u32, usize, Option<String>)>,
    r: &dyn Reporter,
) {
    let rollout = s.primary().and_then(|d| d.rollout_state.as_ref()).map(ToString::to_string);
    let now = (s.running, s.desired, s.deployments.len(), rollout.clone());
    if last.get(&s.name) != Some(&now) {
        r.event(&Event::Progress {
            service: s.name.clone(),
            running: s.running,
            desired: s.desired,
            deployments: s.deployments.len(),
            rollout,
        });
        last.insert(s.name.clone(), now);
    }
    let first = !seen.contains_key(&s.name);
    let ids = seen.entry(s.name.clone()).or_default();
    for e in s.events.iter().rev() {
        if ids.insert(e.id.clone()) && !first {
            r.event(&Event::ServiceMessage { service: s.name.clone(), message: e.message.clone() });
        }
    }
}

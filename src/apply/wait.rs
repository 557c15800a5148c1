//! Waiting for ECS rollouts: every changed service is watched in the same polling loop (one
//! batched DescribeServices per round, so services progress concurrently), each with its own
//! deadline, passing progress and new service events on.
//!
//! `assess` is the pure decision: given what ECS reports, is the rollout of a task
//! definition done, still going, or failed?

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::aws::ecs::Ecs;
use crate::aws::AwsError;
use crate::events::{Event, Reporter};
use crate::workload::{revision_name, ServiceState, StoppedTask};

/// One rollout to watch.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The ECS service.
    pub name: String,
    pub task_definition: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Stable,
    /// ECS gave up on the rollout; `rolled_back` when the service runs the previous revision again.
    Failed {
        reason: String,
        rolled_back: bool,
        stopped: Vec<StoppedTask>,
    },
    TimedOut {
        waited_secs: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Assessment {
    InProgress,
    Stable,
    Failed { reason: String, rolled_back: bool },
}

/// Where the rollout of `task_definition` stands.
pub fn assess(s: &ServiceState, task_definition: &str) -> Assessment {
    if s.status != "ACTIVE" {
        return Assessment::Failed { reason: format!("the service is {}", s.status), rolled_back: false };
    }
    let other_primary = s.deployments.iter().any(|d| d.status == "PRIMARY" && d.task_definition != task_definition);
    let Some(ours) = s.deployments.iter().find(|d| d.task_definition == task_definition) else {
        return Assessment::Failed {
            reason: format!(
                "ECS replaced the deployment of {} with one of {}",
                revision_name(task_definition),
                revision_name(&s.task_definition)
            ),
            rolled_back: true,
        };
    };
    if ours.rollout_state.as_deref() == Some("FAILED") {
        let reason = ours.rollout_reason.clone().unwrap_or_else(|| "the deployment failed".into());
        return Assessment::Failed { reason, rolled_back: other_primary };
    }
    let settled = ours.rollout_state.as_deref().is_none_or(|r| r == "COMPLETED");
    if ours.status == "PRIMARY" && settled && s.deployments.len() == 1 && s.running == s.desired {
        return Assessment::Stable;
    }
    Assessment::InProgress
}

/// Watch every rollout until it settles or its deadline passes.
pub async fn wait_all(ecs: &Ecs, cluster: &str, watches: &[Watch], r: &dyn Reporter) -> Result<BTreeMap<String, Outcome>, AwsError> {
    let started = Instant::now();
    let mut outcomes = BTreeMap::new();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut last: BTreeMap<String, (u32, u32, usize, Option<String>)> = BTreeMap::new();
    let mut delay = Duration::from_millis(500);
    loop {
        let pending: Vec<&Watch> = watches.iter().filter(|w| !outcomes.contains_key(&w.name)).collect();
        if pending.is_empty() {
            return Ok(outcomes);
        }
        let names: Vec<String> = pending.iter().map(|w| w.name.clone()).collect();
        let states: BTreeMap<String, ServiceState> =
            ecs.describe_services(cluster, &names).await?.into_iter().map(|s| (s.name.clone(), s)).collect();
        for w in pending {
            let Some(s) = states.get(&w.name) else {
                let reason = "the service no longer exists".to_string();
                outcomes.insert(w.name.clone(), Outcome::Failed { reason, rolled_back: false, stopped: vec![] });
                continue;
            };
            report_news(s, &mut seen, &mut last, r);
            match assess(s, &w.task_definition) {
                Assessment::Stable => {
                    r.event(&Event::Rollout { service: w.name.clone(), outcome: "stable", detail: None });
                    outcomes.insert(w.name.clone(), Outcome::Stable);
                }
                Assessment::Failed { reason, rolled_back } => {
                    let stopped = ecs.stopped_tasks(cluster, &w.name, &w.task_definition).await?;
                    let outcome = if rolled_back { "rolled_back" } else { "failed" };
                    r.event(&Event::Rollout { service: w.name.clone(), outcome, detail: Some(reason.clone()) });
                    outcomes.insert(w.name.clone(), Outcome::Failed { reason, rolled_back, stopped });
                }
                Assessment::InProgress if started.elapsed() >= w.timeout => {
                    let waited_secs = started.elapsed().as_secs();
                    r.event(&Event::Rollout { service: w.name.clone(), outcome: "timed_out", detail: None });
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

/// Progress when it changed, and ECS service events not seen before (the first read only
/// marks the old ones as seen).
fn report_news(
    s: &ServiceState,
    seen: &mut BTreeMap<String, BTreeSet<String>>,
    last: &mut BTreeMap<String, (u32, u32, usize, Option<String>)>,
    r: &dyn Reporter,
) {
    let rollout = s.deployments.iter().find(|d| d.status == "PRIMARY").and_then(|d| d.rollout_state.clone());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Deployment, ObservedConfig};

    const OLD: &str = "arn:aws:ecs:us-east-1:1:task-definition/s-web:1";
    const NEW: &str = "arn:aws:ecs:us-east-1:1:task-definition/s-web:2";

    fn deployment(status: &str, td: &str, rollout: &str) -> Deployment {
        Deployment {
            id: format!("ecs-svc/{td}"),
            status: status.into(),
            task_definition: td.into(),
            rollout_state: Some(rollout.into()),
            rollout_reason: Some(format!("{rollout} reason")),
            desired: 2,
            running: 0,
            failed_tasks: 0,
        }
    }

    fn service(running: u32, deployments: Vec<Deployment>) -> ServiceState {
        ServiceState {
            name: "web".into(),
            arn: String::new(),
            status: "ACTIVE".into(),
            desired: 2,
            running,
            pending: 0,
            task_definition: deployments.first().map(|d| d.task_definition.clone()).unwrap_or_default(),
            deployments,
            events: vec![],
            tags: BTreeMap::new(),
            config: ObservedConfig {
                network: None,
                load_balancer: None,
                grace_seconds: None,
                deployment: None,
                service_connect_namespace: None,
            },
        }
    }

    #[test]
    fn rollouts_are_judged_from_the_deployments() {
        let cases = [
            (
                "new deployment still replacing the old",
                service(2, vec![deployment("PRIMARY", NEW, "IN_PROGRESS"), deployment("ACTIVE", OLD, "COMPLETED")]),
                Assessment::InProgress,
            ),
            (
                "completed but old tasks still draining",
                service(2, vec![deployment("PRIMARY", NEW, "COMPLETED"), deployment("ACTIVE", OLD, "COMPLETED")]),
                Assessment::InProgress,
            ),
            ("completed, tasks short of desired", service(1, vec![deployment("PRIMARY", NEW, "COMPLETED")]), Assessment::InProgress),
            ("one completed deployment, all running", service(2, vec![deployment("PRIMARY", NEW, "COMPLETED")]), Assessment::Stable),
            (
                "failed and rolled back by the circuit breaker",
                service(2, vec![deployment("PRIMARY", OLD, "IN_PROGRESS"), deployment("ACTIVE", NEW, "FAILED")]),
                Assessment::Failed { reason: "FAILED reason".into(), rolled_back: true },
            ),
            (
                "failed with nothing to roll back to",
                service(0, vec![deployment("PRIMARY", NEW, "FAILED")]),
                Assessment::Failed { reason: "FAILED reason".into(), rolled_back: false },
            ),
            (
                "the failed deployment already drained away",
                service(2, vec![deployment("PRIMARY", OLD, "COMPLETED")]),
                Assessment::Failed { reason: "ECS replaced the deployment of s-web:2 with one of s-web:1".into(), rolled_back: true },
            ),
        ];
        for (what, s, want) in cases {
            assert_eq!(assess(&s, NEW), want, "{what}");
        }
    }

    #[test]
    fn an_inactive_service_has_failed() {
        let mut s = service(0, vec![deployment("PRIMARY", NEW, "IN_PROGRESS")]);
        s.status = "INACTIVE".into();
        assert!(matches!(assess(&s, NEW), Assessment::Failed { rolled_back: false, .. }));
    }
}

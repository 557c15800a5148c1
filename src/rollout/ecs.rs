//! How an ECS rollout stands, decided from what ECS reports of a service's deployments:
//! done, still going, or failed (and whether ECS rolled back). Pure: the watching loop that
//! asks is `ops::watch`.

use serde::Serialize;

use crate::workload::{revision_name, DeploymentStatus, RolloutState, ServiceState, ServiceStatus, StopCode, StoppedTask};

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
    /// Held for approval and left there (`deploy --wait-until held`): the new colour runs
    /// `revision` beside the old one, which keeps the production traffic.
    Held {
        revision: String,
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
    if s.status != ServiceStatus::Active {
        return Assessment::Failed { reason: format!("the service is {}", s.status), rolled_back: false };
    }
    let other_primary = s.deployments.iter().any(|d| d.status == DeploymentStatus::Primary && d.task_definition != task_definition);
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
    if ours.rollout_state == Some(RolloutState::Failed) {
        let reason = ours.rollout_reason.clone().unwrap_or_else(|| "the deployment failed".into());
        return Assessment::Failed { reason, rolled_back: other_primary };
    }
    let settled = ours.rollout_state.as_ref().is_none_or(|r| *r == RolloutState::Completed);
    if ours.status == DeploymentStatus::Primary && settled && s.deployments.len() == 1 && s.running == s.desired {
        return Assessment::Stable;
    }
    Assessment::InProgress
}

/// Whether a stopped task counts against its revision: it failed to start (an image that
/// cannot be pulled, a secret that does not resolve), its essential container exited, or it
/// failed its health checks. Tasks ECS stopped to scale in, a user stopped, or Spot took
/// back say nothing about the revision.
pub fn crashed(t: &StoppedTask) -> bool {
    match &t.stop_code {
        Some(StopCode::TaskFailedToStart | StopCode::EssentialContainerExited) => true,
        Some(StopCode::ServiceSchedulerInitiated) => t.reason.contains("health check"),
        Some(_) => false,
        None => !t.reason.starts_with("Scaling activity"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::workload::DeploymentStatus::{Active, Primary};
    use crate::workload::RolloutState::{Completed, Failed, InProgress};
    use crate::workload::{Deployment, ObservedConfig};

    const OLD: &str = "arn:aws:ecs:us-east-1:1:task-definition/s-web:1";
    const NEW: &str = "arn:aws:ecs:us-east-1:1:task-definition/s-web:2";

    fn deployment(status: DeploymentStatus, td: &str, rollout: RolloutState) -> Deployment {
        Deployment {
            id: format!("ecs-svc/{td}"),
            status,
            task_definition: td.into(),
            rollout_reason: Some(format!("{rollout} reason")),
            rollout_state: Some(rollout),
            desired: 2,
            running: 0,
            failed_tasks: 0,
        }
    }

    fn service(running: u32, deployments: Vec<Deployment>) -> ServiceState {
        ServiceState {
            name: "web".into(),
            arn: String::new(),
            status: ServiceStatus::Active,
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
                exec: false,
                capacity: vec![],
            },
        }
    }

    #[test]
    fn rollouts_are_judged_from_the_deployments() {
        let cases = [
            (
                "new deployment still replacing the old",
                service(2, vec![deployment(Primary, NEW, InProgress), deployment(Active, OLD, Completed)]),
                Assessment::InProgress,
            ),
            (
                "completed but old tasks still draining",
                service(2, vec![deployment(Primary, NEW, Completed), deployment(Active, OLD, Completed)]),
                Assessment::InProgress,
            ),
            ("completed, tasks short of desired", service(1, vec![deployment(Primary, NEW, Completed)]), Assessment::InProgress),
            ("one completed deployment, all running", service(2, vec![deployment(Primary, NEW, Completed)]), Assessment::Stable),
            (
                "failed and rolled back by the circuit breaker",
                service(2, vec![deployment(Primary, OLD, InProgress), deployment(Active, NEW, Failed)]),
                Assessment::Failed { reason: "FAILED reason".into(), rolled_back: true },
            ),
            (
                "failed with nothing to roll back to",
                service(0, vec![deployment(Primary, NEW, Failed)]),
                Assessment::Failed { reason: "FAILED reason".into(), rolled_back: false },
            ),
            (
                "the failed deployment already drained away",
                service(2, vec![deployment(Primary, OLD, Completed)]),
                Assessment::Failed { reason: "ECS replaced the deployment of s-web:2 with one of s-web:1".into(), rolled_back: true },
            ),
        ];
        for (what, s, want) in cases {
            assert_eq!(assess(&s, NEW), want, "{what}");
        }
    }

    #[test]
    fn only_failures_count_against_a_revision() {
        let task = |code: Option<StopCode>, reason: &str| StoppedTask {
            id: "t".into(),
            task_definition: NEW.into(),
            reason: reason.into(),
            stop_code: code,
        };
        let cases = [
            (Some(StopCode::TaskFailedToStart), "CannotPullContainerError: pull image manifest has been retried 5 time(s)", true),
            (Some(StopCode::TaskFailedToStart), "ResourceInitializationError: unable to pull secrets or registry auth", true),
            (Some(StopCode::EssentialContainerExited), "Essential container in task exited (web: exit code 1)", true),
            (Some(StopCode::ServiceSchedulerInitiated), "Task failed ELB health checks in (target-group arn:…)", true),
            (Some(StopCode::ServiceSchedulerInitiated), "Task failed container health checks", true),
            (Some(StopCode::ServiceSchedulerInitiated), "Scaling activity initiated by (deployment ecs-svc/1)", false),
            (Some(StopCode::UserInitiated), "Task stopped by user", false),
            (Some(StopCode::SpotInterruption), "Your Spot Task was interrupted.", false),
            (Some(StopCode::Other("SomethingNew".into())), "Essential container in task exited", false),
            (None, "Scaling activity initiated by (deployment ecs-svc/1)", false),
            (None, "Essential container in task exited", true),
        ];
        for (code, reason, want) in cases {
            assert_eq!(crashed(&task(code.clone(), reason)), want, "{code:?} {reason}");
        }
    }

    #[test]
    fn an_inactive_service_has_failed() {
        let mut s = service(0, vec![deployment(Primary, NEW, InProgress)]);
        s.status = ServiceStatus::Inactive;
        assert!(matches!(assess(&s, NEW), Assessment::Failed { rolled_back: false, .. }));
    }
}

//! Where a rollout ECS runs natively (`deploy.engine: ecs`) stands: its service deployment's
//! status, lifecycle stage and pause hook, read as plain data, and what ecship does next.

use serde::Serialize;

use crate::workload::{LifecycleStage as Stage, ServiceDeploymentStatus as Status};

/// One ECS service deployment, as DescribeServiceDeployments reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDeployment {
    pub arn: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCESSFUL`, `ROLLBACK_REQUESTED`, `ROLLBACK_IN_PROGRESS`,
    /// `ROLLBACK_SUCCESSFUL`, `ROLLBACK_FAILED`, `STOP_REQUESTED`, `STOPPED`.
    pub status: Status,
    pub status_reason: Option<String>,
    /// `SCALE_UP`, `TEST_TRAFFIC_SHIFT`, `PRODUCTION_TRAFFIC_SHIFT`, `BAKE_TIME`, …
    pub stage: Option<Stage>,
    /// The pause hook waiting for ContinueServiceDeployment, by id.
    pub paused: Option<String>,
    /// Percent of production traffic ECS has asked for on the new revision.
    pub production_share: Option<u8>,
    /// Why ECS rolled it back, when it did.
    pub rollback_reason: Option<String>,
    /// The service revision it rolls out.
    pub target_revision: Option<String>,
}

/// Where a native rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Moving through its stages.
    Running,
    /// Stopped at the pause hook after test traffic moved, for ecship's check or approval.
    Paused {
        hook: String,
    },
    Succeeded,
    /// Back on the previous revision, with why.
    RolledBack {
        reason: String,
    },
    /// Ended without completing or getting back: a failed rollback, or a stop.
    Failed {
        reason: String,
    },
}

impl ServiceDeployment {
    pub fn standing(&self) -> Standing {
        let why =
            |fallback: &str| self.rollback_reason.clone().or_else(|| self.status_reason.clone()).unwrap_or_else(|| fallback.to_string());
        match self.status {
            Status::Successful => Standing::Succeeded,
            Status::RollbackSuccessful => Standing::RolledBack { reason: why("ECS rolled the deployment back") },
            Status::RollbackFailed => Standing::Failed { reason: why("ECS could not roll the deployment back") },
            Status::Stopped => Standing::Failed { reason: why("the deployment was stopped") },
            Status::InProgress => match &self.paused {
                Some(hook) => Standing::Paused { hook: hook.clone() },
                None => Standing::Running,
            },
            _ => Standing::Running,
        }
    }

    /// Whether all production traffic is on the new revision and only the bake (and the old
    /// revision's clean-up) is left.
    pub fn baking(&self) -> bool {
        matches!(self.stage, Some(Stage::BakeTime | Stage::CleanUp))
    }

    /// Whether it is still being rolled back (a rollback asked for and not yet done).
    pub fn rolling_back(&self) -> bool {
        matches!(self.status, Status::RollbackRequested | Status::RollbackInProgress | Status::StopRequested)
    }

    /// The stage in words, with the traffic share where it moves: what progress shows.
    pub fn stage_words(&self) -> String {
        let words = match &self.stage {
            Some(Stage::ReconcileService) => "reconciling",
            Some(Stage::PreScaleUp | Stage::ScaleUp) => "starting the new revision",
            Some(Stage::PostScaleUp) => "new revision started",
            Some(Stage::TestTrafficShift | Stage::PostTestTrafficShift) => "test traffic on the new revision",
            Some(Stage::PreProductionTrafficShift | Stage::ProductionTrafficShift) => "production traffic moving",
            Some(Stage::PostProductionTrafficShift) => "production traffic moved",
            Some(Stage::BakeTime) => "baking",
            Some(Stage::CleanUp) => "cleaning up",
            Some(Stage::Other(_)) | None => "",
        };
        let share = match (&self.stage, self.production_share) {
            (
                Some(
                    Stage::PreProductionTrafficShift | Stage::ProductionTrafficShift | Stage::PostProductionTrafficShift | Stage::BakeTime,
                ),
                Some(p),
            ) => format!(", {p} % on the new revision"),
            _ => String::new(),
        };
        // Before its first stage ECS reports none: it is pending.
        let stage = self.stage.as_ref().map_or("PENDING", Stage::as_str);
        let paused = if self.paused.is_some() { ", paused" } else { "" };
        if words.is_empty() {
            format!("{stage}{share}{paused}")
        } else {
            format!("{stage} ({words}{share}{paused})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sd(status: Status, stage: Option<Stage>, paused: Option<&str>) -> ServiceDeployment {
        ServiceDeployment {
            arn: "arn:sd".into(),
            status,
            status_reason: None,
            stage,
            paused: paused.map(str::to_string),
            production_share: Some(10),
            rollback_reason: None,
            target_revision: None,
        }
    }

    #[test]
    fn where_a_native_rollout_stands() {
        let cases = [
            (sd(Status::Pending, None, None), Standing::Running),
            (sd(Status::InProgress, Some(Stage::ScaleUp), None), Standing::Running),
            (sd(Status::InProgress, Some(Stage::PostTestTrafficShift), Some("h1")), Standing::Paused { hook: "h1".into() }),
            (sd(Status::Successful, Some(Stage::CleanUp), None), Standing::Succeeded),
            (sd(Status::RollbackInProgress, None, None), Standing::Running),
            (sd(Status::RollbackSuccessful, None, None), Standing::RolledBack { reason: "ECS rolled the deployment back".into() }),
            (sd(Status::RollbackFailed, None, None), Standing::Failed { reason: "ECS could not roll the deployment back".into() }),
            (sd(Status::Stopped, None, None), Standing::Failed { reason: "the deployment was stopped".into() }),
            (sd(Status::Other("PAUSED".into()), None, None), Standing::Running),
        ];
        for (d, want) in cases {
            assert_eq!(d.standing(), want, "{d:?}");
        }
    }

    #[test]
    fn it_bakes_once_production_traffic_moved() {
        assert!(sd(Status::InProgress, Some(Stage::BakeTime), None).baking());
        assert!(!sd(Status::InProgress, Some(Stage::ProductionTrafficShift), None).baking());
        assert!(!sd(Status::InProgress, None, None).baking());
    }

    #[test]
    fn the_rollback_reason_says_why() {
        let d = ServiceDeployment { rollback_reason: Some("alarm latency in ALARM".into()), ..sd(Status::RollbackSuccessful, None, None) };
        assert_eq!(d.standing(), Standing::RolledBack { reason: "alarm latency in ALARM".into() });
    }

    #[test]
    fn stages_read_as_words_with_the_traffic_share() {
        assert_eq!(sd(Status::InProgress, Some(Stage::ScaleUp), None).stage_words(), "SCALE_UP (starting the new revision)");
        assert_eq!(
            sd(Status::InProgress, Some(Stage::ProductionTrafficShift), None).stage_words(),
            "PRODUCTION_TRAFFIC_SHIFT (production traffic moving, 10 % on the new revision)"
        );
        assert_eq!(
            sd(Status::InProgress, Some(Stage::PostTestTrafficShift), Some("h")).stage_words(),
            "POST_TEST_TRAFFIC_SHIFT (test traffic on the new revision, paused)"
        );
        assert_eq!(sd(Status::Pending, None, None).stage_words(), "PENDING");
        assert_eq!(sd(Status::InProgress, Some(Stage::Other("NEW_STAGE".into())), None).stage_words(), "NEW_STAGE");
    }
}

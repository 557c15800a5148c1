//! Where a rollout ECS runs natively (`deploy.engine: ecs`) stands: its service deployment's
//! status, lifecycle stage and pause hook, read as plain data, and what ecship does next.

use serde::Serialize;

/// One ECS service deployment, as DescribeServiceDeployments reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDeployment {
    pub arn: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCESSFUL`, `ROLLBACK_REQUESTED`, `ROLLBACK_IN_PROGRESS`,
    /// `ROLLBACK_SUCCESSFUL`, `ROLLBACK_FAILED`, `STOP_REQUESTED`, `STOPPED`.
    pub status: String,
    pub status_reason: Option<String>,
    /// `SCALE_UP`, `TEST_TRAFFIC_SHIFT`, `PRODUCTION_TRAFFIC_SHIFT`, `BAKE_TIME`, …
    pub stage: Option<String>,
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
        match self.status.as_str() {
            "SUCCESSFUL" => Standing::Succeeded,
            "ROLLBACK_SUCCESSFUL" => Standing::RolledBack { reason: why("ECS rolled the deployment back") },
            "ROLLBACK_FAILED" => Standing::Failed { reason: why("ECS could not roll the deployment back") },
            "STOPPED" => Standing::Failed { reason: why("the deployment was stopped") },
            "IN_PROGRESS" => match &self.paused {
                Some(hook) => Standing::Paused { hook: hook.clone() },
                None => Standing::Running,
            },
            _ => Standing::Running,
        }
    }

    /// Whether all production traffic is on the new revision and only the bake (and the old
    /// revision's clean-up) is left.
    pub fn baking(&self) -> bool {
        matches!(self.stage.as_deref(), Some("BAKE_TIME" | "CLEAN_UP"))
    }

    /// Whether it is still being rolled back (a rollback asked for and not yet done).
    pub fn rolling_back(&self) -> bool {
        matches!(self.status.as_str(), "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS" | "STOP_REQUESTED")
    }

    /// The stage in words, with the traffic share where it moves: what progress shows.
    pub fn stage_words(&self) -> String {
        let stage = self.stage.as_deref().unwrap_or("PENDING");
        let words = match stage {
            "RECONCILE_SERVICE" => "reconciling",
            "PRE_SCALE_UP" | "SCALE_UP" => "starting the new revision",
            "POST_SCALE_UP" => "new revision started",
            "TEST_TRAFFIC_SHIFT" | "POST_TEST_TRAFFIC_SHIFT" => "test traffic on the new revision",
            "PRE_PRODUCTION_TRAFFIC_SHIFT" | "PRODUCTION_TRAFFIC_SHIFT" => "production traffic moving",
            "POST_PRODUCTION_TRAFFIC_SHIFT" => "production traffic moved",
            "BAKE_TIME" => "baking",
            "CLEAN_UP" => "cleaning up",
            _ => "",
        };
        let share = match (stage, self.production_share) {
            ("PRE_PRODUCTION_TRAFFIC_SHIFT" | "PRODUCTION_TRAFFIC_SHIFT" | "POST_PRODUCTION_TRAFFIC_SHIFT" | "BAKE_TIME", Some(p)) => {
                format!(", {p} % on the new revision")
            }
            _ => String::new(),
        };
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

    fn sd(status: &str, stage: Option<&str>, paused: Option<&str>) -> ServiceDeployment {
        ServiceDeployment {
            arn: "arn:sd".into(),
            status: status.into(),
            status_reason: None,
            stage: stage.map(str::to_string),
            paused: paused.map(str::to_string),
            production_share: Some(10),
            rollback_reason: None,
            target_revision: None,
        }
    }

    #[test]
    fn where_a_native_rollout_stands() {
        let cases = [
            (sd("PENDING", None, None), Standing::Running),
            (sd("IN_PROGRESS", Some("SCALE_UP"), None), Standing::Running),
            (sd("IN_PROGRESS", Some("POST_TEST_TRAFFIC_SHIFT"), Some("h1")), Standing::Paused { hook: "h1".into() }),
            (sd("SUCCESSFUL", Some("CLEAN_UP"), None), Standing::Succeeded),
            (sd("ROLLBACK_IN_PROGRESS", None, None), Standing::Running),
            (sd("ROLLBACK_SUCCESSFUL", None, None), Standing::RolledBack { reason: "ECS rolled the deployment back".into() }),
            (sd("ROLLBACK_FAILED", None, None), Standing::Failed { reason: "ECS could not roll the deployment back".into() }),
            (sd("STOPPED", None, None), Standing::Failed { reason: "the deployment was stopped".into() }),
        ];
        for (d, want) in cases {
            assert_eq!(d.standing(), want, "{d:?}");
        }
    }

    #[test]
    fn it_bakes_once_production_traffic_moved() {
        assert!(sd("IN_PROGRESS", Some("BAKE_TIME"), None).baking());
        assert!(!sd("IN_PROGRESS", Some("PRODUCTION_TRAFFIC_SHIFT"), None).baking());
        assert!(!sd("IN_PROGRESS", None, None).baking());
    }

    #[test]
    fn the_rollback_reason_says_why() {
        let d = ServiceDeployment { rollback_reason: Some("alarm latency in ALARM".into()), ..sd("ROLLBACK_SUCCESSFUL", None, None) };
        assert_eq!(d.standing(), Standing::RolledBack { reason: "alarm latency in ALARM".into() });
    }

    #[test]
    fn stages_read_as_words_with_the_traffic_share() {
        assert_eq!(sd("IN_PROGRESS", Some("SCALE_UP"), None).stage_words(), "SCALE_UP (starting the new revision)");
        assert_eq!(
            sd("IN_PROGRESS", Some("PRODUCTION_TRAFFIC_SHIFT"), None).stage_words(),
            "PRODUCTION_TRAFFIC_SHIFT (production traffic moving, 10 % on the new revision)"
        );
        assert_eq!(
            sd("IN_PROGRESS", Some("POST_TEST_TRAFFIC_SHIFT"), Some("h")).stage_words(),
            "POST_TEST_TRAFFIC_SHIFT (test traffic on the new revision, paused)"
        );
        assert_eq!(sd("PENDING", None, None).stage_words(), "PENDING");
    }
}

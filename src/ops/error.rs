//! The error of every operation: what went wrong, with what the message needs (the stack,
//! the service, the failing rollout's cause). Each verb returns it; none borrows another's.
//! The command line maps it to an exit code (`commands`), from `rolled_back` and `timed_out`.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::alarms::AlarmError;
use super::assets::AssetError;
use super::lock::LockError;
use crate::aws::AwsError;
use crate::human::plural;
use crate::image::ImageError;
use crate::rollout::Outcome;
use crate::workload::outputs::MissingOutput;
use crate::workload::render::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Alarms(#[from] AlarmError),
    #[error(transparent)]
    Assets(#[from] AssetError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Outputs(#[from] MissingOutput),
    #[error("deploy would remove service{} {} (no longer in the spec) — re-run with --yes to remove {}", plural(services.len()), services.join(", "), if services.len() == 1 { "it" } else { "them" })]
    RemovalRefused { services: Vec<String> },
    #[error("deploy would destroy data in stack {stack}: {} — nothing was changed. To keep the data, keep the volume in the spec (or mount its file system as an existing `file_system:`); to delete it, copy out what you need and re-run with --allow-data-loss", resources.join(", "))]
    DataLoss { stack: String, resources: Vec<String> },
    #[error("stack {stack} is not deployed: run `ecship deploy` first")]
    NotDeployed { stack: String },
    #[error("service {service} is not running in stack {stack}: run `ecship deploy` to create it")]
    NotRunning { service: String, stack: String },
    #[error("job {job} has no task definition in stack {stack} yet: run `ecship deploy` to register it")]
    JobNotDeployed { job: String, stack: String },
    #[error("`{name}` is neither a job nor a service of the stack ({known})")]
    Unknown { name: String, known: String },
    #[error("{service} is autoscaled between {min} and {max} tasks: {count} is outside that — change autoscaling.min/max in the spec and deploy")]
    OutsideAutoscaling { service: String, count: u32, min: u32, max: u32 },
    #[error("{0}")]
    Before(BeforeFailure),
    #[error("no rollout of {service} is held for approval: a rollout waits for `ecship approve` only while a deploy of a service with deploy.approve holds it (see `ecship status`)")]
    NothingHeld { service: String },
    #[error("cannot roll back {service}: {why}")]
    NothingToRollBack { service: String, why: String },
    #[error("the rollout of {} did not finish:{}", failures.iter().map(|f| f.service.as_str()).collect::<Vec<_>>().join(", "), failures.iter().map(|f| format!("\n  {f}")).collect::<String>())]
    Rollout { failures: Vec<RolloutFailure> },
}

#[derive(Debug, Clone, Serialize)]
pub struct RolloutFailure {
    pub service: String,
    pub outcome: Outcome,
}

impl fmt::Display for RolloutFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Stable => write!(f, "{}: stable", self.service),
            Outcome::Held { revision } => write!(f, "{}: {revision} held for approval", self.service),
            Outcome::TimedOut { waited_secs } => {
                let waited = humantime::format_duration(Duration::from_secs(*waited_secs));
                write!(f, "{}: not stable after {waited}; ECS carries on — see `ecship status`", self.service)
            }
            Outcome::Failed { reason, rolled_back, stopped } => {
                let what = if *rolled_back { "rolled back to the previous revision" } else { "failed" };
                write!(f, "{}: {what}: {reason}", self.service)?;
                let reasons: BTreeSet<&str> = stopped.iter().map(|t| t.reason.as_str()).collect();
                for reason in reasons {
                    let n = stopped.iter().filter(|t| t.reason == reason).count();
                    write!(f, "\n    stopped task{}: {reason}", if n == 1 { String::new() } else { format!("s ({n})") })?;
                }
                Ok(())
            }
        }
    }
}

impl Error {
    /// Whether every failed rollout was rolled back (the service runs its previous revision).
    pub fn rolled_back(&self) -> bool {
        matches!(self, Error::Rollout { failures } if failures.iter().all(|f| matches!(f.outcome, Outcome::Failed { rolled_back: true, .. })))
    }

    pub fn timed_out(&self) -> bool {
        matches!(self, Error::Rollout { failures } if failures.iter().any(|f| matches!(f.outcome, Outcome::TimedOut { .. })))
    }
}

/// A `deploy.before` step that did not exit 0.
#[derive(Debug, Clone)]
pub struct BeforeFailure {
    pub service: String,
    /// `job migrate`, `` `./manage.py migrate` ``.
    pub step: String,
    /// The task's id.
    pub task: String,
    /// Exit code and stop reason, in a few words.
    pub failure: String,
    pub last_lines: Vec<String>,
}

impl std::fmt::Display for BeforeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} before {} failed (task {}): {}; the deploy stopped before changing any service",
            self.step, self.service, self.task, self.failure
        )?;
        if !self.last_lines.is_empty() {
            write!(f, "\n  its last log lines:")?;
            for l in &self.last_lines {
                write!(f, "\n  | {l}")?;
            }
        }
        Ok(())
    }
}

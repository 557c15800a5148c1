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
use crate::model::{Colour, Weights};
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
    #[error(transparent)]
    Cost(#[from] crate::cost::Error),
    #[error(transparent)]
    Preview(#[from] super::preview::PreviewError),
    #[error("deploy would remove service{} {} (no longer in the spec) — re-run with --yes to remove {}", plural(services.len()), services.join(", "), if services.len() == 1 { "it" } else { "them" })]
    RemovalRefused { services: Vec<String> },
    #[error("deploy would destroy data in stack {stack}: {} — nothing was changed. To keep the data, keep the volume in the spec (or mount its file system as an existing `file_system:`); to delete it, copy out what you need and re-run with --allow-data-loss", resources.join(", "))]
    DataLoss { stack: String, resources: Vec<String> },
    #[error("storage.{entry}: no RDS DB instance {id} in this account and region: check `existing:`")]
    NoDatabase { entry: String, id: String },
    #[error("storage.{entry}: DB instance {id} has {what}")]
    DatabaseLacks { entry: String, id: String, what: &'static str },
    #[error("no {} Route 53 hosted zone named {zone} in this account: create it, or give the zone's id as domain.zone_id", if *private { "private" } else { "public" })]
    NoZone { zone: String, private: bool },
    #[error("{count} {} Route 53 hosted zones are named {zone}: give the one to use as domain.zone_id", if *private { "private" } else { "public" })]
    SeveralZones { zone: String, private: bool, count: usize },
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
    /// A two-colour rollout that failed while its traffic was split or moving (an AWS
    /// error, or a gate whose rollback failed too): why, and where the traffic went.
    #[error("rollout of {service} failed: {cause}; {returned}")]
    Aborted { service: String, cause: String, returned: Box<Returned> },
    /// The traffic of an unfinished rollout could not all be put back on one colour.
    #[error("putting all traffic of {service} back on {} failed: {failed}", failed.colour)]
    NotReturned { service: String, failed: Box<ReturnFailed> },
}

/// What putting a failed two-colour rollout's traffic back on the old colour came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Returned {
    /// All traffic on `colour`, the other colour scaled to zero.
    AllBack { colour: Colour },
    /// All traffic on `colour`; the other colour's ECS service `idle` still runs its tasks.
    IdleUp { colour: Colour, idle: String, why: String },
    /// The traffic is not all back.
    Failed(ReturnFailed),
}

impl fmt::Display for Returned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Returned::AllBack { colour } => write!(f, "all traffic back on {colour}"),
            Returned::IdleUp { colour, idle, why } => {
                write!(f, "all traffic back on {colour}, but scaling {idle} to zero failed ({why}): the next deploy scales it down")
            }
            Returned::Failed(failed) => write!(f, "rolling back also failed: {failed}"),
        }
    }
}

/// Traffic that could not all be put back on `colour`: why, where it was left, and the
/// command that finishes the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnFailed {
    pub colour: Colour,
    pub why: String,
    pub left: RulesLeft,
    /// `ecship rollback FILE --service NAME`.
    pub command: String,
}

impl fmt::Display for ReturnFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {} — run `{}` to put it all on {}", self.why, self.left, self.command, self.colour)
    }
}

/// The weights a service's rules were last set to, in their order (`None` where a write
/// failed: it may or may not have taken effect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesLeft(pub Vec<Option<Weights>>);

impl fmt::Display for RulesLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.0.first().copied().flatten();
        match first {
            Some(w) if self.0.iter().all(|r| *r == Some(w)) && w.split() => write!(f, "traffic is split {w}"),
            Some(w) if self.0.iter().all(|r| *r == Some(w)) => write!(f, "all traffic is on {}", w.live()),
            _ if self.0.iter().all(Option::is_none) => write!(f, "where its rules send the traffic is not known (see `ecship status`)"),
            _ => {
                let each: Vec<String> = self
                    .0
                    .iter()
                    .enumerate()
                    .map(|(i, r)| format!("rule {}: {}", i + 1, r.map_or_else(|| "not known".to_string(), |w| w.to_string())))
                    .collect();
                write!(f, "its {} rules are on different splits ({})", self.0.len(), each.join("; "))
            }
        }
    }
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
        match self {
            Error::Rollout { failures } => failures.iter().all(|f| matches!(f.outcome, Outcome::Failed { rolled_back: true, .. })),
            Error::Aborted { returned, .. } => !matches!(**returned, Returned::Failed(_)),
            _ => false,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_rollout_says_where_its_traffic_went_and_what_to_run() {
        let split = Some(Weights { blue: 90, green: 10 });
        let cases = [
            (RulesLeft(vec![split, split]), "traffic is split blue 90 %, green 10 %"),
            (RulesLeft(vec![Some(Weights::all_on(Colour::Green)); 2]), "all traffic is on green"),
            (RulesLeft(vec![None; 2]), "where its rules send the traffic is not known (see `ecship status`)"),
            (
                RulesLeft(vec![Some(Weights { blue: 50, green: 50 }), split, None]),
                "its 3 rules are on different splits (rule 1: blue 50 %, green 50 %; rule 2: blue 90 %, green 10 %; rule 3: not known)",
            ),
        ];
        for (left, words) in cases {
            assert_eq!(left.to_string(), words);
        }
        let failed = ReturnFailed {
            colour: Colour::Blue,
            why: "ModifyRule failed".into(),
            left: RulesLeft(vec![split]),
            command: "ecship rollback stack.yaml --service api".into(),
        };
        let e = Error::Aborted { service: "api".into(), cause: "expired".into(), returned: Box::new(Returned::Failed(failed)) };
        assert_eq!(
            e.to_string(),
            "rollout of api failed: expired; rolling back also failed: ModifyRule failed; traffic is split blue 90 %, green 10 % — run `ecship rollback stack.yaml --service api` to put it all on blue"
        );
        assert!(!e.rolled_back(), "exit code 1, not 3");
        let back = Error::Aborted {
            service: "api".into(),
            cause: "expired".into(),
            returned: Box::new(Returned::AllBack { colour: Colour::Blue }),
        };
        assert_eq!(back.to_string(), "rollout of api failed: expired; all traffic back on blue");
        assert!(back.rolled_back(), "exit code 3");
    }
}

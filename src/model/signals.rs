//! What a stack tells people about itself (`signals:`): where its notifications go, whether
//! it has a dashboard, and each service's alarms with their thresholds and names.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::{secs, Percent, StackName};

/// The stack's signals: present when the spec has `signals:`.
#[derive(Debug, Clone, Serialize)]
pub struct Signals {
    pub notify: Notify,
    pub dashboard: bool,
}

/// Where notifications go: the stack's own SNS topic (with its e-mail subscriptions), or an
/// existing topic; and a Slack channel through AWS Chatbot.
#[derive(Debug, Clone, Serialize)]
pub struct Notify {
    pub email: Vec<String>,
    pub topic: Option<String>,
    pub slack: Option<Slack>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Slack {
    pub workspace: String,
    pub channel: String,
}

/// One kind of alarm a service gets, named as the spec's `alarms:` keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    Errors5xx,
    LatencyP99,
    Unhealthy,
    Cpu,
    Memory,
    RunningBelowDesired,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 6] = [
        AlarmKind::Errors5xx,
        AlarmKind::LatencyP99,
        AlarmKind::Unhealthy,
        AlarmKind::Cpu,
        AlarmKind::Memory,
        AlarmKind::RunningBelowDesired,
    ];

    /// The alarms `deploy.alarms: auto` gates a rollout on: what a bad revision sets off
    /// within minutes (CPU, memory and running counts move with load, not with a revision).
    pub const GATES: [AlarmKind; 3] = [AlarmKind::Errors5xx, AlarmKind::LatencyP99, AlarmKind::Unhealthy];

    /// As the spec's key and the alarm name's last part write it.
    pub fn key(self) -> &'static str {
        match self {
            AlarmKind::Errors5xx => "errors_5xx",
            AlarmKind::LatencyP99 => "latency_p99",
            AlarmKind::Unhealthy => "unhealthy",
            AlarmKind::Cpu => "cpu",
            AlarmKind::Memory => "memory",
            AlarmKind::RunningBelowDesired => "running_below_desired",
        }
    }

    /// Whether it reads the load balancer's metrics (a routed service's only).
    pub fn needs_routes(self) -> bool {
        matches!(self, AlarmKind::Errors5xx | AlarmKind::LatencyP99 | AlarmKind::Unhealthy)
    }
}

impl fmt::Display for AlarmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// An alarm's threshold, in the unit its kind measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Threshold {
    Percent(Percent),
    Duration(#[serde(with = "secs")] Duration),
    Count(u32),
}

/// One alarm of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alarm {
    pub kind: AlarmKind,
    pub threshold: Threshold,
}

/// The CloudWatch name of a service's (or job's) alarm: `STACK-SERVICE-KIND`.
pub fn alarm_name(stack: &StackName, service: &str, kind: &str) -> String {
    format!("{stack}-{service}-{kind}")
}

/// The alarm a job gets on failed runs: `STACK-JOB-failed`.
pub const JOB_FAILED: &str = "failed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_names_are_stack_service_kind() {
        let stack = StackName::new_unchecked("forum");
        assert_eq!(alarm_name(&stack, "users", AlarmKind::Errors5xx.key()), "forum-users-errors_5xx");
        assert_eq!(alarm_name(&stack, "migrate", JOB_FAILED), "forum-migrate-failed");
    }
}

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

impl Notify {
    /// Why the existing topic cannot be notified from `region`: CloudWatch alarms send to
    /// topics of their own region only. (Checked at `validate` when the spec names its
    /// region, else at `plan` and `deploy` against the region they run in.)
    pub fn topic_elsewhere(&self, region: &str) -> Option<String> {
        let topic = self.topic.as_deref()?;
        let r = topic_region(topic)?;
        (r != region).then(|| format!("signals.notify.topic `{topic}` is in {r}, and the stack deploys to {region}: CloudWatch alarms notify topics of their own region only — use a topic in {region}, or leave `topic` out to let the stack create one"))
    }
}

/// The region of an SNS topic ARN (`arn:PARTITION:sns:REGION:ACCOUNT:NAME`), if it is one.
pub fn topic_region(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.split(':').collect();
    let ["arn", partition, "sns", region, account, name] = parts.as_slice() else { return None };
    let ok = partition.starts_with("aws")
        && is_region(region)
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= 256
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    ok.then_some(*region)
}

/// `us-east-1`, `eu-west-2`, `us-gov-west-1`: lowercase words and digits, ending in a number.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_name_their_region() {
        assert_eq!(topic_region("arn:aws:sns:eu-west-1:123456789012:oncall"), Some("eu-west-1"));
        assert_eq!(topic_region("arn:aws:sqs:eu-west-1:123456789012:oncall"), None);
        assert_eq!(topic_region("arn:aws:sns:eu-west-1:1234:oncall"), None);
        assert_eq!(topic_region("oncall"), None);
    }

    #[test]
    fn a_topic_in_another_region_is_named_with_both_regions() {
        let notify = Notify { email: vec![], topic: Some("arn:aws:sns:eu-west-1:123456789012:oncall".into()), slack: None };
        assert_eq!(notify.topic_elsewhere("eu-west-1"), None);
        let why = notify.topic_elsewhere("us-east-1").expect("another region");
        assert!(why.contains("is in eu-west-1, and the stack deploys to us-east-1"), "{why}");
    }

    #[test]
    fn alarm_names_are_stack_service_kind() {
        let stack = StackName::new_unchecked("forum");
        assert_eq!(alarm_name(&stack, "users", AlarmKind::Errors5xx.key()), "forum-users-errors_5xx");
        assert_eq!(alarm_name(&stack, "migrate", JOB_FAILED), "forum-migrate-failed");
    }
}

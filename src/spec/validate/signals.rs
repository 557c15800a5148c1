//! Rules for `signals:` and each service's `alarms:`: the notify targets, the thresholds
//! (percentages, durations CloudWatch's one-minute periods can follow, counts), and the
//! alarm names `deploy.alarms: auto` stands for.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Ctx;
use crate::model::signals::{alarm_name, topic_region, Alarm, AlarmKind, Notify, Signals, Slack, Threshold};
use crate::model::{Cluster, Percent, Service, ServiceName, StackName};
use crate::spec::types;

impl Ctx<'_> {
    /// `signals:`, when the spec has it.
    pub(super) fn signals(&mut self, region: Option<&str>) -> Option<Signals> {
        let raw = self.loaded.spec.signals.clone()?;
        let n = raw.notify.unwrap_or_default();
        for (i, email) in n.email.iter().enumerate() {
            if !is_email(email) {
                self.err(&format!("signals.notify.email[{i}]"), format!("`{email}` is not an e-mail address"))
                    .hint("write it like oncall@example.com");
            }
        }
        if let Some(topic) = &n.topic {
            self.topic(topic, region);
        }
        if let Some(s) = &n.slack {
            if s.workspace.is_empty() || !s.workspace.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
                self.err("signals.notify.slack.workspace", format!("`{}` is not a Slack workspace id", s.workspace))
                    .hint("the team id AWS Chatbot shows for the workspace, like T07ABCDE12");
            }
            if s.channel.is_empty() || !s.channel.chars().all(|c| c.is_ascii_alphanumeric()) {
                self.err("signals.notify.slack.channel", format!("`{}` is not a Slack channel id", s.channel))
                    .hint("the id at the bottom of the channel's details in Slack, like C07ABCDE12");
            }
        }
        let slack = n.slack.map(|s| Slack { workspace: s.workspace, channel: s.channel });
        Some(Signals { notify: Notify { email: n.email, topic: n.topic, slack }, dashboard: raw.dashboard.unwrap_or(true) })
    }

    /// An existing topic's ARN, in the stack's region when the spec names one (else the
    /// deploy checks it against the region it runs in).
    fn topic(&mut self, topic: &str, region: Option<&str>) {
        let path = "signals.notify.topic";
        match topic_region(topic) {
            None => {
                self.err(path, format!("`{topic}` is not an SNS topic ARN")).hint("e.g. arn:aws:sns:us-east-1:123456789012:oncall");
            }
            Some(r) if region.is_some_and(|s| s != r) => {
                let stack = region.unwrap_or_default();
                self.err(
                    path,
                    format!(
                        "topic `{topic}` is in {r}, and the stack is in {stack}: CloudWatch alarms notify topics of their own region only"
                    ),
                )
                .hint(format!("use a topic in {stack}, or leave `topic` out to let the stack create one"));
            }
            Some(_) => {}
        }
    }

    /// A service's alarms (none without `signals:`, with `alarms: false`, or for a job).
    pub(super) fn service_alarms(&mut self, path: &str, raw: &types::Service) -> Vec<Alarm> {
        let p = format!("{path}.alarms");
        let thresholds = match (&raw.alarms, self.loaded.spec.signals.is_some()) {
            (Some(types::Alarms::Switch(false)), _) => return Vec::new(),
            (Some(_), false) => {
                self.err(&p, "alarms send to the stack's signals, and the spec has no `signals:`")
                    .hint("add `signals: {}` (or with `notify:`) at the top level, or remove `alarms:`");
                return Vec::new();
            }
            (None, false) => return Vec::new(),
            (Some(types::Alarms::Switch(true)) | None, true) => types::AlarmThresholds::default(),
            (Some(types::Alarms::Thresholds(t)), true) => t.clone(),
        };
        let given = [
            thresholds.errors_5xx,
            thresholds.latency_p99,
            thresholds.unhealthy,
            thresholds.cpu,
            thresholds.memory,
            thresholds.running_below_desired,
        ];
        let routed = !raw.routes.is_empty();
        let mut out = Vec::new();
        for (kind, value) in AlarmKind::ALL.into_iter().zip(given) {
            let here = format!("{p}.{kind}");
            if kind.needs_routes() && !routed {
                if value.is_some() {
                    self.err(&here, format!("{kind} reads the load balancer's metrics, and this service has no routes"))
                        .hint(format!("remove `{kind}`: a service without routes gets cpu, memory and running_below_desired alarms"));
                }
                continue;
            }
            let value = value.unwrap_or_else(|| default_threshold(kind));
            if let Some(threshold) = self.threshold(&here, kind, &value) {
                out.push(Alarm { kind, threshold });
            }
        }
        out
    }

    fn threshold(&mut self, here: &str, kind: AlarmKind, value: &types::Threshold) -> Option<Threshold> {
        let parsed = match (kind, value) {
            (_, types::Threshold::Off(false)) => return None,
            (_, types::Threshold::Off(true)) => Err("`true` is not a threshold: give a value, or `false` for no alarm".to_string()),
            (AlarmKind::Errors5xx | AlarmKind::Cpu | AlarmKind::Memory, v) => percent(v).map(Threshold::Percent),
            (AlarmKind::LatencyP99, types::Threshold::Text(t)) => latency(t).map(Threshold::Duration),
            (AlarmKind::RunningBelowDesired, types::Threshold::Text(t)) => minutes(t).map(Threshold::Duration),
            (AlarmKind::LatencyP99 | AlarmKind::RunningBelowDesired, types::Threshold::Number(n)) => {
                Err(format!("{n} has no unit: write a duration like 2s or 5m"))
            }
            (AlarmKind::Unhealthy, types::Threshold::Number(n)) if *n >= 1 => Ok(Threshold::Count(*n)),
            (AlarmKind::Unhealthy, _) => Err("give the number of unhealthy targets that sets it off, 1 or more".to_string()),
        };
        parsed.map_err(|m| self.err(here, m)).ok()
    }

    /// `deploy.alarms` with `auto` replaced by the service's own gate alarms.
    pub(super) fn auto_alarms(&mut self, path: &str, names: &mut Vec<String>, alarms: &[Alarm], service: &str) {
        let Some(at) = names.iter().position(|n| n == "auto") else { return };
        let stack = StackName::new_unchecked(self.deployed_stack());
        let own: Vec<String> = alarms
            .iter()
            .filter(|a| AlarmKind::GATES.contains(&a.kind))
            .map(|a| alarm_name(&stack, service, a.kind.key()))
            .filter(|n| !names.contains(n))
            .collect();
        if own.is_empty() {
            self.err(
                &format!("{path}.deploy.alarms"),
                "`auto` gates on the service's own errors_5xx, latency_p99 and unhealthy alarms, and it has none",
            )
            .hint("these need `signals:` and routes (and not `alarms: false`); or name the alarms to gate on");
        }
        names.splice(at..=at, own);
    }

    /// Container Insights turned off by hand while a service has a running-below-desired
    /// alarm, which reads its task counts.
    pub(super) fn check_insights(&mut self, cluster: &Cluster, services: &BTreeMap<ServiceName, Service>) {
        let needing: Vec<&str> = services
            .values()
            .filter(|s| s.alarms.iter().any(|a| a.kind == AlarmKind::RunningBelowDesired))
            .map(|s| s.name.as_str())
            .collect();
        if !cluster.container_insights && !needing.is_empty() {
            self.err(
                "cluster.container_insights",
                format!("the running_below_desired alarms of {} read Container Insights' task counts, and it is off", needing.join(", ")),
            )
            .hint("turn container_insights on, or set `alarms: { running_below_desired: false }` on those services");
        }
    }

    /// The deployed stack name (`stack`, or `stack-env`).
    fn deployed_stack(&self) -> String {
        match &self.loaded.env {
            Some(env) => format!("{}-{env}", self.loaded.spec.stack),
            None => self.loaded.spec.stack.clone(),
        }
    }
}

fn default_threshold(kind: AlarmKind) -> types::Threshold {
    let text = match kind {
        AlarmKind::Errors5xx => "5%",
        AlarmKind::LatencyP99 => "2s",
        AlarmKind::Unhealthy => return types::Threshold::Number(1),
        AlarmKind::Cpu | AlarmKind::Memory => "90%",
        AlarmKind::RunningBelowDesired => "5m",
    };
    types::Threshold::Text(text.into())
}

/// `90%` (or `90`): a whole percentage, 1 to 100.
fn percent(v: &types::Threshold) -> Result<Percent, String> {
    let n: u32 = match v {
        types::Threshold::Number(n) => *n,
        types::Threshold::Text(t) => {
            let digits = t.trim().strip_suffix('%').unwrap_or(t).trim();
            digits.parse().map_err(|_| format!("`{t}` is not a whole percentage: write it like 5%"))?
        }
        types::Threshold::Off(_) => return Err("give a percentage like 5%".into()),
    };
    match u8::try_from(n) {
        Ok(p) if (1..=100).contains(&p) => Ok(Percent(p)),
        _ if n == 0 => Err("0% would always be in ALARM: use 1% to 100%, or `false` for no alarm".into()),
        _ => Err(format!("{n}% is over 100%")),
    }
}

/// The p99 latency that sets the alarm off: 1ms to 1h (the load balancer's own limit on a
/// request is its idle timeout, at most 4000s).
fn latency(t: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(t).map_err(|_| format!("`{t}` is not a duration; write it like 500ms or 2s"))?;
    if d < Duration::from_millis(1) || d > Duration::from_secs(3600) {
        return Err(format!("{t} is out of range: use 1ms to 1h"));
    }
    Ok(d)
}

/// How long fewer tasks run than desired: whole minutes, since CloudWatch evaluates the
/// metric once a minute — 1m to 1d.
fn minutes(t: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(t).map_err(|_| format!("`{t}` is not a duration; write it like 5m"))?;
    if d < Duration::from_secs(60) {
        return Err(format!("{t} is under a minute, and CloudWatch evaluates this metric once a minute: use 1m or more"));
    }
    if d.as_secs() % 60 != 0 || d.subsec_nanos() != 0 {
        return Err(format!("{t} is not whole minutes, and CloudWatch evaluates this metric once a minute"));
    }
    if d > Duration::from_secs(86_400) {
        return Err(format!("{t} is over a day, the longest a CloudWatch alarm looks back"));
    }
    Ok(d)
}

/// An e-mail address as SNS takes it: one `@`, a local part, a domain with a dot, no spaces.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && !domain.contains('@')
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_whole_and_at_most_100() {
        let t = |s: &str| percent(&types::Threshold::Text(s.into()));
        assert_eq!(t("5%"), Ok(Percent(5)));
        assert_eq!(percent(&types::Threshold::Number(90)), Ok(Percent(90)));
        assert_eq!(t("101%"), Err("101% is over 100%".into()));
        assert!(t("0%").is_err());
        assert!(t("2.5%").is_err());
    }

    #[test]
    fn running_below_desired_is_whole_minutes_from_one() {
        assert_eq!(minutes("5m"), Ok(Duration::from_secs(300)));
        assert!(minutes("30s").unwrap_err().contains("under a minute"));
        assert!(minutes("90s").unwrap_err().contains("whole minutes"));
        assert!(minutes("2d").is_err());
    }

    #[test]
    fn latency_takes_milliseconds() {
        assert_eq!(latency("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(latency("2s"), Ok(Duration::from_secs(2)));
        assert!(latency("2").is_err());
    }

    #[test]
    fn e_mail_addresses() {
        for ok in ["oncall@example.com", "a.b+ops@mail.example.co.uk"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["oncall", "oncall@example", "@example.com", "a b@example.com", "a@@example.com", "a@example..com"] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}

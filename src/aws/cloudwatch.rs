//! CloudWatch alarms, read for a rollout's gates (`deploy.alarms`): each named alarm's state
//! and when it went there. Metric and composite alarms alike.

use aws_sdk_cloudwatch::types::AlarmType;
use aws_sdk_cloudwatch::Client;

use super::states::parse;
use super::{classify, Aws, AwsError};
use crate::workload::{Alarm, AlarmState};

pub struct Cloudwatch {
    client: Client,
}

impl Cloudwatch {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.cloudwatch() }
    }

    /// The alarms of `names` that exist.
    pub async fn alarms(&self, names: &[String]) -> Result<Vec<Alarm>, AwsError> {
        let mut out = Vec::new();
        // DescribeAlarms takes up to 100 names at a time.
        for chunk in names.chunks(100) {
            self.some(chunk, &mut out).await?;
        }
        Ok(out)
    }

    async fn some(&self, names: &[String], out: &mut Vec<Alarm>) -> Result<(), AwsError> {
        let action = format!("DescribeAlarms {}", names.join(", "));
        let mut pages = self
            .client
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&action, e))?;
            let metric = page
                .metric_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.state_value().map(|v| v.as_str()), a.state_reason(), a.state_updated_timestamp()));
            let composite = page
                .composite_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.state_value().map(|v| v.as_str()), a.state_reason(), a.state_updated_timestamp()));
            for (name, state, reason, since) in metric.chain(composite) {
                let Some(name) = name else { continue };
                out.push(Alarm {
                    name: name.to_string(),
                    state: state.map_or(AlarmState::InsufficientData, parse),
                    reason: reason.unwrap_or("").to_string(),
                    since: since.map_or(0, |t| t.to_millis().unwrap_or(0)),
                });
            }
        }
        Ok(())
    }
}

//! Application Auto Scaling through its API, for ECS services' desired counts: scalable
//! targets, target-tracking policies and scheduled actions, read and written as
//! `workload::scaling::Scaling`. Only policies and actions named `ecship-…` are ecship's.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalableTargetAction, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_applicationautoscaling::Client;
use futures_util::future::try_join_all;

use super::{classify, Aws, AwsError};
use crate::workload::scaling::{Scaling, Scheduled, TargetTracking, PREFIX};

/// DescribeScalableTargets takes this many resource ids a call.
const BATCH: usize = 50;

#[derive(Clone)]
pub struct Autoscaling {
    client: Client,
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn unsigned(n: Option<i32>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

impl Autoscaling {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.autoscaling() }
    }

    /// The scaling of each of the given ECS services that has a scalable target, by
    /// resource id (`service/CLUSTER/NAME`).
    pub async fn describe(&self, resource_ids: &[String]) -> Result<BTreeMap<String, Scaling>, AwsError> {
        let mut targets: Vec<(String, u32, u32)> = Vec::new();
        for batch in resource_ids.chunks(BATCH) {
            let mut pages = self
                .client
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .set_resource_ids(Some(batch.to_vec()))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| classify("DescribeScalableTargets", e))?;
                targets.extend(
                    page.scalable_targets()
                        .iter()
                        .map(|t| (t.resource_id().to_string(), unsigned(Some(t.min_capacity())), unsigned(Some(t.max_capacity())))),
                );
            }
        }
        let read = try_join_all(targets.into_iter().map(|(id, min, max)| async move {
            let (policies, scheduled) = tokio::try_join!(self.policies(&id), self.scheduled(&id))?;
            Ok::<_, AwsError>((id.clone(), Scaling { resource_id: id, min, max, policies, scheduled }))
        }))
        .await?;
        Ok(read.into_iter().collect())
    }

    async fn policies(&self, resource_id: &str) -> Result<BTreeMap<String, TargetTracking>, AwsError> {
        let mut out = BTreeMap::new();
        let mut pages = self
            .client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&format!("DescribeScalingPolicies {resource_id}"), e))?;
            for p in page.scaling_policies().iter().filter(|p| p.policy_name().starts_with(PREFIX)) {
                let Some(config) = p.target_tracking_scaling_policy_configuration() else { continue };
                let metric = config.predefined_metric_specification();
                let tracking = TargetTracking {
                    metric: metric.map(|m| m.predefined_metric_type().as_str().to_string()).unwrap_or_default(),
                    // Targets ecship sets are whole numbers.
                    target: config.target_value().round().clamp(0.0, f64::from(u32::MAX)) as u32,
                    resource_label: metric.and_then(|m| m.resource_label()).map(str::to_string),
                };
                out.insert(p.policy_name().to_string(), tracking);
            }
        }
        Ok(out)
    }

    async fn scheduled(&self, resource_id: &str) -> Result<BTreeMap<String, Scheduled>, AwsError> {
        let mut out = BTreeMap::new();
        let mut pages = self
            .client
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&format!("DescribeScheduledActions {resource_id}"), e))?;
            for a in page.scheduled_actions().iter().filter(|a| a.scheduled_action_name().starts_with(PREFIX)) {
                let bounds = a.scalable_target_action();
                let action = Scheduled {
                    expression: a.schedule().to_string(),
                    timezone: a.timezone().filter(|z| *z != "UTC").map(str::to_string),
                    min: bounds.and_then(|b| b.min_capacity()).map(|n| unsigned(Some(n))),
                    max: bounds.and_then(|b| b.max_capacity()).map(|n| unsigned(Some(n))),
                };
                out.insert(a.scheduled_action_name().to_string(), action);
            }
        }
        Ok(out)
    }

    /// Make a service's scaling what `want` says, from what `now` is (`None`: no target):
    /// the target registered or its bounds changed, policies and actions put where they
    /// differ and ecship's others deleted.
    pub async fn apply(&self, want: &Scaling, now: Option<&Scaling>) -> Result<(), AwsError> {
        let id = want.resource_id.as_str();
        if now.is_none_or(|n| (n.min, n.max) != (want.min, want.max)) {
            self.client
                .register_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .min_capacity(count(want.min))
                .max_capacity(count(want.max))
                .send()
                .await
                .map_err(|e| classify(&format!("RegisterScalableTarget {id}"), e))?;
        }
        let none = Scaling { resource_id: id.to_string(), min: 0, max: 0, policies: BTreeMap::new(), scheduled: BTreeMap::new() };
        let now = now.unwrap_or(&none);
        for (name, p) in want.policies.iter().filter(|(name, p)| now.policies.get(*name) != Some(*p)) {
            self.put_policy(id, name, p).await?;
        }
        for name in now.policies.keys().filter(|n| !want.policies.contains_key(*n)) {
            self.client
                .delete_scaling_policy()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .policy_name(name)
                .send()
                .await
                .map_err(|e| classify(&format!("DeleteScalingPolicy {name} of {id}"), e))?;
        }
        for (name, a) in want.scheduled.iter().filter(|(name, a)| now.scheduled.get(*name) != Some(*a)) {
            let bounds = ScalableTargetAction::builder().set_min_capacity(a.min.map(count)).set_max_capacity(a.max.map(count)).build();
            self.client
                .put_scheduled_action()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .scheduled_action_name(name)
                .schedule(&a.expression)
                .set_timezone(a.timezone.clone())
                .scalable_target_action(bounds)
                .send()
                .await
                .map_err(|e| classify(&format!("PutScheduledAction {name} of {id}"), e))?;
        }
        for name in now.scheduled.keys().filter(|n| !want.scheduled.contains_key(*n)) {
            self.client
                .delete_scheduled_action()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .scheduled_action_name(name)
                .send()
                .await
                .map_err(|e| classify(&format!("DeleteScheduledAction {name} of {id}"), e))?;
        }
        Ok(())
    }

    async fn put_policy(&self, id: &str, name: &str, p: &TargetTracking) -> Result<(), AwsError> {
        let action = format!("PutScalingPolicy {name} of {id}");
        let metric = PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::from(p.metric.as_str()))
            .set_resource_label(p.resource_label.clone())
            .build()
            .map_err(|e| AwsError::Other(format!("{action}: {e}")))?;
        let config = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(f64::from(p.target))
            .predefined_metric_specification(metric)
            .build()
            .map_err(|e| AwsError::Other(format!("{action}: {e}")))?;
        self.client
            .put_scaling_policy()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .policy_name(name)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(config)
            .send()
            .await
            .map_err(|e| classify(&action, e))?;
        Ok(())
    }

    /// Remove a service's scalable target (its policies and scheduled actions go with it).
    /// `Ok(false)` when there was none.
    pub async fn deregister(&self, resource_id: &str) -> Result<bool, AwsError> {
        let sent = self
            .client
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_object_not_found_exception()) => Ok(false),
            Err(e) => Err(classify(&format!("DeregisterScalableTarget {resource_id}"), e)),
        }
    }
}

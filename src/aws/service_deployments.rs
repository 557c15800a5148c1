//! ECS's native rollouts (`deploy.engine: ecs`): the strategy and load-balancer settings
//! written on a service and read back, and its service deployments followed, stopped and
//! continued.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    AdvancedConfiguration, CanaryConfiguration, DeploymentConfiguration, DeploymentLifecycleHook, DeploymentLifecycleHookAction,
    DeploymentLifecycleHookStage, DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType,
    DeploymentLifecycleHookTimeoutConfiguration, DeploymentStrategy, LinearConfiguration, StopServiceDeploymentStopType,
};

use super::ecs::Ecs;
use super::states::parse;
use super::{classify, AwsError};
use crate::rollout::ServiceDeployment;
use crate::workload::{Alternate, NativeShift, NativeStrategy};

/// The stage ecship pauses a native rollout at for its check or approval.
const PAUSE_STAGE: DeploymentLifecycleHookStage = DeploymentLifecycleHookStage::PostTestTrafficShift;

impl Ecs {
    /// The newest service deployment of a service: the one its last update started.
    pub async fn latest_service_deployment(&self, cluster: &str, service: &str) -> Result<Option<ServiceDeployment>, AwsError> {
        let action = format!("ListServiceDeployments {service}");
        let out =
            self.client.list_service_deployments().cluster(cluster).service(service).send().await.map_err(|e| classify(&action, e))?;
        let newest = out
            .service_deployments()
            .iter()
            .filter_map(|b| Some((b.created_at().map(|t| (t.secs(), t.subsec_nanos())), b.service_deployment_arn()?)))
            .max_by_key(|(at, _)| *at)
            .map(|(_, arn)| arn.to_string());
        match newest {
            Some(arn) => self.service_deployment(&arn).await,
            None => Ok(None),
        }
    }

    pub async fn service_deployment(&self, arn: &str) -> Result<Option<ServiceDeployment>, AwsError> {
        let action = format!("DescribeServiceDeployments {arn}");
        let out = self.client.describe_service_deployments().service_deployment_arns(arn).send().await.map_err(|e| classify(&action, e))?;
        Ok(out.service_deployments().first().map(|d| ServiceDeployment {
            arn: d.service_deployment_arn().unwrap_or(arn).to_string(),
            status: parse(d.status().map_or("", |s| s.as_str())),
            status_reason: d.status_reason().map(str::to_string),
            stage: d.lifecycle_stage().map(|s| parse(s.as_str())),
            paused: d
                .lifecycle_hook_details()
                .iter()
                .find(|h| {
                    h.target_type() == Some(&DeploymentLifecycleHookTargetType::Pause)
                        && h.status() == Some(&DeploymentLifecycleHookStatus::AwaitingAction)
                })
                .and_then(|h| h.hook_id())
                .map(str::to_string),
            production_share: d
                .target_service_revision()
                .and_then(|r| r.requested_production_traffic_weight())
                .map(|w| w.clamp(0.0, 100.0).round() as u8),
            rollback_reason: d.rollback().and_then(|r| r.reason()).map(str::to_string),
            target_revision: d.target_service_revision().and_then(|r| r.arn()).map(str::to_string),
        }))
    }

    /// The task definition a service revision runs.
    pub async fn revision_task_definition(&self, revision_arn: &str) -> Result<Option<String>, AwsError> {
        let action = format!("DescribeServiceRevisions {revision_arn}");
        let out =
            self.client.describe_service_revisions().service_revision_arns(revision_arn).send().await.map_err(|e| classify(&action, e))?;
        Ok(out.service_revisions().first().and_then(|r| r.task_definition()).map(str::to_string))
    }

    /// Stop a service deployment, rolling it back to the revision before it.
    pub async fn roll_back_service_deployment(&self, arn: &str) -> Result<(), AwsError> {
        let action = format!("StopServiceDeployment {arn}");
        match self
            .client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(StopServiceDeploymentStopType::Rollback)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // It ended meanwhile (completed, or rolled back already): the caller reads which.
            Err(e) if e.code() == Some("ConflictException") => Ok(()),
            Err(e) => Err(classify(&action, e)),
        }
    }

    /// Answer a paused service deployment: carry on, or roll back.
    pub async fn continue_service_deployment(&self, arn: &str, hook: &str, carry_on: bool) -> Result<(), AwsError> {
        let action = format!("ContinueServiceDeployment {arn}");
        let answer = if carry_on { DeploymentLifecycleHookAction::Continue } else { DeploymentLifecycleHookAction::Rollback };
        self.client
            .continue_service_deployment()
            .service_deployment_arn(arn)
            .hook_id(hook)
            .action(answer)
            .send()
            .await
            .map_err(|e| classify(&action, e))?;
        Ok(())
    }
}

/// The load balancer's `advancedConfiguration`.
pub(super) fn advanced(a: &Alternate) -> AdvancedConfiguration {
    AdvancedConfiguration::builder()
        .alternate_target_group_arn(&a.target_group_arn)
        .production_listener_rule(&a.production_rule)
        .set_test_listener_rule(a.test_rule.clone())
        .role_arn(&a.role_arn)
        .build()
}

pub(super) fn read_advanced(a: &AdvancedConfiguration) -> Option<Alternate> {
    Some(Alternate {
        target_group_arn: a.alternate_target_group_arn()?.to_string(),
        production_rule: a.production_listener_rule()?.to_string(),
        test_rule: a.test_listener_rule().map(str::to_string),
        role_arn: a.role_arn()?.to_string(),
    })
}

/// A deployment configuration with the native strategy set (or set back to a rolling update:
/// ECS keeps a strategy that is left out).
pub(super) fn strategy(
    b: aws_sdk_ecs::types::builders::DeploymentConfigurationBuilder,
    n: Option<&NativeStrategy>,
) -> aws_sdk_ecs::types::builders::DeploymentConfigurationBuilder {
    let Some(n) = n else { return b.strategy(DeploymentStrategy::Rolling) };
    let minutes = |m: u32| i32::try_from(m).unwrap_or(i32::MAX);
    let b = match n.shift {
        NativeShift::BlueGreen => b.strategy(DeploymentStrategy::BlueGreen),
        NativeShift::Canary { percent, bake_minutes } => b.strategy(DeploymentStrategy::Canary).canary_configuration(
            CanaryConfiguration::builder().canary_percent(f64::from(percent)).canary_bake_time_in_minutes(minutes(bake_minutes)).build(),
        ),
        NativeShift::Linear { step, bake_minutes } => b.strategy(DeploymentStrategy::Linear).linear_configuration(
            LinearConfiguration::builder().step_percent(f64::from(step)).step_bake_time_in_minutes(minutes(bake_minutes)).build(),
        ),
    };
    let hooks = match n.pause_minutes {
        Some(m) => vec![DeploymentLifecycleHook::builder()
            .target_type(DeploymentLifecycleHookTargetType::Pause)
            .lifecycle_stages(PAUSE_STAGE)
            .timeout_configuration(
                DeploymentLifecycleHookTimeoutConfiguration::builder()
                    .timeout_in_minutes(minutes(m))
                    .action(DeploymentLifecycleHookAction::Rollback)
                    .build(),
            )
            .build()],
        None => vec![],
    };
    // Sent empty as well, so that a pause no longer wanted goes.
    b.bake_time_in_minutes(minutes(n.bake_minutes)).set_lifecycle_hooks(Some(hooks))
}

pub(super) fn read_strategy(d: &DeploymentConfiguration) -> Option<NativeStrategy> {
    let unsigned = |n: Option<i32>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
    let percent = |p: Option<f64>| p.unwrap_or(0.0).clamp(0.0, 100.0).round() as u8;
    let shift = match d.strategy()? {
        DeploymentStrategy::BlueGreen => NativeShift::BlueGreen,
        DeploymentStrategy::Canary => {
            let c = d.canary_configuration();
            NativeShift::Canary {
                percent: percent(c.and_then(|c| c.canary_percent())),
                bake_minutes: unsigned(c.and_then(|c| c.canary_bake_time_in_minutes())),
            }
        }
        DeploymentStrategy::Linear => {
            let l = d.linear_configuration();
            NativeShift::Linear {
                step: percent(l.and_then(|l| l.step_percent())),
                bake_minutes: unsigned(l.and_then(|l| l.step_bake_time_in_minutes())),
            }
        }
        _ => return None,
    };
    let pause_minutes = d
        .lifecycle_hooks()
        .iter()
        .find(|h| h.target_type() == Some(&DeploymentLifecycleHookTargetType::Pause) && h.lifecycle_stages().contains(&PAUSE_STAGE))
        .map(|h| unsigned(h.timeout_configuration().and_then(|t| t.timeout_in_minutes())));
    Some(NativeStrategy { shift, bake_minutes: unsigned(d.bake_time_in_minutes()), pause_minutes })
}

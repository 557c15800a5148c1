//! EventBridge Scheduler through its API: a stack's scheduled jobs as schedules in its own
//! schedule group (`ecship-STACK`), each starting one Fargate task of the job's task
//! definition. Deleting the group deletes every schedule in it.

use std::collections::BTreeMap;

use aws_sdk_scheduler::types::{
    AssignPublicIp, AwsVpcConfiguration, EcsParameters, FlexibleTimeWindow, FlexibleTimeWindowMode, LaunchType, NetworkConfiguration,
    PropagateTags, ScheduleGroupState, ScheduleState, Target,
};
use aws_sdk_scheduler::Client;

use super::{classify, Aws, AwsError};
use crate::workload::{JobSchedule, Network};

/// Where and how a schedule starts its task.
#[derive(Clone, Copy)]
pub struct Start<'a> {
    pub cluster_arn: &'a str,
    /// The role EventBridge Scheduler starts it with.
    pub role: &'a str,
    pub network: &'a Network,
}

pub struct Scheduler {
    client: Client,
}

/// The schedule group of a stack.
pub fn group(stack: &str) -> String {
    format!("ecship-{stack}")
}

fn built(action: &str, e: impl std::fmt::Display) -> AwsError {
    AwsError::Other(format!("{action}: {e}"))
}

impl Scheduler {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.scheduler() }
    }

    /// Whether the group exists.
    pub async fn has_group(&self, group: &str) -> Result<bool, AwsError> {
        match self.client.get_schedule_group().name(group).send().await {
            // A group being deleted is gone as far as anyone can use it.
            Ok(out) => Ok(out.state() != Some(&ScheduleGroupState::Deleting)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(false),
            Err(e) => Err(classify(&format!("GetScheduleGroup {group}"), e)),
        }
    }

    /// The group's schedules, by name (none when there is no group).
    pub async fn schedules(&self, group: &str) -> Result<BTreeMap<String, JobSchedule>, AwsError> {
        let mut names = Vec::new();
        let mut pages = self.client.list_schedules().group_name(group).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => names.extend(p.schedules().iter().filter_map(|s| s.name()).map(str::to_string)),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(BTreeMap::new()),
                Err(e) => return Err(classify(&format!("ListSchedules {group}"), e)),
            }
        }
        let mut out = BTreeMap::new();
        for name in names {
            let s = self
                .client
                .get_schedule()
                .group_name(group)
                .name(&name)
                .send()
                .await
                .map_err(|e| classify(&format!("GetSchedule {name}"), e))?;
            let ecs = s.target().and_then(|t| t.ecs_parameters());
            out.insert(
                name,
                JobSchedule {
                    expression: s.schedule_expression().unwrap_or_default().to_string(),
                    timezone: s.schedule_expression_timezone().filter(|z| *z != "UTC").map(str::to_string),
                    task_definition: ecs.map(|e| e.task_definition_arn().to_string()).unwrap_or_default(),
                },
            );
        }
        Ok(out)
    }

    /// Create or replace the schedule `name` in `group` (the group is created first when
    /// needed): one Fargate task of `schedule.task_definition`, started as `start` says.
    pub async fn put(&self, group: &str, name: &str, schedule: &JobSchedule, start: &Start<'_>, exists: bool) -> Result<(), AwsError> {
        let Start { cluster_arn, role, network } = *start;
        let action = format!("{} {name}", if exists { "UpdateSchedule" } else { "CreateSchedule" });
        if !exists && !self.has_group(group).await? {
            self.client
                .create_schedule_group()
                .name(group)
                .send()
                .await
                .map_err(|e| classify(&format!("CreateScheduleGroup {group}"), e))?;
        }
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(network.subnets.clone()))
            .set_security_groups(Some(network.security_groups.clone()))
            .assign_public_ip(if network.public_ip { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled })
            .build()
            .map_err(|e| built(&action, e))?;
        let ecs = EcsParameters::builder()
            .task_definition_arn(&schedule.task_definition)
            .launch_type(LaunchType::Fargate)
            .task_count(1)
            .network_configuration(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
            .enable_ecs_managed_tags(true)
            .propagate_tags(PropagateTags::TaskDefinition)
            .build()
            .map_err(|e| built(&action, e))?;
        let target = Target::builder().arn(cluster_arn).role_arn(role).ecs_parameters(ecs).build().map_err(|e| built(&action, e))?;
        let window = FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build().map_err(|e| built(&action, e))?;
        let zone = schedule.timezone.clone().unwrap_or_else(|| "UTC".into());
        // The two requests take the same fields but are different types.
        macro_rules! send {
            ($request:expr) => {
                $request
                    .group_name(group)
                    .name(name)
                    .schedule_expression(&schedule.expression)
                    .schedule_expression_timezone(zone)
                    .flexible_time_window(window)
                    .target(target)
                    .state(ScheduleState::Enabled)
                    .send()
                    .await
                    .map_err(|e| classify(&action, e))?
            };
        }
        if exists {
            send!(self.client.update_schedule());
        } else {
            send!(self.client.create_schedule());
        }
        Ok(())
    }

    pub async fn delete(&self, group: &str, name: &str) -> Result<(), AwsError> {
        match self.client.delete_schedule().group_name(group).name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
            Err(e) => Err(classify(&format!("DeleteSchedule {name}"), e)),
        }
    }

    /// Delete the group and every schedule in it; `Ok(false)` when there was none.
    pub async fn delete_group(&self, group: &str) -> Result<bool, AwsError> {
        if !self.has_group(group).await? {
            return Ok(false);
        }
        self.client.delete_schedule_group().name(group).send().await.map_err(|e| classify(&format!("DeleteScheduleGroup {group}"), e))?;
        Ok(true)
    }
}

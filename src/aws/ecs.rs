//! ECS through its API: task definitions and services, read as `workload` types and written
//! from them. Reads are batched (DescribeServices takes 10 services a call).
//!
//! Must not decide anything: callers compare and choose.

use std::collections::BTreeMap;

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, Compatibility, ContainerOverride, CpuArchitecture, DeploymentAlarms,
    DeploymentCircuitBreaker, DeploymentConfiguration, DesiredStatus, EphemeralStorage, LaunchType, LoadBalancer, NetworkConfiguration,
    NetworkMode, OsFamily, PropagateTags, RuntimePlatform, ServiceConnectClientAlias, ServiceConnectConfiguration, ServiceConnectService,
    ServiceField, Tag, TaskDefinitionFamilyStatus, TaskDefinitionField, TaskDefinitionStatus, TaskOverride,
};
use aws_sdk_ecs::Client;

use super::states::parse;
use super::{classify, service_deployments, Aws, AwsError};
use crate::workload::revision_name;
use crate::workload::{
    ClusterStatus, Deployment, DeploymentConfig, LoadBalancerTarget, Network, ObservedConfig, Registered, ServiceConfig, ServiceEvent,
    ServiceState, ServiceStatus, StoppedTask, TaskDef, TaskRun, PORT_NAME,
};

/// DescribeServices and DescribeTasks take this many at a time.
const BATCH: usize = 10;

pub struct Ecs {
    pub(super) client: Client,
}

impl Ecs {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.ecs() }
    }

    /// The cluster's status (ACTIVE, INACTIVE…), or `None` when it does not exist.
    pub async fn cluster_status(&self, cluster: &str) -> Result<Option<ClusterStatus>, AwsError> {
        let out = self
            .client
            .describe_clusters()
            .clusters(cluster)
            .send()
            .await
            .map_err(|e| classify(&format!("DescribeClusters {cluster}"), e))?;
        Ok(out.clusters().first().and_then(|c| c.status()).map(parse))
    }

    /// The named services that exist (any status), in batches of ten.
    pub async fn describe_services(&self, cluster: &str, names: &[String]) -> Result<Vec<ServiceState>, AwsError> {
        let mut out = Vec::new();
        for batch in names.chunks(BATCH) {
            let sent = self
                .client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .include(ServiceField::Tags)
                .send()
                .await;
            let page = match sent {
                Ok(p) => p,
                Err(e) if e.code() == Some("ClusterNotFoundException") => return Ok(Vec::new()),
                Err(e) => return Err(classify(&format!("DescribeServices {cluster}"), e)),
            };
            out.extend(page.services().iter().map(service_state));
        }
        Ok(out)
    }

    /// Every ACTIVE or DRAINING service in the cluster whose `ecship:stack` tag is `stack`.
    pub async fn stack_services(&self, cluster: &str, stack: &str) -> Result<Vec<ServiceState>, AwsError> {
        let all = self.cluster_services(cluster).await?;
        Ok(all.into_iter().filter(|s| s.tags.get(crate::workload::STACK_TAG).map(String::as_str) == Some(stack)).collect())
    }

    /// Every active service of a cluster (none when there is no such cluster).
    pub async fn cluster_services(&self, cluster: &str) -> Result<Vec<ServiceState>, AwsError> {
        let mut arns = Vec::new();
        // 100 a page (the default is 10).
        let mut pages = self.client.list_services().cluster(cluster).max_results(100).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => arns.extend(p.service_arns().iter().cloned()),
                Err(e) if e.code() == Some("ClusterNotFoundException") => return Ok(Vec::new()),
                Err(e) => return Err(classify(&format!("ListServices {cluster}"), e)),
            }
        }
        let all = self.describe_services(cluster, &arns).await?;
        Ok(all.into_iter().filter(|s| s.status != ServiceStatus::Inactive).collect())
    }

    /// A task definition by ARN, `family:revision`, or family (its latest ACTIVE revision);
    /// `None` when there is none.
    pub async fn task_definition(&self, id: &str) -> Result<Option<Registered>, AwsError> {
        let out = match self.client.describe_task_definition().task_definition(id).include(TaskDefinitionField::Tags).send().await {
            Ok(o) => o,
            Err(e) if e.code() == Some("ClientException") => return Ok(None),
            Err(e) => return Err(classify(&format!("DescribeTaskDefinition {id}"), e)),
        };
        let Some(td) = out.task_definition() else { return Ok(None) };
        Ok(Some(Registered {
            arn: td.task_definition_arn().unwrap_or(id).to_string(),
            task_def: super::task_def::read(td),
            tags: tags(out.tags()),
        }))
    }

    /// Register a new revision; returns its ARN.
    pub async fn register(&self, td: &TaskDef, tags: &BTreeMap<String, String>) -> Result<String, AwsError> {
        let action = format!("RegisterTaskDefinition {}", td.family);
        let containers = super::task_def::definitions(td, &action)?;
        let out = self
            .client
            .register_task_definition()
            .family(&td.family)
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu(td.cpu.to_string())
            .memory(td.memory.to_string())
            .set_task_role_arn(td.task_role_arn.clone())
            .set_execution_role_arn(td.execution_role_arn.clone())
            .set_container_definitions(Some(containers))
            .set_volumes(Some(super::task_def::volumes(td)).filter(|v| !v.is_empty()))
            .set_runtime_platform(td.architecture.as_deref().map(|a| {
                RuntimePlatform::builder().cpu_architecture(CpuArchitecture::from(a)).operating_system_family(OsFamily::Linux).build()
            }))
            .set_ephemeral_storage(td.storage.map(|g| EphemeralStorage::builder().size_in_gib(i32::try_from(g).unwrap_or(200)).build()))
            .set_tags(Some(ecs_tags(tags)))
            .send()
            .await
            .map_err(|e| classify(&action, e))?;
        out.task_definition()
            .and_then(|t| t.task_definition_arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::Other(format!("{action}: AWS returned no task-definition ARN")))
    }

    pub async fn create_service(&self, s: &ServiceConfig, task_definition: &str) -> Result<(), AwsError> {
        let action = format!("CreateService {}", s.name);
        let mut req = self
            .client
            .create_service()
            .client_token(super::client_token())
            .cluster(&s.cluster)
            .service_name(&s.name)
            .task_definition(task_definition)
            .desired_count(count(s.desired_count))
            .set_launch_type(s.capacity.is_empty().then_some(LaunchType::Fargate))
            .set_capacity_provider_strategy((!s.capacity.is_empty()).then(|| capacity(&s.capacity)))
            .network_configuration(network(&s.network, &action)?)
            .set_health_check_grace_period_seconds(s.grace_seconds.map(count))
            .enable_execute_command(s.exec)
            .deployment_configuration(deployment(&s.deployment, &action)?)
            .propagate_tags(PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .set_tags(Some(ecs_tags(&s.tags)));
        if let Some(lb) = &s.load_balancer {
            req = req.load_balancers(load_balancer(lb));
        }
        if let Some(sc) = &s.service_connect {
            req = req.service_connect_configuration(service_connect(sc, &action)?);
        }
        req.send().await.map_err(|e| classify(&action, e))?;
        Ok(())
    }

    /// Change only a service's desired count: no new deployment, the running tasks stay.
    pub async fn scale(&self, cluster: &str, service: &str, count: u32) -> Result<(), AwsError> {
        self.client
            .update_service()
            .cluster(cluster)
            .service(service)
            .desired_count(i32::try_from(count).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| classify(&format!("UpdateService {service}"), e))?;
        Ok(())
    }

    /// Update a service to `task_definition` and the settings; returns its ARN. With
    /// `capacity_changed`, its capacity provider strategy is set (an empty one returns it to
    /// the Fargate launch type) and a new deployment forced: ECS starts none for it.
    pub async fn update_service(&self, s: &ServiceConfig, task_definition: &str, capacity_changed: bool) -> Result<String, AwsError> {
        let action = format!("UpdateService {}", s.name);
        let mut req = self
            .client
            .update_service()
            .cluster(&s.cluster)
            .service(&s.name)
            .task_definition(task_definition)
            // Application Auto Scaling owns a managed count: the update leaves it be.
            .set_desired_count((!s.count_managed).then(|| count(s.desired_count)))
            .network_configuration(network(&s.network, &action)?)
            .set_health_check_grace_period_seconds(s.grace_seconds.map(count))
            .enable_execute_command(s.exec)
            .deployment_configuration(deployment(&s.deployment, &action)?);
        if let Some(lb) = &s.load_balancer {
            req = req.load_balancers(load_balancer(lb));
        }
        if capacity_changed {
            req = req.set_capacity_provider_strategy(Some(capacity(&s.capacity))).force_new_deployment(true);
        }
        req = match &s.service_connect {
            Some(sc) => req.service_connect_configuration(service_connect(sc, &action)?),
            // Leaving the setting out keeps it; turning it off takes an explicit `enabled: false`.
            None => req.service_connect_configuration(ServiceConnectConfiguration::builder().enabled(false).build()),
        };
        let out = req.send().await.map_err(|e| classify(&action, e))?;
        Ok(out.service().and_then(|s| s.service_arn()).unwrap_or_default().to_string())
    }

    /// Set one tag of a service (by ARN).
    pub async fn tag_service(&self, arn: &str, key: &str, value: &str) -> Result<(), AwsError> {
        self.client
            .tag_resource()
            .resource_arn(arn)
            .tags(Tag::builder().key(key).value(value).build())
            .send()
            .await
            .map_err(|e| classify(&format!("TagResource {arn}"), e))?;
        Ok(())
    }

    /// Remove one tag of a service (by ARN).
    pub async fn untag_service(&self, arn: &str, key: &str) -> Result<(), AwsError> {
        self.client
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(key)
            .send()
            .await
            .map_err(|e| classify(&format!("UntagResource {arn}"), e))?;
        Ok(())
    }

    /// Scale the service to zero and delete it (`force`: no separate scale-down call).
    pub async fn delete_service(&self, cluster: &str, name: &str) -> Result<(), AwsError> {
        match self.client.delete_service().cluster(cluster).service(name).force(true).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ServiceNotFoundException") => Ok(()),
            Err(e) => Err(classify(&format!("DeleteService {name}"), e)),
        }
    }

    /// Stopped tasks of a service that ran `task_definition`, with their stop reasons.
    pub async fn stopped_tasks(&self, cluster: &str, service: &str, task_definition: &str) -> Result<Vec<StoppedTask>, AwsError> {
        let action = format!("ListTasks {service}");
        let listed = self
            .client
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .map_err(|e| classify(&action, e))?;
        let mut out = Vec::new();
        let group = format!("service:{service}");
        for t in self.described_tasks(cluster, listed.task_arns(), service).await? {
            if t.task_definition_arn() != Some(task_definition) || t.group().is_some_and(|g| g != group) {
                continue;
            }
            let stopped = t.stopped_reason().unwrap_or("stopped");
            let reason = format!("{stopped}{}", container_reasons(stopped, t.containers()));
            let id = t.task_arn().and_then(|a| a.rsplit('/').next()).unwrap_or("").to_string();
            let stop_code = t.stop_code().map(|c| parse(c.as_str()));
            out.push(StoppedTask { id, task_definition: task_definition.to_string(), reason, stop_code });
        }
        Ok(out)
    }

    /// Start one Fargate task of `task_definition` in `network`, its `container` running
    /// `command` instead of the image's when given; `started_by` names who asked (at most
    /// 36 characters).
    pub async fn run_task(
        &self,
        cluster: &str,
        task_definition: &str,
        network: &Network,
        container: &str,
        command: Option<&[String]>,
        started_by: &str,
    ) -> Result<TaskRun, AwsError> {
        let action = format!("RunTask {}", revision_name(task_definition));
        let mut req = self
            .client
            .run_task()
            .cluster(cluster)
            .task_definition(task_definition)
            .launch_type(LaunchType::Fargate)
            .count(1)
            .started_by(started_by.chars().take(36).collect::<String>())
            .network_configuration(self::network(network, &action)?)
            .propagate_tags(PropagateTags::TaskDefinition)
            .enable_ecs_managed_tags(true)
            // Sent again after a lost answer, the same request: one task, not two.
            .client_token(super::client_token());
        if let Some(command) = command {
            let over = ContainerOverride::builder().name(container).set_command(Some(command.to_vec())).build();
            req = req.overrides(TaskOverride::builder().container_overrides(over).build());
        }
        let out = req.send().await.map_err(|e| classify(&action, e))?;
        if let Some(f) = out.failures().first() {
            let why = [f.reason(), f.detail()].into_iter().flatten().collect::<Vec<_>>().join(": ");
            return Err(AwsError::Other(format!("{action}: ECS could not start the task: {why}")));
        }
        out.tasks().first().map(task_run).ok_or_else(|| AwsError::Other(format!("{action}: ECS started no task")))
    }

    /// Tasks by ARN, described in batches of 100 (`what` names them in errors).
    async fn described_tasks(&self, cluster: &str, arns: &[String], what: &str) -> Result<Vec<aws_sdk_ecs::types::Task>, AwsError> {
        let mut out = Vec::new();
        for batch in arns.chunks(BATCH * 10) {
            let described = self
                .client
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| classify(&format!("DescribeTasks {what}"), e))?;
            out.extend(described.tasks().iter().cloned());
        }
        Ok(out)
    }

    /// One task as ECS reports it now (`None` once ECS has forgotten it).
    pub async fn task(&self, cluster: &str, arn: &str) -> Result<Option<TaskRun>, AwsError> {
        let out = self.client.describe_tasks().cluster(cluster).tasks(arn).send().await.map_err(|e| classify("DescribeTasks", e))?;
        Ok(out.tasks().first().map(task_run))
    }

    /// The stopped tasks of a family ECS still reports (about an hour's), newest first.
    pub async fn stopped_runs(&self, cluster: &str, family: &str) -> Result<Vec<TaskRun>, AwsError> {
        let action = format!("ListTasks {family}");
        let listed = self
            .client
            .list_tasks()
            .cluster(cluster)
            .family(family)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .map_err(|e| classify(&action, e))?;
        let described = self.described_tasks(cluster, listed.task_arns(), family).await?;
        let mut out: Vec<TaskRun> =
            described.iter().filter(|t| t.group().is_none_or(|g| !g.starts_with("service:"))).map(task_run).collect();
        out.sort_by_key(|t| std::cmp::Reverse(t.stopped_at));
        Ok(out)
    }

    /// The running tasks of a service (ARNs).
    pub async fn running_tasks(&self, cluster: &str, service: &str) -> Result<Vec<String>, AwsError> {
        let out = self
            .client
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(DesiredStatus::Running)
            .send()
            .await
            .map_err(|e| classify(&format!("ListTasks {service}"), e))?;
        Ok(out.task_arns().to_vec())
    }

    /// The tasks of a cluster ECS means to keep running (ARNs).
    pub async fn cluster_running_tasks(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.list_tasks().cluster(cluster).desired_status(DesiredStatus::Running).into_paginator().send();
        while let Some(page) = pages.next().await {
            out.extend(page.map_err(|e| classify(&format!("ListTasks {cluster}"), e))?.task_arns().iter().cloned());
        }
        Ok(out)
    }

    /// The runtime id of a task's container (what Session Manager targets), once it runs.
    pub async fn runtime_id(&self, cluster: &str, task: &str, container: &str) -> Result<Option<String>, AwsError> {
        let out = self.client.describe_tasks().cluster(cluster).tasks(task).send().await.map_err(|e| classify("DescribeTasks", e))?;
        Ok(out
            .tasks()
            .first()
            .and_then(|t| t.containers().iter().find(|c| c.name() == Some(container)))
            .and_then(|c| c.runtime_id())
            .map(str::to_string))
    }

    /// Start an interactive ECS Exec session: the session as JSON, the way the Session
    /// Manager plugin takes it.
    pub async fn execute_command(&self, cluster: &str, task: &str, container: &str, command: &str) -> Result<String, AwsError> {
        let out = self
            .client
            .execute_command()
            .cluster(cluster)
            .task(task)
            .container(container)
            .command(command)
            .interactive(true)
            .send()
            .await
            .map_err(|e| classify("ExecuteCommand", e))?;
        let s = out.session().ok_or_else(|| AwsError::Other("ExecuteCommand: ECS returned no session".into()))?;
        Ok(serde_json::json!({
            "SessionId": s.session_id(),
            "StreamUrl": s.stream_url(),
            "TokenValue": s.token_value(),
        })
        .to_string())
    }

    /// Stop a task, giving ECS's reason.
    pub async fn stop_task(&self, cluster: &str, arn: &str, reason: &str) -> Result<(), AwsError> {
        self.client.stop_task().cluster(cluster).task(arn).reason(reason).send().await.map_err(|e| classify("StopTask", e))?;
        Ok(())
    }

    /// Families starting with `prefix` (ACTIVE or INACTIVE).
    pub async fn families(&self, prefix: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_task_definition_families()
            .family_prefix(prefix)
            .status(TaskDefinitionFamilyStatus::All)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            out.extend(page.map_err(|e| classify(&format!("ListTaskDefinitionFamilies {prefix}"), e))?.families().iter().cloned());
        }
        Ok(out)
    }

    /// Revision ARNs of exactly `family` with the given status, oldest first.
    pub async fn revisions(&self, family: &str, active: bool) -> Result<Vec<String>, AwsError> {
        let status = if active { TaskDefinitionStatus::Active } else { TaskDefinitionStatus::Inactive };
        let mut out = Vec::new();
        let mut pages = self.client.list_task_definitions().family_prefix(family).status(status).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&format!("ListTaskDefinitions {family}"), e))?;
            // The prefix also matches longer families (`web` and `web-2`).
            out.extend(
                page.task_definition_arns()
                    .iter()
                    .filter(|a| crate::workload::revision_name(a).rsplit_once(':').is_some_and(|(f, _)| f == family))
                    .cloned(),
            );
        }
        Ok(out)
    }

    pub async fn deregister(&self, arn: &str) -> Result<(), AwsError> {
        match self.client.deregister_task_definition().task_definition(arn).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ClientException") => Ok(()),
            Err(e) => Err(classify(&format!("DeregisterTaskDefinition {arn}"), e)),
        }
    }

    /// Delete INACTIVE revisions, ten a call.
    pub async fn delete_task_definitions(&self, arns: &[String]) -> Result<(), AwsError> {
        for batch in arns.chunks(BATCH) {
            self.client
                .delete_task_definitions()
                .set_task_definitions(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| classify("DeleteTaskDefinitions", e))?;
        }
        Ok(())
    }
}

fn built(action: &str, e: impl std::fmt::Display) -> AwsError {
    AwsError::Other(format!("{action}: {e}"))
}

/// What a stopped task's containers add to its stop reason: each one's own reason (an image
/// pull error, an exit) unless the task's says it already, and a non-zero exit code.
fn container_reasons(stopped: &str, containers: &[aws_sdk_ecs::types::Container]) -> String {
    let mut parts = Vec::new();
    for c in containers {
        let reason = c.reason().filter(|r| *r != stopped);
        let exit = c.exit_code().filter(|code| *code != 0);
        let said = match (reason, exit) {
            (Some(r), Some(code)) => format!("{r}, exit code {code}"),
            (Some(r), None) => r.to_string(),
            (None, Some(code)) => format!("exit code {code}"),
            (None, None) => continue,
        };
        parts.push(format!("{}: {said}", c.name().unwrap_or("container")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn unsigned(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn ecs_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn tags(t: &[Tag]) -> BTreeMap<String, String> {
    t.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect()
}

fn task_run(t: &aws_sdk_ecs::types::Task) -> TaskRun {
    let container = t.containers().first();
    let stopped = t.stopped_reason().map(str::to_string);
    let own = container.and_then(|c| c.reason()).filter(|r| Some(*r) != stopped.as_deref());
    let arn = t.task_arn().unwrap_or_default().to_string();
    TaskRun {
        id: arn.rsplit('/').next().unwrap_or_default().to_string(),
        arn,
        status: parse(t.last_status().unwrap_or_default()),
        exit_code: container.and_then(|c| c.exit_code()),
        stopped_reason: stopped.map(|s| own.map_or_else(|| s.clone(), |o| format!("{s} ({o})"))),
        started_at: t.started_at().map(|d| d.secs()),
        stopped_at: t.stopped_at().map(|d| d.secs()),
        task_definition: t.task_definition_arn().unwrap_or_default().to_string(),
    }
}

fn network(n: &Network, action: &str) -> Result<NetworkConfiguration, AwsError> {
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(n.subnets.clone()))
        .set_security_groups(Some(n.security_groups.clone()))
        .assign_public_ip(if n.public_ip { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled })
        .build()
        .map_err(|e| built(action, e))?;
    Ok(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
}

fn load_balancer(lb: &LoadBalancerTarget) -> LoadBalancer {
    LoadBalancer::builder()
        .target_group_arn(&lb.target_group_arn)
        .container_name(&lb.container_name)
        .container_port(i32::from(lb.container_port))
        .set_advanced_configuration(lb.alternate.as_ref().map(service_deployments::advanced))
        .build()
}

fn deployment(d: &DeploymentConfig, action: &str) -> Result<DeploymentConfiguration, AwsError> {
    Ok(service_deployments::strategy(DeploymentConfiguration::builder(), d.native.as_ref())
        .minimum_healthy_percent(count(d.min_healthy_percent))
        .maximum_percent(count(d.max_percent))
        .deployment_circuit_breaker(DeploymentCircuitBreaker::builder().enable(d.circuit_breaker).rollback(d.rollback).build())
        // Sent empty as well, so that alarms removed from the spec stop gating.
        .alarms(
            DeploymentAlarms::builder()
                .set_alarm_names(Some(d.alarms.clone()))
                .enable(!d.alarms.is_empty())
                .rollback(!d.alarms.is_empty())
                .build()
                .map_err(|e| built(action, e))?,
        )
        .build())
}

fn service_connect(sc: &crate::workload::ServiceConnect, action: &str) -> Result<ServiceConnectConfiguration, AwsError> {
    let mut b = ServiceConnectConfiguration::builder().enabled(true).namespace(&sc.namespace);
    if let Some((dns, port)) = &sc.server {
        let alias = ServiceConnectClientAlias::builder().port(i32::from(*port)).dns_name(dns).build().map_err(|e| built(action, e))?;
        b = b.services(
            ServiceConnectService::builder()
                .port_name(PORT_NAME)
                .discovery_name(dns)
                .client_aliases(alias)
                .build()
                .map_err(|e| built(action, e))?,
        );
    }
    Ok(b.build())
}

fn service_state(s: &aws_sdk_ecs::types::Service) -> ServiceState {
    let network = s.network_configuration().and_then(|n| n.awsvpc_configuration()).map(|v| {
        let mut subnets = v.subnets().to_vec();
        subnets.sort();
        let mut security_groups = v.security_groups().to_vec();
        security_groups.sort();
        Network { subnets, security_groups, public_ip: v.assign_public_ip() == Some(&AssignPublicIp::Enabled) }
    });
    let load_balancer = s.load_balancers().first().and_then(|lb| {
        Some(LoadBalancerTarget {
            target_group_arn: lb.target_group_arn()?.to_string(),
            container_name: lb.container_name()?.to_string(),
            container_port: u16::try_from(lb.container_port()?).ok()?,
            alternate: lb.advanced_configuration().and_then(service_deployments::read_advanced),
        })
    });
    let deployment = s.deployment_configuration().map(|d| DeploymentConfig {
        min_healthy_percent: d.minimum_healthy_percent().map(unsigned).unwrap_or(100),
        max_percent: d.maximum_percent().map(unsigned).unwrap_or(200),
        circuit_breaker: d.deployment_circuit_breaker().is_some_and(|b| b.enable()),
        rollback: d.deployment_circuit_breaker().is_some_and(|b| b.rollback()),
        alarms: d.alarms().filter(|a| a.enable()).map(|a| a.alarm_names().to_vec()).unwrap_or_default(),
        native: service_deployments::read_strategy(d),
    });
    let primary = s.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
    // Service Connect settings live on the deployment, not the service.
    let service_connect_namespace =
        primary.and_then(|d| d.service_connect_configuration()).filter(|c| c.enabled()).and_then(|c| c.namespace()).map(str::to_string);
    ServiceState {
        name: s.service_name().unwrap_or("").to_string(),
        arn: s.service_arn().unwrap_or("").to_string(),
        status: parse(s.status().unwrap_or("")),
        desired: unsigned(s.desired_count()),
        running: unsigned(s.running_count()),
        pending: unsigned(s.pending_count()),
        task_definition: s.task_definition().unwrap_or("").to_string(),
        deployments: s
            .deployments()
            .iter()
            .map(|d| Deployment {
                id: d.id().unwrap_or("").to_string(),
                status: parse(d.status().unwrap_or("")),
                task_definition: d.task_definition().unwrap_or("").to_string(),
                rollout_state: d.rollout_state().map(|r| parse(r.as_str())),
                rollout_reason: d.rollout_state_reason().map(str::to_string),
                desired: unsigned(d.desired_count()),
                running: unsigned(d.running_count()),
                failed_tasks: unsigned(d.failed_tasks()),
            })
            .collect(),
        events: s
            .events()
            .iter()
            .map(|e| ServiceEvent {
                id: e.id().unwrap_or("").to_string(),
                at: e.created_at().map(|t| t.to_string()).unwrap_or_default(),
                message: e.message().unwrap_or("").to_string(),
            })
            .collect(),
        tags: tags(s.tags()),
        config: ObservedConfig {
            network,
            load_balancer,
            grace_seconds: s.health_check_grace_period_seconds().map(unsigned),
            deployment,
            service_connect_namespace,
            exec: s.enable_execute_command(),
            capacity: s
                .capacity_provider_strategy()
                .iter()
                .map(|c| crate::model::CapacityItem {
                    provider: c.capacity_provider().to_string(),
                    base: unsigned(c.base()),
                    weight: unsigned(c.weight()),
                })
                .collect(),
        },
    }
}

fn capacity(items: &[crate::model::CapacityItem]) -> Vec<CapacityProviderStrategyItem> {
    items
        .iter()
        .filter_map(|c| {
            CapacityProviderStrategyItem::builder().capacity_provider(&c.provider).base(count(c.base)).weight(count(c.weight)).build().ok()
        })
        .collect()
}

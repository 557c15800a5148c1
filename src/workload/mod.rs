//! What runs: task definitions and ECS services as plain data, the same types for what the
//! spec wants (`render`) and what AWS reports (`aws::ecs` builds them from SDK types), so
//! "does it differ?" is an equality over normalised values — AWS-filled defaults, the order
//! of env vars and tags never count.
//!
//! Must not call AWS or print.

pub mod outputs;
pub mod render;
pub mod scaling;
pub mod states;

use std::collections::BTreeMap;

use serde::Serialize;

pub use states::{
    AlarmState, ClusterStatus, DeploymentStatus, LifecycleStage, RolloutState, ServiceDeploymentStatus, ServiceStatus, StopCode, TaskStatus,
};

/// Tag keys on everything ecship creates outside the stack, so `status` and `destroy` find it
/// without the spec.
pub const STACK_TAG: &str = "ecship:stack";
pub const SERVICE_TAG: &str = "ecship:service";
/// Which colour of a canary or blue/green service an ECS service is: `blue` or `green`.
pub const COLOUR_TAG: &str = "ecship:colour";

/// A Fargate task definition (its own container and any sidecars), as ecship renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskDef {
    pub family: String,
    pub cpu: u32,
    pub memory: u32,
    pub task_role_arn: Option<String>,
    pub execution_role_arn: Option<String>,
    pub container: Container,
    /// `ARM64`; `None` for x86_64, Fargate's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Ephemeral storage in GiB; `None` for Fargate's 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<u32>,
    /// The containers beside the task's own, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<Container>,
    /// EFS volumes, by name (mounted with IAM authorization, encrypted in transit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<EfsVolume>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EfsVolume {
    pub name: String,
    pub file_system: String,
    pub access_point: Option<String>,
}

/// Where a container mounts a volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountPoint {
    pub volume: String,
    pub path: String,
    pub read_only: bool,
}

/// A registered task definition: its ARN, content and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub arn: String,
    pub task_def: TaskDef,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    pub name: String,
    pub image: String,
    /// The container port, named `http` (Service Connect finds it by name).
    pub port: Option<u16>,
    pub command: Option<Vec<String>>,
    pub environment: BTreeMap<String, String>,
    /// Name → where the value lives (`valueFrom`): a reference, never the value.
    pub secrets: BTreeMap<String, String>,
    pub log: Option<LogConfig>,
    /// Whether the task stops when it stops; the task's own container always is.
    #[serde(skip_serializing_if = "is_true")]
    pub essential: bool,
    /// Container name → the condition it waits for (`START`, `HEALTHY`, …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check: Option<ContainerHealth>,
    /// CPU units and memory (MiB) reserved for a sidecar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    /// The FireLens router type (`fluentbit`, `fluentd`) of a log-router sidecar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firelens: Option<String>,
    /// Logs sent through the task's FireLens router with these options (instead of `log`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_router: Option<BTreeMap<String, String>>,
    /// The Secrets Manager ARN ECS logs in to a private registry with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    /// Volumes it mounts, by volume name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<MountPoint>,
}

impl Container {
    /// A container with a name and image and nothing else set: the task's own, essential.
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        Container {
            name: name.into(),
            image: image.into(),
            port: None,
            command: None,
            environment: BTreeMap::new(),
            secrets: BTreeMap::new(),
            log: None,
            essential: true,
            depends_on: BTreeMap::new(),
            health_check: None,
            cpu: None,
            memory: None,
            firelens: None,
            log_router: None,
            credentials: None,
            mounts: Vec::new(),
        }
    }
}

/// A container's own health check, in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerHealth {
    pub command: Vec<String>,
    pub interval: u32,
    pub timeout: u32,
    pub retries: u32,
    pub grace: u32,
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogConfig {
    pub group: String,
    pub region: String,
    pub stream_prefix: String,
}

/// The name of the container port mapping.
pub const PORT_NAME: &str = "http";

/// How an ECS service should be set up (everything but its task definition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceConfig {
    pub name: String,
    pub cluster: String,
    pub desired_count: u32,
    /// Application Auto Scaling owns the count (`autoscaling:`): an update leaves it be.
    pub count_managed: bool,
    pub network: Network,
    pub load_balancer: Option<LoadBalancerTarget>,
    pub grace_seconds: Option<u32>,
    pub deployment: DeploymentConfig,
    pub service_connect: Option<ServiceConnect>,
    pub tags: BTreeMap<String, String>,
    /// ECS Exec (`enableExecuteCommand`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exec: bool,
    /// The capacity provider strategy; empty: the Fargate launch type.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity: Vec<crate::model::CapacityItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Network {
    /// Sorted.
    pub subnets: Vec<String>,
    /// Sorted.
    pub security_groups: Vec<String>,
    pub public_ip: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadBalancerTarget {
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: u16,
    /// What ECS's native engine moves traffic with (`deploy.engine: ecs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate: Option<Alternate>,
}

/// A load balancer's `advancedConfiguration`: the target group a native rollout starts its new
/// revision in, the rules whose weights ECS moves, and the role it moves them with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alternate {
    pub target_group_arn: String,
    pub production_rule: String,
    pub test_rule: Option<String>,
    pub role_arn: String,
}

/// ECS's native deployment strategy of a `deploy.engine: ecs` service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NativeStrategy {
    pub shift: NativeShift,
    /// After all production traffic moved, before the old revision goes.
    pub bake_minutes: u32,
    /// A PAUSE lifecycle hook once test traffic reaches the new revision (before any
    /// production traffic), rolled back by ECS when nobody continues it within these
    /// minutes: ecship checks the new revision there, or holds it for approval.
    pub pause_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NativeShift {
    BlueGreen,
    Canary { percent: u8, bake_minutes: u32 },
    Linear { step: u8, bake_minutes: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentConfig {
    pub min_healthy_percent: u32,
    pub max_percent: u32,
    pub circuit_breaker: bool,
    pub rollback: bool,
    /// CloudWatch alarms ECS watches during the deployment, rolling back when one goes to
    /// ALARM (`deploy.alarms` of a rolling or doubling service, or one ECS rolls out natively).
    pub alarms: Vec<String>,
    /// ECS's native canary, linear or blue/green strategy; `None`: a rolling update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeStrategy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceConnect {
    pub namespace: String,
    /// Set when other services call this one: its DNS name and port inside the namespace.
    pub server: Option<(String, u16)>,
}

/// An ECS service as AWS reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceState {
    pub name: String,
    pub arn: String,
    pub status: ServiceStatus,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub task_definition: String,
    pub deployments: Vec<Deployment>,
    /// Newest first.
    pub events: Vec<ServiceEvent>,
    pub tags: BTreeMap<String, String>,
    /// The parts of its configuration ecship compares with the desired one.
    pub config: ObservedConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedConfig {
    pub network: Option<Network>,
    pub load_balancer: Option<LoadBalancerTarget>,
    pub grace_seconds: Option<u32>,
    pub deployment: Option<DeploymentConfig>,
    pub service_connect_namespace: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exec: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity: Vec<crate::model::CapacityItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub task_definition: String,
    pub rollout_state: Option<RolloutState>,
    pub rollout_reason: Option<String>,
    pub desired: u32,
    pub running: u32,
    pub failed_tasks: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceEvent {
    pub id: String,
    /// RFC 3339.
    pub at: String,
    pub message: String,
}

impl ServiceState {
    /// The deployment being rolled out.
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.status == DeploymentStatus::Primary)
    }
}

/// A task that stopped, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoppedTask {
    pub id: String,
    pub task_definition: String,
    /// The task's stop reason, with its containers' reasons and non-zero exit codes.
    pub reason: String,
    /// ECS's `stopCode` (`EssentialContainerExited`, `TaskFailedToStart`,
    /// `ServiceSchedulerInitiated`, `UserInitiated`, `SpotInterruption`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<StopCode>,
}

/// The targets of a target group by health, with why the unhealthy ones are (each distinct
/// reason once: `Target.ResponseCodeMismatch: Health checks failed with these codes: [500]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetHealth {
    pub healthy: u32,
    pub unhealthy: u32,
    pub reasons: Vec<String>,
}

/// The test route to a colour not yet released (or the revision ECS rolls out natively):
/// what it reaches, for people, and the value of its test rule's header, read back from the
/// rule (`aws::elbv2`). The value holds the stack's test-route secret: it is sent as the
/// header and shown nowhere (`Sensitive`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRoute {
    /// `web-green`, `web's new revision`.
    pub reaches: String,
    pub value: Sensitive,
}

/// A value that must never show: its `Debug` and `Display` read `(sensitive)`, and only
/// `expose` hands it out, to the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(String);

impl Sensitive {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(sensitive)")
    }
}

impl std::fmt::Display for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(sensitive)")
    }
}

/// A CloudWatch alarm a rollout watches (`deploy.alarms`), as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alarm {
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: AlarmState,
    /// CloudWatch's reason for the state.
    pub reason: String,
    /// When it went to this state (milliseconds since the Unix epoch): a new time is a new
    /// transition, even back to the same state.
    pub since: i64,
}

impl Alarm {
    pub fn firing(&self) -> bool {
        self.state == AlarmState::Alarm
    }
}

/// A scheduled job as EventBridge Scheduler holds it: when, and which revision it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSchedule {
    /// `cron(…)`, `rate(…)` or `at(…)`.
    pub expression: String,
    /// `None` for UTC.
    pub timezone: Option<String>,
    /// The task-definition revision ARN it starts.
    pub task_definition: String,
}

/// A one-off task (a job's run, a `deploy.before` step, `ecship run`) as ECS reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRun {
    pub arn: String,
    /// The id at the end of the ARN (what log streams and the console name it by).
    pub id: String,
    /// PROVISIONING, PENDING, RUNNING, …, STOPPED.
    pub status: TaskStatus,
    /// The essential container's exit code, once it exited.
    pub exit_code: Option<i32>,
    /// Why it stopped (`Essential container in task exited`, `Task stopped by user`, an
    /// image pull or secret error), with the container's own reason when it adds something.
    pub stopped_reason: Option<String>,
    /// When it started and stopped, seconds since the Unix epoch.
    pub started_at: Option<i64>,
    pub stopped_at: Option<i64>,
    pub task_definition: String,
}

impl TaskRun {
    pub fn stopped(&self) -> bool {
        self.status == TaskStatus::Stopped
    }
}

/// The task-definition family of a service: `STACK-SERVICE`.
pub fn family_name(stack: &str, service: &str) -> String {
    format!("{stack}-{service}")
}

/// `arn:…:task-definition/family:7` → `family:7`.
pub fn revision_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_names_drop_the_arn_prefix() {
        assert_eq!(revision_name("arn:aws:ecs:us-east-1:123456789012:task-definition/mysfits-like:3"), "mysfits-like:3");
        assert_eq!(revision_name("mysfits-like:3"), "mysfits-like:3");
    }
}

//! The resolved stack: validated newtypes with every default applied.
//!
//! Every later stage (synth, plan, apply) reads this and nothing else of the spec. Must not
//! know about YAML or AWS SDK types.

pub mod colour;
mod cost;
mod ecr;
pub mod edge;
pub mod fargate;
pub mod preview;
mod rollout;
pub mod signals;
pub mod storage;
mod task;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::Ipv4Net;
use serde::Serialize;

pub use colour::{ByColour, Colour, Weights};
pub use cost::CostAssumptions;
pub use ecr::{EcrHost, EcrRepository, ECR_HOSTS};
pub use edge::{Cidr, Domain, HostedZone, ManagedRuleGroup, Waf};
pub use rollout::{Engine, Rollout, Shift, StrategyName, TwoColour};
pub use signals::{Alarm, AlarmKind, Signals};
pub use storage::{Access, DbEngine, Storage, StorageAttr, StorageKind, Use};
pub use task::{ContainerHealth, DependsOn, Firelens, Mount, Sidecar, VolumeSource};

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// The deployed stack name: the spec's `stack`, suffixed `-ENV` with `--env`.
    pub stack: StackName,
    pub env: Option<String>,
    pub region: Option<String>,
    pub network: Network,
    pub cluster: Cluster,
    /// The load balancers, by name: the one `load_balancer:` declares (or that routes imply),
    /// or those of `load_balancers:`.
    pub load_balancers: BTreeMap<LbName, LoadBalancer>,
    pub log_retention_days: u32,
    /// The S3 bucket templates too large to send inline go to, when the spec names one.
    pub asset_bucket: Option<String>,
    /// The AWS quotas the spec is checked against.
    pub quotas: Quotas,
    pub tags: BTreeMap<String, String>,
    /// The IAM policy ARN every role the stack creates has as its permissions boundary.
    pub permissions_boundary: Option<String>,
    /// Alarms, dashboard and notifications (`signals:`), when the spec asks for them.
    pub signals: Option<Signals>,
    pub services: BTreeMap<ServiceName, Service>,
    /// Tasks that are not services, by name (no job shares a name with a service).
    pub jobs: BTreeMap<ServiceName, Job>,
    /// Buckets, tables and databases, by name.
    pub storage: BTreeMap<String, Storage>,
    /// Images given on the command line (`deploy --image`): the execution role may pull
    /// them too, from any ECR repository or account.
    pub pulls: Vec<String>,
    /// What cost estimates assume (`cost:`).
    pub cost: CostAssumptions,
    /// How previews of the stack are made (`previews:`).
    pub previews: Option<preview::Previews>,
    /// Set on a preview's own model (`preview::derive`): the environment it runs in.
    pub preview: Option<preview::PreviewOf>,
}

impl Model {
    /// Whether a domain gives its hosted zone by name only: `render`, `plan` and `deploy`
    /// look it up in Route 53 first.
    pub fn has_zones_to_look_up(&self) -> bool {
        self.load_balancers.values().any(|lb| lb.domain.as_ref().is_some_and(|d| d.zone.to_look_up().is_some()))
    }

    /// Every task the stack runs: each service's, then each job's. They share how a task is
    /// made — task definition, security group, task role, outputs.
    pub fn tasks(&self) -> impl Iterator<Item = &Service> {
        self.services.values().chain(self.jobs.values().map(|j| &j.task))
    }

    /// The names of the CloudWatch alarms the stack creates (`signals:`): its services'
    /// `STACK-SERVICE-KIND` and its jobs' `STACK-JOB-failed`.
    pub fn own_alarms(&self) -> std::collections::BTreeSet<String> {
        if self.signals.is_none() {
            return Default::default();
        }
        let services =
            self.services.values().flat_map(|s| s.alarms.iter().map(|a| signals::alarm_name(&self.stack, s.name.as_str(), a.kind.key())));
        services.chain(self.jobs.keys().map(|j| signals::alarm_name(&self.stack, j.as_str(), signals::JOB_FAILED))).collect()
    }

    /// Whether a rollout gates on an alarm the stack creates (`deploy.alarms: auto`).
    pub fn gates_on_own_alarms(&self) -> bool {
        let own = self.own_alarms();
        self.services.values().any(|s| s.deploy.alarms.iter().any(|a| own.contains(a)))
    }
}

/// A job: a task that runs to completion, asked for (`ecship run`, `deploy.before`) or on a
/// schedule. Its task is a `Service` that runs no ECS service — no count, port, routes or
/// rollout — so it is made like a service's: the same task definition, security group
/// (that admits nothing), task role and outputs, under ids of the same form (job and service
/// names never clash).
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub task: Service,
    /// The service whose image it runs (`image: { service: NAME }`); its `task.image` is
    /// then empty.
    pub image_of: Option<ServiceName>,
    pub schedule: Option<JobSchedule>,
    /// How long a run ecship watches may take before it is stopped.
    #[serde(with = "secs")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSchedule {
    /// `cron(…)`, `rate(…)` or `at(…)`.
    pub expression: String,
    pub timezone: Option<String>,
}

/// A one-off task a deploy runs before it changes any service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BeforeStep {
    /// A job of the stack.
    Run(ServiceName),
    /// The service's new task definition, with this command.
    Command(Vec<String>),
}

macro_rules! name_type {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wrap a name already checked by `spec::validate`.
            pub(crate) fn new_unchecked(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// CamelCase for CloudFormation logical ids: `like-svc` → `LikeSvc`.
            pub fn logical(&self) -> String {
                camel(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(StackName);
name_type!(ServiceName);

/// `my-api-2` → `MyApi2`.
pub fn camel(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Fargate CPU units (one of `fargate::cpu_sizes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Cpu(pub(crate) u32);

/// Task memory in MiB, valid for the task's CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MemoryMib(pub(crate) u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Port(pub(crate) u16);

/// 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Percent(pub(crate) u8);

impl Cpu {
    pub fn get(self) -> u32 {
        self.0
    }
}
impl MemoryMib {
    pub fn get(self) -> u32 {
        self.0
    }
}
impl Port {
    pub fn get(self) -> u16 {
        self.0
    }
}
impl Percent {
    pub fn get(self) -> u8 {
        self.0
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Network {
    /// A VPC ecship creates: one public and (with NAT) one private subnet per AZ.
    Managed { cidr: Ipv4Net, zones: Vec<Zone>, nat: Nat },
    /// A VPC that already exists.
    Existing { vpc_id: String, public_subnets: Vec<String>, private_subnets: Vec<String> },
}

/// NAT gateways for the private subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nat {
    /// No NAT: no private subnets.
    None,
    /// One NAT gateway, in the first zone, for every private subnet.
    Single,
    /// One NAT gateway per zone.
    PerAz,
}

/// The CPU architecture a task runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    #[default]
    X86_64,
    Arm64,
}

impl Platform {
    /// As ECS's `runtimePlatform.cpuArchitecture` writes it.
    pub fn cpu_architecture(self) -> &'static str {
        match self {
            Platform::X86_64 => "X86_64",
            Platform::Arm64 => "ARM64",
        }
    }

    /// As OCI image configs and indexes write it.
    pub fn oci_architecture(self) -> &'static str {
        match self {
            Platform::X86_64 => "amd64",
            Platform::Arm64 => "arm64",
        }
    }

    /// As the spec writes it.
    pub fn name(self) -> &'static str {
        match self {
            Platform::X86_64 => "x86_64",
            Platform::Arm64 => "arm64",
        }
    }
}

/// One capacity provider of a service's strategy, as ECS takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapacityItem {
    /// `FARGATE` or `FARGATE_SPOT`.
    pub provider: String,
    pub base: u32,
    pub weight: u32,
}

/// Which of the stack's subnets a service's tasks run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubnetKind {
    /// Public subnets, with a public IP per task.
    Public,
    /// Private subnets, reaching out through NAT.
    Private,
}

#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    pub public: Ipv4Net,
    /// Absent without NAT: private subnets could not reach ECR or CloudWatch.
    pub private: Option<Ipv4Net>,
}

impl Network {
    pub fn has_private_subnets(&self) -> bool {
        match self {
            Network::Managed { nat, .. } => *nat != Nat::None,
            Network::Existing { private_subnets, .. } => !private_subnets.is_empty(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub name: String,
    pub container_insights: bool,
    /// Keep Fargate and Fargate Spot associated although no service names them (they are
    /// deployed: a service may still run on them until the services step moves it off).
    pub keep_capacity_providers: bool,
}

/// AWS quotas a large stack can reach, with the account's values: the defaults, or those
/// the spec declares raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quotas {
    pub rules_per_load_balancer: u32,
    pub target_groups_per_load_balancer: u32,
    pub listeners_per_load_balancer: u32,
}

impl Default for Quotas {
    /// AWS's defaults: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
    fn default() -> Self {
        Self { rules_per_load_balancer: 100, target_groups_per_load_balancer: 100, listeners_per_load_balancer: 50 }
    }
}

/// Which load balancer: the one `load_balancer:` declares, or one of `load_balancers:`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LbName {
    /// `load_balancer:` (or none declared, with routes).
    Single,
    Named(String),
}

impl LbName {
    /// The prefix of its CloudFormation ids and outputs: none for the single one (so a stack
    /// from before `load_balancers:` keeps its ids), `Lb` + CamelCase for a named one.
    pub fn logical(&self) -> String {
        match self {
            LbName::Single => String::new(),
            LbName::Named(n) => format!("Lb{}", camel(n)),
        }
    }

    /// Where it is declared in the spec: `load_balancer`, `load_balancers.NAME`.
    pub fn path(&self) -> String {
        match self {
            LbName::Single => "load_balancer".into(),
            LbName::Named(n) => format!("load_balancers.{n}"),
        }
    }
}

impl fmt::Display for LbName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LbName::Single => f.write_str("the load balancer"),
            LbName::Named(n) => write!(f, "load balancer {n}"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadBalancer {
    pub name: LbName,
    pub public: bool,
    pub http_port: Port,
    pub https: Option<Https>,
    #[serde(with = "secs")]
    pub idle_timeout: Duration,
    pub domain: Option<Domain>,
    pub waf: Option<Waf>,
    /// The only sources it admits; empty: anyone (public) or the VPC (internal).
    pub allow: Vec<Cidr>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Https {
    pub port: Port,
    pub certificate: Certificate,
    pub ssl_policy: String,
}

/// The certificate of an HTTPS listener: one the spec names, or the one the stack requests
/// for its domain's hosts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Certificate {
    Arn(String),
    Domain,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub name: ServiceName,
    pub image: Image,
    pub port: Option<Port>,
    pub cpu: Cpu,
    pub memory: MemoryMib,
    pub count: u32,
    pub command: Option<Vec<String>>,
    pub env: BTreeMap<String, EnvValue>,
    pub secrets: BTreeMap<String, SecretRef>,
    pub health_check: HealthCheck,
    pub routes: Vec<Route>,
    /// The load balancer its routes go through (`None` without routes).
    pub load_balancer: Option<LbName>,
    pub subnets: SubnetKind,
    #[serde(with = "secs")]
    pub drain: Duration,
    pub permissions: Vec<Permission>,
    pub deploy: Deploy,
    pub autoscaling: Option<Autoscaling>,
    /// Its CloudWatch alarms (`alarms:`, with `signals:`), each kind once; none for a job.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<Alarm>,
    /// Services this one calls by `${service.NAME.url}` (inside the cluster).
    pub references: Vec<ServiceName>,
    /// The priority of the first of a blue/green service's two test rules (blue, then green
    /// at the next number): `X-Ecship-Colour: NAME-COLOUR.SECRET` reaches that colour directly.
    pub test_rules: Option<u32>,
    /// ECS Exec is on (`exec: true`).
    pub exec: bool,
    pub platform: Platform,
    /// Ephemeral storage in GiB, when more than Fargate's 20.
    pub storage: Option<u32>,
    /// The capacity provider strategy (`capacity:`); empty: the Fargate launch type.
    pub capacity: Vec<CapacityItem>,
    /// Containers beside its own, by name.
    pub sidecars: Vec<Sidecar>,
    /// Containers its own container waits for.
    pub depends_on: BTreeMap<String, DependsOn>,
    /// With a FireLens sidecar: the router's output options for the other containers' logs.
    pub logging: Option<BTreeMap<String, String>>,
    /// EFS file systems mounted into its container, by volume name.
    pub volumes: Vec<Mount>,
    /// The storage entries it uses (each named in `Model::storage`).
    pub uses: Vec<Use>,
}

/// The header a request carries to reach one colour of a two-colour service directly (or the
/// revision ECS rolls out natively), through its test rule. Its value is the colour's ECS
/// service name (`NAME-green`; `NAME-next`), a dot, and the stack's test-route secret: a
/// value Secrets Manager generated, which only CloudFormation (resolving it into the rules)
/// and ecship (reading it back from a rule to send it) ever see.
pub const COLOUR_HEADER: &str = "X-Ecship-Colour";

/// Route paths a service's test rules can match: a rule takes 5 condition values, and one
/// is the header.
pub const MAX_TEST_RULE_PATHS: usize = 4;

impl Service {
    /// Whether it gets test rules: blue/green behind the load balancer, and a canary (or
    /// linear) one with an HTTP check, which checks its first tasks through them before any
    /// traffic moves — when its paths fit in them (a blue/green service's must).
    pub fn has_test_rules(&self) -> bool {
        match &self.deploy.rollout {
            Rollout::TwoColour(TwoColour { shift: Shift::BlueGreen, .. }) => !self.routes.is_empty(),
            Rollout::TwoColour(TwoColour { shift: Shift::Canary { .. } | Shift::Linear { .. }, .. }) => {
                let paths: std::collections::BTreeSet<&str> = self.routes.iter().map(|r| r.path.as_str()).collect();
                self.deploy.check.is_some() && (1..=MAX_TEST_RULE_PATHS).contains(&paths.len())
            }
            Rollout::Rolling | Rollout::Doubling => false,
        }
    }

    /// The ECS service that takes its traffic now, given its rules' `weights`: on ecship's
    /// engine the colour they favour (blue when none are known), else its one ECS service.
    pub fn live_ecs_service(&self, weights: Option<Weights>) -> String {
        match self.deploy.rollout.engine() {
            Some(Engine::Ecship) => self.colour_service(weights.map_or(Colour::Blue, Weights::live)),
            Some(Engine::Ecs) | None => self.name.to_string(),
        }
    }

    /// What the test rule of a service ECS rolls out natively reaches, as its header value
    /// begins: `NAME-next`.
    pub fn next_revision_name(&self) -> String {
        format!("{}-next", self.name)
    }

    /// The ECS service of one colour of a canary or blue/green service: `NAME-blue`, `NAME-green`.
    pub fn colour_service(&self, c: Colour) -> String {
        format!("{}-{}", self.name, c.name())
    }

    /// How other services in the stack reach this one: `http://NAME:PORT` through Service
    /// Connect, when it has a port.
    pub fn url(&self) -> Option<ServiceUrl> {
        self.port.map(|port| ServiceUrl::Internal { host: self.name.to_string(), port })
    }

    /// How it is reached through the load balancer, when it has routes.
    pub fn lb_url(&self) -> Option<ServiceUrl> {
        self.routes.first().map(|r| ServiceUrl::LoadBalancer { path_prefix: path_prefix(&r.path) })
    }
}

/// The literal start of a path pattern, without a trailing slash: `/api/users*` → `/api/users`.
fn path_prefix(pattern: &str) -> String {
    let literal = pattern.split(['*', '?']).next().unwrap_or("");
    literal.trim_end_matches('/').to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServiceUrl {
    /// `http(s)://<load balancer DNS name><path_prefix>`.
    LoadBalancer { path_prefix: String },
    /// `http://<host>:<port>` inside the cluster's Service Connect namespace.
    Internal { host: String, port: Port },
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Image {
    Build {
        context: PathBuf,
        dockerfile: PathBuf,
        target: Option<String>,
        args: BTreeMap<String, String>,
        tag: Option<String>,
    },
    Oci {
        path: PathBuf,
        tag: Option<String>,
    },
    Archive {
        path: PathBuf,
        tag: Option<String>,
    },
    /// An existing image; `credentials` names the Secrets Manager secret ECS logs in to its
    /// registry with (a private registry outside ECR).
    Uri {
        uri: String,
        credentials: Option<String>,
    },
}

impl Image {
    /// Whether ecship pushes this image (and so the stack needs a repository for it).
    pub fn is_pushed(&self) -> bool {
        !matches!(self, Image::Uri { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum EnvValue {
    Text(String),
    /// Text with `${service.NAME.url}` / `${service.NAME.lb_url}` references, resolved at deploy time.
    Template(Vec<EnvPart>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvPart {
    Text(String),
    /// `${service.NAME.url}`: `http://NAME:PORT` inside the cluster.
    ServiceUrl(ServiceName),
    /// `${service.NAME.lb_url}`: the load balancer's URL and the service's path prefix.
    LoadBalancerUrl(ServiceName),
    /// `${storage.NAME.ATTR}`: a bucket's, table's or database's name, ARN, host or port.
    Storage(String, StorageAttr),
}

/// Where a secret's value lives. The value itself never passes through ecship.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SecretRef {
    /// A parameter name (`/a/b`) or ARN.
    Ssm { parameter: String },
    /// A secret name or ARN, optionally one JSON key of it.
    SecretsManager { secret: String, json_key: Option<String> },
}

#[derive(Debug, Clone, Serialize)]
pub struct HealthCheck {
    pub path: String,
    #[serde(with = "secs")]
    pub interval: Duration,
    #[serde(with = "secs")]
    pub timeout: Duration,
    pub healthy: u32,
    pub unhealthy: u32,
    pub codes: String,
    #[serde(with = "secs")]
    pub grace: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub path: String,
    pub host: Option<String>,
    /// Resolved: the spec's, or one derived from the path's specificity.
    pub priority: u32,
    /// Whether `priority` was derived (the spec gave none): a deployed stack keeps it
    /// where it is (`spec::validate::keep_deployed`).
    #[serde(skip)]
    pub derived: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Permission {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deploy {
    pub rollout: Rollout,
    pub check: Option<Check>,
    #[serde(with = "secs")]
    pub timeout: Duration,
    /// Task-definition revisions kept per family after a successful deploy.
    pub keep_revisions: u32,
    /// Run before any service changes, when this service gets a new revision.
    pub before: Vec<BeforeStep>,
    /// CloudWatch alarms whose going to ALARM fails the rollout.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The path (and query) requested.
    pub path: String,
    /// `scheme://host[:port]` of the spec's `check.url`, requested instead of the load
    /// balancer's URL.
    pub origin: Option<String>,
    pub expect: u16,
    #[serde(with = "secs")]
    pub interval: Duration,
    pub failures: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Autoscaling {
    pub min: u32,
    pub max: u32,
    pub cpu: Option<Percent>,
    pub memory: Option<Percent>,
    /// Requests per task per minute.
    pub requests: Option<u32>,
    pub schedule: Vec<ScheduledScaling>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledScaling {
    /// `cron(…)`, `rate(…)` or `at(…)`.
    pub expression: String,
    pub timezone: Option<String>,
    pub min: Option<u32>,
    pub max: Option<u32>,
}

impl Autoscaling {
    /// `count` kept within min–max.
    pub fn clamp(&self, count: u32) -> u32 {
        count.clamp(self.min, self.max.max(self.min))
    }
}

/// Durations serialise as whole seconds.
mod secs {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_cases_names_for_logical_ids() {
        assert_eq!(camel("monolith"), "Monolith");
        assert_eq!(camel("event-bus"), "EventBus");
        assert_eq!(camel("api-2"), "Api2");
    }

    #[test]
    fn path_prefix_is_the_literal_start() {
        assert_eq!(path_prefix("/api/users*"), "/api/users");
        assert_eq!(path_prefix("/*"), "");
        assert_eq!(path_prefix("/mysfits/*/like"), "/mysfits");
    }
}

//! The stack spec as written: serde types that mirror the YAML one to one.
//!
//! Nothing here is defaulted or checked beyond its shape; `spec::validate` turns these into a
//! `model::Model`. Doc comments become the descriptions of the published JSON Schema.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An ecship stack: a network, a cluster, a load balancer and the services behind it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Stack name: lowercase letters, digits and dashes, at most 24 characters. It prefixes
    /// the names of AWS resources.
    pub stack: String,
    /// AWS region. Else `--region`, `AWS_REGION`, or the profile's region.
    pub region: Option<String>,
    /// A new VPC (`cidr`, `azs`, `nat`) or an existing one (`vpc_id` and subnets).
    pub network: Option<Network>,
    pub cluster: Option<Cluster>,
    /// The one load balancer the services' routes go through.
    pub load_balancer: Option<LoadBalancer>,
    /// Several load balancers by name (lowercase letters, digits, dashes), instead of
    /// `load_balancer`; a service with routes names its own with `load_balancer: NAME`
    /// (unless there is only one).
    pub load_balancers: Option<BTreeMap<String, LoadBalancer>>,
    pub logs: Option<Logs>,
    /// Where templates too large to send inline are uploaded. Default: ecship's own asset
    /// bucket for the account and region, created on first need.
    pub assets: Option<Assets>,
    /// AWS quotas this account has raised above their defaults (validation checks the
    /// spec against them before anything is written).
    pub quotas: Option<Quotas>,
    /// Tags added to every resource ecship creates.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// An IAM managed policy ARN (`arn:aws:iam::ACCOUNT:policy/NAME`) set as the permissions
    /// boundary of every role ecship creates: what they may do never exceeds it, whatever
    /// their own policies say.
    pub permissions_boundary: Option<String>,
    /// What cost estimates (`ecship cost`, the cost block of `plan`) assume about usage
    /// ecship cannot know. Every figure is 0 unless given.
    pub cost: Option<CostAssumptions>,
    /// Alarms, a dashboard and notifications for the stack: each service gets CloudWatch
    /// alarms (`services.NAME.alarms`), sent to an SNS topic on ALARM and OK.
    pub signals: Option<Signals>,
    pub services: BTreeMap<String, Service>,
    /// One-off and scheduled tasks that are not services: migrations, reports, clean-ups.
    /// Run by `ecship run`, by a service's `deploy.before`, or on their `schedule`.
    #[serde(default)]
    pub jobs: BTreeMap<String, Job>,
    /// Preview environments (`ecship preview deploy SPEC NAME`): a preview runs some of the
    /// services in the deployed environment's cluster, behind its load balancer, as its own
    /// small stack `STACK-NAME`.
    pub previews: Option<Previews>,
    /// Data that outlives deploys, by name (lowercase letters, digits, dashes): S3 buckets,
    /// DynamoDB tables and RDS databases, created by the stack (and kept when it deletes
    /// them) or adopted with `existing:`. Services and jobs name what they use in `uses:`.
    #[serde(default)]
    pub storage: BTreeMap<String, Storage>,
    /// Overrides merged over the base spec with `--env NAME`.
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
}

/// How previews of the stack are made.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Previews {
    /// How long a preview lives after its last `preview deploy` (`72h`, `30m`, `45s`; at least
    /// 1s): `preview sweep` destroys it after that. Default 72h.
    pub ttl: Option<String>,
    /// The host name a preview answers on, with `{name}` for the preview's name
    /// (`"{name}.preview.example.com"`). Without it, a preview answers requests carrying
    /// the header `X-Ecship-Preview: NAME`.
    pub host: Option<String>,
    /// The services a preview runs (default: every service with routes); the others are
    /// the environment's.
    pub services: Option<Vec<String>>,
    /// Applied to each service of a preview.
    pub overrides: Option<PreviewOverrides>,
}

/// What a preview's services run with instead of the environment's values.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewOverrides {
    /// Tasks per service. Default: the service's `count`.
    pub count: Option<u32>,
    /// Capacity, as a service's `capacity:`. Default: the service's.
    pub capacity: Option<Capacity>,
    /// Autoscaling, as a service's `autoscaling:`. Default (or `null`): none, a preview runs
    /// `count` tasks.
    pub autoscaling: Option<Autoscaling>,
}

/// Overrides for one environment: any top-level key but `stack` and `environments`. Maps
/// merge key by key; lists and scalars replace; `null` removes a key.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub region: Option<String>,
    pub network: Option<Network>,
    pub cluster: Option<Cluster>,
    pub load_balancer: Option<LoadBalancer>,
    /// Overrides of load balancers the base spec declares under `load_balancers`, by name.
    pub load_balancers: Option<BTreeMap<String, LoadBalancer>>,
    pub logs: Option<Logs>,
    pub assets: Option<Assets>,
    pub quotas: Option<Quotas>,
    pub tags: Option<BTreeMap<String, String>>,
    pub permissions_boundary: Option<String>,
    pub cost: Option<CostAssumptions>,
    pub signals: Option<Signals>,
    /// Overrides of services the base spec declares, by name: maps merge key by key, lists
    /// and values replace, and `NAME: null` removes the service in this environment. A name
    /// the base spec does not declare is an error (it would be a typo): to run a service in
    /// some environments only, declare it in the base and remove it where it should not run.
    pub services: Option<BTreeMap<String, Service>>,
    /// Overrides of jobs the base spec declares, by name, as for services.
    pub jobs: Option<BTreeMap<String, Job>>,
    pub previews: Option<Previews>,
    /// Overrides of storage the base spec declares, by name, as for services.
    pub storage: Option<BTreeMap<String, Storage>>,
}

/// The stack's alarms, dashboard and where they notify.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signals {
    /// Where alarms (ALARM and OK), failed ECS deployments and tasks stopped with a non-zero
    /// exit are sent: the stack's SNS topic, or an existing one.
    pub notify: Option<Notify>,
    /// One CloudWatch dashboard for the stack. Default true.
    pub dashboard: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// E-mail addresses subscribed to the stack's topic (each confirms by e-mail).
    #[serde(default)]
    pub email: Vec<String>,
    /// An existing SNS topic's ARN (in the stack's region), used instead of a topic of the stack's own.
    pub topic: Option<String>,
    /// A Slack channel, through AWS Chatbot (the workspace must be authorised in the Chatbot console once).
    pub slack: Option<Slack>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slack {
    /// The Slack workspace (team) id: `T…`.
    pub workspace: String,
    /// The Slack channel id: `C…`.
    pub channel: String,
}

/// A service's alarms: `false` for none, or thresholds over the defaults.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Alarms {
    /// `false`: no alarms for this service.
    Switch(bool),
    Thresholds(AlarmThresholds),
}

/// Each alarm's threshold; `false` leaves that one alarm out.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmThresholds {
    /// Share of the load balancer's answers that are 5xx over 5 minutes. Default `5%`.
    pub errors_5xx: Option<Threshold>,
    /// p99 target response time over 5 minutes. Default `2s`.
    pub latency_p99: Option<Threshold>,
    /// Unhealthy targets for 3 minutes. Default 1.
    pub unhealthy: Option<Threshold>,
    /// Service CPU for 10 minutes. Default `90%`.
    pub cpu: Option<Threshold>,
    /// Service memory for 10 minutes. Default `90%`.
    pub memory: Option<Threshold>,
    /// Fewer tasks running than desired for this long (Container Insights). Default `5m`.
    pub running_below_desired: Option<Threshold>,
}

/// A threshold (`5%`, `2s`, `1`), or `false` for no alarm.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Threshold {
    Off(bool),
    Number(u32),
    Text(String),
}

/// `auto` (the service's own alarms: errors, latency, unhealthy), or alarm names (which may
/// include `auto`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum GateAlarms {
    One(String),
    Names(Vec<String>),
}

impl Default for GateAlarms {
    fn default() -> Self {
        GateAlarms::Names(Vec::new())
    }
}

impl GateAlarms {
    /// The names as written (`auto` among them).
    pub fn names(&self) -> Vec<String> {
        match self {
            GateAlarms::One(n) => vec![n.clone()],
            GateAlarms::Names(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// CIDR of a new VPC, e.g. `10.0.0.0/16` (/16 to /24).
    pub cidr: Option<String>,
    /// Availability zones for a new VPC: 2 or 3. Default 2.
    pub azs: Option<u8>,
    /// NAT for private subnets of a new VPC: none, single, per_az. Default single.
    pub nat: Option<Nat>,
    /// An existing VPC id (`vpc-…`), instead of `cidr`.
    pub vpc_id: Option<String>,
    /// Existing public subnet ids (at least 2, in different AZs).
    pub public_subnets: Option<Vec<String>>,
    /// Existing private subnet ids.
    pub private_subnets: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Nat {
    None,
    Single,
    PerAz,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Cluster name. Default: the stack name.
    pub name: Option<String>,
    /// CloudWatch Container Insights. Default false.
    pub container_insights: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    /// Internet-facing (true, the default) or internal to the VPC.
    pub public: Option<bool>,
    /// HTTP listener port. Default 80.
    pub http: Option<u32>,
    /// An HTTPS listener; HTTP then redirects to it.
    pub https: Option<Https>,
    /// Idle connection timeout, e.g. `60s`.
    pub idle_timeout: Option<String>,
    /// A Route 53 hosted zone for the hosts its routes name: one ACM certificate for all of
    /// them (validated by DNS in the zone), HTTPS on 443 with HTTP redirecting to it, and an
    /// alias record per host.
    pub domain: Option<Domain>,
    /// A regional WAFv2 web ACL in front of it: AWS managed rule groups by short name and a
    /// rate limit per client IP.
    pub waf: Option<Waf>,
    /// Only these CIDRs (IPv4 or IPv6) reach it. Default: anyone (public) or the VPC (internal).
    pub allow: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// The hosted zone's name (`example.com`), looked up in Route 53 by `render`, `plan` and
    /// `deploy`; routes' hosts must be in it.
    pub zone: Option<String>,
    /// The hosted zone's id (`Z0123456789ABCDEFGHIJ`): no look-up needed. With `zone` too,
    /// routes' hosts are still checked against the zone's name.
    pub zone_id: Option<String>,
    /// The host of routes that name none, e.g. `shop.example.com`.
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waf {
    /// AWS managed rule groups by short name: common, admin-protection, known-bad-inputs,
    /// sql, linux, unix, windows, php, wordpress, ip-reputation, anonymous-ip, bot-control.
    #[serde(default)]
    pub managed: Vec<String>,
    /// Requests per 5 minutes from one client IP before it is blocked (10 to 2000000000).
    pub rate_limit: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Https {
    /// Default 443.
    pub port: Option<u32>,
    /// ACM certificate ARN. Required unless the load balancer has a public `domain`, whose
    /// certificate ecship then requests.
    pub certificate: Option<String>,
    /// ELB security policy. Default `ELBSecurityPolicy-TLS13-1-2-2021-06`.
    pub ssl_policy: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Listener rules per application load balancer (AWS default: 100).
    pub rules_per_load_balancer: Option<u32>,
    /// Target groups per application load balancer (AWS default: 100).
    pub target_groups_per_load_balancer: Option<u32>,
    /// Listeners per load balancer (AWS default: 50).
    pub listeners_per_load_balancer: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostAssumptions {
    /// Load balancer capacity units an hour, each load balancer (an LCU is, for example,
    /// 25 new connections a second or 1 GB an hour of traffic).
    pub lcu: Option<f64>,
    /// GB a month each NAT gateway processes.
    pub nat_gb: Option<f64>,
    /// GB of logs the stack's tasks send to CloudWatch Logs a month.
    pub log_gb: Option<f64>,
    /// Requests a month each WAF web ACL inspects.
    pub requests_per_month: Option<f64>,
    /// GB stored in each EFS file system.
    pub efs_gb: Option<f64>,
    /// GB stored in each S3 bucket (S3 Standard).
    pub s3_gb: Option<f64>,
    /// GB stored in each DynamoDB table.
    pub dynamodb_gb: Option<f64>,
    /// GB stored in each Aurora cluster.
    pub aurora_gb: Option<f64>,
    /// Reads a month, each on-demand DynamoDB table (read request units).
    pub dynamodb_reads: Option<f64>,
    /// Writes a month, each on-demand DynamoDB table (write request units).
    pub dynamodb_writes: Option<f64>,
    /// Minutes a job's run takes. Default: its timeout (at most).
    pub job_minutes: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assets {
    /// An S3 bucket of this account to upload templates to (it must exist), instead of
    /// `ecship-assets-ACCOUNT-REGION`.
    pub bucket: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logs {
    /// Days to keep container logs (a CloudWatch Logs retention value). Default 30.
    pub retention_days: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Where the image comes from: `build`, `oci`, `archive` or `uri` — or a plain
    /// `repository:tag` string.
    pub image: Option<Image>,
    /// Container port the service listens on. Required with `routes`.
    pub port: Option<u32>,
    /// Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192, 16384. Default 256.
    pub cpu: Option<u32>,
    /// Memory in MiB, valid for the cpu. Default: the least the cpu allows.
    pub memory: Option<u32>,
    /// Desired task count. Default 1.
    pub count: Option<u32>,
    /// Overrides the image's CMD.
    pub command: Option<Vec<String>>,
    /// Plain environment variables. `${service.NAME.url}` is the URL of another service.
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    /// Secrets by reference: `ssm:/param/name` or `secretsmanager:NAME_OR_ARN[:json-key]`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    pub health_check: Option<HealthCheck>,
    /// Load balancer path rules that send traffic to this service.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// The load balancer (of `load_balancers`) its routes go through; needed when there is
    /// more than one.
    pub load_balancer: Option<String>,
    /// Subnets the tasks run in: `public` or `private`. Default private when the network has
    /// NAT, else public.
    pub subnets: Option<SubnetKind>,
    /// How long the load balancer lets in-flight requests finish on a stopping task. Default 30s.
    pub drain: Option<String>,
    /// IAM statements the service's task role allows. Nothing else is allowed.
    #[serde(default)]
    pub permissions: Vec<Permission>,
    pub deploy: Option<Deploy>,
    pub autoscaling: Option<Autoscaling>,
    /// CloudWatch alarms of this service (with `signals:`), named `STACK-SERVICE-KIND`:
    /// thresholds over the defaults, or `false` for none.
    pub alarms: Option<Alarms>,
    /// ECS Exec into its tasks (`ecship exec`): turns on `enableExecuteCommand` and lets the
    /// task role open Session Manager channels. Default false.
    pub exec: Option<bool>,
    /// The CPU architecture its tasks run on: `x86_64` (default) or `arm64` (Graviton, about
    /// 20 % cheaper). Built images are built for it.
    pub platform: Option<Platform>,
    /// Ephemeral storage of each task in GiB, 21–200 (default: Fargate's 20).
    pub storage: Option<u32>,
    /// Where tasks run: `{ spot: 70 }` (percent of tasks on Fargate Spot, the rest on
    /// Fargate; `base: N` keeps the first N on Fargate), or a list of capacity providers
    /// `[{ provider: fargate_spot, weight: 3 }, { provider: fargate, base: 1, weight: 1 }]`.
    pub capacity: Option<Capacity>,
    /// Containers that run beside the service's own in each task, by name: a log router, a
    /// metrics agent, a proxy, an init container.
    #[serde(default)]
    pub sidecars: BTreeMap<String, Sidecar>,
    /// Containers the service's own container waits for: `{ NAME: START|COMPLETE|SUCCESS|HEALTHY }`.
    #[serde(default)]
    pub depends_on: BTreeMap<String, DependsOn>,
    /// Where the service's logs go when a sidecar is a FireLens log router (`firelens:`):
    /// the router's output options.
    pub logging: Option<Logging>,
    /// EFS file systems mounted into the service's container, by volume name. A volume
    /// without `file_system` is created by the stack, and shared by every service and job
    /// that mounts a volume of that name.
    #[serde(default)]
    pub volumes: BTreeMap<String, Volume>,
    /// Storage of the stack it uses, by name (`[uploads, orders]`), or
    /// `{ name: orders, access: read }`: its environment names each (`UPLOADS_BUCKET`,
    /// `ORDERS_TABLE`, `MAIN_DB_HOST`/`_PORT`/`_NAME`, the password as `MAIN_DB_SECRET`),
    /// its task role may use exactly those, and a database admits its tasks.
    #[serde(default)]
    pub uses: Vec<Use>,
}

/// An EFS file system mounted into a container.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Where it is mounted in the container: an absolute path.
    pub path: String,
    /// Mounted read-only. Default false.
    pub read_only: Option<bool>,
    /// An existing file system (`fs-…`) instead of one the stack creates. Its mount targets
    /// must admit the task's security group on NFS (2049).
    pub file_system: Option<String>,
    /// An access point (`fsap-…`) of the existing `file_system` to mount through.
    pub access_point: Option<String>,
}

/// A container beside a service's (or a job's) own in each task.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    /// An existing image: `repository:tag`, `repository@sha256:…`, or `{ uri: …, credentials: … }`.
    pub image: Option<Image>,
    /// Overrides the image's CMD.
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    /// Secrets by reference, as for a service.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// A port it listens on inside the task (reachable from the other containers at
    /// `localhost:PORT`).
    pub port: Option<u32>,
    /// Whether the task stops when it stops. Default true.
    pub essential: Option<bool>,
    /// Containers it waits for: `{ NAME: START|COMPLETE|SUCCESS|HEALTHY }` (the service's own
    /// container by the service's name).
    #[serde(default)]
    pub depends_on: BTreeMap<String, DependsOn>,
    pub health_check: Option<ContainerHealthCheck>,
    /// CPU units reserved for it, out of the task's.
    pub cpu: Option<u32>,
    /// Memory in MiB it may use at most, out of the task's.
    pub memory: Option<u32>,
    /// Makes it the task's FireLens log router: `fluentbit` or `fluentd`. The other
    /// containers' logs then go through it (see the service's `logging`).
    pub firelens: Option<Firelens>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum DependsOn {
    /// It has started.
    Start,
    /// It has exited, with any code.
    Complete,
    /// It has exited with code 0.
    Success,
    /// Its health check passes.
    Healthy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Firelens {
    Fluentbit,
    Fluentd,
}

/// A container's own health check: a command run inside it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerHealthCheck {
    /// `["CMD", "curl", "-f", "http://localhost:2020/"]` or `["CMD-SHELL", "…"]`.
    pub command: Vec<String>,
    /// Default 30s (5s–300s).
    pub interval: Option<String>,
    /// Default 5s (2s–60s).
    pub timeout: Option<String>,
    /// Consecutive failures before it is unhealthy, 1–10. Default 3.
    pub retries: Option<u32>,
    /// Time after it starts before failures count, up to 300s. Default 0s.
    pub grace: Option<String>,
}

/// Log routing through a FireLens sidecar.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// The router's output plugin options, e.g. `{ Name: cloudwatch_logs, region: eu-west-1,
    /// log_group_name: /shop/api, log_stream_prefix: api/, auto_create_group: "true" }`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

/// A task that is not a service: it runs to completion, on demand (`ecship run`, a
/// service's `deploy.before`) or on a schedule.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// An existing image (`repository:tag`, or `{ uri: … }`), or `{ service: NAME }`: the image
    /// that service of the stack runs.
    pub image: Option<Image>,
    /// Fargate CPU units, as for a service. Default 256.
    pub cpu: Option<u32>,
    /// Memory in MiB, valid for the cpu. Default: the least the cpu allows.
    pub memory: Option<u32>,
    /// Overrides the image's CMD.
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    /// Secrets by reference, as for a service.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// `public` or `private`, as for a service.
    pub subnets: Option<SubnetKind>,
    /// IAM statements the job's task role allows. Nothing else is allowed.
    #[serde(default)]
    pub permissions: Vec<Permission>,
    /// When it runs on its own: `cron(…)`, `rate(…)` or `at(…)`, as EventBridge Scheduler
    /// takes them. Without it, a job runs only when asked.
    pub schedule: Option<String>,
    /// An IANA time zone for `schedule` (`Europe/Berlin`). Default UTC.
    pub timezone: Option<String>,
    /// A run ecship watches (`ecship run`, `deploy.before`) is stopped after this long.
    /// Default 1h.
    pub timeout: Option<String>,
    /// `x86_64` (default) or `arm64`, as for a service.
    pub platform: Option<Platform>,
    /// Ephemeral storage in GiB, 21–200, as for a service.
    pub storage: Option<u32>,
    /// Containers beside the job's own, as for a service.
    #[serde(default)]
    pub sidecars: BTreeMap<String, Sidecar>,
    /// Containers the job's own container waits for, as for a service.
    #[serde(default)]
    pub depends_on: BTreeMap<String, DependsOn>,
    /// Log routing through a FireLens sidecar, as for a service.
    pub logging: Option<Logging>,
    /// EFS file systems mounted into the job's container, as for a service.
    #[serde(default)]
    pub volumes: BTreeMap<String, Volume>,
    /// Storage of the stack it uses, as for a service.
    #[serde(default)]
    pub uses: Vec<Use>,
}

/// A plain `repository:tag` string, or one image source.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Image {
    Uri(String),
    Source(Box<ImageSource>),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageSource {
    /// A build context directory (with a Dockerfile), or build settings.
    pub build: Option<Build>,
    /// An OCI image layout directory.
    pub oci: Option<String>,
    /// A `docker save` or OCI archive (.tar).
    pub archive: Option<String>,
    /// An existing image, `repository:tag` or `repository@sha256:…`.
    pub uri: Option<String>,
    /// For a `uri` in a private registry outside ECR: the Secrets Manager secret
    /// (`secretsmanager:NAME_OR_ARN`, with `username` and `password` keys) ECS logs in with.
    pub credentials: Option<String>,
    /// For a job: the image a service of the stack runs.
    pub service: Option<String>,
    /// Tag to push under. Default: the git short SHA of the source (`-dirty` if modified).
    pub tag: Option<String>,
    /// Allow the tag `latest` (it hides which code runs). Default false.
    pub allow_latest: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Build {
    Context(String),
    Settings(BuildSettings),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildSettings {
    pub context: String,
    /// Dockerfile path relative to the context. Default `Dockerfile`.
    pub dockerfile: Option<String>,
    /// Build stage to stop at.
    pub target: Option<String>,
    #[serde(default)]
    pub args: BTreeMap<String, String>,
}

/// A string, number or boolean; numbers and booleans are passed as their text.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// HTTP path the load balancer probes. Default `/`.
    pub path: Option<String>,
    /// Default 10s.
    pub interval: Option<String>,
    /// Default 5s.
    pub timeout: Option<String>,
    /// Consecutive successes to be healthy. Default 2.
    pub healthy: Option<u32>,
    /// Consecutive failures to be unhealthy. Default 3.
    pub unhealthy: Option<u32>,
    /// HTTP codes that count as healthy, e.g. `200` or `200-399`. Default `200-399`.
    pub codes: Option<String>,
    /// Time after a task starts before failed checks count. Default 30s.
    pub grace: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Path pattern, e.g. `/api/users*` (`*` and `?` are wildcards).
    pub path: String,
    /// Host header pattern, e.g. `api.example.com`.
    pub host: Option<String>,
    /// Rule priority, 100–50000 (lower wins; 1–99 are kept for blue/green test rules). Default: derived from how specific the path is.
    pub priority: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    #[serde(rename = "x86_64")]
    X86_64,
    Arm64,
}

/// A service's capacity: a share on Fargate Spot, or capacity providers by name.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Capacity {
    Spot(SpotShare),
    Providers(Vec<CapacityProvider>),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotShare {
    /// Percent of tasks on Fargate Spot (0–100).
    pub spot: u32,
    /// Tasks that run on Fargate (on demand) before the split applies. Default 0.
    pub base: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityProvider {
    pub provider: ProviderName,
    /// Tasks placed on it first (one provider at most has a base). Default 0.
    pub base: Option<u32>,
    /// Its relative share of the tasks past the base. Default 1.
    pub weight: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderName {
    Fargate,
    FargateSpot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubnetKind {
    Public,
    Private,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// IAM actions, e.g. `dynamodb:GetItem`.
    pub actions: Vec<String>,
    /// Resource ARNs.
    pub resources: Vec<String>,
    /// Allow a wildcard grant on purpose: an action `*`, or `SERVICE:*` on every resource
    /// (`*`), which validation otherwise refuses. Default false.
    pub allow_wildcard: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// doubling (100 %/200 %), rolling (50 %/100 %), canary, linear or blue_green. Default:
    /// rolling, or doubling for a single task.
    pub strategy: Option<Strategy>,
    pub canary: Option<Canary>,
    pub linear: Option<Linear>,
    pub blue_green: Option<BlueGreen>,
    /// An HTTP check ecship runs against the new revision while it rolls out.
    pub check: Option<Check>,
    /// Give up and roll back after this long. Default 15m.
    pub timeout: Option<String>,
    /// Task-definition revisions kept after a successful deploy that registered a new one;
    /// older ones are deregistered and deleted (revisions a service runs always stay).
    /// Default 10, at least 2.
    pub keep_revisions: Option<u32>,
    /// One-off tasks run after the new task definitions are registered and before any
    /// service changes, when this service gets a new revision: `{ run: JOB }` or
    /// `{ command: [...] }` (on this service's new task definition). A non-zero exit stops
    /// the deploy.
    #[serde(default)]
    pub before: Vec<BeforeStep>,
    /// CloudWatch alarms (by name) that fail the rollout, and roll it back, when one goes to
    /// ALARM while it runs or bakes. An alarm already in ALARM when the rollout starts
    /// counts only once it goes to ALARM again. `auto` is the service's own alarms (errors,
    /// latency, unhealthy; with `signals:`), alone or in the list.
    #[serde(default)]
    pub alarms: GateAlarms,
    /// Hold a canary, linear or blue/green rollout before production traffic moves to the
    /// new revision in full (the switch, or the last step) until `ecship approve SPEC
    /// SERVICE`; `ecship rollback SPEC SERVICE` rolls it back instead. Default false.
    pub approve: Option<bool>,
    /// Who runs a canary, linear or blue/green rollout: `ecship` (default) moves the
    /// traffic itself, step by step, from the machine running the deploy; `ecs` hands the
    /// whole rollout to ECS's native deployment strategies, which carry on when that machine
    /// goes away.
    pub engine: Option<Engine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Ecship,
    Ecs,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BeforeStep {
    /// Run a job of the stack.
    Run { run: String },
    /// Run this service's new task definition with another command.
    Command { command: Vec<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Doubling,
    Rolling,
    Canary,
    Linear,
    BlueGreen,
}

/// Equal shares of traffic, step by step: `{ step: 25, bake: 2m }` is 25, 50, 75, 100 %.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Linear {
    /// Percent of traffic each step adds, 1–50. Default 20.
    pub step: Option<u32>,
    /// Wait at each step before checking and moving on. Default 2m.
    pub bake: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Canary {
    /// One traffic share for the canary before promotion, 1–99.
    pub percent: Option<u32>,
    /// Or the traffic shares step by step, ending at 100, e.g. [10, 50, 100].
    pub steps: Option<Vec<u32>>,
    /// Wait at each step before checking and moving on. Default 5m.
    pub bake: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlueGreen {
    /// How long the old colour stays ready for an instant switch back. Default 10m.
    pub bake: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Path requested through the load balancer (with the route's host as `Host`).
    pub http: Option<String>,
    /// Or a whole URL to request instead: a public domain with its own certificate, a
    /// health endpoint (`https://shop.example.com/health`).
    pub url: Option<String>,
    /// Expected status code. Default 200.
    pub expect: Option<u32>,
    /// Default 10s.
    pub interval: Option<String>,
    /// Consecutive failures that fail the rollout. Default 3.
    pub failures: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Fewest tasks. A deploy keeps the running count within min–max and never resets it.
    pub min: u32,
    /// Most tasks (at most 5000).
    pub max: u32,
    /// Target average CPU utilisation, percent.
    pub cpu: Option<u32>,
    /// Target average memory utilisation, percent.
    pub memory: Option<u32>,
    /// Target requests per task per minute, counted by the load balancer (a service with
    /// routes).
    pub requests: Option<u32>,
    /// Capacity changes at set times: `{ cron: "cron(0 8 ? * MON-FRI *)", min: 4, max: 20 }`.
    #[serde(default)]
    pub schedule: Vec<ScheduledScaling>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduledScaling {
    /// When: `cron(minutes hours day-of-month month day-of-week year)`, `rate(N units)` or
    /// `at(yyyy-mm-ddThh:mm:ss)`, as AWS writes them.
    pub cron: String,
    /// An IANA time zone for the expression (`Europe/Berlin`). Default UTC.
    pub timezone: Option<String>,
    /// The new fewest tasks from then on.
    pub min: Option<u32>,
    /// The new most tasks from then on.
    pub max: Option<u32>,
}

/// A bucket, table or database: one the stack creates, or an `existing` one it adopts.
/// Keys that do not apply to its `type` are errors.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// `bucket` (S3), `table` (DynamoDB), `postgres` or `mysql` (RDS), or `aurora-postgres`
    /// (Aurora Serverless v2).
    #[serde(rename = "type")]
    pub kind: StorageType,
    /// Adopt what exists instead of creating it: a bucket name, a table name, or a DB
    /// instance identifier or ARN. ecship wires it and never changes or deletes it.
    pub existing: Option<String>,
    /// An adopted database: the Secrets Manager secret (ARN) with its credentials, when RDS
    /// manages none for it.
    pub secret: Option<String>,
    /// Bucket: encrypt with a KMS key of the stack instead of S3's own (SSE-S3). Default false.
    pub kms: Option<bool>,
    /// Bucket: when objects expire.
    pub lifecycle: Option<Lifecycle>,
    /// Bucket: the origins browsers may reach it from.
    pub cors: Option<Vec<Cors>>,
    /// Table: its primary key.
    pub key: Option<TableKey>,
    /// Table: the attribute holding each item's expiry time (epoch seconds).
    pub ttl: Option<String>,
    /// Table: global secondary indexes, by name.
    pub indexes: Option<BTreeMap<String, TableKey>>,
    /// Table: a DynamoDB stream of new and old images. Default false.
    pub stream: Option<bool>,
    /// Database: the engine's major (or full) version, e.g. `"17"` (postgres), `"8.4.7"` (mysql).
    /// Default 17.6 (postgres, aurora-postgres), 8.4.7 (mysql).
    pub version: Option<String>,
    /// Database: `small` (db.t4g.small), `medium` (db.m7g.large) or `large` (db.r7g.xlarge).
    /// Default small.
    pub size: Option<DbSize>,
    /// Database: an instance class instead of `size`, e.g. `db.t4g.micro`.
    pub instance: Option<String>,
    /// Database: allocated storage in GiB, 20–65536. Default 20.
    pub storage_gb: Option<u32>,
    /// Database: a standby in a second zone. Needs two private subnets. Default false.
    pub multi_az: Option<bool>,
    /// Aurora: the least capacity in ACUs, 0–256 in steps of 0.5. Default 0.5.
    pub min_acu: Option<f64>,
    /// Aurora: the most capacity in ACUs, 1–256. Default 4.
    pub max_acu: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StorageType {
    Bucket,
    Table,
    Postgres,
    Mysql,
    AuroraPostgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DbSize {
    Small,
    Medium,
    Large,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Days after which current objects expire.
    pub expire_days: Option<u32>,
    /// Days after which replaced (noncurrent) versions are deleted.
    pub noncurrent_days: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cors {
    /// Origins allowed, e.g. `https://example.com`.
    pub origins: Vec<String>,
    /// Methods allowed: GET, PUT, POST, DELETE, HEAD. Default [GET].
    pub methods: Option<Vec<String>>,
    /// Request headers allowed. Default none.
    pub headers: Option<Vec<String>>,
    /// Seconds a browser may cache the answer to a preflight request.
    pub max_age: Option<u32>,
}

/// A table's (or an index's) key: the partition attribute and an optional sort attribute.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableKey {
    pub partition: KeyAttribute,
    pub sort: Option<KeyAttribute>,
}

/// An attribute's name (a string, `S`), or `{ NAME: S|N|B }`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum KeyAttribute {
    Name(String),
    Typed(BTreeMap<String, String>),
}

/// A storage entry a service or job uses: its name, or `{ name, access: read|read-write }`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Use {
    Name(String),
    Access(UseAccess),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UseAccess {
    pub name: String,
    /// `read-write` (default) or `read`.
    pub access: Option<Access>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Read,
    ReadWrite,
}

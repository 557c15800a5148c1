//! CloudFormation logical ids. Stack-wide ones are constants; a service's are prefixed
//! `Svc` + its CamelCase name, so no service name can collide with a stack-wide id.

pub const VPC: &str = "Vpc";
pub const INTERNET_GATEWAY: &str = "InternetGateway";
pub const GATEWAY_ATTACHMENT: &str = "InternetGatewayAttachment";
pub const PUBLIC_ROUTE_TABLE: &str = "PublicRouteTable";
pub const CLUSTER: &str = "Cluster";
pub const LOG_GROUP: &str = "LogGroup";
pub const NAMESPACE: &str = "ServiceConnectNamespace";
pub const EXECUTION_ROLE: &str = "ExecutionRole";
pub const SCHEDULER_ROLE: &str = "SchedulerRole";
pub const ECS_INFRASTRUCTURE_ROLE: &str = "EcsInfrastructureRole";
pub const SIGNALS_TOPIC: &str = "SignalsTopic";
pub const SIGNALS_TOPIC_POLICY: &str = "SignalsTopicPolicy";
pub const SIGNALS_SLACK: &str = "SignalsSlack";
pub const SIGNALS_SLACK_ROLE: &str = "SignalsSlackRole";
pub const SIGNALS_DEPLOYMENTS_RULE: &str = "SignalsDeploymentsRule";
pub const SIGNALS_TASKS_RULE: &str = "SignalsTasksRule";
pub const SIGNALS_DASHBOARD: &str = "SignalsDashboard";

/// The e-mail subscription of `notify.email[i]`.
pub fn signals_email(i: usize) -> String {
    format!("SignalsEmail{}", i + 1)
}

/// The secret every test rule's header value holds (`synth::services::test_header`).
pub const TEST_ROUTE_SECRET: &str = "TestRouteSecret";

/// How the output of a load balancer's domain addresses ends (`LbIds::domain_urls_output`).
pub const DOMAIN_URLS_OUTPUT: &str = "DomainUrls";

pub fn public_subnet(i: usize) -> String {
    format!("PublicSubnet{}", i + 1)
}
pub fn private_subnet(i: usize) -> String {
    format!("PrivateSubnet{}", i + 1)
}

/// Ids and output names of one load balancer's resources: unprefixed for the one
/// `load_balancer:` declares (ids from before `load_balancers:` existed), `Lb<Name>` for each
/// of `load_balancers:`.
pub struct LbIds {
    prefix: String,
}

impl LbIds {
    pub fn new(name: &crate::model::LbName) -> Self {
        Self { prefix: name.logical() }
    }
    pub fn balancer(&self) -> String {
        format!("{}LoadBalancer", self.prefix)
    }
    pub fn security_group(&self) -> String {
        format!("{}LoadBalancerSecurityGroup", self.prefix)
    }
    pub fn http_listener(&self) -> String {
        format!("{}HttpListener", self.prefix)
    }
    pub fn https_listener(&self) -> String {
        format!("{}HttpsListener", self.prefix)
    }
    /// The prefix of its domain's certificate and records (`domain::Hosts`).
    pub fn domain_prefix(&self) -> &str {
        &self.prefix
    }
    pub fn web_acl(&self) -> String {
        format!("{}WebAcl", self.prefix)
    }
    pub fn web_acl_association(&self) -> String {
        format!("{}WebAclAssociation", self.prefix)
    }
    /// Outputs: its URL, DNS name, and the listener that carries the route rules.
    pub fn url_output(&self) -> String {
        format!("{}LoadBalancerUrl", self.prefix)
    }
    pub fn dns_output(&self) -> String {
        format!("{}LoadBalancerDnsName", self.prefix)
    }
    pub fn listener_output(&self) -> String {
        format!("{}ListenerArn", self.prefix)
    }
    /// Its domain's addresses, comma-separated (`status` lists them).
    pub fn domain_urls_output(&self) -> String {
        format!("{}{DOMAIN_URLS_OUTPUT}", self.prefix)
    }
}

/// Ids of a volume the stack creates: `Volume` + its CamelCase name.
pub struct VolumeIds {
    prefix: String,
}

impl VolumeIds {
    pub fn new(name: &str) -> Self {
        Self { prefix: format!("Volume{}", crate::model::camel(name)) }
    }
    pub fn file_system(&self) -> String {
        format!("{}FileSystem", self.prefix)
    }
    pub fn access_point(&self) -> String {
        format!("{}AccessPoint", self.prefix)
    }
    pub fn security_group(&self) -> String {
        format!("{}SecurityGroup", self.prefix)
    }
    pub fn mount_target(&self, i: usize) -> String {
        format!("{}MountTarget{}", self.prefix, i + 1)
    }
    pub fn ingress_from(&self, task_logical: &str) -> String {
        format!("{}IngressFrom{task_logical}", self.prefix)
    }
    /// Output: `file_system=fs-…;access_point=fsap-…`.
    pub fn output(&self) -> String {
        self.prefix.clone()
    }
    /// The output of the volume whose file system has this logical id.
    pub fn output_of_file_system(logical_id: &str) -> Option<&str> {
        logical_id.strip_suffix("FileSystem").filter(|p| p.starts_with("Volume"))
    }
}

/// Ids of one service's resources.
pub struct ServiceIds {
    prefix: String,
}

impl ServiceIds {
    pub fn new(service_logical: &str) -> Self {
        Self { prefix: format!("Svc{service_logical}") }
    }
    pub fn security_group(&self) -> String {
        format!("{}SecurityGroup", self.prefix)
    }
    /// The service's target group; the blue one of a canary or blue/green service.
    pub fn target_group(&self) -> String {
        format!("{}TargetGroup", self.prefix)
    }
    pub fn green_target_group(&self) -> String {
        format!("{}GreenTargetGroup", self.prefix)
    }
    pub fn rule(&self, route_index: usize) -> String {
        format!("{}Rule{}", self.prefix, route_index + 1)
    }
    /// The rule a request with the test route's header reaches a colour (or, `next`, the
    /// revision ECS rolls out) by.
    pub fn test_rule(&self, colour: &str) -> String {
        let mut c = colour.chars();
        let capital: String = c.next().map(|f| f.to_ascii_uppercase()).into_iter().chain(c).collect();
        format!("{}{capital}TestRule", self.prefix)
    }
    pub fn task_role(&self) -> String {
        format!("{}TaskRole", self.prefix)
    }
    /// The task role's grants on the EFS volumes its task mounts (a policy of its own).
    pub fn volumes_policy(&self) -> String {
        format!("{}VolumesPolicy", self.prefix)
    }
    /// The repository of a sidecar's image ecship pushes.
    pub fn sidecar_repository(&self, sidecar: &str) -> String {
        format!("{}Sidecar{}Repository", self.prefix, crate::model::camel(sidecar))
    }
    pub fn repository(&self) -> String {
        format!("{}Repository", self.prefix)
    }
    /// Ingress to this service from another one that calls it.
    pub fn ingress_from(&self, caller_logical: &str) -> String {
        format!("{}From{caller_logical}Ingress", self.prefix)
    }
    /// Its alarm of one kind (`errors_5xx` → `Svc<Name>AlarmErrors5xx`).
    pub fn alarm(&self, kind: &str) -> String {
        format!("{}Alarm{}", self.prefix, crate::model::camel(&kind.replace('_', "-")))
    }
    /// A job's rule matching its failed runs.
    pub fn failed_rule(&self) -> String {
        format!("{}FailedRule", self.prefix)
    }
    /// The service's one output: `Svc<Name>`.
    pub fn output(&self) -> String {
        self.prefix.clone()
    }
}

/// Ids of one storage entry's resources: `Storage` + its CamelCase name.
pub struct StorageIds {
    prefix: String,
}

impl StorageIds {
    pub fn new(name: &str) -> Self {
        Self { prefix: format!("Storage{}", crate::model::camel(name)) }
    }
    pub fn bucket(&self) -> String {
        format!("{}Bucket", self.prefix)
    }
    pub fn bucket_policy(&self) -> String {
        format!("{}BucketPolicy", self.prefix)
    }
    /// A bucket's KMS key (`kms: true`).
    pub fn key(&self) -> String {
        format!("{}Key", self.prefix)
    }
    pub fn table(&self) -> String {
        format!("{}Table", self.prefix)
    }
    /// The DB instance (RDS), or the DB cluster (Aurora).
    pub fn database(&self) -> String {
        format!("{}Database", self.prefix)
    }
    /// Aurora's one serverless instance in its cluster.
    pub fn aurora_instance(&self) -> String {
        format!("{}Instance", self.prefix)
    }
    pub fn subnet_group(&self) -> String {
        format!("{}SubnetGroup", self.prefix)
    }
    pub fn security_group(&self) -> String {
        format!("{}SecurityGroup", self.prefix)
    }
    pub fn ingress_from(&self, task_logical: &str) -> String {
        format!("{}IngressFrom{task_logical}", self.prefix)
    }
    /// Output: `name=…;arn=…` (bucket, table), `host=…;port=…;name=…;secret=…` (database).
    pub fn output(&self) -> String {
        self.prefix.clone()
    }
}

//! Property structs for every CloudFormation resource type ecship emits — a data table,
//! one struct per type, named and cased as in the CloudFormation reference.
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-template-resource-type-ref.html

use serde::Serialize;

use super::template::{Expr, Properties};

macro_rules! props {
    ($name:ident = $ty:literal { $($field:ident : $t:ty),* $(,)? }) => {
        #[derive(Debug, Clone, Serialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name {
            $(
                #[serde(skip_serializing_if = "Skip::skip")]
                pub $field: $t,
            )*
        }
        impl Properties for $name {
            const TYPE: &'static str = $ty;
        }
    };
}

/// Optional and empty properties are left out of the template.
pub trait Skip {
    fn skip(&self) -> bool {
        false
    }
}
impl<T> Skip for Option<T> {
    fn skip(&self) -> bool {
        self.is_none()
    }
}
impl<T> Skip for Vec<T> {
    fn skip(&self) -> bool {
        self.is_empty()
    }
}
impl Skip for Expr {}
impl Skip for String {}
impl Skip for bool {}
impl Skip for u32 {}
impl Skip for f64 {}
impl Skip for &str {}
impl Skip for PolicyDocument {}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

// --- EC2 -------------------------------------------------------------------------------

props!(Vpc = "AWS::EC2::VPC" { cidr_block: String, enable_dns_hostnames: bool, enable_dns_support: bool, tags: Vec<Tag> });
props!(InternetGateway = "AWS::EC2::InternetGateway" { tags: Vec<Tag> });
props!(GatewayAttachment = "AWS::EC2::VPCGatewayAttachment" { vpc_id: Expr, internet_gateway_id: Expr });
props!(Subnet = "AWS::EC2::Subnet" {
    vpc_id: Expr, cidr_block: String, availability_zone: Expr, map_public_ip_on_launch: bool, tags: Vec<Tag>,
});
props!(RouteTable = "AWS::EC2::RouteTable" { vpc_id: Expr, tags: Vec<Tag> });
props!(Route = "AWS::EC2::Route" {
    route_table_id: Expr, destination_cidr_block: String, gateway_id: Option<Expr>, nat_gateway_id: Option<Expr>,
});
props!(SubnetRouteTableAssociation = "AWS::EC2::SubnetRouteTableAssociation" { subnet_id: Expr, route_table_id: Expr });
props!(Eip = "AWS::EC2::EIP" { domain: &'static str, tags: Vec<Tag> });
props!(NatGateway = "AWS::EC2::NatGateway" { allocation_id: Expr, subnet_id: Expr, tags: Vec<Tag> });
props!(SecurityGroup = "AWS::EC2::SecurityGroup" {
    group_description: String, vpc_id: Expr, security_group_ingress: Vec<Ingress>, tags: Vec<Tag>,
});
props!(SecurityGroupIngress = "AWS::EC2::SecurityGroupIngress" {
    group_id: Expr, ip_protocol: &'static str, from_port: u32, to_port: u32, source_security_group_id: Expr, description: String,
});

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ingress {
    pub ip_protocol: &'static str,
    pub from_port: u32,
    pub to_port: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_security_group_id: Option<Expr>,
    pub description: String,
}

// --- ECS, logs, ECR, Cloud Map ---------------------------------------------------------

props!(Cluster = "AWS::ECS::Cluster" {
    cluster_name: String, cluster_settings: Vec<KeyValueNamed>, capacity_providers: Vec<String>,
    service_connect_defaults: Option<ServiceConnectDefaults>, tags: Vec<Tag>,
});

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValueNamed {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceConnectDefaults {
    pub namespace: Expr,
}

props!(LogGroup = "AWS::Logs::LogGroup" { log_group_name: String, retention_in_days: u32, tags: Vec<Tag> });
props!(Repository = "AWS::ECR::Repository" {
    repository_name: String,
    image_scanning_configuration: ScanOnPush,
    image_tag_mutability: &'static str,
    empty_on_delete: bool,
    lifecycle_policy: LifecyclePolicy,
    tags: Vec<Tag>,
});
impl Skip for ScanOnPush {}
impl Skip for LifecyclePolicy {}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanOnPush {
    pub scan_on_push: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecyclePolicy {
    pub lifecycle_policy_text: String,
}

props!(HttpNamespace = "AWS::ServiceDiscovery::HttpNamespace" { name: String, description: String, tags: Vec<Tag> });

// --- EFS -------------------------------------------------------------------------------

/// Resource types that hold data: kept when their stack deletes or replaces them
/// (`DeletionPolicy: Retain`; `UpdateReplacePolicy: Retain`, or `Snapshot` for databases),
/// and a plan that would delete or replace one destroys data (`plan::data`).
pub const HOLDS_DATA: &[&str] =
    &["AWS::EFS::FileSystem", "AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::RDS::DBInstance", "AWS::RDS::DBCluster"];

pub fn holds_data(resource_type: &str) -> bool {
    HOLDS_DATA.contains(&resource_type)
}

/// Types CloudFormation snapshots before it replaces them (`UpdateReplacePolicy: Snapshot`), so a
/// replacement someone allowed still leaves the data behind.
pub fn snapshots_on_replace(resource_type: &str) -> bool {
    matches!(resource_type, "AWS::RDS::DBInstance" | "AWS::RDS::DBCluster")
}

props!(FileSystem = "AWS::EFS::FileSystem" {
    encrypted: bool, performance_mode: &'static str, throughput_mode: &'static str,
    backup_policy: Option<BackupPolicy>, file_system_policy: Option<PolicyDocument>, file_system_tags: Vec<Tag>,
});
props!(MountTarget = "AWS::EFS::MountTarget" { file_system_id: Expr, subnet_id: Expr, security_groups: Vec<Expr> });
props!(AccessPoint = "AWS::EFS::AccessPoint" {
    file_system_id: Expr, posix_user: Option<PosixUser>, root_directory: Option<RootDirectory>, access_point_tags: Vec<Tag>,
});

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupPolicy {
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PosixUser {
    pub uid: &'static str,
    pub gid: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootDirectory {
    pub path: String,
    pub creation_info: CreationInfo,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreationInfo {
    pub owner_uid: &'static str,
    pub owner_gid: &'static str,
    pub permissions: &'static str,
}

// --- Storage: S3, KMS, DynamoDB, RDS ---------------------------------------------------

props!(Bucket = "AWS::S3::Bucket" {
    bucket_encryption: Json, public_access_block_configuration: Json, versioning_configuration: Json,
    ownership_controls: Json, lifecycle_configuration: Option<Json>, cors_configuration: Option<Json>, tags: Vec<Tag>,
});
props!(BucketPolicy = "AWS::S3::BucketPolicy" { bucket: Expr, policy_document: PolicyDocument });
props!(KmsKey = "AWS::KMS::Key" { description: String, enable_key_rotation: bool, key_policy: PolicyDocument, tags: Vec<Tag> });
props!(Table = "AWS::DynamoDB::Table" {
    billing_mode: &'static str, attribute_definitions: Json, key_schema: Json, global_secondary_indexes: Option<Json>,
    point_in_time_recovery_specification: Json, s_s_e_specification: Json, time_to_live_specification: Option<Json>,
    stream_specification: Option<Json>, tags: Vec<Tag>,
});
props!(DbSubnetGroup = "AWS::RDS::DBSubnetGroup" { d_b_subnet_group_description: String, subnet_ids: Vec<Expr>, tags: Vec<Tag> });
// An RDS instance, or one of an Aurora cluster's (then most settings are the cluster's).
props!(DbInstance = "AWS::RDS::DBInstance" {
    engine: &'static str, engine_version: Option<String>, d_b_instance_class: String, d_b_cluster_identifier: Option<Expr>,
    allocated_storage: Option<String>, storage_type: Option<&'static str>, storage_encrypted: Option<bool>, multi_a_z: Option<bool>,
    d_b_name: Option<String>, master_username: Option<&'static str>, manage_master_user_password: Option<bool>,
    d_b_subnet_group_name: Expr, v_p_c_security_groups: Vec<Expr>, backup_retention_period: Option<u32>,
    deletion_protection: Option<bool>, enable_performance_insights: bool, enable_i_a_m_database_authentication: Option<bool>,
    enable_cloudwatch_logs_exports: Vec<&'static str>, publicly_accessible: bool, copy_tags_to_snapshot: Option<bool>,
    auto_minor_version_upgrade: bool, tags: Vec<Tag>,
});
props!(DbCluster = "AWS::RDS::DBCluster" {
    engine: &'static str, engine_version: String, serverless_v2_scaling_configuration: Json, database_name: String,
    master_username: &'static str, manage_master_user_password: bool, d_b_subnet_group_name: Expr, vpc_security_group_ids: Vec<Expr>,
    storage_encrypted: bool, backup_retention_period: u32, deletion_protection: bool, copy_tags_to_snapshot: bool,
    enable_i_a_m_database_authentication: bool, enable_cloudwatch_logs_exports: Vec<&'static str>, tags: Vec<Tag>,
});

/// A nested property value ecship writes whole (S3's and DynamoDB's nested configurations).
pub type Json = serde_json::Value;
impl Skip for serde_json::Value {}

// --- Load balancing --------------------------------------------------------------------

props!(LoadBalancer = "AWS::ElasticLoadBalancingV2::LoadBalancer" {
    scheme: &'static str, r#type: &'static str, subnets: Vec<Expr>, security_groups: Vec<Expr>,
    load_balancer_attributes: Vec<KeyValue>, tags: Vec<Tag>,
});
props!(Listener = "AWS::ElasticLoadBalancingV2::Listener" {
    load_balancer_arn: Expr, port: u32, protocol: &'static str, certificates: Vec<Certificate>,
    ssl_policy: Option<String>, default_actions: Vec<Action>,
});
props!(ListenerRule = "AWS::ElasticLoadBalancingV2::ListenerRule" {
    listener_arn: Expr, priority: u32, conditions: Vec<Condition>, actions: Vec<Action>,
});
// Certificates a listener serves beside its default one (by SNI).
props!(ListenerCertificate = "AWS::ElasticLoadBalancingV2::ListenerCertificate" { listener_arn: Expr, certificates: Vec<Certificate> });
props!(TargetGroup = "AWS::ElasticLoadBalancingV2::TargetGroup" {
    port: u32, protocol: &'static str, target_type: &'static str, vpc_id: Expr,
    health_check_enabled: bool, health_check_protocol: &'static str, health_check_path: String,
    health_check_interval_seconds: u32, health_check_timeout_seconds: u32,
    healthy_threshold_count: u32, unhealthy_threshold_count: u32, matcher: Matcher,
    target_group_attributes: Vec<KeyValue>, tags: Vec<Tag>,
});
impl Skip for Matcher {}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    pub certificate_arn: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    pub http_code: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    pub r#type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_config: Option<ForwardConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_config: Option<RedirectConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_response_config: Option<FixedResponseConfig>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardConfig {
    pub target_groups: Vec<WeightedTargetGroup>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WeightedTargetGroup {
    pub target_group_arn: Expr,
    pub weight: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RedirectConfig {
    pub protocol: &'static str,
    pub port: String,
    pub status_code: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FixedResponseConfig {
    pub status_code: &'static str,
    pub content_type: &'static str,
    pub message_body: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Condition {
    pub field: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_pattern_config: Option<Values>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_header_config: Option<Values>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_header_config: Option<HttpHeader>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpHeader {
    pub http_header_name: &'static str,
    pub values: Vec<Expr>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Values {
    pub values: Vec<String>,
}

// --- Certificates, DNS, WAF ------------------------------------------------------------

props!(AcmCertificate = "AWS::CertificateManager::Certificate" {
    domain_name: String, subject_alternative_names: Vec<String>, domain_validation_options: Vec<DomainValidationOption>,
    validation_method: &'static str, tags: Vec<Tag>,
});

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DomainValidationOption {
    pub domain_name: String,
    pub hosted_zone_id: String,
}

props!(RecordSet = "AWS::Route53::RecordSet" { hosted_zone_id: String, name: String, r#type: &'static str, alias_target: AliasTarget });
impl Skip for AliasTarget {}

#[derive(Debug, Clone, Serialize)]
pub struct AliasTarget {
    #[serde(rename = "DNSName")]
    pub dns_name: Expr,
    #[serde(rename = "HostedZoneId")]
    pub hosted_zone_id: Expr,
    #[serde(rename = "EvaluateTargetHealth")]
    pub evaluate_target_health: bool,
}

props!(WebAcl = "AWS::WAFv2::WebACL" {
    name: String, scope: &'static str, description: String, default_action: serde_json::Value, rules: Vec<WafRule>,
    visibility_config: VisibilityConfig, tags: Vec<Tag>,
});
// `web_a_c_l_arn` is how PascalCase spells CloudFormation's `WebACLArn`.
props!(WebAclAssociation = "AWS::WAFv2::WebACLAssociation" { resource_arn: Expr, web_a_c_l_arn: Expr });
impl Skip for VisibilityConfig {}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WafRule {
    pub name: String,
    pub priority: u32,
    pub statement: serde_json::Value,
    /// `{"None": {}}` for a rule group (its own actions apply), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_action: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<serde_json::Value>,
    pub visibility_config: VisibilityConfig,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VisibilityConfig {
    pub sampled_requests_enabled: bool,
    #[serde(rename = "CloudWatchMetricsEnabled")]
    pub cloud_watch_metrics_enabled: bool,
    pub metric_name: String,
}

// --- Secrets Manager -------------------------------------------------------------------

props!(Secret = "AWS::SecretsManager::Secret" { description: String, generate_secret_string: GenerateSecretString, tags: Vec<Tag> });
impl Skip for GenerateSecretString {}

/// A value Secrets Manager generates when the secret is created, and keeps.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateSecretString {
    pub password_length: u32,
    pub exclude_punctuation: bool,
}

// --- Signals: CloudWatch, SNS, EventBridge, Chatbot ------------------------------------

props!(Alarm = "AWS::CloudWatch::Alarm" {
    alarm_name: String, alarm_description: String, alarm_actions: Vec<Expr>, o_k_actions: Vec<Expr>,
    comparison_operator: &'static str, threshold: f64, evaluation_periods: u32,
    treat_missing_data: &'static str, metrics: Vec<MetricQuery>,
});

/// One query of a metric-math alarm: a metric (`metric_stat`) or an expression over others.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricQuery {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    pub return_data: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStat {
    pub metric: Metric,
    pub period: u32,
    pub stat: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metric {
    pub namespace: &'static str,
    pub metric_name: &'static str,
    pub dimensions: Vec<Dimension>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    pub name: &'static str,
    pub value: Expr,
}

props!(Dashboard = "AWS::CloudWatch::Dashboard" { dashboard_name: String, dashboard_body: Expr });
props!(Topic = "AWS::SNS::Topic" { topic_name: String, display_name: String, tags: Vec<Tag> });
props!(TopicPolicy = "AWS::SNS::TopicPolicy" { topics: Vec<Expr>, policy_document: PolicyDocument });
props!(Subscription = "AWS::SNS::Subscription" { topic_arn: Expr, protocol: &'static str, endpoint: String });
props!(EventRule = "AWS::Events::Rule" { name: String, description: String, state: &'static str, event_pattern: Expr, targets: Vec<EventTarget> });
props!(SlackChannel = "AWS::Chatbot::SlackChannelConfiguration" {
    configuration_name: String, iam_role_arn: Expr, slack_workspace_id: String, slack_channel_id: String,
    sns_topic_arns: Vec<Expr>, guardrail_policies: Vec<String>, logging_level: &'static str, tags: Vec<Tag>,
});

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventTarget {
    pub arn: Expr,
    pub id: &'static str,
}

// --- IAM -------------------------------------------------------------------------------

props!(Role = "AWS::IAM::Role" {
    description: String, assume_role_policy_document: PolicyDocument, policies: Vec<InlinePolicy>,
    permissions_boundary: Option<String>, tags: Vec<Tag>,
});
// An inline policy of its own, for a grant that would otherwise make a cycle (a role
// allowed on a file system whose policy names that role).
props!(Policy = "AWS::IAM::Policy" { policy_name: String, policy_document: PolicyDocument, roles: Vec<Expr> });

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: PolicyDocument,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub effect: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Expr>,
    pub action: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Expr>,
}

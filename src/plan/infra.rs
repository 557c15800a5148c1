//! The infrastructure part of a plan: the deployed template against the desired one,
//! resource by resource and property by property, with the impact of each change.
//!
//! CloudFormation's change sets would say which changes replace a resource, but not on
//! every endpoint (emulators leave it out) and only after a write; the table in
//! `REPLACED_BY` says it for every resource type ecship emits, from the "Update requires:
//! Replacement" notes of the CloudFormation resource reference.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::synth::nesting::NESTED_TYPE as NESTED_STACK;

/// What happens to a resource, most severe first (the order plans list them in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Deleted and created again: a new physical id, and a gap for what depends on it.
    Replace,
    Delete,
    Update,
    Create,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// The nested stack it is in (`Services1` …); absent for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    pub logical_id: String,
    pub resource_type: String,
    /// The name it has in its AWS service, when the template gives it one that says what it
    /// is (an alarm's, a dashboard's, a topic's, a rule's name; a subscription's endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub action: Action,
    /// Top-level properties whose change forces the replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<PropertyChange>,
    /// A resource that holds data is deleted or replaced: its data goes with it. `deploy`
    /// refuses such a plan without `--allow-data-loss` (decided in `plan::data`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub destroys_data: bool,
    /// A resource that holds data leaves the stack but stays in the account with its data
    /// (its `DeletionPolicy` is `Retain`, and the spec mounts or adopts it as an existing one).
    #[serde(default, skip_serializing_if = "is_false")]
    pub retained: bool,
    /// AWS replaces the resource (`replaced_by` says why), but what uses it moves to the new
    /// one before the old is deleted: an update with no downtime (`HANDED_OVER`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hand_over: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ResourceChange {
    fn new(logical_id: &str, resource_type: String, action: Action) -> Self {
        ResourceChange {
            stack: None,
            logical_id: logical_id.to_string(),
            resource_type,
            name: None,
            action,
            replaced_by: vec![],
            properties: vec![],
            destroys_data: false,
            retained: false,
            hand_over: false,
        }
    }

    /// The order plans list changes in: data destroyed first, then by action, most severe
    /// first, then by stack and logical id.
    pub fn order(&self) -> (bool, Action, &Option<String>, &String) {
        (!self.destroys_data, self.action, &self.stack, &self.logical_id)
    }
}

/// One changed value: `path` is dotted, list items by index or by `Key` (`Tags[Name]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyChange {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Properties whose change replaces a resource, per type ecship emits.
const REPLACED_BY: &[(&str, &[&str])] = &[
    ("AWS::EC2::VPC", &["CidrBlock", "InstanceTenancy"]),
    ("AWS::EC2::Subnet", &["AvailabilityZone", "CidrBlock", "VpcId"]),
    ("AWS::EC2::InternetGateway", &[]),
    ("AWS::EC2::VPCGatewayAttachment", &["VpcId"]),
    ("AWS::EC2::RouteTable", &["VpcId"]),
    ("AWS::EC2::Route", &["DestinationCidrBlock", "RouteTableId"]),
    ("AWS::EC2::SubnetRouteTableAssociation", &["SubnetId"]),
    ("AWS::EC2::EIP", &["Domain"]),
    ("AWS::EC2::NatGateway", &["AllocationId", "ConnectivityType", "SubnetId"]),
    ("AWS::EC2::SecurityGroup", &["GroupDescription", "GroupName", "VpcId"]),
    ("AWS::EC2::SecurityGroupIngress", &["CidrIp", "FromPort", "GroupId", "IpProtocol", "SourceSecurityGroupId", "ToPort"]),
    ("AWS::ECS::Cluster", &["ClusterName"]),
    ("AWS::Logs::LogGroup", &["LogGroupName"]),
    ("AWS::ServiceDiscovery::HttpNamespace", &["Name"]),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", &["Name", "Scheme", "Type"]),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", &["Name", "Port", "Protocol", "ProtocolVersion", "TargetType", "VpcId"]),
    ("AWS::ElasticLoadBalancingV2::Listener", &["LoadBalancerArn"]),
    ("AWS::ElasticLoadBalancingV2::ListenerRule", &["ListenerArn"]),
    ("AWS::IAM::Role", &["Path", "RoleName"]),
    ("AWS::IAM::Policy", &[]),
    ("AWS::EFS::FileSystem", &["AvailabilityZoneName", "Encrypted", "KmsKeyId", "PerformanceMode"]),
    ("AWS::EFS::MountTarget", &["FileSystemId", "IpAddress", "SubnetId"]),
    ("AWS::EFS::AccessPoint", &["ClientToken", "FileSystemId", "PosixUser", "RootDirectory"]),
    ("AWS::ECR::Repository", &["RepositoryName"]),
    ("AWS::S3::Bucket", &["BucketName", "ObjectLockEnabled"]),
    ("AWS::S3::BucketPolicy", &["Bucket"]),
    ("AWS::KMS::Key", &[]),
    ("AWS::DynamoDB::Table", &["ImportSourceSpecification", "KeySchema", "TableName"]),
    ("AWS::RDS::DBSubnetGroup", &["DBSubnetGroupName"]),
    (
        "AWS::RDS::DBInstance",
        &[
            "AvailabilityZone",
            "CharacterSetName",
            "DBClusterIdentifier",
            "DBInstanceIdentifier",
            "DBName",
            "DBSubnetGroupName",
            "Engine",
            "KmsKeyId",
            "MasterUsername",
            "StorageEncrypted",
            "Timezone",
        ],
    ),
    (
        "AWS::RDS::DBCluster",
        &[
            "AvailabilityZones",
            "DBClusterIdentifier",
            "DatabaseName",
            "Engine",
            "EngineMode",
            "KmsKeyId",
            "MasterUsername",
            "StorageEncrypted",
        ],
    ),
    ("AWS::CloudFormation::Stack", &[]),
    (
        "AWS::CertificateManager::Certificate",
        &[
            "CertificateAuthorityArn",
            "DomainName",
            "DomainValidationOptions",
            "KeyAlgorithm",
            "SubjectAlternativeNames",
            "ValidationMethod",
        ],
    ),
    ("AWS::Route53::RecordSet", &["HostedZoneId", "HostedZoneName", "Name"]),
    ("AWS::WAFv2::WebACL", &["Name", "Scope"]),
    ("AWS::WAFv2::WebACLAssociation", &["ResourceArn", "WebACLArn"]),
    ("AWS::CloudWatch::Alarm", &["AlarmName"]),
    ("AWS::CloudWatch::Dashboard", &["DashboardName"]),
    ("AWS::SNS::Topic", &["FifoTopic", "TopicName"]),
    ("AWS::SNS::TopicPolicy", &[]),
    ("AWS::SNS::Subscription", &["Endpoint", "Protocol", "TopicArn"]),
    ("AWS::Events::Rule", &["EventBusName", "Name"]),
    ("AWS::Chatbot::SlackChannelConfiguration", &["ConfigurationName", "SlackWorkspaceId"]),
];

/// Types whose replacement is an update with no downtime: CloudFormation creates the new
/// one, moves what references it over, and deletes the old one last. An ACM certificate
/// cannot change its names in place; the HTTPS listener moves to the new one once it is
/// issued.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
const HANDED_OVER: &[&str] = &["AWS::CertificateManager::Certificate"];

/// The property holding the name a resource has in its service, per type whose name tells
/// a reader of the plan what it is.
const NAMED_BY: &[(&str, &str)] = &[
    ("AWS::CloudWatch::Alarm", "AlarmName"),
    ("AWS::CloudWatch::Dashboard", "DashboardName"),
    ("AWS::SNS::Topic", "TopicName"),
    ("AWS::SNS::Subscription", "Endpoint"),
    ("AWS::Events::Rule", "Name"),
    ("AWS::Chatbot::SlackChannelConfiguration", "ConfigurationName"),
];

fn physical_name(r: &Value) -> Option<String> {
    let kind = r.get("Type").and_then(Value::as_str)?;
    let (_, property) = NAMED_BY.iter().find(|(t, _)| *t == kind)?;
    r.get("Properties")?.get(*property)?.as_str().map(str::to_string)
}

/// Resource changes from `deployed` (a template, or `None` for a new stack) to `desired`,
/// most severe first, then by logical id. Outputs are compared too: a change there alone
/// is an update of the stack with no resource change (`outputs_changed`).
///
/// The forward weights of the listener rules in `weighted` are never a change: ecship moves
/// them itself during a rollout (the deployed template keeps the weights of the last stack
/// update, which say nothing about where traffic is).
pub fn diff(deployed: Option<&Value>, desired: &Value, weighted: &BTreeSet<String>) -> (Vec<ResourceChange>, bool) {
    let empty = serde_json::Map::new();
    let before = deployed.and_then(|t| t.get("Resources")).and_then(Value::as_object).unwrap_or(&empty);
    let after = desired.get("Resources").and_then(Value::as_object).unwrap_or(&empty);
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut changes = Vec::new();
    for id in ids {
        let (b, a) = (before.get(id), after.get(id));
        let kind = |r: &Value| r.get("Type").and_then(Value::as_str).unwrap_or("").to_string();
        let change = match (b, a) {
            (None, Some(a)) => Some(ResourceChange::new(id, kind(a), Action::Create)),
            (Some(b), None) => Some(ResourceChange::new(id, kind(b), Action::Delete)),
            (Some(b), Some(a)) if b != a => modified(id, b, a, weighted.contains(id)),
            _ => None,
        };
        let name = a.or(b).and_then(physical_name);
        changes.extend(change.map(|c| ResourceChange { name, ..c }));
    }
    changes.sort_by(|x, y| x.order().cmp(&y.order()));
    let outputs = |t: Option<&Value>| t.and_then(|t| t.get("Outputs")).cloned();
    let outputs_changed = deployed.is_some() && outputs(deployed) != outputs(Some(desired));
    (changes, outputs_changed)
}

fn modified(id: &str, b: &Value, a: &Value, weighted: bool) -> Option<ResourceChange> {
    let kind = a.get("Type").and_then(Value::as_str).unwrap_or("").to_string();
    if b.get("Type") != a.get("Type") {
        return Some(ResourceChange {
            replaced_by: vec!["Type".into()],
            properties: vec![PropertyChange { path: "Type".into(), before: b.get("Type").cloned(), after: a.get("Type").cloned() }],
            ..ResourceChange::new(id, kind, Action::Replace)
        });
    }
    let mut properties = Vec::new();
    let null = Value::Null;
    let props = |r: &Value| r.get("Properties").cloned().unwrap_or(Value::Object(serde_json::Map::new()));
    walk("", &props(b), &props(a), &mut properties);
    if weighted {
        properties.retain(|p| !is_forward_weight(&p.path));
    }
    // A nested stack's template moves with its content, which its own diff shows.
    if kind == NESTED_STACK {
        properties.retain(|p| p.path != "TemplateURL");
    }
    // Resource attributes (DependsOn, DeletionPolicy…) change nothing in AWS but are part of the update.
    for attr in ["DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Condition", "Metadata"] {
        let (x, y) = (b.get(attr).unwrap_or(&null), a.get(attr).unwrap_or(&null));
        if x != y {
            properties.push(PropertyChange { path: format!("({attr})"), before: some(x), after: some(y) });
        }
    }
    let forcing: &[&str] = REPLACED_BY.iter().find(|(t, _)| *t == kind).map(|(_, p)| *p).unwrap_or(&[]);
    let mut replaced_by: Vec<String> = properties
        .iter()
        .map(|p| p.path.split(['.', '[']).next().unwrap_or("").to_string())
        .filter(|top| forcing.contains(&top.as_str()))
        .collect();
    replaced_by.dedup();
    let hand_over = !replaced_by.is_empty() && HANDED_OVER.contains(&kind.as_str());
    let action = if replaced_by.is_empty() || hand_over { Action::Update } else { Action::Replace };
    // Nothing left: the difference was only the order of a keyed list (tags), which
    // CloudFormation does not see, or a rule's weights.
    (!properties.is_empty()).then(|| ResourceChange { replaced_by, properties, hand_over, ..ResourceChange::new(id, kind, action) })
}

/// `Actions[0].ForwardConfig.TargetGroups[1].Weight`: the weight of one target group of a
/// listener rule's forward action.
fn is_forward_weight(path: &str) -> bool {
    path.starts_with("Actions[") && path.contains("].ForwardConfig.TargetGroups[") && path.ends_with("].Weight")
}

fn some(v: &Value) -> Option<Value> {
    (!v.is_null()).then(|| v.clone())
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Leaf-level differences. Lists of `{Key, Value}` (tags) are matched by key; other lists
/// by position, unless their lengths differ, when the list is shown whole.
fn walk(path: &str, b: &Value, a: &Value, out: &mut Vec<PropertyChange>) {
    if b == a {
        return;
    }
    match (b, a) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let null = Value::Null;
                walk(&join(path, k), x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if keyed(x) && keyed(y) => {
            let (xm, ym) = (by_key(x), by_key(y));
            let keys: BTreeSet<&String> = xm.keys().chain(ym.keys()).collect();
            for k in keys {
                let null = Value::Null;
                walk(&format!("{path}[{k}]"), xm.get(k).copied().unwrap_or(&null), ym.get(k).copied().unwrap_or(&null), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                walk(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ => out.push(PropertyChange { path: path.to_string(), before: some(b), after: some(a) }),
    }
}

fn keyed(list: &[Value]) -> bool {
    !list.is_empty() && list.iter().all(|v| v.get("Key").and_then(Value::as_str).is_some())
}

/// `{Key, Value}` items by key, to their value.
fn by_key(list: &[Value]) -> BTreeMap<String, &Value> {
    list.iter().filter_map(|v| Some((v.get("Key")?.as_str()?.to_string(), v.get("Value").unwrap_or(&Value::Null)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(resources: Value) -> Value {
        json!({ "Resources": resources })
    }

    #[test]
    fn signals_changes_carry_the_names_people_know_them_by() {
        let alarm = |threshold: f64, name: &str| json!({ "Type": "AWS::CloudWatch::Alarm", "Properties": { "AlarmName": name, "Threshold": threshold } });
        let b = template(
            json!({ "A": alarm(5.0, "s-web-errors_5xx"), "D": { "Type": "AWS::CloudWatch::Dashboard", "Properties": { "DashboardName": "s" } } }),
        );
        let a = template(
            json!({ "A": alarm(10.0, "s-web-errors_5xx"), "T": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "s-signals" } } }),
        );
        let (changes, _) = diff(Some(&b), &a, &BTreeSet::new());
        let seen: Vec<(&str, Action, Option<&str>)> =
            changes.iter().map(|c| (c.logical_id.as_str(), c.action, c.name.as_deref())).collect();
        assert_eq!(
            seen,
            [("D", Action::Delete, Some("s")), ("A", Action::Update, Some("s-web-errors_5xx")), ("T", Action::Create, Some("s-signals"))]
        );
        let renamed = template(json!({ "A": alarm(5.0, "s-web-errors") }));
        let (changes, _) = diff(Some(&b), &renamed, &BTreeSet::new());
        let a = changes.iter().find(|c| c.logical_id == "A").expect("the alarm changes");
        assert_eq!((a.action, a.replaced_by.as_slice()), (Action::Replace, &["AlarmName".to_string()][..]));
    }

    #[test]
    fn a_forcing_property_replaces_and_says_which() {
        let b = template(
            json!({ "Tg": { "Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": { "Port": 80, "HealthCheckPath": "/" } } }),
        );
        let a = template(
            json!({ "Tg": { "Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": { "Port": 8080, "HealthCheckPath": "/health" } } }),
        );
        let (changes, _) = diff(Some(&b), &a, &BTreeSet::new());
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].action, Action::Replace);
        assert_eq!(changes[0].replaced_by, ["Port"]);
        let paths: Vec<&str> = changes[0].properties.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["HealthCheckPath", "Port"]);
    }

    #[test]
    fn a_certificate_with_a_new_host_is_handed_over_not_replaced() {
        let cert = |names: Value| {
            template(
                json!({ "Certificate": { "Type": "AWS::CertificateManager::Certificate", "Properties": { "DomainName": "a.example.com", "SubjectAlternativeNames": names } } }),
            )
        };
        let (changes, _) = diff(Some(&cert(json!(["b.example.com"]))), &cert(json!(["b.example.com", "c.example.com"])), &BTreeSet::new());
        assert_eq!((changes[0].action, changes[0].hand_over), (Action::Update, true));
        assert_eq!(changes[0].replaced_by, ["SubjectAlternativeNames"]);
        let rendered = crate::plan::render::resource_line(&changes[0]);
        assert!(rendered.contains("ACM replaces the certificate") && rendered.contains("no downtime"), "{rendered}");
    }

    #[test]
    fn changes_come_most_severe_first_and_tags_match_by_key() {
        let b = template(json!({
            "Old": { "Type": "AWS::EC2::EIP", "Properties": { "Domain": "vpc" } },
            "Sg": { "Type": "AWS::EC2::SecurityGroup", "Properties": { "GroupDescription": "d", "Tags": [ { "Key": "a", "Value": "1" }, { "Key": "b", "Value": "2" } ] } },
        }));
        let a = template(json!({
            "New": { "Type": "AWS::EC2::EIP", "Properties": { "Domain": "vpc" } },
            "Sg": { "Type": "AWS::EC2::SecurityGroup", "Properties": { "GroupDescription": "d", "Tags": [ { "Key": "b", "Value": "3" } ] } },
        }));
        let (changes, _) = diff(Some(&b), &a, &BTreeSet::new());
        let got: Vec<(&str, Action)> = changes.iter().map(|c| (c.logical_id.as_str(), c.action)).collect();
        assert_eq!(got, [("Old", Action::Delete), ("Sg", Action::Update), ("New", Action::Create)]);
        let tags: Vec<(&str, Option<&Value>, Option<&Value>)> =
            changes[1].properties.iter().map(|p| (p.path.as_str(), p.before.as_ref(), p.after.as_ref())).collect();
        assert_eq!(tags, [("Tags[a]", Some(&json!("1")), None), ("Tags[b]", Some(&json!("2")), Some(&json!("3")))]);
    }

    #[test]
    fn identical_templates_have_no_changes_and_a_new_stack_creates_everything() {
        let t = template(json!({ "Vpc": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": "10.0.0.0/16" } } }));
        assert_eq!(diff(Some(&t), &t, &BTreeSet::new()), (vec![], false));
        let (changes, outputs) = diff(None, &t, &BTreeSet::new());
        assert_eq!((changes[0].action, outputs), (Action::Create, false));
    }

    #[test]
    fn lists_of_other_lengths_are_shown_whole() {
        let b = template(json!({ "R": { "Type": "AWS::ECS::Cluster", "Properties": { "S": [1, 2] } } }));
        let a = template(json!({ "R": { "Type": "AWS::ECS::Cluster", "Properties": { "S": [1, 2, 3] } } }));
        let (changes, _) = diff(Some(&b), &a, &BTreeSet::new());
        assert_eq!(
            changes[0].properties,
            [PropertyChange { path: "S".into(), before: Some(json!([1, 2])), after: Some(json!([1, 2, 3])) }]
        );
    }
}

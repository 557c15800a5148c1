//! What CloudFormation calls with the caller's credentials (a stack without a service role
//! acts as its caller) for each resource type ecship's templates hold: the permissions of
//! the type's create/update, delete and read handlers, as AWS's CloudFormation resource
//! schemas list them (`handlers.create.permissions`, …:
//! <https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html>,
//! schemas in the CloudFormation registry, `aws cloudformation describe-type`).

use std::collections::BTreeSet;

use crate::model::Model;
use crate::synth::nesting::Stacks;
use crate::synth::MAX_TEMPLATE_BODY_BYTES;

use super::{Grant, Scope, Verb, Verbs};

/// The tag every resource of a stack carries (`synth` puts it on every taggable resource).
const STACK_TAG: &str = "ecship:stack";

/// Where a type's resources live, as far as a policy can name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Home {
    /// EC2 network resources, load balancers and their parts, file systems, the test-route
    /// secret, the Service Connect namespace: ids AWS generates.
    Generated,
    Roles,
    LogGroup,
    Repositories,
    Cluster,
    NestedStacks,
    /// The Route 53 hosted zones of the stack's domains, and their record changes.
    Zones,
    /// The stack's web ACLs (named as the stack, or `STACK-LB`), AWS's managed rule groups
    /// they reference and the load balancers they are associated with.
    WebAcls,
    /// Signals: the stack's alarms, dashboard, topic (or the one `notify.topic` names) and
    /// EventBridge rules, all named `STACK`, `STACK-…`.
    Signals,
    /// AWS Chatbot's channel configurations: no resource-level permissions.
    Chatbot,
    /// Data resources: S3 buckets, DynamoDB tables, RDS instances, clusters, subnet groups
    /// and their final snapshots, named `STACK-…` (CloudFormation's generated names start
    /// with the stack's name too).
    Data,
}

const CHATBOT: &str = "AWS Chatbot's Slack channel configuration actions support no resource-level permissions: AWS requires \"*\"";

const GENERATED: &str = "CloudFormation creates these resources under ids AWS generates (vpc-…, sg-…, subnet-…, fs-…, ARNs with random suffixes), so no name or ARN can be known before it does; and their Describe*/List* actions support no resource-level permissions: AWS requires \"*\"";

/// (type, home, create and update, delete, read) — the handlers' permissions.
type Handlers = (&'static str, Home, &'static [&'static str], &'static [&'static str], &'static [&'static str]);

const TYPES: &[Handlers] = &[
    (
        "AWS::EC2::VPC",
        Home::Generated,
        &["ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:CreateTags", "ec2:DeleteTags"],
        &["ec2:DeleteVpc"],
        &["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"],
    ),
    (
        "AWS::EC2::Subnet",
        Home::Generated,
        &["ec2:CreateSubnet", "ec2:ModifySubnetAttribute", "ec2:CreateTags", "ec2:DeleteTags"],
        &["ec2:DeleteSubnet"],
        &["ec2:DescribeSubnets"],
    ),
    (
        "AWS::EC2::InternetGateway",
        Home::Generated,
        &["ec2:CreateInternetGateway", "ec2:CreateTags"],
        &["ec2:DeleteInternetGateway"],
        &["ec2:DescribeInternetGateways"],
    ),
    (
        "AWS::EC2::VPCGatewayAttachment",
        Home::Generated,
        &["ec2:AttachInternetGateway"],
        &["ec2:DetachInternetGateway"],
        &["ec2:DescribeInternetGateways"],
    ),
    (
        "AWS::EC2::RouteTable",
        Home::Generated,
        &["ec2:CreateRouteTable", "ec2:CreateTags"],
        &["ec2:DeleteRouteTable"],
        &["ec2:DescribeRouteTables"],
    ),
    ("AWS::EC2::Route", Home::Generated, &["ec2:CreateRoute", "ec2:ReplaceRoute"], &["ec2:DeleteRoute"], &["ec2:DescribeRouteTables"]),
    (
        "AWS::EC2::SubnetRouteTableAssociation",
        Home::Generated,
        &["ec2:AssociateRouteTable", "ec2:ReplaceRouteTableAssociation"],
        &["ec2:DisassociateRouteTable"],
        &["ec2:DescribeRouteTables"],
    ),
    ("AWS::EC2::EIP", Home::Generated, &["ec2:AllocateAddress", "ec2:CreateTags"], &["ec2:ReleaseAddress"], &["ec2:DescribeAddresses"]),
    (
        "AWS::EC2::NatGateway",
        Home::Generated,
        &["ec2:CreateNatGateway", "ec2:CreateTags"],
        &["ec2:DeleteNatGateway"],
        &["ec2:DescribeNatGateways"],
    ),
    (
        "AWS::EC2::SecurityGroup",
        Home::Generated,
        &[
            "ec2:CreateSecurityGroup",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:CreateTags",
            "ec2:DeleteTags",
        ],
        &["ec2:DeleteSecurityGroup", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"],
        &["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"],
    ),
    (
        "AWS::EC2::SecurityGroupIngress",
        Home::Generated,
        &["ec2:AuthorizeSecurityGroupIngress"],
        &["ec2:RevokeSecurityGroupIngress"],
        &["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"],
    ),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        Home::Generated,
        &[
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
            "iam:CreateServiceLinkedRole",
        ],
        &["elasticloadbalancing:DeleteLoadBalancer"],
        &[
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeTags",
        ],
    ),
    (
        "AWS::ElasticLoadBalancingV2::Listener",
        Home::Generated,
        &["elasticloadbalancing:CreateListener", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:AddTags"],
        &["elasticloadbalancing:DeleteListener"],
        &["elasticloadbalancing:DescribeListeners"],
    ),
    (
        // A preview's host certificate on the environment's listener.
        "AWS::ElasticLoadBalancingV2::ListenerCertificate",
        Home::Generated,
        &["elasticloadbalancing:AddListenerCertificates"],
        &["elasticloadbalancing:RemoveListenerCertificates"],
        &["elasticloadbalancing:DescribeListenerCertificates"],
    ),
    (
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        Home::Generated,
        &[
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities",
            "elasticloadbalancing:AddTags",
        ],
        &["elasticloadbalancing:DeleteRule"],
        &["elasticloadbalancing:DescribeRules"],
    ),
    (
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        Home::Generated,
        &[
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
        ],
        &["elasticloadbalancing:DeleteTargetGroup"],
        &[
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTags",
        ],
    ),
    (
        "AWS::EFS::FileSystem",
        Home::Generated,
        &[
            "elasticfilesystem:CreateFileSystem",
            "elasticfilesystem:UpdateFileSystem",
            "elasticfilesystem:PutLifecycleConfiguration",
            "elasticfilesystem:PutBackupPolicy",
            "elasticfilesystem:PutFileSystemPolicy",
            "elasticfilesystem:TagResource",
            "elasticfilesystem:UntagResource",
            "kms:DescribeKey",
            "kms:CreateGrant",
        ],
        &["elasticfilesystem:DeleteFileSystem"],
        &[
            "elasticfilesystem:DescribeFileSystems",
            "elasticfilesystem:DescribeLifecycleConfiguration",
            "elasticfilesystem:DescribeBackupPolicy",
            "elasticfilesystem:DescribeFileSystemPolicy",
        ],
    ),
    (
        "AWS::EFS::MountTarget",
        Home::Generated,
        &[
            "elasticfilesystem:CreateMountTarget",
            "elasticfilesystem:ModifyMountTargetSecurityGroups",
            "ec2:CreateNetworkInterface",
            "ec2:DescribeSubnets",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeNetworkInterfaceAttribute",
        ],
        &["elasticfilesystem:DeleteMountTarget", "ec2:DeleteNetworkInterface"],
        &["elasticfilesystem:DescribeMountTargets", "elasticfilesystem:DescribeMountTargetSecurityGroups"],
    ),
    (
        "AWS::EFS::AccessPoint",
        Home::Generated,
        &["elasticfilesystem:CreateAccessPoint", "elasticfilesystem:TagResource"],
        &["elasticfilesystem:DeleteAccessPoint"],
        &["elasticfilesystem:DescribeAccessPoints"],
    ),
    // The test route's header value is read back through a dynamic reference (`{{resolve:secretsmanager:…}}`).
    (
        "AWS::SecretsManager::Secret",
        Home::Generated,
        &[
            "secretsmanager:CreateSecret",
            "secretsmanager:UpdateSecret",
            "secretsmanager:GetRandomPassword",
            "secretsmanager:TagResource",
            "secretsmanager:GetSecretValue",
        ],
        &["secretsmanager:DeleteSecret"],
        &["secretsmanager:DescribeSecret"],
    ),
    (
        "AWS::ServiceDiscovery::HttpNamespace",
        Home::Generated,
        &[
            "servicediscovery:CreateHttpNamespace",
            "servicediscovery:UpdateHttpNamespace",
            "servicediscovery:TagResource",
            "servicediscovery:GetOperation",
        ],
        &["servicediscovery:DeleteNamespace", "servicediscovery:GetOperation"],
        &["servicediscovery:GetNamespace", "servicediscovery:ListNamespaces"],
    ),
    (
        "AWS::IAM::Role",
        Home::Roles,
        &[
            "iam:CreateRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:PutRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:TagRole",
            "iam:UntagRole",
        ],
        &["iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:ListInstanceProfilesForRole"],
        &["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
    ),
    ("AWS::IAM::Policy", Home::Roles, &["iam:PutRolePolicy"], &["iam:DeleteRolePolicy"], &["iam:GetRolePolicy"]),
    (
        "AWS::Logs::LogGroup",
        Home::LogGroup,
        &["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource"],
        &["logs:DeleteLogGroup"],
        &["logs:DescribeLogGroups", "logs:ListTagsForResource"],
    ),
    (
        "AWS::ECR::Repository",
        Home::Repositories,
        &[
            "ecr:CreateRepository",
            "ecr:PutImageTagMutability",
            "ecr:PutImageScanningConfiguration",
            "ecr:PutLifecyclePolicy",
            "ecr:TagResource",
            "ecr:UntagResource",
        ],
        &["ecr:DeleteRepository"],
        &["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:ListTagsForResource"],
    ),
    (
        "AWS::ECS::Cluster",
        Home::Cluster,
        &[
            "ecs:CreateCluster",
            "ecs:UpdateCluster",
            "ecs:PutClusterCapacityProviders",
            "ecs:TagResource",
            "ecs:UntagResource",
            "iam:CreateServiceLinkedRole",
        ],
        &["ecs:DeleteCluster"],
        &["ecs:DescribeClusters"],
    ),
    (
        "AWS::CertificateManager::Certificate",
        Home::Generated,
        &["acm:RequestCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate", "acm:UpdateCertificateOptions"],
        &["acm:DeleteCertificate"],
        &["acm:DescribeCertificate", "acm:ListTagsForCertificate"],
    ),
    // DNS validation: CloudFormation writes each name's validation record in the zone.
    ("AWS::CertificateManager::Certificate", Home::Zones, &["route53:ChangeResourceRecordSets", "route53:GetChange"], &[], &[]),
    (
        "AWS::Route53::RecordSet",
        Home::Zones,
        &["route53:ChangeResourceRecordSets", "route53:GetChange", "route53:GetHostedZone"],
        &["route53:ChangeResourceRecordSets", "route53:GetChange"],
        &["route53:ListResourceRecordSets"],
    ),
    (
        "AWS::WAFv2::WebACL",
        Home::WebAcls,
        &["wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:TagResource", "wafv2:UntagResource"],
        &["wafv2:DeleteWebACL"],
        &["wafv2:GetWebACL", "wafv2:ListTagsForResource"],
    ),
    (
        "AWS::WAFv2::WebACLAssociation",
        Home::WebAcls,
        &["wafv2:AssociateWebACL", "elasticloadbalancing:SetWebACL"],
        &["wafv2:DisassociateWebACL"],
        &["wafv2:GetWebACLForResource"],
    ),
    (
        "AWS::CloudWatch::Alarm",
        Home::Signals,
        &["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
        &["cloudwatch:DeleteAlarms"],
        &["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
    ),
    (
        "AWS::CloudWatch::Dashboard",
        Home::Signals,
        &["cloudwatch:PutDashboard"],
        &["cloudwatch:DeleteDashboards"],
        &["cloudwatch:GetDashboard"],
    ),
    (
        "AWS::SNS::Topic",
        Home::Signals,
        &["sns:CreateTopic", "sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"],
        &["sns:DeleteTopic"],
        &["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListSubscriptionsByTopic"],
    ),
    ("AWS::SNS::TopicPolicy", Home::Signals, &["sns:SetTopicAttributes"], &["sns:SetTopicAttributes"], &["sns:GetTopicAttributes"]),
    (
        "AWS::SNS::Subscription",
        Home::Signals,
        &["sns:Subscribe", "sns:SetSubscriptionAttributes"],
        &["sns:Unsubscribe"],
        &["sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic"],
    ),
    (
        "AWS::Events::Rule",
        Home::Signals,
        &["events:PutRule", "events:PutTargets", "events:RemoveTargets"],
        &["events:DeleteRule", "events:RemoveTargets"],
        &["events:DescribeRule", "events:ListTargetsByRule"],
    ),
    (
        "AWS::Chatbot::SlackChannelConfiguration",
        Home::Chatbot,
        &[
            "chatbot:CreateSlackChannelConfiguration",
            "chatbot:UpdateSlackChannelConfiguration",
            "chatbot:TagResource",
            "chatbot:UntagResource",
        ],
        &["chatbot:DeleteSlackChannelConfiguration"],
        &["chatbot:DescribeSlackChannelConfigurations", "chatbot:ListTagsForResource"],
    ),
    (
        "AWS::KMS::Key",
        Home::Generated,
        &[
            "kms:CreateKey",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
            "kms:PutKeyPolicy",
            "kms:UpdateKeyDescription",
            "kms:TagResource",
            "kms:UntagResource",
        ],
        &["kms:ScheduleKeyDeletion"],
        &["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
    ),
    (
        "AWS::S3::Bucket",
        Home::Data,
        &[
            "s3:CreateBucket",
            "s3:PutBucketTagging",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketOwnershipControls",
            "s3:PutEncryptionConfiguration",
            "s3:PutBucketVersioning",
            "s3:PutLifecycleConfiguration",
        ],
        &["s3:DeleteBucket"],
        &[
            "s3:ListBucket",
            "s3:GetBucketTagging",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketOwnershipControls",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketVersioning",
            "s3:GetLifecycleConfiguration",
        ],
    ),
    ("AWS::S3::BucketPolicy", Home::Data, &["s3:PutBucketPolicy"], &["s3:DeleteBucketPolicy"], &["s3:GetBucketPolicy"]),
    (
        "AWS::DynamoDB::Table",
        Home::Data,
        &[
            "dynamodb:CreateTable",
            "dynamodb:UpdateTable",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
        ],
        &["dynamodb:DeleteTable"],
        &["dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource"],
    ),
    (
        "AWS::RDS::DBSubnetGroup",
        Home::Data,
        &["rds:CreateDBSubnetGroup", "rds:ModifyDBSubnetGroup", "rds:AddTagsToResource", "rds:RemoveTagsFromResource"],
        &["rds:DeleteDBSubnetGroup"],
        &["rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"],
    ),
    (
        "AWS::RDS::DBInstance",
        Home::Data,
        &[
            "rds:CreateDBInstance",
            "rds:ModifyDBInstance",
            "rds:RebootDBInstance",
            "rds:AddTagsToResource",
            "rds:RemoveTagsFromResource",
            "iam:CreateServiceLinkedRole",
        ],
        // A final snapshot (`DeletionPolicy: Snapshot`) is taken before the delete.
        &["rds:DeleteDBInstance", "rds:CreateDBSnapshot"],
        &["rds:DescribeDBInstances", "rds:ListTagsForResource"],
    ),
    (
        "AWS::RDS::DBCluster",
        Home::Data,
        &[
            "rds:CreateDBCluster",
            "rds:ModifyDBCluster",
            "rds:AddTagsToResource",
            "rds:RemoveTagsFromResource",
            "iam:CreateServiceLinkedRole",
        ],
        &["rds:DeleteDBCluster", "rds:CreateDBClusterSnapshot"],
        &["rds:DescribeDBClusters", "rds:ListTagsForResource"],
    ),
    (
        "AWS::CloudFormation::Stack",
        Home::NestedStacks,
        &["cloudformation:CreateStack", "cloudformation:UpdateStack"],
        &["cloudformation:DeleteStack"],
        &["cloudformation:DescribeStacks"],
    ),
];

/// Whether a deploy uploads templates to the asset bucket (a nested stack, or a root too
/// large to send inline): CloudFormation then reads them from S3 as the caller.
pub(super) fn uploads(stacks: &Stacks) -> bool {
    !stacks.nested.is_empty() || stacks.root.to_json_compact().len() > MAX_TEMPLATE_BODY_BYTES
}

/// The stack's ARN, and its nested stacks' (CloudFormation names them `STACK-LOGICALID-…`).
pub(super) fn stack_arns(stack: &str, stacks: &Stacks, scope: &Scope) -> Vec<String> {
    let mut out = vec![scope.arn("cloudformation", &format!("stack/{stack}/*"))];
    if !stacks.nested.is_empty() {
        out.push(scope.arn("cloudformation", &format!("stack/{stack}-*/*")));
    }
    out
}

/// Whether every resource of `kind` in the stack's templates carries the stack's tag.
fn tagged(stacks: &Stacks, kind: &str) -> bool {
    std::iter::once(&stacks.root)
        .chain(stacks.nested.values())
        .flat_map(|t| t.resources.values())
        .filter(|r| r.kind == kind)
        .all(|r| r.properties["Tags"].as_array().is_some_and(|tags| tags.iter().any(|t| t["Key"] == STACK_TAG)))
}

/// The resource types of every template of the stack.
fn types(stacks: &Stacks) -> BTreeSet<&'static str> {
    std::iter::once(&stacks.root).chain(stacks.nested.values()).flat_map(|t| t.resources.values().map(|r| r.kind)).collect()
}

const TAGGED: &str =
    "deletes of resources under ids AWS generates, allowed only where the resource carries the stack's tag (aws:ResourceTag/ecship:stack)";

/// What CloudFormation needs of the caller for `verbs` (a plan creates no change set: none).
pub(super) fn grants(model: &Model, stacks: &Stacks, scope: &Scope, verbs: Verbs) -> Vec<Grant> {
    let present = types(stacks);
    let deploy = verbs.covers(Verb::Deploy);
    if !deploy && !verbs.covers(Verb::Destroy) {
        return Vec::new();
    }
    let mut deletes = Vec::new();
    let mut out: Vec<Grant> = TYPES
        .iter()
        .filter(|(kind, ..)| present.contains(kind))
        .map(|(kind, home, write, delete, read)| {
            let writes: &[&str] = if deploy { write } else { &[] };
            // A generated resource that carries the stack's tag is deleted only under it.
            let by_tag = *home == Home::Generated && tagged(stacks, kind);
            if by_tag {
                deletes.extend(delete.iter().map(|a| a.to_string()));
            }
            let delete: &[&str] = if by_tag { &[] } else { delete };
            Grant {
                sid: sid(*home).into(),
                actions: writes.iter().chain(delete.iter()).chain(read.iter()).map(|a| a.to_string()).collect(),
                resources: resources(*home, model, stacks, scope),
                condition: None,
                any: reason(*home),
            }
        })
        .collect();
    // An action another statement allows anyway gains nothing from the condition.
    deletes.retain(|a| !out.iter().any(|g| g.actions.contains(a)));
    out.push(Grant {
        sid: "CloudFormationDeletesStackTaggedResources".into(),
        actions: deletes,
        resources: vec!["*".into()],
        condition: Some(
            serde_json::json!({ like(model.stack.as_str()): { format!("aws:ResourceTag/{STACK_TAG}"): model.stack.as_str() } }),
        ),
        any: Some(TAGGED),
    });
    if deploy && uploads(stacks) {
        let bucket = super::calls::asset_bucket(model, scope);
        let key = format!("arn:aws:s3:::{bucket}/stacks/{}/*", model.stack);
        out.push(Grant {
            sid: "CloudFormationReadsTemplates".into(),
            actions: vec!["s3:GetObject".into()],
            resources: vec![key],
            condition: None,
            any: None,
        });
    }
    out
}

/// Why a home's statement is on `*`, where it is.
fn reason(home: Home) -> Option<&'static str> {
    match home {
        Home::Generated => Some(GENERATED),
        Home::Chatbot => Some(CHATBOT),
        _ => None,
    }
}

/// The condition operator that matches `value`: `StringLike` where it holds a wildcard (every
/// preview's stack, `STACK-*`).
fn like(value: &str) -> &'static str {
    if value.contains('*') {
        "StringLike"
    } else {
        "StringEquals"
    }
}

fn sid(home: Home) -> &'static str {
    match home {
        Home::Generated => "CloudFormationResourcesWithGeneratedIds",
        Home::Roles => "CloudFormationRoles",
        Home::LogGroup => "CloudFormationLogGroup",
        Home::Repositories => "CloudFormationRepositories",
        Home::Cluster => "CloudFormationCluster",
        Home::NestedStacks => "CloudFormationNestedStacks",
        Home::Zones => "CloudFormationHostedZones",
        Home::WebAcls => "CloudFormationWebAcls",
        Home::Signals => "CloudFormationSignals",
        Home::Chatbot => "CloudFormationChatbot",
        Home::Data => "CloudFormationData",
    }
}

fn resources(home: Home, model: &Model, stacks: &Stacks, scope: &Scope) -> Vec<String> {
    let stack = model.stack.as_str();
    match home {
        Home::Generated | Home::Chatbot => vec!["*".into()],
        Home::Roles => vec![scope.global_arn("iam", &format!("role/{stack}-*"))],
        Home::LogGroup => {
            vec![scope.arn("logs", &format!("log-group:/ecship/{stack}")), scope.arn("logs", &format!("log-group:/ecship/{stack}:*"))]
        }
        Home::Repositories => vec![scope.arn("ecr", &format!("repository/{stack}/*"))],
        Home::Cluster => vec![
            scope.arn("ecs", &format!("cluster/{}", model.cluster.name)),
            scope.global_arn("iam", "role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"),
        ],
        Home::NestedStacks => stack_arns(stack, stacks, scope).into_iter().skip(1).collect(),
        Home::Zones => zones(model),
        Home::WebAcls => vec![
            scope.arn("wafv2", &format!("regional/webacl/{stack}/*")),
            scope.arn("wafv2", &format!("regional/webacl/{stack}-*/*")),
            scope.arn("wafv2", "regional/managedruleset/*/*"),
            scope.arn("elasticloadbalancing", "loadbalancer/app/*"),
        ],
        Home::Signals => signals(model, scope),
        Home::Data => data(stack, scope),
    }
}

/// The stack's data resources and their final snapshots, and the RDS parameter and option
/// groups an instance or cluster names (AWS's `default.…` ones among them).
fn data(stack: &str, scope: &Scope) -> Vec<String> {
    // Any RDS resource of the stack (`db:`, `cluster:`, `subgrp:`, `snapshot:`, `cluster-snapshot:`
    // `STACK-*`): one ARN for five keeps the policy within an inline policy's size.
    let own =
        [scope.arn("rds", &format!("*:{stack}-*")), scope.arn("dynamodb", &format!("table/{stack}-*")), format!("arn:aws:s3:::{stack}-*")];
    let groups = ["pg", "cluster-pg", "og"].map(|kind| scope.arn("rds", &format!("{kind}:*")));
    own.into_iter().chain(groups).collect()
}

/// The hosted zones of the stack's domains, by id; any zone where one is given by name only
/// (its id is looked up at deploy). A record change's status is read under `change/*`.
fn zones(model: &Model) -> Vec<String> {
    let zones: Vec<&crate::model::HostedZone> =
        model.load_balancers.values().filter_map(|lb| lb.domain.as_ref()).map(|d| &d.zone).collect();
    let ids: Vec<String> =
        zones.iter().map(|z| z.id.as_deref().unwrap_or("*")).map(|id| format!("arn:aws:route53:::hostedzone/{id}")).collect();
    ids.into_iter().chain(["arn:aws:route53:::change/*".to_string()]).collect()
}

/// The alarms, dashboard, topic (and its subscriptions) and rules of the stack's signals.
fn signals(model: &Model, scope: &Scope) -> Vec<String> {
    let stack = model.stack.as_str();
    let topic = match model.signals.as_ref().and_then(|s| s.notify.topic.clone()) {
        Some(existing) => existing,
        None => scope.arn("sns", &format!("{stack}-signals")),
    };
    vec![
        scope.arn("cloudwatch", &format!("alarm:{stack}-*")),
        scope.global_arn("cloudwatch", &format!("dashboard/{stack}")),
        format!("{topic}:*"),
        topic,
        scope.arn("events", &format!("rule/{stack}-*")),
    ]
}

/// The resource types this table covers: every type ecship's templates hold.
#[cfg(test)]
pub(super) fn covered() -> BTreeSet<&'static str> {
    TYPES.iter().map(|(kind, ..)| *kind).collect()
}

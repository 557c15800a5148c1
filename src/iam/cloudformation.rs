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
}

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
                any: (*home == Home::Generated).then_some(GENERATED),
            }
        })
        .collect();
    // An action another statement allows anyway gains nothing from the condition.
    deletes.retain(|a| !out.iter().any(|g| g.actions.contains(a)));
    out.push(Grant {
        sid: "CloudFormationDeletesStackTaggedResources".into(),
        actions: deletes,
        resources: vec!["*".into()],
        condition: Some(serde_json::json!({ "StringEquals": { format!("aws:ResourceTag/{STACK_TAG}"): model.stack.as_str() } })),
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

fn sid(home: Home) -> &'static str {
    match home {
        Home::Generated => "CloudFormationResourcesWithGeneratedIds",
        Home::Roles => "CloudFormationRoles",
        Home::LogGroup => "CloudFormationLogGroup",
        Home::Repositories => "CloudFormationRepositories",
        Home::Cluster => "CloudFormationCluster",
        Home::NestedStacks => "CloudFormationNestedStacks",
    }
}

fn resources(home: Home, model: &Model, stacks: &Stacks, scope: &Scope) -> Vec<String> {
    let stack = model.stack.as_str();
    match home {
        Home::Generated => vec!["*".into()],
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
    }
}

/// The resource types this table covers: every type ecship's templates hold.
#[cfg(test)]
pub(super) fn covered() -> BTreeSet<&'static str> {
    TYPES.iter().map(|(kind, ..)| *kind).collect()
}

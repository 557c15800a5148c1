//! The AWS calls ecship makes itself (every SDK call of `aws/`), which verbs reach each, what
//! in a stack makes it happen, and the resources it names — plus what AWS checks on the side
//! of a call without a call of its own: `iam:PassRole` for the roles a task definition or a
//! schedule names, and ECR's actions behind the registry protocol that pushes and pins images.

use crate::model::storage::{DbEngine, StorageKind};
use crate::model::{EcrRepository, Engine, Model, Rollout};
use crate::synth::nesting::Stacks;

use super::{Grant, Scope, Verb, Verbs};

/// What in a stack makes ecship call something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    Always,
    /// A service with `autoscaling`.
    Autoscaling,
    /// A job with a `schedule`.
    Schedules,
    /// A `deploy.before` step (one-off tasks, their logs followed).
    BeforeTasks,
    /// A rollout ECS runs natively (`engine: ecs`).
    EcsEngine,
    /// A canary, linear or blue/green rollout ecship runs (weighted listener rules).
    TwoColour,
    /// `deploy.alarms` (the stack's own alarms too, with `deploy.alarms: auto`).
    Alarms,
    /// A preview's model (`--for preview`): the environment's stack read, the previews
    /// listed by name, the listeners' rules read for free priorities.
    Previews,
    /// `storage:` the stack creates: read by `status`, deleted by `destroy --delete-data`
    /// when kept — a bucket, a table, an RDS instance, an Aurora cluster.
    Storage,
    Buckets,
    Tables,
    Instances,
    Clusters,
    /// A domain whose hosted zone the spec names without its id: looked up before synthesis.
    ZoneLookup,
    /// A database the spec adopts (`existing:`): described before synthesis.
    DbLookup,
    /// Templates too large to send inline (the asset bucket).
    Assets,
    /// An image ecship builds or pushes.
    Pushes,
    /// An image in ECR, named by the spec (pinned to its digest, pulled by ECS).
    EcrImages,
    /// An image in ECR at all: the spec's or one ecship pushes.
    EcrLogin,
}

/// Where the calls go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    Stack,
    /// The environment a preview runs in.
    ParentStack,
    /// Every DynamoDB table of the account: a destroy finds the stack's kept tables by
    /// their tags, which only reading each table's tags tells.
    AllTables,
    /// The stack's buckets (`STACK-…`, as CloudFormation names them) and their objects:
    /// another bucket's tags refused to the role are skipped by a destroy looking for its own.
    Buckets,
    /// The stack's tables, databases, clusters and their final snapshots.
    Data,
    Lock,
    Cluster,
    Services,
    Tasks,
    Families,
    Deployments,
    StackRepositories,
    ImageRepositories,
    LogGroup,
    ScheduleGroup,
    AssetBucket,
    AssetObjects,
    ListenerRules,
    /// Actions with no resource-level permissions: AWS requires `*`.
    Any,
}

const NO_RESOURCE_LEVEL: &str = "these actions support no resource-level permissions (List*, most Describe*, ECS task-definition registration and reads, ecr:GetAuthorizationToken, Application Auto Scaling, route53:ListHostedZonesByName): AWS requires \"*\"";

use Needs as N;
use On as O;
use Verb::{Deploy as D, Destroy as X, Plan as P};

/// The stack lock: an ECR repository created, tagged, read and deleted (`ops::lock`).
const LOCK: &[&str] =
    &["ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeRepositories", "ecr:ListTagsForResource", "ecr:TagResource"];

/// ecship's own calls: (verb, what makes it happen, where it goes, IAM actions).
const CALLS: &[(Verb, Needs, On, &[&str])] = &[
    // Reads every verb makes (`plan` and `status`: observing the deployed stack).
    (P, N::Always, O::Stack, &["cloudformation:DescribeStacks", "cloudformation:GetTemplate", "cloudformation:ListStackResources"]),
    (P, N::Always, O::Services, &["ecs:DescribeServices"]),
    (P, N::Always, O::Any, &["ecs:ListServices", "ecs:DescribeTaskDefinition"]),
    (
        P,
        N::Autoscaling,
        O::Any,
        &[
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingPolicies",
            "application-autoscaling:DescribeScheduledActions",
        ],
    ),
    (P, N::Schedules, O::Any, &["scheduler:ListSchedules"]),
    (P, N::Schedules, O::ScheduleGroup, &["scheduler:GetSchedule"]),
    (P, N::TwoColour, O::Any, &["elasticloadbalancing:DescribeRules"]),
    (P, N::EcrLogin, O::Any, &["ecr:GetAuthorizationToken"]),
    (P, N::ZoneLookup, O::Any, &["route53:ListHostedZonesByName"]),
    (P, N::DbLookup, O::Any, &["rds:DescribeDBInstances"]),
    (P, N::Previews, O::ParentStack, &["cloudformation:DescribeStacks", "cloudformation:ListStackResources"]),
    (P, N::Previews, O::Any, &["cloudformation:ListStacks", "elasticloadbalancing:DescribeRules"]),
    // deploy, rollback, status.
    // status: the task definitions no service runs are jobs unless a preview's stack owns them.
    (D, N::Always, O::Any, &["cloudformation:ListStacks"]),
    (D, N::Always, O::Stack, &["cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DescribeStackEvents"]),
    (D, N::Always, O::Lock, LOCK),
    (D, N::Always, O::Services, &["ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService", "ecs:TagResource", "ecs:UntagResource"]),
    (
        D,
        N::Always,
        O::Any,
        &[
            "ecs:RegisterTaskDefinition",
            "ecs:ListTaskDefinitions",
            "ecs:DeregisterTaskDefinition",
            "ecs:ListTaskDefinitionFamilies",
            "ecs:ListTasks",
            "application-autoscaling:DescribeScalableTargets",
        ],
    ),
    // Tags on create (a task definition's, a task's propagated ones) need ecs:TagResource too.
    (D, N::Always, O::Families, &["ecs:DeleteTaskDefinitions", "ecs:TagResource"]),
    (D, N::Always, O::Tasks, &["ecs:DescribeTasks"]),
    (D, N::BeforeTasks, O::Tasks, &["ecs:TagResource"]),
    (D, N::TwoColour, O::ListenerRules, &["elasticloadbalancing:ModifyRule"]),
    (D, N::TwoColour, O::Any, &["elasticloadbalancing:DescribeTargetHealth"]),
    (
        D,
        N::Autoscaling,
        O::Any,
        &[
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:PutScheduledAction",
            "application-autoscaling:DeleteScheduledAction",
            "application-autoscaling:DescribeScalingPolicies",
            "application-autoscaling:DescribeScheduledActions",
        ],
    ),
    (
        D,
        N::Schedules,
        O::ScheduleGroup,
        &[
            "scheduler:CreateScheduleGroup",
            "scheduler:GetScheduleGroup",
            "scheduler:CreateSchedule",
            "scheduler:UpdateSchedule",
            "scheduler:DeleteSchedule",
            "scheduler:GetSchedule",
        ],
    ),
    (D, N::Schedules, O::Any, &["scheduler:ListSchedules"]),
    (D, N::BeforeTasks, O::Families, &["ecs:RunTask"]),
    (D, N::BeforeTasks, O::Tasks, &["ecs:StopTask"]),
    (D, N::BeforeTasks, O::LogGroup, &["logs:GetLogEvents"]),
    (D, N::EcsEngine, O::Services, &["ecs:ListServiceDeployments"]),
    (D, N::EcsEngine, O::Deployments, &["ecs:DescribeServiceDeployments", "ecs:DescribeServiceRevisions", "ecs:StopServiceDeployment"]),
    (D, N::Alarms, O::Any, &["cloudwatch:DescribeAlarms"]),
    (
        D,
        N::Assets,
        O::AssetBucket,
        &[
            "s3:ListBucket",
            "s3:CreateBucket",
            "s3:PutEncryptionConfiguration",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketVersioning",
            "s3:PutLifecycleConfiguration",
        ],
    ),
    (D, N::Assets, O::AssetObjects, &["s3:PutObject"]),
    (D, N::Pushes, O::StackRepositories, &["ecr:DescribeImages"]),
    (D, N::Storage, O::Any, &["rds:DescribeDBInstances", "rds:DescribeDBClusters"]),
    (D, N::Storage, O::Data, &["dynamodb:DescribeTable", "dynamodb:ListTagsOfResource"]),
    // destroy.
    (X, N::Always, O::Stack, &["cloudformation:DeleteStack", "cloudformation:DescribeStackEvents"]),
    (X, N::Always, O::Lock, LOCK),
    (X, N::Always, O::Services, &["ecs:DeleteService"]),
    (X, N::Always, O::Cluster, &["ecs:DescribeClusters"]),
    (X, N::Always, O::Families, &["ecs:DeleteTaskDefinitions"]),
    (X, N::Always, O::Tasks, &["ecs:StopTask"]),
    (
        X,
        N::Always,
        O::Any,
        &[
            "cloudformation:ListStacks",
            "ecs:ListTaskDefinitions",
            "ecs:ListTaskDefinitionFamilies",
            "ecs:DeregisterTaskDefinition",
            "ecs:ListTasks",
            "ecr:DescribeRepositories",
            "elasticfilesystem:DescribeFileSystems",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTags",
            "application-autoscaling:DescribeScalableTargets",
        ],
    ),
    (X, N::Always, O::AssetBucket, &["s3:ListBucket", "s3:ListBucketVersions"]),
    // The data a stack kept (`Retain`), found by its tags on every destroy.
    (X, N::Always, O::Any, &["s3:ListAllMyBuckets", "dynamodb:ListTables", "rds:DescribeDBInstances", "rds:DescribeDBClusters"]),
    (X, N::Always, O::AllTables, &["dynamodb:DescribeTable", "dynamodb:ListTagsOfResource"]),
    (X, N::Always, O::Buckets, &["s3:GetBucketTagging"]),
    // `destroy --delete-data`: a bucket emptied of every version, a database's deletion
    // protection lifted and a final snapshot taken.
    (X, N::Buckets, O::Buckets, &["s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket"]),
    (X, N::Tables, O::Data, &["dynamodb:DeleteTable"]),
    (X, N::Instances, O::Data, &["rds:ModifyDBInstance", "rds:DeleteDBInstance", "rds:CreateDBSnapshot"]),
    (X, N::Clusters, O::Data, &["rds:ModifyDBCluster", "rds:DeleteDBCluster", "rds:CreateDBClusterSnapshot"]),
    (X, N::Always, O::ScheduleGroup, &["scheduler:GetScheduleGroup"]),
    (X, N::Assets, O::AssetObjects, &["s3:DeleteObject", "s3:DeleteObjectVersion"]),
    (X, N::Schedules, O::ScheduleGroup, &["scheduler:DeleteScheduleGroup"]),
    (
        X,
        N::Autoscaling,
        O::Any,
        &[
            "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:DescribeScalingPolicies",
            "application-autoscaling:DescribeScheduledActions",
        ],
    ),
    (X, N::Pushes, O::StackRepositories, &["ecr:ListImages", "ecr:BatchDeleteImage"]),
];

/// ECR's actions behind the registry protocol (`docker push`, a manifest read):
/// <https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html>.
const PUSH: &[&str] = &[
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
];

/// The grants for ecship's own calls, and what AWS checks beside them.
pub(super) fn grants(model: &Model, stacks: &Stacks, scope: &Scope, verbs: Verbs) -> Vec<Grant> {
    let mut out: Vec<Grant> = CALLS
        .iter()
        .filter(|(verb, needs, _, _)| verbs.covers(*verb) && needed(*needs, model, stacks))
        .map(|(_, _, on, actions)| Grant {
            sid: sid(*on).into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources: resources(*on, model, stacks, scope),
            condition: None,
            any: (*on == O::Any).then_some(NO_RESOURCE_LEVEL),
        })
        .collect();
    out.extend(implied(model, stacks, scope, verbs));
    out
}

/// `iam:PassRole` and the registry protocol's ECR actions: checked by AWS, never called.
fn implied(model: &Model, stacks: &Stacks, scope: &Scope, verbs: Verbs) -> Vec<Grant> {
    let roles = vec![scope.global_arn("iam", &format!("role/{}-*", owner(model)))];
    let pass = |sid: &str, service: &str| Grant {
        sid: sid.into(),
        actions: vec!["iam:PassRole".into()],
        resources: roles.clone(),
        condition: Some(serde_json::json!({ "StringEquals": { "iam:PassedToService": service } })),
        any: None,
    };
    let mut out = Vec::new();
    if verbs.covers(D) {
        out.push(pass("PassRolesTaskRolesToEcs", "ecs-tasks.amazonaws.com"));
        if needed(N::Schedules, model, stacks) {
            out.push(pass("PassRolesSchedulerRole", "scheduler.amazonaws.com"));
        }
        if model.signals.as_ref().is_some_and(|s| s.notify.slack.is_some()) {
            out.push(pass("PassRolesChatbotRole", "chatbot.amazonaws.com"));
        }
        if needed(N::Pushes, model, stacks) {
            let resources = resources(O::StackRepositories, model, stacks, scope);
            out.push(Grant {
                sid: "RegistryProtocolPushes".into(),
                actions: PUSH.iter().map(|a| a.to_string()).collect(),
                resources,
                condition: None,
                any: None,
            });
        }
    }
    if needed(N::EcrImages, model, stacks) {
        let resources = resources(O::ImageRepositories, model, stacks, scope);
        out.push(Grant {
            sid: "RegistryProtocolPins".into(),
            actions: vec!["ecr:BatchGetImage".into()],
            resources,
            condition: None,
            any: None,
        });
    }
    out
}

fn needed(needs: Needs, model: &Model, stacks: &Stacks) -> bool {
    let services = || model.services.values();
    let two_colour = |engine: Engine| services().any(|s| matches!(&s.deploy.rollout, Rollout::TwoColour(t) if t.engine == engine));
    match needs {
        N::Always => true,
        N::Autoscaling => services().any(|s| s.autoscaling.is_some()),
        N::Schedules => model.jobs.values().any(|j| j.schedule.is_some()),
        N::BeforeTasks => services().any(|s| !s.deploy.before.is_empty()),
        N::EcsEngine => two_colour(Engine::Ecs),
        N::TwoColour => two_colour(Engine::Ecship) || two_colour(Engine::Ecs),
        N::Alarms => services().any(|s| !s.deploy.alarms.is_empty()),
        N::ZoneLookup => model.has_zones_to_look_up(),
        N::DbLookup => model.storage.values().any(|s| matches!(s.kind, crate::model::StorageKind::Database(_)) && s.existing.is_some()),
        N::Previews => model.preview.is_some(),
        N::Storage => model.storage.values().any(|s| s.existing.is_none()),
        N::Buckets | N::Tables | N::Instances | N::Clusters => {
            model.storage.values().any(|s| s.existing.is_none() && holds(needs, &s.kind))
        }
        N::Assets => super::cloudformation::uploads(stacks),
        N::Pushes => model.tasks().any(|t| t.image.is_pushed()),
        N::EcrImages => !ecr_images(model).is_empty(),
        N::EcrLogin => needed(N::Pushes, model, stacks) || needed(N::EcrImages, model, stacks),
    }
}

/// Whether storage of `kind` is what `needs` names.
fn holds(needs: Needs, kind: &StorageKind) -> bool {
    let aurora = |d: &crate::model::storage::Database| d.engine == DbEngine::AuroraPostgres;
    match kind {
        StorageKind::Bucket(_) => needs == N::Buckets,
        StorageKind::Table(_) => needs == N::Tables,
        StorageKind::Database(d) => needs == if aurora(d) { N::Clusters } else { N::Instances },
    }
}

/// The ECR repositories the spec's images name (services', jobs' and sidecars').
fn ecr_images(model: &Model) -> Vec<EcrRepository<'_>> {
    let uris = model.tasks().flat_map(|t| std::iter::once(&t.image).chain(t.sidecars.iter().map(|s| &s.image)));
    uris.filter_map(|i| match i {
        crate::model::Image::Uri { uri, .. } => EcrRepository::parse(uri),
        _ => None,
    })
    .collect()
}

fn sid(on: On) -> &'static str {
    match on {
        O::Stack => "EcshipStack",
        O::ParentStack => "EcshipEnvironmentStack",
        O::AllTables => "EcshipFindsKeptTables",
        O::Buckets => "EcshipBuckets",
        O::Data => "EcshipData",
        O::Lock => "EcshipStackLock",
        O::Cluster => "EcshipCluster",
        O::Services => "EcshipServices",
        O::Tasks => "EcshipTasks",
        O::Families => "EcshipTaskDefinitionFamilies",
        O::Deployments => "EcshipServiceDeployments",
        O::StackRepositories => "EcshipStackRepositories",
        O::ImageRepositories => "EcshipImageRepositories",
        O::LogGroup => "EcshipLogGroup",
        O::ScheduleGroup => "EcshipSchedules",
        O::AssetBucket => "EcshipAssetBucket",
        O::AssetObjects => "EcshipAssetObjects",
        O::ListenerRules => "EcshipListenerRules",
        O::Any => "EcshipActionsWithoutResourceLevelPermissions",
    }
}

fn resources(on: On, model: &Model, stacks: &Stacks, scope: &Scope) -> Vec<String> {
    let stack = model.stack.as_str();
    let cluster = model.cluster.name.as_str();
    let ecs = |r: String| scope.arn("ecs", &r);
    match on {
        O::Stack => super::cloudformation::stack_arns(stack, stacks, scope),
        O::AllTables => vec![scope.arn("dynamodb", "table/*")],
        O::Buckets => vec![format!("arn:aws:s3:::{stack}-*")],
        // RDS's instances, clusters and snapshots of the stack: `db:`, `cluster:`, `snapshot:`, … `STACK-*`.
        O::Data => vec![scope.arn("rds", &format!("*:{stack}-*")), scope.arn("dynamodb", &format!("table/{stack}-*"))],
        O::ParentStack => vec![scope.arn("cloudformation", &format!("stack/{}/*", owner(model)))],
        O::Lock => vec![scope.arn("ecr", &format!("repository/{}", lock(model)))],
        O::Cluster => vec![ecs(format!("cluster/{cluster}"))],
        O::Services => vec![ecs(format!("service/{cluster}/*"))],
        O::Tasks => vec![ecs(format!("task/{cluster}/*"))],
        O::Families => model.tasks().map(|t| ecs(format!("task-definition/{}:*", crate::workload::render::family(model, t)))).collect(),
        O::Deployments => vec![ecs(format!("service-deployment/{cluster}/*")), ecs(format!("service-revision/{cluster}/*"))],
        O::StackRepositories => vec![scope.arn("ecr", &format!("repository/{}/*", owner(model)))],
        O::ImageRepositories => {
            ecr_images(model).iter().map(|r| format!("arn:aws:ecr:{}:{}:repository/{}", r.region, r.account, r.name)).collect()
        }
        O::LogGroup => vec![scope.arn("logs", &format!("log-group:/ecship/{stack}:*"))],
        O::ScheduleGroup => {
            let group = crate::aws::scheduler::group(stack);
            vec![scope.arn("scheduler", &format!("schedule-group/{group}")), scope.arn("scheduler", &format!("schedule/{group}/*"))]
        }
        O::AssetBucket => vec![format!("arn:aws:s3:::{}", asset_bucket(model, scope))],
        O::AssetObjects => vec![format!("arn:aws:s3:::{}/stacks/{stack}/*", asset_bucket(model, scope))],
        O::ListenerRules => vec![scope.arn("elasticloadbalancing", "listener-rule/app/*")],
        O::Any => vec!["*".into()],
    }
}

/// The stack lock's repository; every preview's, for a preview's model (a lock's name keeps
/// letters and digits only, so the wildcard goes on after).
fn lock(model: &Model) -> String {
    match &model.preview {
        Some(p) => format!("{}-*", crate::ops::lock::name(p.parent.as_str())),
        None => crate::ops::lock::name(model.stack.as_str()),
    }
}

/// The stack whose roles and image repositories the stack's tasks use: a preview's
/// environment's, else its own.
fn owner(model: &Model) -> &str {
    model.preview.as_ref().map_or(model.stack.as_str(), |p| p.parent.as_str())
}

/// The spec's `assets.bucket`, else ecship's own for the account and region.
pub(super) fn asset_bucket(model: &Model, scope: &Scope) -> String {
    let named = scope.asset_bucket.clone().or_else(|| model.asset_bucket.clone());
    named.unwrap_or_else(|| crate::ops::assets::default_name(&scope.account, &scope.region))
}

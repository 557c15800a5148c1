//! IAM roles. One shared execution role that can pull exactly the stack's images, write to
//! its log group and read exactly the secrets the spec references; one task role per
//! service that allows only what that service's `permissions:` list (and mounting its
//! volumes, in a policy of its own, and using the storage it `uses:`); the roles AWS services take on for the stack, each on
//! exactly the stack's own resources. Every role gets the spec's `permissions_boundary`.

use super::ids::{self, LbIds, ServiceIds};
use super::resources::{InlinePolicy, Policy, PolicyDocument, Role, Statement};
use super::{Cx, Expr, Resource, Template};
use crate::model::{EcrRepository, Image, SecretRef, Service, VolumeSource};

/// The principal of ECS tasks.
const TASKS: &str = "ecs-tasks.amazonaws.com";

pub fn add(cx: &Cx, t: &mut Template) {
    execution_role(cx, t);
    for task in cx.model.tasks() {
        task_role(cx, t, task);
    }
    scheduler_role(cx, t);
    ecs_infrastructure_role(cx, t);
}

/// The role ECS moves the rules' weights and registers targets with when it rolls a
/// service out natively (`deploy.engine: ecs`): what AWS's
/// AmazonECSInfrastructureRolePolicyForLoadBalancers allows, narrowed from every load
/// balancer of the account to the native services' own rules, target groups and the
/// listeners those rules sit on, named by ARN (`Ref`, through a nested stack's outputs when
/// they live in one). ELBv2's `Describe*` actions take no resource-level permissions, so
/// they stay on `*`; they only read.
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
fn ecs_infrastructure_role(cx: &Cx, t: &mut Template) {
    let natives: Vec<&Service> = cx.model.services.values().filter(|s| s.deploy.rollout.native()).collect();
    if natives.is_empty() {
        return;
    }
    let present = |id: String| t.resources.contains_key(&id).then(|| Expr::reference(&id));
    let (mut listeners, mut rules, mut groups) = (Vec::new(), Vec::new(), Vec::new());
    for svc in natives {
        let ids = ServiceIds::new(&svc.name.logical());
        rules.extend((0..svc.routes.len()).map(|i| ids.rule(i)).chain([ids.test_rule("next")]).filter_map(present));
        groups.extend([ids.target_group(), ids.green_target_group()].into_iter().filter_map(present));
        if let Some(lb) = svc.load_balancer.as_ref().and_then(|name| cx.model.load_balancers.get(name)) {
            let lb_ids = LbIds::new(&lb.name);
            listeners.extend(present(if lb.https.is_some() { lb_ids.https_listener() } else { lb_ids.http_listener() }));
        }
    }
    dedup(&mut listeners);
    let mut statements = vec![allow(
        &[
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
        ],
        vec![Expr::from("*")],
    )];
    for (actions, resources) in [
        (&["elasticloadbalancing:ModifyListener"][..], listeners),
        (&["elasticloadbalancing:ModifyRule"][..], rules),
        (&["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"][..], groups),
    ] {
        if !resources.is_empty() {
            statements.push(allow(actions, resources));
        }
    }
    let does = "lets ECS move the traffic of native rollouts";
    service_role(cx, t, ids::ECS_INFRASTRUCTURE_ROLE, does, "ecs.amazonaws.com", ("shift-traffic", statements));
    t.output(
        "EcsInfrastructureRoleArn",
        "Role ECS moves the traffic of native rollouts with",
        Expr::att(ids::ECS_INFRASTRUCTURE_ROLE, "Arn"),
    );
}

/// The role EventBridge Scheduler starts scheduled jobs with: RunTask of exactly those jobs'
/// task definitions in this cluster, passing exactly their roles.
fn scheduler_role(cx: &Cx, t: &mut Template) {
    let scheduled: Vec<&Service> = cx.model.jobs.values().filter(|j| j.schedule.is_some()).map(|j| &j.task).collect();
    if scheduled.is_empty() {
        return;
    }
    let families: Vec<Expr> = scheduled
        .iter()
        .map(|j| {
            let family = crate::workload::family_name(cx.model.stack.as_str(), j.name.as_str());
            Expr::sub(format!("arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task-definition/{family}:*"))
        })
        .collect();
    let mut roles = vec![Expr::att(ids::EXECUTION_ROLE, "Arn")];
    roles.extend(scheduled.iter().map(|j| Expr::att(&ServiceIds::new(&j.name.logical()).task_role(), "Arn")));
    let in_cluster =
        Expr::Map([("ArnEquals".to_string(), Expr::Map([("ecs:cluster".to_string(), Expr::att(ids::CLUSTER, "Arn"))].into()))].into());
    let statements = vec![
        Statement { condition: Some(in_cluster), ..allow(&["ecs:RunTask"], families) },
        allow(&["iam:PassRole"], roles),
        allow(
            &["ecs:TagResource"],
            vec![Expr::sub(format!("arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task/{}/*", cx.model.cluster.name))],
        ),
    ];
    service_role(cx, t, ids::SCHEDULER_ROLE, "starts scheduled jobs", "scheduler.amazonaws.com", ("run-jobs", statements));
    t.output("SchedulerRoleArn", "Role EventBridge Scheduler starts scheduled jobs with", Expr::att(ids::SCHEDULER_ROLE, "Arn"));
    t.output("ClusterArn", "The cluster's ARN (scheduled jobs run in it)", Expr::att(ids::CLUSTER, "Arn"));
}

/// A role an AWS service (`principal`) takes on for the stack, that `does` what its one
/// inline `policy` (name, statements) allows.
fn service_role(cx: &Cx, t: &mut Template, id: &str, does: &str, principal: &str, policy: (&str, Vec<Statement>)) {
    t.add(
        id,
        Resource::new(Role {
            description: format!("ecship {}: {does}", cx.model.stack),
            assume_role_policy_document: trust(principal),
            policies: vec![InlinePolicy {
                policy_name: policy.0.into(),
                policy_document: PolicyDocument { version: "2012-10-17", statement: policy.1 },
            }],
            permissions_boundary: cx.model.permissions_boundary.clone(),
            tags: cx.tags(None),
        }),
    );
}

/// Trust for an AWS service (`ecs-tasks.amazonaws.com`: ECS tasks) acting for this account
/// only (confused-deputy protection).
pub(super) fn trust(service: &str) -> PolicyDocument {
    PolicyDocument {
        version: "2012-10-17",
        statement: vec![Statement {
            effect: "Allow",
            principal: Some(Expr::Map([("Service".to_string(), Expr::from(service))].into())),
            action: vec!["sts:AssumeRole".into()],
            resource: vec![],
            condition: Some(Expr::Map(
                [("StringEquals".to_string(), Expr::Map([("aws:SourceAccount".to_string(), Expr::sub("${AWS::AccountId}"))].into()))]
                    .into(),
            )),
        }],
    }
}

fn allow(actions: &[&str], resource: Vec<Expr>) -> Statement {
    Statement { effect: "Allow", principal: None, action: actions.iter().map(|a| a.to_string()).collect(), resource, condition: None }
}

fn execution_role(cx: &Cx, t: &mut Template) {
    let services = cx.model.tasks();
    let mut repos: Vec<Expr> = Vec::new();
    let mut parameters: Vec<Expr> = Vec::new();
    let mut secrets: Vec<Expr> = Vec::new();
    let pull = |image: &Image, repos: &mut Vec<Expr>, secrets: &mut Vec<Expr>| {
        if let Image::Uri { uri, credentials } = image {
            repos.extend(ecr_repository_arn(uri));
            secrets.extend(credentials.iter().flat_map(|c| secret_arns(c)));
        }
    };
    for svc in services {
        if svc.image.is_pushed() {
            repos.push(Expr::att(&ServiceIds::new(&svc.name.logical()).repository(), "Arn"));
        }
        pull(&svc.image, &mut repos, &mut secrets);
        let sidecar_secrets = svc.sidecars.iter().flat_map(|s| s.secrets.values());
        for secret in svc.secrets.values().chain(sidecar_secrets) {
            match secret {
                SecretRef::Ssm { parameter } => parameters.push(ssm_arn(parameter)),
                SecretRef::SecretsManager { secret, .. } => secrets.extend(secret_arns(secret)),
            }
        }
        for sidecar in &svc.sidecars {
            if sidecar.image.is_pushed() {
                repos.push(Expr::att(&ServiceIds::new(&svc.name.logical()).sidecar_repository(&sidecar.name), "Arn"));
            }
            pull(&sidecar.image, &mut repos, &mut secrets);
        }
    }
    // Images given on the command line (`--image`), from any repository or account.
    repos.extend(cx.model.pulls.iter().filter_map(|uri| ecr_repository_arn(uri)));
    dedup(&mut repos);
    dedup(&mut parameters);
    secrets.extend(super::storage::secret_arns(cx));
    dedup(&mut secrets);
    let mut statements = vec![
        // GetAuthorizationToken has no resource-level permissions: it must be "*".
        allow(&["ecr:GetAuthorizationToken"], vec!["*".into()]),
        allow(
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![Expr::sub(format!(
                "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{}}}:*",
                ids::LOG_GROUP
            ))],
        ),
    ];
    if !repos.is_empty() {
        statements.push(allow(&["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], repos));
    }
    if !parameters.is_empty() {
        statements.push(allow(&["ssm:GetParameters"], parameters));
    }
    if !secrets.is_empty() {
        statements.push(allow(&["secretsmanager:GetSecretValue"], secrets));
    }
    t.add(
        ids::EXECUTION_ROLE,
        Resource::new(Role {
            description: format!("ecship {}: starts tasks (pulls images, writes logs, reads referenced secrets)", cx.model.stack),
            assume_role_policy_document: trust(TASKS),
            policies: vec![InlinePolicy {
                policy_name: "start-tasks".into(),
                policy_document: PolicyDocument { version: "2012-10-17", statement: statements },
            }],
            permissions_boundary: cx.model.permissions_boundary.clone(),
            tags: cx.tags(None),
        }),
    );
    t.output("ExecutionRoleArn", "Task execution role", Expr::att(ids::EXECUTION_ROLE, "Arn"));
}

fn task_role(cx: &Cx, t: &mut Template, svc: &Service) {
    let ids = ServiceIds::new(&svc.name.logical());
    let statements: Vec<Statement> = svc
        .permissions
        .iter()
        .map(|p| Statement {
            effect: "Allow",
            principal: None,
            action: p.actions.clone(),
            resource: p.resources.iter().map(Expr::from).collect(),
            condition: None,
        })
        .collect();
    let mut statements = statements;
    if svc.exec {
        // What ECS Exec's agent in the task needs to open Session Manager's channels.
        statements.push(Statement {
            effect: "Allow",
            principal: None,
            action: [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ]
            .map(String::from)
            .to_vec(),
            resource: vec!["*".into()],
            condition: None,
        });
    }
    let mut policies = Vec::new();
    for (name, statement) in [("permissions", statements), ("use-storage", super::storage::statements(cx, svc))] {
        if !statement.is_empty() {
            policies.push(InlinePolicy { policy_name: name.into(), policy_document: PolicyDocument { version: "2012-10-17", statement } });
        }
    }
    let role = ids.task_role();
    t.add(
        &role,
        Resource::new(Role {
            description: format!(
                "ecship {}: what {} {} may do",
                cx.model.stack,
                if cx.model.jobs.contains_key(&svc.name) { "job" } else { "service" },
                svc.name
            ),
            assume_role_policy_document: trust(TASKS),
            policies,
            permissions_boundary: cx.model.permissions_boundary.clone(),
            tags: cx.tags(Some(svc.name.as_str())),
        }),
    );
    volumes_policy(t, svc, &role);
}

/// Mounting EFS volumes with IAM authorization: mount each, and write unless read-only — a
/// policy of its own, attached to the task role: a created file system's policy names the
/// roles that mount it, so a grant inside the role would make a cycle.
fn volumes_policy(t: &mut Template, svc: &Service, role: &str) {
    if svc.volumes.is_empty() {
        return;
    }
    let statements = svc
        .volumes
        .iter()
        .map(|m| {
            let existing = match &m.source {
                VolumeSource::Existing { file_system, .. } => Some(file_system.as_str()),
                VolumeSource::Created => None,
            };
            let mut action = vec!["elasticfilesystem:ClientMount"];
            if !m.read_only {
                action.push("elasticfilesystem:ClientWrite");
            }
            allow(&action, vec![super::volumes::file_system_arn(&m.volume, existing)])
        })
        .collect();
    t.add(
        ServiceIds::new(&svc.name.logical()).volumes_policy(),
        Resource::new(Policy {
            policy_name: "mount-volumes".into(),
            policy_document: PolicyDocument { version: "2012-10-17", statement: statements },
            roles: vec![Expr::reference(role)],
        }),
    );
}

fn ssm_arn(parameter: &str) -> Expr {
    if parameter.starts_with("arn:") {
        return parameter.into();
    }
    let name = parameter.trim_start_matches('/');
    Expr::sub(format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{name}"))
}

/// A secret's full ARN ends in `-` and six random characters. A name gets the wildcard; an
/// ARN is allowed as written and with the wildcard, since whether it already carries the
/// suffix cannot be told from the text (`db-secret` ends in six letters too).
fn secret_arns(secret: &str) -> Vec<Expr> {
    if secret.starts_with("arn:") {
        return vec![secret.into(), format!("{secret}-??????").into()];
    }
    vec![Expr::sub(format!("arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{secret}-??????"))]
}

/// The repository ARN of a private ECR image (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`).
fn ecr_repository_arn(uri: &str) -> Option<Expr> {
    let EcrRepository { account, region, name } = EcrRepository::parse(uri)?;
    Some(Expr::sub(format!("arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{name}")))
}

fn dedup(v: &mut Vec<Expr>) {
    let mut seen = Vec::new();
    v.retain(|e| {
        let s = serde_json::to_string(e).unwrap_or_default();
        let new = !seen.contains(&s);
        seen.push(s);
        new
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ecr_images_get_their_repository_arn() {
        let arn = ecr_repository_arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v3");
        assert_eq!(arn, Some(Expr::sub("arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/team/app")));
        assert_eq!(ecr_repository_arn("nginx:1.27"), None);
        assert_eq!(ecr_repository_arn("public.ecr.aws/nginx/nginx:1"), None);
    }

    #[test]
    fn secret_arns_are_exact() {
        assert_eq!(ssm_arn("/app/key"), Expr::sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/key"));
        assert_eq!(
            secret_arns("db"),
            [Expr::sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db-??????")]
        );
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db";
        assert_eq!(secret_arns(arn), [Expr::from(arn), Expr::from(format!("{arn}-??????"))]);
    }
}

//! IAM roles. One shared execution role that can pull exactly the stack's images, write to
//! its log group and read exactly the secrets the spec references; one task role per
//! service that allows only what that service's `permissions:` list.

use super::ids::{self, ServiceIds};
use super::resources::{InlinePolicy, PolicyDocument, Role, Statement};
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
/// service out natively (`deploy.engine: ecs`), as AWS's
/// AmazonECSInfrastructureRolePolicyForLoadBalancers allows, within this account and region.
fn ecs_infrastructure_role(cx: &Cx, t: &mut Template) {
    if !cx.model.services.values().any(|s| s.deploy.rollout.native()) {
        return;
    }
    let arn = |kind: &str| Expr::sub(format!("arn:${{AWS::Partition}}:elasticloadbalancing:${{AWS::Region}}:${{AWS::AccountId}}:{kind}"));
    let statements = vec![
        allow(
            &[
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            vec![Expr::from("*")],
        ),
        allow(
            &["elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"],
            vec![arn("listener/app/*"), arn("listener-rule/app/*")],
        ),
        allow(&["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"], vec![arn("targetgroup/*")]),
    ];
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
            tags: cx.tags(None),
        }),
    );
}

/// Trust for an AWS service (`ecs-tasks.amazonaws.com`: ECS tasks) acting for this account
/// only (confused-deputy protection).
fn trust(service: &str) -> PolicyDocument {
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
    // Mounting an EFS volume with IAM authorization: mount, and write unless read-only.
    for m in &svc.volumes {
        let existing = match &m.source {
            VolumeSource::Existing { file_system, .. } => Some(file_system.as_str()),
            VolumeSource::Created => None,
        };
        let mut action = vec!["elasticfilesystem:ClientMount".to_string()];
        if !m.read_only {
            action.push("elasticfilesystem:ClientWrite".into());
        }
        statements.push(Statement {
            effect: "Allow",
            principal: None,
            action,
            resource: vec![super::volumes::file_system_arn(&m.volume, existing)],
            condition: None,
        });
    }
    let policies = if statements.is_empty() {
        vec![]
    } else {
        vec![InlinePolicy {
            policy_name: "permissions".into(),
            policy_document: PolicyDocument { version: "2012-10-17", statement: statements },
        }]
    };
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
            tags: cx.tags(Some(svc.name.as_str())),
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

//! Per-service infrastructure: a security group that admits only the load balancer (and
//! the services that call it), target groups (two for canary and blue/green), one listener
//! rule per route (and a blue/green service's two test rules, with the stack's test-route
//! secret they match), and an image repository for each image ecship pushes (the service's
//! own, and each sidecar's).

use std::collections::BTreeMap;

use super::ids::{self, ServiceIds};
use super::load_balancer::Lb;
use super::network::Net;
use super::resources::{
    Action, Condition, ForwardConfig, GenerateSecretString, HttpHeader, Ingress, KeyValue, LifecyclePolicy, ListenerRule, Matcher,
    Repository, ScanOnPush, Secret, SecurityGroup, SecurityGroupIngress, TargetGroup, Values, WeightedTargetGroup,
};
use super::{Cx, Expr, Resource, Template};
use crate::model::{Colour, LbName, Route, Service, ServiceUrl, COLOUR_HEADER};

/// What an image repository keeps (the last 50 images); a fixed document, embedded at build time.
const LIFECYCLE_POLICY: &str = include_str!("../../templates/ecr-lifecycle-policy.json");

pub fn add(cx: &Cx, t: &mut Template, net: &Net, lbs: &BTreeMap<LbName, Lb>) {
    for svc in cx.model.services.values() {
        let ids = ServiceIds::new(&svc.name.logical());
        let lb = svc.load_balancer.as_ref().and_then(|name| lbs.get(name));
        security_group(cx, t, net, lb, svc, &ids);
        if let Some(lb) = lb.filter(|_| !svc.routes.is_empty()) {
            target_groups_and_rules(cx, t, net, lb, svc, &ids);
        }
        repositories_of(cx, t, svc, &ids);
    }
    // A job's task: a security group that admits nothing, for the network it runs in.
    for job in cx.model.jobs.values() {
        security_group(cx, t, net, None, &job.task, &ServiceIds::new(&job.task.name.logical()));
    }
}

/// Only the image repositories (a stack `push` brings up before the first deploy).
pub fn repositories(cx: &Cx, t: &mut Template) {
    for svc in cx.model.services.values() {
        repositories_of(cx, t, svc, &ServiceIds::new(&svc.name.logical()));
    }
}

/// A service's repositories: `STACK/SERVICE` for its own image and `STACK/SERVICE/SIDECAR` for
/// each sidecar's, when ecship pushes them.
fn repositories_of(cx: &Cx, t: &mut Template, svc: &Service, ids: &ServiceIds) {
    if svc.image.is_pushed() {
        repository(cx, t, svc, ids.repository(), cx.model.repository(svc, None));
    }
    for sc in svc.sidecars.iter().filter(|s| s.image.is_pushed()) {
        repository(cx, t, svc, ids.sidecar_repository(&sc.name), cx.model.repository(svc, Some(&sc.name)));
    }
}

fn security_group(cx: &Cx, t: &mut Template, net: &Net, lb: Option<&Lb>, svc: &Service, ids: &ServiceIds) {
    let port = svc.port.map(|p| u32::from(p.get()));
    let ingress = match (lb, port, svc.routes.is_empty()) {
        (Some(lb), Some(p), false) => vec![Ingress {
            ip_protocol: "tcp",
            from_port: p,
            to_port: p,
            cidr_ip: None,
            cidr_ipv6: None,
            source_security_group_id: Some(lb.security_group.clone()),
            description: "From the load balancer".into(),
        }],
        _ => vec![],
    };
    let sg = ids.security_group();
    t.add(
        &sg,
        Resource::new(SecurityGroup {
            group_description: format!(
                "ecship {}: {} {}",
                cx.model.stack,
                if cx.model.jobs.contains_key(&svc.name) { "job" } else { "service" },
                svc.name
            ),
            vpc_id: net.vpc_id.clone(),
            security_group_ingress: ingress,
            tags: cx.tags(Some(svc.name.as_str())),
        }),
    );
    // Callers inside the cluster: admit exactly the services that name it in `${service.NAME.url}`.
    let Some(ServiceUrl::Internal { port, .. }) = svc.url() else { return };
    for caller in cx.model.services.values().filter(|c| c.references.contains(&svc.name)) {
        let caller_ids = ServiceIds::new(&caller.name.logical());
        t.add(
            ids.ingress_from(&caller.name.logical()),
            Resource::new(SecurityGroupIngress {
                group_id: Expr::att(&sg, "GroupId"),
                ip_protocol: "tcp",
                from_port: u32::from(port.get()),
                to_port: u32::from(port.get()),
                source_security_group_id: Expr::att(&caller_ids.security_group(), "GroupId"),
                description: format!("From service {}", caller.name),
            }),
        );
    }
}

fn target_groups_and_rules(cx: &Cx, t: &mut Template, net: &Net, lb: &Lb, svc: &Service, ids: &ServiceIds) {
    let mut groups = vec![(ids.target_group(), Colour::Blue)];
    if svc.deploy.rollout.has_two_colours() {
        groups.push((ids.green_target_group(), Colour::Green));
    }
    for (id, _) in &groups {
        t.add(id, Resource::new(target_group(cx, net.vpc_id.clone(), svc)));
    }
    for (i, route) in svc.routes.iter().enumerate() {
        let conditions = route_conditions(route);
        let action = if groups.len() == 2 {
            // Traffic where it is now (a new service: all on blue); ecship moves the weights.
            let weights = cx.traffic.get(&svc.name).copied().unwrap_or_default();
            Action {
                r#type: "forward",
                target_group_arn: None,
                forward_config: Some(ForwardConfig {
                    target_groups: groups
                        .iter()
                        .map(|(id, colour)| WeightedTargetGroup {
                            target_group_arn: Expr::reference(id),
                            weight: u32::from(weights.of(*colour)),
                        })
                        .collect(),
                }),
                redirect_config: None,
                fixed_response_config: None,
            }
        } else {
            Action {
                r#type: "forward",
                target_group_arn: Some(Expr::reference(&groups[0].0)),
                forward_config: None,
                redirect_config: None,
                fixed_response_config: None,
            }
        };
        let rule = ids.rule(i);
        t.add(
            &rule,
            Resource::new(ListenerRule {
                listener_arn: Expr::reference(&lb.listener),
                priority: route.priority,
                conditions,
                actions: vec![action.clone()],
            }),
        );
        if i == 0 {
            test_rules(cx, t, lb, svc, &groups, &action);
        }
    }
}

/// A route's rule conditions: its path, and its host when it has one.
pub(super) fn route_conditions(route: &Route) -> Vec<Condition> {
    let mut conditions = vec![Condition {
        field: "path-pattern",
        path_pattern_config: Some(Values { values: vec![route.path.clone()] }),
        host_header_config: None,
        http_header_config: None,
    }];
    if let Some(host) = &route.host {
        conditions.push(Condition {
            field: "host-header",
            path_pattern_config: None,
            host_header_config: Some(Values { values: vec![host.clone()] }),
            http_header_config: None,
        });
    }
    conditions
}

/// How long the test-route secret is: 32 letters and digits (ALB compares header values
/// without case: about 165 bits).
const TEST_ROUTE_SECRET_LENGTH: u32 = 32;

/// The value of a test rule's header that reaches `reaches` (`NAME-green`, `NAME-next`):
/// `reaches`, a dot, and the stack's test-route secret — an `AWS::SecretsManager::Secret`
/// whose value Secrets Manager generates when the stack first has test rules and keeps from
/// then on. The template holds only a dynamic reference to it, which CloudFormation resolves
/// into the rule; the value never appears in a template, plan or log. ecship reads it back
/// from the rule when it sends a check that way. An outsider cannot guess it, so a colour not
/// yet released is reachable by no one else.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
fn test_header(cx: &Cx, t: &mut Template, reaches: String) -> Expr {
    if !t.resources.contains_key(ids::TEST_ROUTE_SECRET) {
        let secret = Secret {
            description: format!(
                "ecship {}: the value of the test rules' X-Ecship-Colour header (a colour not yet released is reachable only with it)",
                cx.model.stack
            ),
            generate_secret_string: GenerateSecretString { password_length: TEST_ROUTE_SECRET_LENGTH, exclude_punctuation: true },
            tags: cx.tags(None),
        };
        t.add(ids::TEST_ROUTE_SECRET, Resource::new(secret));
    }
    Expr::Join(
        String::new(),
        vec![format!("{reaches}.{{{{resolve:secretsmanager:").into(), Expr::reference(ids::TEST_ROUTE_SECRET), ":SecretString}}".into()],
    )
}

/// A test rule: the test route's header on `paths`, forwarding as `action` says.
fn test_rule(lb: &Lb, priority: u32, header: Expr, paths: Vec<String>, action: Action) -> ListenerRule {
    ListenerRule {
        listener_arn: Expr::reference(&lb.listener),
        priority,
        conditions: vec![
            Condition {
                field: "http-header",
                path_pattern_config: None,
                host_header_config: None,
                http_header_config: Some(HttpHeader { http_header_name: COLOUR_HEADER, values: vec![header] }),
            },
            Condition {
                field: "path-pattern",
                path_pattern_config: Some(Values { values: paths }),
                host_header_config: None,
                http_header_config: None,
            },
        ],
        actions: vec![action],
    }
}

/// A blue/green service's test rules: the test route's header (`NAME-COLOUR.SECRET`) on one
/// of the service's route paths reaches that colour's target group whatever the weights, so
/// the idle colour can be checked before the switch (and nothing the routes do not expose is
/// reachable). A service ECS rolls out natively has one (`NAME-next.SECRET` on its route's
/// path), forwarding as the production rule does until ECS points it at the new revision
/// (test traffic), which ecship checks before production traffic moves.
fn test_rules(cx: &Cx, t: &mut Template, lb: &Lb, svc: &Service, groups: &[(String, Colour)], forward: &Action) {
    let Some(first) = svc.test_rules else { return };
    let ids = ServiceIds::new(&svc.name.logical());
    let mut paths: Vec<String> = svc.routes.iter().map(|r| r.path.clone()).collect();
    if svc.deploy.rollout.native() {
        let header = test_header(cx, t, svc.next_revision_name());
        t.add(ids.test_rule("next"), Resource::new(test_rule(lb, first, header, paths, forward.clone())));
        return;
    }
    paths.sort();
    paths.dedup();
    for (k, (group, colour)) in (0u32..).zip(groups) {
        let header = test_header(cx, t, svc.colour_service(*colour));
        let to_colour = Action {
            r#type: "forward",
            target_group_arn: Some(Expr::reference(group)),
            forward_config: None,
            redirect_config: None,
            fixed_response_config: None,
        };
        t.add(ids.test_rule(colour.name()), Resource::new(test_rule(lb, first + k, header, paths.clone(), to_colour)));
    }
}

/// A service's target group in `vpc_id`.
pub(super) fn target_group(cx: &Cx, vpc_id: Expr, svc: &Service) -> TargetGroup {
    let hc = &svc.health_check;
    TargetGroup {
        port: svc.port.map(|p| u32::from(p.get())).unwrap_or(80),
        protocol: "HTTP",
        target_type: "ip",
        vpc_id,
        health_check_enabled: true,
        health_check_protocol: "HTTP",
        health_check_path: hc.path.clone(),
        health_check_interval_seconds: secs(hc.interval),
        health_check_timeout_seconds: secs(hc.timeout),
        healthy_threshold_count: hc.healthy,
        unhealthy_threshold_count: hc.unhealthy,
        matcher: Matcher { http_code: hc.codes.clone() },
        target_group_attributes: vec![KeyValue {
            key: "deregistration_delay.timeout_seconds".into(),
            value: svc.drain.as_secs().to_string(),
        }],
        tags: cx.tags(Some(svc.name.as_str())),
    }
}

fn secs(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

fn repository(cx: &Cx, t: &mut Template, svc: &Service, id: String, name: String) {
    // Compact JSON, so the template is the same whatever the file's layout.
    let policy = serde_json::from_str::<serde_json::Value>(LIFECYCLE_POLICY).map(|v| v.to_string()).unwrap_or_default();
    t.add(
        &id,
        Resource::new(Repository {
            repository_name: name,
            image_scanning_configuration: ScanOnPush { scan_on_push: true },
            image_tag_mutability: "IMMUTABLE",
            empty_on_delete: true,
            lifecycle_policy: LifecyclePolicy { lifecycle_policy_text: policy },
            tags: cx.tags(Some(svc.name.as_str())),
        }),
    );
}

/// One output per service (CloudFormation allows 200 outputs a stack): `key=value` pairs
/// joined by `;`, lists by `,` — `security_group=sg-…;task_role=arn:…;target_groups=arn:…,arn:…;
/// rules=arn:…;test_rules=arn:…,arn:…;repository=…` (`test_rules`: blue's, then green's). `Ref` gives target group and rule ARNs (`Fn::GetAtt` on them
/// in outputs is avoided: simpler, and safe on emulators too).
pub fn outputs(cx: &Cx, t: &mut Template) {
    for svc in cx.model.tasks() {
        let ids = ServiceIds::new(&svc.name.logical());
        let mut parts: Vec<Expr> = Vec::new();
        let field = |parts: &mut Vec<Expr>, key: &str, values: Vec<Expr>| {
            if values.is_empty() {
                return;
            }
            parts.push(format!("{}{key}=", if parts.is_empty() { "" } else { ";" }).into());
            for (i, v) in values.into_iter().enumerate() {
                if i > 0 {
                    parts.push(",".into());
                }
                parts.push(v);
            }
        };
        field(&mut parts, "security_group", vec![Expr::att(&ids.security_group(), "GroupId")]);
        field(&mut parts, "task_role", vec![Expr::att(&ids.task_role(), "Arn")]);
        let groups = [ids.target_group(), ids.green_target_group()];
        field(
            &mut parts,
            "target_groups",
            groups.iter().filter(|id| t.resources.contains_key(*id)).map(|id| Expr::reference(id)).collect(),
        );
        let rules: Vec<Expr> =
            (0..svc.routes.len()).map(|i| ids.rule(i)).filter(|id| t.resources.contains_key(id)).map(|id| Expr::reference(&id)).collect();
        field(&mut parts, "rules", rules);
        if t.resources.contains_key(&ids.test_rule("next")) {
            field(&mut parts, "test_rule", vec![Expr::reference(&ids.test_rule("next"))]);
        }
        let colours = [Colour::Blue, Colour::Green].map(|c| ids.test_rule(c.name()));
        if colours.iter().all(|id| t.resources.contains_key(id)) {
            field(&mut parts, "test_rules", colours.iter().map(|id| Expr::reference(id)).collect());
        }
        if t.resources.contains_key(&ids.repository()) {
            field(&mut parts, "repository", vec![Expr::att(&ids.repository(), "RepositoryUri")]);
        }
        t.output(ids.output(), format!("Resources of service {}", svc.name), Expr::Join(String::new(), parts));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lifecycle_policy_keeps_the_last_50_images() {
        let policy: serde_json::Value = serde_json::from_str(super::LIFECYCLE_POLICY).expect("templates/ecr-lifecycle-policy.json is JSON");
        assert_eq!(policy["rules"][0]["selection"]["countNumber"], 50);
        assert_eq!(policy["rules"][0]["action"]["type"], "expire");
    }
}

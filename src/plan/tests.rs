//! `plan::build` from in-process deployed state. `deployed` stands in for a finished deploy of
//! a spec: the compiled template as CloudFormation keeps it, its outputs resolved to made-up
//! physical ids, every service running its rendered task definition and settings, and the
//! rules of two-colour services forwarding to blue. Each test then edits the spec or the
//! deployed state the way a user or AWS would, and checks what the plan says.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::infra::Action;
use super::rollout::{Colours, OnFailure, RolloutPlan, Step, TestRule};
use super::services::{FieldChange, ServiceAction, ServiceChange, KNOWN_AFTER_APPLY, SENSITIVE};
use super::*;
use crate::aws::cloudformation::StackInfo;
use crate::model::Weights;
use crate::model::{Colour, Engine, StrategyName};
use crate::spec::LoadOptions;
use crate::stack::{compile_str, Compiled};
use crate::workload::outputs::StackOutputs;
use crate::workload::{Deployment, DeploymentStatus, ObservedConfig, Registered, RolloutState, ServiceState, ServiceStatus};

const REGION: &str = "us-east-1";

const SHOP: &str = r#"
stack: shop
region: us-east-1
network: { cidr: 10.0.0.0/16, azs: 2, nat: single }
load_balancer: { public: true, http: 80 }
services:
  web:
    image: registry.example/shop/web:v1
    port: 80
    count: 2
    routes: [ { path: "/*" } ]
    env: { MODE: live }
    secrets: { API_KEY: "ssm:/shop/api-key" }
  api:
    image: registry.example/shop/api:v1
    port: 8080
    count: 2
    subnets: private
    routes: [ { path: "/api/*" } ]
    env: { WEB_URL: "${service.web.url}" }
    deploy: { strategy: canary, canary: { steps: [10, 100], bake: 1m } }
  worker:
    image: registry.example/shop/worker:v1
    count: 1
environments:
  prod:
    services: { web: { count: 4 } }
  staging:
    services: { web: { count: 1 } }
"#;

fn compile(text: &str, env: Option<&str>) -> Compiled {
    let opts = LoadOptions { env, vars: &|_| None, defer_unset_vars: false };
    match compile_str(text, Path::new("shop.yaml"), &opts) {
        Ok(c) => c,
        Err(e) => panic!("the spec compiles: {e}"),
    }
}

/// An intrinsic of an output, resolved the way CloudFormation would with made-up ids:
/// `Ref X` is `x-X`, `Fn::GetAtt [X, A]` is `x-X-A`.
fn resolve(v: &Value) -> String {
    let Some(obj) = v.as_object() else { return v.as_str().unwrap_or_default().to_string() };
    if let Some(id) = obj.get("Ref").and_then(Value::as_str) {
        return format!("x-{id}");
    }
    if let Some([id, attr]) = obj.get("Fn::GetAtt").and_then(Value::as_array).map(Vec::as_slice) {
        return format!("x-{}-{}", id.as_str().unwrap_or(""), attr.as_str().unwrap_or(""));
    }
    if let Some([sep, list]) = obj.get("Fn::Join").and_then(Value::as_array).map(Vec::as_slice) {
        let parts: Vec<String> = list.as_array().map(|l| l.iter().map(resolve).collect()).unwrap_or_default();
        return parts.join(sep.as_str().unwrap_or(""));
    }
    if let Some(text) = obj.get("Fn::Sub").and_then(Value::as_str) {
        return text.replace("${", "x-").replace(['}', '.'], "-");
    }
    panic!("an intrinsic the fixture does not know: {v}")
}

/// The state a finished deploy of `c` leaves.
fn deployed(c: &Compiled) -> Observed {
    deployed_as(c, serde_json::to_value(&c.template).expect("template"), BTreeMap::new())
}

/// A deploy of `c` as a new stack makes it: a root and nested stacks past 400 resources.
fn deployed_fresh(c: &Compiled) -> Observed {
    let desired = desire(c, &Observed::default(), REGION, PlannedImages::default()).expect("renders");
    deployed_as(c, desired.template, desired.nested)
}

/// `c` deployed as the root template `root` and the nested templates `nested`; outputs are
/// read from the flat template (nested stacks' outputs join the root's, as `observe` merges
/// them).
fn deployed_as(c: &Compiled, root: Value, nested: BTreeMap<String, Value>) -> Observed {
    let flat = serde_json::to_value(&c.template).expect("template");
    let outputs: BTreeMap<String, String> =
        flat["Outputs"].as_object().expect("outputs").iter().map(|(k, o)| (k.clone(), resolve(&o["Value"]))).collect();
    let mut observed = Observed {
        stack: Some(StackInfo {
            name: c.model.stack.to_string(),
            status: "CREATE_COMPLETE".into(),
            outputs,
            tags: BTreeMap::new(),
            created: None,
        }),
        template: Some(root),
        nested,
        ..Observed::default()
    };
    let desired = desire(c, &observed, REGION, PlannedImages::default()).expect("renders");
    for (n, d) in desired.services.iter().enumerate() {
        let arn = format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{}:1", d.task_def.family);
        let registered = Registered { arn: arn.clone(), task_def: d.task_def.clone(), tags: BTreeMap::new() };
        observed.latest.insert(d.task_def.family.clone(), registered.clone());
        observed.running.insert(d.config.name.clone(), registered);
        observed.services.insert(d.config.name.clone(), running(&d.config, &arn, n));
    }
    let outputs = StackOutputs::parse(c.model.stack.as_str(), &observed.stack.as_ref().expect("stack").outputs).expect("outputs");
    for svc in c.model.services.values().filter(|s| s.deploy.rollout.has_two_colours()) {
        let so = outputs.service(c.model.stack.as_str(), &svc.name).expect("service outputs");
        for rule in &so.rules {
            observed.weights.insert(rule.clone(), vec![(so.target_groups[0].clone(), 100), (so.target_groups[1].clone(), 0)]);
        }
    }
    observed
}

/// An ECS service as ECS reports it once its rollout of `arn` completed.
fn running(config: &crate::workload::ServiceConfig, arn: &str, n: usize) -> ServiceState {
    ServiceState {
        name: config.name.clone(),
        arn: format!("arn:aws:ecs:us-east-1:123456789012:service/{}/{}", config.cluster, config.name),
        status: ServiceStatus::Active,
        desired: config.desired_count,
        running: config.desired_count,
        pending: 0,
        task_definition: arn.to_string(),
        deployments: vec![Deployment {
            id: format!("ecs-svc/{n}"),
            status: DeploymentStatus::Primary,
            task_definition: arn.to_string(),
            rollout_state: Some(RolloutState::Completed),
            rollout_reason: None,
            desired: config.desired_count,
            running: config.desired_count,
            failed_tasks: 0,
        }],
        events: vec![],
        tags: config.tags.clone(),
        config: ObservedConfig {
            network: Some(config.network.clone()),
            load_balancer: config.load_balancer.clone(),
            grace_seconds: config.grace_seconds,
            deployment: Some(config.deployment.clone()),
            service_connect_namespace: config.service_connect.as_ref().map(|s| s.namespace.clone()),
            exec: config.exec,
            capacity: config.capacity.clone(),
        },
    }
}

fn plan_of(c: &Compiled, observed: &Observed) -> Plan {
    let desired = desire(c, observed, REGION, PlannedImages::default()).expect("renders");
    build(&c.model, &desired, observed)
}

/// A spec edited in one place, planned against the deployed base spec.
fn plan_edit(from: &str, to: &str) -> Plan {
    let edited = SHOP.replace(from, to);
    assert_ne!(edited, SHOP, "the edit `{from}` applies");
    plan_of(&compile(&edited, None), &deployed(&compile(SHOP, None)))
}

fn service<'a>(p: &'a Plan, name: &str) -> &'a ServiceChange {
    p.services.iter().find(|s| s.service == name).unwrap_or_else(|| panic!("a change of {name}: {:?}", p.services))
}

fn fields(changes: &[FieldChange]) -> Vec<(&str, Option<&str>, Option<&str>)> {
    changes.iter().map(|f| (f.field.as_str(), f.before.as_deref(), f.after.as_deref())).collect()
}

fn rollout_of<'a>(p: &'a Plan, name: &str) -> &'a RolloutPlan {
    p.rollout.iter().find(|r| r.service == name).unwrap_or_else(|| panic!("a rollout of {name}: {:?}", p.rollout))
}

fn resources(p: &Plan) -> Vec<(&str, Action)> {
    p.infrastructure.changes.iter().map(|c| (c.logical_id.as_str(), c.action)).collect()
}

#[test]
fn a_new_stack_creates_every_resource_and_service() {
    let c = compile(SHOP, None);
    let p = plan_of(&c, &Observed::default());
    assert_eq!(p.infrastructure.action, StackAction::Create);
    assert!(p.infrastructure.changes.iter().all(|r| r.action == Action::Create), "{:?}", resources(&p));
    assert_eq!(p.infrastructure.changes.len(), c.template.resources.len());
    let services: Vec<(&str, ServiceAction, bool)> = p.services.iter().map(|s| (s.service.as_str(), s.action, s.new_revision)).collect();
    assert_eq!(
        services,
        [("api-blue", ServiceAction::Create, true), ("web", ServiceAction::Create, true), ("worker", ServiceAction::Create, true)]
    );
    assert_eq!(rollout_of(&p, "web").steps, [Step::Start { tasks: 2 }, Step::WaitHealthy]);
    assert!(p.summary.changes);
    assert_eq!((p.summary.resources_to_add, p.summary.services_to_create), (c.template.resources.len(), 3));
}

#[test]
fn a_freshly_deployed_spec_plans_no_changes() {
    let c = compile(SHOP, None);
    let p = plan_of(&c, &deployed(&c));
    assert_eq!(p.infrastructure.action, StackAction::None);
    assert_eq!((p.infrastructure.changes.len(), p.infrastructure.outputs_changed), (0, false));
    assert!(p.services.is_empty() && p.rollout.is_empty(), "{:?}", p.services);
    assert!(!p.summary.changes);
}

#[test]
fn a_count_is_updated_in_place_without_a_new_deployment() {
    let p = plan_edit("    count: 2\n    routes: [ { path: \"/*\" } ]", "    count: 3\n    routes: [ { path: \"/*\" } ]");
    assert!(p.infrastructure.changes.is_empty());
    let web = service(&p, "web");
    assert_eq!((web.action, web.new_revision), (ServiceAction::Update, false));
    assert_eq!(fields(&web.settings), [("desired_count", Some("2"), Some("3"))]);
    assert_eq!(rollout_of(&p, "web").steps, [Step::InPlace { tasks: 3, autoscaling: None }], "{:?}", p.rollout);
    assert_eq!(p.services.len(), 1, "nothing else changes");
}

#[test]
fn an_env_var_registers_a_new_revision_and_rolls_out_by_the_strategy() {
    let p = plan_edit("env: { MODE: live }", "env: { MODE: maintenance }");
    let web = service(&p, "web");
    assert!(web.new_revision);
    assert_eq!(fields(&web.task_definition), [("environment.MODE", Some("live"), Some("maintenance"))]);
    assert!(web.settings.is_empty(), "{:?}", web.settings);
    let rollout = rollout_of(&p, "web");
    assert_eq!((rollout.strategy, rollout.engine), (StrategyName::Rolling, Engine::Ecs));
    assert_eq!(rollout.steps[0], Step::Replace { tasks: 1, min_healthy_percent: 50, max_percent: 100 }, "{:?}", rollout.steps);
    assert_eq!(rollout.steps[2], Step::RollBackOnFailure);
    let json = serde_json::to_value(rollout).expect("json");
    assert_eq!(json["steps"][0], serde_json::json!({"kind": "replace", "tasks": 1, "min_healthy_percent": 50, "max_percent": 100}));
    assert_eq!((json["strategy"].as_str(), json["engine"].as_str()), (Some("rolling"), Some("ecs")));
}

#[test]
fn a_changed_secret_reference_is_named_but_never_shown() {
    let p = plan_edit("ssm:/shop/api-key", "ssm:/shop/CANARY-5e1f");
    let web = service(&p, "web");
    assert_eq!(fields(&web.task_definition), [("secrets.API_KEY", Some(SENSITIVE), Some(SENSITIVE))]);
    let services = serde_json::to_string(&p.services).expect("json");
    assert!(!services.contains("CANARY-5e1f"), "{services}");
    // The execution role may read exactly that parameter: the infrastructure names it.
    assert_eq!(resources(&p), [("ExecutionRole", Action::Update)]);
}

#[test]
fn a_forcing_property_replaces_the_resource_and_the_service_follows_it() {
    let p = plan_edit("    port: 80\n", "    port: 8080\n");
    let replaced: Vec<&str> =
        p.infrastructure.changes.iter().filter(|r| r.action == Action::Replace).map(|r| r.logical_id.as_str()).collect();
    // The target group, and the rule that lets api reach web on its port.
    assert_eq!(replaced, ["SvcWebFromApiIngress", "SvcWebTargetGroup"], "{:?}", resources(&p));
    assert_eq!(p.infrastructure.changes[1].replaced_by, ["Port"]);
    let web = service(&p, "web");
    let settings = fields(&web.settings);
    assert!(settings.contains(&("target_group", Some("x-SvcWebTargetGroup"), Some(KNOWN_AFTER_APPLY))), "{settings:?}");
    assert!(settings.contains(&("container_port", Some("80"), Some("8080"))), "{settings:?}");
    assert!(matches!(rollout_of(&p, "web").steps[0], Step::Replace { .. }), "a new target group needs new tasks");
    assert_eq!(p.summary.resources_to_replace, 2);
}

#[test]
fn a_replaced_task_role_means_a_new_revision() {
    let c = compile(SHOP, None);
    let mut observed = deployed(&c);
    // The deployed role had another name: its replacement is forced.
    let template = observed.template.as_mut().expect("template");
    let role = &mut template["Resources"]["SvcWebTaskRole"]["Properties"];
    assert!(role.is_object(), "web's task role");
    role["RoleName"] = "shop-web-old".into();
    let p = plan_of(&c, &observed);
    assert_eq!(resources(&p), [("SvcWebTaskRole", Action::Replace)]);
    let web = service(&p, "web");
    assert!(web.new_revision, "the task definition names the new role");
    assert_eq!(fields(&web.task_definition), [("task_role", Some("x-SvcWebTaskRole-Arn"), Some(KNOWN_AFTER_APPLY))]);
}

#[test]
fn a_service_dropped_from_the_spec_is_deleted_first() {
    let c = compile(SHOP, None);
    let observed = deployed(&c);
    let without = compile(&SHOP.replace("  worker:\n    image: registry.example/shop/worker:v1\n    count: 1\n", ""), None);
    let p = plan_of(&without, &observed);
    let first = &p.services[0];
    assert_eq!((first.service.as_str(), first.action), ("worker", ServiceAction::Delete));
    assert_eq!(p.services.len(), 1);
    let removed: Vec<(&str, Action)> = resources(&p).into_iter().filter(|(_, a)| *a == Action::Delete).collect();
    assert_eq!(removed, [("SvcWorkerSecurityGroup", Action::Delete), ("SvcWorkerTaskRole", Action::Delete)], "{:?}", resources(&p));
    assert_eq!((p.summary.services_to_delete, p.summary.resources_to_remove), (1, 2));
}

#[test]
fn changes_come_most_severe_first() {
    let edited = SHOP
        .replace("    port: 80\n", "    port: 8080\n")
        .replace("  worker:\n    image: registry.example/shop/worker:v1\n    count: 1\n", "");
    let p = plan_of(&compile(&edited, None), &deployed(&compile(SHOP, None)));
    let actions: Vec<Action> = p.infrastructure.changes.iter().map(|c| c.action).collect();
    let mut sorted = actions.clone();
    sorted.sort();
    assert_eq!(actions, sorted, "replace, delete, update, create");
    assert_eq!(actions.first(), Some(&Action::Replace));
    let services: Vec<(&str, ServiceAction)> = p.services.iter().map(|s| (s.service.as_str(), s.action)).collect();
    // api calls web at its new port.
    assert_eq!(services, [("worker", ServiceAction::Delete), ("api-blue", ServiceAction::Update), ("web", ServiceAction::Update)]);
}

#[test]
fn the_deployed_template_in_another_order_is_no_change() {
    let c = compile(SHOP, None);
    let mut observed = deployed(&c);
    // CloudFormation keeps the body as sent, but a body written by hand or by another tool
    // lists keys and tags in its own order.
    let template = observed.template.as_mut().expect("template");
    for resource in template["Resources"].as_object_mut().expect("resources").values_mut() {
        if let Some(tags) = resource["Properties"].get_mut("Tags").and_then(Value::as_array_mut) {
            tags.reverse();
        }
    }
    let text = serde_json::to_string(&template).expect("text");
    observed.template = Some(serde_json::from_str(&text).expect("parsed"));
    let p = plan_of(&c, &observed);
    assert!(!p.summary.changes, "{:?} {:?}", resources(&p), p.services);
}

#[test]
fn tags_aws_adds_and_defaults_it_fills_in_are_no_change() {
    let c = compile(SHOP, None);
    let mut observed = deployed(&c);
    for s in observed.services.values_mut() {
        s.tags.insert("aws:ecs:clusterName".into(), "shop".into());
        s.events.push(crate::workload::ServiceEvent {
            id: "1".into(),
            at: "2026-01-01T00:00:00Z".into(),
            message: "has reached a steady state.".into(),
        });
        // ECS reports a grace period of 0 for a service without a load balancer, where none can be set.
        s.config.grace_seconds.get_or_insert(0);
    }
    for r in observed.latest.values_mut().chain(observed.running.values_mut()) {
        r.tags.insert("aws:cloudformation:stack-name".into(), "shop".into());
    }
    let p = plan_of(&c, &observed);
    assert!(p.services.is_empty(), "{:?}", p.services);
    assert!(!p.summary.changes);
}

#[test]
fn moved_traffic_is_state_not_a_change() {
    let c = compile(SHOP, None);
    let mut observed = deployed(&c);
    // A finished canary: green runs the revision and takes all traffic; blue is at zero.
    let api_blue = observed.services.remove("api-blue").expect("api-blue");
    let mut green = api_blue.clone();
    green.name = "api-green".into();
    green.config.load_balancer.as_mut().expect("lb").target_group_arn = "x-SvcApiGreenTargetGroup".into();
    green.tags.insert(crate::workload::COLOUR_TAG.into(), "green".into());
    let mut blue = api_blue;
    (blue.desired, blue.running) = (0, 0);
    observed.running.insert("api-green".into(), observed.running["api-blue"].clone());
    observed.services.insert("api-blue".into(), blue);
    observed.services.insert("api-green".into(), green);
    for weights in observed.weights.values_mut() {
        for (_, w) in weights.iter_mut() {
            *w = 100 - *w;
        }
    }
    assert_eq!(
        observed.traffic(&c.model)[&c.model.services.keys().find(|k| k.as_str() == "api").expect("api").clone()],
        Weights::all_on(crate::model::Colour::Green)
    );
    let p = plan_of(&c, &observed);
    assert_eq!(p.infrastructure.action, StackAction::None, "the rules' weights are ecship's: {:?}", p.infrastructure.changes);
    assert!(p.services.is_empty(), "{:?}", p.services);
    // A new revision then rolls out from green to blue.
    let edited = compile(&SHOP.replace("shop/api:v1", "shop/api:v2"), None);
    let p = plan_of(&edited, &observed);
    assert_eq!(service(&p, "api-green").action, ServiceAction::Update);
    let r = rollout_of(&p, "api-green");
    assert_eq!(r.colours, Some(Colours { from: Colour::Green, to: Colour::Blue }));
    assert_eq!(r.steps[0], Step::Shift { weight: 10, tasks: Some(1), bake_secs: 60 }, "{:?}", r.steps);
    let lines = render::rollout_lines(r);
    assert!(lines[0].contains("on blue and send it 10 %"), "{lines:?}");
    assert!(lines.iter().any(|s| s == "scale green to zero once blue has all traffic"), "{lines:?}");
}

/// SHOP with `api` rolled out by ECS's native canary.
fn native_shop() -> String {
    SHOP.replace(
        "canary: { steps: [10, 100], bake: 1m } }",
        "canary: { steps: [10, 100], bake: 1m }, engine: ecs, check: { http: /api/health } }",
    )
}

#[test]
fn a_native_service_is_one_ecs_service_whose_target_groups_ecs_swaps_without_a_change() {
    let c = compile(&native_shop(), None);
    let mut observed = deployed(&c);
    assert!(observed.services.contains_key("api") && !observed.services.contains_key("api-blue"), "{:?}", observed.services.keys());
    let lb = observed.services["api"].config.load_balancer.clone().expect("a load balancer");
    let alt = lb.alternate.clone().expect("ECS's advanced configuration");
    assert_eq!((lb.target_group_arn.as_str(), alt.target_group_arn.as_str()), ("x-SvcApiTargetGroup", "x-SvcApiGreenTargetGroup"));
    assert_eq!(alt.test_rule.as_deref(), Some("x-SvcApiNextTestRule"), "its check goes through the test rule");
    // ECS finished a rollout: the traffic is on green, and the service names either group first.
    for weights in observed.weights.values_mut() {
        for (_, w) in weights.iter_mut() {
            *w = 100 - *w;
        }
    }
    let p = plan_of(&c, &observed);
    assert_eq!(p.infrastructure.action, StackAction::None, "the rules' weights are ECS's: {:?}", p.infrastructure.changes);
    assert!(p.services.is_empty(), "{:?}", p.services);
    let (primary, alternate) = (lb.target_group_arn.clone(), alt.target_group_arn.clone());
    let swapped = observed.services.get_mut("api").and_then(|s| s.config.load_balancer.as_mut()).expect("lb");
    swapped.target_group_arn = alternate;
    swapped.alternate.as_mut().expect("alternate").target_group_arn = primary;
    assert!(plan_of(&c, &observed).services.is_empty(), "whichever group ECS calls primary");
}

#[test]
fn a_native_rollout_is_planned_as_ecs_runs_it() {
    let c = compile(&native_shop(), None);
    let p = plan_of(&compile(&native_shop().replace("shop/api:v1", "shop/api:v2"), None), &deployed(&c));
    let r = rollout_of(&p, "api");
    assert_eq!((r.strategy, r.engine, r.colours), (StrategyName::Canary, Engine::Ecs, None));
    assert_eq!(
        r.steps[..3],
        [
            Step::StartIdle { tasks: 2, test_rule: None },
            Step::Check { test_rule: Some(TestRule::sensitive()), on_failure: OnFailure::RollBack },
            Step::Shift { weight: 10, tasks: None, bake_secs: 60 },
        ]
    );
    let lines = render::rollout_lines(r);
    assert_eq!(lines[0], "ECS (canary deployment) starts 2 tasks of the new revision in the idle target group, without production traffic");
    assert!(
        lines[1].contains(
            "ECS pauses: ecship runs the HTTP check through the test rule (GET /api/health with X-Ecship-Colour: (sensitive) → 200)"
        ),
        "{lines:?}"
    );
    assert_eq!(lines[2], "ECS sends 10 % of production traffic to the new revision for 1m, then all of it");
    let text = render::text(&p);
    assert!(text.contains("api (canary by ECS, about"), "{text}");
    // Its strategy is a setting of the one ECS service, compared as ECS reports it.
    let fields = desired_native_fields(&c);
    assert_eq!(fields.get("deployment.strategy").map(String::as_str), Some("CANARY 10 % for 1 min, bake 1 min"));
    assert_eq!(fields.get("target_groups").map(String::as_str), Some("x-SvcApiGreenTargetGroup,x-SvcApiTargetGroup"));
    assert_eq!(fields.get("deployment.pause_after_test_traffic").map(String::as_str), Some("up to 15 min"));
}

fn desired_native_fields(c: &Compiled) -> BTreeMap<String, String> {
    let desired = desire(c, &deployed(c), REGION, PlannedImages::default()).expect("renders");
    let api = desired.services.iter().find(|d| d.config.name == "api").expect("api");
    super::services::ServiceSettings::desired(&api.config).fields()
}

#[test]
fn a_service_behind_its_latest_revision_is_redeployed() {
    let c = compile(SHOP, None);
    let mut observed = deployed(&c);
    // ECS rolled worker back: its family's latest revision is not the one it runs.
    let latest = observed.latest.get_mut("shop-worker").expect("latest");
    latest.arn = latest.arn.replace(":1", ":2");
    let p = plan_of(&c, &observed);
    let worker = service(&p, "worker");
    assert_eq!((worker.action, worker.new_revision), (ServiceAction::Update, false));
    assert!(worker.task_definition.is_empty() && worker.settings.is_empty(), "{worker:?}");
    // One task: doubling, whatever else.
    assert!(matches!(rollout_of(&p, "worker").steps[0], Step::StartBeside { tasks: 1, .. }), "{:?}", p.rollout);
}

#[test]
fn settings_that_need_new_tasks_redeploy_and_others_do_not() {
    let p = plan_edit("    count: 1\n", "    count: 1\n    subnets: public\n");
    let worker = service(&p, "worker");
    assert_eq!(fields(&worker.settings).iter().map(|f| f.0).collect::<Vec<_>>(), ["public_ip", "subnets"]);
    assert!(matches!(rollout_of(&p, "worker").steps[0], Step::StartBeside { tasks: 1, .. }), "new subnets need new tasks");
    let p = plan_edit("    env: { MODE: live }\n", "    env: { MODE: live }\n    deploy: { strategy: doubling }\n");
    let web = service(&p, "web");
    assert_eq!(
        fields(&web.settings),
        [("deployment.maximum_percent", Some("100"), Some("200")), ("deployment.minimum_healthy_percent", Some("50"), Some("100"))]
    );
    assert!(matches!(rollout_of(&p, "web").steps[0], Step::InPlace { .. }), "deployment settings apply in place");
}

#[test]
fn environment_overrides_plan_only_the_environment_they_name() {
    let prod = compile(SHOP, Some("prod"));
    assert_eq!(prod.model.stack.as_str(), "shop-prod");
    let observed = deployed(&prod);
    let staging_edit = compile(&SHOP.replace("web: { count: 1 }", "web: { count: 2 }"), Some("prod"));
    assert!(!plan_of(&staging_edit, &observed).summary.changes, "another environment's override");
    let prod_edit = compile(&SHOP.replace("web: { count: 4 }", "web: { count: 6 }"), Some("prod"));
    let p = plan_of(&prod_edit, &observed);
    assert_eq!((p.stack.as_str(), p.env.as_deref()), ("shop-prod", Some("prod")));
    assert_eq!(fields(&service(&p, "web").settings), [("desired_count", Some("4"), Some("6"))]);
    assert_eq!(p.services.len(), 1);
}

#[test]
fn a_new_service_adds_its_resources_and_nothing_else_changes() {
    let p = plan_edit("  worker:\n", "  cron:\n    image: registry.example/shop/cron:v1\n    count: 1\n  worker:\n");
    assert_eq!(resources(&p), [("SvcCronSecurityGroup", Action::Create), ("SvcCronTaskRole", Action::Create)]);
    assert_eq!(p.infrastructure.action, StackAction::Update);
    assert!(p.infrastructure.outputs_changed, "the new service's output");
    let services: Vec<(&str, ServiceAction)> = p.services.iter().map(|s| (s.service.as_str(), s.action)).collect();
    assert_eq!(services, [("cron", ServiceAction::Create)]);
}

/// A spec of `n` routed services `s000`…, like the scale tests'.
fn platform(n: usize) -> String {
    let mut spec = String::from("stack: big\nregion: us-east-1\nload_balancer: { public: true, http: 80 }\n");
    spec.push_str("quotas: { rules_per_load_balancer: 200, target_groups_per_load_balancer: 200 }\nservices:\n");
    for i in 0..n {
        spec.push_str(&format!(
            "  s{i:03}:\n    image: registry.example/big/s{i:03}:v1\n    port: 8080\n    routes: [ {{ path: \"/s{i:03}/*\" }} ]\n"
        ));
    }
    spec
}

#[test]
fn a_stack_split_into_nested_stacks_plans_no_changes_and_names_a_change_with_its_stack() {
    let base = compile(&platform(120), None);
    let observed = deployed_fresh(&base);
    assert!(!observed.nested.is_empty(), "120 services are more than one stack");
    let p = plan_of(&base, &observed);
    assert_eq!(resources(&p), [], "unchanged");
    assert_eq!(p.infrastructure.action, StackAction::None);

    let edited = compile(&platform(120).replace("\"/s119/*\"", "\"/s119/v2/*\""), None);
    let p = plan_of(&edited, &observed);
    let changes: Vec<(Option<&str>, &str, Action)> =
        p.infrastructure.changes.iter().map(|c| (c.stack.as_deref(), c.logical_id.as_str(), c.action)).collect();
    let slot = observed.placement(&base.model).get(&crate::model::ServiceName::new_unchecked("s119")).copied();
    let stack = slot.and_then(crate::synth::nesting::Slot::logical_id);
    assert!(stack.is_some(), "s119 lives in a nested stack");
    assert_eq!(changes, [(stack.as_deref(), "SvcS119Rule1", Action::Update)]);
    assert_eq!(p.infrastructure.action, StackAction::Update);
}

#[test]
fn a_one_stack_deploy_that_grows_past_four_hundred_resources_moves_nothing() {
    let small = compile(&platform(40), None);
    let observed = deployed_fresh(&small);
    assert!(observed.nested.is_empty(), "40 services are one stack");
    let grown = compile(&platform(120), None);
    let p = plan_of(&grown, &observed);
    let touched: Vec<&str> =
        p.infrastructure.changes.iter().filter(|c| c.action != Action::Create).map(|c| c.logical_id.as_str()).collect();
    assert_eq!(touched, Vec::<&str>::new(), "no deployed resource is updated, replaced or deleted");
    let placement = nesting_of(&grown, &observed);
    for i in 0..40 {
        assert_eq!(
            placement.get(&crate::model::ServiceName::new_unchecked(format!("s{i:03}"))),
            Some(&crate::synth::nesting::Slot::Root),
            "s{i:03} stays"
        );
    }
    assert!(placement.values().any(|s| *s != crate::synth::nesting::Slot::Root), "new services go to nested stacks");
}

#[test]
fn a_new_route_never_moves_a_deployed_one_even_where_their_derived_numbers_meet() {
    // 150 routes of one shape share one band of 400 numbers: many derive the same one.
    let all = compile(&platform(150), None);
    let priority = |c: &Compiled, name: &str| -> u32 {
        c.model.services.get(&crate::model::ServiceName::new_unchecked(name)).expect("service").routes[0].priority
    };
    // A service of the 150 that lost its derived number to another: deploy the stack
    // without that other, then add it.
    let names: Vec<String> = (0..150).map(|i| format!("s{i:03}")).collect();
    let collided = names.iter().find_map(|n| {
        let r = &all.model.services.get(&crate::model::ServiceName::new_unchecked(n.as_str()))?.routes[0];
        let derived = crate::spec::validate::derive_priority(n, r);
        (derived != r.priority).then(|| (n.clone(), derived))
    });
    let (moved, derived) = collided.expect("150 routes in 400 numbers collide");
    let winner = names.iter().find(|n| priority(&all, n) == derived).expect("the route that took the number").clone();
    let without = platform(150).replace(
        &format!("  {winner}:\n    image: registry.example/big/{winner}:v1\n    port: 8080\n    routes: [ {{ path: \"/{winner}/*\" }} ]\n"),
        "",
    );
    let before = compile(&without, None);
    assert_eq!(priority(&before, &moved), derived, "alone, {moved} has its derived number");

    let p = plan_of(&all, &deployed_fresh(&before));
    // (A nested stack the new service joins is updated: its resources are its own changes.)
    let touched: Vec<&str> = p
        .infrastructure
        .changes
        .iter()
        .filter(|c| c.action != Action::Create && c.resource_type != crate::synth::nesting::NESTED_TYPE)
        .map(|c| c.logical_id.as_str())
        .collect();
    assert_eq!(touched, Vec::<&str>::new(), "{moved} keeps {derived}; {winner} takes another");
    let rule = format!("Svc{}Rule1", crate::model::ServiceName::new_unchecked(winner.as_str()).logical());
    let added = p.infrastructure.changes.iter().find(|c| c.logical_id == rule);
    assert!(added.is_some_and(|c| c.action == Action::Create), "{:?}", resources(&p));
}

/// Where the plan puts each service of `c` when `observed` is deployed.
fn nesting_of(c: &Compiled, observed: &Observed) -> crate::synth::nesting::Placement {
    let desired = desire(c, observed, REGION, PlannedImages::default()).expect("renders");
    let mut deployed = deployed_as(c, desired.template, desired.nested);
    deployed.services.clear();
    deployed.placement(&c.model)
}

#[test]
fn fingerprints_follow_the_spec_and_the_deciding_state_only() {
    let c = compile(SHOP, None);
    let observed = deployed(&c);
    let p = plan_of(&c, &observed);
    let mut moving = observed.clone();
    for s in moving.services.values_mut() {
        s.running = 0;
        s.events.push(crate::workload::ServiceEvent { id: "9".into(), at: "now".into(), message: "started 1 task".into() });
    }
    assert_eq!(plan_of(&c, &moving).fingerprint, p.fingerprint, "running counts and events move by themselves");
    let mut scaled = observed.clone();
    scaled.services.get_mut("worker").expect("worker").desired = 5;
    let q = plan_of(&c, &scaled);
    assert_eq!(q.fingerprint.spec, p.fingerprint.spec);
    assert_ne!(q.fingerprint.state, p.fingerprint.state, "a desired count set outside ecship");
    let edited = compile(&SHOP.replace("MODE: live", "MODE: dark"), None);
    assert_ne!(plan_of(&edited, &observed).fingerprint.spec, p.fingerprint.spec);
}

#[test]
fn the_json_plan_names_actions_as_before() {
    let c = compile(SHOP, None);
    let json = serde_json::to_value(plan_of(&c, &Observed::default())).expect("json");
    assert_eq!(json["format_version"], 3);
    assert_eq!(json["infrastructure"]["action"], "create");
    assert_eq!(json["services"][0]["action"], "create");
    assert_eq!(json["infrastructure"]["changes"][0]["action"], "create");
    let none = serde_json::to_value(plan_of(&c, &deployed(&c))).expect("json");
    assert_eq!(none["infrastructure"]["action"], "none");
    let back: Plan = serde_json::from_value(json.clone()).expect("a saved plan reads back");
    assert_eq!(serde_json::to_value(back).expect("json"), json, "byte for byte the same value");
}

const VOLS: &str = "stack: vols\nregion: us-east-1\nnetwork: { cidr: 10.0.0.0/16, azs: 2, nat: none }\nservices:\n  cms:\n    image: registry.example/cms:v1\n    count: 1\n    volumes:\n      uploads: { path: /uploads }\n";

/// A data-destroying or retained change: (logical id, action, destroys data, retained).
type DataChange<'a> = (&'a str, Action, bool, bool);

/// The data-destroying and retained changes of a plan.
fn data_changes(p: &Plan) -> Vec<DataChange<'_>> {
    p.infrastructure
        .changes
        .iter()
        .filter(|c| c.destroys_data || c.retained)
        .map(|c| (c.logical_id.as_str(), c.action, c.destroys_data, c.retained))
        .collect()
}

#[test]
fn what_happens_to_a_volumes_data_is_decided_by_the_plan() {
    let deployed_vols = deployed(&compile(VOLS, None));
    // The deployed template before file systems were kept: the same, without Retain.
    let mut unkept = deployed_vols.clone();
    if let Some(fs) =
        unkept.template.as_mut().and_then(|t| t["Resources"].get_mut("VolumeUploadsFileSystem")).and_then(Value::as_object_mut)
    {
        fs.remove("DeletionPolicy");
        fs.remove("UpdateReplacePolicy");
    }
    let mut encrypted_off = deployed_vols.clone();
    encrypted_off.template.as_mut().expect("template")["Resources"]["VolumeUploadsFileSystem"]["Properties"]["Encrypted"] = false.into();
    let mut with_fs_output = deployed_vols.clone();
    let adopt = |o: &mut Observed| {
        o.stack
            .as_mut()
            .expect("stack")
            .outputs
            .insert("VolumeUploads".into(), "file_system=fs-0123abcd;access_point=fsap-0123abcd".into());
    };
    adopt(&mut with_fs_output);
    let mut unkept_with_fs_output = unkept.clone();
    adopt(&mut unkept_with_fs_output);
    let removed = VOLS.replace("    volumes:\n      uploads: { path: /uploads }\n", "");
    let renamed = VOLS.replace("uploads: {", "media: {");
    let adopted = VOLS.replace("{ path: /uploads }", "{ path: /uploads, file_system: fs-0123abcd }");
    let fs = "VolumeUploadsFileSystem";
    let cases: Vec<(&str, &str, &Observed, Vec<DataChange>)> = vec![
        ("unchanged", VOLS, &deployed_vols, vec![]),
        ("a removed volume", &removed, &deployed_vols, vec![(fs, Action::Delete, true, false)]),
        ("a renamed volume", &renamed, &deployed_vols, vec![(fs, Action::Delete, true, false)]),
        ("a replaced file system", VOLS, &encrypted_off, vec![(fs, Action::Replace, true, false)]),
        ("a removed volume, not kept by the deployed template", &removed, &unkept, vec![(fs, Action::Delete, true, false)]),
        ("the file system mounted as an existing one", &adopted, &with_fs_output, vec![(fs, Action::Delete, false, true)]),
        (
            "mounted as an existing one, not kept by the deployed template",
            &adopted,
            &unkept_with_fs_output,
            vec![(fs, Action::Delete, true, false)],
        ),
        ("another file system mounted", &adopted, &deployed_vols, vec![(fs, Action::Delete, true, false)]),
    ];
    for (what, spec, observed, want) in cases {
        let p = plan_of(&compile(spec, None), observed);
        assert_eq!(data_changes(&p), want, "{what}: {:?}", resources(&p));
        // The changes that destroy data come first; the rest by severity.
        let first = p.infrastructure.changes.first().map(|c| c.destroys_data);
        assert_eq!(first.unwrap_or(false), want.iter().any(|w| w.2), "{what}: first {:?}", resources(&p));
    }
}

#[test]
fn a_plan_that_destroys_data_says_so_loudest_in_every_form() {
    let removed = VOLS.replace("    volumes:\n      uploads: { path: /uploads }\n", "");
    let p = plan_of(&compile(&removed, None), &deployed(&compile(VOLS, None)));
    let json = serde_json::to_value(&p).expect("json");
    let changes = json["infrastructure"]["changes"].as_array().expect("changes");
    assert_eq!(changes[0]["logical_id"], "VolumeUploadsFileSystem");
    assert_eq!(changes[0]["destroys_data"], true);
    assert!(changes[1..].iter().all(|c| c.get("destroys_data").is_none() && c.get("retained").is_none()), "false is left out: {changes:?}");
    let text = render::text(&p);
    let warning = text.find("DATA LOSS").expect("a warning");
    assert!(warning < text.find("Infrastructure:").expect("section"), "{text}");
    assert!(text.contains("VolumeUploadsFileSystem (AWS::EFS::FileSystem): deleted"), "{text}");
    assert!(
        text.contains(
            "- VolumeUploadsFileSystem (AWS::EFS::FileSystem): DELETE — DESTROYS ITS DATA (deploy refuses without --allow-data-loss)"
        ),
        "{text}"
    );
    assert!(render::headline(&p).contains("resources: 1 destroying data"), "{}", render::headline(&p));
    let md = render::markdown(&p);
    let caution = md.find("> [!CAUTION]").expect("a caution");
    assert!(caution < md.find("#### Infrastructure").expect("section"), "{md}");
    assert!(md.contains("**delete**, **destroys its data**"), "{md}");
    // A saved plan of an older ecship (no such field) still reads.
    let mut old = json.clone();
    old["infrastructure"]["changes"][0].as_object_mut().expect("change").remove("destroys_data");
    let back: Plan = serde_json::from_value(old).expect("reads");
    assert!(!back.infrastructure.changes[0].destroys_data);
}

#[test]
fn a_retained_file_system_is_shown_kept() {
    let mut observed = deployed(&compile(VOLS, None));
    observed
        .stack
        .as_mut()
        .expect("stack")
        .outputs
        .insert("VolumeUploads".into(), "file_system=fs-0123abcd;access_point=fsap-0123abcd".into());
    let adopted = VOLS.replace("{ path: /uploads }", "{ path: /uploads, file_system: fs-0123abcd }");
    let p = plan_of(&compile(&adopted, None), &observed);
    assert_eq!(p.destroys_data().count(), 0);
    let text = render::text(&p);
    assert!(!text.contains("DATA LOSS"), "{text}");
    assert!(text.contains("VolumeUploadsFileSystem (AWS::EFS::FileSystem): leaves the stack, KEPT with its data"), "{text}");
    let json = serde_json::to_value(&p).expect("json");
    let fs = json["infrastructure"]["changes"].as_array().expect("changes").iter().find(|c| c["logical_id"] == "VolumeUploadsFileSystem");
    assert_eq!(fs.map(|c| (&c["retained"], c.get("destroys_data"))), Some((&Value::Bool(true), None)));
}

#[test]
fn a_test_rule_is_named_in_the_plan_but_its_header_value_never_shown() {
    let checked = "canary: { steps: [10, 100], bake: 1m } }";
    let bg = "blue_green: { bake: 1m }, check: { http: /api/health } }";
    let v1 = SHOP.replace("strategy: canary, ", "strategy: blue_green, ").replace(checked, bg);
    let c = compile(&v1, None);
    let p = plan_of(&compile(&v1.replace("shop/api:v1", "shop/api:v2"), None), &deployed(&c));
    let r = rollout_of(&p, "api-blue");
    assert_eq!(r.steps[0], Step::StartIdle { tasks: 2, test_rule: Some(TestRule::sensitive()) });
    let json = serde_json::to_value(r).expect("json");
    assert_eq!(
        json["steps"][0],
        serde_json::json!({"kind": "start_idle", "tasks": 2, "test_rule": {"header": "X-Ecship-Colour", "value": "(sensitive)"}})
    );
    let lines = render::rollout_lines(r);
    assert!(
        lines[0].ends_with("the HTTP check passes through its test rule (GET /api/health with X-Ecship-Colour: (sensitive) → 200)"),
        "{lines:?}"
    );
    let text = format!("{}{}", render::text(&p), serde_json::to_string(&p).expect("json"));
    assert!(!text.contains("X-Ecship-Colour: api-"), "no guessable value: {text}");
}

const DATA: &str = "stack: data\nregion: us-east-1\nstorage:\n  orders: { type: table, key: { partition: id } }\n  uploads: { type: bucket }\n  main-db: { type: postgres }\nservices:\n  api:\n    image: registry.example/api:v1\n    count: 1\n    uses: [orders, uploads, main-db]\n";

#[test]
fn what_happens_to_storage_is_decided_by_the_plan() {
    let deployed_data = deployed(&compile(DATA, None));
    let mut with_names = deployed_data.clone();
    with_names
        .stack
        .as_mut()
        .expect("stack")
        .outputs
        .insert("StorageUploads".into(), "name=data-uploads-1a2b;arn=arn:aws:s3:::data-uploads-1a2b".into());
    let removed_table = DATA.replace("  orders: { type: table, key: { partition: id } }\n", "").replace("uses: [orders, ", "uses: [");
    let new_key = DATA.replace("key: { partition: id }", "key: { partition: id, sort: at }");
    let new_engine = DATA.replace("{ type: postgres }", "{ type: mysql }");
    let adopted = DATA.replace("uploads: { type: bucket }", "uploads: { type: bucket, existing: data-uploads-1a2b }");
    let (table, bucket, db) = ("StorageOrdersTable", "StorageUploadsBucket", "StorageMainDbDatabase");
    let cases: Vec<(&str, &str, &Observed, Vec<DataChange>)> = vec![
        ("unchanged", DATA, &deployed_data, vec![]),
        ("a removed table", &removed_table, &deployed_data, vec![(table, Action::Delete, true, false)]),
        ("a new table key", &new_key, &deployed_data, vec![(table, Action::Replace, true, false)]),
        ("a changed engine", &new_engine, &deployed_data, vec![(db, Action::Replace, true, false)]),
        ("the bucket adopted by its name", &adopted, &with_names, vec![(bucket, Action::Delete, false, true)]),
        ("another bucket adopted", &adopted, &deployed_data, vec![(bucket, Action::Delete, true, false)]),
    ];
    for (what, spec, observed, want) in cases {
        let p = plan_of(&compile(spec, None), observed);
        assert_eq!(data_changes(&p), want, "{what}: {:?}", resources(&p));
    }
    let p = plan_of(&compile(&new_engine, None), &deployed_data);
    let text = render::text(&p);
    assert!(text.contains("StorageMainDbDatabase (AWS::RDS::DBInstance): replaced by a new, empty database; CloudFormation takes a snapshot of the old one first"), "{text}");
}

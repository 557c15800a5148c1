//! Preview environments on the local emulator, through the real binary: two previews beside
//! their environment in its cluster and behind its load balancer, each on its own rules;
//! `sweep` destroying exactly the expired one; the environment's destroy refused while
//! previews exist; and nothing of them left after, the environment's plan unchanged.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use aws_sdk_elasticloadbalancingv2::types::Rule;
use emulator::Emulator;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

const SPEC: &str = r#"stack: shop
region: us-east-1
network: { cidr: 10.0.0.0/16, azs: 2, nat: none }
load_balancer: { public: true, http: 80 }
previews:
  ttl: 72h
  overrides: { count: 1 }
services:
  web:
    image: nginx:1.27
    port: 80
    count: 2
    routes: [ { path: "/*" } ]
  api:
    image: nginx:1.27
    port: 80
    count: 2
    routes: [ { path: "/api/*" } ]
    env: { WEB: "${service.web.url}" }
"#;

/// The rules of the load balancer's listener (its default rule aside).
async fn rules(emulator: &Emulator) -> Vec<Rule> {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&emulator.sdk_config().await);
    let lbs = elb.describe_load_balancers().send().await.expect("lbs");
    let lb = lbs.load_balancers()[0].load_balancer_arn().expect("arn").to_string();
    let listeners = elb.describe_listeners().load_balancer_arn(lb).send().await.expect("listeners");
    let listener = listeners.listeners()[0].listener_arn().expect("listener").to_string();
    let out = elb.describe_rules().listener_arn(listener).send().await.expect("rules");
    out.rules().iter().filter(|r| !r.is_default().unwrap_or(false)).cloned().collect()
}

/// (priority, path, preview header value) of each rule, by priority.
fn conditions(rules: &[Rule]) -> Vec<(u32, String, Option<String>)> {
    let mut out: Vec<(u32, String, Option<String>)> = rules
        .iter()
        .map(|r| {
            let priority = r.priority().and_then(|p| p.parse().ok()).unwrap_or(0);
            let path = r.conditions().iter().find(|c| c.field() == Some("path-pattern"));
            let path = path.and_then(|c| c.path_pattern_config()).map(|p| p.values().join(",")).unwrap_or_default();
            let header = r.conditions().iter().find(|c| c.field() == Some("http-header")).and_then(|c| c.http_header_config());
            let header = header.filter(|h| h.http_header_name() == Some("X-Ecship-Preview")).map(|h| h.values().join(","));
            (priority, path, header)
        })
        .collect();
    out.sort();
    out
}

/// The ECS services of the cluster `shop`, by name, with their desired counts.
async fn services(emulator: &Emulator) -> Vec<(String, i32)> {
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let arns = ecs.list_services().cluster("shop").send().await.expect("ListServices").service_arns().to_vec();
    if arns.is_empty() {
        return Vec::new();
    }
    let described = ecs.describe_services().cluster("shop").set_services(Some(arns)).send().await.expect("DescribeServices");
    let mut out: Vec<(String, i32)> = described
        .services()
        .iter()
        .filter(|s| s.status() == Some("ACTIVE"))
        .map(|s| (s.service_name().unwrap_or("").to_string(), s.desired_count()))
        .collect();
    out.sort();
    out
}

/// Nothing of preview `name` is left: no stack, no ECS service, no task definition, no
/// target group or rule.
async fn assert_preview_gone(emulator: &Emulator, name: &str) {
    let config = emulator.sdk_config().await;
    let stack = format!("shop-{name}");
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    assert!(cfn.describe_stacks().stack_name(&stack).send().await.is_err(), "stack {stack} is gone");
    assert!(services(emulator).await.iter().all(|(s, _)| !s.starts_with(&format!("{name}-"))), "no service of {name} left");
    let ecs = aws_sdk_ecs::Client::new(&config);
    for status in [aws_sdk_ecs::types::TaskDefinitionStatus::Active, aws_sdk_ecs::types::TaskDefinitionStatus::Inactive] {
        let left = ecs.list_task_definitions().family_prefix(format!("{stack}-")).status(status).send().await.expect("list");
        assert!(left.task_definition_arns().is_empty(), "task definitions of {name} left: {:?}", left.task_definition_arns());
    }
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let groups = elb.describe_target_groups().send().await.expect("target groups");
    let arns: Vec<String> = groups.target_groups().iter().filter_map(|t| t.target_group_arn()).map(str::to_string).collect();
    for batch in arns.chunks(20) {
        let tags = elb.describe_tags().set_resource_arns(Some(batch.to_vec())).send().await.expect("tags");
        for d in tags.tag_descriptions() {
            assert!(!d.tags().iter().any(|t| t.value() == Some(stack.as_str())), "target group of {name} left: {:?}", d.resource_arn());
        }
    }
    assert!(conditions(&rules(emulator).await).iter().all(|(_, _, h)| h.as_deref() != Some(name)), "rules of {name} left");
}

/// The template deployed as `stack` passes cfn-lint with nothing to report.
async fn assert_lints(emulator: &Emulator, stack: &str, dir: &std::path::Path) {
    let cfn = aws_sdk_cloudformation::Client::new(&emulator.sdk_config().await);
    let body = cfn.get_template().stack_name(stack).send().await.expect("GetTemplate").template_body().unwrap_or_default().to_string();
    common::assert_lints(&body, &dir.join(format!("{stack}.json")));
}

#[tokio::test]
async fn two_previews_beside_their_environment_each_on_its_own_rules_swept_when_expired_and_gone_without_a_trace() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "shop.yaml", SPEC);

    let early = emulator.run(&["preview", "deploy", &file, "pr-1", "--yes"], &[]);
    assert_eq!(early.code, 1, "{}{}", early.stdout, early.stderr);
    assert!(early.stderr.contains("stack shop is not deployed") && early.stderr.contains("deploy it first"), "{}", early.stderr);
    let bad = emulator.run(&["preview", "deploy", &file, "PR_1", "--yes"], &[]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("is not a DNS label"), "{}", bad.stderr);

    let parent = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(parent.code, 0, "{}{}", parent.stdout, parent.stderr);
    let parent_rules = conditions(&rules(&emulator).await);

    let one = emulator.run(&["preview", "deploy", &file, "pr-1", "--yes"], &[]);
    assert_eq!(one.code, 0, "{}{}", one.stdout, one.stderr);
    assert!(
        one.stdout.contains("Plan for stack shop-pr-1: resources: 4 to add; services: 2 to create"),
        "the preview's plan: {}",
        one.stdout
    );
    assert!(one.stdout.contains("environment.WEB: \"http://web:80\""), "Service Connect names reach the environment's: {}", one.stdout);
    assert!(one.stdout.contains("preview pr-1 answers at http://") && one.stdout.contains("X-Ecship-Preview: pr-1"), "{}", one.stdout);
    assert_lints(&emulator, "shop-pr-1", dir.path()).await;
    let two = emulator.run(&["preview", "deploy", &file, "pr-2", "--ttl", "30s", "--yes", "--output", "json"], &[]);
    assert_eq!(two.code, 0, "{}{}", two.stdout, two.stderr);
    assert_eq!(two.result()["header"], "X-Ecship-Preview: pr-2", "{}", two.stdout);

    // The environment's rules are untouched; each preview has its own, before them, on its header.
    let all = conditions(&rules(&emulator).await);
    assert_eq!(all.iter().filter(|(_, _, h)| h.is_none()).cloned().collect::<Vec<_>>(), parent_rules);
    assert!(parent_rules.iter().all(|(p, _, _)| *p > 1000), "{parent_rules:?}");
    for name in ["pr-1", "pr-2"] {
        let mine: Vec<(u32, String)> =
            all.iter().filter(|(_, _, h)| h.as_deref() == Some(name)).map(|(p, path, _)| (*p, path.clone())).collect();
        assert_eq!(mine.len(), 2, "{name}: {all:?}");
        assert!(mine.iter().all(|(p, _)| (1..=1000).contains(p)), "{name}: {mine:?}");
        // `/api/*` before `/*`, as in the environment.
        assert_eq!(mine.iter().map(|(_, path)| path.as_str()).collect::<Vec<_>>(), ["/api/*", "/*"], "{name}");
    }
    let priorities: std::collections::BTreeSet<u32> = all.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(priorities.len(), all.len(), "every rule has its own priority: {all:?}");

    // Their services run in the environment's cluster, named apart, with the overrides.
    let running = services(&emulator).await;
    let expected: Vec<(String, i32)> = [("api", 2), ("pr-1-api", 1), ("pr-1-web", 1), ("pr-2-api", 1), ("pr-2-web", 1), ("web", 2)]
        .iter()
        .map(|(n, c)| ((*n).to_string(), *c))
        .collect();
    assert_eq!(running, expected);

    let listed = emulator.run(&["preview", "list", &file, "--output", "json"], &[]).result();
    let names: Vec<&str> = listed["previews"].as_array().expect("previews").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["pr-1", "pr-2"], "{listed}");
    assert!(listed["previews"][0]["images"][0].as_str().is_some_and(|i| i.contains("nginx")), "{listed}");
    assert!(listed["previews"][1]["expires"].as_str().is_some_and(|e| e.ends_with('Z')), "{listed}");

    // The environment does not see its previews as changes.
    let plan = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(plan.code, 0, "previews are no drift of the environment: {}{}", plan.stdout, plan.stderr);
    // Nor its status: a preview's task definitions are not the environment's jobs.
    let status = emulator.run(&["status", &file, "--output", "json"], &[]).result();
    assert!(status["jobs"].is_null(), "no jobs: {status}");

    let refused = emulator.run(&["destroy", &file, "--yes"], &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("stack shop has previews: pr-1, pr-2") && refused.stderr.contains("--with-previews"),
        "{}",
        refused.stderr
    );
    assert_eq!(services(&emulator).await.len(), 6, "nothing was deleted");

    // pr-2 lives 30 s: a minute later only it has expired.
    emulator.advance_clock(60);
    let swept = emulator.run(&["preview", "sweep", &file], &[]);
    assert_eq!(swept.code, 0, "{}{}", swept.stdout, swept.stderr);
    assert!(swept.stdout.contains("destroyed preview pr-2"), "{}", swept.stdout);
    assert!(!swept.stdout.contains("pr-1"), "{}", swept.stdout);
    assert_preview_gone(&emulator, "pr-2").await;
    let again = emulator.run(&["preview", "sweep", &file], &[]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("no preview of shop has expired: nothing destroyed"), "{}", again.stdout);

    // A deploy pushes the expiry forward.
    let before = emulator.run(&["preview", "list", &file, "--output", "json"], &[]).result()["previews"][0]["expires"].clone();
    let redeploy = emulator.run(&["preview", "deploy", &file, "pr-1", "--yes"], &[]);
    assert_eq!(redeploy.code, 0, "{}{}", redeploy.stdout, redeploy.stderr);
    let after = emulator.run(&["preview", "list", &file, "--output", "json"], &[]).result()["previews"][0]["expires"].clone();
    assert!(after.as_str() > before.as_str(), "{before} → {after}");

    let gone = emulator.run(&["preview", "destroy", &file, "pr-1"], &[]);
    assert_eq!(gone.code, 0, "{}{}", gone.stdout, gone.stderr);
    assert_preview_gone(&emulator, "pr-1").await;
    assert_eq!(conditions(&rules(&emulator).await), parent_rules);
    let plan = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

#[tokio::test]
async fn destroy_with_previews_destroys_them_first_and_leaves_nothing() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "shop.yaml", SPEC);
    assert_eq!(emulator.run(&["deploy", &file, "--yes"], &[]).code, 0);
    let preview = emulator.run(&["preview", "deploy", &file, "pr-7", "--yes"], &[]);
    assert_eq!(preview.code, 0, "{}{}", preview.stdout, preview.stderr);

    let destroyed = emulator.run(&["destroy", &file, "--yes", "--with-previews"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    assert!(destroyed.stdout.contains("destroyed shop-pr-7") && destroyed.stdout.contains("destroyed shop:"), "{}", destroyed.stdout);
    emulator.assert_nothing_left("shop-pr-7").await;
    emulator.assert_nothing_left("shop").await;
}

#[tokio::test]
async fn sweeps_run_at_once_destroy_each_expired_preview_once_and_neither_fails() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "shop.yaml", SPEC);
    assert_eq!(emulator.run(&["deploy", &file, "--yes"], &[]).code, 0);
    for name in ["pr-a", "pr-b"] {
        let p = emulator.run(&["preview", "deploy", &file, name, "--ttl", "1s", "--yes"], &[]);
        assert_eq!(p.code, 0, "{}{}", p.stdout, p.stderr);
    }
    emulator.advance_clock(10);
    let sweep = || emulator.ecship_process().args(["preview", "sweep", &file]).output().expect("sweep runs");
    let (one, two) = std::thread::scope(|s| {
        let a = s.spawn(sweep);
        let b = s.spawn(sweep);
        (a.join().expect("first"), b.join().expect("second"))
    });
    let said = format!("{}{}", String::from_utf8_lossy(&one.stdout), String::from_utf8_lossy(&two.stdout));
    let errors = format!("{}{}", String::from_utf8_lossy(&one.stderr), String::from_utf8_lossy(&two.stderr));
    assert!(one.status.success() && two.status.success(), "{said}\n{errors}");
    for name in ["pr-a", "pr-b"] {
        assert_eq!(said.matches(&format!("destroyed preview {name} ")).count(), 1, "destroyed once: {said}");
        assert_preview_gone(&emulator, name).await;
    }
}

#[tokio::test]
async fn a_preview_past_the_rule_quota_is_refused_before_any_write_and_destroy_by_stack_name_spares_the_cluster() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    // The environment's 2 rules and one preview's 2 fill a quota of 4.
    let file = write(dir.path(), "shop.yaml", &SPEC.replace("previews:\n", "quotas: { rules_per_load_balancer: 4 }\npreviews:\n"));
    assert_eq!(emulator.run(&["deploy", &file, "--yes"], &[]).code, 0);
    let fits = emulator.run(&["preview", "deploy", &file, "pr-1", "--yes"], &[]);
    assert_eq!(fits.code, 0, "{}{}", fits.stdout, fits.stderr);

    let over = emulator.run(&["preview", "deploy", &file, "pr-2", "--yes"], &[]);
    assert_eq!(over.code, 1, "{}{}", over.stdout, over.stderr);
    assert!(
        over.stderr.contains("the load balancer has 4 listener rules and preview pr-2 needs 2 more: its quota is 4")
            && over.stderr.contains("nothing was changed"),
        "{}",
        over.stderr
    );
    assert!(!over.stdout.contains("Plan for stack"), "refused before planning: {}", over.stdout);
    assert_preview_gone(&emulator, "pr-2").await;

    // `destroy --stack` of a preview's stack leaves the environment's cluster and services alone.
    let gone = emulator.run(&["destroy", "--stack", "shop-pr-1", "--yes"], &[]);
    assert_eq!(gone.code, 0, "{}{}", gone.stdout, gone.stderr);
    assert_preview_gone(&emulator, "pr-1").await;
    assert_eq!(services(&emulator).await, [("api".to_string(), 2), ("web".to_string(), 2)]);
    let plan = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

#[tokio::test]
async fn a_preview_whose_service_names_another_already_runs_is_refused() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = "stack: shop\nload_balancer: { public: true, http: 80 }\npreviews: {}\nservices:\n  web: { image: nginx:1.27, port: 80, routes: [ { path: \"/*\" } ] }\n  x-web: { image: nginx:1.27, port: 80, routes: [ { path: \"/x/*\" } ] }\n";
    let file = write(dir.path(), "shop.yaml", spec);
    assert_eq!(emulator.run(&["deploy", &file, "--yes"], &[]).code, 0);
    let a = emulator.run(&["preview", "deploy", &file, "a", "--yes"], &[]);
    assert_eq!(a.code, 0, "{}{}", a.stdout, a.stderr);
    // Preview a-x's service web would be a-x-web, which preview a runs as its x-web.
    let ax = emulator.run(&["preview", "deploy", &file, "a-x", "--yes"], &[]);
    assert_eq!(ax.code, 1, "{}{}", ax.stdout, ax.stderr);
    assert!(ax.stderr.contains("cluster shop already runs an ECS service a-x-web of stack shop-a"), "{}", ax.stderr);
    let cfn = aws_sdk_cloudformation::Client::new(&emulator.sdk_config().await);
    assert!(cfn.describe_stacks().stack_name("shop-a-x").send().await.is_err(), "nothing was written");
}

/// When the stack's CREATE_COMPLETE event is dated, in seconds since 1970.
async fn created_at(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> f64 {
    let events = cfn.describe_stack_events().stack_name(stack).send().await.expect("stack events");
    events
        .stack_events()
        .iter()
        .find(|e| e.logical_resource_id() == Some(stack) && e.resource_status().map(|s| s.as_str()) == Some("CREATE_COMPLETE"))
        .and_then(|e| e.timestamp())
        .map(|t| t.as_secs_f64())
        .expect("the stack's CREATE_COMPLETE event")
}

#[tokio::test]
async fn on_cloudformations_clock_deploy_and_preview_deploy_wait_for_their_stacks_before_their_services() {
    // Stacks take AWS's typical provisioning times at 1/100: the environment's, with its load
    // balancer, stays CREATE_IN_PROGRESS for about 2 s; the preview's for hundredths.
    let emulator = Emulator::start_provisioning("0.01");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "shop.yaml", SPEC);
    let parent = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(parent.code, 0, "{}{}", parent.stdout, parent.stderr);
    let at = |text: &str, what: &str| text.find(what).unwrap_or_else(|| panic!("{what:?} in {text}"));
    assert!(
        at(&parent.stderr, "shop (AWS::CloudFormation::Stack) CREATE_IN_PROGRESS")
            < at(&parent.stderr, "shop (AWS::CloudFormation::Stack) CREATE_COMPLETE")
            && at(&parent.stderr, "shop (AWS::CloudFormation::Stack) CREATE_COMPLETE") < at(&parent.stderr, "web: creating the service"),
        "the stack is followed to its end before any service: {}",
        parent.stderr
    );
    let preview = emulator.run(&["preview", "deploy", &file, "pr-1", "--yes"], &[]);
    assert_eq!(preview.code, 0, "{}{}", preview.stdout, preview.stderr);

    let config = emulator.sdk_config().await;
    let (cfn, ecs) = (aws_sdk_cloudformation::Client::new(&config), aws_sdk_ecs::Client::new(&config));
    for (stack, service) in [("shop", "web"), ("shop-pr-1", "pr-1-web")] {
        let complete = created_at(&cfn, stack).await;
        let described = ecs.describe_services().cluster("shop").services(service).send().await.expect("describe services");
        let created = described
            .services()
            .first()
            .and_then(|s| s.deployments().iter().filter_map(|d| d.created_at()).map(|t| t.as_secs_f64()).reduce(f64::min))
            .expect("the service's deployment");
        assert!(created >= complete, "{service} was created at {created}, before stack {stack} was complete at {complete}");
    }
    let environment = created_at(&cfn, "shop").await;
    let in_progress = cfn.describe_stack_events().stack_name("shop").send().await.expect("stack events");
    let started = in_progress.stack_events().iter().filter_map(|e| e.timestamp()).map(|t| t.as_secs_f64()).fold(f64::MAX, f64::min);
    assert!(environment - started > 1.5, "the environment's stack took its load balancer's time: {}", environment - started);
}

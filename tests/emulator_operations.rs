//! Day-2 operations on the local emulator, through the real binary: autoscaling that keeps
//! the count it is given, `scale` and `wait`.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use emulator::Emulator;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

/// A stack of one routed service, autoscaled as `autoscaling` says (nothing: not at all),
/// running `version` of its env.
fn scaled(autoscaling: &str, version: &str) -> String {
    format!(
        "stack: ops\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nload_balancer: {{ public: true, http: 80 }}\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ {{ path: \"/*\" }} ]\n    env: {{ VERSION: \"{version}\" }}\n{autoscaling}"
    )
}

const SCALING: &str = "    autoscaling:\n      min: 1\n      max: 6\n      cpu: 60\n      requests: 500\n      schedule: [ { cron: \"cron(0 22 * * ? *)\", timezone: Europe/Berlin, max: 2 } ]\n";

async fn desired(ecs: &aws_sdk_ecs::Client) -> i32 {
    let out = ecs.describe_services().cluster("ops").services("web").send().await.expect("DescribeServices");
    out.services()[0].desired_count()
}

/// The scalable target, its two target-tracking policies and its scheduled action of `SCALING`.
async fn assert_registered(aas: &aws_sdk_applicationautoscaling::Client) {
    let targets = aas.describe_scalable_targets().service_namespace(ServiceNamespace::Ecs).send().await.expect("targets");
    let target = &targets.scalable_targets()[0];
    assert_eq!((target.resource_id(), target.min_capacity(), target.max_capacity()), ("service/ops/web", 1, 6));
    let policies = aas
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/ops/web")
        .send()
        .await
        .expect("policies");
    let mut tracked: Vec<(String, f64, Option<String>)> = policies
        .scaling_policies()
        .iter()
        .filter_map(|p| {
            let c = p.target_tracking_scaling_policy_configuration()?;
            let m = c.predefined_metric_specification()?;
            Some((p.policy_name().to_string(), c.target_value(), m.resource_label().map(str::to_string)))
        })
        .collect();
    tracked.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(tracked.len(), 2, "{tracked:?}");
    assert_eq!((tracked[0].0.as_str(), tracked[0].1, tracked[0].2.is_none()), ("ecship-cpu", 60.0, true));
    let label = tracked[1].2.clone().unwrap_or_default();
    assert!(tracked[1].0 == "ecship-requests" && label.starts_with("app/") && label.contains("/targetgroup/"), "{tracked:?}");
    let actions = aas
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/ops/web")
        .send()
        .await
        .expect("actions");
    let action = &actions.scheduled_actions()[0];
    assert_eq!(
        (action.scheduled_action_name(), action.schedule(), action.timezone()),
        ("ecship-schedule-1", "cron(0 22 * * ? *)", Some("Europe/Berlin"))
    );
}

#[tokio::test]
async fn autoscaling_is_registered_keeps_the_count_it_is_given_and_goes_with_the_spec() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = emulator.sdk_config().await;
    let (ecs, aas) = (aws_sdk_ecs::Client::new(&config), aws_sdk_applicationautoscaling::Client::new(&config));

    let file = write(dir.path(), "ops.yaml", &scaled(SCALING, "1"));
    let first = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert!(first.stderr.contains("autoscaling: web 1–6 tasks on cpu 60 %, requests 500/min, 1 schedule"), "{}", first.stderr);
    assert_registered(&aas).await;

    // Something else (a policy, an operator) scales the service: plans and deploys leave the
    // count where it is.
    ecs.update_service().cluster("ops").service("web").desired_count(5).send().await.expect("scale from outside");
    let plan = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(plan.code, 0, "a count autoscaling moved is no change: {}", plan.stdout);
    let changed = write(dir.path(), "changed.yaml", &scaled(SCALING, "2"));
    let plan = emulator.run(&["plan", &changed], &[]);
    assert!(
        plan.stdout.contains("web: update, new task-definition revision; count managed by autoscaling (1–6), now 5"),
        "{}",
        plan.stdout
    );
    let redeployed = emulator.run(&["deploy", &changed, "--yes"], &[]);
    assert_eq!(redeployed.code, 0, "{}{}", redeployed.stdout, redeployed.stderr);
    assert_eq!(desired(&ecs).await, 5, "the deploy kept the count autoscaling set");

    // A new target is a change the plan shows, applied in place; a lower max brings the count
    // within it.
    let tighter = write(dir.path(), "tighter.yaml", &scaled(&SCALING.replace("max: 6", "max: 4").replace("cpu: 60", "cpu: 45"), "2"));
    let plan = emulator.run(&["plan", &tighter], &[]);
    assert!(plan.stdout.contains("~ autoscaling.cpu: \"60 %\" → \"45 %\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ autoscaling.max: \"6\" → \"4\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ desired_count: \"5\" → \"4\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("no new deployment"), "{}", plan.stdout);
    let tightened = emulator.run(&["deploy", &tighter, "--yes"], &[]);
    assert_eq!(tightened.code, 0, "{}{}", tightened.stdout, tightened.stderr);
    assert_eq!(desired(&ecs).await, 4, "brought within the new max");
    let again = emulator.run(&["plan", &tighter, "--detailed-exitcode"], &[]);
    assert_eq!(again.code, 0, "{}", again.stdout);

    // Without `autoscaling:`, the target and its policies go, and the spec's count is back.
    let plain = write(dir.path(), "plain.yaml", &scaled("", "2"));
    let plan = emulator.run(&["plan", &plain], &[]);
    assert!(plan.stdout.contains("- autoscaling.min: \"1\""), "{}", plan.stdout);
    let unscaled = emulator.run(&["deploy", &plain, "--yes"], &[]);
    assert_eq!(unscaled.code, 0, "{}{}", unscaled.stdout, unscaled.stderr);
    let targets = aas.describe_scalable_targets().service_namespace(ServiceNamespace::Ecs).send().await.expect("targets");
    assert!(targets.scalable_targets().is_empty(), "deregistered");
    assert_eq!(desired(&ecs).await, 2, "the spec's count again");
    let again = emulator.run(&["plan", &plain, "--detailed-exitcode"], &[]);
    assert_eq!(again.code, 0, "{}", again.stdout);

    // Destroy removes a target too.
    let back = emulator.run(&["deploy", &tighter, "--yes"], &[]);
    assert_eq!(back.code, 0, "{}{}", back.stdout, back.stderr);
    let destroyed = emulator.run(&["destroy", "--stack", "ops", "--yes"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    emulator.assert_nothing_left("ops").await;
}

#[tokio::test]
async fn a_canary_hands_its_autoscaling_to_the_colour_that_takes_the_traffic() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = emulator.sdk_config().await;
    let (ecs, aas) = (aws_sdk_ecs::Client::new(&config), aws_sdk_applicationautoscaling::Client::new(&config));
    let canary =
        "    deploy: { strategy: canary, canary: { steps: [50, 100], bake: 1s }, timeout: 1m }\n    autoscaling: { min: 2, max: 5, memory: 70 }\n";
    let first = emulator.run(&["deploy", &write(dir.path(), "v1.yaml", &scaled(canary, "1")), "--yes"], &[]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let target_of = || async {
        let out = aas.describe_scalable_targets().service_namespace(ServiceNamespace::Ecs).send().await.expect("targets");
        out.scalable_targets().iter().map(|t| t.resource_id().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(target_of().await, ["service/ops/web-blue"], "on the live colour");
    ecs.update_service().cluster("ops").service("web-blue").desired_count(4).send().await.expect("scale from outside");

    let second = emulator.run(&["deploy", &write(dir.path(), "v2.yaml", &scaled(canary, "2")), "--yes"], &[]);
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    assert!(second.stderr.contains("autoscaling: moved from web-blue to web-green"), "{}", second.stderr);
    assert_eq!(target_of().await, ["service/ops/web-green"], "moved with the traffic");
    let services = ecs.describe_services().cluster("ops").services("web-blue").services("web-green").send().await.expect("services");
    let counts: Vec<(String, i32)> =
        services.services().iter().map(|s| (s.service_name().unwrap_or("").to_string(), s.desired_count())).collect();
    assert!(counts.contains(&("web-green".to_string(), 4)), "the new colour took the count autoscaling had set: {counts:?}");
    assert!(counts.contains(&("web-blue".to_string(), 0)), "{counts:?}");
    let again = emulator.run(&["plan", &write(dir.path(), "v2b.yaml", &scaled(canary, "2")), "--detailed-exitcode"], &[]);
    assert_eq!(again.code, 0, "{}", again.stdout);

    // The next canary goes back to blue, which exists at 0 tasks: each step scales it up.
    let third = emulator.run(&["deploy", &write(dir.path(), "v3.yaml", &scaled(canary, "3")), "--yes"], &[]);
    assert_eq!(third.code, 0, "{}{}", third.stdout, third.stderr);
    assert_eq!(target_of().await, ["service/ops/web-blue"], "back with the traffic");
}

#[tokio::test]
async fn scale_sets_the_count_within_autoscaling_and_wait_waits_for_it() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let spec = scaled("", "1")
        .replace("services:\n", "services:\n  worker:\n    image: nginx:1.27\n    autoscaling: { min: 1, max: 3, cpu: 50 }\n");
    let file = write(dir.path(), "ops.yaml", &spec);
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    let scaled_up = emulator.run(&["scale", &file, "web", "3"], &[]);
    assert_eq!(scaled_up.code, 0, "{}{}", scaled_up.stdout, scaled_up.stderr);
    assert!(scaled_up.stdout.contains("web: 2 → 3 tasks, steady"), "{}", scaled_up.stdout);
    assert!(scaled_up.stderr.contains("the next deploy sets it back to count: 2"), "{}", scaled_up.stderr);
    assert_eq!(desired(&ecs).await, 3);
    let plan = emulator.run(&["plan", &file], &[]);
    assert!(plan.stdout.contains("~ desired_count: \"3\" → \"2\""), "the spec's count again: {}", plan.stdout);

    let outside = emulator.run(&["scale", &file, "worker", "5"], &[]);
    assert_eq!(outside.code, 1, "{}{}", outside.stdout, outside.stderr);
    assert!(outside.stderr.contains("worker is autoscaled between 1 and 3 tasks: 5 is outside that"), "{}", outside.stderr);
    let within = emulator.run(&["scale", &file, "worker", "3", "--no-wait"], &[]);
    assert_eq!(within.code, 0, "{}{}", within.stdout, within.stderr);
    assert!(!within.stderr.contains("next deploy"), "an autoscaled count stays: {}", within.stderr);
    let plan = emulator.run(&["plan", &file], &[]);
    assert!(!plan.stdout.contains("worker"), "{}", plan.stdout);

    let unknown = emulator.run(&["scale", &file, "wbe", "2"], &[]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("web") && unknown.stderr.contains("worker"), "names the services there are: {}", unknown.stderr);

    let waited = emulator.run(&["wait", &file, "--output", "json"], &[]);
    assert_eq!(waited.code, 0, "{}{}", waited.stdout, waited.stderr);
    assert_eq!(waited.result()["services"], serde_json::json!(["web", "worker"]));
}

#[tokio::test]
async fn deploy_no_wait_returns_while_ecs_rolls_out_and_wait_follows_it() {
    // Deployments take 4 s here: long enough to see one still in progress.
    let emulator = Emulator::start_with("4");
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = |version: &str, strategy: &str| {
        format!(
            "stack: nowait\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nservices:\n  api:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ {{ path: \"/*\" }} ]\n    env: {{ VERSION: \"{version}\" }}\n    deploy: {{ strategy: {strategy} }}\n"
        )
    };
    let file = write(dir.path(), "nowait.yaml", &spec("1", "rolling"));
    let first = emulator.run(&["deploy", &file, "--yes", "--no-wait"], &[]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert!(first.stdout.contains("not waited for: api still rolling out"), "{}", first.stdout);
    let status = emulator.run(&["status", &file, "--output", "json"], &[]).result();
    assert_eq!(status["services"][0]["rollout"], "IN_PROGRESS", "the run returned before ECS finished: {status}");
    let waited = emulator.run(&["wait", &file], &[]);
    assert_eq!(waited.code, 0, "{}{}", waited.stdout, waited.stderr);
    let status = emulator.run(&["status", &file, "--output", "json"], &[]).result();
    assert_eq!(status["services"][0]["rollout"], "COMPLETED", "{status}");

    // A canary's traffic is ecship's to move: --no-wait is refused before anything changes.
    let canary = write(dir.path(), "canary.yaml", &spec("2", "canary"));
    let refused = emulator.run(&["deploy", &canary, "--yes", "--no-wait"], &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("--no-wait: service api"), "{}", refused.stderr);
    let unchanged = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(unchanged.code, 0, "nothing was changed: {}", unchanged.stdout);

    assert_eq!(emulator.run(&["destroy", &file, "--yes"], &[]).code, 0);
    emulator.assert_nothing_left("nowait").await;
}

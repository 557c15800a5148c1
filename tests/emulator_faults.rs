//! Deploys that survive a flaky AWS: the real binary talks to the emulator through a proxy
//! (tests/faults/proxy.py) that fails a fifth of the calls — throttling, 5xx answers and
//! dropped connections — and the end state must equal that of a clean run beside it.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/faults.rs"]
mod faults;

use std::path::Path;

use emulator::{Emulator, Run};
use faults::FaultProxy;
use serde_json::{json, Value};

const IMAGES: [&str; 4] = [
    "--image",
    "monolith=123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/monolith:v1",
    "--image",
    "like=123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/like:v1",
];

/// `ecship ARGS` against `emulator`, through `proxy` when given.
fn run(emulator: &Emulator, proxy: Option<&FaultProxy>, args: &[&str]) -> Run {
    let mut env = vec![("LOGLEVEL", "debug")];
    if let Some(p) = proxy {
        env.push(("AWS_ENDPOINT_URL", p.url.as_str()));
    }
    emulator.run(args, &env)
}

/// A copy of stacks/mysfits.yaml with a shorter canary bake, beside the example's build
/// contexts; `changed`: with new settings for both services.
fn quick_mysfits(dir: &Path, changed: bool) -> String {
    let mut text =
        std::fs::read_to_string(common::root().join("stacks/mysfits.yaml")).expect("the example").replace("bake: 5m", "bake: 1s");
    if changed {
        text = text.replace("DDB_TABLE: mysfits", "DDB_TABLE: mysfits-v2").replace("${LOGLEVEL:-info}", "warn");
    }
    let path = dir.join("mysfits.yaml");
    std::fs::write(&path, text).expect("write");
    std::os::unix::fs::symlink(common::root().join("stacks/mysfits"), dir.join("mysfits")).expect("link build contexts");
    path.display().to_string()
}

/// What a user would compare between two deployments of one stack: its resources, its ECS
/// services (desired count, task-definition revision) and its active task definitions.
async fn state(emulator: &Emulator, stack: &str) -> Value {
    let config = emulator.sdk_config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let resources = cfn.list_stack_resources().stack_name(stack).send().await.expect("ListStackResources");
    let mut resources: Vec<(String, String, String)> = resources
        .stack_resource_summaries()
        .iter()
        .map(|r| {
            (
                r.logical_resource_id().unwrap_or("").to_string(),
                r.resource_type().unwrap_or("").to_string(),
                r.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            )
        })
        .collect();
    resources.sort();
    let ecs = aws_sdk_ecs::Client::new(&config);
    let arns = ecs.list_services().cluster(stack).send().await.expect("ListServices").service_arns().to_vec();
    let described = ecs.describe_services().cluster(stack).set_services(Some(arns)).send().await.expect("DescribeServices");
    let revision = |arn: &str| arn.rsplit('/').next().unwrap_or("").to_string();
    let mut services: Vec<(String, i32, String)> = described
        .services()
        .iter()
        .map(|s| (s.service_name().unwrap_or("").to_string(), s.desired_count(), revision(s.task_definition().unwrap_or(""))))
        .collect();
    services.sort();
    let defs = ecs.list_task_definitions().family_prefix(format!("{stack}-")).send().await.expect("ListTaskDefinitions");
    let mut defs: Vec<String> = defs.task_definition_arns().iter().map(|a| revision(a)).collect();
    defs.sort();
    json!({ "resources": resources, "services": services, "task_definitions": defs })
}

#[tokio::test(flavor = "multi_thread")]
async fn mysfits_deploys_plans_changes_and_is_destroyed_with_a_fifth_of_aws_calls_failing() {
    let (clean, flaky) = (Emulator::start(), Emulator::start());
    let proxy = FaultProxy::start(&flaky.url, &["--rate", "0.2", "--kinds", "throttle,5xx,drop", "--seed", "7"]);
    let dir = tempfile::tempdir().expect("dir");
    let first = quick_mysfits(dir.path(), false);

    let deploy = |emulator: &Emulator, proxy: Option<&FaultProxy>, file: &str| {
        let mut args = vec!["deploy", file, "--output", "json"];
        args.extend_from_slice(&IMAGES);
        let out = run(emulator, proxy, &args);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        out.result()
    };
    deploy(&clean, None, &first);
    let result = deploy(&flaky, Some(&proxy), &first);
    let retries = result["retries"].as_u64().expect("retries are counted");
    assert!(retries > 0, "faults were retried: {result}");
    assert_eq!(state(&flaky, "mysfits").await, state(&clean, "mysfits").await, "the same end state as a clean run");

    // Nothing to change, even when asked through the faults.
    let mut args = vec!["plan", &first, "--detailed-exitcode"];
    args.extend_from_slice(&IMAGES);
    let plan = run(&flaky, Some(&proxy), &args);
    assert_eq!(plan.code, 0, "no changes: {}{}", plan.stdout, plan.stderr);

    // A change: new revisions of both, the rolling one by ECS, the canary step by step.
    let dir2 = tempfile::tempdir().expect("dir");
    let second = quick_mysfits(dir2.path(), true);
    deploy(&clean, None, &second);
    let changed = deploy(&flaky, Some(&proxy), &second);
    assert_eq!(changed["changed"], true);
    assert_eq!(state(&flaky, "mysfits").await, state(&clean, "mysfits").await, "the same end state after a change");

    let destroyed = run(&flaky, Some(&proxy), &["destroy", &second, "--yes", "--output", "json"]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    flaky.assert_nothing_left("mysfits").await;

    let report = proxy.report().expect("the proxy's report");
    for kind in ["throttle", "5xx", "drop"] {
        assert!(report["faults"][kind].as_u64().unwrap_or(0) > 0, "{kind} faults were injected: {report}");
    }
    let (faults, forwarded) = (proxy.injected() as f64, report["forwarded"].as_f64().unwrap_or(0.0));
    assert!(faults / (faults + forwarded) > 0.1, "about a fifth of the calls failed: {report}");
}

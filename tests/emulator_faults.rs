//! Deploys that survive a flaky AWS: the real binary talks to the emulator through a proxy
//! (tests/faults/proxy.py) that fails a fifth of the calls — throttling, 5xx answers and
//! dropped connections — and the end state must equal that of a clean run beside it.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/faults.rs"]
mod faults;

use emulator::{Emulator, Run};
use faults::FaultProxy;

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

#[tokio::test(flavor = "multi_thread")]
async fn mysfits_deploys_plans_changes_and_is_destroyed_with_a_fifth_of_aws_calls_failing() {
    let (clean, flaky) = (Emulator::start(), Emulator::start());
    let proxy = FaultProxy::start(&flaky.url, &["--rate", "0.2", "--kinds", "throttle,5xx,drop", "--seed", "7"]);
    let dir = tempfile::tempdir().expect("dir");
    let first = common::quick_mysfits(dir.path(), false);

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
    assert_eq!(flaky.state("mysfits").await, clean.state("mysfits").await, "the same end state as a clean run");

    // Nothing to change, even when asked through the faults.
    let mut args = vec!["plan", &first, "--detailed-exitcode"];
    args.extend_from_slice(&IMAGES);
    let plan = run(&flaky, Some(&proxy), &args);
    assert_eq!(plan.code, 0, "no changes: {}{}", plan.stdout, plan.stderr);

    // A change: new revisions of both, the rolling one by ECS, the canary step by step.
    let dir2 = tempfile::tempdir().expect("dir");
    let second = common::quick_mysfits(dir2.path(), true);
    deploy(&clean, None, &second);
    let changed = deploy(&flaky, Some(&proxy), &second);
    assert_eq!(changed["changed"], true);
    assert_eq!(flaky.state("mysfits").await, clean.state("mysfits").await, "the same end state after a change");

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

#[tokio::test(flavor = "multi_thread")]
async fn writes_whose_answers_are_lost_are_sent_again_safely() {
    // Every write reaches the emulator and takes effect, but its first answer is lost: the SDK
    // sends it again (with the same client token where the API takes one), and that must
    // neither fail nor do the work twice.
    let emulator = Emulator::start();
    let writes = [
        "CreateStack",
        "UpdateStack",
        "DeleteStack",
        "RegisterTaskDefinition",
        "CreateService",
        "UpdateService",
        "DeleteService",
        "DeregisterTaskDefinition",
        "DeleteTaskDefinitions",
        "ModifyRule",
        "CreateRepository",
        "DeleteRepository",
    ]
    .join(",");
    let proxy = FaultProxy::start(&emulator.url, &["--rate", "1", "--max-in-a-row", "1", "--kinds", "drop-after", "--ops", &writes]);
    let (dir1, dir2) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    for file in [common::quick_mysfits(dir1.path(), false), common::quick_mysfits(dir2.path(), true)] {
        let mut args = vec!["deploy", &file];
        args.extend_from_slice(&IMAGES);
        let out = run(&emulator, Some(&proxy), &args);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        let mut args = vec!["plan", &file, "--detailed-exitcode"];
        args.extend_from_slice(&IMAGES);
        let plan = run(&emulator, None, &args);
        assert_eq!(plan.code, 0, "deployed as planned: {}{}", plan.stdout, plan.stderr);
    }
    let destroyed = run(&emulator, Some(&proxy), &["destroy", "--stack", "mysfits", "--yes"]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    emulator.assert_nothing_left("mysfits").await;
    let report = proxy.report().expect("the proxy's report");
    for op in ["CreateStack", "CreateService", "RegisterTaskDefinition", "ModifyRule", "DeleteStack", "CreateRepository"] {
        assert!(report["by_operation"][op].as_u64().unwrap_or(0) > 0, "{op} lost an answer: {report}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_rides_out_bursts_of_five_throttles_in_a_row_on_one_operation() {
    // As AWS throttles under load: each call of these operations is refused five times in a
    // row before one goes through (calls made at once share a burst, so some wait longer).
    let emulator = Emulator::start();
    let (dir1, dir2) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (first, second) = (common::quick_mysfits(dir1.path(), false), common::quick_mysfits(dir2.path(), true));
    let mut args = vec!["deploy", &first];
    args.extend_from_slice(&IMAGES);
    assert_eq!(run(&emulator, None, &args).code, 0);
    let ops = "DescribeStacks,RegisterTaskDefinition,UpdateService,DescribeServices,ModifyRule,CreateRepository";
    let proxy = FaultProxy::start(&emulator.url, &["--rate", "1", "--burst", "5", "--kinds", "throttle", "--ops", ops]);

    let mut args = vec!["deploy", &second, "--output", "json"];
    args.extend_from_slice(&IMAGES);
    let out = run(&emulator, Some(&proxy), &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report = proxy.report().expect("the proxy's report");
    assert_eq!(report["longest_burst"], 5, "{report}");
    for op in ["RegisterTaskDefinition", "UpdateService", "ModifyRule", "DescribeServices", "CreateRepository"] {
        assert!(report["by_operation"][op].as_u64().unwrap_or(0) >= 5, "{op} met a burst: {report}");
    }
    // Each wait was told as it began: the operation, why, and which attempt of how many.
    let waits: Vec<serde_json::Value> =
        out.stdout.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).filter(|e| e["event"] == "waiting").collect();
    let told = |op: &str, attempt: u64| {
        waits.iter().any(|w| w["operation"] == op && w["reason"] == "throttled" && w["attempt"] == attempt && w["attempts"] == 25)
    };
    assert!(told("ECS.UpdateService", 5) && told("Elastic Load Balancing v2.ModifyRule", 1), "{waits:?}");
    assert!(out.result()["retries"].as_u64().unwrap_or(0) >= 25, "{}", out.result());

    let mut args = vec!["plan", &second, "--detailed-exitcode"];
    args.extend_from_slice(&IMAGES);
    let plan = run(&emulator, None, &args);
    assert_eq!(plan.code, 0, "deployed as planned: {}{}", plan.stdout, plan.stderr);
}

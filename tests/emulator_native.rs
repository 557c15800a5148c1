//! Rollouts ECS runs natively (`deploy.engine: ecs`), end to end: the real binary against the
//! emulator, whose service deployments go through ECS's lifecycle stages and move the listener
//! rules' weights themselves (a minute of bake lasts a second there). Traffic is read back
//! from the rules, and the service and its deployments from ECS, as a user would.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/rollouts.rs"]
mod rollouts;

use std::time::{Duration, Instant};

use emulator::Emulator;
use rollouts::{alarm, deploy_in_background, finish, run, spec, test_rule_headers, until, weights, CheckServer};

/// The ECS service `web`: (task-definition revision, deployment strategy).
async fn service(emulator: &Emulator, stack: &str) -> (String, String) {
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let out = ecs.describe_services().cluster(stack).services("web").services("web-blue").send().await.expect("services");
    let names: Vec<&str> = out.services().iter().filter_map(|s| s.service_name()).collect();
    assert_eq!(names, ["web"], "one ECS service, no colours");
    let s = &out.services()[0];
    let strategy = s.deployment_configuration().and_then(|d| d.strategy()).map(|s| s.as_str().to_string()).unwrap_or_default();
    (s.task_definition().unwrap_or("").rsplit('/').next().unwrap_or("").to_string(), strategy)
}

/// The status of the service's newest service deployment.
async fn latest_status(emulator: &Emulator, stack: &str) -> String {
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let list = ecs.list_service_deployments().cluster(stack).service("web").send().await.expect("ListServiceDeployments");
    let newest = list.service_deployments().iter().max_by_key(|b| b.created_at().map(|t| t.as_nanos())).expect("a deployment");
    let arn = newest.service_deployment_arn().expect("an ARN");
    let out = ecs.describe_service_deployments().service_deployment_arns(arn).send().await.expect("DescribeServiceDeployments");
    out.service_deployments()[0].status().map(|s| s.as_str().to_string()).unwrap_or_default()
}

/// Wait (a minute at most) until ECS has rolled `revision` out with no ecship run watching.
async fn ecs_finishes(emulator: &Emulator, stack: &str, revision: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while latest_status(emulator, stack).await != "SUCCESSFUL" || service(emulator, stack).await.0 != revision {
        assert!(Instant::now() < deadline, "ECS carries the rollout of {revision} on without ecship");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_strategy_rolls_out_through_ecs_and_swaps_target_groups_each_time() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let strategies = [
        (
            "bg",
            "{ strategy: blue_green, blue_green: { bake: 1m }, engine: ecs, timeout: 5m }",
            "BLUE_GREEN",
            "switches all production traffic",
        ),
        (
            "canary",
            "{ strategy: canary, canary: { percent: 10, bake: 3m }, engine: ecs, timeout: 5m }",
            "CANARY",
            "sends 10 % of production traffic",
        ),
        (
            "linear",
            "{ strategy: linear, linear: { step: 25, bake: 3m }, engine: ecs, timeout: 5m }",
            "LINEAR",
            "moves 25 % more production traffic",
        ),
    ];
    for (stack, deploy, native, words) in strategies {
        let first = run(&emulator, &check, &["deploy", &spec(dir.path(), stack, "1", deploy, "")]);
        assert_eq!(first.code, 0, "{stack}: {}", first.stderr);
        assert_eq!(service(&emulator, stack).await, (format!("{stack}-web:1"), native.to_string()));
        assert_eq!(weights(&emulator, stack).await, (100, 0), "{stack}");

        let v2 = spec(dir.path(), stack, "2", deploy, "");
        let plan = run(&emulator, &check, &["plan", &v2]);
        assert!(plan.stdout.contains(&format!("ECS ({} deployment) starts 4 tasks", native.to_lowercase())), "{stack}: {}", plan.stdout);
        assert!(plan.stdout.contains(words), "{stack}: {}", plan.stdout);
        let second = run(&emulator, &check, &["deploy", &v2]);
        assert_eq!(second.code, 0, "{stack}: {}", second.stderr);
        assert!(second.stderr.contains("web: BAKE_TIME (baking, 100 % on the new revision)"), "{stack}: {}", second.stderr);
        assert_eq!(service(&emulator, stack).await.0, format!("{stack}-web:2"));
        assert_eq!(weights(&emulator, stack).await, (0, 100), "{stack}: ECS moved the traffic to the other target group");
        assert_eq!(latest_status(&emulator, stack).await, "SUCCESSFUL");
        // The day-2 verbs find the one ECS service.
        assert_eq!(run(&emulator, &check, &["wait", &v2]).code, 0, "{stack}: wait");
        let scaled = run(&emulator, &check, &["scale", &v2, "web", "5"]);
        assert_eq!(scaled.code, 0, "{stack}: {}", scaled.stderr);

        // The next revision starts in the target group the traffic left.
        let third = run(&emulator, &check, &["deploy", &spec(dir.path(), stack, "3", deploy, "")]);
        assert_eq!(third.code, 0, "{stack}: {}", third.stderr);
        assert_eq!(weights(&emulator, stack).await, (100, 0), "{stack}");
        let again = run(&emulator, &check, &["plan", &spec(dir.path(), stack, "3", deploy, ""), "--detailed-exitcode"]);
        assert_eq!(again.code, 0, "{stack}: nothing to change once done: {}", again.stdout);
    }
    // A minute of bake lasts a second on the emulator: each step is seen as ECS takes it.
    let canary = run(&emulator, &check, &["deploy", &spec(dir.path(), "canary", "4", strategies[1].1, "")]);
    assert!(canary.stderr.contains("PRODUCTION_TRAFFIC_SHIFT (production traffic moving, 10 % on the new revision)"), "{}", canary.stderr);
    let linear = run(&emulator, &check, &["deploy", &spec(dir.path(), "linear", "4", strategies[2].1, "")]);
    for share in [25, 50, 75] {
        assert!(
            linear.stderr.contains(&format!("PRODUCTION_TRAFFIC_SHIFT (production traffic moving, {share} % on the new revision)")),
            "linear steps of 25 %: {}",
            linear.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_looping_revision_is_rolled_back_through_ecs_naming_the_stop_reason_first() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let strategies = [
        ("bg", "{ strategy: blue_green, blue_green: { bake: 10m }, engine: ecs, timeout: 15m }"),
        ("canary", "{ strategy: canary, canary: { percent: 10, bake: 10m }, engine: ecs, timeout: 15m }"),
        ("linear", "{ strategy: linear, linear: { step: 20, bake: 10m }, engine: ecs, timeout: 15m }"),
    ];
    // ECS's circuit breaker would take five minutes: ecship stops the deployment first.
    let crash = ", EMULATOR_TASK_FAILURE: \"Essential container in task exited\", EMULATOR_BREAKER_SECONDS: \"300\"";
    for (stack, deploy) in strategies {
        assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), stack, "1", deploy, "")]).code, 0);
        let started = Instant::now();
        let failed = run(&emulator, &check, &["deploy", &spec(dir.path(), stack, "2", deploy, crash)]);
        assert_eq!(failed.code, 3, "{stack}: {}", failed.stderr);
        assert!(started.elapsed() < Duration::from_secs(60), "{stack}: failed in {:?}", started.elapsed());
        let error = failed.stderr.split("error: ").nth(1).expect("an error");
        let first: Vec<&str> = error.lines().take(2).collect();
        assert!(
            first.iter().any(|l| l.contains("of the new revision stopped: Essential container in task exited (web: exit code 1)")),
            "{stack}: {first:?}"
        );
        assert!(failed.stderr.contains("ECS returns the traffic to the old revision"), "{stack}: {}", failed.stderr);
        assert_eq!(latest_status(&emulator, stack).await, "ROLLBACK_SUCCESSFUL", "{stack}");
        assert_eq!(service(&emulator, stack).await.0, format!("{stack}-web:1"), "{stack}: back on the old revision");
        assert_eq!(weights(&emulator, stack).await, (100, 0), "{stack}: the traffic never left");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alarm_going_off_mid_bake_rolls_the_native_rollout_back_at_once() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    alarm(&emulator, "bg-5xx", "OK", "fine").await;
    // A 30-minute bake lasts 30 s on the emulator.
    let deploy = "{ strategy: blue_green, blue_green: { bake: 30m }, engine: ecs, alarms: [bg-5xx], timeout: 60m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "alarmed", "1", deploy, "")]).code, 0);
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let out = ecs.describe_services().cluster("alarmed").services("web").send().await.expect("the service");
    let alarms = out.services()[0].deployment_configuration().and_then(|d| d.alarms()).expect("ECS has the alarms");
    assert!(alarms.enable() && alarms.rollback(), "ECS rolls back on them too, with no one watching");

    let (child, mut lines) = deploy_in_background(&emulator, &check, &spec(dir.path(), "alarmed", "2", deploy, ""));
    until(&mut lines, "BAKE_TIME");
    assert_eq!(weights(&emulator, "alarmed").await, (0, 100), "baking with all traffic on the new revision");
    let started = Instant::now();
    alarm(&emulator, "bg-5xx", "ALARM", "5xx above 10 a minute").await;
    let (code, out) = finish(child, lines);
    assert_eq!(code, 3, "rolled back: {out}");
    assert!(started.elapsed() < Duration::from_secs(15), "at the alarm, not at the end of the bake: {:?}", started.elapsed());
    assert!(out.contains("bg-5xx") && out.contains("ALARM"), "{out}");
    assert_eq!(weights(&emulator, "alarmed").await, (100, 0), "all traffic back at once");
    assert_eq!(service(&emulator, "alarmed").await.0, "alarmed-web:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_runs_through_the_test_rule_at_ecs_pause_and_approval_holds_before_production_traffic() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: blue_green, blue_green: { bake: 1m }, engine: ecs, check: { http: /health, interval: 1s, failures: 2 }, approve: true, timeout: 5m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "paused", "1", deploy, "")]).code, 0);

    // Held at ECS's pause with the check passed and no production traffic moved, until approved.
    let v2 = spec(dir.path(), "paused", "2", deploy, "");
    let (child, mut lines) = deploy_in_background(&emulator, &check, &v2);
    // The check runs through the test rule at ECS's pause, before the hold.
    until(&mut lines, "through the test rule");
    until(&mut lines, "held for approval");
    assert_eq!(weights(&emulator, "paused").await, (100, 0), "no production traffic moves while held");
    let approved = run(&emulator, &check, &["approve", &v2, "web"]);
    assert_eq!(approved.code, 0, "{}", approved.stderr);
    let (code, out) = finish(child, lines);
    assert_eq!(code, 0, "{out}");
    assert_eq!(weights(&emulator, "paused").await, (0, 100));
    // The check went through the test rule (before the hold, so `until` read its step): with
    // the value the rule holds, the revision's name and the stack's secret, read back from it.
    let sent = check.test_headers();
    assert!(!sent.is_empty() && sent.iter().all(|v| v.starts_with("web-next.") && v.len() == "web-next.".len() + 32), "{sent:?}");
    assert_eq!(test_rule_headers(&emulator).await, vec![("X-Ecship-Colour".to_string(), sent)]);

    // The new revision failing its check through the test rule never gets production traffic.
    check.answer_colour("web-next", 503);
    let failed = run(&emulator, &check, &["deploy", &spec(dir.path(), "paused", "3", deploy, "")]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert!(failed.stderr.contains("HTTP check failed"), "{}", failed.stderr);
    assert!(failed.stderr.contains("X-Ecship-Colour: (sensitive), to web's new revision"), "{}", failed.stderr);
    assert_eq!(weights(&emulator, "paused").await, (0, 100), "the traffic stays where it was");
    assert_eq!(service(&emulator, "paused").await.0, "paused-web:2");

    // Held again, and rolled back from another terminal.
    check.answer_colour("web-next", 200);
    let v4 = spec(dir.path(), "paused", "4", deploy, "");
    let (child, mut lines) = deploy_in_background(&emulator, &check, &v4);
    until(&mut lines, "held for approval");
    let rejected = run(&emulator, &check, &["rollback", &v4, "--service", "web", "--yes"]);
    assert_eq!(rejected.code, 0, "{}", rejected.stderr);
    let (code, out) = finish(child, lines);
    assert_eq!(code, 3, "rolled back: {out}");
    assert!(out.contains("rejected while held for approval"), "{out}");
    assert_eq!(service(&emulator, "paused").await.0, "paused-web:2");
    assert_eq!(latest_status(&emulator, "paused").await, "ROLLBACK_SUCCESSFUL");
    let status = run(&emulator, &check, &["status", "--stack", "paused", "--output", "json"]);
    assert_eq!(status.result()["services"][0]["held"], serde_json::Value::Null, "nothing is held any more: {}", status.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_native_rollout_carries_on_when_the_run_is_killed_and_the_next_deploy_follows_it() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: canary, canary: { percent: 20, bake: 6m }, engine: ecs, timeout: 10m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "killed", "1", deploy, "")]).code, 0);
    let v2 = spec(dir.path(), "killed", "2", deploy, "");
    let (mut child, mut lines) = deploy_in_background(&emulator, &check, &v2);
    until(&mut lines, "20 % on the new revision");
    child.kill().expect("kill the run");
    let _ = child.wait();
    assert_eq!(weights(&emulator, "killed").await, (80, 20), "the canary share ECS set");

    // The next deploy finds the rollout under way and follows it to the end.
    let resumed = run(&emulator, &check, &["deploy", &v2]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert!(resumed.stderr.contains("rollout: canary web by ECS to killed-web:2"), "{}", resumed.stderr);
    assert_eq!(weights(&emulator, "killed").await, (0, 100));
    assert_eq!(latest_status(&emulator, "killed").await, "SUCCESSFUL");

    // Killed again with no run after it: ECS finishes alone.
    let (mut child, mut lines) = deploy_in_background(&emulator, &check, &spec(dir.path(), "killed", "3", deploy, ""));
    until(&mut lines, "20 % on the new revision");
    child.kill().expect("kill the run");
    let _ = child.wait();
    ecs_finishes(&emulator, "killed", "killed-web:3").await;
    assert_eq!(weights(&emulator, "killed").await, (100, 0));

    // So `--no-wait` may leave a native rollout to ECS (it refuses ecship's own engine).
    let left = run(&emulator, &check, &["deploy", &spec(dir.path(), "killed", "4", deploy, ""), "--no-wait"]);
    assert_eq!(left.code, 0, "{}", left.stderr);
    ecs_finishes(&emulator, "killed", "killed-web:4").await;
    assert_eq!(weights(&emulator, "killed").await, (0, 100));

    // `--wait-until baking` returns once all production traffic moved, before the bake.
    let baking = run(&emulator, &check, &["deploy", &spec(dir.path(), "killed", "5", deploy, ""), "--wait-until", "baking"]);
    assert_eq!(baking.code, 0, "{}", baking.stderr);
    assert!(baking.stderr.contains("web: all production traffic on killed-web:5; ECS bakes and finishes the rollout"), "{}", baking.stderr);
    assert_eq!(weights(&emulator, "killed").await, (100, 0));
    assert_ne!(latest_status(&emulator, "killed").await, "SUCCESSFUL", "it returned before the bake was over");
    ecs_finishes(&emulator, "killed", "killed-web:5").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_native_rollout_left_held_at_ecs_pause_is_carried_on_once_approved_or_rolled_back_by_hand() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: linear, linear: { step: 50, bake: 1m }, engine: ecs, approve: true, timeout: 10m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "left", "1", deploy, "")]).code, 0);

    // A CI job deploys until held, and ends; ECS waits at its pause.
    let v2 = spec(dir.path(), "left", "2", deploy, "");
    let held = run(&emulator, &check, &["deploy", &v2, "--wait-until", "held"]);
    assert_eq!(held.code, 0, "{}", held.stderr);
    assert!(held.stdout.contains("held for approval: web"), "{}", held.stdout);
    assert_eq!(weights(&emulator, "left").await, (100, 0), "no production traffic moved");
    let status = run(&emulator, &check, &["status", &v2]);
    assert!(status.stdout.contains("held for approval: left-web:2"), "status tells: {}", status.stdout);

    // Another approves it; the next deploy tells ECS to go on and follows it to the end.
    assert_eq!(run(&emulator, &check, &["approve", &v2, "web"]).code, 0);
    let carried = run(&emulator, &check, &["deploy", &v2]);
    assert_eq!(carried.code, 0, "{}", carried.stderr);
    assert!(carried.stderr.contains("approved: left-web:2"), "{}", carried.stderr);
    assert_eq!(weights(&emulator, "left").await, (0, 100));
    assert_eq!(latest_status(&emulator, "left").await, "SUCCESSFUL");

    // Held again, and rolled back by hand while no deploy runs: ECS is told to roll back.
    let v3 = spec(dir.path(), "left", "3", deploy, "");
    assert_eq!(run(&emulator, &check, &["deploy", &v3, "--wait-until", "held"]).code, 0);
    let rolled = run(&emulator, &check, &["rollback", &v3, "--service", "web", "--yes"]);
    assert_eq!(rolled.code, 0, "{}", rolled.stderr);
    assert_eq!(latest_status(&emulator, "left").await, "ROLLBACK_SUCCESSFUL");
    assert_eq!(service(&emulator, "left").await.0, "left-web:2");
    assert_eq!(weights(&emulator, "left").await, (0, 100), "the traffic stays on the revision it was on");
    let status = run(&emulator, &check, &["status", &v3]);
    assert!(!status.stdout.contains("held for approval"), "nothing is held any more: {}", status.stdout);
}

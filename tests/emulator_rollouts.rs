//! Canary and blue/green rollouts end to end: the real binary against the emulator, whose
//! running tasks are their target group's targets (healthy, or unhealthy on demand), with the
//! HTTP check pointed at a server the test controls. Traffic is read back from the listener
//! rules, and the colours from ECS, as a user would.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/faults.rs"]
mod faults;
#[path = "common/rollouts.rs"]
mod rollouts;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use emulator::Emulator;
use faults::FaultProxy;
use rollouts::{alarm, all_weights, deploy_in_background, finish, run, spec, test_rule_headers, until, weights, CheckServer};
use serde_json::Value;

/// (desired count, task-definition revision) of each colour.
async fn colours(emulator: &Emulator, stack: &str) -> [(i32, String); 2] {
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let out = ecs.describe_services().cluster(stack).services("web-blue").services("web-green").send().await.expect("services");
    let of = |name: &str| {
        out.services()
            .iter()
            .find(|s| s.service_name() == Some(name))
            .map(|s| (s.desired_count(), s.task_definition().unwrap_or("").rsplit('/').next().unwrap_or("").to_string()))
            .unwrap_or((0, String::new()))
    };
    [of("web-blue"), of("web-green")]
}

fn traffic_events(stdout: &str) -> Vec<(u64, u64)> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "traffic")
        .map(|e| (e["blue"].as_u64().unwrap_or(0), e["green"].as_u64().unwrap_or(0)))
        .collect()
}

const CANARY: &str = "{ strategy: canary, canary: { steps: [10, 50, 100], bake: 2s }, timeout: 1m }";

#[tokio::test(flavor = "multi_thread")]
async fn a_canary_moves_traffic_step_by_step_then_retires_the_old_colour() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let v1 = spec(dir.path(), "can", "1", CANARY, "");
    let v2 = spec(dir.path(), "can", "2", CANARY, "");
    assert_eq!(run(&emulator, &check, &["deploy", &v1]).code, 0);
    assert_eq!(weights(&emulator, "can").await, (100, 0));

    let plan = run(&emulator, &check, &["plan", &v2]);
    assert!(plan.stdout.contains("run 1 task on green and send it 10 % of the traffic"), "{}", plan.stdout);
    let deploy = run(&emulator, &check, &["deploy", &v2, "--output", "json"]);
    assert_eq!(deploy.code, 0, "{}", deploy.stderr);
    assert_eq!(traffic_events(&deploy.stdout), vec![(90, 10), (50, 50), (0, 100)]);
    assert_eq!(weights(&emulator, "can").await, (0, 100));
    assert_eq!(colours(&emulator, "can").await, [(0, "can-web:1".into()), (4, "can-web:2".into())]);
    let status = run(&emulator, &check, &["status", &v2]);
    assert!(
        status
            .stdout
            .contains("service web-green: 4/4 running (0 pending), can-web:2, 1 deployment, rollout completed, 100 % of the traffic"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("running (0 pending), can-web:1, 1 deployment, rollout completed, 0 % of the traffic"),
        "{}",
        status.stdout
    );
    // Moved traffic is not a change to plan: the template follows the rules.
    let again = run(&emulator, &check, &["plan", &v2, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);

    // The next revision goes the other way, onto blue.
    let v3 = spec(dir.path(), "can", "3", CANARY, "");
    let deploy = run(&emulator, &check, &["deploy", &v3, "--output", "json"]);
    assert_eq!(deploy.code, 0, "{}", deploy.stderr);
    assert_eq!(traffic_events(&deploy.stdout), vec![(10, 90), (50, 50), (100, 0)]);
    assert_eq!(colours(&emulator, "can").await, [(4, "can-web:3".into()), (0, "can-web:2".into())]);
    assert_eq!(run(&emulator, &check, &["destroy", &v3, "--yes"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_canary_failing_its_http_check_at_10_percent_is_rolled_back() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: canary, canary: { steps: [10, 50, 100], bake: 1m }, check: { http: /health, expect: 200, interval: 1s, failures: 2 }, timeout: 1m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "chk", "1", deploy, "")]).code, 0);
    // The new colour answers through its test rule, so it takes traffic; then the live
    // traffic fails.
    check.answer_colour("web-green", 200);
    check.answer(503);
    let failed = run(&emulator, &check, &["deploy", &spec(dir.path(), "chk", "2", deploy, "")]);
    assert_eq!(failed.code, 3, "exit code 3 means rolled back: {}", failed.stderr);
    assert!(failed.stderr.contains("HTTP check failed 2 times in a row"), "{}", failed.stderr);
    assert!(failed.stderr.contains(&format!("GET {}/health: 503, expected 200", check.url)), "{}", failed.stderr);
    assert_eq!(weights(&emulator, "chk").await, (100, 0));
    assert_eq!(colours(&emulator, "chk").await, [(4, "chk-web:1".into()), (0, "chk-web:2".into())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_linear_rollout_moves_traffic_in_equal_steps() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let linear = "{ strategy: linear, linear: { step: 25, bake: 1s }, check: { http: /health, interval: 1s }, timeout: 1m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "lin", "1", linear, "")]).code, 0);
    let v2 = spec(dir.path(), "lin", "2", linear, "");
    let plan = run(&emulator, &check, &["plan", &v2]);
    assert!(plan.stdout.contains("web-blue (linear,"), "{}", plan.stdout);
    assert!(plan.stdout.contains("run 3 tasks on green and send it 75 % of the traffic"), "{}", plan.stdout);
    let deploy = run(&emulator, &check, &["deploy", &v2, "--output", "json"]);
    assert_eq!(deploy.code, 0, "{}", deploy.stderr);
    assert_eq!(traffic_events(&deploy.stdout), vec![(75, 25), (50, 50), (25, 75), (0, 100)]);
    assert_eq!(colours(&emulator, "lin").await, [(0, "lin-web:1".into()), (4, "lin-web:2".into())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolling_service_failing_its_http_check_once_steady_is_rolled_back() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: rolling, check: { http: /health, expect: 200, interval: 1s, failures: 2 }, timeout: 1m }";
    let first = run(&emulator, &check, &["deploy", &spec(dir.path(), "rchk", "1", deploy, "")]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains(&format!("check: web GET {}/health → 200", check.url)), "the check ran: {}", first.stderr);
    let v2 = spec(dir.path(), "rchk", "2", deploy, "");
    let plan = run(&emulator, &check, &["plan", &v2]);
    assert!(
        plan.stdout.contains("once steady, the HTTP check through the load balancer (GET /health → 200, every 1s): 2 failures in a row roll back to the previous revision"),
        "{}",
        plan.stdout
    );
    check.answer(503);
    let failed = run(&emulator, &check, &["deploy", &v2]);
    assert_eq!(failed.code, 3, "exit code 3 means rolled back: {}", failed.stderr);
    assert!(
        failed.stderr.contains(&format!("HTTP check failed: GET {}/health: 503, expected 200 (2 times in a row)", check.url)),
        "{}",
        failed.stderr
    );
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let out = ecs.describe_services().cluster("rchk").services("web").send().await.expect("DescribeServices");
    assert_eq!(out.services()[0].task_definition().map(|t| t.ends_with("/rchk-web:1")), Some(true), "back on the previous revision");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_url_is_requested_instead_of_the_load_balancer() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy =
        format!("{{ strategy: doubling, check: {{ url: \"{}/ready?deep=1\", interval: 1s, failures: 1 }}, timeout: 1m }}", check.url);
    // No --check-endpoint: the spec's URL is where the check goes.
    let first = emulator.run(&["deploy", &spec(dir.path(), "url", "1", &deploy, "")], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains(&format!("check: web GET {}/ready?deep=1 → 200", check.url)), "{}", first.stderr);
    check.answer(500);
    let failed = emulator.run(&["deploy", &spec(dir.path(), "url", "2", &deploy, "")], &[]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert!(failed.stderr.contains(&format!("HTTP check failed: GET {}/ready?deep=1: 500, expected 200", check.url)), "{}", failed.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_looping_rolling_and_doubling_services_are_rolled_back_by_ecship_long_before_the_circuit_breaker() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    for strategy in ["rolling", "doubling"] {
        let stack = format!("crash-{strategy}");
        let deploy = "{ strategy: STRATEGY, timeout: 5m }".replace("STRATEGY", strategy);
        assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), &stack, "1", &deploy, "")]).code, 0);
        // The new tasks exit at once, with code 1; ECS's circuit breaker would trip only
        // two minutes later.
        let crash = ", EMULATOR_TASK_FAILURE: \"Essential container in task exited\", EMULATOR_BREAKER_SECONDS: \"120\"";
        let started = Instant::now();
        let failed = run(&emulator, &check, &["deploy", &spec(dir.path(), &stack, "2", &deploy, crash)]);
        assert_eq!(failed.code, 3, "{strategy}: rolled back: {}", failed.stderr);
        assert!(started.elapsed() < Duration::from_secs(60), "{strategy}: failed in {:?}, before the breaker", started.elapsed());
        let cause =
            failed.stderr.find("stopped: Essential container in task exited (web: exit code 1)").expect("the cause, with the exit code");
        let back = failed.stderr.find(&format!("rolling back to {stack}-web:1")).expect("ecship rolls back");
        assert!(cause < back, "{strategy}: the cause comes first: {}", failed.stderr);
        assert!(
            failed.stderr.contains("web: rolled back to the previous revision: 3 tasks of the new revision stopped: Essential container in task exited (web: exit code 1)"),
            "{strategy}: {}",
            failed.stderr
        );
        let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
        let out = ecs.describe_services().cluster(&stack).services("web").send().await.expect("the service");
        let running = out.services()[0].task_definition().unwrap_or("").rsplit('/').next().unwrap_or("").to_string();
        assert_eq!(running, format!("{stack}-web:1"), "{strategy}: the service runs its first revision again");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn canary_linear_and_blue_green_rollouts_whose_tasks_crash_fail_fast_naming_the_stop_reason_first() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let strategies = [
        ("canary", "{ strategy: canary, canary: { steps: [10, 100], bake: 10m }, timeout: 15m }"),
        ("linear", "{ strategy: linear, linear: { step: 25, bake: 10m }, timeout: 15m }"),
        ("bg", "{ strategy: blue_green, blue_green: { bake: 10m }, timeout: 15m }"),
    ];
    for (stack, deploy) in strategies {
        assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), stack, "1", deploy, "")]).code, 0);
        let crashing = spec(dir.path(), stack, "2", deploy, ", EMULATOR_TASK_FAILURE: \"Essential container in task exited\"");
        let started = Instant::now();
        let failed = run(&emulator, &check, &["deploy", &crashing]);
        assert_eq!(failed.code, 3, "{stack}: {}", failed.stderr);
        assert!(started.elapsed() < Duration::from_secs(60), "{stack}: failed in {:?}, long before the bake", started.elapsed());
        // The error's first lines name the root cause: the stop reason and the exit code.
        let error = failed.stderr.split("error: ").nth(1).expect("an error");
        let first: Vec<&str> = error.lines().take(2).collect();
        assert!(
            first.iter().any(|l| l.contains("of the new revision stopped: Essential container in task exited (web: exit code 1)")),
            "{stack}: {first:?}"
        );
        assert_eq!(weights(&emulator, stack).await, (100, 0), "{stack}: all traffic on the old colour");
        assert_eq!(colours(&emulator, stack).await[1].0, 0, "{stack}: the new colour is scaled to zero");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn blue_green_switches_at_once_and_rollback_switches_back() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: blue_green, blue_green: { bake: 2s }, check: { http: /health, interval: 1s, failures: 2 }, timeout: 1m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "bg", "1", deploy, "")]).code, 0);
    let v2 = spec(dir.path(), "bg", "2", deploy, "");
    let switched = run(&emulator, &check, &["deploy", &v2, "--output", "json"]);
    assert_eq!(switched.code, 0, "{}", switched.stderr);
    assert_eq!(traffic_events(&switched.stdout), vec![(0, 100)], "one switch, all at once");
    assert_eq!(colours(&emulator, "bg").await, [(0, "bg-web:1".into()), (4, "bg-web:2".into())]);

    // The idle colour is reachable before the switch through its test rules, which come
    // before the service's route.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&emulator.sdk_config().await);
    let lbs = elb.describe_load_balancers().send().await.expect("load balancers");
    let lb = lbs.load_balancers()[0].load_balancer_arn().expect("arn").to_string();
    let listeners = elb.describe_listeners().load_balancer_arn(&lb).send().await.expect("listeners");
    let listener = listeners.listeners()[0].listener_arn().expect("arn").to_string();
    let rules = elb.describe_rules().listener_arn(&listener).send().await.expect("rules");
    let priority = |r: &aws_sdk_elasticloadbalancingv2::types::Rule| r.priority().and_then(|p| p.parse::<u32>().ok()).unwrap_or(u32::MAX);
    let route = rules
        .rules()
        .iter()
        .filter(|r| !r.is_default().unwrap_or(false) && r.conditions().iter().all(|c| c.http_header_config().is_none()))
        .map(priority)
        .min()
        .expect("the service's route");
    let mut tests: Vec<(String, Vec<String>)> = rules
        .rules()
        .iter()
        .filter_map(|r| {
            let header = r.conditions().iter().find_map(|c| c.http_header_config())?;
            assert!(priority(r) < route, "a test rule ({}) comes before the route ({route})", priority(r));
            let paths = r.conditions().iter().find_map(|c| c.path_pattern_config()).map(|p| p.values().to_vec());
            assert_eq!(paths, Some(vec!["/*".to_string()]), "only the service's route paths");
            Some((header.http_header_name().unwrap_or("").to_string(), header.values().to_vec()))
        })
        .collect();
    tests.sort();
    assert_eq!(tests, test_rule_headers(&emulator).await);
    // Each rule matches its colour's name and the stack's test-route secret, which no one
    // can guess: 32 letters and digits Secrets Manager generated.
    let values: Vec<(&str, &str)> = tests.iter().map(|(name, values)| (name.as_str(), values[0].as_str())).collect();
    let (blue, green) = (values[0].1, values[1].1);
    assert_eq!((values[0].0, values[1].0), ("X-Ecship-Colour", "X-Ecship-Colour"));
    let secret = blue.strip_prefix("web-blue.").expect("web-blue.SECRET");
    assert_eq!(green.strip_prefix("web-green."), Some(secret), "one secret per stack");
    assert!(secret.len() == 32 && secret.chars().all(|c| c.is_ascii_alphanumeric()), "{secret}");
    // ecship sent it with its check of green, read back from the rule; the template holds
    // only a reference to it.
    assert_eq!(check.test_headers(), vec![green.to_string()]);
    let cfn = aws_sdk_cloudformation::Client::new(&emulator.sdk_config().await);
    let template = cfn.get_template().stack_name("bg").send().await.expect("GetTemplate");
    let body = template.template_body().unwrap_or("");
    assert!(body.contains("{{resolve:secretsmanager:") && !body.contains(secret), "the template refers to the secret, never holds it");
    let plan = run(&emulator, &check, &["plan", &v2, "--format", "json"]);
    assert!(!plan.stdout.contains(secret) && !plan.stderr.contains(secret), "no plan shows it");

    // By hand: traffic back on the colour that ran before.
    let refused = run(&emulator, &check, &["rollback", &v2]);
    assert_eq!(refused.code, 1, "no terminal and no --yes: {}", refused.stderr);
    let back = run(&emulator, &check, &["rollback", &v2, "--yes"]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert!(back.stdout.contains("web: traffic back on bg-web:1 (was bg-web:2)"), "{}", back.stdout);
    assert_eq!(weights(&emulator, "bg").await, (100, 0));
    assert_eq!(colours(&emulator, "bg").await, [(4, "bg-web:1".into()), (0, "bg-web:2".into())]);

    // A switch whose check passes through the test rule but fails with live traffic, during
    // the bake, goes back at once.
    let v3 = spec(
        dir.path(),
        "bg",
        "3",
        "{ strategy: blue_green, blue_green: { bake: 1m }, check: { http: /health, interval: 1s, failures: 2 }, timeout: 1m }",
        "",
    );
    check.answer_colour("web-green", 200);
    check.answer(500);
    let failed = run(&emulator, &check, &["deploy", &v3, "--output", "json"]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert_eq!(traffic_events(&failed.stdout), vec![(0, 100), (100, 0)], "switched, then switched back");
    assert_eq!(colours(&emulator, "bg").await, [(4, "bg-web:1".into()), (0, "bg-web:3".into())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn blue_green_and_a_checked_canary_check_the_new_colour_through_its_test_rule_before_any_traffic() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let check_rule = "the HTTP check passes through its test rule (GET /health with X-Ecship-Colour: (sensitive) → 200)";
    let cases = [
        ("pre", "{ strategy: blue_green, blue_green: { bake: 1s }, check: { http: /health, interval: 1s, failures: 2 }, timeout: 1m }", "1. start 4 tasks", vec![(0, 100)]),
        ("first", "{ strategy: canary, canary: { steps: [25, 100], bake: 1s }, check: { http: /health, interval: 1s, failures: 2 }, timeout: 1m }", "1. start 1 task", vec![(75, 25), (0, 100)]),
    ];
    for (stack, deploy, first_step, moves) in cases {
        assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), stack, "1", deploy, "")]).code, 0);
        let v2 = spec(dir.path(), stack, "2", deploy, "");
        let planned = run(&emulator, &check, &["plan", &v2]);
        let step = format!("{first_step} of the new revision on green, without traffic; wait until healthy and {check_rule}");
        assert!(planned.stdout.contains(&step), "{stack}: {}", planned.stdout);
        // Live traffic is fine; the new colour, reached through its test rule, is not.
        check.answer_colour("web-green", 503);
        let failed = run(&emulator, &check, &["deploy", &v2, "--output", "json"]);
        assert_eq!(failed.code, 3, "{stack}: {}", failed.stderr);
        assert!(
            failed.stderr.contains("/health (X-Ecship-Colour: (sensitive), to web-green): 503, expected 200"),
            "{stack}: {}",
            failed.stderr
        );
        assert_eq!(traffic_events(&failed.stdout), vec![(100, 0)], "{stack}: no user request reached the new colour");
        assert_eq!(weights(&emulator, stack).await, (100, 0));
        assert_eq!(colours(&emulator, stack).await[1].0, 0, "{stack}: the new colour is scaled to zero");
        // Once it answers, the same revision goes out.
        check.answer_colour("web-green", 200);
        let passed = run(&emulator, &check, &["deploy", &v2, "--output", "json"]);
        assert_eq!(passed.code, 0, "{stack}: {}", passed.stderr);
        assert_eq!(traffic_events(&passed.stdout), moves, "{stack}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_killed_midway_is_picked_up_by_the_next_deploy() {
    let (emulator, check, _dir, v2) = half_finished("kill").await;

    let resumed = run(&emulator, &check, &["deploy", &v2, "--output", "json"]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert!(resumed.stdout.contains("an earlier rollout stopped at 10 % on green; continuing it"), "{}", resumed.stdout);
    assert_eq!(weights(&emulator, "kill").await, (0, 100));
    assert_eq!(colours(&emulator, "kill").await, [(0, "kill-web:1".into()), (4, "kill-web:2".into())]);
}

/// A canary of `stack` from revision 1 to 2 killed (SIGKILL) as soon as it moved traffic
/// once: the emulator, the check server, the specs' directory and revision 2's spec.
async fn half_finished(stack: &str) -> (Emulator, CheckServer, tempfile::TempDir, String) {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: canary, canary: { steps: [10, 50, 100], bake: 3s }, timeout: 1m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), stack, "1", deploy, "")]).code, 0);
    let v2 = spec(dir.path(), stack, "2", deploy, "");
    let mut cmd = emulator.ecship_process();
    let mut child =
        cmd.args(["deploy", &v2, "--output", "json"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("ecship starts");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if line.expect("a line").contains(r#""event":"traffic""#) {
            child.kill().expect("kill -9");
            break;
        }
    }
    let _ = child.wait();
    assert_eq!(weights(&emulator, stack).await, (90, 10), "killed at the first step: traffic split, nothing pointing at nothing");
    (emulator, check, dir, v2)
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_a_half_finished_rollout_can_be_rolled_back_instead() {
    let (emulator, _check, dir, v2) = half_finished("ask").await;

    // A person at a terminal (script(1) gives ecship one) answers "r".
    let bin = assert_cmd::cargo::cargo_bin("ecship");
    let cmd = emulator.ecship_process();
    let mut child = std::process::Command::new("script")
        .args(["-qec", &format!("{} deploy {v2}", bin.display()), "/dev/null"])
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))))
        .env_remove("CI")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux runs: apt-get install util-linux");
    child.stdin.take().expect("stdin").write_all(b"r\n").expect("answer");
    let out = child.wait_with_output().expect("it ends");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("An earlier rollout stopped half-way: web (blue 90 %, green 10 %)."), "{text}");
    assert!(text.contains("Continue it, or roll it back? [c/r]"), "{text}");
    assert!(text.contains("the unfinished rollout is rolled back; nothing else was deployed"), "{text}");
    assert_eq!(weights(&emulator, "ask").await, (100, 0));
    assert_eq!(colours(&emulator, "ask").await, [(4, "ask-web:1".into()), (0, "ask-web:2".into())]);
}

/// The spec at `path` with a second route, so its service has two listener rules.
fn two_routes(path: String) -> String {
    let text = std::fs::read_to_string(&path).expect("spec").replace(r#"{ path: "/*" }"#, r#"{ path: "/*" }, { path: "/api/*" }"#);
    std::fs::write(&path, text).expect("write");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_traffic_moves_finishes_the_move_on_every_rule() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    // Each ModifyRule takes effect at once but is answered 2 s later: time to press Ctrl-C
    // between the first rule and the second.
    let proxy = FaultProxy::start(&emulator.url, &["--delay", "ModifyRule=2"]);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: canary, canary: { steps: [10, 50, 100], bake: 30s }, timeout: 1m }";
    assert_eq!(run(&emulator, &check, &["deploy", &two_routes(spec(dir.path(), "int", "1", deploy, ""))]).code, 0);
    let v2 = two_routes(spec(dir.path(), "int", "2", deploy, ""));
    let mut cmd = emulator.ecship_process();
    let mut child = cmd
        .args(["deploy", &v2])
        .env("AWS_ENDPOINT_URL", &proxy.url)
        .env("ECSHIP_CHECK_ENDPOINT", &check.url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ecship starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while all_weights(&emulator, "int").await[0] != (90, 10) {
        assert!(Instant::now() < deadline, "the first rule never moved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(all_weights(&emulator, "int").await[1], (100, 0), "Ctrl-C comes while the second rule has not moved yet");
    let interrupted = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(interrupted.success());
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert_eq!(child.wait().expect("it ends").code(), Some(130), "{stderr}");
    assert_eq!(all_weights(&emulator, "int").await, vec![(90, 10), (90, 10)], "both rules on the same split: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_colour_with_unhealthy_targets_never_gets_traffic() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "sick", "1", CANARY, "")]).code, 0);
    let sick = spec(dir.path(), "sick", "2", CANARY, ", EMULATOR_TARGET_HEALTH: unhealthy");
    let failed = run(&emulator, &check, &["deploy", &sick, "--output", "json"]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert!(
        failed
            .stderr
            .contains("target health: 1 of the new colour's targets unhealthy (Target.ResponseCodeMismatch: Health checks failed)"),
        "the load balancer's reason: {}",
        failed.stderr
    );
    assert_eq!(traffic_events(&failed.stdout), vec![(100, 0)], "only the return to the old colour");
    assert_eq!(weights(&emulator, "sick").await, (100, 0));
    assert_eq!(colours(&emulator, "sick").await[1].0, 0);
}

/// An HTTPS server answering 200 with a certificate for `host` only, signed by a CA of its
/// own; returns its URL and the CA's PEM file (what `SSL_CERT_FILE` trusts). Python's
/// `cryptography` (from the venv) writes the certificates.
fn tls_server(dir: &Path, host: &str) -> (String, String, std::process::Child) {
    let script = r#"
import datetime, http.server, socket, ssl, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
out, host = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.timezone.utc)
def cert(subject, issuer, key, signer, ca, names=()):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=2)).add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return b.sign(signer, hashes.SHA256())
ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecship test CA")])
ca = cert(ca_name, ca_name, ca_key, ca_key, True)
leaf = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]), ca_name, key, ca_key, False, [host])
pem = lambda c: c.public_bytes(serialization.Encoding.PEM)
open(f"{out}/ca.pem", "wb").write(pem(ca))
open(f"{out}/leaf.pem", "wb").write(pem(leaf) + pem(ca))
open(f"{out}/key.pem", "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{out}/leaf.pem", f"{out}/key.pem")
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
    let mut child = std::process::Command::new(common::venv_tool("python"))
        .args(["-c", script])
        .arg(dir)
        .arg(host)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the TLS server starts");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line).expect("its port");
    (format!("https://127.0.0.1:{}", line.trim()), dir.join("ca.pem").to_string_lossy().into_owned(), child)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_check_asks_for_the_routes_host_and_verifies_its_certificate() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("dir");
    let (url, ca, mut server) = tls_server(dir.path(), "shop.example.test");
    let env = [("ECSHIP_CHECK_ENDPOINT", url.as_str()), ("SSL_CERT_FILE", ca.as_str())];
    let deploy = "{ strategy: rolling, check: { http: /health, interval: 1s, failures: 1 }, timeout: 1m }";
    // The stack's one service, its route on `host`.
    let with_host = |version: &str, host: &str| {
        let text = std::fs::read_to_string(spec(dir.path(), "tls", version, deploy, "")).expect("spec");
        let path = dir.path().join(format!("tls-{version}-{host}.yaml"));
        std::fs::write(&path, text.replace("routes: [ { path: \"/*\" } ]", &format!("routes: [ {{ path: \"/*\", host: {host} }} ]")))
            .expect("write");
        path.display().to_string()
    };
    let ok = with_host("1", "shop.example.test");
    let first = emulator.run(&["deploy", &ok], &env);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let port = url.rsplit(':').next().unwrap_or("");
    assert!(
        first.stderr.contains(&format!("check: web GET https://shop.example.test:{port}/health (through 127.0.0.1:{port}) → 200")),
        "the check named the route's host and its certificate held: {}",
        first.stderr
    );
    // A route whose host the certificate is not for: the check fails on the certificate and the
    // new revision is rolled back.
    let wrong = with_host("2", "other.example.test");
    let failed = emulator.run(&["deploy", &wrong], &env);
    assert_eq!(failed.code, 3, "rolled back: {}{}", failed.stdout, failed.stderr);
    assert!(failed.stderr.contains("GET https://other.example.test:"), "{}", failed.stderr);
    assert!(failed.stderr.to_lowercase().contains("certificate"), "the certificate is what failed: {}", failed.stderr);
    let _ = server.kill();
    let _ = server.wait();
}

/// A CloudWatch alarm in the emulator, in `state`.
#[tokio::test(flavor = "multi_thread")]
async fn an_alarm_going_off_mid_bake_rolls_a_canary_back_and_one_firing_before_does_not_hold_deploys_back() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    alarm(&emulator, "web-5xx", "OK", "fine").await;
    alarm(&emulator, "web-latency", "ALARM", "p99 above 2 s since yesterday").await;
    let deploy = "{ strategy: canary, canary: { steps: [50, 100], bake: 1m }, alarms: [web-5xx, web-latency], timeout: 5m }";
    let first = run(&emulator, &check, &["deploy", &spec(dir.path(), "alarm", "1", deploy, "")]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("alarm web-latency is in ALARM already: it fails the rollout only if it goes to ALARM again"),
        "{}",
        first.stderr
    );
    let plan = run(&emulator, &check, &["plan", &spec(dir.path(), "alarm", "2", deploy, "")]);
    assert!(
        plan.stdout.contains("alarms web-5xx, web-latency: going to ALARM while the rollout runs or bakes rolls it back"),
        "{}",
        plan.stdout
    );

    let (child, mut lines) = deploy_in_background(&emulator, &check, &spec(dir.path(), "alarm", "2", deploy, ""));
    until(&mut lines, r#""event":"traffic""#);
    assert_eq!(weights(&emulator, "alarm").await, (50, 50), "baking at 50 %");
    let started = Instant::now();
    alarm(&emulator, "web-5xx", "ALARM", "5xx above 10 a minute").await;
    let (code, out) = finish(child, lines);
    assert_eq!(code, 3, "rolled back: {out}");
    assert!(started.elapsed() < Duration::from_secs(20), "at the alarm, not at the end of the bake: {:?}", started.elapsed());
    assert!(out.contains("alarm web-5xx went to ALARM: 5xx above 10 a minute"), "{out}");
    assert!(!out.contains("alarm web-latency went to ALARM"), "an alarm firing before the rollout does not fail it: {out}");
    assert_eq!(weights(&emulator, "alarm").await, (100, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolling_service_gives_ecs_its_alarms_and_is_rolled_back_when_one_goes_off() {
    // Deployments take 8 s: time for an alarm to go off during one.
    let emulator = Emulator::start_with("8");
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: rolling, alarms: [roll-errors], timeout: 5m }";
    // A missing alarm stops the deploy before anything changes.
    let missing = run(&emulator, &check, &["deploy", &spec(dir.path(), "roll", "1", deploy, "")]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains(
            "web: deploy.alarms names an alarm that does not exist in us-east-1: roll-errors — create it, or remove it from deploy.alarms"
        ),
        "{}",
        missing.stderr
    );
    let cfn = aws_sdk_cloudformation::Client::new(&emulator.sdk_config().await);
    assert!(cfn.describe_stacks().stack_name("roll").send().await.is_err(), "nothing was created");

    alarm(&emulator, "roll-errors", "OK", "fine").await;
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "roll", "1", deploy, "")]).code, 0);
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let out = ecs.describe_services().cluster("roll").services("web").send().await.expect("the service");
    let alarms = out.services()[0].deployment_configuration().and_then(|d| d.alarms()).expect("ECS has the alarms");
    assert_eq!((alarms.alarm_names(), alarms.enable(), alarms.rollback()), (&["roll-errors".to_string()][..], true, true));

    let (child, mut lines) = deploy_in_background(&emulator, &check, &spec(dir.path(), "roll", "2", deploy, ""));
    until(&mut lines, "rollout: waiting for web");
    alarm(&emulator, "roll-errors", "ALARM", "errors above 10 a minute").await;
    let (code, out) = finish(child, lines);
    assert_eq!(code, 3, "rolled back: {out}");
    assert!(out.contains("web: rolled back to the previous revision: alarm roll-errors went to ALARM: errors above 10 a minute"), "{out}");
    let out = ecs.describe_services().cluster("roll").services("web").send().await.expect("the service");
    assert_eq!(out.services()[0].task_definition().unwrap_or("").rsplit('/').next(), Some("roll-web:1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_rollout_goes_on_and_a_rejected_one_rolls_back() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: blue_green, blue_green: { bake: 1s }, approve: true, timeout: 5m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "held", "1", deploy, "")]).code, 0);
    let nothing = run(&emulator, &check, &["approve", &spec(dir.path(), "held", "1", deploy, ""), "web"]);
    assert_eq!(nothing.code, 1, "{}", nothing.stderr);
    assert!(nothing.stderr.contains("no rollout of web is held for approval"), "{}", nothing.stderr);

    // Held with the new colour complete and no traffic on it, until approved.
    let v2 = spec(dir.path(), "held", "2", deploy, "");
    let (child, mut lines) = deploy_in_background(&emulator, &check, &v2);
    until(&mut lines, "held for approval");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(weights(&emulator, "held").await, (100, 0), "no traffic moves while held");
    assert_eq!(colours(&emulator, "held").await, [(4, "held-web:1".into()), (4, "held-web:2".into())]);
    let approved = run(&emulator, &check, &["approve", &v2, "web"]);
    assert_eq!(approved.code, 0, "{}", approved.stderr);
    assert!(approved.stdout.contains("web: approved held-web:2 (on web-green)"), "{}", approved.stdout);
    let (code, out) = finish(child, lines);
    assert_eq!(code, 0, "{out}");
    assert_eq!(weights(&emulator, "held").await, (0, 100));

    // Held again, and rolled back: `ecship rollback` answers the held rollout.
    let v3 = spec(dir.path(), "held", "3", deploy, "");
    let (child, mut lines) = deploy_in_background(&emulator, &check, &v3);
    until(&mut lines, "held for approval");
    let rejected = run(&emulator, &check, &["rollback", &v3, "--service", "web", "--yes"]);
    assert_eq!(rejected.code, 0, "{}", rejected.stderr);
    assert!(rejected.stdout.contains("web: rejected held-web:3 (held for approval)"), "{}", rejected.stdout);
    let (code, out) = finish(child, lines);
    assert_eq!(code, 3, "rolled back: {out}");
    assert!(out.contains("rejected while held for approval"), "{out}");
    assert_eq!(weights(&emulator, "held").await, (0, 100), "the traffic stays on green");
    assert_eq!(colours(&emulator, "held").await, [(0, "held-web:3".into()), (4, "held-web:2".into())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_that_cannot_reach_an_internal_load_balancer_says_only_target_health_gates() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: rolling, check: { http: /health, interval: 1s, failures: 1 }, timeout: 1m }";
    let path = spec(dir.path(), "inside", "1", deploy, "");
    let text = std::fs::read_to_string(&path).expect("spec").replace("public: true", "public: false").replace("nat: none", "nat: single");
    std::fs::write(&path, text).expect("write");
    // No --check-endpoint: the check goes to the internal load balancer's name, which
    // nothing here reaches.
    let deployed = emulator.run(&["deploy", &path], &[]);
    assert_eq!(deployed.code, 0, "not a failed check: {}", deployed.stderr);
    assert!(
        deployed.stderr.contains("web: the HTTP check cannot reach the internal load balancer from here (GET http://"),
        "{}",
        deployed.stderr
    );
    assert!(deployed.stderr.contains("only target health and stopped tasks gate this rollout"), "{}", deployed.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_left_held_is_carried_on_by_the_next_deploy_once_approved_or_rolled_back_by_hand() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: canary, canary: { steps: [50, 100], bake: 1s }, approve: true, timeout: 5m }";
    assert_eq!(run(&emulator, &check, &["deploy", &spec(dir.path(), "left", "1", deploy, "")]).code, 0);

    // A CI job deploys until held, and ends.
    let v2 = spec(dir.path(), "left", "2", deploy, "");
    let held = run(&emulator, &check, &["deploy", &v2, "--wait-until", "held"]);
    assert_eq!(held.code, 0, "{}", held.stderr);
    assert!(held.stdout.contains("held for approval: web (left-web:2 beside the live revision)"), "{}", held.stdout);
    assert_eq!(weights(&emulator, "left").await, (50, 50), "held before the last step");
    let status = run(&emulator, &check, &["status", &v2]);
    assert!(status.stdout.contains("held for approval: left-web:2"), "status tells: {}", status.stdout);

    // Another approves it; the next deploy carries it on.
    let approved = run(&emulator, &check, &["approve", &v2, "web"]);
    assert_eq!(approved.code, 0, "{}", approved.stderr);
    assert!(approved.stdout.contains("no deploy holds it now: `ecship deploy"), "{}", approved.stdout);
    let carried = run(&emulator, &check, &["deploy", &v2]);
    assert_eq!(carried.code, 0, "{}", carried.stderr);
    assert!(carried.stderr.contains("approved: left-web:2 takes all the traffic"), "{}", carried.stderr);
    assert_eq!(weights(&emulator, "left").await, (0, 100));

    // Held again, and rolled back by hand while no deploy runs.
    let v3 = spec(dir.path(), "left", "3", deploy, "");
    assert_eq!(run(&emulator, &check, &["deploy", &v3, "--wait-until", "held"]).code, 0);
    assert_eq!(weights(&emulator, "left").await, (50, 50));
    let rejected = run(&emulator, &check, &["rollback", &v3, "--service", "web", "--yes"]);
    assert_eq!(rejected.code, 0, "{}", rejected.stderr);
    assert!(rejected.stdout.contains("web: rejected left-web:3 (held for approval)"), "{}", rejected.stdout);
    assert_eq!(weights(&emulator, "left").await, (0, 100), "all traffic back on green");
    assert_eq!(colours(&emulator, "left").await, [(0, "left-web:3".into()), (4, "left-web:2".into())]);
}

/// A two-route canary of `stack` from revision 1 to 2, deployed through a fault proxy in the
/// background and followed until its first traffic move (10 % on green): the emulator, the
/// check server, the proxy, revision 2's spec (and its directory), the deploy and its output.
async fn canary_at_10_percent_through_a_proxy(
    stack: &str,
) -> (Emulator, CheckServer, FaultProxy, tempfile::TempDir, String, std::process::Child, std::io::Lines<BufReader<std::process::ChildStdout>>)
{
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let proxy = FaultProxy::start(&emulator.url, &[]);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: canary, canary: { steps: [10, 50, 100], bake: 3s }, timeout: 5m }";
    assert_eq!(run(&emulator, &check, &["deploy", &two_routes(spec(dir.path(), stack, "1", deploy, ""))]).code, 0);
    let v2 = two_routes(spec(dir.path(), stack, "2", deploy, ""));
    let (child, mut lines) = rollouts::deploy_in_background_with(&emulator, &check, &v2, &[("AWS_ENDPOINT_URL", &proxy.url)]);
    until(&mut lines, r#""event":"traffic""#);
    assert_eq!(all_weights(&emulator, stack).await, vec![(90, 10), (90, 10)], "baking at 10 %");
    (emulator, check, proxy, dir, v2, child, lines)
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_expiring_mid_bake_put_all_traffic_back_on_the_old_colour() {
    let (emulator, _check, proxy, _dir, _v2, child, lines) = canary_at_10_percent_through_a_proxy("expiry").await;
    // From now on AWS refuses the credentials for the bake's target-health reads (which the
    // SDK does not retry); the rollback's own writes go through.
    proxy.arm(&serde_json::json!({ "ops": ["DescribeTargetHealth"], "kind": "expired" }));
    let (code, out) = finish(child, lines);
    assert_eq!(code, 3, "rolled back: {out}");
    assert!(out.contains("rollout of web failed: AWS refused the credentials for DescribeTargetHealth (ExpiredToken)"), "the cause: {out}");
    assert!(out.contains("; all traffic back on blue"), "the rollback's result: {out}");
    assert_eq!(all_weights(&emulator, "expiry").await, vec![(100, 0), (100, 0)]);
    assert_eq!(colours(&emulator, "expiry").await[1].0, 0, "green is scaled to zero");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_move_failing_between_two_rules_is_rolled_back_on_every_rule() {
    let (emulator, _check, proxy, _dir, _v2, child, lines) = canary_at_10_percent_through_a_proxy("between").await;
    // The move to 50 % sets the first rule, and AWS refuses the second once.
    proxy.arm(&serde_json::json!({ "ops": ["ModifyRule"], "kind": "expired", "after": 1, "times": 1 }));
    let (code, out) = finish(child, lines);
    assert_eq!(code, 3, "rolled back: {out}");
    assert!(out.contains("rollout of web failed: AWS refused the credentials for ModifyRule arn:"), "the cause: {out}");
    assert!(out.contains("; all traffic back on blue"), "{out}");
    assert_eq!(traffic_events(&out), vec![(100, 0)], "the half-made move is no event; the return is");
    assert_eq!(all_weights(&emulator, "between").await, vec![(100, 0), (100, 0)], "both rules back on blue");
    assert_eq!(colours(&emulator, "between").await[1].0, 0, "green is scaled to zero");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_that_fails_too_says_where_the_traffic_is_and_what_to_run() {
    let (emulator, check, proxy, _dir, v2, child, lines) = canary_at_10_percent_through_a_proxy("stuck").await;
    // The move to 50 % sets the first rule; from the second on, AWS refuses every ModifyRule,
    // the rollback's tries included.
    proxy.arm(&serde_json::json!({ "ops": ["ModifyRule"], "kind": "expired", "after": 1 }));
    let (code, out) = finish(child, lines);
    assert_eq!(code, 1, "not rolled back: {out}");
    assert!(out.contains("rollout of web failed: AWS refused the credentials for ModifyRule arn:"), "the cause: {out}");
    assert!(out.contains("; rolling back also failed: AWS refused the credentials for ModifyRule arn:"), "{out}");
    assert!(
        out.contains(&format!(
            "its 2 rules are on different splits (rule 1: blue 50 %, green 50 %; rule 2: blue 90 %, green 10 %) — run `ecship rollback {v2} --service web` to put it all on blue"
        )),
        "where the traffic is, and what to run: {out}"
    );
    assert_eq!(all_weights(&emulator, "stuck").await, vec![(50, 50), (90, 10)], "as the message says");
    // Once AWS takes the credentials again, the command it names finishes the job.
    proxy.arm(&serde_json::json!({}));
    let back = run(&emulator, &check, &["rollback", &v2, "--service", "web", "--yes"]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(all_weights(&emulator, "stuck").await, vec![(100, 0), (100, 0)]);
    assert_eq!(colours(&emulator, "stuck").await[1].0, 0, "green is scaled to zero");
}

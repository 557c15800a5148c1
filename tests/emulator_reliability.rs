//! Interrupted runs converge, and old revisions go: the real binary against the emulator,
//! killed (SIGKILL: no chance to clean up) at many points of a deploy, a canary rollout and a
//! destroy; each time the next run must end where an uninterrupted one does — the same
//! resources, services and task-definition revisions, nothing duplicated or left behind.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/faults.rs"]
mod faults;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use emulator::Emulator;
use faults::FaultProxy;

const IMAGES: [&str; 4] = [
    "--image",
    "monolith=123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/monolith:v1",
    "--image",
    "like=123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/like:v1",
];

/// Where to kill: the `nth` (from 1) JSON line containing `needle`.
#[derive(Debug, Clone, Copy)]
struct KillPoint {
    needle: &'static str,
    nth: usize,
}

const fn at(needle: &'static str, nth: usize) -> KillPoint {
    KillPoint { needle, nth }
}

fn deploy_args(file: &str) -> Vec<&str> {
    let mut args = vec!["deploy", file];
    args.extend_from_slice(&IMAGES);
    args
}

fn deploy(emulator: &Emulator, file: &str) {
    let out = emulator.run(&deploy_args(file), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_deploy_killed_anywhere_converges_on_the_next() {
    let dir = tempfile::tempdir().expect("dir");
    let spec = common::quick_mysfits(dir.path(), false);
    let reference = Emulator::start();
    deploy(&reference, &spec);
    let expected = reference.state("mysfits").await;
    for point in [
        at(r#""event":"stack_event""#, 1),
        at(r#""event":"stack""#, 1),
        at(r#""event":"task_definition""#, 1),
        at(r#""event":"service""#, 1),
        at(r#""event":"progress""#, 1),
    ] {
        let emulator = Emulator::start();
        emulator.kill_at(&deploy_args(&spec), &[], point.needle, point.nth);
        deploy(&emulator, &spec);
        assert_eq!(emulator.state("mysfits").await, expected, "killed at {point:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_killed_anywhere_converges_on_the_next_deploy() {
    let (dir1, dir2) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (first, second) = (common::quick_mysfits(dir1.path(), false), common::quick_mysfits(dir2.path(), true));
    let reference = Emulator::start();
    deploy(&reference, &first);
    deploy(&reference, &second);
    let expected = reference.state("mysfits").await;
    for point in [
        at(r#""event":"task_definition""#, 1),
        at(r#""event":"service""#, 1),
        at(r#""event":"traffic""#, 1),
        at(r#""event":"traffic""#, 2),
        at(r#""event":"traffic""#, 3),
    ] {
        let emulator = Emulator::start();
        deploy(&emulator, &first);
        emulator.kill_at(&deploy_args(&second), &[], point.needle, point.nth);
        deploy(&emulator, &second);
        assert_eq!(emulator.state("mysfits").await, expected, "killed at {point:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destroy_killed_anywhere_finishes_on_the_next() {
    let dir = tempfile::tempdir().expect("dir");
    let spec = common::quick_mysfits(dir.path(), false);
    for point in [at("services: deleting the services", 1), at("task definitions: deregistering", 1), at("stack mysfits: deleting", 1)] {
        let emulator = Emulator::start();
        deploy(&emulator, &spec);
        emulator.kill_at(&["destroy", &spec, "--yes"], &[], point.needle, point.nth);
        let again = emulator.run(&["destroy", &spec, "--yes"], &[]);
        assert_eq!(again.code, 0, "killed at {point:?}: {}{}", again.stdout, again.stderr);
        emulator.assert_nothing_left("mysfits").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_keeps_the_last_revisions_and_deletes_older_ones() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keep.yaml");
    let mut last = serde_json::Value::Null;
    for version in 1..=4 {
        std::fs::write(
            &path,
            format!("stack: keep\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nservices:\n  web:\n    image: nginx:1.27\n    count: 2\n    env: {{ VERSION: \"{version}\" }}\n    deploy: {{ strategy: rolling, keep_revisions: 2 }}\n"),
        )
        .expect("write");
        let out = emulator.run(&["deploy", &path.display().to_string(), "--output", "json"], &[]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        last = out.result();
    }
    assert_eq!(last["deploy"]["pruned"], serde_json::json!(["keep-web:2"]), "{last}");
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let names = |status: aws_sdk_ecs::types::TaskDefinitionStatus| {
        let ecs = ecs.clone();
        async move {
            let out = ecs.list_task_definitions().family_prefix("keep-web").status(status).send().await.expect("list");
            out.task_definition_arns().iter().map(|a| a.rsplit('/').next().unwrap_or("").to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names(aws_sdk_ecs::types::TaskDefinitionStatus::Active).await, ["keep-web:3", "keep-web:4"]);
    assert!(names(aws_sdk_ecs::types::TaskDefinitionStatus::Inactive).await.is_empty(), "deregistered ones are deleted too");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_deploy_while_one_runs_stops_before_writing_and_names_the_first() {
    let emulator = Emulator::start();
    let (dir1, dir2) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    deploy(&emulator, &common::quick_mysfits(dir1.path(), false));
    let second = common::quick_mysfits(dir2.path(), true);
    std::fs::write(&second, std::fs::read_to_string(&second).expect("spec").replace("bake: 1s", "bake: 5m")).expect("write");

    // The first is baking its canary's first step when the second starts.
    let mut cmd = emulator.ecship_process();
    let mut first =
        cmd.args(deploy_args(&second)).args(["--output", "json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starts");
    let mut lines = BufReader::new(first.stdout.take().expect("stdout")).lines();
    assert!(lines.any(|l| l.expect("a line").contains(r#""event":"traffic""#)), "the first deploy moved traffic");
    let drain = std::thread::spawn(move || lines.count());
    let before = emulator.state("mysfits").await;
    let second_run = emulator.run(&deploy_args(&second), &[]);
    assert_eq!(second_run.code, 1, "{}{}", second_run.stdout, second_run.stderr);
    assert!(
        second_run.stderr.contains("stack mysfits is being changed by another ecship run")
            && second_run.stderr.contains(&format!("pid {}", first.id())),
        "names the first: {}",
        second_run.stderr
    );
    assert_eq!(emulator.state("mysfits").await, before, "the second wrote nothing");

    // Interrupted, the first lets go of the stack; the next deploy continues its rollout.
    assert!(Command::new("kill").args(["-INT", &first.id().to_string()]).status().expect("kill").success());
    let mut stderr = String::new();
    first.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert_eq!(first.wait().expect("ends").code(), Some(130), "{stderr}");
    let _ = drain.join();
    let fast = second.replace(".yaml", "-fast.yaml");
    std::fs::write(&fast, std::fs::read_to_string(&second).expect("spec").replace("bake: 5m", "bake: 1s")).expect("write");
    let next = emulator.run(&deploy_args(&fast), &[]);
    assert_eq!(next.code, 0, "{}{}", next.stdout, next.stderr);
}

/// `ecship deploy FILE --output json` started in the background with `env`, read up to its
/// first line containing `needle`; the rest of its output drains on a thread.
fn deploy_until(emulator: &Emulator, file: &str, env: &[(&str, &str)], needle: &str) -> (Child, std::thread::JoinHandle<Vec<String>>) {
    let mut cmd = emulator.ecship_process();
    cmd.args(deploy_args(file)).args(["--output", "json"]).envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("ecship starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let found = line.contains(needle);
        seen.push(line);
        if found {
            return (child, std::thread::spawn(move || lines.map_while(Result::ok).collect()));
        }
    }
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let _ = child.wait();
    panic!("the deploy ended before {needle}:\n{}\n{stderr}", seen.join("\n"));
}

fn signal(child: &Child, name: &str) {
    assert!(Command::new("kill").args([name, &child.id().to_string()]).status().expect("kill").success(), "kill {name}");
}

/// The exit code and stderr of a run in the background.
fn finish(mut child: Child) -> (i32, String) {
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    (child.wait().expect("it ends").code().unwrap_or(-1), stderr)
}

/// Writes among the requests `after` counts and `before` does not (the proxy's counts per
/// AWS action).
fn writes_between(before: &serde_json::Value, after: &serde_json::Value) -> Vec<String> {
    let count = |r: &serde_json::Value, op: &str| r["forwarded_by_operation"][op].as_u64().unwrap_or(0);
    let ops = after["forwarded_by_operation"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    ops.into_iter().filter(|op| count(after, op) > count(before, op) && ecship::aws::is_write(op)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_lock_another_run_took_over_stops_before_its_next_write() {
    let emulator = Emulator::start();
    let (dir1, dir2) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    deploy(&emulator, &common::quick_mysfits(dir1.path(), false));
    let changed = common::quick_mysfits(dir2.path(), true);
    let slow = |bake: &str, name: &str| {
        let path = changed.replace("mysfits.yaml", name);
        std::fs::write(&path, std::fs::read_to_string(&changed).expect("spec").replace("bake: 1s", bake)).expect("write");
        path
    };
    let (first_spec, second_spec) = (slow("bake: 10s", "first.yaml"), slow("bake: 5m", "second.yaml"));

    // Run A holds the lock and bakes its canary's first step; everything it sends AWS is
    // counted by a proxy that injects nothing.
    let proxy = FaultProxy::start(&emulator.url, &[]);
    let (a, a_rest) = deploy_until(&emulator, &first_spec, &[("AWS_ENDPOINT_URL", &proxy.url)], r#""event":"traffic""#);
    // A stops (a suspended machine) and, by AWS's clock, ten minutes pass: its lock is stale.
    signal(&a, "-STOP");
    emulator.advance_clock(600);
    // Run B takes the lock over and carries on with the rollout A left half-way.
    let (b, b_rest) = deploy_until(&emulator, &second_spec, &[], r#""event":"traffic""#);
    let before = proxy.report().expect("the proxy's report");

    // A wakes up: its next write would be the canary's next step. It stops before it.
    signal(&a, "-CONT");
    let (code, stderr) = finish(a);
    let _ = a_rest.join();
    assert_eq!(code, 1, "{stderr}");
    for words in [
        "another run (",
        &format!("pid {})", b.id()),
        "took the lock of stack mysfits at ",
        "this run stopped before step 2/3 of the rollout of like; nothing more was written",
    ] {
        assert!(stderr.contains(words), "{words:?} in: {stderr}");
    }
    let after = proxy.report().expect("the proxy's report");
    assert_eq!(writes_between(&before, &after), Vec::<String>::new(), "A wrote nothing once B held the lock: {after}");

    // B still holds the lock: A let go of nothing that was not its own.
    let ecr = aws_sdk_ecr::Client::new(&emulator.sdk_config().await);
    let repo = ecr.describe_repositories().repository_names("ecship-lock/mysfits").send().await.expect("the lock");
    let arn = repo.repositories()[0].repository_arn().expect("arn").to_string();
    let tags = ecr.list_tags_for_resource().resource_arn(arn).send().await.expect("tags");
    let holder = tags.tags().iter().find(|t| t.key() == "ecship:lock-holder").map(|t| t.value().to_string()).unwrap_or_default();
    assert!(holder.contains(&format!("pid {}", b.id())), "{holder}");
    signal(&b, "-INT");
    let (code, stderr) = finish(b);
    let _ = b_rest.join();
    assert_eq!(code, 130, "{stderr}");
}

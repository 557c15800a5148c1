//! Interrupted runs converge, and old revisions go: the real binary against the emulator,
//! killed (SIGKILL: no chance to clean up) at many points of a deploy, a canary rollout and a
//! destroy; each time the next run must end where an uninterrupted one does — the same
//! resources, services and task-definition revisions, nothing duplicated or left behind.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use std::process::{Command, Stdio};

use emulator::Emulator;

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
    use std::io::{BufRead, BufReader, Read};
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

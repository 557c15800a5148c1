//! Jobs on the local emulator, through the real binary: migrations before a deploy, `run`,
//! `logs`, schedules, and `exec`'s plugin check. The emulator gives one-off tasks a
//! lifecycle from their environment (tests/emulator/ecs_tasks.py): EMULATOR_TASK_EXIT,
//! EMULATOR_TASK_SECONDS and EMULATOR_TASK_LOG.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use std::io::Read;
use std::time::Duration;

use emulator::Emulator;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

/// A stack `stack` of one service `web` (at `version`), with `jobs` and `web`'s `deploy`.
fn spec(stack: &str, version: &str, deploy: &str, jobs: &str) -> String {
    format!(
        "stack: {stack}\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nservices:\n  web:\n    image: nginx:1.27\n    count: 1\n    env: {{ VERSION: \"{version}\" }}\n{deploy}{jobs}"
    )
}

async fn web_revision(ecs: &aws_sdk_ecs::Client, cluster: &str) -> String {
    let out = ecs.describe_services().cluster(cluster).services("web").send().await.expect("DescribeServices");
    out.services()[0].task_definition().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_failing_migration_stops_the_deploy_before_any_service_changes() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let before = "    deploy: { before: [ { run: migrate } ] }\n";
    let job = |exit: &str, log: &str| {
        format!(
            "jobs:\n  migrate:\n    image: {{ service: web }}\n    command: [ ./manage.py, migrate ]\n    env: {{ EMULATOR_TASK_EXIT: \"{exit}\", EMULATOR_TASK_LOG: \"{log}\" }}\n"
        )
    };

    let file = write(dir.path(), "mig.yaml", &spec("mig", "1", before, &job("0", "migrating\\nmigrated")));
    let first = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert!(first.stderr.contains("before web: job migrate"), "{}", first.stderr);
    assert!(first.stderr.contains("migrate | migrated"), "the job's lines stream: {}", first.stderr);
    let v1 = web_revision(&ecs, "mig").await;

    // The next version's migration fails: the plan says it runs first, the deploy stops there.
    std::fs::write(&file, spec("mig", "2", before, &job("3", "applying 0042\\nerror: relation users exists"))).expect("write");
    let plan = emulator.run(&["plan", &file], &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("before any service changes"), "{}", plan.stdout);
    assert!(plan.stdout.contains("run job migrate (for web), wait for exit code 0"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ migrate: update, new task-definition revision"), "{}", plan.stdout);
    let failed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(failed.code, 5, "a failed migration has its own exit code: {}{}", failed.stdout, failed.stderr);
    assert!(failed.stderr.contains("job migrate before web failed"), "{}", failed.stderr);
    assert!(failed.stderr.contains("exit code 3 (Essential container in task exited)"), "{}", failed.stderr);
    assert!(failed.stderr.contains("| error: relation users exists"), "the last log lines are shown: {}", failed.stderr);
    assert!(failed.stderr.contains("stopped before changing any service"), "{}", failed.stderr);
    assert_eq!(web_revision(&ecs, "mig").await, v1, "web still runs the revision it ran");

    // A command on the service's new task definition instead of a job; it succeeds.
    let command = "    deploy: { before: [ { command: [ ./manage.py, migrate ] } ] }\n    # the emulator's task exits 0\n";
    std::fs::write(&file, spec("mig", "3", command, "")).expect("write");
    let third = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(third.code, 0, "{}{}", third.stdout, third.stderr);
    assert!(third.stderr.contains("before web: `./manage.py migrate`"), "{}", third.stderr);
    assert_ne!(web_revision(&ecs, "mig").await, v1, "web moved on");

    // Nothing changed: no migration runs again.
    let again = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(!again.stderr.contains("before web"), "{}", again.stderr);

    assert_eq!(emulator.run(&["destroy", &file, "--yes"], &[]).code, 0);
    emulator.assert_nothing_left("mig").await;
}

#[tokio::test]
async fn run_exits_with_the_task_exit_code_and_logs_follow_prints_each_line_once() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let jobs = "jobs:\n  report:\n    image: busybox:1.36\n    env: { EMULATOR_TASK_EXIT: \"7\", EMULATOR_TASK_SECONDS: \"2\", EMULATOR_TASK_LOG: \"alpha\\nbeta\\ngamma\" }\n  slow:\n    image: busybox:1.36\n    timeout: 1s\n    env: { EMULATOR_TASK_SECONDS: \"60\" }\n";
    let file = write(dir.path(), "runs.yaml", &spec("runs", "1", "", jobs));
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    let report = emulator.run(&["run", &file, "report"], &[]);
    assert_eq!(report.code, 7, "the task's exit code: {}{}", report.stdout, report.stderr);
    assert_eq!(report.stdout.lines().collect::<Vec<_>>(), ["alpha", "beta", "gamma"], "{}", report.stderr);
    assert!(report.stderr.contains("exit code 7"), "{}", report.stderr);

    let service = emulator.run(&["run", &file, "web", "--", "echo", "hi"], &[]);
    assert_eq!(service.code, 0, "a one-off task of a service: {}{}", service.stdout, service.stderr);
    assert!(service.stderr.contains("task") && service.stderr.contains("exited 0"), "{}", service.stderr);

    let slow = emulator.run(&["run", &file, "slow"], &[]);
    assert_eq!(slow.code, 4, "stopped after its timeout: {}{}", slow.stdout, slow.stderr);
    assert!(slow.stderr.contains("stopped after its timeout"), "{}", slow.stderr);

    let unknown = emulator.run(&["run", &file, "nightly"], &[]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("`nightly` is neither a job nor a service of the stack (jobs: report, slow; services: web)"),
        "{}",
        unknown.stderr
    );

    // Follow the job's logs while it runs again, detached.
    let mut follow = emulator
        .ecship_process()
        .args(["logs", &file, "report", "--follow"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("logs --follow starts");
    std::thread::sleep(Duration::from_millis(1500));
    let detached = emulator.run(&["run", &file, "report", "--detach"], &[]);
    assert_eq!(detached.code, 0, "{}{}", detached.stdout, detached.stderr);
    let arn = detached.stdout.trim().to_string();
    assert!(arn.contains(":task/"), "--detach prints the task's ARN: {arn}");
    let id = arn.rsplit('/').next().unwrap_or_default();
    std::thread::sleep(Duration::from_secs(5));
    let interrupted = std::process::Command::new("kill").args(["-INT", &follow.id().to_string()]).status().expect("kill");
    assert!(interrupted.success());
    let status = follow.wait().expect("logs ends");
    let mut printed = String::new();
    follow.stdout.take().expect("stdout").read_to_string(&mut printed).expect("read");
    assert_eq!(status.code(), Some(130), "Ctrl-C ends --follow: {printed}");
    for word in ["alpha", "beta", "gamma"] {
        let line = format!("report/{} | {word}", &id[..8]);
        assert_eq!(printed.lines().filter(|l| *l == line).count(), 1, "{line} once in:\n{printed}");
    }

    // Without --follow: both runs' lines, as JSON lines naming job and task.
    let all = emulator.run(&["logs", &file, "--since", "1h", "--output", "json"], &[]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let lines: Vec<serde_json::Value> = all.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.iter().filter(|l| l["name"] == "report" && l["message"] == "alpha").count(), 2, "{}", all.stdout);
    assert!(lines.windows(2).all(|w| w[0]["at"].as_i64() <= w[1]["at"].as_i64()), "in time order: {}", all.stdout);
    let filtered = emulator.run(&["logs", &file, "report", "--since", "1h", "--filter", "beta"], &[]);
    assert_eq!(filtered.stdout.lines().count(), 2, "{}", filtered.stdout);

    // status shows the job's last runs and their exit codes.
    let status = emulator.run(&["status", &file], &[]);
    assert!(status.stdout.contains("job report: run when asked"), "{}", status.stdout);
    assert!(status.stdout.contains("exit code 7"), "{}", status.stdout);

    assert_eq!(emulator.run(&["destroy", &file, "--yes"], &[]).code, 0);
    emulator.assert_nothing_left("runs").await;
}

#[tokio::test]
async fn a_scheduled_job_exists_after_deploy_changes_in_place_and_is_gone_after_destroy() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let scheduler = aws_sdk_scheduler::Client::new(&emulator.sdk_config().await);
    let nightly = |when: &str| {
        format!("jobs:\n  nightly:\n    image: busybox:1.36\n    command: [ ./cleanup ]\n    schedule: \"{when}\"\n    timezone: Europe/Berlin\n")
    };
    let file = write(dir.path(), "cron.yaml", &spec("cron", "1", "", &nightly("cron(0 3 * * ? *)")));

    let plan = emulator.run(&["plan", &file], &[]);
    assert!(plan.stdout.contains("+ nightly: create, new task-definition revision"), "{}", plan.stdout);
    assert!(plan.stdout.contains("+ schedule: \"cron(0 3 * * ? *)\""), "{}", plan.stdout);
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    let got = scheduler.get_schedule().group_name("ecship-cron").name("nightly").send().await.expect("the schedule exists");
    assert_eq!((got.schedule_expression(), got.schedule_expression_timezone()), (Some("cron(0 3 * * ? *)"), Some("Europe/Berlin")));
    let target = got.target().and_then(|t| t.ecs_parameters()).map(|e| e.task_definition_arn().to_string()).unwrap_or_default();
    assert!(target.contains(":task-definition/cron-nightly:1"), "{target}");

    let unchanged = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(unchanged.code, 0, "a deployed schedule is no change: {}", unchanged.stdout);

    std::fs::write(&file, spec("cron", "1", "", &nightly("rate(6 hours)"))).expect("write");
    let plan = emulator.run(&["plan", &file], &[]);
    assert!(plan.stdout.contains("~ nightly: update\n"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ schedule: \"cron(0 3 * * ? *)\" → \"rate(6 hours)\""), "{}", plan.stdout);
    assert_eq!(emulator.run(&["deploy", &file, "--yes"], &[]).code, 0);
    let got = scheduler.get_schedule().group_name("ecship-cron").name("nightly").send().await.expect("the schedule exists");
    assert_eq!(got.schedule_expression(), Some("rate(6 hours)"));
    let status = emulator.run(&["status", &file], &[]);
    assert!(status.stdout.contains("job nightly: scheduled rate(6 hours) Europe/Berlin"), "{}", status.stdout);

    assert_eq!(emulator.run(&["destroy", &file, "--yes"], &[]).code, 0);
    emulator.assert_nothing_left("cron").await;
}

//! The task's shape on the local emulator, through the real binary: arm64, more ephemeral
//! storage, and Fargate Spot through the cluster's capacity providers.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use emulator::Emulator;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

/// `api` on arm64 with 50 GiB, `worker` with `capacity` (nothing: the launch type).
fn spec(capacity: &str) -> String {
    format!(
        "stack: shape\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nservices:\n  api:\n    image: nginx:1.27\n    platform: arm64\n    storage: 50\n  worker:\n    image: busybox:1.36\n    count: 3\n{capacity}jobs:\n  report:\n    image: busybox:1.36\n    platform: arm64\n"
    )
}

async fn strategy(ecs: &aws_sdk_ecs::Client) -> Vec<(String, i32, i32)> {
    let out = ecs.describe_services().cluster("shape").services("worker").send().await.expect("DescribeServices");
    out.services()[0].capacity_provider_strategy().iter().map(|c| (c.capacity_provider().to_string(), c.base(), c.weight())).collect()
}

#[tokio::test]
async fn arm64_storage_and_spot_are_deployed_planned_and_changed_in_place() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let spot = "    capacity: { spot: 70, base: 1 }\n";
    let file = write(dir.path(), "shape.yaml", &spec(spot));

    let plan = emulator.run(&["plan", &file], &[]);
    assert!(plan.stdout.contains("task definition + platform: \"arm64\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("task definition + storage: \"50 GiB\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("service + capacity: \"FARGATE base 1 weight 30, FARGATE_SPOT weight 70\""), "{}", plan.stdout);
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    for family in ["shape-api", "shape-report"] {
        let td = ecs.describe_task_definition().task_definition(family).send().await.expect("task definition");
        let td = td.task_definition().expect("one");
        let arch = td.runtime_platform().and_then(|p| p.cpu_architecture()).map(|a| a.as_str().to_string());
        assert_eq!(arch.as_deref(), Some("ARM64"), "{family}");
        if family == "shape-api" {
            assert_eq!(td.ephemeral_storage().map(|e| e.size_in_gib()), Some(50));
        }
    }
    assert_eq!(strategy(&ecs).await, [("FARGATE".to_string(), 1, 30), ("FARGATE_SPOT".to_string(), 0, 70)]);
    let unchanged = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(unchanged.code, 0, "what was deployed plans no change: {}", unchanged.stdout);

    // All on Spot: the strategy changes in place, with a new deployment.
    std::fs::write(&file, spec("    capacity: { spot: 100 }\n")).expect("write");
    let plan = emulator.run(&["plan", &file], &[]);
    assert!(
        plan.stdout.contains("service ~ capacity: \"FARGATE base 1 weight 30, FARGATE_SPOT weight 70\" → \"FARGATE_SPOT weight 100\""),
        "{}",
        plan.stdout
    );
    let moved = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(moved.code, 0, "{}{}", moved.stdout, moved.stderr);
    assert_eq!(strategy(&ecs).await, [("FARGATE_SPOT".to_string(), 0, 100)]);

    // Back to the launch type; the cluster keeps its providers (ECS would refuse to drop one
    // still in use before the service moves off it).
    std::fs::write(&file, spec("")).expect("write");
    let back = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(back.code, 0, "{}{}", back.stdout, back.stderr);
    assert!(strategy(&ecs).await.is_empty(), "on the Fargate launch type again");
    let settled = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(settled.code, 0, "{}", settled.stdout);

    assert_eq!(emulator.run(&["destroy", &file, "--yes"], &[]).code, 0);
    emulator.assert_nothing_left("shape").await;
}

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

const SIDECARS: &str = r#"stack: sides
region: us-east-1
network: { cidr: 10.0.0.0/16, azs: 2, nat: none }
services:
  api:
    image: nginx:1.27
    port: 8080
    env: { QUERY_URL: "${service.query.internal_url}" }
    depends_on: { log-router: START }
    logging:
      options: { Name: cloudwatch_logs, region: us-east-1, log_group_name: /sides/api, auto_create_group: "true" }
    sidecars:
      log-router:
        image: public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0
        firelens: fluentbit
        memory: 64
        health_check: { command: ["CMD-SHELL", "echo ok"], grace: 10s }
      agent:
        image: { uri: "registry.example.com/agent:1.0", credentials: "secretsmanager:registry-login" }
        port: 9000
        cpu: 64
        essential: false
        depends_on: { log-router: HEALTHY }
  query:
    image: busybox:1.36
    port: 9090
"#;

/// The execution role's policy statements in the deployed template, as JSON text.
async fn execution_policy(cfn: &aws_sdk_cloudformation::Client) -> String {
    let t = cfn.get_template().stack_name("sides").send().await.expect("GetTemplate");
    let body: serde_json::Value = serde_json::from_str(t.template_body().expect("body")).expect("JSON template");
    body["Resources"]["ExecutionRole"]["Properties"]["Policies"].to_string()
}

#[tokio::test]
async fn sidecars_private_registries_images_from_other_repositories_and_service_connect_names() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = emulator.sdk_config().await;
    let (ecs, cfn) = (aws_sdk_ecs::Client::new(&config), aws_sdk_cloudformation::Client::new(&config));
    let file = write(dir.path(), "sides.yaml", SIDECARS);

    let plan = emulator.run(&["plan", &file], &[]);
    for line in [
        "task definition + sidecars.log-router.firelens: \"fluentbit\"",
        "task definition + sidecars.agent.depends_on.log-router: \"HEALTHY\"",
        "task definition + depends_on.log-router: \"START\"",
        "task definition + log.options.Name: \"cloudwatch_logs\"",
        "task definition + environment.QUERY_URL: \"http://query:9090\"",
    ] {
        assert!(plan.stdout.contains(line), "`{line}` in:\n{}", plan.stdout);
    }
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    let td = ecs.describe_task_definition().task_definition("sides-api").send().await.expect("task definition");
    let td = td.task_definition().expect("one");
    let names: Vec<&str> = td.container_definitions().iter().filter_map(|c| c.name()).collect();
    assert_eq!(names, ["api", "agent", "log-router"], "the service's own container first");
    let api = &td.container_definitions()[0];
    let log = api.log_configuration().expect("log configuration");
    assert_eq!(log.log_driver().as_str(), "awsfirelens", "the app's logs go through the router");
    assert_eq!(log.options().and_then(|o| o.get("log_group_name")).map(String::as_str), Some("/sides/api"));
    let router = &td.container_definitions()[2];
    assert_eq!(router.firelens_configuration().map(|f| f.r#type().as_str()), Some("fluentbit"));
    assert_eq!(router.log_configuration().map(|l| l.log_driver().as_str()), Some("awslogs"), "the router logs to the stack's group");
    let agent = &td.container_definitions()[1];
    assert_eq!(agent.essential(), Some(false));
    let creds = agent.repository_credentials().map(|r| r.credentials_parameter().to_string()).unwrap_or_default();
    assert!(creds.ends_with(":secret:registry-login"), "{creds}");
    assert!(execution_policy(&cfn).await.contains(":secret:registry-login-??????"), "the execution role may read the registry login");

    // `query` has no routes: the others reach it through Service Connect, by name.
    let query = ecs.describe_services().cluster("sides").services("query").send().await.expect("DescribeServices");
    let sc = query.services()[0].deployments()[0].service_connect_configuration().cloned();
    let server: Vec<(String, i32)> = sc
        .iter()
        .flat_map(|c| c.services())
        .flat_map(|s| s.client_aliases().iter().map(|a| (a.dns_name().unwrap_or("").to_string(), a.port())))
        .collect();
    assert_eq!(server, [("query".to_string(), 9090)], "query answers at http://query:9090");

    let unchanged = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(unchanged.code, 0, "three containers read back as rendered: {}", unchanged.stdout);

    // An image from another team's repository: the execution role may pull exactly it.
    let other = "123456789012.dkr.ecr.us-east-1.amazonaws.com/platform/api:2.0";
    let given = emulator.run(&["deploy", &file, "--yes", "--image", &format!("api={other}")], &[]);
    assert_eq!(given.code, 0, "{}{}", given.stdout, given.stderr);
    assert!(execution_policy(&cfn).await.contains("repository/platform/api"), "{}", execution_policy(&cfn).await);

    assert_eq!(emulator.run(&["destroy", &file, "--yes"], &[]).code, 0);
    emulator.assert_nothing_left("sides").await;
}

#[path = "common/oci.rs"]
mod oci;

#[tokio::test]
async fn an_image_without_the_services_platform_is_refused_before_anything_is_written() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("app")).expect("mkdir");
    oci::write_layout(&dir.path().join("app"), &[("app", b"#!/bin/sh\n".to_vec())]);
    let spec = "stack: plat\nregion: us-east-1\nnetwork: { cidr: 10.0.0.0/16, azs: 2, nat: none }\nservices:\n  api:\n    image: { oci: ./app, tag: v1 }\n    platform: arm64\n";
    let file = write(dir.path(), "plat.yaml", spec);
    for args in [vec!["plan", &file], vec!["deploy", &file, "--yes"]] {
        let (verb, run) = (args[0], emulator.run(&args, &[]));
        assert_eq!(run.code, 1, "{verb}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("service api runs on arm64, but its image (oci ") && run.stderr.contains("app) is for linux/amd64 only"),
            "{verb}: {}",
            run.stderr
        );
    }
    emulator.assert_nothing_left("plat").await;
}

const VOLUMES: &str = r#"stack: vols
region: us-east-1
network: { cidr: 10.0.0.0/16, azs: 2, nat: none }
services:
  cms:
    image: nginx:1.27
    volumes:
      uploads: { path: /var/www/uploads }
      shared: { path: /shared, read_only: true, file_system: fs-0123abcd, access_point: fsap-0123456789abcdef0 }
jobs:
  backup:
    image: busybox:1.36
    volumes:
      uploads: { path: /uploads, read_only: true }
"#;

#[tokio::test]
async fn efs_volumes_are_created_mounted_encrypted_in_transit_and_destroyed() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let file = write(dir.path(), "vols.yaml", VOLUMES);

    let plan = emulator.run(&["plan", &file], &[]);
    assert!(plan.stdout.contains("+ VolumeUploadsFileSystem (AWS::EFS::FileSystem)"), "{}", plan.stdout);
    assert!(plan.stdout.contains("task definition + mounts.shared: \"/shared (read-only)\""), "{}", plan.stdout);
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    let mut created = None;
    for family in ["vols-cms", "vols-backup"] {
        let td = ecs.describe_task_definition().task_definition(family).send().await.expect("task definition");
        let td = td.task_definition().expect("one");
        let uploads = td.volumes().iter().find(|v| v.name() == Some("uploads")).expect("the uploads volume");
        let efs = uploads.efs_volume_configuration().expect("an EFS volume");
        assert!(efs.file_system_id().starts_with("fs-"), "{family}: {efs:?}");
        assert_eq!(efs.transit_encryption().map(|t| t.as_str()), Some("ENABLED"), "{family}: encrypted in transit");
        let auth = efs.authorization_config().expect("authorization");
        assert_eq!(auth.iam().map(|i| i.as_str()), Some("ENABLED"), "{family}: mounted with the task role");
        assert!(auth.access_point_id().is_some_and(|a| a.starts_with("fsap-")), "{family}: {auth:?}");
        // The service and the job mount one file system: a volume name is one across the stack.
        let fs = efs.file_system_id().to_string();
        assert_eq!(created.get_or_insert_with(|| fs.clone()), &fs);
        let mount = td.container_definitions()[0].mount_points().iter().find(|m| m.source_volume() == Some("uploads")).cloned();
        let read_only = mount.and_then(|m| m.read_only());
        assert_eq!(read_only, Some(family == "vols-backup"), "{family}");
    }
    let unchanged = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(unchanged.code, 0, "volumes read back as rendered: {}", unchanged.stdout);

    // The file system holds the stack's data: only --delete-data deletes it with the stack.
    let destroyed = emulator.run(&["destroy", &file, "--yes", "--delete-data"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    assert!(destroyed.stdout.contains("1 file system with its data"), "{}", destroyed.stdout);
    emulator.assert_nothing_left("vols").await;
}

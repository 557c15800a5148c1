//! Existing images pinned at plan time, against a real registry that asks for a login (as a
//! private registry outside ECR does): the task definition runs the digest the plan showed,
//! a tag moved between two plans shows as a change, and a registry that refuses or an image
//! without the service's platform stops the plan with the image named.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/oci.rs"]
mod oci;
#[path = "common/registry.rs"]
mod registry;

use std::path::Path;

use emulator::Emulator;
use registry::Registry;

const HOST: &str = "registry.team.example";

/// Copy the layout at `dir` to `repo:tag` in `registry`, as another team's CI would.
fn publish(registry: &Registry, dir: &Path, repo_tag: &str) {
    let dest = format!("docker://{}/{repo_tag}", registry.url.trim_start_matches("http://"));
    let out = std::process::Command::new("skopeo")
        .args(["copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", &format!("AWS:{}", registry::ECR_TOKEN)])
        .arg(format!("oci:{}", dir.display()))
        .arg(&dest)
        .output()
        .unwrap_or_else(|e| panic!("skopeo cannot run ({e}): run scripts/setup (it installs skopeo)"));
    assert!(out.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&out.stderr));
}

/// A docker config whose `auths` log in to the team registry (or not).
fn docker_config(dir: &Path, logged_in: bool) -> String {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{}", registry::ECR_TOKEN));
    let auths = if logged_in { serde_json::json!({ HOST: { "auth": auth } }) } else { serde_json::json!({}) };
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join("config.json"), serde_json::json!({ "auths": auths }).to_string()).expect("write config.json");
    dir.to_string_lossy().into_owned()
}

fn spec(dir: &Path, platform: &str) -> String {
    let text = format!(
        "stack: pins\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nservices:\n  web:\n    image: {HOST}/team/app:v1\n    platform: {platform}\n"
    );
    let file = dir.join(format!("pins-{platform}.yaml"));
    std::fs::write(&file, text).expect("write the spec");
    file.to_string_lossy().into_owned()
}

#[tokio::test]
async fn a_moved_tag_shows_in_the_plan_and_the_task_runs_the_digest_it_showed() {
    let emulator = Emulator::start();
    let registry = Registry::start(registry::ECR_TOKEN);
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, second) = (dir.path().join("v1"), dir.path().join("v1-rebuilt"));
    oci::write_layout(&first, &[("app", b"#!/bin/sh\necho one\n".to_vec())]);
    oci::write_layout(&second, &[("app", b"#!/bin/sh\necho two\n".to_vec())]);
    publish(&registry, &first, "team/app:v1");
    let digest_a = registry.manifest_digest("team/app", "v1").expect("pushed");
    let mirrors = format!("{HOST}={}", registry.url);
    let login = docker_config(&dir.path().join("docker"), true);
    let env = [("ECSHIP_REGISTRY_MIRRORS", mirrors.as_str()), ("DOCKER_CONFIG", login.as_str())];
    let file = spec(dir.path(), "x86_64");

    let plan = emulator.run(&["plan", &file, "--output", "json"], &env);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let pinned = &plan.result()["pinned_images"][0];
    assert_eq!((pinned["image"].as_str(), pinned["digest"].as_str()), (Some(&*format!("{HOST}/team/app:v1")), Some(digest_a.as_str())));
    let deployed = emulator.run(&["deploy", &file, "--yes"], &env);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let td = ecs.describe_task_definition().task_definition("pins-web").send().await.expect("task definition");
    let image = td.task_definition().and_then(|t| t.container_definitions().first()).and_then(|c| c.image()).unwrap_or("").to_string();
    assert_eq!(image, format!("{HOST}/team/app@{digest_a}"), "the task runs the digest the plan showed: {}", deployed.stdout);
    let unchanged = emulator.run(&["plan", &file, "--detailed-exitcode"], &env);
    assert_eq!(unchanged.code, 0, "{}{}", unchanged.stdout, unchanged.stderr);

    // Another team pushes a rebuild under the same tag: the next plan shows it.
    publish(&registry, &second, "team/app:v1");
    let digest_b = registry.manifest_digest("team/app", "v1").expect("pushed");
    assert_ne!(digest_a, digest_b, "the tag moved");
    let moved = emulator.run(&["plan", &file, "--detailed-exitcode"], &env);
    assert_eq!(moved.code, 2, "{}{}", moved.stdout, moved.stderr);
    assert!(moved.stdout.contains(&format!("image: \"{HOST}/team/app@{digest_a}\" → \"{HOST}/team/app@{digest_b}\"")), "{}", moved.stdout);
    assert!(moved.stdout.contains(&format!("= {HOST}/team/app:v1 is {digest_b} now (run by web)")), "{}", moved.stdout);

    // Without the login the registry refuses, and the plan says which image and what it said.
    let anonymous = docker_config(&dir.path().join("anonymous"), false);
    let refused = emulator.run(&["plan", &file], &[("ECSHIP_REGISTRY_MIRRORS", mirrors.as_str()), ("DOCKER_CONFIG", anonymous.as_str())]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains(&format!("image {HOST}/team/app:v1: the registry {} refused to say which digest it is (HTTP 401", registry.url)),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("docker login"), "{}", refused.stderr);

    // The image holds linux/amd64 only: an arm64 service is refused before anything is written.
    let arm = spec(dir.path(), "arm64");
    let wrong = emulator.run(&["plan", &arm], &env);
    assert_eq!(wrong.code, 1, "{}{}", wrong.stdout, wrong.stderr);
    assert!(
        wrong.stderr.contains(&format!("service web runs on arm64, but its image ({HOST}/team/app:v1) is for linux/amd64 only")),
        "{}",
        wrong.stderr
    );

    assert_eq!(emulator.run(&["destroy", &file, "--yes"], &env).code, 0);
    emulator.assert_nothing_left("pins").await;
}

/// `buildah ARGS` with the settings for machines without overlay storage or user namespaces.
fn buildah(args: &[&str]) {
    let out = std::process::Command::new("buildah")
        .args(["--storage-driver", "vfs"])
        .args(args)
        .env("BUILDAH_ISOLATION", "chroot")
        .output()
        .unwrap_or_else(|e| panic!("buildah cannot run ({e}): run scripts/setup (it installs buildah)"));
    assert!(out.status.success(), "buildah {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn a_multi_platform_index_built_with_buildah_serves_arm64_and_x86_64_services() {
    let emulator = Emulator::start();
    let registry = Registry::start(registry::ECR_TOKEN);
    let dir = tempfile::tempdir().expect("tempdir");
    let context = dir.path().join("ctx");
    std::fs::create_dir(&context).expect("mkdir");
    std::fs::write(context.join("index.html"), "<h1>hello</h1>\n").expect("write");
    std::fs::write(context.join("Dockerfile"), "FROM scratch\nCOPY index.html /srv/index.html\n").expect("write");
    let list = format!("localhost/ecship-pins-{}", std::process::id());
    let ctx = context.to_string_lossy().into_owned();
    for arch in ["amd64", "arm64"] {
        buildah(&["bud", "--quiet", "--platform", &format!("linux/{arch}"), "-t", &format!("{list}-{arch}"), &ctx]);
    }
    buildah(&["manifest", "create", &list]);
    for arch in ["amd64", "arm64"] {
        buildah(&["manifest", "add", &list, &format!("{list}-{arch}")]);
    }
    let dest = format!("docker://{}/team/app:v1", registry.url.trim_start_matches("http://"));
    buildah(&["manifest", "push", "--all", "--tls-verify=false", "--creds", &format!("AWS:{}", registry::ECR_TOKEN), &list, &dest]);
    let index = registry.manifest_digest("team/app", "v1").expect("pushed");

    let mirrors = format!("{HOST}={}", registry.url);
    let login = docker_config(&dir.path().join("docker"), true);
    let env = [("ECSHIP_REGISTRY_MIRRORS", mirrors.as_str()), ("DOCKER_CONFIG", login.as_str())];
    for platform in ["arm64", "x86_64"] {
        let plan = emulator.run(&["plan", &spec(dir.path(), platform), "--output", "json"], &env);
        assert_eq!(plan.code, 0, "{platform}: {}{}", plan.stdout, plan.stderr);
        assert_eq!(plan.result()["pinned_images"][0]["digest"].as_str(), Some(index.as_str()), "{platform}: the index is what runs");
    }
    for image in [list.clone(), format!("{list}-amd64"), format!("{list}-arm64")] {
        let _ = std::process::Command::new("buildah").args(["--storage-driver", "vfs", "rmi", &image]).output();
    }
}

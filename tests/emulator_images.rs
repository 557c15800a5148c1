//! Images end to end: the real binary builds and pushes to a real OCI registry (standing in
//! for ECR, with ECR's Basic login) while the emulator plays the AWS APIs; the registry and
//! the task definitions are then checked the way a user would.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/faults.rs"]
mod faults;
#[path = "common/oci.rs"]
mod oci;
#[path = "common/registry.rs"]
mod registry;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use emulator::{Emulator, Run};
use faults::FaultProxy;
use registry::{Registry, ECR_TOKEN};
use serde_json::Value;

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// A stack with `services` (YAML lines under `services:`), written to `dir/stack.yaml`.
fn write_spec(dir: &Path, stack: &str, services: &str) -> String {
    let spec = format!(
        "stack: {stack}\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nload_balancer: {{ public: true, http: 80 }}\nservices:\n{services}"
    );
    let path = dir.join("stack.yaml");
    std::fs::write(&path, spec).expect("write the spec");
    path.display().to_string()
}

/// Run ecship against the emulator, pushing to `registry`, with buildah set up for a
/// machine without overlay storage or user namespaces (as in CI containers).
fn run(emulator: &Emulator, registry: &Registry, args: &[&str]) -> Run {
    emulator.run(args, &[("ECSHIP_REGISTRY_ENDPOINT", &registry.url), ("STORAGE_DRIVER", "vfs"), ("BUILDAH_ISOLATION", "chroot")])
}

fn images(result: &Value) -> Vec<Value> {
    result["deploy"]["images"].as_array().cloned().unwrap_or_else(|| result["images"].as_array().cloned().unwrap_or_default())
}

fn image_of<'a>(images: &'a [Value], service: &str) -> &'a Value {
    images.iter().find(|i| i["service"] == service).unwrap_or_else(|| panic!("no image for {service} in {images:?}"))
}

async fn task_image(emulator: &Emulator, family: &str) -> String {
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let td = ecs.describe_task_definition().task_definition(family).send().await.expect("the task definition exists");
    let def = td.task_definition().expect("a task definition");
    def.container_definitions().first().and_then(|c| c.image()).expect("an image").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn oci_and_build_images_are_pushed_once_and_run_by_digest() {
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let dir = tempfile::tempdir().expect("temp dir");
    let (api_digest, api_blobs) = oci::write_layout(
        &dir.path().join("api-image"),
        &[("api", oci::random_bytes(300_000, 1)), ("data.bin", oci::random_bytes(2 << 20, 2))],
    );
    let (agent_digest, _) = oci::write_layout(&dir.path().join("agent-image"), &[("agent", oci::random_bytes(50_000, 3))]);
    std::fs::create_dir(dir.path().join("web")).expect("mkdir");
    std::fs::write(dir.path().join("web/index.html"), "<h1>hello</h1>\n").expect("write");
    std::fs::write(dir.path().join("web/Dockerfile"), "FROM scratch\nCOPY index.html /srv/index.html\nCMD [\"/httpd\"]\n").expect("write");
    let spec = write_spec(
        dir.path(),
        "imgs",
        "  api:\n    image: { oci: ./api-image, tag: v1 }\n    port: 80\n    routes: [ { path: \"/api/*\" } ]\n    health_check: { path: /api/health }\n\
         \x20 web:\n    image: { build: ./web }\n    port: 80\n    routes: [ { path: \"/*\" } ]\n    health_check: { path: / }\n\
         \x20   sidecars:\n      agent: { image: { oci: ./agent-image, tag: v1 }, essential: false }\n",
    );

    // The plan says what will be pushed, with the layout's digest, before anything is.
    let plan = run(&emulator, &registry, &["plan", &spec, "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan = plan.result();
    let steps = plan["images"].as_array().expect("image steps");
    let api_step = steps.iter().find(|s| s["service"] == "api").expect("api is pushed");
    assert_eq!(api_step["digest"], api_digest.as_str());
    assert_eq!(api_step["action"], "push");
    assert_eq!(api_step["blobs"], 3);
    let agent_step = steps.iter().find(|s| s["sidecar"] == "agent").expect("web's sidecar image is pushed");
    assert_eq!((agent_step["service"].as_str(), agent_step["digest"].as_str()), (Some("web"), Some(agent_digest.as_str())));
    assert_eq!(agent_step["repository"], format!("{ECR}/imgs/web/agent"));
    let web_step = steps.iter().find(|s| s["service"] == "web" && s["sidecar"].is_null()).expect("web is built");
    assert_eq!((web_step["action"].as_str(), web_step["digest"].as_str()), (Some("build"), None));

    let first = run(&emulator, &registry, &["deploy", &spec, "--output", "json"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let result = first.result();
    let pushed = images(&result);
    let api = image_of(&pushed, "api");
    assert_eq!(
        (api["result"].as_str(), api["digest"].as_str(), api["blobs_uploaded"].as_u64()),
        (Some("pushed"), Some(api_digest.as_str()), Some(3))
    );
    // The registry holds the manifest byte for byte: its digest is the layout's.
    assert_eq!(registry.manifest_digest("imgs/api", "v1"), Some(api_digest.clone()));
    assert!(api_blobs.iter().all(|b| registry.has_blob(b)), "every blob of api is in the registry");
    // A sidecar's image goes to a repository of its own, and the task runs it by digest.
    assert_eq!(registry.manifest_digest("imgs/web/agent", "v1"), Some(agent_digest.clone()));
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let td = ecs.describe_task_definition().task_definition("imgs-web").send().await.expect("the task definition exists");
    let agent = td.task_definition().and_then(|t| t.container_definitions().iter().find(|c| c.name() == Some("agent")).cloned());
    assert_eq!(agent.and_then(|a| a.image().map(str::to_string)), Some(format!("{ECR}/imgs/web/agent@{agent_digest}")));
    let web = pushed.iter().find(|i| i["service"] == "web" && i["sidecar"].is_null()).expect("web's own image");
    let web_digest = web["digest"].as_str().expect("web's digest").to_string();
    let web_tag = web["tag"].as_str().expect("web's tag");
    assert_eq!(web_tag, format!("sha256-{}", &web_digest[7..19]), "outside git the tag comes from the digest");
    assert_eq!(registry.manifest_digest("imgs/web", web_tag), Some(web_digest.clone()));
    // What runs is what was pushed: task definitions name the digest.
    assert_eq!(task_image(&emulator, "imgs-api").await, format!("{ECR}/imgs/api@{api_digest}"));
    assert_eq!(task_image(&emulator, "imgs-web").await, format!("{ECR}/imgs/web@{web_digest}"));

    // Nothing changed: the build gives the same digest, and no blob is sent again.
    let second = run(&emulator, &registry, &["deploy", &spec, "--output", "json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let result = second.result();
    assert_eq!(result["changed"], false, "{result}");
    assert_eq!(result["plan"]["summary"]["changes"], false, "deploy builds before planning, so its plan knows the digest: {result}");
    for image in images(&result) {
        assert_eq!((image["result"].as_str(), image["blobs_uploaded"].as_u64()), (Some("present"), Some(0)), "{image}");
    }
    let uploads: Vec<&str> = second.stdout.lines().filter(|l| l.contains(r#""event":"blob""#)).collect();
    assert!(uploads.is_empty(), "no blob is even checked when the tag names the image: {uploads:?}");
    assert_eq!(image_of(&images(&result), "web")["digest"], web_digest.as_str(), "the same source builds the same digest");
    // A saved plan pins a build by its commit; a source outside git has none to pin.
    let saved = dir.path().join("plan.json");
    let plan = run(&emulator, &registry, &["plan", &spec, "--out", &saved.display().to_string()]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let apply = run(&emulator, &registry, &["deploy", &spec, "--plan", &saved.display().to_string()]);
    assert_eq!(apply.code, 1, "{}", apply.stderr);
    assert!(apply.stderr.contains("which a saved plan cannot pin: nothing was changed"), "{}", apply.stderr);

    // A new layer: only it (and the new config) travel.
    let (new_digest, _) = oci::write_layout(
        &dir.path().join("api-image"),
        &[("api", oci::random_bytes(300_000, 1)), ("data.bin", oci::random_bytes(2 << 20, 3))],
    );
    let push = run(&emulator, &registry, &["push", &spec, "--service", "api", "--output", "json"]);
    assert_eq!(push.code, 0, "{}", push.stderr);
    let api = image_of(&images(&push.result()), "api").clone();
    assert_eq!(
        (api["digest"].as_str(), api["blobs_uploaded"].as_u64(), api["blobs_present"].as_u64()),
        (Some(new_digest.as_str()), Some(2), Some(1))
    );
    // The tag v1 already names the first image and never moves: the new one goes by digest.
    assert_eq!(api["tagged"], false);
    assert_eq!(registry.manifest_digest("imgs/api", "v1"), Some(api_digest));
    assert_eq!(registry.manifest_digest("imgs/api", &new_digest), Some(new_digest.clone()));
    assert!(push.stdout.contains("never move"), "the warning says why: {}", push.stdout);

    let destroy = run(&emulator, &registry, &["destroy", &spec, "--yes"]);
    assert_eq!(destroy.code, 0, "{}", destroy.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn push_before_any_deploy_brings_up_the_repositories_and_archives_push_too() {
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let dir = tempfile::tempdir().expect("temp dir");
    let (digest, _) = oci::write_layout(&dir.path().join("layout"), &[("app", oci::random_bytes(100_000, 7))]);
    oci::write_archive(&dir.path().join("layout"), &dir.path().join("app.tar"));
    let spec = write_spec(dir.path(), "early", "  app:\n    image: { archive: ./app.tar, tag: r1 }\n    port: 80\n    routes: [ { path: \"/*\" } ]\n    health_check: { path: / }\n");

    let push = run(&emulator, &registry, &["push", &spec]);
    assert_eq!(push.code, 0, "{}", push.stderr);
    assert!(push.stdout.contains(&format!("app: pushed {ECR}/early/app:r1@{digest}")), "{}", push.stdout);
    assert!(push.stderr.contains("image repositories only"), "{}", push.stderr);
    assert_eq!(registry.manifest_digest("early/app", "r1"), Some(digest.clone()));
    let cfn = aws_sdk_cloudformation::Client::new(&emulator.sdk_config().await);
    let resources = cfn.describe_stack_resources().stack_name("early").send().await.expect("the stack exists");
    let types: BTreeSet<&str> = resources.stack_resources().iter().filter_map(|r| r.resource_type()).collect();
    assert_eq!(types, BTreeSet::from(["AWS::ECR::Repository"]), "only the repository: no load balancer, no network");

    // The first deploy grows that stack into the whole one and finds the image there.
    let deploy = run(&emulator, &registry, &["deploy", &spec, "--output", "json"]);
    assert_eq!(deploy.code, 0, "{}", deploy.stderr);
    let result = deploy.result();
    assert_eq!(result["deploy"]["infrastructure"], "updated");
    assert_eq!(image_of(&images(&result), "app")["result"], "present");
    assert_eq!(task_image(&emulator, "early-app").await, format!("{ECR}/early/app@{digest}"));
    let destroy = run(&emulator, &registry, &["destroy", &spec, "--yes"]);
    assert_eq!(destroy.code, 0, "{}", destroy.stderr);
}

#[test]
fn a_push_with_wrong_credentials_says_so_and_shows_no_token() {
    let emulator = Emulator::start();
    let registry = Registry::start("another-password");
    let dir = tempfile::tempdir().expect("temp dir");
    oci::write_layout(&dir.path().join("layout"), &[("app", b"#!/bin/true\n".to_vec())]);
    let spec = write_spec(dir.path(), "creds", "  app:\n    image: { oci: ./layout, tag: r1 }\n    port: 80\n");
    let push = run(&emulator, &registry, &["push", &spec]);
    assert_eq!(push.code, 1, "{}", push.stderr);
    assert!(push.stderr.contains("refused the credentials (HTTP 401)"), "{}", push.stderr);
    assert!(push.stderr.contains("ecr:GetAuthorizationToken"), "the message says what to check: {}", push.stderr);
    assert!(!format!("{}{}", push.stdout, push.stderr).contains(ECR_TOKEN), "the token never shows");

    let unreachable = emulator.run(&["push", &spec], &[("ECSHIP_REGISTRY_ENDPOINT", "http://127.0.0.1:9")]);
    assert_eq!(unreachable.code, 1);
    assert!(unreachable.stderr.contains("cannot reach the registry http://127.0.0.1:9"), "{}", unreachable.stderr);
    assert!(unreachable.stderr.contains("ECSHIP_REGISTRY_ENDPOINT"), "{}", unreachable.stderr);
}

/// Start `ecship push SPEC --output json` against `registry`, and call `on_uploaded` once,
/// when the first blob has finished; returns the finished run.
fn push_with_a_hook(
    emulator: &Emulator,
    registry: &mut Registry,
    spec: &str,
    on_uploaded: impl FnOnce(&mut Registry),
) -> std::process::Output {
    let mut cmd = emulator.ecship_process();
    let mut child = cmd
        .args(["push", spec, "--output", "json"])
        .env("ECSHIP_REGISTRY_ENDPOINT", &registry.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ecship starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut hook = Some(on_uploaded);
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if line.contains(r#""state":"uploaded""#) {
            if let Some(h) = hook.take() {
                h(registry);
            }
        }
    }
    assert!(hook.is_none(), "a blob finished while the push ran");
    child.wait_with_output().expect("ecship ends")
}

/// A small layer that finishes at once, and large ones still in flight when the registry dies.
fn layers() -> [(&'static str, Vec<u8>); 4] {
    [
        ("small", oci::random_bytes(64 << 10, 11)),
        ("big1", oci::random_bytes(24 << 20, 12)),
        ("big2", oci::random_bytes(24 << 20, 13)),
        ("big3", oci::random_bytes(24 << 20, 14)),
    ]
}

#[test]
fn a_registry_restart_mid_push_is_ridden_out_by_the_same_run() {
    let emulator = Emulator::start();
    let mut registry = Registry::start(ECR_TOKEN);
    let dir = tempfile::tempdir().expect("temp dir");
    let (digest, blobs) = oci::write_layout(&dir.path().join("layout"), &layers());
    let spec = write_spec(dir.path(), "blip", "  app:\n    image: { oci: ./layout, tag: r1 }\n    port: 80\n");
    let out = push_with_a_hook(&emulator, &mut registry, &spec, |r| {
        r.stop();
        std::thread::sleep(std::time::Duration::from_millis(800));
        r.restart();
    });
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(registry.manifest_digest("blip/app", "r1"), Some(digest));
    assert!(blobs.iter().all(|b| registry.has_blob(b)));
}

#[test]
fn a_push_cut_off_by_the_registry_going_down_finishes_on_the_next_run_without_resending() {
    let emulator = Emulator::start();
    let mut registry = Registry::start(ECR_TOKEN);
    let dir = tempfile::tempdir().expect("temp dir");
    let (digest, blobs) = oci::write_layout(&dir.path().join("layout"), &layers());
    let spec = write_spec(dir.path(), "cut", "  app:\n    image: { oci: ./layout, tag: r1 }\n    port: 80\n");
    let out = push_with_a_hook(&emulator, &mut registry, &spec, Registry::stop);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot reach the registry"), "{stderr}");
    let finished: BTreeSet<&String> = blobs.iter().filter(|b| registry.has_blob(b)).collect();
    assert!(!finished.is_empty() && finished.len() < blobs.len(), "the push stopped midway: {} of {} blobs", finished.len(), blobs.len());

    registry.restart();
    let again = run(&emulator, &registry, &["push", &spec, "--output", "json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let present: BTreeSet<String> = again
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "blob" && e["state"] == "present")
        .filter_map(|e| e["digest"].as_str().map(str::to_string))
        .collect();
    for b in &finished {
        assert!(present.contains(*b), "{b} was finished before and is not sent again");
    }
    let app = image_of(&images(&again.result()), "app").clone();
    assert_eq!(app["blobs_uploaded"].as_u64(), Some((blobs.len() - finished.len()) as u64));
    assert_eq!(registry.manifest_digest("cut/app", "r1"), Some(digest));
}

#[tokio::test(flavor = "multi_thread")]
async fn push_and_deploy_converge_with_a_fifth_of_aws_and_registry_calls_failing() {
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let aws = FaultProxy::start(&emulator.url, &["--rate", "0.2", "--seed", "3"]);
    let flaky_registry = FaultProxy::start(&registry.url, &["--rate", "0.2", "--seed", "5"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let files: Vec<(&str, Vec<u8>)> =
        (0..6).map(|i| (["a", "b", "c", "d", "e", "f"][i], oci::random_bytes(1 << 20, 40 + i as u64))).collect();
    let (digest, blobs) = oci::write_layout(&dir.path().join("layout"), &files);
    let spec = write_spec(dir.path(), "flaky", "  app:\n    image: { oci: ./layout, tag: r1 }\n    port: 80\n");
    let env = [("AWS_ENDPOINT_URL", aws.url.as_str()), ("ECSHIP_REGISTRY_ENDPOINT", flaky_registry.url.as_str())];
    let out = emulator.run(&["deploy", &spec, "--output", "json"], &env);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.result()["retries"].as_u64().is_some_and(|n| n > 0), "AWS calls were retried: {}", out.result());
    assert!(aws.injected() > 0 && flaky_registry.injected() > 0, "{:?} {:?}", aws.report(), flaky_registry.report());
    assert_eq!(registry.manifest_digest("flaky/app", "r1"), Some(digest.clone()));
    assert!(blobs.iter().all(|b| registry.has_blob(b)), "every blob arrived whole");
    assert!(task_image(&emulator, "flaky-app").await.ends_with(&format!("@{digest}")));
}

#[test]
fn a_push_whose_upload_bodies_fail_every_other_time_still_arrives_whole() {
    // A failed body leaves the registry's upload empty, which docker's registry reports as
    // `Range: 0-0`: the retry must send the blob from its first byte.
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let flaky = FaultProxy::start(&registry.url, &["--rate", "1", "--max-in-a-row", "1", "--ops", "PATCH uploads"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let files: Vec<(&str, Vec<u8>)> =
        (0..6).map(|i| (["a", "b", "c", "d", "e", "f"][i], oci::random_bytes(256 << 10, 60 + i as u64))).collect();
    let (digest, blobs) = oci::write_layout(&dir.path().join("layout"), &files);
    let spec = write_spec(dir.path(), "bodies", "  app:\n    image: { oci: ./layout, tag: r1 }\n    port: 80\n");
    let out = emulator.run(&["push", &spec], &[("ECSHIP_REGISTRY_ENDPOINT", flaky.url.as_str())]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(flaky.injected() >= 3, "bodies failed: {:?}", flaky.report());
    assert_eq!(registry.manifest_digest("bodies/app", "r1"), Some(digest));
    assert!(blobs.iter().all(|b| registry.has_blob(b)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_killed_mid_upload_is_finished_by_the_next_and_deploys_by_digest() {
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let dir = tempfile::tempdir().expect("temp dir");
    let (digest, blobs) = oci::write_layout(&dir.path().join("layout"), &layers());
    let spec = write_spec(dir.path(), "killed", "  app:\n    image: { oci: ./layout, tag: r1 }\n    port: 80\n");
    let env = [("ECSHIP_REGISTRY_ENDPOINT", registry.url.as_str())];
    emulator.kill_at(&["push", &spec], &env, r#""event":"blob""#, 1);
    assert_eq!(registry.manifest_digest("killed/app", "r1"), None, "killed before the manifest went up");
    let deployed = emulator.run(&["deploy", &spec], &env);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    assert_eq!(registry.manifest_digest("killed/app", "r1"), Some(digest.clone()));
    assert!(blobs.iter().all(|b| registry.has_blob(b)));
    assert!(task_image(&emulator, "killed-app").await.ends_with(&format!("@{digest}")), "the task definition names the whole image");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_build_stops_the_deploy_before_anything_is_written() {
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("bad")).expect("mkdir");
    std::fs::write(dir.path().join("bad/Dockerfile"), "FROM scratch\nCOPY missing.txt /missing.txt\n").expect("write");
    let spec = write_spec(dir.path(), "broken", "  web:\n    image: { build: ./bad }\n    port: 80\n");
    let deploy = run(&emulator, &registry, &["deploy", &spec]);
    assert_eq!(deploy.code, 1, "{}", deploy.stderr);
    assert!(deploy.stderr.contains("building web with buildah failed"), "{}", deploy.stderr);
    let cfn = aws_sdk_cloudformation::Client::new(&emulator.sdk_config().await);
    assert!(cfn.describe_stacks().stack_name("broken").send().await.is_err(), "no stack was created");

    let unknown = emulator.run(&["deploy", &spec], &[("ECSHIP_REGISTRY_ENDPOINT", &registry.url), ("ECSHIP_BUILDER", "kaniko")]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("ECSHIP_BUILDER is `kaniko`: expected buildah, podman or docker"), "{}", unknown.stderr);
}

#[test]
fn a_committed_build_is_tagged_with_its_commit_and_a_saved_plan_applies_to_it() {
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("web")).expect("mkdir");
    std::fs::write(dir.path().join("web/index.html"), "<h1>v1</h1>\n").expect("write");
    std::fs::write(dir.path().join("web/Dockerfile"), "FROM scratch\nCOPY index.html /srv/index.html\n").expect("write");
    let spec = write_spec(dir.path(), "gitted", "  web:\n    image: { build: ./web }\n    port: 80\n");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git").arg("-C").arg(dir.path()).args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "v1"]);
    let sha = git(&["rev-parse", "--short=7", "HEAD"]);

    let saved = dir.path().join("plan.json").display().to_string();
    let plan = run(&emulator, &registry, &["plan", &spec, "--out", &saved]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let apply = run(&emulator, &registry, &["deploy", &spec, "--plan", &saved, "--output", "json"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let web = image_of(&images(&apply.result()), "web").clone();
    assert_eq!(web["tag"], sha.as_str());
    assert_eq!(registry.manifest_digest("gitted/web", &sha), web["digest"].as_str().map(str::to_string));

    // An uncommitted change makes the tag -dirty.
    std::fs::write(dir.path().join("web/index.html"), "<h1>v2</h1>\n").expect("write");
    let push = run(&emulator, &registry, &["push", &spec, "--output", "json"]);
    assert_eq!(push.code, 0, "{}", push.stderr);
    assert_eq!(image_of(&images(&push.result()), "web")["tag"], format!("{sha}-dirty").as_str());
}

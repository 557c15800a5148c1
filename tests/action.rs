//! The GitHub Action (`action.yml`) end to end: its composite steps run in order by bash,
//! with `${{ … }}` and `if:` evaluated and the environment GitHub gives a step
//! (tests/common/action_runner.rs), on a pull_request event. ecship is installed the way the
//! action installs it on a runner: from a release archive of the test's own binary, packed as
//! cargo-dist packs it with its checksum file, served by a local HTTP server laid out like
//! GitHub's release downloads (tests/common/releases.rs). The pull-request comment goes
//! through a stand-in `gh` on PATH that keeps the pull request's comments and records every
//! call (tests/common/gh_stand_in.py, with jq for `--jq`). Plans run against the local AWS
//! emulator, with `uri:` images from the test registry catalog.
//!
//! What cannot run here, and how it is played instead: the one `uses:` step, actions/cache, is
//! a miss on a job's first run (its path saved after the job succeeds, as its post step does)
//! and a hit afterwards (the saved path restored); GitHub's checkout of the action at a commit
//! is a copy of action.yml and Cargo.toml (`GITHUB_ACTION_PATH`); `github.token` is a token
//! the stand-in `gh` knows as github-actions[bot] (GitHub does not export it as GITHUB_TOKEN;
//! the action reads it through its github-token input).

#[path = "common/action_runner.rs"]
mod action_runner;
mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/expressions.rs"]
mod expressions;
#[path = "common/releases.rs"]
mod releases;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use action_runner::{ActionRun, Job};
use releases::Releases;
use serde_json::{json, Value};

/// The commit a workflow pins the action to (`uses: ecship/ecship@<sha>`).
const PINNED: &str = "8d3c1f0b6a2e4d5c7b9a0f1e2d3c4b5a69788796";
const WORKFLOW_TOKEN: &str = "ghs_workflowtoken";
const PR: u64 = 7;
const SPEC: &str = "stack: shop\nservices:\n  web: { image: { uri: \"public.ecr.aws/nginx/nginx:1.27\" }, port: 80 }\nenvironments:\n  prod:\n    services: { web: { count: 2 } }\n";

/// A job on a pull request, with the action checked out at `PINNED` whose Cargo.toml names
/// `version`, and that release served.
struct Setup {
    dir: tempfile::TempDir,
    job: Job,
    releases: Releases,
}

impl Setup {
    fn new(version: &str) -> Self {
        let jq = std::process::Command::new("jq").arg("--version").output().is_ok_and(|o| o.status.success());
        assert!(jq, "jq is missing (the stand-in gh applies --jq with it, as gh does with its own): apt-get install jq");
        let dir = tempfile::tempdir().expect("a temp dir");
        let action_dir = checkout(dir.path(), version);
        let releases = Releases::start(&format!("v{version}"));
        let workspace = dir.path().join("workspace");
        std::fs::create_dir_all(&workspace).expect("the workspace");
        std::fs::write(workspace.join("stack.yaml"), SPEC).expect("the spec");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        let gh = bin.join("gh");
        let script = common::root().join("tests/common/gh_stand_in.py");
        let python = common::venv_tool("python");
        std::fs::write(&gh, format!("#!/bin/sh\nexec '{}' '{}' \"$@\"\n", python.display(), script.display())).expect("gh");
        std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod gh");
        let state = json!({
            "repository": "ecship/ecship",
            "tokens": { WORKFLOW_TOKEN: "github-actions[bot]", "ghp_mallory": "mallory", "ghp_maintainer": "maintainer" },
            "comments": [], "next_id": 100,
        });
        std::fs::write(dir.path().join("gh-state.json"), state.to_string()).expect("gh state");
        let event = json!({ "action": "synchronize", "number": PR, "pull_request": { "number": PR, "head": { "ref": "stacks" } } });
        let event_path = dir.path().join("event.json");
        std::fs::write(&event_path, event.to_string()).expect("the event");
        let github = json!({
            "repository": "ecship/ecship", "event_name": "pull_request", "event": event, "token": WORKFLOW_TOKEN,
            "action_ref": PINNED, "action_repository": "ecship/ecship", "action_path": action_dir,
            "workspace": workspace, "server_url": "https://github.com", "sha": "0b5e2a41c7d8e9f0a1b2c3d4e5f60718293a4b5c",
            "ref": format!("refs/pull/{PR}/merge"), "run_id": "4242", "actor": "maintainer",
        });
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        let file = |name: &str| dir.path().join(name).display().to_string();
        let env: BTreeMap<String, String> = [
            ("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())),
            ("HOME", home.display().to_string()),
            ("LANG", "C.UTF-8".into()),
            ("GITHUB_REPOSITORY", "ecship/ecship".into()),
            ("GITHUB_EVENT_NAME", "pull_request".into()),
            ("GITHUB_EVENT_PATH", event_path.display().to_string()),
            ("GITHUB_SERVER_URL", "https://github.com".into()),
            ("GITHUB_API_URL", "https://api.github.com".into()),
            ("GITHUB_REF", format!("refs/pull/{PR}/merge")),
            ("GITHUB_ACTION_REF", PINNED.into()),
            ("GITHUB_ACTION_REPOSITORY", "ecship/ecship".into()),
            ("GITHUB_RUN_ID", "4242".into()),
            ("GITHUB_ACTOR", "maintainer".into()),
            ("GH_STAND_IN_STATE", file("gh-state.json")),
            ("GH_STAND_IN_CALLS", file("gh-calls.jsonl")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let job = Job { action_dir, workspace, runner_dir: dir.path().join("runner"), env, github, cache: Default::default() };
        Self { dir, job, releases }
    }

    /// Point ecship at the emulator through the SDK's environment, as a workflow does after
    /// configure-aws-credentials.
    fn with_aws(mut self, emulator: &emulator::Emulator) -> Self {
        for (k, v) in emulator.ecship().get_envs() {
            if let Some(v) = v {
                self.job.env.insert(k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned());
            }
        }
        self
    }

    fn run(&mut self, with: &[(&str, &str)]) -> ActionRun {
        let url = self.releases.url.clone();
        let mut with = with.to_vec();
        with.push(("releases-url", &url));
        self.job.run(&with)
    }

    fn gh_state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.path().join("gh-state.json")).expect("gh state")).expect("JSON")
    }

    fn plant(&self, body: &str, login: &str) {
        let mut state = self.gh_state();
        let id = state["next_id"].as_u64().expect("an id");
        state["comments"].as_array_mut().expect("comments").push(json!({ "id": id, "pr": PR, "body": body, "user": { "login": login } }));
        state["next_id"] = json!(id + 1);
        std::fs::write(self.dir.path().join("gh-state.json"), state.to_string()).expect("gh state");
    }

    /// The calls `gh` received since the last time, as `METHOD endpoint (as LOGIN)`, and forgotten.
    fn take_gh_calls(&self) -> Vec<String> {
        let file = self.dir.path().join("gh-calls.jsonl");
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let _ = std::fs::remove_file(&file);
        text.lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("a JSON line");
                format!(
                    "{} {} (as {})",
                    v["method"].as_str().unwrap_or(""),
                    v["endpoint"].as_str().unwrap_or(""),
                    v["as"].as_str().unwrap_or("")
                )
            })
            .collect()
    }
}

/// The action's repository at the pinned commit, as GitHub checks it out for a workflow: its
/// action.yml, and a Cargo.toml whose package version is `version`.
fn checkout(dir: &Path, version: &str) -> PathBuf {
    let to = dir.join("_actions/ecship/ecship").join(PINNED);
    std::fs::create_dir_all(&to).expect("the action's checkout");
    std::fs::copy(common::root().join("action.yml"), to.join("action.yml")).expect("action.yml");
    let manifest = std::fs::read_to_string(common::root().join("Cargo.toml")).expect("Cargo.toml");
    let ours = format!("version = \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(manifest.contains(&ours), "Cargo.toml has {ours}");
    std::fs::write(to.join("Cargo.toml"), manifest.replacen(&ours, &format!("version = \"{version}\""), 1)).expect("Cargo.toml");
    to
}

fn release_paths(version: &str) -> Vec<String> {
    let a = releases::archive_name();
    vec![format!("/download/v{version}/{a}.sha256"), format!("/download/v{version}/{a}")]
}

#[test]
fn plans_on_a_pull_request_keep_one_comment_per_spec_and_environment() {
    let emulator = emulator::Emulator::start();
    let mut s = Setup::new(env!("CARGO_PKG_VERSION")).with_aws(&emulator);
    let base_marker = "<!-- ecship plan: stack.yaml  -->";
    // Anyone may comment on a pull request, the action's marker included.
    s.plant(&format!("{base_marker}\n### ecship plan: `shop`\n\n**No changes.**"), "mallory");
    s.plant("Looks good to me.", "maintainer");

    // Without env: the base spec (ECSHIP_ENV is set, empty).
    let first = s.run(&[("spec", "stack.yaml"), ("comment", "true")]);
    assert!(!first.failed, "{first}");
    assert_eq!((first.outputs["exit-code"].as_str(), first.outputs["changes"].as_str()), ("2", "true"), "{first}");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&first.outputs["plan"]).expect("the JSON plan")).expect("JSON");
    assert_eq!((plan["stack"].as_str(), plan["env"].as_str()), (Some("shop"), None));
    assert!(first.summary.starts_with("### ecship plan: `shop`\n"), "{first}");
    // The comment ends with the cost line; the JSON plan carries the estimate.
    assert!(first.summary.contains("\n#### Cost\n\n**Estimated monthly cost: 0.00 → "), "{first}");
    assert!(plan["cost"]["monthly_after"].as_f64().is_some_and(|c| c > 0.0), "{plan}");
    assert_eq!(s.releases.take_requests(), release_paths(env!("CARGO_PKG_VERSION")), "a cache miss downloads the pinned release");
    let comments = "repos/ecship/ecship/issues/7/comments";
    assert_eq!(
        s.take_gh_calls(),
        [format!("GET {comments} (as github-actions[bot])"), format!("POST {comments} (as github-actions[bot])")]
    );
    let state = s.gh_state();
    let ours = |state: &Value| -> Vec<Value> {
        state["comments"].as_array().expect("comments").iter().filter(|c| c["user"]["login"] == "github-actions[bot]").cloned().collect()
    };
    assert_eq!(ours(&state).len(), 1);
    let id = ours(&state)[0]["id"].clone();
    assert_eq!(ours(&state)[0]["body"].as_str().expect("a body"), format!("{base_marker}\n{}", first.summary.trim_end()));
    assert!(state["comments"][0]["body"].as_str().expect("a body").ends_with("**No changes.**"), "the planted comment is left alone");

    // With env: another stack, another comment; the archive comes from the cache.
    let second = s.run(&[("spec", "stack.yaml"), ("env", "prod"), ("comment", "true")]);
    assert!(!second.failed, "{second}");
    assert_eq!(second.outputs["exit-code"], "2");
    assert!(second.summary.starts_with("### ecship plan: `shop-prod` (env `prod`)\n"), "{second}");
    assert_eq!(s.releases.take_requests(), release_paths(env!("CARGO_PKG_VERSION"))[..1], "a cache hit downloads the checksum only");
    assert_eq!(
        s.take_gh_calls(),
        [format!("GET {comments} (as github-actions[bot])"), format!("POST {comments} (as github-actions[bot])")]
    );

    // The base spec again (a new push): its comment is edited, not duplicated.
    let third = s.run(&[("spec", "stack.yaml"), ("comment", "true")]);
    assert!(!third.failed, "{third}");
    assert_eq!(
        s.take_gh_calls(),
        [
            format!("GET {comments} (as github-actions[bot])"),
            format!("PATCH repos/ecship/ecship/issues/comments/{id} (as github-actions[bot])")
        ]
    );
    let state = s.gh_state();
    let bodies: Vec<String> = ours(&state).iter().map(|c| c["body"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(bodies.len(), 2, "one comment per spec and environment: {bodies:?}");
    assert!(bodies[0].starts_with(base_marker) && bodies[1].starts_with("<!-- ecship plan: stack.yaml prod -->"), "{bodies:?}");
    assert!(state["comments"][0]["body"].as_str().expect("a body").ends_with("**No changes.**"), "the planted comment is left alone");
}

#[test]
fn a_failing_command_fails_the_step_with_its_exit_code() {
    let mut s = Setup::new(env!("CARGO_PKG_VERSION"));
    std::fs::write(s.job.workspace.join("broken.yaml"), "stack: shop\nservices:\n  web: { image: nginx:1.27, cpu: 100 }\n")
        .expect("a broken spec");
    let plan = s.run(&[("spec", "broken.yaml"), ("comment", "true")]);
    assert!(plan.failed, "{plan}");
    let step = plan.step("Run ecship");
    assert_eq!(step.code, Some(1), "{plan}");
    assert!(step.stderr.contains("Fargate has no 100 CPU size"), "{plan}");
    assert_eq!((plan.outputs["exit-code"].as_str(), plan.outputs["changes"].as_str()), ("1", "false"));
    assert!(plan.summary.contains("**ecship plan failed** (exit code 1) for `broken.yaml`"), "{plan}");
    // The comment says so too, rather than keeping an older plan.
    assert_eq!(s.take_gh_calls().len(), 2);
    let state = s.gh_state();
    assert!(state["comments"][0]["body"].as_str().expect("a body").contains("ecship plan failed"), "{state}");

    let validate = s.run(&[("command", "validate"), ("spec", "broken.yaml"), ("comment", "true")]);
    assert!(validate.failed, "{validate}");
    assert_eq!((validate.step("Run ecship").code, validate.outputs["exit-code"].as_str()), (Some(1), "1"), "{validate}");
    assert!(!validate.step("Comment the plan or preview on the pull request").ran, "only a plan is commented");
    let ok = s.run(&[("command", "validate"), ("spec", "stack.yaml")]);
    assert!(!ok.failed && ok.outputs["exit-code"] == "0", "{ok}");
}

#[test]
fn pinned_to_a_commit_the_action_installs_the_release_of_that_commit() {
    // The checkout at the pinned commit says 0.7.3: that release, not latest.
    let mut s = Setup::new("0.7.3");
    let pinned = s.run(&[("command", "validate"), ("spec", "stack.yaml")]);
    assert!(!pinned.failed, "{pinned}");
    assert_eq!(pinned.step_outputs["release"]["version"], "v0.7.3");
    assert_eq!(s.releases.take_requests(), release_paths("0.7.3"));

    let latest = s.run(&[("command", "validate"), ("spec", "stack.yaml"), ("version", "latest")]);
    assert!(!latest.failed, "{latest}");
    assert!(!latest.step("Cache ecship").ran, "latest moves: it is not cached");
    let a = releases::archive_name();
    assert_eq!(s.releases.take_requests(), [format!("/latest/download/{a}.sha256"), format!("/latest/download/{a}")]);

    let missing = s.run(&[("command", "validate"), ("spec", "stack.yaml"), ("version", "v0.7.4")]);
    assert!(missing.failed && !missing.step("Run ecship").ran, "{missing}");
    let install = missing.step("Install ecship");
    assert!(
        install
            .stdout
            .contains(&format!("::error::cannot download {}/download/v0.7.4/{a}.sha256: is v0.7.4 an ecship release", s.releases.url)),
        "{missing}"
    );

    for bad in ["0.7", "v0.7.3/../../x", "main"] {
        let run = s.run(&[("command", "validate"), ("spec", "stack.yaml"), ("version", bad)]);
        assert!(run.failed && !run.step("Install ecship").ran, "{run}");
        assert!(run.step("Find the release").stdout.contains("is neither a release tag (v0.2.0) nor latest"), "{run}");
    }
    assert!(s.releases.take_requests().iter().all(|p| p.contains("v0.7.4")), "a version that is no tag asks for nothing");

    // Without a Cargo.toml beside action.yml the action cannot tell, and says so.
    std::fs::remove_file(s.job.action_dir.join("Cargo.toml")).expect("remove Cargo.toml");
    let unknown = s.run(&[("command", "validate"), ("spec", "stack.yaml")]);
    assert!(unknown.failed, "{unknown}");
    assert!(unknown.step("Find the release").stdout.contains("cannot tell which ecship release goes with this action"), "{unknown}");
}

#[test]
fn a_cached_archive_is_checked_against_the_release_checksum() {
    let version = env!("CARGO_PKG_VERSION");
    let mut s = Setup::new(version);
    let with = [("command", "validate"), ("spec", "stack.yaml")];
    let miss = s.run(&with);
    assert!(!miss.failed, "{miss}");
    assert_eq!(miss.step_outputs["cache"]["cache-hit"], "false");
    assert_eq!(s.releases.take_requests(), release_paths(version));

    let hit = s.run(&with);
    assert!(!hit.failed, "{hit}");
    assert_eq!(hit.step_outputs["cache"]["cache-hit"], "true");
    assert_eq!(s.releases.take_requests(), release_paths(version)[..1], "the checksum is fetched for a cached archive too");

    // Whoever could write the cache entry swapped the archive.
    let key = format!("ecship-v{version}-{}", releases::target());
    let cached = s.job.cache.stored(&key).join(releases::archive_name());
    let mut bytes = std::fs::read(&cached).expect("the cached archive");
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&cached, bytes).expect("tamper");
    let tampered = s.run(&with);
    assert!(tampered.failed, "{tampered}");
    assert_eq!(tampered.step_outputs["cache"]["cache-hit"], "true");
    let install = tampered.step("Install ecship");
    assert_eq!(install.code, Some(1), "{tampered}");
    assert!(install.stdout.contains(&format!("::error::the cached {} (", releases::archive_name())), "{tampered}");
    assert!(install.stdout.contains("does not match the release's checksum"), "{tampered}");
    assert!(!tampered.step("Run ecship").ran, "nothing runs from an archive that fails its checksum");
    assert_eq!(s.releases.take_requests(), release_paths(version)[..1]);
}

#[test]
fn a_pull_requests_preview_is_deployed_with_one_comment_and_destroyed_when_it_closes() {
    let emulator = emulator::Emulator::start();
    let mut s = Setup::new(env!("CARGO_PKG_VERSION")).with_aws(&emulator);
    let spec = "stack: shop\nload_balancer: { public: true, http: 80 }\npreviews: { overrides: { count: 1 } }\nservices:\n  web: { image: { uri: \"public.ecr.aws/nginx/nginx:1.27\" }, port: 80, routes: [ { path: \"/*\" } ] }\n";
    let file = s.job.workspace.join("previews.yaml");
    std::fs::write(&file, spec).expect("the spec");
    let parent = emulator.run(&["deploy", &file.display().to_string(), "--yes"], &[]);
    assert_eq!(parent.code, 0, "{}{}", parent.stdout, parent.stderr);
    let marker = "<!-- ecship preview: previews.yaml  pr-7 -->";
    let comments = "repos/ecship/ecship/issues/7/comments";

    let first = s.run(&[("command", "preview"), ("preview", "pr-7"), ("spec", "previews.yaml")]);
    assert!(!first.failed, "{first}");
    assert!(first.summary.starts_with("### ecship preview `pr-7`\n\nhttp://"), "{first}");
    assert!(
        first.summary.contains("with header `X-Ecship-Preview: pr-7`") && first.summary.contains("Plan for stack shop-pr-7"),
        "{first}"
    );
    assert_eq!(
        s.take_gh_calls(),
        [format!("GET {comments} (as github-actions[bot])"), format!("POST {comments} (as github-actions[bot])")]
    );
    let listed = emulator.run(&["preview", "list", &file.display().to_string(), "--output", "json"], &[]).result();
    assert_eq!(listed["previews"][0]["name"], "pr-7", "{listed}");

    // A new push: the same comment, updated.
    let second = s.run(&[("command", "preview"), ("preview", "pr-7"), ("spec", "previews.yaml")]);
    assert!(!second.failed, "{second}");
    let calls = s.take_gh_calls();
    assert!(calls.len() == 2 && calls[1].starts_with("PATCH repos/ecship/ecship/issues/comments/"), "{calls:?}");

    s.job.github["event"]["action"] = json!("closed");
    let closed = s.run(&[("command", "preview"), ("preview", "pr-7"), ("spec", "previews.yaml")]);
    assert!(!closed.failed, "{closed}");
    assert!(closed.summary.starts_with("### ecship preview `pr-7`: destroyed"), "{closed}");
    let state = s.gh_state();
    let ours: Vec<&Value> =
        state["comments"].as_array().expect("comments").iter().filter(|c| c["user"]["login"] == "github-actions[bot]").collect();
    assert_eq!(ours.len(), 1, "one comment for the preview: {state}");
    assert!(ours[0]["body"].as_str().is_some_and(|b| b.starts_with(marker) && b.contains("destroyed")), "{state}");
    let listed = emulator.run(&["preview", "list", &file.display().to_string(), "--output", "json"], &[]).result();
    assert_eq!(listed["previews"], json!([]), "{listed}");

    let sweep = s.run(&[("command", "preview sweep"), ("spec", "previews.yaml")]);
    assert!(!sweep.failed && sweep.outputs["exit-code"] == "0", "{sweep}");
    assert!(!sweep.step("Comment the plan or preview on the pull request").ran, "a sweep comments nothing");
}

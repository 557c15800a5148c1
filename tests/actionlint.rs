//! Every workflow (CI's, the examples', and the one that runs this repository's GitHub Action,
//! through which actionlint checks `action.yml`'s inputs) passes actionlint, from the venv
//! scripts/setup creates, with nothing to report.

mod common;

use common::{root, venv_tool};

#[test]
fn workflows_and_the_action_pass_actionlint() {
    let actionlint = venv_tool("actionlint");
    let mut files = Vec::new();
    for dir in [".github/workflows", ".github/workflows/examples"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("the workflows") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 4, "the workflows are found: {files:?}");
    let action = std::fs::read_to_string(root().join(".github/workflows/action.yml")).expect("the action's workflow");
    assert!(action.contains("uses: ./"), "a workflow runs the action from the checkout, so actionlint reads action.yml");
    let out = std::process::Command::new(&actionlint).current_dir(root()).args(&files).output().expect("actionlint runs");
    assert!(out.status.success(), "actionlint:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_action_installs_a_target_every_release_builds() {
    let dist = std::fs::read_to_string(root().join("dist-workspace.toml")).expect("the release configuration");
    let action = std::fs::read_to_string(root().join("action.yml")).expect("the action");
    let targets = dist.lines().find(|l| l.starts_with("targets = ")).expect("a targets line");
    for target in ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl", "aarch64-apple-darwin", "x86_64-apple-darwin"] {
        assert!(targets.contains(&format!("\"{target}\"")), "releases build {target}: {targets}");
        assert!(action.contains(&format!("target={target}")), "the action installs {target}");
    }
    let release = std::fs::read_to_string(root().join(".github/workflows/release.yml")).expect("the release workflow");
    assert!(release.contains("dist"), "the release workflow runs cargo-dist");
}

#[test]
fn every_workflow_names_the_permissions_of_its_token() {
    // Without `permissions:`, a job's GITHUB_TOKEN gets the repository's default, which may be
    // write access to everything.
    for dir in [".github/workflows", ".github/workflows/examples"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("the workflows") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "yml") {
                let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&path).expect("a workflow")).expect("YAML");
                assert!(doc.get("permissions").is_some(), "{} declares permissions:", path.display());
            }
        }
    }
    let ci: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(root().join(".github/workflows/ci.yml")).expect("ci.yml")).expect("YAML");
    let read_only: serde_yaml::Value = serde_yaml::from_str("contents: read").expect("YAML");
    assert_eq!(ci["permissions"], read_only, "CI's token reads the repository, nothing more");
}

#[test]
fn the_actions_scripts_take_inputs_from_the_environment_only() {
    // An expression inside `run:` is pasted into the script before bash reads it: an input (a
    // spec path, args) would become code. Through `env:`, it stays a value.
    let action: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(root().join("action.yml")).expect("the action")).expect("YAML");
    let steps = action["runs"]["steps"].as_sequence().expect("composite steps");
    for step in steps {
        if let Some(run) = step.get("run").and_then(|r| r.as_str()) {
            assert!(!run.contains("${{"), "{:?} reads an expression inside its script", step["name"]);
        }
    }
    assert!(steps.iter().filter(|s| s.get("run").is_some()).count() >= 4, "the action's scripts are found");
}

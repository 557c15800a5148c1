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

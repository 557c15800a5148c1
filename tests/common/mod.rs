//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real `ecship` binary, run from the project root with a clean environment for
/// `${VAR}` interpolation.
pub fn ecship() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("ecship").expect("the ecship binary is built by cargo test");
    cmd.current_dir(root()).env_remove("ECSHIP_ENV");
    cmd
}

/// Every example stack with each of its environments (and the base).
pub fn example_stacks() -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("stacks"))
        .expect("stacks/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable stack");
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("stack is YAML");
        let rel = format!("stacks/{}", file.file_name().expect("file name").to_string_lossy());
        out.push((rel.clone(), None));
        if let Some(envs) = doc.get("environments").and_then(|e| e.as_mapping()) {
            for name in envs.keys().filter_map(|k| k.as_str()) {
                out.push((rel.clone(), Some(name.to_string())));
            }
        }
    }
    out
}

/// A tool from the project's Python venv (created by scripts/setup). Missing → a failure
/// that says how to install it, never a skip.
pub fn venv_tool(name: &str) -> PathBuf {
    let venv = std::env::var_os("ECSHIP_VENV").map(PathBuf::from).unwrap_or_else(|| root().join(".venv"));
    let tool = venv.join("bin").join(name);
    assert!(tool.is_file(), "{} is missing: run scripts/setup (it installs tests/requirements.txt into .venv)", tool.display());
    tool
}

/// What a boto3 script prints, run against the emulator at `endpoint` (for services with
/// no SDK crate here: ACM, WAFv2); `c(SERVICE)` is a client of it.
pub fn boto(endpoint: &str, script: &str) -> String {
    let prelude = format!(
        "import boto3, json\nc = lambda s: boto3.client(s, endpoint_url='{endpoint}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\n"
    );
    let out = std::process::Command::new(venv_tool("python")).arg("-c").arg(prelude + script).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The CloudFormation template `body` passes cfn-lint with nothing to report (written to
/// `path` first).
pub fn assert_lints(body: &str, path: &std::path::Path) {
    std::fs::write(path, body).expect("write the template");
    let out = std::process::Command::new(venv_tool("cfn-lint"))
        .args(["--regions", "us-east-1", "--format", "parseable", "--"])
        .arg(path)
        .output()
        .expect("cfn-lint runs");
    assert!(out.status.success(), "cfn-lint: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// A copy of stacks/mysfits.yaml with a shorter canary bake, beside the example's build
/// contexts; `changed`: with new settings for both services.
pub fn quick_mysfits(dir: &std::path::Path, changed: bool) -> String {
    let mut text = std::fs::read_to_string(root().join("stacks/mysfits.yaml")).expect("the example").replace("bake: 5m", "bake: 1s");
    if changed {
        text = text.replace("DDB_TABLE: mysfits", "DDB_TABLE: mysfits-v2").replace("${LOGLEVEL:-info}", "warn");
    }
    let path = dir.join("mysfits.yaml");
    std::fs::write(&path, text).expect("write");
    std::os::unix::fs::symlink(root().join("stacks/mysfits"), dir.join("mysfits")).expect("link build contexts");
    path.display().to_string()
}

//! Every example stack's template passes cfn-lint (from the venv scripts/setup creates)
//! with no errors and no warnings.

mod common;

use common::{ecship, example_stacks, venv_tool};

#[test]
fn example_templates_pass_cfn_lint() {
    let cfn_lint = venv_tool("cfn-lint");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for (file, env) in example_stacks() {
        for format in ["json", "yaml"] {
            let name = format!("{}-{}.{format}", file.replace('/', "_"), env.as_deref().unwrap_or("base"));
            let path = dir.path().join(name);
            let mut cmd = ecship();
            cmd.args(["render", &file, "--format", format, "-o"]).arg(&path);
            if let Some(e) = &env {
                cmd.args(["--env", e]);
            }
            cmd.assert().success();
            files.push(path);
        }
    }
    let out = std::process::Command::new(&cfn_lint)
        .args(["--regions", "us-east-1", "eu-west-1", "--format", "parseable", "--"])
        .args(&files)
        .output()
        .expect("cfn-lint runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cfn-lint found problems (exit {:?}):\n{report}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

//! Every example stack's template (each environment too) passes checkov, the policy scanner,
//! with no failed check but the deliberate exceptions below, each with its reason (also in
//! docs/reliability.md). An exception that no template triggers any more is an error too, so
//! the list cannot outlive its reasons.

mod common;

use std::collections::BTreeSet;

use common::{ecship, example_stacks, root};

/// Checks ecship's templates fail on purpose.
const EXCEPTIONS: &[(&str, &str)] = &[
    ("CKV_AWS_2", "a stack without `https:` asks for a plain HTTP listener; with a certificate, HTTP redirects to HTTPS"),
    ("CKV_AWS_103", "the same plain HTTP listener (TLS settings apply to HTTPS listeners, which use TLS 1.2 or later)"),
    ("CKV_AWS_260", "a public load balancer admits port 80 from anywhere: to serve HTTP, or to redirect it to HTTPS"),
    ("CKV_AWS_91", "access logs need an S3 bucket with a bucket policy for the ELB account: not created by default"),
    ("CKV_AWS_158", "log groups are encrypted at rest by CloudWatch Logs; a customer KMS key costs money and key policy upkeep"),
    ("CKV_AWS_136", "repositories are encrypted at rest with AES-256 by ECR; a customer KMS key costs money and key policy upkeep"),
    ("CKV_AWS_65", "Container Insights is billed per metric; ECS service metrics come without it"),
    ("CKV_AWS_26", "CloudWatch alarms and EventBridge publish to an encrypted topic only with a customer KMS key whose policy admits them (SNS's AWS-managed key does not); the signals topic carries alarm states and ECS event summaries, no application data"),
    ("CKV_AWS_149", "the test-route secret is encrypted at rest with Secrets Manager's AWS-managed key; a customer KMS key costs money and key policy upkeep"),
    ("CKV_AWS_18", "a bucket's server access logs need a second bucket to hold them: not created by default"),
    ("CKV_AWS_119", "tables are encrypted at rest with DynamoDB's AWS-owned key; a customer KMS key costs money and key policy upkeep"),
    ("CKV_AWS_118", "enhanced monitoring needs a monitoring role and is billed; Performance Insights and CloudWatch metrics come on"),
    ("CKV_AWS_157", "Multi-AZ doubles a database's cost: the spec turns it on with `multi_az: true`"),
];

#[test]
fn example_templates_pass_checkov_but_for_documented_exceptions() {
    let checkov =
        std::env::var_os("ECSHIP_CHECKOV").map(std::path::PathBuf::from).unwrap_or_else(|| root().join(".venv-checkov/bin/checkov"));
    assert!(
        checkov.is_file(),
        "{} is missing: run scripts/setup (it installs tests/requirements-checkov.txt into .venv-checkov)",
        checkov.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, env) in example_stacks() {
        let name = format!("{}-{}.json", file.replace('/', "_"), env.as_deref().unwrap_or("base"));
        let mut cmd = ecship();
        cmd.args(["render", &file, "--format", "json", "-o"]).arg(dir.path().join(name));
        if let Some(e) = &env {
            cmd.args(["--env", e]);
        }
        cmd.assert().success();
    }
    let run = |skip: Option<String>| {
        let mut cmd = std::process::Command::new(&checkov);
        cmd.args(["--framework", "cloudformation", "--quiet", "--compact", "--skip-download", "--output", "json", "-d"]).arg(dir.path());
        if let Some(s) = skip {
            cmd.args(["--skip-check", &s]);
        }
        let out = cmd.output().expect("checkov runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let reports: Vec<serde_json::Value> = match serde_json::from_str(&text) {
            Ok(serde_json::Value::Array(a)) => a,
            Ok(v) => vec![v],
            Err(e) => panic!("checkov's output is not JSON ({e}): {text}{}", String::from_utf8_lossy(&out.stderr)),
        };
        let failed: Vec<(String, String, String)> = reports
            .iter()
            .flat_map(|r| r["results"]["failed_checks"].as_array().cloned().unwrap_or_default())
            .map(|c| {
                (
                    c["check_id"].as_str().unwrap_or("").to_string(),
                    c["resource"].as_str().unwrap_or("").to_string(),
                    c["file_path"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let passed: usize = reports.iter().map(|r| r["summary"]["passed"].as_u64().unwrap_or(0) as usize).sum();
        (failed, passed)
    };
    let skip: Vec<&str> = EXCEPTIONS.iter().map(|(id, _)| *id).collect();
    let (failed, passed) = run(Some(skip.join(",")));
    assert!(passed > 100, "checkov ran its checks ({passed} passed)");
    assert!(failed.is_empty(), "checkov checks failed that are not documented exceptions:\n{failed:#?}");
    // Every exception is still needed.
    let (all_failed, _) = run(None);
    let firing: BTreeSet<&str> = all_failed.iter().map(|(id, _, _)| id.as_str()).collect();
    for (id, why) in EXCEPTIONS {
        assert!(firing.contains(id), "{id} no longer fails on any template: drop its exception ({why})");
    }
}

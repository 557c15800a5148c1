//! The infrastructure step against the local emulator: create a stack from a rendered
//! template, re-apply it unchanged (no write), change it (an update), read it back.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use std::collections::BTreeMap;

use ecship::aws::cloudformation::{Applied, Stacks};
use ecship::aws::{config, Access, AwsError};
use emulator::Emulator;

fn render(yaml: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("stack.yaml");
    std::fs::write(&file, yaml).expect("write");
    let out = common::ecship().arg("render").arg(&file).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

const SPEC: &str = "stack: infra\nnetwork: { nat: none }\nlogs: { retention_days: 30 }\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ { path: \"/*\" } ]\n";

#[tokio::test]
async fn create_then_no_op_then_update() {
    let emulator = Emulator::start();
    let stacks = Stacks::new(&emulator.sdk_config().await);
    let tags = BTreeMap::from([("ecship:stack".to_string(), "infra".to_string())]);
    assert_eq!(stacks.describe("infra").await.expect("describe"), None, "a missing stack is None, not an error");

    let body = render(SPEC);
    let mut events = Vec::new();
    let applied = stacks.apply("infra", &body, &tags, &mut |e| events.push(e.clone())).await.expect("create");
    assert_eq!(applied, Applied::Created);
    assert!(events.iter().any(|e| e.status == "CREATE_COMPLETE"), "events are passed on: {events:?}");
    let info = stacks.describe("infra").await.expect("describe").expect("exists");
    assert_eq!(info.status, "CREATE_COMPLETE");
    assert_eq!(info.outputs.get("ClusterName").map(String::as_str), Some("infra"));
    assert!(info.outputs["SvcWeb"].starts_with("security_group=sg-"));

    let mut again = Vec::new();
    assert_eq!(stacks.apply("infra", &body, &tags, &mut |e| again.push(e.clone())).await.expect("no-op"), Applied::NoChanges);
    assert!(again.is_empty(), "nothing happened, so nothing to report");
    assert_eq!(stacks.template("infra").await.expect("template").as_deref(), Some(body.as_str()));

    let changed = render(&SPEC.replace("retention_days: 30", "retention_days: 60"));
    assert_eq!(stacks.apply("infra", &changed, &tags, &mut |_| {}).await.expect("update"), Applied::Updated);
    assert_eq!(stacks.template("infra").await.expect("template").as_deref(), Some(changed.as_str()));
    assert_eq!(stacks.describe("infra").await.expect("describe").map(|s| s.status).as_deref(), Some("UPDATE_COMPLETE"));
}

#[tokio::test]
async fn regions_are_never_guessed() {
    // The spec and --region must agree; either one alone is used.
    let both = Access { region: Some("eu-west-1".into()), spec_region: Some("us-east-1".into()), profile: None };
    assert!(matches!(config(&both).await, Err(AwsError::RegionConflict { .. })));
    let flag = Access { region: Some("eu-west-1".into()), ..Access::default() };
    let conf = config(&flag).await.expect("config");
    assert_eq!(conf.region().map(|r| r.as_ref()), Some("eu-west-1"));
}

#[tokio::test]
async fn an_unreachable_endpoint_says_so() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{closed}"))
        .credentials_provider(aws_sdk_cloudformation::config::Credentials::new("test", "test", None, None, "test"))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    let err = Stacks::new(&conf).describe("x").await.expect_err("nothing listens there");
    assert!(matches!(err, AwsError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot reach AWS for DescribeStacks x"), "{err}");
}

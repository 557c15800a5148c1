//! The infrastructure step against the local emulator: create a stack from a rendered
//! template, re-apply it unchanged (no write), change it (an update), read it back.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use std::collections::BTreeMap;

use ecship::aws::cloudformation::{Applied, Stacks, TemplateSource};
use ecship::aws::{config, Access, Aws, AwsError};
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
    let stacks = Stacks::new(&Aws::new(emulator.sdk_config().await));
    let tags = BTreeMap::from([("ecship:stack".to_string(), "infra".to_string())]);
    assert_eq!(stacks.describe("infra").await.expect("describe"), None, "a missing stack is None, not an error");

    let body = render(SPEC);
    let mut events = Vec::new();
    let applied = stacks.apply("infra", TemplateSource::Body(&body), &tags, &mut |e| events.push(e.clone())).await.expect("create");
    assert_eq!(applied, Applied::Created);
    assert!(events.iter().any(|e| e.status == "CREATE_COMPLETE"), "events are passed on: {events:?}");
    let info = stacks.describe("infra").await.expect("describe").expect("exists");
    assert_eq!(info.status, "CREATE_COMPLETE");
    assert_eq!(info.outputs.get("ClusterName").map(String::as_str), Some("infra"));
    assert!(info.outputs["SvcWeb"].starts_with("security_group=sg-"));

    assert_eq!(stacks.apply("infra", TemplateSource::Body(&body), &tags, &mut |_| {}).await.expect("no-op"), Applied::NoChanges);
    let info = stacks.describe("infra").await.expect("describe").expect("exists");
    assert_eq!(info.status, "CREATE_COMPLETE", "an unchanged template is not sent: the stack was never updated");

    let changed = render(&SPEC.replace("retention_days: 30", "retention_days: 60"));
    let mut update_events = Vec::new();
    assert_eq!(
        stacks.apply("infra", TemplateSource::Body(&changed), &tags, &mut |e| update_events.push(e.status.clone())).await.expect("update"),
        Applied::Updated
    );
    assert!(update_events.iter().any(|s| s == "UPDATE_COMPLETE"), "{update_events:?}");
    assert!(!update_events.iter().any(|s| s.starts_with("CREATE_")), "only this update's events are passed on: {update_events:?}");
    assert_eq!(stacks.template("infra").await.expect("template").as_deref(), Some(changed.as_str()));
    assert_eq!(stacks.describe("infra").await.expect("describe").map(|s| s.status).as_deref(), Some("UPDATE_COMPLETE"));
}

#[tokio::test]
async fn a_spec_region_and_a_different_flag_are_refused() {
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
    let err = Stacks::new(&Aws::new(conf)).describe("x").await.expect_err("nothing listens there");
    assert!(matches!(err, AwsError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot reach AWS for DescribeStacks x"), "{err}");
}

#[tokio::test]
async fn a_stack_waiting_for_review_is_refused_with_what_to_do() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let body = render(SPEC);
    // A CREATE change set never executed leaves the stack in REVIEW_IN_PROGRESS.
    aws_sdk_cloudformation::Client::new(&config)
        .create_change_set()
        .stack_name("infra")
        .change_set_name("pending")
        .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Create)
        .template_body(&body)
        .send()
        .await
        .expect("CreateChangeSet");
    let err = Stacks::new(&Aws::new(config.clone()))
        .apply("infra", TemplateSource::Body(&body), &BTreeMap::new(), &mut |_| {})
        .await
        .expect_err("refused");
    assert!(matches!(err, AwsError::StackInReview { .. }), "{err:?}");
    assert!(err.to_string().contains("delete-stack --stack-name infra"), "{err}");
}

//! Signals end to end: the forum stack deploys with its alarms, dashboard, topic, e-mail
//! subscription and EventBridge rules, named and set as the README says, and destroy leaves
//! none of them; a service's own alarm (`deploy.alarms: auto`) going to ALARM mid-canary rolls
//! the canary back.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/rollouts.rs"]
mod rollouts;

use std::collections::BTreeMap;

use emulator::Emulator;
use rollouts::{deploy_in_background, finish, run, spec, until, weights, CheckServer};
use serde_json::Value;

/// The emulator's alarms, dashboards, topics, subscriptions and rules (with their targets),
/// read through the AWS API.
fn signals(emulator: &Emulator) -> Value {
    let python = common::venv_tool("python");
    let script = format!(
        r#"import boto3, json
c = lambda s: boto3.client(s, endpoint_url='{url}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
alarms = {{a['AlarmName']: {{'threshold': a['Threshold'], 'operator': a['ComparisonOperator'], 'periods': a['EvaluationPeriods'], 'alarm_actions': a['AlarmActions'], 'ok_actions': a['OKActions'], 'queries': [m['Id'] for m in a.get('Metrics', [])]}} for a in c('cloudwatch').describe_alarms()['MetricAlarms']}}
events = c('events')
rules = {{r['Name']: [t['Arn'] for t in events.list_targets_by_rule(Rule=r['Name'])['Targets']] for r in events.list_rules()['Rules']}}
print(json.dumps({{
  'alarms': alarms,
  'dashboards': [d['DashboardName'] for d in c('cloudwatch').list_dashboards()['DashboardEntries']],
  'topics': [t['TopicArn'] for t in c('sns').list_topics()['Topics']],
  'subscriptions': [[s['TopicArn'], s['Protocol'], s['Endpoint']] for s in c('sns').list_subscriptions()['Subscriptions']],
  'rules': rules,
}}))"#,
        url = emulator.url
    );
    let out = std::process::Command::new(python).args(["-c", &script]).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Subscribe `endpoint` to `topic` outside the stack, confirmed, as a person does from the
/// console.
fn subscribe_by_hand(emulator: &Emulator, topic: &str, endpoint: &str) {
    let python = common::venv_tool("python");
    let script = format!(
        "import boto3\nsns = boto3.client('sns', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\nsns.subscribe(TopicArn='{topic}', Protocol='https', Endpoint='{endpoint}', ReturnSubscriptionArn=True)",
        emulator.url
    );
    let out = std::process::Command::new(python).args(["-c", &script]).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Set an alarm's state, as CloudWatch does when its metric crosses the threshold.
async fn set_state(emulator: &Emulator, name: &str, state: &str, reason: &str) {
    let cw = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config().await);
    cw.set_alarm_state()
        .alarm_name(name)
        .state_value(aws_sdk_cloudwatch::types::StateValue::from(state))
        .state_reason(reason)
        .send()
        .await
        .expect("SetAlarmState");
}

/// The alarm names a service with routes gets, in `stack`.
fn alarm_names(stack: &str, service: &str) -> Vec<String> {
    ["errors_5xx", "latency_p99", "unhealthy", "cpu", "memory", "running_below_desired"]
        .iter()
        .map(|k| format!("{stack}-{service}-{k}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn forum_deploys_with_its_signals_and_destroy_leaves_none() {
    let emulator = Emulator::start();
    // The plan names what signals add, by the names they get in AWS.
    let plan = emulator.run(&["plan", "stacks/forum.yaml"], &[]);
    for line in [
        "SvcUsersAlarmErrors5xx (AWS::CloudWatch::Alarm forum-users-errors_5xx): add",
        "SignalsDashboard (AWS::CloudWatch::Dashboard forum): add",
        "SignalsTopic (AWS::SNS::Topic forum-signals): add",
        "SignalsEmail1 (AWS::SNS::Subscription oncall@forum.example.com): add",
        "SignalsTasksRule (AWS::Events::Rule forum-tasks-failed): add",
    ] {
        assert!(plan.stdout.contains(line), "{line} in:\n{}", plan.stdout);
    }
    let deployed = emulator.run(&["deploy", "stacks/forum.yaml"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    let s = signals(&emulator);
    let topic = "arn:aws:sns:us-east-1:123456789012:forum-signals";
    assert_eq!(s["topics"], serde_json::json!([topic]));
    assert_eq!(s["subscriptions"], serde_json::json!([[topic, "email", "oncall@forum.example.com"]]));
    assert_eq!(s["dashboards"], serde_json::json!(["forum"]));
    let alarms: BTreeMap<String, Value> = serde_json::from_value(s["alarms"].clone()).expect("alarms");
    let mut want: Vec<String> = ["posts", "threads", "users"].iter().flat_map(|svc| alarm_names("forum", svc)).collect();
    want.sort();
    assert_eq!(alarms.keys().cloned().collect::<Vec<_>>(), want);
    for (name, a) in &alarms {
        assert_eq!((&a["alarm_actions"], &a["ok_actions"]), (&serde_json::json!([topic]), &serde_json::json!([topic])), "{name}");
    }
    let threshold = |name: &str| alarms[name]["threshold"].as_f64();
    assert_eq!(threshold("forum-posts-errors_5xx"), Some(5.0));
    assert_eq!(threshold("forum-posts-latency_p99"), Some(2.0));
    assert_eq!(threshold("forum-users-latency_p99"), Some(1.0), "the spec's own threshold");
    assert_eq!(threshold("forum-posts-cpu"), Some(90.0));
    assert_eq!(threshold("forum-posts-memory"), Some(90.0));
    assert_eq!(
        (threshold("forum-posts-unhealthy"), &alarms["forum-posts-unhealthy"]["operator"]),
        (Some(1.0), &Value::from("GreaterThanOrEqualToThreshold"))
    );
    assert_eq!(alarms["forum-posts-running_below_desired"]["periods"], 5, "5m of one-minute periods");
    // threads rolls out blue/green: its load balancer alarms read both target groups.
    assert_eq!(alarms["forum-threads-errors_5xx"]["queries"], serde_json::json!(["e0", "r0", "e1", "r1", "share"]));
    let rules: BTreeMap<String, Vec<String>> = serde_json::from_value(s["rules"].clone()).expect("rules");
    assert_eq!(rules.get("forum-deployments-failed"), Some(&vec![topic.to_string()]));
    assert_eq!(rules.get("forum-tasks-failed"), Some(&vec![topic.to_string()]));
    // `deploy.alarms: auto`: ECS rolls users (doubling) and threads (native blue/green) back on their own alarms.
    let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
    let out = ecs.describe_services().cluster("forum").services("users").services("threads").send().await.expect("services");
    for svc in out.services() {
        let name = svc.service_name().unwrap_or("");
        let gates = svc.deployment_configuration().and_then(|d| d.alarms()).map(|a| a.alarm_names().to_vec()).unwrap_or_default();
        assert_eq!(gates, alarm_names("forum", name)[..3].to_vec(), "{name}");
    }
    let status = emulator.run(&["status", "stacks/forum.yaml"], &[]);
    assert!(
        status
            .stdout
            .contains("dashboard: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/forum"),
        "{}",
        status.stdout
    );
    let plan = emulator.run(&["plan", "stacks/forum.yaml", "--format", "json"], &[]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: Value = serde_json::from_str(&plan.stdout).expect("the plan as JSON");
    assert_eq!(plan["infrastructure"]["changes"], serde_json::json!([]), "a deployed stack's signals plan no change: {plan}");

    subscribe_by_hand(&emulator, topic, "https://pager.example.com/hook");
    assert_eq!(signals(&emulator)["subscriptions"].as_array().map(Vec::len), Some(2));
    let destroyed = emulator.run(&["destroy", "stacks/forum.yaml", "--yes"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    let s = signals(&emulator);
    for key in ["alarms", "dashboards", "topics", "subscriptions", "rules"] {
        assert!(
            s[key].as_array().is_some_and(Vec::is_empty) || s[key].as_object().is_some_and(serde_json::Map::is_empty),
            "{key} left: {s}"
        );
    }
    emulator.assert_nothing_left("forum").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_auto_alarm_going_off_mid_canary_rolls_it_back_and_is_named_first() {
    let emulator = Emulator::start();
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    let deploy = "{ strategy: canary, canary: { steps: [50, 100], bake: 1m }, alarms: auto, timeout: 5m }";
    let with_signals = |version: &str| {
        let path = spec(dir.path(), "sig", version, deploy, "");
        let text =
            std::fs::read_to_string(&path).expect("spec").replacen("\n", "\nsignals: { notify: { email: [oncall@example.com] } }\n", 1);
        std::fs::write(&path, text).expect("write");
        path
    };
    // The first deploy creates the alarms, then gates on them.
    let first = run(&emulator, &check, &["deploy", &with_signals("1")]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let plan = run(&emulator, &check, &["plan", &with_signals("2")]);
    assert!(plan.stdout.contains("alarms sig-web-errors_5xx, sig-web-latency_p99, sig-web-unhealthy"), "{}", plan.stdout);

    let (child, mut lines) = deploy_in_background(&emulator, &check, &with_signals("2"));
    until(&mut lines, r#""event":"traffic""#);
    assert_eq!(weights(&emulator, "sig").await, (50, 50), "baking at 50 %");
    set_state(&emulator, "sig-web-errors_5xx", "ALARM", "5xx share above 5 % for 5 minutes").await;
    let (code, out) = finish(child, lines);
    assert_eq!(code, 3, "rolled back: {out}");
    // The error is the first thing said, and names the alarm.
    let error: Value = out.lines().next().and_then(|l| serde_json::from_str(l).ok()).unwrap_or_default();
    let error = error["error"].as_str().unwrap_or("");
    assert!(error.contains("web: rolled back to the previous revision: alarm sig-web-errors_5xx went to ALARM"), "{out}");
    assert!(out.contains("alarm sig-web-errors_5xx went to ALARM: 5xx share above 5 % for 5 minutes"), "{out}");
    assert_eq!(weights(&emulator, "sig").await, (100, 0), "all traffic back on the old colour");
}

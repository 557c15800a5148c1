//! Helpers of the rollout tests: a check server the test controls, a one-service stack, the
//! rules' weights read back from ELBv2, alarms set by hand, and a deploy run in the background.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use crate::emulator::{Emulator, Run};

/// An HTTP server answering every request with the status the test sets — or, for requests
/// through a test rule (`X-Ecship-Colour: NAME-COLOUR.SECRET`, as the load balancer matches
/// it), the status set for that colour. It keeps the test-route header values it is sent.
pub struct CheckServer {
    pub url: String,
    status: Arc<AtomicU16>,
    colours: Arc<Mutex<HashMap<String, u16>>>,
    headers: Arc<Mutex<Vec<String>>>,
}

impl CheckServer {
    pub fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let status = Arc::new(AtomicU16::new(status));
        let colours: Arc<Mutex<HashMap<String, u16>>> = Arc::default();
        let headers: Arc<Mutex<Vec<String>>> = Arc::default();
        let (shared, by_colour, seen) = (status.clone(), colours.clone(), headers.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let value = request.lines().find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.trim().eq_ignore_ascii_case("x-ecship-colour").then(|| value.trim().to_string())
                });
                if let (Some(v), Ok(mut seen)) = (&value, seen.lock()) {
                    seen.push(v.clone());
                }
                // Only a value with a secret after the colour matches a test rule.
                let colour =
                    value.as_deref().and_then(|v| v.split_once('.')).filter(|(_, secret)| !secret.is_empty()).map(|(c, _)| c.to_string());
                let answer = colour.and_then(|c| by_colour.lock().ok().and_then(|m| m.get(&c).copied()));
                let code = answer.unwrap_or_else(|| shared.load(Ordering::Relaxed));
                let _ = write!(stream, "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        Self { url, status, colours, headers }
    }

    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    /// Answer requests reaching `colour` (an ECS service name; `NAME-next` for ECS's native
    /// rollouts) through its test rule with `status`.
    pub fn answer_colour(&self, colour: &str, status: u16) {
        self.colours.lock().expect("lock").insert(colour.to_string(), status);
    }

    /// The `X-Ecship-Colour` values requests came with, each distinct one once.
    pub fn test_headers(&self) -> Vec<String> {
        let mut seen = self.headers.lock().expect("lock").clone();
        seen.sort();
        seen.dedup();
        seen
    }
}

/// The header values of the stack's test rules, as the load balancer holds them: (the rule's
/// header name, its values), sorted.
pub async fn test_rule_headers(emulator: &Emulator) -> Vec<(String, Vec<String>)> {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&emulator.sdk_config().await);
    let mut out = Vec::new();
    for lb in elb.describe_load_balancers().send().await.expect("load balancers").load_balancers() {
        let listeners = elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().expect("arn")).send().await.expect("listeners");
        for listener in listeners.listeners() {
            let rules = elb.describe_rules().listener_arn(listener.listener_arn().expect("arn")).send().await.expect("rules");
            for header in rules.rules().iter().flat_map(|r| r.conditions()).filter_map(|c| c.http_header_config()) {
                out.push((header.http_header_name().unwrap_or("").to_string(), header.values().to_vec()));
            }
        }
    }
    out.sort();
    out
}

/// A stack of one routed service `web` with `deploy` (a YAML flow map) and `extra_env`.
pub fn spec(dir: &Path, stack: &str, version: &str, deploy: &str, extra_env: &str) -> String {
    let text = format!(
        "stack: {stack}\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nload_balancer: {{ public: true, http: 80 }}\nservices:\n  web:\n    image: \"123456789012.dkr.ecr.us-east-1.amazonaws.com/rollouts/web:v1\"\n    port: 80\n    count: 4\n    routes: [ {{ path: \"/*\" }} ]\n    health_check: {{ path: / }}\n    env: {{ VERSION: \"{version}\"{extra_env} }}\n    deploy: {deploy}\n"
    );
    let path = dir.join(format!("{stack}-{version}.yaml"));
    std::fs::write(&path, text).expect("write the spec");
    path.display().to_string()
}

pub fn run(emulator: &Emulator, check: &CheckServer, args: &[&str]) -> Run {
    emulator.run(args, &[("ECSHIP_CHECK_ENDPOINT", &check.url)])
}

/// The (blue, green) weights of the service's first rule, from ELBv2.
pub async fn weights(emulator: &Emulator, stack: &str) -> (i32, i32) {
    all_weights(emulator, stack).await[0]
}

/// The (blue, green) weights of each of the service's rules, in the order of its routes.
pub async fn all_weights(emulator: &Emulator, stack: &str) -> Vec<(i32, i32)> {
    let config = emulator.sdk_config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let stacks = cfn.describe_stacks().stack_name(stack).send().await.expect("the stack");
    let output = stacks.stacks()[0]
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some("SvcWeb"))
        .and_then(|o| o.output_value())
        .expect("SvcWeb")
        .to_string();
    let field = |k: &str| output.split(';').find_map(|p| p.strip_prefix(&format!("{k}="))).expect("a field").to_string();
    let groups: Vec<String> = field("target_groups").split(',').map(str::to_string).collect();
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let mut out = Vec::new();
    for rule in field("rules").split(',') {
        let rules = elb.describe_rules().rule_arns(rule).send().await.expect("the rule");
        let tgs = rules.rules()[0].actions()[0].forward_config().expect("forward").target_groups().to_vec();
        let of = |arn: &str| tgs.iter().find(|t| t.target_group_arn() == Some(arn)).and_then(|t| t.weight()).unwrap_or(0);
        out.push((of(&groups[0]), of(&groups[1])));
    }
    out
}

pub async fn alarm(emulator: &Emulator, name: &str, state: &str, reason: &str) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
    let cw = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config().await);
    cw.put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/ApplicationELB")
        .metric_name("HTTPCode_Target_5XX_Count")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");
    cw.set_alarm_state().alarm_name(name).state_value(StateValue::from(state)).state_reason(reason).send().await.expect("SetAlarmState");
}

/// Start `ecship deploy SPEC --output json`; its stdout lines, and the child.
pub fn deploy_in_background(
    emulator: &Emulator,
    check: &CheckServer,
    spec: &str,
) -> (std::process::Child, std::io::Lines<BufReader<std::process::ChildStdout>>) {
    deploy_in_background_with(emulator, check, spec, &[])
}

/// The same, with `env` (`AWS_ENDPOINT_URL` of a fault proxy).
pub fn deploy_in_background_with(
    emulator: &Emulator,
    check: &CheckServer,
    spec: &str,
    env: &[(&str, &str)],
) -> (std::process::Child, std::io::Lines<BufReader<std::process::ChildStdout>>) {
    let mut cmd = emulator.ecship_process();
    let mut child = cmd
        .args(["deploy", spec, "--output", "json"])
        .env("ECSHIP_CHECK_ENDPOINT", &check.url)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ecship starts");
    let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    (child, lines)
}

/// Read `lines` until one contains `needle`.
pub fn until(lines: &mut std::io::Lines<BufReader<std::process::ChildStdout>>, needle: &str) {
    for line in lines.by_ref() {
        if line.expect("a line").contains(needle) {
            return;
        }
    }
    panic!("the output ended before {needle}");
}

/// The rest of a background run: its exit code and stderr.
pub fn finish(mut child: std::process::Child, lines: std::io::Lines<BufReader<std::process::ChildStdout>>) -> (i32, String) {
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let code = child.wait().expect("it ends").code().unwrap_or(-1);
    (code, format!("{stderr}{}", rest.join("\n")))
}

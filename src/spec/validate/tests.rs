//! One case per validation rule: a spec, the path it must blame and words of the message.

use std::path::Path;

use crate::spec::{load_str, validate, Diagnostics, LoadOptions};

fn vars(name: &str) -> Option<String> {
    (name == "TAG").then(|| "v7".to_string())
}

fn check(yaml: &str, env: Option<&str>) -> Result<crate::model::Model, Diagnostics> {
    let opts = LoadOptions { env, vars: &vars, defer_unset_vars: false };
    let loaded = load_str(yaml, Path::new("stack.yaml"), &opts)?;
    validate(&loaded)
}

/// A valid stack with one routed service; cases append or replace lines.
const BASE: &str = "stack: demo\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ { path: \"/*\" } ]\n";

fn with(extra_service_lines: &str) -> String {
    format!("{BASE}{extra_service_lines}")
}

#[track_caller]
fn expect(yaml: &str, path: &str, words: &str) {
    expect_env(yaml, None, path, words);
}

#[track_caller]
fn expect_env(yaml: &str, env: Option<&str>, path: &str, words: &str) {
    let problems = match check(yaml, env) {
        Ok(_) => panic!("expected a problem at {path} ({words}), but the spec is valid:\n{yaml}"),
        Err(d) => d.problems,
    };
    assert!(
        problems.iter().any(|p| p.path == path && p.message.contains(words)),
        "expected `{path}: …{words}…`, got:\n{}",
        problems.iter().map(|p| format!("  {}: {}", p.path, p.message)).collect::<Vec<_>>().join("\n")
    );
    assert!(
        problems.iter().all(|p| p.location.is_some() || p.path.is_empty() || p.path == "services"),
        "every problem is located: {problems:?}"
    );
}

#[test]
fn the_base_spec_is_valid() {
    let m = check(BASE, None).expect("valid");
    assert_eq!(m.stack.as_str(), "demo");
}

#[test]
fn shape_rules() {
    expect("stak: demo\nservices: {}\n", "stak", "unknown key");
    expect(&with("    prot: 80\n"), "services.web.prot", "unknown key `prot`");
    expect(&with("    cpu: lots\n"), "services.web.cpu", "expected a whole number");
    expect(&with("    deploy: { strategy: canery }\n"), "services.web.deploy.strategy", "`canery` is not one of");
    expect(&BASE.replace("{ path: \"/*\" }", "{ priority: 3 }"), "services.web.routes[0]", "missing required key `path`");
    expect(&with("    env: { A: [1] }\n"), "services.web.env.A", "expected");
    expect(&with("    command: !Ref Cmd\n"), "services.web.command", "YAML tags");
    expect("stack: demo\n", "", "missing required key `services`");
}

#[test]
fn names() {
    expect(&BASE.replace("stack: demo", "stack: Demo_Stack"), "stack", "lowercase");
    expect(&BASE.replace("stack: demo", &format!("stack: {}", "a".repeat(29))), "stack", "1 to 28 characters");
    expect(&BASE.replace("  web:", "  Web:"), "services.Web", "service name");
    expect(&format!("{BASE}  a-1:\n    image: nginx:1.27\n  a1:\n    image: nginx:1.27\n"), "services.a1", "same CloudFormation id");
    expect(&format!("{BASE}cluster: {{ name: \"bad name\" }}\n"), "cluster.name", "not a valid cluster name");
    expect(&format!("{BASE}region: mars\n"), "region", "not an AWS region");
    let long_env =
        format!("{}environments:\n  production-eu:\n    tags: {{ a: b }}\n", BASE.replace("stack: demo", "stack: a-rather-long-stack"));
    expect_env(&long_env, Some("production-eu"), "stack", "deployed stack name");
}

#[test]
fn network() {
    expect(&format!("{BASE}network: {{ cidr: 10.0.0.0/8 }}\n"), "network.cidr", "/16 to /24");
    expect(&format!("{BASE}network: {{ cidr: 10.0.0.1/16 }}\n"), "network.cidr", "host bits");
    expect(&format!("{BASE}network: {{ cidr: nope }}\n"), "network.cidr", "not an IPv4 CIDR");
    expect(&format!("{BASE}network: {{ azs: 4 }}\n"), "network.azs", "use 2 or 3");
    expect(
        &format!("{BASE}network: {{ vpc_id: vpc-0123abcd, cidr: 10.0.0.0/16, public_subnets: [subnet-0123abcd, subnet-0123abce] }}\n"),
        "network.cidr",
        "existing",
    );
    expect(
        &format!("{BASE}network: {{ vpc_id: vpc-XYZ, public_subnets: [subnet-0123abcd, subnet-0123abce] }}\n"),
        "network.vpc_id",
        "not a VPC id",
    );
    expect(
        &format!("{BASE}network: {{ vpc_id: vpc-0123abcd, public_subnets: [subnet-0123abcd] }}\n"),
        "network.public_subnets",
        "at least 2",
    );
    expect(
        &format!("{BASE}network: {{ vpc_id: vpc-0123abcd, public_subnets: [subnet-0123abcd, sn-1] }}\n"),
        "network.public_subnets[1]",
        "not a subnet id",
    );
    expect(&format!("{BASE}network: {{ public_subnets: [subnet-0123abcd] }}\n"), "network.public_subnets", "need `vpc_id`");
    expect(&format!("{}    subnets: private\nnetwork: {{ nat: none }}\n", BASE), "services.web.subnets", "need NAT");
}

#[test]
fn load_balancer() {
    expect(&format!("{BASE}load_balancer: {{ http: 70000 }}\n"), "load_balancer.http", "out of range");
    expect(
        &format!("{BASE}load_balancer: {{ https: {{ certificate: nope }} }}\n"),
        "load_balancer.https.certificate",
        "ACM certificate ARN",
    );
    expect(
        &format!("{BASE}load_balancer: {{ http: 443, https: {{ certificate: \"arn:aws:acm:us-east-1:123456789012:certificate/x\" }} }}\n"),
        "load_balancer.https.port",
        "both use port 443",
    );
    expect(&format!("{BASE}load_balancer: {{ idle_timeout: 2h }}\n"), "load_balancer.idle_timeout", "out of range");
    expect(
        &format!("{BASE}load_balancer: {{ public: false }}\nnetwork: {{ nat: none }}\n"),
        "load_balancer.public",
        "needs private subnets",
    );
}

#[test]
fn images() {
    expect(&BASE.replace("    image: nginx:1.27\n", ""), "services.web", "missing `image`");
    expect(&BASE.replace("nginx:1.27", "nginx"), "services.web.image", "`latest` tag");
    expect(&BASE.replace("nginx:1.27", "nginx:latest"), "services.web.image", "`latest` tag");
    expect(&BASE.replace("nginx:1.27", "Nginx:1"), "services.web.image", "not an image reference");
    expect(&BASE.replace("image: nginx:1.27", "image: { oci: ./x, uri: \"nginx:1\" }"), "services.web.image", "several image sources");
    expect(&BASE.replace("image: nginx:1.27", "image: { tag: v1 }"), "services.web.image", "no image source");
    expect(&BASE.replace("image: nginx:1.27", "image: { oci: ./layout, tag: latest }"), "services.web.image.tag", "`latest` is refused");
    expect(&BASE.replace("image: nginx:1.27", "image: { uri: \"nginx:1\", tag: v2 }"), "services.web.image.tag", "carries its own tag");
    expect(&BASE.replace("image: nginx:1.27", "image: { build: ./no-such-dir }"), "services.web.image.build", "not a directory");
    let ok = BASE.replace("image: nginx:1.27", "image: { uri: \"nginx:latest\", allow_latest: true }");
    assert!(check(&ok, None).is_ok(), "allow_latest permits latest");
    let pinned = BASE.replace("nginx:1.27", &format!("nginx@sha256:{}", "ab".repeat(32)));
    assert!(check(&pinned, None).is_ok(), "a digest is pinned");
}

#[test]
fn hosts_that_only_look_like_ecr_are_refused_wherever_an_image_is_named() {
    let fake = "123456789012.dkr.ecr.us-east-1.attacker.example";
    let says = format!("`{fake}` looks like an ECR registry but is not one");
    expect(&BASE.replace("nginx:1.27", &format!("{fake}/app:1")), "services.web.image", &says);
    expect(&BASE.replace("image: nginx:1.27", &format!("image: {{ uri: \"{fake}/app:1\" }}")), "services.web.image.uri", &says);
    expect(&with(&format!("    sidecars: {{ agent: {{ image: \"{fake}/agent:1\" }} }}\n")), "services.web.sidecars.agent.image", &says);
    expect(&format!("{BASE}jobs:\n  report:\n    image: \"{fake}/report:1\"\n"), "jobs.report.image", &says);
    for host in [
        "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
        "123456789012.DKR.ECR.us-east-1.amazonaws.com",
    ] {
        expect(
            &BASE.replace("nginx:1.27", &format!("{host}/app:1")),
            "services.web.image",
            &format!("`{host}` looks like an ECR registry"),
        );
    }
    for real in ["123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"] {
        assert!(check(&BASE.replace("nginx:1.27", &format!("{real}/app:1")), None).is_ok(), "{real} is ECR's");
    }
}

#[test]
fn secrets_written_into_commands_and_build_args_are_refused() {
    expect(&with("    command: [app, --password, hunter2]\n"), "services.web.command[2]", "looks like a secret in plain text");
    expect(
        &with("    command: [sh, -c, \"DB_PASSWORD=hunter2 exec app\"]\n"),
        "services.web.command[2]",
        "whose name says it holds a secret",
    );
    let sidecar = "    sidecars:\n      probe:\n        image: busybox:1.36\n        command: [agent, \"--api-key=k-1\"]\n        health_check: { command: [CMD-SHELL, \"curl -H 'Authorization: Bearer abc' http://localhost/\"] }\n";
    expect(&with(sidecar), "services.web.sidecars.probe.command[1]", "plain text");
    expect(&with(sidecar), "services.web.sidecars.probe.health_check.command[1]", "Authorization header");
    expect(
        &format!("{BASE}jobs:\n  report:\n    image: busybox:1.36\n    command: [report, --token, t-123]\n"),
        "jobs.report.command[2]",
        "plain text",
    );
    let build = BASE.replace("image: nginx:1.27", "image: { build: { context: ., args: { NPM_TOKEN: npm_abc, NODE_ENV: production } } }");
    expect(&build, "services.web.image.build.args.NPM_TOKEN", "looks like a secret in plain text");
    let fine = with("    command: [sh, -c, 'exec app --password \"$DB_PASSWORD\" --password-file /run/db']\n");
    assert!(check(&fine, None).is_ok(), "a variable read when the command runs is no secret in it");
}

#[test]
fn sizes_and_counts() {
    expect(&with("    cpu: 300\n"), "services.web.cpu", "no 300 CPU size");
    expect(&with("    cpu: 256\n    memory: 4096\n"), "services.web.memory", "not a Fargate size for cpu 256");
    expect(&with("    cpu: 1024\n    memory: 1024\n"), "services.web.memory", "not a Fargate size for cpu 1024");
    expect(&BASE.replace("count: 2", "count: 6000"), "services.web.count", "at most 5000");
    expect(&BASE.replace("port: 80", "port: 0"), "services.web.port", "out of range");
    expect(&BASE.replace("port: 80", "port: 65536"), "services.web.port", "out of range");
    expect(&with("    command: []\n"), "services.web.command", "at least one word");
    let m = check(&with("    cpu: 2048\n"), None).expect("valid");
    assert_eq!(m.services.values().next().map(|s| s.memory.get()), Some(4096), "memory defaults to the least the cpu allows");
}

#[test]
fn env_and_secrets() {
    expect(&with("    env: { DB_PASSWORD: hunter2 }\n"), "services.web.env.DB_PASSWORD", "plain text");
    expect(&with("    env: { KEY: AKIAABCDEFGHIJKLMNOP }\n"), "services.web.env.KEY", "AWS access key");
    expect(&with("    env: { 1X: a }\n"), "services.web.env.1X", "not a valid environment variable name");
    expect(&with("    env: { A: x }\n    secrets: { A: \"ssm:/a\" }\n"), "services.web.env.A", "in both env and secrets");
    expect(&with("    secrets: { A: \"vault:/a\" }\n"), "services.web.secrets.A", "not a secret reference");
    expect(&with("    secrets: { A: \"ssm:bad path\" }\n"), "services.web.secrets.A", "not an SSM parameter");
    expect(&with("    secrets: { A: \"secretsmanager:arn:aws:s3:::bucket\" }\n"), "services.web.secrets.A", "not a Secrets Manager ARN");
    expect(&with("    secrets: { A: \"secretsmanager:${x}\" }\n"), "services.web.secrets.A", "");
    expect(&with("    env: { U: \"${service.wbe.url}\" }\n"), "services.web.env.U", "names no service `wbe`");
    expect(&with("    env: { U: \"${service.web.host}\" }\n"), "services.web.env.U", "has no `host`");
    expect(&with("    env: { U: \"${stack.name}\" }\n"), "services.web.env.U", "not a reference ecship knows");
    let worker = format!("{}    env: {{ W: \"${{service.worker.url}}\" }}\n  worker:\n    image: nginx:1.27\n", BASE);
    expect(&worker, "services.web.env.W", "no URL inside the cluster");
    let lb = format!("{}    env: {{ W: \"${{service.worker.lb_url}}\" }}\n  worker:\n    image: nginx:1.27\n    port: 81\n", BASE);
    expect(&lb, "services.web.env.W", "not behind the load balancer");
}

#[test]
fn interpolation() {
    expect(&BASE.replace("nginx:1.27", "nginx:${NOT_SET}"), "services.web.image", "`NOT_SET` is not set");
    expect(&BASE.replace("nginx:1.27", "nginx:${TAG"), "services.web.image", "not closed");
    let m = check(&BASE.replace("nginx:1.27", "nginx:${TAG}").replace("count: 2", "count: ${N:-3}"), None).expect("valid");
    let web = m.services.values().next().expect("web");
    assert!(matches!(&web.image, crate::model::Image::Uri { uri, .. } if uri == "nginx:v7"));
    assert_eq!(web.count, 3, "a whole ${{VAR}} keeps its YAML type");
}

#[test]
fn health_checks() {
    expect(&with("    health_check: { path: health }\n"), "services.web.health_check.path", "start with `/`");
    expect(&with("    health_check: { interval: 2s }\n"), "services.web.health_check.interval", "out of range");
    expect(&with("    health_check: { interval: 5s, timeout: 5s }\n"), "services.web.health_check.timeout", "shorter than the interval");
    expect(&with("    health_check: { healthy: 1 }\n"), "services.web.health_check.healthy", "use 2 to 10");
    expect(&with("    health_check: { unhealthy: 11 }\n"), "services.web.health_check.unhealthy", "use 2 to 10");
    expect(&with("    health_check: { codes: \"500\" }\n"), "services.web.health_check.codes", "within 200–499");
    expect(&with("    health_check: { grace: soon }\n"), "services.web.health_check.grace", "not a duration");
    expect(&with("    drain: 2h\n"), "services.web.drain", "out of range");
    let no_routes = "stack: demo\nservices:\n  w:\n    image: nginx:1.27\n    health_check: { path: / }\n";
    expect(no_routes, "services.w.health_check", "no routes");
}

#[test]
fn routes() {
    expect(&BASE.replace("\"/*\"", "api"), "services.web.routes[0].path", "must start with `/`");
    expect(&BASE.replace("\"/*\"", &format!("\"/{}\"", "a".repeat(130))), "services.web.routes[0].path", "allows 128");
    expect(&BASE.replace("\"/*\"", "\"/a b\""), "services.web.routes[0].path", "does not allow");
    expect(&BASE.replace("{ path: \"/*\" }", "{ path: \"/*\", host: \"bad_host\" }"), "services.web.routes[0].host", "may hold only");
    expect(&BASE.replace("{ path: \"/*\" }", "{ path: \"/*\", priority: 0 }"), "services.web.routes[0].priority", "use 1 to 50000");
    let first = BASE
        .replace("{ path: \"/*\" }", "{ path: \"/*\", priority: 1 }")
        .replace("count: 2\n", "count: 2\n    deploy: { strategy: blue_green }\n");
    expect(&first, "services.web.routes", "no room for the two test rules of a blue/green service before priority 1");
    expect(&BASE.replace("stack: demo", "stack: ecship-lock"), "stack", "is kept");
    let many = BASE
        .replace("{ path: \"/*\" }", "{ path: /a }, { path: /b }, { path: /c }, { path: /d }, { path: /e }")
        .replace("count: 2\n", "count: 2\n    deploy: { strategy: blue_green }\n");
    expect(&many, "services.web.routes", "at most 4 route paths");
    expect(&BASE.replace("    port: 80\n", ""), "services.web.port", "needs a `port`");
    let clash = format!("{}  api:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ {{ path: \"/api*\", priority: 500 }}, {{ path: \"/v2*\", priority: 500 }} ]\n", BASE);
    expect(&clash, "services.api.routes[1].priority", "already used by services.api.routes[0]");
    let dup = format!("{}  api:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ {{ path: \"/*\" }} ]\n", BASE);
    expect(&dup, "services.web.routes[0].path", "already routed");
    let many: String = (0..101).map(|i| format!("{{ path: \"/r{i}\" }}, ")).collect();
    expect(
        &BASE.replace("{ path: \"/*\" }", &many),
        "load_balancer",
        "the load balancer has 101 listener rules: the quota is 100 rules per application load balancer (1 over)",
    );
}

#[test]
fn strategies() {
    expect(
        &BASE.replace("count: 2", "count: 1").replace("routes:", "deploy: { strategy: rolling }\n    routes:"),
        "services.web.count",
        "rolling deploy of 1 task",
    );
    let single = check(&BASE.replace("count: 2", "count: 1"), None).expect("one task with the default strategy is valid");
    assert_eq!(single.services.values().next().map(|s| s.deploy.rollout.name().as_str()), Some("doubling"));
    let many = check(BASE, None).expect("valid");
    assert_eq!(many.services.values().next().map(|s| s.deploy.rollout.name().as_str()), Some("rolling"));
    assert!(check(&BASE.replace("count: 2", "count: 1").replace("routes:", "deploy: { strategy: doubling }\n    routes:"), None).is_ok());
    expect(&with("    deploy: { strategy: rolling, canary: { percent: 10 } }\n"), "services.web.deploy.canary", "need strategy: canary");
    expect(
        &with("    deploy: { strategy: canary, blue_green: { bake: 1m } }\n"),
        "services.web.deploy.blue_green",
        "need strategy: blue_green",
    );
    expect(&with("    deploy: { strategy: canary, canary: { percent: 100 } }\n"), "services.web.deploy.canary.percent", "1 to 99");
    expect(
        &with("    deploy: { strategy: canary, canary: { percent: 10, steps: [10, 100] } }\n"),
        "services.web.deploy.canary",
        "not both",
    );
    expect(
        &with("    deploy: { strategy: canary, canary: { steps: [50, 10, 100] } }\n"),
        "services.web.deploy.canary.steps[1]",
        "must increase",
    );
    expect(
        &with("    deploy: { strategy: canary, canary: { steps: [10, 50] } }\n"),
        "services.web.deploy.canary.steps",
        "last step must be 100",
    );
    expect(&with("    deploy: { strategy: canary, canary: { steps: [100] } }\n"), "services.web.deploy.canary.steps", "at least two steps");
    expect(&with("    deploy: { strategy: canary, canary: { bake: 2d } }\n"), "services.web.deploy.canary.bake", "out of range");
    expect(
        &with("    deploy: { strategy: blue_green, blue_green: { bake: forever } }\n"),
        "services.web.deploy.blue_green.bake",
        "not a duration",
    );
    expect(
        &BASE.replace("count: 2", "count: 0").replace("routes:", "deploy: { strategy: canary }\n    routes:"),
        "services.web.count",
        "count 0",
    );
    let unrouted = "stack: demo\nservices:\n  w:\n    image: nginx:1.27\n    deploy: { strategy: blue_green }\n";
    expect(unrouted, "services.w.deploy.strategy", "no routes");
    expect(&with("    deploy: { strategy: doubling, timeout: 10s }\n"), "services.web.deploy.timeout", "out of range");
}

#[test]
fn rollout_checks() {
    let routed = BASE.replace("\"/*\"", "\"/api*\"");
    expect(
        &format!("{routed}    deploy: {{ strategy: canary, check: {{ http: /health }} }}\n"),
        "services.web.deploy.check.http",
        "not routed to this service",
    );
    expect(
        &format!("{BASE}    deploy: {{ strategy: canary, check: {{ http: health }} }}\n"),
        "services.web.deploy.check.http",
        "starting with `/`",
    );
    expect(
        &format!("{BASE}    deploy: {{ strategy: canary, check: {{ http: /h, expect: 99 }} }}\n"),
        "services.web.deploy.check.expect",
        "not an HTTP status",
    );
    expect(
        &format!("{BASE}    deploy: {{ strategy: canary, check: {{ http: /h, failures: 0 }} }}\n"),
        "services.web.deploy.check.failures",
        "1 to 100",
    );
    expect(
        &format!("{BASE}    deploy: {{ strategy: canary, check: {{ http: /h, interval: 0s }} }}\n"),
        "services.web.deploy.check.interval",
        "out of range",
    );
}

#[test]
fn autoscaling_and_permissions() {
    expect(&with("    autoscaling: { min: 5, max: 2, cpu: 50 }\n"), "services.web.autoscaling", "above max");
    expect(&with("    autoscaling: { min: 3, max: 5, cpu: 50 }\n"), "services.web.count", "outside autoscaling");
    expect(&with("    autoscaling: { min: 1, max: 5 }\n"), "services.web.autoscaling", "no metric");
    expect(&with("    autoscaling: { min: 1, max: 5, cpu: 150 }\n"), "services.web.autoscaling.cpu", "1 to 100");
    expect(&with("    autoscaling: { min: 1, max: 6000, cpu: 50 }\n"), "services.web.autoscaling.max", "at most 5000");
    expect(
        &with("    permissions: [ { actions: [\"s3 get\"], resources: [\"*\"] } ]\n"),
        "services.web.permissions[0].actions[0]",
        "not a specific IAM action",
    );
    expect(
        &with("    permissions: [ { actions: [], resources: [\"*\"] } ]\n"),
        "services.web.permissions[0].actions",
        "at least one action",
    );
    expect(
        &with("    permissions: [ { actions: [\"s3:GetObject\"], resources: [bucket] } ]\n"),
        "services.web.permissions[0].resources[0]",
        "not an ARN",
    );
    expect(
        &with("    permissions: [ { actions: [\"s3:GetObject\"], resources: [] } ]\n"),
        "services.web.permissions[0].resources",
        "at least one resource",
    );
}

#[test]
fn wildcard_permissions_need_allow_wildcard() {
    let perm = |p: &str| with(&format!("    permissions: [ {p} ]\n"));
    let everything = "every action of every AWS service";
    expect(&perm("{ actions: [\"*\"], resources: [\"*\"] }"), "services.web.permissions[0].actions[0]", everything);
    expect(&perm("{ actions: [\"*\"], resources: [\"arn:aws:s3:::b\"] }"), "services.web.permissions[0].actions[0]", everything);
    expect(
        &perm("{ actions: [s3:GetObject, \"s3:*\"], resources: [\"arn:aws:s3:::b/*\", \"*\"] }"),
        "services.web.permissions[0].actions[1]",
        "every s3 action on every resource (`*`)",
    );
    let jobs = format!(
        "{BASE}jobs:\n  report:\n    image: busybox:1.36\n    permissions: [ {{ actions: [\"dynamodb:*\"], resources: [\"*\"] }} ]\n"
    );
    expect(&jobs, "jobs.report.permissions[0].actions[0]", "every dynamodb action");
    // A whole service on named resources, a prefix on every resource, and a wildcard said on purpose.
    assert!(check(&perm("{ actions: [\"s3:*\"], resources: [\"arn:aws:s3:::b/*\"] }"), None).is_ok());
    assert!(check(&perm("{ actions: [\"s3:Get*\"], resources: [\"*\"] }"), None).is_ok());
    assert!(check(&perm("{ actions: [\"*\"], resources: [\"*\"], allow_wildcard: true }"), None).is_ok());
    assert!(check(&perm("{ actions: [\"s3:*\"], resources: [\"*\"], allow_wildcard: true }"), None).is_ok());
}

#[test]
fn a_permissions_boundary_is_a_managed_policy_arn() {
    let boundary = "arn:aws:iam::123456789012:policy/ecship-boundary";
    let m = check(&format!("{BASE}permissions_boundary: {boundary}\n"), None).expect("valid");
    assert_eq!(m.permissions_boundary.as_deref(), Some(boundary));
    expect(
        &format!("{BASE}permissions_boundary: arn:aws:iam::123456789012:role/admin\n"),
        "permissions_boundary",
        "not the ARN of an IAM managed policy",
    );
    let envs = format!("{BASE}environments:\n  prod:\n    permissions_boundary: {boundary}\n");
    assert_eq!(check(&envs, Some("prod")).expect("valid").permissions_boundary.as_deref(), Some(boundary));
    assert_eq!(check(&envs, None).expect("valid").permissions_boundary, None);
}

#[test]
fn logs_tags_and_environments() {
    expect(&format!("{BASE}logs: {{ retention_days: 31 }}\n"), "logs.retention_days", "cannot keep logs for 31 days");
    expect(&format!("{BASE}tags: {{ \"aws:owner\": me }}\n"), "tags.aws:owner", "reserved");
    expect(&format!("{BASE}tags: {{ \"ecship:x\": me }}\n"), "tags.ecship:x", "reserved");
    let envs = format!("{BASE}environments:\n  prod:\n    services: {{ web: {{ cpu: 3 }} }}\n");
    expect_env(&envs, Some("prod"), "environments.prod.services.web.cpu", "no 3 CPU size");
    expect_env(&envs, Some("prdo"), "environments", "no environment named `prdo`");
    expect(&format!("{BASE}environments:\n  prod:\n    stack: other\n"), "environments.prod.stack", "unknown key");
}

#[test]
fn environment_overrides_merge_and_remove() {
    let yaml = format!(
        "{BASE}    env: {{ A: \"1\", B: \"2\" }}\nenvironments:\n  prod:\n    services:\n      web: {{ count: 4, env: {{ B: null, C: \"3\" }} }}\n"
    );
    let m = check(&yaml, Some("prod")).expect("valid");
    assert_eq!(m.stack.as_str(), "demo-prod");
    let web = m.services.values().next().expect("web");
    assert_eq!(web.count, 4);
    let keys: Vec<&str> = web.env.keys().map(String::as_str).collect();
    assert_eq!(keys, ["A", "C"], "maps merge and null removes");
}

#[test]
fn errors_in_overrides_point_into_the_environment() {
    let yaml = format!("{BASE}environments:\n  prod:\n    services:\n      web: {{ cpu: 3 }}\n");
    let err = check(&yaml, Some("prod")).expect_err("invalid");
    let p = err.problems.iter().find(|p| p.path == "environments.prod.services.web.cpu").expect("cpu problem, named where it was written");
    assert_eq!(p.location.map(|l| l.line), Some(11), "line of the override, not of the base");
}

#[test]
fn an_override_of_a_service_the_base_does_not_declare_is_a_typo() {
    let yaml = format!("{BASE}environments:\n  prod:\n    services:\n      wbe: {{ count: 3 }}\n      nope: null\n");
    let err = check(&yaml, Some("prod")).expect_err("invalid");
    let found: Vec<(&str, &str, Option<&str>)> =
        err.problems.iter().map(|p| (p.path.as_str(), p.message.as_str(), p.hint.as_deref())).collect();
    assert_eq!(
        found,
        [
            (
                "environments.prod.services.wbe",
                "environment `prod` overrides service `wbe`, which the base spec does not declare",
                Some("did you mean `web`?")
            ),
            (
                "environments.prod.services.nope",
                "environment `prod` removes service `nope`, which the base spec does not declare",
                Some("an environment changes or removes (`nope: null`) the services the base spec declares; to run `nope` in some environments only, declare it in the base `services:` and remove it with `nope: null` where it should not run")
            ),
        ],
        "only the typo, not also an incomplete service `wbe`"
    );
    assert_eq!(err.problems[0].location.map(|l| l.line), Some(11));
}

#[test]
fn every_problem_is_reported_at_once() {
    let yaml = "stack: Bad\nservices:\n  web:\n    image: nginx\n    prot: 80\n    cpu: 3\n    routes: [ { path: x } ]\n";
    let err = check(yaml, None).expect_err("invalid");
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    for want in ["stack", "services.web.image", "services.web.prot", "services.web.cpu", "services.web.routes[0].path", "services.web.port"]
    {
        assert!(paths.contains(&want), "{want} missing from {paths:?}");
    }
}

#[test]
fn errors_never_echo_secret_values() {
    let err = check(&with("    env: { DB_PASSWORD: \"s3cr3t-canary-value\" }\n"), None).expect_err("invalid");
    let text = err.to_string();
    assert!(text.contains("DB_PASSWORD"));
    assert!(!text.contains("s3cr3t-canary-value"), "{text}");
    let cmd = with("    command: [sh, -c, \"exec app --password s3cr3t-canary-value -u admin:s3cr3t-canary-value\"]\n");
    let text = check(&cmd, None).expect_err("invalid").to_string();
    assert!(text.contains("services.web.command[2]") && !text.contains("s3cr3t-canary-value"), "{text}");
}

#[test]
fn routes_that_derive_the_same_priority_are_split_whatever_the_service_names() {
    use super::routes::derive_priority;
    use crate::model::Route;
    let route = |path: &str| Route { path: path.into(), host: None, priority: 0, derived: true };
    let target = derive_priority("m", &route("/x*"));
    let svc = |name: &str, path: &str| {
        format!("  {name}:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ {{ path: \"{path}\" }} ]\n")
    };
    let colliding: Vec<String> =
        (0..200_000).map(|i| format!("s{i}")).filter(|n| derive_priority(n, &route("/y*")) == target).take(2).collect();
    for other in colliding {
        let m = check(&format!("stack: demo\nservices:\n{}{}", svc("m", "/x*"), svc(&other, "/y*")), None).expect("valid");
        let mut got: Vec<u32> = m.services.values().map(|s| s.routes[0].priority).collect();
        got.sort();
        assert_eq!(got, [target, target + 1], "with {other}");
    }
}

#[test]
fn only_the_selected_environment_is_interpolated() {
    let yaml =
        format!("{BASE}environments:\n  prod:\n    services: {{ web: {{ image: \"${{PROD_IMAGE}}\", count: \"${{PROD_COUNT}}\" }} }}\n");
    assert!(check(&yaml, None).is_ok(), "prod's variables are not needed without --env prod");
    expect_env(&yaml, Some("prod"), "environments.prod.services.web.image", "`PROD_IMAGE` is not set");
}

#[test]
fn a_variable_is_read_as_a_number_only_where_a_number_is_expected() {
    let yaml = format!("{BASE}    env: {{ SHA: \"${{TAG}}\" }}\n").replace("image: nginx:1.27", "image: { oci: ./l, tag: \"${TAG}\" }");
    let opts = LoadOptions { env: None, vars: &|n| (n == "TAG").then(|| "1234567".to_string()), defer_unset_vars: false };
    let loaded = load_str(&yaml, Path::new("s.yaml"), &opts).expect("loads");
    let m = validate(&loaded).expect("valid");
    let web = m.services.values().next().expect("web");
    assert!(matches!(&web.image, crate::model::Image::Oci { tag: Some(t), .. } if t == "1234567"));
    assert_eq!(web.env.get("SHA"), Some(&crate::model::EnvValue::Text("1234567".into())));
    let bad = BASE.replace("count: 2", "count: ${TAG}");
    let opts = LoadOptions { env: None, vars: &|_| Some("two".to_string()), defer_unset_vars: false };
    let err = load_str(&bad, Path::new("s.yaml"), &opts).and_then(|l| validate(&l)).expect_err("not a number");
    assert!(
        err.problems.iter().any(|p| p.path == "services.web.count" && p.message.contains("environment variable gives other text")),
        "{err}"
    );
    assert!(!err.to_string().contains("two"), "the variable's value is not shown");
}

#[test]
fn escaped_dollars_in_env_are_literal() {
    let m = check(&with("    env: { A: \"$${HOME}/x\", B: \"x$${y\" }\n"), None).expect("valid");
    let web = m.services.values().next().expect("web");
    assert_eq!(web.env.get("A"), Some(&crate::model::EnvValue::Text("${HOME}/x".into())));
    assert_eq!(web.env.get("B"), Some(&crate::model::EnvValue::Text("x${y".into())));
}

#[test]
fn existing_vpcs_need_subnets_where_the_load_balancer_is() {
    let internal = |private: &str| {
        format!("{BASE}load_balancer: {{ public: false }}\nnetwork: {{ vpc_id: vpc-0123abcd, private_subnets: [{private}] }}\n")
    };
    assert!(check(&internal("subnet-0000000a, subnet-0000000b"), None).is_ok(), "no public subnets needed for an internal load balancer");
    expect(&internal("subnet-0000000a"), "network.private_subnets", "needs at least 2");
    let public =
        format!("{BASE}network: {{ vpc_id: vpc-0123abcd, public_subnets: [subnet-0000000a], private_subnets: [subnet-0000000c] }}\n");
    expect(&public, "network.public_subnets", "needs at least 2");
    let worker = "stack: demo\nnetwork: { vpc_id: vpc-0123abcd, private_subnets: [subnet-0000000c] }\nservices:\n  w: { image: nginx:1.27, count: 2 }\n";
    assert!(check(worker, None).is_ok(), "no load balancer, no public subnets needed");
    expect(&worker.replace("count: 2", "count: 2, subnets: public"), "services.w.subnets", "no public subnets");
}

#[test]
fn tag_characters_are_checked() {
    expect(&format!("{BASE}tags: {{ team: \"~x\" }}\n"), "tags.team", "may hold only");
    assert!(check(&format!("{BASE}tags: {{ Name: shop, \"cost-center\": \"a/b=c+d@e\" }}\n"), None).is_ok());
}

#[test]
fn nulls_in_overrides_remove_keys_but_not_list_items() {
    let yaml = format!("{BASE}environments:\n  dev:\n    services: {{ web: {{ routes: [ null ] }} }}\n");
    expect_env(&yaml, Some("dev"), "environments.dev.services.web.routes[0]", "expected a map");
    let gone = format!("{BASE}environments:\n  gone:\n    services: null\n");
    expect_env(&gone, Some("gone"), "", "missing required key `services`");
}

#[test]
fn a_misspelt_required_key_is_reported_once() {
    let err = check("stack: demo\nservics:\n  web: { image: nginx:1.27 }\n", None).expect_err("invalid");
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].hint.as_deref(), Some("did you mean `services`?"));
}

#[test]
fn yaml_merge_keys_work() {
    let yaml = "stack: demo\nx-common: &common { image: nginx:1.27, port: 80, count: 2 }\nservices:\n  a: { <<: *common, routes: [ { path: /a } ] }\n  b: { <<: *common, routes: [ { path: /b } ] }\n";
    // `x-common` is not a spec key: merge keys need their anchor somewhere valid.
    expect(yaml, "x-common", "unknown key");
    let yaml = "stack: demo\nservices:\n  a: &common { image: nginx:1.27, port: 80, count: 2, routes: [ { path: /a } ] }\n  b: { <<: *common, routes: [ { path: /b } ] }\n";
    let m = check(yaml, None).expect("valid");
    assert_eq!(m.services.values().map(|s| s.port.map(|p| p.get())).collect::<Vec<_>>(), [Some(80), Some(80)]);
}

#[test]
fn a_route_hidden_behind_an_earlier_catch_all_is_an_error() {
    let yaml = format!(
        "{}  api:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ {{ path: \"/api/*\", priority: 200 }} ]\n",
        BASE.replace("{ path: \"/*\" }", "{ path: \"/*\", priority: 100 }")
    );
    expect(&yaml, "services.api.routes[0].path", "never reached: services.web.routes[0]");
    // Derived priorities put the specific route first.
    let derived = format!("{BASE}  api:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ {{ path: \"/api/*\" }} ]\n");
    assert!(check(&derived, None).is_ok());
}

#[test]
fn numbers_too_large_or_negative_are_located_problems() {
    expect(&BASE.replace("count: 2", "count: 99999999999"), "services.web.count", "out of range");
    let yaml = BASE.replace("count: 2", "count: ${N}").replace("\"/*\"", "nope");
    let opts = LoadOptions { env: None, vars: &|_| Some("-1".to_string()), defer_unset_vars: false };
    let err = load_str(&yaml, Path::new("s.yaml"), &opts).and_then(|l| validate(&l)).expect_err("invalid");
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"services.web.count") && paths.contains(&"services.web.routes[0].path"), "{err}");
}

#[test]
fn duplicate_keys_are_refused() {
    let yaml = format!("{BASE}  web:\n    image: nginx:1.27\n");
    let err = check(&yaml, None).expect_err("duplicate");
    assert!(err.problems[0].message.contains("duplicate entry with key \"web\""), "{err}");
}

/// `n` services `s0`… each with one route, on `lb:` when given.
fn many(n: usize, lb: Option<&str>, head: &str) -> String {
    let mut spec = format!("stack: big\n{head}services:\n");
    for i in 0..n {
        spec.push_str(&format!("  s{i}:\n    image: nginx:1.27\n    port: 80\n    routes: [ {{ path: \"/s{i}/*\" }} ]\n"));
        if let Some(lb) = lb {
            spec.push_str(&format!("    load_balancer: {lb}\n"));
        }
    }
    spec
}

#[test]
fn quotas_are_checked_per_load_balancer_and_raised_ones_declared() {
    expect(&many(101, None, ""), "load_balancer", "101 listener rules: the quota is 100 rules per application load balancer (1 over)");
    let err = check(&many(101, None, ""), None).expect_err("over");
    let hint = err.problems.iter().find_map(|p| p.hint.clone()).unwrap_or_default();
    assert!(hint.contains("`quotas: { rules_per_load_balancer: N }`") && hint.contains("`load_balancers:`"), "{hint}");
    // Raised in the account and declared: fine.
    check(&many(150, None, "quotas: { rules_per_load_balancer: 200, target_groups_per_load_balancer: 200 }\n"), None).expect("valid");
    // Target groups count two per two-colour service.
    let bg = many(60, None, "quotas: { rules_per_load_balancer: 200 }\n")
        .replace("    port: 80\n", "    port: 80\n    count: 2\n    deploy: { strategy: canary }\n");
    expect(&bg, "load_balancer", "has 120 target groups (two for each canary or blue/green service): the quota is 100");
    // Two balancers: each has its own quota.
    let split = format!(
        "{}{}",
        many(80, Some("a"), "load_balancers: { a: { public: true }, b: { public: true, http: 8080 } }\n"),
        many(80, Some("b"), "").replace("stack: big\nservices:\n", "").replace("  s", "  t").replace("/s", "/t")
    );
    check(&split, None).expect("80 rules on each of two balancers");
    expect(&many(1, None, "quotas: { listeners_per_load_balancer: 0 }\n"), "quotas.listeners_per_load_balancer", "leaves room for nothing");
}

#[test]
fn services_name_their_load_balancer_when_there_are_several() {
    let two = "load_balancers: { public: { public: true }, admin: { public: false } }\n";
    expect(&many(1, None, two), "services.s0", "routes need a load balancer, and this spec has 2");
    expect(&many(1, Some("pubilc"), two), "services.s0.load_balancer", "no load balancer named `pubilc`");
    let m = check(&many(2, Some("admin"), two), None).expect("valid");
    assert!(m.services.values().all(|s| s.load_balancer == Some(crate::model::LbName::Named("admin".into()))));
    assert_eq!(m.load_balancers.len(), 2);
    // One named balancer is the default.
    let one = check(&many(1, None, "load_balancers: { edge: { public: true } }\n"), None).expect("valid");
    assert_eq!(one.services.values().next().and_then(|s| s.load_balancer.clone()), Some(crate::model::LbName::Named("edge".into())));
    expect(&many(1, None, "load_balancer: { public: true }\nload_balancers: { edge: {} }\n"), "load_balancers", "not both");
    expect(&many(1, Some("edge"), "load_balancer: { public: true }\n"), "services.s0.load_balancer", "declares one `load_balancer`");
    // The same path on two balancers is no clash: each listener has its own rules.
    let same = format!(
        "{}{}",
        many(1, Some("public"), two),
        "  t0:\n    image: nginx:1.27\n    port: 80\n    routes: [ { path: \"/s0/*\" } ]\n    load_balancer: admin\n"
    );
    check(&same, None).expect("valid");
}

#[test]
fn test_rules_sit_just_before_their_service_s_first_route() {
    let yaml = BASE
        .replace("count: 2\n", "count: 2\n    deploy: { strategy: blue_green }\n")
        .replace("{ path: \"/*\" }", "{ path: \"/*\", priority: 7 }");
    let m = check(&yaml, None).expect("any priority is the user's to give");
    assert_eq!(m.services.values().next().and_then(|s| s.test_rules), Some(5), "5 and 6, just before 7");
}

/// A stack with one service on `api.example.com`, its load balancer's lines appended.
fn edge(lb: &str) -> String {
    format!("stack: demo\nload_balancer:\n{lb}services:\n  web:\n    image: nginx:1.27\n    port: 80\n    routes: [ {{ path: \"/*\", host: api.example.com }} ]\n")
}

#[test]
fn domains_waf_and_allow() {
    expect(
        &edge("  domain: { zone: example.org }\n"),
        "services.web.routes[0].host",
        "`api.example.com` (route /*) is not in hosted zone `example.org`",
    );
    expect(&edge("  domain: { zone: example.com, name: www.example.org }\n"), "load_balancer.domain.name", "not in hosted zone");
    expect(&edge("  domain: { name: api.example.com }\n"), "load_balancer.domain", "names no hosted zone");
    expect(&edge("  domain: { zone_id: not-an-id }\n"), "load_balancer.domain.zone_id", "not a Route 53 hosted zone id");
    expect(&edge("  public: false\n  domain: { zone: example.com }\n"), "load_balancer.domain", "needs `https.certificate`");
    expect(
        &edge("  public: false\n  https: { port: 443 }\n  domain: { zone: example.com }\n"),
        "load_balancer.https.certificate",
        "private hosted zone",
    );
    expect(&edge("  https: { port: 443 }\n"), "load_balancer.https.certificate", "missing");
    expect(&edge("  waf: { managed: [comon] }\n"), "load_balancer.waf.managed[0]", "not an AWS managed rule group");
    expect(&edge("  waf: { managed: [common, common] }\n"), "load_balancer.waf.managed[1]", "listed twice");
    expect(&edge("  waf: { rate_limit: 5 }\n"), "load_balancer.waf.rate_limit", "out of range");
    expect(&edge("  waf: {}\n"), "load_balancer.waf", "has no rule");
    expect(&edge("  allow: [203.0.113.0/33]\n"), "load_balancer.allow[0]", "not a CIDR block");
    expect(&edge("  allow: [203.0.113.7/24]\n"), "load_balancer.allow[0]", "host bits");
    expect(&edge("  allow: []\n"), "load_balancer.allow", "admits no one");
    expect(&edge("  http: 443\n  domain: { zone: example.com }\n"), "load_balancer.http", "HTTP cannot use port 443");
}

#[test]
fn a_domain_covers_every_routed_host_and_its_name() {
    let yaml = format!(
        "{}  other:\n    image: nginx:1.27\n    port: 80\n    routes: [ {{ path: \"/x\", host: API.example.com }}, {{ path: \"/y\", host: b.example.com }} ]\n",
        edge("  domain: { zone: example.com, name: www.example.com }\n  allow: [203.0.113.0/24, \"2001:db8::/32\"]\n")
    );
    let model = check(&yaml, None).expect("valid");
    let lb = &model.load_balancers[&crate::model::LbName::Single];
    let domain = lb.domain.as_ref().expect("domain");
    assert_eq!(domain.hosts, ["api.example.com", "b.example.com", "www.example.com"]);
    assert_eq!(domain.zone.to_look_up(), Some("example.com"));
    let https = lb.https.as_ref().expect("a domain implies HTTPS");
    assert_eq!((https.port.get(), &https.certificate), (443, &crate::model::Certificate::Domain));
    assert_eq!(lb.allow.len(), 2);
}

#[test]
fn an_unknown_waf_rule_group_gets_a_suggestion() {
    let problems = check(&edge("  waf: { managed: [known-bad-input] }\n"), None).expect_err("invalid").problems;
    assert!(problems.iter().any(|p| p.hint.as_deref() == Some("did you mean `known-bad-inputs`?")), "{problems:?}");
}

#[test]
fn previews_take_every_default_and_their_environment_can_change_them() {
    let yaml = format!("{BASE}  worker:\n    image: nginx:1.27\npreviews: {{}}\nenvironments:\n  prod:\n    previews: {{ ttl: 45s, overrides: {{ count: 1 }} }}\n");
    let m = check(&yaml, None).expect("valid");
    let p = m.previews.expect("previews");
    assert_eq!(p.ttl, std::time::Duration::from_secs(72 * 3600));
    assert_eq!(p.services.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["web"], "every service with routes");
    let prod = check(&yaml, Some("prod")).expect("valid").previews.expect("previews");
    assert_eq!((prod.ttl.as_secs(), prod.overrides.count), (45, Some(1)));
    expect(&with("previews: { ttl: 30m, host: \"{name}.example\" }\n"), "previews.host", "is not a host name starting with `{name}.`");
}

#[test]
fn signals_give_every_service_its_default_alarms_and_auto_names_the_gates() {
    use crate::model::signals::Threshold;
    use crate::model::{AlarmKind, Percent};
    let yaml = format!(
        "{}    deploy: {{ alarms: [auto, web-extra] }}\n  worker:\n    image: nginx:1.27\n    alarms: {{ cpu: 80%, memory: false }}\n  quiet:\n    image: nginx:1.27\n    alarms: false\nsignals: {{ notify: {{ email: [oncall@example.com] }} }}\n",
        BASE
    );
    let m = check(&yaml, None).expect("valid");
    let kinds =
        |s: &str| m.services.iter().find(|(n, _)| n.as_str() == s).map(|(_, v)| v.alarms.iter().map(|a| a.kind).collect::<Vec<_>>());
    assert_eq!(kinds("web"), Some(AlarmKind::ALL.to_vec()));
    assert_eq!(kinds("worker"), Some(vec![AlarmKind::Cpu, AlarmKind::RunningBelowDesired]));
    assert_eq!(kinds("quiet"), Some(vec![]));
    let worker = m.services.values().find(|s| s.name.as_str() == "worker").expect("worker");
    assert_eq!(worker.alarms[0].threshold, Threshold::Percent(Percent(80)));
    let web = m.services.values().find(|s| s.name.as_str() == "web").expect("web");
    assert_eq!(web.deploy.alarms, ["demo-web-errors_5xx", "demo-web-latency_p99", "demo-web-unhealthy", "web-extra"]);
    assert!(m.cluster.container_insights, "signals turn Container Insights on for the running counts");
    let s = m.signals.expect("signals");
    assert!(s.dashboard);
    assert_eq!(s.notify.email, ["oncall@example.com"]);
}

#[test]
fn without_signals_nothing_changes() {
    let m = check(BASE, None).expect("valid");
    assert!(m.signals.is_none());
    assert!(m.services.values().all(|s| s.alarms.is_empty()));
    assert!(!m.cluster.container_insights);
}

#[test]
fn storage_resolves_with_its_defaults_and_uses() {
    let yaml = "stack: demo\nstorage:\n  uploads: { type: bucket }\n  orders: { type: table, key: { partition: id, sort: { at: N } } }\n  main-db: { type: postgres, size: medium }\n  legacy: { type: table, existing: orders-prod }\nservices:\n  web:\n    image: nginx:1.27\n    uses: [uploads, { name: orders, access: read }, main-db]\n";
    let m = check(yaml, None).expect("valid");
    let web = m.services.values().next().expect("web");
    let uses: Vec<(&str, crate::model::Access)> = web.uses.iter().map(|u| (u.name.as_str(), u.access)).collect();
    use crate::model::Access::{Read, ReadWrite};
    assert_eq!(uses, [("uploads", ReadWrite), ("orders", Read), ("main-db", ReadWrite)]);
    let crate::model::StorageKind::Database(db) = &m.storage["main-db"].kind else { panic!("a database") };
    assert_eq!((db.instance.as_str(), db.version.as_str(), db.storage_gb, db.multi_az), ("db.m7g.large", "17.6", 20, false));
    let crate::model::StorageKind::Table(t) = &m.storage["orders"].kind else { panic!("a table") };
    assert_eq!(t.key.sort.as_ref().map(|s| (s.name.as_str(), s.kind)), Some(("at", "N")));
    assert_eq!(m.storage["legacy"].existing.as_deref(), Some("orders-prod"));
}

#[test]
fn storage_rules() {
    let base = "stack: demo\nservices:\n  web:\n    image: nginx:1.27\n";
    let with_storage = |storage: &str, uses: &str| format!("{base}    uses: {uses}\nstorage:\n{storage}");
    expect(&with_storage("  uploads: { type: bucket }\n", "[uplods]"), "services.web.uses[0]", "there is no storage `uplods`");
    expect(
        &with_storage("  t: { type: table, key: { partition: { id: X } } }\n", "[]"),
        "storage.t.key.partition.id",
        "not a key attribute type",
    );
    expect(&with_storage("  t: { type: table }\n", "[]"), "storage.t", "a table needs its `key`");
    expect(&with_storage("  db: { type: mysql, instance: db.serverless }\n", "[]"), "storage.db.instance", "no instance class");
    expect(&with_storage("  db: { type: postgres, size: small, instance: db.t4g.micro }\n", "[]"), "storage.db.instance", "not both");
    expect(&with_storage("  db: { type: aurora-postgres, min_acu: 8, max_acu: 2 }\n", "[]"), "storage.db.max_acu", "at least min_acu");
    expect(
        &with_storage("  db: { type: aurora-postgres, existing: legacy }\n", "[]"),
        "storage.db.existing",
        "Aurora cluster is not supported",
    );
    expect(&with_storage("  db: { type: mysql, existing: legacy_db }\n", "[]"), "storage.db.existing", "neither a DB instance identifier");
    expect(
        &with_storage("  db: { type: mysql, secret: \"arn:aws:secretsmanager:us-east-1:123456789012:secret:db\" }\n", "[]"),
        "storage.db.secret",
        "adopted database",
    );
    expect(
        &with_storage("  db: { type: mysql, existing: legacy, secret: \"arn:aws:ssm:us-east-1:1:parameter/x\" }\n", "[]"),
        "storage.db.secret",
        "not a Secrets Manager ARN",
    );
    expect(&with_storage("  b: { type: bucket, existing: my-bucket-s3alias }\n", "[]"), "storage.b.existing", "S3 keeps names");
    expect(&with_storage("  b: { type: bucket, existing: shop-files, kms: true }\n", "[]"), "storage.b.kms", "adopted as it is");
    expect(&with_storage("  b: { type: bucket, stream: true }\n", "[]"), "storage.b.stream", "does not apply to a bucket");
    expect(&with_storage("  db: { type: postgres }\n", "[{ name: db, access: read }]"), "services.web.uses[0].access", "users' grants");
    expect(
        &with_storage("  db: { type: postgres }\n", "[db]").replace("web:\n", "web:\n    secrets: { DB_SECRET: \"ssm:/x\" }\n"),
        "services.web.secrets.DB_SECRET",
        "set by `uses: [db]`",
    );
    let no_nat = format!("{base}network: {{ nat: none }}\nstorage:\n  db: {{ type: postgres }}\n");
    expect(&no_nat, "storage.db", "private subnets in two zones");
    expect(
        &with_storage("  b: { type: bucket }\n", "[]")
            .replace("image: nginx:1.27\n", "image: nginx:1.27\n    env: { X: \"${storage.b.secret}\" }\n"),
        "services.web.env.X",
        "has no `secret`",
    );
}

//! The `ecship` binary as a user runs it: exit codes, messages, formats.

mod common;

use common::ecship;
use predicates::prelude::*;

#[test]
fn validate_accepts_every_example_stack() {
    for (file, env) in common::example_stacks() {
        let mut cmd = ecship();
        cmd.args(["validate", &file]);
        if let Some(e) = &env {
            cmd.args(["--env", e]);
        }
        cmd.assert().success().stdout(predicate::str::starts_with(format!("ok: {file} is valid")));
    }
}

#[test]
fn validate_reports_every_problem_with_its_location_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "stack: shop\nservices:\n  web:\n    image: nginx:1.27\n    prot: 80\n    cpu: 100\n").expect("write");
    let out = ecship().arg("validate").arg(&file).assert().code(1).get_output().stderr.clone();
    let text = String::from_utf8(out).expect("utf-8");
    let f = file.display();
    assert!(text.contains(&format!("error: services.web.prot: unknown key `prot`\n  --> {f}:5:5\n  hint: did you mean `port`?")), "{text}");
    assert!(text.contains(&format!("error: services.web.cpu: Fargate has no 100 CPU size\n  --> {f}:6:10")), "{text}");
    assert!(text.ends_with(&format!("2 problems in {f}\n")), "{text}");
}

#[test]
fn validate_json_output_is_machine_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "stack: shop\nservices:\n  web:\n    image: nginx:1.27\n    cpu: 100\n").expect("write");
    let out = ecship().args(["--output", "json", "validate"]).arg(&file).assert().code(1).get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["valid"], false);
    assert_eq!(v["problems"][0]["path"], "services.web.cpu");
    assert_eq!(v["problems"][0]["location"]["line"], 5);

    let ok = ecship().args(["validate", "stacks/mysfits.yaml", "--output", "json"]).assert().success().get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&ok).expect("json");
    assert_eq!(v["valid"], true);
    assert_eq!(v["stack"], "mysfits");
    assert_eq!(v["services"], serde_json::json!(["like", "monolith"]));
}

#[test]
fn env_selects_overrides_and_names_the_stack() {
    ecship()
        .args(["validate", "stacks/mysfits.yaml", "--env", "prod"])
        .assert()
        .success()
        .stdout(predicate::str::contains("stack mysfits-prod"));
    ecship()
        .args(["validate", "stacks/mysfits.yaml", "--env", "prd"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no environment named `prd`").and(predicate::str::contains("did you mean `prod`?")));
    ecship()
        .args(["validate", "stacks/mysfits.yaml"])
        .env("ECSHIP_ENV", "prod")
        .assert()
        .success()
        .stdout(predicate::str::contains("mysfits-prod"));
}

#[test]
fn an_empty_env_means_no_environment() {
    // What CI passes for an input left empty (the GitHub Action's `env:`): the base spec,
    // every environment checked, as without --env.
    let base = || {
        predicate::str::starts_with("ok: stacks/mysfits.yaml is valid — stack mysfits, ")
            .and(predicate::str::contains("environment prod valid too"))
    };
    ecship().args(["validate", "stacks/mysfits.yaml"]).env("ECSHIP_ENV", "").assert().success().stdout(base());
    ecship().args(["validate", "stacks/mysfits.yaml", "--env", ""]).assert().success().stdout(base());
    // The command line wins over the variable, empty or not.
    ecship().args(["validate", "stacks/mysfits.yaml", "--env="]).env("ECSHIP_ENV", "prod").assert().success().stdout(base());
    ecship().args(["render", "stacks/mysfits.yaml", "--env", ""]).assert().success().stdout(predicate::str::contains("mysfits-prod").not());
}

#[test]
fn interpolation_reads_the_process_environment() {
    let out = ecship().args(["render", "stacks/forum.yaml"]).env("FORUM_VERSION", "2.0.0").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("repository/forum/users"), "the execution role may pull the forum images");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("s.yaml");
    std::fs::write(&file, "stack: s\nservices:\n  w:\n    image: \"nginx:${NGINX_TAG}\"\n    count: 2\n").expect("write");
    ecship()
        .arg("validate")
        .arg(&file)
        .env_remove("NGINX_TAG")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("environment variable `NGINX_TAG` is not set"));
    ecship().arg("validate").arg(&file).env("NGINX_TAG", "1.27").assert().success();
}

#[test]
fn missing_and_oversized_files_are_clear_errors() {
    ecship()
        .args(["validate", "stacks/nope.yaml"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: cannot read stacks/nope.yaml"));
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, format!("stack: big\n# {}\n", "x".repeat(1_100_000))).expect("write");
    ecship().arg("validate").arg(&big).assert().code(1).stderr(predicate::str::contains("specs larger than 1048576 bytes are refused"));
}

#[test]
fn render_writes_json_or_yaml_to_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("t.yaml");
    ecship().args(["render", "stacks/blog.yaml", "--format", "yaml", "-o"]).arg(&out).assert().success().stdout("");
    let text = std::fs::read_to_string(&out).expect("written");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1, "no temporary file is left beside the output");
    ecship()
        .args(["render", "stacks/blog.yaml", "-o", "/nonexistent-dir/t.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: cannot write /nonexistent-dir/t.json"));
    assert!(
        text.starts_with(
            "AWSTemplateFormatVersion: \"2010-09-09\"
Description: "
        ),
        "{}",
        &text[..80]
    );
    assert!(
        text.contains(
            "
  SvcPostsRule1:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
"
        ),
        "block style, readable"
    );
}

#[test]
fn render_warns_about_cloudformation_limits_and_validate_refuses_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("huge.yaml");
    // Every service's security group stays in the root stack (nested stacks take the rest):
    // 500 services are more than one root can hold.
    let mut spec = String::from("stack: huge\nservices:\n");
    for i in 0..500 {
        spec.push_str(&format!("  s{i}:\n    image: nginx:1.27\n"));
    }
    std::fs::write(&file, spec).expect("write");
    ecship()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::is_match(r"the template has \d+ resources; CloudFormation allows 500 \(\d+ over\)").expect("regex"));
    ecship().arg("render").arg(&file).assert().success().stderr(predicate::str::contains("warning: the template has"));
}

#[test]
fn validate_checks_every_environment_unless_one_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("envs.yaml");
    let spec = "stack: shop\nservices:\n  web: { image: { uri: \"public.ecr.aws/nginx/nginx:1.27\" }, port: 80 }\nenvironments:\n  staging:\n    services: { web: { count: 2 } }\n  prod:\n    services: { wbe: { count: 3 } }\n";
    std::fs::write(&file, spec).expect("write");
    // Without --env: the typo in prod is found, though the base spec is fine.
    let out = ecship().arg("validate").arg(&file).assert().code(1).get_output().stderr.clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains(&format!("error: environments.prod.services.wbe: environment `prod` overrides service `wbe`, which the base spec does not declare\n  --> {}:8:17\n  hint: did you mean `web`?", file.display())), "{text}");
    // --env names the one to check.
    ecship()
        .arg("validate")
        .arg(&file)
        .args(["--env", "staging"])
        .assert()
        .success()
        .stdout(predicate::str::contains("stack shop-staging"));
    // Fixed: every environment is said to be valid, in text and JSON.
    std::fs::write(&file, spec.replace("wbe:", "web:")).expect("write");
    ecship().arg("validate").arg(&file).assert().success().stdout(predicate::str::contains("; environments staging, prod valid too"));
    let out = ecship().args(["validate", "--output", "json"]).arg(&file).assert().success().get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["environments"], serde_json::json!(["staging", "prod"]));
}

#[test]
fn variables_only_an_environment_uses_are_left_to_its_deploy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vars.yaml");
    let spec = "stack: shop\nservices:\n  web: { image: { uri: \"public.ecr.aws/nginx/nginx:1.27\" }, port: 80 }\nenvironments:\n  prod:\n    services: { web: { image: { uri: \"${PROD_IMAGE}\" }, count: 3 } }\n";
    std::fs::write(&file, spec).expect("write");
    ecship().arg("validate").arg(&file).env_remove("PROD_IMAGE").assert().success().stderr(predicate::str::contains(
        "warning: environment prod uses PROD_IMAGE, not set here: the values that use it are checked when it is deployed (`--env prod`)",
    ));
    // Selected, the environment needs it.
    ecship()
        .arg("validate")
        .arg(&file)
        .args(["--env", "prod"])
        .env_remove("PROD_IMAGE")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("environments.prod.services.web.image.uri: environment variable `PROD_IMAGE` is not set"));
    // Set, its value is checked like any other.
    ecship()
        .arg("validate")
        .arg(&file)
        .env("PROD_IMAGE", "public.ecr.aws/nginx/nginx:latest")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("environments.prod.services.web.image"));
}

#[test]
fn schema_is_a_json_schema_of_the_spec() {
    let out = ecship().arg("schema").assert().success().get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(v["additionalProperties"], false);
    for key in ["stack", "network", "load_balancer", "services", "environments"] {
        assert!(v["properties"].get(key).is_some(), "{key}");
    }
    assert!(v["$defs"]["Service"]["properties"]["deploy"].is_object());
}

#[test]
fn help_version_and_completions() {
    ecship().arg("--help").assert().success().stdout(predicate::str::contains("Examples:").and(predicate::str::contains("Exit codes")));
    for cmd in ["validate", "render", "schema", "completions"] {
        ecship().args([cmd, "--help"]).assert().success().stdout(predicate::str::contains("Examples:"));
    }
    // The version and the commit it was built from (a checkout's HEAD here).
    ecship().arg("--version").assert().success().stdout(
        predicate::str::is_match(format!("^ecship {} \\(commit [0-9a-f]{{12}}\\)\n$", env!("CARGO_PKG_VERSION").replace('.', "\\.")))
            .expect("a pattern"),
    );
    for shell in ["bash", "zsh", "fish"] {
        ecship().args(["completions", shell]).assert().success().stdout(predicate::str::contains("validate"));
    }
    ecship().arg("frobnicate").assert().code(1).stderr(predicate::str::contains("unrecognized subcommand"));
    ecship().args(["render", "stacks/mysfits.yaml", "--format", "toml"]).assert().code(1);
}

#[test]
fn exec_without_the_session_manager_plugin_says_so_and_how_to_install_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, "stack: shop\nservices:\n  web:\n    image: nginx:1.27\n    exec: true\n").expect("write");
    let empty = tempfile::tempdir().expect("an empty PATH");
    let out = ecship().args(["exec"]).arg(&file).arg("web").env("PATH", empty.path()).assert().code(1).get_output().stderr.clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("`session-manager-plugin` is not on PATH: install it"), "{text}");
    assert!(text.contains("session-manager-working-with-install-plugin"), "{text}");

    // With the plugin there, a service without `exec: true` is refused before AWS is asked.
    let plugin = empty.path().join("session-manager-plugin");
    std::fs::write(&plugin, "#!/bin/sh\nexit 0\n").expect("write plugin");
    std::os::unix::fs::PermissionsExt::set_mode(&mut std::fs::metadata(&plugin).expect("meta").permissions(), 0o755);
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    std::fs::write(&file, "stack: shop\nservices:\n  web:\n    image: nginx:1.27\n").expect("write");
    let out = ecship().args(["exec"]).arg(&file).arg("web").env("PATH", empty.path()).assert().code(1).get_output().stderr.clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("web does not allow ECS Exec: set `exec: true` on it in the spec and run `ecship deploy`"), "{text}");
}

#[test]
fn jobs_are_validated_like_services_with_their_schedules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("jobs.yaml");
    std::fs::write(
        &file,
        "stack: shop\nservices:\n  web:\n    image: nginx:1.27\n    deploy: { before: [ { run: migrat } ] }\n    autoscaling: { min: 4, max: 2, cpu: 120 }\njobs:\n  web:\n    image: nginx:1.27\n  migrate:\n    image: { service: web }\n    schedule: \"cron(0 3 * * *)\"\n  report:\n    image: busybox:1.36\n    schedule: \"rate(0 minutes)\"\n    timezone: Mars/Olympus\n",
    )
    .expect("write");
    let out = ecship().arg("validate").arg(&file).assert().code(1).get_output().stderr.clone();
    let text = String::from_utf8(out).expect("utf-8");
    for expected in [
        "services.web.deploy.before[0].run: there is no job `migrat`",
        "did you mean `migrate`?",
        "services.web.autoscaling",
        "jobs.web: `web` is a service's name too",
        "jobs.migrate.schedule:",
        "jobs.report.schedule:",
        "jobs.report.timezone:",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
}

/// A stack of one service, two 0.5 vCPU / 1 GiB tasks, in us-east-1, behind a public load
/// balancer in two zones, without NAT; its `prod` runs four tasks.
const PRICED: &str = "stack: shop
region: us-east-1
network: { cidr: 10.0.0.0/16, azs: 2, nat: none }
load_balancer: { public: true }
cost: { lcu: 2 }
services:
  api:
    image: registry.example/shop/api:1
    port: 8080
    cpu: 512
    memory: 1024
    count: 2
    routes: [ { path: \"/*\" } ]
environments:
  prod:
    services: { api: { count: 4 } }
";

fn priced(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let file = dir.join("shop.yaml");
    std::fs::write(&file, text).expect("write");
    file
}

fn cost_json(args: &[&std::ffi::OsStr]) -> serde_json::Value {
    // No AWS: an endpoint that answers nothing would fail any call.
    let out = ecship().arg("cost").args(args).args(["--output", "json"]).env("AWS_ENDPOINT_URL", "http://127.0.0.1:9").assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    v["cost"].clone()
}

fn item<'a>(cost: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    cost["items"].as_array().expect("items").iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("no {name}: {cost}"))
}

#[test]
fn cost_prices_the_spec_at_aws_list_prices_without_reading_aws() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = priced(dir.path(), PRICED);
    let cost = cost_json(&[file.as_os_str()]);
    assert_eq!((cost["currency"].as_str(), cost["region"].as_str()), (Some("USD"), Some("us-east-1")));
    // 730 h × 2 tasks × (0.5 vCPU × $0.04048 + 1 GB × $0.004445)
    let api = item(&cost, "service api");
    assert_eq!(api["monthly_after"], 36.0401);
    assert_eq!(api["kind"], "fargate");
    assert_eq!(api["detail"], "2 tasks × 0.5 vCPU, 1 GiB, x86_64, on demand");
    // 730 h × ($0.0225 + 2 LCU × $0.008 + 2 public IPv4 × $0.005), the LCUs as the spec assumes.
    assert_eq!(item(&cost, "load balancer LoadBalancer")["monthly_after"], 35.405);
    assert!(cost["assumptions"]
        .as_array()
        .expect("assumptions")
        .iter()
        .any(|a| a.as_str().is_some_and(|a| a.starts_with("2 load balancer capacity units"))));
    let total: f64 = cost["items"].as_array().expect("items").iter().map(|i| i["monthly_after"].as_f64().expect("a figure")).sum();
    assert!((cost["monthly_after"].as_f64().expect("total") - total).abs() < 1e-6, "{cost}");
    assert!(cost["prices_as_of"].as_str().is_some_and(|d| d.len() == 10), "{cost}");
    // --env: four tasks, exactly twice the line.
    let prod = cost_json(&[file.as_os_str(), "--env".as_ref(), "prod".as_ref()]);
    assert_eq!(item(&prod, "service api")["monthly_after"], 72.0802);
    // On a terminal: one line per item, then the assumptions.
    let out = ecship().arg("cost").arg(&file).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.starts_with("Estimated monthly cost of stack shop (us-east-1, prices as of "), "{text}");
    assert!(text.contains("  service api ") && text.contains("36.04  2 tasks × 0.5 vCPU, 1 GiB, x86_64, on demand"), "{text}");
    assert!(text.contains("Assumptions (set them under `cost:` in the spec):"), "{text}");
}

#[test]
fn cost_of_arm64_and_spot_tasks_is_lower_by_the_listed_prices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let arm = priced(dir.path(), &PRICED.replace("    count: 2\n", "    count: 2\n    platform: arm64\n"));
    let cost = cost_json(&[arm.as_os_str()]);
    // 730 h × 2 × (0.5 × $0.03238 + 1 × $0.00356)
    assert_eq!(item(&cost, "service api")["monthly_after"], 28.835);
    assert_eq!(item(&cost, "service api")["detail"], "2 tasks × 0.5 vCPU, 1 GiB, arm64, on demand");
}

#[test]
fn cost_names_the_region_or_table_it_cannot_price_with() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = priced(dir.path(), &PRICED.replace("region: us-east-1", "region: xx-nowhere-1"));
    let out = ecship().arg("cost").arg(&file).assert().code(1).get_output().stderr.clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("has no prices for region xx-nowhere-1"), "{text}");
    // A table given with --prices is checked whole.
    let table = dir.path().join("prices.json");
    std::fs::write(&table, r#"{"source": "x", "prices_as_of": "2027-01-01", "currency": "USD", "regions": {"us-east-1": {}}}"#)
        .expect("write");
    let us = priced(dir.path(), PRICED);
    let out = ecship().arg("cost").arg(&us).arg("--prices").arg(&table).assert().code(1).get_output().stderr.clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains(&format!("--prices {} is not a valid price table: missing field `fargate`", table.display())), "{text}");
    let out = ecship().arg("cost").arg(&us).args(["--prices", "no-such-table.json"]).assert().code(1).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&out).contains("cannot read the price table no-such-table.json"));
    // No region anywhere.
    let nowhere = priced(dir.path(), &PRICED.replace("region: us-east-1\n", ""));
    let out = ecship()
        .arg("cost")
        .arg(&nowhere)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("no region to price in"), "{}", String::from_utf8_lossy(&out));
}

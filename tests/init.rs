//! `ecship init` from a docker compose file, as a user runs it: a spec that validates and
//! renders, a report of what was left out, and no file overwritten.

mod common;

use common::{ecship, root};

#[test]
fn a_compose_project_becomes_a_spec_that_validates_with_what_was_left_out_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("shop.yaml");
    let compose = root().join("tests/specs/compose/docker-compose.yml");
    let run = ecship().args(["init", "--from-compose"]).arg(&compose).arg("-o").arg(&out).assert().success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    assert!(stdout.contains("stack shop-demo, 3 services"), "{stdout}");
    for left_out in [
        "api: env DB_PASSWORD left out",
        "api: `depends_on` left out",
        "db: `volumes` left out",
        "db: `postgres` has no tag (so `latest`)",
        "api: limits 0.5 cpus, 1024 MiB → Fargate cpu 512, memory 1024",
    ] {
        assert!(stderr.contains(left_out), "{left_out} in:\n{stderr}");
    }
    let spec = std::fs::read_to_string(&out).expect("written");
    assert!(!spec.contains("hunter2"), "a plaintext secret is never carried over:\n{spec}");
    let spec: serde_yaml::Value = serde_yaml::from_str(&spec).expect("YAML");
    let api = &spec["services"]["api"];
    assert_eq!(api["port"].as_u64(), Some(3000), "the container port, not the published one");
    assert_eq!(api["routes"][0]["path"].as_str(), Some("/*"));
    assert_eq!(api["health_check"]["path"].as_str(), Some("/healthz"));
    assert_eq!((api["cpu"].as_u64(), api["memory"].as_u64(), api["count"].as_u64()), (Some(512), Some(1024), Some(3)));
    assert_eq!(api["image"]["build"]["target"].as_str(), Some("runtime"));
    assert_eq!(spec["services"]["worker"]["env"]["QUEUE"].as_str(), Some("orders"));
    ecship().arg("validate").arg(&out).assert().success();
    ecship().arg("render").arg(&out).assert().success();

    // An existing file is kept.
    let again = ecship().args(["init", "--from-compose"]).arg(&compose).arg("-o").arg(&out).assert().code(1);
    assert!(String::from_utf8_lossy(&again.get_output().stderr).contains("exists: nothing was written — pass --force"));
    ecship().args(["init", "--force", "--stack", "other", "--from-compose"]).arg(&compose).arg("-o").arg(&out).assert().success();
    assert!(std::fs::read_to_string(&out).expect("written").contains("stack: other"));
}

#[test]
fn a_compose_file_that_does_not_parse_is_named_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let compose = dir.path().join("compose.yml");
    std::fs::write(&compose, "services:\n  web:\n    image: [unclosed\n").expect("write");
    let out = dir.path().join("spec.yaml");
    let run = ecship().args(["init", "--from-compose"]).arg(&compose).arg("-o").arg(&out).assert().code(1);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains(&format!("{}:4:", compose.display())), "{stderr}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn on_a_terminal_init_asks_a_few_questions() {
    // `script` (util-linux) gives ecship a terminal, as a user's shell would.
    let script = std::path::Path::new("/usr/bin/script");
    assert!(script.is_file(), "`script` is missing: apt-get install bsdutils");
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = assert_cmd::cargo::cargo_bin("ecship");
    let mut child = std::process::Command::new(script)
        .current_dir(dir.path())
        .args(["-qec", &format!("{} init -o spec.yaml", bin.display()), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), b"demo\napi\nnginx:1.27\n8080\n").expect("answers");
    let out = child.wait_with_output().expect("it ends");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let spec = std::fs::read_to_string(dir.path().join("spec.yaml")).expect("written");
    assert!(
        spec.contains("stack: demo\nservices:\n  api:\n    image: nginx:1.27\n    port: 8080\n    routes:\n    - path: /*\n"),
        "{spec}"
    );
    ecship().arg("validate").arg(dir.path().join("spec.yaml")).assert().success();
}

#[test]
fn a_copilot_workspace_becomes_services_jobs_and_environments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("shop.yaml");
    let stderr = from_copilot(&out);
    for left_out in [
        "preview-site: a Copilot \"Request-Driven Web Service\" has no counterpart in ecship: left out",
        "api: sidecar builder left out: it is built",
        "orders-worker: `subscribe` left out",
        "nightly-report: `retries` left out",
        "frontend: deployment.rollback_alarms thresholds left out",
        "frontend: deployment.rolling left out",
    ] {
        assert_eq!(stderr.matches(left_out).count(), 1, "{left_out} once in:\n{stderr}");
    }
    let spec: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&out).expect("written")).expect("YAML");
    let web = &spec["services"]["frontend"];
    assert_eq!(web["routes"][0]["path"].as_str(), Some("/*"));
    // http.alias: the route's host, in the load balancer's domain; an environment's imported
    // certificate is its HTTPS listener's.
    assert_eq!(web["routes"][0]["host"].as_str(), Some("shop.example.com"));
    assert_eq!(spec["load_balancer"]["domain"]["zone_id"].as_str(), Some("Z0123456789SHOP"));
    assert_eq!(
        spec["environments"]["prod"]["load_balancer"]["https"]["certificate"].as_str(),
        Some("arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555")
    );
    assert!(spec["environments"]["test"].get("load_balancer").is_none());
    assert_eq!(web["health_check"]["path"].as_str(), Some("/healthz"));
    assert_eq!(
        (web["autoscaling"]["min"].as_u64(), web["autoscaling"]["max"].as_u64(), web["autoscaling"]["requests"].as_u64()),
        (Some(2), Some(4), Some(300))
    );
    // A fixed count in one environment over the base's range turns autoscaling off there.
    let test_web = &spec["environments"]["test"]["services"]["frontend"];
    assert_eq!(test_web["count"].as_u64(), Some(1));
    assert!(test_web.get("autoscaling").is_some_and(serde_yaml::Value::is_null), "{test_web:?}");
    assert_eq!(web["exec"].as_bool(), Some(true));
    // Copilot's own variables, resolved: the application, and each environment's name.
    assert_eq!(web["env"]["API_URL"].as_str(), Some("http://api.prod.shop.local:3000"));
    assert_eq!(spec["environments"]["test"]["services"]["frontend"]["env"]["API_URL"].as_str(), Some("http://api.test.shop.local:3000"));
    assert_eq!(spec["environments"]["prod"]["services"]["frontend"]["env"]["LOG_LEVEL"].as_str(), Some("warn"));
    assert_eq!(spec["environments"]["prod"]["services"]["frontend"]["autoscaling"]["max"].as_u64(), Some(10));
    assert_eq!(spec["environments"]["test"]["services"]["api"]["count"].as_u64(), Some(1));
    assert_eq!(spec["services"]["api"]["subnets"].as_str(), Some("private"));
    assert_eq!(spec["services"]["api"]["secrets"]["DB_URL"].as_str(), Some("secretsmanager:shop/prod/db-url"));
    assert_eq!(spec["services"]["orders-worker"]["platform"].as_str(), Some("arm64"));
    // Copilot's rollback alarms by name gate the rollout.
    assert_eq!(
        spec["services"]["api"]["deploy"]["alarms"],
        serde_yaml::from_str::<serde_yaml::Value>("[shop-api-5xx, shop-api-latency]").expect("yaml")
    );
    // Sidecars and FireLens logging carry over; Copilot's router becomes a sidecar.
    let api = &spec["services"]["api"];
    let nginx = &api["sidecars"]["nginx"];
    assert_eq!((nginx["port"].as_u64(), nginx["depends_on"]["api"].as_str()), (Some(80), Some("START")));
    assert_eq!(nginx["health_check"]["retries"].as_u64(), Some(2));
    assert_eq!(api["sidecars"]["log-router"]["firelens"].as_str(), Some("fluentbit"));
    assert_eq!(api["depends_on"]["log-router"].as_str(), Some("START"));
    assert_eq!(api["logging"]["options"]["log_group_name"].as_str(), Some("/shop/prod/api"));
    // EFS volumes: a managed one becomes one the stack creates, an existing one keeps its ids.
    let volumes = &spec["services"]["orders-worker"]["volumes"];
    assert_eq!(volumes["receipts"]["path"].as_str(), Some("/var/receipts"));
    assert!(volumes["receipts"]["file_system"].is_null(), "{volumes:?}");
    assert_eq!(
        (
            volumes["archive"]["file_system"].as_str(),
            volumes["archive"]["access_point"].as_str(),
            volumes["archive"]["read_only"].as_bool()
        ),
        (Some("fs-0123abcd"), Some("fsap-0123456789abcdef0"), Some(true))
    );
    let job = &spec["jobs"]["nightly-report"];
    assert_eq!(job["schedule"].as_str(), Some("cron(0 3 ? * MON-FRI *)"));
    assert_eq!(job["timeout"].as_str(), Some("1h"));
    assert_eq!(spec["environments"]["test"]["jobs"]["nightly-report"]["env"]["REPORT_BUCKET"].as_str(), Some("shop-test-reports"));
    validates_in_each_environment(&out);
}

#[test]
fn a_compose_image_on_a_host_that_only_looks_like_ecr_is_refused_and_nothing_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let compose = dir.path().join("compose.yml");
    let host = "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example";
    std::fs::write(&compose, format!("services:\n  web:\n    image: {host}/web:1\n    command: app --api-key k-canary-7\n"))
        .expect("write");
    let out = dir.path().join("spec.yaml");
    let run = ecship().args(["init", "--from-compose"]).arg(&compose).arg("-o").arg(&out).assert().code(1);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains(&format!("services.web.image: `{host}` looks like an ECR registry but is not one")), "{stderr}");
    assert!(!stderr.contains("a bug in `ecship init`"), "{stderr}");
    assert!(!out.exists(), "nothing written");

    // The real host converts; the command holding a secret is left out, and says why.
    std::fs::write(
        &compose,
        "services:\n  web:\n    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1\n    command: app --api-key k-canary-7\n",
    )
    .expect("write");
    let run = ecship().args(["init", "--from-compose"]).arg(&compose).arg("-o").arg(&out).assert().success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains("web: command left out: it passes a value to an option whose name says it holds a secret"), "{stderr}");
    let spec = std::fs::read_to_string(&out).expect("written");
    assert!(!spec.contains("k-canary-7") && !stderr.contains("k-canary-7"), "{spec}{stderr}");
}

#[test]
fn copilot_storage_add_ons_become_storage_the_services_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("shop.yaml");
    let stderr = from_copilot(&out);
    for left_out in [
        "reportingDBCluster (Aurora engine aurora-mysql) left out",
        "storage orders: local secondary index(es) total of",
        "thumbnailsQueue (AWS::SQS::Queue) left out",
        "uploadsScanPolicy (a custom IAM policy) left out",
        "existing: shop-ENV-api-orders",
        "orders-worker: Copilot's LEDGER_SECRET (JSON: host, port, dbname, username, password) is LEDGER_HOST",
    ] {
        assert_eq!(stderr.matches(left_out).count(), 1, "{left_out} once in:\n{stderr}");
    }
    assert!(!stderr.contains("storage sessions: the environment's"), "the worker's access policy names it:\n{stderr}");
    let spec: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&out).expect("written")).expect("YAML");
    let yaml = |y: &str| serde_yaml::from_str::<serde_yaml::Value>(y).expect("yaml");
    let storage = &spec["storage"];
    // DynamoDB: key types from AttributeDefinitions, GSIs as indexes, TTL.
    assert_eq!(storage["orders"]["key"], yaml("{ partition: customer, sort: { placed: N } }"));
    assert_eq!(storage["orders"]["indexes"]["by-status"], yaml("{ partition: status, sort: { placed: N } }"));
    assert_eq!(storage["orders"]["ttl"].as_str(), Some("expires_at"));
    assert_eq!(storage["sessions"]["key"], yaml("{ partition: { id: B } }"));
    // S3: KMS encryption, noncurrent-version expiry and CORS.
    assert_eq!(storage["uploads"]["kms"].as_bool(), Some(true));
    assert_eq!(storage["uploads"]["lifecycle"]["noncurrent_days"].as_u64(), Some(30));
    assert_eq!(storage["uploads"]["cors"][0]["origins"], yaml("[https://shop.example.com]"));
    // Aurora Serverless v2: its capacity from the template's mapping.
    let ledger = &storage["ledger"];
    assert_eq!((ledger["type"].as_str(), ledger["version"].as_str()), (Some("aurora-postgres"), Some("16.4")));
    assert_eq!((ledger["min_acu"].as_f64(), ledger["max_acu"].as_f64()), (Some(0.5), Some(8.0)));
    assert!(storage.get("reporting").is_none(), "aurora-mysql is named, not converted");
    // Each workload uses what its addons directory held, and keeps Copilot's variable names.
    assert_eq!(spec["services"]["api"]["uses"], yaml("[orders, uploads]"));
    assert_eq!(spec["services"]["api"]["env"]["ORDERS_NAME"].as_str(), Some("${storage.orders.name}"));
    assert_eq!(spec["services"]["api"]["env"]["UPLOADS_NAME"].as_str(), Some("${storage.uploads.name}"));
    assert_eq!(spec["services"]["orders-worker"]["uses"], yaml("[ledger, sessions]"));
    validates_in_each_environment(&out);
}

/// `init --from-copilot` of the test workspace into `out`; its report.
fn from_copilot(out: &std::path::Path) -> String {
    let workspace = root().join("tests/specs/copilot");
    let run = ecship().args(["init", "--from-copilot"]).arg(&workspace).arg("-o").arg(out).assert().success();
    String::from_utf8_lossy(&run.get_output().stderr).into_owned()
}

fn validates_in_each_environment(out: &std::path::Path) {
    for env in ["test", "prod"] {
        ecship().arg("validate").arg(out).args(["--env", env]).assert().success();
    }
    ecship().arg("render").arg(out).assert().success();
}

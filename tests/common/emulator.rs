//! The local AWS emulator for end-to-end tests: tests/emulator/server.py (moto's server plus
//! the patches documented there) on a free port, stopped when the handle drops.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "catalog.rs"]
mod catalog;

/// ecship's own asset bucket in the emulator's account and region.
pub const ASSET_BUCKET: &str = "ecship-assets-123456789012-us-east-1";

/// How long an ECS deployment takes on the emulator (tests/emulator/ecs_deployments.py).
const DEPLOY_SECONDS: &str = "0.5";

/// The first retry's longest wait (`ECSHIP_RETRY_BASE`; 1 s in production): faults the
/// proxy injects, and moto's own HTTP 500s, are retried in milliseconds here.
pub const RETRY_BASE: &str = "20ms";

pub struct Emulator {
    pub url: String,
    child: Child,
    /// The registry holding the images the test specs name by tag (`plan` pins them).
    pub catalog: catalog::Catalog,
}

impl Emulator {
    /// Start a fresh emulator and wait until it answers. Fails loudly — with the command
    /// that installs it — when the venv from scripts/setup is missing.
    pub fn start() -> Self {
        Self::start_with(DEPLOY_SECONDS)
    }

    /// Start one whose ECS deployments take `deploy_seconds` to complete.
    pub fn start_with(deploy_seconds: &str) -> Self {
        Self::spawn(deploy_seconds, &[])
    }

    /// Start one that appends every call it serves to `calls`, one `service:Operation<TAB>ARN`
    /// line each (tests/emulator/recorder.py, patch 80).
    pub fn start_recording(calls: &std::path::Path) -> Self {
        Self::spawn(DEPLOY_SECONDS, &[("EMULATOR_RECORD_CALLS", calls.as_os_str())])
    }

    /// Start one whose CloudFormation takes AWS's typical provisioning times, times `scale`
    /// (tests/emulator/provisioning.py, patch 18).
    pub fn start_provisioning(scale: &str) -> Self {
        Self::spawn(DEPLOY_SECONDS, &[("EMULATOR_PROVISION_SCALE", std::ffi::OsStr::new(scale))])
    }

    fn spawn(deploy_seconds: &str, env: &[(&str, &std::ffi::OsStr)]) -> Self {
        let python = crate::common::venv_tool("python");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(python)
            .arg(crate::common::root().join("tests/emulator/server.py"))
            .arg(port.to_string())
            .env("EMULATOR_DEPLOY_SECONDS", deploy_seconds)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the emulator starts");
        let mut emulator = Self { url: format!("http://127.0.0.1:{port}"), child, catalog: catalog::Catalog::start() };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ready(port) {
            if let Ok(Some(status)) = emulator.child.try_wait() {
                panic!("the emulator exited with {status}: run scripts/setup, then `.venv/bin/python tests/emulator/server.py {port}` to see why");
            }
            assert!(Instant::now() < deadline, "the emulator did not answer on port {port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }

    /// The real `ecship` binary pointed at this emulator the way a user would: through the
    /// SDK's own environment variables, with no profile or config file of the machine.
    pub fn ecship(&self) -> assert_cmd::Command {
        let mut cmd = crate::common::ecship();
        cmd.env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent/ecship-test")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/ecship-test")
            .env("CI", "true")
            .env("ECSHIP_REGISTRY_MIRRORS", self.catalog.mirrors())
            .env("ECSHIP_RETRY_BASE", RETRY_BASE)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_DEFAULT_REGION");
        cmd
    }

    /// The same, as a plain process command, for tests that read its output as it runs
    /// or kill it.
    pub fn ecship_process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecship"));
        for (k, v) in self.ecship().get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.current_dir(crate::common::root());
        cmd
    }

    /// An SDK configuration for this emulator: dummy credentials, one attempt per call
    /// (moto answers its own bugs with HTTP 500; retries would only add waiting).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_cloudformation::config::Credentials::new("test", "test", None, None, "emulator"))
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .load()
            .await
    }
}

/// What a run of ecship printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The last stdout line as JSON (`--output json` prints the result last).
    pub fn result(&self) -> serde_json::Value {
        let last = self.stdout.lines().last().unwrap_or("");
        serde_json::from_str(last).unwrap_or_else(|e| panic!("the last line is JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

impl Emulator {
    /// Run ecship against this emulator with `args` and extra environment (LOGLEVEL, which the
    /// example specs read, is cleared unless given).
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.ecship();
        cmd.args(args).env_remove("LOGLEVEL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("ecship runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Emulator {
    /// Run `ecship ARGS --output json` (with `env`) and kill it (SIGKILL: no chance to clean
    /// up) on the `nth` (from 1) line of its output containing `needle`, which it must reach.
    pub fn kill_at(&self, args: &[&str], env: &[(&str, &str)], needle: &str, nth: usize) {
        use std::io::BufRead;
        let mut cmd = self.ecship_process();
        cmd.args(args).args(["--output", "json"]).envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().expect("ecship starts");
        let stdout = child.stdout.take().expect("stdout");
        let (mut seen, mut lines) = (0, Vec::new());
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            if line.contains(needle) {
                seen += 1;
                if seen == nth {
                    child.kill().expect("kill -9");
                    let _ = child.wait();
                    return;
                }
            }
            lines.push(line);
        }
        let _ = child.wait();
        panic!("{args:?} ended before line {nth} with {needle}:\n{}", lines.join("\n"));
    }

    /// What a user would compare between two deployments of one stack: its resources, its ECS
    /// services (desired count, task-definition revision) and its active task definitions.
    pub async fn state(&self, stack: &str) -> serde_json::Value {
        let config = self.sdk_config().await;
        let cfn = aws_sdk_cloudformation::Client::new(&config);
        let resources = cfn.list_stack_resources().stack_name(stack).send().await.expect("ListStackResources");
        let mut resources: Vec<(String, String, String)> = resources
            .stack_resource_summaries()
            .iter()
            .map(|r| {
                (
                    r.logical_resource_id().unwrap_or("").to_string(),
                    r.resource_type().unwrap_or("").to_string(),
                    r.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                )
            })
            .collect();
        resources.sort();
        let ecs = aws_sdk_ecs::Client::new(&config);
        let arns = ecs.list_services().cluster(stack).send().await.expect("ListServices").service_arns().to_vec();
        let described = ecs.describe_services().cluster(stack).set_services(Some(arns)).send().await.expect("DescribeServices");
        let revision = |arn: &str| arn.rsplit('/').next().unwrap_or("").to_string();
        let mut services: Vec<(String, i32, String)> = described
            .services()
            .iter()
            .map(|s| (s.service_name().unwrap_or("").to_string(), s.desired_count(), revision(s.task_definition().unwrap_or(""))))
            .collect();
        services.sort();
        let defs = ecs.list_task_definitions().family_prefix(format!("{stack}-")).send().await.expect("ListTaskDefinitions");
        let mut defs: Vec<String> = defs.task_definition_arns().iter().map(|a| revision(a)).collect();
        defs.sort();
        serde_json::json!({ "resources": resources, "services": services, "task_definitions": defs })
    }

    /// Through the AWS API: no stack, no active service or cluster, no task definition of the
    /// stack's families, no load balancer or target group, and nothing the tagging API still
    /// finds under the stack's tag.
    pub async fn assert_nothing_left(&self, stack: &str) {
        let config = self.sdk_config().await;
        let cfn = aws_sdk_cloudformation::Client::new(&config);
        assert!(cfn.describe_stacks().stack_name(stack).send().await.is_err(), "the stack is gone");
        let ecs = aws_sdk_ecs::Client::new(&config);
        let clusters = ecs.describe_clusters().clusters(stack).send().await.expect("DescribeClusters");
        assert!(clusters.clusters().iter().all(|c| c.status() == Some("INACTIVE")), "the cluster is inactive");
        let families = ecs.list_task_definition_families().family_prefix(format!("{stack}-")).send().await.expect("families");
        for family in families.families() {
            for status in [aws_sdk_ecs::types::TaskDefinitionStatus::Active, aws_sdk_ecs::types::TaskDefinitionStatus::Inactive] {
                let left = ecs.list_task_definitions().family_prefix(family).status(status).send().await.expect("list");
                assert!(left.task_definition_arns().is_empty(), "task definitions left: {:?}", left.task_definition_arns());
            }
        }
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
        let prefix = format!("stacks/{stack}/");
        if let Ok(objects) = s3.list_object_versions().bucket(ASSET_BUCKET).prefix(&prefix).send().await {
            assert!(
                objects.versions().is_empty() && objects.delete_markers().is_empty(),
                "objects left under s3://{ASSET_BUCKET}/{prefix}"
            );
        }
        let aas = aws_sdk_applicationautoscaling::Client::new(&config);
        let targets = aas
            .describe_scalable_targets()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .send()
            .await
            .expect("DescribeScalableTargets");
        let ours: Vec<&str> =
            targets.scalable_targets().iter().map(|t| t.resource_id()).filter(|id| id.starts_with(&format!("service/{stack}/"))).collect();
        assert!(ours.is_empty(), "scalable targets left: {ours:?}");
        let scheduler = aws_sdk_scheduler::Client::new(&config);
        assert!(scheduler.get_schedule_group().name(format!("ecship-{stack}")).send().await.is_err(), "the schedule group is gone");
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
        assert!(elb.describe_load_balancers().send().await.expect("lbs").load_balancers().is_empty(), "no load balancer");
        assert!(elb.describe_target_groups().send().await.expect("tgs").target_groups().is_empty(), "no target group");
        // The Resource Groups Tagging API sees tags across services. A deleted NAT gateway stays
        // listed (state `deleted`) for a while, as on AWS.
        let python = crate::common::venv_tool("python");
        let script = format!(
            "import boto3\nc = boto3.client('resourcegroupstaggingapi', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\ngone = {{n['NatGatewayId'] for n in boto3.client('ec2', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test').describe_nat_gateways()['NatGateways'] if n['State'] == 'deleted'}}\nprint('\\n'.join(r['ResourceARN'] for r in c.get_resources(TagFilters=[{{'Key': 'ecship:stack', 'Values': ['{stack}']}}])['ResourceTagMappingList'] if r['ResourceARN'].rsplit('/', 1)[-1] not in gone))\nefs = boto3.client('efs', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\nprint('\\n'.join(f['FileSystemId'] for f in efs.describe_file_systems()['FileSystems'] if {{'Key': 'ecship:stack', 'Value': '{stack}'}} in f.get('Tags', [])))",
            self.url,
            self.url,
            self.url
        );
        let out = std::process::Command::new(python).args(["-c", &script]).output().expect("python runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let tagged = String::from_utf8_lossy(&out.stdout);
        assert!(tagged.trim().is_empty(), "still tagged ecship:stack={stack}:\n{tagged}");
    }
}

impl Emulator {
    /// Move the emulator's clock (AWS's, for ecship: the `Date` of its answers) `seconds`
    /// forward, as if that much time had passed on AWS's side (tests/emulator/server.py,
    /// patch 14).
    pub fn advance_clock(&self, seconds: i64) {
        let port = self.url.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()).expect("the emulator's port");
        let body = format!("{{\"advance\": {seconds}}}");
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("the emulator answers");
        write!(
            s,
            "POST /emulator/clock HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("ask");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("an answer");
        assert!(answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"), "the clock moved: {answer}");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /moto-api/config` answers (201, as moto has it) once the server is up.
fn ready(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /moto-api/config HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if s.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && head[9] == b'2'
}

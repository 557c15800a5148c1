//! `deploy`, `status` and `destroy` end to end: the real binary against the local AWS
//! emulator (tests/emulator), checked through the AWS API the way a user would check. Each
//! test starts from its own emulator and says in its name what it proves.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_ecs::types::ServiceField;
use emulator::{Emulator, Run};
use serde_json::Value;

const MONOLITH_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/monolith:v1";
const LIKE_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/like:v1";

fn run(emulator: &Emulator, args: &[&str], env: &[(&str, &str)]) -> Run {
    emulator.run(args, env)
}

fn deploy_mysfits(emulator: &Emulator, file: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let monolith = format!("monolith={MONOLITH_IMAGE}");
    let like = format!("like={LIKE_IMAGE}");
    let mut args = vec!["deploy", file, "--image", &monolith, "--image", &like];
    args.extend_from_slice(extra);
    run(emulator, &args, env)
}

/// Writes-per-operation of a `--output json` result.
fn writes(result: &Value) -> BTreeMap<String, u64> {
    result["api_calls"]
        .as_object()
        .expect("api_calls")
        .iter()
        .filter(|(op, _)| ecship::aws::is_write(op))
        .map(|(op, c)| (op.clone(), c["calls"].as_u64().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn env_of(td: &aws_sdk_ecs::types::TaskDefinition) -> BTreeMap<String, String> {
    td.container_definitions()[0]
        .environment()
        .iter()
        .map(|kv| (kv.name().unwrap_or("").to_string(), kv.value().unwrap_or("").to_string()))
        .collect()
}

async fn task_definition(ecs: &aws_sdk_ecs::Client, service: &str) -> aws_sdk_ecs::types::TaskDefinition {
    let svc = ecs.describe_services().cluster("mysfits").services(service).send().await.expect("DescribeServices");
    let arn = svc.services()[0].task_definition().expect("a task definition").to_string();
    ecs.describe_task_definition().task_definition(arn).send().await.expect("DescribeTaskDefinition").task_definition().expect("td").clone()
}

/// A copy of stacks/mysfits.yaml, edited, beside the example's build contexts.
fn edited_mysfits(dir: &Path, edit: impl Fn(&str) -> String) -> String {
    let text = std::fs::read_to_string(common::root().join("stacks/mysfits.yaml")).expect("the example");
    let file = dir.join("mysfits.yaml");
    std::fs::write(&file, edit(&text)).expect("write spec");
    std::os::unix::fs::symlink(common::root().join("stacks/mysfits"), dir.join("mysfits")).expect("link build contexts");
    file.to_string_lossy().into_owned()
}

/// stacks/mysfits.yaml, deployed.
fn deployed(emulator: &Emulator) -> Run {
    let first = deploy_mysfits(emulator, "stacks/mysfits.yaml", &[], &[]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    first
}

#[tokio::test]
async fn a_first_deploy_creates_the_stack_services_rules_and_task_definitions_the_spec_describes() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);

    // Infrastructure, two task definitions, two services, both stable.
    let first = deployed(&emulator);
    assert!(first.stdout.contains("deployed mysfits: infrastructure created"), "{}", first.stdout);
    assert!(first.stderr.contains("monolith: stable") && first.stderr.contains("like-blue: stable"), "{}", first.stderr);

    let cluster = ecs.describe_clusters().clusters("mysfits").send().await.expect("DescribeClusters");
    assert_eq!(cluster.clusters()[0].status(), Some("ACTIVE"));
    let services = ecs
        .describe_services()
        .cluster("mysfits")
        .services("monolith")
        .services("like-blue")
        .include(ServiceField::Tags)
        .send()
        .await
        .expect("DescribeServices");
    let by_name: BTreeMap<&str, &aws_sdk_ecs::types::Service> =
        services.services().iter().map(|s| (s.service_name().unwrap_or(""), s)).collect();
    assert_eq!(by_name.keys().copied().collect::<Vec<_>>(), ["like-blue", "monolith"]);
    for (name, s) in &by_name {
        assert_eq!(s.status(), Some("ACTIVE"), "{name}");
        assert_eq!((s.desired_count(), s.running_count()), (2, 2), "{name} runs its count");
        let tags: BTreeMap<&str, &str> = s.tags().iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))).collect();
        assert_eq!(tags.get("ecship:stack"), Some(&"mysfits"), "{name} is tagged for the stack");
        let breaker = s.deployment_configuration().and_then(|d| d.deployment_circuit_breaker()).expect("circuit breaker");
        assert!(breaker.enable() && breaker.rollback(), "{name}: circuit breaker with rollback");
    }
    let percents = |name: &str| {
        let d = by_name[name].deployment_configuration().expect("deployment configuration");
        (d.minimum_healthy_percent(), d.maximum_percent())
    };
    assert_eq!(percents("monolith"), (Some(50), Some(100)), "rolling");
    assert_eq!(percents("like-blue"), (Some(100), Some(200)), "a colour of a canary service rolls like doubling");
    let network = by_name["like-blue"].network_configuration().and_then(|n| n.awsvpc_configuration()).expect("awsvpc");
    assert_eq!(network.assign_public_ip().map(|a| a.as_str()), Some("DISABLED"), "like runs in private subnets");

    // Target groups and the listener rule /mysfits/*/like at priority 100, forwarding to like's.
    let like_tg = by_name["like-blue"].load_balancers()[0].target_group_arn().expect("target group").to_string();
    let monolith_tg = by_name["monolith"].load_balancers()[0].target_group_arn().expect("target group").to_string();
    let groups =
        elb.describe_target_groups().target_group_arns(&like_tg).target_group_arns(&monolith_tg).send().await.expect("target groups exist");
    assert_eq!(groups.target_groups().len(), 2);
    let lb = elb.describe_load_balancers().send().await.expect("DescribeLoadBalancers");
    let listener = elb
        .describe_listeners()
        .load_balancer_arn(lb.load_balancers()[0].load_balancer_arn().expect("arn"))
        .send()
        .await
        .expect("listeners");
    let rules = elb.describe_rules().listener_arn(listener.listeners()[0].listener_arn().expect("arn")).send().await.expect("rules");
    let like_rule = rules
        .rules()
        .iter()
        .find(|r| {
            r.conditions().iter().any(|c| {
                c.values().contains(&"/mysfits/*/like".to_string())
                    || c.path_pattern_config().is_some_and(|p| p.values().contains(&"/mysfits/*/like".to_string()))
            })
        })
        .expect("a rule for /mysfits/*/like");
    assert_eq!(like_rule.priority(), Some("100"));
    let forwarded: Vec<&str> = like_rule.actions()[0]
        .forward_config()
        .map(|f| f.target_groups().iter().filter_map(|t| t.target_group_arn()).collect())
        .unwrap_or_default();
    assert!(forwarded.contains(&like_tg.as_str()), "the rule forwards to like's target group: {forwarded:?}");

    // Task definitions: Fargate, ports, env, secrets by reference, logs, roles.
    let monolith = task_definition(&ecs, "monolith").await;
    let like = task_definition(&ecs, "like-blue").await;
    assert_eq!((monolith.family(), monolith.revision()), (Some("mysfits-monolith"), 1));
    assert_eq!((monolith.cpu(), monolith.memory()), (Some("256"), Some("512")));
    assert_eq!(monolith.network_mode().map(|m| m.as_str()), Some("awsvpc"));
    let container = &monolith.container_definitions()[0];
    // The tag given with --image, pinned to the digest it named at plan time.
    assert_eq!(container.image(), Some(emulator.catalog.pinned(MONOLITH_IMAGE).as_str()));
    assert_eq!(container.port_mappings()[0].container_port(), Some(80));
    assert_eq!(container.command(), ["python", "mythicalMysfitsService.py"]);
    assert_eq!(env_of(&monolith), BTreeMap::from([("DDB_TABLE".to_string(), "mysfits".to_string())]));
    assert_eq!(container.secrets()[0].name(), "API_KEY");
    assert_eq!(container.secrets()[0].value_from(), "arn:aws:ssm:us-east-1:123456789012:parameter/mysfits/api-key");
    let log = container.log_configuration().expect("awslogs");
    assert_eq!(log.log_driver().as_str(), "awslogs");
    let options = log.options().expect("options");
    assert_eq!(options.get("awslogs-group").map(String::as_str), Some("/ecship/mysfits"));
    assert_eq!(options.get("awslogs-stream-prefix").map(String::as_str), Some("monolith"));
    assert!(monolith.task_role_arn().is_some_and(|r| r.contains(":role/")), "a task role of its own");
    assert!(monolith.execution_role_arn().is_some_and(|r| r.contains("ExecutionRole")), "the stack's execution role");
    assert_ne!(monolith.task_role_arn(), like.task_role_arn(), "one task role per service");
    assert_eq!(
        env_of(&like),
        BTreeMap::from([("LOGLEVEL".to_string(), "info".to_string()), ("MONOLITH_URL".to_string(), "http://monolith:80".to_string())])
    );
}

#[tokio::test]
async fn an_unchanged_deploy_writes_nothing_and_says_so() {
    let emulator = Emulator::start();
    deployed(&emulator);

    // Unchanged: no write at all, and it says so.
    let again = deploy_mysfits(&emulator, "stacks/mysfits.yaml", &["--output", "json"], &[]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let result = again.result();
    assert_eq!(result["changed"], false);
    assert_eq!(writes(&result), BTreeMap::new(), "an unchanged deploy writes nothing");
    let text = deploy_mysfits(&emulator, "stacks/mysfits.yaml", &[], &[]);
    assert!(text.stdout.starts_with("no changes"), "{}", text.stdout);
}

#[tokio::test]
async fn one_changed_env_var_is_one_new_revision_rolled_out_as_a_canary_on_the_other_colour() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    deployed(&emulator);

    // One env var of the canary service changed: exactly one new revision, rolled out as a
    // canary on the green colour (bake shortened for the test): the green service created at
    // the first step and scaled at the next two, blue scaled to zero, the rule moved 3 times;
    // its autoscaling (min 2, max 4, cpu 70) handed from blue to green with the traffic; and
    // the stack's lock taken and released.
    let dir = tempfile::tempdir().expect("tempdir");
    let quick = edited_mysfits(dir.path(), |t| t.replace("bake: 5m", "bake: 1s"));
    let changed = deploy_mysfits(&emulator, &quick, &["--output", "json"], &[("LOGLEVEL", "debug")]);
    assert_eq!(changed.code, 0, "{}{}", changed.stdout, changed.stderr);
    let result = changed.result();
    assert_eq!(
        writes(&result),
        BTreeMap::from([
            ("ECR.CreateRepository".to_string(), 1),
            ("ECR.DeleteRepository".to_string(), 1),
            ("ECS.RegisterTaskDefinition".to_string(), 1),
            ("ECS.CreateService".to_string(), 1),
            ("ECS.UpdateService".to_string(), 3),
            ("Elastic Load Balancing v2.ModifyRule".to_string(), 3),
            ("Application Auto Scaling.RegisterScalableTarget".to_string(), 1),
            ("Application Auto Scaling.PutScalingPolicy".to_string(), 1),
            ("Application Auto Scaling.DeregisterScalableTarget".to_string(), 1),
        ]),
        "{result}"
    );
    let like = task_definition(&ecs, "like-green").await;
    assert_eq!((like.revision(), env_of(&like).get("LOGLEVEL").map(String::as_str)), (2, Some("debug")));
    assert_eq!(task_definition(&ecs, "monolith").await.revision(), 1, "monolith is untouched");
}

#[tokio::test]
async fn failing_tasks_are_rolled_back_by_the_circuit_breaker_and_deploy_exits_3_naming_the_stop_reason() {
    let emulator = Emulator::start();
    deployed(&emulator);

    // Tasks that fail: ECS's circuit breaker rolls back; deploy exits 3 naming the stop reason.
    let dir = tempfile::tempdir().expect("tempdir");
    let failing = edited_mysfits(dir.path(), |t| {
        t.replace(
            "env: { DDB_TABLE: mysfits }",
            "env: { DDB_TABLE: mysfits, EMULATOR_TASK_FAILURE: \"Essential container in task exited: exit code 3\" }",
        )
    });
    let failed = deploy_mysfits(&emulator, &failing, &[], &[]);
    assert_eq!(failed.code, 3, "rolled back: {}{}", failed.stdout, failed.stderr);
    assert!(failed.stderr.contains("monolith: rolled back to the previous revision"), "{}", failed.stderr);
    assert!(failed.stderr.contains("Essential container in task exited: exit code 3"), "the stopped task's reason: {}", failed.stderr);
}

#[tokio::test]
async fn status_shows_every_colour_and_destroy_leaves_nothing_ecship_created() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    deployed(&emulator);

    // A canary change leaves both colours of like.
    let dir = tempfile::tempdir().expect("tempdir");
    let quick = edited_mysfits(dir.path(), |t| t.replace("bake: 5m", "bake: 1s"));
    let changed = deploy_mysfits(&emulator, &quick, &[], &[("LOGLEVEL", "debug")]);
    assert_eq!(changed.code, 0, "{}{}", changed.stdout, changed.stderr);

    // status shows both services with their revisions and images.
    let status = run(&emulator, &["status", "stacks/mysfits.yaml", "--output", "json"], &[]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let status = status.result();
    assert_eq!(status["status"], "CREATE_COMPLETE");
    assert!(status["load_balancer_url"].as_str().is_some_and(|u| u.starts_with("http://")), "{status}");
    let names: Vec<&str> = status["services"].as_array().expect("services").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["like-blue", "like-green", "monolith"]);

    // destroy empties the repositories, deletes everything, and finds nothing left; again: nothing to do.
    push_image(&config, "mysfits/monolith").await;
    let destroyed = run(&emulator, &["destroy", "stacks/mysfits.yaml", "--yes"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    assert!(
        destroyed.stdout.contains("destroyed mysfits: 3 services, 3 task definitions, 1 image; nothing ecship created is left"),
        "{}",
        destroyed.stdout
    );
    emulator.assert_nothing_left("mysfits").await;
    let again = run(&emulator, &["destroy", "--stack", "mysfits", "--yes"], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("stack mysfits does not exist: nothing to destroy"), "{}", again.stdout);
}

/// An image in a repository, as a push leaves it.
async fn push_image(config: &aws_config::SdkConfig, repository: &str) {
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", "a".repeat(64)), "size": 2 },
        "layers": []
    });
    aws_sdk_ecr::Client::new(config)
        .put_image()
        .repository_name(repository)
        .image_manifest(manifest.to_string())
        .image_tag("v1")
        .send()
        .await
        .expect("PutImage");
}

#[tokio::test]
async fn destroy_keeps_images_and_logs_when_asked() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let deployed = deploy_mysfits(&emulator, "stacks/mysfits.yaml", &[], &[]);
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);
    push_image(&config, "mysfits/monolith").await;
    let destroyed = run(&emulator, &["destroy", "--stack", "mysfits", "--yes", "--keep-images", "--keep-logs"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    assert!(
        destroyed.stdout.contains("kept: repository mysfits/like, repository mysfits/monolith, log group /ecship/mysfits"),
        "{}",
        destroyed.stdout
    );
    let ecr = aws_sdk_ecr::Client::new(&config);
    let images = ecr.list_images().repository_name("mysfits/monolith").send().await.expect("the repository is kept");
    assert_eq!(images.image_ids().len(), 1, "with its image");
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    assert!(cfn.describe_stacks().stack_name("mysfits").send().await.is_err(), "the stack is gone");
}

#[tokio::test]
async fn forum_and_blog_deploy_show_their_status_and_are_destroyed() {
    let emulator = Emulator::start();
    for (file, stack, services) in [
        ("stacks/forum.yaml", "forum", vec!["posts", "threads", "users"]),
        ("stacks/blog.yaml", "blog", vec!["comments", "event-bus", "moderation", "posts", "query-blue"]),
    ] {
        let deployed = run(&emulator, &["deploy", file], &[]);
        assert_eq!(deployed.code, 0, "{file}: {}{}", deployed.stdout, deployed.stderr);
        let status = run(&emulator, &["status", "--stack", stack, "--output", "json"], &[]);
        assert_eq!(status.code, 0, "{}", status.stderr);
        let status = status.result();
        let got: Vec<(&str, bool)> = status["services"]
            .as_array()
            .expect("services")
            .iter()
            .map(|s| (s["name"].as_str().unwrap_or(""), s["running"] == s["desired"] && s["rollout"] == "COMPLETED"))
            .collect();
        assert_eq!(got, services.iter().map(|s| (*s, true)).collect::<Vec<_>>(), "{file}: {status}");
        if stack == "blog" {
            // The event bus reaches query inside the stack, through Service Connect by name.
            let ecs = aws_sdk_ecs::Client::new(&emulator.sdk_config().await);
            let query = ecs.describe_services().cluster("blog").services("query-blue").send().await.expect("DescribeServices");
            let aliases: Vec<(String, i32)> = query.services()[0]
                .deployments()
                .iter()
                .filter_map(|d| d.service_connect_configuration())
                .flat_map(|c| c.services())
                .flat_map(|s| s.client_aliases().iter().map(|a| (a.dns_name().unwrap_or("").to_string(), a.port())))
                .collect();
            assert!(aliases.contains(&("query".to_string(), 4002)), "query answers at http://query:4002: {aliases:?}");
            let bus = ecs.describe_task_definition().task_definition("blog-event-bus").send().await.expect("task definition");
            let env =
                bus.task_definition().and_then(|t| t.container_definitions().first()).map(|c| c.environment().to_vec()).unwrap_or_default();
            let url = env.iter().find(|kv| kv.name() == Some("QUERY_URL")).and_then(|kv| kv.value());
            assert_eq!(url, Some("http://query:4002"), "{env:?}");
        }
        let text = run(&emulator, &["status", file], &[]);
        assert!(text.stdout.contains(&format!("stack {stack}: CREATE_COMPLETE")), "{}", text.stdout);
        assert!(text.stdout.contains("image: "), "{}", text.stdout);

        let destroyed = run(&emulator, &["destroy", file, "--yes", "--output", "json"], &[]);
        assert_eq!(destroyed.code, 0, "{file}: {}{}", destroyed.stdout, destroyed.stderr);
        let result = destroyed.result();
        assert_eq!(result["destroy"]["leftovers"], serde_json::json!([]), "{result}");
        assert_eq!(result["destroy"]["services"].as_array().map(Vec::len), Some(services.len()));
        if stack == "blog" {
            // The posts table and the uploads bucket are kept with their data, and named.
            let kept: Vec<(&str, &str)> = result["destroy"]["kept_data"]
                .as_array()
                .expect("kept data")
                .iter()
                .map(|d| (d["resource_type"].as_str().unwrap_or(""), d["storage"].as_str().unwrap_or("")))
                .collect();
            assert_eq!(kept, [("AWS::S3::Bucket", "uploads"), ("AWS::DynamoDB::Table", "posts")], "{result}");
            let deleted = run(&emulator, &["destroy", "--stack", stack, "--delete-data", "--yes"], &[]);
            assert_eq!(deleted.code, 0, "{}{}", deleted.stdout, deleted.stderr);
            assert!(
                deleted.stdout.contains("nothing to destroy") || deleted.stdout.contains("1 bucket, 1 table with their data"),
                "{}",
                deleted.stdout
            );
        }
        emulator.assert_nothing_left(stack).await;
    }
}

#[test]
fn without_a_terminal_destroy_and_removals_need_yes() {
    let emulator = Emulator::start();
    let refused = run(&emulator, &["destroy", "--stack", "anything"], &[]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("pass --yes to confirm"), "{}", refused.stderr);

    let deployed = run(&emulator, &["deploy", "stacks/blog.yaml"], &[]);
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(common::root().join("stacks/blog.yaml")).expect("blog");
    // Without `comments` (and event-bus's reference to it): its service, target group and rule go.
    let start = text.find("  comments:").expect("comments service");
    let end = text.find("  query:").expect("next service");
    let fewer_text =
        format!("{}{}", &text[..start], &text[end..]).replace("      COMMENTS_URL: \"${service.comments.internal_url}\"\n", "");
    let fewer = dir.path().join("blog.yaml");
    std::fs::write(&fewer, fewer_text).expect("write");
    let fewer = fewer.to_string_lossy().into_owned();

    let refused = run(&emulator, &["deploy", &fewer], &[]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("would remove service comments"), "{}", refused.stderr);
    let removed = run(&emulator, &["deploy", &fewer, "--yes"], &[]);
    assert_eq!(removed.code, 0, "{}{}", removed.stdout, removed.stderr);
    assert!(removed.stdout.contains("removed: comments"), "{}", removed.stdout);
    let status = run(&emulator, &["status", "--stack", "blog", "--output", "json"], &[]).result();
    let names: Vec<&str> = status["services"].as_array().expect("services").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["event-bus", "moderation", "posts", "query-blue"]);
    let again = run(&emulator, &["deploy", &fewer, "--output", "json"], &[]).result();
    assert_eq!(again["changed"], false, "after the removal the stack matches the spec: {again}");
}

#[test]
fn without_a_region_the_error_says_how_to_set_one() {
    let emulator = Emulator::start();
    let mut cmd = emulator.ecship();
    cmd.env_remove("AWS_REGION").args(["status", "--stack", "blog"]);
    let out = cmd.output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no AWS region is set: add `region:` to the spec, pass --region, or export AWS_REGION"), "{stderr}");
}

#[test]
fn ctrl_c_mid_rollout_says_where_things_stand_and_the_next_deploy_continues() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let emulator = Emulator::start_with("4");
    let mut child = emulator
        .ecship_process()
        .args(["deploy", "stacks/forum.yaml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ecship starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("rollout: waiting for") {
            break;
        }
    }
    assert!(seen.contains("rollout: waiting for"), "deploy reached its rollouts: {seen}");
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(sent.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("ecship exits");
    assert_eq!(status.code(), Some(130), "{seen}{}", rest.join("\n"));
    let message = rest.join("\n");
    assert!(message.contains("interrupted: what was already sent to AWS carries on"), "{message}");
    assert!(message.contains("`ecship deploy` again to continue"), "{message}");

    // ECS carries on; the next deploy has nothing to write and waits for the rollouts to finish.
    let next = run(&emulator, &["deploy", "stacks/forum.yaml", "--output", "json"], &[]);
    assert_eq!(next.code, 0, "{}{}", next.stdout, next.stderr);
    let result = next.result();
    assert_eq!(writes(&result), BTreeMap::new(), "nothing to write: {result}");
    assert!(next.stdout.contains("\"outcome\":\"stable\""), "it watched the unfinished rollouts to the end: {}", next.stdout);
}

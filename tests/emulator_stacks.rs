//! Every example stack's template creates on the local AWS emulator, with every output the
//! ECS fast path reads, and deletes leaving no load balancer, target group or active cluster.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use aws_sdk_cloudformation::types::{Capability, StackStatus};
use common::{ecship, example_stacks};
use emulator::Emulator;

fn render(file: &str, env: Option<&str>) -> String {
    let mut cmd = ecship();
    cmd.args(["render", file]);
    if let Some(e) = env {
        cmd.args(["--env", e]);
    }
    let out = cmd.output().expect("ecship runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The hosted zone id stacks/mysfits.yaml's prod environment names.
const MYSFITS_ZONE_ID: &str = "Z0123456789MYSFITS";

#[tokio::test]
async fn example_templates_create_on_the_emulator_with_every_output() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let ecs = aws_sdk_ecs::Client::new(&config);
    // The mysfits prod domain's hosted zone is its owner's: a zone of that name stands in.
    let r53 = aws_sdk_route53::Client::new(&config);
    let zone = r53.create_hosted_zone().name("mysfits.example.com").caller_reference("examples").send().await.expect("CreateHostedZone");
    let zone_id = zone.hosted_zone().expect("zone").id().trim_start_matches("/hostedzone/").to_string();
    let mut checked = 0;
    for (file, env) in example_stacks() {
        let body = render(&file, env.as_deref()).replace(MYSFITS_ZONE_ID, &zone_id);
        let template: serde_json::Value = serde_json::from_str(&body).expect("json");
        // The HTTPS example names a certificate that exists only in its owner's account;
        // the emulator, like AWS, refuses a listener on an unknown certificate.
        if body.contains("\"CertificateArn\": \"arn:") {
            continue;
        }
        let name = format!("{}-{}", file.trim_start_matches("stacks/").trim_end_matches(".yaml"), env.as_deref().unwrap_or("base"));
        cfn.create_stack()
            .stack_name(&name)
            .template_body(&body)
            .capabilities(Capability::CapabilityIam)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: CreateStack: {e:?}"));
        let stacks = cfn.describe_stacks().stack_name(&name).send().await.expect("DescribeStacks");
        let stack = stacks.stacks().first().expect("the stack");
        assert_eq!(stack.stack_status(), Some(&StackStatus::CreateComplete), "{name}");
        let outputs: std::collections::BTreeMap<&str, &str> =
            stack.outputs().iter().filter_map(|o| Some((o.output_key()?, o.output_value()?))).collect();
        let wanted: Vec<&String> = template["Outputs"].as_object().expect("outputs").keys().collect();
        assert_eq!(outputs.keys().collect::<Vec<_>>(), wanted, "{name}: every output is reported");
        for (key, value) in &outputs {
            assert!(!value.is_empty(), "{name}: {key} is empty");
            if key.starts_with("Svc") {
                let fields: Vec<&str> = value.split(';').map(|f| f.split('=').next().unwrap_or("")).collect();
                assert_eq!(fields.get(..2), Some(&["security_group", "task_role"][..]), "{name}: {key} = {value}");
                assert!(value.contains("security_group=sg-") && value.contains(":role/"), "{name}: {key} = {value}");
            }
        }
        cfn.delete_stack().stack_name(&name).send().await.unwrap_or_else(|e| panic!("{name}: DeleteStack: {e:?}"));
        let groups = elb.describe_target_groups().send().await.expect("DescribeTargetGroups");
        assert_eq!(groups.target_groups().len(), 0, "{name}: target groups left");
        let balancers = elb.describe_load_balancers().send().await.expect("DescribeLoadBalancers");
        assert_eq!(balancers.load_balancers().len(), 0, "{name}: load balancers left");
        let cluster = outputs.get("ClusterName").map(|c| c.to_string()).unwrap_or_default();
        let clusters = ecs.describe_clusters().clusters(&cluster).send().await.expect("DescribeClusters");
        assert!(clusters.clusters().iter().all(|c| c.status() == Some("INACTIVE")), "{name}: cluster {cluster} still active");
        checked += 1;
    }
    assert!(checked >= 4, "{checked} stacks checked");
}

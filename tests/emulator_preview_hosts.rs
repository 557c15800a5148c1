//! A preview on its own host name under the environment's domain, on the local emulator
//! through the real binary: its certificate is issued through the zone and served by the
//! environment's HTTPS listener, its record is an alias to the environment's load balancer,
//! its URL is `https://HOST/`; destroying it removes exactly these and leaves the
//! environment's certificate and records.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use emulator::Emulator;

const SPEC: &str = r#"stack: shop
region: us-east-1
network: { cidr: 10.0.0.0/16, azs: 2, nat: none }
load_balancer:
  domain: { zone: shop.test, name: www.shop.test }
previews:
  host: "{name}.preview.shop.test"
  overrides: { count: 1 }
services:
  web:
    image: nginx:1.27
    port: 80
    routes: [ { path: "/*" } ]
"#;

/// What a boto3 script prints, run against the emulator.
fn boto(emulator: &Emulator, script: &str) -> String {
    common::boto(&emulator.url, script)
}

/// The zone's `A` records: (name without the trailing dot, alias DNS name, alias zone).
async fn records(r53: &aws_sdk_route53::Client, zone: &str) -> Vec<(String, String, String)> {
    let sets = r53.list_resource_record_sets().hosted_zone_id(zone).send().await.expect("ListResourceRecordSets");
    let mut out: Vec<(String, String, String)> = sets
        .resource_record_sets()
        .iter()
        .filter(|r| r.r#type().as_str() == "A")
        .map(|r| {
            let alias = r.alias_target();
            let dns = alias.map(|a| a.dns_name().trim_end_matches('.').to_string()).unwrap_or_default();
            (r.name().trim_end_matches('.').to_string(), dns, alias.map(|a| a.hosted_zone_id().to_string()).unwrap_or_default())
        })
        .collect();
    out.sort();
    out
}

/// `STATUS DOMAIN` of each certificate in the account, sorted.
fn certificates(emulator: &Emulator) -> Vec<String> {
    let script = "acm = c('acm')\nfor s in acm.list_certificates()['CertificateSummaryList']:\n    d = acm.describe_certificate(CertificateArn=s['CertificateArn'])['Certificate']\n    print(d['Status'], d['DomainName'], d['CertificateArn'])";
    let mut out: Vec<String> = boto(emulator, script).lines().map(str::to_string).collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_preview_with_a_host_gets_its_certificate_on_the_listener_and_its_record_and_leaves_the_environments_on_destroy() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let r53 = aws_sdk_route53::Client::new(&config);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let zone = r53.create_hosted_zone().name("shop.test").caller_reference("previews").send().await.expect("CreateHostedZone");
    let zone_id = zone.hosted_zone().expect("zone").id().trim_start_matches("/hostedzone/").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, SPEC).expect("write spec");
    let file = file.to_string_lossy().into_owned();

    let parent = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(parent.code, 0, "{}{}", parent.stdout, parent.stderr);
    let lbs = elb.describe_load_balancers().send().await.expect("DescribeLoadBalancers");
    let lb = &lbs.load_balancers()[0];
    let (lb_dns, lb_zone) = (lb.dns_name().expect("dns").to_string(), lb.canonical_hosted_zone_id().expect("zone").to_string());
    let listeners = elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().expect("arn")).send().await.expect("listeners");
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).expect("a listener on 443");
    let listener = https.listener_arn().expect("listener").to_string();
    let parent_records = records(&r53, &zone_id).await;
    let parent_certificates = certificates(&emulator);
    assert_eq!(parent_certificates.len(), 1, "{parent_certificates:?}");

    let deployed = emulator.run(&["preview", "deploy", &file, "pr-1", "--yes", "--output", "json"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    let result = deployed.result();
    assert_eq!(result["url"], "https://pr-1.preview.shop.test/", "{result}");
    assert!(result["header"].is_null(), "it answers on its host, not a header: {result}");

    // Its record resolves to the environment's load balancer, beside the environment's.
    let mut expected = parent_records.clone();
    expected.push(("pr-1.preview.shop.test".into(), lb_dns.trim_end_matches('.').to_string(), lb_zone.clone()));
    expected.sort();
    assert_eq!(records(&r53, &zone_id).await, expected, "an alias record for the preview's host");

    // Its certificate, validated through the zone, is issued and served by the listener.
    let all = certificates(&emulator);
    let own = all.iter().find(|c| c.contains(" pr-1.preview.shop.test ")).expect("the preview's certificate");
    assert!(own.starts_with("ISSUED "), "{all:?}");
    let own_arn = own.rsplit(' ').next().expect("arn").to_string();
    let served = elb.describe_listener_certificates().listener_arn(&listener).send().await.expect("DescribeListenerCertificates");
    let served: Vec<&str> = served.certificates().iter().filter_map(|c| c.certificate_arn()).collect();
    assert!(served.contains(&own_arn.as_str()), "the listener serves the preview's certificate: {served:?}");

    // Its template passes cfn-lint.
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let body =
        cfn.get_template().stack_name("shop-pr-1").send().await.expect("GetTemplate").template_body().unwrap_or_default().to_string();
    common::assert_lints(&body, &dir.path().join("shop-pr-1.json"));

    // Its task definitions are `STACK-NAME-SERVICE`.
    let ecs = aws_sdk_ecs::Client::new(&config);
    let families = ecs.list_task_definition_families().family_prefix("shop-pr-1").send().await.expect("families");
    assert_eq!(families.families(), ["shop-pr-1-web"]);

    let listed = emulator.run(&["preview", "list", &file, "--output", "json"], &[]).result();
    assert_eq!(listed["previews"][0]["url"], "https://pr-1.preview.shop.test/", "{listed}");

    let gone = emulator.run(&["preview", "destroy", &file, "pr-1"], &[]);
    assert_eq!(gone.code, 0, "{}{}", gone.stdout, gone.stderr);
    assert_eq!(records(&r53, &zone_id).await, parent_records, "the preview's record is gone, the environment's stay");
    assert_eq!(certificates(&emulator), parent_certificates, "the preview's certificate is gone, the environment's stays");
    let served = elb.describe_listener_certificates().listener_arn(&listener).send().await.expect("DescribeListenerCertificates");
    assert!(
        served.certificates().iter().all(|c| c.certificate_arn() != Some(own_arn.as_str())),
        "the listener no longer serves the preview's certificate"
    );
    let status = emulator.run(&["status", &file], &[]);
    assert!(status.stdout.contains("url: https://www.shop.test/"), "the environment still answers: {}", status.stdout);
}

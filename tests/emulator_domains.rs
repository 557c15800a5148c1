//! A stack's addresses, certificate and edge end to end on the local emulator: a domain whose
//! zone is looked up by name, a WAF web ACL and an allow list deployed; the records resolve
//! to the load balancer, HTTP redirects, the web ACL is associated, a new host is planned and
//! deployed as a certificate handed over, and destroy removes all of it but the zone.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use emulator::Emulator;

const SPEC: &str = "stack: edge
network: { nat: none }
load_balancer:
  domain: { zone: shop.test, name: www.shop.test }
  waf: { managed: [common, ip-reputation], rate_limit: 1000 }
  allow: [203.0.113.0/24]
services:
  api:
    image: nginx:1.27
    port: 80
    routes: [ { path: \"/*\", host: api.shop.test } ]
";

/// What a boto3 script prints, run against the emulator.
fn boto(emulator: &Emulator, script: &str) -> String {
    common::boto(&emulator.url, script)
}

/// The zone's records of `kind`, by name without the trailing dot, with their alias target.
async fn records(r53: &aws_sdk_route53::Client, zone: &str, kind: &str) -> Vec<(String, Option<String>)> {
    let sets = r53.list_resource_record_sets().hosted_zone_id(zone).send().await.expect("ListResourceRecordSets");
    let mut out: Vec<(String, Option<String>)> = sets
        .resource_record_sets()
        .iter()
        .filter(|r| r.r#type().as_str() == kind)
        .map(|r| (r.name().trim_end_matches('.').to_string(), r.alias_target().map(|a| a.dns_name().to_string())))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_domain_waf_and_allow_list_are_deployed_planned_and_destroyed_leaving_the_zone() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let r53 = aws_sdk_route53::Client::new(&config);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("edge.yaml");
    std::fs::write(&file, SPEC).expect("write spec");
    let file = file.to_string_lossy().into_owned();

    let missing = emulator.run(&["render", &file], &[]);
    assert_eq!(missing.code, 1, "{}", missing.stdout);
    assert!(
        missing.stderr.contains("no public Route 53 hosted zone named shop.test in this account"),
        "a zone that is not there is named: {}",
        missing.stderr
    );
    let zone = r53.create_hosted_zone().name("shop.test").caller_reference("edge").send().await.expect("CreateHostedZone");
    let zone_id = zone.hosted_zone().expect("zone").id().trim_start_matches("/hostedzone/").to_string();

    let rendered = emulator.run(&["render", &file], &[]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    assert!(rendered.stdout.contains(&format!("\"HostedZoneId\": \"{zone_id}\"")), "render looked the zone up: {}", rendered.stdout);

    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    // The load balancer, its listeners and security group, read through ELBv2 and EC2.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let lbs = elb.describe_load_balancers().send().await.expect("DescribeLoadBalancers");
    let lb = &lbs.load_balancers()[0];
    let (lb_arn, lb_dns) = (lb.load_balancer_arn().expect("arn").to_string(), lb.dns_name().expect("dns").to_string());
    let expected: Vec<(String, Option<String>)> =
        ["api.shop.test", "www.shop.test"].iter().map(|h| (h.to_string(), Some(lb_dns.clone()))).collect();
    let resolved: Vec<(String, Option<String>)> =
        records(&r53, &zone_id, "A").await.into_iter().map(|(n, t)| (n, t.map(|t| t.trim_end_matches('.').to_string()))).collect();
    assert_eq!(resolved, expected, "an alias record per host, to the load balancer");

    let listeners = elb.describe_listeners().load_balancer_arn(&lb_arn).send().await.expect("DescribeListeners");
    let http = listeners.listeners().iter().find(|l| l.port() == Some(80)).expect("a listener on 80");
    let redirect = http.default_actions()[0].redirect_config().expect("HTTP redirects");
    assert_eq!(
        (redirect.protocol(), redirect.port(), redirect.status_code().map(|c| c.as_str())),
        (Some("HTTPS"), Some("443"), Some("HTTP_301"))
    );
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).expect("a listener on 443");
    let cert_arn = https.certificates()[0].certificate_arn().expect("certificate").to_string();
    let cert = boto(
        &emulator,
        &format!("d = c('acm').describe_certificate(CertificateArn='{cert_arn}')['Certificate']\nprint(d['Status'], ' '.join(sorted(d['SubjectAlternativeNames'])))"),
    );
    assert_eq!(cert, "ISSUED api.shop.test www.shop.test", "validated through the zone, covering every host");

    let acl = boto(&emulator, &format!("print(c('wafv2').get_web_acl_for_resource(ResourceArn='{lb_arn}')['WebACL']['Name'])"));
    assert_eq!(acl, "edge", "the web ACL is associated with the load balancer");

    assert_eq!(
        ingress(&emulator, lb.security_groups()[0].as_str()),
        "203.0.113.0/24 443\n203.0.113.0/24 80",
        "only the allowed CIDR reaches the listeners"
    );

    let status = emulator.run(&["status", &file], &[]);
    assert!(
        status.stdout.contains("url: https://api.shop.test/") && status.stdout.contains("url: https://www.shop.test/"),
        "status prints every address: {}",
        status.stdout
    );

    // A new host on the route: the certificate is handed over, a record is added.
    std::fs::write(&file, SPEC.replace("host: api.shop.test }", "host: api.shop.test }, { path: \"/v2/*\", host: shop.test }"))
        .expect("write spec");
    let plan = emulator.run(&["plan", &file], &[]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stdout.contains("ACM replaces the certificate") && plan.stdout.contains("no downtime"), "{}", plan.stdout);
    assert!(plan.stdout.contains("+ RecordShopTest (AWS::Route53::RecordSet): add"), "{}", plan.stdout);
    let moved = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(moved.code, 0, "{}{}", moved.stdout, moved.stderr);
    let listeners = elb.describe_listeners().load_balancer_arn(&lb_arn).send().await.expect("DescribeListeners");
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).expect("a listener on 443");
    let new_arn = https.certificates()[0].certificate_arn().expect("certificate").to_string();
    assert_ne!(new_arn, cert_arn, "the listener serves the new certificate");
    let certs = boto(
        &emulator,
        &format!("d = c('acm').describe_certificate(CertificateArn='{new_arn}')['Certificate']\nprint(d['Status'], ' '.join(sorted(d['SubjectAlternativeNames'])), len(c('acm').list_certificates()['CertificateSummaryList']))"),
    );
    assert_eq!(certs, "ISSUED api.shop.test shop.test www.shop.test 1", "one certificate, for the three hosts");
    assert_eq!(records(&r53, &zone_id, "A").await.len(), 3, "a record for the new host");

    let destroyed = emulator.run(&["destroy", "--stack", "edge", "--yes"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    assert_eq!(records(&r53, &zone_id, "A").await, vec![], "the records are gone");
    let left = boto(
        &emulator,
        "print(len(c('acm').list_certificates()['CertificateSummaryList']), len(c('wafv2').list_web_acls(Scope='REGIONAL')['WebACLs']))",
    );
    assert_eq!(left, "0 0", "the certificate and the web ACL are gone");
    r53.get_hosted_zone().id(&zone_id).send().await.expect("the zone itself stays");
}

/// The security group's ingress as `CIDR PORT` lines, sorted.
fn ingress(emulator: &Emulator, group: &str) -> String {
    boto(
        emulator,
        &format!(
            "g = c('ec2').describe_security_groups(GroupIds=['{group}'])['SecurityGroups'][0]\nprint('\\n'.join(sorted(f\"{{r['CidrIp']}} {{p['FromPort']}}\" for p in g['IpPermissions'] for r in p.get('IpRanges', []))))"
        ),
    )
}

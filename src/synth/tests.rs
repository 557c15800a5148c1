//! Synthesis decisions, checked on small specs.

use std::path::Path;

use serde_json::Value;

use crate::spec::{load_str, validate, LoadOptions};

fn template(yaml: &str) -> Value {
    let opts = LoadOptions { env: None, vars: &|_| None, defer_unset_vars: false };
    let loaded = load_str(yaml, Path::new("t.yaml"), &opts).expect("loads");
    let model = validate(&loaded).expect("valid");
    serde_json::from_str(&super::synth(&model).to_json()).expect("json")
}

const WEB: &str = "services:\n  web:\n    image: nginx:1.27\n    port: 8080\n    count: 2\n    routes: [ { path: \"/*\" } ]\n";

fn ids(t: &Value, kind: &str) -> Vec<String> {
    t["Resources"].as_object().expect("resources").iter().filter(|(_, r)| r["Type"] == kind).map(|(k, _)| k.clone()).collect()
}

#[test]
fn nat_modes_shape_the_private_network() {
    let none = template(&format!("stack: n\nnetwork: {{ nat: none }}\n{WEB}"));
    assert_eq!(ids(&none, "AWS::EC2::NatGateway").len(), 0);
    assert_eq!(ids(&none, "AWS::EC2::Subnet").len(), 2, "public subnets only");
    let single = template(&format!("stack: n\nnetwork: {{ azs: 3, nat: single }}\n{WEB}"));
    assert_eq!(ids(&single, "AWS::EC2::NatGateway"), ["NatGateway1"]);
    assert_eq!(ids(&single, "AWS::EC2::Subnet").len(), 6);
    assert_eq!(single["Resources"]["PrivateDefaultRoute3"]["Properties"]["NatGatewayId"]["Ref"], "NatGateway1");
    let per_az = template(&format!("stack: n\nnetwork: {{ azs: 3, nat: per_az }}\n{WEB}"));
    assert_eq!(ids(&per_az, "AWS::EC2::NatGateway").len(), 3);
    assert_eq!(per_az["Resources"]["PrivateDefaultRoute3"]["Properties"]["NatGatewayId"]["Ref"], "NatGateway3");
}

#[test]
fn subnets_split_the_vpc_without_overlap() {
    let t = template(&format!("stack: n\nnetwork: {{ cidr: 10.8.0.0/16, azs: 3 }}\n{WEB}"));
    let cidr = |id: &str| t["Resources"][id]["Properties"]["CidrBlock"].as_str().map(str::to_string);
    assert_eq!(cidr("PublicSubnet1").as_deref(), Some("10.8.0.0/19"));
    assert_eq!(cidr("PublicSubnet3").as_deref(), Some("10.8.64.0/19"));
    assert_eq!(cidr("PrivateSubnet1").as_deref(), Some("10.8.128.0/19"));
    assert_eq!(cidr("PrivateSubnet3").as_deref(), Some("10.8.192.0/19"));
}

#[test]
fn an_existing_vpc_creates_no_network() {
    let t = template(&format!("stack: n\nnetwork: {{ vpc_id: vpc-0123abcd, public_subnets: [subnet-0000000a, subnet-0000000b], private_subnets: [subnet-0000000c] }}\n{WEB}"));
    assert!(ids(&t, "AWS::EC2::VPC").is_empty());
    assert!(ids(&t, "AWS::EC2::Subnet").is_empty());
    assert_eq!(t["Outputs"]["VpcId"]["Value"], "vpc-0123abcd");
    assert_eq!(t["Outputs"]["PrivateSubnetIds"]["Value"]["Fn::Join"][1][0], "subnet-0000000c");
}

#[test]
fn https_makes_http_redirect_and_carries_the_rules() {
    let cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
    let t = template(&format!("stack: n\nload_balancer: {{ https: {{ certificate: \"{cert}\" }} }}\n{WEB}"));
    let http = &t["Resources"]["HttpListener"]["Properties"]["DefaultActions"][0];
    assert_eq!(http["Type"], "redirect");
    assert_eq!(http["RedirectConfig"]["Port"], "443");
    assert_eq!(t["Resources"]["HttpsListener"]["Properties"]["Certificates"][0]["CertificateArn"], cert);
    assert_eq!(t["Resources"]["SvcWebRule1"]["Properties"]["ListenerArn"]["Ref"], "HttpsListener");
    assert_eq!(t["Outputs"]["LoadBalancerUrl"]["Value"]["Fn::Sub"], "https://${LoadBalancer.DNSName}");
}

#[test]
fn an_internal_load_balancer_sits_in_private_subnets_and_admits_the_vpc() {
    let t = template(&format!("stack: n\nload_balancer: {{ public: false }}\n{WEB}"));
    let lb = &t["Resources"]["LoadBalancer"]["Properties"];
    assert_eq!(lb["Scheme"], "internal");
    assert_eq!(lb["Subnets"][0]["Ref"], "PrivateSubnet1");
    assert_eq!(t["Resources"]["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"][0]["CidrIp"], "10.0.0.0/16");
}

#[test]
fn target_groups_follow_the_health_check_and_strategy() {
    let t = template(
        "stack: n\nservices:\n  web:\n    image: nginx:1.27\n    port: 8080\n    count: 2\n    routes: [ { path: \"/*\" } ]\n    health_check: { path: /up, interval: 15s, codes: \"200\" }\n    drain: 5s\n    deploy: { strategy: blue_green }\n",
    );
    let tg = &t["Resources"]["SvcWebTargetGroup"]["Properties"];
    assert_eq!(tg["Port"], 8080);
    assert_eq!(tg["TargetType"], "ip");
    assert_eq!(tg["HealthCheckPath"], "/up");
    assert_eq!(tg["HealthCheckIntervalSeconds"], 15);
    assert_eq!(tg["Matcher"]["HttpCode"], "200");
    assert_eq!(tg["TargetGroupAttributes"][0]["Value"], "5");
    assert_eq!(t["Resources"]["SvcWebGreenTargetGroup"]["Properties"], *tg, "both colours are identical");
}

#[test]
fn roles_allow_exactly_what_the_spec_declares() {
    let t = template(
        "stack: n\nservices:\n  web:\n    image: nginx:1.27\n    count: 2\n    secrets: { A: \"ssm:/n/a\", B: \"secretsmanager:n/b:key\" }\n    permissions: [ { actions: [s3:GetObject], resources: [\"arn:aws:s3:::bucket/*\"] } ]\n  other:\n    image: nginx:1.27\n    count: 2\n",
    );
    let exec = t["Resources"]["ExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].to_string();
    assert!(exec.contains("parameter/n/a"), "{exec}");
    assert!(exec.contains("secret:n/b-??????"), "{exec}");
    assert!(!exec.contains("\"Resource\":[\"*\"],\"Action\":[\"ssm"), "no wildcard secret access");
    let web = &t["Resources"]["SvcWebTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(web["Action"][0], "s3:GetObject");
    assert_eq!(web["Resource"][0], "arn:aws:s3:::bucket/*");
    assert!(t["Resources"]["SvcOtherTaskRole"]["Properties"].get("Policies").is_none(), "no permissions, no policy");
    // Only pushed images get a repository.
    assert!(ids(&t, "AWS::ECR::Repository").is_empty());
}

#[test]
fn pushed_images_get_an_immutable_scanned_repository() {
    let t = template("stack: n\nservices:\n  web:\n    image: { oci: ./layout }\n    count: 2\n");
    let repo = &t["Resources"]["SvcWebRepository"]["Properties"];
    assert_eq!(repo["RepositoryName"], "n/web");
    assert_eq!(repo["ImageTagMutability"], "IMMUTABLE");
    assert_eq!(repo["ImageScanningConfiguration"]["ScanOnPush"], true);
    assert_eq!(repo["EmptyOnDelete"], true);
}

#[test]
fn a_stack_without_routes_has_no_load_balancer() {
    let t = template("stack: n\nservices:\n  worker:\n    image: nginx:1.27\n    count: 2\n");
    assert!(ids(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer").is_empty());
    assert!(t["Outputs"].get("LoadBalancerUrl").is_none());
}

const VOLUMES: &str = "stack: v\nservices:\n  cms:\n    image: nginx:1.27\n    count: 2\n    volumes: { uploads: { path: /uploads } }\n  thumbs:\n    image: nginx:1.27\n    count: 2\n    volumes: { uploads: { path: /uploads, read_only: true } }\njobs:\n  backup:\n    image: busybox:1.36\n    volumes: { uploads: { path: /uploads, read_only: true } }\n";

#[test]
fn file_systems_are_kept_when_the_stack_deletes_or_replaces_them() {
    let t = template(VOLUMES);
    for id in ids(&t, "AWS::EFS::FileSystem") {
        assert_eq!(t["Resources"][&id]["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(t["Resources"][&id]["UpdateReplacePolicy"], "Retain", "{id}");
    }
    assert_eq!(ids(&t, "AWS::EFS::FileSystem"), ["VolumeUploadsFileSystem"]);
    // Only what holds data: its mount targets, access point and the rest are deleted with the stack.
    let kept: Vec<&String> =
        t["Resources"].as_object().expect("resources").iter().filter(|(_, r)| r.get("DeletionPolicy").is_some()).map(|(k, _)| k).collect();
    assert_eq!(kept, ["VolumeUploadsFileSystem"]);
}

#[test]
fn a_file_system_enforces_tls_and_lets_only_read_write_roles_write() {
    let t = template(VOLUMES);
    let policy = &t["Resources"]["VolumeUploadsFileSystem"]["Properties"]["FileSystemPolicy"]["Statement"];
    assert_eq!(policy[0]["Effect"], "Deny");
    assert_eq!(policy[0]["Condition"]["Bool"]["aws:SecureTransport"], "false");
    let roles = |s: &serde_json::Value| -> Vec<String> {
        s["Principal"]["AWS"].as_array().expect("roles").iter().map(|r| r["Fn::GetAtt"][0].as_str().unwrap_or("").to_string()).collect()
    };
    assert_eq!(policy[1]["Action"][0], "elasticfilesystem:ClientMount");
    assert_eq!(roles(&policy[1]), ["SvcCmsTaskRole", "SvcThumbsTaskRole", "SvcBackupTaskRole"]);
    assert_eq!(policy[2]["Action"][0], "elasticfilesystem:ClientWrite");
    assert_eq!(roles(&policy[2]), ["SvcCmsTaskRole"], "only the read-write mount writes");
    // The task roles' own grants agree: a read-only mount gets no ClientWrite.
    let grants =
        |svc: &str| t["Resources"][format!("Svc{svc}VolumesPolicy")]["Properties"]["PolicyDocument"]["Statement"][0]["Action"].to_string();
    assert!(grants("Cms").contains("ClientWrite"), "{}", grants("Cms"));
    assert!(!grants("Thumbs").contains("ClientWrite"), "{}", grants("Thumbs"));
    assert!(!grants("Backup").contains("ClientWrite"), "{}", grants("Backup"));
    assert!(t["Resources"]["SvcThumbsTaskRole"]["Properties"].get("Policies").is_none(), "no grant inside the role: no cycle");
    assert_eq!(t["Resources"]["VolumeUploadsFileSystem"]["Properties"]["FileSystemTags"][2]["Key"], "ecship:volume");
}

#[test]
fn a_permissions_boundary_bounds_every_role() {
    let boundary = "arn:aws:iam::123456789012:policy/boundary";
    let t = template(&format!(
        "stack: b\npermissions_boundary: {boundary}\nservices:\n  web:\n    image: nginx:1.27\n    port: 8080\n    count: 2\n    routes: [ {{ path: \"/*\" }} ]\n    deploy: {{ strategy: canary, engine: ecs }}\njobs:\n  report:\n    image: busybox:1.36\n    schedule: \"rate(1 day)\"\n"
    ));
    let roles = ids(&t, "AWS::IAM::Role");
    assert_eq!(roles, ["EcsInfrastructureRole", "ExecutionRole", "SchedulerRole", "SvcReportTaskRole", "SvcWebTaskRole"]);
    for id in roles {
        assert_eq!(t["Resources"][&id]["Properties"]["PermissionsBoundary"], boundary, "{id}");
    }
    let none = template(WEB_STACK);
    assert!(ids(&none, "AWS::IAM::Role").iter().all(|id| none["Resources"][id]["Properties"].get("PermissionsBoundary").is_none()));
}

const WEB_STACK: &str =
    "stack: n\nservices:\n  web:\n    image: nginx:1.27\n    port: 8080\n    count: 2\n    routes: [ { path: \"/*\" } ]\n";

#[test]
fn ecs_moves_only_the_stacks_own_rules_and_target_groups() {
    let t = template(
        "stack: e\nservices:\n  web:\n    image: nginx:1.27\n    port: 8080\n    count: 2\n    routes: [ { path: \"/*\" } ]\n    deploy: { strategy: blue_green, engine: ecs }\n  api:\n    image: nginx:1.27\n    port: 8080\n    count: 2\n    routes: [ { path: \"/api*\" } ]\n",
    );
    let statements = &t["Resources"]["EcsInfrastructureRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    let on = |action: &str| -> Vec<serde_json::Value> {
        let s = statements.as_array().expect("statements").iter().find(|s| s["Action"].to_string().contains(action)).expect(action);
        s["Resource"].as_array().expect("resources").clone()
    };
    let refs = |v: Vec<serde_json::Value>| -> Vec<String> { v.iter().map(|r| r["Ref"].as_str().expect("a Ref").to_string()).collect() };
    let rules = refs(on("ModifyRule"));
    assert_eq!(rules.first().map(String::as_str), Some("SvcWebRule1"));
    assert!(rules.iter().all(|r| r.starts_with("SvcWeb") && t["Resources"].get(r).is_some()), "{rules:?}");
    assert_eq!(refs(on("RegisterTargets")), ["SvcWebTargetGroup", "SvcWebGreenTargetGroup"]);
    assert_eq!(refs(on("ModifyListener")), ["HttpListener"]);
    // Reads only are on every resource: ELBv2's Describe* take no resource-level permissions.
    assert_eq!(on("DescribeRules"), [serde_json::json!("*")]);
    let text = statements.to_string();
    assert!(!text.contains("targetgroup/*") && !text.contains("listener-rule/app/*"), "no account-wide ARNs: {text}");
    assert!(!text.contains("SvcApi"), "the rolling service's rules are not ECS's to move: {text}");
}

#[test]
fn test_rules_match_a_secret_the_template_only_refers_to() {
    let bg = format!("stack: n\n{WEB}    deploy: {{ strategy: blue_green, blue_green: {{ bake: 1m }} }}\n");
    let t = template(&bg);
    let secret = &t["Resources"]["TestRouteSecret"];
    assert_eq!(secret["Type"], "AWS::SecretsManager::Secret");
    assert_eq!(secret["Properties"]["GenerateSecretString"], serde_json::json!({"PasswordLength": 32, "ExcludePunctuation": true}));
    assert!(secret["Properties"].get("SecretString").is_none(), "AWS generates the value and keeps it");
    for colour in ["Blue", "Green"] {
        let rule = &t["Resources"][format!("SvcWeb{colour}TestRule")]["Properties"];
        let header = &rule["Conditions"][0]["HttpHeaderConfig"];
        assert_eq!(header["HttpHeaderName"], "X-Ecship-Colour");
        assert_eq!(
            header["Values"][0],
            serde_json::json!({"Fn::Join": ["", [format!("web-{}.{{{{resolve:secretsmanager:", colour.to_lowercase()), {"Ref": "TestRouteSecret"}, ":SecretString}}"]]}),
            "a dynamic reference CloudFormation resolves into the rule"
        );
    }
    let out = t["Outputs"]["SvcWeb"]["Value"]["Fn::Join"][1].to_string();
    assert!(out.contains(r#"";test_rules=",{"Ref":"SvcWebBlueTestRule"},",",{"Ref":"SvcWebGreenTestRule"}"#), "{out}");
    // A stack without test rules has no secret.
    assert!(template(&format!("stack: n\n{WEB}"))["Resources"].get("TestRouteSecret").is_none());
}

const API: &str = "services:\n  api:\n    image: nginx:1.27\n    port: 80\n    routes: [ { path: \"/*\", host: api.example.com } ]\n";

#[test]
fn a_domain_gets_one_certificate_https_a_redirect_and_a_record_per_host() {
    let t = template(&format!(
        "stack: n\nload_balancer:\n  domain: {{ zone: example.com, zone_id: Z0123456789ABC, name: www.example.com }}\n{API}"
    ));
    let cert = &t["Resources"]["Certificate"]["Properties"];
    assert_eq!(cert["DomainName"], "api.example.com");
    assert_eq!(cert["SubjectAlternativeNames"], serde_json::json!(["www.example.com"]));
    assert_eq!(cert["ValidationMethod"], "DNS");
    assert_eq!(
        cert["DomainValidationOptions"][1],
        serde_json::json!({ "DomainName": "www.example.com", "HostedZoneId": "Z0123456789ABC" })
    );
    let https = &t["Resources"]["HttpsListener"]["Properties"];
    assert_eq!(https["Port"], 443);
    assert_eq!(https["Certificates"][0]["CertificateArn"]["Ref"], "Certificate");
    assert_eq!(https["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    let http = &t["Resources"]["HttpListener"]["Properties"]["DefaultActions"][0];
    assert_eq!((&http["Type"], &http["RedirectConfig"]["StatusCode"]), (&"redirect".into(), &"HTTP_301".into()));
    assert_eq!(ids(&t, "AWS::Route53::RecordSet"), ["RecordApiExampleCom", "RecordWwwExampleCom"]);
    let record = &t["Resources"]["RecordApiExampleCom"]["Properties"];
    assert_eq!(
        (&record["Type"], &record["HostedZoneId"], &record["Name"]),
        (&"A".into(), &"Z0123456789ABC".into(), &"api.example.com".into())
    );
    assert_eq!(record["AliasTarget"]["DNSName"]["Fn::GetAtt"], serde_json::json!(["LoadBalancer", "DNSName"]));
    assert_eq!(record["AliasTarget"]["HostedZoneId"]["Fn::GetAtt"], serde_json::json!(["LoadBalancer", "CanonicalHostedZoneID"]));
    assert_eq!(t["Outputs"]["DomainUrls"]["Value"], "https://api.example.com/,https://www.example.com/");
}

#[test]
fn a_named_certificate_wins_over_the_domain() {
    let cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
    let t = template(&format!(
        "stack: n\nload_balancer:\n  https: {{ certificate: \"{cert}\" }}\n  domain: {{ zone_id: Z0123456789ABC }}\n{API}"
    ));
    assert!(ids(&t, "AWS::CertificateManager::Certificate").is_empty());
    assert_eq!(t["Resources"]["HttpsListener"]["Properties"]["Certificates"][0]["CertificateArn"], cert);
    assert_eq!(ids(&t, "AWS::Route53::RecordSet"), ["RecordApiExampleCom"]);
}

#[test]
fn waf_rules_keep_their_order_and_end_with_the_rate_limit() {
    let t = template(&format!("stack: n\nload_balancer:\n  waf: {{ managed: [ip-reputation, common], rate_limit: 500 }}\n{API}"));
    let acl = &t["Resources"]["WebAcl"]["Properties"];
    assert_eq!(acl["Scope"], "REGIONAL");
    let rules = acl["Rules"].as_array().expect("rules");
    let names: Vec<&str> = rules.iter().filter_map(|r| r["Name"].as_str()).collect();
    assert_eq!(names, ["ip-reputation", "common", "rate-limit"]);
    assert_eq!(rules[0]["Statement"]["ManagedRuleGroupStatement"]["Name"], "AWSManagedRulesAmazonIpReputationList");
    assert_eq!(rules[2]["Statement"]["RateBasedStatement"]["Limit"], 500);
    assert_eq!(rules[2]["Priority"], 2);
    assert!(rules.iter().all(|r| r["VisibilityConfig"]["CloudWatchMetricsEnabled"] == true));
    let assoc = &t["Resources"]["WebAclAssociation"]["Properties"];
    assert_eq!(assoc["ResourceArn"]["Ref"], "LoadBalancer");
    assert_eq!(assoc["WebACLArn"]["Fn::GetAtt"], serde_json::json!(["WebAcl", "Arn"]));
}

#[test]
fn allow_replaces_the_open_ingress_with_exactly_its_cidrs() {
    let t = template(&format!("stack: n\nload_balancer:\n  allow: [203.0.113.0/24, \"2001:db8::/32\"]\n{API}"));
    let ingress = t["Resources"]["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"].as_array().expect("ingress").clone();
    let sources: Vec<(String, String)> = ingress
        .iter()
        .map(|i| (i["CidrIp"].as_str().or(i["CidrIpv6"].as_str()).unwrap_or("").to_string(), i["FromPort"].to_string()))
        .collect();
    assert_eq!(sources, [("203.0.113.0/24".to_string(), "80".to_string()), ("2001:db8::/32".to_string(), "80".to_string())]);
    assert!(!ingress.iter().any(|i| i["CidrIp"] == "0.0.0.0/0"));
}

#[test]
fn signals_give_each_service_its_alarms_sent_to_the_stack_topic() {
    let spec = format!(
        "stack: s\nsignals: {{ notify: {{ email: [oncall@example.com] }} }}\n{WEB}    alarms: {{ latency_p99: 500ms }}\n  worker:\n    image: nginx:1.27\njobs:\n  migrate:\n    image: nginx:1.27\n"
    );
    let t = template(&spec);
    let names: Vec<String> = ids(&t, "AWS::CloudWatch::Alarm")
        .iter()
        .map(|id| t["Resources"][id]["Properties"]["AlarmName"].as_str().unwrap_or("").to_string())
        .collect();
    let mut want = [
        "s-migrate-failed",
        "s-web-errors_5xx",
        "s-web-latency_p99",
        "s-web-unhealthy",
        "s-web-cpu",
        "s-web-memory",
        "s-web-running_below_desired",
        "s-worker-cpu",
        "s-worker-memory",
        "s-worker-running_below_desired",
    ]
    .map(String::from)
    .to_vec();
    want.sort();
    let mut got = names.clone();
    got.sort();
    assert_eq!(got, want);
    let latency = &t["Resources"]["SvcWebAlarmLatencyP99"]["Properties"];
    assert_eq!(latency["Threshold"], 0.5);
    assert_eq!(latency["AlarmActions"][0]["Ref"], "SignalsTopic");
    assert_eq!(latency["OKActions"][0]["Ref"], "SignalsTopic");
    assert_eq!(latency["Metrics"][0]["MetricStat"]["Stat"], "p99");
    assert_eq!(t["Resources"]["SignalsEmail1"]["Properties"]["Endpoint"], "oncall@example.com");
    assert_eq!(ids(&t, "AWS::Events::Rule").len(), 3, "deployments, tasks, the job's failed runs");
    let policy = &t["Resources"]["SignalsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][1];
    assert_eq!(policy["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(policy["Condition"]["ArnEquals"]["aws:SourceArn"].as_array().map(Vec::len), Some(3));
    assert_eq!(ids(&t, "AWS::CloudWatch::Dashboard"), ["SignalsDashboard"]);
}

#[test]
fn a_two_colour_service_has_one_alarm_of_each_kind_over_both_colours() {
    let spec = format!("stack: s\nsignals: {{}}\n{WEB}    deploy: {{ strategy: canary }}\n");
    let t = template(&spec);
    let errors = &t["Resources"]["SvcWebAlarmErrors5xx"]["Properties"]["Metrics"];
    let groups: Vec<&str> = errors
        .as_array()
        .expect("queries")
        .iter()
        .filter_map(|q| q["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0].as_str())
        .collect();
    assert_eq!(groups, ["SvcWebTargetGroup", "SvcWebTargetGroup", "SvcWebGreenTargetGroup", "SvcWebGreenTargetGroup"]);
    assert_eq!(errors[4]["Expression"], "100 * (FILL(e0, 0) + FILL(e1, 0)) / (FILL(r0, 0) + FILL(r1, 0))");
    let cpu = &t["Resources"]["SvcWebAlarmCpu"]["Properties"]["Metrics"];
    assert_eq!(cpu[0]["MetricStat"]["Metric"]["Dimensions"][1]["Value"], "web-blue");
    assert_eq!(cpu[1]["MetricStat"]["Metric"]["Dimensions"][1]["Value"], "web-green");
}

#[test]
fn an_existing_topic_gets_no_topic_or_policy_of_the_stack() {
    let t = template(&format!(
        "stack: s\nsignals: {{ notify: {{ topic: \"arn:aws:sns:us-east-1:123456789012:oncall\" }}, dashboard: false }}\n{WEB}"
    ));
    assert!(ids(&t, "AWS::SNS::Topic").is_empty());
    assert!(ids(&t, "AWS::SNS::TopicPolicy").is_empty());
    assert!(ids(&t, "AWS::CloudWatch::Dashboard").is_empty());
    assert_eq!(t["Resources"]["SvcWebAlarmCpu"]["Properties"]["AlarmActions"][0], "arn:aws:sns:us-east-1:123456789012:oncall");
}

#[test]
fn an_adopted_database_admits_exactly_its_users_and_is_not_in_the_template() {
    let yaml = "stack: demo\nstorage:\n  main-db: { type: postgres, existing: legacy-db }\nservices:\n  api:\n    image: nginx:1.27\n    uses: [main-db]\n  web:\n    image: nginx:1.27\n";
    let opts = LoadOptions { env: None, vars: &|_| None, defer_unset_vars: false };
    let loaded = load_str(yaml, Path::new("t.yaml"), &opts).expect("loads");
    let mut model = validate(&loaded).expect("valid");
    let secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbCdEf";
    model.storage.get_mut("main-db").expect("entry").found = Some(crate::model::storage::FoundDb {
        host: "legacy-db.abc.eu-west-1.rds.amazonaws.com".into(),
        port: 5433,
        db_name: "shop".into(),
        secret: secret.into(),
        security_group: "sg-0123456789abcdef0".into(),
    });
    let t: Value = serde_json::from_str(&super::synth(&model).to_json()).expect("json");
    assert!(ids(&t, "AWS::RDS::DBInstance").is_empty() && ids(&t, "AWS::RDS::DBSubnetGroup").is_empty());
    let ingress: Vec<&Value> = t["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .filter(|r| r["Type"] == "AWS::EC2::SecurityGroupIngress" && r["Properties"]["GroupId"] == "sg-0123456789abcdef0")
        .collect();
    assert_eq!(ingress.len(), 1, "one rule, for api only");
    let rule = &ingress[0]["Properties"];
    assert_eq!((rule["FromPort"].as_u64(), rule["ToPort"].as_u64()), (Some(5433), Some(5433)));
    assert!(rule["SourceSecurityGroupId"].to_string().contains("Api"), "{rule}");
    let outputs = t["Outputs"].to_string();
    for part in ["legacy-db.abc.eu-west-1.rds.amazonaws.com", "\"5433\"", "\"shop\"", secret] {
        assert!(outputs.contains(part), "the output names {part}: {outputs}");
    }
    let execution_reads: Vec<&Value> = t["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .filter(|r| r["Type"] == "AWS::IAM::Role")
        .flat_map(|r| r["Properties"]["Policies"].as_array().into_iter().flatten())
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().into_iter().flatten())
        .filter(|s| s.to_string().contains("secretsmanager:GetSecretValue"))
        .collect();
    assert!(execution_reads.iter().any(|s| s["Resource"].to_string().contains(secret)), "{execution_reads:?}");
}

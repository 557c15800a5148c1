//! The arithmetic of each kind of item against figures worked out by hand, on a table of
//! round prices (`table`), and Fargate in us-east-1 against AWS's list prices.

use serde_json::{json, Value};

use super::*;
use crate::model::{CapacityItem, CostAssumptions};

/// Round prices, so each expected figure can be worked out by hand.
fn table(spot: bool) -> Table {
    let spot = if spot {
        json!({"x86_64": {"vcpu_hour": 0.01, "gb_hour": 0.001}, "arm64": {"vcpu_hour": 0.008, "gb_hour": 0.0008}})
    } else {
        Value::Null
    };
    let region = json!({
        "fargate": {"x86_64": {"vcpu_hour": 0.04, "gb_hour": 0.004}, "arm64": {"vcpu_hour": 0.03, "gb_hour": 0.003}, "spot": spot, "storage_gb_hour": 0.0001},
        "elb": {"alb_hour": 0.02, "alb_lcu_hour": 0.01, "nlb_hour": 0.03, "nlb_lcu_hour": 0.006},
        "ec2": {"nat_gateway_hour": 0.05, "nat_gateway_gb": 0.04, "public_ipv4_hour": 0.005},
        "efs": {"standard_gb_month": 0.3},
        "rds": {"instance_hour": {"postgres": {"db.t4g.small": 0.03}, "mysql": {"db.m7g.large": 0.2}}, "gp3_gb_month": 0.1, "aurora_acu_hour": 0.12, "aurora_gb_month": 0.1},
        "dynamodb": {"read_request_million": 0.25, "write_request_million": 1.25, "gb_month": 0.25, "read_capacity_unit_hour": 0.0001, "write_capacity_unit_hour": 0.0005},
        "s3": {"standard_gb_month": 0.02},
        "waf": {"web_acl_month": 5.0, "rule_month": 1.0, "request_million": 0.6},
        "cloudwatch": {"alarm_month": 0.1, "high_resolution_alarm_month": 0.3, "composite_alarm_month": 0.5, "dashboard_month": 3.0, "logs_ingest_gb": 0.5}
    });
    let t = json!({"source": "test", "prices_as_of": "2026-01-01", "currency": "USD", "regions": {"test-east-1": region}});
    Table::parse(&t.to_string(), "test").expect("valid")
}

fn usage() -> CostAssumptions {
    CostAssumptions {
        lcu: 1.0,
        nat_gb: 100.0,
        log_gb: 10.0,
        requests_per_month: 10e6,
        efs_gb: 10.0,
        s3_gb: 100.0,
        dynamodb_gb: 5.0,
        aurora_gb: 10.0,
        dynamodb_reads: 10e6,
        dynamodb_writes: 2e6,
        job_minutes: None,
    }
}

fn tasks(count: u32) -> Tasks {
    Tasks {
        name: "service api".into(),
        cpu: 512,
        memory: 1024,
        storage: None,
        arm: false,
        capacity: vec![],
        count,
        max: None,
        public_ip: false,
        runs: None,
    }
}

fn priced(t: &Table, region: &str, a: &CostAssumptions, templates: &[&Value], tasks: Vec<Tasks>) -> Result<Cost, Error> {
    let p = Pricing { table: t, region, assumptions: a };
    compare(&p, &Bill::default(), &Bill { templates: templates.to_vec(), tasks })
}

/// The after figure of the named item.
fn figure(c: &Cost, name: &str) -> f64 {
    c.items.iter().find(|i| i.name == name).unwrap_or_else(|| panic!("no {name} in {:?}", c.items)).monthly_after
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} ≠ {b}");
}

fn stack(resources: Value) -> Value {
    json!({ "Resources": resources })
}

#[test]
fn fargate_in_us_east_1_is_aws_list_price_by_architecture() {
    let t = Table::built_in().expect("valid");
    let a = CostAssumptions::default();
    let x86 = priced(&t, "us-east-1", &a, &[], vec![tasks(2)]).expect("priced");
    // 730 h × 2 tasks × (0.5 vCPU × 0.04048 + 1 GB × 0.004445)
    close(figure(&x86, "service api"), 730.0 * 2.0 * (0.5 * 0.04048 + 0.004445));
    close(figure(&x86, "service api"), 36.0401);
    assert_eq!(x86.items[0].detail, "2 tasks × 0.5 vCPU, 1 GiB, x86_64, on demand");
    let arm = priced(&t, "us-east-1", &a, &[], vec![Tasks { arm: true, ..tasks(2) }]).expect("priced");
    close(figure(&arm, "service api"), 730.0 * 2.0 * (0.5 * 0.03238 + 0.00356));
    assert_eq!((x86.currency.as_str(), x86.region.as_str()), ("USD", "us-east-1"));
}

#[test]
fn storage_above_20_gib_spot_shares_and_public_ips_are_priced() {
    let (t, a) = (table(true), usage());
    let big = priced(&t, "test-east-1", &a, &[], vec![Tasks { storage: Some(50), ..tasks(1) }]).expect("priced");
    close(figure(&big, "service api"), 730.0 * (0.5 * 0.04 + 0.004 + 30.0 * 0.0001));
    // 4 tasks: the base 1 on demand, the other 3 one in four on demand: 1.75 and 2.25.
    let capacity = vec![
        CapacityItem { provider: "FARGATE".into(), base: 1, weight: 1 },
        CapacityItem { provider: "FARGATE_SPOT".into(), base: 0, weight: 3 },
    ];
    let mixed = priced(&t, "test-east-1", &a, &[], vec![Tasks { capacity, public_ip: true, ..tasks(4) }]).expect("priced");
    close(figure(&mixed, "service api"), 730.0 * (1.75 * 0.024 + 2.25 * (0.5 * 0.01 + 0.001)));
    assert!(mixed.items.iter().any(|i| i.detail.ends_with("1.75 on demand, 2.25 on Fargate Spot")), "{:?}", mixed.items);
    close(figure(&mixed, "public IPv4 service api"), 4.0 * 730.0 * 0.005);
}

#[test]
fn spot_where_the_region_has_none_is_an_error_naming_the_region() {
    let spot = vec![CapacityItem { provider: "FARGATE_SPOT".into(), base: 0, weight: 1 }];
    let e = priced(&table(false), "test-east-1", &usage(), &[], vec![Tasks { capacity: spot, ..tasks(2) }]).expect_err("no spot");
    assert!(e.to_string().contains("test-east-1") && e.to_string().contains("service api"), "{e}");
    let e = priced(&table(true), "eu-nowhere-9", &usage(), &[], vec![tasks(1)]).expect_err("no region");
    assert!(e.to_string().contains("eu-nowhere-9"), "{e}");
}

#[test]
fn autoscaled_services_cost_their_minimum_and_show_the_maximum() {
    let c = priced(&table(true), "test-east-1", &usage(), &[], vec![Tasks { max: Some(4), ..tasks(1) }]).expect("priced");
    close(figure(&c, "service api"), 730.0 * 0.024);
    assert!(c.items[0].detail.contains("autoscaled 1–4 tasks: up to 70.08 a month"), "{}", c.items[0].detail);
}

#[test]
fn jobs_cost_a_run_times_their_schedule() {
    let job = Tasks { name: "job report".into(), runs: Some(Runs { per_month: Some(730.0), minutes: 6.0 }), ..tasks(1) };
    let c = priced(&table(true), "test-east-1", &usage(), &[], vec![job.clone()]).expect("priced");
    // 730 runs × 0.1 h × 0.024 an hour.
    close(figure(&c, "job report"), 730.0 * 0.1 * 0.024);
    let asked = Tasks { runs: Some(Runs { per_month: None, minutes: 30.0 }), ..job };
    let c = priced(&table(true), "test-east-1", &usage(), &[], vec![asked]).expect("priced");
    close(figure(&c, "job report"), 0.0);
    assert!(c.items[0].detail.ends_with("0.0120 a run"), "{}", c.items[0].detail);
}

#[test]
fn load_balancers_nat_gateways_and_addresses() {
    let t = stack(json!({
        "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Scheme": "internet-facing", "Subnets": [{"Ref": "A"}, {"Ref": "B"}]}},
        "Inner": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Scheme": "internal", "Type": "network", "Subnets": [{"Ref": "A"}]}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
        "NatEip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {}}
    }));
    let c = priced(&table(true), "test-east-1", &usage(), &[&t], vec![]).expect("priced");
    close(figure(&c, "load balancer Alb"), 730.0 * (0.02 + 0.01 + 2.0 * 0.005));
    close(figure(&c, "load balancer Inner"), 730.0 * (0.03 + 0.006));
    close(figure(&c, "NAT gateway Nat"), 730.0 * 0.05 + 100.0 * 0.04);
    close(figure(&c, "public IPv4 NatEip"), 730.0 * 0.005);
    assert_eq!(c.items.len(), 4, "a VPC costs nothing: {:?}", c.items);
}

#[test]
fn databases_by_class_engine_storage_and_multi_az() {
    let t = stack(json!({
        "Pg": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres", "DBInstanceClass": "db.t4g.small", "AllocatedStorage": "20", "MultiAZ": true}},
        "My": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "mysql", "DBInstanceClass": "db.m7g.large", "AllocatedStorage": 100}},
        "Aurora": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-postgresql", "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 4}}},
        "AuroraOne": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "aurora-postgresql", "DBInstanceClass": "db.serverless", "DBClusterIdentifier": {"Ref": "Aurora"}}}
    }));
    let c = priced(&table(true), "test-east-1", &usage(), &[&t], vec![]).expect("priced");
    close(figure(&c, "database Pg"), 2.0 * (730.0 * 0.03 + 20.0 * 0.1));
    close(figure(&c, "database My"), 730.0 * 0.2 + 100.0 * 0.1);
    close(figure(&c, "database AuroraOne"), 730.0 * 0.5 * 0.12);
    close(figure(&c, "database cluster Aurora"), 10.0 * 0.1);
    let unknown =
        stack(json!({"Big": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "mysql", "DBInstanceClass": "db.x2g.16xlarge"}}}));
    let e = priced(&table(true), "test-east-1", &usage(), &[&unknown], vec![]).expect_err("unpriced").to_string();
    assert!(e.contains("db.x2g.16xlarge") && e.contains("test-east-1"), "{e}");
}

#[test]
fn tables_buckets_file_systems_web_acls_alarms_dashboards_and_logs() {
    let t = stack(json!({
        "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST"}},
        "Fixed": {"Type": "AWS::DynamoDB::Table", "Properties": {"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}},
        "Uploads": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Files": {"Type": "AWS::EFS::FileSystem", "Properties": {}},
        "Waf": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{}, {}, {}]}},
        "A1": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 60}},
        "A2": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": "300"}},
        "A3": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 10}},
        "A4": {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {}},
        "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {}}
    }));
    let c = priced(&table(true), "test-east-1", &usage(), &[&t], vec![]).expect("priced");
    close(figure(&c, "table Orders"), 10.0 * 0.25 + 2.0 * 1.25 + 5.0 * 0.25);
    close(figure(&c, "table Fixed"), 730.0 * (5.0 * 0.0001 + 5.0 * 0.0005) + 5.0 * 0.25);
    close(figure(&c, "bucket Uploads"), 100.0 * 0.02);
    close(figure(&c, "file system Files"), 10.0 * 0.3);
    close(figure(&c, "web ACL Waf"), 5.0 + 3.0 + 10.0 * 0.6);
    close(figure(&c, "alarms"), 2.0 * 0.1 + 0.3 + 0.5);
    close(figure(&c, "dashboards"), 3.0);
    close(figure(&c, "logs"), 10.0 * 0.5);
    assert!(!c.items.iter().any(|i| i.name.contains("Topic")), "SNS is within its free tier");
}

#[test]
fn a_comparison_keeps_both_sides_and_a_plan_lists_what_changes() {
    let (t, a) = (table(true), usage());
    let lb = stack(json!({"Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [{}]}}}));
    let old = Tasks { name: "service old".into(), ..tasks(1) };
    let before = Bill { templates: vec![&lb], tasks: vec![tasks(2), old] };
    let after = Bill { templates: vec![&lb], tasks: vec![tasks(4)] };
    let c = compare(&Pricing { table: &t, region: "test-east-1", assumptions: &a }, &before, &after).expect("priced");
    let lb_month = 730.0 * (0.02 + 0.01 + 0.005);
    close(c.monthly_before, lb_month + 3.0 * 730.0 * 0.024);
    close(c.monthly_after, lb_month + 4.0 * 730.0 * 0.024);
    close(c.difference(), 730.0 * 0.024);
    let changed = c.changed();
    let names: Vec<&str> = changed.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["service api", "service old"]);
    close(changed.items[0].monthly_after, 2.0 * changed.items[0].monthly_before);
    close(changed.items[1].monthly_after, 0.0);
    assert!(changed.assumptions.iter().any(|s| s.contains("1 load balancer capacity units")), "{:?}", changed.assumptions);
}

#[test]
fn the_two_colours_of_a_service_add_up_to_one_line() {
    let (t, a) = (table(true), usage());
    // Blue runs 2 tasks, green none (idle): one line, blue's.
    let c = priced(&t, "test-east-1", &a, &[], vec![tasks(2), tasks(0)]).expect("priced");
    assert_eq!(c.items.len(), 1, "{:?}", c.items);
    close(figure(&c, "service api"), 2.0 * 730.0 * 0.024);
    assert_eq!(c.items[0].detail, "2 tasks × 0.5 vCPU, 1 GiB, x86_64, on demand");
    // Mid-rollout, both run: their costs add up.
    let c = priced(&t, "test-east-1", &a, &[], vec![tasks(2), Tasks { arm: true, ..tasks(1) }]).expect("priced");
    close(figure(&c, "service api"), 730.0 * (2.0 * 0.024 + (0.5 * 0.03 + 0.003)));
}

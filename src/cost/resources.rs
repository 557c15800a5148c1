//! The infrastructure priced from CloudFormation resources, by type and properties: what
//! the templates hold is what is billed, whichever part of ecship put it there. Types that
//! cost nothing by themselves (VPCs, subnets, roles, target groups, SNS topics within the
//! free tier) are not lines.

use std::collections::BTreeMap;

use serde_json::Value;

use super::prices::Region;
use super::{Error, Kind, Line, Pricing, HOURS_A_MONTH};

/// Every priced resource of the templates (root and nested), and the stack-wide lines
/// (alarms, dashboards, log ingestion) once.
pub(super) fn lines(region: &Region, p: &Pricing<'_>, templates: &[&Value]) -> Result<Vec<Line>, Error> {
    let resources: BTreeMap<&str, &Value> =
        templates.iter().filter_map(|t| t.get("Resources")?.as_object()).flat_map(|r| r.iter().map(|(id, v)| (id.as_str(), v))).collect();
    let mut out = Vec::new();
    let (mut alarms, mut dashboards, mut logs) = (Alarms::default(), 0u32, false);
    for (id, r) in &resources {
        let props = &r["Properties"];
        match r["Type"].as_str().unwrap_or_default() {
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => out.push(load_balancer(region, p, id, props)),
            "AWS::EC2::NatGateway" => out.push(nat_gateway(region, p, id)),
            "AWS::EC2::EIP" => out.push(ipv4(region, id)),
            "AWS::EFS::FileSystem" => {
                out.push(stored(id, "file system", Kind::FileSystem, p.assumptions.efs_gb, region.efs.standard_gb_month, "EFS Standard"))
            }
            "AWS::S3::Bucket" => {
                out.push(stored(id, "bucket", Kind::Bucket, p.assumptions.s3_gb, region.s3.standard_gb_month, "S3 Standard"))
            }
            "AWS::RDS::DBInstance" => out.push(db_instance(region, p, id, props, &resources)?),
            "AWS::RDS::DBCluster" => out.push(db_cluster(region, p, id)),
            "AWS::DynamoDB::Table" => out.push(dynamodb(region, p, id, props)),
            "AWS::WAFv2::WebACL" => out.push(web_acl(region, p, id, props)),
            "AWS::CloudWatch::Alarm" if num(&props["Period"]).is_some_and(|s| s < 60.0) => alarms.high_resolution += 1,
            "AWS::CloudWatch::Alarm" => alarms.standard += 1,
            "AWS::CloudWatch::CompositeAlarm" => alarms.composite += 1,
            "AWS::CloudWatch::Dashboard" => dashboards += 1,
            "AWS::Logs::LogGroup" => logs = true,
            _ => {}
        }
    }
    out.extend(alarms.line(region));
    if dashboards > 0 {
        let detail = format!("{dashboards} CloudWatch dashboard{}", crate::human::plural(dashboards as usize));
        out.push(Line::new("dashboards", Kind::Dashboards, f64::from(dashboards) * region.cloudwatch.dashboard_month, detail));
    }
    if logs {
        let gb = p.assumptions.log_gb;
        out.push(Line::new("logs", Kind::Logs, gb * region.cloudwatch.logs_ingest_gb, format!("{gb} GB ingested a month (assumed)")));
    }
    Ok(out)
}

/// A number CloudFormation may hold as a string.
fn num(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str()?.parse().ok())
}

/// An application or network load balancer: hours and capacity units, and, facing the
/// internet, a public IPv4 address in each of its zones.
fn load_balancer(region: &Region, p: &Pricing<'_>, id: &str, props: &Value) -> Line {
    let e = &region.elb;
    let (kind, hour, lcu) = match props["Type"].as_str() {
        Some("network") => ("network", e.nlb_hour, e.nlb_lcu_hour),
        _ => ("application", e.alb_hour, e.alb_lcu_hour),
    };
    let public = props["Scheme"].as_str() != Some("internal");
    let zones = props["Subnets"].as_array().or_else(|| props["SubnetMappings"].as_array()).map_or(0, Vec::len);
    let ips = if public { zones } else { 0 };
    let monthly = HOURS_A_MONTH * (hour + p.assumptions.lcu * lcu + ips as f64 * region.ec2.public_ipv4_hour);
    let detail = format!("{kind} load balancer, {} LCU (assumed), {ips} public IPv4 (one per zone)", p.assumptions.lcu);
    Line::new(format!("load balancer {id}"), Kind::LoadBalancer, monthly, detail)
}

/// Its address is its `AWS::EC2::EIP`, priced as one.
fn nat_gateway(region: &Region, p: &Pricing<'_>, id: &str) -> Line {
    let gb = p.assumptions.nat_gb;
    let monthly = HOURS_A_MONTH * region.ec2.nat_gateway_hour + gb * region.ec2.nat_gateway_gb;
    Line::new(format!("NAT gateway {id}"), Kind::NatGateway, monthly, format!("NAT gateway, {gb} GB processed a month (assumed)"))
}

fn ipv4(region: &Region, id: &str) -> Line {
    let monthly = HOURS_A_MONTH * region.ec2.public_ipv4_hour;
    Line::new(format!("public IPv4 {id}"), Kind::PublicIpv4, monthly, "Elastic IP address")
}

fn stored(id: &str, what: &str, kind: Kind, gb: f64, gb_month: f64, class: &str) -> Line {
    Line::new(format!("{what} {id}"), kind, gb * gb_month, format!("{class}, {gb} GB stored (assumed)"))
}

/// An RDS instance by class and engine, with its gp3 storage; Multi-AZ doubles both. An
/// Aurora Serverless v2 instance (`db.serverless`) is its cluster's minimum capacity.
fn db_instance(region: &Region, p: &Pricing<'_>, id: &str, props: &Value, all: &BTreeMap<&str, &Value>) -> Result<Line, Error> {
    let class = props["DBInstanceClass"].as_str().unwrap_or_default();
    let name = format!("database {id}");
    if class == "db.serverless" {
        let cluster = props["DBClusterIdentifier"]["Ref"]
            .as_str()
            .and_then(|c| all.get(c))
            .map(|c| &c["Properties"]["ServerlessV2ScalingConfiguration"]);
        let (min, max) = cluster.map_or((0.5, None), |s| (num(&s["MinCapacity"]).unwrap_or(0.5), num(&s["MaxCapacity"])));
        let monthly = HOURS_A_MONTH * min * region.rds.aurora_acu_hour;
        let range = max
            .map(|m| format!(" (scales up to {m} ACU: up to {:.2} a month)", HOURS_A_MONTH * m * region.rds.aurora_acu_hour))
            .unwrap_or_default();
        return Ok(Line::new(name, Kind::Database, monthly, format!("Aurora Serverless v2, {min} ACU at least{range}")));
    }
    let engine = props["Engine"].as_str().unwrap_or("postgres");
    let hour = region
        .rds
        .instance_hour
        .get(engine)
        .and_then(|c| c.get(class))
        .ok_or_else(|| Error::NoPrice { region: p.region.to_string(), what: format!("RDS {engine} {class}") })?;
    let gb = num(&props["AllocatedStorage"]).unwrap_or(0.0);
    let multi_az = props["MultiAZ"].as_bool().unwrap_or(false) || props["MultiAZ"].as_str() == Some("true");
    let copies = if multi_az { 2.0 } else { 1.0 };
    let monthly = copies * (HOURS_A_MONTH * hour + gb * region.rds.gp3_gb_month);
    let az = if multi_az { "Multi-AZ" } else { "single-AZ" };
    Ok(Line::new(name, Kind::Database, monthly, format!("RDS {engine} {class}, {az}, {gb} GB storage")))
}

/// An Aurora cluster's storage; its capacity is its instances'.
fn db_cluster(region: &Region, p: &Pricing<'_>, id: &str) -> Line {
    let gb = p.assumptions.aurora_gb;
    Line::new(
        format!("database cluster {id}"),
        Kind::Database,
        gb * region.rds.aurora_gb_month,
        format!("Aurora storage, {gb} GB (assumed)"),
    )
}

/// A DynamoDB table: on demand, requests and storage as assumed; provisioned, its capacity
/// units all month.
fn dynamodb(region: &Region, p: &Pricing<'_>, id: &str, props: &Value) -> Line {
    let (a, d) = (p.assumptions, &region.dynamodb);
    let storage = a.dynamodb_gb * d.gb_month;
    let name = format!("table {id}");
    if props["BillingMode"].as_str() == Some("PAY_PER_REQUEST") {
        let monthly = a.dynamodb_reads / 1e6 * d.read_request_million + a.dynamodb_writes / 1e6 * d.write_request_million + storage;
        let detail =
            format!("DynamoDB on demand, {} reads, {} writes, {} GB a month (assumed)", a.dynamodb_reads, a.dynamodb_writes, a.dynamodb_gb);
        return Line::new(name, Kind::Table, monthly, detail);
    }
    let t = &props["ProvisionedThroughput"];
    let (rcu, wcu) = (num(&t["ReadCapacityUnits"]).unwrap_or(0.0), num(&t["WriteCapacityUnits"]).unwrap_or(0.0));
    let monthly = HOURS_A_MONTH * (rcu * d.read_capacity_unit_hour + wcu * d.write_capacity_unit_hour) + storage;
    Line::new(name, Kind::Table, monthly, format!("DynamoDB provisioned, {rcu} RCU, {wcu} WCU, {} GB (assumed)", a.dynamodb_gb))
}

/// A WAF web ACL: a month each, each rule a month, and the requests it inspects.
fn web_acl(region: &Region, p: &Pricing<'_>, id: &str, props: &Value) -> Line {
    let w = &region.waf;
    let rules = props["Rules"].as_array().map_or(0, Vec::len);
    let requests = p.assumptions.requests_per_month;
    let monthly = w.web_acl_month + rules as f64 * w.rule_month + requests / 1e6 * w.request_million;
    let detail = format!("web ACL, {rules} rule{}, {requests} requests a month (assumed)", crate::human::plural(rules));
    Line::new(format!("web ACL {id}"), Kind::WebAcl, monthly, detail)
}

#[derive(Default)]
struct Alarms {
    standard: u32,
    high_resolution: u32,
    composite: u32,
}

impl Alarms {
    fn line(&self, region: &Region) -> Option<Line> {
        let c = &region.cloudwatch;
        let n = self.standard + self.high_resolution + self.composite;
        if n == 0 {
            return None;
        }
        let monthly = f64::from(self.standard) * c.alarm_month
            + f64::from(self.high_resolution) * c.high_resolution_alarm_month
            + f64::from(self.composite) * c.composite_alarm_month;
        let detail =
            format!("{} standard, {} high-resolution, {} composite CloudWatch alarms", self.standard, self.high_resolution, self.composite);
        Some(Line::new("alarms", Kind::Alarms, monthly, detail))
    }
}

//! The price table: AWS's on-demand list prices per commercial region, with the date they
//! were read and where from. The table in the repository (`prices.json`, written by
//! `scripts/prices` from AWS's Price List bulk offer files) is built in; `--prices FILE`
//! reads a newer one. Either is checked whole before any figure is read from it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Error;

/// The table built into ecship.
const BUILT_IN: &str = include_str!("prices.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// How the figures were obtained.
    pub source: String,
    /// `YYYY-MM-DD`.
    pub prices_as_of: String,
    pub currency: String,
    pub regions: BTreeMap<String, Region>,
}

/// One region's prices, in the table's currency.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub fargate: Fargate,
    pub elb: Elb,
    pub ec2: Ec2,
    pub efs: Efs,
    pub rds: Rds,
    pub dynamodb: DynamoDb,
    pub s3: S3,
    pub waf: Waf,
    pub cloudwatch: CloudWatch,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fargate {
    pub x86_64: Rate,
    pub arm64: Rate,
    /// Fargate Spot, where the region has it.
    pub spot: Option<SpotRates>,
    /// Ephemeral storage above the 20 GiB every task has.
    pub storage_gb_hour: f64,
}

/// What a Fargate task pays for its size, Linux.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub vcpu_hour: f64,
    pub gb_hour: f64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotRates {
    pub x86_64: Rate,
    pub arm64: Rate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Elb {
    pub alb_hour: f64,
    pub alb_lcu_hour: f64,
    pub nlb_hour: f64,
    pub nlb_lcu_hour: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2 {
    pub nat_gateway_hour: f64,
    /// Data a NAT gateway processes.
    pub nat_gateway_gb: f64,
    pub public_ipv4_hour: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Efs {
    pub standard_gb_month: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rds {
    /// Single-AZ on-demand instance hours, by engine (`postgres`, `mysql`) and class.
    pub instance_hour: BTreeMap<String, BTreeMap<String, f64>>,
    pub gp3_gb_month: f64,
    /// Aurora Serverless v2 capacity.
    pub aurora_acu_hour: f64,
    pub aurora_gb_month: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamoDb {
    /// On demand.
    pub read_request_million: f64,
    pub write_request_million: f64,
    pub gb_month: f64,
    /// Provisioned capacity.
    pub read_capacity_unit_hour: f64,
    pub write_capacity_unit_hour: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3 {
    pub standard_gb_month: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waf {
    pub web_acl_month: f64,
    pub rule_month: f64,
    pub request_million: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudWatch {
    pub alarm_month: f64,
    pub high_resolution_alarm_month: f64,
    pub composite_alarm_month: f64,
    pub dashboard_month: f64,
    pub logs_ingest_gb: f64,
}

impl Table {
    /// The table built into ecship.
    pub fn built_in() -> Result<Table, Error> {
        Table::parse(BUILT_IN, "the built-in price table")
    }

    /// Read a table (`--prices FILE`), checked whole: `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Table, Error> {
        let bad = |why: String| Error::Table { origin: origin.to_string(), why };
        let table: Table = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if !is_date(&table.prices_as_of) {
            return Err(bad(format!("prices_as_of `{}` is not a date (YYYY-MM-DD)", table.prices_as_of)));
        }
        if table.currency != "USD" {
            return Err(bad(format!("currency `{}`: ecship prices in USD", table.currency)));
        }
        if table.regions.is_empty() {
            return Err(bad("it has no regions".into()));
        }
        for (name, region) in &table.regions {
            if let Some(key) = region.figures().into_iter().find(|(_, v)| !v.is_finite() || *v < 0.0).map(|(k, _)| k) {
                return Err(bad(format!("regions.{name}.{key} is not a price (a number, 0 or more)")));
            }
        }
        Ok(table)
    }

    /// A region's prices; a region the table does not have is an error naming it.
    pub fn region(&self, region: &str) -> Result<&Region, Error> {
        self.regions.get(region).ok_or_else(|| Error::NoRegion { region: region.to_string(), as_of: self.prices_as_of.clone() })
    }
}

impl Region {
    /// Every figure with its path, to be checked.
    fn figures(&self) -> Vec<(String, f64)> {
        let f = &self.fargate;
        let mut all = vec![
            ("fargate.x86_64.vcpu_hour".to_string(), f.x86_64.vcpu_hour),
            ("fargate.x86_64.gb_hour".into(), f.x86_64.gb_hour),
            ("fargate.arm64.vcpu_hour".into(), f.arm64.vcpu_hour),
            ("fargate.arm64.gb_hour".into(), f.arm64.gb_hour),
            ("fargate.storage_gb_hour".into(), f.storage_gb_hour),
            ("elb.alb_hour".into(), self.elb.alb_hour),
            ("elb.alb_lcu_hour".into(), self.elb.alb_lcu_hour),
            ("elb.nlb_hour".into(), self.elb.nlb_hour),
            ("elb.nlb_lcu_hour".into(), self.elb.nlb_lcu_hour),
            ("ec2.nat_gateway_hour".into(), self.ec2.nat_gateway_hour),
            ("ec2.nat_gateway_gb".into(), self.ec2.nat_gateway_gb),
            ("ec2.public_ipv4_hour".into(), self.ec2.public_ipv4_hour),
            ("efs.standard_gb_month".into(), self.efs.standard_gb_month),
            ("rds.gp3_gb_month".into(), self.rds.gp3_gb_month),
            ("rds.aurora_acu_hour".into(), self.rds.aurora_acu_hour),
            ("rds.aurora_gb_month".into(), self.rds.aurora_gb_month),
            ("dynamodb.read_request_million".into(), self.dynamodb.read_request_million),
            ("dynamodb.write_request_million".into(), self.dynamodb.write_request_million),
            ("dynamodb.gb_month".into(), self.dynamodb.gb_month),
            ("dynamodb.read_capacity_unit_hour".into(), self.dynamodb.read_capacity_unit_hour),
            ("dynamodb.write_capacity_unit_hour".into(), self.dynamodb.write_capacity_unit_hour),
            ("s3.standard_gb_month".into(), self.s3.standard_gb_month),
            ("waf.web_acl_month".into(), self.waf.web_acl_month),
            ("waf.rule_month".into(), self.waf.rule_month),
            ("waf.request_million".into(), self.waf.request_million),
            ("cloudwatch.alarm_month".into(), self.cloudwatch.alarm_month),
            ("cloudwatch.high_resolution_alarm_month".into(), self.cloudwatch.high_resolution_alarm_month),
            ("cloudwatch.composite_alarm_month".into(), self.cloudwatch.composite_alarm_month),
            ("cloudwatch.dashboard_month".into(), self.cloudwatch.dashboard_month),
            ("cloudwatch.logs_ingest_gb".into(), self.cloudwatch.logs_ingest_gb),
        ];
        if let Some(s) = &f.spot {
            all.extend([
                ("fargate.spot.x86_64.vcpu_hour".to_string(), s.x86_64.vcpu_hour),
                ("fargate.spot.x86_64.gb_hour".into(), s.x86_64.gb_hour),
                ("fargate.spot.arm64.vcpu_hour".into(), s.arm64.vcpu_hour),
                ("fargate.spot.arm64.gb_hour".into(), s.arm64.gb_hour),
            ]);
        }
        for (engine, classes) in &self.rds.instance_hour {
            all.extend(classes.iter().map(|(class, p)| (format!("rds.instance_hour.{engine}.{class}"), *p)));
        }
        all
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_is_valid_and_has_every_commercial_region() {
        let t = Table::built_in().expect("valid");
        for region in [
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-southeast-1",
            "ap-northeast-1",
            "sa-east-1",
            "ca-central-1",
        ] {
            assert!(t.region(region).is_ok(), "{region}");
        }
        assert!(t.regions.len() >= 30, "{}", t.regions.len());
        assert!(t.source.contains("scripts/prices"), "{}", t.source);
    }

    #[test]
    fn us_east_1_fargate_is_aws_list_price() {
        let t = Table::built_in().expect("valid");
        let f = &t.region("us-east-1").expect("there").fargate;
        assert_eq!((f.x86_64.vcpu_hour, f.x86_64.gb_hour), (0.04048, 0.004445));
        assert_eq!((f.arm64.vcpu_hour, f.arm64.gb_hour), (0.03238, 0.00356));
    }

    #[test]
    fn a_region_the_table_lacks_is_an_error_naming_it() {
        let t = Table::built_in().expect("valid");
        let e = t.region("xx-nowhere-1").expect_err("absent").to_string();
        assert!(e.contains("xx-nowhere-1"), "{e}");
    }

    #[test]
    fn a_malformed_table_says_what_is_wrong() {
        let e = Table::parse("{", "prices.json").expect_err("bad").to_string();
        assert!(e.contains("prices.json"), "{e}");
        let good = Table::built_in().expect("valid");
        let mut v: serde_json::Value = serde_json::from_str(BUILT_IN).expect("json");
        v["regions"]["us-east-1"]["elb"]["alb_hour"] = serde_json::json!(-1);
        let e = Table::parse(&v.to_string(), "new.json").expect_err("negative").to_string();
        assert!(e.contains("regions.us-east-1.elb.alb_hour"), "{e}");
        v["regions"]["us-east-1"]["elb"]["alb_hour"] = serde_json::json!(0.0225);
        v["prices_as_of"] = serde_json::json!("last week");
        assert!(Table::parse(&v.to_string(), "new.json").expect_err("date").to_string().contains("last week"));
        v["prices_as_of"] = serde_json::json!(good.prices_as_of);
        v["regions"]["us-east-1"]["elb"]["alb_hours"] = serde_json::json!(1);
        assert!(Table::parse(&v.to_string(), "new.json").expect_err("unknown").to_string().contains("alb_hours"));
    }
}

//! What a stack costs a month, before and after a change: prices (a table with its date,
//! `prices`) and the arithmetic, at 730 hours a month. The infrastructure is priced from the
//! CloudFormation templates' resources, by type and properties (`resources`), so a resource
//! type the stack grows is priced as soon as it is in a template and in the table; the tasks
//! from what ECS runs or would run (`fargate`). Usage ecship cannot know (load balancer
//! capacity units, NAT data, log volume, requests, stored gigabytes) comes from the spec's
//! `cost:` assumptions, each listed with the estimate.
//!
//! Pure: must not call AWS or print.

pub mod fargate;
pub mod prices;
mod resources;
pub mod schedule;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::CostAssumptions;
pub use fargate::{Runs, Tasks};
pub use prices::Table;

/// Hours in AWS's month.
pub const HOURS_A_MONTH: f64 = 730.0;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{origin} is not a valid price table: {why}")]
    Table { origin: String, why: String },
    #[error("the price table (prices as of {as_of}) has no prices for region {region}: give one that has with --prices FILE (scripts/prices writes it)")]
    NoRegion { region: String, as_of: String },
    #[error("region {region} has no Fargate Spot price, but {name} runs tasks on FARGATE_SPOT")]
    NoSpot { region: String, name: String },
    #[error("the price table has no price for {what} in region {region}: give one that has with --prices FILE (scripts/prices writes it)")]
    NoPrice { region: String, what: String },
}

/// The estimate: the stack's monthly cost before and after, and each item's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub currency: String,
    pub monthly_before: f64,
    pub monthly_after: f64,
    pub items: Vec<Item>,
    /// What the figures assume, one sentence each.
    pub assumptions: Vec<String>,
    pub prices_as_of: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// `service api`, `load balancer LoadBalancer`, …
    pub name: String,
    pub kind: Kind,
    pub monthly_before: f64,
    pub monthly_after: f64,
    /// How the figure is made up (after the change; before, for an item that goes).
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Fargate,
    PublicIpv4,
    LoadBalancer,
    NatGateway,
    FileSystem,
    Database,
    Table,
    Bucket,
    WebAcl,
    Alarms,
    Dashboards,
    Logs,
}

/// One side of a comparison: the stack's templates (root and nested) and its tasks.
#[derive(Debug, Default)]
pub struct Bill<'a> {
    pub templates: Vec<&'a Value>,
    pub tasks: Vec<Tasks>,
}

/// What an estimate reads besides the bills.
pub struct Pricing<'a> {
    pub table: &'a Table,
    pub region: &'a str,
    pub assumptions: &'a CostAssumptions,
}

/// One priced line of one side.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub name: String,
    pub kind: Kind,
    pub monthly: f64,
    pub detail: String,
}

impl Line {
    pub(crate) fn new(name: impl Into<String>, kind: Kind, monthly: f64, detail: impl Into<String>) -> Self {
        Line { name: name.into(), kind, monthly, detail: detail.into() }
    }
}

/// The stack's cost before and after a change, every item with both figures.
pub fn compare(p: &Pricing<'_>, before: &Bill<'_>, after: &Bill<'_>) -> Result<Cost, Error> {
    let region = p.table.region(p.region)?;
    let priced = |bill: &Bill<'_>| -> Result<BTreeMap<String, Line>, Error> {
        let mut lines = resources::lines(region, p, &bill.templates)?;
        for t in &bill.tasks {
            lines.extend(fargate::lines(region, p, t)?);
        }
        Ok(merge(lines))
    };
    let (was, will) = (priced(before)?, priced(after)?);
    let mut items: Vec<Item> = was
        .keys()
        .chain(will.keys().filter(|k| !was.contains_key(*k)))
        .filter_map(|name| {
            let (b, a) = (was.get(name), will.get(name));
            let line = a.or(b)?;
            Some(Item {
                name: name.clone(),
                kind: line.kind,
                monthly_before: money(b.map_or(0.0, |l| l.monthly)),
                monthly_after: money(a.map_or(0.0, |l| l.monthly)),
                detail: line.detail.clone(),
            })
        })
        .collect();
    items.sort_by(|x, y| x.kind.cmp(&y.kind).then_with(|| x.name.cmp(&y.name)));
    Ok(Cost {
        currency: p.table.currency.clone(),
        monthly_before: money(items.iter().map(|i| i.monthly_before).sum()),
        monthly_after: money(items.iter().map(|i| i.monthly_after).sum()),
        items,
        assumptions: assumptions(p.assumptions),
        prices_as_of: p.table.prices_as_of.clone(),
        region: p.region.to_string(),
    })
}

/// Lines by name; the lines of one name (the two colours of a canary or blue/green service)
/// add up.
fn merge(lines: Vec<Line>) -> BTreeMap<String, Line> {
    let mut by_name: BTreeMap<String, Line> = BTreeMap::new();
    for l in lines {
        match by_name.get_mut(&l.name) {
            Some(_) if l.monthly == 0.0 => {}
            Some(had) if had.monthly == 0.0 => *had = l,
            Some(had) => {
                had.monthly += l.monthly;
                had.detail = format!("{}; {}", had.detail, l.detail);
            }
            None => {
                by_name.insert(l.name.clone(), l);
            }
        }
    }
    by_name
}

impl Cost {
    /// After minus before.
    pub fn difference(&self) -> f64 {
        money(self.monthly_after - self.monthly_before)
    }

    /// Only the items whose cost changes (what a plan lists).
    pub fn changed(mut self) -> Self {
        self.items.retain(|i| i.monthly_before != i.monthly_after);
        self
    }
}

/// A sum of money, free of binary noise: to a millionth.
pub fn money(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Each assumption an estimate rests on, and how to change it.
fn assumptions(a: &CostAssumptions) -> Vec<String> {
    let job = match a.job_minutes {
        Some(m) => format!("each job run takes {m} minutes (cost.job_minutes)"),
        None => "each job run takes its whole timeout, at most (cost.job_minutes to say how long)".to_string(),
    };
    vec![
        format!("{HOURS_A_MONTH} hours a month, on-demand list prices without free tiers, savings plans or taxes"),
        "autoscaled services at their minimum count; the range up to the maximum is in each line".to_string(),
        "Fargate Spot at the table's price for the region (Spot prices move: an estimate)".to_string(),
        format!("{} load balancer capacity units per hour, each load balancer (cost.lcu)", a.lcu),
        format!("{} GB processed a month, each NAT gateway (cost.nat_gb)", a.nat_gb),
        format!("{} GB of logs ingested a month (cost.log_gb)", a.log_gb),
        format!("{} requests a month through each web ACL (cost.requests_per_month)", a.requests_per_month),
        format!(
            "stored: {} GB each EFS file system (cost.efs_gb), {} GB each S3 bucket (cost.s3_gb), {} GB each DynamoDB table (cost.dynamodb_gb), {} GB each Aurora cluster (cost.aurora_gb)",
            a.efs_gb, a.s3_gb, a.dynamodb_gb, a.aurora_gb
        ),
        format!(
            "{} reads and {} writes a month, each on-demand DynamoDB table (cost.dynamodb_reads, cost.dynamodb_writes)",
            a.dynamodb_reads, a.dynamodb_writes
        ),
        job,
        "data transfer, requests to S3, Aurora I/O and SNS (its free tier) are not priced".to_string(),
    ]
}

#[cfg(test)]
mod tests;

//! Fargate tasks priced: vCPU-hours and GB-hours by architecture (Linux), ephemeral storage
//! above the free 20 GiB, the share of tasks on Fargate Spot, and a public IPv4 address per
//! task given one. A service runs all month; a job runs per run times its schedule.

use super::prices::{Rate, Region};
use super::{Error, Kind, Line, Pricing, HOURS_A_MONTH};
use crate::model::CapacityItem;

/// Tasks of one service or job, as ECS runs them (or would).
#[derive(Debug, Clone, PartialEq)]
pub struct Tasks {
    /// `service api`, `job report`.
    pub name: String,
    /// CPU units (1024 a vCPU) and MiB, as in the task definition.
    pub cpu: u32,
    pub memory: u32,
    /// Ephemeral storage in GiB, when more than the free 20.
    pub storage: Option<u32>,
    pub arm: bool,
    /// The capacity provider strategy; empty: the Fargate launch type.
    pub capacity: Vec<CapacityItem>,
    pub count: u32,
    /// Autoscaled: the maximum (`count` is the minimum).
    pub max: Option<u32>,
    pub public_ip: bool,
    /// A job: how often it runs and for how long; `None`: a service, running all month.
    pub runs: Option<Runs>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Runs {
    /// Runs a month; `None`: run only when asked.
    pub per_month: Option<f64>,
    pub minutes: f64,
}

/// Fargate's free ephemeral storage, GiB.
const FREE_STORAGE: u32 = 20;

/// The lines of one service's or job's tasks: Fargate, and public IPv4 if they have one.
pub(super) fn lines(region: &Region, p: &Pricing<'_>, t: &Tasks) -> Result<Vec<Line>, Error> {
    let (on_demand, spot) = split(t.count, &t.capacity);
    let on_spot = spot > 0.0 || t.max.is_some_and(|m| split(m, &t.capacity).1 > 0.0);
    let spot_rate = match (&region.fargate.spot, on_spot) {
        (_, false) => None,
        (Some(s), true) => Some(if t.arm { s.arm64 } else { s.x86_64 }),
        (None, true) => return Err(Error::NoSpot { region: p.region.to_string(), name: t.name.clone() }),
    };
    let rate = if t.arm { region.fargate.arm64 } else { region.fargate.x86_64 };
    let storage = f64::from(t.storage.unwrap_or(FREE_STORAGE).saturating_sub(FREE_STORAGE)) * region.fargate.storage_gb_hour;
    let per_task = |r: Rate| task_hour(r, t.cpu, t.memory) + storage;
    let hours = hours(t);
    let monthly = |(od, sp): (f64, f64)| hours * (od * per_task(rate) + spot_rate.map_or(0.0, |s| sp * per_task(s)));
    let fargate = monthly((on_demand, spot));
    let mut detail = format!("{} × {}", how_many(t), size(t, on_demand, spot));
    if let Some(max) = t.max.filter(|m| *m > t.count) {
        let top = monthly(split(max, &t.capacity));
        detail.push_str(&format!("; autoscaled {}–{max} tasks: up to {top:.2} a month", t.count));
    }
    if let Some(Runs { per_month: None, .. }) = t.runs {
        detail.push_str(&format!("; {:.4} a run", per_run(t, per_task(rate))));
    }
    let mut out = vec![Line::new(&t.name, Kind::Fargate, fargate, detail)];
    if t.public_ip {
        let n = if t.runs.is_some() { 1.0 } else { f64::from(t.count) };
        let ipv4 = n * hours * region.ec2.public_ipv4_hour;
        out.push(Line::new(format!("public IPv4 {}", t.name), Kind::PublicIpv4, ipv4, format!("{n} public IPv4 address, one per task")));
    }
    Ok(out)
}

/// One task-hour at a rate: vCPU and GB of memory (1 vCPU = 1024 units, 1 GB = 1024 MiB).
pub fn task_hour(r: Rate, cpu: u32, memory: u32) -> f64 {
    f64::from(cpu) / 1024.0 * r.vcpu_hour + f64::from(memory) / 1024.0 * r.gb_hour
}

/// Hours the tasks run a month: a service all month, a job its runs.
fn hours(t: &Tasks) -> f64 {
    match t.runs {
        None => HOURS_A_MONTH,
        Some(r) => r.per_month.unwrap_or(0.0) * r.minutes / 60.0,
    }
}

fn per_run(t: &Tasks, per_task_hour: f64) -> f64 {
    t.runs.map_or(0.0, |r| r.minutes / 60.0 * per_task_hour)
}

/// How `count` tasks split between on demand and Spot under a capacity provider strategy:
/// each provider's `base` first, the rest by `weight`.
/// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
pub fn split(count: u32, capacity: &[CapacityItem]) -> (f64, f64) {
    let total = f64::from(count);
    if capacity.is_empty() {
        return (total, 0.0);
    }
    let is_spot = |c: &&CapacityItem| c.provider == "FARGATE_SPOT";
    let mut left = count;
    let mut spot = 0.0;
    for c in capacity {
        let base = c.base.min(left);
        left -= base;
        if is_spot(&c) {
            spot += f64::from(base);
        }
    }
    let weights: u32 = capacity.iter().map(|c| c.weight).sum();
    if weights > 0 {
        let spot_weight: u32 = capacity.iter().filter(is_spot).map(|c| c.weight).sum();
        spot += f64::from(left) * f64::from(spot_weight) / f64::from(weights);
    }
    (total - spot, spot)
}

fn how_many(t: &Tasks) -> String {
    match t.runs {
        Some(Runs { per_month: Some(n), minutes }) => format!("{} runs a month of {minutes} min", round(n)),
        Some(Runs { per_month: None, minutes }) => format!("run when asked, {minutes} min a run"),
        None => format!("{} task{}", t.count, crate::human::plural(t.count as usize)),
    }
}

fn size(t: &Tasks, on_demand: f64, spot: f64) -> String {
    let storage = t.storage.filter(|s| *s > FREE_STORAGE).map(|s| format!(", {s} GiB storage")).unwrap_or_default();
    let how = match (on_demand > 0.0, spot > 0.0) {
        (_, false) => "on demand".to_string(),
        (false, true) => "Fargate Spot".to_string(),
        (true, true) => format!("{} on demand, {} on Fargate Spot", round(on_demand), round(spot)),
    };
    let arch = if t.arm { "arm64" } else { "x86_64" };
    format!("{} vCPU, {}, {arch}{storage}, {how}", round(f64::from(t.cpu) / 1024.0), gib(t.memory))
}

fn gib(mib: u32) -> String {
    format!("{} GiB", round(f64::from(mib) / 1024.0))
}

/// A count or size as people write it: `2`, `0.5`, `1.33`.
fn round(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

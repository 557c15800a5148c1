//! Semantic validation: a loaded `Spec` becomes a `Model`, or every problem is reported.
//!
//! Rules run on the whole spec even after a failure, so one run lists everything to fix.
//! Must not call AWS; the only file-system access is checking that build contexts exist.

pub mod checks;
mod deploy;
mod edge;
mod env;
mod image;
mod jobs;
mod load_balancers;
pub mod plaintext;
mod previews;
mod quotas;
mod routes;

pub use routes::{derive_priority, keep_deployed, Pins};
mod service;
mod sidecars;
mod signals;
mod storage;
mod volumes;

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::diagnostic::{Diagnostic, Diagnostics};
use super::load::Loaded;
use super::types::{self, Nat};
use crate::model::{self, LbName, Model, Network, Zone};
use checks::secs;

/// The longest deployed stack name (`stack` or `stack-env`): it prefixes ECR repositories,
/// log groups and task-definition families, and CloudFormation derives the load balancer's
/// and target groups' 32-character names from it.
pub const MAX_STACK_NAME: usize = 28;

pub fn validate(loaded: &Loaded) -> Result<Model, Diagnostics> {
    let mut cx = Ctx { loaded, problems: Vec::new() };
    let model = cx.model();
    let shape = &loaded.problems;
    // A value with a shape problem was dropped before validation: don't also call it missing.
    cx.problems.retain(|d| {
        !shape.iter().any(|s| s.path == d.path || (d.message.starts_with("missing") && s.path.starts_with(&format!("{}.", d.path))))
    });
    let mut problems = loaded.label(shape.clone());
    let found = loaded.label(std::mem::take(&mut cx.problems));
    problems.extend(found.into_iter().filter(|d| !loaded.uses_unset_var(&d.path)));
    match model {
        Some(m) if problems.is_empty() => Ok(m),
        _ => Err(Diagnostics::new(&loaded.file, problems)),
    }
}

pub(crate) struct Ctx<'a> {
    pub loaded: &'a Loaded,
    pub problems: Vec<Diagnostic>,
}

impl Ctx<'_> {
    /// Record a problem at `path`; `.hint(…)` on the result adds how to fix it.
    pub fn err(&mut self, path: &str, message: impl Into<String>) -> Noted<'_> {
        let d = Diagnostic::new(path, message).at(self.loaded.locate(path));
        self.problems.push(d);
        let last = self.problems.len() - 1;
        Noted(&mut self.problems[last])
    }

    /// Parse a duration at `path`, recording a problem and returning `default` when invalid.
    pub fn duration(&mut self, path: &str, value: Option<&str>, default: u64, min: u64, max: u64) -> std::time::Duration {
        match value {
            None => secs(default),
            Some(v) => checks::duration(v, secs(min), secs(max)).unwrap_or_else(|m| {
                self.err(path, m);
                secs(default)
            }),
        }
    }

    fn model(&mut self) -> Option<Model> {
        let spec = &self.loaded.spec;
        let stack = self.stack_name();
        if let Some(region) = &spec.region {
            if !is_region(region) {
                self.err("region", format!("`{region}` is not an AWS region name")).hint("for example us-east-1 or eu-west-2");
            }
        }
        let network = self.network();
        let signals = self.signals(spec.region.as_deref());
        let cluster = self.cluster(&stack, signals.is_some());
        let mut load_balancers = self.load_balancers(&network);
        let storage = self.storage(&network);
        let services = self.services(&network, &load_balancers);
        self.domain_hosts(&mut load_balancers, &services);
        let jobs = self.jobs(&network, &services);
        self.check_insights(&cluster, &services);
        let tasks = services.values().map(|s| ("services".to_string(), s)).chain(jobs.values().map(|j| ("jobs".to_string(), &j.task)));
        self.check_volumes(tasks);
        // Routes without a declared load balancer get one with every default.
        if load_balancers.is_empty() && services.values().any(|s| s.load_balancer.is_some()) {
            let lb = self.load_balancer(&network, LbName::Single, &types::LoadBalancer::default());
            load_balancers.insert(LbName::Single, lb);
        }
        let log_retention_days = self.log_retention();
        let asset_bucket = self.asset_bucket();
        let quotas = self.quotas(&load_balancers, &services);
        let tags = self.tags();
        let permissions_boundary = self.permissions_boundary();
        let cost = self.cost();
        let previews = self.previews(&services, &load_balancers);
        let network = network?;
        if services.is_empty() && spec.services.is_empty() {
            self.err("services", "a stack needs at least one service");
        }
        Some(Model {
            stack: model::StackName::new_unchecked(stack),
            env: self.loaded.env.clone(),
            region: spec.region.clone(),
            network,
            cluster,
            load_balancers,
            log_retention_days,
            asset_bucket,
            quotas,
            tags,
            permissions_boundary,
            signals,
            services,
            jobs,
            storage,
            pulls: Vec::new(),
            cost,
            previews,
            preview: None,
        })
    }

    fn stack_name(&mut self) -> String {
        let base = &self.loaded.spec.stack;
        if let Err(m) = checks::dns_label(base, MAX_STACK_NAME) {
            self.err("stack", format!("stack name {m}")).hint("for example `mysfits` or `shop-api`");
        } else if base.starts_with("ecship-lock") {
            self.err("stack", format!("stack name `{base}` is kept: ecship's stack locks are named `ecship-lock/STACK`"))
                .hint("pick another name");
        }
        let Some(env) = &self.loaded.env else { return base.clone() };
        if let Err(m) = checks::dns_label(env, 12) {
            self.err("environments", format!("environment name `{env}` {m}"));
        }
        let full = format!("{base}-{env}");
        if full.len() > MAX_STACK_NAME {
            self.err(
                "stack",
                format!("the deployed stack name `{full}` is {} characters; at most {MAX_STACK_NAME} fit the AWS name limits", full.len()),
            )
            .hint("shorten the stack or the environment name");
        }
        full
    }

    fn network(&mut self) -> Option<Network> {
        let n = self.loaded.spec.network.clone().unwrap_or(types::Network {
            cidr: None,
            azs: None,
            nat: None,
            vpc_id: None,
            public_subnets: None,
            private_subnets: None,
        });
        if let Some(vpc_id) = &n.vpc_id {
            return self.existing_network(vpc_id, &n);
        }
        for (key, set) in [("public_subnets", n.public_subnets.is_some()), ("private_subnets", n.private_subnets.is_some())] {
            if set {
                self.err(&format!("network.{key}"), "subnet ids need `vpc_id`")
                    .hint("name the existing VPC with `vpc_id`, or remove the subnet ids to let ecship create a VPC");
            }
        }
        let cidr_text = n.cidr.as_deref().unwrap_or("10.0.0.0/16");
        let cidr: Ipv4Net = match cidr_text.parse() {
            Ok(c) => c,
            Err(_) => {
                self.err("network.cidr", format!("`{cidr_text}` is not an IPv4 CIDR block")).hint("for example 10.0.0.0/16");
                return None;
            }
        };
        if !(16..=24).contains(&cidr.prefix_len()) {
            self.err("network.cidr", format!("a /{} VPC is out of range: use /16 to /24", cidr.prefix_len()));
            return None;
        }
        if cidr.network() != cidr.addr() {
            self.err("network.cidr", format!("`{cidr_text}` has host bits set")).hint(format!("did you mean {}?", cidr.trunc()));
        }
        let azs = n.azs.unwrap_or(2);
        if !(2..=3).contains(&azs) {
            self.err("network.azs", format!("{azs} availability zones: use 2 or 3")).hint("a load balancer needs at least two zones");
            return None;
        }
        let nat = n.nat.map_or(model::Nat::Single, model_nat);
        // Eight equal subnets: public ones from the bottom, private ones from the middle.
        let subnets: Vec<Ipv4Net> = cidr.subnets(cidr.prefix_len() + 3).map(|s| s.collect()).unwrap_or_default();
        let zones = (0..usize::from(azs))
            .map(|i| Zone {
                public: subnets.get(i).copied().unwrap_or(cidr),
                private: (nat != model::Nat::None).then(|| subnets.get(4 + i).copied().unwrap_or(cidr)),
            })
            .collect();
        Some(Network::Managed { cidr: cidr.trunc(), zones, nat })
    }

    fn existing_network(&mut self, vpc_id: &str, n: &types::Network) -> Option<Network> {
        for (key, set) in [("cidr", n.cidr.is_some()), ("azs", n.azs.is_some()), ("nat", n.nat.is_some())] {
            if set {
                self.err(&format!("network.{key}"), format!("`{key}` applies to a new VPC, not to an existing `vpc_id`"))
                    .hint("remove it, or remove `vpc_id` to let ecship create the VPC");
            }
        }
        if !checks::aws_id(vpc_id, "vpc-") {
            self.err("network.vpc_id", format!("`{vpc_id}` is not a VPC id")).hint("VPC ids look like vpc-0a1b2c3d4e5f67890");
        }
        let public = n.public_subnets.clone().unwrap_or_default();
        let private = n.private_subnets.clone().unwrap_or_default();
        for (key, list) in [("public_subnets", &public), ("private_subnets", &private)] {
            for (i, id) in list.iter().enumerate() {
                if !checks::aws_id(id, "subnet-") {
                    self.err(&format!("network.{key}[{i}]"), format!("`{id}` is not a subnet id"));
                }
            }
        }
        Some(Network::Existing { vpc_id: vpc_id.to_string(), public_subnets: public, private_subnets: private })
    }

    /// The cluster; Container Insights on by default with `signals:` (the running-below-desired
    /// alarms read its task counts).
    fn cluster(&mut self, stack: &str, signals: bool) -> model::Cluster {
        let c = self.loaded.spec.cluster.as_ref();
        let name = c.and_then(|c| c.name.clone()).unwrap_or_else(|| stack.to_string());
        let valid = !name.is_empty() && name.len() <= 255 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            self.err("cluster.name", format!("`{name}` is not a valid cluster name")).hint("use up to 255 letters, digits, `-` and `_`");
        }
        model::Cluster { name, container_insights: c.and_then(|c| c.container_insights).unwrap_or(signals), keep_capacity_providers: false }
    }

    pub fn port(&mut self, path: &str, n: u32) -> model::Port {
        match u16::try_from(n) {
            Ok(p) if p > 0 => model::Port(p),
            _ => {
                self.err(path, format!("port {n} is out of range: use 1 to 65535"));
                model::Port(80)
            }
        }
    }

    fn log_retention(&mut self) -> u32 {
        let days = self.loaded.spec.logs.as_ref().and_then(|l| l.retention_days).unwrap_or(30);
        if !checks::LOG_RETENTION_DAYS.contains(&days) {
            let near = checks::LOG_RETENTION_DAYS.iter().min_by_key(|d| d.abs_diff(days)).copied().unwrap_or(30);
            self.err("logs.retention_days", format!("CloudWatch Logs cannot keep logs for {days} days"))
                .hint(format!("the nearest allowed value is {near}"));
        }
        days
    }

    fn asset_bucket(&mut self) -> Option<String> {
        let bucket = self.loaded.spec.assets.as_ref()?.bucket.clone()?;
        if let Err(m) = checks::bucket_name(&bucket) {
            self.err("assets.bucket", format!("`{bucket}` is not an S3 bucket name: {m}"));
        }
        Some(bucket)
    }

    /// `cost:`: every figure a number, 0 or more (a job's minutes more than 0).
    fn cost(&mut self) -> model::CostAssumptions {
        let given = self.loaded.spec.cost.clone().unwrap_or_default();
        let mut figure = |key: &str, v: Option<f64>| match v {
            Some(x) if !x.is_finite() || x < 0.0 => {
                self.err(&format!("cost.{key}"), format!("{x} is not a usage figure")).hint("a number, 0 or more");
                0.0
            }
            v => v.unwrap_or(0.0),
        };
        let mut a = model::CostAssumptions {
            lcu: figure("lcu", given.lcu),
            nat_gb: figure("nat_gb", given.nat_gb),
            log_gb: figure("log_gb", given.log_gb),
            requests_per_month: figure("requests_per_month", given.requests_per_month),
            efs_gb: figure("efs_gb", given.efs_gb),
            s3_gb: figure("s3_gb", given.s3_gb),
            dynamodb_gb: figure("dynamodb_gb", given.dynamodb_gb),
            aurora_gb: figure("aurora_gb", given.aurora_gb),
            dynamodb_reads: figure("dynamodb_reads", given.dynamodb_reads),
            dynamodb_writes: figure("dynamodb_writes", given.dynamodb_writes),
            job_minutes: None,
        };
        a.job_minutes = match given.job_minutes {
            Some(m) if !(m.is_finite() && m > 0.0) => {
                self.err("cost.job_minutes", format!("{m} is not a run's length")).hint("minutes, more than 0");
                None
            }
            m => m,
        };
        a
    }

    /// `permissions_boundary`: an IAM managed policy's ARN — the account's or AWS's.
    fn permissions_boundary(&mut self) -> Option<String> {
        let arn = self.loaded.spec.permissions_boundary.clone()?;
        if !checks::policy_arn(&arn) {
            self.err("permissions_boundary", format!("`{arn}` is not the ARN of an IAM managed policy"))
                .hint("e.g. arn:aws:iam::123456789012:policy/ecship-boundary");
        }
        Some(arn)
    }

    fn tags(&mut self) -> BTreeMap<String, String> {
        let tags = self.loaded.spec.tags.clone();
        if tags.len() > 40 {
            self.err("tags", format!("{} tags: at most 40 (AWS allows 50 a resource and ecship adds its own)", tags.len()));
        }
        for (k, v) in &tags {
            let path = format!("tags.{k}");
            let lower = k.to_ascii_lowercase();
            if k.is_empty() || k.len() > 128 || v.len() > 256 {
                self.err(&path, "tag keys are 1–128 characters and values at most 256");
            } else if lower.starts_with("aws:") || lower.starts_with("ecship:") {
                self.err(&path, format!("the tag prefix of `{k}` is reserved"));
            } else if !k.chars().chain(v.chars()).all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c)) {
                self.err(&path, "tags may hold only letters, digits, spaces and _ . : / = + - @");
            }
        }
        tags
    }
}

pub(crate) struct Noted<'a>(&'a mut Diagnostic);

impl Noted<'_> {
    pub fn hint(self, hint: impl Into<String>) {
        self.0.hint = Some(hint.into());
    }
}

fn model_nat(n: Nat) -> model::Nat {
    match n {
        Nat::None => model::Nat::None,
        Nat::Single => model::Nat::Single,
        Nat::PerAz => model::Nat::PerAz,
    }
}

use model::signals::is_region;

#[cfg(test)]
mod tests;

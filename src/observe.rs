//! Deployed state as plain data: the stack, its template, the stack's ECS services, the task
//! definitions they run, each family's latest revision, and the traffic weights of the
//! listener rules of two-colour services. Reads only, batched and concurrent; decides nothing.
//! `Observed` answers questions about what it holds (where a two-colour service's traffic
//! goes, what each colour runs) without calling AWS again.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde_json::Value;

use crate::aws::cloudformation::{StackInfo, Stacks};
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::{Aws, AwsError};
use crate::model::{ByColour, Colour, Model, Service, ServiceName, Weights};
use crate::rollout::{ColourState, TwoColours};
use crate::workload::outputs::StackOutputs;
use crate::workload::{Registered, ServiceState, ServiceStatus};

#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub stack: Option<StackInfo>,
    /// The deployed template, parsed.
    pub template: Option<Value>,
    /// The stack's ECS services (ACTIVE or DRAINING), by name.
    pub services: BTreeMap<String, ServiceState>,
    /// The task definition each service runs, by service name.
    pub running: BTreeMap<String, Registered>,
    /// The latest ACTIVE revision of each of the given families.
    pub latest: BTreeMap<String, Registered>,
    /// Forward weights of the rules of services with two target groups: rule ARN →
    /// [(target group ARN, weight)].
    pub weights: BTreeMap<String, Vec<(String, i32)>>,
}

pub async fn observe(aws: &Aws, stack: &str, families: &[String]) -> Result<Observed, AwsError> {
    let stacks = Stacks::new(aws);
    let ecs = Ecs::new(aws);
    let Some(info) = stacks.describe(stack).await? else {
        return Ok(Observed::default());
    };
    let body = stacks.template(stack).await?;
    let template = body.as_deref().and_then(|b| serde_json::from_str(b).ok());
    let services: BTreeMap<String, ServiceState> = match info.outputs.get("ClusterName") {
        Some(cluster) => ecs.stack_services(cluster, stack).await?.into_iter().map(|s| (s.name.clone(), s)).collect(),
        None => BTreeMap::new(),
    };
    let latest = join_all(families.iter().map(|f| ecs.task_definition(f))).await;
    // Rules of two-colour services (two target groups): where their traffic goes.
    let rules: Vec<String> = StackOutputs::parse(stack, &info.outputs)
        .map(|o| o.services().filter(|s| s.target_groups.len() == 2).flat_map(|s| s.rules.clone()).collect())
        .unwrap_or_default();
    let weights = if rules.is_empty() { BTreeMap::new() } else { Elbv2::new(aws).rule_weights(&rules).await?.into_iter().collect() };
    let mut out =
        Observed { stack: Some(info), template, services: BTreeMap::new(), running: BTreeMap::new(), latest: BTreeMap::new(), weights };
    for (family, r) in families.iter().zip(latest) {
        if let Some(r) = r? {
            out.latest.insert(family.clone(), r);
        }
    }
    // A service runs its family's latest revision unless a deploy is half done or was rolled
    // back: only those are read again.
    let others: Vec<&ServiceState> = services.values().filter(|s| !out.latest.values().any(|l| l.arn == s.task_definition)).collect();
    let running = join_all(others.iter().map(|s| ecs.task_definition(&s.task_definition))).await;
    for (s, r) in others.iter().zip(running) {
        if let Some(r) = r? {
            out.running.insert(s.name.clone(), r);
        }
    }
    for s in services.values() {
        if let Some(l) = out.latest.values().find(|l| l.arn == s.task_definition) {
            out.running.insert(s.name.clone(), l.clone());
        }
    }
    out.services = services;
    Ok(out)
}

impl Observed {
    /// Where the traffic of each two-colour service of `m` goes now, read from the first of
    /// its rules (ecship moves them all together); all on blue before the first deploy.
    pub fn traffic(&self, m: &Model) -> BTreeMap<ServiceName, Weights> {
        let outputs = self.stack.as_ref().and_then(|s| StackOutputs::parse(m.stack.as_str(), &s.outputs).ok());
        let mut out = BTreeMap::new();
        for svc in m.services.values().filter(|s| s.deploy.strategy.has_two_colours()) {
            let found = outputs.as_ref().and_then(|o| o.service(m.stack.as_str(), &svc.name).ok()).and_then(|so| {
                let forward = self.weights.get(so.rules.first()?)?;
                let of = |tg: Option<&String>| tg.and_then(|tg| forward.iter().find(|(arn, _)| arn == tg)).map_or(0, |(_, w)| *w);
                Weights::from_forward(of(so.target_groups.first()), of(so.target_groups.get(1)))
            });
            out.insert(svc.name.clone(), found.unwrap_or_default());
        }
        out
    }

    /// A two-colour service's colours as deployed (only ACTIVE ECS services count), with its
    /// traffic at `weights`.
    pub fn colours(&self, svc: &Service, weights: Weights) -> TwoColours {
        let of = |c: Colour| {
            self.services
                .get(&svc.colour_service(c))
                .filter(|s| s.status == ServiceStatus::Active)
                .map(|s| ColourState { task_definition: s.task_definition.clone(), desired: s.desired })
        };
        TwoColours { weights, services: ByColour { blue: of(Colour::Blue), green: of(Colour::Green) } }
    }
}

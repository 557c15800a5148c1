//! `status`: the stack and its services as deployed, read without the spec. Reads only.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::Serialize;

use crate::aws::cloudformation::Stacks;
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::{Aws, AwsError};
use crate::synth::nesting::EXPORT_PREFIX;
use crate::workload::outputs::StackOutputs;
use crate::workload::revision_name;

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub stack: String,
    /// The CloudFormation status, or `None` when the stack does not exist.
    pub status: Option<String>,
    pub load_balancer_url: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub services: Vec<ServiceStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub status: String,
    pub running: u32,
    pub desired: u32,
    pub pending: u32,
    /// `family:revision`.
    pub task_definition: String,
    pub image: Option<String>,
    /// The primary deployment's rollout state: IN_PROGRESS, COMPLETED, FAILED.
    pub rollout: Option<String>,
    pub deployments: usize,
    /// The newest ECS service events, newest first.
    pub events: Vec<String>,
    /// For a colour of a canary or blue/green service: its percent of the traffic.
    pub traffic: Option<u8>,
}

/// How many service events `status` shows.
const EVENTS: usize = 3;

pub async fn status(aws: &Aws, stack: &str) -> Result<Status, AwsError> {
    let stacks = Stacks::new(aws);
    let Some(mut info) = stacks.describe(stack).await? else {
        return Ok(Status { stack: stack.to_string(), status: None, load_balancer_url: None, outputs: BTreeMap::new(), services: vec![] });
    };
    info.merge_outputs(&stacks.nested_stacks(stack).await?, EXPORT_PREFIX);
    let ecs = Ecs::new(aws);
    let services = match info.outputs.get("ClusterName") {
        Some(cluster) => ecs.stack_services(cluster, stack).await?,
        None => vec![],
    };
    let described = join_all(services.iter().map(|s| ecs.task_definition(&s.task_definition))).await;
    // Traffic shares of two-colour services: target group ARN → percent, from their rules.
    let mut shares: BTreeMap<String, u8> = BTreeMap::new();
    if let Ok(outputs) = StackOutputs::parse(stack, &info.outputs) {
        let rules: Vec<String> =
            outputs.services().filter(|s| s.target_groups.len() == 2).filter_map(|s| s.rules.first().cloned()).collect();
        if !rules.is_empty() {
            for (_, weights) in Elbv2::new(aws).rule_weights(&rules).await? {
                let total: i32 = weights.iter().map(|(_, w)| (*w).max(0)).sum();
                for (tg, w) in weights {
                    let pct = if total > 0 { w.max(0) * 100 / total } else { 0 };
                    shares.insert(tg, u8::try_from(pct).unwrap_or(0));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (s, td) in services.into_iter().zip(described) {
        let primary = s.primary();
        let traffic = s.config.load_balancer.as_ref().and_then(|lb| shares.get(&lb.target_group_arn).copied());
        out.push(ServiceStatus {
            traffic,
            image: td?.map(|t| t.task_def.container.image),
            rollout: primary.and_then(|d| d.rollout_state.as_ref()).map(ToString::to_string),
            deployments: s.deployments.len(),
            task_definition: revision_name(&s.task_definition).to_string(),
            events: s.events.iter().take(EVENTS).map(|e| format!("{} {}", e.at, e.message)).collect(),
            name: s.name,
            status: s.status.to_string(),
            running: s.running,
            desired: s.desired,
            pending: s.pending,
        });
    }
    Ok(Status {
        stack: stack.to_string(),
        status: Some(info.status),
        load_balancer_url: info.outputs.get("LoadBalancerUrl").cloned(),
        outputs: info.outputs,
        services: out,
    })
}

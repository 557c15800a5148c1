//! `wait`: watch services until ECS reports each steady — every task of its current revision
//! running, no deployment under way — or failed, or out of time. Reads only.

use std::time::Duration;

use super::alarms::Alarms;
use super::error::{Error, RolloutFailure};
use super::interrupt::{until_interrupted, Ended};
use super::watch::{wait_all, Watch};
use crate::aws::ecs::Ecs;
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter};
use crate::model::Service;
use crate::observe::{observe, Observed};
use crate::rollout::Outcome;
use crate::stack::Compiled;
use crate::workload::ServiceState;

/// Wait for `services` (every service of the spec when empty) until steady; `timeout`
/// overrides each service's `deploy.timeout`. Returns the ECS services found steady.
pub async fn run(
    aws: &Aws,
    c: &Compiled,
    services: &[&Service],
    timeout: Option<Duration>,
    r: &dyn Reporter,
) -> Ended<Result<Vec<String>, Error>> {
    until_interrupted(wait(aws, c, services, timeout, r)).await
}

async fn wait(aws: &Aws, c: &Compiled, services: &[&Service], timeout: Option<Duration>, r: &dyn Reporter) -> Result<Vec<String>, Error> {
    let observed = observe(aws, c.model.stack.as_str()).await?;
    let all: Vec<&Service> = if services.is_empty() { c.model.services.values().collect() } else { services.to_vec() };
    let mut watches = Vec::new();
    let mut cluster = String::new();
    for svc in all {
        let (c, state) = live_service(c, &observed, svc)?;
        cluster = c;
        watches.push(Watch {
            name: state.name.clone(),
            task_definition: state.task_definition.clone(),
            timeout: timeout.unwrap_or(svc.deploy.timeout),
        });
    }
    let names: Vec<&str> = watches.iter().map(|w| w.name.as_str()).collect();
    r.event(&Event::Step { message: format!("wait: {}", names.join(", ")) });
    let outcomes = wait_all(&Ecs::new(aws), &cluster, &watches, &Alarms::none(), r).await?;
    let failures: Vec<RolloutFailure> = outcomes
        .iter()
        .filter(|(_, o)| **o != Outcome::Stable)
        .map(|(s, o)| RolloutFailure { service: s.clone(), outcome: o.clone() })
        .collect();
    if !failures.is_empty() {
        return Err(Error::Rollout { failures });
    }
    Ok(outcomes.into_keys().collect())
}

/// The cluster and the ECS service that runs `svc` now: itself, or the colour with its
/// traffic.
pub fn live_service<'a>(c: &Compiled, observed: &'a Observed, svc: &Service) -> Result<(String, &'a ServiceState), Error> {
    let stack = c.model.stack.to_string();
    let cluster = observed.stack.as_ref().and_then(|s| s.outputs.get("ClusterName")).cloned();
    let Some(cluster) = cluster else { return Err(Error::NotDeployed { stack }) };
    let name = svc.live_ecs_service(observed.traffic(&c.model).get(&svc.name).copied());
    let state = observed.services.get(&name).ok_or(Error::NotRunning { service: name.clone(), stack })?;
    Ok((cluster, state))
}

/// Watch one ECS service on the revision it runs until steady.
pub async fn wait_for(ecs: &Ecs, cluster: &str, state: &ServiceState, timeout: Duration, r: &dyn Reporter) -> Result<Outcome, AwsError> {
    let watch = Watch { name: state.name.clone(), task_definition: state.task_definition.clone(), timeout };
    let mut outcomes = wait_all(ecs, cluster, &[watch], &Alarms::none(), r).await?;
    Ok(outcomes.remove(&state.name).unwrap_or(Outcome::Stable))
}

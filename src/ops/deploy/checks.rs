//! Step 6b of a deploy: the HTTP check (`deploy.check`) of rolling and doubling services, once
//! ECS reports their rollout steady. The check goes through the load balancer every
//! `check.interval` until it passes; `check.failures` failures in a row fail it, and the
//! service is rolled back to the revision it ran before this deploy (a new service has none:
//! the deploy fails). Canary and blue/green services check each step themselves
//! (`colours`).

use std::time::{Duration, Instant};

use super::{Cx, RolloutFailure};
use crate::events::{Event, RolloutEnd};
use crate::model::{Check, Service};
use crate::ops::colours::{Checks, HttpCheck};
use crate::ops::watch::{wait_all, Watch};
use crate::rollout::Outcome;
use crate::workload::render::{self, Inputs};
use crate::workload::revision_name;

use super::DeployError;

/// Check each service of `steady` (ECS services just rolled out) that has an HTTP check;
/// the failures, each rolled back when it could be.
pub async fn run(cx: &Cx<'_>, inputs: &Inputs<'_>, checks: &Checks, steady: &[Watch]) -> Result<Vec<RolloutFailure>, DeployError> {
    let m = &cx.compiled.model;
    let mut failures = Vec::new();
    for w in steady {
        let Some(svc) = m.services.values().find(|s| render::ecs_service_name(s) == w.name && !s.deploy.strategy.has_two_colours()) else {
            continue;
        };
        let (Some(check), Some(http)) = (&svc.deploy.check, checks.of(svc)) else { continue };
        cx.r.event(&Event::Step { message: format!("check: {} GET {} → {}", w.name, http.target(&check.path), check.expect) });
        let Err(reason) = probe(&http, check, svc.deploy.timeout).await else { continue };
        let reason = format!("HTTP check failed: {reason}");
        failures.push(roll_back(cx, inputs, svc, w, reason).await?);
    }
    Ok(failures)
}

/// Probe until a pass, `failures` failures in a row, or `timeout`.
async fn probe(http: &HttpCheck, check: &Check, timeout: Duration) -> Result<(), String> {
    let started = Instant::now();
    let mut in_a_row = 0;
    loop {
        match http.probe(&check.path, check.expect, None).await {
            Ok(()) => return Ok(()),
            Err(why) => {
                in_a_row += 1;
                if in_a_row >= check.failures || started.elapsed() >= timeout {
                    let n = if in_a_row == 1 { String::new() } else { format!(" ({in_a_row} times in a row)") };
                    return Err(format!("{why}{n}"));
                }
            }
        }
        tokio::time::sleep(check.interval).await;
    }
}

/// Put `svc` back on the revision it ran before this deploy and wait for it.
async fn roll_back(cx: &Cx<'_>, inputs: &Inputs<'_>, svc: &Service, w: &Watch, reason: String) -> Result<RolloutFailure, DeployError> {
    let before = cx.prepared.observed.services.get(&w.name).map(|s| s.task_definition.clone()).filter(|b| *b != w.task_definition);
    let Some(before) = before else {
        cx.r.event(&Event::Rollout { service: w.name.clone(), outcome: RolloutEnd::Failed, detail: Some(reason.clone()) });
        return Ok(RolloutFailure { service: w.name.clone(), outcome: Outcome::Failed { reason, rolled_back: false, stopped: vec![] } });
    };
    cx.r.event(&Event::Step { message: format!("check: {}: {reason}; rolling back to {}", w.name, revision_name(&before)) });
    let config = render::service_config(inputs, svc)?;
    cx.ecs.update_service(&config, &before, false).await?;
    let back = Watch { name: w.name.clone(), task_definition: before, timeout: w.timeout };
    let outcome = wait_all(&cx.ecs, &inputs.outputs.cluster, std::slice::from_ref(&back), cx.r).await?.remove(&w.name);
    let rolled_back = outcome == Some(Outcome::Stable);
    let end = if rolled_back { RolloutEnd::RolledBack } else { RolloutEnd::Failed };
    cx.r.event(&Event::Rollout { service: w.name.clone(), outcome: end, detail: Some(reason.clone()) });
    Ok(RolloutFailure { service: w.name.clone(), outcome: Outcome::Failed { reason, rolled_back, stopped: vec![] } })
}

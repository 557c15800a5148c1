//! After `watch_rollouts` (step 6 of a deploy): the gates of rolling and doubling services. A rollout that failed
//! without ECS rolling it back (ecship saw its tasks crash-loop, or an alarm go off, first:
//! `watch`) is rolled back here; a rollout ECS reports steady gets its HTTP check (`deploy.check`), through the
//! load balancer every `check.interval` until it passes; `check.failures` failures in a row
//! fail it. A failed service goes back to the revision it ran before this deploy (a new
//! service has none: the deploy fails). Canary and blue/green services check each step
//! themselves (`colours`).

use super::cx::Cx;
use crate::events::{Event, RolloutEnd};
use crate::model::{Model, Service};
use crate::ops::alarms::Alarms;
use crate::ops::http_check::Checks;
use crate::ops::watch::{wait_all, Watch};
use crate::ops::RolloutFailure;
use crate::rollout::Outcome;
use crate::workload::render::{self, Inputs};
use crate::workload::{revision_name, StoppedTask};

use crate::ops::Error;

/// Check each service of `steady` (ECS services just rolled out) that has an HTTP check;
/// the failures, each rolled back when it could be.
pub async fn run(cx: &Cx<'_>, inputs: &Inputs<'_>, checks: &Checks, steady: &[Watch]) -> Result<Vec<RolloutFailure>, Error> {
    let m = &cx.compiled.model;
    let mut failures = Vec::new();
    for w in steady {
        let Some(svc) = one_colour(m, &w.name) else { continue };
        let (Some(check), Some(http)) = (&svc.deploy.check, checks.of(svc)) else { continue };
        cx.r.event(&Event::Step { message: format!("check: {} GET {} → {}", w.name, http.target(&check.path), check.expect) });
        let reason = match http.until(check, svc.deploy.timeout, None).await {
            Ok(()) => continue,
            Err(miss) if http.out_of_reach(&miss) => {
                cx.r.event(&Event::Warning { message: http.out_of_reach_warning(&w.name, &miss) });
                continue;
            }
            Err(miss) => format!("HTTP check failed: {}", miss.why),
        };
        failures.push(roll_back(cx, inputs, svc, w, reason, vec![]).await?);
    }
    Ok(failures)
}

/// Roll back each of `failures` that ECS did not roll back itself (ecship failed it first: a
/// crash loop, an alarm).
pub async fn roll_back_failed(
    cx: &Cx<'_>,
    inputs: &Inputs<'_>,
    watches: &[Watch],
    failures: Vec<RolloutFailure>,
) -> Result<Vec<RolloutFailure>, Error> {
    let m = &cx.compiled.model;
    let mut out = Vec::new();
    for f in failures {
        let Outcome::Failed { reason, rolled_back: false, stopped } = &f.outcome else {
            out.push(f);
            continue;
        };
        let w = watches.iter().find(|w| w.name == f.service);
        let svc = one_colour(m, &f.service);
        match (w, svc) {
            (Some(w), Some(svc)) => out.push(roll_back(cx, inputs, svc, w, reason.clone(), stopped.clone()).await?),
            _ => out.push(f),
        }
    }
    Ok(out)
}

/// The rolling or doubling service whose ECS service is `name`.
fn one_colour<'m>(m: &'m Model, name: &str) -> Option<&'m Service> {
    m.services.values().find(|s| render::ecs_service_name(s) == name && !s.deploy.rollout.has_two_colours())
}

/// Put `svc` back on the revision it ran before this deploy and wait for it; `stopped` are
/// the failed tasks that said why.
async fn roll_back(
    cx: &Cx<'_>,
    inputs: &Inputs<'_>,
    svc: &Service,
    w: &Watch,
    reason: String,
    stopped: Vec<StoppedTask>,
) -> Result<RolloutFailure, Error> {
    let before = cx.prepared.observed.services.get(&w.name).map(|s| s.task_definition.clone()).filter(|b| *b != w.task_definition);
    let Some(before) = before else {
        cx.r.event(&Event::Rollout { service: w.name.clone(), outcome: RolloutEnd::Failed, detail: Some(reason.clone()) });
        return Ok(RolloutFailure { service: w.name.clone(), outcome: Outcome::Failed { reason, rolled_back: false, stopped } });
    };
    cx.before(&format!("rolling {} back to {}", w.name, revision_name(&before))).await?;
    cx.r.event(&Event::Step { message: format!("rollback: {}: {reason}; rolling back to {}", w.name, revision_name(&before)) });
    let config = render::service_config(inputs, svc)?;
    cx.ecs.update_service(&config, &before, false).await?;
    let back = Watch { name: w.name.clone(), task_definition: before, timeout: w.timeout };
    let outcome = wait_all(&cx.ecs, &inputs.outputs.cluster, std::slice::from_ref(&back), &Alarms::none(), cx.r).await?.remove(&w.name);
    let rolled_back = outcome == Some(Outcome::Stable);
    let end = if rolled_back { RolloutEnd::RolledBack } else { RolloutEnd::Failed };
    cx.r.event(&Event::Rollout { service: w.name.clone(), outcome: end, detail: Some(reason.clone()) });
    Ok(RolloutFailure { service: w.name.clone(), outcome: Outcome::Failed { reason, rolled_back, stopped } })
}

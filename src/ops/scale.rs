//! `scale`: set how many tasks a service runs, under the stack's lock, then wait until it
//! does. An autoscaled service takes only a count within its min–max (Application Auto
//! Scaling moves it from there); any other keeps the count until the next deploy sets the
//! spec's `count` again.

use serde::Serialize;

use super::error::{Error, RolloutFailure};
use super::interrupt::{until_interrupted, Ended};
use super::lock::{self, Held};
use super::wait::{live_service, wait_for};
use crate::aws::ecs::Ecs;
use crate::aws::Aws;
use crate::events::{Event, Reporter};
use crate::model::Service;
use crate::observe::observe;
use crate::rollout::Outcome;
use crate::stack::Compiled;

#[derive(Debug, Clone, Serialize)]
pub struct Scaled {
    /// The ECS service (the live colour's, for a canary or blue/green service).
    pub service: String,
    pub from: u32,
    pub to: u32,
    /// Whether autoscaling owns the count (the next deploy keeps it), or the spec does.
    pub autoscaled: bool,
    /// Whether the run waited until the service was steady at the new count.
    pub waited: bool,
}

/// Scale `svc` of a deployed stack to `count` tasks, waiting for it unless `wait` is false.
pub async fn run(aws: &Aws, c: &Compiled, svc: &Service, count: u32, wait: bool, r: &dyn Reporter) -> Ended<Result<Scaled, Error>> {
    let stack = c.model.stack.as_str();
    let lock = match lock::acquire(aws, stack).await {
        Ok(l) => l,
        Err(e) => return Ended::Finished(Err(e.into())),
    };
    let result = until_interrupted(scale(aws, c, svc, count, wait, &lock.held(), r)).await;
    lock::release(lock, r).await;
    result
}

async fn scale(aws: &Aws, c: &Compiled, svc: &Service, count: u32, wait: bool, held: &Held, r: &dyn Reporter) -> Result<Scaled, Error> {
    if let Some(a) = svc.autoscaling.as_ref().filter(|a| count < a.min || count > a.max) {
        return Err(Error::OutsideAutoscaling { service: svc.name.to_string(), count, min: a.min, max: a.max });
    }
    let observed = observe(aws, c.model.stack.as_str()).await?;
    let (cluster, state) = live_service(c, &observed, svc)?;
    let ecs = Ecs::new(aws);
    r.event(&Event::Step {
        message: format!("scale: {} from {} to {count} task{}", state.name, state.desired, crate::human::plural(count)),
    });
    held.ensure_held(&format!("scaling {}", state.name)).await?;
    ecs.scale(&cluster, &state.name, count).await?;
    if wait {
        let outcome = wait_for(&ecs, &cluster, state, svc.deploy.timeout, r).await?;
        if outcome != Outcome::Stable {
            return Err(Error::Rollout { failures: vec![RolloutFailure { service: state.name.clone(), outcome }] });
        }
    }
    Ok(Scaled { service: state.name.clone(), from: state.desired, to: count, autoscaled: svc.autoscaling.is_some(), waited: wait })
}

//! What the rollout runners share — ecship's two-colour runner (`colours`), the follower of
//! ECS's native rollouts (`native`) and the hold for approval (`approval`): the clients, the
//! rendering inputs, the checks and alarm gates, and where the run returns.

use super::alarms::Alarms;
use super::http_check::Checks;
use super::lock::Held;
use super::scaling::Scaler;
use super::{Error, WaitUntil};
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::events::Reporter;
use crate::stack::Compiled;
use crate::workload::render::Inputs;

pub struct Cx<'a> {
    pub ecs: &'a Ecs,
    pub elbv2: &'a Elbv2,
    pub inputs: &'a Inputs<'a>,
    pub checks: &'a Checks,
    pub scaler: &'a Scaler<'a>,
    /// The rollouts' alarm gates, by service name.
    pub alarms: &'a Alarms,
    /// The spec as a command names it (`FILE [--env ENV]`), for what a held rollout asks.
    pub spec: &'a str,
    /// Where the run returns: `Held` leaves a rollout held for approval there, `Baking` a
    /// native rollout to ECS once it bakes.
    pub wait_until: WaitUntil,
    /// The stack's lock, checked before each batch of writes.
    pub held: &'a Held,
    pub r: &'a dyn Reporter,
}

impl Cx<'_> {
    /// Stop before `writes` (what the runner is about to write) unless the run still holds
    /// the stack's lock.
    pub async fn before(&self, writes: &str) -> Result<(), Error> {
        Ok(self.held.ensure_held(writes).await?)
    }
}

/// The spec as a command names it: `FILE`, or `FILE --env ENV`.
pub fn spec_words(c: &Compiled) -> String {
    let file = c.loaded.file.display();
    match &c.loaded.env {
        Some(env) => format!("{file} --env {env}"),
        None => file.to_string(),
    }
}

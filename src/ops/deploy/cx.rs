//! What the steps of one deploy share.

use super::prepare::Prepared;
use crate::aws::ecs::Ecs;
use crate::aws::Aws;
use crate::events::Reporter;
use crate::ops::lock::Held;
use crate::ops::Error;
use crate::stack::Compiled;

/// What the steps of one deploy share.
pub(super) struct Cx<'a> {
    pub aws: &'a Aws,
    pub compiled: &'a Compiled,
    pub prepared: &'a Prepared,
    pub ecs: Ecs,
    /// The stack's lock, checked before each step that writes.
    pub held: &'a Held,
    pub r: &'a dyn Reporter,
}

impl Cx<'_> {
    /// Stop before `step` (what it is about to write) unless the run still holds the lock.
    pub async fn before(&self, step: &str) -> Result<(), Error> {
        Ok(self.held.ensure_held(step).await?)
    }
}

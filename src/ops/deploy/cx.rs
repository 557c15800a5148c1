//! What the steps of one deploy share.

use super::prepare::Prepared;
use crate::aws::ecs::Ecs;
use crate::aws::Aws;
use crate::events::Reporter;
use crate::stack::Compiled;

/// What the steps of one deploy share.
pub(super) struct Cx<'a> {
    pub aws: &'a Aws,
    pub compiled: &'a Compiled,
    pub prepared: &'a Prepared,
    pub ecs: Ecs,
    pub r: &'a dyn Reporter,
}

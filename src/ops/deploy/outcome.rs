//! What a deploy did: the stack, the images, each service, and what it left for later.

use std::fmt;

use serde::Serialize;

use crate::events::{ImageResult, StackResult};
use crate::image::Pushed;
use crate::model::Shift;
use crate::ops::data::DataResource;

#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    pub stack: String,
    pub infrastructure: StackResult,
    pub images: Vec<Pushed>,
    pub services: Vec<ServiceResult>,
    pub removed: Vec<String>,
    /// Resources that held data, deleted with it (`--allow-data-loss`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted_data: Vec<DataResource>,
    /// Old task-definition revisions deregistered and deleted (`deploy.keep_revisions`).
    pub pruned: Vec<String>,
    /// ECS services whose rollouts were left in progress (`--no-wait`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unwatched: Vec<String>,
    /// Services whose rollouts were left held for approval (`--wait-until held`), with the
    /// revision held.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceResult {
    pub service: String,
    pub action: ServiceOutcome,
    pub task_definition: String,
    pub registered: bool,
}

/// What a deploy did with a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceOutcome {
    Create,
    Update,
    Unchanged,
    /// Rolled out by ecship, as a canary.
    Canary,
    /// Rolled out by ecship, blue/green.
    BlueGreen,
}

impl ServiceOutcome {
    /// A two-colour rollout that moves traffic by `shift`.
    pub(super) fn rollout(shift: &Shift) -> Self {
        match shift {
            Shift::Canary { .. } | Shift::Linear { .. } => ServiceOutcome::Canary,
            Shift::BlueGreen => ServiceOutcome::BlueGreen,
        }
    }
}

impl fmt::Display for ServiceOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServiceOutcome::Create => "create",
            ServiceOutcome::Update => "update",
            ServiceOutcome::Unchanged => "unchanged",
            ServiceOutcome::Canary => "canary",
            ServiceOutcome::BlueGreen => "blue_green",
        })
    }
}

impl Deployed {
    pub fn changed(&self) -> bool {
        self.infrastructure != StackResult::Unchanged
            || !self.removed.is_empty()
            || !self.deleted_data.is_empty()
            || self.images.iter().any(|i| i.result != ImageResult::Present)
            || self.services.iter().any(|s| s.action != ServiceOutcome::Unchanged || s.registered)
    }
}

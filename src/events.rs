//! What long-running commands report as they go. Library code sends `Event`s to a
//! `Reporter`; `report` renders them as progress on a terminal, plain lines in CI, or JSON
//! lines. Must not print.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A step starts: "infrastructure: stack mysfits".
    Step {
        message: String,
    },
    /// One CloudFormation stack event.
    StackEvent {
        logical_id: String,
        resource_type: String,
        status: String,
        reason: Option<String>,
    },
    /// The stack step's result: created, updated, unchanged, deleted, absent.
    Stack {
        stack: String,
        result: &'static str,
    },
    /// A task definition revision for a service: registered new, or the current one reused.
    TaskDefinition {
        service: String,
        revision: String,
        registered: bool,
    },
    /// What happens to an ECS service: create, update, unchanged, remove.
    Service {
        service: String,
        action: &'static str,
    },
    /// A rollout's progress.
    Progress {
        service: String,
        running: u32,
        desired: u32,
        deployments: usize,
        rollout: Option<String>,
    },
    /// A new ECS service event.
    ServiceMessage {
        service: String,
        message: String,
    },
    /// A rollout's end: stable, failed, rolled_back, timed_out.
    Rollout {
        service: String,
        outcome: &'static str,
        detail: Option<String>,
    },
    /// Something deleted or emptied during a teardown.
    Removed {
        kind: &'static str,
        name: String,
    },
    Warning {
        message: String,
    },
    /// Traffic of a canary or blue/green service moved: percent on each colour.
    Traffic {
        service: String,
        blue: u8,
        green: u8,
    },
    /// An image's push result: pushed, or present (the registry had it under this tag).
    Image {
        service: String,
        reference: String,
        digest: String,
        result: &'static str,
    },
    /// A blob of an image being pushed: present (skipped), uploading, uploaded.
    Blob {
        service: String,
        digest: String,
        size: u64,
        state: &'static str,
    },
    /// Bytes of a blob sent so far; shown on a terminal only.
    BlobProgress {
        service: String,
        digest: String,
        sent: u64,
        size: u64,
    },
}

pub trait Reporter: Send + Sync {
    fn event(&self, event: &Event);
}

/// A reporter that drops everything (library callers that want no output).
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: &Event) {}
}

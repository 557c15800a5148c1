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
    /// The stack step's result.
    Stack {
        stack: String,
        result: StackResult,
    },
    /// A task definition revision for a service: registered new, or the current one reused.
    TaskDefinition {
        service: String,
        revision: String,
        registered: bool,
    },
    /// What happens to an ECS service.
    Service {
        service: String,
        action: ServiceStep,
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
    /// A rollout's end.
    Rollout {
        service: String,
        outcome: RolloutEnd,
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
    /// An AWS call failed in a way worth trying again (`reason`: throttled, server error,
    /// no answer): the SDK waits a random time up to `within_ms`, then makes attempt
    /// `attempt + 1` of at most `attempts`.
    Waiting {
        operation: String,
        reason: String,
        attempt: u32,
        attempts: u32,
        within_ms: u64,
    },
    /// A log line of a one-off task ecship runs and follows (`deploy.before`, `ecship run`).
    TaskLog {
        task: String,
        line: String,
    },
    /// Traffic of a canary or blue/green service moved: percent on each colour.
    Traffic {
        service: String,
        blue: u8,
        green: u8,
    },
    /// An image's push result.
    Image {
        service: String,
        reference: String,
        digest: String,
        result: ImageResult,
    },
    /// A blob of an image being pushed.
    Blob {
        service: String,
        digest: String,
        size: u64,
        state: BlobState,
    },
    /// Bytes of a blob sent so far; shown on a terminal only.
    BlobProgress {
        service: String,
        digest: String,
        sent: u64,
        size: u64,
    },
}

/// What the stack step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackResult {
    Created,
    Updated,
    Unchanged,
    Deleted,
    /// There was no stack (to delete).
    Absent,
}

/// What happens to an ECS service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStep {
    Create,
    Update,
    Unchanged,
    Remove,
}

/// How a rollout ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutEnd {
    Stable,
    Failed,
    /// It failed, and the service runs its previous revision (or colour) again.
    RolledBack,
    TimedOut,
    /// Held for approval, and left there (`deploy --wait-until held`).
    Held,
}

/// What a push did with an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageResult {
    Pushed,
    /// The registry had the image under this tag: nothing was sent.
    Present,
}

/// Where a blob of an image being pushed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobState {
    /// The registry has it: skipped.
    Present,
    Uploading,
    Uploaded,
}

/// The snake_case name every one of these serialises as, with spaces for people.
macro_rules! words {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let name = serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                f.write_str(&name.replace('_', " "))
            }
        }
    )*};
}
words!(StackResult, ServiceStep, RolloutEnd, ImageResult, BlobState);

pub trait Reporter: Send + Sync {
    fn event(&self, event: &Event);
}

/// A reporter that drops everything (library callers that want no output).
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: &Event) {}
}

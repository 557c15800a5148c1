//! Rollouts as pure decisions: the steps a canary or blue/green strategy takes, whether the
//! gates of a step pass, fail or need more time (stopped tasks, target health, the HTTP
//! check, alarms), what an earlier run left half-way, where an ECS rollout stands, and how
//! often the writes that put a failed rollout's traffic back are tried. The loops that ask
//! these questions of AWS live in `ops`.
//!
//! Must not call AWS or print.

mod alarms;
mod approval;
mod colours;
mod ecs;
mod native;
mod retry;
mod steps;

pub use alarms::AlarmGate;
pub use approval::{decided, Approval, APPROVAL_TAG};
pub use colours::{resume, ColourState, Resume, TwoColours};
pub use ecs::{assess, crashed, Assessment, Outcome};
pub use native::{ServiceDeployment, Standing};
pub use retry::{backoff, ROLLBACK_ATTEMPTS};
pub use steps::{crash_loop, evaluate, steps, Gates, Observation, Step, Verdict, FAIL_FAST_STOPPED};

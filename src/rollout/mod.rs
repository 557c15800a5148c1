//! Rollouts as pure decisions: the steps a canary or blue/green strategy takes, whether the
//! gates of a step pass, fail or need more time (stopped tasks, target health, the HTTP
//! check, alarms), what an earlier run left half-way, and where an ECS rollout stands. The loops that ask these questions of AWS live in `ops`.
//!
//! Must not call AWS or print.

mod alarms;
mod approval;
mod colours;
mod ecs;
mod native;
mod steps;

pub use alarms::AlarmGate;
pub use approval::{decided, Approval, APPROVAL_TAG};
pub use colours::{resume, ColourState, Resume, TwoColours};
pub use ecs::{assess, crashed, Assessment, Outcome};
pub use native::{ServiceDeployment, Standing};
pub use steps::{crash_loop, evaluate, steps, Gates, Observation, Step, Verdict, FAIL_FAST_STOPPED};

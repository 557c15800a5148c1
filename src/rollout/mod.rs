//! Rollouts as pure decisions: the steps a canary or blue/green strategy takes, whether the
//! gates of a step pass, fail or need more time, what an earlier run left half-way, and
//! where an ECS rollout stands. The loops that ask these questions of AWS live in `ops`.
//!
//! Must not call AWS or print.

mod colours;
mod ecs;
mod steps;

pub use colours::{resume, ColourState, Resume, TwoColours};
pub use ecs::{assess, Assessment, Outcome};
pub use steps::{evaluate, steps, Gates, Observation, Step, Verdict, FAIL_FAST_STOPPED};

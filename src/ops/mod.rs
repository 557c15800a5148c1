//! The orchestration layer: one module per verb, each a short sequence of named steps that
//! reads like the README's description of the verb. Steps several verbs share live here once
//! each: the stack (applied or deleted with its events streamed), the stack's lock, waiting
//! for ECS rollouts, the two-colour rollout runner, autoscaling, and running until Ctrl-C.
//!
//! Ops decide the order of things and call the adapters (`aws`, `image`) and the pure parts
//! (`plan`, `rollout`, `workload`); they hold no AWS call details and never print: progress
//! goes to a `Reporter` as events, results are returned as values.

pub mod alarms;
pub mod approval;
pub mod assets;
pub mod colours;
pub mod data;
pub mod databases;
pub mod deploy;
pub mod destroy;
mod error;
pub mod exec;
pub mod http_check;
pub mod init;
pub mod interrupt;
pub mod lock;
pub mod logs;
pub mod native;
pub mod preview;
pub mod push;
pub mod rollback;
pub mod run;
pub mod runner;
pub mod scale;
pub mod scaling;
pub mod stack;
pub mod status;
pub mod task;
pub mod wait;
pub mod watch;
pub mod zones;

pub use error::{BeforeFailure, Error, ReturnFailed, Returned, RolloutFailure, RulesLeft};
pub use interrupt::{until_interrupted, Ended};

/// Where a deploy returns, from `--no-wait` and `--wait-until` to the runners that stop there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WaitUntil {
    /// Once the services are updated, their rollouts left to ECS (`--no-wait`).
    #[value(skip)]
    Updated,
    /// Rollouts with `deploy.approve` held for approval; every other rollout at its end.
    Held,
    /// Rollouts ECS runs natively once they bake with all production traffic; every other
    /// rollout at its end.
    Baking,
    /// Every rollout at its end.
    Steady,
}

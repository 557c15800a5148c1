//! ecship deploys containerised services to AWS ECS on Fargate from one declarative YAML
//! file: `spec` reads and validates it into a `model`, `synth` compiles the slow, shared
//! infrastructure to CloudFormation, and the commands in `commands` wire the pieces.
//!
//! Library code never prints: output goes through `report`.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod destroy;
pub mod events;
pub mod exit;
pub mod http;
pub mod image;
pub mod lock;
pub mod model;
pub mod observe;
pub mod plan;
pub mod report;
pub mod rollout;
pub mod spec;
pub mod stack;
pub mod status;
pub mod synth;
pub mod workload;

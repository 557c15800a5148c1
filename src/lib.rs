//! ecship deploys containerised services to AWS ECS on Fargate from one declarative YAML
//! file: `spec` reads and validates it into a `model`, `synth` compiles the slow, shared
//! infrastructure to CloudFormation, `plan` compares what the spec asks for with what
//! `observe` reads, and `ops` carries out each verb; `commands` adapt the command line to it.
//! ARCHITECTURE.md is the map.
//!
//! Library code never prints: output goes through `report`.

pub mod aws;
pub mod cli;
pub mod commands;
pub mod cost;
pub mod events;
pub mod exit;
pub mod http;
pub mod human;
pub mod iam;
pub mod image;
pub mod init;
pub mod model;
pub mod observe;
pub mod ops;
pub mod plan;
pub mod report;
pub mod rollout;
pub mod spec;
pub mod stack;
pub mod synth;
pub mod workload;

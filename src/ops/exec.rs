//! `exec`: ECS Exec into a running task of a service, the way the AWS CLI does it: the
//! Session Manager plugin is found first (nothing is asked of AWS without it), a task of
//! the service's live ECS service is chosen, ExecuteCommand opens a session, and the plugin
//! carries the terminal until the command ends.

use std::path::PathBuf;

use super::wait::live_service;
use super::Error;
use crate::aws::ecs::Ecs;
use crate::aws::{Aws, AwsError};
use crate::model::Service;
use crate::observe::observe;
use crate::stack::Compiled;

/// The plugin's program name, as AWS installs it.
pub const PLUGIN: &str = "session-manager-plugin";

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("ecship exec needs AWS's Session Manager plugin, and `{PLUGIN}` is not on PATH: install it (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html — on Debian or Ubuntu: `curl -o smp.deb https://s3.amazonaws.com/session-manager-downloads/plugin/latest/ubuntu_64bit/session-manager-plugin.deb && sudo dpkg -i smp.deb`), then run this again")]
    NoPlugin,
    #[error("{service} does not allow ECS Exec: set `exec: true` on it in the spec and run `ecship deploy`")]
    NotEnabled { service: String },
    #[error("{service} has no running task{}", task.as_ref().map(|t| format!(" whose id starts with {t}")).unwrap_or_default())]
    NoTask { service: String, task: Option<String> },
    #[error("the task's container {container} is not running yet (no runtime id): try again in a moment")]
    NotStarted { container: String },
    #[error("could not start {PLUGIN}: {0}")]
    Spawn(std::io::Error),
    #[error(transparent)]
    Deploy(#[from] Error),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// The Session Manager plugin on PATH.
pub fn plugin() -> Result<PathBuf, ExecError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join(PLUGIN)).find(|p| p.is_file()).ok_or(ExecError::NoPlugin)
}

/// What `exec` needs before asking AWS anything: the plugin (its path), and `exec: true`.
pub fn ready(svc: &Service) -> Result<PathBuf, ExecError> {
    let plugin = plugin()?;
    if !svc.exec {
        return Err(ExecError::NotEnabled { service: svc.name.to_string() });
    }
    Ok(plugin)
}

/// Run `command` in a task of `svc` (the one whose id starts with `task`, or the first
/// running one) through the plugin, with this terminal; returns the session's exit code.
pub async fn run(aws: &Aws, c: &Compiled, svc: &Service, task: Option<&str>, command: &str) -> Result<i32, ExecError> {
    let plugin = ready(svc)?;
    let observed = observe(aws, c.model.stack.as_str()).await?;
    let (cluster, state) = live_service(c, &observed, svc)?;
    let ecs = Ecs::new(aws);
    let tasks = ecs.running_tasks(&cluster, &state.name).await?;
    let chosen = tasks.iter().find(|arn| task.is_none_or(|t| arn.rsplit('/').next().is_some_and(|id| id.starts_with(t))));
    let Some(arn) = chosen else { return Err(ExecError::NoTask { service: state.name.clone(), task: task.map(str::to_string) }) };
    let container = svc.name.to_string();
    let runtime = ecs.runtime_id(&cluster, arn, &container).await?.ok_or_else(|| ExecError::NotStarted { container: container.clone() })?;
    let session = ecs.execute_command(&cluster, arn, &container, command).await?;
    let id = arn.rsplit('/').next().unwrap_or(arn);
    let target = serde_json::json!({ "Target": format!("ecs:{cluster}_{id}_{runtime}") }).to_string();
    let endpoint = format!("https://ecs.{}.amazonaws.com", aws.region());
    let status = tokio::process::Command::new(plugin)
        .args([session.as_str(), aws.region(), "StartSession", "", target.as_str(), endpoint.as_str()])
        .status()
        .await
        .map_err(ExecError::Spawn)?;
    Ok(status.code().unwrap_or(1))
}

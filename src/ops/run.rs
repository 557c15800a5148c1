//! `run`: one task of a job (its latest registered revision) or of a service (the revision
//! it runs now, optionally with another command), started in the stack's network; then
//! followed to its end, its log lines passed on as they arrive, or left running
//! (`--detach`). Ctrl-C stops the task. Takes no lock: it changes no deployed state.

use std::collections::BTreeMap;
use std::time::Duration;

use super::interrupt::{until_interrupted, Ended};
use super::task::{self, OneOff, Ran};
use super::wait::live_service;
use super::Error;
use crate::aws::ecs::Ecs;
use crate::aws::Aws;
use crate::events::{Event, Reporter};
use crate::model::{Model, Service};
use crate::observe::observe;
use crate::stack::Compiled;
use crate::workload::outputs::StackOutputs;
use crate::workload::render::{self, Inputs};
use crate::workload::{LogConfig, Network, TaskRun};

/// How long a service's one-off task may run when `--timeout` is not given.
const SERVICE_TASK_TIMEOUT: Duration = Duration::from_secs(3600);

/// A job or a service of the spec, by name.
#[derive(Clone, Copy)]
pub enum Runnable<'a> {
    Job(&'a crate::model::Job),
    Service(&'a Service),
}

impl<'a> Runnable<'a> {
    /// `name` among the spec's jobs and services, or an error listing them.
    pub fn find(m: &'a Model, name: &str) -> Result<Self, Error> {
        if let Some(j) = m.jobs.values().find(|j| j.task.name.as_str() == name) {
            return Ok(Runnable::Job(j));
        }
        if let Some(s) = m.services.values().find(|s| s.name.as_str() == name) {
            return Ok(Runnable::Service(s));
        }
        let jobs: Vec<&str> = m.jobs.keys().map(|k| k.as_str()).collect();
        let services: Vec<&str> = m.services.keys().map(|k| k.as_str()).collect();
        let list =
            |what: &str, names: &[&str]| if names.is_empty() { format!("no {what}") } else { format!("{what}: {}", names.join(", ")) };
        Err(Error::Unknown { name: name.to_string(), known: format!("{}; {}", list("jobs", &jobs), list("services", &services)) })
    }

    pub fn task(&self) -> &'a Service {
        match self {
            Runnable::Job(j) => &j.task,
            Runnable::Service(s) => s,
        }
    }
}

/// Everything a run of one task needs, read from the deployed stack.
pub struct Prepared {
    pub label: String,
    pub cluster: String,
    pub task_definition: String,
    pub command: Option<Vec<String>>,
    pub network: Network,
    pub log: Option<LogConfig>,
    pub timeout: Duration,
}

impl Prepared {
    pub fn one_off(&self) -> OneOff<'_> {
        OneOff {
            label: &self.label,
            cluster: &self.cluster,
            task_definition: &self.task_definition,
            container: &self.label,
            command: self.command.as_deref(),
            network: &self.network,
            log: self.log.as_ref(),
            timeout: self.timeout,
        }
    }
}

/// Find what `what` runs in the deployed stack: a job's latest revision, or the revision
/// a service runs now.
pub async fn prepare(
    aws: &Aws,
    c: &Compiled,
    what: Runnable<'_>,
    command: Option<Vec<String>>,
    timeout: Option<Duration>,
) -> Result<Prepared, Error> {
    let m = &c.model;
    let stack = m.stack.to_string();
    let observed = observe(aws, &stack).await?;
    let Some(info) = &observed.stack else { return Err(Error::NotDeployed { stack }) };
    let outputs = StackOutputs::parse(&stack, &info.outputs)?;
    let counts = BTreeMap::new();
    let inputs = Inputs::registered(m, &outputs, aws.region(), &counts);
    let task = what.task();
    let network = render::service_config(&inputs, task)?.network;
    let (task_definition, timeout) = match what {
        Runnable::Job(job) => {
            let family = render::family(m, task);
            let latest = Ecs::new(aws).task_definition(&family).await?;
            let Some(latest) = latest else {
                return Err(Error::JobNotDeployed { job: task.name.to_string(), stack });
            };
            (latest.arn, timeout.unwrap_or(job.timeout))
        }
        Runnable::Service(svc) => {
            let (_, state) = live_service(c, &observed, svc)?;
            (state.task_definition.clone(), timeout.unwrap_or(SERVICE_TASK_TIMEOUT))
        }
    };
    let log =
        outputs.log_group.clone().map(|group| LogConfig { group, region: aws.region().to_string(), stream_prefix: task.name.to_string() });
    Ok(Prepared { label: task.name.to_string(), cluster: outputs.cluster, task_definition, command, network, log, timeout })
}

/// Start the task.
pub async fn start(aws: &Aws, p: &Prepared, r: &dyn Reporter) -> Result<TaskRun, Error> {
    let one = p.one_off();
    let started = Ecs::new(aws).run_task(one.cluster, one.task_definition, one.network, one.container, one.command, "ecship run").await?;
    r.event(&Event::Step {
        message: format!("run: {}: task {} of {} started", p.label, started.id, crate::workload::revision_name(&p.task_definition)),
    });
    Ok(started)
}

/// Follow a started task to its end, passing each log line to `on_line`; on Ctrl-C, stop it.
pub async fn follow(
    aws: &Aws,
    p: &Prepared,
    started: &TaskRun,
    on_line: &mut dyn FnMut(&str),
    r: &dyn Reporter,
) -> Ended<Result<Ran, Error>> {
    let one = p.one_off();
    match until_interrupted(async { task::follow(aws, &one, started, on_line, r).await.map_err(Error::from) }).await {
        Ended::Interrupted => {
            let _ = Ecs::new(aws).stop_task(&p.cluster, &started.arn, "ecship run: interrupted (Ctrl-C)").await;
            Ended::Interrupted
        }
        done => done,
    }
}

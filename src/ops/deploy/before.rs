//! Step 5a of a deploy: `deploy.before`. For each service whose new revision is not yet
//! the one its ECS service runs, its steps run one after another as one-off tasks — a job,
//! or a command on the service's new task definition — after every task definition is
//! registered and before any service changes. The first that does not exit 0 stops the
//! deploy: no service has changed, no traffic has moved.

use super::cx::Cx;
use super::jobs::JobRevisions;
use super::services::Revision;
use crate::events::Event;
use crate::model::{BeforeStep, Service};
use crate::ops::task::{self, OneOff};
use crate::ops::{BeforeFailure, Error};
use crate::workload::render::{self, Inputs};

/// Run the `deploy.before` steps of services that get a new revision.
pub async fn run(cx: &Cx<'_>, inputs: &Inputs<'_>, revisions: &[Revision], jobs: &JobRevisions) -> Result<(), Error> {
    let (m, observed) = (&cx.compiled.model, &cx.prepared.observed);
    let traffic = observed.traffic(m);
    for (svc, revision) in m.services.values().zip(revisions).filter(|(s, _)| !s.deploy.before.is_empty()) {
        let live = svc.live_ecs_service(traffic.get(&svc.name).copied());
        if observed.services.get(&live).is_some_and(|s| s.task_definition == revision.arn) {
            continue;
        }
        for step in &svc.deploy.before {
            cx.before(&format!("running {}'s deploy.before step", svc.name)).await?;
            one(cx, inputs, svc, step, revision, jobs).await?;
        }
    }
    Ok(())
}

async fn one(
    cx: &Cx<'_>,
    inputs: &Inputs<'_>,
    svc: &Service,
    step: &BeforeStep,
    revision: &Revision,
    jobs: &JobRevisions,
) -> Result<(), Error> {
    let m = &cx.compiled.model;
    let (task, task_definition, command, label) = match step {
        BeforeStep::Run(name) => {
            let Some(job) = m.jobs.get(name) else { return Ok(()) };
            let arn = jobs.get(name).cloned().unwrap_or_default();
            (&job.task, arn, None, format!("job {name}"))
        }
        BeforeStep::Command(cmd) => (svc, revision.arn.clone(), Some(cmd.as_slice()), format!("`{}`", cmd.join(" "))),
    };
    let td = match step {
        BeforeStep::Run(name) => m.jobs.get(name).map(|j| render::job_task_def(inputs, j)).transpose()?,
        BeforeStep::Command(_) => Some(render::task_def(inputs, svc)?),
    };
    let network = render::service_config(inputs, task)?.network;
    let timeout = match step {
        BeforeStep::Run(name) => m.jobs.get(name).map_or(svc.deploy.timeout, |j| j.timeout),
        BeforeStep::Command(_) => svc.deploy.timeout,
    };
    cx.r.event(&Event::Step { message: format!("before {}: {label}", svc.name) });
    let container = task.name.to_string();
    let shown = task.name.to_string();
    let one = OneOff {
        label: &shown,
        cluster: &inputs.outputs.cluster,
        task_definition: &task_definition,
        container: &container,
        command,
        network: &network,
        log: td.as_ref().and_then(|t| t.container.log.as_ref()),
        timeout,
    };
    let r = cx.r;
    let ran = task::run(cx.aws, &one, &mut |line| r.event(&Event::TaskLog { task: shown.clone(), line: line.to_string() }), r).await?;
    if ran.succeeded() {
        return Ok(());
    }
    Err(Error::Before(BeforeFailure {
        service: svc.name.to_string(),
        step: label,
        task: ran.task.id.clone(),
        failure: ran.failure(),
        last_lines: ran.last_lines,
    }))
}

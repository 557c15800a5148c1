//! Jobs in a deploy: each job's task definition, registered with the services' (a new
//! revision only when it differs from the family's latest: `register`), and after the
//! services, each scheduled job's EventBridge Scheduler schedule set to start that revision;
//! schedules of jobs no longer scheduled are deleted (`schedule`).

use std::collections::BTreeMap;

use super::cx::Cx;
use crate::aws::scheduler::{group, Scheduler, Start};
use crate::events::Event;
use crate::model::ServiceName;
use crate::ops::Error;
use crate::workload::outputs::MissingOutput;
use crate::workload::render::{self, Inputs};
use crate::workload::{revision_name, JobSchedule};

/// Each job's task-definition revision ARN for this deploy.
pub type JobRevisions = BTreeMap<ServiceName, String>;

/// Register the jobs' task definitions that differ from their family's latest.
pub async fn register(cx: &Cx<'_>, inputs: &Inputs<'_>) -> Result<JobRevisions, Error> {
    let m = &cx.compiled.model;
    let mut out = BTreeMap::new();
    if !m.jobs.is_empty() {
        cx.before("registering the jobs' task definitions").await?;
    }
    for job in m.jobs.values() {
        let td = render::job_task_def(inputs, job)?;
        let (arn, registered) = match cx.prepared.observed.latest.get(&td.family) {
            Some(l) if l.task_def == td => (l.arn.clone(), false),
            _ => (cx.ecs.register(&td, &render::task_tags(m, &job.task)).await?, true),
        };
        cx.r.event(&Event::TaskDefinition { service: job.task.name.to_string(), revision: revision_name(&arn).to_string(), registered });
        out.insert(job.task.name.clone(), arn);
    }
    Ok(out)
}

/// Set each scheduled job's schedule to start its revision of this deploy; delete the
/// schedules of jobs no longer scheduled (and their group, when none is left).
pub async fn schedule(cx: &Cx<'_>, inputs: &Inputs<'_>, revisions: &JobRevisions) -> Result<(), Error> {
    let (m, observed) = (&cx.compiled.model, &cx.prepared.observed);
    let stack = m.stack.as_str();
    let scheduler = Scheduler::new(cx.aws);
    let group = group(stack);
    let scheduled: Vec<_> = m.jobs.values().filter_map(|j| j.schedule.as_ref().map(|s| (j, s))).collect();
    let missing = |key: &str| MissingOutput { stack: stack.to_string(), key: key.to_string() };
    cx.before("setting the jobs' schedules").await?;
    for (job, s) in &scheduled {
        let name = job.task.name.as_str();
        let Some(arn) = revisions.get(&job.task.name) else { continue };
        let want = JobSchedule { expression: s.expression.clone(), timezone: s.timezone.clone(), task_definition: arn.clone() };
        let now = observed.schedules.get(name);
        if now == Some(&want) {
            continue;
        }
        let role = inputs.outputs.scheduler_role_arn.as_deref().ok_or_else(|| missing("SchedulerRoleArn"))?;
        let cluster = inputs.outputs.cluster_arn.as_deref().ok_or_else(|| missing("ClusterArn"))?;
        let network = render::service_config(inputs, &job.task)?.network;
        let start = Start { cluster_arn: cluster, role, network: &network };
        scheduler.put(&group, name, &want, &start, now.is_some()).await?;
        let verb = if now.is_some() { "updated" } else { "created" };
        cx.r.event(&Event::Step { message: format!("jobs: schedule {name} {verb}: {} runs {}", want.expression, revision_name(arn)) });
    }
    let gone: Vec<&String> =
        observed.schedules.keys().filter(|n| !scheduled.iter().any(|(j, _)| j.task.name.as_str() == n.as_str())).collect();
    for name in &gone {
        scheduler.delete(&group, name).await?;
        cx.r.event(&Event::Step { message: format!("jobs: schedule {name} deleted") });
    }
    if scheduled.is_empty() && !gone.is_empty() {
        scheduler.delete_group(&group).await?;
    }
    Ok(())
}

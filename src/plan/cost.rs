//! The plan's cost block: the stack as deployed (the deployed templates, the services as
//! ECS runs them) and as the spec would leave it (the new templates, the desired services),
//! priced by `cost` — the same arithmetic for both, so only what changes differs.

use serde_json::Value;

use super::Desired;
use crate::cost::{self, Bill, Cost, Pricing, Runs, Tasks};
use crate::model::{Job, Model, Platform, Service, SubnetKind};
use crate::observe::Observed;
use crate::workload::{ServiceState, TaskDef, SERVICE_TAG};

/// The cost before and after the plan, only the items that change listed.
pub fn estimate(p: &Pricing<'_>, m: &Model, desired: &Desired, observed: &Observed) -> Result<Cost, cost::Error> {
    let before = deployed(m, observed);
    let mut after = Bill { templates: std::iter::once(&desired.template).chain(desired.nested.values()).collect(), tasks: Vec::new() };
    for d in &desired.services {
        let Some(svc) = m.services.get(&d.spec_name) else { continue };
        let (count, max) = match &svc.autoscaling {
            Some(a) => (a.min, Some(a.max)),
            None => (d.config.desired_count, None),
        };
        let mut t = tasks(format!("service {}", svc.name), &d.task_def, count);
        (t.max, t.capacity, t.public_ip) = (max, d.config.capacity.clone(), d.config.network.public_ip);
        after.tasks.push(t);
    }
    for j in &desired.jobs {
        let Some(job) = m.jobs.get(&j.name) else { continue };
        let expression = j.schedule.as_ref().map(|s| s.expression.as_str());
        after.tasks.push(job_runs(m, job, tasks(String::new(), &j.task_def, 1), expression));
    }
    Ok(cost::compare(p, &before, &after)?.changed())
}

/// The stack as deployed: its templates, its ECS services at the count ECS keeps (an
/// autoscaled one's minimum; each colour of a two-colour service adding to the service's
/// line) and its jobs' latest revisions.
fn deployed<'a>(m: &Model, observed: &'a Observed) -> Bill<'a> {
    let templates: Vec<&Value> = observed.template.iter().chain(observed.nested.values()).collect();
    let mut bill = Bill { templates, tasks: Vec::new() };
    for (name, state) in &observed.services {
        let Some(running) = observed.running.get(name) else { continue };
        bill.tasks.push(observed_tasks(name, state, &running.task_def, observed));
    }
    for job in m.jobs.values() {
        let family = crate::workload::render::family(m, &job.task);
        let Some(latest) = observed.latest.get(&family) else { continue };
        let expression = observed.schedules.get(job.task.name.as_str()).map(|s| s.expression.as_str());
        bill.tasks.push(job_runs(m, job, tasks(String::new(), &latest.task_def, 1), expression));
    }
    bill
}

fn observed_tasks(name: &str, state: &ServiceState, td: &TaskDef, observed: &Observed) -> Tasks {
    // The idle colour of a two-colour service keeps none.
    let scaling = observed.scaling.get(name).filter(|_| state.desired > 0);
    let count = scaling.map_or(state.desired, |s| s.min);
    Tasks { max: scaling.map(|s| s.max), ..ecs_tasks(state, td, count) }
}

/// An ECS service's tasks, `count` of them, named for the spec's service it runs.
pub fn ecs_tasks(state: &ServiceState, td: &TaskDef, count: u32) -> Tasks {
    let service = state.tags.get(SERVICE_TAG).unwrap_or(&state.name);
    let mut t = tasks(format!("service {service}"), td, count);
    t.capacity = state.config.capacity.clone();
    t.public_ip = state.config.network.as_ref().is_some_and(|n| n.public_ip);
    t
}

fn tasks(name: String, td: &TaskDef, count: u32) -> Tasks {
    Tasks {
        name,
        cpu: td.cpu,
        memory: td.memory,
        storage: td.storage,
        arm: td.architecture.as_deref() == Some("ARM64"),
        capacity: Vec::new(),
        count,
        max: None,
        public_ip: false,
        runs: None,
    }
}

/// A job's task: a run as long as `cost.job_minutes` (else its timeout), as often as its
/// schedule.
fn job_runs(m: &Model, job: &Job, base: Tasks, schedule: Option<&str>) -> Tasks {
    let minutes = m.cost.job_minutes.unwrap_or(job.timeout.as_secs_f64() / 60.0);
    let runs = Runs { per_month: schedule.and_then(cost::schedule::runs_a_month), minutes };
    Tasks { name: format!("job {}", job.task.name), runs: Some(runs), public_ip: job.task.subnets == SubnetKind::Public, ..base }
}

/// What the spec would cost deployed (`ecship cost`): its template and its tasks as the
/// spec sizes them, compared with nothing.
pub fn fresh(p: &Pricing<'_>, m: &Model, template: &Value) -> Result<Cost, cost::Error> {
    let mut bill = Bill { templates: vec![template], tasks: Vec::new() };
    for svc in m.services.values() {
        let (count, max) = svc.autoscaling.as_ref().map_or((svc.count, None), |a| (a.min, Some(a.max)));
        let t = Tasks { max, capacity: svc.capacity.clone(), public_ip: svc.subnets == SubnetKind::Public, ..sized(svc, count) };
        bill.tasks.push(t);
    }
    for job in m.jobs.values() {
        let expression = job.schedule.as_ref().map(|s| s.expression.as_str());
        bill.tasks.push(job_runs(m, job, sized(&job.task, 1), expression));
    }
    cost::compare(p, &Bill::default(), &bill)
}

/// A service's or job's tasks as the spec sizes them.
fn sized(svc: &Service, count: u32) -> Tasks {
    Tasks {
        name: format!("service {}", svc.name),
        cpu: svc.cpu.get(),
        memory: svc.memory.get(),
        storage: svc.storage,
        arm: svc.platform == Platform::Arm64,
        capacity: Vec::new(),
        count,
        max: None,
        public_ip: false,
        runs: None,
    }
}

//! Step 5 of a deploy: each service's task definition (a new revision only when the rendered
//! one differs from the family's latest) and its ECS service, created or updated when
//! anything differs. A canary or blue/green service whose revision changes is not updated
//! here: it becomes a two-colour rollout (step 7), after an earlier run's half-finished one
//! is continued or returned.

use std::collections::BTreeSet;

use super::{Cx, DeployError, ServiceOutcome, ServiceResult};
use crate::events::{Event, ServiceStep};
use crate::model::{Colour, Service};
use crate::ops::colours::Job;
use crate::ops::watch::Watch;
use crate::plan::services::settings_differ;
use crate::rollout::{self, assess, Assessment, Resume, TwoColours};
use crate::workload::render::{self, Inputs};
use crate::workload::{revision_name, ServiceConfig};

/// What step 5 did, and what the later steps do.
pub struct Applied<'a> {
    pub results: Vec<ServiceResult>,
    /// ECS rollouts to wait for (step 6).
    pub watches: Vec<Watch>,
    /// Two-colour rollouts to run (step 7), and half-finished ones to return first.
    pub jobs: Vec<Job<'a>>,
    pub abandoned: Vec<Job<'a>>,
    /// Revisions any service ran before this deploy, or runs after it: never pruned.
    pub in_use: BTreeSet<String>,
    /// Families that got a new revision, with how many revisions each keeps (step 8).
    pub new_families: Vec<(String, u32)>,
}

/// Register task definitions and create or update services, one service at a time.
pub async fn apply<'a>(cx: &Cx<'a>, inputs: &Inputs<'_>) -> Result<Applied<'a>, DeployError> {
    let m = &cx.compiled.model;
    let observed = &cx.prepared.observed;
    cx.r.event(&Event::Step { message: format!("services: {} in cluster {}", m.services.len(), inputs.outputs.cluster) });
    let traffic = observed.traffic(m);
    let mut out = Applied {
        results: Vec::new(),
        watches: Vec::new(),
        jobs: Vec::new(),
        abandoned: Vec::new(),
        in_use: observed.services.values().map(|s| s.task_definition.clone()).collect(),
        new_families: Vec::new(),
    };
    for svc in m.services.values() {
        let (arn, registered) = task_definition(cx, inputs, svc, traffic.contains_key(&svc.name)).await?;
        out.in_use.insert(arn.clone());
        if registered {
            out.new_families.push((render::family(m, svc), svc.deploy.keep_revisions));
        }
        let mut config = render::service_config(inputs, svc)?;
        if let Some(weights) = traffic.get(&svc.name) {
            match two_colours(cx, svc, observed.colours(svc, *weights), &arn) {
                TwoColourStep::Plain(live) => config = render::colour_config(inputs, svc, config, live)?,
                TwoColourStep::Rollout { abandon, job } => {
                    out.abandoned.extend(abandon);
                    out.jobs.push(job);
                    let task_definition = revision_name(&arn).to_string();
                    out.results.push(ServiceResult {
                        service: svc.name.to_string(),
                        action: ServiceOutcome::rollout(&svc.deploy.strategy),
                        task_definition,
                        registered,
                    });
                    continue;
                }
            }
        }
        let action = create_or_update(cx, &config, &arn).await?;
        // An unchanged service still mid-rollout (an earlier run was interrupted) is watched too.
        let settled = observed.services.get(&config.name).is_some_and(|s| assess(s, &arn) == Assessment::Stable);
        if action != ServiceOutcome::Unchanged || !settled {
            out.watches.push(Watch { name: config.name.clone(), task_definition: arn.clone(), timeout: svc.deploy.timeout });
        }
        out.results.push(ServiceResult {
            service: config.name.clone(),
            action,
            task_definition: revision_name(&arn).to_string(),
            registered,
        });
    }
    Ok(out)
}

/// The service's task definition: the family's latest revision when it is the rendered one,
/// else a new revision. A two-colour service's revision goes to a colour decided later: it
/// is shown under the service's name.
async fn task_definition(cx: &Cx<'_>, inputs: &Inputs<'_>, svc: &Service, two_colours: bool) -> Result<(String, bool), DeployError> {
    let td = render::task_def(inputs, svc)?;
    let (arn, registered) = match cx.prepared.observed.latest.get(&td.family) {
        Some(l) if l.task_def == td => (l.arn.clone(), false),
        _ => (cx.ecs.register(&td, &render::task_tags(&cx.compiled.model, svc)).await?, true),
    };
    let shown = if two_colours { svc.name.to_string() } else { render::ecs_service_name(svc) };
    cx.r.event(&Event::TaskDefinition { service: shown, revision: revision_name(&arn).to_string(), registered });
    Ok((arn, registered))
}

/// What a two-colour service needs in this deploy.
enum TwoColourStep<'a> {
    /// Nothing but what any service gets, on the live colour's ECS service: a new service, or
    /// one whose live colour runs the wanted revision.
    Plain(Colour),
    /// A rollout to the other colour; first, maybe, an earlier one to return.
    Rollout { abandon: Option<Job<'a>>, job: Job<'a> },
}

fn two_colours<'a>(cx: &Cx<'_>, svc: &'a Service, state: TwoColours, arn: &str) -> TwoColourStep<'a> {
    let of = |c: Colour| state.services.get(c).clone();
    let job = |old: Colour, from_weight: u8| Job {
        svc,
        task_definition: arn.to_string(),
        old,
        new_current: of(old.other()).is_some_and(|s| s.task_definition == arn),
        from_weight,
        new_exists: of(old.other()).is_some(),
        at_once: false,
    };
    let exists = state.services.blue.is_some() || state.services.green.is_some();
    match rollout::resume(&state, arn) {
        Resume::Settled { live, up_to_date } if up_to_date || !exists => TwoColourStep::Plain(live),
        Resume::Settled { live, .. } => TwoColourStep::Rollout { abandon: None, job: job(live, 0) },
        Resume::Unfinished { towards, up_to_date: true } => {
            let at = state.weights.of(towards);
            cx.r.event(&Event::Step { message: format!("{}: an earlier rollout stopped at {at} % on {towards}; continuing it", svc.name) });
            TwoColourStep::Rollout { abandon: None, job: job(towards.other(), at) }
        }
        Resume::Unfinished { towards, up_to_date: false } => {
            cx.r.event(&Event::Step {
                message: format!(
                    "{}: an earlier rollout to another revision stopped half-way on {towards}; returning traffic to {} first",
                    svc.name,
                    towards.other()
                ),
            });
            let task_definition = of(towards).map_or_else(|| arn.to_string(), |s| s.task_definition);
            let abandon = Job { task_definition, ..job(towards.other(), 0) };
            TwoColourStep::Rollout { abandon: Some(abandon), job: job(towards.other(), 0) }
        }
    }
}

/// Create the ECS service, or update it when its revision or settings differ.
async fn create_or_update(cx: &Cx<'_>, config: &ServiceConfig, arn: &str) -> Result<ServiceOutcome, DeployError> {
    let (action, step) = match cx.prepared.observed.services.get(&config.name) {
        None => {
            cx.ecs.create_service(config, arn).await?;
            (ServiceOutcome::Create, ServiceStep::Create)
        }
        Some(s) if s.task_definition != arn || settings_differ(config, s) => {
            cx.ecs.update_service(config, arn).await?;
            (ServiceOutcome::Update, ServiceStep::Update)
        }
        Some(_) => (ServiceOutcome::Unchanged, ServiceStep::Unchanged),
    };
    cx.r.event(&Event::Service { service: config.name.clone(), action: step });
    Ok(action)
}

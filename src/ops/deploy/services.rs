//! Step 5 of a deploy: each service's task definition (a new revision only when the rendered
//! one differs from the family's latest: `register`), then — after the `deploy.before`
//! steps — its ECS service, created or updated when anything differs (`apply`). A canary or
//! blue/green service whose revision changes is not updated here: it becomes a two-colour
//! rollout (`two_colour_rollouts`), after an earlier run's half-finished one is continued or returned.

use std::collections::BTreeSet;

use super::cx::Cx;
use super::outcome::{ServiceOutcome, ServiceResult};
use crate::events::{Event, ServiceStep};
use crate::ops::Error;
use futures_util::{stream, StreamExt, TryStreamExt};

use crate::model::{Colour, Engine, Rollout, Service, TwoColour, Weights};
use crate::observe::{task_definition_tag, TASK_DEFINITION_TAG};
use crate::ops::colours::Job;
use crate::ops::watch::Watch;
use crate::plan::services::settings_differ;
use crate::rollout::{self, assess, Assessment, Resume, TwoColours};
use crate::workload::render::{self, Inputs};
use crate::workload::{revision_name, ServiceConfig};

/// What `services::apply` did, and what the later steps do.
pub struct Applied<'a> {
    pub results: Vec<ServiceResult>,
    /// ECS rollouts to wait for (`watch_rollouts`).
    pub watches: Vec<Watch>,
    /// Rollouts ECS runs natively, to follow (`two_colour_rollouts`, beside ecship's own).
    pub natives: Vec<Watch>,
    /// Two-colour rollouts to run (`two_colour_rollouts`), and half-finished ones to return first.
    pub jobs: Vec<Job<'a>>,
    pub abandoned: Vec<Job<'a>>,
    /// Revisions any service ran before this deploy, or runs after it: never pruned.
    pub in_use: BTreeSet<String>,
    /// Families that got a new revision, with how many revisions each keeps (`prune::revisions`).
    pub new_families: Vec<(String, u32)>,
}

/// What `services::apply` did for one service.
struct One<'a> {
    result: ServiceResult,
    /// The revision it runs after this step.
    arn: String,
    /// Its family, and how many revisions it keeps, when a revision was registered.
    family: Option<(String, u32)>,
    watch: Option<Watch>,
    native: Option<Watch>,
    job: Option<Job<'a>>,
    abandon: Option<Job<'a>>,
}

/// A service's task definition for this deploy: its ARN, whether this run registered it, and
/// the tag the service gets with it (`observe::TASK_DEFINITION_TAG`).
#[derive(Debug, Clone)]
pub struct Revision {
    pub arn: String,
    pub registered: bool,
    pub tag: String,
}

/// Register the services' task definitions that differ from their family's latest,
/// `parallel` at a time; by service, in the spec's order.
pub async fn register(cx: &Cx<'_>, inputs: &Inputs<'_>, parallel: usize) -> Result<Vec<Revision>, Error> {
    let m = &cx.compiled.model;
    cx.r.event(&Event::Step { message: format!("services: {} in cluster {}", m.services.len(), inputs.outputs.cluster) });
    cx.before("registering task definitions").await?;
    let traffic = cx.prepared.observed.traffic(m);
    stream::iter(m.services.values())
        .map(|svc| task_definition(cx, inputs, svc, traffic.contains_key(&svc.name)))
        .buffered(parallel.max(1))
        .try_collect()
        .await
}

/// Create or update services on their `revisions`, `parallel` services at a time (results
/// in the spec's order, whatever order the calls finish in).
pub async fn apply<'a>(cx: &Cx<'a>, inputs: &Inputs<'_>, revisions: &[Revision], parallel: usize) -> Result<Applied<'a>, Error> {
    let m = &cx.compiled.model;
    let observed = &cx.prepared.observed;
    cx.before("creating and updating ECS services").await?;
    let traffic = observed.traffic(m);
    let done: Vec<One<'a>> = stream::iter(m.services.values().zip(revisions))
        .map(|(svc, revision)| one(cx, inputs, svc, revision, traffic.get(&svc.name).copied()))
        .buffered(parallel.max(1))
        .try_collect()
        .await?;
    let mut out = Applied {
        results: Vec::new(),
        watches: Vec::new(),
        natives: Vec::new(),
        jobs: Vec::new(),
        abandoned: Vec::new(),
        in_use: observed.services.values().map(|s| s.task_definition.clone()).collect(),
        new_families: Vec::new(),
    };
    for one in done {
        out.in_use.insert(one.arn);
        out.new_families.extend(one.family);
        out.watches.extend(one.watch);
        out.natives.extend(one.native);
        out.jobs.extend(one.job);
        out.abandoned.extend(one.abandon);
        out.results.push(one.result);
    }
    Ok(out)
}

/// One service: its task definition, then its ECS service — or, for a canary or blue/green
/// service with a new revision, the two-colour rollout `two_colour_rollouts` runs.
async fn one<'a>(
    cx: &Cx<'a>,
    inputs: &Inputs<'_>,
    svc: &'a Service,
    revision: &Revision,
    weights: Option<Weights>,
) -> Result<One<'a>, Error> {
    let m = &cx.compiled.model;
    let observed = &cx.prepared.observed;
    let Revision { arn, registered, tag } = revision.clone();
    let family = registered.then(|| (render::family(m, svc), svc.deploy.keep_revisions));
    let mut config = render::service_config(inputs, svc)?;
    // A two-colour service's rules have weights once it exists.
    match (&svc.deploy.rollout, weights) {
        (Rollout::TwoColour(TwoColour { engine: Engine::Ecs, .. }), Some(weights)) => {
            // The colour with the traffic is the primary target group; ECS starts the new
            // revision in the other.
            config = render::native_config(config, weights.live());
        }
        (Rollout::TwoColour(t @ TwoColour { engine: Engine::Ecship, .. }), Some(weights)) => {
            match two_colours(cx, svc, observed.colours(svc, weights), &arn, &tag) {
                TwoColourStep::Plain(live) => config = render::colour_config(inputs, svc, config, live)?,
                TwoColourStep::Rollout { abandon, job } => {
                    let task_definition = revision_name(&arn).to_string();
                    let action = ServiceOutcome::rollout(&t.shift);
                    let result = ServiceResult { service: svc.name.to_string(), action, task_definition, registered };
                    return Ok(One { result, arn, family, watch: None, native: None, job: Some(job), abandon });
                }
            }
        }
        (Rollout::TwoColour(_), None) | (Rollout::Rolling | Rollout::Doubling, _) => {}
    }
    let action = create_or_update(cx, config.clone(), &arn, &tag).await?;
    // An unchanged service still mid-rollout (an earlier run was interrupted) is watched too.
    let settled = observed.services.get(&config.name).is_some_and(|s| assess(s, &arn) == Assessment::Stable);
    let watch = (action != ServiceOutcome::Unchanged || !settled).then(|| Watch {
        name: config.name.clone(),
        task_definition: arn.clone(),
        timeout: svc.deploy.timeout,
    });
    let result = ServiceResult { service: config.name.clone(), action, task_definition: revision_name(&arn).to_string(), registered };
    let (watch, native) = if svc.deploy.rollout.native() { (None, watch) } else { (watch, None) };
    Ok(One { result, arn, family, watch, native, job: None, abandon: None })
}

/// The service's task definition: the family's latest revision when it is the rendered one,
/// else a new revision; whether it was registered; and the tag the service gets with it
/// (`observe::TASK_DEFINITION_TAG`). A two-colour service's revision goes to a colour
/// decided later: it is shown under the service's name.
async fn task_definition(cx: &Cx<'_>, inputs: &Inputs<'_>, svc: &Service, two_colours: bool) -> Result<Revision, Error> {
    let td = render::task_def(inputs, svc)?;
    let (arn, registered) = match cx.prepared.observed.latest.get(&td.family) {
        Some(l) if l.task_def == td => (l.arn.clone(), false),
        _ => (cx.ecs.register(&td, &render::task_tags(&cx.compiled.model, svc)).await?, true),
    };
    let shown = if two_colours { svc.name.to_string() } else { render::ecs_service_name(svc) };
    cx.r.event(&Event::TaskDefinition { service: shown, revision: revision_name(&arn).to_string(), registered });
    let tag = task_definition_tag(&arn, &td);
    Ok(Revision { arn, registered, tag })
}

/// What a two-colour service needs in this deploy.
enum TwoColourStep<'a> {
    /// Nothing but what any service gets, on the live colour's ECS service: a new service, or
    /// one whose live colour runs the wanted revision.
    Plain(Colour),
    /// A rollout to the other colour; first, maybe, an earlier one to return.
    Rollout { abandon: Option<Job<'a>>, job: Job<'a> },
}

fn two_colours<'a>(cx: &Cx<'_>, svc: &'a Service, state: TwoColours, arn: &str, tag: &str) -> TwoColourStep<'a> {
    let of = |c: Colour| state.services.get(c).clone();
    let job = |old: Colour, from_weight: u8| Job {
        svc,
        task_definition: arn.to_string(),
        old,
        new_current: of(old.other()).is_some_and(|s| s.task_definition == arn),
        from_weight,
        new_exists: of(old.other()).is_some(),
        at_once: false,
        tag: Some(tag.to_string()),
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
            let abandon = Job { task_definition, tag: None, ..job(towards.other(), 0) };
            TwoColourStep::Rollout { abandon: Some(abandon), job: job(towards.other(), 0) }
        }
    }
}

/// Create the ECS service, or update it when its revision or settings differ; either way
/// tagged with the revision it runs and that revision's content hash, so the next plan need
/// not read the task definition.
async fn create_or_update(cx: &Cx<'_>, mut config: ServiceConfig, arn: &str, tag: &str) -> Result<ServiceOutcome, Error> {
    let observed = cx.prepared.observed.services.get(&config.name);
    let (action, step) = match observed {
        None => {
            config.tags.insert(TASK_DEFINITION_TAG.into(), tag.to_string());
            cx.ecs.create_service(&config, arn).await?;
            (ServiceOutcome::Create, ServiceStep::Create)
        }
        Some(s) if s.task_definition != arn || settings_differ(&config, s) => {
            let service_arn = cx.ecs.update_service(&config, arn, s.config.capacity != config.capacity).await?;
            if s.tags.get(TASK_DEFINITION_TAG).map(String::as_str) != Some(tag) {
                cx.ecs.tag_service(&service_arn, TASK_DEFINITION_TAG, tag).await?;
            }
            (ServiceOutcome::Update, ServiceStep::Update)
        }
        Some(_) => (ServiceOutcome::Unchanged, ServiceStep::Unchanged),
    };
    cx.r.event(&Event::Service { service: config.name.clone(), action: step });
    Ok(action)
}

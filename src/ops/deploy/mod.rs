//! `deploy`: bring deployed state to the spec, in the order AWS needs. `prepare` reads the
//! deployed state and builds the `Plan`; `run` takes the stack's lock and `apply` carries the
//! plan out, one named step after another:
//!
//! 1. `build_images`: `build:` images are built (locally: a broken Dockerfile stops the run
//!    before any write; `deploy` builds in `prepare`, so that the plan it shows names the
//!    digests). Then `alarm_gates`: the `deploy.alarms` as they stand (a missing one stops
//!    the run here); the stack's own alarms (`deploy.alarms: auto`) are read once step 3
//!    created them.
//! 2. `remove_dropped_services`: services dropped from the spec are deleted first (their
//!    security groups and target groups are about to leave the stack, and AWS will not
//!    delete them while in use).
//! 3. `infrastructure`: the stack is created or updated (no write when the template is the same).
//!    A plan that destroys data is refused before step 1 without `--allow-data-loss`; with
//!    it, `data::doomed` reads what it destroys before the stack changes and `data::delete`
//!    deletes it after (the stack keeps what holds data: `Retain`).
//! 4. `push_images`: images are pushed to the stack's repositories (blobs the registry has
//!    are skipped).
//! 5. `services::register`, `jobs::register`: each service and job gets its task definition
//!    — a new revision only when the rendered one differs from the family's latest, images
//!    named by digest.
//!    a. `before::run`: the `deploy.before` one-off tasks of services getting a new
//!    revision; one that fails stops the deploy here, before any service changes.
//!    b. `services::apply`: each service is created or updated when anything differs.
//!    c. `jobs::schedule`: scheduled jobs' schedules start their new revisions.
//!    d. `autoscaling`: Application Auto Scaling as each service's `autoscaling:` says.
//! 6. `watch_rollouts`: every changed service is watched until stable, failed (ECS's circuit
//!    breaker, a crash loop, an alarm) or out of time; `checks::roll_back_failed` puts a
//!    failed one ECS did not roll back on its previous revision; then `checks::run`: the
//!    HTTP check of each steady rolling or doubling service, rolled back when it fails.
//! 7. `two_colour_rollouts`: rollouts ECS runs natively (`deploy.engine: ecs`) are followed
//!    side by side (`native`: stages reported, gates applied, rolled back through ECS), then
//!    canary and blue/green services on ecship's engine move their traffic step by step.
//! 8. `prune::revisions`: after success only, old task-definition revisions are deleted.
//!
//! Each step that writes (and each traffic step of a rollout) first makes sure the run still
//! holds the stack's lock (`Cx::before`, `lock::Held`): one that lost it stops there.
//!
//! A run with nothing changed makes no write at all. Must not print.

mod before;
mod checks;
mod cx;
mod delivery;
mod jobs;
mod outcome;
mod pins;
mod prepare;
mod prune;
mod services;

pub use outcome::{Deployed, ServiceOutcome, ServiceResult};
pub use prepare::{prepare, unfinished, unpinned_build, wanted, Compared, Images, PrepareOptions, Prepared};

use std::collections::BTreeMap;
use std::time::Duration;

use super::alarms::Alarms;
use super::colours;
use super::data;
use super::http_check::Checks;
use super::interrupt::{until_interrupted, Ended};
use super::lock::{self, Held};
use super::native;
use super::runner;
use super::scaling::Scaler;
use super::watch::{self, Watch};
use super::WaitUntil;
use super::{Error, RolloutFailure};
use cx::Cx;

use crate::aws::autoscaling::Autoscaling;
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::Aws;
use crate::events::{Event, Reporter, RolloutEnd, StackResult};
use crate::image::{self, build::Built, Pushed};
use crate::model::ServiceName;
use crate::plan::services::ServiceAction;
use crate::plan::StackAction;
use crate::rollout::Outcome;
use crate::stack::Compiled;
use crate::workload::outputs::StackOutputs;
use crate::workload::render::Inputs;
use crate::workload::scaling;
use crate::workload::ServiceState;

pub struct DeployOptions {
    /// Where canary and blue/green HTTP checks go instead of the load balancer's URL.
    pub check_endpoint: Option<String>,
    /// Whether services that left the spec may be removed (`--yes`, a confirmed or saved plan).
    pub remove_services: bool,
    /// Whether the plan may destroy data (`--allow-data-loss`): delete or replace a resource
    /// that holds data (`destroys_data`). Without it such a plan is refused before anything
    /// is written.
    pub allow_data_loss: bool,
    /// Services registered, created or updated at once (`--parallel`).
    pub parallel: usize,
    /// Where the run returns: once the services are updated (`--no-wait`), or once each
    /// rollout is held, baking or at its end (and its checks ran).
    pub wait_until: WaitUntil,
}

/// Carry out a prepared deploy under the stack's lock (taken only when the run will write,
/// and only while deployed state is still what the plan was made from), until Ctrl-C.
pub async fn run(aws: &Aws, c: &Compiled, prepared: &Prepared, opts: &DeployOptions, r: &dyn Reporter) -> Ended<Result<Deployed, Error>> {
    if let Err(e) = data::refuse(&prepared.plan, opts.allow_data_loss) {
        return Ended::Finished(Err(e));
    }
    // A preview's deploy always writes: it pushes the preview's expiry forward.
    let writes = prepared.plan.summary.changes || c.model.preview.is_some() || !unfinished(&c.model, &prepared.observed).is_empty();
    let lock = if writes {
        match lock::acquire_unchanged(aws, &c.model, &prepared.plan.fingerprint.state, &wanted(&prepared.compared), &prepared.observed)
            .await
        {
            Ok(l) => Some(l),
            Err(e) => return Ended::Finished(Err(e.into())),
        }
    } else {
        None
    };
    let held = lock.as_ref().map_or_else(Held::none, lock::Lock::held);
    let result = until_interrupted(apply(aws, c, prepared, opts, &held, r)).await;
    if let Some(lock) = lock {
        lock::release(lock, r).await;
    }
    result
}

/// Carry out a plan, step by step (see the module's description), each step that writes
/// only while the run still holds the stack's lock (`held`).
pub async fn apply(
    aws: &Aws,
    c: &Compiled,
    prepared: &Prepared,
    opts: &DeployOptions,
    held: &Held,
    r: &dyn Reporter,
) -> Result<Deployed, Error> {
    data::refuse(&prepared.plan, opts.allow_data_loss)?;
    let cx = Cx { aws, compiled: c, prepared, ecs: Ecs::new(aws), held, r };
    let (pending, _built) = build_images(&cx).await?;
    let alarms = alarm_gates(&cx, Gated::Outside).await?;
    let removed = remove_dropped_services(&cx, opts).await?;
    let doomed = data::doomed(aws, c.model.stack.as_str(), &prepared.plan).await?;
    let (infrastructure, outputs) = infrastructure(&cx).await?;
    let alarms = if c.model.gates_on_own_alarms() { alarm_gates(&cx, Gated::All).await? } else { alarms };
    if !doomed.is_empty() {
        cx.before("deleting the data the plan destroys").await?;
    }
    let deleted_data = data::delete(aws, c.model.stack.as_str(), &doomed, r).await?;
    let images = push_images(&cx, &pending).await?;
    let counts = prepared.observed.kept_counts(&c.model);
    let inputs = Inputs {
        model: &c.model,
        outputs: &outputs,
        region: aws.region(),
        images: &images.own,
        sidecar_images: &images.sidecars,
        pins: &cx.prepared.images.pins,
        counts: &counts,
    };
    let revisions = services::register(&cx, &inputs, opts.parallel).await?;
    let job_revisions = jobs::register(&cx, &inputs).await?;
    before::run(&cx, &inputs, &revisions, &job_revisions).await?;
    let services = services::apply(&cx, &inputs, &revisions, opts.parallel).await?;
    jobs::schedule(&cx, &inputs, &job_revisions).await?;
    autoscaling(&cx, &inputs, &services).await?;
    if opts.wait_until == WaitUntil::Updated {
        // ECS carries the rollouts on (and rolls a failing one back); old revisions are
        // pruned by the next deploy.
        let unwatched = services.watches.iter().chain(&services.natives).map(|w| w.name.clone()).collect();
        let (images, results) = (images.pushed, services.results);
        return Ok(Deployed {
            stack: c.model.stack.to_string(),
            infrastructure,
            images,
            services: results,
            removed,
            deleted_data,
            pruned: vec![],
            unwatched,
            held: vec![],
        });
    }
    let failed = watch_rollouts(&cx, &outputs, &services.watches, &alarms).await?;
    let mut failures = checks::roll_back_failed(&cx, &inputs, &services.watches, failed).await?;
    let steady: Vec<Watch> = services.watches.iter().filter(|w| !failures.iter().any(|f| f.service == w.name)).cloned().collect();
    let http = Checks::new(opts.check_endpoint.as_deref(), &outputs, &c.model);
    failures.extend(checks::run(&cx, &inputs, &http, &steady).await?);
    let (more, held) = two_colour_rollouts(&cx, &inputs, &http, &services, &alarms, opts).await?;
    failures.extend(more);
    if !failures.is_empty() {
        return Err(Error::Rollout { failures });
    }
    cx.before("deleting old task-definition revisions").await?;
    let pruned = prune::revisions(&cx.ecs, &services.new_families, &services.in_use, r).await;
    Ok(Deployed {
        stack: c.model.stack.to_string(),
        infrastructure,
        images: images.pushed,
        services: services.results,
        removed,
        deleted_data,
        pruned,
        unwatched: vec![],
        held,
    })
}

/// Which of the `deploy.alarms` a gate reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gated {
    /// Those the stack does not create: they must exist before anything changes.
    Outside,
    /// All of them, once the stack created its own (`deploy.alarms: auto`, `signals:`).
    All,
}

/// 1b. The alarms of every service with `deploy.alarms`, as they stand before anything
///     changes: the baseline their rollouts are judged against (`ops::alarms`). A missing
///     alarm stops the deploy here. The stack's own alarms exist only once the
///     infrastructure step made them: with those, the gates are read again after it (3b).
async fn alarm_gates(cx: &Cx<'_>, which: Gated) -> Result<Alarms, Error> {
    let model = &cx.compiled.model;
    let own = model.own_alarms();
    let rollouts: Vec<(String, Vec<String>)> = model
        .services
        .values()
        .map(|s| {
            let name = if s.deploy.rollout.colour_services() { s.name.to_string() } else { crate::workload::render::ecs_service_name(s) };
            let names = s.deploy.alarms.iter().filter(|a| which == Gated::All || !own.contains(*a)).cloned().collect();
            (name, names)
        })
        .filter(|(_, names): &(String, Vec<String>)| !names.is_empty())
        .collect();
    Ok(Alarms::start(cx.aws, &rollouts, cx.r).await?)
}

/// 1. Builds (unless `prepare` built them), before anything is written. The layouts live as
///    long as the returned builds.
async fn build_images(cx: &Cx<'_>) -> Result<(Vec<image::Pending>, Vec<Built>), Error> {
    let mut pending = cx.prepared.images.pending.clone();
    let built = image::build_all(&cx.compiled.model, &mut pending, cx.r).await?;
    Ok((pending, built))
}

/// 2. Services no longer in the spec, with their task-definition families.
async fn remove_dropped_services(cx: &Cx<'_>, opts: &DeployOptions) -> Result<Vec<String>, Error> {
    let (plan, observed) = (&cx.prepared.plan, &cx.prepared.observed);
    let stale: Vec<ServiceState> = plan
        .services
        .iter()
        .filter(|s| s.action == ServiceAction::Delete)
        .filter_map(|s| observed.services.get(&s.service).cloned())
        .collect();
    let Some(cluster) = observed.stack.as_ref().and_then(|s| s.outputs.get("ClusterName")).filter(|_| !stale.is_empty()) else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = stale.iter().map(|s| s.name.clone()).collect();
    if !opts.remove_services {
        return Err(Error::RemovalRefused { services: names });
    }
    cx.before(&format!("removing {}", names.join(", "))).await?;
    cx.r.event(&Event::Step { message: format!("services: removing {}", names.join(", ")) });
    super::destroy::remove_services(cx.aws, cluster, &stale, Duration::from_secs(1800), cx.r).await?;
    for family in super::destroy::families_of(&cx.compiled.model, &stale) {
        super::destroy::remove_family(&cx.ecs, &family, cx.r).await?;
    }
    Ok(names)
}

/// 3. The stack, only when the plan changes it; then its outputs, as the services need them.
async fn infrastructure(cx: &Cx<'_>) -> Result<(StackResult, StackOutputs), Error> {
    let m = &cx.compiled.model;
    let stack = m.stack.as_str();
    cx.r.event(&Event::Step { message: format!("infrastructure: stack {stack}") });
    let result = if cx.prepared.plan.infrastructure.action == StackAction::None {
        if m.preview.is_some() {
            cx.before("pushing the preview's expiry forward").await?;
            super::preview::extend(cx.aws, m, cx.r).await?;
        }
        StackResult::Unchanged
    } else {
        cx.before(&format!("changing stack {stack}")).await?;
        cx.prepared.delivery.apply(cx.aws, m, cx.r).await?
    };
    cx.r.event(&Event::Stack { stack: stack.to_string(), result });
    let info = match (result, &cx.prepared.observed.stack) {
        (StackResult::Unchanged, Some(info)) => info.clone(),
        _ => super::stack::describe(cx.aws, stack).await?,
    };
    Ok((result, StackOutputs::parse(stack, &info.outputs)?))
}

/// 4. Images, into the repositories the stack holds: the image each service runs (given
///    ones and pushed ones), and what was pushed.
async fn push_images(cx: &Cx<'_>, pending: &[image::Pending]) -> Result<RunImages, Error> {
    let m = &cx.compiled.model;
    let mut out = RunImages { own: cx.prepared.images.given.clone(), sidecars: BTreeMap::new(), pushed: Vec::new() };
    let Some(target) = &cx.prepared.images.target else { return Ok(out) };
    cx.before("pushing images").await?;
    cx.r.event(&Event::Step { message: format!("images: {} to {}", pending.len(), target.registry.endpoint()) });
    out.pushed = image::push_all(m, target, pending, cx.r).await?;
    for p in &out.pushed {
        let Some(name) = m.services.keys().find(|k| k.as_str() == p.service) else { continue };
        match &p.sidecar {
            Some(sc) => out.sidecars.insert((name.clone(), sc.clone()), p.reference()),
            None => out.own.insert(name.clone(), p.reference()),
        };
    }
    Ok(out)
}

/// The images the task definitions run: services' own and sidecars' (given or pushed), and
/// what was pushed.
struct RunImages {
    own: BTreeMap<ServiceName, String>,
    sidecars: BTreeMap<(ServiceName, String), String>,
    pushed: Vec<Pushed>,
}

/// 5d. Application Auto Scaling of every service as its `autoscaling:` says, on the ECS
///     service with its traffic; a canary or blue/green service rolling out gets it when its
///     new colour takes the traffic (`colours::run`). Targets of services that no longer
///     scale are removed.
async fn autoscaling(cx: &Cx<'_>, inputs: &Inputs<'_>, services: &services::Applied<'_>) -> Result<(), Error> {
    let (m, observed) = (&cx.compiled.model, &cx.prepared.observed);
    cx.before("settling autoscaling").await?;
    let aas = Autoscaling::new(cx.aws);
    let scaler = Scaler { aas: &aas, ecs: &cx.ecs, r: cx.r };
    let traffic = observed.traffic(m);
    let mut kept = std::collections::BTreeSet::new();
    for svc in m.services.values() {
        let live = traffic.get(&svc.name).map(|w| w.live()).filter(|_| svc.deploy.rollout.colour_services());
        let name = svc.live_ecs_service(traffic.get(&svc.name).copied());
        kept.insert(name.clone());
        if services.jobs.iter().any(|j| j.svc.name == svc.name) {
            continue;
        }
        let want = scaling::render(inputs, svc, live)?;
        scaler.settle(&name, want.as_ref(), observed.scaling.get(&name), observed.services.get(&name)).await?;
    }
    for (name, now) in observed.scaling.iter().filter(|(n, _)| !kept.contains(*n)) {
        scaler.settle(name, None, Some(now), observed.services.get(name)).await?;
    }
    Ok(())
}

/// 6. ECS rollouts of the services step 5 changed (or found mid-rollout), all at once.
async fn watch_rollouts(cx: &Cx<'_>, outputs: &StackOutputs, watches: &[Watch], alarms: &Alarms) -> Result<Vec<RolloutFailure>, Error> {
    if !watches.is_empty() {
        let names: Vec<&str> = watches.iter().map(|w| w.name.as_str()).collect();
        cx.r.event(&Event::Step { message: format!("rollout: waiting for {}", names.join(", ")) });
    }
    let outcomes = watch::wait_all(&cx.ecs, &outputs.cluster, watches, alarms, cx.r).await?;
    Ok(outcomes.into_iter().filter(|(_, o)| *o != Outcome::Stable).map(|(service, outcome)| RolloutFailure { service, outcome }).collect())
}

/// 7. Canary and blue/green rollouts, one service at a time, after returning the traffic of
///    rollouts an earlier run left half-way towards a revision no longer wanted.
async fn two_colour_rollouts(
    cx: &Cx<'_>,
    inputs: &Inputs<'_>,
    checks: &Checks,
    services: &services::Applied<'_>,
    alarms: &Alarms,
    opts: &DeployOptions,
) -> Result<(Vec<RolloutFailure>, Vec<(String, String)>), Error> {
    let elbv2 = Elbv2::new(cx.aws);
    let aas = Autoscaling::new(cx.aws);
    let scaler = Scaler { aas: &aas, ecs: &cx.ecs, r: cx.r };
    let spec = runner::spec_words(cx.compiled);
    let run = runner::Cx {
        ecs: &cx.ecs,
        elbv2: &elbv2,
        inputs,
        checks,
        scaler: &scaler,
        alarms,
        spec: &spec,
        wait_until: opts.wait_until,
        held: cx.held,
        r: cx.r,
    };
    for job in &services.abandoned {
        colours::abandon(&run, job).await?;
    }
    let (mut failures, mut held) = native_rollouts(&run, &services.natives).await?;
    for job in &services.jobs {
        let strategy = job.svc.deploy.rollout.name().as_str().replace('_', "/");
        cx.r.event(&Event::Step { message: format!("rollout: {strategy} {} from {} to {}", job.svc.name, job.old, job.old.other()) });
        let outcome = colours::run(&run, job).await?;
        let (end, detail) = match &outcome {
            Outcome::Stable => (RolloutEnd::Stable, None),
            Outcome::Held { revision } => {
                held.push((job.svc.name.to_string(), revision.clone()));
                (RolloutEnd::Held, Some(format!("{revision} held for approval")))
            }
            Outcome::Failed { reason, .. } => (RolloutEnd::RolledBack, Some(reason.clone())),
            Outcome::TimedOut { .. } => (RolloutEnd::TimedOut, None),
        };
        cx.r.event(&Event::Rollout { service: job.svc.name.to_string(), outcome: end, detail });
        if !matches!(outcome, Outcome::Stable | Outcome::Held { .. }) {
            failures.push(RolloutFailure { service: job.svc.name.to_string(), outcome });
        }
    }
    Ok((failures, held))
}

/// 7a. Rollouts ECS runs natively, followed side by side (`ops::native`).
async fn native_rollouts(run: &runner::Cx<'_>, natives: &[Watch]) -> Result<(Vec<RolloutFailure>, Vec<(String, String)>), Error> {
    let m = run.inputs.model;
    let followed = natives.iter().filter_map(|w| m.services.values().find(|s| s.name.as_str() == w.name).map(|svc| (svc, w))).map(
        |(svc, w)| async move {
            let strategy = svc.deploy.rollout.name().as_str().replace('_', "/");
            run.r.event(&Event::Step {
                message: format!("rollout: {strategy} {} by ECS to {}", svc.name, crate::workload::revision_name(&w.task_definition)),
            });
            native::follow(run, svc, w).await.map(|outcome| (w.name.clone(), outcome))
        },
    );
    let outcomes: Vec<(String, Outcome)> = futures_util::future::try_join_all(followed).await?;
    let (mut failures, mut held) = (Vec::new(), Vec::new());
    for (service, outcome) in outcomes {
        match outcome {
            Outcome::Stable => {}
            Outcome::Held { revision } => held.push((service, revision)),
            outcome => failures.push(RolloutFailure { service, outcome }),
        }
    }
    Ok((failures, held))
}

//! `rollback`: back to what ran before, by hand, under the stack's lock. A canary or
//! blue/green service switches its traffic back to the other colour (at once when that
//! colour still runs, as during a bake; after scaling it up again otherwise); one whose
//! traffic is split (a canary stopped half-way) gets all of it back on the colour the canary
//! was leaving. A rolling or doubling service is redeployed on the task-definition revision
//! before the one it runs. A rollout a running deploy holds for approval (`deploy.approve`)
//! is rejected instead (`approval`): that deploy, which holds the lock, rolls it back; one
//! left held with no deploy running (`deploy --wait-until held`) is rolled back here.

use serde::Serialize;

use super::alarms::Alarms;
use super::approval;
use super::colours::{self, Job};
use super::error::{Error, RolloutFailure};
use super::http_check::Checks;
use super::interrupt::{until_interrupted, Ended};
use super::lock::{self, Held, LockError};
use super::native;
use super::runner;
use super::scaling::Scaler;
use super::watch::{self, Watch};
use super::WaitUntil;
use crate::aws::autoscaling::Autoscaling;
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::Aws;
use crate::events::{Event, Reporter};
use crate::model::{Colour, Service, ServiceName, Weights};
use crate::observe::{observe, Observed};
use crate::rollout::{self, Approval, Outcome, APPROVAL_TAG};
use crate::stack::Compiled;
use crate::workload::outputs::StackOutputs;
use crate::workload::render::{self, Inputs};
use crate::workload::{revision_name, ServiceStatus};

#[derive(Debug, Clone, Serialize)]
pub struct RolledBack {
    pub service: String,
    pub how: How,
    pub from: String,
    pub to: String,
}

/// How a service was rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// Its traffic went to the other colour.
    Traffic,
    /// It was redeployed on the previous task-definition revision.
    Revision,
    /// Its rollout was held for approval, and is rolled back: by the deploy holding it, or
    /// here when none runs.
    Rejected,
}

/// Roll back `only` (or every service) under the stack's lock, until Ctrl-C.
pub async fn run(
    aws: &Aws,
    c: &Compiled,
    only: &[ServiceName],
    check_endpoint: Option<&str>,
    r: &dyn Reporter,
) -> Ended<Result<Vec<RolledBack>, Error>> {
    let lock = match lock::acquire(aws, c.model.stack.as_str()).await {
        Ok(l) => l,
        // The deploy that holds the lock may be holding a rollout for approval: that one is
        // answered, and the deploy rolls it back.
        Err(held @ LockError::Held { .. }) => return Ended::Finished(reject_held(aws, c, only, held).await),
        Err(e) => return Ended::Finished(Err(e.into())),
    };
    let result = until_interrupted(rollback(aws, c, only, check_endpoint, &lock.held(), r)).await;
    lock::release(lock, r).await;
    result
}

/// What rolling back each service needs.
struct Cx<'a> {
    observed: &'a Observed,
    ecs: &'a Ecs,
    colours: runner::Cx<'a>,
    r: &'a dyn Reporter,
}

/// Roll back `only` (or every service) of a deployed stack, each only while the run still
/// holds the stack's lock (`held`).
async fn rollback(
    aws: &Aws,
    c: &Compiled,
    only: &[ServiceName],
    check_endpoint: Option<&str>,
    held: &Held,
    r: &dyn Reporter,
) -> Result<Vec<RolledBack>, Error> {
    let m = &c.model;
    let stack = m.stack.as_str();
    let observed = observe(aws, stack).await?;
    let info = observed.stack.as_ref().ok_or_else(|| Error::NotDeployed { stack: stack.to_string() })?;
    let outputs = StackOutputs::parse(stack, &info.outputs)?;
    let counts = observed.kept_counts(m);
    let inputs = Inputs::registered(m, &outputs, aws.region(), &counts);
    let (ecs, elbv2) = (Ecs::new(aws), Elbv2::new(aws));
    let checks = Checks::new(check_endpoint, &outputs, m);
    let aas = Autoscaling::new(aws);
    let scaler = Scaler { aas: &aas, ecs: &ecs, r };
    let alarms = Alarms::none();
    let spec = runner::spec_words(c);
    let colours = runner::Cx {
        ecs: &ecs,
        elbv2: &elbv2,
        inputs: &inputs,
        checks: &checks,
        scaler: &scaler,
        alarms: &alarms,
        spec: &spec,
        wait_until: WaitUntil::Steady,
        held,
        r,
    };
    let cx = Cx { observed: &observed, ecs: &ecs, colours, r };
    let traffic = observed.traffic(m);
    let mut done = Vec::new();
    for svc in m.services.values().filter(|s| only.is_empty() || only.contains(&s.name)) {
        cx.colours.before(&format!("rolling back {}", svc.name)).await?;
        let held = approval::held(&observed, svc);
        done.push(match traffic.get(&svc.name) {
            Some(_) if svc.deploy.rollout.native() => native_rollback(&cx, svc).await?,
            Some(_) if held.is_some() => reject_left(&cx, svc).await?,
            Some(weights) if weights.split() => back_from_split(&cx, svc, *weights).await?,
            Some(weights) => switch_back(&cx, svc, weights.live()).await?,
            None => previous_revision(&cx, svc).await?,
        });
    }
    Ok(done)
}

/// Reject the rollouts of `only` (or every service with `deploy.approve`) held for approval
/// by the run that holds the lock; `held` when there is none.
async fn reject_held(aws: &Aws, c: &Compiled, only: &[ServiceName], held: LockError) -> Result<Vec<RolledBack>, Error> {
    let mut done = Vec::new();
    for svc in c.model.services.values().filter(|s| s.deploy.rollout.approve() && (only.is_empty() || only.contains(&s.name))) {
        match approval::answer(aws, c, svc, false).await {
            Ok(a) => done.push(RolledBack { service: a.service, how: How::Rejected, from: a.revision, to: a.live }),
            Err(Error::NothingHeld { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if done.is_empty() {
        return Err(held.into());
    }
    Ok(done)
}

fn nothing(svc: &Service, why: String) -> Error {
    Error::NothingToRollBack { service: svc.name.to_string(), why }
}

/// The revision an ACTIVE ECS service runs.
fn running(observed: &Observed, name: &str) -> Option<String> {
    observed.services.get(name).filter(|s| s.status == ServiceStatus::Active).map(|s| s.task_definition.clone())
}

/// A rollout left held for approval (`deploy --wait-until held`): all traffic back on the
/// colour it was leaving, the held one to zero, and the hold answered.
async fn reject_left(cx: &Cx<'_>, svc: &Service) -> Result<RolledBack, Error> {
    let Some((held, state, revision)) = approval::held(cx.observed, svc) else { return Err(nothing(svc, "nothing is held".into())) };
    let back = held.other();
    let Some(old) = running(cx.observed, &svc.colour_service(back)) else {
        return Err(nothing(svc, format!("{} is gone", svc.colour_service(back))));
    };
    cx.r.event(&Event::Step { message: format!("rollback: {}: {revision} rejected; all traffic on {back}, {held} to zero", svc.name) });
    colours::abandon(&cx.colours, &Job { old: back, ..switch_job(svc, held, state.task_definition.clone()) }).await?;
    cx.ecs.tag_service(&state.arn, APPROVAL_TAG, &Approval::Rejected(revision.clone()).to_string()).await?;
    Ok(RolledBack { service: svc.name.to_string(), how: How::Rejected, from: revision, to: revision_name(&old).to_string() })
}

/// All traffic to the colour that is not `current`, which runs `task_definition`.
fn switch_job(svc: &Service, current: Colour, task_definition: String) -> Job<'_> {
    Job { svc, task_definition, old: current, new_current: true, from_weight: 0, new_exists: true, at_once: true, tag: None }
}

fn traffic(svc: &Service, from: &str, to: &str) -> RolledBack {
    RolledBack { service: svc.name.to_string(), how: How::Traffic, from: revision_name(from).into(), to: revision_name(to).into() }
}

/// A canary stopped half-way: all traffic back on the colour it was leaving (still at full
/// count), the other to zero.
async fn back_from_split(cx: &Cx<'_>, svc: &Service, weights: Weights) -> Result<RolledBack, Error> {
    let towards = rollout::resume(&cx.observed.colours(svc, weights), "").towards();
    let back = towards.other();
    let (Some(new), Some(old)) = (running(cx.observed, &svc.colour_service(towards)), running(cx.observed, &svc.colour_service(back)))
    else {
        return Err(nothing(svc, format!("traffic is split but {} or {} is gone", svc.colour_service(back), svc.colour_service(towards))));
    };
    cx.r.event(&Event::Step { message: format!("rollback: {}: all traffic back on {back}, {towards} to zero", svc.name) });
    colours::abandon(&cx.colours, &Job { old: back, ..switch_job(svc, towards, new.clone()) }).await?;
    Ok(traffic(svc, &new, &old))
}

/// Traffic back to the idle colour, which runs the revision from before.
async fn switch_back(cx: &Cx<'_>, svc: &Service, current: Colour) -> Result<RolledBack, Error> {
    let (Some(now), Some(before)) =
        (running(cx.observed, &svc.colour_service(current)), running(cx.observed, &svc.colour_service(current.other())))
    else {
        return Err(nothing(svc, format!("{} has never run another revision", svc.colour_service(current))));
    };
    if now == before {
        return Err(nothing(svc, format!("both colours run {}", revision_name(&now))));
    }
    cx.r.event(&Event::Step { message: format!("rollback: {} from {current} to {}", svc.name, current.other()) });
    let outcome = colours::run(&cx.colours, &switch_job(svc, current, before.clone())).await?;
    if outcome != Outcome::Stable {
        return Err(Error::Rollout { failures: vec![RolloutFailure { service: svc.name.to_string(), outcome }] });
    }
    Ok(traffic(svc, &now, &before))
}

/// A service ECS rolls out natively: a rollout under way stopped with rollback (ECS puts the
/// traffic back on the old revision); else the previous revision rolled out natively.
async fn native_rollback(cx: &Cx<'_>, svc: &Service) -> Result<RolledBack, Error> {
    let from = running(cx.observed, svc.name.as_str()).unwrap_or_default();
    match native::stop(&cx.colours, svc).await? {
        None => previous_revision(cx, svc).await,
        Some(Outcome::Failed { rolled_back: true, .. }) => {
            let now = cx.ecs.describe_services(&cx.colours.inputs.outputs.cluster, &[svc.name.to_string()]).await?;
            let to = now.first().map(|s| revision_name(&s.task_definition).to_string()).unwrap_or_default();
            Ok(traffic(svc, revision_name(&from), &to))
        }
        Some(outcome) => Err(Error::Rollout { failures: vec![RolloutFailure { service: svc.name.to_string(), outcome }] }),
    }
}

/// A one-colour service redeployed on the revision before the one it runs.
async fn previous_revision(cx: &Cx<'_>, svc: &Service) -> Result<RolledBack, Error> {
    let inputs = cx.colours.inputs;
    let mut config = render::service_config(inputs, svc)?;
    if let Some(weights) = cx.observed.traffic(inputs.model).get(&svc.name).filter(|_| svc.deploy.rollout.native()) {
        config = render::native_config(config, weights.live());
    }
    let Some(now) = running(cx.observed, &config.name) else {
        return Err(nothing(svc, format!("service {} is not running", config.name)));
    };
    let number = |arn: &str| revision_name(arn).rsplit_once(':').and_then(|(_, n)| n.parse::<u32>().ok()).unwrap_or(0);
    let revisions = cx.ecs.revisions(&render::family(inputs.model, svc), true).await?;
    let Some(before) = revisions.iter().filter(|a| number(a) < number(&now)).max_by_key(|a| number(a)).cloned() else {
        return Err(nothing(svc, format!("{} is the oldest revision left", revision_name(&now))));
    };
    cx.r.event(&Event::Step { message: format!("rollback: {} from {} to {}", svc.name, revision_name(&now), revision_name(&before)) });
    cx.ecs.update_service(&config, &before, false).await?;
    let watch = Watch { name: config.name.clone(), task_definition: before.clone(), timeout: svc.deploy.timeout };
    let outcome = if svc.deploy.rollout.native() {
        native::follow(&cx.colours, svc, &watch).await?
    } else {
        let mut outcomes = watch::wait_all(cx.ecs, &inputs.outputs.cluster, &[watch], &Alarms::none(), cx.r).await?;
        outcomes.remove(&config.name).unwrap_or(Outcome::Stable)
    };
    if outcome != Outcome::Stable {
        return Err(Error::Rollout { failures: vec![RolloutFailure { service: config.name.clone(), outcome }] });
    }
    Ok(RolledBack {
        service: svc.name.to_string(),
        how: How::Revision,
        from: revision_name(&now).into(),
        to: revision_name(&before).into(),
    })
}

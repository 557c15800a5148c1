//! Rollouts ECS runs natively (`deploy.engine: ecs`): ECS moves the traffic through its
//! lifecycle stages, and ecship follows the service deployment with the same gates as its
//! own engine. Each tick reads the service deployment (its stage reported as it changes)
//! and the service (its events, and stopped tasks when ECS counts failed ones); a crash
//! loop, an alarm going to ALARM or the deploy timeout stops the deployment with rollback
//! (StopServiceDeployment), and ECS puts all traffic back on the old revision at once. At
//! the pause after test traffic moves, ecship runs the HTTP check through the test rule and,
//! with `deploy.approve`, holds for approval (`approval::hold`), then tells ECS to go on or
//! roll back (ContinueServiceDeployment). Nothing is kept but what ECS holds: a run that
//! finds a native rollout under way follows it from where it is.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::approval::{self, Held};
use super::http_check;
use super::runner::Cx;
use super::watch::{failed_tasks, report_news, stopped_news, Watch};
use super::Error;
use super::WaitUntil;
use crate::events::{Event, RolloutEnd};
use crate::model::Service;
use crate::rollout::{Outcome, ServiceDeployment, Standing};
use crate::workload::{revision_name, ServiceState, StoppedTask, TestRoute};

/// How often a native rollout is looked at, at most.
const POLL: Duration = Duration::from_secs(2);

/// What ecship does at a native rollout's pause.
enum AtPause {
    GoOn,
    RollBack(String),
    /// Left held (`deploy --wait-until held`).
    Left,
}

/// A gate that failed: why, and whether it was the deploy timeout.
struct Stopping {
    reason: String,
    timed_out: bool,
}

/// Follow the native rollout of `svc` (its ECS service and revision in `w`) until it ends.
pub async fn follow(cx: &Cx<'_>, svc: &Service, w: &Watch) -> Result<Outcome, Error> {
    follow_from(cx, svc, w, None).await
}

/// `ecship rollback` of a service ECS rolls out natively, while a rollout is under way (or
/// left held for approval): stopped with rollback, and followed until ECS has put the old
/// revision back. `None` when no rollout is under way.
pub async fn stop(cx: &Cx<'_>, svc: &Service) -> Result<Option<Outcome>, Error> {
    let cluster = cx.inputs.outputs.cluster.as_str();
    let Some(d) = cx.ecs.latest_service_deployment(cluster, svc.name.as_str()).await? else { return Ok(None) };
    match d.standing() {
        Standing::Paused { hook } => continue_deployment(cx, &d.arn, &hook, false).await?,
        Standing::Running if !d.rolling_back() => roll_back_deployment(cx, &d.arn).await?,
        Standing::Running => {}
        Standing::Succeeded | Standing::RolledBack { .. } | Standing::Failed { .. } => return Ok(None),
    }
    cx.r.event(&Event::Step { message: format!("rollback: {}: ECS returns the traffic to the old revision", svc.name) });
    let w = Watch { name: svc.name.to_string(), task_definition: String::new(), timeout: svc.deploy.timeout };
    let why = Stopping { reason: "rolled back by `ecship rollback`".into(), timed_out: false };
    follow_from(cx, svc, &w, Some(why)).await.map(Some)
}

async fn follow_from(cx: &Cx<'_>, svc: &Service, w: &Watch, mut stopping: Option<Stopping>) -> Result<Outcome, Error> {
    let cluster = cx.inputs.outputs.cluster.as_str();
    let started = Instant::now();
    let (mut stage, mut seen, mut last) = (String::new(), Default::default(), Default::default());
    let mut crashes = Crashes::default();
    let (mut checked, mut confirmed) = (false, None);
    let mut delay = Duration::from_millis(500);
    loop {
        let state = cx.ecs.describe_services(cluster, std::slice::from_ref(&w.name)).await?;
        let Some(s) = state.first() else {
            return Ok(Outcome::Failed { reason: "the service no longer exists".into(), rolled_back: false, stopped: crashes.stopped });
        };
        report_news(s, &mut seen, &mut last, cx.r);
        let Some(d) = ours(cx, w, &mut confirmed).await? else {
            // ECS has not listed the deployment of this revision yet.
            if started.elapsed() >= w.timeout {
                return Ok(Outcome::TimedOut { waited_secs: started.elapsed().as_secs() });
            }
            tokio::time::sleep(delay).await;
            continue;
        };
        let words = d.stage_words();
        if words != stage && d.standing() == Standing::Running {
            cx.r.event(&Event::Step { message: format!("{}: {words}", w.name) });
            stage = words;
        }
        if cx.wait_until == WaitUntil::Baking && stopping.is_none() && d.standing() == Standing::Running && d.baking() {
            let message =
                format!("{}: all production traffic on {}; ECS bakes and finishes the rollout", w.name, revision_name(&w.task_definition));
            cx.r.event(&Event::Step { message });
            return Ok(Outcome::Stable);
        }
        if svc.deploy.rollout.approve() && !matches!(d.standing(), Standing::Running | Standing::Paused { .. }) {
            // The rollout ended: no question about it is left open.
            approval::spent(cx, &w.name).await?;
        }
        match (d.standing(), &stopping) {
            (Standing::Succeeded, None) => {
                cx.r.event(&Event::Rollout { service: w.name.clone(), outcome: RolloutEnd::Stable, detail: None });
                return Ok(Outcome::Stable);
            }
            (Standing::Succeeded, Some(why)) => {
                // It completed before the rollback took.
                return Ok(Outcome::Failed { reason: why.reason.clone(), rolled_back: false, stopped: crashes.stopped });
            }
            (Standing::RolledBack { reason }, why) => return Ok(ended(w, started, why.as_ref(), reason, true, crashes.stopped, cx)),
            (Standing::Failed { reason }, why) => return Ok(ended(w, started, why.as_ref(), reason, false, crashes.stopped, cx)),
            (Standing::Paused { hook }, None) => match at_pause(cx, svc, w, &mut checked).await? {
                AtPause::GoOn => continue_deployment(cx, &d.arn, &hook, true).await?,
                AtPause::RollBack(reason) => {
                    rolling_back(cx, w, &reason);
                    continue_deployment(cx, &d.arn, &hook, false).await?;
                    stopping = Some(Stopping { reason, timed_out: false });
                }
                AtPause::Left => {
                    let revision = revision_name(&w.task_definition).to_string();
                    cx.r.event(&Event::Rollout {
                        service: w.name.clone(),
                        outcome: RolloutEnd::Held,
                        detail: Some(format!("{revision} held for approval")),
                    });
                    return Ok(Outcome::Held { revision });
                }
            },
            _ => {}
        }
        if stopping.is_none() && !d.rolling_back() {
            stopping = gates(cx, w, s, started, &mut crashes).await?;
            if let Some(why) = &stopping {
                rolling_back(cx, w, &why.reason);
                roll_back_deployment(cx, &d.arn).await?;
                delay = Duration::from_millis(500);
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 3 / 2).min(POLL);
    }
}

/// Let a deployment paused at `hook` go on (`go_on`) or roll back, while the run holds the
/// stack's lock.
async fn continue_deployment(cx: &Cx<'_>, arn: &str, hook: &str, go_on: bool) -> Result<(), Error> {
    cx.before(&format!("{} ECS's deployment {}", if go_on { "continuing" } else { "rolling back" }, deployment_name(arn))).await?;
    Ok(cx.ecs.continue_service_deployment(arn, hook, go_on).await?)
}

/// Stop a deployment with rollback, while the run holds the stack's lock.
async fn roll_back_deployment(cx: &Cx<'_>, arn: &str) -> Result<(), Error> {
    cx.before(&format!("rolling back ECS's deployment {}", deployment_name(arn))).await?;
    Ok(cx.ecs.roll_back_service_deployment(arn).await?)
}

/// A service deployment's id, the last part of its ARN.
fn deployment_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The service's newest service deployment, once it is the one rolling out `w`'s revision
/// (an update's deployment may be listed a moment after the update returns): its target
/// revision's task definition is read once, and the deployment's ARN kept in `confirmed`.
/// Any deployment will do when `w` names no revision (a rollback follows the one under way).
async fn ours(cx: &Cx<'_>, w: &Watch, confirmed: &mut Option<String>) -> Result<Option<ServiceDeployment>, Error> {
    let cluster = cx.inputs.outputs.cluster.as_str();
    let Some(d) = cx.ecs.latest_service_deployment(cluster, &w.name).await? else { return Ok(None) };
    if w.task_definition.is_empty() || confirmed.as_deref() == Some(d.arn.as_str()) {
        return Ok(Some(d));
    }
    let runs = match &d.target_revision {
        Some(revision) => cx.ecs.revision_task_definition(revision).await?,
        None => None,
    };
    if runs.as_deref() != Some(w.task_definition.as_str()) {
        return Ok(None);
    }
    *confirmed = Some(d.arn.clone());
    Ok(Some(d))
}

/// Stopped tasks of the new revision seen so far: how many ECS counted as failed, those
/// reported, and those that made a crash loop.
#[derive(Default)]
struct Crashes {
    failed: u32,
    known: BTreeSet<String>,
    stopped: Vec<StoppedTask>,
}

/// The gate that fails a running rollout now, if one does: a crash loop among the new
/// revision's stopped tasks (read when ECS counts another failed one), an alarm gone to
/// ALARM, or the deploy timeout.
async fn gates(cx: &Cx<'_>, w: &Watch, s: &ServiceState, started: Instant, crashes: &mut Crashes) -> Result<Option<Stopping>, Error> {
    let failed = failed_tasks(s, &w.task_definition);
    if failed > crashes.failed {
        crashes.failed = failed;
        let cluster = cx.inputs.outputs.cluster.as_str();
        if let Some(Outcome::Failed { reason, stopped, .. }) = stopped_news(cx.ecs, cluster, w, s, &mut crashes.known, cx.r).await? {
            crashes.stopped = stopped;
            return Ok(Some(Stopping { reason, timed_out: false }));
        }
    }
    if let Some(reason) = cx.alarms.tripped(&[w.name.as_str()]).await?.into_values().next() {
        return Ok(Some(Stopping { reason, timed_out: false }));
    }
    Ok((started.elapsed() >= w.timeout).then(|| Stopping {
        reason: format!("not done within {} (deploy.timeout)", humantime::format_duration(w.timeout)),
        timed_out: true,
    }))
}

fn rolling_back(cx: &Cx<'_>, w: &Watch, reason: &str) {
    cx.r.event(&Event::Step { message: format!("rollback: {}: {reason}; ECS returns the traffic to the old revision", w.name) });
}

/// How a native rollout that did not complete ended: the gate that stopped it, if one did,
/// says why; else ECS's reason (its circuit breaker, its alarms, a rollback from elsewhere).
fn ended(
    w: &Watch,
    started: Instant,
    why: Option<&Stopping>,
    ecs_reason: String,
    rolled_back: bool,
    stopped: Vec<StoppedTask>,
    cx: &Cx<'_>,
) -> Outcome {
    if why.is_some_and(|s| s.timed_out) && rolled_back {
        cx.r.event(&Event::Rollout { service: w.name.clone(), outcome: RolloutEnd::TimedOut, detail: None });
        return Outcome::TimedOut { waited_secs: started.elapsed().as_secs() };
    }
    let reason = why.map_or(ecs_reason, |s| s.reason.clone());
    let end = if rolled_back { RolloutEnd::RolledBack } else { RolloutEnd::Failed };
    cx.r.event(&Event::Rollout { service: w.name.clone(), outcome: end, detail: Some(reason.clone()) });
    Outcome::Failed { reason, rolled_back, stopped }
}

/// At the pause after test traffic moved to the new revision: its HTTP check through the
/// test rule (once per run), then, with `deploy.approve`, the hold for approval.
async fn at_pause(cx: &Cx<'_>, svc: &Service, w: &Watch, checked: &mut bool) -> Result<AtPause, Error> {
    if !*checked {
        if let (Some(check), Some(http)) = (&svc.deploy.check, cx.checks.of(svc)) {
            let route = test_route(cx, svc).await?;
            cx.r.event(&Event::Step {
                message: format!("check: {} GET {} through the test rule → {}", w.name, http.target(&check.path), check.expect),
            });
            if let Err(why) = http.until(check, svc.deploy.timeout, route.as_ref()).await {
                if http.out_of_reach(&why) {
                    cx.r.event(&Event::Warning { message: http.out_of_reach_warning(&w.name, &why) });
                } else {
                    return Ok(AtPause::RollBack(format!("HTTP check failed: {}", why.why)));
                }
            }
        }
        *checked = true;
    }
    if !svc.deploy.rollout.approve() {
        return Ok(AtPause::GoOn);
    }
    Ok(match approval::hold(cx, svc, &w.name, &w.task_definition, 0).await? {
        Held::Approved => {
            approval::spent(cx, &w.name).await?;
            AtPause::GoOn
        }
        Held::Left => AtPause::Left,
        Held::Refused(reason) => AtPause::RollBack(reason),
    })
}

/// The test route to the revision ECS rolls out, read from the service's test rule (`None`
/// without one).
async fn test_route(cx: &Cx<'_>, svc: &Service) -> Result<Option<TestRoute>, Error> {
    let out = cx.inputs.outputs.service(cx.inputs.model.stack.as_str(), &svc.name)?;
    let Some(rule) = &out.test_rule else { return Ok(None) };
    Ok(Some(http_check::test_route(cx.elbv2, rule, format!("{}'s new revision", svc.name)).await?))
}

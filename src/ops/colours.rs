//! Canary and blue/green rollouts: the new revision on the idle colour's ECS service and
//! target group, traffic moved on the service's listener rules step by step (`rollout::steps`),
//! each step judged by the gates (`rollout::evaluate`), and at the end the old colour scaled
//! to zero — or, when a gate fails or anything else does once traffic has begun to move (an
//! AWS error: credentials that expired mid-bake), all traffic back on the old colour at once
//! and the new one scaled to zero, each of those writes tried again with backoff
//! (`rollout::backoff`). Deployed state (the rules' weights and the colours' services) is all
//! there is to know: a run that stopped half-way is picked up by the next (`rollout::resume`).

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::approval::{self, Held};
use super::http_check::{self, HttpCheck};
use super::interrupt::move_guard;
use super::runner::Cx;
use super::{Error, ReturnFailed, Returned, RulesLeft};
use crate::aws::ecs::Ecs;
use crate::aws::AwsError;
use crate::events::{Event, Reporter};
use crate::human::plural;
use crate::model::{ByColour, Check, Colour, Service, Shift, Weights};
use crate::observe::TASK_DEFINITION_TAG;
use crate::rollout::{self, Gates, Observation, Outcome, Step, Verdict};
use crate::synth::ids::ServiceIds;
use crate::workload::outputs::MissingOutput;
use crate::workload::render::{self};
use crate::workload::scaling;
use crate::workload::{revision_name, ServiceConfig, StoppedTask, TargetHealth, TestRoute};

/// How often a step is looked at.
const POLL: Duration = Duration::from_secs(1);

/// One two-colour rollout: `svc` to `task_definition`, from the `old` colour to the other,
/// starting at the step whose weight is `from_weight` (0 for a new rollout).
pub struct Job<'a> {
    pub svc: &'a Service,
    pub task_definition: String,
    pub old: Colour,
    /// Whether the new colour runs `task_definition` already (a rollout picked up again):
    /// then steps only scale it.
    pub new_current: bool,
    pub from_weight: u8,
    /// Whether the new colour's ECS service exists already.
    pub new_exists: bool,
    /// Switch all traffic at once once the new colour is healthy (a rollback), whatever the
    /// service's strategy.
    pub at_once: bool,
    /// The tag the new colour's service gets with the revision (`observe::TASK_DEFINITION_TAG`).
    pub tag: Option<String>,
}

impl Job<'_> {
    fn new_colour(&self) -> Colour {
        self.old.other()
    }
}

/// The listener rules and target groups of a two-colour service, and what ecship last set
/// each rule to.
struct Routing {
    rules: Vec<String>,
    target_groups: ByColour<String>,
    /// The test rules that reach blue and green (with test rules).
    test_rules: Vec<String>,
    /// Each rule's weights as last set (`None`: not known — a write failed without an
    /// answer, so it may or may not have taken effect). Written by `shift` only.
    set: Mutex<Vec<Option<Weights>>>,
}

impl Routing {
    /// `now`: the weights every rule has now, when known.
    fn of(cx: &Cx, svc: &Service, now: Option<Weights>) -> Result<Self, Error> {
        let out = cx.inputs.outputs.service(cx.inputs.model.stack.as_str(), &svc.name)?;
        let group = |i: usize| out.target_groups.get(i).cloned().unwrap_or_default();
        let set = Mutex::new(vec![now; out.rules.len()]);
        let (rules, test_rules) = (out.rules.clone(), out.test_rules.clone());
        Ok(Self { rules, target_groups: ByColour { blue: group(0), green: group(1) }, test_rules, set })
    }

    /// The test route to colour `c` of `svc`, read from its test rule.
    async fn test_route(&self, cx: &Cx<'_>, svc: &Service, c: Colour) -> Result<TestRoute, Error> {
        let reaches = svc.colour_service(c);
        let Some(rule) = self.test_rules.get(usize::from(c == Colour::Green)) else {
            let key = format!("{} (test_rules)", ServiceIds::new(&svc.name.logical()).output());
            return Err(MissingOutput { stack: cx.inputs.model.stack.to_string(), key }.into());
        };
        Ok(http_check::test_route(cx.elbv2, rule, reaches).await?)
    }

    /// Whether any rule may send traffic to `new` (or is not known not to): a move began.
    fn moved(&self, new: Colour) -> bool {
        let rules = self.left();
        rules.0.iter().any(|w| w.is_none_or(|w| w.of(new) > 0))
    }

    /// Where the rules are, as far as ecship knows.
    fn left(&self) -> RulesLeft {
        RulesLeft(self.set.lock().map(|s| s.clone()).unwrap_or_else(|_| vec![None; self.rules.len()]))
    }

    /// Send `share` percent of the traffic to `new`, the rest to the other colour. Spawned,
    /// holding a move guard, so that dropping this future (Ctrl-C) does not stop the move
    /// half-way. A rule whose write fails stops the move there: the rules before it are on
    /// the new split, those after it where they were, and it too unless the write went
    /// unanswered (then it is not known).
    async fn shift(&self, cx: &Cx<'_>, svc: &Service, new: Colour, share: u8) -> Result<(), AwsError> {
        let weights = Weights::towards(new, share);
        let forward = [Colour::Blue, Colour::Green].map(|c| (self.target_groups.get(c).clone(), weights.of(c)));
        let (elbv2, rules) = (cx.elbv2.clone(), self.rules.clone());
        let under_way = move_guard().await;
        let moved = tokio::spawn(async move {
            let _under_way = under_way;
            for (i, rule) in rules.iter().enumerate() {
                if let Err(e) = elbv2.set_weights(rule, &forward).await {
                    return (i, Err(e));
                }
            }
            (rules.len(), Ok(()))
        });
        // A move that ended early (a panic) leaves every rule unknown.
        let (done, result, known) = match moved.await {
            Ok((done, result)) => (done, result, self.rules.len()),
            Err(e) => (0, Err(AwsError::Other(format!("moving traffic of {}: {e}", svc.name))), 0),
        };
        if let Ok(mut set) = self.set.lock() {
            for (i, rule) in set.iter_mut().enumerate() {
                if i < done {
                    *rule = Some(weights);
                } else if (i == done && result.as_ref().is_err_and(|e| !e.refused())) || i >= known {
                    *rule = None;
                }
            }
        }
        result?;
        cx.r.event(&Event::Traffic { service: svc.name.to_string(), blue: weights.blue, green: weights.green });
        Ok(())
    }
}

fn colour(cx: &Cx, svc: &Service, c: Colour, count: u32) -> Result<ServiceConfig, Error> {
    let base = render::service_config(cx.inputs, svc)?;
    let mut config = render::colour_config(cx.inputs, svc, base, c)?;
    config.desired_count = count;
    // The rollout sets the new colour's count at each step: autoscaling takes it over only
    // with the traffic, so an update must not leave the count where it was (0).
    config.count_managed = false;
    Ok(config)
}

/// Run one two-colour rollout to its end: stable, or rolled back with the failing gate named.
/// Whatever fails once traffic has begun to move (a gate, or an error: AWS refusing expired
/// credentials mid-bake), all of it goes back on the old colour before the run returns.
pub async fn run(cx: &Cx<'_>, job: &Job<'_>) -> Result<Outcome, Error> {
    let svc = job.svc;
    let routing = Routing::of(cx, svc, Some(Weights::towards(job.new_colour(), job.from_weight)))?;
    let walked = match walk(cx, job, &routing).await {
        Ok(walked) => walked,
        // A run that lost the stack's lock writes nothing more: the run holding it now finds
        // the rollout half-way and carries it on or returns it.
        Err(e @ Error::Lock(_)) => return Err(e),
        Err(e) if routing.moved(job.new_colour()) => return Err(abort(cx, job, &routing, e.to_string()).await),
        Err(e) => return Err(e),
    };
    match walked {
        Walked::Held { revision } => return Ok(Outcome::Held { revision }),
        Walked::Failed { reason, stopped } => {
            return match roll_back(cx, job, &routing).await {
                failed @ Returned::Failed(_) => {
                    Err(Error::Aborted { service: svc.name.to_string(), cause: reason, returned: Box::new(failed) })
                }
                _ => Ok(Outcome::Failed { reason, rolled_back: true, stopped }),
            };
        }
        Walked::Through => {}
    }
    // The new colour has all the traffic: the old one goes, and its autoscaling with it.
    if svc.deploy.rollout.approve() {
        approval::spent(cx, &svc.colour_service(job.new_colour())).await?;
    }
    let old = colour(cx, svc, job.old, 0)?;
    cx.before(&format!("scaling {} of {} to zero", job.old, svc.name)).await?;
    hand_over_scaling(cx, svc, job.old).await?;
    cx.ecs.scale(&old.cluster, &old.name, 0).await?;
    cx.r.event(&Event::Step { message: format!("{}: {} has all the traffic; {} scaled to zero", svc.name, job.new_colour(), job.old) });
    Ok(Outcome::Stable)
}

/// How a rollout's steps ended.
enum Walked {
    /// Every step passed: the new colour has all the traffic.
    Through,
    /// Left held for approval (`deploy --wait-until held`).
    Held { revision: String },
    /// A gate failed, or the rollout was refused while held.
    Failed { reason: String, stopped: Vec<StoppedTask> },
}

/// The rollout's steps, from the one at `job.from_weight`, each watched until its gates pass.
async fn walk(cx: &Cx<'_>, job: &Job<'_>, routing: &Routing) -> Result<Walked, Error> {
    let svc = job.svc;
    let Some(t) = svc.deploy.rollout.two_colour() else { return Ok(Walked::Through) };
    let (shift, bake) = if job.at_once { (&Shift::BlueGreen, Duration::ZERO) } else { (&t.shift, t.bake) };
    let steps = rollout::steps(shift, bake, cx.inputs.count(svc), svc.test_rules.is_some() && svc.deploy.check.is_some());
    let mut new_colour = NewColour { exists: job.new_exists, current: job.new_current };
    let mut share = job.from_weight;
    for (i, step) in steps.iter().enumerate().filter(|(_, s)| s.weight >= job.from_weight) {
        // Production traffic moves in full only once approved (`deploy.approve`).
        if i > 0 && step.weight == 100 && svc.deploy.rollout.approve() && !job.at_once {
            let name = svc.colour_service(job.new_colour());
            match approval::hold(cx, svc, &name, &job.task_definition, share).await? {
                Held::Approved => {}
                Held::Left => return Ok(Walked::Held { revision: revision_name(&job.task_definition).to_string() }),
                Held::Refused(reason) => return Ok(Walked::Failed { reason, stopped: vec![] }),
            }
        }
        cx.r.event(&Event::Step {
            message: format!(
                "{}: step {}/{}: {} task{} on {}, {} % of the traffic",
                svc.name,
                i + 1,
                steps.len(),
                step.tasks,
                plural(step.tasks),
                job.new_colour(),
                step.weight
            ),
        });
        let config = colour(cx, svc, job.new_colour(), step.tasks)?;
        cx.before(&format!("step {}/{} of the rollout of {}", i + 1, steps.len(), svc.name)).await?;
        new_colour.put(cx.ecs, config.clone(), &job.task_definition, job.tag.as_deref()).await?;
        if let StepEnd::Failed { reason, stopped } = watch_step(cx, job, routing, step, &config).await? {
            return Ok(Walked::Failed { reason, stopped });
        }
        share = step.weight;
    }
    Ok(Walked::Through)
}

/// An autoscaled two-colour service's scaling, from `old` to the other colour (which has
/// the traffic now).
pub async fn hand_over_scaling(cx: &Cx<'_>, svc: &Service, old: Colour) -> Result<(), Error> {
    let Some(want) = scaling::render(cx.inputs, svc, Some(old.other()))? else { return Ok(()) };
    let (from, to) = (svc.colour_service(old), svc.colour_service(old.other()));
    cx.scaler.hand_over(&cx.inputs.outputs.cluster, &from, &to, &want).await?;
    Ok(())
}

/// The new colour's ECS service as a rollout goes: created at the first step (unless it
/// exists), put on the revision at the first step (unless it runs it), scaled at the others.
struct NewColour {
    exists: bool,
    current: bool,
}

impl NewColour {
    async fn put(&mut self, ecs: &Ecs, mut config: ServiceConfig, task_definition: &str, tag: Option<&str>) -> Result<(), AwsError> {
        if !self.exists {
            if let Some(tag) = tag {
                config.tags.insert(TASK_DEFINITION_TAG.into(), tag.to_string());
            }
            ecs.create_service(&config, task_definition).await?;
        } else if !self.current {
            // The colour takes the spec's capacity whatever it had (a new deployment starts anyway).
            let arn = ecs.update_service(&config, task_definition, true).await?;
            if let Some(tag) = tag {
                ecs.tag_service(&arn, TASK_DEFINITION_TAG, tag).await?;
            }
        } else {
            ecs.scale(&config.cluster, &config.name, config.desired_count).await?;
        }
        (self.exists, self.current) = (true, true);
        Ok(())
    }
}

enum StepEnd {
    Passed,
    Failed { reason: String, stopped: Vec<StoppedTask> },
}

/// Watch one step until its gates pass or fail: traffic moves to the new colour once it is
/// complete and healthy, and the bake runs from then.
async fn watch_step(cx: &Cx<'_>, job: &Job<'_>, routing: &Routing, step: &Step, config: &ServiceConfig) -> Result<StepEnd, Error> {
    let svc = job.svc;
    // Without traffic (blue/green before the switch), the check goes through the test rule.
    let check = svc.deploy.check.as_ref().zip(cx.checks.of(svc));
    let test_route = if step.weight == 0 && svc.test_rules.is_some() && check.is_some() {
        Some(routing.test_route(cx, svc, job.new_colour()).await?)
    } else {
        None
    };
    let mut probe = Probe::new(check, test_route, step.weight > 0);
    // Whether the service is behind the load balancer (target health counts).
    let targets = svc.port.is_some() && !svc.routes.is_empty();
    let started = Instant::now();
    let mut healthy_since: Option<Duration> = None;
    loop {
        tokio::time::sleep(POLL).await;
        let elapsed = started.elapsed();
        let state = cx.ecs.describe_services(&config.cluster, std::slice::from_ref(&config.name)).await?;
        let running = state.first().map_or(0, |s| s.running);
        let health =
            if targets { cx.elbv2.target_health(routing.target_groups.get(job.new_colour())).await? } else { TargetHealth::default() };
        let (healthy, unhealthy) = (health.healthy, health.unhealthy);
        // Tasks ECS stopped to scale the colour down (an earlier rollback) are no failures.
        let mut stopped = cx.ecs.stopped_tasks(&config.cluster, &config.name, &job.task_definition).await?;
        stopped.retain(rollout::crashed);
        let complete = running >= step.tasks && (!targets || healthy >= step.tasks);
        if complete && healthy_since.is_none() {
            if step.weight > 0 {
                cx.before(&format!("moving {} % of the traffic of {} to {}", step.weight, svc.name, job.new_colour())).await?;
                routing.shift(cx, svc, job.new_colour(), step.weight).await?;
            }
            healthy_since = Some(elapsed);
        }
        if healthy_since.is_some() {
            probe.maybe(svc.name.as_str(), cx.r).await;
        }
        // A check dropped as out of reach (an internal load balancer) no longer gates.
        let gates = Gates { http_failures: probe.failures_allowed(), timeout: svc.deploy.timeout, targets };
        let alarm = cx.alarms.tripped(&[svc.name.as_str()]).await?.into_values().next();
        let obs = Observation {
            elapsed,
            running,
            healthy,
            unhealthy,
            unhealthy_why: health.reasons,
            stopped: stopped.iter().map(|t| t.reason.clone()).collect(),
            http_failures: probe.failures,
            http_last: probe.last.clone(),
            http_passes: probe.passes,
            alarm,
        };
        cx.r.event(&Event::Progress {
            service: config.name.clone(),
            running,
            desired: step.tasks,
            deployments: state.first().map_or(0, |s| s.deployments.len()),
            rollout: Some(format!("{} % of the traffic", step.weight)),
        });
        match rollout::evaluate(step, &gates, &obs, healthy_since) {
            Verdict::Wait => {}
            Verdict::Pass => return Ok(StepEnd::Passed),
            Verdict::Fail(reason) => return Ok(StepEnd::Failed { reason, stopped }),
        }
    }
}

/// The HTTP check of one step: probed every `check.interval` once the new colour is healthy,
/// through its test rule before it has traffic.
struct Probe<'a> {
    /// The spec's check and where it goes; `None` when there is nothing to probe in this step.
    check: Option<(&'a Check, HttpCheck)>,
    test_route: Option<TestRoute>,
    failures: u32,
    passes: u32,
    last: Option<String>,
    last_at: Option<Instant>,
}

impl<'a> Probe<'a> {
    fn new(check: Option<(&'a Check, HttpCheck)>, test_route: Option<TestRoute>, has_traffic: bool) -> Self {
        let probing = has_traffic || test_route.is_some();
        Self { check: check.filter(|_| probing), test_route, failures: 0, passes: 0, last: None, last_at: None }
    }

    /// Failures in a row that fail the step (0: no HTTP check in it).
    fn failures_allowed(&self) -> u32 {
        self.check.as_ref().map_or(0, |(c, _)| c.failures)
    }

    /// Probe, unless the last probe was less than the check's interval ago. A check that
    /// cannot reach an internal load balancer from here is dropped, saying so.
    async fn maybe(&mut self, service: &str, r: &dyn Reporter) {
        let Some((c, http)) = &self.check else { return };
        if self.last_at.is_some_and(|t| t.elapsed() < c.interval) {
            return;
        }
        self.last_at = Some(Instant::now());
        match http.probe(&c.path, c.expect, self.test_route.as_ref()).await {
            Ok(()) => {
                self.failures = 0;
                self.passes += 1;
            }
            Err(miss) if http.out_of_reach(&miss) => {
                r.event(&Event::Warning { message: http.out_of_reach_warning(service, &miss) });
                self.check = None;
            }
            Err(miss) => {
                self.failures += 1;
                self.last = Some(miss.why);
            }
        }
    }
}

/// A rollout that failed with its traffic split or moving: all of it back on the old colour
/// (as `roll_back` does), and the error naming the cause and where the traffic went.
async fn abort(cx: &Cx<'_>, job: &Job<'_>, routing: &Routing, cause: String) -> Error {
    let svc = job.svc;
    cx.r.event(&Event::Step { message: format!("rollback: {}: {cause}; putting all traffic back on {}", svc.name, job.old) });
    let returned = roll_back(cx, job, routing).await;
    Error::Aborted { service: svc.name.to_string(), cause, returned: Box::new(returned) }
}

/// All traffic back on the old colour at once, then the new colour to zero; each write tried
/// again with backoff (`rollout::backoff`) before it counts as failed.
async fn roll_back(cx: &Cx<'_>, job: &Job<'_>, routing: &Routing) -> Returned {
    let (svc, back) = (job.svc, job.old);
    let command = || format!("ecship rollback {} --service {}", if cx.spec.is_empty() { "FILE" } else { cx.spec }, svc.name);
    if let Err(e) = cx.before(&format!("moving the traffic of {} back to {back}", svc.name)).await {
        return Returned::Failed(ReturnFailed { colour: back, why: e.to_string(), left: routing.left(), command: command() });
    }
    if let Err(e) = retried(|| routing.shift(cx, svc, back, 100)).await {
        return Returned::Failed(ReturnFailed { colour: back, why: e.to_string(), left: routing.left(), command: command() });
    }
    let idle = svc.colour_service(job.new_colour());
    match retried(|| cx.ecs.scale(&cx.inputs.outputs.cluster, &idle, 0)).await {
        Ok(()) => Returned::AllBack { colour: back },
        Err(e) => {
            let returned = Returned::IdleUp { colour: back, idle, why: e.to_string() };
            cx.r.event(&Event::Warning { message: format!("{}: {returned}", svc.name) });
            returned
        }
    }
}

/// `write` until it succeeds, at most `rollout::ROLLBACK_ATTEMPTS` times, waiting longer
/// before each try: a call the SDK gave up on (expired credentials, which its provider
/// resolves afresh for the next call; an outage) gets another chance.
async fn retried<F, Fut>(mut write: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    let mut attempt = 1;
    loop {
        tokio::time::sleep(rollout::backoff(attempt)).await;
        match write().await {
            Err(_) if attempt < rollout::ROLLBACK_ATTEMPTS => attempt += 1,
            done => return done,
        }
    }
}

/// Return traffic to the old colour and scale the new one to zero, for a rollout an earlier
/// run left half-way towards a revision no longer wanted (or `ecship rollback` undoes).
pub async fn abandon(cx: &Cx<'_>, job: &Job<'_>) -> Result<(), Error> {
    let routing = Routing::of(cx, job.svc, None)?;
    match roll_back(cx, job, &routing).await {
        Returned::Failed(failed) => Err(Error::NotReturned { service: job.svc.name.to_string(), failed: Box::new(failed) }),
        Returned::AllBack { .. } | Returned::IdleUp { .. } => Ok(()),
    }
}

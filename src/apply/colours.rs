//! Canary and blue/green rollouts: the new revision on the idle colour's ECS service and
//! target group, traffic moved on the service's listener rules step by step (`rollout::steps`),
//! each step judged by the gates (`rollout::evaluate`), and at the end the old colour scaled
//! to zero — or, when a gate fails, all traffic back on the old colour at once and the new
//! one scaled to zero. Deployed state (the rules' weights and the colours' services) is all
//! there is to know: a run that stopped half-way is picked up by the next (`rollout::resume`).

use std::time::{Duration, Instant};

use super::wait::Outcome;
use super::DeployError;
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::AwsError;
use crate::events::{Event, Reporter};
use crate::model::{Service, Strategy, COLOUR_HEADER};
use crate::rollout::{self, Colour, Gates, Observation, Verdict};
use crate::workload::render::{self, Inputs};
use crate::workload::{ServiceConfig, StoppedTask};

/// How often a step is looked at.
const POLL: Duration = Duration::from_secs(1);

/// Traffic moves under way. A move sets every rule of a service, one ModifyRule each (ELB has
/// no call that sets several); once begun it runs to its end even when the run is
/// interrupted, and an interrupted run waits for it (`settle`), so Ctrl-C never leaves a
/// service's rules on different splits.
static MOVES: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Wait until no traffic move is under way: the first thing an interrupted run does.
pub async fn settle() {
    drop(MOVES.write().await);
}

/// Where the HTTP check goes: the load balancer's URL, or an endpoint given instead.
pub struct HttpCheck {
    pub base: String,
    http: reqwest::Client,
}

impl HttpCheck {
    pub fn new(base: &str) -> Option<Self> {
        let http = crate::http::client(reqwest::Client::builder().timeout(Duration::from_secs(5))).ok()?;
        Some(Self { base: base.trim_end_matches('/').to_string(), http })
    }

    /// `Ok(())` when the answer has the expected status; else what came back. `colour` is
    /// the ECS service name of a colour to reach through its test rule, not the live traffic.
    async fn probe(&self, path: &str, expect: u16, colour: Option<&str>) -> Result<(), String> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.get(&url);
        if let Some(c) = colour {
            request = request.header(COLOUR_HEADER, c);
        }
        let to = colour.map(|c| format!(" ({COLOUR_HEADER}: {c})")).unwrap_or_default();
        match request.send().await {
            Ok(resp) if resp.status().as_u16() == expect => Ok(()),
            Ok(resp) => Err(format!("GET {url}{to}: {}, expected {expect}", resp.status().as_u16())),
            Err(e) => Err(format!("GET {url}{to}: {}", e.without_url())),
        }
    }
}

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
}

pub struct Cx<'a> {
    pub ecs: &'a Ecs,
    pub elbv2: &'a Elbv2,
    pub inputs: &'a Inputs<'a>,
    pub check: Option<&'a HttpCheck>,
    pub r: &'a dyn Reporter,
}

/// The rules and target groups (blue, green) of a two-colour service.
struct Routing {
    rules: Vec<String>,
    groups: [String; 2],
}

impl Routing {
    fn of(cx: &Cx, svc: &Service) -> Result<Self, DeployError> {
        let out = cx.inputs.outputs.service(cx.inputs.model.stack.as_str(), &svc.name)?;
        let group = |i: usize| out.target_groups.get(i).cloned().unwrap_or_default();
        Ok(Self { rules: out.rules.clone(), groups: [group(0), group(1)] })
    }

    fn group(&self, c: Colour) -> &str {
        &self.groups[usize::from(c == Colour::Green)]
    }

    /// Send `new_weight` percent of the traffic to `new`, the rest to the other colour.
    async fn shift(&self, cx: &Cx<'_>, svc: &Service, new: Colour, new_weight: u8) -> Result<(), AwsError> {
        let old_weight = 100 - new_weight;
        let weights = [(self.group(new.other()).to_string(), i32::from(old_weight)), (self.group(new).to_string(), i32::from(new_weight))];
        let (elbv2, rules) = (cx.elbv2.clone(), self.rules.clone());
        let under_way = MOVES.read().await;
        // Spawned, so that dropping this future (Ctrl-C) does not stop the move half-way.
        let moved = tokio::spawn(async move {
            let _under_way = under_way;
            for rule in &rules {
                elbv2.set_weights(rule, &weights).await?;
            }
            Ok::<_, AwsError>(())
        });
        moved.await.map_err(|e| AwsError::Other(format!("moving traffic of {}: {e}", svc.name)))??;
        let (blue, green) = if new == Colour::Green { (old_weight, new_weight) } else { (new_weight, old_weight) };
        cx.r.event(&Event::Traffic { service: svc.name.to_string(), blue, green });
        Ok(())
    }
}

fn colour(cx: &Cx, svc: &Service, c: Colour, count: u32) -> Result<ServiceConfig, DeployError> {
    let base = render::service_config(cx.inputs, svc)?;
    let mut config = render::colour_config(cx.inputs, svc, base, c)?;
    config.desired_count = count;
    Ok(config)
}

/// Run one two-colour rollout to its end: stable, or rolled back with the failing gate named.
pub async fn run(cx: &Cx<'_>, job: &Job<'_>) -> Result<Outcome, DeployError> {
    let svc = job.svc;
    let new = job.old.other();
    let routing = Routing::of(cx, svc)?;
    let check = svc.deploy.check.as_ref();
    let gates = Gates {
        http_failures: match (check, cx.check) {
            (Some(c), Some(_)) => c.failures,
            _ => 0,
        },
        timeout: svc.deploy.timeout,
        targets: svc.port.is_some() && !svc.routes.is_empty(),
    };
    let strategy = if job.at_once { Strategy::BlueGreen { bake: Duration::ZERO } } else { svc.deploy.strategy.clone() };
    let steps = rollout::steps(&strategy, svc.count);
    let total = steps.len();
    let mut created = job.new_exists;
    let mut deployed = job.new_current;
    for (i, step) in steps.iter().enumerate().filter(|(_, s)| s.weight >= job.from_weight) {
        cx.r.event(&Event::Step {
            message: format!(
                "{}: step {}/{total}: {} task{} on {}, {} % of the traffic",
                svc.name,
                i + 1,
                step.tasks,
                if step.tasks == 1 { "" } else { "s" },
                new.name(),
                step.weight
            ),
        });
        let config = colour(cx, svc, new, step.tasks)?;
        if !created {
            cx.ecs.create_service(&config, &job.task_definition).await?;
            created = true;
        } else if !deployed {
            // The first step puts the revision on the colour; later ones only scale it.
            cx.ecs.update_service(&config, &job.task_definition).await?;
        } else {
            cx.ecs.scale(&config.cluster, &config.name, step.tasks).await?;
        }
        deployed = true;
        let started = Instant::now();
        let mut healthy_since: Option<Duration> = None;
        let (mut http_failures, mut http_passes, mut http_last, mut last_probe) = (0u32, 0u32, None, None::<Instant>);
        // Without traffic (blue/green before the switch), the check goes through the test rule.
        let test_route = (step.weight == 0 && svc.test_rules.is_some()).then(|| config.name.clone());
        let probing = step.weight > 0 || test_route.is_some();
        let gates = Gates { http_failures: if probing { gates.http_failures } else { 0 }, ..gates.clone() };
        loop {
            tokio::time::sleep(POLL).await;
            let elapsed = started.elapsed();
            let state = cx.ecs.describe_services(&config.cluster, std::slice::from_ref(&config.name)).await?;
            let running = state.first().map_or(0, |s| s.running);
            let deployments = state.first().map_or(0, |s| s.deployments.len());
            let (healthy, unhealthy) = if gates.targets { cx.elbv2.target_health(routing.group(new)).await? } else { (0, 0) };
            // Tasks ECS stopped to scale the colour down (an earlier rollback) are no failures.
            let mut stopped_seen: Vec<StoppedTask> = cx.ecs.stopped_tasks(&config.cluster, &config.name, &job.task_definition).await?;
            stopped_seen.retain(|t| !t.reason.starts_with("Scaling activity"));
            let complete = running >= step.tasks && (!gates.targets || healthy >= step.tasks);
            if complete && healthy_since.is_none() {
                if step.weight > 0 {
                    routing.shift(cx, svc, new, step.weight).await?;
                }
                healthy_since = Some(elapsed);
            }
            if let (Some(c), Some(http), true) = (check, cx.check, healthy_since.is_some() && probing) {
                if last_probe.is_none_or(|t| t.elapsed() >= c.interval) {
                    last_probe = Some(Instant::now());
                    match http.probe(&c.path, c.expect, test_route.as_deref()).await {
                        Ok(()) => {
                            http_failures = 0;
                            http_passes += 1;
                        }
                        Err(e) => {
                            http_failures += 1;
                            http_last = Some(e);
                        }
                    }
                }
            }
            let obs = Observation {
                elapsed,
                running,
                healthy,
                unhealthy,
                stopped: stopped_seen.iter().map(|t| t.reason.clone()).collect(),
                http_failures,
                http_last: http_last.clone(),
                http_passes,
            };
            cx.r.event(&Event::Progress {
                service: config.name.clone(),
                running,
                desired: step.tasks,
                deployments,
                rollout: Some(format!("{} % of the traffic", step.weight)),
            });
            match rollout::evaluate(step, &gates, &obs, healthy_since) {
                Verdict::Wait => {}
                Verdict::Pass => break,
                Verdict::Fail(reason) => {
                    roll_back(cx, job, &routing).await?;
                    return Ok(Outcome::Failed { reason, rolled_back: true, stopped: stopped_seen });
                }
            }
        }
    }
    // The new colour has all the traffic: the old one goes.
    let old = colour(cx, svc, job.old, 0)?;
    cx.ecs.scale(&old.cluster, &old.name, 0).await?;
    cx.r.event(&Event::Step { message: format!("{}: {} has all the traffic; {} scaled to zero", svc.name, new.name(), job.old.name()) });
    Ok(Outcome::Stable)
}

/// All traffic back on the old colour at once, then the new colour to zero.
async fn roll_back(cx: &Cx<'_>, job: &Job<'_>, routing: &Routing) -> Result<(), DeployError> {
    let new = job.old.other();
    routing.shift(cx, job.svc, job.old, 100).await?;
    let config = colour(cx, job.svc, new, 0)?;
    cx.ecs.scale(&config.cluster, &config.name, 0).await?;
    Ok(())
}

/// Return traffic to the old colour and scale the new one to zero, for a rollout an earlier
/// run left half-way towards a revision no longer wanted.
pub async fn abandon(cx: &Cx<'_>, job: &Job<'_>) -> Result<(), DeployError> {
    let routing = Routing::of(cx, job.svc)?;
    roll_back(cx, job, &routing).await
}

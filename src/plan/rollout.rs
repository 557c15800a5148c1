//! The rollout part of a plan: the steps each changed service's rollout takes, as data, and
//! a rough duration from its health check and drain settings. The words are `render`'s.

use serde::{Deserialize, Serialize};

use super::services::SENSITIVE;
use crate::model::{Colour, Engine, Rollout, Service, Shift, StrategyName, TwoColour, COLOUR_HEADER};
use crate::rollout;

/// What a Fargate task takes to be pulled and started, before its first health check.
const TASK_START_SECS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutPlan {
    /// The ECS service.
    pub service: String,
    pub strategy: StrategyName,
    /// Who runs it: `ecs` for ECS's rolling update (rolling, doubling) and for canary, linear
    /// and blue/green rollouts ECS runs natively (`deploy.engine: ecs`); `ecship` when
    /// ecship moves the traffic.
    pub engine: Engine,
    /// On ecship's engine, the colour that has the traffic and the one the new revision
    /// comes up on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colours: Option<Colours>,
    /// The HTTP check that gates it (`deploy.check`), wherever its steps run it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckPlan>,
    pub steps: Vec<Step>,
    /// A rough estimate, in seconds.
    pub estimate_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colours {
    pub from: Colour,
    pub to: Colour,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckPlan {
    /// The path (and query) requested.
    pub path: String,
    pub expect: u16,
    pub interval_secs: u64,
    /// Failures in a row that fail it.
    pub failures: u32,
}

/// One step of a rollout, in the order it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// A new service's tasks start.
    Start { tasks: u32 },
    /// Until every task runs and passes its health checks.
    WaitHealthy,
    /// No new deployment: the running tasks stay and take the new settings; the count is
    /// `tasks`, or autoscaling's within `autoscaling`.
    InPlace {
        tasks: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        autoscaling: Option<Range>,
    },
    /// ECS's rolling update stops `tasks` old tasks and starts as many new.
    Replace { tasks: u32, min_healthy_percent: u32, max_percent: u32 },
    /// Once those pass their health checks, the rest is replaced the same way.
    ReplaceRest,
    /// ECS's rolling update starts `tasks` new tasks beside the old.
    StartBeside { tasks: u32, min_healthy_percent: u32, max_percent: u32 },
    /// Once the new tasks pass their health checks, the old ones drain and stop.
    StopOld,
    /// The new revision starts without production traffic: on the new colour, or (ECS's
    /// engine) in the idle target group. `test_rule`: the test rule its HTTP check reaches it
    /// through before it gets traffic.
    StartIdle {
        tasks: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        test_rule: Option<TestRule>,
    },
    /// The HTTP check: once steady, through the load balancer; or, with `test_rule`, while
    /// ECS pauses after moving test traffic.
    Check {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        test_rule: Option<TestRule>,
        on_failure: OnFailure,
    },
    /// Held until `ecship approve` (or `ecship rollback`); unanswered within the deploy
    /// timeout, it is rolled back.
    Approve { timeout_secs: u64 },
    /// `weight` percent of production traffic on the new revision (running `tasks` on
    /// ecship's engine), watched for `bake_secs` before the next step.
    Shift {
        weight: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tasks: Option<u32>,
        bake_secs: u64,
    },
    /// `step` percent more production traffic every `bake_secs` until all of it (ECS's linear).
    ShiftEvery { step: u8, bake_secs: u64 },
    /// All production traffic to the new revision at once, then baked for `bake_secs` with
    /// the old one ready to switch back.
    Switch { bake_secs: u64 },
    /// Baked for `bake_secs` with all traffic, the old revision ready to take it back.
    Bake { bake_secs: u64 },
    /// The old revision goes once the new one has all traffic.
    RetireOld,
    /// What happens when a gate fails: the rollout is rolled back at once.
    RollBackOnFailure,
    /// CloudWatch alarms going to ALARM roll it back.
    Alarms { alarms: Vec<String> },
}

/// The test rule an HTTP check reaches the new revision through: the header it sends, and
/// the header's value — which holds the stack's test-route secret, so it reads `(sensitive)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRule {
    pub header: String,
    pub value: String,
}

impl TestRule {
    pub fn sensitive() -> Self {
        Self { header: COLOUR_HEADER.to_string(), value: SENSITIVE.to_string() }
    }
}

/// An autoscaled service's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub min: u32,
    pub max: u32,
}

/// What a failing HTTP check does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Back to the previous revision.
    RollBack,
    /// A new service has none: the deploy fails.
    FailDeploy,
}

/// How a service changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A new service.
    Create,
    /// A new deployment: a new revision, or settings ECS can only change by replacing tasks.
    Redeploy,
    /// Settings the running deployment takes as they are (count, deployment settings).
    InPlace,
}

/// The steps of rolling `svc` out to `count` tasks; `live` is the colour that takes a
/// canary or blue/green service's traffic now.
pub fn plan(ecs_name: &str, svc: &Service, kind: Kind, live: Colour, count: u32) -> RolloutPlan {
    let healthy = svc.health_check.interval.as_secs() * u64::from(svc.health_check.healthy);
    let up = TASK_START_SECS + if svc.routes.is_empty() { 0 } else { healthy };
    let drain = if svc.routes.is_empty() { 0 } else { svc.drain.as_secs() };
    let rollout = &svc.deploy.rollout;
    let (mut steps, estimate) = match kind {
        Kind::Create => (vec![Step::Start { tasks: count }, Step::WaitHealthy], up),
        Kind::InPlace => {
            let autoscaling = svc.autoscaling.as_ref().map(|a| Range { min: a.min, max: a.max });
            (vec![Step::InPlace { tasks: count, autoscaling }], up)
        }
        Kind::Redeploy => match rollout {
            Rollout::Rolling => {
                let (min_healthy_percent, max_percent) = rollout.deployment_percents();
                let replace = Step::Replace { tasks: count.div_ceil(2), min_healthy_percent, max_percent };
                (vec![replace, Step::ReplaceRest, Step::RollBackOnFailure], 2 * (up + drain))
            }
            Rollout::Doubling => {
                let (min_healthy_percent, max_percent) = rollout.deployment_percents();
                let beside = Step::StartBeside { tasks: count, min_healthy_percent, max_percent };
                (vec![beside, Step::StopOld, Step::RollBackOnFailure], up + drain)
            }
            Rollout::TwoColour(t) => match t.engine {
                Engine::Ecs => native(svc, t, count, up, drain),
                Engine::Ecship => two_colours(svc, t, count, up, drain),
            },
        },
    };
    if let (Some(_), Kind::Redeploy | Kind::Create, false) = (&svc.deploy.check, kind, rollout.has_two_colours()) {
        let on_failure = if kind == Kind::Create { OnFailure::FailDeploy } else { OnFailure::RollBack };
        steps.push(Step::Check { test_rule: None, on_failure });
    }
    if !svc.deploy.alarms.is_empty() && kind == Kind::Redeploy {
        steps.push(Step::Alarms { alarms: svc.deploy.alarms.clone() });
    }
    let colours = (rollout.colour_services() && kind == Kind::Redeploy).then_some(Colours { from: live, to: live.other() });
    // The check is the plan's when a step runs it, or when it gates a step's bake.
    let checked = colours.is_some() || steps.iter().any(|s| matches!(s, Step::Check { .. } | Step::StartIdle { test_rule: Some(_), .. }));
    RolloutPlan {
        service: ecs_name.to_string(),
        strategy: rollout.name(),
        engine: rollout.engine().unwrap_or(Engine::Ecs),
        colours,
        check: svc.deploy.check.as_ref().filter(|_| checked).map(|c| CheckPlan {
            path: c.path.clone(),
            expect: c.expect,
            interval_secs: c.interval.as_secs(),
            failures: c.failures,
        }),
        steps,
        estimate_secs: estimate,
    }
}

/// The steps of a rollout ECS runs natively (`deploy.engine: ecs`), as ecship follows it.
fn native(svc: &Service, t: &TwoColour, count: u32, up: u64, drain: u64) -> (Vec<Step>, u64) {
    let mut steps = vec![Step::StartIdle { tasks: count, test_rule: None }];
    if let (Some(_), Some(_)) = (&svc.deploy.check, svc.test_rules) {
        steps.push(Step::Check { test_rule: Some(TestRule::sensitive()), on_failure: OnFailure::RollBack });
    }
    if t.approve {
        steps.push(Step::Approve { timeout_secs: svc.deploy.timeout.as_secs() });
    }
    let bake_secs = t.bake.as_secs();
    let mut estimate = up;
    match &t.shift {
        Shift::BlueGreen => {
            steps.push(Step::Switch { bake_secs });
            estimate += bake_secs;
        }
        Shift::Canary { .. } | Shift::Linear { .. } => {
            let weights = t.shift.weights();
            let first = weights.first().map_or(100, |p| p.get());
            steps.push(match &t.shift {
                Shift::Linear { step } => Step::ShiftEvery { step: step.get(), bake_secs },
                Shift::Canary { .. } | Shift::BlueGreen => Step::Shift { weight: first, tasks: None, bake_secs },
            });
            steps.push(Step::Bake { bake_secs });
            estimate += bake_secs * (weights.len() as u64);
        }
    }
    steps.push(Step::RetireOld);
    steps.push(Step::RollBackOnFailure);
    (steps, estimate + drain)
}

/// The steps of a canary or blue/green rollout from the live colour to the other.
fn two_colours(svc: &Service, t: &TwoColour, count: u32, up: u64, drain: u64) -> (Vec<Step>, u64) {
    let mut steps = Vec::new();
    let mut estimate = 0;
    let checked_first = svc.test_rules.is_some() && svc.deploy.check.is_some();
    for (i, step) in rollout::steps(&t.shift, t.bake, count, checked_first).iter().enumerate() {
        if i > 0 && step.weight == 100 && t.approve {
            steps.push(Step::Approve { timeout_secs: svc.deploy.timeout.as_secs() });
        }
        let bake_secs = step.bake.as_secs();
        steps.push(match (&t.shift, step.weight) {
            (_, 0) => Step::StartIdle { tasks: step.tasks, test_rule: checked_first.then(TestRule::sensitive) },
            (Shift::BlueGreen, _) => Step::Switch { bake_secs },
            (Shift::Canary { .. } | Shift::Linear { .. }, weight) => Step::Shift { weight, tasks: Some(step.tasks), bake_secs },
        });
        estimate += up + bake_secs;
    }
    steps.push(Step::RetireOld);
    steps.push(Step::RollBackOnFailure);
    (steps, estimate + drain)
}

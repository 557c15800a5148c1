//! The rollout part of a plan: the steps each changed service's strategy takes, and a
//! rough duration from its health check and drain settings.

use serde::{Deserialize, Serialize};

use crate::human::plural;
use crate::model::{Colour, Service, Strategy, COLOUR_HEADER};
use crate::rollout;

/// What happens when the new tasks of a rolling or doubling service fail.
const CRASH_LOOP: &str =
    "tasks of the new revision that keep stopping roll it back to the previous one at once (ECS's circuit breaker does too, with no one watching)";

/// What a Fargate task takes to be pulled and started, before its first health check.
const TASK_START_SECS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutPlan {
    pub service: String,
    pub strategy: String,
    /// `ecs` when ECS runs the rollout natively (`deploy.engine: ecs`); absent: ecship or
    /// ECS's rolling update, as the strategy says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    pub steps: Vec<String>,
    /// A rough estimate, in seconds.
    pub estimate_secs: u64,
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
    let (steps, estimate) = if kind == Kind::Create {
        (vec![format!("start {count} task{}", plural(count)), "wait until every task runs and passes its health checks".into()], up)
    } else if kind == Kind::InPlace {
        let adjusts = match &svc.autoscaling {
            Some(a) => format!("autoscaling keeps the count ({count} now, {}–{})", a.min, a.max),
            None => format!("ECS adjusts to {count} task{}", plural(count)),
        };
        (vec![format!("no new deployment: the running tasks stay; {adjusts} and the new settings")], up)
    } else {
        match &svc.deploy.strategy {
            Strategy::Rolling => {
                let batch = count.div_ceil(2);
                (
                    vec![
                        format!("stop {batch} old task{} and start {batch} new (min healthy 50 %, max 100 %)", plural(batch)),
                        "when they pass their health checks, replace the rest the same way".into(),
                        CRASH_LOOP.into(),
                    ],
                    2 * (up + drain),
                )
            }
            Strategy::Doubling => (
                vec![
                    format!("start {count} new task{} beside the old (min healthy 100 %, max 200 %)", plural(count)),
                    "when they pass their health checks, drain and stop the old tasks".into(),
                    CRASH_LOOP.into(),
                ],
                up + drain,
            ),
            Strategy::Canary { .. } | Strategy::BlueGreen { .. } if svc.native() => native(svc, count, up, drain),
            Strategy::Canary { .. } | Strategy::BlueGreen { .. } => two_colours(live, svc, count, up, drain),
        }
    };
    let mut steps = steps;
    if let (Some(c), Kind::Redeploy | Kind::Create, false) = (&svc.deploy.check, kind, svc.deploy.strategy.has_two_colours()) {
        let back = if kind == Kind::Create { "fail the deploy" } else { "roll back to the previous revision" };
        steps.push(format!(
            "once steady, the HTTP check through the load balancer (GET {} → {}, every {}): {} failure{} in a row {back}",
            c.path,
            c.expect,
            humantime::format_duration(c.interval),
            c.failures,
            plural(c.failures)
        ));
    }
    if !svc.deploy.alarms.is_empty() && kind == Kind::Redeploy {
        let n = svc.deploy.alarms.len();
        steps.push(format!(
            "alarm{} {}: going to ALARM while the rollout runs{} rolls it back",
            plural(n),
            svc.deploy.alarms.join(", "),
            match (svc.native(), svc.deploy.strategy.has_two_colours()) {
                (true, _) => " or bakes (ECS watches them too)",
                (false, true) => " or bakes",
                (false, false) => "",
            }
        ));
    }
    RolloutPlan {
        service: ecs_name.to_string(),
        strategy: svc.deploy.strategy.name().to_string(),
        engine: svc.native().then(|| "ecs".to_string()),
        steps,
        estimate_secs: estimate,
    }
}

/// The steps of a rollout ECS runs natively (`deploy.engine: ecs`), as ecship follows it.
fn native(svc: &Service, count: u32, up: u64, drain: u64) -> (Vec<String>, u64) {
    let every = |d: std::time::Duration| humantime::format_duration(d).to_string();
    let tasks = format!("{count} task{}", plural(count));
    let mut lines = vec![format!(
        "ECS ({} deployment) starts {tasks} of the new revision in the idle target group, without production traffic",
        svc.deploy.strategy.name()
    )];
    let mut estimate = up;
    if let (Some(c), Some(_)) = (&svc.deploy.check, svc.test_rules) {
        lines.push(format!(
            "test traffic moves to it and ECS pauses: ecship runs the HTTP check through the test rule (GET {} with {COLOUR_HEADER}: {} → {})",
            c.path,
            svc.next_revision_header(),
            c.expect
        ));
    }
    if svc.deploy.approve {
        lines.push(format!(
            "hold for approval before any production traffic: `ecship approve` lets ECS go on, `ecship rollback` rolls it back; unanswered within {}, ECS rolls it back",
            every(svc.deploy.timeout)
        ));
    }
    match &svc.deploy.strategy {
        Strategy::BlueGreen { bake } => {
            lines.push(format!(
                "ECS switches all production traffic to the new revision at once, then bakes for {}, the old revision ready to switch back",
                every(*bake)
            ));
            estimate += bake.as_secs();
        }
        Strategy::Canary { steps, bake, linear } => {
            let first = steps.first().map_or(100, |p| p.0);
            lines.push(if *linear {
                format!("ECS moves {first} % more production traffic to the new revision every {} until it has all of it", every(*bake))
            } else {
                format!("ECS sends {first} % of production traffic to the new revision for {}, then all of it", every(*bake))
            });
            lines.push(format!("ECS bakes for {}, the old revision ready to take the traffic back", every(*bake)));
            estimate += bake.as_secs() * (steps.len() as u64);
        }
        Strategy::Rolling | Strategy::Doubling => {}
    }
    lines.push("ECS stops the old revision once the bake is over".into());
    lines.push(
        "a crash loop or the deploy timeout makes ecship stop the deployment with rollback: ECS returns all traffic to the old revision at once; if this run ends, ECS carries on alone (its circuit breaker still rolls back)"
            .into(),
    );
    (lines, estimate + drain)
}

/// The steps of a canary or blue/green rollout from the live colour to the other.
fn two_colours(live: Colour, svc: &Service, count: u32, up: u64, drain: u64) -> (Vec<String>, u64) {
    let (old, new) = (live.name(), live.other().name());
    let gates = match &svc.deploy.check {
        Some(c) => format!("target health, stopped tasks and the HTTP check (GET {} → {})", c.path, c.expect),
        None => "target health and stopped tasks".to_string(),
    };
    let mut lines = Vec::new();
    let mut estimate = 0;
    let checked_first = svc.test_rules.is_some() && svc.deploy.check.is_some();
    for (i, step) in rollout::steps(&svc.deploy.strategy, count, checked_first).iter().enumerate() {
        let tasks = format!("{} task{}", step.tasks, plural(step.tasks));
        let bake = if step.bake.is_zero() {
            String::new()
        } else {
            format!(", then watch {} for {}", gates, humantime::format_duration(step.bake))
        };
        if i > 0 && step.weight == 100 && svc.deploy.approve {
            lines.push(format!(
                "hold for approval: `ecship approve` sends the rest of the traffic to {new}, `ecship rollback` returns it to {old}"
            ));
        }
        lines.push(match (&svc.deploy.strategy, step.weight) {
            (_, 0) => match (&svc.deploy.check, svc.test_rules) {
                (Some(c), Some(_)) => format!(
                    "start {tasks} of the new revision on {new}, without traffic; wait until healthy and the HTTP check passes through its test rule (GET {} with {COLOUR_HEADER}: {}-{new} → {})",
                    c.path, svc.name, c.expect
                ),
                _ => format!("start {tasks} of the new revision on {new}, without traffic, and wait until healthy"),
            },
            (Strategy::BlueGreen { .. }, _) => {
                format!("switch all traffic to {new} at once{bake}; {old} stays at full count, ready to switch back")
            }
            _ => format!("run {tasks} on {new} and send it {} % of the traffic{bake}", step.weight),
        });
        estimate += up + step.bake.as_secs();
    }
    lines.push(format!("scale {old} to zero once {new} has all traffic"));
    lines.push(format!("any failing gate ({gates}, or the deploy timeout) returns all traffic to {old} at once and scales {new} to zero"));
    (lines, estimate + drain)
}

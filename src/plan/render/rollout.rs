//! A rollout's steps in words: the one place the plan's rollout section becomes English.

use std::time::Duration;

use crate::human::plural;
use crate::model::{Engine, StrategyName};
use crate::plan::rollout::{CheckPlan, OnFailure, RolloutPlan, Step, TestRule};

/// What happens when the new tasks of a rolling or doubling service fail.
const CRASH_LOOP: &str =
    "tasks of the new revision that keep stopping roll it back to the previous one at once (ECS's circuit breaker does too, with no one watching)";

/// What follows the service's name in a rollout's heading: `(canary by ECS, about 3m)`.
pub fn about(r: &RolloutPlan) -> String {
    format!("({}{}, about {})", r.strategy, if two_colours(r) == Some(Engine::Ecs) { " by ECS" } else { "" }, every(r.estimate_secs))
}

/// Each step, in order, as a sentence.
pub fn lines(r: &RolloutPlan) -> Vec<String> {
    r.steps.iter().map(|s| line(r, s)).collect()
}

/// Who moves a canary, linear or blue/green rollout's traffic (`None`: ECS's rolling update).
fn two_colours(r: &RolloutPlan) -> Option<Engine> {
    match r.strategy {
        StrategyName::Rolling | StrategyName::Doubling => None,
        StrategyName::Canary | StrategyName::Linear | StrategyName::BlueGreen => Some(r.engine),
    }
}

fn every(secs: u64) -> String {
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

fn tasks(n: u32) -> String {
    format!("{n} task{}", plural(n))
}

/// `from` and `to` colours' names (ecship's engine), or how a native rollout names them.
fn colours(r: &RolloutPlan) -> (&'static str, &'static str) {
    r.colours.map_or(("the old revision", "the new revision"), |c| (c.from.name(), c.to.name()))
}

/// What a two-colour rollout's bakes watch.
fn gates(check: Option<&CheckPlan>) -> String {
    match check {
        Some(c) => format!("target health, stopped tasks and the HTTP check (GET {} → {})", c.path, c.expect),
        None => "target health and stopped tasks".to_string(),
    }
}

fn line(r: &RolloutPlan, step: &Step) -> String {
    let native = two_colours(r) == Some(Engine::Ecs);
    let (old, new) = colours(r);
    match step {
        Step::Start { tasks: n } => format!("start {}", tasks(*n)),
        Step::WaitHealthy => "wait until every task runs and passes its health checks".into(),
        Step::InPlace { tasks: n, autoscaling } => {
            let adjusts = match autoscaling {
                Some(a) => format!("autoscaling keeps the count ({n} now, {}–{})", a.min, a.max),
                None => format!("ECS adjusts to {}", tasks(*n)),
            };
            format!("no new deployment: the running tasks stay; {adjusts} and the new settings")
        }
        Step::Replace { tasks: n, min_healthy_percent, max_percent } => format!(
            "stop {} old task{} and start {n} new (min healthy {min_healthy_percent} %, max {max_percent} %)",
            n,
            plural(*n)
        ),
        Step::ReplaceRest => "when they pass their health checks, replace the rest the same way".into(),
        Step::StartBeside { tasks: n, min_healthy_percent, max_percent } => {
            format!("start {n} new task{} beside the old (min healthy {min_healthy_percent} %, max {max_percent} %)", plural(*n))
        }
        Step::StopOld => "when they pass their health checks, drain and stop the old tasks".into(),
        Step::StartIdle { tasks: n, test_rule } => start_idle(r, *n, test_rule.as_ref()),
        Step::Check { test_rule, on_failure } => check(r.check.as_ref(), test_rule.as_ref(), *on_failure),
        Step::Approve { timeout_secs } if native => format!(
            "hold for approval before any production traffic: `ecship approve` lets ECS go on, `ecship rollback` rolls it back; unanswered within {}, ECS rolls it back",
            every(*timeout_secs)
        ),
        Step::Approve { .. } => {
            format!("hold for approval: `ecship approve` sends the rest of the traffic to {new}, `ecship rollback` returns it to {old}")
        }
        Step::Shift { weight, bake_secs, .. } if native => {
            format!("ECS sends {weight} % of production traffic to the new revision for {}, then all of it", every(*bake_secs))
        }
        Step::Shift { weight, tasks: n, bake_secs } => {
            format!("run {} on {new} and send it {weight} % of the traffic{}", tasks(n.unwrap_or(0)), bake(r, *bake_secs))
        }
        Step::ShiftEvery { step, bake_secs } => {
            format!("ECS moves {step} % more production traffic to the new revision every {} until it has all of it", every(*bake_secs))
        }
        Step::Switch { bake_secs } if native => format!(
            "ECS switches all production traffic to the new revision at once, then bakes for {}, the old revision ready to switch back",
            every(*bake_secs)
        ),
        Step::Switch { bake_secs } => {
            format!("switch all traffic to {new} at once{}; {old} stays at full count, ready to switch back", bake(r, *bake_secs))
        }
        Step::Bake { bake_secs } => format!("ECS bakes for {}, the old revision ready to take the traffic back", every(*bake_secs)),
        Step::RetireOld if native => "ECS stops the old revision once the bake is over".into(),
        Step::RetireOld => format!("scale {old} to zero once {new} has all traffic"),
        Step::RollBackOnFailure => rolled_back(r, native),
        Step::Alarms { alarms } => format!(
            "alarm{} {}: going to ALARM while the rollout runs{} rolls it back",
            plural(alarms.len()),
            alarms.join(", "),
            match two_colours(r) {
                Some(Engine::Ecs) => " or bakes (ECS watches them too)",
                Some(Engine::Ecship) => " or bakes",
                None => "",
            }
        ),
    }
}

/// `, then watch GATES for BAKE`, or nothing without a bake.
fn bake(r: &RolloutPlan, secs: u64) -> String {
    if secs == 0 {
        String::new()
    } else {
        format!(", then watch {} for {}", gates(r.check.as_ref()), every(secs))
    }
}

fn start_idle(r: &RolloutPlan, n: u32, test_rule: Option<&TestRule>) -> String {
    let (_, new) = colours(r);
    match (test_rule, &r.check) {
        _ if two_colours(r) == Some(Engine::Ecs) => format!(
            "ECS ({} deployment) starts {} of the new revision in the idle target group, without production traffic",
            r.strategy,
            tasks(n)
        ),
        (Some(rule), Some(c)) => format!(
            "start {} of the new revision on {new}, without traffic; wait until healthy and the HTTP check passes through its test rule (GET {} with {}: {} → {})",
            tasks(n),
            c.path,
            rule.header,
            rule.value,
            c.expect
        ),
        _ => format!("start {} of the new revision on {new}, without traffic, and wait until healthy", tasks(n)),
    }
}

fn check(c: Option<&CheckPlan>, test_rule: Option<&TestRule>, on_failure: OnFailure) -> String {
    let (path, expect) = c.map_or(("/", 200), |c| (c.path.as_str(), c.expect));
    if let Some(rule) = test_rule {
        return format!(
            "test traffic moves to it and ECS pauses: ecship runs the HTTP check through the test rule (GET {path} with {}: {} → {expect})",
            rule.header, rule.value
        );
    }
    let back = match on_failure {
        OnFailure::FailDeploy => "fail the deploy",
        OnFailure::RollBack => "roll back to the previous revision",
    };
    let (interval, failures) = c.map_or((0, 0), |c| (c.interval_secs, c.failures));
    format!(
        "once steady, the HTTP check through the load balancer (GET {path} → {expect}, every {}): {failures} failure{} in a row {back}",
        every(interval),
        plural(failures)
    )
}

fn rolled_back(r: &RolloutPlan, native: bool) -> String {
    let (old, new) = colours(r);
    match two_colours(r) {
        None => CRASH_LOOP.into(),
        Some(_) if native => "a crash loop or the deploy timeout makes ecship stop the deployment with rollback: ECS returns all traffic to the old revision at once; if this run ends, ECS carries on alone (its circuit breaker still rolls back)".into(),
        Some(_) => format!(
            "any failing gate ({}, or the deploy timeout) returns all traffic to {old} at once and scales {new} to zero",
            gates(r.check.as_ref())
        ),
    }
}

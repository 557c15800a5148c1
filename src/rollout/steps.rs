//! The steps of a two-colour strategy (the new colour's share of traffic and task count,
//! then how long it bakes) and the gates that judge each step: pass, fail, or wait. Time is
//! given, never read, so every decision is table-tested with an injected clock.

use std::time::Duration;

use serde::Serialize;

use crate::model::{Percent, Shift};

/// How many stopped tasks of the new revision fail a step at once, without waiting for
/// ECS's circuit breaker (which needs many more).
pub const FAIL_FAST_STOPPED: usize = 2;

/// Whether the new revision's stopped tasks (their reasons; only failures: see
/// `rollout::crashed`) fail its rollout now, for a deployment of `tasks` tasks: why, naming
/// each distinct reason. Deterministic failures (a missing image, a secret that does not
/// resolve, a crash at start) repeat on every task, so two are enough to know.
pub fn crash_loop(stopped: &[String], tasks: u32) -> Option<String> {
    if stopped.is_empty() || stopped.len() < FAIL_FAST_STOPPED.min(tasks.max(1) as usize) {
        return None;
    }
    let mut reasons: Vec<&str> = stopped.iter().map(String::as_str).collect();
    reasons.sort_unstable();
    reasons.dedup();
    Some(format!("{} task{} of the new revision stopped: {}", stopped.len(), if stopped.len() == 1 { "" } else { "s" }, reasons.join("; ")))
}

/// One step: the new colour's share of traffic and task count, then how long to watch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Percent of traffic on the new colour.
    pub weight: u8,
    /// Tasks the new colour runs.
    pub tasks: u32,
    /// How long the step is watched, with passing gates, before the next one.
    pub bake: Duration,
}

/// The steps of a two-colour rollout that moves traffic by `shift`, baking `bake` after each
/// step with traffic, for a service of `count` tasks.
///
/// - canary and linear: each share in turn, the new colour running enough tasks for it (at
///   least one); each step but the last bakes. After the last (100 %), the old colour goes.
///   `checked_first` (with test rules and a check): the first step's tasks come up without
///   traffic first, checked through the test rule.
/// - blue/green: the new colour at full count with no traffic (its checks run first, through
///   its test rule), then all traffic at once, baked while the old colour waits at full count
///   for a switch back.
pub fn steps(shift: &Shift, bake: Duration, count: u32, checked_first: bool) -> Vec<Step> {
    match shift {
        Shift::Canary { .. } | Shift::Linear { .. } => {
            let weights = shift.weights();
            let last = weights.len().saturating_sub(1);
            let first = weights.first().map(|p| share(count, *p));
            let before = first.filter(|_| checked_first).map(|tasks| Step { weight: 0, tasks, bake: Duration::ZERO });
            before
                .into_iter()
                .chain(weights.iter().enumerate().map(|(i, p)| Step {
                    weight: p.get(),
                    tasks: share(count, *p),
                    bake: if i == last { Duration::ZERO } else { bake },
                }))
                .collect()
        }
        Shift::BlueGreen => {
            vec![Step { weight: 0, tasks: count, bake: Duration::ZERO }, Step { weight: 100, tasks: count, bake }]
        }
    }
}

/// Tasks that serve `p` percent of `count`'s traffic: rounded up, at least one.
fn share(count: u32, p: Percent) -> u32 {
    (count * u32::from(p.get())).div_ceil(100).max(1)
}

/// What the gates saw of the new colour, at `elapsed` into the step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    pub elapsed: Duration,
    /// Tasks of the new colour running, and healthy / unhealthy targets in its target group.
    pub running: u32,
    pub healthy: u32,
    pub unhealthy: u32,
    /// Why the unhealthy targets are, as the load balancer says.
    pub unhealthy_why: Vec<String>,
    /// Stop reasons of the new revision's tasks that stopped since the rollout began.
    pub stopped: Vec<String>,
    /// The HTTP check's failures in a row, and the last failure's description.
    pub http_failures: u32,
    pub http_last: Option<String>,
    /// HTTP checks that passed in this step.
    pub http_passes: u32,
    /// Why an alarm of the rollout fails it (one went to ALARM since the rollout began).
    pub alarm: Option<String>,
}

/// What the gates ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gates {
    /// Failures in a row of the HTTP check that fail the step (0: no HTTP check). With a
    /// check, a step passes only once it has passed at least once.
    pub http_failures: u32,
    /// How long the new colour may take to run and be healthy, per step.
    pub timeout: Duration,
    /// Whether the service is behind the load balancer (target health counts).
    pub targets: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// Not yet decided: keep watching.
    Wait,
    /// The step held for its bake with every gate passing.
    Pass,
    /// A gate failed: roll back. The reason names the gate.
    Fail(String),
}

/// Decide a step. `healthy_since` is when the new colour was first seen complete and
/// healthy in this step (the bake runs from then).
pub fn evaluate(step: &Step, gates: &Gates, obs: &Observation, healthy_since: Option<Duration>) -> Verdict {
    if let Some(reason) = crash_loop(&obs.stopped, step.tasks) {
        return Verdict::Fail(reason);
    }
    if let Some(alarm) = &obs.alarm {
        return Verdict::Fail(alarm.clone());
    }
    if gates.targets && obs.unhealthy > 0 && obs.running >= step.tasks {
        let why = if obs.unhealthy_why.is_empty() { String::new() } else { format!(" ({})", obs.unhealthy_why.join("; ")) };
        return Verdict::Fail(format!("target health: {} of the new colour's targets unhealthy{why}", obs.unhealthy));
    }
    if gates.http_failures > 0 && obs.http_failures >= gates.http_failures {
        return Verdict::Fail(format!(
            "HTTP check failed {} times in a row: {}",
            obs.http_failures,
            obs.http_last.as_deref().unwrap_or("no answer")
        ));
    }
    let complete = obs.running >= step.tasks && (!gates.targets || obs.healthy >= step.tasks);
    let checked = gates.http_failures == 0 || obs.http_passes > 0;
    match healthy_since {
        Some(since) if complete && checked && obs.elapsed.saturating_sub(since) >= step.bake => Verdict::Pass,
        _ if !complete && obs.elapsed >= gates.timeout => Verdict::Fail(format!(
            "timed out: {}/{} tasks running{} after {}",
            obs.running,
            step.tasks,
            if gates.targets { format!(", {} healthy", obs.healthy) } else { String::new() },
            humantime::format_duration(gates.timeout)
        )),
        _ => Verdict::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(v: &[u8]) -> Vec<Percent> {
        v.iter().map(|p| Percent(*p)).collect()
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn canary_steps_size_the_new_colour_for_its_share_and_bake_between_steps() {
        let canary = Shift::Canary { steps: pct(&[10, 50, 100]) };
        let table = [
            (4, vec![(10, 1, 5 * MIN), (50, 2, 5 * MIN), (100, 4, Duration::ZERO)]),
            (1, vec![(10, 1, 5 * MIN), (50, 1, 5 * MIN), (100, 1, Duration::ZERO)]),
            (25, vec![(10, 3, 5 * MIN), (50, 13, 5 * MIN), (100, 25, Duration::ZERO)]),
        ];
        for (count, expected) in table {
            let got: Vec<(u8, u32, Duration)> =
                steps(&canary, 5 * MIN, count, false).into_iter().map(|s| (s.weight, s.tasks, s.bake)).collect();
            assert_eq!(got, expected, "count {count}");
        }
        let one = Shift::Canary { steps: pct(&[100]) };
        assert_eq!(steps(&one, MIN, 3, false), vec![Step { weight: 100, tasks: 3, bake: Duration::ZERO }]);
    }

    #[test]
    fn blue_green_comes_up_whole_without_traffic_then_switches_and_bakes() {
        assert_eq!(
            steps(&Shift::BlueGreen, 10 * MIN, 3, false),
            vec![Step { weight: 0, tasks: 3, bake: Duration::ZERO }, Step { weight: 100, tasks: 3, bake: 10 * MIN }]
        );
        // A checked canary starts its first tasks without traffic.
        let checked: Vec<(u8, u32)> =
            steps(&Shift::Canary { steps: pct(&[10, 100]) }, MIN, 4, true).into_iter().map(|s| (s.weight, s.tasks)).collect();
        assert_eq!(checked, [(0, 1), (10, 1), (100, 4)]);
        // Linear steps are a canary's of equal shares.
        let linear: Vec<(u8, u32)> =
            steps(&Shift::Linear { step: Percent(25) }, MIN, 4, false).into_iter().map(|s| (s.weight, s.tasks)).collect();
        assert_eq!(linear, [(25, 1), (50, 2), (75, 3), (100, 4)]);
    }

    #[test]
    fn gates_decide_each_step_on_an_injected_clock() {
        let step = Step { weight: 10, tasks: 2, bake: 5 * MIN };
        let gates = Gates { http_failures: 3, timeout: 10 * MIN, targets: true };
        let at = |secs: u64| Observation {
            elapsed: Duration::from_secs(secs),
            running: 2,
            healthy: 2,
            http_passes: 1,
            ..Observation::default()
        };
        let cases: Vec<(&str, Observation, Option<Duration>, Verdict)> = vec![
            ("healthy but not yet baked", at(200), Some(Duration::from_secs(100)), Verdict::Wait),
            ("healthy and baked", at(400), Some(Duration::from_secs(100)), Verdict::Pass),
            (
                "healthy and baked, but the HTTP check has not passed yet",
                Observation { http_passes: 0, ..at(400) },
                Some(Duration::from_secs(100)),
                Verdict::Wait,
            ),
            ("healthy, baked from when it became healthy", at(350), Some(Duration::from_secs(100)), Verdict::Wait),
            ("still starting", Observation { running: 1, healthy: 1, ..at(60) }, None, Verdict::Wait),
            (
                "still starting at the timeout",
                Observation { running: 1, healthy: 0, ..at(600) },
                None,
                Verdict::Fail("timed out: 1/2 tasks running, 0 healthy after 10m".into()),
            ),
            (
                "crashing tasks fail fast, long before the bake",
                Observation { running: 0, healthy: 0, stopped: vec!["Essential container exited".into(); 2], ..at(20) },
                None,
                Verdict::Fail("2 tasks of the new revision stopped: Essential container exited".into()),
            ),
            ("one stop is not yet a pattern", Observation { stopped: vec!["OutOfMemory".into()], ..at(20) }, None, Verdict::Wait),
            (
                "an unhealthy target",
                Observation { healthy: 1, unhealthy: 1, unhealthy_why: vec!["Target.Timeout: Request timed out".into()], ..at(90) },
                None,
                Verdict::Fail("target health: 1 of the new colour's targets unhealthy (Target.Timeout: Request timed out)".into()),
            ),
            (
                "HTTP failures below the limit",
                Observation { http_failures: 2, http_last: Some("503".into()), ..at(90) },
                Some(Duration::ZERO),
                Verdict::Wait,
            ),
            (
                "HTTP failures at the limit",
                Observation { http_failures: 3, http_last: Some("GET /health: 503, expected 200".into()), ..at(90) },
                Some(Duration::ZERO),
                Verdict::Fail("HTTP check failed 3 times in a row: GET /health: 503, expected 200".into()),
            ),
        ];
        for (what, obs, since, expected) in cases {
            assert_eq!(evaluate(&step, &gates, &obs, since), expected, "{what}");
        }
        // An alarm fails the step whatever else stands.
        let alarmed = Observation { alarm: Some("alarm 5xx went to ALARM: threshold crossed".into()), ..at(400) };
        assert_eq!(
            evaluate(&step, &gates, &alarmed, Some(Duration::ZERO)),
            Verdict::Fail("alarm 5xx went to ALARM: threshold crossed".into())
        );
        // A single-task step fails on its first stopped task.
        let solo = Step { weight: 100, tasks: 1, bake: Duration::ZERO };
        let obs = Observation { stopped: vec!["CannotPullContainerError".into()], ..at(10) };
        assert!(matches!(evaluate(&solo, &gates, &obs, None), Verdict::Fail(_)));
        // Without a load balancer (and so without an HTTP check), running tasks are enough.
        let no_lb = Gates { targets: false, http_failures: 0, ..gates };
        let obs = Observation { running: 2, healthy: 0, http_passes: 0, ..at(400) };
        assert_eq!(evaluate(&step, &no_lb, &obs, Some(Duration::from_secs(100))), Verdict::Pass);
    }
}

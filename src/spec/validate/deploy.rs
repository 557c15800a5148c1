//! Rules for `deploy:`: the strategy, its parameters, the HTTP check and the timeout.

use std::time::Duration;

use super::checks;
use super::Ctx;
use crate::model::{self, Engine, Percent, Rollout, Shift, StrategyName, TwoColour};
use crate::spec::types;

impl Ctx<'_> {
    pub(super) fn deploy(&mut self, path: &str, raw: &types::Service, count: u32) -> model::Deploy {
        let p = format!("{path}.deploy");
        let d = raw.deploy.clone().unwrap_or_default();
        // Rolling replaces half the tasks at a time; half of one task is not a step, so a
        // single task defaults to doubling (the new task starts before the old one stops).
        let kind = d.strategy.unwrap_or(if count <= 1 { types::Strategy::Doubling } else { types::Strategy::Rolling });
        if d.canary.is_some() && kind != types::Strategy::Canary {
            self.err(&format!("{p}.canary"), "`canary:` settings need strategy: canary")
                .hint("remove `canary:` (in an environment's overrides: `canary: null`), or set strategy: canary");
        }
        if d.linear.is_some() && kind != types::Strategy::Linear {
            self.err(&format!("{p}.linear"), "`linear:` settings need strategy: linear")
                .hint("remove `linear:` (in an environment's overrides: `linear: null`), or set strategy: linear");
        }
        if d.blue_green.is_some() && kind != types::Strategy::BlueGreen {
            self.err(&format!("{p}.blue_green"), "`blue_green:` settings need strategy: blue_green")
                .hint("remove `blue_green:` (in an environment's overrides: `blue_green: null`), or set strategy: blue_green");
        }
        let shift = match kind {
            types::Strategy::Doubling => None,
            types::Strategy::Rolling => {
                if count == 1 {
                    self.err(&format!("{path}.count"), "a rolling deploy of 1 task cannot proceed: 50 % healthy of 1 rounds up to 1, and 100 % leaves no room for a new task")
                        .hint("use strategy: doubling, or count: 2 or more");
                }
                None
            }
            types::Strategy::Canary => Some(self.canary(&p, d.canary.as_ref())),
            types::Strategy::Linear => Some(self.linear(&p, d.linear.as_ref())),
            types::Strategy::BlueGreen => {
                let bake = d.blue_green.as_ref().and_then(|b| b.bake.clone());
                Some((Shift::BlueGreen, self.duration(&format!("{p}.blue_green.bake"), bake.as_deref(), 600, 0, 86_400)))
            }
        };
        if let Some((shift, _)) = &shift {
            let name = shift.name();
            if raw.routes.is_empty() {
                self.err(&format!("{p}.strategy"), format!("{name} shifts load balancer traffic, and this service has no routes"))
                    .hint("add routes, or use rolling or doubling");
            }
            if count == 0 {
                self.err(&format!("{path}.count"), format!("{name} with count 0 has no tasks to shift traffic to"));
            }
        }
        let check = d.check.as_ref().map(|c| self.check(&format!("{p}.check"), c, raw));
        let timeout = self.duration(&format!("{p}.timeout"), d.timeout.as_deref(), 900, 60, 86_400);
        let keep_revisions = d.keep_revisions.unwrap_or(10);
        if !(2..=1000).contains(&keep_revisions) {
            self.err(&format!("{p}.keep_revisions"), format!("{keep_revisions} is out of range: use 2 to 1000"))
                .hint("at least 2, so `ecship rollback` has a previous revision to go back to");
        }
        let before = self.before(&p, &d.before);
        let alarms = self.alarms(&p, &d.alarms.names());
        let approve = d.approve.unwrap_or(false);
        let rollout = match shift {
            Some((shift, bake)) => {
                let engine = self.engine(&p, d.engine, raw, &shift, bake);
                Rollout::TwoColour(TwoColour { engine, shift, bake, approve })
            }
            None => {
                let one = if kind == types::Strategy::Rolling { StrategyName::Rolling } else { StrategyName::Doubling };
                self.one_colour(&p, one, approve, d.engine);
                if kind == types::Strategy::Rolling {
                    Rollout::Rolling
                } else {
                    Rollout::Doubling
                }
            }
        };
        model::Deploy { rollout, check, timeout, keep_revisions, before, alarms }
    }

    /// What a rolling or doubling rollout cannot take: an approval (ECS sends traffic to each
    /// new task as it starts) or an engine (it is ECS's own rolling update).
    fn one_colour(&mut self, p: &str, name: StrategyName, approve: bool, engine: Option<types::Engine>) {
        if approve {
            self.err(&format!("{p}.approve"), format!("{name} has no step to hold: ECS sends traffic to each new task as it starts"))
                .hint("use strategy: canary, linear or blue_green to approve before production traffic moves, or remove `approve:`");
        }
        if engine == Some(types::Engine::Ecs) {
            self.err(
                &format!("{p}.engine"),
                format!("{name} is ECS's own rolling update already: `engine:` chooses who runs canary, linear and blue_green rollouts"),
            )
            .hint("remove `engine:`, or use strategy: canary, linear or blue_green");
        }
    }

    /// `deploy.engine`: ECS's native engine takes what ECS's deployment strategies can
    /// express — one production rule to shift, one canary share, linear steps of 3 % or more,
    /// bakes in whole minutes.
    fn engine(&mut self, p: &str, raw: Option<types::Engine>, service: &types::Service, shift: &Shift, bake: Duration) -> Engine {
        if raw != Some(types::Engine::Ecs) {
            return Engine::Ecship;
        }
        let here = format!("{p}.engine");
        match shift {
            Shift::Canary { steps } if steps.len() != 2 => {
                self.err(
                    &format!("{p}.canary.steps"),
                    "ECS's canary moves one share of traffic, bakes, then moves the rest: steps [P, 100]",
                )
                .hint("use `percent: P`, or engine: ecship for more steps");
            }
            Shift::Linear { step } if step.get() < 3 => {
                self.err(&format!("{p}.linear.step"), "ECS's linear steps are 3 to 50 % of traffic each")
                    .hint("use a step of 3 or more, or engine: ecship");
            }
            Shift::Canary { .. } | Shift::Linear { .. } | Shift::BlueGreen => {}
        }
        if bake.as_secs() % 60 != 0 {
            self.err(&format!("{p}.{}.bake", shift.name()), format!("ECS bakes in whole minutes, and {}s is not one", bake.as_secs()))
                .hint("e.g. `bake: 5m`, or engine: ecship for bakes in seconds");
        }
        if service.autoscaling.as_ref().is_some_and(|a| a.requests.is_some()) {
            let at = format!("{}.autoscaling.requests", p.trim_end_matches(".deploy"));
            self.err(
                &at,
                "scaling on requests counts one target group's requests, and ECS's native rollouts swap the target groups each time",
            )
            .hint("scale on cpu or memory, or use engine: ecship");
        }
        if service.routes.len() > 1 {
            self.err(
                &here,
                format!("ECS shifts one production listener rule per target group, and this service has {} routes", service.routes.len()),
            )
            .hint("give the service one route, or use engine: ecship");
        }
        Engine::Ecs
    }

    /// `deploy.alarms`: CloudWatch alarm names, each once.
    fn alarms(&mut self, p: &str, raw: &[String]) -> Vec<String> {
        // DescribeAlarms takes up to 100 names in one call.
        if raw.len() > 100 {
            self.err(&format!("{p}.alarms"), format!("{} alarms: at most 100", raw.len()));
        }
        let mut out: Vec<String> = Vec::new();
        for (i, name) in raw.iter().enumerate() {
            let here = format!("{p}.alarms[{i}]");
            if name.trim().is_empty() || name.chars().count() > 255 {
                self.err(&here, "an alarm name is 1 to 255 characters")
                    .hint("the name of a CloudWatch alarm in the stack's account and region");
            } else if out.contains(name) {
                self.err(&here, format!("alarm `{name}` is listed twice"));
            } else {
                out.push(name.clone());
            }
        }
        out
    }

    /// `deploy.before` steps: a job of the stack, or a command (checked against the jobs
    /// once they are known, by `check_before`).
    fn before(&mut self, p: &str, raw: &[types::BeforeStep]) -> Vec<model::BeforeStep> {
        let jobs: Vec<String> = self.loaded.spec.jobs.keys().cloned().collect();
        let mut out = Vec::new();
        for (i, step) in raw.iter().enumerate() {
            let here = format!("{p}.before[{i}]");
            match step {
                types::BeforeStep::Run { run } if jobs.contains(run) => {
                    out.push(model::BeforeStep::Run(model::ServiceName::new_unchecked(run.clone())))
                }
                types::BeforeStep::Run { run } => {
                    let hint = match crate::spec::diagnostic::did_you_mean(run, jobs.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if jobs.is_empty() => {
                            "declare it under `jobs:`, or give a `command:` to run on this service's task definition".into()
                        }
                        None => format!("the jobs are: {}", jobs.join(", ")),
                    };
                    self.err(&format!("{here}.run"), format!("there is no job `{run}`")).hint(hint);
                }
                types::BeforeStep::Command { command } if command.is_empty() || command.iter().any(String::is_empty) => {
                    self.err(&format!("{here}.command"), "a command needs at least one word and no empty ones");
                }
                types::BeforeStep::Command { command } => {
                    self.command_secrets(&format!("{here}.command"), command);
                    out.push(model::BeforeStep::Command(command.clone()));
                }
            }
        }
        out
    }

    fn canary(&mut self, p: &str, raw: Option<&types::Canary>) -> (Shift, Duration) {
        let c = raw.cloned().unwrap_or(types::Canary { percent: None, steps: None, bake: None });
        let cp = format!("{p}.canary");
        let steps: Vec<u32> = match (c.percent, &c.steps) {
            (Some(_), Some(_)) => {
                self.err(&cp, "give `percent` or `steps`, not both");
                vec![10, 100]
            }
            (Some(pct), None) => {
                if !(1..=99).contains(&pct) {
                    self.err(&format!("{cp}.percent"), format!("{pct}% is out of range: a canary takes 1 to 99 % of traffic"));
                }
                vec![pct, 100]
            }
            (None, Some(steps)) => {
                self.canary_steps(&format!("{cp}.steps"), steps);
                steps.clone()
            }
            (None, None) => vec![10, 100],
        };
        let bake = self.duration(&format!("{cp}.bake"), c.bake.as_deref(), 300, 0, 86_400);
        let steps = steps.into_iter().map(|s| Percent(u8::try_from(s.min(100)).unwrap_or(100))).collect();
        (Shift::Canary { steps }, bake)
    }

    /// `linear: { step, bake }`: equal steps of `step` percent until all of the traffic.
    fn linear(&mut self, p: &str, raw: Option<&types::Linear>) -> (Shift, Duration) {
        let lp = format!("{p}.linear");
        let step = raw.and_then(|l| l.step).unwrap_or(20);
        if !(1..=50).contains(&step) {
            self.err(&format!("{lp}.step"), format!("{step}% is out of range: each step adds 1 to 50 % of traffic"))
                .hint("50 takes two steps; for one switch use blue_green");
        }
        let step = step.clamp(1, 50);
        let bake = self.duration(&format!("{lp}.bake"), raw.and_then(|l| l.bake.as_deref()), 120, 0, 86_400);
        (Shift::Linear { step: Percent(u8::try_from(step).unwrap_or(50)) }, bake)
    }

    fn canary_steps(&mut self, path: &str, steps: &[u32]) {
        if steps.len() < 2 {
            self.err(path, "a canary needs at least two steps, e.g. [10, 100]");
            return;
        }
        for (i, w) in steps.windows(2).enumerate() {
            if w[1] <= w[0] {
                self.err(&format!("{path}[{}]", i + 1), format!("steps must increase: {} follows {}", w[1], w[0]));
            }
        }
        for (i, s) in steps.iter().enumerate() {
            if !(1..=100).contains(s) {
                self.err(&format!("{path}[{i}]"), format!("{s}% is out of range: use 1 to 100"));
            }
        }
        if steps.last() != Some(&100) {
            self.err(path, "the last step must be 100 (full promotion)").hint("e.g. [10, 50, 100]");
        }
    }

    fn check(&mut self, p: &str, c: &types::Check, raw: &types::Service) -> model::Check {
        let (path, origin) = match (&c.http, &c.url) {
            (Some(_), Some(_)) | (None, None) => {
                self.err(p, "give `http: /path` (through the load balancer) or `url:` (a whole URL), one of them");
                ("/".to_string(), None)
            }
            (None, Some(url)) => match split_url(url) {
                Some((origin, path)) => (path, Some(origin)),
                None => {
                    self.err(&format!("{p}.url"), format!("`{url}` is not an http:// or https:// URL with a host"));
                    ("/".to_string(), None)
                }
            },
            (Some(http), None) => {
                if raw.routes.is_empty() {
                    self.err(p, "the HTTP check runs through the load balancer, and this service has no routes")
                        .hint("add routes, or give the check a `url:` to request");
                }
                if !http.starts_with('/') {
                    self.err(&format!("{p}.http"), format!("`{http}` must be a path starting with `/`"));
                } else if !raw.routes.is_empty() && !raw.routes.iter().any(|r| checks::path_matches(&r.path, http)) {
                    let routes: Vec<&str> = raw.routes.iter().map(|r| r.path.as_str()).collect();
                    self.err(&format!("{p}.http"), format!("`{http}` is not routed to this service, so the check would test another one"))
                        .hint(format!("pick a path matching its routes: {}", routes.join(", ")));
                }
                (http.clone(), None)
            }
        };
        let expect = c.expect.unwrap_or(200);
        if !(100..=599).contains(&expect) {
            self.err(&format!("{p}.expect"), format!("{expect} is not an HTTP status code"));
        }
        let interval = self.duration(&format!("{p}.interval"), c.interval.as_deref(), 10, 1, 300);
        let failures = c.failures.unwrap_or(3);
        if !(1..=100).contains(&failures) {
            self.err(&format!("{p}.failures"), format!("{failures} is out of range: use 1 to 100"));
        }
        model::Check { path, origin, expect: u16::try_from(expect).unwrap_or(200), interval, failures }
    }
}

/// `https://host:8443/a?b` → (`https://host:8443`, `/a?b`).
fn split_url(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let (host, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    Some((format!("{scheme}://{host}"), path.to_string()))
}

//! Rollouts held for approval (`deploy.approve`): the hold in the two-colour runner, and the
//! answers from another terminal or CI job — `ecship approve` lets the rollout go on,
//! `ecship rollback` (`reject`) rolls it back. The question and the answer travel as a tag
//! on the new colour's ECS service (`rollout::Approval`), keyed to the revision held, so no
//! lock is needed: the run that holds the stack's lock is the one that reads it.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::runner::Cx;
use super::Error;
use super::WaitUntil;
use crate::aws::ecs::Ecs;
use crate::aws::Aws;
use crate::events::Event;
use crate::model::{Colour, Service};
use crate::observe::{observe, Observed};
use crate::rollout::{decided, Approval, APPROVAL_TAG};
use crate::stack::Compiled;
use crate::workload::{revision_name, ServiceState};

/// How often a held rollout looks for an answer.
const POLL: Duration = Duration::from_secs(1);

/// How a hold ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    Approved,
    /// Left held for approval (`deploy --wait-until held`): the next deploy holds it again,
    /// and goes on if it was approved meanwhile.
    Left,
    /// Rolled back: rejected, out of time, or an alarm went off while waiting.
    Refused(String),
}

/// Hold the rollout of `svc` to `task_definition` (running on the colour service `name`,
/// `share` % of the traffic so far) until it is approved or rejected, one of its alarms goes
/// to ALARM, or `deploy.timeout` passes. An approval given before this hold began (while a
/// rollout left held had no run) counts; a rejection only once asked (a rejection with no
/// run holding was carried out by `ecship rollback` itself).
pub async fn hold(cx: &Cx<'_>, svc: &Service, name: &str, task_definition: &str, share: u8) -> Result<Held, Error> {
    let revision = revision_name(task_definition).to_string();
    let cluster = &cx.inputs.outputs.cluster;
    let started = Instant::now();
    let mut asked = false;
    loop {
        let state = cx.ecs.describe_services(cluster, &[name.to_string()]).await?;
        let Some(state) = state.first() else { return Ok(Held::Refused(format!("{name} no longer exists"))) };
        let tag = state.tags.get(APPROVAL_TAG).map(String::as_str);
        match decided(tag, &revision) {
            Some(true) => {
                cx.r.event(&Event::Step { message: format!("{}: approved: {revision} takes all the traffic", svc.name) });
                return Ok(Held::Approved);
            }
            Some(false) if asked => {
                return Ok(Held::Refused(format!("rejected while held for approval (`ecship rollback`) at {share} % of the traffic")))
            }
            _ => {}
        }
        if !asked {
            cx.before(&format!("holding {name} for approval")).await?;
            cx.ecs.tag_service(&state.arn, APPROVAL_TAG, &Approval::Pending(revision.clone()).to_string()).await?;
            let spec = cx.spec;
            let go_on = if cx.wait_until == WaitUntil::Held {
                format!("`ecship approve {spec} {0}`, then `ecship deploy {spec}` again, sends it all there", svc.name)
            } else {
                format!("`ecship approve {spec} {0}` sends it all there", svc.name)
            };
            cx.r.event(&Event::Step {
                message: format!(
                    "{0}: held for approval with {share} % of the traffic on {revision}: {go_on}; `ecship rollback {spec} --service {0}` rolls back",
                    svc.name
                ),
            });
            if cx.wait_until == WaitUntil::Held {
                return Ok(Held::Left);
            }
            asked = true;
        }
        if let Some(alarm) = cx.alarms.tripped(&[svc.name.as_str()]).await?.into_values().next() {
            return Ok(Held::Refused(alarm));
        }
        if started.elapsed() >= svc.deploy.timeout {
            let waited = humantime::format_duration(svc.deploy.timeout);
            return Ok(Held::Refused(format!("not approved within {waited} (deploy.timeout)")));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Forget the approval of a rollout that took all the traffic: the same revision rolled out
/// again (after a rollback) asks again.
pub async fn spent(cx: &Cx<'_>, name: &str) -> Result<(), Error> {
    let state = cx.ecs.describe_services(&cx.inputs.outputs.cluster, &[name.to_string()]).await?;
    if let Some(s) = state.first().filter(|s| s.tags.contains_key(APPROVAL_TAG)) {
        cx.before(&format!("clearing the approval of {name}")).await?;
        cx.ecs.untag_service(&s.arn, APPROVAL_TAG).await?;
    }
    Ok(())
}

/// The colour of `svc` whose rollout is held for approval, its ECS service and the revision
/// held.
pub fn held<'a>(observed: &'a Observed, svc: &Service) -> Option<(Colour, &'a ServiceState, String)> {
    if svc.deploy.rollout.native() {
        // One ECS service, paused by ECS, with no colour of its own: reported as blue.
        let s = observed.services.get(svc.name.as_str())?;
        return pending(s).map(|revision| (Colour::Blue, s, revision));
    }
    [Colour::Blue, Colour::Green].into_iter().find_map(|colour| {
        let s = observed.services.get(&svc.colour_service(colour))?;
        pending(s).map(|revision| (colour, s, revision))
    })
}

/// The revision a colour's ECS service holds for approval, if it runs one.
pub fn pending(s: &ServiceState) -> Option<String> {
    match s.tags.get(APPROVAL_TAG).and_then(|t| Approval::parse(t)) {
        Some(Approval::Pending(revision)) if s.desired > 0 => Some(revision),
        _ => None,
    }
}

/// An answer given to a held rollout.
#[derive(Debug, Clone, Serialize)]
pub struct Answered {
    pub service: String,
    /// The colour's ECS service that holds it.
    pub held: String,
    pub revision: String,
    /// The revision the other colour runs (what a rejected rollout goes back to).
    pub live: String,
    pub approved: bool,
    /// Whether a deploy holds the rollout now (and carries the answer out); else it was left
    /// held (`deploy --wait-until held`) and the next deploy does.
    pub running: bool,
}

/// Answer the held rollout of `svc`: go on (`approve`) or roll back. Errors when nothing of
/// `svc` is held.
pub async fn answer(aws: &Aws, c: &Compiled, svc: &Service, approve: bool) -> Result<Answered, Error> {
    let observed = observe(aws, c.model.stack.as_str()).await?;
    let stack = c.model.stack.to_string();
    if observed.stack.is_none() {
        return Err(Error::NotDeployed { stack });
    }
    let Some((colour, held, revision)) = held(&observed, svc) else {
        return Err(Error::NothingHeld { service: svc.name.to_string() });
    };
    let answer = if approve { Approval::Approved(revision.clone()) } else { Approval::Rejected(revision.clone()) };
    Ecs::new(aws).tag_service(&held.arn, APPROVAL_TAG, &answer.to_string()).await?;
    let live = if svc.deploy.rollout.native() {
        "the revision before it".to_string()
    } else {
        observed
            .services
            .get(&svc.colour_service(colour.other()))
            .map(|s| revision_name(&s.task_definition).to_string())
            .unwrap_or_default()
    };
    let running = super::lock::taken(aws, c.model.stack.as_str()).await?;
    Ok(Answered { service: svc.name.to_string(), held: held.name.clone(), revision, live, approved: approve, running })
}

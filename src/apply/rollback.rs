//! `rollback`: back to what ran before, by hand. A canary or blue/green service switches its
//! traffic back to the other colour (at once when that colour still runs, as during a
//! bake; after scaling it up again otherwise); one whose traffic is split (a canary stopped
//! half-way) gets all of it back on the colour the canary was leaving. A rolling or doubling service is redeployed
//! on the task-definition revision before the one it runs.

use std::collections::BTreeMap;

use serde::Serialize;

use super::colours::{self, HttpCheck, Job};
use super::wait::{self, Outcome, Watch};
use super::{DeployError, RolloutFailure};
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::Aws;
use crate::events::{Event, Reporter};
use crate::model::{Service, ServiceName};
use crate::observe::observe;
use crate::plan;
use crate::rollout::{self, live_colour, Colour, Resume};
use crate::stack::Compiled;
use crate::workload::outputs::StackOutputs;
use crate::workload::render::{self, Inputs};
use crate::workload::revision_name;

#[derive(Debug, Clone, Serialize)]
pub struct RolledBack {
    pub service: String,
    /// traffic (to the other colour) or revision (the previous task definition).
    pub how: &'static str,
    pub from: String,
    pub to: String,
}

/// Roll back `only` (or every service) of a deployed stack.
pub async fn rollback(
    aws: &Aws,
    c: &Compiled,
    only: &[ServiceName],
    check_endpoint: Option<&str>,
    r: &dyn Reporter,
) -> Result<Vec<RolledBack>, DeployError> {
    let m = &c.model;
    let stack = m.stack.as_str();
    let observed = observe(aws, stack, &plan::families(m)).await?;
    let info = observed.stack.as_ref().ok_or_else(|| DeployError::NotDeployed { stack: stack.to_string() })?;
    let outputs = StackOutputs::parse(stack, &info.outputs)?;
    let images = BTreeMap::new();
    let inputs = Inputs { model: m, outputs: &outputs, region: aws.region(), images: &images };
    let (ecs, elbv2) = (Ecs::new(aws), Elbv2::new(aws));
    let base = check_endpoint.map(str::to_string).or_else(|| outputs.load_balancer_url.clone());
    let check = base.as_deref().and_then(HttpCheck::new);
    let cx = colours::Cx { ecs: &ecs, elbv2: &elbv2, inputs: &inputs, check: check.as_ref(), r };
    let live = plan::live_weights(m, &observed);
    let mut done = Vec::new();
    let selected: Vec<&Service> = m.services.values().filter(|s| only.is_empty() || only.contains(&s.name)).collect();
    for svc in selected {
        let nothing = |why: String| DeployError::NothingToRollBack { service: svc.name.to_string(), why };
        let running = |name: &str| observed.services.get(name).filter(|s| s.status == "ACTIVE").map(|s| s.task_definition.clone());
        if let Some(weights) = live.get(&svc.name) {
            let current = live_colour(*weights);
            let name = |c: Colour| format!("{}-{}", svc.name, c.name());
            // All traffic to the colour that is not `current`, which runs `task_definition`.
            let job = |task_definition: String| Job {
                svc,
                task_definition,
                old: current,
                new_current: true,
                from_weight: 0,
                new_exists: true,
                at_once: true,
            };
            let traffic = |from: &str, to: &str| RolledBack {
                service: svc.name.to_string(),
                how: "traffic",
                from: revision_name(from).into(),
                to: revision_name(to).into(),
            };
            if weights.0 != 0 && weights.1 != 0 {
                // A canary stopped half-way: all traffic back on the colour it was leaving
                // (still at full count), the other to zero.
                let towards = match rollout::resume(&super::two_colours(&observed, svc, *weights), "") {
                    Resume::Unfinished { towards, .. } | Resume::Settled { live: towards, .. } => towards,
                };
                let back = towards.other();
                let (Some(new), Some(old)) = (running(&name(towards)), running(&name(back))) else {
                    return Err(nothing(format!("traffic is split but {} or {} is gone", name(back), name(towards))));
                };
                r.event(&Event::Step {
                    message: format!("rollback: {}: all traffic back on {}, {} to zero", svc.name, back.name(), towards.name()),
                });
                let job = Job { old: back, ..job(new.clone()) };
                colours::abandon(&cx, &job).await?;
                done.push(traffic(&new, &old));
                continue;
            }
            let (Some(now), Some(before)) = (running(&name(current)), running(&name(current.other()))) else {
                return Err(nothing(format!("{} has never run another revision", name(current))));
            };
            if now == before {
                return Err(nothing(format!("both colours run {}", revision_name(&now))));
            }
            r.event(&Event::Step { message: format!("rollback: {} from {} to {}", svc.name, current.name(), current.other().name()) });
            let outcome = colours::run(&cx, &job(before.clone())).await?;
            if outcome != Outcome::Stable {
                return Err(DeployError::Rollout { failures: vec![RolloutFailure { service: svc.name.to_string(), outcome }] });
            }
            done.push(traffic(&now, &before));
            continue;
        }
        let config = render::service_config(&inputs, svc)?;
        let Some(now) = running(&config.name) else {
            return Err(nothing(format!("service {} is not running", config.name)));
        };
        let number = |arn: &str| revision_name(arn).rsplit_once(':').and_then(|(_, n)| n.parse::<u32>().ok()).unwrap_or(0);
        let revisions = ecs.revisions(&render::family(m, svc), true).await?;
        let Some(before) = revisions.iter().filter(|a| number(a) < number(&now)).max_by_key(|a| number(a)).cloned() else {
            return Err(nothing(format!("{} is the oldest revision left", revision_name(&now))));
        };
        r.event(&Event::Step { message: format!("rollback: {} from {} to {}", svc.name, revision_name(&now), revision_name(&before)) });
        ecs.update_service(&config, &before).await?;
        let watch = Watch { name: config.name.clone(), task_definition: before.clone(), timeout: svc.deploy.timeout };
        let outcomes = wait::wait_all(&ecs, &outputs.cluster, &[watch], r).await?;
        if let Some((service, outcome)) = outcomes.into_iter().find(|(_, o)| *o != Outcome::Stable) {
            return Err(DeployError::Rollout { failures: vec![RolloutFailure { service, outcome }] });
        }
        done.push(RolledBack {
            service: svc.name.to_string(),
            how: "revision",
            from: revision_name(&now).into(),
            to: revision_name(&before).into(),
        });
    }
    Ok(done)
}

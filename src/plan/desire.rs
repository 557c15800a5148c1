//! What the spec asks for, rendered against the deployed stack's outputs (placeholders where
//! the stack step will create them): the template to compare and send, and each service's
//! task definition and settings.

use std::collections::BTreeMap;

use serde_json::Value;

use super::services::KNOWN_AFTER_APPLY;
use super::ImageStep;
use crate::model::{ServiceName, Weights};
use crate::observe::Observed;
use crate::stack::Compiled;
use crate::synth::nesting::{self, Stacks};
use crate::workload::outputs::StackOutputs;
use crate::workload::render::{self, Inputs, RenderError};
use crate::workload::scaling::{self, Scaling};
use crate::workload::{JobSchedule, ServiceConfig, TaskDef};

/// The images of a deploy as the plan sees them.
#[derive(Debug, Clone, Default)]
pub struct PlannedImages {
    /// The image each service runs, for services whose image is not the spec's `uri:`:
    /// given with `--image`, or `REPOSITORY@DIGEST` of one ecship pushes.
    pub refs: BTreeMap<ServiceName, String>,
    /// The same for sidecars' images ecship pushes, by service and sidecar.
    pub sidecar_refs: BTreeMap<(ServiceName, String), String>,
    /// Images to build or push: those the registry has already are not steps.
    pub steps: Vec<ImageStep>,
    /// Families whose image is built from source, with the tag the build goes under (the
    /// source's commit): the tag, not the digest, is part of the spec's fingerprint (`plan`
    /// does not build; `deploy` builds before planning).
    pub built: BTreeMap<String, String>,
    /// Existing images pinned to a digest: `uri → NAME@DIGEST`, and as the plan shows them.
    pub pins: BTreeMap<String, String>,
    pub pinned: Vec<super::PinnedImage>,
}

/// What the spec asks for, rendered against the outputs known so far.
pub struct Desired {
    /// The stacks to deploy: one, or a root and nested ones, with services where deployed
    /// ones are and two-colour rules' weights as deployed (ecship moves them, not
    /// CloudFormation). Nested stacks' URLs are placeholders until the templates' place in
    /// the asset bucket is known (`Stacks::locate`).
    pub stacks: Stacks,
    /// The root template, and each nested stack's, as compared with the deployed ones.
    pub template: Value,
    pub nested: BTreeMap<String, Value>,
    /// The compiled template, before the deployed weights are put in: the spec's part.
    pub spec_template: Value,
    /// Where each two-colour service's traffic is now.
    pub traffic: BTreeMap<ServiceName, Weights>,
    pub services: Vec<DesiredService>,
    pub jobs: Vec<DesiredJob>,
    pub images: PlannedImages,
}

pub struct DesiredJob {
    pub name: ServiceName,
    pub task_def: TaskDef,
    /// Its schedule, starting the family's latest revision (`task_definition` is left empty:
    /// the revision is known once registered).
    pub schedule: Option<JobSchedule>,
}

pub struct DesiredService {
    pub spec_name: ServiceName,
    pub task_def: TaskDef,
    /// The settings of the ECS service that takes its traffic (the live colour's, for a
    /// canary or blue/green service).
    pub config: ServiceConfig,
    /// Its Application Auto Scaling (on that same ECS service), with `autoscaling:`.
    pub scaling: Option<Scaling>,
}

/// Render the spec against the deployed outputs and the images of the deploy.
pub fn desire(c: &Compiled, observed: &Observed, region: &str, images: PlannedImages) -> Result<Desired, RenderError> {
    let m = &c.model;
    if let Some(why) = m.signals.as_ref().and_then(|s| s.notify.topic_elsewhere(region)) {
        return Err(RenderError::TopicElsewhere(why));
    }
    let outputs = StackOutputs::known(m, observed.stack.as_ref().map(|s| &s.outputs), KNOWN_AFTER_APPLY);
    let counts = observed.kept_counts(m);
    let inputs = Inputs {
        model: m,
        outputs: &outputs,
        region,
        images: &images.refs,
        sidecar_images: &images.sidecar_refs,
        pins: &images.pins,
        counts: &counts,
    };
    let traffic = observed.traffic(m);
    let mut services = Vec::new();
    for svc in m.services.values() {
        let mut config = render::service_config(&inputs, svc)?;
        let live = traffic.get(&svc.name).map(|w| w.live());
        match live {
            // One ECS service whose primary target group is the one with the traffic.
            Some(live) if svc.deploy.rollout.native() => config = render::native_config(config, live),
            // A two-colour service is compared with the colour that takes its traffic.
            Some(live) => config = render::colour_config(&inputs, svc, config, live)?,
            None => {}
        }
        let scaling = scaling::render(&inputs, svc, live.filter(|_| svc.deploy.rollout.colour_services()))?;
        services.push(DesiredService { spec_name: svc.name.clone(), task_def: render::task_def(&inputs, svc)?, config, scaling });
    }
    let mut jobs = Vec::new();
    for job in m.jobs.values() {
        let schedule = job.schedule.as_ref().map(|s| JobSchedule {
            expression: s.expression.clone(),
            timezone: s.timezone.clone(),
            task_definition: String::new(),
        });
        jobs.push(DesiredJob { name: job.task.name.clone(), task_def: render::job_task_def(&inputs, job)?, schedule });
    }
    let spec_template = serde_json::to_value(&c.template).unwrap_or(Value::Null);
    let moved = traffic.values().any(|w| *w != Weights::default());
    // Routes keep the priorities they are deployed with: a new route never moves another.
    let mut kept = crate::spec::validate::keep_deployed(m, &observed.route_priorities(m));
    // Capacity providers stay associated with the cluster once they are: the stack step runs
    // before the services step, and ECS refuses to remove a provider a service still uses.
    let associated = observed
        .template
        .as_ref()
        .is_some_and(|t| t["Resources"][crate::synth::ids::CLUSTER]["Properties"].get("CapacityProviders").is_some());
    if associated && m.services.values().all(|s| s.capacity.is_empty()) {
        let mut with = kept.unwrap_or_else(|| m.clone());
        with.cluster.keep_capacity_providers = true;
        kept = Some(with);
    }
    let flat = match &kept {
        Some(kept) => crate::synth::synth_with_traffic(kept, &traffic),
        None if moved => crate::synth::synth_with_traffic(m, &traffic),
        None => c.template.clone(),
    };
    let placement = nesting::place(m, &flat, &observed.placement(m));
    let stacks = nesting::split(m, &flat, &placement, &|name, _| crate::stack::placeholder_url(m, name));
    let template = serde_json::to_value(&stacks.root).unwrap_or(Value::Null);
    let nested = stacks.nested.iter().map(|(k, t)| (k.clone(), serde_json::to_value(t).unwrap_or(Value::Null))).collect();
    Ok(Desired { stacks, template, nested, spec_template, traffic, services, jobs, images })
}

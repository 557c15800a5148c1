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
use crate::workload::{ServiceConfig, TaskDef};

/// The images of a deploy as the plan sees them.
#[derive(Debug, Clone, Default)]
pub struct PlannedImages {
    /// The image each service runs, for services whose image is not the spec's `uri:`:
    /// given with `--image`, or `REPOSITORY@DIGEST` of one ecship pushes.
    pub refs: BTreeMap<ServiceName, String>,
    /// Images to build or push: those the registry has already are not steps.
    pub steps: Vec<ImageStep>,
    /// Families whose image is built from source, with the tag the build goes under (the
    /// source's commit): the tag, not the digest, is part of the spec's fingerprint (`plan`
    /// does not build; `deploy` builds before planning).
    pub built: BTreeMap<String, String>,
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
    pub images: PlannedImages,
}

pub struct DesiredService {
    pub spec_name: ServiceName,
    pub task_def: TaskDef,
    /// The settings of the ECS service that takes its traffic (the live colour's, for a
    /// canary or blue/green service).
    pub config: ServiceConfig,
}

/// Render the spec against the deployed outputs and the images of the deploy.
pub fn desire(c: &Compiled, observed: &Observed, region: &str, images: PlannedImages) -> Result<Desired, RenderError> {
    let m = &c.model;
    let outputs = StackOutputs::known(m, observed.stack.as_ref().map(|s| &s.outputs), KNOWN_AFTER_APPLY);
    let inputs = Inputs { model: m, outputs: &outputs, region, images: &images.refs };
    let traffic = observed.traffic(m);
    let mut services = Vec::new();
    for svc in m.services.values() {
        let mut config = render::service_config(&inputs, svc)?;
        if let Some(w) = traffic.get(&svc.name) {
            // A two-colour service is compared with the colour that takes its traffic.
            config = render::colour_config(&inputs, svc, config, w.live())?;
        }
        services.push(DesiredService { spec_name: svc.name.clone(), task_def: render::task_def(&inputs, svc)?, config });
    }
    let spec_template = serde_json::to_value(&c.template).unwrap_or(Value::Null);
    let moved = traffic.values().any(|w| *w != Weights::default());
    // Routes keep the priorities they are deployed with: a new route never moves another.
    let kept = crate::spec::validate::keep_deployed(m, &observed.route_priorities(m));
    let flat = match &kept {
        Some(kept) => crate::synth::synth_with_traffic(kept, &traffic),
        None if moved => crate::synth::synth_with_traffic(m, &traffic),
        None => c.template.clone(),
    };
    let placement = nesting::place(m, &flat, &observed.placement(m));
    let stacks = nesting::split(m, &flat, &placement, &|name, _| crate::stack::placeholder_url(m, name));
    let template = serde_json::to_value(&stacks.root).unwrap_or(Value::Null);
    let nested = stacks.nested.iter().map(|(k, t)| (k.clone(), serde_json::to_value(t).unwrap_or(Value::Null))).collect();
    Ok(Desired { stacks, template, nested, spec_template, traffic, services, images })
}

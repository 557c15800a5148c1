//! A plan is a value: `build(&desired, &observed)` is pure and says everything `deploy` will
//! do — infrastructure, images, services, rollout steps — so a reviewer can trust it, the
//! renderers (text, markdown, JSON) show it, and `apply` carries it out.
//!
//! Must not call AWS or print.

pub mod cost;
pub mod data;
pub mod desire;
mod fingerprint;
pub mod infra;
pub mod jobs;
pub mod render;
pub mod rollout;
pub mod saved;
pub mod services;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::{Colour, Model, Service};
use crate::observe::Observed;
use crate::synth::ids::ServiceIds;
use crate::workload::render::ecs_service_name;
use infra::ResourceChange;
use jobs::{BeforeRun, JobChange};
use rollout::RolloutPlan;
use services::{ServiceAction, ServiceChange};

pub use desire::{desire, Desired, DesiredService, PlannedImages};
pub use fingerprint::state as state_fingerprint;

/// The version of the plan's JSON form. Fields are added without a bump; a removed or
/// renamed field, or a changed shape, bumps it (2: typed rollout steps, `strategy` and
/// `engine` closed enums; 3: a step's `test_rule` is an object, `{header, value}`, whose
/// value reads `(sensitive)`).
pub const FORMAT_VERSION: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub stack: String,
    pub env: Option<String>,
    pub summary: Summary,
    pub infrastructure: InfraPlan,
    pub images: Vec<ImageStep>,
    /// Existing images (`uri:`, `--image`), each with the digest its tag names now: what the
    /// task definitions run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned_images: Vec<PinnedImage>,
    pub services: Vec<ServiceChange>,
    pub rollout: Vec<RolloutPlan>,
    /// Jobs whose task definition or schedule changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobChange>,
    /// One-off tasks run after the task definitions are registered and before any service
    /// changes (`deploy.before`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<BeforeRun>,
    /// What the plan was computed from; `deploy --plan` refuses when either moved.
    pub fingerprint: Fingerprint,
    /// The stack's estimated monthly cost before and after, and the items whose cost
    /// changes (`plan`; absent from `deploy`'s plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::cost::Cost>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub changes: bool,
    pub resources_to_add: usize,
    pub resources_to_change: usize,
    pub resources_to_replace: usize,
    pub resources_to_remove: usize,
    pub services_to_create: usize,
    pub services_to_update: usize,
    pub services_to_delete: usize,
}

impl Plan {
    /// The infrastructure changes that destroy data, which `deploy` carries out only with
    /// `--allow-data-loss`.
    pub fn destroys_data(&self) -> impl Iterator<Item = &ResourceChange> {
        self.infrastructure.changes.iter().filter(|c| c.destroys_data)
    }
}

/// What happens to the infrastructure stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackAction {
    /// A new stack.
    Create,
    Update,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfraPlan {
    pub action: StackAction,
    pub changes: Vec<ResourceChange>,
    /// The stack's outputs change (with or without resource changes).
    pub outputs_changed: bool,
    /// Templates uploaded to the asset bucket first: a root too large to send inline, and
    /// nested stacks' (none: the root is sent inline, and there are no nested stacks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateUpload>,
}

/// A template uploaded to the asset bucket before the stack step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUpload {
    /// The nested stack it is for (`Services1` …); absent for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    pub bytes: usize,
    /// `s3://BUCKET/KEY`.
    pub location: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageAction {
    /// A layout or an archive, its digest known.
    Push,
    /// Built from source, then pushed; its digest is known once built (`deploy` builds before
    /// it plans).
    Build,
}

/// An existing image and the digest its tag names, which the task definitions run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedImage {
    /// As the spec (or `--image`) names it.
    pub image: String,
    pub digest: String,
    /// The services and jobs that run it.
    pub used_by: Vec<String>,
}

/// An image ecship builds or pushes before the services change. Images the registry has
/// already (by digest) are not steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageStep {
    pub service: String,
    /// The sidecar whose image it is; absent for the service's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidecar: Option<String>,
    pub action: ImageAction,
    /// Where the image comes from: `oci ./dist/like`, `build ./like`.
    pub source: String,
    pub repository: String,
    pub tag: String,
    pub digest: Option<String>,
    /// Blobs (config and layers) and their bytes; the registry's blobs are skipped when pushing.
    pub blobs: usize,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// sha256 of what the spec renders to (template, task definitions, service settings).
    pub spec: String,
    /// sha256 of the deployed state the plan was compared with.
    pub state: String,
}

/// How a built image counts in the spec's fingerprint: by its family, and sidecar.
pub fn built_key(family: &str, sidecar: Option<&str>) -> String {
    match sidecar {
        Some(sc) => format!("{family}/{sc}"),
        None => family.to_string(),
    }
}

/// The task-definition families of the spec's services.
pub fn families(m: &Model) -> Vec<String> {
    m.services.values().map(|s| crate::workload::render::family(m, s)).collect()
}

/// Compare what the spec asks for with what is deployed: every change, most severe first.
pub fn build(m: &Model, desired: &Desired, observed: &Observed) -> Plan {
    let infrastructure = infrastructure(m, desired, observed);
    let replaced: BTreeSet<String> =
        infrastructure.changes.iter().filter(|c| c.action == infra::Action::Replace).map(|c| c.logical_id.clone()).collect();
    let mut changes = Vec::new();
    let mut rollouts = Vec::new();
    for d in &desired.services {
        let Some(svc) = m.services.get(&d.spec_name) else { continue };
        if let Some((change, kind)) = services::change(svc, d, observed, &replaced) {
            let live = desired.traffic.get(&svc.name).map_or(Colour::Blue, |w| w.live());
            rollouts.push(rollout::plan(&change.service, svc, kind, live, d.config.desired_count));
            changes.push(change);
        }
    }
    changes.extend(removed_services(m, observed));
    changes.sort_by(|a, b| a.action.cmp(&b.action).then_with(|| a.service.cmp(&b.service)));
    let images = desired.images.steps.clone();
    let before = jobs::before_runs(m, &changes);
    let jobs = jobs::changes(m, &desired.jobs, observed);
    Plan {
        format_version: FORMAT_VERSION,
        stack: m.stack.to_string(),
        env: m.env.clone(),
        summary: Summary::of(&infrastructure, &changes, &images, &jobs),
        infrastructure,
        images,
        pinned_images: desired.images.pinned.clone(),
        services: changes,
        rollout: rollouts,
        jobs,
        before,
        fingerprint: Fingerprint { spec: fingerprint::spec(desired), state: fingerprint::state(observed) },
        cost: None,
    }
}

/// The stack's changes. ecship (or ECS, for a native rollout) moves two-colour weights, not CloudFormation: the rules'
/// weights are never an infrastructure change.
fn infrastructure(m: &Model, desired: &Desired, observed: &Observed) -> InfraPlan {
    let weighted: BTreeSet<String> = m
        .services
        .values()
        .filter(|s| s.deploy.rollout.has_two_colours())
        .flat_map(|s| {
            let ids = ServiceIds::new(&s.name.logical());
            // ECS moves a native rollout's test rule too.
            let test = s.deploy.rollout.native().then(|| ids.test_rule("next"));
            (0..s.routes.len()).map(|i| ids.rule(i)).chain(test).collect::<Vec<_>>()
        })
        .collect();
    let (mut changes, mut outputs_changed) = infra::diff(observed.template.as_ref(), &desired.template, &weighted);
    // Each nested stack's resources, property by property, named with their stack.
    let none = serde_json::json!({});
    let nested: BTreeSet<&String> = desired.nested.keys().chain(observed.nested.keys()).collect();
    for name in nested {
        let (more, outputs) = infra::diff(observed.nested.get(name), desired.nested.get(name).unwrap_or(&none), &weighted);
        outputs_changed |= outputs && desired.nested.contains_key(name);
        changes.extend(more.into_iter().map(|c| infra::ResourceChange { stack: Some(name.clone()), ..c }));
    }
    data::mark(&mut changes, m, observed);
    changes.sort_by(|x, y| x.order().cmp(&y.order()));
    let action = match (&observed.stack, changes.is_empty() && !outputs_changed) {
        (None, _) => StackAction::Create,
        (Some(_), true) => StackAction::None,
        (Some(_), false) => StackAction::Update,
    };
    InfraPlan { action, changes, outputs_changed, templates: Vec::new() }
}

/// ECS services of the stack that no service of the spec runs as.
fn removed_services<'a>(m: &'a Model, observed: &'a Observed) -> impl Iterator<Item = ServiceChange> + 'a {
    let wanted: BTreeSet<String> = m.services.values().flat_map(ecs_names).collect();
    observed.services.keys().filter(move |n| !wanted.contains(*n)).map(|name| ServiceChange {
        service: name.clone(),
        action: ServiceAction::Delete,
        new_revision: false,
        task_definition: vec![],
        settings: vec![],
        autoscaling: None,
    })
}

/// The ECS services a spec service runs as: itself, or its two colours.
fn ecs_names(s: &Service) -> Vec<String> {
    let mut names = vec![ecs_service_name(s)];
    if s.deploy.rollout.colour_services() {
        names.push(s.colour_service(Colour::Green));
    }
    names
}

impl Summary {
    fn of(infrastructure: &InfraPlan, services: &[ServiceChange], images: &[ImageStep], jobs: &[JobChange]) -> Self {
        let count = |a: infra::Action| infrastructure.changes.iter().filter(|c| c.action == a).count();
        let scount = |a: ServiceAction| services.iter().filter(|c| c.action == a).count();
        Summary {
            changes: infrastructure.action != StackAction::None || !services.is_empty() || !images.is_empty() || !jobs.is_empty(),
            resources_to_add: count(infra::Action::Create),
            resources_to_change: count(infra::Action::Update),
            resources_to_replace: count(infra::Action::Replace),
            resources_to_remove: count(infra::Action::Delete),
            services_to_create: scount(ServiceAction::Create),
            services_to_update: scount(ServiceAction::Update),
            services_to_delete: scount(ServiceAction::Delete),
        }
    }
}

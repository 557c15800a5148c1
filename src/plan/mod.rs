//! A plan is a value: `build(&desired, &observed)` is pure and says everything `deploy` will
//! do — infrastructure, images, services, rollout steps — so a reviewer can trust it, the
//! renderers (text, markdown, JSON) show it, and `apply` carries it out.
//!
//! Must not call AWS or print.

pub mod infra;
pub mod render;
pub mod rollout;
pub mod services;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{Model, ServiceName};
use crate::observe::Observed;
use crate::stack::Compiled;
use crate::synth::ids::ServiceIds;
use crate::workload::outputs::StackOutputs;
use crate::workload::render::{self as rendering, ecs_service_name, family, Inputs, RenderError};
use crate::workload::{ServiceConfig, TaskDef};
use infra::ResourceChange;
use rollout::RolloutPlan;
use services::{ServiceAction, ServiceChange, KNOWN_AFTER_APPLY};

/// The version of the plan's JSON form. Fields are added without a bump; a removed or
/// renamed field bumps it.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub stack: String,
    pub env: Option<String>,
    pub summary: Summary,
    pub infrastructure: InfraPlan,
    pub images: Vec<ImageStep>,
    pub services: Vec<ServiceChange>,
    pub rollout: Vec<RolloutPlan>,
    /// What the plan was computed from; `deploy --plan` refuses when either moved.
    pub fingerprint: Fingerprint,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfraPlan {
    /// create (a new stack), update, or none.
    pub action: String,
    pub changes: Vec<ResourceChange>,
    /// The stack's outputs change (with or without resource changes).
    pub outputs_changed: bool,
}

/// An image ecship builds or pushes before the services change. Images the registry has
/// already (by digest) are not steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageStep {
    pub service: String,
    /// push (a layout or archive, digest known) or build (then push; digest known after).
    pub action: String,
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

/// What the spec asks for, rendered against the outputs known so far.
pub struct Desired {
    /// The template, with two-colour rules' weights as deployed (ecship moves them, not
    /// CloudFormation).
    pub template: Value,
    /// The template body to send: the rendered one, or the patched one when weights moved.
    pub template_body: Option<String>,
    /// sha256 of the rendered template before the weights are patched in: the spec's part.
    pub template_sha: String,
    pub services: Vec<DesiredService>,
    pub images: Vec<ImageStep>,
    /// Families whose image is built from source, with the tag the build goes under (the
    /// source's commit): the tag, not the digest, is part of the spec's fingerprint (`plan`
    /// does not build; `deploy` builds before planning).
    pub built: BTreeMap<String, String>,
}

pub struct DesiredService {
    pub spec_name: ServiceName,
    pub task_def: TaskDef,
    pub config: ServiceConfig,
}

/// Render the spec against the deployed outputs (placeholders where the stack step will
/// create them).
pub fn desire(
    c: &Compiled,
    observed: &Observed,
    region: &str,
    images: &BTreeMap<ServiceName, String>,
    steps: Vec<ImageStep>,
    built: BTreeMap<String, String>,
) -> Result<Desired, RenderError> {
    let m = &c.model;
    let outputs = StackOutputs::known(m, observed.stack.as_ref().map(|s| &s.outputs), KNOWN_AFTER_APPLY);
    let inputs = Inputs { model: m, outputs: &outputs, region, images };
    let live = live_weights(m, observed);
    let mut services = Vec::new();
    for svc in m.services.values() {
        let mut config = rendering::service_config(&inputs, svc)?;
        if let Some(w) = live.get(&svc.name) {
            // A two-colour service is compared with the colour that takes its traffic.
            config = rendering::colour_config(&inputs, svc, config, crate::rollout::live_colour(*w))?;
        }
        services.push(DesiredService { spec_name: svc.name.clone(), task_def: rendering::task_def(&inputs, svc)?, config });
    }
    let mut template = serde_json::from_str(&c.template.to_json_compact()).unwrap_or(Value::Null);
    let template_sha = sha256(&template);
    let moved: Vec<(&crate::model::Service, (u8, u8))> =
        m.services.values().filter_map(|s| live.get(&s.name).filter(|w| **w != (100, 0)).map(|w| (s, *w))).collect();
    for (svc, weights) in &moved {
        patch_weights(&mut template, svc, *weights);
    }
    let template_body = (!moved.is_empty()).then(|| template.to_string());
    Ok(Desired { template, template_body, template_sha, services, images: steps, built })
}

/// Where the traffic of each two-colour service goes now, percent on (blue, green): read
/// from the first of its rules (ecship moves them all together); (100, 0) before the first
/// deploy.
pub fn live_weights(m: &Model, observed: &Observed) -> BTreeMap<ServiceName, (u8, u8)> {
    let outputs = observed.stack.as_ref().and_then(|s| StackOutputs::parse(m.stack.as_str(), &s.outputs).ok());
    let mut out = BTreeMap::new();
    for svc in m.services.values().filter(|s| s.deploy.strategy.has_two_colours()) {
        let found = outputs.as_ref().and_then(|o| o.service(m.stack.as_str(), &svc.name).ok()).and_then(|so| {
            let rule = so.rules.first()?;
            let weights = observed.weights.get(rule)?;
            let of = |tg: Option<&String>| tg.and_then(|tg| weights.iter().find(|(arn, _)| arn == tg)).map_or(0, |(_, w)| (*w).max(0));
            let (blue, green) = (of(so.target_groups.first()), of(so.target_groups.get(1)));
            let total = blue + green;
            (total > 0).then(|| {
                let blue_pct = u8::try_from(blue * 100 / total).unwrap_or(100);
                (blue_pct, 100 - blue_pct)
            })
        });
        out.insert(svc.name.clone(), found.unwrap_or((100, 0)));
    }
    out
}

/// Set the weights of a two-colour service's rules in the template to (blue, green).
fn patch_weights(template: &mut Value, svc: &crate::model::Service, (blue, green): (u8, u8)) {
    let ids = ServiceIds::new(&svc.name.logical());
    let (blue_ref, green_ref) = (serde_json::json!({ "Ref": ids.target_group() }), serde_json::json!({ "Ref": ids.green_target_group() }));
    for i in 0..svc.routes.len() {
        let Some(actions) = template["Resources"][ids.rule(i)]["Properties"]["Actions"].as_array_mut() else { continue };
        for action in actions {
            let Some(groups) = action["ForwardConfig"]["TargetGroups"].as_array_mut() else { continue };
            for g in groups {
                if g["TargetGroupArn"] == blue_ref {
                    g["Weight"] = blue.into();
                } else if g["TargetGroupArn"] == green_ref {
                    g["Weight"] = green.into();
                }
            }
        }
    }
}

/// The task-definition families of the spec's services.
pub fn families(m: &Model) -> Vec<String> {
    m.services.values().map(|s| family(m, s)).collect()
}

pub fn build(m: &Model, desired: &Desired, observed: &Observed) -> Plan {
    // ecship moves two-colour weights, not CloudFormation: the deployed template is read
    // with the weights the rules have now, so moved traffic is no infrastructure change.
    let deployed = observed.template.clone().map(|mut t| {
        for (name, w) in live_weights(m, observed) {
            if let Some(svc) = m.services.get(&name) {
                patch_weights(&mut t, svc, w);
            }
        }
        t
    });
    let (changes, outputs_changed) = infra::diff(deployed.as_ref(), &desired.template);
    let action = match (&observed.stack, changes.is_empty() && !outputs_changed) {
        (None, _) => "create",
        (Some(_), true) => "none",
        (Some(_), false) => "update",
    };
    let replaced: BTreeSet<String> = changes.iter().filter(|c| c.action == infra::Action::Replace).map(|c| c.logical_id.clone()).collect();
    let mut service_changes = Vec::new();
    let mut rollouts = Vec::new();
    for d in &desired.services {
        let Some(svc) = m.services.get(&d.spec_name) else { continue };
        let name = d.config.name.clone();
        let latest = observed.latest.get(&d.task_def.family);
        let new_revision = latest.is_none_or(|l| l.task_def != d.task_def);
        let change = match observed.services.get(&name) {
            None => Some(ServiceChange {
                service: name.clone(),
                action: ServiceAction::Create,
                new_revision,
                task_definition: services::task_def_changes(None, &d.task_def),
                settings: services::field_changes(&BTreeMap::new(), &services::desired_settings(&d.config)),
            }),
            Some(s) => {
                let running = observed.running.get(&name);
                let td = services::task_def_changes(running.map(|r| &r.task_def), &d.task_def);
                let settings = services::field_changes(&services::observed_settings(s), &services::desired_settings(&d.config));
                let switches = new_revision || latest.map(|l| &l.arn) != Some(&s.task_definition);
                let ids = ServiceIds::new(&svc.name.logical());
                let moved = [ids.target_group(), ids.security_group(), ids.task_role()].iter().any(|id| replaced.contains(id));
                (switches || moved || !settings.is_empty()).then(|| ServiceChange {
                    service: name.clone(),
                    action: ServiceAction::Update,
                    new_revision,
                    task_definition: td,
                    settings,
                })
            }
        };
        // A replaced resource gets a new id: the service will point at it after the stack step.
        let change = change.map(|mut c| {
            let ids = ServiceIds::new(&svc.name.logical());
            for (id, field) in [(ids.target_group(), "target_group"), (ids.security_group(), "security_groups")] {
                if replaced.contains(&id) && c.action == ServiceAction::Update {
                    c.settings.retain(|f| f.field != field);
                    let before = observed.services.get(&name).and_then(|s| services::observed_settings(s).remove(field));
                    c.settings.push(services::FieldChange { field: field.into(), before, after: Some(KNOWN_AFTER_APPLY.into()) });
                    c.settings.sort_by(|a, b| a.field.cmp(&b.field));
                }
            }
            if replaced.contains(&ids.task_role()) {
                c.task_definition.retain(|f| f.field != "task_role");
                let before = observed.running.get(&name).and_then(|r| r.task_def.task_role_arn.clone());
                c.task_definition.push(services::FieldChange { field: "task_role".into(), before, after: Some(KNOWN_AFTER_APPLY.into()) });
                c.task_definition.sort_by(|a, b| a.field.cmp(&b.field));
                c.new_revision = true;
            }
            c
        });
        if let Some(change) = change {
            // Settings ECS applies only by starting new tasks.
            const REDEPLOYED: [&str; 6] =
                ["subnets", "security_groups", "public_ip", "target_group", "container_port", "service_connect.namespace"];
            let kind = match change.action {
                ServiceAction::Create => rollout::Kind::Create,
                _ if change.new_revision || !change.task_definition.is_empty() => rollout::Kind::Redeploy,
                _ if change.settings.iter().any(|f| REDEPLOYED.contains(&f.field.as_str())) => rollout::Kind::Redeploy,
                _ if observed
                    .services
                    .get(&name)
                    .is_some_and(|s| observed.latest.get(&d.task_def.family).is_some_and(|l| l.arn != s.task_definition)) =>
                {
                    rollout::Kind::Redeploy
                }
                _ => rollout::Kind::InPlace,
            };
            rollouts.push(rollout::plan(&name, svc, kind));
            service_changes.push(change);
        }
    }
    let wanted: Vec<String> = m
        .services
        .values()
        .flat_map(|s| {
            let mut names = vec![ecs_service_name(s)];
            if s.deploy.strategy.has_two_colours() {
                names.push(format!("{}-green", s.name));
            }
            names
        })
        .collect();
    for name in observed.services.keys().filter(|n| !wanted.contains(n)) {
        service_changes.push(ServiceChange {
            service: name.clone(),
            action: ServiceAction::Delete,
            new_revision: false,
            task_definition: vec![],
            settings: vec![],
        });
    }
    service_changes.sort_by(|a, b| a.action.cmp(&b.action).then_with(|| a.service.cmp(&b.service)));
    let images = desired.images.clone();
    let count = |a: infra::Action| changes.iter().filter(|c| c.action == a).count();
    let scount = |a: ServiceAction| service_changes.iter().filter(|c| c.action == a).count();
    let summary = Summary {
        changes: action != "none" || !service_changes.is_empty() || !images.is_empty(),
        resources_to_add: count(infra::Action::Create),
        resources_to_change: count(infra::Action::Update),
        resources_to_replace: count(infra::Action::Replace),
        resources_to_remove: count(infra::Action::Delete),
        services_to_create: scount(ServiceAction::Create),
        services_to_update: scount(ServiceAction::Update),
        services_to_delete: scount(ServiceAction::Delete),
    };
    Plan {
        format_version: FORMAT_VERSION,
        stack: m.stack.to_string(),
        env: m.env.clone(),
        summary,
        infrastructure: InfraPlan { action: action.to_string(), changes, outputs_changed },
        images,
        services: service_changes,
        rollout: rollouts,
        fingerprint: Fingerprint { spec: spec_fingerprint(desired), state: state_fingerprint(observed) },
    }
}

fn sha256(value: &Value) -> String {
    let digest = Sha256::digest(value.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A built image counts by its tag (its source commit), not its digest, so a plan made
/// without building and a deploy that built first agree. Image steps are left out: whether
/// the registry has an image is state, and the digests are in the task definitions.
fn spec_fingerprint(d: &Desired) -> String {
    let services: Vec<Value> = d
        .services
        .iter()
        .map(|s| {
            let mut td = serde_json::json!(s.task_def);
            if d.built.contains_key(&s.task_def.family) {
                td["container"]["image"] = Value::Null;
            }
            // Which colour of a two-colour service is live is state, not spec.
            let mut config = serde_json::json!(s.config);
            if s.config.tags.contains_key(crate::workload::COLOUR_TAG) {
                for field in ["name", "load_balancer", "tags"] {
                    config[field] = Value::Null;
                }
            }
            serde_json::json!({ "task_definition": td, "service": config })
        })
        .collect();
    sha256(&serde_json::json!({ "template": d.template_sha, "services": services, "builds": d.built }))
}

/// Only what a deploy's decisions depend on: not running counts or events, which move by
/// themselves.
pub fn state_fingerprint(o: &Observed) -> String {
    let services: BTreeMap<&String, Value> = o
        .services
        .iter()
        .map(|(name, s)| (name, serde_json::json!({ "task_definition": s.task_definition, "desired": s.desired, "config": s.config })))
        .collect();
    let latest: BTreeMap<&String, &String> = o.latest.iter().map(|(f, r)| (f, &r.arn)).collect();
    sha256(&serde_json::json!({
        "stack": o.stack.as_ref().map(|s| &s.status),
        "template": o.template,
        "services": services,
        "latest": latest,
        "weights": o.weights,
    }))
}

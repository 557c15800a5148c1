//! Deployed state as plain data: the stack, its template (and its nested stacks'), the
//! stack's ECS services, the task definitions they run, each family's latest revision, and
//! the traffic weights of the listener rules of two-colour services. Reads only, batched and
//! concurrent, and only what a plan needs (a task definition whose content a service's tag
//! vouches for is not read); decides nothing.
//! `Observed` answers questions about what it holds (where a two-colour service's traffic
//! goes, what each colour runs) without calling AWS again.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use futures_util::{stream, StreamExt};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::aws::autoscaling::Autoscaling;
use crate::aws::cloudformation::{StackInfo, Stacks};
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::scheduler::{group as schedule_group, Scheduler};
use crate::aws::{Aws, AwsError};
use crate::model::{ByColour, Colour, Model, Service, ServiceName, Weights};
use crate::rollout::{ColourState, TwoColours};
use crate::spec::validate::Pins;
use crate::synth::ids::ServiceIds;
use crate::synth::ids::SCHEDULER_ROLE;
use crate::synth::nesting::{Placement, Slot, EXPORT_PREFIX};
use crate::workload::outputs::StackOutputs;
use crate::workload::scaling::{resource_id, Scaling, SCALING_TAG};
use crate::workload::{revision_name, JobSchedule, Registered, ServiceState, ServiceStatus, TaskDef};

#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub stack: Option<StackInfo>,
    /// The deployed template, parsed.
    pub template: Option<Value>,
    /// Its nested stacks' templates, by logical id (`Services1` …).
    pub nested: BTreeMap<String, Value>,
    /// The stack's ECS services (ACTIVE or DRAINING), by name.
    pub services: BTreeMap<String, ServiceState>,
    /// The task definition each service runs, by service name.
    pub running: BTreeMap<String, Registered>,
    /// The latest ACTIVE revision of each of the given families.
    pub latest: BTreeMap<String, Registered>,
    /// Forward weights of the rules of services with two target groups: rule ARN →
    /// [(target group ARN, weight)].
    pub weights: BTreeMap<String, Vec<(String, i32)>>,
    /// Application Auto Scaling of the services tagged `ecship:autoscaling`, by ECS service
    /// name.
    pub scaling: BTreeMap<String, Scaling>,
    /// Scheduled jobs' schedules, by job name (read when the stack has scheduled jobs).
    pub schedules: BTreeMap<String, JobSchedule>,
}

/// The stack, its nested stacks and templates, its ECS services and the traffic of its
/// two-colour services. Task definitions are read by `revisions`, once it is known which.
pub async fn observe(aws: &Aws, stack: &str) -> Result<Observed, AwsError> {
    let stacks = Stacks::new(aws);
    let Some(mut info) = stacks.describe(stack).await? else {
        return Ok(Observed::default());
    };
    let body = stacks.template(stack).await?;
    let template = body.as_deref().and_then(|b| serde_json::from_str(b).ok());
    let nested = nested(&stacks, &mut info).await?;
    let services: BTreeMap<String, ServiceState> = match info.outputs.get("ClusterName") {
        Some(cluster) => Ecs::new(aws).stack_services(cluster, stack).await?.into_iter().map(|s| (s.name.clone(), s)).collect(),
        None => BTreeMap::new(),
    };
    // Rules of two-colour services (two target groups): where their traffic goes.
    let rules: Vec<String> = StackOutputs::parse(stack, &info.outputs)
        .map(|o| o.services().filter(|s| s.target_groups.len() == 2).flat_map(|s| s.rules.clone()).collect())
        .unwrap_or_default();
    let weights = if rules.is_empty() { BTreeMap::new() } else { Elbv2::new(aws).rule_weights(&rules).await?.into_iter().collect() };
    let scaling = scaling(aws, &services).await?;
    let scheduled = template.as_ref().is_some_and(|t: &Value| t["Resources"].get(SCHEDULER_ROLE).is_some());
    let schedules = if scheduled { Scheduler::new(aws).schedules(&schedule_group(stack)).await? } else { BTreeMap::new() };
    Ok(Observed {
        stack: Some(info),
        template,
        nested,
        services,
        running: BTreeMap::new(),
        latest: BTreeMap::new(),
        weights,
        scaling,
        schedules,
    })
}

/// The scaling of the services that carry ecship's autoscaling tag (no call without any).
async fn scaling(aws: &Aws, services: &BTreeMap<String, ServiceState>) -> Result<BTreeMap<String, Scaling>, AwsError> {
    let tagged: BTreeMap<String, &String> = services
        .values()
        .filter(|s| s.tags.contains_key(SCALING_TAG))
        .map(|s| (resource_id(&cluster_of(&s.arn), &s.name), &s.name))
        .collect();
    if tagged.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ids: Vec<String> = tagged.keys().cloned().collect();
    let read = Autoscaling::new(aws).describe(&ids).await?;
    Ok(read.into_iter().filter_map(|(id, s)| tagged.get(&id).map(|name| ((*name).clone(), s))).collect())
}

/// The cluster name in a service ARN (`…:service/CLUSTER/NAME`).
fn cluster_of(service_arn: &str) -> String {
    service_arn.rsplit('/').nth(1).unwrap_or_default().to_string()
}

/// A task definition a plan compares: the family's, as the ECS service that runs it should
/// run it.
pub struct Wanted<'a> {
    pub family: &'a str,
    /// The ECS service (the live colour's, for a two-colour service).
    pub service: &'a str,
    pub task_def: &'a TaskDef,
}

/// Read the task definitions a plan compares, only as far as needed. A service whose
/// `ecship:task-definition` tag says it runs a revision of exactly the wanted content needs
/// no read: that revision is what it runs and its family's latest as far as the plan is
/// concerned. Others get their family's latest revision read, and the revision they run
/// when it is another, `parallel` reads at a time. With `before` (what an earlier read of
/// the same run found), a service that still runs the same revision with the same tags
/// keeps what was read then.
pub async fn revisions(
    aws: &Aws,
    observed: &mut Observed,
    wanted: &[Wanted<'_>],
    parallel: usize,
    before: Option<&Observed>,
) -> Result<(), AwsError> {
    let ecs = Ecs::new(aws);
    let mut unknown: Vec<&str> = Vec::new();
    for w in wanted {
        let running = observed.services.get(w.service).filter(|s| runs_tagged(s, w.task_def));
        if let Some(s) = running {
            let known = Registered { arn: s.task_definition.clone(), task_def: w.task_def.clone(), tags: BTreeMap::new() };
            observed.latest.insert(w.family.to_string(), known.clone());
            observed.running.insert(w.service.to_string(), known);
            continue;
        }
        let same = |b: &Observed| -> Option<(Registered, Registered)> {
            let (now, then) = (observed.services.get(w.service)?, b.services.get(w.service)?);
            let unchanged = now.task_definition == then.task_definition && now.tags == then.tags;
            unchanged.then(|| Some((b.latest.get(w.family)?.clone(), b.running.get(w.service)?.clone())))?
        };
        match before.and_then(same) {
            Some((latest, running)) => {
                observed.latest.insert(w.family.to_string(), latest);
                observed.running.insert(w.service.to_string(), running);
            }
            None => unknown.push(w.family),
        }
    }
    let latest: Vec<Result<Option<Registered>, AwsError>> =
        stream::iter(unknown.iter().map(|f| ecs.task_definition(f))).buffered(parallel.max(1)).collect().await;
    for (family, r) in unknown.iter().zip(latest) {
        if let Some(r) = r? {
            observed.latest.insert((*family).to_string(), r);
        }
    }
    // A service runs its family's latest revision unless a deploy is half done or was rolled
    // back: only those are read again.
    let others: Vec<(String, String)> = observed
        .services
        .values()
        .filter(|s| !observed.running.contains_key(&s.name))
        .map(|s| (s.name.clone(), s.task_definition.clone()))
        .collect();
    let mut read: Vec<(String, String)> = Vec::new();
    for (name, arn) in others {
        match observed.latest.values().find(|l| l.arn == arn) {
            Some(l) => {
                let l = l.clone();
                observed.running.insert(name, l);
            }
            None => read.push((name, arn)),
        }
    }
    let running: Vec<Result<Option<Registered>, AwsError>> =
        stream::iter(read.iter().map(|(_, arn)| ecs.task_definition(arn))).buffered(parallel.max(1)).collect().await;
    for ((name, _), r) in read.into_iter().zip(running) {
        if let Some(r) = r? {
            observed.running.insert(name, r);
        }
    }
    Ok(())
}

/// The tag that says which revision a service was last put on by ecship, and the hash of
/// that revision's content: `FAMILY:REVISION HASH`.
pub const TASK_DEFINITION_TAG: &str = "ecship:task-definition";

/// The tag's value for a service put on `arn`, whose content is `td`.
pub fn task_definition_tag(arn: &str, td: &TaskDef) -> String {
    format!("{} {}", revision_name(arn), content_hash(td))
}

/// The first 16 hex digits of the sha256 of a task definition's content.
pub fn content_hash(td: &TaskDef) -> String {
    let digest = Sha256::digest(serde_json::to_string(td).unwrap_or_default().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Whether a service's tag says it runs a revision of exactly `td`'s content.
fn runs_tagged(s: &ServiceState, td: &TaskDef) -> bool {
    s.tags.get(TASK_DEFINITION_TAG).is_some_and(|tag| {
        tag.split_once(' ').is_some_and(|(revision, hash)| revision == revision_name(&s.task_definition) && hash == content_hash(td))
    })
}

/// The root's nested stacks and their templates; their outputs join the root's, as if the
/// stack were one.
async fn nested(stacks: &Stacks, root: &mut StackInfo) -> Result<BTreeMap<String, Value>, AwsError> {
    let nested = stacks.nested_stacks(&root.name).await?;
    root.merge_outputs(&nested, EXPORT_PREFIX);
    let bodies = join_all(nested.iter().map(|n| stacks.template(&n.id))).await;
    let mut out = BTreeMap::new();
    for (n, body) in nested.iter().zip(bodies) {
        if let Some(t) = body?.and_then(|b| serde_json::from_str(&b).ok()) {
            out.insert(n.logical_id.clone(), t);
        }
    }
    Ok(out)
}

impl Observed {
    /// The count each autoscaled service of `m` keeps: what its ECS service (the live
    /// colour's, for a two-colour service) runs now, within the spec's min–max. Services not
    /// deployed yet start at their `count`.
    pub fn kept_counts(&self, m: &Model) -> BTreeMap<ServiceName, u32> {
        let traffic = self.traffic(m);
        let mut out = BTreeMap::new();
        for svc in m.services.values() {
            let Some(a) = &svc.autoscaling else { continue };
            let name = svc.live_ecs_service(traffic.get(&svc.name).copied());
            if let Some(s) = self.services.get(&name) {
                out.insert(svc.name.clone(), a.clamp(s.desired));
            }
        }
        out
    }

    /// The deployed priority of each route of `m` whose rule is deployed with the same path
    /// and host (a route moved to another index, or changed, has none).
    pub fn route_priorities(&self, m: &Model) -> Pins {
        let templates: Vec<&Value> = self.template.iter().chain(self.nested.values()).collect();
        let mut out = Pins::new();
        for svc in m.services.values() {
            let ids = ServiceIds::new(&svc.name.logical());
            for (i, route) in svc.routes.iter().enumerate() {
                let id = ids.rule(i);
                let Some(rule) = templates.iter().find_map(|t| t["Resources"].get(&id)) else { continue };
                let props = &rule["Properties"];
                let condition = |field: &str, config: &str| -> Option<String> {
                    let c = props["Conditions"].as_array()?.iter().find(|c| c["Field"] == field)?;
                    c[config]["Values"].get(0)?.as_str().map(str::to_string)
                };
                let same = condition("path-pattern", "PathPatternConfig").as_deref() == Some(route.path.as_str())
                    && condition("host-header", "HostHeaderConfig") == route.host;
                let priority = props["Priority"].as_u64().and_then(|p| u32::try_from(p).ok());
                if let (true, Some(p)) = (same, priority) {
                    out.insert((svc.name.clone(), i), p);
                }
            }
        }
        out
    }

    /// Where each service of `m` lives as deployed: in the nested stack whose template holds
    /// its task role, else in the root.
    pub fn placement(&self, m: &Model) -> Placement {
        let mut out = Placement::new();
        for name in m.services.keys() {
            let role = ServiceIds::new(&name.logical()).task_role();
            let nested = self.nested.iter().find(|(_, t)| t["Resources"].get(&role).is_some()).and_then(|(k, _)| Slot::of_logical_id(k));
            let root = self.template.as_ref().is_some_and(|t| t["Resources"].get(&role).is_some());
            if let Some(slot) = nested.or(root.then_some(Slot::Root)) {
                out.insert(name.clone(), slot);
            }
        }
        out
    }

    /// Where the traffic of each two-colour service of `m` goes now, read from its rules
    /// (ecship moves them all together): the first rule's weights — or, when a move stopped
    /// between two rules, the first split rule's, so that the service counts as half-way;
    /// all on blue before the first deploy.
    pub fn traffic(&self, m: &Model) -> BTreeMap<ServiceName, Weights> {
        let outputs = self.stack.as_ref().and_then(|s| StackOutputs::parse(m.stack.as_str(), &s.outputs).ok());
        let mut out = BTreeMap::new();
        for svc in m.services.values().filter(|s| s.deploy.rollout.has_two_colours()) {
            let found = outputs.as_ref().and_then(|o| o.service(m.stack.as_str(), &svc.name).ok()).and_then(|so| {
                let rules: Vec<Weights> = so
                    .rules
                    .iter()
                    .filter_map(|rule| {
                        let forward = self.weights.get(rule)?;
                        let of = |tg: Option<&String>| tg.and_then(|tg| forward.iter().find(|(arn, _)| arn == tg)).map_or(0, |(_, w)| *w);
                        Weights::from_forward(of(so.target_groups.first()), of(so.target_groups.get(1)))
                    })
                    .collect();
                rules.iter().find(|w| w.split()).or(rules.first()).copied()
            });
            out.insert(svc.name.clone(), found.unwrap_or_default());
        }
        out
    }

    /// A two-colour service's colours as deployed (only ACTIVE ECS services count), with its
    /// traffic at `weights`.
    pub fn colours(&self, svc: &Service, weights: Weights) -> TwoColours {
        let of = |c: Colour| {
            self.services
                .get(&svc.colour_service(c))
                .filter(|s| s.status == ServiceStatus::Active)
                .map(|s| ColourState { task_definition: s.task_definition.clone(), desired: s.desired })
        };
        TwoColours { weights, services: ByColour { blue: of(Colour::Blue), green: of(Colour::Green) } }
    }
}

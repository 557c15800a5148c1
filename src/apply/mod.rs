//! `deploy`: bring deployed state to the spec, in the order AWS needs. `prepare` reads the
//! deployed state and builds the `Plan`; `apply` carries it out:
//!
//! 1. `build:` images are built (locally: a broken Dockerfile stops the run before any write;
//!    `deploy` builds in `prepare`, so that the plan it shows names the digests).
//! 2. Services dropped from the spec are deleted first (their security groups and target
//!    groups are about to leave the stack, and AWS will not delete them while in use).
//! 3. The infrastructure stack is created or updated (no write when the template is the same).
//! 4. Images are pushed to the stack's repositories (blobs the registry has are skipped).
//! 5. Each service gets its task definition — a new revision only when the rendered one
//!    differs from the family's latest, images named by digest — and is created or updated
//!    when anything differs.
//! 6. Every changed service is watched until stable, failed or out of time.
//!
//! A run with nothing changed makes no write at all. Must not print.

pub mod colours;
pub mod rollback;
pub mod wait;

pub use colours::settle;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use crate::aws::cloudformation::{Applied, Stacks};
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::{Aws, AwsError};
use crate::destroy::{families_of, remove_family, remove_services, stack_event};
use crate::events::{Event, Reporter};
use crate::image::{self, ImageError, Pending, Pushed, Target, KNOWN_AFTER_BUILD};
use crate::model::{Model, ServiceName};
use crate::observe::{observe, Observed};
use crate::plan::services::{self, ServiceAction};
use crate::plan::{self, ImageStep, Plan};
use crate::rollout::{self, Colour, Resume, TwoColours};
use crate::stack::Compiled;
use crate::workload::outputs::{MissingOutput, StackOutputs};
use crate::workload::render::{self, Inputs, RenderError};
use crate::workload::{revision_name, ServiceState, STACK_TAG};
use wait::{assess, Assessment, Outcome, Watch};

pub struct DeployOptions {
    /// Where canary and blue/green HTTP checks go instead of the load balancer's URL.
    pub check_endpoint: Option<String>,
    /// Whether services that left the spec may be removed (`--yes`, a confirmed or saved plan).
    pub remove_services: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Outputs(#[from] MissingOutput),
    #[error("cannot serialise the template: {0}")]
    Template(String),
    #[error("deploy would remove service{} {} (no longer in the spec) — re-run with --yes to remove {}", if services.len() == 1 { "" } else { "s" }, services.join(", "), if services.len() == 1 { "it" } else { "them" })]
    RemovalRefused { services: Vec<String> },
    #[error("stack {stack} is not deployed: nothing to roll back")]
    NotDeployed { stack: String },
    #[error("cannot roll back {service}: {why}")]
    NothingToRollBack { service: String, why: String },
    #[error("the rollout of {} did not finish:{}", failures.iter().map(|f| f.service.as_str()).collect::<Vec<_>>().join(", "), failures.iter().map(|f| format!("\n  {f}")).collect::<String>())]
    Rollout { failures: Vec<RolloutFailure> },
}

#[derive(Debug, Clone, Serialize)]
pub struct RolloutFailure {
    pub service: String,
    pub outcome: Outcome,
}

impl std::fmt::Display for RolloutFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.outcome {
            Outcome::Stable => write!(f, "{}: stable", self.service),
            Outcome::TimedOut { waited_secs } => {
                write!(
                    f,
                    "{}: not stable after {}; ECS carries on — see `ecship status`",
                    self.service,
                    humantime::format_duration(Duration::from_secs(*waited_secs))
                )
            }
            Outcome::Failed { reason, rolled_back, stopped } => {
                let what = if *rolled_back { "rolled back to the previous revision" } else { "failed" };
                write!(f, "{}: {what}: {reason}", self.service)?;
                let reasons: BTreeSet<&str> = stopped.iter().map(|t| t.reason.as_str()).collect();
                for reason in reasons {
                    let n = stopped.iter().filter(|t| t.reason == reason).count();
                    write!(f, "\n    stopped task{}: {reason}", if n == 1 { String::new() } else { format!("s ({n})") })?;
                }
                Ok(())
            }
        }
    }
}

impl DeployError {
    /// Whether every failed rollout was rolled back (the service runs its previous revision).
    pub fn rolled_back(&self) -> bool {
        matches!(self, DeployError::Rollout { failures } if failures.iter().all(|f| matches!(f.outcome, Outcome::Failed { rolled_back: true, .. })))
    }

    pub fn timed_out(&self) -> bool {
        matches!(self, DeployError::Rollout { failures } if failures.iter().any(|f| matches!(f.outcome, Outcome::TimedOut { .. })))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    pub stack: String,
    /// created, updated or unchanged.
    pub infrastructure: &'static str,
    pub images: Vec<Pushed>,
    pub services: Vec<ServiceResult>,
    pub removed: Vec<String>,
    /// Old task-definition revisions deregistered and deleted (`deploy.keep_revisions`).
    pub pruned: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceResult {
    pub service: String,
    /// create, update or unchanged.
    pub action: &'static str,
    pub task_definition: String,
    pub registered: bool,
}

impl Deployed {
    pub fn changed(&self) -> bool {
        self.infrastructure != "unchanged"
            || !self.removed.is_empty()
            || self.images.iter().any(|i| i.result != "present")
            || self.services.iter().any(|s| s.action != "unchanged" || s.registered)
    }
}

/// Everything a deploy decides from: the deployed state, the images to push, and the plan.
pub struct Prepared {
    pub plan: Plan,
    /// The template to send: the rendered one, with two-colour weights as deployed.
    pub template_body: String,
    pub observed: Observed,
    pub images: Images,
}

/// The images of a deploy: given ones (`--image`), and those ecship pushes.
pub struct Images {
    /// `--image SERVICE=IMAGE`, used as given.
    pub given: BTreeMap<ServiceName, String>,
    /// Layouts, archives and builds, to push to the stack's repositories.
    pub pending: Vec<Pending>,
    /// The registry login; `None` when nothing is pushed.
    pub target: Option<Target>,
    /// Images built by `prepare`: their layouts live as long as this.
    _built: Vec<image::build::Built>,
}

/// Read the deployed state (and the registry, for images ecship pushes) and plan against
/// it. No writes to AWS. With `build`, `build:` images are built first (locally), so the
/// plan shows their digests; without, they show `(known after build)`.
/// What deployed state says about a two-colour service's colours, given its rules' weights.
pub(crate) fn two_colours(observed: &Observed, svc: &crate::model::Service, weights: (u8, u8)) -> TwoColours {
    let of = |c: Colour| {
        observed
            .services
            .get(&format!("{}-{}", svc.name, c.name()))
            .filter(|s| s.status == "ACTIVE")
            .map(|s| (s.task_definition.clone(), s.desired))
    };
    TwoColours { weights, blue: of(Colour::Blue), green: of(Colour::Green) }
}

/// Two-colour services an earlier run left half-way (traffic split, or the idle colour still
/// running), with their weights (blue, green).
pub fn unfinished(m: &Model, observed: &Observed) -> Vec<(ServiceName, (u8, u8))> {
    plan::live_weights(m, observed)
        .into_iter()
        .filter(|(name, weights)| {
            m.services
                .get(name)
                .is_some_and(|svc| matches!(rollout::resume(&two_colours(observed, svc, *weights), ""), Resume::Unfinished { .. }))
        })
        .collect()
}

pub async fn prepare(
    aws: &Aws,
    c: &Compiled,
    given: &BTreeMap<ServiceName, String>,
    registry_endpoint: Option<&str>,
    build: Option<&dyn Reporter>,
) -> Result<Prepared, DeployError> {
    let m = &c.model;
    let mut pending = image::pending(m, given, None)?;
    let layouts = match build {
        Some(r) => image::build_all(m, &mut pending, r).await?,
        None => Vec::new(),
    };
    let target = if pending.is_empty() { None } else { Some(image::login(aws, registry_endpoint).await?) };
    let (refs, steps) = match &target {
        Some(t) => image_steps(m, t, given, &pending).await?,
        None => (given.clone(), Vec::new()),
    };
    // An image that cannot be deployed fails the run before anything else.
    for svc in m.services.values() {
        render::image(svc, &refs)?;
    }
    let observed = observe(aws, m.stack.as_str(), &plan::families(m)).await?;
    // Builds count by their tag in the plan's fingerprint (see `plan::desire`).
    let built = pending
        .iter()
        .filter(|p| p.built)
        .filter_map(|p| Some((render::family(m, m.services.get(&p.service)?), p.tag.clone().unwrap_or_else(|| KNOWN_AFTER_BUILD.into()))))
        .collect();
    let desired = plan::desire(c, &observed, aws.region(), &refs, steps, built)?;
    let template_body = desired.template_body.clone().unwrap_or_else(|| c.template.to_json_compact());
    Ok(Prepared {
        plan: plan::build(m, &desired, &observed),
        template_body,
        observed,
        images: Images { given: given.clone(), pending, target, _built: layouts },
    })
}

/// The image each pushed service will run (`REPOSITORY@DIGEST`), and the push steps: images
/// the registry has already are not steps.
async fn image_steps(
    m: &Model,
    target: &Target,
    given: &BTreeMap<ServiceName, String>,
    pending: &[Pending],
) -> Result<(BTreeMap<ServiceName, String>, Vec<ImageStep>), ImageError> {
    let mut refs = given.clone();
    let mut steps = Vec::new();
    for p in pending {
        let Some(svc) = m.services.get(&p.service) else { continue };
        let (uri, name, tag) = (target.repository_uri(m, svc), image::repository_name(m, svc), p.tag());
        let registry_err = |source| ImageError::Registry { service: svc.name.to_string(), source };
        let step = |action: &str, digest: Option<String>, blobs: usize, bytes: u64| ImageStep {
            service: svc.name.to_string(),
            action: action.to_string(),
            source: p.origin.clone(),
            repository: uri.clone(),
            tag: tag.clone(),
            digest,
            blobs,
            bytes,
        };
        match &p.local {
            Some(local) => {
                let digest = local.digest().to_string();
                refs.insert(svc.name.clone(), format!("{uri}@{digest}"));
                let present = target.registry.manifest_digest(&name, &digest).await.map_err(registry_err)?.is_some();
                if !present {
                    let action = if p.built { "build" } else { "push" };
                    steps.push(step(action, Some(digest), local.blobs.len(), local.size()));
                }
            }
            None => {
                refs.insert(svc.name.clone(), format!("{uri}@{KNOWN_AFTER_BUILD}"));
                steps.push(step("build", None, 0, 0));
            }
        }
    }
    Ok((refs, steps))
}

/// Carry out a plan: removals, the stack, task definitions and services, then watch the
/// rollouts. Services are rendered again against the stack's outputs after the stack step
/// (a new or replaced resource has a new id).
pub async fn apply(aws: &Aws, c: &Compiled, prepared: &Prepared, opts: &DeployOptions, r: &dyn Reporter) -> Result<Deployed, DeployError> {
    let (plan, observed) = (&prepared.plan, &prepared.observed);
    let m = &c.model;
    let stack = m.stack.as_str();
    let stacks = Stacks::new(aws);
    let ecs = Ecs::new(aws);

    // 1. Builds (unless `prepare` built them), before anything is written. The layouts live
    //    until the push is done.
    let mut pending = prepared.images.pending.clone();
    let _built = image::build_all(m, &mut pending, r).await?;

    // 2. Services no longer in the spec.
    let stale: Vec<ServiceState> = plan
        .services
        .iter()
        .filter(|s| s.action == ServiceAction::Delete)
        .filter_map(|s| observed.services.get(&s.service).cloned())
        .collect();
    let mut removed = Vec::new();
    if let (false, Some(cluster)) = (stale.is_empty(), observed.stack.as_ref().and_then(|s| s.outputs.get("ClusterName"))) {
        let names: Vec<String> = stale.iter().map(|s| s.name.clone()).collect();
        if !opts.remove_services {
            return Err(DeployError::RemovalRefused { services: names });
        }
        r.event(&Event::Step { message: format!("services: removing {}", names.join(", ")) });
        remove_services(&ecs, cluster, &stale, Duration::from_secs(1800), r).await?;
        for family in families_of(stack, &stale) {
            remove_family(&ecs, &family, r).await?;
        }
        removed = names;
    }

    // 3. Infrastructure, only when the plan changes it.
    r.event(&Event::Step { message: format!("infrastructure: stack {stack}") });
    let infrastructure = if plan.infrastructure.action == "none" {
        "unchanged"
    } else {
        let mut tags = m.tags.clone();
        tags.insert(STACK_TAG.into(), stack.to_string());
        match stacks.apply(stack, &prepared.template_body, &tags, &mut |e| r.event(&stack_event(e))).await? {
            Applied::Created => "created",
            Applied::Updated => "updated",
            Applied::NoChanges => "unchanged",
        }
    };
    r.event(&Event::Stack { stack: stack.to_string(), result: infrastructure });
    let info = match (infrastructure, &observed.stack) {
        ("unchanged", Some(info)) => info.clone(),
        _ => stacks.describe(stack).await?.ok_or_else(|| AwsError::Other(format!("stack {stack} vanished after deploying it")))?,
    };
    let outputs = StackOutputs::parse(stack, &info.outputs)?;

    // 4. Images, into the repositories the stack holds.
    let mut images = prepared.images.given.clone();
    let mut pushed = Vec::new();
    if let Some(target) = &prepared.images.target {
        r.event(&Event::Step { message: format!("images: {} to {}", pending.len(), target.registry.endpoint()) });
        pushed = image::push_all(m, target, &pending, r).await?;
        for p in &pushed {
            if let Some(name) = m.services.keys().find(|k| k.as_str() == p.service) {
                images.insert(name.clone(), p.reference());
            }
        }
    }

    // 5. Task definitions and services.
    r.event(&Event::Step { message: format!("services: {} in cluster {}", m.services.len(), outputs.cluster) });
    let inputs = Inputs { model: m, outputs: &outputs, region: aws.region(), images: &images };
    let mut results = Vec::new();
    let mut watches = Vec::new();
    let live = plan::live_weights(m, observed);
    // Revisions any service ran before this deploy, or runs after it: never pruned.
    let mut in_use: BTreeSet<String> = observed.services.values().map(|s| s.task_definition.clone()).collect();
    let mut new_families: Vec<(String, u32)> = Vec::new();
    let mut jobs: Vec<colours::Job> = Vec::new();
    let mut abandoned: Vec<colours::Job> = Vec::new();
    for svc in m.services.values() {
        let (td, mut config) = (render::task_def(&inputs, svc)?, render::service_config(&inputs, svc)?);
        let (arn, registered) = match observed.latest.get(&td.family) {
            Some(l) if l.task_def == td => (l.arn.clone(), false),
            _ => (ecs.register(&td, &render::task_tags(m, svc)).await?, true),
        };
        in_use.insert(arn.clone());
        if registered {
            new_families.push((td.family.clone(), svc.deploy.keep_revisions));
        }
        // A two-colour service's revision goes to a colour decided below: named by the service.
        let shown = if live.contains_key(&svc.name) { svc.name.to_string() } else { config.name.clone() };
        r.event(&Event::TaskDefinition { service: shown, revision: revision_name(&arn).to_string(), registered });
        if let Some(weights) = live.get(&svc.name) {
            let state = two_colours(observed, svc, *weights);
            let of = |c: Colour| if c == Colour::Blue { state.blue.clone() } else { state.green.clone() };
            let td_of = |c: Colour| of(c).map_or_else(|| arn.clone(), |(td, _)| td);
            let job = |old: Colour, from_weight: u8| colours::Job {
                svc,
                task_definition: arn.clone(),
                old,
                new_current: of(old.other()).is_some_and(|(td, _)| td == arn),
                from_weight,
                new_exists: of(old.other()).is_some(),
                at_once: false,
            };
            let exists = state.blue.is_some() || state.green.is_some();
            let planned = match rollout::resume(&state, &arn) {
                // A new service, or one whose live colour runs the wanted revision: the plain
                // path below, on the live colour.
                Resume::Settled { live, up_to_date } if up_to_date || !exists => {
                    config = render::colour_config(&inputs, svc, config, live)?;
                    None
                }
                Resume::Settled { live, .. } => Some((None, job(live, 0))),
                Resume::Unfinished { towards, up_to_date: true } => {
                    let at = if towards == Colour::Green { weights.1 } else { weights.0 };
                    r.event(&Event::Step {
                        message: format!("{}: an earlier rollout stopped at {at} % on {}; continuing it", svc.name, towards.name()),
                    });
                    Some((None, job(towards.other(), at)))
                }
                Resume::Unfinished { towards, up_to_date: false } => {
                    r.event(&Event::Step {
                        message: format!(
                            "{}: an earlier rollout to another revision stopped half-way on {}; returning traffic to {} first",
                            svc.name,
                            towards.name(),
                            towards.other().name()
                        ),
                    });
                    let abandon = colours::Job { task_definition: td_of(towards), ..job(towards.other(), 0) };
                    Some((Some(abandon), job(towards.other(), 0)))
                }
            };
            if let Some((abandon, rollout)) = planned {
                abandoned.extend(abandon);
                jobs.push(rollout);
                results.push(ServiceResult {
                    service: svc.name.to_string(),
                    action: svc.deploy.strategy.name(),
                    task_definition: revision_name(&arn).to_string(),
                    registered,
                });
                continue;
            }
        }
        let current = observed.services.get(&config.name);
        let action = match current {
            None => {
                ecs.create_service(&config, &arn).await?;
                "create"
            }
            Some(s) if s.task_definition != arn || services::settings_differ(&config, s) => {
                ecs.update_service(&config, &arn).await?;
                "update"
            }
            Some(_) => "unchanged",
        };
        r.event(&Event::Service { service: config.name.clone(), action });
        // An unchanged service still mid-rollout (an earlier run was interrupted) is watched too.
        let settled = current.is_some_and(|s| assess(s, &arn) == Assessment::Stable);
        if action != "unchanged" || !settled {
            watches.push(Watch { name: config.name.clone(), task_definition: arn.clone(), timeout: svc.deploy.timeout });
        }
        results.push(ServiceResult { service: config.name.clone(), action, task_definition: revision_name(&arn).to_string(), registered });
    }

    // 6. Rollouts.
    if !watches.is_empty() {
        r.event(&Event::Step {
            message: format!("rollout: waiting for {}", watches.iter().map(|w| w.name.as_str()).collect::<Vec<_>>().join(", ")),
        });
    }
    let outcomes = wait::wait_all(&ecs, &outputs.cluster, &watches, r).await?;
    let mut failures: Vec<RolloutFailure> =
        outcomes.into_iter().filter(|(_, o)| *o != Outcome::Stable).map(|(service, outcome)| RolloutFailure { service, outcome }).collect();

    // 7. Canary and blue/green rollouts, one service at a time.
    let elbv2 = Elbv2::new(aws);
    let base = opts.check_endpoint.clone().or_else(|| outputs.load_balancer_url.clone());
    let check = base.as_deref().and_then(colours::HttpCheck::new);
    let cx = colours::Cx { ecs: &ecs, elbv2: &elbv2, inputs: &inputs, check: check.as_ref(), r };
    for job in &abandoned {
        colours::abandon(&cx, job).await?;
    }
    for job in &jobs {
        r.event(&Event::Step {
            message: format!(
                "rollout: {} {} from {} to {}",
                job.svc.deploy.strategy.name().replace('_', "/"),
                job.svc.name,
                job.old.name(),
                job.old.other().name()
            ),
        });
        let outcome = colours::run(&cx, job).await?;
        let name = job.svc.name.to_string();
        r.event(&Event::Rollout {
            service: name.clone(),
            outcome: match &outcome {
                Outcome::Stable => "stable",
                Outcome::Failed { .. } => "rolled_back",
                Outcome::TimedOut { .. } => "timed_out",
            },
            detail: match &outcome {
                Outcome::Failed { reason, .. } => Some(reason.clone()),
                _ => None,
            },
        });
        if outcome != Outcome::Stable {
            failures.push(RolloutFailure { service: name, outcome });
        }
    }
    if !failures.is_empty() {
        return Err(DeployError::Rollout { failures });
    }

    // 8. Revision hygiene, after success only: what a failed rollout leaves is evidence.
    // Families are pruned concurrently.
    let prune = |family: &String, keep: u32| {
        let (ecs, in_use) = (&ecs, &in_use);
        let family = family.clone();
        async move {
            let old = prunable(&ecs.revisions(&family, true).await?, keep as usize, in_use);
            for arn in &old {
                ecs.deregister(arn).await?;
            }
            // Deregistered by this run or an earlier, interrupted one.
            let inactive: Vec<String> = ecs.revisions(&family, false).await?.into_iter().filter(|a| !in_use.contains(a)).collect();
            ecs.delete_task_definitions(&inactive).await?;
            Ok::<_, AwsError>((family, keep, old))
        }
    };
    // Best effort: the deploy itself succeeded; what is left is pruned by the next.
    let mut pruned = Vec::new();
    for (done, (family, _)) in
        futures_util::future::join_all(new_families.iter().map(|(f, k)| prune(f, *k))).await.into_iter().zip(&new_families)
    {
        let (family, keep, old) = match done {
            Ok(done) => done,
            Err(e) => {
                r.event(&Event::Warning {
                    message: format!("revisions: old revisions of {family} were not pruned ({e}); the next deploy tries again"),
                });
                continue;
            }
        };
        if !old.is_empty() {
            r.event(&Event::Step {
                message: format!(
                    "revisions: {} old revision{} of {family} deleted, the last {keep} kept",
                    old.len(),
                    if old.len() == 1 { "" } else { "s" }
                ),
            });
        }
        pruned.extend(old.iter().map(|a| revision_name(a).to_string()));
    }
    Ok(Deployed { stack: stack.to_string(), infrastructure, images: pushed, services: results, removed, pruned })
}

/// The revisions of one family (ARNs, any order) to deregister: all but the `keep` newest,
/// and never one in use.
fn prunable(revisions: &[String], keep: usize, in_use: &BTreeSet<String>) -> Vec<String> {
    let number = |arn: &str| revision_name(arn).rsplit_once(':').and_then(|(_, n)| n.parse::<u32>().ok()).unwrap_or(u32::MAX);
    let mut sorted: Vec<&String> = revisions.iter().collect();
    sorted.sort_by_key(|a| std::cmp::Reverse(number(a)));
    sorted.into_iter().skip(keep).filter(|a| !in_use.contains(*a)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_newest_revisions_and_any_in_use() {
        let arn = |n: u32| format!("arn:aws:ecs:us-east-1:1:task-definition/s-web:{n}");
        let all: Vec<String> = [3, 1, 12, 2, 11, 10].into_iter().map(arn).collect();
        let none = BTreeSet::new();
        assert_eq!(prunable(&all, 3, &none), vec![arn(3), arn(2), arn(1)], "by number, not by text or order");
        assert_eq!(prunable(&all, 10, &none), Vec::<String>::new());
        let running = BTreeSet::from([arn(2)]);
        assert_eq!(prunable(&all, 3, &running), vec![arn(3), arn(1)], "a revision a service runs stays");
    }
}

//! Before a deploy writes anything: read the deployed state (and the registry, for images
//! ecship pushes) and plan against it. `plan` stops here; `deploy` shows the plan, asks,
//! and applies it.

use std::collections::BTreeMap;

use crate::aws::Aws;
use crate::events::Reporter;
use crate::image::{self, ImageError, Pending, Target, KNOWN_AFTER_BUILD};
use crate::model::{Model, ServiceName, Weights};
use crate::observe::{observe, revisions, Observed, Wanted};
use crate::plan::{self, ImageAction, ImageStep, Plan, PlannedImages, StackAction};
use crate::rollout::{self, Resume};
use crate::stack::Compiled;
use crate::workload::{render, TaskDef};

use super::delivery::Delivery;
use crate::ops::Error;

/// Everything a deploy decides from: the deployed state, the images to push, and the plan.
pub struct Prepared {
    pub plan: Plan,
    /// The templates to send (with two-colour weights as deployed), and how.
    pub delivery: Delivery,
    /// The task definitions the plan compared, by the ECS service that runs them: read again
    /// the same way when the deployed state is checked under the lock.
    pub compared: Vec<Compared>,
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
    /// Existing images pinned to a digest: `uri → NAME@DIGEST`.
    pub pins: BTreeMap<String, String>,
    /// Images built by `prepare`: their layouts live as long as this.
    _built: Vec<image::build::Built>,
}

/// Read the deployed state (and the registry, for images ecship pushes) and plan against
/// it. No writes to AWS. With `build`, `build:` images are built first (locally), so the
/// plan shows their digests; without, they show `(known after build)`.
pub async fn prepare(aws: &Aws, c: &Compiled, opts: &PrepareOptions<'_>, build: Option<&dyn Reporter>) -> Result<Prepared, Error> {
    let (given, registry_endpoint) = (opts.images, opts.registry_endpoint);
    let m = &c.model;
    let mut pending = image::pending(m, given, None)?;
    let built = match build {
        Some(r) => image::build_all(m, &mut pending, r).await?,
        None => Vec::new(),
    };
    let target = if pending.is_empty() { None } else { Some(image::login(aws, registry_endpoint).await?) };
    let mut images = match &target {
        Some(t) => planned_images(m, t, given, &pending).await?,
        None => PlannedImages { refs: given.clone(), ..PlannedImages::default() },
    };
    let pin_opts = super::pins::PinOptions { given, registry_endpoint, mirrors: opts.registry_mirrors };
    (images.pins, images.pinned) = super::pins::pin(aws, m, &pin_opts).await?;
    let pins = images.pins.clone();
    // An image that cannot be deployed fails the run before anything else.
    for svc in m.services.values() {
        render::image(svc, &images.refs)?;
    }
    let mut observed = observe(aws, m.stack.as_str()).await?;
    let desired = plan::desire(c, &observed, aws.region(), images)?;
    // A job's family is read like a service's; no ECS service has its `job:` name.
    let compared: Vec<Compared> = desired
        .services
        .iter()
        .map(|d| Compared { service: d.config.name.clone(), task_def: d.task_def.clone() })
        .chain(desired.jobs.iter().map(|j| Compared { service: format!("job:{}", j.name), task_def: j.task_def.clone() }))
        .collect();
    revisions(aws, &mut observed, &wanted(&compared), READS, None).await?;
    let mut plan = plan::build(m, &desired, &observed);
    if let Some(table) = opts.prices {
        let pricing = crate::cost::Pricing { table, region: aws.region(), assumptions: &m.cost };
        plan.cost = Some(plan::cost::estimate(&pricing, m, &desired, &observed)?);
    }
    // Where templates go matters (and the asset bucket is asked) only when the stack changes.
    let delivery = if plan.infrastructure.action == StackAction::None {
        Delivery::none()
    } else {
        Delivery::plan(aws, m, desired.stacks, opts.asset_bucket).await?
    };
    plan.infrastructure.templates = delivery.uploads();
    Ok(Prepared { plan, delivery, observed, compared, images: Images { given: given.clone(), pending, target, pins, _built: built } })
}

/// How many task definitions are read at once.
const READS: usize = 16;

/// A task definition a plan compares, and the ECS service that runs it.
pub struct Compared {
    pub service: String,
    pub task_def: TaskDef,
}

/// `compared` as `observe::revisions` takes it.
pub fn wanted(compared: &[Compared]) -> Vec<Wanted<'_>> {
    compared.iter().map(|c| Wanted { family: &c.task_def.family, service: &c.service, task_def: &c.task_def }).collect()
}

/// What `prepare` reads besides the spec.
pub struct PrepareOptions<'a> {
    /// `--image SERVICE=IMAGE`.
    pub images: &'a BTreeMap<ServiceName, String>,
    /// `--registry-endpoint`.
    pub registry_endpoint: Option<&'a str>,
    /// `--registry-mirror HOST=URL`.
    pub registry_mirrors: &'a [String],
    /// `--asset-bucket`.
    pub asset_bucket: Option<&'a str>,
    /// The price table to estimate the plan's cost with; `None`: no estimate.
    pub prices: Option<&'a crate::cost::Table>,
}

/// The image each pushed service will run (`REPOSITORY@DIGEST`), the push steps (images the
/// registry has already are not steps), and the tags builds go under.
async fn planned_images(
    m: &Model,
    target: &Target,
    given: &BTreeMap<ServiceName, String>,
    pending: &[Pending],
) -> Result<PlannedImages, ImageError> {
    let mut out = PlannedImages { refs: given.clone(), ..PlannedImages::default() };
    for p in pending {
        let Some(svc) = m.services.get(&p.service) else { continue };
        let sidecar = p.sidecar.as_deref();
        let (uri, name, tag) = (target.repository_uri(m, svc, sidecar), image::repository_name(m, svc, sidecar), p.tag());
        if p.built {
            // Builds count by their tag in the plan's fingerprint (see `plan::PlannedImages`).
            out.built.insert(plan::built_key(&render::family(m, svc), sidecar), p.tag.clone().unwrap_or_else(|| KNOWN_AFTER_BUILD.into()));
        }
        let mut refer = |reference: String| match &p.sidecar {
            Some(sc) => out.sidecar_refs.insert((svc.name.clone(), sc.clone()), reference),
            None => out.refs.insert(svc.name.clone(), reference),
        };
        let step = |action, digest: Option<String>, blobs: usize, bytes: u64| ImageStep {
            service: svc.name.to_string(),
            sidecar: p.sidecar.clone(),
            action,
            source: p.origin.clone(),
            repository: uri.clone(),
            tag: tag.clone(),
            digest,
            blobs,
            bytes,
        };
        let Some(local) = &p.local else {
            refer(format!("{uri}@{KNOWN_AFTER_BUILD}"));
            out.steps.push(step(ImageAction::Build, None, 0, 0));
            continue;
        };
        let digest = local.digest().to_string();
        refer(format!("{uri}@{digest}"));
        let present = target
            .registry
            .manifest_digest(&name, &digest)
            .await
            .map_err(|source| ImageError::Registry { service: p.name(), source })?
            .is_some();
        if !present {
            let action = if p.built { ImageAction::Build } else { ImageAction::Push };
            out.steps.push(step(action, Some(digest), local.blobs.len(), local.size()));
        }
    }
    Ok(out)
}

/// Two-colour services an earlier run left half-way (traffic split, or the idle colour still
/// running), with their traffic.
pub fn unfinished(m: &Model, observed: &Observed) -> Vec<(ServiceName, Weights)> {
    observed
        .traffic(m)
        .into_iter()
        .filter(|(name, weights)| {
            m.services
                .get(name)
                .is_some_and(|svc| matches!(rollout::resume(&observed.colours(svc, *weights), ""), Resume::Unfinished { .. }))
        })
        .collect()
}

/// A saved plan pins a build by its commit: only a committed source is that commit. The
/// first image built from uncommitted changes (or outside git), if any.
pub fn unpinned_build(prepared: &Prepared) -> Option<&Pending> {
    prepared.images.pending.iter().find(|p| p.built && p.tag.as_ref().is_none_or(|t| t.ends_with("-dirty")))
}

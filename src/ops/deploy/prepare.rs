//! Before a deploy writes anything: read the deployed state (and the registry, for images
//! ecship pushes) and plan against it. `plan` stops here; `deploy` shows the plan, asks,
//! and applies it.

use std::collections::BTreeMap;

use crate::aws::Aws;
use crate::events::Reporter;
use crate::image::{self, ImageError, Pending, Target, KNOWN_AFTER_BUILD};
use crate::model::{Model, ServiceName, Weights};
use crate::observe::{observe, Observed};
use crate::ops::assets::AssetBucket;
use crate::plan::{self, ImageAction, ImageStep, Plan, PlannedImages, StackAction, TemplateUpload};
use crate::rollout::{self, Resume};
use crate::stack::Compiled;
use crate::synth::MAX_TEMPLATE_BODY_BYTES;
use crate::workload::render;

use super::DeployError;

/// Everything a deploy decides from: the deployed state, the images to push, and the plan.
pub struct Prepared {
    pub plan: Plan,
    /// The template to send: the rendered one, with two-colour weights as deployed.
    pub template_body: String,
    /// Where it goes when it is too large to send inline: the asset bucket, and its key.
    pub upload: Option<(AssetBucket, String)>,
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
pub async fn prepare(aws: &Aws, c: &Compiled, opts: &PrepareOptions<'_>, build: Option<&dyn Reporter>) -> Result<Prepared, DeployError> {
    let (given, registry_endpoint) = (opts.images, opts.registry_endpoint);
    let m = &c.model;
    let mut pending = image::pending(m, given, None)?;
    let built = match build {
        Some(r) => image::build_all(m, &mut pending, r).await?,
        None => Vec::new(),
    };
    let target = if pending.is_empty() { None } else { Some(image::login(aws, registry_endpoint).await?) };
    let images = match &target {
        Some(t) => planned_images(m, t, given, &pending).await?,
        None => PlannedImages { refs: given.clone(), ..PlannedImages::default() },
    };
    // An image that cannot be deployed fails the run before anything else.
    for svc in m.services.values() {
        render::image(svc, &images.refs)?;
    }
    let observed = observe(aws, m.stack.as_str(), &plan::families(m)).await?;
    let desired = plan::desire(c, &observed, aws.region(), images)?;
    let template_body = desired.template_body.clone().unwrap_or_else(|| c.template.to_json_compact());
    let mut plan = plan::build(m, &desired, &observed);
    let upload = upload(aws, c, &template_body, opts.asset_bucket).await?;
    if let Some((bucket, key)) = upload.as_ref().filter(|_| plan.infrastructure.action != StackAction::None) {
        plan.infrastructure.template = Some(TemplateUpload { bytes: template_body.len(), location: bucket.s3_url(key) });
    }
    Ok(Prepared { plan, template_body, upload, observed, images: Images { given: given.clone(), pending, target, _built: built } })
}

/// What `prepare` reads besides the spec.
pub struct PrepareOptions<'a> {
    /// `--image SERVICE=IMAGE`.
    pub images: &'a BTreeMap<ServiceName, String>,
    /// `--registry-endpoint`.
    pub registry_endpoint: Option<&'a str>,
    /// `--asset-bucket`.
    pub asset_bucket: Option<&'a str>,
}

/// Where a template too large to send inline goes, checked before anything is written: a
/// bucket of another account, or a named one that does not exist, stops the run here.
async fn upload(aws: &Aws, c: &Compiled, body: &str, flag: Option<&str>) -> Result<Option<(AssetBucket, String)>, DeployError> {
    if body.len() <= MAX_TEMPLATE_BODY_BYTES {
        return Ok(None);
    }
    let bucket = AssetBucket::resolve(aws, Some(&c.model), flag).await?;
    bucket.check(aws).await?;
    let key = AssetBucket::template_key(c.model.stack.as_str(), body);
    Ok(Some((bucket, key)))
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
        let (uri, name, tag) = (target.repository_uri(m, svc), image::repository_name(m, svc), p.tag());
        if p.built {
            // Builds count by their tag in the plan's fingerprint (see `plan::PlannedImages`).
            out.built.insert(render::family(m, svc), p.tag.clone().unwrap_or_else(|| KNOWN_AFTER_BUILD.into()));
        }
        let step = |action, digest: Option<String>, blobs: usize, bytes: u64| ImageStep {
            service: svc.name.to_string(),
            action,
            source: p.origin.clone(),
            repository: uri.clone(),
            tag: tag.clone(),
            digest,
            blobs,
            bytes,
        };
        let Some(local) = &p.local else {
            out.refs.insert(svc.name.clone(), format!("{uri}@{KNOWN_AFTER_BUILD}"));
            out.steps.push(step(ImageAction::Build, None, 0, 0));
            continue;
        };
        let digest = local.digest().to_string();
        out.refs.insert(svc.name.clone(), format!("{uri}@{digest}"));
        let present = target
            .registry
            .manifest_digest(&name, &digest)
            .await
            .map_err(|source| ImageError::Registry { service: svc.name.to_string(), source })?
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

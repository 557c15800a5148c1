//! Images ecship pushes. Each service whose image is not a `uri:` has a source — an OCI
//! layout, an archive, or a build — and a repository in the stack (`STACK/SERVICE`). This
//! module finds what each source holds, the tag it goes under, and pushes it over the OCI
//! distribution protocol with an ECR login; task definitions then name it by digest.
//!
//! Must not print: progress goes to a `Reporter`.

pub mod build;
pub mod layout;
mod push;
pub mod reference;
pub mod registry;
pub mod resolve;
pub mod tag;
pub mod trust;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::aws::ecr::Ecr;
use crate::aws::{Aws, AwsError};
use crate::events::{Event, ImageResult, Reporter};
use crate::model::{Image, Model, Service, ServiceName};
use layout::LocalImage;
use registry::{Registry, RegistryError};

pub use push::push;

/// Shown where a digest is not known until the image is built.
pub const KNOWN_AFTER_BUILD: &str = "(known after build)";

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("service {service}: {source}")]
    Layout { service: String, source: layout::LayoutError },
    #[error(transparent)]
    Build(#[from] build::BuildError),
    #[error("pushing {service}: {source}")]
    Registry { service: String, source: RegistryError },
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Resolve(#[from] resolve::ResolveError),
    #[error("--registry-endpoint (ECSHIP_REGISTRY_ENDPOINT) {url}: {why}")]
    Endpoint { url: String, why: trust::UrlRefusal },
    #[error("service {service} runs on {platform}, but its image ({origin}) is for {has} only, so its tasks would never start: build it for linux/{wants} (`docker buildx build --platform linux/{wants}`, `buildah bud --platform linux/{wants}`), or set the service's `platform:` to match")]
    Platform { service: String, origin: String, platform: &'static str, wants: &'static str, has: String },
    #[error("stack {stack} has no repository {repository} for service {service} yet: run `ecship deploy` (it creates the repository, then pushes)")]
    NoRepository { stack: String, service: String, repository: String },
}

/// Where pushes go: the stack's registry, logged in.
pub struct Target {
    pub registry: Registry,
    /// The registry host in image references: `ACCOUNT.dkr.ecr.REGION.amazonaws.com`.
    pub host: String,
}

impl Target {
    /// `HOST/STACK/SERVICE[/SIDECAR]`, the repository task definitions name.
    pub fn repository_uri(&self, model: &Model, svc: &Service, sidecar: Option<&str>) -> String {
        format!("{}/{}", self.host, repository_name(model, svc, sidecar))
    }
}

/// The repository's name inside the registry (as the template creates it): `STACK/SERVICE`,
/// or `STACK/SERVICE/SIDECAR` for a sidecar's image.
pub fn repository_name(model: &Model, svc: &Service, sidecar: Option<&str>) -> String {
    model.repository(svc, sidecar)
}

/// Log in to the stack's ECR registry; with `endpoint`, pushes go there instead (a local or
/// mirror registry), while image references keep naming ECR.
pub async fn login(aws: &Aws, endpoint: Option<&str>) -> Result<Target, ImageError> {
    let endpoint = endpoint.map(endpoint_url).transpose()?;
    let login = Ecr::new(aws).login().await?;
    let host = login.endpoint.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_string();
    let base = endpoint.clone().unwrap_or_else(|| login.endpoint.clone());
    let registry = Registry::new(&base, &login.user, &login.password, endpoint.is_some())
        .map_err(|source| ImageError::Registry { service: String::new(), source })?;
    Ok(Target { registry, host })
}

/// `--registry-endpoint` checked: the login is a token that can push to the account's
/// registry, so it is not sent in the clear off this machine.
pub fn endpoint_url(endpoint: &str) -> Result<String, ImageError> {
    trust::registry_url(endpoint).map_err(|why| ImageError::Endpoint { url: trust::shown(endpoint), why })
}

/// A service's image before it is pushed.
#[derive(Debug, Clone)]
pub struct Pending {
    pub service: ServiceName,
    /// The sidecar whose image it is; `None` for the service's own.
    pub sidecar: Option<String>,
    /// Where it comes from, for people: `oci ./dist/like`, `build ./like`.
    pub origin: String,
    /// Built from a Dockerfile context (`build:`), rather than read from disk.
    pub built: bool,
    /// Read from a layout or an archive; `None` until a `build:` source is built.
    pub local: Option<LocalImage>,
    /// The spec's tag, else the source's git commit; `None` for a build outside git (the
    /// digest names it once built).
    pub tag: Option<String>,
}

impl Pending {
    /// `SERVICE` or `SERVICE/SIDECAR`, for people.
    pub fn name(&self) -> String {
        match &self.sidecar {
            Some(sc) => format!("{}/{sc}", self.service),
            None => self.service.to_string(),
        }
    }

    /// The image source it comes from: the service's own, or its sidecar's.
    pub fn image<'a>(&self, svc: &'a Service) -> Option<&'a Image> {
        match &self.sidecar {
            Some(name) => svc.sidecars.iter().find(|s| &s.name == name).map(|s| &s.image),
            None => Some(&svc.image),
        }
    }

    /// The tag to push under.
    pub fn tag(&self) -> String {
        match (&self.tag, &self.local) {
            (Some(t), _) => t.clone(),
            (None, Some(l)) => tag::digest_tag(l.digest()),
            (None, None) => KNOWN_AFTER_BUILD.to_string(),
        }
    }
}

/// Read the local sources of the services ecship pushes (all, or `only`), except those
/// given by `--image`. Layouts and archives are read (manifests only); builds wait.
pub fn pending(model: &Model, overrides: &BTreeMap<ServiceName, String>, only: Option<&[ServiceName]>) -> Result<Vec<Pending>, ImageError> {
    let mut out = Vec::new();
    for svc in model.services.values() {
        if only.is_some_and(|o| !o.contains(&svc.name)) {
            continue;
        }
        let own = (!overrides.contains_key(&svc.name)).then_some((None, &svc.image));
        let sidecars = svc.sidecars.iter().map(|s| (Some(s.name.clone()), &s.image));
        for (sidecar, image) in own.into_iter().chain(sidecars) {
            if let Some(p) = pending_one(svc, sidecar, image)? {
                p.check_platform(svc)?;
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// One image ecship pushes, read from disk (a build waits); `None` for an existing image.
fn pending_one(svc: &Service, sidecar: Option<String>, image: &Image) -> Result<Option<Pending>, ImageError> {
    let who = match &sidecar {
        Some(sc) => format!("{}/{sc}", svc.name),
        None => svc.name.to_string(),
    };
    let layout_err = |source| ImageError::Layout { service: who.clone(), source };
    let (origin, local, source_dir, spec_tag) = match image {
        Image::Uri { .. } => return Ok(None),
        Image::Oci { path, tag } => (format!("oci {}", shown(path)), Some(layout::read_dir(path).map_err(layout_err)?), path.clone(), tag),
        Image::Archive { path, tag } => {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (format!("archive {}", shown(path)), Some(layout::read_archive(path).map_err(layout_err)?), dir, tag)
        }
        Image::Build { context, tag, .. } => (format!("build {}", shown(context)), None, context.clone(), tag),
    };
    let tag = spec_tag.clone().or_else(|| tag::git_tag(&source_dir));
    let built = matches!(image, Image::Build { .. });
    Ok(Some(Pending { service: svc.name.clone(), sidecar, origin, built, local, tag }))
}

impl Pending {
    /// An image without the service's CPU architecture is refused before anything is
    /// written: on AWS its tasks would fail to start (`exec format error`, or no matching
    /// manifest) only once the deploy is under way.
    fn check_platform(&self, svc: &Service) -> Result<(), ImageError> {
        let Some(local) = &self.local else { return Ok(()) };
        let wants = svc.platform.oci_architecture();
        if local.architectures.is_empty() || local.architectures.iter().any(|a| a == wants) {
            return Ok(());
        }
        Err(ImageError::Platform {
            service: self.name(),
            origin: self.origin.clone(),
            platform: svc.platform.name(),
            wants,
            has: local.architectures.iter().map(|a| format!("linux/{a}")).collect::<Vec<_>>().join(", "),
        })
    }
}

/// Build the `build:` images among `pending`, before anything is written to AWS.
pub async fn build_all(model: &Model, pending: &mut [Pending], r: &dyn Reporter) -> Result<Vec<build::Built>, ImageError> {
    let mut kept = Vec::new();
    for p in pending.iter_mut().filter(|p| p.local.is_none()) {
        let Some(svc) = model.services.get(&p.service) else { continue };
        let Some(Image::Build { context, dockerfile, target, args, .. }) = p.image(svc) else { continue };
        let name = p.name();
        let builder = build::choose(&name)?;
        r.event(&Event::Step { message: format!("image: building {name} with {}", builder.command()) });
        let timestamp = tag::commit_time(context).unwrap_or(0);
        let platform = (svc.platform == crate::model::Platform::Arm64).then_some("linux/arm64");
        let spec = build::BuildSpec { service: &name, context, dockerfile, target: target.as_deref(), args, platform, timestamp };
        let built = build::build(builder, &spec).await?;
        p.local = Some(built.image.clone());
        p.check_platform(svc)?;
        kept.push(built);
    }
    Ok(kept)
}

/// What `push` did for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pushed {
    pub service: String,
    /// The sidecar whose image it is; `None` for the service's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sidecar: Option<String>,
    pub repository: String,
    pub tag: String,
    pub digest: String,
    pub result: ImageResult,
    /// Blobs sent, and blobs the registry had already (skipped).
    pub blobs_uploaded: usize,
    pub blobs_present: usize,
    pub bytes_uploaded: u64,
    /// False when the tag already named another image (tags never move): pushed by digest only.
    pub tagged: bool,
}

impl Pushed {
    /// `SERVICE`, or `SERVICE/SIDECAR` for a sidecar's image.
    pub fn owner(&self) -> String {
        match &self.sidecar {
            Some(sc) => format!("{}/{sc}", self.service),
            None => self.service.clone(),
        }
    }

    /// `REPOSITORY@DIGEST`, what task definitions run.
    pub fn reference(&self) -> String {
        format!("{}@{}", self.repository, self.digest)
    }
}

/// Push every pending image (built or read) to its repository.
pub async fn push_all(model: &Model, target: &Target, pending: &[Pending], r: &dyn Reporter) -> Result<Vec<Pushed>, ImageError> {
    let mut out = Vec::new();
    for p in pending {
        let (Some(svc), Some(local)) = (model.services.get(&p.service), &p.local) else { continue };
        let name = repository_name(model, svc, p.sidecar.as_deref());
        let pushed = push(&target.registry, &name, &p.tag(), local, &p.name(), r)
            .await
            .map_err(|source| ImageError::Registry { service: p.name(), source })?;
        out.push(Pushed {
            service: p.service.to_string(),
            sidecar: p.sidecar.clone(),
            repository: target.repository_uri(model, svc, p.sidecar.as_deref()),
            ..pushed
        });
    }
    Ok(out)
}

/// A path for people: relative to the working directory when under it, without `./` parts.
fn shown(p: &Path) -> String {
    let clean: std::path::PathBuf = p.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect();
    let cwd = std::env::current_dir().unwrap_or_default();
    clean.strip_prefix(&cwd).unwrap_or(&clean).display().to_string()
}

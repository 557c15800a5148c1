//! Every existing image a deploy runs — `uri:` images of services, sidecars and jobs, and
//! images given with `--image` — pinned to the digest its tag names now, checked to hold the
//! platform of every task that runs it. Read-only: registries are asked, nothing is written.

use std::collections::BTreeMap;

use futures_util::{stream, StreamExt};

use crate::aws::ecr::Ecr;
use crate::aws::Aws;
use crate::image::reference::Reference;
use crate::image::resolve::{self, Resolved, Resolver};
use crate::image::ImageError;
use crate::model::{EcrHost, Image, Model, Platform, ServiceName};
use crate::plan::PinnedImage;

/// How many registries are asked at once.
const LOOKUPS: usize = 8;

/// What `pin` reads besides the model.
pub struct PinOptions<'a> {
    /// `--image SERVICE=IMAGE`.
    pub given: &'a BTreeMap<ServiceName, String>,
    /// `--registry-endpoint`: it answers for the account's ECR registry too.
    pub registry_endpoint: Option<&'a str>,
    /// `--registry-mirror HOST=URL`.
    pub mirrors: &'a [String],
}

/// The existing images of `m` and the tasks (name, platform) that run each.
fn existing_images(m: &Model, given: &BTreeMap<ServiceName, String>) -> BTreeMap<String, Vec<(String, Platform)>> {
    let mut out: BTreeMap<String, Vec<(String, Platform)>> = BTreeMap::new();
    let mut add = |uri: &str, task: &ServiceName, platform: Platform| {
        if !uri.is_empty() {
            out.entry(uri.to_string()).or_default().push((task.to_string(), platform));
        }
    };
    for task in m.tasks() {
        match (given.get(&task.name), &task.image) {
            (Some(uri), _) | (None, Image::Uri { uri, .. }) => add(uri, &task.name, task.platform),
            _ => {}
        }
        for sc in &task.sidecars {
            if let Image::Uri { uri, .. } = &sc.image {
                add(uri, &task.name, task.platform);
            }
        }
    }
    // A job running a service's image runs it on its own platform.
    for job in m.jobs.values() {
        let Some(svc) = job.image_of.as_ref().and_then(|s| m.services.get(s)) else { continue };
        if let (None, Image::Uri { uri, .. }) = (given.get(&svc.name), &svc.image) {
            add(uri, &job.task.name, job.task.platform);
        }
    }
    out
}

/// Pin every existing image; `uri → NAME@DIGEST` for rendering, and what the plan shows.
pub async fn pin(aws: &Aws, m: &Model, opts: &PinOptions<'_>) -> Result<(BTreeMap<String, String>, Vec<PinnedImage>), ImageError> {
    let images = existing_images(m, opts.given);
    if images.is_empty() {
        return Ok((BTreeMap::new(), Vec::new()));
    }
    let mut mirrors = resolve::mirrors(opts.mirrors)?;
    let endpoint = opts.registry_endpoint.map(crate::image::endpoint_url).transpose()?;
    let logins = ecr_logins(aws, images.keys(), endpoint, &mut mirrors).await?;
    let resolver = Resolver::new(mirrors, logins);
    let looked_up: Vec<(String, Result<Resolved, resolve::ResolveError>)> = stream::iter(images.keys().cloned())
        .map(|uri| {
            let resolver = &resolver;
            async move {
                let r = resolver.resolve(&uri).await;
                (uri, r)
            }
        })
        .buffer_unordered(LOOKUPS)
        .collect()
        .await;
    let mut pins = BTreeMap::new();
    let mut shown = Vec::new();
    for (uri, resolved) in looked_up {
        let resolved = resolved?;
        for (task, platform) in &images[&uri] {
            let wants = platform.oci_architecture();
            if !resolved.architectures.is_empty() && !resolved.architectures.iter().any(|a| a == wants) {
                return Err(ImageError::Platform {
                    service: task.clone(),
                    origin: uri.clone(),
                    platform: platform.name(),
                    wants,
                    has: resolved.architectures.iter().map(|a| format!("linux/{a}")).collect::<Vec<_>>().join(", "),
                });
            }
        }
        let Some(r) = Reference::parse(&uri) else { continue };
        pins.insert(uri.clone(), r.pinned(&resolved.digest));
        let mut used_by: Vec<String> = images[&uri].iter().map(|(t, _)| t.clone()).collect();
        used_by.dedup();
        shown.push(PinnedImage { image: uri, digest: resolved.digest, used_by });
    }
    shown.sort_by(|a, b| a.image.cmp(&b.image));
    Ok((pins, shown))
}

/// The ECR login for each of ECR's own hosts among `images` (host → user and password); a
/// host that only looks like ECR's gets none, whichever URL answers for it. With
/// `--registry-endpoint`, the account's own registry is read there.
async fn ecr_logins(
    aws: &Aws,
    images: impl Iterator<Item = &String>,
    endpoint: Option<String>,
    mirrors: &mut BTreeMap<String, String>,
) -> Result<BTreeMap<String, (String, String)>, ImageError> {
    let hosts: Vec<String> =
        images.filter_map(|u| Reference::parse(u)).map(|r| r.host).filter(|h| matches!(EcrHost::of(h), EcrHost::Ecr { .. })).collect();
    let mut logins = BTreeMap::new();
    if hosts.is_empty() {
        return Ok(logins);
    }
    let login = Ecr::new(aws).login().await?;
    let own = login.endpoint.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_string();
    if let Some(endpoint) = endpoint {
        mirrors.entry(own).or_insert(endpoint);
    }
    // One ECR token opens every registry of the region the credentials may read.
    for h in hosts {
        logins.insert(h, (login.user.clone(), login.password.clone()));
    }
    Ok(logins)
}

//! Pushing one image: skip what the registry has, upload the rest concurrently, then put the
//! manifests byte for byte (an index's images first), so the digest stays the layout's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt, TryStreamExt};

use super::layout::{Blob, LocalImage};
use super::registry::{Progress, Registry, RegistryError};
use super::Pushed;
use crate::events::{BlobState, Event, ImageResult, Reporter};

/// Blobs uploaded at once.
const CONCURRENT_BLOBS: usize = 4;
/// How often a blob's progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Push `image` to `repository` under `tag`. Tags never move: when the tag already names
/// another image the manifest is pushed by digest only, and the result says so.
pub async fn push(
    reg: &Registry,
    repository: &str,
    tag: &str,
    image: &LocalImage,
    service: &str,
    r: &dyn Reporter,
) -> Result<Pushed, RegistryError> {
    let digest = image.digest().to_string();
    let mut pushed = Pushed {
        service: service.to_string(),
        sidecar: None,
        repository: repository.to_string(),
        tag: tag.to_string(),
        digest: digest.clone(),
        result: ImageResult::Present,
        blobs_uploaded: 0,
        blobs_present: image.blobs.len(),
        bytes_uploaded: 0,
        tagged: true,
    };
    reg.check(repository).await?;
    let at_tag = reg.manifest_digest(repository, tag).await?;
    if at_tag.as_deref() == Some(digest.as_str()) {
        r.event(&Event::Image {
            service: service.to_string(),
            reference: format!("{repository}:{tag}"),
            digest,
            result: ImageResult::Present,
        });
        return Ok(pushed);
    }
    // The image may be in the registry under another tag (or none): then only the tag is new.
    if reg.manifest_digest(repository, &digest).await?.is_none() {
        let results: Vec<Option<u64>> = stream::iter(image.blobs.iter())
            .map(|b| blob(reg, repository, b, service, r))
            .buffer_unordered(CONCURRENT_BLOBS)
            .try_collect()
            .await?;
        pushed.blobs_uploaded = results.iter().flatten().count();
        pushed.blobs_present = results.len() - pushed.blobs_uploaded;
        pushed.bytes_uploaded = results.iter().flatten().sum();
        for child in &image.children {
            reg.put_manifest(repository, &child.digest, child).await?;
        }
    }
    match at_tag {
        None => {
            if let Err(e) = reg.put_manifest(repository, tag, &image.manifest).await {
                // A put whose answer was lost, then retried, meets its own immutable tag.
                if reg.manifest_digest(repository, tag).await?.as_deref() != Some(digest.as_str()) {
                    return Err(e);
                }
            }
        }
        Some(other) => {
            reg.put_manifest(repository, &digest, &image.manifest).await?;
            pushed.tagged = false;
            r.event(&Event::Warning {
                message: format!(
                    "{service}: the tag {tag} already names {other} in {repository}; tags never move (ECR repositories are immutable), so the image was pushed by digest only. Commit the change, or set `image.tag`, for a tag of its own"
                ),
            });
        }
    }
    r.event(&Event::Image { service: service.to_string(), reference: format!("{repository}:{tag}"), digest, result: ImageResult::Pushed });
    pushed.result = ImageResult::Pushed;
    Ok(pushed)
}

/// Upload one blob unless the registry has it; the bytes sent, or `None` when present.
async fn blob(reg: &Registry, repository: &str, b: &Blob, service: &str, r: &dyn Reporter) -> Result<Option<u64>, RegistryError> {
    if reg.has_blob(repository, &b.digest).await? {
        r.event(&Event::Blob { service: service.to_string(), digest: b.digest.clone(), size: b.size, state: BlobState::Present });
        return Ok(None);
    }
    r.event(&Event::Blob { service: service.to_string(), digest: b.digest.clone(), size: b.size, state: BlobState::Uploading });
    let sent = Arc::new(AtomicU64::new(0));
    let progress: Progress = {
        let sent = sent.clone();
        Arc::new(move |position| sent.store(position, Ordering::Relaxed))
    };
    let upload = reg.upload(repository, b, &progress);
    tokio::pin!(upload);
    let mut tick = tokio::time::interval_at((Instant::now() + PROGRESS_EVERY).into(), PROGRESS_EVERY);
    loop {
        tokio::select! {
            result = &mut upload => {
                result?;
                break;
            }
            _ = tick.tick() => r.event(&Event::BlobProgress {
                service: service.to_string(),
                digest: b.digest.clone(),
                sent: sent.load(Ordering::Relaxed).min(b.size),
                size: b.size,
            }),
        }
    }
    r.event(&Event::Blob { service: service.to_string(), digest: b.digest.clone(), size: b.size, state: BlobState::Uploaded });
    Ok(Some(b.size))
}

//! The previews of a stack, found by their stacks' `ecship:preview-of` tag, and `sweep`:
//! every one past its `ecship:preview-expires` (by AWS's clock) destroyed. Sweeping twice, or
//! from several places at once, destroys each preview once: one whose lock another run holds
//! is being destroyed there and is left to it.

use serde::Serialize;

use super::{destroy, now, parse_rfc3339, rfc3339};
use crate::aws::cloudformation::{StackInfo, Stacks};
use crate::aws::ecs::Ecs;
use crate::aws::{Aws, AwsError};
use crate::events::Reporter;
use crate::model::preview::{EXPIRES_TAG, HEADER, NAME_TAG, OF_TAG};
use crate::ops::destroy::{DestroyError, Leftover};
use crate::ops::interrupt::Ended;
use crate::ops::lock::LockError;
use crate::ops::Error;

/// One preview, as `preview list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub name: String,
    pub stack: String,
    /// Where it answers: its own host's URL, or the load balancer's (with `header`).
    pub url: Option<String>,
    /// `X-Ecship-Preview: NAME`, when it answers on that header rather than a host.
    pub header: Option<String>,
    /// The images its services run.
    pub images: Vec<String>,
    /// When its stack was created (UTC, RFC 3339), and how long ago, in seconds.
    pub created: Option<String>,
    pub age_seconds: Option<u64>,
    /// `ecship:preview-expires`.
    pub expires: Option<String>,
    pub expired: bool,
}

/// The previews of stack `parent`, by name.
pub async fn list(aws: &Aws, parent: &str) -> Result<Vec<Preview>, Error> {
    let stacks = Stacks::new(aws);
    let parent_url = stacks.describe(parent).await?.and_then(|s| lb_url(&s));
    let mut out = Vec::new();
    for info in stacks_of(aws, parent).await? {
        out.push(preview(aws, &info, parent_url.as_deref()).await?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The stacks of stack `parent`'s previews: `PARENT-…` stacks tagged as its previews.
pub async fn stacks_of(aws: &Aws, parent: &str) -> Result<Vec<StackInfo>, AwsError> {
    let stacks = Stacks::new(aws);
    let mut out = Vec::new();
    for (name, _) in stacks.named_like(&format!("{parent}-")).await? {
        if let Some(info) = stacks.describe(&name).await?.filter(|s| s.tags.get(OF_TAG).map(String::as_str) == Some(parent)) {
            out.push(info);
        }
    }
    Ok(out)
}

async fn preview(aws: &Aws, info: &StackInfo, parent_url: Option<&str>) -> Result<Preview, Error> {
    let name = info.tags.get(NAME_TAG).cloned().unwrap_or_default();
    let url = lb_url(info);
    let header = (url.is_none() || url.as_deref() == parent_url).then(|| format!("{HEADER}: {name}"));
    let at = now(aws);
    let expires = info.tags.get(EXPIRES_TAG).cloned();
    Ok(Preview {
        images: images(aws, info).await?,
        stack: info.name.clone(),
        url,
        header,
        created: info.created.map(rfc3339),
        age_seconds: info.created.map(|c| at.saturating_sub(c)),
        expired: expires.as_deref().and_then(parse_rfc3339).is_some_and(|e| e <= at),
        expires,
        name,
    })
}

/// The URL output of its (first) load balancer.
fn lb_url(info: &StackInfo) -> Option<String> {
    info.outputs.iter().find(|(k, _)| k.ends_with("LoadBalancerUrl")).map(|(_, v)| v.clone())
}

/// The images the stack's services run, each once.
async fn images(aws: &Aws, info: &StackInfo) -> Result<Vec<String>, Error> {
    let Some(cluster) = info.outputs.get("ClusterName") else { return Ok(Vec::new()) };
    let ecs = Ecs::new(aws);
    let mut out = Vec::new();
    for s in ecs.stack_services(cluster, &info.name).await? {
        if let Some(td) = ecs.task_definition(&s.task_definition).await? {
            out.push(td.task_def.container.image);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// What `sweep` did to each expired preview.
#[derive(Debug, Clone, Serialize)]
pub struct Swept {
    pub name: String,
    pub stack: String,
    pub expires: Option<String>,
    /// `destroyed`; `elsewhere` (another run holds its lock: it is being destroyed there);
    /// `gone` (another run destroyed it since it was listed); or `extended` (deployed again
    /// since it was listed: it no longer expires, and is left alone).
    pub result: &'static str,
    pub leftovers: Vec<Leftover>,
}

/// Destroy every expired preview of `parent`, until Ctrl-C. Each one's expiry is read again
/// under its lock: one deployed again since it was listed is left alone.
pub async fn sweep(aws: &Aws, parent: &str, r: &dyn Reporter) -> Ended<Result<Vec<Swept>, Error>> {
    let expired: Vec<Preview> = match list(aws, parent).await {
        Ok(all) => all.into_iter().filter(|p| p.expired).collect(),
        Err(e) => return Ended::Finished(Err(e)),
    };
    let at = now(aws);
    let mut out = Vec::new();
    for p in expired {
        let done = match destroy(aws, parent, &p.name, Some(at), r).await {
            Ended::Interrupted => return Ended::Interrupted,
            Ended::Finished(done) => done,
        };
        let (result, leftovers) = match done {
            Ok(d) if !d.existed => ("gone", d.leftovers),
            Ok(d) => ("destroyed", d.leftovers),
            Err(DestroyError::Lock(LockError::Held { .. })) => ("elsewhere", Vec::new()),
            Err(DestroyError::NotExpired { .. }) => ("extended", Vec::new()),
            Err(DestroyError::Lock(e)) => return Ended::Finished(Err(e.into())),
            Err(DestroyError::Aws(e)) => return Ended::Finished(Err(e.into())),
        };
        out.push(Swept { name: p.name, stack: p.stack, expires: p.expires, result, leftovers });
    }
    Ended::Finished(Ok(out))
}

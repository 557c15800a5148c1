//! `destroy`: tearing a stack down without its spec, under the stack's lock. Everything
//! ecship made is found by the stack's name and tags. Services first (scaled to zero and
//! deleted), then their task definitions, then the images, then the CloudFormation stack,
//! then the data it kept — deleted only with `--delete-data`, else kept and reported —
//! and finally a check of what is left (what was kept on purpose aside).
//!
//! Must not print: progress goes to the `Reporter`.

use crate::aws::scheduler::{group as schedule_group, Scheduler};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::assets::{AssetBucket, BUCKET_TAG};
use super::data::{self, DataResource};
use super::interrupt::{until_interrupted, Ended};
use super::lock::{self, Held, LockError};
use super::stack;
use crate::aws::autoscaling::Autoscaling;
use crate::aws::cloudformation::{StackInfo, Stacks};
use crate::aws::ecr::Ecr;
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::s3::{BucketState, S3};
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter, ServiceStep, StackResult};
use crate::human::plural;
use crate::synth::resources::HOLDS_DATA;
use crate::workload::scaling::resource_id;
use crate::workload::{ClusterStatus, ServiceState, ServiceStatus, SERVICE_TAG};

#[derive(Clone)]
pub struct DestroyOptions {
    pub stack: String,
    pub keep_images: bool,
    pub keep_logs: bool,
    /// Longest wait for services to drain.
    pub timeout: Duration,
    /// `--asset-bucket`: where the stack's large templates went, when not recorded on it.
    pub asset_bucket: Option<String>,
    /// `--delete-data`: delete the file systems of the stack's volumes and its storage (else
    /// they are kept).
    pub delete_data: bool,
    /// The stack's services run in another stack's cluster (a preview's, in its
    /// environment's): the cluster and its other tasks are left alone.
    pub shared_cluster: bool,
    /// Destroy only a stack whose `ecship:preview-expires` is at or before this time (seconds
    /// since 1970), as read under the lock: `sweep`'s guard against a preview deployed again
    /// since it was listed.
    pub expired_by: Option<u64>,
}

/// Something ecship owned that still exists after the teardown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leftover {
    pub kind: &'static str,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Destroyed {
    pub stack: String,
    /// Whether there was anything to destroy.
    pub existed: bool,
    pub services: Vec<String>,
    pub task_definitions: usize,
    pub images: usize,
    /// Template objects deleted from the asset bucket.
    pub templates: usize,
    /// What `--keep-images` / `--keep-logs` kept.
    pub kept: Vec<String>,
    /// Resources that hold data, kept with it (without `--delete-data`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept_data: Vec<DataResource>,
    /// Resources that held data, deleted with it (`--delete-data`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted_data: Vec<DataResource>,
    pub leftovers: Vec<Leftover>,
}

/// Destroy the stack under its lock, until Ctrl-C.
pub async fn run(aws: &Aws, opts: &DestroyOptions, r: &dyn Reporter) -> Ended<Result<Destroyed, DestroyError>> {
    let lock = match lock::acquire(aws, &opts.stack).await {
        Ok(l) => l,
        Err(e) => return Ended::Finished(Err(e.into())),
    };
    let result = until_interrupted(destroy(aws, opts, &lock.held(), r)).await;
    lock::release(lock, r).await;
    result
}

/// With `expired_by`, the stack's expiry is at or before it (or it has none).
fn still_expired(info: Option<&StackInfo>, opts: &DestroyOptions) -> Result<(), DestroyError> {
    let expires = info.and_then(|i| i.tags.get(crate::model::preview::EXPIRES_TAG));
    match (opts.expired_by, expires) {
        (Some(by), Some(e)) if crate::ops::preview::parse_rfc3339(e).is_some_and(|e| e > by) => {
            Err(DestroyError::NotExpired { stack: opts.stack.clone(), expires: e.clone() })
        }
        _ => Ok(()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DestroyError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("{stack} was deployed again and now expires at {expires}: left alone")]
    NotExpired { stack: String, expires: String },
}

/// Tear the stack down, step by step, each only while the run still holds the stack's lock
/// (`held`), and report what is left.
async fn destroy(aws: &Aws, opts: &DestroyOptions, held: &Held, r: &dyn Reporter) -> Result<Destroyed, DestroyError> {
    let stack = opts.stack.as_str();
    let (ecs, ecr) = (Ecs::new(aws), Ecr::new(aws));
    let info = Stacks::new(aws).describe(stack).await?;
    still_expired(info.as_ref(), opts)?;
    // A preview's stack (however it is named to destroy) runs in its environment's cluster.
    let preview = info.as_ref().is_some_and(|i| i.tags.contains_key(crate::model::preview::OF_TAG));
    let opts = &DestroyOptions { shared_cluster: opts.shared_cluster || preview, ..opts.clone() };
    let cluster = info.as_ref().and_then(|i| i.outputs.get("ClusterName").cloned());
    let mut out = Destroyed {
        stack: stack.to_string(),
        existed: info.is_some(),
        services: vec![],
        task_definitions: 0,
        images: 0,
        templates: 0,
        kept: vec![],
        kept_data: vec![],
        deleted_data: vec![],
        leftovers: vec![],
    };
    // Schedules first: none may start a job's task while the stack goes.
    held.ensure_held("deleting the stack's schedules").await?;
    if Scheduler::new(aws).delete_group(&schedule_group(stack)).await? {
        r.event(&Event::Removed { kind: "schedules", name: schedule_group(stack) });
    }
    if let Some(cluster) = &cluster {
        held.ensure_held("deleting the stack's services").await?;
        out.services = delete_services(aws, cluster, stack, opts, r).await?;
        // One-off tasks still running (a job's run, `ecship run --detach`) hold the cluster.
        let tasks = if opts.shared_cluster { Vec::new() } else { ecs.cluster_running_tasks(cluster).await? };
        for task in tasks {
            ecs.stop_task(cluster, &task, "ecship destroy: the stack is being deleted").await?;
            r.event(&Event::Removed { kind: "task", name: task.rsplit('/').next().unwrap_or(&task).to_string() });
        }
    }
    held.ensure_held("deleting the stack's task definitions").await?;
    r.event(&Event::Step { message: format!("task definitions: deregistering and deleting the families of stack {stack}") });
    for family in stack_families(&ecs, stack).await? {
        out.task_definitions += remove_family(&ecs, &family, r).await?;
    }
    let repositories = ecr.repositories(stack).await?;
    held.ensure_held("emptying the stack's repositories").await?;
    out.kept = keep(aws, opts, info.as_ref(), &repositories, r).await?;
    if !opts.keep_images {
        out.images += empty_repositories(&ecr, &repositories, r).await?;
    }
    if info.is_some() {
        held.ensure_held(&format!("deleting stack {stack}")).await?;
        keep_data(aws, opts, r).await?;
        out.images += delete_stack(aws, opts, r).await?;
    } else {
        r.event(&Event::Stack { stack: stack.to_string(), result: StackResult::Absent });
    }
    if opts.delete_data {
        held.ensure_held("deleting the stack's data").await?;
    }
    (out.kept_data, out.deleted_data) = data_left(aws, opts, r).await?;
    let assets = asset_bucket(aws, opts, info.as_ref()).await?;
    if let Some(bucket) = &assets {
        held.ensure_held("deleting the stack's templates").await?;
        out.templates = S3::new(aws).delete_prefix(&bucket.name, &AssetBucket::prefix(stack), &bucket.account).await?;
        if out.templates > 0 {
            r.event(&Event::Removed {
                kind: "templates",
                name: format!("{} from {}", out.templates, bucket.s3_url(&AssetBucket::prefix(stack))),
            });
        }
    }
    out.leftovers = leftovers(aws, stack, cluster.as_deref(), &out.services, opts).await?;
    if let Some(bucket) = &assets {
        let left = S3::new(aws).versions(&bucket.name, &AssetBucket::prefix(stack), &bucket.account).await?;
        if !left.is_empty() {
            out.leftovers
                .push(Leftover { kind: "asset objects", name: format!("{} ({})", bucket.s3_url(&AssetBucket::prefix(stack)), left.len()) });
        }
    }
    Ok(out)
}

/// The asset bucket the stack's templates went to — `--asset-bucket`, the one the stack's tag
/// names, or ecship's own — when it exists and is this account's.
async fn asset_bucket(aws: &Aws, opts: &DestroyOptions, info: Option<&StackInfo>) -> Result<Option<AssetBucket>, AwsError> {
    let named = opts.asset_bucket.clone().or_else(|| info.and_then(|i| i.tags.get(BUCKET_TAG).cloned()));
    let bucket = AssetBucket::resolve(aws, None, named.as_deref()).await?;
    let state = S3::new(aws).bucket_state(&bucket.name, &bucket.account).await?;
    Ok((state == BucketState::Owned).then_some(bucket))
}

/// Every ECS service of the stack, deleted; returns their names.
async fn delete_services(aws: &Aws, cluster: &str, stack: &str, opts: &DestroyOptions, r: &dyn Reporter) -> Result<Vec<String>, AwsError> {
    r.event(&Event::Step { message: format!("services: deleting the services of stack {stack}") });
    let ecs = Ecs::new(aws);
    let services = ecs.stack_services(cluster, stack).await?;
    remove_services(aws, cluster, &services, opts.timeout, r).await?;
    Ok(services.iter().map(|s| s.name.clone()).collect())
}

/// What `--keep-images` and `--keep-logs` keep, marked to be retained when the stack goes.
async fn keep(
    aws: &Aws,
    opts: &DestroyOptions,
    info: Option<&StackInfo>,
    repositories: &[String],
    r: &dyn Reporter,
) -> Result<Vec<String>, AwsError> {
    let mut kinds = Vec::new();
    if opts.keep_images {
        kinds.push("AWS::ECR::Repository");
    }
    if opts.keep_logs {
        kinds.push("AWS::Logs::LogGroup");
    }
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    r.event(&Event::Step { message: format!("stack {}: marking {} to be kept", opts.stack, kinds.join(" and ")) });
    stack::retain(aws, &opts.stack, &kinds, r).await?;
    let mut kept = Vec::new();
    if opts.keep_images {
        kept.extend(repositories.iter().map(|repo| format!("repository {repo}")));
    }
    if let Some(group) = info.and_then(|i| i.outputs.get("LogGroupName")).filter(|_| opts.keep_logs) {
        kept.push(format!("log group {group}"));
    }
    Ok(kept)
}

/// Without `--delete-data`, every resource that holds data is marked to be kept when the
/// stack goes — a no-op for templates that keep it already (every one ecship renders now).
async fn keep_data(aws: &Aws, opts: &DestroyOptions, r: &dyn Reporter) -> Result<(), AwsError> {
    if !opts.delete_data {
        stack::retain(aws, &opts.stack, HOLDS_DATA, r).await?;
    }
    Ok(())
}

/// The data the stack left (file systems, buckets, tables and databases kept by `Retain`,
/// found by their tags): deleted with
/// `--delete-data`, else kept. Returns (kept, deleted).
async fn data_left(aws: &Aws, opts: &DestroyOptions, r: &dyn Reporter) -> Result<(Vec<DataResource>, Vec<DataResource>), AwsError> {
    let found = data::found(aws, &opts.stack).await?;
    if !opts.delete_data {
        return Ok((found, Vec::new()));
    }
    Ok((Vec::new(), data::delete_all(aws, &found, r).await?))
}

/// Delete the stack. A repository that received images meanwhile blocks the delete: it is
/// emptied and the delete retried once. Returns the images emptied then.
async fn delete_stack(aws: &Aws, opts: &DestroyOptions, r: &dyn Reporter) -> Result<usize, AwsError> {
    let stack = opts.stack.as_str();
    r.event(&Event::Step { message: format!("stack {stack}: deleting") });
    let mut images = 0;
    if let Err(first) = stack::delete(aws, stack, r).await {
        if matches!(
            first,
            AwsError::StackBusy { .. } | AwsError::NoCredentials { .. } | AwsError::BadCredentials { .. } | AwsError::AccessDenied { .. }
        ) {
            return Err(first);
        }
        r.event(&Event::Warning { message: format!("{first}; emptying the repositories again and retrying") });
        if !opts.keep_images {
            let ecr = Ecr::new(aws);
            images = empty_repositories(&ecr, &ecr.repositories(stack).await?, r).await?;
        }
        stack::delete(aws, stack, r).await?;
    }
    r.event(&Event::Stack { stack: stack.to_string(), result: StackResult::Deleted });
    Ok(images)
}

async fn empty_repositories(ecr: &Ecr, repositories: &[String], r: &dyn Reporter) -> Result<usize, AwsError> {
    let mut total = 0;
    for repo in repositories {
        let n = ecr.empty(repo).await?;
        if n > 0 {
            r.event(&Event::Removed { kind: "images", name: format!("{n} from {repo}") });
        }
        total += n;
    }
    Ok(total)
}

/// Everything ecship owned for the stack that still exists (what `--keep-*` keeps excepted).
pub async fn leftovers(
    aws: &Aws,
    stack: &str,
    cluster: Option<&str>,
    services: &[String],
    opts: &DestroyOptions,
) -> Result<Vec<Leftover>, AwsError> {
    let ecs = Ecs::new(aws);
    let mut out = Vec::new();
    let stacks = Stacks::new(aws);
    if let Some(s) = stacks.describe(stack).await? {
        out.push(Leftover { kind: "stack", name: format!("{} ({})", s.name, s.status) });
    }
    for (name, status) in stacks.named_like(&format!("{stack}-Services")).await? {
        out.push(Leftover { kind: "nested stack", name: format!("{name} ({status})") });
    }
    if let Some(cluster) = cluster {
        for s in ecs.stack_services(cluster, stack).await? {
            out.push(Leftover { kind: "ecs service", name: format!("{} ({})", s.name, s.status) });
        }
        if !opts.shared_cluster && ecs.cluster_status(cluster).await? == Some(ClusterStatus::Active) {
            out.push(Leftover { kind: "ecs cluster", name: cluster.to_string() });
        }
        let ids: Vec<String> = services.iter().map(|s| resource_id(cluster, s)).collect();
        for id in Autoscaling::new(aws).describe(&ids).await?.into_keys() {
            out.push(Leftover { kind: "scalable target", name: id });
        }
    }
    if Scheduler::new(aws).has_group(&schedule_group(stack)).await? {
        out.push(Leftover { kind: "schedule group", name: schedule_group(stack) });
    }
    for family in stack_families(&ecs, stack).await? {
        for arn in ecs.revisions(&family, true).await?.into_iter().chain(ecs.revisions(&family, false).await?) {
            out.push(Leftover { kind: "task definition", name: crate::workload::revision_name(&arn).to_string() });
        }
    }
    if !opts.keep_images {
        for repo in Ecr::new(aws).repositories(stack).await? {
            out.push(Leftover { kind: "ecr repository", name: repo });
        }
    }
    // Data kept on purpose (without --delete-data) is reported as kept, not left over.
    if opts.delete_data {
        for d in data::found(aws, stack).await? {
            out.push(Leftover { kind: "data", name: d.to_string() });
        }
    }
    for arn in Elbv2::new(aws).tagged(stack).await? {
        let kind = if arn.contains(":targetgroup/") { "target group" } else { "load balancer" };
        out.push(Leftover { kind, name: arn });
    }
    Ok(out)
}

/// Delete services (their scalable targets first, so nothing scales them meanwhile; scaled
/// to zero by the delete itself) and wait until ECS reports them INACTIVE.
pub(super) async fn remove_services(
    aws: &Aws,
    cluster: &str,
    services: &[ServiceState],
    timeout: Duration,
    r: &dyn Reporter,
) -> Result<(), AwsError> {
    if services.is_empty() {
        return Ok(());
    }
    let ecs = Ecs::new(aws);
    let aas = Autoscaling::new(aws);
    let ids: Vec<String> = services.iter().map(|s| resource_id(cluster, &s.name)).collect();
    for id in aas.describe(&ids).await?.into_keys() {
        aas.deregister(&id).await?;
        r.event(&Event::Removed { kind: "scalable target", name: id });
    }
    for s in services {
        r.event(&Event::Service { service: s.name.clone(), action: ServiceStep::Remove });
        ecs.delete_service(cluster, &s.name).await?;
    }
    let names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    let started = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        let active: Vec<String> = ecs
            .describe_services(cluster, &names)
            .await?
            .into_iter()
            .filter(|s| s.status != ServiceStatus::Inactive)
            .map(|s| s.name)
            .collect();
        if active.is_empty() {
            break;
        }
        if started.elapsed() > timeout {
            return Err(AwsError::Timeout { what: format!("services {} to drain", active.join(", ")), waited: started.elapsed() });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    for s in services {
        r.event(&Event::Removed { kind: "service", name: s.name.clone() });
    }
    Ok(())
}

/// The task-definition families of the stack's services: `STACK-SERVICE`, confirmed by the
/// `ecship:stack` tag of their newest revision (another stack may be named `STACK-x`).
pub(super) async fn stack_families(ecs: &Ecs, stack: &str) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    for family in ecs.families(&format!("{stack}-")).await? {
        let newest = match ecs.revisions(&family, true).await?.pop() {
            Some(arn) => Some(arn),
            None => ecs.revisions(&family, false).await?.pop(),
        };
        let Some(arn) = newest else { continue };
        let owned =
            ecs.task_definition(&arn).await?.is_some_and(|td| td.tags.get(crate::workload::STACK_TAG).map(String::as_str) == Some(stack));
        if owned {
            out.push(family);
        }
    }
    Ok(out)
}

/// Deregister every ACTIVE revision of a family and delete them all; returns how many.
pub(super) async fn remove_family(ecs: &Ecs, family: &str, r: &dyn Reporter) -> Result<usize, AwsError> {
    let active = ecs.revisions(family, true).await?;
    for arn in &active {
        ecs.deregister(arn).await?;
    }
    let all = ecs.revisions(family, false).await?;
    ecs.delete_task_definitions(&all).await?;
    if !all.is_empty() {
        r.event(&Event::Removed { kind: "task definitions", name: format!("{family} ({} revision{})", all.len(), plural(all.len())) });
    }
    Ok(all.len())
}

/// Families of the given services' `ecship:service` tags, in `model`'s stack.
pub(super) fn families_of(model: &crate::model::Model, services: &[ServiceState]) -> BTreeSet<String> {
    services.iter().filter_map(|s| s.tags.get(SERVICE_TAG)).map(|svc| crate::workload::render::family_of(model, svc)).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_sweep_leaves_a_preview_deployed_again_since_it_was_listed() {
        let info = |expires: &str| StackInfo {
            name: "shop-pr-1".into(),
            status: "UPDATE_COMPLETE".into(),
            outputs: BTreeMap::new(),
            tags: BTreeMap::from([(crate::model::preview::EXPIRES_TAG.to_string(), expires.to_string())]),
            created: None,
        };
        let opts = |expired_by| DestroyOptions {
            stack: "shop-pr-1".into(),
            keep_images: false,
            keep_logs: false,
            timeout: Duration::from_secs(1),
            asset_bucket: None,
            delete_data: false,
            shared_cluster: true,
            expired_by,
        };
        // 2026-11-30T00:53:20Z is 1_796_000_000.
        let by = Some(1_796_000_000);
        assert!(still_expired(Some(&info("2026-11-30T00:53:20Z")), &opts(by)).is_ok());
        let err = still_expired(Some(&info("2026-11-30T00:53:21Z")), &opts(by)).expect_err("extended");
        assert_eq!(err.to_string(), "shop-pr-1 was deployed again and now expires at 2026-11-30T00:53:21Z: left alone");
        assert!(still_expired(Some(&info("2026-11-30T00:53:21Z")), &opts(None)).is_ok(), "a destroy that is no sweep");
        assert!(still_expired(None, &opts(by)).is_ok(), "a stack already gone");
    }
}

//! `preview`: preview environments, each its own small stack `STACK-NAME` in its
//! environment's cluster and behind its load balancer. A preview deploy is the deploy verb's
//! own steps (`deploy::prepare`, `deploy::run`) over the preview's model and template
//! (`compile`: the environment's outputs read, rule priorities assigned from the previews'
//! range and the listener-rule quota checked before any write); its expiry is pushed forward
//! under the deploy's lock, with the stack's tags or by `extend`. `destroy` is the destroy
//! verb on the preview's stack, leaving the shared cluster alone; `list` and `sweep` find
//! previews by their stack's tags.
//!
//! Must not print.

mod list;
mod priorities;

pub use list::{list, stacks_of, sweep, Preview, Swept};

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::destroy::{self, DestroyError, DestroyOptions, Destroyed};
use super::interrupt::Ended;
use super::Error;
use crate::aws::cloudformation::Stacks;
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::Aws;
use crate::events::Reporter;
use crate::model::preview::{self, check_name, Derive, OF_TAG};
use crate::model::{LbName, Model};
use crate::stack::Compiled;
use crate::synth::ids::LbIds;
use crate::workload::{ServiceStatus, STACK_TAG};

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("{0}")]
    Name(String),
    #[error("the spec of stack {stack} has no `previews:`: add it (`previews: {{}}` takes every default) to make previews of it")]
    NotEnabled { stack: String },
    #[error(
        "stack {stack} is not deployed: a preview runs in its environment's cluster and load balancer — deploy it first (`ecship deploy`)"
    )]
    ParentNotDeployed { stack: String },
    #[error("stack {stack} exists and is not a preview of {parent}: pick another preview name")]
    NotAPreview { stack: String, parent: String },
    #[error("{lb} has {have} listener rules and preview {name} needs {adding} more: its quota is {quota} (quotas.rules_per_load_balancer) — nothing was changed; destroy a preview (`ecship preview sweep` or `preview destroy`) or raise the quota")]
    RuleQuota { lb: String, name: String, have: usize, adding: usize, quota: u32 },
    #[error(
        "{lb} has no free listener-rule priority left in the previews' range (1 to {max}) for preview {name}: destroy a preview first"
    )]
    NoPriority { lb: String, name: String, max: u32 },
    #[error("{cluster} already runs an ECS service {service} of {owner}: preview {name} would take its name — pick another preview name")]
    NameTaken { cluster: String, service: String, owner: String, name: String },
    #[error("the preview's template: {0}")]
    Template(String),
}

/// What a preview deploy is made of besides the spec.
pub struct PreviewOptions<'a> {
    pub name: &'a str,
    /// `--ttl`; else the spec's `previews.ttl`.
    pub ttl: Option<Duration>,
}

/// The preview's model and template, against its environment as deployed: the environment
/// must be deployed, the preview's stack (when it exists) must be this environment's preview,
/// and its rules must fit the listener-rule quota. No writes.
pub async fn compile(aws: &Aws, parent: Compiled, opts: &PreviewOptions<'_>) -> Result<Compiled, Error> {
    let m = &parent.model;
    let previews = m.previews.clone().ok_or_else(|| PreviewError::NotEnabled { stack: m.stack.to_string() })?;
    check_name(m.stack.as_str(), opts.name).map_err(PreviewError::Name)?;
    let stacks = Stacks::new(aws);
    if !stacks.describe(m.stack.as_str()).await?.is_some_and(|s| s.outputs.contains_key("ClusterName")) {
        return Err(PreviewError::ParentNotDeployed { stack: m.stack.to_string() }.into());
    }
    let outputs = super::stack::describe(aws, m.stack.as_str()).await?.outputs;
    let full = format!("{}-{}", m.stack, opts.name);
    if let Some(own) = stacks.describe(&full).await? {
        if own.tags.get(OF_TAG).map(String::as_str) != Some(m.stack.as_str()) {
            return Err(PreviewError::NotAPreview { stack: full, parent: m.stack.to_string() }.into());
        }
    }
    let priorities = priorities::assign(aws, m, &previews, opts.name, &outputs).await?;
    let ttl = opts.ttl.unwrap_or(previews.ttl);
    let lb_urls = m.load_balancers.keys().filter_map(|lb| Some((lb.clone(), outputs.get(&LbIds::new(lb).url_output())?.clone()))).collect();
    let lb_zones = if previews.host.is_some() { lb_zones(aws, m, &outputs).await? } else { BTreeMap::new() };
    let d = Derive {
        name: opts.name,
        outputs: &outputs,
        priorities: &priorities,
        expires: rfc3339(now(aws) + ttl.as_secs()),
        lb_urls: &lb_urls,
        lb_zones: &lb_zones,
    };
    let model = preview::derive(m, &previews, &d);
    names_free(aws, &model, outputs.get("ClusterName").map_or("", String::as_str)).await?;
    crate::stack::compile_model(parent.loaded, model).map_err(|e| PreviewError::Template(e.to_string()).into())
}

/// The canonical hosted zone of each of the environment's load balancers with a domain (a
/// preview's host record is an alias to it), from the load balancer its listener belongs to:
/// the environment's outputs name the listener and DNS name only.
async fn lb_zones(aws: &Aws, m: &Model, outputs: &BTreeMap<String, String>) -> Result<BTreeMap<LbName, String>, Error> {
    let elbv2 = Elbv2::new(aws);
    let mut out = BTreeMap::new();
    for lb in m.load_balancers.values().filter(|lb| lb.domain.is_some()) {
        let Some(listener) = outputs.get(&LbIds::new(&lb.name).listener_output()) else { continue };
        if let Some(zone) = elbv2.canonical_zone(listener).await? {
            out.insert(lb.name.clone(), zone);
        }
    }
    Ok(out)
}

/// No ECS service of the cluster but the preview's own has one of its services' names (the
/// environment's, another preview's: `a` of `b-c` and `a-b` of `c` are both `a-b-c`).
async fn names_free(aws: &Aws, model: &crate::model::Model, cluster: &str) -> Result<(), Error> {
    let names: Vec<String> = model.services.keys().map(ToString::to_string).collect();
    let taken = Ecs::new(aws)
        .describe_services(cluster, &names)
        .await?
        .into_iter()
        .find(|s| s.status != ServiceStatus::Inactive && s.tags.get(STACK_TAG).map(String::as_str) != Some(model.stack.as_str()));
    match taken {
        None => Ok(()),
        Some(s) => Err(PreviewError::NameTaken {
            cluster: format!("cluster {cluster}"),
            owner: s.tags.get(STACK_TAG).map_or_else(|| "another owner".to_string(), |o| format!("stack {o}")),
            service: s.name,
            name: model.preview.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        }
        .into()),
    }
}

/// A preview deploy whose stack is unchanged: its expiry pushed forward, under the stack's
/// lock (a deploy that changes the stack pushes it with the stack's tags), so a sweep can
/// never see the old expiry of a preview just deployed.
pub(super) async fn extend(aws: &Aws, m: &Model, r: &dyn Reporter) -> Result<(), Error> {
    let Some(p) = m.preview.as_ref() else { return Ok(()) };
    let stacks = Stacks::new(aws);
    let Some(info) = stacks.describe(m.stack.as_str()).await? else { return Ok(()) };
    let mut tags = info.tags;
    tags.extend(p.stack_tags().into_iter().map(|(k, v)| (k.to_string(), v)));
    stacks.retag(m.stack.as_str(), &tags, &mut |e| r.event(&super::stack::event(e))).await?;
    Ok(())
}

/// Where a compiled preview answers: its host's URL, or the load balancer's URL and the
/// header (`X-Ecship-Preview: NAME`) to send.
pub fn address(c: &Compiled) -> (Option<String>, Option<String>) {
    let Some(p) = &c.model.preview else { return (None, None) };
    let lb = c.model.load_balancers.values().find_map(|lb| Some((p.outputs.get(&LbIds::new(&lb.name).url_output())?, lb.domain.is_some())));
    let url = lb.map(|(u, domain)| crate::synth::preview::preview_url(u, p.host.as_deref(), domain));
    let header = p.host.is_none().then(|| format!("{}: {}", preview::HEADER, p.name));
    (url, header)
}

/// Destroy preview `name` of stack `parent` (its services, task definitions and stack), until
/// Ctrl-C; the cluster is the environment's and stays. With `expired_by`, only if its expiry
/// (read under its lock) is at or before that time.
pub async fn destroy(
    aws: &Aws,
    parent: &str,
    name: &str,
    expired_by: Option<u64>,
    r: &dyn Reporter,
) -> Ended<Result<Destroyed, DestroyError>> {
    let opts = DestroyOptions {
        stack: format!("{parent}-{name}"),
        keep_images: false,
        keep_logs: false,
        timeout: Duration::from_secs(1800),
        asset_bucket: None,
        delete_data: false,
        shared_cluster: true,
        expired_by,
    };
    destroy::run(aws, &opts, r).await
}

/// AWS's time now (this machine's until AWS has answered), in seconds since 1970.
fn now(aws: &Aws) -> u64 {
    aws.clock().now().unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// `2026-05-04T03:02:01Z`.
fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// Seconds since 1970 of an RFC 3339 time (`None` when it is not one).
pub(super) fn parse_rfc3339(s: &str) -> Option<u64> {
    humantime::parse_rfc3339(s).ok()?.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_times_are_utc_rfc_3339_and_read_back() {
        assert_eq!(rfc3339(1_796_000_000), "2026-11-30T00:53:20Z");
        assert_eq!(parse_rfc3339("2026-11-30T00:53:20Z"), Some(1_796_000_000));
        assert_eq!(parse_rfc3339("tomorrow"), None);
    }
}

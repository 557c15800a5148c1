//! Preview environments: what the spec's `previews:` resolves to, the rules a preview's name
//! follows, and a preview's own model — the deployed environment's, cut down to the services
//! a preview runs, renamed so nothing collides with the environment's, on a rolling update.
//!
//! A preview shares its environment's network, cluster, load balancer, roles, log group and
//! image repositories (read from the environment's stack outputs) and adds only its target
//! groups and listener rules (`synth::preview`) and its ECS services. Pure: no AWS.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{secs, Autoscaling, CapacityItem, EnvPart, EnvValue, LbName, Model, Rollout, Service, ServiceName, ServiceUrl, StackName};

/// The header a preview answers on without `previews.host`: `X-Ecship-Preview: NAME`.
pub const HEADER: &str = "X-Ecship-Preview";
/// The preview stack's tag naming the environment's stack it is a preview of.
pub const OF_TAG: &str = "ecship:preview-of";
/// The preview stack's tag with the preview's name.
pub const NAME_TAG: &str = "ecship:preview";
/// When `preview sweep` may destroy the preview: UTC, RFC 3339.
pub const EXPIRES_TAG: &str = "ecship:preview-expires";
/// Listener-rule priorities 1 to this number are kept for previews' rules: the environment's
/// own routes and test rules never use them (`spec::validate` refuses them when the spec has
/// `previews:`), and a preview's rules come before every route of the environment.
pub const PRIORITY_MAX: u32 = 1000;
/// The longest preview name (a DNS label, prefixing the preview's ECS service names).
pub const MAX_NAME: usize = 20;
/// The longest preview stack name (`STACK-NAME`; it prefixes task-definition families and
/// target groups' generated names).
pub const MAX_STACK: usize = 48;

/// The spec's `previews:`, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Previews {
    #[serde(with = "secs")]
    pub ttl: Duration,
    /// With `{name}` for the preview's name.
    pub host: Option<String>,
    /// The environment's services a preview runs.
    pub services: Vec<ServiceName>,
    pub overrides: Overrides,
}

/// What each service of a preview runs with instead of the environment's values.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    pub count: Option<u32>,
    pub capacity: Option<Vec<CapacityItem>>,
    /// `None`: a preview's service does not autoscale.
    pub autoscaling: Option<Autoscaling>,
}

/// A preview's model's tie to its environment.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewOf {
    /// The environment's stack.
    pub parent: StackName,
    pub name: String,
    /// `ecship:preview-expires` (not part of the plan's fingerprint: it moves on every deploy).
    #[serde(skip)]
    pub expires: String,
    /// The host it answers on (`previews.host` with the name put in); else the header.
    pub host: Option<String>,
    /// The environment's stack outputs, which the preview's template passes on.
    #[serde(skip)]
    pub outputs: BTreeMap<String, String>,
    /// The canonical hosted zone of each of the environment's load balancers with a domain
    /// (the alias target of the preview's host record, with the load balancer's DNS name).
    #[serde(skip)]
    pub lb_zones: BTreeMap<LbName, String>,
    /// Each preview service's name in the spec, by its name in the preview.
    pub originals: BTreeMap<ServiceName, ServiceName>,
}

impl PreviewOf {
    /// The tags of the preview's stack (beside `ecship:stack`).
    pub fn stack_tags(&self) -> [(&'static str, String); 3] {
        [(OF_TAG, self.parent.to_string()), (NAME_TAG, self.name.clone()), (EXPIRES_TAG, self.expires.clone())]
    }
}

/// A preview's name: a DNS label of at most `MAX_NAME` characters (it is a host name's first
/// label and prefixes ECS service names), whose stack name `STACK-NAME` fits `MAX_STACK`.
pub fn check_name(stack: &str, name: &str) -> Result<(), String> {
    let label = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && !name.contains("--");
    if name.is_empty() || name.len() > MAX_NAME || !label {
        return Err(format!(
            "preview name `{name}` is not a DNS label of 1 to {MAX_NAME} characters: use lowercase letters, digits and single dashes, starting with a letter (e.g. pr-42)"
        ));
    }
    let full = format!("{stack}-{name}");
    if full.len() > MAX_STACK {
        return Err(format!(
            "preview stack name `{full}` is {} characters: a preview's stack name STACK-NAME is at most {MAX_STACK}; use a shorter name",
            full.len()
        ));
    }
    Ok(())
}

/// What a preview's model is made from besides the environment's model.
pub struct Derive<'a> {
    pub name: &'a str,
    /// The environment's stack outputs.
    pub outputs: &'a BTreeMap<String, String>,
    /// The priority of each route's rule, by (service in the spec, route index).
    pub priorities: &'a BTreeMap<(ServiceName, usize), u32>,
    pub expires: String,
    /// The URL of each load balancer, as the environment's outputs say.
    pub lb_urls: &'a BTreeMap<LbName, String>,
    /// The canonical hosted zone of each load balancer with a domain, as ELB says.
    pub lb_zones: &'a BTreeMap<LbName, String>,
}

/// The preview's service name: `NAME-SERVICE` (ECS service, container, log stream prefix).
pub fn service_name(preview: &str, service: &ServiceName) -> ServiceName {
    ServiceName::new_unchecked(format!("{preview}-{service}"))
}

/// The preview's own model: the environment's stack `STACK-NAME` with only the preview's
/// services, renamed `NAME-SERVICE`, each on a rolling update (one target group, no test
/// rules, checks or `deploy.before`), a Service Connect client only (calls by
/// `${service.X.url}` reach the environment's X), with `previews.overrides` applied. No jobs.
pub fn derive(parent: &Model, previews: &Previews, d: &Derive) -> Model {
    let host = previews.host.as_ref().map(|h| h.replace("{name}", d.name));
    let mut services = BTreeMap::new();
    let mut originals = BTreeMap::new();
    for svc in previews.services.iter().filter_map(|n| parent.services.get(n)) {
        let s = preview_service(parent, previews, svc, d, host.as_deref());
        originals.insert(s.name.clone(), svc.name.clone());
        services.insert(s.name.clone(), s);
    }
    let preview = PreviewOf {
        parent: parent.stack.clone(),
        name: d.name.to_string(),
        expires: d.expires.clone(),
        host,
        outputs: d.outputs.clone(),
        lb_zones: d.lb_zones.clone(),
        originals,
    };
    Model {
        stack: StackName::new_unchecked(format!("{}-{}", parent.stack, d.name)),
        services,
        jobs: BTreeMap::new(),
        previews: None,
        preview: Some(preview),
        ..parent.clone()
    }
}

fn preview_service(parent: &Model, previews: &Previews, svc: &Service, d: &Derive, host: Option<&str>) -> Service {
    let o = &previews.overrides;
    let mut s = svc.clone();
    s.name = service_name(d.name, &svc.name);
    s.deploy.rollout = Rollout::Rolling;
    s.deploy.before.clear();
    s.deploy.alarms.clear();
    s.deploy.check = None;
    s.test_rules = None;
    s.references.clear();
    for value in s.env.values_mut() {
        *value = resolve(parent, previews, d, value);
    }
    for sidecar in &mut s.sidecars {
        for value in sidecar.env.values_mut() {
            *value = resolve(parent, previews, d, value);
        }
    }
    for (i, route) in s.routes.iter_mut().enumerate() {
        route.priority = d.priorities.get(&(svc.name.clone(), i)).copied().unwrap_or(route.priority);
        if let Some(h) = host {
            route.host = Some(h.to_string());
        }
    }
    if let Some(count) = o.count {
        s.count = count;
    }
    if let Some(capacity) = &o.capacity {
        s.capacity.clone_from(capacity);
    }
    s.autoscaling.clone_from(&o.autoscaling);
    if let Some(a) = &s.autoscaling {
        s.count = a.clamp(s.count);
    }
    s
}

/// `${service.X.url}` becomes the environment's X (a preview serves no Service Connect
/// name); `${service.X.lb_url}` the preview's X where it runs one, else the environment's.
fn resolve(parent: &Model, previews: &Previews, d: &Derive, value: &EnvValue) -> EnvValue {
    let EnvValue::Template(parts) = value else { return value.clone() };
    let parts = parts
        .iter()
        .map(|p| match p {
            EnvPart::ServiceUrl(x) => EnvPart::Text(match parent.services.get(x).and_then(Service::url) {
                Some(ServiceUrl::Internal { host, port }) => format!("http://{host}:{}", port.get()),
                _ => String::new(),
            }),
            EnvPart::LoadBalancerUrl(x) if previews.services.contains(x) => EnvPart::LoadBalancerUrl(service_name(d.name, x)),
            EnvPart::LoadBalancerUrl(x) => {
                let target = parent.services.get(x);
                let url = target.and_then(|t| t.load_balancer.as_ref()).and_then(|lb| d.lb_urls.get(lb)).cloned().unwrap_or_default();
                let prefix = match target.and_then(Service::lb_url) {
                    Some(ServiceUrl::LoadBalancer { path_prefix }) => path_prefix,
                    _ => String::new(),
                };
                EnvPart::Text(format!("{url}{prefix}"))
            }
            // The environment's storage: its outputs are passed on with the rest.
            EnvPart::Text(_) | EnvPart::Storage(..) => p.clone(),
        })
        .collect();
    EnvValue::Template(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_a_dns_label_and_a_stack_suffix() {
        assert!(check_name("shop", "pr-42").is_ok());
        for bad in ["", "PR-42", "42", "pr--42", "pr-", "pr_42", "a-very-long-preview-name-1"] {
            let err = check_name("shop", bad).expect_err(bad);
            assert!(err.contains("is not a DNS label of 1 to 20 characters"), "{bad}: {err}");
        }
        let err = check_name("a-stack-name-of-twenty-eight", "preview-name-twenty1").expect_err("too long");
        assert!(err.contains("is at most 48"), "{err}");
    }
}

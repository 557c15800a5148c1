//! Model → CloudFormation template for the slow, shared infrastructure: network, cluster,
//! load balancer, target groups, roles, logs and repositories.
//!
//! Services and task definitions are not here: ecship drives them through the ECS API.
//! Logical ids derive from names alone, so adding or renaming one service never changes
//! another's ids. Must not call AWS or build templates from strings.

pub mod domain;
mod iam;
pub mod ids;
mod limits;
mod load_balancer;
pub mod nesting;
mod network;
pub mod preview;
pub mod resources;
mod services;
pub mod signals;
mod storage;
pub mod template;
mod volumes;
mod waf;
mod yaml;

use std::collections::BTreeMap;

pub use limits::{
    check_limits, dynamic_references, Limit, MAX_DYNAMIC_REFERENCES, MAX_RESOURCES, MAX_TEMPLATE_BODY_BYTES, MAX_TEMPLATE_URL_BYTES,
};
pub use storage::STORAGE_TAG;
pub use template::{Expr, Output, Resource, Template};
pub use volumes::VOLUME_TAG;

use crate::model::{Model, ServiceName, Weights};
use resources::Tag;

/// Build the template for `model`, every two-colour service's traffic on blue.
pub fn synth(model: &Model) -> Template {
    synth_with_traffic(model, &BTreeMap::new())
}

/// Build the template for `model`, with the listener rules of two-colour services forwarding
/// as `traffic` says (all on blue for a service it does not name). ecship moves these
/// weights itself during a rollout; a stack update sends them as they are, so it never
/// moves traffic back.
pub fn synth_with_traffic(model: &Model, traffic: &BTreeMap<ServiceName, Weights>) -> Template {
    if let Some(p) = &model.preview {
        return preview::synth(&Cx { model, traffic }, p);
    }
    let env = model.env.as_deref().map(|e| format!(" ({e})")).unwrap_or_default();
    let mut t = Template::new(format!(
        "ecship stack {}{env}: network, cluster, load balancer, roles, logs and image repositories. Services are managed by ecship through the ECS API.",
        model.stack
    ));
    let cx = Cx { model, traffic };
    let net = network::add(&cx, &mut t);
    cx.cluster(&mut t);
    let lb = load_balancer::add(&cx, &mut t, &net);
    services::add(&cx, &mut t, &net, &lb);
    volumes::add(&cx, &mut t, &net);
    storage::add(&cx, &mut t, &net);
    iam::add(&cx, &mut t);
    signals::add(&cx, &mut t);
    services::outputs(&cx, &mut t);
    t
}

/// A stack of only the image repositories, which `push` creates when the stack was never
/// deployed. `deploy` later updates it to the whole template; the repositories keep their
/// logical ids and their images.
pub fn repositories(model: &Model) -> Template {
    let mut t = Template::new(format!("ecship stack {}: image repositories only (ecship deploy adds the rest).", model.stack));
    services::repositories(&Cx { model, traffic: &BTreeMap::new() }, &mut t);
    t
}

/// What the builders share: the model, the traffic of two-colour services, and the tags
/// every resource carries.
pub(crate) struct Cx<'a> {
    pub model: &'a Model,
    pub traffic: &'a BTreeMap<ServiceName, Weights>,
}

impl Cx<'_> {
    /// `ecship:stack`, the spec's tags, and `ecship:service` for a service's resources.
    pub fn tags(&self, service: Option<&str>) -> Vec<Tag> {
        let mut tags: BTreeMap<String, String> = self.model.tags.clone();
        tags.insert("ecship:stack".into(), self.model.stack.to_string());
        if let Some(s) = service {
            tags.insert("ecship:service".into(), s.to_string());
        }
        tags.into_iter().map(|(key, value)| Tag { key, value: value.into() }).collect()
    }

    /// Tags plus a `Name`, which the EC2 console shows (unless the spec's tags set one).
    pub fn named_tags(&self, name: &str) -> Vec<Tag> {
        let mut tags = self.tags(None);
        if !self.model.tags.contains_key("Name") {
            tags.push(Tag { key: "Name".into(), value: format!("{}-{name}", self.model.stack).into() });
            tags.sort_by(|a, b| a.key.cmp(&b.key));
        }
        tags
    }

    fn cluster(&self, t: &mut Template) {
        let m = self.model;
        let insights = if m.cluster.container_insights { "enabled" } else { "disabled" };
        // Service Connect names services for `${service.NAME.url}`; only needed when used.
        let has_internal = m.services.values().any(|s| !s.references.is_empty());
        if has_internal {
            t.add(
                ids::NAMESPACE,
                Resource::new(resources::HttpNamespace {
                    name: format!("{}.internal", m.stack),
                    description: format!("Service Connect names of ecship stack {}", m.stack),
                    tags: self.tags(None),
                }),
            );
            t.output("ServiceConnectNamespaceArn", "Cloud Map namespace for Service Connect", Expr::att(ids::NAMESPACE, "Arn"));
        }
        t.add(
            ids::CLUSTER,
            Resource::new(resources::Cluster {
                cluster_name: m.cluster.name.clone(),
                cluster_settings: vec![resources::KeyValueNamed { name: "containerInsights".into(), value: insights.into() }],
                // Services with `capacity:` name these in their strategies.
                capacity_providers: if m.cluster.keep_capacity_providers || m.services.values().any(|s| !s.capacity.is_empty()) {
                    vec!["FARGATE".into(), "FARGATE_SPOT".into()]
                } else {
                    vec![]
                },
                service_connect_defaults: has_internal
                    .then(|| resources::ServiceConnectDefaults { namespace: Expr::att(ids::NAMESPACE, "Arn") }),
                tags: self.tags(None),
            }),
        );
        t.output("ClusterName", "ECS cluster", Expr::reference(ids::CLUSTER));
        t.add(
            ids::LOG_GROUP,
            Resource::new(resources::LogGroup {
                log_group_name: format!("/ecship/{}", m.stack),
                retention_in_days: m.log_retention_days,
                tags: self.tags(None),
            }),
        );
        t.output("LogGroupName", "CloudWatch Logs group of every service (stream prefix: service name)", Expr::reference(ids::LOG_GROUP));
    }
}

#[cfg(test)]
mod tests;

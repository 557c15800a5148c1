//! Load balancers: the one `load_balancer:` declares, or several named under
//! `load_balancers:`; their listeners and subnets; and which one each service's routes go
//! through.

use std::collections::BTreeMap;

use super::checks;
use super::Ctx;
use crate::model::{self, LbName, Network};
use crate::spec::diagnostic::did_you_mean;
use crate::spec::types;

impl Ctx<'_> {
    /// The declared load balancers, by name.
    pub(super) fn load_balancers(&mut self, network: &Option<Network>) -> BTreeMap<LbName, model::LoadBalancer> {
        let spec = self.loaded.spec.clone();
        let mut out = BTreeMap::new();
        if let (Some(_), Some(_)) = (&spec.load_balancer, &spec.load_balancers) {
            self.err("load_balancers", "declare either `load_balancer` (one) or `load_balancers` (several, by name), not both")
                .hint("move the one under `load_balancer` into `load_balancers` with a name");
        }
        if let Some(lb) = &spec.load_balancer {
            out.insert(LbName::Single, self.load_balancer(network, LbName::Single, lb));
        }
        for (name, lb) in spec.load_balancers.iter().flatten() {
            let path = format!("load_balancers.{name}");
            // It names AWS resources (`STACK-NAME` in target group names) and logical ids.
            if let Err(m) = checks::dns_label(name, 12) {
                self.err(&path, format!("load balancer name `{name}` {m}"));
                continue;
            }
            let key = LbName::Named(name.clone());
            out.insert(key.clone(), self.load_balancer(network, key, lb));
        }
        if spec.load_balancers.as_ref().is_some_and(BTreeMap::is_empty) {
            self.err("load_balancers", "no load balancer is declared here").hint("name at least one, or remove `load_balancers`");
        }
        out
    }

    /// One load balancer's listeners, subnets and timeout.
    pub(super) fn load_balancer(&mut self, network: &Option<Network>, name: LbName, lb: &types::LoadBalancer) -> model::LoadBalancer {
        let at = name.path();
        let public = lb.public.unwrap_or(true);
        if let Some(Network::Existing { public_subnets, private_subnets, .. }) = network {
            let (kind, n) = if public { ("public", public_subnets.len()) } else { ("private", private_subnets.len()) };
            if n < 2 {
                self.err(&format!("network.{kind}_subnets"), format!("{n} {kind} subnet(s): {name} needs at least 2, in different zones"));
            }
        }
        if !public && network.as_ref().is_some_and(|n| !n.has_private_subnets()) {
            self.err(&format!("{at}.public"), "an internal load balancer needs private subnets")
                .hint("set network.nat to single or per_az (or list private_subnets for an existing VPC)");
        }
        let http_port = self.port(&format!("{at}.http"), lb.http.unwrap_or(80));
        let domain = self.domain(&at, lb.domain.as_ref());
        let https = self.https(&at, lb.https.as_ref(), http_port, domain.as_ref(), public);
        let idle_timeout = self.duration(&format!("{at}.idle_timeout"), lb.idle_timeout.as_deref(), 60, 1, 4000);
        let waf = self.waf(&at, lb.waf.as_ref());
        let allow = self.allow(&at, lb.allow.as_deref());
        model::LoadBalancer { name, public, http_port, https, idle_timeout, domain, waf, allow }
    }

    /// The load balancer a service's routes go through: the one it names, else the only one
    /// (or the one routes imply when none is declared).
    pub(super) fn service_load_balancer(
        &mut self,
        path: &str,
        raw: &types::Service,
        lbs: &BTreeMap<LbName, model::LoadBalancer>,
    ) -> Option<LbName> {
        let at = format!("{path}.load_balancer");
        let names: Vec<&str> = lbs.keys().filter_map(|k| if let LbName::Named(n) = k { Some(n.as_str()) } else { None }).collect();
        if raw.routes.is_empty() {
            if raw.load_balancer.is_some() {
                self.err(&at, "names the load balancer for the service's routes, and it has none").hint("add `routes:`, or remove it");
            }
            return None;
        }
        match (&raw.load_balancer, lbs.len()) {
            (Some(name), _) if names.contains(&name.as_str()) => Some(LbName::Named(name.clone())),
            (Some(name), _) if lbs.contains_key(&LbName::Single) || lbs.is_empty() => {
                self.err(&at, format!("`{name}` is not a load balancer of this spec: it declares one `load_balancer`"))
                    .hint("declare several under `load_balancers:` by name, or remove this key");
                None
            }
            (Some(name), _) => {
                let hint = match did_you_mean(name, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("declared: {}", names.join(", ")),
                };
                self.err(&at, format!("no load balancer named `{name}`")).hint(hint);
                None
            }
            (None, 0) => Some(LbName::Single),
            (None, 1) => lbs.keys().next().cloned(),
            (None, _) => {
                self.err(path, format!("routes need a load balancer, and this spec has {}: name one with `load_balancer:`", lbs.len()))
                    .hint(format!("one of {}", names.join(", ")));
                None
            }
        }
    }
}

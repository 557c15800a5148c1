//! `previews:`: the expiry, the host a preview answers on, the services it runs and what they
//! run with. With `previews:`, listener-rule priorities 1 to `preview::PRIORITY_MAX` are the
//! previews': a route or test rule of the environment there is refused.

use std::collections::BTreeMap;

use super::Ctx;
use crate::model::edge::in_zone;
use crate::model::preview::{Overrides, Previews, PRIORITY_MAX};
use crate::model::{self, LbName, ServiceName};

/// Default time a preview lives after its last deploy.
const DEFAULT_TTL: u64 = 72 * 3600;
/// The longest expiry: 30 days.
const MAX_TTL: u64 = 30 * 24 * 3600;

impl Ctx<'_> {
    pub(super) fn previews(
        &mut self,
        services: &BTreeMap<ServiceName, model::Service>,
        lbs: &BTreeMap<LbName, model::LoadBalancer>,
    ) -> Option<Previews> {
        let raw = self.loaded.spec.previews.clone()?;
        let ttl = self.duration("previews.ttl", raw.ttl.as_deref(), DEFAULT_TTL, 1, MAX_TTL);
        let names: Vec<ServiceName> = match &raw.services {
            None => services.values().filter(|s| !s.routes.is_empty()).map(|s| s.name.clone()).collect(),
            Some(list) => self.preview_services(list, services),
        };
        if let Some(host) = &raw.host {
            if self.preview_host(host) {
                let lbs = names.iter().filter_map(|n| services.get(n)?.load_balancer.as_ref()).filter_map(|l| lbs.get(l));
                self.preview_host_in_zones(host, lbs);
            }
        }
        if !names.iter().filter_map(|n| services.get(n)).any(|s| !s.routes.is_empty()) {
            self.err("previews.services", "a preview runs no service with routes, so nothing would answer at its address")
                .hint("list at least one service with `routes:`");
        }
        self.reserved_priorities(services);
        let o = raw.overrides.unwrap_or_default();
        let routed = names.iter().filter_map(|n| services.get(n)).all(|s| !s.routes.is_empty());
        let overrides = Overrides {
            count: o.count,
            capacity: o.capacity.as_ref().map(|c| self.capacity("previews.overrides.capacity", Some(c))),
            autoscaling: o.autoscaling.as_ref().map(|a| self.autoscaling_of("previews.overrides", a, o.count, routed)),
        };
        if o.count.is_some_and(|c| c > 5000) {
            self.err("previews.overrides.count", "a service runs at most 5000 tasks");
        }
        Some(Previews { ttl, host: raw.host, services: names, overrides })
    }

    /// A host name with `{name}` once, as its own first label: `{name}.preview.example.com`.
    /// Whether it is one.
    fn preview_host(&mut self, host: &str) -> bool {
        let rest = host.strip_prefix("{name}.");
        let labels_ok = rest.is_some_and(|r| {
            r.split('.').count() >= 2
                && r.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                })
        });
        if !labels_ok || host.len() > 200 {
            self.err("previews.host", format!("`{host}` is not a host name starting with `{{name}}.`"))
                .hint("for example \"{name}.preview.example.com\": each preview answers on its own name under a domain");
            return false;
        }
        true
    }

    /// With a domain on a load balancer the previews' services are on, their host is in its
    /// hosted zone: a preview's certificate and record go there.
    fn preview_host_in_zones<'a>(&mut self, host: &str, lbs: impl Iterator<Item = &'a model::LoadBalancer>) {
        let example = host.replace("{name}", "pr-1");
        let mut zones: Vec<&str> = lbs.filter_map(|lb| lb.domain.as_ref()?.zone.name.as_deref()).collect();
        zones.dedup();
        for zone in zones.into_iter().filter(|z| !in_zone(&example, z)) {
            self.err("previews.host", format!("`{host}` is not in hosted zone `{zone}`, the load balancer's domain")).hint(format!(
                "a preview's certificate and record go in {zone}: use a host ending in .{zone}, e.g. \"{{name}}.preview.{zone}\""
            ));
        }
    }

    fn preview_services(&mut self, list: &[String], services: &BTreeMap<ServiceName, model::Service>) -> Vec<ServiceName> {
        let mut out = Vec::new();
        for (i, name) in list.iter().enumerate() {
            match services.keys().find(|k| k.as_str() == name) {
                Some(k) if !out.contains(k) => out.push(k.clone()),
                Some(_) => {
                    self.err(&format!("previews.services[{i}]"), format!("service `{name}` is listed twice"));
                }
                None => {
                    let known: Vec<&str> = services.keys().map(ServiceName::as_str).collect();
                    self.err(&format!("previews.services[{i}]"), format!("no service `{name}` in this spec"))
                        .hint(format!("the services are: {}", known.join(", ")));
                }
            }
        }
        out
    }

    /// The environment's own rules stay above the previews' range.
    fn reserved_priorities(&mut self, services: &BTreeMap<ServiceName, model::Service>) {
        for (name, svc) in services {
            for (i, r) in svc.routes.iter().enumerate().filter(|(_, r)| r.priority <= PRIORITY_MAX) {
                self.err(
                    &format!("services.{name}.routes[{i}].priority"),
                    format!(
                        "priority {} is kept for previews: with `previews:`, priorities 1 to {PRIORITY_MAX} are the previews' rules'",
                        r.priority
                    ),
                )
                .hint(format!("give this route a priority above {PRIORITY_MAX} (or none: derived ones are 10000 and above)"));
            }
            if let Some(first) = svc.test_rules.filter(|p| *p <= PRIORITY_MAX) {
                self.err(
                    &format!("services.{name}.routes"),
                    format!("its test rules would take priority {first}, which is kept for previews (1 to {PRIORITY_MAX})"),
                )
                .hint(format!("give its routes priorities above {}", PRIORITY_MAX + 2));
            }
        }
    }
}

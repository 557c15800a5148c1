//! Load balancer routes: path and host conditions, ALB limits, and listener-rule priorities.
//!
//! Priorities a spec leaves out are derived from the route itself (how specific its path is,
//! plus a hash of service, host and path), not from its position among the others, so adding
//! a route leaves the others' numbers alone — renumbering rules in place can make
//! CloudFormation collide with itself (`PriorityInUse`) half-way through an update. The one
//! exception: two routes landing on the same number (one of 400 in their band) are split:
//! the one whose full hash is smaller keeps it and the other takes the next free number —
//! so a new route can move an existing one, which `plan` shows. Routes that must never move
//! take an explicit priority.
//!
//! Priorities 1–98 are kept for test rules: each blue/green service with routes gets two
//! rules that send requests carrying `X-Ecship-Colour: NAME-blue` (or `NAME-green`) on one
//! of its route paths to that colour, so the idle colour can be checked before traffic
//! switches to it.
//! They come before every route, in pairs placed by a hash of the service's name.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::checks;
use super::Ctx;
use crate::model::{self, ServiceName};
use crate::spec::types;

/// Rules per load balancer, the default ELB quota (default actions excluded).
pub const MAX_RULES: usize = 100;
/// Derived priorities start here; explicit ones below it always win.
pub const DERIVED_BASE: u32 = 10_000;
/// The first priority a route may take; the ones below are test rules' (two per service).
pub const FIRST_ROUTE_PRIORITY: u32 = 100;
const TEST_RULE_PAIRS: u32 = (FIRST_ROUTE_PRIORITY - 1) / 2;
/// Paths a test rule can match beside its header (ALB: 5 condition values a rule).
const MAX_TEST_RULE_PATHS: usize = 4;
/// Numbers per specificity band; bands run from 10000 (most specific) to 49999.
const BAND: u32 = 400;
const BANDS: u32 = 100;

impl Ctx<'_> {
    pub(super) fn routes(&mut self, path: &str, raw: &types::Service, port: Option<model::Port>) -> Vec<model::Route> {
        if !raw.routes.is_empty() && port.is_none() {
            self.err(&format!("{path}.port"), "a service with routes needs a `port`")
                .hint("the container port the load balancer sends traffic to");
        }
        let mut out = Vec::new();
        for (i, r) in raw.routes.iter().enumerate() {
            let p = format!("{path}.routes[{i}]");
            if let Err(m) = checks::alb_path(&r.path) {
                self.err(&format!("{p}.path"), format!("`{}` {m}", r.path));
            }
            if let Some(host) = &r.host {
                if let Err(m) = checks::alb_host(host) {
                    self.err(&format!("{p}.host"), format!("`{host}` {m}"));
                }
            }
            if let Some(pr) = r.priority {
                if pr == 0 || pr > 50_000 {
                    self.err(&format!("{p}.priority"), format!("{pr} is out of range: use {FIRST_ROUTE_PRIORITY} to 50000"));
                } else if pr < FIRST_ROUTE_PRIORITY {
                    self.err(
                        &format!("{p}.priority"),
                        format!("{pr} is kept for ecship's test rules: use {FIRST_ROUTE_PRIORITY} to 50000"),
                    )
                    .hint("1 to 99 are the rules that reach a blue/green service's colours directly; any route comes after them");
                }
            }
            out.push(model::Route { path: r.path.clone(), host: r.host.clone(), priority: r.priority.unwrap_or(0) });
        }
        out
    }

    /// Fill in derived priorities and report collisions, duplicates and the rule quota.
    pub(super) fn assign_priorities(&mut self, services: &mut BTreeMap<ServiceName, model::Service>) {
        let mut taken: BTreeMap<u32, String> = BTreeMap::new();
        let mut conditions: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
        let mut total = 0;
        for (name, svc) in services.iter() {
            total += 2 * usize::from(svc.has_test_rules());
            for (i, r) in svc.routes.iter().enumerate() {
                total += 1;
                let here = format!("services.{name}.routes[{i}]");
                if let Some(first) = conditions.insert((r.host.clone(), r.path.clone()), here.clone()) {
                    self.err(
                        &format!("{here}.path"),
                        format!("the same path{} is already routed by {first}", if r.host.is_some() { " and host" } else { "" }),
                    );
                }
                if r.priority == 0 {
                    continue;
                }
                if let Some(first) = taken.insert(r.priority, here.clone()) {
                    self.err(&format!("{here}.priority"), format!("priority {} is already used by {first}", r.priority))
                        .hint("each rule on a listener needs its own priority");
                }
            }
        }
        if total > MAX_RULES {
            self.err(
                "services",
                format!("{total} routes: a load balancer takes at most {MAX_RULES} rules ({} too many)", total - MAX_RULES),
            );
        }
        // Derived ones by number, ties settled by each route's full hash (not by names).
        let mut derived: Vec<(u32, [u8; 32], String, usize)> = services
            .iter()
            .flat_map(|(name, svc)| {
                svc.routes
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.priority == 0)
                    .map(move |(i, r)| (derive_priority(name.as_str(), r), route_hash(name.as_str(), r), name.to_string(), i))
            })
            .collect();
        derived.sort();
        for (wanted, _, name, i) in derived {
            let band_start = wanted - (wanted - DERIVED_BASE) % BAND;
            let free = (0..BAND).map(|k| band_start + (wanted - band_start + k) % BAND).find(|p| !taken.contains_key(p));
            let Some(priority) = free else {
                self.err(&format!("services.{name}.routes[{i}]"), "no free derived priority is left for a route this specific")
                    .hint("give it an explicit `priority`");
                continue;
            };
            taken.insert(priority, format!("services.{name}.routes[{i}]"));
            if let Some(r) = services.get_mut(&crate::model::ServiceName::new_unchecked(name.clone())).and_then(|s| s.routes.get_mut(i)) {
                r.priority = priority;
            }
        }
        self.unreachable_routes(services);
        self.assign_test_rules(services);
    }

    /// Two test rules per blue/green service with routes, placed like derived priorities:
    /// by a hash of the name, the next free pair on a collision.
    fn assign_test_rules(&mut self, services: &mut BTreeMap<ServiceName, model::Service>) {
        let mut wanted: Vec<([u8; 32], ServiceName)> = services
            .values()
            .filter(|s| s.has_test_rules())
            .map(|s| (Sha256::digest(format!("test|{}", s.name).as_bytes()).into(), s.name.clone()))
            .collect();
        wanted.sort();
        let mut taken = [false; TEST_RULE_PAIRS as usize];
        for (hash, name) in wanted {
            let paths: std::collections::BTreeSet<&str> =
                services.get(&name).map(|s| s.routes.iter().map(|r| r.path.as_str()).collect()).unwrap_or_default();
            if paths.len() > MAX_TEST_RULE_PATHS {
                self.err(
                    &format!("services.{name}.routes"),
                    format!(
                        "a blue/green service takes at most {MAX_TEST_RULE_PATHS} route paths ({} here): its test rules match them all, and a rule takes 5 values",
                        paths.len()
                    ),
                )
                .hint("use fewer, wider path patterns, or strategy: canary");
            }
            let start = u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]) % TEST_RULE_PAIRS;
            let Some(pair) = (0..TEST_RULE_PAIRS).map(|k| (start + k) % TEST_RULE_PAIRS).find(|p| !taken[*p as usize]) else {
                self.err(
                    &format!("services.{name}.deploy"),
                    format!(
                        "more than {TEST_RULE_PAIRS} blue/green services with routes: the load balancer has no room for their test rules"
                    ),
                )
                .hint("deploy some of them as canary, or split the stack");
                continue;
            };
            taken[pair as usize] = true;
            if let Some(svc) = services.get_mut(&name) {
                svc.test_rules = Some(2 * pair + 1);
            }
        }
    }

    /// A rule is never reached when an earlier one (lower number) matches all it would.
    fn unreachable_routes(&mut self, services: &BTreeMap<ServiceName, model::Service>) {
        let all: Vec<(String, &model::Route)> = services
            .iter()
            .flat_map(|(n, s)| s.routes.iter().enumerate().map(move |(i, r)| (format!("services.{n}.routes[{i}]"), r)))
            .collect();
        for (here, late) in &all {
            let shadow = all.iter().find(|(_, early)| {
                early.priority < late.priority
                    && (&early.path, &early.host) != (&late.path, &late.host)
                    && (early.host.is_none() || early.host == late.host)
                    // Cheap first: what covers a path starts with the same literal text.
                    && late.path.starts_with(early.path.split(['*', '?']).next().unwrap_or(""))
                    && checks::pattern_covers(&early.path, &late.path)
            });
            if let Some((there, early)) = shadow {
                self.err(
                    &format!("{here}.path"),
                    format!(
                        "`{}` is never reached: {there} (`{}`, priority {}) matches all it would, and comes first",
                        late.path, early.path, early.priority
                    ),
                )
                .hint(format!("give it a priority below {}, or narrow the other route", early.priority));
            }
        }
    }
}

/// How literal a route is: characters before the first wildcard, and a host condition.
/// Twice the literal characters, plus one for a path with no wildcard at all (`/api` before
/// `/api*`), plus a bonus for an exact host.
fn specificity(r: &model::Route) -> u32 {
    let wildcard = r.path.find(['*', '?']);
    let literal = wildcard.unwrap_or(r.path.len()) as u32;
    let exact = u32::from(wildcard.is_none());
    let host = if r.host.as_deref().is_some_and(|h| !h.contains(['*', '?'])) { 60 } else { 0 };
    (2 * literal + exact + host).min(BANDS - 1)
}

/// The route's full hash, to settle two routes that derive the same number.
fn route_hash(service: &str, r: &model::Route) -> [u8; 32] {
    Sha256::digest(format!("{service}|{}|{}", r.host.as_deref().unwrap_or(""), r.path).as_bytes()).into()
}

/// More specific routes get lower numbers (evaluated first); within a band, a hash of the
/// route spreads routes apart.
pub fn derive_priority(service: &str, r: &model::Route) -> u32 {
    let band_start = DERIVED_BASE + (BANDS - 1 - specificity(r)) * BAND;
    let h = route_hash(service, r);
    band_start + u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % BAND
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str, host: Option<&str>) -> model::Route {
        model::Route { path: path.into(), host: host.map(Into::into), priority: 0 }
    }

    #[test]
    fn specific_paths_come_before_catch_alls() {
        let catch_all = derive_priority("web", &route("/*", None));
        let api = derive_priority("api", &route("/api/users*", None));
        let admin = derive_priority("api", &route("/api/users/admin*", None));
        let hosted = derive_priority("web", &route("/*", Some("shop.example.com")));
        assert!(admin < api && api < catch_all, "{admin} {api} {catch_all}");
        assert!(hosted < catch_all);
        for p in [catch_all, api, admin, hosted] {
            assert!((DERIVED_BASE..50_000).contains(&p), "{p}");
        }
    }

    #[test]
    fn an_exact_path_comes_before_the_same_prefix_with_a_wildcard() {
        for (a, b) in [("a", "b"), ("api", "apistar"), ("one", "two"), ("x", "y")] {
            assert!(derive_priority(a, &route("/api", None)) < derive_priority(b, &route("/api*", None)), "{a} {b}");
        }
    }

    #[test]
    fn derived_priorities_depend_on_the_route_alone() {
        assert_eq!(derive_priority("a", &route("/a*", None)), derive_priority("a", &route("/a*", None)));
        assert_ne!(derive_priority("a", &route("/a*", None)), derive_priority("b", &route("/a*", None)));
        let max = derive_priority("x", &route(&format!("/{}", "a".repeat(127)), Some("a.example.com")));
        assert!(max >= DERIVED_BASE);
    }
}

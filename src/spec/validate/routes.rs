//! Load balancer routes: path and host conditions, ALB limits, and listener-rule priorities.
//!
//! Priorities a spec leaves out are derived from the route itself (how specific its path is,
//! plus a hash of service, host and path), not from its position among the others, so adding
//! a route leaves the others' numbers alone — renumbering rules in place can make
//! CloudFormation collide with itself (`PriorityInUse`) half-way through an update. The one
//! exception: two routes landing on the same number (one of 400 in their band) are split:
//! the one whose full hash is smaller keeps it and the other takes the next free number.
//! Against a deployed stack (`keep_deployed`), a route keeps the number it has where that is
//! still free, so a new route never moves an existing one; the newcomer takes the next free
//! number instead. Routes that must never move, even on a new stack, take an explicit
//! priority.
//!
//! Each blue/green service with routes also gets two test rules, which send requests carrying
//! `X-Ecship-Colour: NAME-blue.SECRET` (or `NAME-green.SECRET`, SECRET the stack's test-route
//! secret) on one of its route paths to that colour,
//! so the idle colour can be checked before traffic switches to it. They take the two free
//! numbers just below the service's first route, so every priority stays the user's to give
//! and test rules grow with the stack (the rule quota is what bounds them).

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::checks;
use super::Ctx;
use crate::model::{self, LbName, Model, ServiceName, MAX_TEST_RULE_PATHS};
use crate::spec::types;

/// Derived priorities start here; explicit ones below it always win.
pub const DERIVED_BASE: u32 = 10_000;
/// Paths a test rule can match beside its header (ALB: 5 condition values a rule).
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
                    self.err(&format!("{p}.priority"), format!("{pr} is out of range: use 1 to 50000"));
                }
            }
            out.push(model::Route {
                path: r.path.clone(),
                host: r.host.clone(),
                priority: r.priority.unwrap_or(0),
                derived: r.priority.is_none(),
            });
        }
        out
    }

    /// Fill in derived priorities and report collisions and duplicates, load balancer by
    /// load balancer (each listener numbers its own rules).
    pub(super) fn assign_priorities(&mut self, services: &mut BTreeMap<ServiceName, model::Service>) {
        let lbs: std::collections::BTreeSet<LbName> = services.values().filter_map(|s| s.load_balancer.clone()).collect();
        for lb in &lbs {
            self.assign_priorities_on(lb, services);
        }
    }

    fn assign_priorities_on(&mut self, lb: &LbName, services: &mut BTreeMap<ServiceName, model::Service>) {
        let mut taken: BTreeMap<u32, String> = BTreeMap::new();
        let mut conditions: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
        for (name, svc) in services.iter().filter(|(_, s)| s.load_balancer.as_ref() == Some(lb)) {
            for (i, r) in svc.routes.iter().enumerate() {
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
        for (name, i, priority) in derive_on(lb, services, &taken.keys().copied().collect(), &Pins::new()) {
            let Some(priority) = priority else {
                self.err(&format!("services.{name}.routes[{i}]"), "no free derived priority is left for a route this specific")
                    .hint("give it an explicit `priority`");
                continue;
            };
            if let Some(r) = services.get_mut(&name).and_then(|s| s.routes.get_mut(i)) {
                r.priority = priority;
            }
        }
        self.unreachable_routes(lb, services);
        self.assign_test_rules(lb, services);
    }

    /// Two test rules per blue/green service with routes, just before the service's first
    /// route (lowest number): the two nearest free numbers below it with no route between
    /// them and it that could match the service's paths. A test request carries the colour's
    /// header on one of the service's paths; only rules that could take it before the test
    /// rule matter, and the first route of the service itself is the only one such a
    /// request would otherwise reach.
    fn assign_test_rules(&mut self, lb: &LbName, services: &mut BTreeMap<ServiceName, model::Service>) {
        for (name, pair) in test_rules_on(lb, services) {
            let Some(svc) = services.get_mut(&name) else { continue };
            // A canary's are a convenience: without room for them, its check goes through the
            // load balancer once traffic moved.
            if !matches!(svc.deploy.rollout, model::Rollout::TwoColour(model::TwoColour { shift: model::Shift::BlueGreen, .. })) {
                svc.test_rules = pair;
                continue;
            }
            let paths: BTreeSet<&str> = svc.routes.iter().map(|r| r.path.as_str()).collect();
            if paths.len() > MAX_TEST_RULE_PATHS {
                self.err(
                    &format!("services.{name}.routes"),
                    format!(
                        "a blue/green service takes at most {MAX_TEST_RULE_PATHS} route paths ({} here): its test rules match them all, and a rule takes 5 condition values",
                        paths.len()
                    ),
                )
                .hint("use fewer, wider path patterns, or strategy: canary");
            }
            match pair {
                Some(pair) => svc.test_rules = Some(pair),
                None => {
                    let first = svc.routes.iter().map(|r| r.priority).min().unwrap_or(0);
                    self.err(
                        &format!("services.{name}.routes"),
                        format!("no room for the two test rules of a blue/green service before priority {first}, its first route"),
                    )
                    .hint("give its routes a higher `priority`, leaving two free numbers below them");
                }
            }
        }
    }

    /// A rule is never reached when an earlier one (lower number) matches all it would.
    fn unreachable_routes(&mut self, lb: &LbName, services: &BTreeMap<ServiceName, model::Service>) {
        let all: Vec<(String, &model::Route)> = services
            .iter()
            .filter(|(_, s)| s.load_balancer.as_ref() == Some(lb))
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

/// Deployed priorities of derived routes: (service, route index) → the priority its rule has.
pub type Pins = BTreeMap<(ServiceName, usize), u32>;

/// The derived priority of every route of `lb` without an explicit one, given the numbers
/// `taken` by explicit ones: first each pinned route whose deployed number is in its band
/// and still free keeps it, then the others by derived number (ties settled by each route's
/// full hash, not by names) take it or the next free one in its band (`None`: none left).
fn derive_on(
    lb: &LbName,
    services: &BTreeMap<ServiceName, model::Service>,
    taken: &BTreeSet<u32>,
    pins: &Pins,
) -> Vec<(ServiceName, usize, Option<u32>)> {
    let mut taken = taken.clone();
    let mut out = Vec::new();
    let mut derived: Vec<(u32, [u8; 32], ServiceName, usize)> = Vec::new();
    for (name, svc) in services.iter().filter(|(_, s)| s.load_balancer.as_ref() == Some(lb)) {
        for (i, r) in svc.routes.iter().enumerate().filter(|(_, r)| r.derived) {
            let wanted = derive_priority(name.as_str(), r);
            let pin = pins.get(&(name.clone(), i)).copied();
            match pin.filter(|p| band_of(*p) == band_of(wanted) && !taken.contains(p)) {
                Some(p) => {
                    taken.insert(p);
                    out.push((name.clone(), i, Some(p)));
                }
                None => derived.push((wanted, route_hash(name.as_str(), r), name.clone(), i)),
            }
        }
    }
    derived.sort();
    for (wanted, _, name, i) in derived {
        let band_start = band_of(wanted);
        let free = (0..BAND).map(|k| band_start + (wanted - band_start + k) % BAND).find(|p| !taken.contains(p));
        if let Some(p) = free {
            taken.insert(p);
        }
        out.push((name, i, free));
    }
    out
}

/// The first number of the band `priority` is in.
fn band_of(priority: u32) -> u32 {
    priority - (priority.saturating_sub(DERIVED_BASE)) % BAND
}

/// The test-rule pair of every blue/green service with routes on `lb`, from its routes'
/// priorities (`None`: no room).
fn test_rules_on(lb: &LbName, services: &BTreeMap<ServiceName, model::Service>) -> Vec<(ServiceName, Option<u32>)> {
    let mut taken: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for svc in services.values().filter(|s| s.load_balancer.as_ref() == Some(lb)) {
        for r in &svc.routes {
            taken.entry(r.priority).or_default().push(r.path.clone());
        }
    }
    let mut out = Vec::new();
    for svc in services.values().filter(|s| s.has_test_rules() && s.load_balancer.as_ref() == Some(lb)) {
        let paths: Vec<String> = svc.routes.iter().map(|r| r.path.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let first = svc.routes.iter().map(|r| r.priority).min().unwrap_or(0);
        let pair = test_rule_slots(&taken, first, &paths);
        if let Some(pair) = pair {
            // Taken by test rules: no path of theirs matters to another service's test requests.
            taken.entry(pair).or_default();
            taken.entry(pair + 1).or_default();
        }
        out.push((svc.name.clone(), pair));
    }
    out
}

/// `m` with its derived priorities kept where they are deployed (`pins`) and still free, the
/// others derived around them, and test rules placed again; `None` when that changes nothing,
/// or when a route or test rule would find no room (the spec's own numbers stand then).
pub fn keep_deployed(m: &Model, pins: &Pins) -> Option<Model> {
    if pins.is_empty() {
        return None;
    }
    let mut kept = m.services.clone();
    let mut changed = false;
    let lbs: BTreeSet<LbName> = kept.values().filter_map(|s| s.load_balancer.clone()).collect();
    for lb in &lbs {
        let on_lb = kept.values().filter(|s| s.load_balancer.as_ref() == Some(lb));
        let explicit: BTreeSet<u32> = on_lb.flat_map(|s| s.routes.iter().filter(|r| !r.derived).map(|r| r.priority)).collect();
        for (name, i, priority) in derive_on(lb, &kept, &explicit, pins) {
            let r = kept.get_mut(&name).and_then(|s| s.routes.get_mut(i))?;
            changed |= r.priority != priority?;
            r.priority = priority?;
        }
        for (name, pair) in test_rules_on(lb, &kept) {
            let svc = kept.get_mut(&name)?;
            changed |= svc.test_rules != Some(pair?);
            svc.test_rules = pair;
        }
    }
    changed.then(|| Model { services: kept, ..m.clone() })
}

/// The lower of two consecutive free numbers below `first` for a service's test rules, the
/// nearest to it such that no route numbered between them and `first` could match one of
/// `paths` (their literal starts are compatible), or `None`.
fn test_rule_slots(taken: &BTreeMap<u32, Vec<String>>, first: u32, paths: &[String]) -> Option<u32> {
    let literal = |p: &str| p.split(['*', '?']).next().unwrap_or("").to_string();
    let overlaps = |other: &str| {
        let o = literal(other);
        paths.iter().map(|p| literal(p)).any(|l| l.starts_with(&o) || o.starts_with(&l))
    };
    let mut low = first.checked_sub(2)?;
    while low >= 1 {
        let free = !taken.contains_key(&low) && !taken.contains_key(&(low + 1));
        if free {
            return Some(low);
        }
        // A route in the way that could match the service's paths: nothing below it works.
        if taken.get(&(low + 1)).is_some_and(|ps| ps.iter().any(|p| overlaps(p))) {
            return None;
        }
        low -= 1;
    }
    None
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
        model::Route { path: path.into(), host: host.map(Into::into), priority: 0, derived: true }
    }

    #[test]
    fn test_rules_take_the_nearest_free_pair_with_nothing_in_the_way() {
        let taken =
            |list: &[(u32, &str)]| -> BTreeMap<u32, Vec<String>> { list.iter().map(|(p, path)| (*p, vec![path.to_string()])).collect() };
        let api = ["/api/*".to_string()];
        let cases = [
            ("nothing near", taken(&[]), 100, Some(98)),
            ("another path just below", taken(&[(99, "/shop*")]), 100, Some(97)),
            ("a rule that could match in the way", taken(&[(99, "/api/v2*")]), 100, None),
            ("a catch-all in the way", taken(&[(99, "/*")]), 100, None),
            ("another service's test rule just below", [(99, vec![])].into_iter().collect(), 100, Some(97)),
            ("first route at 3", taken(&[]), 3, Some(1)),
            ("first route at 2: no room", taken(&[]), 2, None),
        ];
        for (what, taken, first, expected) in cases {
            assert_eq!(test_rule_slots(&taken, first, &api), expected, "{what}");
        }
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

//! What stands in front of a load balancer: `domain` (its hosted zone, and every host its
//! routes name inside it), `waf` (managed rule groups by short name, a rate limit) and
//! `allow` (the CIDRs it admits), and the HTTPS listener a domain implies.

use std::collections::BTreeMap;

use super::checks;
use super::Ctx;
use crate::model::edge::{in_zone, managed_rule_group, MANAGED_RULE_GROUPS};
use crate::model::{self, Cidr, Domain, HostedZone, LbName, ServiceName, Waf};
use crate::spec::diagnostic::did_you_mean;
use crate::spec::types;

/// The ELB security policy of an HTTPS listener the spec does not choose one for.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// AWS's bounds on a rate-based rule's limit (requests per 5 minutes).
/// https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html
const RATE_LIMITS: std::ops::RangeInclusive<u64> = 10..=2_000_000_000;

impl Ctx<'_> {
    /// A load balancer's domain, its hosts still to be gathered from the routes (`domain_hosts`).
    pub(super) fn domain(&mut self, at: &str, raw: Option<&types::Domain>) -> Option<Domain> {
        let d = raw?;
        let at = format!("{at}.domain");
        if d.zone.is_none() && d.zone_id.is_none() {
            self.err(&at, "names no hosted zone").hint("add `zone: example.com` (looked up in Route 53) or `zone_id: Z…`");
        }
        if let Some(id) = &d.zone_id {
            let valid = id.len() <= 32 && !id.is_empty() && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !valid {
                self.err(&format!("{at}.zone_id"), format!("`{id}` is not a Route 53 hosted zone id"))
                    .hint("hosted zone ids look like Z0123456789ABCDEFGHIJ");
            }
        }
        for (key, host) in [("zone", &d.zone), ("name", &d.name)] {
            if let Some(Err(m)) = host.as_deref().map(checks::alb_host) {
                self.err(&format!("{at}.{key}"), m);
            }
        }
        if let (Some(name), Some(zone)) = (&d.name, &d.zone) {
            if !in_zone(name, zone) {
                self.err(&format!("{at}.name"), format!("`{name}` is not in hosted zone `{zone}`"))
                    .hint(format!("name a host ending in .{zone}"));
            }
        }
        let zone = HostedZone { name: d.zone.clone(), id: d.zone_id.clone() };
        Some(Domain { zone, name: d.name.clone(), hosts: d.name.iter().map(|n| n.to_ascii_lowercase()).collect() })
    }

    /// A load balancer's HTTPS listener: the one `https:` declares, else the one a domain
    /// implies, else none.
    pub(super) fn https(
        &mut self,
        at: &str,
        raw: Option<&types::Https>,
        http_port: model::Port,
        domain: Option<&Domain>,
        public: bool,
    ) -> Option<model::Https> {
        match raw {
            Some(h) => {
                let port = self.port(&format!("{at}.https.port"), h.port.unwrap_or(443));
                if port == http_port {
                    self.err(&format!("{at}.https.port"), format!("HTTPS and HTTP cannot both use port {}", port.get()));
                }
                let certificate = self.certificate(at, h.certificate.as_deref(), domain, public);
                let ssl_policy = h.ssl_policy.clone().unwrap_or_else(|| DEFAULT_SSL_POLICY.into());
                if !ssl_policy.starts_with("ELBSecurityPolicy-") {
                    self.err(&format!("{at}.https.ssl_policy"), format!("`{ssl_policy}` is not an ELB security policy name"));
                }
                Some(model::Https { port, certificate, ssl_policy })
            }
            None if domain.is_some() => {
                if http_port.get() == 443 {
                    self.err(&format!("{at}.http"), "HTTP cannot use port 443: the domain's HTTPS listener does").hint("use port 80");
                }
                self.domain_https(at, public)
            }
            None => None,
        }
    }

    /// The HTTPS listener of a load balancer with a domain and no `https:`: on 443 with the
    /// certificate the stack requests. An internal one's zone is private, which ACM cannot
    /// validate, so it needs a certificate named.
    fn domain_https(&mut self, at: &str, public: bool) -> Option<model::Https> {
        if !public {
            self.err(&format!("{at}.domain"), "an internal load balancer's domain is a private hosted zone, which ACM cannot validate certificates through: it needs `https.certificate`")
                .hint("add `https: { certificate: arn:aws:acm:REGION:ACCOUNT:certificate/ID }`, a certificate covering its hosts");
            return None;
        }
        let port = self.port(&format!("{at}.https.port"), 443);
        Some(model::Https { port, certificate: model::Certificate::Domain, ssl_policy: DEFAULT_SSL_POLICY.into() })
    }

    /// The certificate of an `https:` listener: the one named, else the domain's own.
    fn certificate(&mut self, at: &str, named: Option<&str>, domain: Option<&Domain>, public: bool) -> model::Certificate {
        let at = format!("{at}.https.certificate");
        match (named, domain) {
            (Some(arn), _) => {
                if !checks::acm_arn(arn) {
                    self.err(&at, "is not an ACM certificate ARN").hint("arn:aws:acm:REGION:ACCOUNT:certificate/ID");
                }
                model::Certificate::Arn(arn.to_string())
            }
            (None, Some(_)) if public => model::Certificate::Domain,
            (None, Some(_)) => {
                self.err(
                    &at,
                    "missing: an internal load balancer's domain is a private hosted zone, which ACM cannot validate certificates through",
                )
                .hint("name a certificate covering its hosts: arn:aws:acm:REGION:ACCOUNT:certificate/ID");
                model::Certificate::Domain
            }
            (None, None) => {
                self.err(&at, "missing").hint("name an ACM certificate ARN, or add `domain:` for ecship to request one");
                model::Certificate::Domain
            }
        }
    }

    pub(super) fn waf(&mut self, at: &str, raw: Option<&types::Waf>) -> Option<Waf> {
        let w = raw?;
        let at = format!("{at}.waf");
        let mut managed = Vec::new();
        for (i, short) in w.managed.iter().enumerate() {
            match managed_rule_group(short) {
                Some(g) if managed.contains(&g) => {
                    self.err(&format!("{at}.managed[{i}]"), format!("`{short}` is listed twice"));
                }
                Some(g) => managed.push(g),
                None => {
                    let hint = match did_you_mean(short, MANAGED_RULE_GROUPS.iter().map(|g| g.short)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("one of {}", MANAGED_RULE_GROUPS.iter().map(|g| g.short).collect::<Vec<_>>().join(", ")),
                    };
                    self.err(&format!("{at}.managed[{i}]"), format!("`{short}` is not an AWS managed rule group ecship knows")).hint(hint);
                }
            }
        }
        if let Some(n) = w.rate_limit.filter(|n| !RATE_LIMITS.contains(n)) {
            self.err(&format!("{at}.rate_limit"), format!("{n} requests per 5 minutes is out of range: AWS takes 10 to 2000000000"));
        }
        if managed.is_empty() && w.rate_limit.is_none() {
            self.err(&at, "has no rule").hint("list AWS managed rule groups under `managed`, or set `rate_limit`");
        }
        Some(Waf { managed, rate_limit: w.rate_limit })
    }

    pub(super) fn allow(&mut self, at: &str, raw: Option<&[String]>) -> Vec<Cidr> {
        let Some(list) = raw else { return Vec::new() };
        if list.is_empty() {
            self.err(&format!("{at}.allow"), "admits no one").hint("list CIDRs such as 203.0.113.0/24, or remove `allow` to admit anyone");
        }
        let mut out = Vec::new();
        for (i, text) in list.iter().enumerate() {
            match text.parse::<Cidr>() {
                Ok(c) if c.network() != c.addr() => {
                    self.err(&format!("{at}.allow[{i}]"), format!("`{text}` has host bits set"))
                        .hint(format!("did you mean {}?", c.trunc()));
                }
                Ok(c) => out.push(c),
                Err(_) => {
                    self.err(&format!("{at}.allow[{i}]"), format!("`{text}` is not a CIDR block"))
                        .hint("an IPv4 or IPv6 block such as 203.0.113.0/24 or 2001:db8::/32 (a single address is /32 or /128)");
                }
            }
        }
        out
    }

    /// Every host the routes on a load balancer with a domain name joins its domain's hosts;
    /// a host outside the zone is a problem of the route naming it.
    pub(super) fn domain_hosts(
        &mut self,
        lbs: &mut BTreeMap<LbName, model::LoadBalancer>,
        services: &BTreeMap<ServiceName, model::Service>,
    ) {
        for (name, svc) in services {
            let Some(domain) = svc.load_balancer.as_ref().and_then(|l| lbs.get_mut(l)).and_then(|l| l.domain.as_mut()) else { continue };
            for (i, route) in svc.routes.iter().enumerate() {
                let Some(host) = &route.host else { continue };
                if let Some(zone) = domain.zone.name.as_deref().filter(|z| !in_zone(host, z)) {
                    self.err(
                        &format!("services.{name}.routes[{i}].host"),
                        format!("`{host}` (route {}) is not in hosted zone `{zone}`", route.path),
                    )
                    .hint(format!("the load balancer's certificate and records are in {zone}: name a host ending in .{zone}"));
                    continue;
                }
                domain.hosts.push(host.to_ascii_lowercase());
            }
        }
        for lb in lbs.values_mut() {
            let Some(domain) = lb.domain.as_mut() else { continue };
            domain.hosts.sort();
            domain.hosts.dedup();
            if domain.hosts.is_empty() {
                self.err(&format!("{}.domain", lb.name.path()), "covers no host: no route on it names one, and it has no `name`")
                    .hint("add `name: www.example.com` (the host of routes that name none), or a `host` to its routes");
            }
        }
    }
}

//! The application load balancers, each with its security group and listeners. The default
//! action answers 404 (or redirects HTTP to HTTPS); each route becomes a listener rule, added
//! by `services`. Weighted forwarding lives only on rules, never on a default action.

use std::collections::BTreeMap;

use super::ids::{self, LbIds};
use super::network::Net;
use super::resources::{
    Action, Certificate, FixedResponseConfig, Ingress, KeyValue, Listener, LoadBalancer, RedirectConfig, SecurityGroup,
};
use super::{domain, waf, Cx, Expr, Resource, Template};
use crate::model::{Certificate as CertificateModel, Cidr, LbName, LoadBalancer as LoadBalancerModel};

pub struct Lb {
    /// The load balancer's security group id: the only source its services admit.
    pub security_group: Expr,
    /// Logical id of the listener that carries the route rules.
    pub listener: String,
}

/// Every load balancer of the model, by name.
pub fn add(cx: &Cx, t: &mut Template, net: &Net) -> BTreeMap<LbName, Lb> {
    let mut out = BTreeMap::new();
    for lb in cx.model.load_balancers.values() {
        let ids = LbIds::new(&lb.name);
        security_group(cx, t, net, lb, &ids);
        balancer(cx, t, net, lb, &ids);
        edge(cx, t, lb, &ids);
        let listener = listeners(t, lb, &ids);
        let of = match &lb.name {
            LbName::Single => String::new(),
            LbName::Named(n) => format!(" of load balancer {n}"),
        };
        t.output(ids.listener_output(), format!("Listener that carries the route rules{of}"), Expr::reference(&listener));
        out.insert(lb.name.clone(), Lb { security_group: Expr::att(&ids.security_group(), "GroupId"), listener });
    }
    out
}

/// Its security group: the listeners' ports from the CIDRs of `allow`, else from the
/// internet (public) or the VPC (internal).
fn security_group(cx: &Cx, t: &mut Template, net: &Net, lb: &LoadBalancerModel, ids: &LbIds) {
    let stack = &cx.model.stack;
    let mut ports = vec![(u32::from(lb.http_port.get()), "HTTP")];
    if let Some(h) = &lb.https {
        ports.push((u32::from(h.port.get()), "HTTPS"));
    }
    let ingress = ports.iter().flat_map(|&(port, proto)| sources(lb, net).into_iter().map(move |s| s.ingress(port, proto))).collect();
    let (description, tag) = match &lb.name {
        LbName::Single => (format!("ecship {stack}: load balancer"), "lb".to_string()),
        LbName::Named(n) => (format!("ecship {stack}: load balancer {n}"), format!("lb-{n}")),
    };
    t.add(
        ids.security_group(),
        Resource::new(SecurityGroup {
            group_description: description,
            vpc_id: net.vpc_id.clone(),
            security_group_ingress: ingress,
            tags: cx.named_tags(&tag),
        }),
    );
}

/// Where a load balancer's connections may come from (a CIDR, IPv6 or not), and how its
/// rules describe it.
struct Source {
    cidr: String,
    v6: bool,
    from: String,
}

impl Source {
    fn ingress(&self, port: u32, proto: &str) -> Ingress {
        Ingress {
            ip_protocol: "tcp",
            from_port: port,
            to_port: port,
            cidr_ip: (!self.v6).then(|| self.cidr.clone().into()),
            cidr_ipv6: self.v6.then(|| self.cidr.clone()),
            source_security_group_id: None,
            description: format!("{proto} from {}", self.from),
        }
    }
}

/// `allow`'s CIDRs, else anyone for a public load balancer, the VPC for an internal one (any
/// address for an existing VPC, whose CIDR is unknown here).
fn sources(lb: &LoadBalancerModel, net: &Net) -> Vec<Source> {
    if !lb.allow.is_empty() {
        return lb
            .allow
            .iter()
            .map(|c| Source { cidr: c.to_string(), v6: matches!(c, Cidr::V6(_)), from: format!("{c} (allow)") })
            .collect();
    }
    let (cidr, from) = match (lb.public, &net.cidr) {
        (true, _) => ("0.0.0.0/0".to_string(), "the internet"),
        (false, Some(vpc)) => (vpc.clone(), "the VPC"),
        (false, None) => ("0.0.0.0/0".to_string(), "anywhere the internal load balancer is reachable"),
    };
    vec![Source { cidr, v6: false, from: from.into() }]
}

/// The load balancer in the public (or, internal, private) subnets, and its DNS name and URL.
fn balancer(cx: &Cx, t: &mut Template, net: &Net, lb: &LoadBalancerModel, ids: &LbIds) {
    let subnets = if lb.public { net.public_subnets.clone() } else { net.private_subnets.clone() };
    let mut balancer = Resource::new(LoadBalancer {
        scheme: if lb.public { "internet-facing" } else { "internal" },
        r#type: "application",
        subnets,
        security_groups: vec![Expr::att(&ids.security_group(), "GroupId")],
        load_balancer_attributes: vec![
            KeyValue { key: "idle_timeout.timeout_seconds".into(), value: lb.idle_timeout.as_secs().to_string() },
            KeyValue { key: "routing.http.drop_invalid_header_fields.enabled".into(), value: "true".into() },
        ],
        tags: cx.tags(None),
    });
    if net.cidr.is_some() && lb.public {
        // The ALB needs the internet gateway attached before it can be internet-facing.
        balancer = balancer.depends_on(ids::GATEWAY_ATTACHMENT);
    }
    t.add(ids.balancer(), balancer);
    let (scheme, port, default_port) = match &lb.https {
        Some(h) => ("https", h.port.get(), 443),
        None => ("http", lb.http_port.get(), 80),
    };
    let port = if port == default_port { String::new() } else { format!(":{port}") };
    t.output(ids.dns_output(), format!("DNS name of {}", lb.name), Expr::att(&ids.balancer(), "DNSName"));
    t.output(ids.url_output(), format!("URL of {}", lb.name), Expr::sub(format!("{scheme}://${{{}.DNSName}}{port}", ids.balancer())));
}

/// Its domain's certificate (unless the spec names one) and records, and its web ACL.
fn edge(cx: &Cx, t: &mut Template, lb: &LoadBalancerModel, ids: &LbIds) {
    if let Some(d) = &lb.domain {
        let zone_id = d.zone.id_or_placeholder();
        let hosts = domain::Hosts { prefix: ids.domain_prefix(), hosts: &d.hosts, zone_id: &zone_id };
        if lb.https.as_ref().is_some_and(|h| h.certificate == CertificateModel::Domain) {
            domain::certificate(t, &hosts, cx.tags(None));
        }
        let alias = domain::Alias {
            dns_name: Expr::att(&ids.balancer(), "DNSName"),
            hosted_zone_id: Expr::att(&ids.balancer(), "CanonicalHostedZoneID"),
        };
        domain::records(t, &hosts, &alias);
        t.output(ids.domain_urls_output(), format!("Addresses of {}", lb.name), urls(lb, &d.hosts).join(",").into());
    }
    if let Some(w) = &lb.waf {
        let name = match &lb.name {
            LbName::Single => cx.model.stack.to_string(),
            LbName::Named(n) => format!("{}-{n}", cx.model.stack),
        };
        waf::add(t, w, &name, ids, cx.tags(None));
    }
}

/// `https://HOST/` for every host but wildcards (`:PORT` when HTTPS is not on 443).
fn urls(lb: &LoadBalancerModel, hosts: &[String]) -> Vec<String> {
    let port = lb.https.as_ref().map_or(443, |h| h.port.get());
    let port = if port == 443 { String::new() } else { format!(":{port}") };
    hosts.iter().filter(|h| !h.starts_with('*')).map(|h| format!("https://{h}{port}/")).collect()
}

/// The HTTP listener (redirecting to HTTPS when there is one) and the HTTPS listener; the
/// logical id of the one that carries the route rules.
fn listeners(t: &mut Template, lb: &LoadBalancerModel, ids: &LbIds) -> String {
    let not_found = Action {
        r#type: "fixed-response",
        target_group_arn: None,
        forward_config: None,
        redirect_config: None,
        fixed_response_config: Some(FixedResponseConfig {
            status_code: "404",
            content_type: "text/plain",
            message_body: "No route matches this request.".into(),
        }),
    };
    let http_default = match &lb.https {
        Some(h) => Action {
            r#type: "redirect",
            target_group_arn: None,
            forward_config: None,
            redirect_config: Some(RedirectConfig { protocol: "HTTPS", port: h.port.get().to_string(), status_code: "HTTP_301" }),
            fixed_response_config: None,
        },
        None => not_found.clone(),
    };
    t.add(
        ids.http_listener(),
        Resource::new(Listener {
            load_balancer_arn: Expr::reference(&ids.balancer()),
            port: u32::from(lb.http_port.get()),
            protocol: "HTTP",
            certificates: vec![],
            ssl_policy: None,
            default_actions: vec![http_default],
        }),
    );
    match &lb.https {
        Some(h) => {
            t.add(
                ids.https_listener(),
                Resource::new(Listener {
                    load_balancer_arn: Expr::reference(&ids.balancer()),
                    port: u32::from(h.port.get()),
                    protocol: "HTTPS",
                    certificates: vec![Certificate {
                        certificate_arn: match &h.certificate {
                            CertificateModel::Arn(arn) => arn.into(),
                            CertificateModel::Domain => Expr::reference(&domain::certificate_id(ids.domain_prefix())),
                        },
                    }],
                    ssl_policy: Some(h.ssl_policy.clone()),
                    default_actions: vec![not_found],
                }),
            );
            ids.https_listener()
        }
        None => ids.http_listener(),
    }
}

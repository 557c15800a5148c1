//! The application load balancers, each with its security group and listeners. The default
//! action answers 404 (or redirects HTTP to HTTPS); each route becomes a listener rule, added
//! by `services`. Weighted forwarding lives only on rules, never on a default action.

use std::collections::BTreeMap;

use super::ids::{self, LbIds};
use super::network::Net;
use super::resources::{
    Action, Certificate, FixedResponseConfig, Ingress, KeyValue, Listener, LoadBalancer, RedirectConfig, SecurityGroup,
};
use super::{Cx, Expr, Resource, Template};
use crate::model::{LbName, LoadBalancer as LoadBalancerModel};

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

/// Its security group: the listeners' ports from the internet (public) or the VPC (internal).
fn security_group(cx: &Cx, t: &mut Template, net: &Net, lb: &LoadBalancerModel, ids: &LbIds) {
    let stack = &cx.model.stack;
    // Internal: only the VPC may connect (any address for an existing VPC, whose CIDR is unknown here).
    let source = if lb.public { "0.0.0.0/0".to_string() } else { net.cidr.clone().unwrap_or_else(|| "0.0.0.0/0".into()) };
    let mut ports = vec![(u32::from(lb.http_port.get()), "HTTP")];
    if let Some(h) = &lb.https {
        ports.push((u32::from(h.port.get()), "HTTPS"));
    }
    let ingress = ports
        .iter()
        .map(|(p, proto)| Ingress {
            ip_protocol: "tcp",
            from_port: *p,
            to_port: *p,
            cidr_ip: Some(source.clone().into()),
            source_security_group_id: None,
            description: format!(
                "{proto} from {}",
                match (lb.public, &net.cidr) {
                    (true, _) => "the internet",
                    (false, Some(_)) => "the VPC",
                    (false, None) => "anywhere the internal load balancer is reachable",
                }
            ),
        })
        .collect();
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
                    certificates: vec![Certificate { certificate_arn: h.certificate.clone() }],
                    ssl_policy: Some(h.ssl_policy.clone()),
                    default_actions: vec![not_found],
                }),
            );
            ids.https_listener()
        }
        None => ids.http_listener(),
    }
}

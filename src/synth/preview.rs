//! A preview's template: its own target groups and listener rules on the environment's
//! listeners, nothing else. Every other output a preview's services need (cluster, subnets,
//! roles, log group, each service's security group, task role and repository) is the
//! environment's, passed on from its stack outputs as literal values, so the deploy steps
//! read a preview's stack like any other and the environment's template never changes.
//!
//! A rule answers on the preview's host (`previews.host`) or, without one, on requests
//! carrying `X-Ecship-Preview: NAME`, on the service's route paths, at the priorities
//! `ops::preview` assigned (from the range the environment never uses). When the load
//! balancer has a domain, the preview's host gets its own certificate (`synth::domain`,
//! validated in the domain's zone) served by the environment's HTTPS listener beside the
//! environment's own (a `ListenerCertificate`), and an alias record to the load balancer.

use super::domain;
use super::ids::{LbIds, ServiceIds};
use super::resources::{Action, Certificate, Condition, HttpHeader, ListenerCertificate, ListenerRule};
use super::services::{route_conditions, target_group};
use super::{Cx, Expr, Resource, Template};
use crate::model::preview::{PreviewOf, HEADER};
use crate::model::{LbName, Service};
use crate::workload::outputs::StackOutputs;

/// Outputs of the environment a preview passes on as they are.
const SHARED: [&str; 9] = [
    "ClusterName",
    "ClusterArn",
    "VpcId",
    "PublicSubnetIds",
    "PrivateSubnetIds",
    "ExecutionRoleArn",
    "LogGroupName",
    "ServiceConnectNamespaceArn",
    "EcsInfrastructureRoleArn",
];

pub(crate) fn synth(cx: &Cx, p: &PreviewOf) -> Template {
    let mut t = Template::new(format!(
        "ecship preview {} of stack {}: target groups and listener rules in the environment's load balancer. Services are managed by ecship through the ECS API.",
        p.name, p.parent
    ));
    for (key, value) in p.outputs.iter().filter(|(k, _)| SHARED.contains(&k.as_str()) || k.starts_with("Volume")) {
        t.output(key, format!("{key} of stack {}", p.parent), value.into());
    }
    let parent = StackOutputs::parse(p.parent.as_str(), &p.outputs).unwrap_or_default();
    for svc in cx.model.services.values() {
        service(cx, &mut t, p, &parent, svc);
    }
    t
}

/// A service's target group and rules, and its output: the environment's security group,
/// task role and repository with the preview's target group and rules.
fn service(cx: &Cx, t: &mut Template, p: &PreviewOf, parent: &StackOutputs, svc: &Service) {
    let ids = ServiceIds::new(&svc.name.logical());
    let original = p.originals.get(&svc.name).unwrap_or(&svc.name);
    let shared = parent.service(p.parent.as_str(), original).cloned().unwrap_or_default();
    let mut parts: Vec<Expr> = vec![format!("security_group={}", shared.security_group).into()];
    if let Some(role) = &shared.task_role {
        parts.push(format!(";task_role={role}").into());
    }
    if let Some(lb) = svc.load_balancer.as_ref().filter(|_| !svc.routes.is_empty()) {
        let lb_ids = LbIds::new(lb);
        let listener = p.outputs.get(&lb_ids.listener_output()).cloned().unwrap_or_default();
        let vpc = p.outputs.get("VpcId").cloned().unwrap_or_default();
        t.add(ids.target_group(), Resource::new(target_group(cx, vpc.into(), svc)));
        parts.extend([";target_groups=".into(), Expr::reference(&ids.target_group()), ";rules=".into()]);
        for (i, route) in svc.routes.iter().enumerate() {
            let rule = ListenerRule {
                listener_arn: listener.clone().into(),
                priority: route.priority,
                conditions: conditions(p, route),
                actions: vec![Action {
                    r#type: "forward",
                    target_group_arn: Some(Expr::reference(&ids.target_group())),
                    forward_config: None,
                    redirect_config: None,
                    fixed_response_config: None,
                }],
            };
            t.add(ids.rule(i), Resource::new(rule));
            if i > 0 {
                parts.push(",".into());
            }
            parts.push(Expr::reference(&ids.rule(i)));
        }
        if let Some(url) = parent.lb_url(lb).filter(|_| !t.outputs.contains_key(&lb_ids.url_output())) {
            let domain = cx.model.load_balancers.get(lb).is_some_and(|l| l.domain.is_some());
            t.output(lb_ids.url_output(), format!("URL of preview {}", p.name), preview_url(url, p.host.as_deref(), domain).into());
            host_edge(cx, t, p, lb);
        }
    }
    if let Some(repo) = &shared.repository {
        parts.push(format!(";repository={repo}").into());
    }
    t.output(ids.output(), format!("Resources of service {}", svc.name), Expr::Join(String::new(), parts));
}

/// With a host and a domain on load balancer `lb`: the host's certificate, validated in the
/// domain's zone and served by the environment's HTTPS listener (its `ListenerArn` output),
/// and the host's alias record to the load balancer (its `LoadBalancerDnsName` output and
/// canonical hosted zone).
fn host_edge(cx: &Cx, t: &mut Template, p: &PreviewOf, lb: &LbName) {
    let (Some(host), Some(d)) = (&p.host, cx.model.load_balancers.get(lb).and_then(|l| l.domain.as_ref())) else { return };
    let ids = LbIds::new(lb);
    let output = |key: String| -> Expr { p.outputs.get(&key).cloned().unwrap_or_default().into() };
    let prefix = format!("{}Preview", ids.domain_prefix());
    let (zone_id, hosts) = (d.zone.id_or_placeholder(), [host.clone()]);
    let hosts = domain::Hosts { prefix: &prefix, hosts: &hosts, zone_id: &zone_id };
    let certificate = domain::certificate(t, &hosts, cx.tags(None));
    t.add(
        format!("{prefix}ListenerCertificate"),
        Resource::new(ListenerCertificate {
            listener_arn: output(ids.listener_output()),
            certificates: vec![Certificate { certificate_arn: Expr::reference(&certificate) }],
        }),
    );
    let zone = p.lb_zones.get(lb).cloned().unwrap_or_default();
    domain::records(t, &hosts, &domain::Alias { dns_name: output(ids.dns_output()), hosted_zone_id: zone.into() });
}

/// The route's conditions (with the preview's host, which `derive` put in its place), and
/// without a host the preview's header.
fn conditions(p: &PreviewOf, route: &crate::model::Route) -> Vec<Condition> {
    let mut out = route_conditions(route);
    if p.host.is_none() {
        out.push(Condition {
            field: "http-header",
            path_pattern_config: None,
            host_header_config: None,
            http_header_config: Some(HttpHeader { http_header_name: HEADER, values: vec![p.name.clone().into()] }),
        });
    }
    out
}

/// The preview's URL: the load balancer's scheme and port on the preview's host
/// (`https://HOST/` with the load balancer's `domain`, as its own addresses are), or the load
/// balancer's own URL (reached with the header).
pub fn preview_url(lb_url: &str, host: Option<&str>, domain: bool) -> String {
    let Some(host) = host else { return lb_url.to_string() };
    let (scheme, rest) = lb_url.split_once("://").unwrap_or(("http", lb_url));
    let port = rest.split('/').next().and_then(|h| h.rsplit_once(':')).map(|(_, p)| format!(":{p}")).unwrap_or_default();
    let slash = if domain { "/" } else { "" };
    format!("{scheme}://{host}{port}{slash}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use serde_json::Value;

    use super::preview_url;
    use crate::model::preview::{derive, Derive};
    use crate::model::{LbName, ServiceName};
    use crate::spec::{load_str, validate, LoadOptions};

    /// The template of preview pr-1 of a one-service stack with `previews` as given.
    fn template(previews: &str) -> Value {
        template_of("", previews)
    }

    /// The same, the spec starting with `head`.
    fn template_of(head: &str, previews: &str) -> Value {
        let yaml = format!("stack: shop\n{head}previews: {previews}\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    routes: [ {{ path: \"/*\" }} ]\n");
        let opts = LoadOptions { env: None, vars: &|_| None, defer_unset_vars: false };
        let model = validate(&load_str(&yaml, Path::new("t.yaml"), &opts).expect("loads")).expect("valid");
        let outputs: BTreeMap<String, String> = [
            ("ClusterName", "shop"),
            ("VpcId", "vpc-1"),
            ("ListenerArn", "arn:listener"),
            ("LoadBalancerUrl", "http://lb.example"),
            ("LoadBalancerDnsName", "lb.example"),
            ("ServiceConnectNamespaceArn", "arn:ns"),
            ("SvcWeb", "security_group=sg-1;task_role=arn:role;target_groups=arn:tg;rules=arn:r;repository=1.dkr/shop/web"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let priorities = BTreeMap::from([((ServiceName::new_unchecked("web"), 0), 3)]);
        let lb_urls = BTreeMap::from([(LbName::Single, "http://lb.example".to_string())]);
        let lb_zones = BTreeMap::from([(LbName::Single, "ZELB".to_string())]);
        let expires = "2026-01-01T00:00:00Z".into();
        let d = Derive { name: "pr-1", outputs: &outputs, priorities: &priorities, expires, lb_urls: &lb_urls, lb_zones: &lb_zones };
        let preview = derive(&model, model.previews.as_ref().expect("previews"), &d);
        serde_json::from_str(&crate::synth::synth(&preview).to_json()).expect("json")
    }

    #[test]
    fn a_preview_holds_its_rules_and_target_groups_and_passes_the_environments_outputs_on() {
        let t = template("{}");
        let kinds: Vec<&str> = t["Resources"].as_object().expect("resources").values().filter_map(|r| r["Type"].as_str()).collect();
        assert_eq!(kinds, ["AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::ElasticLoadBalancingV2::TargetGroup"]);
        let rule = &t["Resources"]["SvcPr1WebRule1"]["Properties"];
        assert_eq!((rule["ListenerArn"].as_str(), rule["Priority"].as_u64()), (Some("arn:listener"), Some(3)));
        assert_eq!(rule["Conditions"][1]["HttpHeaderConfig"]["HttpHeaderName"], "X-Ecship-Preview");
        assert_eq!(rule["Conditions"][1]["HttpHeaderConfig"]["Values"][0], "pr-1");
        assert_eq!(t["Resources"]["SvcPr1WebTargetGroup"]["Properties"]["VpcId"], "vpc-1");
        assert_eq!(t["Outputs"]["ClusterName"]["Value"], "shop");
        assert_eq!(t["Outputs"]["LoadBalancerUrl"]["Value"], "http://lb.example");
        let svc = t["Outputs"]["SvcPr1Web"]["Value"]["Fn::Join"][1].to_string();
        assert!(
            svc.contains("security_group=sg-1") && svc.contains("task_role=arn:role") && svc.contains("repository=1.dkr/shop/web"),
            "{svc}"
        );
        assert!(!svc.contains("arn:tg"), "its own target group, not the environment's: {svc}");
    }

    #[test]
    fn with_a_host_a_preview_answers_on_it_instead_of_the_header() {
        let t = template("{ host: \"{name}.preview.example.com\" }");
        let conditions = &t["Resources"]["SvcPr1WebRule1"]["Properties"]["Conditions"];
        assert_eq!(conditions.as_array().map(Vec::len), Some(2), "{conditions}");
        assert_eq!(conditions[1]["HostHeaderConfig"]["Values"][0], "pr-1.preview.example.com");
        assert_eq!(t["Outputs"]["LoadBalancerUrl"]["Value"], "http://pr-1.preview.example.com");
    }

    #[test]
    fn with_a_domain_a_preview_has_its_hosts_certificate_on_the_environments_listener_and_its_record() {
        let head = "load_balancer:\n  domain: { zone: example.com, zone_id: Z1, name: shop.example.com }\n";
        let t = template_of(head, "{ host: \"{name}.preview.example.com\" }");
        let r = &t["Resources"];
        let kinds: Vec<&str> = r.as_object().expect("resources").values().filter_map(|r| r["Type"].as_str()).collect();
        assert_eq!(kinds.len(), 5, "{kinds:?}");
        let cert = &r["PreviewCertificate"]["Properties"];
        assert_eq!(cert["DomainName"], "pr-1.preview.example.com");
        assert_eq!(cert["DomainValidationOptions"][0]["HostedZoneId"], "Z1");
        let attached = &r["PreviewListenerCertificate"];
        assert_eq!(attached["Type"], "AWS::ElasticLoadBalancingV2::ListenerCertificate");
        assert_eq!(attached["Properties"]["ListenerArn"], "arn:listener");
        assert_eq!(attached["Properties"]["Certificates"][0]["CertificateArn"]["Ref"], "PreviewCertificate");
        let record = &r["PreviewRecordPr1PreviewExampleCom"]["Properties"];
        assert_eq!(
            (record["Name"].as_str(), record["Type"].as_str(), record["HostedZoneId"].as_str()),
            (Some("pr-1.preview.example.com"), Some("A"), Some("Z1"))
        );
        assert_eq!(record["AliasTarget"]["DNSName"], "lb.example");
        assert_eq!(record["AliasTarget"]["HostedZoneId"], "ZELB");
        assert_eq!(t["Outputs"]["LoadBalancerUrl"]["Value"], "http://pr-1.preview.example.com/");
    }

    #[test]
    fn without_a_domain_a_host_has_no_certificate_or_record() {
        let t = template("{ host: \"{name}.preview.example.com\" }");
        let kinds: Vec<&str> = t["Resources"].as_object().expect("resources").values().filter_map(|r| r["Type"].as_str()).collect();
        assert_eq!(kinds, ["AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::ElasticLoadBalancingV2::TargetGroup"]);
    }

    #[test]
    fn a_preview_url_keeps_the_load_balancers_scheme_and_port() {
        assert_eq!(
            preview_url("http://lb-1.elb.amazonaws.com", Some("pr-1.preview.example.com"), false),
            "http://pr-1.preview.example.com"
        );
        assert_eq!(
            preview_url("https://lb-1.elb.amazonaws.com:8443", Some("pr-1.p.example.com"), false),
            "https://pr-1.p.example.com:8443"
        );
        assert_eq!(preview_url("http://lb-1.elb.amazonaws.com", None, false), "http://lb-1.elb.amazonaws.com");
        assert_eq!(
            preview_url("https://lb-1.elb.amazonaws.com", Some("pr-1.preview.example.com"), true),
            "https://pr-1.preview.example.com/"
        );
    }
}

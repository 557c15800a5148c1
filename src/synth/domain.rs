//! A domain's certificate and records: one ACM certificate covering a list of hosts,
//! validated by DNS records CloudFormation writes in the hosted zone itself (so validation
//! completes with no one clicking), and an alias record per host to a load balancer.
//! Given hosts, a zone and an alias target, whichever load balancer or stack asks.
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html

use super::resources::{AcmCertificate, AliasTarget, DomainValidationOption, RecordSet, Tag};
use super::{Expr, Resource, Template};

/// Hosts in one hosted zone, and the prefix of the logical ids made for them.
pub struct Hosts<'a> {
    /// Logical ids start with it: `{prefix}Certificate`, `{prefix}Record{Host}`.
    pub prefix: &'a str,
    pub hosts: &'a [String],
    pub zone_id: &'a str,
}

/// The logical id of the certificate `certificate` adds for hosts of `prefix`.
pub fn certificate_id(prefix: &str) -> String {
    format!("{prefix}Certificate")
}

impl Hosts<'_> {
    /// The record of `host`: `{prefix}Record` + its labels CamelCased (`*` as `Wildcard`).
    pub fn record_id(&self, host: &str) -> String {
        let words: String = host
            .split(['.', '-'])
            .map(|w| if w == "*" { "Wildcard".to_string() } else { crate::model::camel(&w.to_ascii_lowercase()) })
            .collect();
        format!("{}Record{words}", self.prefix)
    }
}

/// One certificate for every host (the first its domain name, the others alternative
/// names), each validated by DNS in the zone; returns its logical id (`Ref` is its ARN).
/// ACM replaces the certificate when the hosts change.
pub fn certificate(t: &mut Template, hosts: &Hosts<'_>, tags: Vec<Tag>) -> String {
    let id = certificate_id(hosts.prefix);
    let validation =
        hosts.hosts.iter().map(|h| DomainValidationOption { domain_name: h.clone(), hosted_zone_id: hosts.zone_id.to_string() }).collect();
    t.add(
        &id,
        Resource::new(AcmCertificate {
            domain_name: hosts.hosts.first().cloned().unwrap_or_default(),
            subject_alternative_names: hosts.hosts.iter().skip(1).cloned().collect(),
            domain_validation_options: validation,
            validation_method: "DNS",
            tags,
        }),
    );
    id
}

/// What alias records point at: a load balancer's DNS name and canonical hosted zone.
pub struct Alias {
    pub dns_name: Expr,
    pub hosted_zone_id: Expr,
}

/// An alias `A` record per host to `alias`.
/// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html
pub fn records(t: &mut Template, hosts: &Hosts<'_>, alias: &Alias) {
    for host in hosts.hosts {
        t.add(
            hosts.record_id(host),
            Resource::new(RecordSet {
                hosted_zone_id: hosts.zone_id.to_string(),
                name: host.clone(),
                r#type: "A",
                alias_target: AliasTarget {
                    dns_name: alias.dns_name.clone(),
                    hosted_zone_id: alias.hosted_zone_id.clone(),
                    evaluate_target_health: true,
                },
            }),
        );
    }
}

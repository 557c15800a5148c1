//! What stands in front of a load balancer: its domain (a Route 53 hosted zone, the hosts
//! its routes name, the certificate that covers them), its WAF web ACL and the CIDRs it
//! admits. Must not know about YAML or AWS SDK types.

use ipnet::IpNet;
use serde::Serialize;

/// A load balancer's domain: the hosted zone its hosts' records go in, and those hosts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Domain {
    pub zone: HostedZone,
    /// The host of routes that name none.
    pub name: Option<String>,
    /// Every host the certificate covers and a record points at the load balancer: those
    /// its routes name, and `name`, sorted, each once.
    pub hosts: Vec<String>,
}

/// A Route 53 hosted zone, by name or by id (at least one). `render`, `plan` and `deploy`
/// look a zone given by name up (the look-up) before synthesising.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostedZone {
    pub name: Option<String>,
    pub id: Option<String>,
}

impl HostedZone {
    /// The name of a zone still to look up (given by name only).
    pub fn to_look_up(&self) -> Option<&str> {
        match (&self.name, &self.id) {
            (Some(name), None) => Some(name),
            _ => None,
        }
    }

    /// The id `synth` writes: the zone's, or a placeholder naming the zone for a template
    /// shown before the look-up (`validate`), which no command deploys.
    pub fn id_or_placeholder(&self) -> String {
        match (&self.id, &self.name) {
            (Some(id), _) => id.clone(),
            (None, Some(name)) => format!("ZONE-ID-OF-{name}"),
            (None, None) => "ZONE-ID".into(),
        }
    }
}

/// Whether `host` is the zone `zone` or a name under it (case-insensitive, trailing dot ignored).
pub fn in_zone(host: &str, zone: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    host == zone || host.strip_suffix(&zone).is_some_and(|rest| rest.ends_with('.'))
}

/// A regional WAFv2 web ACL: AWS managed rule groups in the order given, then a rate limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waf {
    pub managed: Vec<ManagedRuleGroup>,
    /// Requests per 5 minutes from one client IP before its requests are blocked.
    pub rate_limit: Option<u64>,
}

/// One AWS managed rule group: its short name in the spec and its name at AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ManagedRuleGroup {
    pub short: &'static str,
    pub aws: &'static str,
}

/// The AWS managed rule groups a spec names by short name: the baseline, use-case and IP
/// reputation groups, and Bot Control (common level), each usable without configuration.
/// https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
pub const MANAGED_RULE_GROUPS: &[ManagedRuleGroup] = &[
    ManagedRuleGroup { short: "common", aws: "AWSManagedRulesCommonRuleSet" },
    ManagedRuleGroup { short: "admin-protection", aws: "AWSManagedRulesAdminProtectionRuleSet" },
    ManagedRuleGroup { short: "known-bad-inputs", aws: "AWSManagedRulesKnownBadInputsRuleSet" },
    ManagedRuleGroup { short: "sql", aws: "AWSManagedRulesSQLiRuleSet" },
    ManagedRuleGroup { short: "linux", aws: "AWSManagedRulesLinuxRuleSet" },
    ManagedRuleGroup { short: "unix", aws: "AWSManagedRulesUnixRuleSet" },
    ManagedRuleGroup { short: "windows", aws: "AWSManagedRulesWindowsRuleSet" },
    ManagedRuleGroup { short: "php", aws: "AWSManagedRulesPHPRuleSet" },
    ManagedRuleGroup { short: "wordpress", aws: "AWSManagedRulesWordPressRuleSet" },
    ManagedRuleGroup { short: "ip-reputation", aws: "AWSManagedRulesAmazonIpReputationList" },
    ManagedRuleGroup { short: "anonymous-ip", aws: "AWSManagedRulesAnonymousIpList" },
    ManagedRuleGroup { short: "bot-control", aws: "AWSManagedRulesBotControlRuleSet" },
];

/// The managed rule group a short name stands for.
pub fn managed_rule_group(short: &str) -> Option<ManagedRuleGroup> {
    MANAGED_RULE_GROUPS.iter().copied().find(|g| g.short == short)
}

/// A CIDR a load balancer admits, IPv4 or IPv6.
pub type Cidr = IpNet;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_in_and_out_of_a_zone() {
        assert!(in_zone("api.example.com", "example.com"));
        assert!(in_zone("Example.com.", "example.com"));
        assert!(in_zone("a.b.example.com", "example.com."));
        assert!(!in_zone("badexample.com", "example.com"));
        assert!(!in_zone("example.org", "example.com"));
    }

    #[test]
    fn a_zone_by_name_alone_is_looked_up() {
        let named = HostedZone { name: Some("example.com".into()), id: None };
        assert_eq!(named.to_look_up(), Some("example.com"));
        assert_eq!(named.id_or_placeholder(), "ZONE-ID-OF-example.com");
        let both = HostedZone { name: Some("example.com".into()), id: Some("Z1".into()) };
        assert_eq!(both.to_look_up(), None);
        assert_eq!(both.id_or_placeholder(), "Z1");
    }

    #[test]
    fn short_names_are_unique_and_map_to_aws_names() {
        for (i, g) in MANAGED_RULE_GROUPS.iter().enumerate() {
            assert!(MANAGED_RULE_GROUPS[i + 1..].iter().all(|o| o.short != g.short && o.aws != g.aws), "{g:?}");
        }
        assert_eq!(managed_rule_group("ip-reputation").map(|g| g.aws), Some("AWSManagedRulesAmazonIpReputationList"));
        assert_eq!(managed_rule_group("nope"), None);
    }
}

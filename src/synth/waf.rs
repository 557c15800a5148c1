//! A load balancer's WAFv2 web ACL: regional, allowing by default, the AWS managed rule
//! groups the spec names (each keeping its own actions) in the order given, then a
//! rate-based rule per client IP; CloudWatch metrics and sampled requests on for every rule.
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-wafv2-webacl.html

use serde_json::json;

use super::ids::LbIds;
use super::resources::{Tag, VisibilityConfig, WafRule, WebAcl, WebAclAssociation};
use super::{Expr, Resource, Template};
use crate::model::Waf;

/// A web ACL named `name` (also its metrics' prefix) with `waf`'s rules, associated with
/// the load balancer of `ids`.
pub fn add(t: &mut Template, waf: &Waf, name: &str, ids: &LbIds, tags: Vec<Tag>) {
    let mut rules: Vec<WafRule> = waf
        .managed
        .iter()
        .map(|g| WafRule {
            name: g.short.to_string(),
            priority: 0,
            statement: json!({ "ManagedRuleGroupStatement": { "VendorName": "AWS", "Name": g.aws } }),
            override_action: Some(json!({ "None": {} })),
            action: None,
            visibility_config: visibility(&format!("{name}-{}", g.short)),
        })
        .collect();
    if let Some(limit) = waf.rate_limit {
        rules.push(WafRule {
            name: "rate-limit".into(),
            priority: 0,
            statement: json!({ "RateBasedStatement": { "Limit": limit, "AggregateKeyType": "IP" } }),
            override_action: None,
            action: Some(json!({ "Block": {} })),
            visibility_config: visibility(&format!("{name}-rate-limit")),
        });
    }
    for (i, r) in rules.iter_mut().enumerate() {
        r.priority = u32::try_from(i).unwrap_or(u32::MAX);
    }
    let acl = ids.web_acl();
    t.add(
        &acl,
        Resource::new(WebAcl {
            name: name.to_string(),
            scope: "REGIONAL",
            description: format!("ecship: the web ACL of {name}"),
            default_action: json!({ "Allow": {} }),
            rules,
            visibility_config: visibility(name),
            tags,
        }),
    );
    t.add(
        ids.web_acl_association(),
        Resource::new(WebAclAssociation { resource_arn: Expr::reference(&ids.balancer()), web_a_c_l_arn: Expr::att(&acl, "Arn") }),
    );
}

fn visibility(metric: &str) -> VisibilityConfig {
    VisibilityConfig { sampled_requests_enabled: true, cloud_watch_metrics_enabled: true, metric_name: metric.to_string() }
}

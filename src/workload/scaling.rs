//! Application Auto Scaling of an ECS service as plain data: what the spec's `autoscaling:`
//! renders to, and what AWS reports back, compared by equality. ecship owns the policies and
//! scheduled actions whose names start with `ecship-`; any other a team adds by hand is left
//! alone.
//!
//! Must not call AWS or print.

use std::collections::BTreeMap;

use serde::Serialize;

use super::render::{Inputs, RenderError};
use crate::model::{Colour, Service};

/// Names of ecship's policies and scheduled actions start with this.
pub const PREFIX: &str = "ecship-";
/// The tag an ECS service carries while ecship keeps a scalable target for it, so reading
/// deployed state asks Application Auto Scaling only about those.
pub const SCALING_TAG: &str = "ecship:autoscaling";

pub const CPU: &str = "ECSServiceAverageCPUUtilization";
pub const MEMORY: &str = "ECSServiceAverageMemoryUtilization";
pub const REQUESTS: &str = "ALBRequestCountPerTarget";

/// One ECS service's scalable target, policies and scheduled actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scaling {
    /// `service/CLUSTER/NAME`.
    pub resource_id: String,
    pub min: u32,
    pub max: u32,
    /// Target-tracking policies by name (`ecship-cpu`, `ecship-memory`, `ecship-requests`).
    pub policies: BTreeMap<String, TargetTracking>,
    /// Scheduled actions by name (`ecship-schedule-1`, …).
    pub scheduled: BTreeMap<String, Scheduled>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetTracking {
    /// The predefined metric (`ECSServiceAverageCPUUtilization`, …).
    pub metric: String,
    pub target: u32,
    /// For requests: `app/LB/ID/targetgroup/TG/ID`.
    pub resource_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    pub expression: String,
    pub timezone: Option<String>,
    pub min: Option<u32>,
    pub max: Option<u32>,
}

/// The scalable target's id of an ECS service.
pub fn resource_id(cluster: &str, service: &str) -> String {
    // A cluster output may be an ARN or a name; the id takes the name.
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    format!("service/{cluster}/{service}")
}

/// What the spec asks of the service's ECS service — for a two-colour service, of its
/// `live` colour's — or `None` without `autoscaling:`.
pub fn render(i: &Inputs, svc: &Service, live: Option<Colour>) -> Result<Option<Scaling>, RenderError> {
    let Some(a) = &svc.autoscaling else { return Ok(None) };
    let mut policies = BTreeMap::new();
    let mut put = |name: &str, metric: &str, target: u32, resource_label: Option<String>| {
        policies.insert(format!("{PREFIX}{name}"), TargetTracking { metric: metric.into(), target, resource_label });
    };
    if let Some(p) = a.cpu {
        put("cpu", CPU, u32::from(p.get()), None);
    }
    if let Some(p) = a.memory {
        put("memory", MEMORY, u32::from(p.get()), None);
    }
    if let Some(n) = a.requests {
        let out = i.outputs.service(i.model.stack.as_str(), &svc.name)?;
        let group = out.target_groups.get(usize::from(live == Some(Colour::Green))).map(String::as_str).unwrap_or_default();
        put("requests", REQUESTS, n, Some(resource_label(out.rules.first().map(String::as_str).unwrap_or_default(), group)));
    }
    let scheduled = a
        .schedule
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let action = Scheduled { expression: s.expression.clone(), timezone: s.timezone.clone(), min: s.min, max: s.max };
            (format!("{PREFIX}schedule-{}", n + 1), action)
        })
        .collect();
    let ecs_name = live.map_or_else(|| svc.name.to_string(), |c| svc.colour_service(c));
    Ok(Some(Scaling { resource_id: resource_id(&i.outputs.cluster, &ecs_name), min: a.min, max: a.max, policies, scheduled }))
}

/// The load balancer's request count for one target group: `app/LB/ID/targetgroup/TG/ID`,
/// from a listener rule's ARN (`…:listener-rule/app/LB/ID/LISTENER/RULE`) and the target
/// group's (`…:targetgroup/TG/ID`).
fn resource_label(rule_arn: &str, target_group_arn: &str) -> String {
    let lb: Vec<&str> = rule_arn.split_once("listener-rule/").map(|(_, rest)| rest.split('/').take(3).collect()).unwrap_or_default();
    let tg = target_group_arn.rsplit_once(':').map_or(target_group_arn, |(_, t)| t);
    format!("{}/{tg}", lb.join("/"))
}

/// The scaling as a plan shows it, `field → value` (`autoscaling.min` …).
pub fn fields(s: Option<&Scaling>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(s) = s else { return out };
    out.insert("autoscaling.min".into(), s.min.to_string());
    out.insert("autoscaling.max".into(), s.max.to_string());
    for (name, p) in &s.policies {
        let key = format!("autoscaling.{}", name.trim_start_matches(PREFIX));
        let value = match p.metric.as_str() {
            REQUESTS => format!("{} requests per task per minute", p.target),
            _ => format!("{} %", p.target),
        };
        out.insert(key, value);
    }
    for (name, a) in &s.scheduled {
        let bound = |what: &str, n: Option<u32>| n.map(|n| format!("{what} {n}"));
        let bounds: Vec<String> = [bound("min", a.min), bound("max", a.max)].into_iter().flatten().collect();
        let zone = a.timezone.as_deref().unwrap_or("UTC");
        out.insert(format!("autoscaling.{}", name.trim_start_matches(PREFIX)), format!("{} {zone}: {}", a.expression, bounds.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_count_label_is_the_balancer_and_the_group() {
        let rule = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop-lb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
        let group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/73e2d6bc24d8a067";
        assert_eq!(resource_label(rule, group), "app/shop-lb/50dc6c495c0c9188/targetgroup/shop-web/73e2d6bc24d8a067");
        assert_eq!(resource_id("arn:aws:ecs:us-east-1:1:cluster/shop", "web"), "service/shop/web");
        assert_eq!(resource_id("shop", "web"), "service/shop/web");
    }
}

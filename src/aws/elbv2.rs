//! ELBv2 through its API: load balancers and target groups tagged for a stack (what a
//! teardown must not leave behind), the traffic weights of listener rules (what two-colour
//! rollouts shift), the header value a test rule matches (sensitive: never shown), and
//! target health.

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple, TargetHealthStateEnum};
use aws_sdk_elasticloadbalancingv2::Client;

use super::{classify, Aws, AwsError};
use crate::workload::{Sensitive, TargetHealth, STACK_TAG};

#[derive(Clone)]
pub struct Elbv2 {
    client: Client,
}

impl Elbv2 {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.elbv2() }
    }

    /// ARNs of load balancers and target groups whose `ecship:stack` tag is `stack`.
    pub async fn tagged(&self, stack: &str) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
        let mut lbs = self.client.describe_load_balancers().into_paginator().send();
        while let Some(page) = lbs.next().await {
            arns.extend(
                page.map_err(|e| classify("DescribeLoadBalancers", e))?
                    .load_balancers()
                    .iter()
                    .filter_map(|l| l.load_balancer_arn())
                    .map(str::to_string),
            );
        }
        let mut tgs = self.client.describe_target_groups().into_paginator().send();
        while let Some(page) = tgs.next().await {
            arns.extend(
                page.map_err(|e| classify("DescribeTargetGroups", e))?
                    .target_groups()
                    .iter()
                    .filter_map(|t| t.target_group_arn())
                    .map(str::to_string),
            );
        }
        let mut out = Vec::new();
        // DescribeTags takes 20 ARNs a call.
        for batch in arns.chunks(20) {
            let described = self
                .client
                .describe_tags()
                .set_resource_arns(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| classify("DescribeTags", e))?;
            for d in described.tag_descriptions() {
                if d.tags().iter().any(|t| t.key() == Some(STACK_TAG) && t.value() == Some(stack)) {
                    out.extend(d.resource_arn().map(str::to_string));
                }
            }
        }
        Ok(out)
    }

    /// The canonical hosted zone of the load balancer `listener` belongs to (where an alias
    /// record to it points); `None` when either is gone.
    pub async fn canonical_zone(&self, listener: &str) -> Result<Option<String>, AwsError> {
        let listeners = self.client.describe_listeners().listener_arns(listener).send().await;
        let lb = match listeners {
            Ok(l) => l.listeners().first().and_then(|l| l.load_balancer_arn()).map(str::to_string),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_listener_not_found_exception()) => None,
            Err(e) => return Err(classify("DescribeListeners", e)),
        };
        let Some(lb) = lb else { return Ok(None) };
        let lbs = self.client.describe_load_balancers().load_balancer_arns(&lb).send().await;
        match lbs {
            Ok(l) => Ok(l.load_balancers().first().and_then(|l| l.canonical_hosted_zone_id()).map(str::to_string)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_load_balancer_not_found_exception()) => Ok(None),
            Err(e) => Err(classify("DescribeLoadBalancers", e)),
        }
    }

    /// The forward weights of each rule: rule ARN → [(target group ARN, weight)].
    pub async fn rule_weights(&self, rules: &[String]) -> Result<Vec<(String, Vec<(String, i32)>)>, AwsError> {
        let mut out = Vec::new();
        for batch in rules.chunks(20) {
            let described =
                self.client.describe_rules().set_rule_arns(Some(batch.to_vec())).send().await.map_err(|e| classify("DescribeRules", e))?;
            for rule in described.rules() {
                let Some(arn) = rule.rule_arn() else { continue };
                let mut weights = Vec::new();
                for action in rule.actions().iter().filter(|a| a.r#type() == Some(&ActionTypeEnum::Forward)) {
                    match action.forward_config() {
                        Some(f) => weights.extend(
                            f.target_groups().iter().filter_map(|t| Some((t.target_group_arn()?.to_string(), t.weight().unwrap_or(1)))),
                        ),
                        None => weights.extend(action.target_group_arn().map(|t| (t.to_string(), 1))),
                    }
                }
                out.push((arn.to_string(), weights));
            }
        }
        Ok(out)
    }

    /// Forward `rule` to the target groups with these weights, at once.
    pub async fn set_weights(&self, rule: &str, weights: &[(String, u8)]) -> Result<(), AwsError> {
        let groups: Vec<TargetGroupTuple> =
            weights.iter().map(|(tg, w)| TargetGroupTuple::builder().target_group_arn(tg).weight(i32::from(*w)).build()).collect();
        let action = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(ForwardActionConfig::builder().set_target_groups(Some(groups)).build())
            .build();
        self.client.modify_rule().rule_arn(rule).actions(action).send().await.map_err(|e| classify(&format!("ModifyRule {rule}"), e))?;
        Ok(())
    }

    /// The value `rule` matches in header `header` (a test rule's: it holds the stack's
    /// test-route secret, so it comes back `Sensitive`); `None` when the rule has no such
    /// condition.
    pub async fn header_value(&self, rule: &str, header: &str) -> Result<Option<Sensitive>, AwsError> {
        let described =
            self.client.describe_rules().rule_arns(rule).send().await.map_err(|e| classify(&format!("DescribeRules {rule}"), e))?;
        let value = described
            .rules()
            .iter()
            .flat_map(|r| r.conditions())
            .filter_map(|c| c.http_header_config())
            .find(|h| h.http_header_name().is_some_and(|n| n.eq_ignore_ascii_case(header)))
            .and_then(|h| h.values().first())
            .map(|v| Sensitive::new(v.clone()));
        Ok(value)
    }

    /// The priorities of a listener's rules (its default rule aside).
    pub async fn rule_priorities(&self, listener: &str) -> Result<Vec<u32>, AwsError> {
        // 400 a page, the most DescribeRules gives: more than a listener's quota of rules.
        let rules =
            self.client.describe_rules().listener_arn(listener).page_size(400).send().await.map_err(|e| classify("DescribeRules", e))?;
        Ok(rules.rules().iter().filter(|r| !r.is_default().unwrap_or(false)).filter_map(|r| r.priority()?.parse().ok()).collect())
    }

    /// The path patterns (with the host pattern, if any) of the listener rules that forward
    /// to `target_group`, on the listeners of its load balancers, each once.
    pub async fn routes_to(&self, target_group: &str) -> Result<Vec<(String, Option<String>)>, AwsError> {
        let groups = self
            .client
            .describe_target_groups()
            .target_group_arns(target_group)
            .send()
            .await
            .map_err(|e| classify("DescribeTargetGroups", e))?;
        let mut out = Vec::new();
        for lb in groups.target_groups().iter().flat_map(|g| g.load_balancer_arns()) {
            let listeners =
                self.client.describe_listeners().load_balancer_arn(lb).send().await.map_err(|e| classify("DescribeListeners", e))?;
            for listener in listeners.listeners().iter().filter_map(|l| l.listener_arn()) {
                let rules = self.client.describe_rules().listener_arn(listener).send().await.map_err(|e| classify("DescribeRules", e))?;
                for rule in rules.rules().iter().filter(|r| !r.is_default().unwrap_or(false)) {
                    let forwards = rule.actions().iter().any(|a| {
                        a.target_group_arn() == Some(target_group)
                            || a.forward_config()
                                .is_some_and(|f| f.target_groups().iter().any(|t| t.target_group_arn() == Some(target_group)))
                    });
                    if !forwards {
                        continue;
                    }
                    let field = |name: &str| {
                        rule.conditions().iter().find(|c| c.field() == Some(name)).and_then(|c| {
                            c.values().first().cloned().or_else(|| {
                                c.path_pattern_config()
                                    .and_then(|p| p.values().first().cloned())
                                    .or_else(|| c.host_header_config().and_then(|h| h.values().first().cloned()))
                            })
                        })
                    };
                    // The same rule sits on each listener (HTTP and HTTPS): once each.
                    if let Some(route) = field("path-pattern").map(|p| (p, field("host-header"))).filter(|r| !out.contains(r)) {
                        out.push(route);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Healthy and unhealthy targets of a target group (initial, draining and unused are neither).
    pub async fn target_health(&self, target_group: &str) -> Result<TargetHealth, AwsError> {
        let out = self
            .client
            .describe_target_health()
            .target_group_arn(target_group)
            .send()
            .await
            .map_err(|e| classify("DescribeTargetHealth", e))?;
        let mut health = TargetHealth::default();
        for d in out.target_health_descriptions() {
            let h = d.target_health();
            match h.and_then(|h| h.state()) {
                Some(TargetHealthStateEnum::Healthy) => health.healthy += 1,
                Some(TargetHealthStateEnum::Unhealthy) => {
                    health.unhealthy += 1;
                    let code = h.and_then(|h| h.reason()).map(|r| r.as_str().to_string());
                    let why = match (code, h.and_then(|h| h.description())) {
                        (Some(c), Some(d)) => format!("{c}: {d}"),
                        (Some(c), None) => c,
                        (None, Some(d)) => d.to_string(),
                        (None, None) => continue,
                    };
                    if !health.reasons.contains(&why) {
                        health.reasons.push(why);
                    }
                }
                _ => {}
            }
        }
        Ok(health)
    }
}

//! AWS quotas a large spec can reach, checked before anything is written: one problem per
//! quota crossed, naming the quota, its value and the way out. Where AWS lets an account
//! raise a quota, the spec declares the raised value under `quotas:`.
//! https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html

use std::collections::BTreeMap;

use super::Ctx;
use crate::model::{self, LbName, ServiceName};

impl Ctx<'_> {
    pub(super) fn quotas(
        &mut self,
        lbs: &BTreeMap<LbName, model::LoadBalancer>,
        services: &BTreeMap<ServiceName, model::Service>,
    ) -> model::Quotas {
        let declared = self.loaded.spec.quotas.clone();
        let defaults = model::Quotas::default();
        let mut value = |key: &str, default: u32, given: Option<u32>| match given {
            Some(0) => {
                self.err(&format!("quotas.{key}"), "a quota of 0 leaves room for nothing");
                default
            }
            Some(n) => n,
            None => default,
        };
        let quotas = model::Quotas {
            rules_per_load_balancer: value(
                "rules_per_load_balancer",
                defaults.rules_per_load_balancer,
                declared.as_ref().and_then(|q| q.rules_per_load_balancer),
            ),
            target_groups_per_load_balancer: value(
                "target_groups_per_load_balancer",
                defaults.target_groups_per_load_balancer,
                declared.as_ref().and_then(|q| q.target_groups_per_load_balancer),
            ),
            listeners_per_load_balancer: value(
                "listeners_per_load_balancer",
                defaults.listeners_per_load_balancer,
                declared.as_ref().and_then(|q| q.listeners_per_load_balancer),
            ),
        };
        for lb in lbs.values() {
            self.load_balancer_quotas(lb, services, &quotas);
        }
        quotas
    }

    fn load_balancer_quotas(&mut self, lb: &model::LoadBalancer, services: &BTreeMap<ServiceName, model::Service>, q: &model::Quotas) {
        let behind: Vec<&model::Service> = services.values().filter(|s| s.load_balancer.as_ref() == Some(&lb.name)).collect();
        let routes: usize = behind.iter().map(|s| s.routes.len()).sum();
        let tests = 2 * behind.iter().filter(|s| s.has_test_rules()).count();
        let groups: usize = behind.iter().map(|s| if s.deploy.rollout.has_two_colours() { 2 } else { 1 }).sum();
        let listeners = 1 + usize::from(lb.https.is_some());
        let more = "or put some services behind another load balancer (`load_balancers:`, with `load_balancer: NAME` on each)";
        let mut check = |count: usize, limit: u32, what: String, quota: &str, key: &str| {
            if count > limit as usize {
                let raise = format!("raise it in Service Quotas (Elastic Load Balancing: \"{quota}\") and declare the new value with `quotas: {{ {key}: N }}`");
                self.err(
                    &lb.name.path(),
                    format!("{what}: the quota is {limit} {} ({} over)", quota.to_lowercase(), count - limit as usize),
                )
                .hint(format!("{raise}, {more}"));
            }
        };
        let rules = if tests > 0 {
            format!("{} listener rules ({routes} routes and {tests} test rules of blue/green services)", routes + tests)
        } else {
            format!("{routes} listener rules")
        };
        check(
            routes + tests,
            q.rules_per_load_balancer,
            format!("{} has {rules}", lb.name),
            "Rules per Application Load Balancer",
            "rules_per_load_balancer",
        );
        check(
            groups,
            q.target_groups_per_load_balancer,
            format!("{} has {groups} target groups (two for each canary or blue/green service)", lb.name),
            "Target Groups per Application Load Balancer",
            "target_groups_per_load_balancer",
        );
        check(
            listeners,
            q.listeners_per_load_balancer,
            format!("{} has {listeners} listeners", lb.name),
            "Listeners per Application Load Balancer",
            "listeners_per_load_balancer",
        );
    }
}

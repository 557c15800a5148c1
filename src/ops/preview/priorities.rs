//! The priorities of a preview's listener rules: numbers from the previews' range
//! (1 to `preview::PRIORITY_MAX`, which the environment never uses, and which come before
//! all its routes), free on the listener. A preview deployed before keeps its numbers; new
//! rules take the lowest free ones, in the order of the environment's priorities, so a
//! preview's routes keep the environment's precedence among themselves. Before any write,
//! the rules a preview adds must fit the load balancer's rule quota.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::PreviewError;
use crate::aws::cloudformation::Stacks;
use crate::aws::elbv2::Elbv2;
use crate::aws::Aws;
use crate::model::preview::{service_name, Previews, PRIORITY_MAX};
use crate::model::{LbName, Model, ServiceName};
use crate::ops::Error;
use crate::synth::ids::{LbIds, ServiceIds};

/// A route of a preview: its service in the spec, its index, the environment's priority,
/// and the logical id of the preview's rule.
struct Wanted {
    service: ServiceName,
    index: usize,
    parent: u32,
    logical: String,
}

/// The priority of each route of the preview `name`, by (service in the spec, route index).
pub async fn assign(
    aws: &Aws,
    m: &Model,
    previews: &Previews,
    name: &str,
    outputs: &BTreeMap<String, String>,
) -> Result<BTreeMap<(ServiceName, usize), u32>, Error> {
    let kept = deployed(aws, &format!("{}-{name}", m.stack)).await?;
    let elbv2 = Elbv2::new(aws);
    let mut out = BTreeMap::new();
    for lb in m.load_balancers.keys() {
        let wanted = routes(m, previews, name, lb);
        let Some(listener) = outputs.get(&LbIds::new(lb).listener_output()).filter(|_| !wanted.is_empty()) else { continue };
        let on_listener = elbv2.rule_priorities(listener).await?;
        let own: BTreeSet<u32> = wanted.iter().filter_map(|w| kept.get(&w.logical).copied()).collect();
        let adding = wanted.iter().filter(|w| !kept.contains_key(&w.logical)).count();
        if on_listener.len() + adding > m.quotas.rules_per_load_balancer as usize {
            let (have, quota) = (on_listener.len(), m.quotas.rules_per_load_balancer);
            return Err(PreviewError::RuleQuota { lb: lb.to_string(), name: name.to_string(), have, adding, quota }.into());
        }
        let taken: BTreeSet<u32> = on_listener.into_iter().filter(|p| !own.contains(p)).collect();
        let numbers = pick(&wanted, &kept, &taken).ok_or_else(|| PreviewError::NoPriority {
            lb: lb.to_string(),
            name: name.to_string(),
            max: PRIORITY_MAX,
        })?;
        out.extend(wanted.into_iter().zip(numbers).map(|(w, n)| ((w.service, w.index), n)));
    }
    Ok(out)
}

/// The preview's routes on `lb`, in the order of the environment's priorities.
fn routes(m: &Model, previews: &Previews, name: &str, lb: &LbName) -> Vec<Wanted> {
    let mut out: Vec<Wanted> = previews
        .services
        .iter()
        .filter_map(|s| m.services.get(s))
        .filter(|s| s.load_balancer.as_ref() == Some(lb))
        .flat_map(|s| {
            let ids = ServiceIds::new(&service_name(name, &s.name).logical());
            s.routes.iter().enumerate().map(move |(index, r)| Wanted {
                service: s.name.clone(),
                index,
                parent: r.priority,
                logical: ids.rule(index),
            })
        })
        .collect();
    out.sort_by_key(|w| w.parent);
    out
}

/// The priorities of the listener rules the preview's deployed template holds, by logical id.
async fn deployed(aws: &Aws, stack: &str) -> Result<BTreeMap<String, u32>, Error> {
    let Some(body) = Stacks::new(aws).template(stack).await? else { return Ok(BTreeMap::new()) };
    let template: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let Some(resources) = template["Resources"].as_object() else { return Ok(BTreeMap::new()) };
    Ok(resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule")
        .filter_map(|(id, r)| Some((id.clone(), u32::try_from(r["Properties"]["Priority"].as_u64()?).ok()?)))
        .collect())
}

/// Each wanted rule's number: its deployed one when still free, else the lowest free one of
/// the previews' range; `None` when the range is full.
fn pick(wanted: &[Wanted], kept: &BTreeMap<String, u32>, taken: &BTreeSet<u32>) -> Option<Vec<u32>> {
    let mut used: BTreeSet<u32> = taken.clone();
    let mut out: Vec<Option<u32>> = wanted.iter().map(|w| kept.get(&w.logical).copied().filter(|p| !taken.contains(p))).collect();
    used.extend(out.iter().flatten());
    for slot in out.iter_mut().filter(|s| s.is_none()) {
        let free = (1..=PRIORITY_MAX).find(|p| !used.contains(p))?;
        used.insert(free);
        *slot = Some(free);
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(ids: &[&str]) -> Vec<Wanted> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| Wanted {
                service: ServiceName::new_unchecked("web"),
                index: i,
                parent: 10_000 + u32::try_from(i).unwrap_or(0),
                logical: (*id).to_string(),
            })
            .collect()
    }

    #[test]
    fn new_rules_take_the_lowest_free_numbers_in_order() {
        let taken = BTreeSet::from([1, 2, 4, 20_000]);
        assert_eq!(pick(&wanted(&["A", "B"]), &BTreeMap::new(), &taken), Some(vec![3, 5]));
    }

    #[test]
    fn a_deployed_preview_keeps_its_numbers() {
        let kept = BTreeMap::from([("B".to_string(), 7)]);
        assert_eq!(pick(&wanted(&["A", "B"]), &kept, &BTreeSet::from([1])), Some(vec![2, 7]));
    }

    #[test]
    fn a_full_range_is_none() {
        let taken: BTreeSet<u32> = (1..=PRIORITY_MAX).collect();
        assert_eq!(pick(&wanted(&["A"]), &BTreeMap::new(), &taken), None);
    }
}

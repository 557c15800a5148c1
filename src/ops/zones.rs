//! The hosted zones a spec's domains give by name, looked up in Route 53 so the template
//! can name their ids (`render`, `plan` and `deploy` do this before anything else): a
//! public load balancer's in the public zone of that name, an internal one's in the private.

use std::collections::BTreeMap;

use super::Error;
use crate::aws::route53::Route53;
use crate::aws::Aws;
use crate::model::Model;

/// The ids of the zones `model`'s domains name without an id, by zone name. Empty, and no
/// call made, when every domain gives its zone's id.
pub async fn look_up(aws: &Aws, model: &Model) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    let wanted = model.load_balancers.values().filter_map(|lb| Some((lb.domain.as_ref()?.zone.to_look_up()?, !lb.public)));
    let route53 = Route53::new(aws);
    for (zone, private) in wanted {
        if out.contains_key(zone) {
            continue;
        }
        let found: Vec<_> = route53.zones_named(zone).await?.into_iter().filter(|z| z.private == private).collect();
        match found.as_slice() {
            [one] => out.insert(zone.to_string(), one.id.clone()),
            [] => return Err(Error::NoZone { zone: zone.to_string(), private }),
            _ => return Err(Error::SeveralZones { zone: zone.to_string(), private, count: found.len() }),
        };
    }
    Ok(out)
}

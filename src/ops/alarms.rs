//! The alarm gates of a deploy's rollouts (`deploy.alarms`): each service's alarms read once
//! before any service changes (a missing one stops the deploy there, nothing changed), then
//! on every tick of the rollout's watch, all services' at once. Which alarms went to ALARM
//! since the start is `rollout::AlarmGate`'s to say.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::cloudwatch::Cloudwatch;
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter};
use crate::rollout::AlarmGate;

/// The alarm gates of the rollouts of one run, by the name the runner knows the rollout by
/// (the ECS service of a rolling or doubling service; a two-colour service's own name).
#[derive(Default)]
pub struct Alarms {
    cloudwatch: Option<Cloudwatch>,
    gates: BTreeMap<String, AlarmGate>,
}

#[derive(Debug, thiserror::Error)]
#[error("{service}: deploy.alarms names {} that {} not exist in {region}: {} — create {}, or remove {} from deploy.alarms", if names.len() == 1 { "an alarm" } else { "alarms" }, if names.len() == 1 { "does" } else { "do" }, names.join(", "), if names.len() == 1 { "it" } else { "them" }, if names.len() == 1 { "it" } else { "them" })]
pub struct MissingAlarms {
    pub service: String,
    pub names: Vec<String>,
    pub region: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Missing(#[from] MissingAlarms),
}

impl Alarms {
    /// No alarms: what runs that gate on none (a rollback, `wait`) watch with.
    pub fn none() -> Self {
        Self::default()
    }

    /// The gates of `rollouts` (name, alarm names), from their alarms as they stand now.
    pub async fn start(aws: &Aws, rollouts: &[(String, Vec<String>)], r: &dyn Reporter) -> Result<Self, AlarmError> {
        let wanted: BTreeSet<String> = rollouts.iter().flat_map(|(_, names)| names.iter().cloned()).collect();
        if wanted.is_empty() {
            return Ok(Self::none());
        }
        let cloudwatch = Cloudwatch::new(aws);
        let now = cloudwatch.alarms(&wanted.into_iter().collect::<Vec<_>>()).await?;
        let mut gates = BTreeMap::new();
        for (name, names) in rollouts.iter().filter(|(_, names)| !names.is_empty()) {
            let gate = AlarmGate::start(names, &now).map_err(|names| MissingAlarms {
                service: name.clone(),
                names,
                region: aws.region().to_string(),
            })?;
            for firing in gate.already_firing() {
                r.event(&Event::Warning {
                    message: format!("{name}: alarm {firing} is in ALARM already: it fails the rollout only if it goes to ALARM again"),
                });
            }
            gates.insert(name.clone(), gate);
        }
        Ok(Self { cloudwatch: Some(cloudwatch), gates })
    }

    /// For each of `rollouts` with an alarm that went to ALARM since the start: why it fails.
    /// One read for all of them.
    pub async fn tripped(&self, rollouts: &[&str]) -> Result<BTreeMap<String, String>, AwsError> {
        let gated: Vec<(&str, &AlarmGate)> = rollouts.iter().filter_map(|n| Some((*n, self.gates.get(*n)?))).collect();
        let Some(cloudwatch) = self.cloudwatch.as_ref().filter(|_| !gated.is_empty()) else { return Ok(BTreeMap::new()) };
        let names: BTreeSet<String> = gated.iter().flat_map(|(_, g)| g.names().iter().cloned()).collect();
        let now = cloudwatch.alarms(&names.into_iter().collect::<Vec<_>>()).await?;
        Ok(gated.into_iter().filter_map(|(n, g)| Some((n.to_string(), g.tripped(&now)?))).collect())
    }
}

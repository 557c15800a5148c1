//! Application Auto Scaling, as deploy, rollback and destroy keep it: each autoscaled
//! service's ECS service (the live colour's, for a canary or blue/green service) has the
//! scalable target, target-tracking policies and scheduled actions its `autoscaling:` asks
//! for, and carries the `ecship:autoscaling` tag while it does; a service whose spec drops
//! `autoscaling:` loses them. A count outside new bounds is brought within them at once.

use crate::aws::autoscaling::Autoscaling;
use crate::aws::ecs::Ecs;
use crate::aws::AwsError;
use crate::events::{Event, Reporter};
use crate::workload::scaling::{resource_id, Scaling, SCALING_TAG};
use crate::workload::ServiceState;

/// The clients the steps below use.
pub struct Scaler<'a> {
    pub aas: &'a Autoscaling,
    pub ecs: &'a Ecs,
    pub r: &'a dyn Reporter,
}

impl Scaler<'_> {
    /// Bring one ECS service's scaling from `now` to `want` (either may be absent).
    /// `service` is the ECS service as last read (`None`: created by this run, with the tag).
    pub async fn settle(
        &self,
        ecs_name: &str,
        want: Option<&Scaling>,
        now: Option<&Scaling>,
        service: Option<&ServiceState>,
    ) -> Result<(), AwsError> {
        match (want, now) {
            (Some(want), now) => {
                if now != Some(want) {
                    self.aas.apply(want, now).await?;
                    self.r.event(&Event::Step { message: format!("autoscaling: {ecs_name} {}", describe(want)) });
                }
                if let Some(s) = service {
                    if !s.tags.contains_key(SCALING_TAG) {
                        self.ecs.tag_service(&s.arn, SCALING_TAG, "on").await?;
                    }
                    let kept = s.desired.clamp(want.min, want.max.max(want.min));
                    if kept != s.desired {
                        let cluster = cluster_of(&want.resource_id);
                        self.ecs.scale(cluster, ecs_name, kept).await?;
                        self.r.event(&Event::Step {
                            message: format!(
                                "autoscaling: {ecs_name} from {} to {kept} tasks, within {}–{}",
                                s.desired, want.min, want.max
                            ),
                        });
                    }
                }
            }
            (None, Some(now)) => {
                self.aas.deregister(&now.resource_id).await?;
                if let Some(s) = service {
                    self.ecs.untag_service(&s.arn, SCALING_TAG).await?;
                }
                self.r.event(&Event::Step { message: format!("autoscaling: {ecs_name} no longer scales; its count stays where it is") });
            }
            (None, None) => {}
        }
        Ok(())
    }

    /// A canary or blue/green service's scaling moves to the colour that now has its traffic:
    /// taken off `old` before it is scaled to zero, so nothing scales it up again, and put
    /// on `new` (`want`, rendered for it).
    pub async fn hand_over(&self, cluster: &str, old: &str, new: &str, want: &Scaling) -> Result<(), AwsError> {
        self.aas.deregister(&resource_id(cluster, old)).await?;
        self.aas.apply(want, None).await?;
        self.r.event(&Event::Step { message: format!("autoscaling: moved from {old} to {new} ({})", describe(want)) });
        Ok(())
    }
}

/// `2–10 tasks on cpu 70 %, requests 1000/min, 1 schedule`.
pub fn describe(s: &Scaling) -> String {
    let mut on: Vec<String> = s
        .policies
        .iter()
        .map(|(name, p)| {
            let what = name.trim_start_matches(crate::workload::scaling::PREFIX);
            match p.metric.as_str() {
                crate::workload::scaling::REQUESTS => format!("{what} {}/min", p.target),
                _ => format!("{what} {} %", p.target),
            }
        })
        .collect();
    if !s.scheduled.is_empty() {
        on.push(format!("{} schedule{}", s.scheduled.len(), crate::human::plural(s.scheduled.len())));
    }
    format!("{}–{} tasks on {}", s.min, s.max, on.join(", "))
}

/// The cluster name in a resource id (`service/CLUSTER/NAME`).
fn cluster_of(resource_id: &str) -> &str {
    resource_id.split('/').nth(1).unwrap_or_default()
}

//! What a terminal shows when many services move at once. A handful of services each get
//! their lines and a spinner; past that, a deploy of 100 services would scroll its progress
//! away, so the per-service routine (task definitions, service updates, rollout progress,
//! ECS's messages, stable rollouts) folds into one summary line, and only what needs
//! attention — a failed or rolled-back rollout, a warning, a step — is still a line.

use std::collections::{BTreeMap, BTreeSet};

use crate::events::{Event, RolloutEnd};

/// Services a terminal follows one by one; more than this is a crowd.
pub const FOLLOWED: usize = 8;

/// Where an event goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A line above the spinners.
    Line,
    /// The spinner of this service (its progress).
    Spinner(String),
    /// Folded into the summary line.
    Summary,
}

/// What the summary line counts.
#[derive(Debug, Default)]
pub struct Crowd {
    /// Services seen in per-service events.
    seen: BTreeSet<String>,
    /// Each rollout's state: in progress until it ends.
    rollouts: BTreeMap<String, Option<RolloutEnd>>,
}

impl Crowd {
    /// Where `e` goes, counting it.
    pub fn place(&mut self, e: &Event) -> Place {
        let service = match e {
            Event::TaskDefinition { service, .. }
            | Event::Service { service, .. }
            | Event::Progress { service, .. }
            | Event::ServiceMessage { service, .. }
            | Event::Rollout { service, .. } => service,
            _ => return Place::Line,
        };
        self.seen.insert(service.clone());
        match e {
            Event::Progress { .. } => {
                self.rollouts.entry(service.clone()).or_insert(None);
            }
            Event::Rollout { outcome, .. } => {
                self.rollouts.insert(service.clone(), Some(*outcome));
                if *outcome != RolloutEnd::Stable {
                    return Place::Line;
                }
            }
            _ => {}
        }
        let crowded = self.seen.len() > FOLLOWED;
        match e {
            _ if crowded => Place::Summary,
            Event::Progress { .. } => Place::Spinner(service.clone()),
            _ => Place::Line,
        }
    }

    /// Whether it is a crowd (the summary line shows).
    pub fn crowded(&self) -> bool {
        self.seen.len() > FOLLOWED
    }

    /// `100 services: 37 stable, 60 rolling out, 3 failed`.
    pub fn summary(&self) -> String {
        let ended = |o: RolloutEnd| self.rollouts.values().filter(|s| **s == Some(o)).count();
        let going = self.rollouts.values().filter(|s| s.is_none()).count();
        let mut parts = vec![format!("{} stable", ended(RolloutEnd::Stable)), format!("{going} rolling out")];
        for (o, what) in [(RolloutEnd::RolledBack, "rolled back"), (RolloutEnd::Failed, "failed"), (RolloutEnd::TimedOut, "timed out")] {
            if ended(o) > 0 {
                parts.push(format!("{} {what}", ended(o)));
            }
        }
        format!("{} services: {}", self.seen.len(), parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::ServiceStep;

    fn progress(s: &str) -> Event {
        Event::Progress { service: s.into(), running: 0, desired: 1, deployments: 1, rollout: None }
    }

    #[test]
    fn a_handful_of_services_get_lines_and_spinners_and_a_crowd_one_summary() {
        let mut c = Crowd::default();
        assert_eq!(c.place(&Event::Step { message: "infrastructure".into() }), Place::Line);
        for i in 0..FOLLOWED {
            let s = format!("s{i}");
            assert_eq!(c.place(&Event::Service { service: s.clone(), action: ServiceStep::Update }), Place::Line);
            assert_eq!(c.place(&progress(&s)), Place::Spinner(s));
        }
        assert!(!c.crowded());
        assert_eq!(c.place(&Event::Service { service: "s99".into(), action: ServiceStep::Update }), Place::Summary);
        assert!(c.crowded());
        assert_eq!(c.place(&progress("s0")), Place::Summary, "once a crowd, progress folds in");
        assert_eq!(c.place(&Event::Rollout { service: "s1".into(), outcome: RolloutEnd::Stable, detail: None }), Place::Summary);
        let failed = Event::Rollout { service: "s2".into(), outcome: RolloutEnd::RolledBack, detail: Some("crash".into()) };
        assert_eq!(c.place(&failed), Place::Line, "what needs attention is always a line");
        assert_eq!(c.place(&Event::Warning { message: "w".into() }), Place::Line);
        assert_eq!(c.summary(), "9 services: 1 stable, 6 rolling out, 1 rolled back");
    }
}

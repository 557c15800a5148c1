//! How a service's new revisions roll out, decided once when the spec is compiled: a value
//! that cannot hold a combination ecship does not run (a rolling rollout has no engine, a
//! bake or an approval; only two-colour rollouts have them).
//!
//! Adding a strategy is one variant here (of `Rollout`, or of `Shift` for another way of
//! moving traffic between two colours), then what the compiler points at. Must not know
//! about YAML or AWS.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Percent;

/// How a service's new revision replaces the running one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rollout {
    /// ECS rolling update, minimum healthy 50 %, maximum 100 %.
    Rolling,
    /// ECS rolling update, minimum healthy 100 %, maximum 200 %.
    Doubling,
    /// Two target groups (colours) and weighted rules: the new revision comes up beside the
    /// old one and production traffic moves to it.
    TwoColour(TwoColour),
}

/// A canary, linear or blue/green rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoColour {
    /// Who runs it and moves the traffic.
    pub engine: Engine,
    /// How the traffic moves.
    pub shift: Shift,
    /// How long each step with traffic is watched before the next (blue/green: after the
    /// switch, with the old colour ready to switch back).
    #[serde(with = "super::secs")]
    pub bake: Duration,
    /// Hold before production traffic moves in full, until approved (`deploy.approve`).
    pub approve: bool,
}

/// How production traffic moves from the old revision to the new.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shift {
    /// The new revision's share of traffic, step by step: increasing, the last 100.
    Canary { steps: Vec<Percent> },
    /// Equal steps of `step` percent until all of it (`strategy: linear`).
    Linear { step: Percent },
    /// All of it at once, once the new revision runs complete beside the old.
    BlueGreen,
}

/// Who runs a two-colour rollout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// ecship, as two ECS services (colours) whose rule weights it moves.
    #[default]
    Ecship,
    /// ECS's native deployment strategy, on one ECS service with an alternate target group.
    Ecs,
}

/// A strategy as the spec and the plan name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    Doubling,
    Rolling,
    Canary,
    Linear,
    BlueGreen,
}

impl StrategyName {
    pub fn as_str(self) -> &'static str {
        match self {
            StrategyName::Doubling => "doubling",
            StrategyName::Rolling => "rolling",
            StrategyName::Canary => "canary",
            StrategyName::Linear => "linear",
            StrategyName::BlueGreen => "blue_green",
        }
    }
}

impl std::fmt::Display for StrategyName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Rollout {
    /// The two-colour rollout, if it is one.
    pub fn two_colour(&self) -> Option<&TwoColour> {
        match self {
            Rollout::TwoColour(t) => Some(t),
            Rollout::Rolling | Rollout::Doubling => None,
        }
    }

    /// Whether the service has two target groups (colours) and weighted rules: as two ECS
    /// services on ecship's engine, as one with an alternate target group on ECS's.
    pub fn has_two_colours(&self) -> bool {
        self.two_colour().is_some()
    }

    /// Whether ecship runs it as two ECS services whose traffic it moves.
    pub fn colour_services(&self) -> bool {
        self.engine() == Some(Engine::Ecship)
    }

    /// Who runs a two-colour rollout (`None`: ECS's rolling update).
    pub fn engine(&self) -> Option<Engine> {
        self.two_colour().map(|t| t.engine)
    }

    /// Whether ECS runs it natively (`deploy.engine: ecs`).
    pub fn native(&self) -> bool {
        self.engine() == Some(Engine::Ecs)
    }

    /// Whether it holds for approval before production traffic moves in full.
    pub fn approve(&self) -> bool {
        self.two_colour().is_some_and(|t| t.approve)
    }

    /// ECS deployment configuration (minimum healthy, maximum) percent: of the service, or
    /// of each colour's service.
    pub fn deployment_percents(&self) -> (u32, u32) {
        match self {
            Rollout::Rolling => (50, 100),
            Rollout::Doubling | Rollout::TwoColour(_) => (100, 200),
        }
    }

    pub fn name(&self) -> StrategyName {
        match self {
            Rollout::Doubling => StrategyName::Doubling,
            Rollout::Rolling => StrategyName::Rolling,
            Rollout::TwoColour(t) => t.shift.name(),
        }
    }
}

impl Shift {
    pub fn name(&self) -> StrategyName {
        match self {
            Shift::Canary { .. } => StrategyName::Canary,
            Shift::Linear { .. } => StrategyName::Linear,
            Shift::BlueGreen => StrategyName::BlueGreen,
        }
    }

    /// The new revision's share of production traffic after each step, the last 100: a
    /// linear shift's are step, 2 × step, …, 100.
    pub fn weights(&self) -> Vec<Percent> {
        match self {
            Shift::Canary { steps } => steps.clone(),
            Shift::Linear { step } => {
                let step = u32::from(step.get().max(1));
                (1..)
                    .map(|i| (i * step).min(100))
                    .take_while(|s| *s < 100)
                    .chain([100])
                    .map(|s| Percent(u8::try_from(s).unwrap_or(100)))
                    .collect()
            }
            Shift::BlueGreen => vec![Percent(100)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(p: &[u8]) -> Vec<Percent> {
        p.iter().map(|p| Percent(*p)).collect()
    }

    #[test]
    fn linear_weights_are_equal_steps_ending_at_100() {
        assert_eq!(Shift::Linear { step: Percent(20) }.weights(), pct(&[20, 40, 60, 80, 100]));
        assert_eq!(Shift::Linear { step: Percent(30) }.weights(), pct(&[30, 60, 90, 100]));
        assert_eq!(Shift::Linear { step: Percent(50) }.weights(), pct(&[50, 100]));
        assert_eq!(Shift::Canary { steps: pct(&[10, 100]) }.weights(), pct(&[10, 100]));
        assert_eq!(Shift::BlueGreen.weights(), pct(&[100]));
    }

    #[test]
    fn only_two_colour_rollouts_have_an_engine_and_colours() {
        let native =
            Rollout::TwoColour(TwoColour { engine: Engine::Ecs, shift: Shift::BlueGreen, bake: Duration::from_secs(60), approve: true });
        assert!(native.native() && native.has_two_colours() && !native.colour_services() && native.approve());
        assert!(!Rollout::Rolling.has_two_colours() && !Rollout::Rolling.native() && !Rollout::Rolling.approve());
        assert_eq!(
            [Rollout::Rolling.deployment_percents(), Rollout::Doubling.deployment_percents(), native.deployment_percents()],
            [(50, 100), (100, 200), (100, 200)]
        );
        assert_eq!(native.name().as_str(), "blue_green");
    }
}

//! What deployed state says about a canary or blue/green service's colours: settled on one,
//! or a rollout an earlier run left half-way, and which way it was going.

use serde::Serialize;

use crate::model::{ByColour, Colour, Weights};

/// One colour's ECS service as deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColourState {
    pub task_definition: String,
    /// Its desired count.
    pub desired: u32,
}

/// What deployed state says about a service's two colours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoColours {
    pub weights: Weights,
    /// Each colour's ECS service, if it exists.
    pub services: ByColour<Option<ColourState>>,
}

/// What a deploy does with a service's colours before rolling out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Resume {
    /// One colour takes all traffic and the other is idle: roll out `desired` on the idle one
    /// (or nothing, when the live colour runs it already).
    Settled { live: Colour, up_to_date: bool },
    /// Traffic is split, or the idle colour still runs tasks: an earlier rollout stopped
    /// half-way. `towards` is the colour it was moving to; `up_to_date` whether that colour
    /// runs the revision wanted now (then the rollout can continue, else it is rolled back
    /// and started again).
    Unfinished { towards: Colour, up_to_date: bool },
}

impl Resume {
    /// The colour the service is on, or moving to.
    pub fn towards(&self) -> Colour {
        match self {
            Resume::Settled { live, .. } => *live,
            Resume::Unfinished { towards, .. } => *towards,
        }
    }
}

/// Read a service's colours: settled, or a rollout an earlier run left half-way.
pub fn resume(state: &TwoColours, desired_task_definition: &str) -> Resume {
    let live = state.weights.live();
    let idle = live.other();
    let of = |c: Colour| state.services.get(c).as_ref();
    let runs = |c: Colour| of(c).is_some_and(|s| s.task_definition == desired_task_definition && s.desired > 0);
    let idle_running = of(idle).is_some_and(|s| s.desired > 0);
    if state.weights.split() || idle_running {
        // Traffic moving, or a new colour up beside the old one. The rollout went towards the
        // colour that alone runs the wanted revision, if one does (the switch may have
        // happened, with only the old colour's scale-down left). Else, with traffic split, it
        // went towards the newer revision: a rollout always goes to a revision registered
        // after the one running (a 50/50 split says nothing). Else towards the idle colour.
        let revision = |c: Colour| of(c).and_then(|s| s.task_definition.rsplit_once(':')).and_then(|(_, n)| n.parse::<u64>().ok());
        let towards = match (runs(live), runs(idle)) {
            (true, false) => live,
            (false, true) => idle,
            _ if state.weights.split() && revision(live) > revision(idle) => live,
            _ => idle,
        };
        return Resume::Unfinished { towards, up_to_date: runs(towards) };
    }
    Resume::Settled { live, up_to_date: runs(live) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_finished_rollout_is_recognised_from_deployed_state() {
        let td = |r: u32| format!("arn:aws:ecs:us-east-1:1:task-definition/s-web:{r}");
        let new = td(8);
        let cases = [
            (
                "settled on blue, up to date",
                (100, 0),
                Some((td(8), 2)),
                Some((td(7), 0)),
                Resume::Settled { live: Colour::Blue, up_to_date: true },
            ),
            (
                "settled on blue, new revision wanted",
                (100, 0),
                Some((td(7), 2)),
                None,
                Resume::Settled { live: Colour::Blue, up_to_date: false },
            ),
            ("settled on green", (0, 100), Some((td(7), 0)), Some((td(8), 2)), Resume::Settled { live: Colour::Green, up_to_date: true }),
            (
                "canary at 10 % towards green",
                (90, 10),
                Some((td(7), 2)),
                Some((td(8), 1)),
                Resume::Unfinished { towards: Colour::Green, up_to_date: true },
            ),
            (
                "canary at 50 %",
                (50, 50),
                Some((td(7), 2)),
                Some((td(8), 1)),
                Resume::Unfinished { towards: Colour::Green, up_to_date: true },
            ),
            (
                "switched, old colour not yet scaled down",
                (0, 100),
                Some((td(7), 2)),
                Some((td(8), 2)),
                Resume::Unfinished { towards: Colour::Green, up_to_date: true },
            ),
            (
                "blue/green up, before the switch",
                (100, 0),
                Some((td(7), 2)),
                Some((td(8), 2)),
                Resume::Unfinished { towards: Colour::Green, up_to_date: true },
            ),
            (
                "half-way to a revision no longer wanted",
                (90, 10),
                Some((td(7), 2)),
                Some((td(9), 1)),
                Resume::Unfinished { towards: Colour::Green, up_to_date: false },
            ),
            (
                "half-way from green to blue, at 50 %, another revision wanted",
                (50, 50),
                Some((td(9), 2)),
                Some((td(7), 4)),
                Resume::Unfinished { towards: Colour::Blue, up_to_date: false },
            ),
            (
                "past half-way from blue to green, another revision wanted",
                (25, 75),
                Some((td(7), 4)),
                Some((td(9), 3)),
                Resume::Unfinished { towards: Colour::Green, up_to_date: false },
            ),
        ];
        let colour = |s: Option<(String, u32)>| s.map(|(task_definition, desired)| ColourState { task_definition, desired });
        for (what, (b, g), blue, green, expected) in cases {
            let state =
                TwoColours { weights: Weights { blue: b, green: g }, services: ByColour { blue: colour(blue), green: colour(green) } };
            assert_eq!(resume(&state, &new), expected, "{what}");
        }
    }
}

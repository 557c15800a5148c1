//! The two colours of a canary or blue/green service, and how its traffic splits between
//! them: typed values that synth (the rules' initial weights), rendering (each colour's ECS
//! service and target group), rollouts and plans share.

use std::fmt;

use serde::Serialize;

/// One of the two ECS services (and target groups) of a canary or blue/green service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Blue,
    Green,
}

impl Colour {
    pub fn other(self) -> Colour {
        match self {
            Colour::Blue => Colour::Green,
            Colour::Green => Colour::Blue,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Colour::Blue => "blue",
            Colour::Green => "green",
        }
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Percent of a two-colour service's traffic on each colour; they add up to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Weights {
    pub blue: u8,
    pub green: u8,
}

impl Default for Weights {
    /// Where a new service starts: everything on blue.
    fn default() -> Self {
        Self::all_on(Colour::Blue)
    }
}

impl Weights {
    /// All traffic on `c`.
    pub fn all_on(c: Colour) -> Self {
        Self::towards(c, 100)
    }

    /// `share` percent (at most 100) on `c`, the rest on the other colour.
    pub fn towards(c: Colour, share: u8) -> Self {
        let share = share.min(100);
        match c {
            Colour::Blue => Self { blue: share, green: 100 - share },
            Colour::Green => Self { blue: 100 - share, green: share },
        }
    }

    /// Forward weights as a load balancer holds them (any non-negative scale), as percent;
    /// `None` when neither colour has any.
    pub fn from_forward(blue: i32, green: i32) -> Option<Self> {
        let (blue, green) = (i64::from(blue.max(0)), i64::from(green.max(0)));
        let total = blue + green;
        (total > 0).then(|| Self::towards(Colour::Blue, u8::try_from(blue * 100 / total).unwrap_or(100)))
    }

    /// The share of `c`.
    pub fn of(self, c: Colour) -> u8 {
        match c {
            Colour::Blue => self.blue,
            Colour::Green => self.green,
        }
    }

    /// The colour that takes the traffic: the one with most (blue on a tie).
    pub fn live(self) -> Colour {
        if self.green > self.blue {
            Colour::Green
        } else {
            Colour::Blue
        }
    }

    /// Both colours take traffic: a rollout is moving it.
    pub fn split(self) -> bool {
        self.blue != 0 && self.green != 0
    }
}

impl fmt::Display for Weights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "blue {} %, green {} %", self.blue, self.green)
    }
}

/// One value per colour: the two target groups, the two ECS services.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ByColour<T> {
    pub blue: T,
    pub green: T,
}

impl<T> ByColour<T> {
    pub fn get(&self, c: Colour) -> &T {
        match c {
            Colour::Blue => &self.blue,
            Colour::Green => &self.green,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_colour_has_most_of_the_traffic() {
        let cases = [
            ((100, 0), Colour::Blue),
            ((0, 100), Colour::Green),
            ((90, 10), Colour::Blue),
            ((50, 50), Colour::Blue),
            ((10, 90), Colour::Green),
        ];
        for ((blue, green), live) in cases {
            assert_eq!(Weights { blue, green }.live(), live, "{blue}/{green}");
        }
    }

    #[test]
    fn forward_weights_become_percent() {
        assert_eq!(Weights::from_forward(100, 0), Some(Weights { blue: 100, green: 0 }));
        assert_eq!(Weights::from_forward(1, 3), Some(Weights { blue: 25, green: 75 }));
        assert_eq!(Weights::from_forward(0, 0), None, "no traffic at all");
        assert_eq!(Weights::from_forward(-5, 10), Some(Weights { blue: 0, green: 100 }), "negative weights count as zero");
        assert_eq!(Weights::towards(Colour::Green, 10), Weights { blue: 90, green: 10 });
        assert_eq!(Weights::towards(Colour::Blue, 150), Weights { blue: 100, green: 0 }, "a share past 100 is all of it");
    }
}

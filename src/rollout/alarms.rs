//! The alarm gate of a rollout (`deploy.alarms`): which alarms went to ALARM since it began.
//! An alarm already in ALARM when the rollout starts does not hold every deploy back (the
//! fix for what set it off among them): it counts once it goes to ALARM again.

use std::collections::BTreeMap;

use crate::workload::Alarm;

/// The alarms of one rollout and how they stood when it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmGate {
    names: Vec<String>,
    /// Alarms in ALARM at the start, with when they went there.
    firing: BTreeMap<String, i64>,
}

impl AlarmGate {
    /// The gate of `names`, from the alarms as they stand (`now`); the names of alarms that
    /// do not exist when any are missing.
    pub fn start(names: &[String], now: &[Alarm]) -> Result<Self, Vec<String>> {
        let missing: Vec<String> = names.iter().filter(|n| !now.iter().any(|a| &a.name == *n)).cloned().collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let firing = now.iter().filter(|a| a.firing() && names.contains(&a.name)).map(|a| (a.name.clone(), a.since)).collect();
        Ok(Self { names: names.to_vec(), firing })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Alarms that were in ALARM when the rollout began (they do not count until they go
    /// there again).
    pub fn already_firing(&self) -> impl Iterator<Item = &str> {
        self.firing.keys().map(String::as_str)
    }

    /// Why the rollout fails, when one of its alarms went to ALARM since it began.
    pub fn tripped(&self, now: &[Alarm]) -> Option<String> {
        let fired: Vec<String> = now
            .iter()
            .filter(|a| self.names.contains(&a.name) && a.firing() && self.firing.get(&a.name) != Some(&a.since))
            .map(|a| {
                if a.reason.is_empty() {
                    format!("alarm {} went to ALARM", a.name)
                } else {
                    format!("alarm {} went to ALARM: {}", a.name, a.reason)
                }
            })
            .collect();
        (!fired.is_empty()).then(|| fired.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::AlarmState;

    fn alarm(name: &str, state: AlarmState, since: i64) -> Alarm {
        Alarm { name: name.into(), reason: format!("{name} {state}"), state, since }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn missing_alarms_are_named() {
        let now = [alarm("5xx", AlarmState::Ok, 1)];
        assert_eq!(AlarmGate::start(&names(&["5xx", "latency", "errors"]), &now), Err(names(&["latency", "errors"])));
    }

    #[test]
    fn only_alarms_going_to_alarm_after_the_start_trip_the_gate() {
        let start = [alarm("5xx", AlarmState::Ok, 1), alarm("latency", AlarmState::Alarm, 2), alarm("other", AlarmState::Ok, 3)];
        let gate = AlarmGate::start(&names(&["5xx", "latency"]), &start).expect("all exist");
        assert_eq!(gate.already_firing().collect::<Vec<_>>(), ["latency"]);
        let cases = [
            ("nothing moved", vec![alarm("5xx", AlarmState::Ok, 1), alarm("latency", AlarmState::Alarm, 2)], None),
            ("still firing since before", vec![alarm("latency", AlarmState::Alarm, 2)], None),
            ("no data is no alarm", vec![alarm("5xx", AlarmState::InsufficientData, 5)], None),
            ("an alarm not the rollout's", vec![alarm("other", AlarmState::Alarm, 9)], None),
            ("went to ALARM", vec![alarm("5xx", AlarmState::Alarm, 7)], Some("alarm 5xx went to ALARM: 5xx ALARM")),
            ("went to ALARM again", vec![alarm("latency", AlarmState::Alarm, 8)], Some("alarm latency went to ALARM: latency ALARM")),
            (
                "both",
                vec![alarm("5xx", AlarmState::Alarm, 7), alarm("latency", AlarmState::Alarm, 8)],
                Some("alarm 5xx went to ALARM: 5xx ALARM; alarm latency went to ALARM: latency ALARM"),
            ),
        ];
        for (what, now, want) in cases {
            assert_eq!(gate.tripped(&now).as_deref(), want, "{what}");
        }
    }
}

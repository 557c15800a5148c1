//! AWS's state words read into ecship's closed enums (`workload::states`): the one place a
//! status, state, stage or stop code from an API response becomes a variant. A word this
//! version does not know is kept as it came (`Other`), so it still shows as AWS wrote it.

use crate::workload::states::AwsWord;

/// `word` as its enum's variant, or kept as `Other`.
pub(super) fn parse<T: AwsWord>(word: &str) -> T {
    T::KNOWN.iter().find(|known| known.as_str() == word).cloned().unwrap_or_else(|| T::other(word.to_string()))
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use super::*;
    use crate::workload::{
        AlarmState, ClusterStatus, DeploymentStatus, LifecycleStage, RolloutState, ServiceDeploymentStatus, ServiceStatus, StopCode,
        TaskStatus,
    };

    /// Each word reads as its variant and back as the same word; every known variant reads
    /// back as itself.
    fn reads<T: AwsWord + PartialEq + Debug>(cases: &[(&str, T)]) {
        for (word, want) in cases {
            let got: T = parse(word);
            assert_eq!(&got, want, "{word}");
            assert_eq!(got.as_str(), *word, "{word} shows as it came");
        }
        for known in T::KNOWN {
            assert_eq!(&parse::<T>(known.as_str()), known);
        }
    }

    #[test]
    fn state_words_read_as_variants_and_unknown_words_are_kept() {
        reads(&[
            ("ACTIVE", ServiceStatus::Active),
            ("DRAINING", ServiceStatus::Draining),
            ("INACTIVE", ServiceStatus::Inactive),
            ("active", ServiceStatus::Other("active".into())),
            ("", ServiceStatus::Other(String::new())),
        ]);
        reads(&[
            ("PRIMARY", DeploymentStatus::Primary),
            ("ACTIVE", DeploymentStatus::Active),
            ("INACTIVE", DeploymentStatus::Inactive),
            ("SECONDARY", DeploymentStatus::Other("SECONDARY".into())),
        ]);
        reads(&[
            ("IN_PROGRESS", RolloutState::InProgress),
            ("COMPLETED", RolloutState::Completed),
            ("FAILED", RolloutState::Failed),
            ("PAUSED", RolloutState::Other("PAUSED".into())),
        ]);
        reads(&[("ACTIVE", ClusterStatus::Active), ("INACTIVE", ClusterStatus::Inactive), ("GONE", ClusterStatus::Other("GONE".into()))]);
        reads(&[
            ("RUNNING", TaskStatus::Running),
            ("STOPPED", TaskStatus::Stopped),
            ("DEPROVISIONING", TaskStatus::Deprovisioning),
            ("HIBERNATING", TaskStatus::Other("HIBERNATING".into())),
        ]);
        reads(&[
            ("TaskFailedToStart", StopCode::TaskFailedToStart),
            ("EssentialContainerExited", StopCode::EssentialContainerExited),
            ("ServiceSchedulerInitiated", StopCode::ServiceSchedulerInitiated),
            ("SpotInterruption", StopCode::SpotInterruption),
            ("MoonPhase", StopCode::Other("MoonPhase".into())),
        ]);
        reads(&[
            ("OK", AlarmState::Ok),
            ("ALARM", AlarmState::Alarm),
            ("INSUFFICIENT_DATA", AlarmState::InsufficientData),
            ("SILENCED", AlarmState::Other("SILENCED".into())),
        ]);
        reads(&[
            ("IN_PROGRESS", ServiceDeploymentStatus::InProgress),
            ("ROLLBACK_SUCCESSFUL", ServiceDeploymentStatus::RollbackSuccessful),
            ("STOP_REQUESTED", ServiceDeploymentStatus::StopRequested),
            ("ON_HOLD", ServiceDeploymentStatus::Other("ON_HOLD".into())),
        ]);
        reads(&[
            ("PRODUCTION_TRAFFIC_SHIFT", LifecycleStage::ProductionTrafficShift),
            ("BAKE_TIME", LifecycleStage::BakeTime),
            ("CLEAN_UP", LifecycleStage::CleanUp),
            ("POST_CLEAN_UP", LifecycleStage::Other("POST_CLEAN_UP".into())),
        ]);
    }

    /// The variants spell AWS's words as the SDK lists them, where it lists them.
    #[test]
    fn known_words_are_spelled_as_the_sdk_spells_them() {
        fn spelled<T: AwsWord + PartialEq>(sdk: &[&str], not_listed: &[T]) {
            for known in T::KNOWN.iter().filter(|k| !not_listed.contains(k)) {
                assert!(sdk.contains(&known.as_str()), "{} is not among {sdk:?}", known.as_str());
            }
        }
        spelled::<StopCode>(aws_sdk_ecs::types::TaskStopCode::values(), &[]);
        spelled::<RolloutState>(aws_sdk_ecs::types::DeploymentRolloutState::values(), &[]);
        spelled::<ServiceDeploymentStatus>(aws_sdk_ecs::types::ServiceDeploymentStatus::values(), &[]);
        // ecship has read this stage as production traffic moving; the SDK does not list it.
        spelled(aws_sdk_ecs::types::ServiceDeploymentLifecycleStage::values(), &[LifecycleStage::PreProductionTrafficShift]);
        spelled::<AlarmState>(aws_sdk_cloudwatch::types::StateValue::values(), &[]);
    }
}

//! The words AWS reports states in (an ECS service's status, a deployment's rollout state, a
//! task's stop code, an alarm's state, a native rollout's lifecycle stage…) as closed enums,
//! so callers match variants, never strings. A word a newer API says that this version does
//! not know is kept as `Other`. Each serialises and prints as AWS writes it.
//!
//! Only the spelling lives here: `aws` reads the words into these enums (`aws::states`).
//! Must not call AWS or depend on the SDK.

use serde::Serialize;

/// A closed enum of the words AWS reports one kind of state in.
pub trait AwsWord: Sized + Clone + 'static {
    /// Every variant but `Other`.
    const KNOWN: &'static [Self];
    /// A word no known variant spells, kept as it came.
    fn other(word: String) -> Self;
    /// The word as AWS writes it.
    fn as_str(&self) -> &str;
}

macro_rules! aws_words {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $word:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $($variant,)*
            Other(String),
        }

        impl $name {
            /// The word as AWS writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $word,)*
                    Self::Other(word) => word,
                }
            }
        }

        impl AwsWord for $name {
            const KNOWN: &'static [Self] = &[$(Self::$variant),*];

            fn other(word: String) -> Self {
                Self::Other(word)
            }

            fn as_str(&self) -> &str {
                $name::as_str(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

aws_words!(
    /// An ECS service's status.
    ServiceStatus { Active = "ACTIVE", Draining = "DRAINING", Inactive = "INACTIVE" }
);
aws_words!(
    /// A deployment's place in its service: the one being rolled out (PRIMARY), one being
    /// replaced (ACTIVE), or one gone (INACTIVE).
    DeploymentStatus { Primary = "PRIMARY", Active = "ACTIVE", Inactive = "INACTIVE" }
);
aws_words!(
    /// How a deployment's rollout stands.
    RolloutState { InProgress = "IN_PROGRESS", Completed = "COMPLETED", Failed = "FAILED" }
);
aws_words!(
    /// An ECS cluster's status.
    ClusterStatus {
        Active = "ACTIVE",
        Provisioning = "PROVISIONING",
        Deprovisioning = "DEPROVISIONING",
        Failed = "FAILED",
        Inactive = "INACTIVE",
    }
);
aws_words!(
    /// A task's last status, in the order a task goes through them.
    TaskStatus {
        Provisioning = "PROVISIONING",
        Pending = "PENDING",
        Activating = "ACTIVATING",
        Running = "RUNNING",
        Deactivating = "DEACTIVATING",
        Stopping = "STOPPING",
        Deprovisioning = "DEPROVISIONING",
        Stopped = "STOPPED",
        Deleted = "DELETED",
    }
);
aws_words!(
    /// Why ECS stopped a task (its `stopCode`).
    StopCode {
        TaskFailedToStart = "TaskFailedToStart",
        EssentialContainerExited = "EssentialContainerExited",
        UserInitiated = "UserInitiated",
        ServiceSchedulerInitiated = "ServiceSchedulerInitiated",
        SpotInterruption = "SpotInterruption",
        TerminationNotice = "TerminationNotice",
        InfrastructureHealth = "InfrastructureHealth",
    }
);
aws_words!(
    /// A CloudWatch alarm's state.
    AlarmState { Ok = "OK", Alarm = "ALARM", InsufficientData = "INSUFFICIENT_DATA" }
);
aws_words!(
    /// How a service deployment of ECS's native engine stands.
    ServiceDeploymentStatus {
        Pending = "PENDING",
        InProgress = "IN_PROGRESS",
        Successful = "SUCCESSFUL",
        StopRequested = "STOP_REQUESTED",
        Stopped = "STOPPED",
        RollbackRequested = "ROLLBACK_REQUESTED",
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        RollbackSuccessful = "ROLLBACK_SUCCESSFUL",
        RollbackFailed = "ROLLBACK_FAILED",
    }
);
aws_words!(
    /// The lifecycle stage a service deployment of ECS's native engine is in, in order.
    LifecycleStage {
        ReconcileService = "RECONCILE_SERVICE",
        PreScaleUp = "PRE_SCALE_UP",
        ScaleUp = "SCALE_UP",
        PostScaleUp = "POST_SCALE_UP",
        TestTrafficShift = "TEST_TRAFFIC_SHIFT",
        PostTestTrafficShift = "POST_TEST_TRAFFIC_SHIFT",
        PreProductionTrafficShift = "PRE_PRODUCTION_TRAFFIC_SHIFT",
        ProductionTrafficShift = "PRODUCTION_TRAFFIC_SHIFT",
        PostProductionTrafficShift = "POST_PRODUCTION_TRAFFIC_SHIFT",
        BakeTime = "BAKE_TIME",
        CleanUp = "CLEAN_UP",
    }
);

//! AWS access: one `SdkConfig` from the standard chain (environment, profiles, SSO, web
//! identity), every client built from it, and errors classified once.
//!
//! SDK types stop here: adapters return domain types. Endpoints follow the SDK's own
//! `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), so a local emulator needs no flag.
//! Must not print.

pub mod autoscaling;
mod calls;
pub mod cloudformation;
pub mod cloudwatch;
pub mod ecr;
pub mod ecs;
pub mod efs;
pub mod elbv2;
mod error;
pub mod logs;
pub mod s3;
pub mod scheduler;
mod service_deployments;
mod states;
mod task_def;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

pub use calls::{is_write, Calls, Count};
pub use error::{classify, AwsError};

/// One command run's AWS access: the SDK configuration every client is built from, and the
/// call counts of all of them.
#[derive(Debug, Clone)]
pub struct Aws {
    config: SdkConfig,
    calls: Calls,
}

impl Aws {
    pub fn new(config: SdkConfig) -> Self {
        Self { config, calls: Calls::default() }
    }

    pub fn calls(&self) -> &Calls {
        &self.calls
    }

    pub fn region(&self) -> &str {
        self.config.region().map(|r| r.as_ref()).unwrap_or("")
    }

    fn counter(&self) -> calls::Counter {
        calls::Counter(self.calls.clone())
    }

    pub(crate) fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::from_conf(
            aws_sdk_cloudformation::config::Builder::from(&self.config).interceptor(self.counter()).build(),
        )
    }

    pub(crate) fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::from_conf(aws_sdk_ecs::config::Builder::from(&self.config).interceptor(self.counter()).build())
    }

    pub(crate) fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        aws_sdk_applicationautoscaling::Client::from_conf(
            aws_sdk_applicationautoscaling::config::Builder::from(&self.config).interceptor(self.counter()).build(),
        )
    }

    pub(crate) fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::from_conf(aws_sdk_cloudwatch::config::Builder::from(&self.config).interceptor(self.counter()).build())
    }

    pub(crate) fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::config::Builder::from(&self.config).interceptor(self.counter()).build(),
        )
    }

    pub(crate) fn scheduler(&self) -> aws_sdk_scheduler::Client {
        aws_sdk_scheduler::Client::from_conf(aws_sdk_scheduler::config::Builder::from(&self.config).interceptor(self.counter()).build())
    }

    pub(crate) fn efs(&self) -> aws_sdk_efs::Client {
        aws_sdk_efs::Client::from_conf(aws_sdk_efs::config::Builder::from(&self.config).interceptor(self.counter()).build())
    }

    pub(crate) fn ecr(&self) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::from_conf(aws_sdk_ecr::config::Builder::from(&self.config).interceptor(self.counter()).build())
    }

    /// S3, with path-style addressing when the endpoint is overridden (an S3-compatible store
    /// or an emulator on one host name cannot serve `BUCKET.host` names).
    pub(crate) fn s3(&self) -> aws_sdk_s3::Client {
        let overridden = self.config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.config).force_path_style(overridden).interceptor(self.counter()).build(),
        )
    }

    /// The account the credentials belong to (STS `GetCallerIdentity`, which needs no
    /// permission).
    pub async fn account(&self) -> Result<String, AwsError> {
        let sts = aws_sdk_sts::Client::from_conf(aws_sdk_sts::config::Builder::from(&self.config).interceptor(self.counter()).build());
        let who = sts.get_caller_identity().send().await.map_err(|e| classify("GetCallerIdentity", e))?;
        who.account().map(str::to_string).ok_or_else(|| AwsError::Other("GetCallerIdentity named no account".into()))
    }

    pub(crate) fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::from_conf(
            aws_sdk_elasticloadbalancingv2::config::Builder::from(&self.config).interceptor(self.counter()).build(),
        )
    }
}

/// Connect: the configuration from `access`, wrapped for counting.
/// A token for one write, sent with it where the API takes one (CloudFormation's
/// `ClientRequestToken`, ECS's `clientToken`): the SDK's retries of that write carry the same
/// token, so AWS treats a retry whose first answer was lost as the same request. 34
/// characters (ECS takes 36 at most), starting with a letter (as CloudFormation wants),
/// unique per process and call.
pub fn client_token() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("ecship{:012x}{:08x}{n:08x}", nanos & 0xffff_ffff_ffff, std::process::id())
}

pub async fn connect(access: &Access) -> Result<Aws, AwsError> {
    Ok(Aws::new(config(access).await?))
}

/// How to reach AWS, from the command line and the spec.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `region:` in the spec.
    pub spec_region: Option<String>,
}

/// The SDK configuration every client is built from. There is no silent default region:
/// without one from the spec, `--region`, the environment or the profile, this fails and
/// says how to set one.
pub async fn config(access: &Access) -> Result<SdkConfig, AwsError> {
    let region = match (&access.spec_region, &access.region) {
        (Some(spec), Some(flag)) if spec != flag => {
            return Err(AwsError::RegionConflict { spec: spec.clone(), flag: flag.clone() });
        }
        (Some(r), _) | (None, Some(r)) => Some(r.clone()),
        (None, None) => None,
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::standard().with_max_attempts(5));
    if let Some(profile) = &access.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(AwsError::NoRegion);
    }
    Ok(config)
}

//! AWS access: one `SdkConfig` from the standard chain (environment, profiles, SSO, web
//! identity), every client built from it with the run's interceptors (call counts, AWS's
//! clock, waits told) and retry budget (`retry`), and errors classified once.
//!
//! SDK types stop here: adapters return domain types. Endpoints follow the SDK's own
//! `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), so a local emulator needs no flag.
//! Must not print.

pub mod autoscaling;
mod calls;
mod clock;
pub mod cloudformation;
pub mod cloudwatch;
pub mod dynamodb;
pub mod ecr;
pub mod ecs;
pub mod efs;
pub mod elbv2;
mod error;
pub mod logs;
pub mod rds;
mod retry;
pub mod route53;
pub mod s3;
pub mod scheduler;
mod service_deployments;
mod states;
mod task_def;

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime::client::retries::RetryPartition;

pub use calls::{is_write, Calls, Count};
pub use clock::AwsClock;
pub use error::{classify, AwsError};
use retry::{Backoff, BASE_VAR as RETRY_BASE_VAR};

use crate::events::Reporter;

/// One command run's AWS access: the SDK configuration every client is built from, the
/// call counts of all of them, AWS's clock as their answers tell it, one retry budget, and
/// where their waits are told.
#[derive(Debug, Clone)]
pub struct Aws {
    config: SdkConfig,
    calls: Calls,
    clock: AwsClock,
    backoff: Backoff,
    budget: RetryPartition,
    notices: retry::Notices,
}

/// A client of one service built from the run's configuration, with its interceptors
/// (call counts, AWS's clock, waits told) and the run's retry budget.
macro_rules! client {
    ($aws:expr, $sdk:ident) => {
        $sdk::Client::from_conf($aws.wired($sdk::config::Builder::from(&$aws.config)).build())
    };
    ($aws:expr, $sdk:ident, |$b:ident| $extra:expr) => {{
        let $b = $aws.wired($sdk::config::Builder::from(&$aws.config));
        $sdk::Client::from_conf($extra.build())
    }};
}

/// What every service's config builder takes from a run.
trait Wire: Sized {
    fn wire(self, aws: &Aws) -> Self;
}

macro_rules! wire {
    ($($sdk:ident),*) => {$(
        impl Wire for $sdk::config::Builder {
            fn wire(self, aws: &Aws) -> Self {
                self.interceptor(aws.counter())
                    .interceptor(clock::DateReader(aws.clock.clone()))
                    .interceptor(retry::Waiting { notices: aws.notices.clone(), backoff: aws.backoff })
                    .retry_partition(aws.budget.clone())
            }
        }
    )*};
}

wire!(
    aws_sdk_cloudformation,
    aws_sdk_ecs,
    aws_sdk_applicationautoscaling,
    aws_sdk_cloudwatch,
    aws_sdk_cloudwatchlogs,
    aws_sdk_scheduler,
    aws_sdk_ecr,
    aws_sdk_s3,
    aws_sdk_route53,
    aws_sdk_sts,
    aws_sdk_dynamodb,
    aws_sdk_rds,
    aws_sdk_elasticloadbalancingv2
);

impl Aws {
    /// Access through `config`, retries as it sets them; the waits told are reckoned on the
    /// default schedule (`connect` gives the run's).
    pub fn new(config: SdkConfig) -> Self {
        Self {
            config,
            calls: Calls::default(),
            clock: AwsClock::default(),
            backoff: Backoff::default(),
            budget: retry::partition(),
            notices: retry::Notices::default(),
        }
    }

    pub fn calls(&self) -> &Calls {
        &self.calls
    }

    /// AWS's time, as the answers so far told it.
    pub fn clock(&self) -> &AwsClock {
        &self.clock
    }

    /// Tell `r` when a call waits to be tried again, until `r` is dropped.
    pub fn report_to(&self, r: &Arc<dyn Reporter>) {
        self.notices.report_to(r);
    }

    pub fn region(&self) -> &str {
        self.config.region().map(|r| r.as_ref()).unwrap_or("")
    }

    fn counter(&self) -> calls::Counter {
        calls::Counter(self.calls.clone())
    }

    fn wired<B: Wire>(&self, builder: B) -> B {
        builder.wire(self)
    }

    pub(crate) fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        client!(self, aws_sdk_cloudformation)
    }

    pub(crate) fn ecs(&self) -> aws_sdk_ecs::Client {
        client!(self, aws_sdk_ecs)
    }

    pub(crate) fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        client!(self, aws_sdk_applicationautoscaling)
    }

    pub(crate) fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        client!(self, aws_sdk_cloudwatch)
    }

    pub(crate) fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        client!(self, aws_sdk_cloudwatchlogs)
    }

    pub(crate) fn scheduler(&self) -> aws_sdk_scheduler::Client {
        client!(self, aws_sdk_scheduler)
    }

    pub(crate) fn efs(&self) -> aws_sdk_efs::Client {
        aws_sdk_efs::Client::from_conf(aws_sdk_efs::config::Builder::from(&self.config).interceptor(self.counter()).build())
    }

    pub(crate) fn route53(&self) -> aws_sdk_route53::Client {
        client!(self, aws_sdk_route53)
    }

    pub(crate) fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        client!(self, aws_sdk_dynamodb)
    }

    pub(crate) fn rds(&self) -> aws_sdk_rds::Client {
        client!(self, aws_sdk_rds)
    }

    pub(crate) fn ecr(&self) -> aws_sdk_ecr::Client {
        client!(self, aws_sdk_ecr)
    }

    /// S3, with path-style addressing when the endpoint is overridden (an S3-compatible store
    /// or an emulator on one host name cannot serve `BUCKET.host` names).
    pub(crate) fn s3(&self) -> aws_sdk_s3::Client {
        let overridden = self.config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        client!(self, aws_sdk_s3, |b| b.force_path_style(overridden))
    }

    /// The account the credentials belong to (STS `GetCallerIdentity`, which needs no
    /// permission).
    pub async fn account(&self) -> Result<String, AwsError> {
        let sts = client!(self, aws_sdk_sts);
        let who = sts.get_caller_identity().send().await.map_err(|e| classify("GetCallerIdentity", e))?;
        who.account().map(str::to_string).ok_or_else(|| AwsError::Other("GetCallerIdentity named no account".into()))
    }

    pub(crate) fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        client!(self, aws_sdk_elasticloadbalancingv2)
    }
}

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

/// Connect: the configuration from `access`, retrying on the schedule `ECSHIP_RETRY_BASE`
/// asks for (the default outside tests).
pub async fn connect(access: &Access) -> Result<Aws, AwsError> {
    Ok(Aws { backoff: backoff()?, ..Aws::new(config(access).await?) })
}

/// The retry schedule `ECSHIP_RETRY_BASE` asks for, or the default.
fn backoff() -> Result<Backoff, AwsError> {
    Backoff::from_env(std::env::var(RETRY_BASE_VAR).ok().as_deref())
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

/// The SDK configuration every client is built from, retrying on the run's schedule
/// (`retry`). There is no silent default region: without one from the spec, `--region`,
/// the environment or the profile, this fails and says how to set one.
pub async fn config(access: &Access) -> Result<SdkConfig, AwsError> {
    let region = match (&access.spec_region, &access.region) {
        (Some(spec), Some(flag)) if spec != flag => {
            return Err(AwsError::RegionConflict { spec: spec.clone(), flag: flag.clone() });
        }
        (Some(r), _) | (None, Some(r)) => Some(r.clone()),
        (None, None) => None,
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(backoff()?.config());
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

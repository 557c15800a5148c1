//! AWS access: one `SdkConfig` from the standard chain (environment, profiles, SSO, web
//! identity), every client built from it, and errors classified once.
//!
//! SDK types stop here: adapters return domain types. Endpoints follow the SDK's own
//! `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), so a local emulator needs no flag.
//! Must not print.

pub mod cloudformation;
mod error;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};

pub use error::{classify, AwsError};

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
pub async fn config(access: &Access) -> Result<aws_config::SdkConfig, AwsError> {
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

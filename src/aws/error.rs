//! AWS errors, classified once into what a user can act on.

use std::time::Duration;

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("no AWS region is set: add `region:` to the spec, pass --region, or export AWS_REGION")]
    NoRegion,
    #[error("the spec says region {spec} but --region says {flag}: drop one of them")]
    RegionConflict { spec: String, flag: String },
    #[error("no AWS credentials for {action}: configure a profile (aws configure / aws sso login), pass --profile, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials { action: String },
    #[error("AWS refused the credentials for {action} ({code}): they have expired or are wrong — refresh them (aws sso login, a new session token) and retry")]
    BadCredentials { action: String, code: String },
    #[error("stack {stack} is busy ({status}): another deploy or a rollback is running; wait for it to finish, then run deploy again")]
    StackBusy { stack: String, status: String },
    #[error("stack {stack} has a change set waiting for review (REVIEW_IN_PROGRESS) and no resources: delete it in the CloudFormation console or with `aws cloudformation delete-stack --stack-name {stack}`, then deploy again")]
    StackInReview { stack: String },
    #[error("stack {stack} is in {status} and cannot be updated: {hint}")]
    StackStuck { stack: String, status: String, hint: &'static str },
    #[error("stack {stack} ended in {status}{}{failures}", after_failure(status))]
    StackFailed { stack: String, status: String, failures: String },
    #[error("AWS denied {action}: {message} — the caller's IAM policy needs this permission")]
    AccessDenied { action: String, message: String },
    #[error("AWS kept throttling {action} through every retry (up to 25 attempts over several minutes, within this run's retry budget): try again later, or ask AWS to raise the account's rate limit for it")]
    Throttled { action: String },
    #[error("cannot reach AWS for {action}: {message} — check the network, or AWS_ENDPOINT_URL if it is set")]
    Unreachable { action: String, message: String },
    #[error("{action} failed: {code}: {message}")]
    Service { action: String, code: String, message: String },
    #[error("gave up after {} waiting for {what}", humantime::format_duration(*waited))]
    Timeout { what: String, waited: Duration },
    #[error("{0}")]
    Other(String),
}

impl AwsError {
    /// Whether AWS answered with a refusal: the request took no effect. Otherwise (no
    /// answer, a connection cut) a write may or may not have taken effect.
    pub fn refused(&self) -> bool {
        matches!(
            self,
            AwsError::NoCredentials { .. }
                | AwsError::BadCredentials { .. }
                | AwsError::AccessDenied { .. }
                | AwsError::Throttled { .. }
                | AwsError::Service { .. }
        )
    }
}

/// Classify an SDK error from `action` (e.g. "CreateStack mysfits").
pub fn classify<E, R>(action: &str, err: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let action = action.to_string();
    let chain = error_chain(&err);
    match &err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("Unknown").to_string();
            let message = err.message().unwrap_or("").to_string();
            match code.as_str() {
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => AwsError::AccessDenied { action, message },
                "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
                    AwsError::Throttled { action }
                }
                "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "SignatureDoesNotMatch" => AwsError::BadCredentials { action, code },
                _ => AwsError::Service { action, code, message },
            }
        }
        _ if chain.contains("credentials") || chain.contains("identity") => AwsError::NoCredentials { action },
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => AwsError::Unreachable { action, message: chain },
        _ => AwsError::Other(format!("{action} failed: {chain}")),
    }
}

/// The error and its causes on one line: the SDK's top-level message is often just "dispatch failure".
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

/// What a stack's final status after a failed operation means for the user.
fn after_failure(status: &str) -> &'static str {
    match status {
        "UPDATE_ROLLBACK_COMPLETE" => " (rolled back: the stack is as it was before this change)",
        "ROLLBACK_COMPLETE" => " (rolled back: nothing was created; run `ecship destroy`, then deploy again)",
        "UPDATE_ROLLBACK_FAILED" => " (the rollback failed: continue it in the CloudFormation console with ContinueUpdateRollback)",
        "DELETE_FAILED" => " (run `ecship destroy` again to finish deleting it)",
        _ => "",
    }
}

//! Counts of AWS API calls and attempts per operation, kept by an SDK interceptor on every
//! client. `--output json` reports them, so a user (and the benchmark) can see how many
//! reads, writes and retries a command made.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Operations started.
    pub calls: u32,
    /// HTTP attempts, retries included.
    pub attempts: u32,
}

/// Calls per `Service.Operation`, shared by every client of one command run.
#[derive(Debug, Default, Clone)]
pub struct Calls(Arc<Mutex<BTreeMap<String, Count>>>);

impl Calls {
    pub fn snapshot(&self) -> BTreeMap<String, Count> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Calls that change something (create, update, delete, register, put…).
    pub fn writes(&self) -> u32 {
        self.snapshot().iter().filter(|(op, _)| is_write(op)).map(|(_, c)| c.calls).sum()
    }

    /// Attempts beyond the first, in all: throttling, 5xx answers and dropped connections the
    /// SDK retried.
    pub fn retries(&self) -> u32 {
        self.snapshot().values().map(|c| c.attempts.saturating_sub(c.calls)).sum()
    }

    fn bump(&self, cfg: &ConfigBag, attempt: bool) {
        let Some(meta) = cfg.load::<Metadata>() else { return };
        let key = format!("{}.{}", meta.service(), meta.name());
        if let Ok(mut m) = self.0.lock() {
            let c = m.entry(key).or_default();
            if attempt {
                c.attempts += 1;
            } else {
                c.calls += 1;
            }
        }
    }
}

/// Whether `Service.Operation` writes.
pub fn is_write(op: &str) -> bool {
    let name = op.rsplit('.').next().unwrap_or(op);
    !["Describe", "List", "Get", "BatchGet"].iter().any(|p| name.starts_with(p))
}

#[derive(Debug)]
pub(super) struct Counter(pub Calls);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "ecship::CallCounter"
    }

    fn read_before_serialization(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.bump(cfg, false);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.bump(cfg, true);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_and_writes_are_told_apart_by_the_operation_name() {
        for op in ["ECS.DescribeServices", "ECS.ListTasks", "CloudFormation.GetTemplate", "ECR.BatchGetImage"] {
            assert!(!super::is_write(op), "{op}");
        }
        for op in ["ECS.RegisterTaskDefinition", "ECS.UpdateService", "CloudFormation.CreateStack", "ECR.BatchDeleteImage"] {
            assert!(super::is_write(op), "{op}");
        }
    }
}

//! Usage a cost estimate cannot read from the spec, as the spec's `cost:` states it (every
//! figure 0 unless given, so an estimate is the stack's fixed cost until told more).

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CostAssumptions {
    /// Load balancer capacity units an hour, each load balancer.
    pub lcu: f64,
    /// GB a month each NAT gateway processes.
    pub nat_gb: f64,
    /// GB of logs ingested a month, the whole stack.
    pub log_gb: f64,
    /// Requests a month each web ACL inspects.
    pub requests_per_month: f64,
    /// GB stored: each EFS file system, S3 bucket, DynamoDB table, Aurora cluster.
    pub efs_gb: f64,
    pub s3_gb: f64,
    pub dynamodb_gb: f64,
    pub aurora_gb: f64,
    /// Reads and writes a month, each on-demand DynamoDB table.
    pub dynamodb_reads: f64,
    pub dynamodb_writes: f64,
    /// How long a job's run takes; `None`: its timeout.
    pub job_minutes: Option<f64>,
}

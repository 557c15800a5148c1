//! CloudFormation's hard limits on a template: resources, outputs and body size.
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
//! A template over the inline size is uploaded to the asset bucket, which takes up to 1 MB.

use super::Template;

pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
/// The largest template body `CreateStack`/`UpdateStack` accept inline (not from S3).
pub const MAX_TEMPLATE_BODY_BYTES: usize = 51_200;
/// The largest template CloudFormation reads from S3 (1 MB, counted as 10^6 bytes to be safe).
pub const MAX_TEMPLATE_URL_BYTES: usize = 1_000_000;

/// A limit a template breaks, and by how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// Which template: `the template`, `nested stack Services2`.
    pub template: String,
    pub what: &'static str,
    pub limit: usize,
    pub actual: usize,
}

impl Limit {
    pub fn message(&self) -> String {
        format!(
            "{} has {} {}; CloudFormation allows {} ({} over)",
            self.template,
            self.actual,
            self.what,
            self.limit,
            self.actual - self.limit
        )
    }
}

/// The limits template `t` (named `template` in messages) breaks.
pub fn check_limits(t: &Template, template: &str) -> Vec<Limit> {
    let body = t.to_json_compact().len();
    [
        ("resources", MAX_RESOURCES, t.resources.len()),
        ("outputs", MAX_OUTPUTS, t.outputs.len()),
        ("bytes of template", MAX_TEMPLATE_URL_BYTES, body),
    ]
    .into_iter()
    .filter(|(_, limit, actual)| actual > limit)
    .map(|(what, limit, actual)| Limit { template: template.to_string(), what, limit, actual })
    .collect()
}

//! CloudFormation's hard limits on a template: resources, outputs, body size and dynamic
//! references (each test rule holds one, to the stack's test-route secret).
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
//! A template over the inline size is uploaded to the asset bucket, which takes up to 1 MB.

use super::Template;

pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
/// The largest template body `CreateStack`/`UpdateStack` accept inline (not from S3).
pub const MAX_TEMPLATE_BODY_BYTES: usize = 51_200;
/// The largest template CloudFormation reads from S3 (1 MB, counted as 10^6 bytes to be safe).
pub const MAX_TEMPLATE_URL_BYTES: usize = 1_000_000;

/// Dynamic references (`{{resolve:…}}`) CloudFormation resolves in one template.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html
pub const MAX_DYNAMIC_REFERENCES: usize = 60;

/// The dynamic references `value` (a resource, a template's resources) holds.
pub fn dynamic_references(value: &impl serde::Serialize) -> usize {
    serde_json::to_string(value).map_or(0, |s| s.matches("{{resolve:").count())
}

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
        ("dynamic references (one per test rule)", MAX_DYNAMIC_REFERENCES, dynamic_references(&t.resources)),
    ]
    .into_iter()
    .filter(|(_, limit, actual)| actual > limit)
    .map(|(what, limit, actual)| Limit { template: template.to_string(), what, limit, actual })
    .collect()
}

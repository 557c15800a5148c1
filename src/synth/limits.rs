//! CloudFormation's hard limits on a template: resources, outputs and body size.
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html

use super::Template;

pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
/// The largest template body `CreateStack`/`UpdateStack` accept inline (not from S3).
pub const MAX_TEMPLATE_BODY_BYTES: usize = 51_200;

/// A limit the template breaks, and by how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub what: &'static str,
    pub limit: usize,
    pub actual: usize,
}

impl Limit {
    pub fn message(&self) -> String {
        format!("the template has {} {}; CloudFormation allows {} ({} over)", self.actual, self.what, self.limit, self.actual - self.limit)
    }
}

pub fn check_limits(t: &Template) -> Vec<Limit> {
    let body = t.to_json_compact().len();
    [
        ("resources", MAX_RESOURCES, t.resources.len()),
        ("outputs", MAX_OUTPUTS, t.outputs.len()),
        ("bytes of template body", MAX_TEMPLATE_BODY_BYTES, body),
    ]
    .into_iter()
    .filter(|(_, limit, actual)| actual > limit)
    .map(|(what, limit, actual)| Limit { what, limit, actual })
    .collect()
}

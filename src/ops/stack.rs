//! The stack step every verb shares: create, update or delete the infrastructure stack
//! and wait for it, streaming its events as they arrive.

use std::collections::BTreeMap;

use crate::aws::cloudformation::{Applied, StackEvent, StackInfo, Stacks, TemplateSource};
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter, StackResult};
use crate::model::Model;
use crate::synth::nesting::EXPORT_PREFIX;
use crate::workload::STACK_TAG;

/// Create or update `model`'s stack from `template` (tagged with the spec's tags, the
/// stack's own, and `extra`), streaming its events. A template identical to the deployed one
/// writes nothing.
pub async fn apply(
    aws: &Aws,
    model: &Model,
    template: TemplateSource<'_>,
    extra: &[(&str, String)],
    r: &dyn Reporter,
) -> Result<StackResult, AwsError> {
    let stack = model.stack.as_str();
    let mut tags: BTreeMap<String, String> = model.tags.clone();
    tags.insert(STACK_TAG.into(), stack.to_string());
    tags.extend(extra.iter().map(|(k, v)| ((*k).to_string(), v.clone())));
    if let Some(p) = &model.preview {
        tags.extend(p.stack_tags().into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    let applied = Stacks::new(aws).apply(stack, template, &tags, &mut |e| r.event(&event(e))).await?;
    Ok(match applied {
        Applied::Created => StackResult::Created,
        Applied::Updated => StackResult::Updated,
        Applied::NoChanges => StackResult::Unchanged,
    })
}

/// The stack as it is now, which must exist (it was just created or updated), with its
/// nested stacks' outputs taken in (the services' outputs of a stack too large for one).
pub async fn describe(aws: &Aws, stack: &str) -> Result<StackInfo, AwsError> {
    let stacks = Stacks::new(aws);
    let mut info = stacks.describe(stack).await?.ok_or_else(|| AwsError::Other(format!("stack {stack} vanished after deploying it")))?;
    info.merge_outputs(&stacks.nested_stacks(stack).await?, EXPORT_PREFIX);
    Ok(info)
}

/// Delete the stack and wait for it, streaming its events.
pub async fn delete(aws: &Aws, stack: &str, r: &dyn Reporter) -> Result<bool, AwsError> {
    Stacks::new(aws).delete(stack, &mut |e| r.event(&event(e))).await
}

/// Mark every resource of the given types to be kept when the stack is deleted.
pub async fn retain(aws: &Aws, stack: &str, types: &[&str], r: &dyn Reporter) -> Result<usize, AwsError> {
    Stacks::new(aws).retain(stack, types, &mut |e| r.event(&event(e))).await
}

/// One stack event, as progress.
pub(super) fn event(e: &StackEvent) -> Event {
    Event::StackEvent {
        logical_id: e.logical_id.clone(),
        resource_type: e.resource_type.clone(),
        status: e.status.clone(),
        reason: e.reason.clone(),
    }
}

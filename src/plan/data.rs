//! Which infrastructure changes destroy data — the data-loss guard's decision, made once
//! here as a property of the plan's items; `ops` enforces it.
//!
//! A resource that holds data (`synth::resources::HOLDS_DATA`: EFS file systems, S3 buckets,
//! DynamoDB tables, RDS databases) deleted or replaced takes its data with it:
//! `destroys_data`, which `deploy` refuses without `--allow-data-loss` (and with it, deletes
//! what CloudFormation keeps). One removal keeps the data: a created file system the spec now
//! mounts as an existing one (`file_system: fs-…`), or a created bucket or table the spec now
//! adopts by its name (`existing: NAME`), when the deployed template keeps it
//! (`DeletionPolicy: Retain`) — it leaves the stack and stays in the account, `retained`. A
//! replacement always destroys: the new resource starts empty.
//!
//! Must not call AWS.

use std::collections::BTreeSet;

use serde_json::Value;

use super::infra::{Action, ResourceChange};
use crate::model::{Model, VolumeSource};
use crate::observe::Observed;
use crate::synth::ids::VolumeIds;
use crate::synth::resources::holds_data;

/// Mark each deletion or replacement of a resource that holds data as destroying it, or as
/// retained.
pub fn mark(changes: &mut [ResourceChange], m: &Model, observed: &Observed) {
    let adopted: BTreeSet<&str> = m
        .tasks()
        .flat_map(|t| &t.volumes)
        .filter_map(|v| match &v.source {
            VolumeSource::Existing { file_system, .. } => Some(file_system.as_str()),
            VolumeSource::Created => None,
        })
        .chain(m.storage.values().filter_map(|s| s.existing.as_deref()))
        .collect();
    for c in changes.iter_mut().filter(|c| matches!(c.action, Action::Delete | Action::Replace)) {
        let template = match &c.stack {
            None => observed.template.as_ref(),
            Some(nested) => observed.nested.get(nested),
        };
        let Some(before) = template.and_then(|t| t.get("Resources")).and_then(|r| r.get(&c.logical_id)) else { continue };
        // An Aurora cluster's instance holds none of its data: the cluster does.
        let member = before.get("Properties").and_then(|p| p.get("DBClusterIdentifier")).is_some();
        if member || !holds_data(before.get("Type").and_then(Value::as_str).unwrap_or("")) {
            continue;
        }
        let kept = before.get("DeletionPolicy").and_then(Value::as_str) == Some("Retain");
        let named = file_system(observed, &c.logical_id).or_else(|| storage_name(observed, &c.logical_id));
        let mounted = c.stack.is_none() && named.is_some_and(|name| adopted.contains(name));
        c.retained = c.action == Action::Delete && kept && mounted;
        c.destroys_data = !c.retained;
    }
}

/// The name of the bucket or table the deployed stack created under `logical_id`, from its
/// storage entry's output (`name=…;arn=…`).
fn storage_name<'a>(observed: &'a Observed, logical_id: &str) -> Option<&'a str> {
    let output = logical_id.strip_suffix("Bucket").or_else(|| logical_id.strip_suffix("Table")).filter(|p| p.starts_with("Storage"))?;
    let value = observed.stack.as_ref()?.outputs.get(output)?;
    value.split(';').find_map(|kv| kv.strip_prefix("name="))
}

/// The id of the file system the deployed stack created under `logical_id`, from its
/// volume's output (`file_system=fs-…;access_point=fsap-…`).
fn file_system<'a>(observed: &'a Observed, logical_id: &str) -> Option<&'a str> {
    let output = VolumeIds::output_of_file_system(logical_id)?;
    let value = observed.stack.as_ref()?.outputs.get(output)?;
    value.split(';').find_map(|kv| kv.strip_prefix("file_system="))
}

//! Data the stack holds, let go only when a user says so. The plan decides which changes
//! destroy data (`plan::data`); here that decision is enforced: `refuse` stops a deploy of
//! such a plan without `--allow-data-loss` before anything is written; with it, `doomed`
//! reads the physical ids of what the plan destroys before the stack changes, and `delete`
//! deletes them once CloudFormation has let them go (it keeps them: `DeletionPolicy` and
//! `UpdateReplacePolicy: Retain`). For `destroy`, `found` finds the stack's file systems,
//! buckets, tables and databases by their tags — in the stack or kept after it — which it
//! keeps or deletes: a database after a final snapshot, a bucket emptied of every version.
//!
//! Must not print: progress goes to the `Reporter`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Error;
use crate::aws::cloudformation::Stacks;
use crate::aws::dynamodb::DynamoDb;
use crate::aws::efs::Efs;
use crate::aws::rds::Rds;
use crate::aws::s3::S3;
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter};
use crate::plan::infra::{Action, ResourceChange};
use crate::plan::Plan;
use crate::synth::{STORAGE_TAG, VOLUME_TAG};
use crate::workload::STACK_TAG;

const FILE_SYSTEM: &str = "AWS::EFS::FileSystem";
const BUCKET: &str = "AWS::S3::Bucket";
const TABLE: &str = "AWS::DynamoDB::Table";
const INSTANCE: &str = "AWS::RDS::DBInstance";
const CLUSTER: &str = "AWS::RDS::DBCluster";

/// A resource that holds data, kept or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataResource {
    pub resource_type: String,
    /// Its physical id (`fs-…`).
    pub id: String,
    /// Its logical id in the stack, when it was one of the stack's resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logical_id: Option<String>,
    /// The volume whose data it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
    /// The storage entry whose data it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
}

impl DataResource {
    /// What it is, in words: `file system`, `bucket`.
    pub fn kind(&self) -> &str {
        match self.resource_type.as_str() {
            FILE_SYSTEM => "file system",
            BUCKET => "bucket",
            TABLE => "table",
            INSTANCE => "database",
            CLUSTER => "database cluster",
            other => other,
        }
    }

    /// Its id, with the volume, storage entry (or logical id) it is known by:
    /// `fs-… (volume uploads)`, `shop-orders-1a2b (storage orders)`.
    fn named(&self) -> String {
        match (&self.volume, &self.storage, &self.logical_id) {
            (Some(v), _, _) => format!("{} (volume {v})", self.id),
            (None, Some(s), _) => format!("{} (storage {s})", self.id),
            (None, None, Some(l)) => format!("{} ({l})", self.id),
            (None, None, None) => self.id.clone(),
        }
    }
}

impl std::fmt::Display for DataResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind(), self.named())
    }
}

/// A plan that destroys data goes ahead only with `--allow-data-loss` (`allow`).
pub fn refuse(plan: &Plan, allow: bool) -> Result<(), Error> {
    let resources: Vec<String> = plan.destroys_data().map(doomed_line).collect();
    if resources.is_empty() || allow {
        return Ok(());
    }
    Err(Error::DataLoss { stack: plan.stack.clone(), resources })
}

/// `VolumeUploadsFileSystem (AWS::EFS::FileSystem, deleted)`.
fn doomed_line(c: &ResourceChange) -> String {
    let how = if c.action == Action::Replace { "replaced by an empty one" } else { "deleted" };
    let id = c.stack.as_ref().map_or_else(|| c.logical_id.clone(), |s| format!("{s}/{}", c.logical_id));
    format!("{id} ({}, {how})", c.resource_type)
}

/// The resources the plan destroys, by the physical ids they have before the stack changes.
pub async fn doomed(aws: &Aws, stack: &str, plan: &Plan) -> Result<Vec<DataResource>, AwsError> {
    let changes: Vec<&ResourceChange> = plan.destroys_data().collect();
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let ids = physical_ids(aws, stack).await?;
    Ok(changes
        .into_iter()
        .filter_map(|c| {
            let id = ids.get(&(c.stack.clone(), c.logical_id.clone()))?;
            Some(DataResource {
                resource_type: c.resource_type.clone(),
                id: id.clone(),
                logical_id: Some(c.logical_id.clone()),
                volume: None,
                storage: None,
            })
        })
        .collect())
}

/// Every resource of the stack and its nested stacks: (nested stack, logical id) → physical id.
async fn physical_ids(aws: &Aws, stack: &str) -> Result<BTreeMap<(Option<String>, String), String>, AwsError> {
    let stacks = Stacks::new(aws);
    let mut out: BTreeMap<(Option<String>, String), String> =
        stacks.physical_ids(stack).await?.into_iter().map(|(logical, id)| ((None, logical), id)).collect();
    for (nested, nested_id) in stacks.nested(stack).await? {
        for (logical, id) in stacks.physical_ids(&nested_id).await? {
            out.insert((Some(nested.clone()), logical), id);
        }
    }
    Ok(out)
}

/// Delete what the stack let go of `doomed` (kept by its `Retain` policies); a resource the
/// stack still holds under the same id is left alone. Returns what was deleted.
pub async fn delete(aws: &Aws, stack: &str, doomed: &[DataResource], r: &dyn Reporter) -> Result<Vec<DataResource>, AwsError> {
    if doomed.is_empty() {
        return Ok(Vec::new());
    }
    let held: Vec<String> = physical_ids(aws, stack).await?.into_values().collect();
    let mut deleted = Vec::new();
    for d in doomed.iter().filter(|d| !held.contains(&d.id)) {
        if delete_one(aws, d, r).await? {
            deleted.push(d.clone());
        }
    }
    Ok(deleted)
}

/// Delete one resource that holds data through its own API; `false` when it was gone already.
/// A database gets a final snapshot first (`ID-final-SECONDS`), a bucket loses every version.
async fn delete_one(aws: &Aws, d: &DataResource, r: &dyn Reporter) -> Result<bool, AwsError> {
    let how = match d.resource_type.as_str() {
        FILE_SYSTEM => "with its mount targets and access points",
        BUCKET => "with every version of every object in it",
        INSTANCE | CLUSTER => "after a final snapshot",
        _ => "",
    };
    r.event(&Event::Step { message: format!("data: deleting {d} {how}") });
    let snapshot =
        format!("{}-final-{}", d.id, std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |t| t.as_secs()));
    let gone = match d.resource_type.as_str() {
        FILE_SYSTEM => Efs::new(aws).delete(&d.id).await?,
        BUCKET => S3::new(aws).delete_bucket(&d.id, &aws.account().await?).await?,
        TABLE => DynamoDb::new(aws).delete(&d.id).await?,
        INSTANCE => Rds::new(aws).delete_instance(&d.id, Some(&snapshot)).await?,
        CLUSTER => Rds::new(aws).delete_cluster(&d.id, &snapshot).await?,
        _ => return Err(AwsError::Other(format!("ecship cannot delete {d}: delete it in the console"))),
    };
    if gone {
        let kept =
            if matches!(d.resource_type.as_str(), INSTANCE | CLUSTER) { format!(", final snapshot {snapshot}") } else { String::new() };
        r.event(&Event::Removed { kind: "data", name: format!("{} {} with its data{kept}", d.kind(), d.named()) });
    }
    Ok(gone)
}

/// The resources holding the stack's data, found by their `ecship:stack` tag: in the stack,
/// or kept after it — file systems, and the buckets, tables and databases of `storage:` (an
/// Aurora cluster's instances are the cluster's).
pub async fn found(aws: &Aws, stack: &str) -> Result<Vec<DataResource>, AwsError> {
    let resource = |resource_type: &str, id: String, tags: &std::collections::BTreeMap<String, String>| DataResource {
        resource_type: resource_type.into(),
        id,
        logical_id: None,
        volume: tags.get(VOLUME_TAG).cloned(),
        storage: tags.get(STORAGE_TAG).cloned(),
    };
    let mut out: Vec<DataResource> =
        Efs::new(aws).tagged(STACK_TAG, stack).await?.into_iter().map(|fs| resource(FILE_SYSTEM, fs.id, &fs.tags)).collect();
    let owned = |tags: &std::collections::BTreeMap<String, String>| tags.contains_key(STORAGE_TAG);
    let account = aws.account().await?;
    out.extend(
        S3::new(aws)
            .tagged(STACK_TAG, stack, &account)
            .await?
            .into_iter()
            .filter(|(_, t)| owned(t))
            .map(|(name, t)| resource(BUCKET, name, &t)),
    );
    out.extend(
        DynamoDb::new(aws).tagged(STACK_TAG, stack).await?.into_iter().filter(|t| owned(&t.tags)).map(|t| resource(TABLE, t.name, &t.tags)),
    );
    for db in Rds::new(aws).tagged(STACK_TAG, stack).await?.into_iter().filter(|d| owned(&d.tags) && d.member_of.is_none()) {
        out.push(resource(if db.cluster { CLUSTER } else { INSTANCE }, db.id, &db.tags));
    }
    Ok(out)
}

/// Delete the given file systems (`destroy --delete-data`); returns those deleted.
pub async fn delete_all(aws: &Aws, found: &[DataResource], r: &dyn Reporter) -> Result<Vec<DataResource>, AwsError> {
    let mut deleted = Vec::new();
    for d in found {
        if delete_one(aws, d, r).await? {
            deleted.push(d.clone());
        }
    }
    Ok(deleted)
}

//! RDS through its API: the databases a stack created (instances and Aurora clusters, found
//! by their tags, inside or outside the stack), and deleting one the way RDS allows — its
//! deletion protection turned off, a final snapshot taken (an Aurora cluster's instances
//! first, which take none of their own). Only when a user asked for its data to go
//! (`deploy --allow-data-loss`, `destroy --delete-data`): the stack keeps every database it
//! deletes (`DeletionPolicy: Retain`) and snapshots one it replaces.

use std::collections::BTreeMap;

use aws_sdk_rds::error::ProvideErrorMetadata;
use aws_sdk_rds::types::Tag;
use aws_sdk_rds::Client;

use super::{classify, Aws, AwsError};

/// A DB instance or cluster, as `destroy` and `status` report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub id: String,
    /// A cluster (Aurora), else an instance.
    pub cluster: bool,
    /// For an instance of an Aurora cluster: the cluster (it holds the data).
    pub member_of: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// `available`, `creating`, … as RDS says it.
    pub status: String,
    pub storage_gb: Option<i32>,
}

/// A DB instance's connection details, as `DescribeDBInstances` gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub host: Option<String>,
    pub port: Option<i32>,
    pub db_name: Option<String>,
    /// The master user's secret, when RDS manages it.
    pub secret: Option<String>,
    pub security_groups: Vec<String>,
}

pub struct Rds {
    client: Client,
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

impl Rds {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.rds() }
    }

    /// The instances and clusters whose tag `key` is `value` (not those being deleted).
    pub async fn tagged(&self, key: &str, value: &str) -> Result<Vec<Database>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.describe_db_instances().into_paginator().send();
        while let Some(page) = pages.next().await {
            for db in page.map_err(|e| classify("DescribeDBInstances", e))?.db_instances() {
                out.push(Database {
                    id: db.db_instance_identifier().unwrap_or_default().to_string(),
                    cluster: false,
                    member_of: db.db_cluster_identifier().map(str::to_string),
                    tags: tags(db.tag_list()),
                    status: db.db_instance_status().unwrap_or_default().to_string(),
                    storage_gb: db.allocated_storage(),
                });
            }
        }
        let mut pages = self.client.describe_db_clusters().into_paginator().send();
        while let Some(page) = pages.next().await {
            for c in page.map_err(|e| classify("DescribeDBClusters", e))?.db_clusters() {
                out.push(Database {
                    id: c.db_cluster_identifier().unwrap_or_default().to_string(),
                    cluster: true,
                    member_of: None,
                    tags: tags(c.tag_list()),
                    status: c.status().unwrap_or_default().to_string(),
                    storage_gb: c.allocated_storage(),
                });
            }
        }
        out.retain(|d| d.status != "deleting" && d.tags.get(key).map(String::as_str) == Some(value));
        Ok(out)
    }

    /// The instance `id` (an identifier or ARN); `Ok(None)` when there is none.
    pub async fn instance(&self, id: &str) -> Result<Option<Instance>, AwsError> {
        let found = match self.client.describe_db_instances().db_instance_identifier(id).send().await {
            Ok(f) => f,
            Err(e) if e.code() == Some("DBInstanceNotFound") || e.code() == Some("DBInstanceNotFoundFault") => return Ok(None),
            Err(e) => return Err(classify(&format!("DescribeDBInstances {id}"), e)),
        };
        Ok(found.db_instances().first().map(|db| Instance {
            host: db.endpoint().and_then(|e| e.address()).map(str::to_string),
            port: db.endpoint().and_then(|e| e.port()),
            db_name: db.db_name().map(str::to_string),
            secret: db.master_user_secret().and_then(|s| s.secret_arn()).map(str::to_string),
            security_groups: db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id().map(str::to_string)).collect(),
        }))
    }

    /// Delete an instance: its deletion protection off, then deleted with a final snapshot
    /// (`final_snapshot`), or none for an instance of a cluster. `Ok(false)` when there was none.
    pub async fn delete_instance(&self, id: &str, final_snapshot: Option<&str>) -> Result<bool, AwsError> {
        let off =
            self.client.modify_db_instance().db_instance_identifier(id).deletion_protection(false).apply_immediately(true).send().await;
        match off {
            Ok(_) => {}
            Err(e) if e.code() == Some("DBInstanceNotFound") => return Ok(false),
            Err(e) => return Err(classify(&format!("ModifyDBInstance {id}"), e)),
        }
        let delete = self.client.delete_db_instance().db_instance_identifier(id);
        let delete = match final_snapshot {
            Some(s) => delete.final_db_snapshot_identifier(s),
            None => delete.skip_final_snapshot(true),
        };
        match delete.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("DBInstanceNotFound") => Ok(false),
            Err(e) => Err(classify(&format!("DeleteDBInstance {id}"), e)),
        }
    }

    /// Delete a cluster with its instances: they go first, then the cluster, its deletion
    /// protection off, with a final snapshot. `Ok(false)` when there was none.
    pub async fn delete_cluster(&self, id: &str, final_snapshot: &str) -> Result<bool, AwsError> {
        let found = match self.client.describe_db_clusters().db_cluster_identifier(id).send().await {
            Ok(f) => f,
            Err(e) if e.code() == Some("DBClusterNotFoundFault") => return Ok(false),
            Err(e) => return Err(classify(&format!("DescribeDBClusters {id}"), e)),
        };
        let members: Vec<String> = found
            .db_clusters()
            .iter()
            .flat_map(|c| c.db_cluster_members())
            .filter_map(|m| m.db_instance_identifier().map(str::to_string))
            .collect();
        for member in &members {
            self.delete_instance(member, None).await?;
        }
        let off = self.client.modify_db_cluster().db_cluster_identifier(id).deletion_protection(false).apply_immediately(true).send().await;
        off.map_err(|e| classify(&format!("ModifyDBCluster {id}"), e))?;
        match self.client.delete_db_cluster().db_cluster_identifier(id).final_db_snapshot_identifier(final_snapshot).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("DBClusterNotFoundFault") => Ok(false),
            Err(e) => Err(classify(&format!("DeleteDBCluster {id}"), e)),
        }
    }
}

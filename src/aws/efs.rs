//! EFS through its API: the file systems a stack created (found by their `ecship:stack`
//! tag, inside or outside the stack), and deleting one the way EFS allows — its mount
//! targets first (and until they are gone), its access points, then the file system itself.
//!
//! A file system is deleted here only when a user asked for its data to go
//! (`deploy --allow-data-loss`, `destroy --delete-data`): the stack keeps every file system
//! it deletes or replaces (`DeletionPolicy: Retain`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_efs::error::ProvideErrorMetadata;
use aws_sdk_efs::Client;

use super::{classify, Aws, AwsError};

/// A file system, as `destroy` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSystem {
    pub id: String,
    pub tags: BTreeMap<String, String>,
}

pub struct Efs {
    client: Client,
    /// Longest wait for mount targets, then the file system, to be gone.
    pub timeout: Duration,
}

impl Efs {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.efs(), timeout: Duration::from_secs(900) }
    }

    /// The file systems whose tag `key` is `value` (not those being deleted).
    pub async fn tagged(&self, key: &str, value: &str) -> Result<Vec<FileSystem>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.describe_file_systems().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("DescribeFileSystems", e))?;
            for fs in page.file_systems() {
                let tags: BTreeMap<String, String> = fs.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
                let going = matches!(fs.life_cycle_state().as_str(), "deleting" | "deleted");
                if !going && tags.get(key).map(String::as_str) == Some(value) {
                    out.push(FileSystem { id: fs.file_system_id().to_string(), tags });
                }
            }
        }
        Ok(out)
    }

    /// Delete a file system with everything that holds it: mount targets (waiting until EFS
    /// has removed them), access points, then the file system (waiting until it is gone).
    /// `Ok(false)` when there was no such file system.
    pub async fn delete(&self, id: &str) -> Result<bool, AwsError> {
        let Some(targets) = self.mount_targets(id).await? else { return Ok(false) };
        for target in &targets {
            match self.client.delete_mount_target().mount_target_id(target).send().await {
                Ok(_) => {}
                Err(e) if e.code() == Some("MountTargetNotFound") => {}
                Err(e) => return Err(classify(&format!("DeleteMountTarget {target}"), e)),
            }
        }
        self.until(id, "its mount targets to be deleted", |me| async move { Ok(me.mount_targets(id).await?.is_none_or(|t| t.is_empty())) })
            .await?;
        for point in self.access_points(id).await? {
            match self.client.delete_access_point().access_point_id(&point).send().await {
                Ok(_) => {}
                Err(e) if e.code() == Some("AccessPointNotFound") => {}
                Err(e) => return Err(classify(&format!("DeleteAccessPoint {point}"), e)),
            }
        }
        match self.client.delete_file_system().file_system_id(id).send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("FileSystemNotFound") => return Ok(true),
            Err(e) => return Err(classify(&format!("DeleteFileSystem {id}"), e)),
        }
        self.until(id, "it to be deleted", |me| async move { Ok(!me.exists(id).await?) }).await?;
        Ok(true)
    }

    /// Whether the file system exists and is not being deleted.
    pub async fn exists(&self, id: &str) -> Result<bool, AwsError> {
        match self.client.describe_file_systems().file_system_id(id).send().await {
            Ok(out) => Ok(out.file_systems().iter().any(|fs| !matches!(fs.life_cycle_state().as_str(), "deleting" | "deleted"))),
            Err(e) if e.code() == Some("FileSystemNotFound") => Ok(false),
            Err(e) => Err(classify(&format!("DescribeFileSystems {id}"), e)),
        }
    }

    /// The file system's mount targets (those EFS is still deleting too); `None` when there
    /// is no such file system.
    async fn mount_targets(&self, id: &str) -> Result<Option<Vec<String>>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.describe_mount_targets().file_system_id(id).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => out.extend(p.mount_targets().iter().map(|t| t.mount_target_id().to_string())),
                Err(e) if e.code() == Some("FileSystemNotFound") => return Ok(None),
                Err(e) => return Err(classify(&format!("DescribeMountTargets {id}"), e)),
            }
        }
        Ok(Some(out))
    }

    async fn access_points(&self, id: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.describe_access_points().file_system_id(id).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => out.extend(p.access_points().iter().filter_map(|a| a.access_point_id()).map(str::to_string)),
                Err(e) if e.code() == Some("FileSystemNotFound") => return Ok(Vec::new()),
                Err(e) => return Err(classify(&format!("DescribeAccessPoints {id}"), e)),
            }
        }
        Ok(out)
    }

    /// Poll `done` with a growing delay until it holds, or fail after `timeout` saying how
    /// long it waited for `what`.
    async fn until<'a, F, Fut>(&'a self, id: &str, what: &str, done: F) -> Result<(), AwsError>
    where
        F: Fn(&'a Self) -> Fut,
        Fut: std::future::Future<Output = Result<bool, AwsError>>,
    {
        let started = Instant::now();
        let mut delay = Duration::from_millis(250);
        while !done(self).await? {
            if started.elapsed() > self.timeout {
                return Err(AwsError::Timeout { what: format!("EFS file system {id}: {what}"), waited: started.elapsed() });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
        Ok(())
    }
}

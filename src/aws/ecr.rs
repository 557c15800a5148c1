//! ECR through its API: the stack's repositories and emptying them before a delete.

use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::types::ImageIdentifier;
use aws_sdk_ecr::Client;

use super::{classify, Aws, AwsError};

pub struct Ecr {
    client: Client,
}

impl Ecr {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.ecr() }
    }

    /// Names of repositories under `prefix/` (the stack's: `STACK/SERVICE`).
    pub async fn repositories(&self, prefix: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.describe_repositories().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("DescribeRepositories", e))?;
            out.extend(
                page.repositories()
                    .iter()
                    .filter_map(|r| r.repository_name())
                    .filter(|n| n.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/')))
                    .map(str::to_string),
            );
        }
        Ok(out)
    }

    /// Delete every image in the repository; returns how many. A missing repository is empty.
    pub async fn empty(&self, repository: &str) -> Result<usize, AwsError> {
        let mut ids: Vec<ImageIdentifier> = Vec::new();
        let mut pages = self.client.list_images().repository_name(repository).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => ids.extend(p.image_ids().iter().cloned()),
                Err(e) if e.code() == Some("RepositoryNotFoundException") => return Ok(0),
                Err(e) => return Err(classify(&format!("ListImages {repository}"), e)),
            }
        }
        // BatchDeleteImage takes 100 ids a call.
        for batch in ids.chunks(100) {
            self.client
                .batch_delete_image()
                .repository_name(repository)
                .set_image_ids(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| classify(&format!("BatchDeleteImage {repository}"), e))?;
        }
        Ok(ids.len())
    }
}

//! ECR through its API: the registry login, the stack's repositories, and emptying them
//! before a delete.

use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::types::ImageIdentifier;
use aws_sdk_ecr::Client;

use super::{classify, Aws, AwsError};

/// A registry login. The password is a token: never shown.
pub struct Login {
    pub user: String,
    pub password: String,
    pub endpoint: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("user", &self.user).field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

pub struct Ecr {
    client: Client,
}

impl Ecr {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.ecr() }
    }

    /// The registry login: user, password and the registry's endpoint
    /// (`https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`). The token is valid for 12 hours.
    pub async fn login(&self) -> Result<Login, AwsError> {
        use base64::Engine;
        let out = self.client.get_authorization_token().send().await.map_err(|e| classify("GetAuthorizationToken", e))?;
        let data = out.authorization_data().first().ok_or_else(|| AwsError::Other("GetAuthorizationToken returned no token".into()))?;
        let token = data.authorization_token().unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| AwsError::Other("GetAuthorizationToken returned a token that is not base64 `user:password`".into()))?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or_else(|| AwsError::Other("GetAuthorizationToken returned a token that is not `user:password`".into()))?;
        let endpoint =
            data.proxy_endpoint().ok_or_else(|| AwsError::Other("GetAuthorizationToken returned no registry endpoint".into()))?;
        Ok(Login { user: user.to_string(), password: password.to_string(), endpoint: endpoint.to_string() })
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

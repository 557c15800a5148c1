//! ECR through its API: the registry login, the stack's repositories, and emptying them
//! before a delete.

use aws_sdk_ecr::error::ProvideErrorMetadata;
use std::collections::BTreeMap;

use aws_sdk_ecr::types::{ImageIdentifier, Tag};
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

/// An empty repository standing for something only one caller may hold (the stack's lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    /// When AWS created it: seconds since 1970, by AWS's clock.
    pub created: u64,
}

#[derive(Clone)]
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

    /// Create an empty repository `name` with `tags`, as a marker only one caller can make:
    /// the marker made, or `None` when it exists already.
    pub async fn create_marker(&self, name: &str, tags: &[(&str, String)]) -> Result<Option<Marker>, AwsError> {
        let given: Vec<Tag> = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(*k).value(v).build())
            .collect::<Result<_, _>>()
            .map_err(|e| AwsError::Other(format!("CreateRepository {name}: {e}")))?;
        match self.client.create_repository().repository_name(name).set_tags(Some(given)).send().await {
            Ok(out) => {
                let repo = out.repository();
                Ok(Some(Marker {
                    arn: repo.and_then(|r| r.repository_arn()).unwrap_or_default().to_string(),
                    tags: tags.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect(),
                    created: repo.and_then(|r| r.created_at()).map_or(0, |t| u64::try_from(t.secs()).unwrap_or(0)),
                }))
            }
            Err(e) if e.code() == Some("RepositoryAlreadyExistsException") => Ok(None),
            Err(e) => Err(classify(&format!("CreateRepository {name}"), e)),
        }
    }

    /// A marker, if it exists.
    pub async fn marker(&self, name: &str) -> Result<Option<Marker>, AwsError> {
        let found = match self.client.describe_repositories().repository_names(name).send().await {
            Ok(out) => out.repositories().first().and_then(|r| {
                let created = r.created_at().map_or(0, |t| u64::try_from(t.secs()).unwrap_or(0));
                r.repository_arn().map(|a| (a.to_string(), created))
            }),
            Err(e) if e.code() == Some("RepositoryNotFoundException") => None,
            Err(e) => return Err(classify(&format!("DescribeRepositories {name}"), e)),
        };
        let Some((arn, created)) = found else { return Ok(None) };
        let tags = match self.client.list_tags_for_resource().resource_arn(&arn).send().await {
            Ok(out) => out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
            Err(e) if e.code() == Some("RepositoryNotFoundException") => return Ok(None),
            Err(e) => return Err(classify(&format!("ListTagsForResource {name}"), e)),
        };
        Ok(Some(Marker { arn, tags, created }))
    }

    pub async fn tag(&self, arn: &str, key: &str, value: &str) -> Result<(), AwsError> {
        let tag = Tag::builder().key(key).value(value).build().map_err(|e| AwsError::Other(format!("TagResource {arn}: {e}")))?;
        self.client.tag_resource().resource_arn(arn).tags(tag).send().await.map_err(|e| classify(&format!("TagResource {arn}"), e))?;
        Ok(())
    }

    /// Delete a marker; one already gone is fine.
    pub async fn delete_marker(&self, name: &str) -> Result<(), AwsError> {
        match self.client.delete_repository().repository_name(name).force(true).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("RepositoryNotFoundException") => Ok(()),
            Err(e) => Err(classify(&format!("DeleteRepository {name}"), e)),
        }
    }
}

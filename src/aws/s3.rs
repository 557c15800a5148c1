//! S3 through its API, for ecship's asset bucket: templates too large to send inline are
//! uploaded there and CloudFormation reads them by URL. Every call names the account that must
//! own the bucket (`ExpectedBucketOwner`), so a bucket of the same name in another account is
//! refused, never written to. And the buckets a stack's `storage:` created, found by their
//! tags, emptied of every version and deleted when a user asks for their data to go.

use std::collections::BTreeMap;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use aws_sdk_s3::Client;

use super::{classify, Aws, AwsError};

/// What an asset bucket's name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketState {
    /// It exists and the expected account owns it.
    Owned,
    /// No bucket has this name.
    Missing,
    /// It exists, but another account owns it or it refuses this caller.
    Foreign,
}

#[derive(Clone)]
pub struct S3 {
    client: Client,
}

/// Days an uploaded template is kept after its last upload (every deploy that changes the
/// stack uploads the templates it uses again), and a replaced version after that.
pub const TEMPLATE_DAYS: i32 = 30;
const NONCURRENT_DAYS: i32 = 1;

impl S3 {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.s3() }
    }

    /// Whether `bucket` exists and belongs to `owner`.
    pub async fn bucket_state(&self, bucket: &str, owner: &str) -> Result<BucketState, AwsError> {
        match self.client.head_bucket().bucket(bucket).expected_bucket_owner(owner).send().await {
            Ok(_) => Ok(BucketState::Owned),
            Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => Ok(BucketState::Missing),
                Some(403) => Ok(BucketState::Foreign),
                _ => Err(classify(&format!("HeadBucket {bucket}"), e)),
            },
        }
    }

    /// Create an asset bucket: encrypted, no public access, versioned, old templates expiring.
    pub async fn create_asset_bucket(&self, bucket: &str, region: &str, owner: &str) -> Result<(), AwsError> {
        let mut create = self.client.create_bucket().bucket(bucket);
        // us-east-1 is the default location and refuses to be named as a constraint.
        if region != "us-east-1" {
            let location = BucketLocationConstraint::from(region);
            create = create.create_bucket_configuration(CreateBucketConfiguration::builder().location_constraint(location).build());
        }
        match create.send().await {
            Ok(_) => {}
            // Created by an earlier run (or a concurrent one) of this account: configure it.
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => {}
            Err(e) => return Err(classify(&format!("CreateBucket {bucket}"), e)),
        }
        self.configure(bucket, owner).await
    }

    async fn configure(&self, bucket: &str, owner: &str) -> Result<(), AwsError> {
        let action = |op: &str| format!("{op} {bucket}");
        let sse = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::Aes256)
                    .build()
                    .map_err(|e| built(&action("PutBucketEncryption"), e))?,
            )
            .build();
        let encryption =
            ServerSideEncryptionConfiguration::builder().rules(sse).build().map_err(|e| built(&action("PutBucketEncryption"), e))?;
        self.client
            .put_bucket_encryption()
            .bucket(bucket)
            .expected_bucket_owner(owner)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
            .map_err(|e| classify(&action("PutBucketEncryption"), e))?;
        let block = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        self.client
            .put_public_access_block()
            .bucket(bucket)
            .expected_bucket_owner(owner)
            .public_access_block_configuration(block)
            .send()
            .await
            .map_err(|e| classify(&action("PutPublicAccessBlock"), e))?;
        self.client
            .put_bucket_versioning()
            .bucket(bucket)
            .expected_bucket_owner(owner)
            .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
            .send()
            .await
            .map_err(|e| classify(&action("PutBucketVersioning"), e))?;
        let rule = LifecycleRule::builder()
            .id("ecship-templates")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("stacks/").build())
            .expiration(LifecycleExpiration::builder().days(TEMPLATE_DAYS).build())
            .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(NONCURRENT_DAYS).build())
            .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build())
            .build()
            .map_err(|e| built(&action("PutBucketLifecycleConfiguration"), e))?;
        let lifecycle = BucketLifecycleConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(|e| built(&action("PutBucketLifecycleConfiguration"), e))?;
        self.client
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .expected_bucket_owner(owner)
            .lifecycle_configuration(lifecycle)
            .send()
            .await
            .map_err(|e| classify(&action("PutBucketLifecycleConfiguration"), e))?;
        Ok(())
    }

    /// Upload one object (a template).
    pub async fn put(&self, bucket: &str, key: &str, body: &[u8], owner: &str) -> Result<(), AwsError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .expected_bucket_owner(owner)
            .content_type("application/json")
            .body(ByteStream::from(body.to_vec()))
            .send()
            .await
            .map_err(|e| classify(&format!("PutObject s3://{bucket}/{key}"), e))?;
        Ok(())
    }

    /// Every version (and delete marker) of every object under `prefix`, as (key, version).
    pub async fn versions(&self, bucket: &str, prefix: &str, owner: &str) -> Result<Vec<(String, Option<String>)>, AwsError> {
        let mut out = Vec::new();
        // ListObjectVersions has no paginator in the SDK: its pages are marked by key and version.
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let sent = self
                .client
                .list_object_versions()
                .bucket(bucket)
                .prefix(prefix)
                .expected_bucket_owner(owner)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await;
            let page = match sent {
                Ok(p) => p,
                Err(e) if e.code() == Some("NoSuchBucket") => return Ok(Vec::new()),
                Err(e) => return Err(classify(&format!("ListObjectVersions s3://{bucket}/{prefix}"), e)),
            };
            for v in page.versions() {
                out.extend(v.key().map(|k| (k.to_string(), v.version_id().map(str::to_string))));
            }
            for m in page.delete_markers() {
                out.extend(m.key().map(|k| (k.to_string(), m.version_id().map(str::to_string))));
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Delete every version of every object under `prefix`; returns how many objects (keys).
    pub async fn delete_prefix(&self, bucket: &str, prefix: &str, owner: &str) -> Result<usize, AwsError> {
        let versions = self.versions(bucket, prefix, owner).await?;
        let mut keys: Vec<&str> = versions.iter().map(|(k, _)| k.as_str()).collect();
        keys.dedup();
        // DeleteObjects takes 1000 a call.
        for batch in versions.chunks(1000) {
            let objects: Vec<ObjectIdentifier> =
                batch.iter().filter_map(|(k, v)| ObjectIdentifier::builder().key(k).set_version_id(v.clone()).build().ok()).collect();
            let delete = aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| built("DeleteObjects", e))?;
            self.client
                .delete_objects()
                .bucket(bucket)
                .expected_bucket_owner(owner)
                .delete(delete)
                .send()
                .await
                .map_err(|e| classify(&format!("DeleteObjects s3://{bucket}/{prefix}"), e))?;
        }
        Ok(keys.len())
    }
}

impl S3 {
    /// The account's buckets whose tag `key` is `value`, with their tags.
    pub async fn tagged(&self, key: &str, value: &str, owner: &str) -> Result<Vec<(String, BTreeMap<String, String>)>, AwsError> {
        let listed = self.client.list_buckets().send().await.map_err(|e| classify("ListBuckets", e))?;
        let mut out = Vec::new();
        for name in listed.buckets().iter().filter_map(|b| b.name()) {
            let tags = match self.client.get_bucket_tagging().bucket(name).expected_bucket_owner(owner).send().await {
                Ok(t) => t.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect::<BTreeMap<_, _>>(),
                // No tags, or a bucket gone meanwhile or not the owner's.
                Err(e) if matches!(e.code(), Some("NoSuchTagSet" | "NoSuchBucket" | "AccessDenied")) => continue,
                Err(e) => return Err(classify(&format!("GetBucketTagging {name}"), e)),
            };
            if tags.get(key).map(String::as_str) == Some(value) {
                out.push((name.to_string(), tags));
            }
        }
        Ok(out)
    }

    /// Delete a bucket with every version of every object in it; `Ok(false)` when there was none.
    pub async fn delete_bucket(&self, bucket: &str, owner: &str) -> Result<bool, AwsError> {
        if self.bucket_state(bucket, owner).await? != BucketState::Owned {
            return Ok(false);
        }
        self.delete_prefix(bucket, "", owner).await?;
        match self.client.delete_bucket().bucket(bucket).expected_bucket_owner(owner).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("NoSuchBucket") => Ok(false),
            Err(e) => Err(classify(&format!("DeleteBucket {bucket}"), e)),
        }
    }
}

/// The URL CloudFormation reads an uploaded template from.
pub fn object_url(bucket: &str, region: &str, key: &str) -> String {
    format!("https://{bucket}.s3.{region}.amazonaws.com/{key}")
}

fn built(action: &str, e: impl std::fmt::Display) -> AwsError {
    AwsError::Other(format!("{action}: {e}"))
}

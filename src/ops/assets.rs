//! The asset bucket: where templates too large to send inline (CloudFormation takes 51,200
//! bytes inline, 1 MB from S3) are uploaded before a stack step. One bucket per account and
//! region, `ecship-assets-ACCOUNT-REGION` (like the CDK's bootstrap bucket), created on first
//! need — encrypted, public access blocked, versioned, old templates expiring — or one the
//! user names (`--asset-bucket`, `assets.bucket`), which must exist. A stack's objects live
//! under `stacks/STACK/`, so `destroy` removes exactly them.

use sha2::{Digest, Sha256};

use crate::aws::s3::{object_url, BucketState, S3};
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter};
use crate::model::Model;

/// The stack tag that names the asset bucket a stack's templates went to, so `destroy`
/// finds them without the spec.
pub const BUCKET_TAG: &str = "ecship:asset-bucket";

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("the asset bucket {bucket} belongs to another account, or refuses this one ({account}): nothing was changed — name a bucket of this account with --asset-bucket or `assets: {{ bucket: … }}`")]
    Foreign { bucket: String, account: String },
    #[error("the asset bucket {bucket} does not exist: nothing was changed — create it in this account, or leave --asset-bucket and `assets.bucket` out to let ecship create its own")]
    Missing { bucket: String },
}

/// Where a run's large templates go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetBucket {
    pub name: String,
    pub region: String,
    /// The account that must own it.
    pub account: String,
    /// Named by the user (it must exist), rather than ecship's own.
    pub given: bool,
}

impl AssetBucket {
    /// The bucket for `model`'s stack: `--asset-bucket`, else the spec's `assets.bucket`,
    /// else ecship's own for the account and region.
    pub async fn resolve(aws: &Aws, model: Option<&Model>, flag: Option<&str>) -> Result<Self, AwsError> {
        let account = aws.account().await?;
        let region = aws.region().to_string();
        let given = flag.map(str::to_string).or_else(|| model.and_then(|m| m.asset_bucket.clone()));
        Ok(match given {
            Some(name) => Self { name, region, account, given: true },
            None => Self { name: default_name(&account, &region), region, account, given: false },
        })
    }

    /// Where a stack's objects live: `stacks/STACK/`.
    pub fn prefix(stack: &str) -> String {
        format!("stacks/{stack}/")
    }

    /// The key of a template: named by its content, so an unchanged template is the same object.
    pub fn template_key(stack: &str, body: &str) -> String {
        let digest = Sha256::digest(body.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("{}templates/{hex}.json", Self::prefix(stack))
    }

    pub fn url(&self, key: &str) -> String {
        object_url(&self.name, &self.region, key)
    }

    /// Shown in plans: `s3://BUCKET/KEY`.
    pub fn s3_url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }

    /// Read only: whether the bucket can be used (a missing one of ecship's own can: it is
    /// created when first needed). Checked before anything is written.
    pub async fn check(&self, aws: &Aws) -> Result<BucketState, AssetError> {
        let state = S3::new(aws).bucket_state(&self.name, &self.account).await?;
        match state {
            BucketState::Foreign => Err(AssetError::Foreign { bucket: self.name.clone(), account: self.account.clone() }),
            BucketState::Missing if self.given => Err(AssetError::Missing { bucket: self.name.clone() }),
            state => Ok(state),
        }
    }

    /// Upload `body` under `key`, creating ecship's own bucket first when it is missing.
    pub async fn upload(&self, aws: &Aws, key: &str, body: &str, r: &dyn Reporter) -> Result<String, AssetError> {
        let s3 = S3::new(aws);
        if self.check(aws).await? == BucketState::Missing {
            r.event(&Event::Step { message: format!("assets: creating the asset bucket {}", self.name) });
            s3.create_asset_bucket(&self.name, &self.region, &self.account).await?;
        }
        s3.put(&self.name, key, body.as_bytes(), &self.account).await?;
        r.event(&Event::Step { message: format!("assets: template uploaded to {}", self.s3_url(key)) });
        Ok(self.url(key))
    }
}

/// `ecship-assets-ACCOUNT-REGION`.
pub fn default_name(account: &str, region: &str) -> String {
    format!("ecship-assets-{account}-{region}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_s3_and_keys_follow_content() {
        let name = default_name("123456789012", "ap-southeast-2");
        assert_eq!(name, "ecship-assets-123456789012-ap-southeast-2");
        assert!(name.len() <= 63 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
        let (a, b) = (AssetBucket::template_key("shop", "{}"), AssetBucket::template_key("shop", "{ }"));
        assert!(a.starts_with("stacks/shop/templates/") && a.ends_with(".json"), "{a}");
        assert_ne!(a, b, "another body, another object");
        assert_eq!(a, AssetBucket::template_key("shop", "{}"), "the same body, the same object");
    }
}

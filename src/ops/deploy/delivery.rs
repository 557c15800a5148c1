//! How the stack's templates reach CloudFormation: the root inline when it fits (51,200
//! bytes), else uploaded to the asset bucket like every nested stack's template. Decided in
//! `prepare` (the bucket is checked then, before anything is written); uploaded in the
//! infrastructure step.

use crate::aws::cloudformation::TemplateSource;
use crate::aws::Aws;
use crate::events::Reporter;
use crate::model::Model;
use crate::ops::assets::{AssetBucket, AssetError, BUCKET_TAG};
use crate::plan::TemplateUpload;
use crate::synth::nesting::Stacks;
use crate::synth::MAX_TEMPLATE_BODY_BYTES;

/// The templates to send.
pub struct Delivery {
    /// The root template's body.
    pub root: String,
    /// Where uploads go, and the root's key when it is uploaded too.
    pub bucket: Option<(AssetBucket, Option<String>)>,
    /// Nested stacks' templates: (logical id, key, body).
    pub nested: Vec<(String, String, String)>,
}

impl Delivery {
    /// Nothing to send: the stack does not change.
    pub fn none() -> Self {
        Self { root: String::new(), bucket: None, nested: Vec::new() }
    }

    /// Plan the delivery of `stacks`: nested templates and a root too large to send inline
    /// go to the asset bucket (`flag`: `--asset-bucket`), which must be usable.
    pub async fn plan(aws: &Aws, model: &Model, mut stacks: Stacks, flag: Option<&str>) -> Result<Self, AssetError> {
        let stack = model.stack.as_str();
        if stacks.nested.is_empty() && stacks.root.to_json_compact().len() <= MAX_TEMPLATE_BODY_BYTES {
            return Ok(Self { root: stacks.root.to_json_compact(), bucket: None, nested: Vec::new() });
        }
        let bucket = AssetBucket::resolve(aws, Some(model), flag).await?;
        bucket.check(aws).await?;
        stacks.locate(&|_, t| bucket.url(&AssetBucket::template_key(stack, &t.to_json_compact())));
        let nested = stacks
            .nested
            .iter()
            .map(|(name, t)| {
                let body = t.to_json_compact();
                (name.clone(), AssetBucket::template_key(stack, &body), body)
            })
            .collect();
        let root = stacks.root.to_json_compact();
        let root_key = (root.len() > MAX_TEMPLATE_BODY_BYTES).then(|| AssetBucket::template_key(stack, &root));
        Ok(Self { root, bucket: Some((bucket, root_key)), nested })
    }

    /// What a plan says of it: each template uploaded, with its size and place.
    pub fn uploads(&self) -> Vec<TemplateUpload> {
        let Some((bucket, root_key)) = &self.bucket else { return Vec::new() };
        let root = root_key.iter().map(|key| TemplateUpload { stack: None, bytes: self.root.len(), location: bucket.s3_url(key) });
        let nested = self.nested.iter().map(|(name, key, body)| TemplateUpload {
            stack: Some(name.clone()),
            bytes: body.len(),
            location: bucket.s3_url(key),
        });
        root.chain(nested).collect()
    }

    /// Upload what goes to the bucket, and apply the root stack from its template.
    pub async fn apply(&self, aws: &Aws, model: &Model, r: &dyn Reporter) -> Result<crate::events::StackResult, AssetError> {
        let Some((bucket, root_key)) = &self.bucket else {
            return Ok(super::super::stack::apply(aws, model, TemplateSource::Body(&self.root), &[], r).await?);
        };
        for (_, key, body) in &self.nested {
            bucket.upload(aws, key, body, r).await?;
        }
        let tag = [(BUCKET_TAG, bucket.name.clone())];
        let result = match root_key {
            None => super::super::stack::apply(aws, model, TemplateSource::Body(&self.root), &tag, r).await?,
            Some(key) => {
                let url = bucket.upload(aws, key, &self.root, r).await?;
                super::super::stack::apply(aws, model, TemplateSource::Url { url: &url, body: &self.root }, &tag, r).await?
            }
        };
        Ok(result)
    }
}

//! Rules for a service's `image`: exactly one source, valid references, no host that only
//! looks like ECR's, no unpinned `latest`.

use std::collections::BTreeMap;
use std::path::Path;

use super::checks::{self, ImageTag};
use super::Ctx;
use crate::model;
use crate::spec::types;

impl Ctx<'_> {
    pub(super) fn image(&mut self, path: &str, raw: Option<&types::Image>) -> model::Image {
        let ipath = format!("{path}.image");
        let fallback = model::Image::Uri { uri: String::new(), credentials: None };
        let src = match raw {
            None => {
                self.err(path, "missing `image`").hint("e.g. image: { build: ./app } or image: { uri: nginx:1.27 }");
                return fallback;
            }
            Some(types::Image::Uri(uri)) => {
                self.image_uri(&ipath, uri, false);
                return model::Image::Uri { uri: uri.clone(), credentials: None };
            }
            Some(types::Image::Source(s)) => s,
        };
        let set: Vec<&str> =
            [("build", src.build.is_some()), ("oci", src.oci.is_some()), ("archive", src.archive.is_some()), ("uri", src.uri.is_some())]
                .into_iter()
                .filter_map(|(k, on)| on.then_some(k))
                .collect();
        if set.len() != 1 {
            let msg = if set.is_empty() { "no image source".to_string() } else { format!("several image sources: {}", set.join(", ")) };
            self.err(&ipath, msg).hint("give exactly one of build, oci, archive or uri");
            return fallback;
        }
        let allow_latest = src.allow_latest.unwrap_or(false);
        if let Some(tag) = &src.tag {
            if src.uri.is_some() {
                self.err(&format!("{ipath}.tag"), "`tag` is for images ecship pushes; a `uri` carries its own tag");
            } else if !checks::docker_tag(tag) {
                self.err(&format!("{ipath}.tag"), format!("`{tag}` is not a valid image tag"));
            } else if tag == "latest" && !allow_latest {
                self.err(&format!("{ipath}.tag"), "the tag `latest` is refused: it hides which code runs")
                    .hint("leave `tag` out (ecship tags with the git commit), or set allow_latest: true");
            }
        }
        let tag = src.tag.clone();
        let base = self.loaded.base_dir().to_path_buf();
        let credentials = src.credentials.as_ref().and_then(|c| self.credentials(&format!("{ipath}.credentials"), c, src.uri.as_deref()));
        if let Some(uri) = &src.uri {
            self.image_uri(&format!("{ipath}.uri"), uri, allow_latest);
            return model::Image::Uri { uri: uri.clone(), credentials };
        }
        if let Some(p) = &src.oci {
            return model::Image::Oci { path: base.join(p), tag };
        }
        if let Some(p) = &src.archive {
            return model::Image::Archive { path: base.join(p), tag };
        }
        let (context, dockerfile, target, args) = match &src.build {
            Some(types::Build::Context(c)) => (c.clone(), None, None, BTreeMap::new()),
            Some(types::Build::Settings(b)) => (b.context.clone(), b.dockerfile.clone(), b.target.clone(), b.args.clone()),
            None => return fallback,
        };
        self.build_arg_secrets(&format!("{ipath}.build.args"), &args);
        let context = base.join(context);
        let dockerfile = context.join(dockerfile.unwrap_or_else(|| "Dockerfile".into()));
        self.build_context(&format!("{ipath}.build"), &context, &dockerfile);
        model::Image::Build { context, dockerfile, target, args, tag }
    }

    fn build_context(&mut self, path: &str, context: &Path, dockerfile: &Path) {
        if !context.is_dir() {
            self.err(path, format!("the build context {} is not a directory", context.display()))
                .hint("paths are relative to the spec file");
        } else if !dockerfile.is_file() {
            self.err(path, format!("no Dockerfile at {}", dockerfile.display()));
        }
    }

    /// A private registry's login: a whole Secrets Manager secret, for an image outside ECR.
    fn credentials(&mut self, path: &str, value: &str, uri: Option<&str>) -> Option<String> {
        let Some(uri) = uri else {
            self.err(path, "`credentials` log in to the registry of a `uri` image; ecship pushes its own images to ECR");
            return None;
        };
        if model::EcrRepository::parse(uri).is_some() {
            self.err(path, "an ECR image is pulled with the stack's execution role: `credentials` are for registries outside ECR")
                .hint("remove `credentials:`; ecship grants the execution role that repository");
            return None;
        }
        match super::env::parse_secret(value) {
            Ok(model::SecretRef::SecretsManager { secret, json_key: None }) => Some(secret),
            Ok(model::SecretRef::SecretsManager { json_key: Some(_), .. }) => {
                self.err(path, "registry credentials are a whole secret (with `username` and `password` keys), not one key of it");
                None
            }
            Ok(model::SecretRef::Ssm { .. }) | Err(_) => {
                self.err(path, format!("`{value}` is not a Secrets Manager secret")).hint("credentials: secretsmanager:NAME_OR_ARN");
                None
            }
        }
    }

    pub(super) fn image_uri(&mut self, path: &str, uri: &str, allow_latest: bool) {
        if let Err(m) = checks::image_uri(uri) {
            self.err(path, format!("`{uri}` {m}"));
            return;
        }
        if let Some(m) = checks::ecr_look_alike(uri) {
            self.err(path, m)
                .hint("write the host as ECR names it (the repository's URI in the ECR console or `aws ecr describe-repositories`)");
            return;
        }
        let latest = match checks::image_tag(uri) {
            ImageTag::Digest => false,
            ImageTag::Tag(t) => t == "latest",
            ImageTag::Missing => true,
        };
        if latest && !allow_latest {
            self.err(path, format!("`{uri}` runs the `latest` tag: which code runs would change without a deploy"))
                .hint("pin a version tag or a digest (repo@sha256:…), or set allow_latest: true in the image map");
        }
    }
}

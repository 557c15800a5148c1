//! Image references as Docker and ECS read them: `[HOST/]PATH[:TAG][@DIGEST]`, with Docker
//! Hub's defaults (`nginx` is `docker.io/library/nginx`).

/// Where Docker Hub's registry API answers (`docker.io` is its name in references).
const DOCKER_HUB: &str = "registry-1.docker.io";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The registry's host as the reference names it (`docker.io` when it names none).
    pub host: String,
    /// The repository inside the registry (`library/nginx` for `nginx`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// The reference as written, without its tag and digest: what a pinned reference keeps.
    pub name: String,
}

impl Reference {
    pub fn parse(image: &str) -> Option<Self> {
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) if d.starts_with("sha256:") && d.len() == 71 => (r, Some(d.to_string())),
            Some(_) => return None,
            None => (image, None),
        };
        // A `:` after the last `/` starts the tag (one before it is a host's port).
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(rest[i + 1..].to_string())),
            _ => (rest, None),
        };
        if name.is_empty() || tag.as_deref() == Some("") {
            return None;
        }
        let (host, path) = match name.split_once('/') {
            Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => (h.to_string(), p.to_string()),
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let repository = if host == "docker.io" && !path.contains('/') { format!("library/{path}") } else { path };
        Some(Reference { host, repository, tag, digest, name: name.to_string() })
    }

    /// The host the registry API answers at.
    pub fn api_host(&self) -> &str {
        if self.host == "docker.io" {
            DOCKER_HUB
        } else {
            &self.host
        }
    }

    /// What a manifest is asked for by: the digest, else the tag, else `latest`.
    pub fn manifest_reference(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or("latest")
    }

    /// `NAME@DIGEST`: what a task definition runs, whatever the tag later names.
    pub fn pinned(&self, digest: &str) -> String {
        format!("{}@{digest}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::Reference;

    #[test]
    fn references_take_docker_hubs_defaults_and_keep_their_spelling() {
        let r = Reference::parse("nginx:1.27").expect("valid");
        assert_eq!((r.host.as_str(), r.repository.as_str(), r.tag.as_deref()), ("docker.io", "library/nginx", Some("1.27")));
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.pinned("sha256:ab"), "nginx@sha256:ab");

        let r = Reference::parse("127.0.0.1:5000/team/app:v2").expect("valid");
        assert_eq!((r.host.as_str(), r.repository.as_str(), r.tag.as_deref()), ("127.0.0.1:5000", "team/app", Some("v2")));

        let digest = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("ghcr.io/acme/web@{digest}")).expect("valid");
        assert_eq!((r.tag.as_deref(), r.manifest_reference()), (None, digest.as_str()));
        assert_eq!(Reference::parse("localhost/app").map(|r| r.host), Some("localhost".into()));
        assert_eq!(Reference::parse("bitnami/redis").map(|r| r.repository), Some("bitnami/redis".into()));
        assert_eq!(Reference::parse("app@sha256:short"), None);
        assert_eq!(Reference::parse("app:"), None);
    }
}

//! Existing images pinned at plan time: each tag is asked of its registry for the digest it
//! names now, and the platforms that digest holds, so a task definition runs exactly what the
//! plan showed and a moved tag shows as a change.
//!
//! Registries are read anonymously or with a login: ECR's (from `GetAuthorizationToken`) for
//! ECR's own hosts only, `docker login`'s (`~/.docker/config.json`, plain `auth` entries) for
//! the exact host an entry names, through the token service a registry's `WWW-Authenticate`
//! names — which gets the login only on the registry's own origin (`trust`). A mirror
//! (`--registry-mirror HOST=URL`) answers for a host.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use reqwest::header::{HeaderMap, ACCEPT, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

use super::layout::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use super::reference::Reference;
use super::trust;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("image {image}: `{image}` is not an image reference (HOST/PATH:TAG or PATH@sha256:…)")]
    Invalid { image: String },
    #[error("image {image}: cannot reach the registry {registry} to pin it to a digest: {detail} — check the network, or name a mirror with --registry-mirror {host}=URL")]
    Unreachable { image: String, registry: String, host: String, detail: String },
    #[error("image {image}: the registry {registry} refused to say which digest it is (HTTP {status}{message}){hint}")]
    Refused { image: String, registry: String, status: u16, message: String, hint: &'static str },
    #[error("image {image}: the registry {registry} has no such tag or digest — push it first, or fix the reference")]
    NotFound { image: String, registry: String },
    #[error("--registry-mirror (ECSHIP_REGISTRY_MIRRORS) {0}: expected HOST=URL, e.g. docker.io=https://mirror.example.com")]
    Mirror(String),
    #[error("--registry-mirror (ECSHIP_REGISTRY_MIRRORS) {host}={url}: {why}")]
    MirrorUrl { host: String, url: String, why: trust::UrlRefusal },
}

/// What a reference names now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub digest: String,
    /// The CPU architectures it holds (`amd64`, `arm64`); empty when its registry does not say.
    pub architectures: Vec<String>,
}

/// Asks registries what their tags name.
pub struct Resolver {
    http: reqwest::Client,
    /// Host → the base URL that answers for it.
    mirrors: BTreeMap<String, String>,
    /// Host → user and password.
    logins: BTreeMap<String, (String, String)>,
}

impl Resolver {
    pub fn new(mirrors: BTreeMap<String, String>, logins: BTreeMap<String, (String, String)>) -> Self {
        let builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("ecship/", env!("CARGO_PKG_VERSION")));
        // A client that cannot be built (no TLS provider) fails each request, saying why.
        let http = crate::http::client(builder).unwrap_or_default();
        Self { http, mirrors, logins: docker_logins().into_iter().chain(logins).collect() }
    }

    pub async fn resolve(&self, image: &str) -> Result<Resolved, ResolveError> {
        let r = Reference::parse(image).ok_or_else(|| ResolveError::Invalid { image: image.to_string() })?;
        let base = self.mirrors.get(&r.host).cloned().unwrap_or_else(|| format!("https://{}", r.api_host()));
        let lookup = Lookup { resolver: self, image, r: &r, base: &base };
        let accept = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ");
        let (headers, body) = lookup.get(&format!("manifests/{}", r.manifest_reference()), &accept).await?;
        let digest = header(&headers, "docker-content-digest").unwrap_or_else(|| format!("sha256:{:x}", Sha256::digest(&body)));
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let mut architectures: Vec<String> = match doc["manifests"].as_array() {
            // An index: its entries say their platforms (attestations say `unknown`).
            Some(entries) => entries.iter().filter_map(|m| m["platform"]["architecture"].as_str()).map(str::to_string).collect(),
            None => match doc["config"]["digest"].as_str() {
                Some(config) => {
                    let (_, bytes) = lookup.get(&format!("blobs/{config}"), "*/*").await?;
                    let config: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                    config["architecture"].as_str().map(str::to_string).into_iter().collect()
                }
                None => Vec::new(),
            },
        };
        architectures.retain(|a| !a.is_empty() && a != "unknown");
        architectures.sort();
        architectures.dedup();
        Ok(Resolved { digest, architectures })
    }
}

/// One image's requests, with the token its registry hands out once asked for.
struct Lookup<'a> {
    resolver: &'a Resolver,
    image: &'a str,
    r: &'a Reference,
    base: &'a str,
}

impl Lookup<'_> {
    async fn get(&self, path: &str, accept: &str) -> Result<(HeaderMap, Vec<u8>), ResolveError> {
        let url = format!("{}/v2/{}/{path}", self.base, self.r.repository);
        let login = self.resolver.logins.get(&self.r.host);
        let mut req = self.resolver.http.request(Method::GET, &url).header(ACCEPT, accept);
        if let Some((user, password)) = login {
            req = req.basic_auth(user, Some(password));
        }
        let mut resp = req.send().await.map_err(|e| self.unreachable(&e))?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            let challenge = header(resp.headers(), WWW_AUTHENTICATE.as_str()).unwrap_or_default();
            if let Some(token) = self.token(&challenge).await? {
                let req = self.resolver.http.request(Method::GET, &url).header(ACCEPT, accept).bearer_auth(token);
                resp = req.send().await.map_err(|e| self.unreachable(&e))?;
            }
        }
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Err(ResolveError::NotFound { image: self.image.to_string(), registry: self.base.to_string() });
        }
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| self.unreachable(&e))?.to_vec();
        if !status.is_success() {
            let message = String::from_utf8_lossy(&body).chars().take(200).collect::<String>();
            let message = if message.trim().is_empty() { String::new() } else { format!(": {}", message.trim()) };
            let hint = if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                " — log in to it on this machine (`docker login`, whose ~/.docker/config.json ecship reads), or give the image by digest"
            } else {
                ""
            };
            return Err(ResolveError::Refused {
                image: self.image.to_string(),
                registry: self.base.to_string(),
                status: status.as_u16(),
                message,
                hint,
            });
        }
        Ok((headers, body))
    }

    /// A bearer token from the service a `WWW-Authenticate: Bearer realm=…` challenge names
    /// (with the login, when there is one and the realm is on the registry's own origin —
    /// elsewhere the token is asked for anonymously); `None` for any other challenge.
    async fn token(&self, challenge: &str) -> Result<Option<String>, ResolveError> {
        let Some(params) = challenge.strip_prefix("Bearer ") else { return Ok(None) };
        let fields = challenge_fields(params);
        let Some(realm) = fields.get("realm") else { return Ok(None) };
        let scope = fields.get("scope").cloned().unwrap_or_else(|| format!("repository:{}:pull", self.r.repository));
        let mut query = vec![("scope", scope)];
        if let Some(service) = fields.get("service") {
            query.push(("service", service.clone()));
        }
        let mut req = self.resolver.http.get(realm).query(&query);
        if let Some((user, password)) = self.resolver.logins.get(&self.r.host) {
            if trust::realm_gets_login(realm, self.base, &self.r.host) {
                req = req.basic_auth(user, Some(password));
            }
        }
        let resp = req.send().await.map_err(|e| self.unreachable(&e))?;
        let bytes = resp.bytes().await.map_err(|e| self.unreachable(&e))?;
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        Ok(body["token"].as_str().or(body["access_token"].as_str()).map(str::to_string))
    }

    fn unreachable(&self, e: &reqwest::Error) -> ResolveError {
        let detail = crate::http::chain(e);
        ResolveError::Unreachable { image: self.image.to_string(), registry: self.base.to_string(), host: self.r.host.clone(), detail }
    }
}

/// `realm="…",service="…",scope="…"` as a map.
fn challenge_fields(params: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = params.trim();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_string();
        let after = &rest[eq + 1..];
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            },
            None => match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            },
        };
        out.insert(key, value.to_string());
        rest = next.trim_start_matches(',').trim();
    }
    out
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// `docker login`'s plain credentials: `auths.HOST.auth` (base64 `user:password`) in
/// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. Credential helpers are not run.
fn docker_logins() -> BTreeMap<String, (String, String)> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".docker")));
    let Some(text) = dir.and_then(|d| std::fs::read_to_string(d.join("config.json")).ok()) else { return BTreeMap::new() };
    let config: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (host, entry) in config["auths"].as_object().into_iter().flatten() {
        let Some(auth) = entry["auth"].as_str() else { continue };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(auth) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let Some((user, password)) = text.split_once(':') else { continue };
        let Some(host) = trust::docker_auth_host(host) else { continue };
        out.insert(host, (user.to_string(), password.to_string()));
    }
    out
}

/// `--registry-mirror HOST=URL` values as a map; plain http only for this machine
/// (`trust::registry_url`).
pub fn mirrors(values: &[String]) -> Result<BTreeMap<String, String>, ResolveError> {
    let mut out = BTreeMap::new();
    for v in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
        let Some((host, url)) = v.split_once('=').filter(|(h, u)| !h.is_empty() && !u.is_empty()) else {
            return Err(ResolveError::Mirror(trust::shown(v)));
        };
        let base =
            trust::registry_url(url).map_err(|why| ResolveError::MirrorUrl { host: host.to_string(), url: trust::shown(url), why })?;
        out.insert(host.to_string(), base);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_read() {
        let f =
            challenge_fields(r#"realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#);
        assert_eq!(f.get("realm").map(String::as_str), Some("https://auth.docker.io/token"));
        assert_eq!(f.get("service").map(String::as_str), Some("registry.docker.io"));
        assert_eq!(f.get("scope").map(String::as_str), Some("repository:library/nginx:pull"));
    }

    #[test]
    fn mirrors_are_host_equals_url_and_not_cleartext_off_this_machine() {
        let m = mirrors(&["docker.io=https://mirror.example.com/,ghcr.io=http://127.0.0.1:5000".into()]).expect("valid");
        assert_eq!(m.get("docker.io").map(String::as_str), Some("https://mirror.example.com"));
        assert_eq!(m.get("ghcr.io").map(String::as_str), Some("http://127.0.0.1:5000"));
        for refused in [
            "docker.io=http://mirror.example.com",
            "docker.io=http://localhost@evil.example",
            "docker.io=http://127.evil.example",
            "docker.io=http://127.0.0.1.evil.example:5000",
            "docker.io",
            "docker.io=",
        ] {
            assert!(mirrors(&[refused.into()]).is_err(), "{refused}");
        }
    }
}

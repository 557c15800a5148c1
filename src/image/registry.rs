//! The OCI distribution protocol, as much as pushing needs: check a blob, upload one
//! (streamed from disk, resumed from where the registry stopped after a failure), check and
//! put manifests. Basic auth on every request, which is how ECR logs in.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::layout::{Blob, Manifest, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use super::trust::same_origin;

/// Attempts per request when the registry is unreachable or answers 429/5xx, with backoff
/// from 250 ms doubling to 4 s: about 12 s in all.
const ATTEMPTS: u32 = 6;
/// Bytes read from disk per upload chunk.
const READ_CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("the registry {registry} refused the credentials (HTTP {status}): ecship logs in with a token from ECR's GetAuthorizationToken — check that the AWS credentials are current and allow ecr:GetAuthorizationToken and pushing to {repository}")]
    Unauthorized { registry: String, repository: String, status: u16 },
    #[error("cannot reach the registry {registry}: {detail} — check the endpoint{hint}")]
    Unreachable { registry: String, detail: String, hint: &'static str },
    #[error("the registry {registry} answered HTTP {status} to {what}: {message}")]
    Refused { registry: String, what: String, status: u16, message: String },
    #[error("cannot read {path}: {detail}")]
    Local { path: String, detail: String },
}

/// Whether trying the same request again may help.
trait Transient {
    fn transient(&self) -> bool;
}

impl Transient for RegistryError {
    fn transient(&self) -> bool {
        match self {
            RegistryError::Unreachable { .. } => true,
            RegistryError::Refused { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// A registry endpoint and its login.
#[derive(Clone)]
pub struct Registry {
    http: reqwest::Client,
    /// `https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`, or the endpoint override.
    base: String,
    user: String,
    password: String,
    endpoint_overridden: bool,
}

/// Told how far into the blob an upload has sent, as it goes.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

impl Registry {
    pub fn new(base: &str, user: &str, password: &str, endpoint_overridden: bool) -> Result<Self, RegistryError> {
        let http = crate::http::client(
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                // A stalled connection fails (and is retried) instead of hanging the push.
                .read_timeout(Duration::from_secs(60))
                .user_agent(concat!("ecship/", env!("CARGO_PKG_VERSION"))),
        )
        .map_err(|e| RegistryError::Unreachable { registry: base.to_string(), detail: e.to_string(), hint: "" })?;
        Ok(Self { http, base: base.trim_end_matches('/').to_string(), user: user.into(), password: password.into(), endpoint_overridden })
    }

    pub fn endpoint(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request; the login goes only to the endpoint's own origin (an upload location on
    /// another host gets none).
    fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let req = self.http.request(method, url);
        if same_origin(url, &self.base) {
            req.basic_auth(&self.user, Some(&self.password))
        } else {
            req
        }
    }

    /// Send one request: connection failures and 401s become errors that say what to do.
    async fn send(&self, req: RequestBuilder, repository: &str) -> Result<Response, RegistryError> {
        let resp = req.send().await.map_err(|e| self.unreachable(&e))?;
        if matches!(resp.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(RegistryError::Unauthorized {
                registry: self.base.clone(),
                repository: repository.to_string(),
                status: resp.status().as_u16(),
            });
        }
        Ok(resp)
    }

    fn unreachable(&self, e: &reqwest::Error) -> RegistryError {
        let detail = crate::http::chain(e);
        let hint = if self.endpoint_overridden { " given by --registry-endpoint or ECSHIP_REGISTRY_ENDPOINT" } else { " and the network" };
        RegistryError::Unreachable { registry: self.base.clone(), detail, hint }
    }

    async fn refused(&self, resp: Response, what: String) -> RegistryError {
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        // Registries answer `{"errors":[{"code":…,"message":…}]}`.
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                let errors = v["errors"].as_array()?;
                Some(
                    errors
                        .iter()
                        .map(|e| format!("{} {}", e["code"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")).trim().to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| body.chars().take(200).collect::<String>().trim().to_string());
        RegistryError::Refused { registry: self.base.clone(), what, status, message }
    }

    /// Retry an operation while it fails in a way that may pass.
    async fn retrying<T, E: Transient, F, Fut>(&self, mut op: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let mut delay = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if e.transient() && attempt < ATTEMPTS => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(4));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// `GET /v2/`: reachable, and the login is accepted.
    pub async fn check(&self, repository: &str) -> Result<(), RegistryError> {
        self.retrying(|| async move {
            let resp = self.send(self.request(Method::GET, &self.url("/v2/")), repository).await?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(self.refused(resp, "the login check".into()).await)
            }
        })
        .await
    }

    pub async fn has_blob(&self, repository: &str, digest: &str) -> Result<bool, RegistryError> {
        self.retrying(|| async move {
            let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
            let resp = self.send(self.request(Method::HEAD, &url), repository).await?;
            match resp.status() {
                s if s.is_success() => Ok(true),
                StatusCode::NOT_FOUND => Ok(false),
                _ => Err(self.refused(resp, format!("a check of blob {digest}")).await),
            }
        })
        .await
    }

    /// The digest a tag or digest names in the repository, if any.
    pub async fn manifest_digest(&self, repository: &str, reference: &str) -> Result<Option<String>, RegistryError> {
        self.retrying(|| async move {
            let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
            let accept = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].join(", ");
            let resp = self.send(self.request(Method::HEAD, &url).header(ACCEPT, accept), repository).await?;
            match resp.status() {
                s if s.is_success() => Ok(header(resp.headers(), "docker-content-digest")
                    .or_else(|| reference.starts_with("sha256:").then(|| reference.to_string()))),
                StatusCode::NOT_FOUND => Ok(None),
                _ => Err(self.refused(resp, format!("a check of manifest {reference}")).await),
            }
        })
        .await
    }

    /// Put a manifest byte for byte, under a tag or its digest.
    pub async fn put_manifest(&self, repository: &str, reference: &str, m: &Manifest) -> Result<(), RegistryError> {
        self.retrying(|| async move {
            let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
            let req = self.request(Method::PUT, &url).header(CONTENT_TYPE, &m.media_type).body(m.bytes.clone());
            let resp = self.send(req, repository).await?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(self.refused(resp, format!("the manifest {} ({reference})", m.digest)).await)
            }
        })
        .await
    }

    /// Upload a blob, streamed from disk. After a failure it asks the registry how much
    /// arrived and sends the rest; an upload the registry forgot (or kept only part of)
    /// starts again.
    pub async fn upload(&self, repository: &str, blob: &Blob, progress: &Progress) -> Result<(), RegistryError> {
        let mut delay = Duration::from_millis(250);
        let mut failures = 0;
        // The upload the registry knows, kept across failures until it says it lost it.
        let mut session: Option<String> = None;
        loop {
            match self.upload_attempt(repository, blob, progress, &mut session).await {
                Ok(()) => return Ok(()),
                // A completion whose answer was lost took effect: the retry finds no upload,
                // and the blob is there.
                Err(UploadError::Lost) if self.has_blob(repository, &blob.digest).await? => return Ok(()),
                Err(UploadError::Lost) if failures + 1 < ATTEMPTS => {
                    failures += 1;
                    session = None;
                }
                Err(UploadError::Lost) => {
                    return Err(RegistryError::Refused {
                        registry: self.base.clone(),
                        what: format!("the upload of {}", blob.digest),
                        status: 404,
                        message: "the registry kept losing the upload".into(),
                    })
                }
                Err(UploadError::Registry(e)) if e.transient() && failures + 1 < ATTEMPTS => {
                    failures += 1;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(4));
                }
                Err(UploadError::Registry(e)) => return Err(e),
            }
        }
    }

    async fn upload_attempt(
        &self,
        repository: &str,
        blob: &Blob,
        progress: &Progress,
        session: &mut Option<String>,
    ) -> Result<(), UploadError> {
        // Each request but the body's is retried on its own: a failed PATCH is what the
        // attempts of `upload` count.
        let (mut location, offset) = match session.clone() {
            Some(loc) => self.retrying(|| self.upload_status(repository, &loc)).await?,
            None => (self.retrying(|| self.start_upload(repository)).await?, 0),
        };
        *session = Some(location.clone());
        if offset < blob.size {
            let (next, received) = self.send_rest(repository, &location, blob, offset, progress).await?;
            *session = Some(next.clone());
            // A registry that kept only part of the body (ECR keeps only a first PATCH)
            // says so in `Range`: start again rather than complete a short blob.
            if received.is_some_and(|r| r != blob.size) {
                return Err(UploadError::Lost);
            }
            location = next;
        }
        self.retrying(|| self.finish_upload(repository, &location, &blob.digest)).await
    }

    async fn start_upload(&self, repository: &str) -> Result<String, UploadError> {
        let url = self.url(&format!("/v2/{repository}/blobs/uploads/"));
        let resp = self.send(self.request(Method::POST, &url).header(CONTENT_LENGTH, 0), repository).await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(self.refused(resp, "starting an upload".into()).await.into());
        }
        self.location(resp.headers()).ok_or_else(|| self.no_location())
    }

    /// Where an upload stands: its location and the bytes the registry has. An upload the
    /// registry does not report on is started again.
    async fn upload_status(&self, repository: &str, location: &str) -> Result<(String, u64), UploadError> {
        let resp = self.send(self.request(Method::GET, location), repository).await?;
        let status = resp.status();
        if status.is_success() {
            // `0-0` is what docker's registry says of an empty upload as well as of one byte:
            // taken as empty. Sending a byte again is refused (416) and starts over; skipping
            // one would corrupt the blob.
            let received = received(resp.headers()).filter(|n| *n > 1).unwrap_or(0);
            let location = self.location(resp.headers()).unwrap_or_else(|| location.to_string());
            return Ok((location, received));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(self.refused(resp, "a check of an upload".into()).await.into());
        }
        Err(UploadError::Lost)
    }

    /// Send the blob from `offset` on; the next location and the bytes the registry says it has.
    async fn send_rest(
        &self,
        repository: &str,
        location: &str,
        blob: &Blob,
        offset: u64,
        progress: &Progress,
    ) -> Result<(String, Option<u64>), UploadError> {
        let local = |e: std::io::Error| RegistryError::Local { path: blob.path.display().to_string(), detail: e.to_string() };
        let mut file = tokio::fs::File::open(&blob.path).await.map_err(local)?;
        file.seek(std::io::SeekFrom::Start(blob.offset + offset)).await.map_err(local)?;
        let len = blob.size - offset;
        let stream = ReaderStream::with_capacity(file.take(len), READ_CHUNK);
        let progress = progress.clone();
        let mut position = offset;
        progress(position);
        let counted = stream.map(move |chunk| {
            if let Ok(c) = &chunk {
                position += c.len() as u64;
                progress(position);
            }
            chunk
        });
        let body = reqwest::Body::wrap_stream(counted);
        let req = self
            .request(Method::PATCH, location)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, len)
            .header(CONTENT_RANGE, format!("{offset}-{}", blob.size - 1))
            .body(body);
        let resp = self.send(req, repository).await?;
        let status = resp.status();
        if status.is_success() {
            let next = self.location(resp.headers()).ok_or_else(|| self.no_location())?;
            return Ok((next, received(resp.headers())));
        }
        if status == StatusCode::NOT_FOUND || status == StatusCode::RANGE_NOT_SATISFIABLE {
            return Err(UploadError::Lost);
        }
        Err(self.refused(resp, format!("the upload of {}", blob.digest)).await.into())
    }

    async fn finish_upload(&self, repository: &str, location: &str, digest: &str) -> Result<(), UploadError> {
        let sep = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{sep}digest={digest}");
        let resp = self.send(self.request(Method::PUT, &url).header(CONTENT_LENGTH, 0), repository).await?;
        match resp.status() {
            StatusCode::CREATED | StatusCode::NO_CONTENT | StatusCode::OK => Ok(()),
            StatusCode::NOT_FOUND => Err(UploadError::Lost),
            _ => Err(self.refused(resp, format!("completing the upload of {digest}")).await.into()),
        }
    }

    /// The upload location, made absolute against the endpoint.
    fn location(&self, headers: &HeaderMap) -> Option<String> {
        let loc = header(headers, LOCATION.as_str())?;
        let base = reqwest::Url::parse(&format!("{}/", self.base)).ok()?;
        base.join(&loc).ok().map(String::from)
    }

    fn no_location(&self) -> UploadError {
        UploadError::Registry(RegistryError::Refused {
            registry: self.base.clone(),
            what: "an upload".into(),
            status: 0,
            message: "the answer had no Location header".into(),
        })
    }
}

enum UploadError {
    /// The registry no longer knows the upload: start again.
    Lost,
    Registry(RegistryError),
}

impl Transient for UploadError {
    fn transient(&self) -> bool {
        matches!(self, UploadError::Registry(e) if e.transient())
    }
}

impl From<RegistryError> for UploadError {
    fn from(e: RegistryError) -> Self {
        UploadError::Registry(e)
    }
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The bytes a registry says it has of an upload: `Range: 0-LAST` (`0--1` when empty).
fn received(h: &HeaderMap) -> Option<u64> {
    let range = header(h, RANGE.as_str())?;
    let last: i64 = range.trim_start_matches("bytes=").split_once('-')?.1.parse().ok()?;
    u64::try_from(last.checked_add(1)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn ranges_say_how_much_arrived() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RANGE, HeaderValue::from_str(v).expect("header"));
            received(&h)
        };
        assert_eq!(with("0-1023"), Some(1024));
        assert_eq!(with("0--1"), Some(0));
        assert_eq!(with("bytes=0-9"), Some(10));
        assert_eq!(with("0-9223372036854775807"), None, "no overflow");
        assert_eq!(with("junk"), None);
        assert_eq!(received(&HeaderMap::new()), None);
    }

    #[test]
    fn the_login_goes_only_to_the_endpoint() {
        assert!(same_origin(
            "https://1.dkr.ecr.us-east-1.amazonaws.com/v2/a/blobs/uploads/x?y",
            "https://1.dkr.ecr.us-east-1.amazonaws.com"
        ));
        assert!(!same_origin("https://uploads.example.com/x", "https://1.dkr.ecr.us-east-1.amazonaws.com"));
        assert!(!same_origin("http://127.0.0.1:5001/v2/", "http://127.0.0.1:5000"));
    }
}

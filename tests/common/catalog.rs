//! The images the test specs name (`nginx:1.27`, `ghcr.io/acme-blog/posts:2.3.0`, …), held by
//! a real registry (Debian's docker-registry) so that `plan` can pin each to a digest as it
//! does against Docker Hub, GHCR or ECR. Each tag names a small multi-platform image
//! (linux/amd64 and linux/arm64) of its own: `v1` and `v2` differ, as versions do. The storage is written once per build directory and served
//! read-only by one registry per emulator; ecship reaches it through `--registry-mirror`
//! (`ECSHIP_REGISTRY_MIRRORS`) for each host below.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The hosts the test specs' images name; each is mirrored to the catalog.
pub const HOSTS: [&str; 6] =
    ["docker.io", "ghcr.io", "public.ecr.aws", "registry.example", "registry.example.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com"];

/// Every image a test spec names by tag, with the example stacks' defaults.
fn images() -> Vec<String> {
    let mut out: Vec<String> = [
        "nginx:1.27",
        "busybox:1.36",
        "public.ecr.aws/nginx/nginx:1.27",
        "ghcr.io/acme/web:3.1.0",
        "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0",
        "registry.example.com/agent:1.0",
        "registry.example/mysfits/monolith:v1",
        "registry.example/mysfits/like:v1",
        "registry.example/mysfits/like:v2",
        "registry.example/mysfits/worker:v1",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/platform/api:2.0",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/rollouts/web:v1",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/monolith:v1",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/like:v1",
        "public.ecr.aws/bitnami/wordpress:6.6.2",
        "public.ecr.aws/bitnami/thumbor:7.7.4",
    ]
    .map(String::from)
    .to_vec();
    for svc in ["posts", "comments", "query", "moderation", "event-bus", "digest"] {
        out.push(format!("ghcr.io/acme-blog/{svc}:2.3.0"));
    }
    for svc in ["users", "posts", "threads"] {
        out.push(format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/forum/{svc}:1.4.2"));
    }
    // tests/common/generated.rs: stacks of up to 150 services.
    for i in 0..150 {
        out.push(format!("registry.example/platform/s{i:03}:v1"));
        out.push(format!("registry.example/platform/s{i:03}:v2"));
    }
    out
}

/// The repository a reference names inside its registry (`nginx` → `library/nginx`).
fn repository_and_tag(image: &str) -> (String, String) {
    let (name, tag) = image.rsplit_once(':').expect("a tag");
    let (host, path) = name.split_once('/').filter(|(h, _)| h.contains('.')).unwrap_or(("docker.io", name));
    let repo = if host == "docker.io" && !path.contains('/') { format!("library/{path}") } else { path.to_string() };
    (repo, tag.to_string())
}

/// A read-only registry serving the catalog, stopped when dropped.
pub struct Catalog {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Catalog {
    pub fn start() -> Self {
        let storage = storage();
        let dir = tempfile::tempdir().expect("a temp dir");
        let (child, url) = serve(&storage, dir.path(), true);
        Self { url, child, _dir: dir }
    }

    /// `NAME@DIGEST`: what a task definition runs for `image` (a tag of the catalog).
    pub fn pinned(&self, image: &str) -> String {
        let (repo, tag) = repository_and_tag(image);
        let port = self.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
        let accept = [("Accept", OCI_INDEX)];
        let (status, head) = request(port, "HEAD", &format!("/v2/{repo}/manifests/{tag}"), &accept, &[]).expect("the catalog answers");
        assert_eq!(status, 200, "{image} is in the catalog: {head}");
        let digest = head
            .lines()
            .find_map(|l| {
                l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("docker-content-digest")).map(|(_, v)| v.trim().to_string())
            })
            .expect("a digest");
        let name = image.rsplit_once(':').map_or(image, |(n, _)| n);
        format!("{name}@{digest}")
    }

    /// `HOST=URL,…` for `ECSHIP_REGISTRY_MIRRORS`.
    pub fn mirrors(&self) -> String {
        HOSTS.iter().map(|h| format!("{h}={}", self.url)).collect::<Vec<_>>().join(",")
    }
}

impl Drop for Catalog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The catalog's storage, written once (by whichever test gets there first) under target/.
fn storage() -> PathBuf {
    let target = crate::common::root().join("target");
    let version = format!("{:x}", Sha256::digest(images().join("\n").as_bytes()));
    let done = target.join(format!("test-image-catalog-{}", &version[..12]));
    if done.join("data").is_dir() {
        return done.join("data");
    }
    let tmp = tempfile::Builder::new().prefix("test-image-catalog-").tempdir_in(&target).expect("a temp dir under target/");
    let (mut child, url) = serve(&tmp.path().join("data"), tmp.path(), false);
    let port = url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
    seed(port);
    let _ = child.kill();
    let _ = child.wait();
    let tmp = tmp.keep();
    // Another test may have finished first: theirs is as good.
    if std::fs::rename(&tmp, &done).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    done.join("data")
}

fn serve(storage: &Path, dir: &Path, read_only: bool) -> (Child, String) {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let config = format!(
        "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}, maintenance: {{uploadpurging: {{enabled: false}}, readonly: {{enabled: {read_only}}}}}}}\nhttp: {{addr: 127.0.0.1:{port}, secret: ecship-tests}}\n",
        storage.display()
    );
    let file = dir.join("catalog.yml");
    std::fs::write(&file, config).expect("write the registry config");
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("docker-registry cannot run ({e}): run scripts/setup (it installs Debian's docker-registry)"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while request(port, "GET", "/v2/", &[], &[]).is_none() {
        assert!(Instant::now() < deadline, "the catalog registry did not answer on port {port} within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, format!("http://127.0.0.1:{port}"))
}

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A multi-platform image for `tag`: its blobs (layer first), platform manifests and index.
struct Built {
    blobs: Vec<Vec<u8>>,
    manifests: Vec<Vec<u8>>,
    index: Vec<u8>,
}

fn build(tag: &str) -> Built {
    let content = format!("hello from the catalog, version {tag}\n");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "hello", content.as_bytes()).expect("append to the tar");
    let layer = b.into_inner().expect("finish the tar");
    let mut blobs = vec![layer.clone()];
    let mut manifests = Vec::new();
    let mut entries = Vec::new();
    for arch in ["amd64", "arm64"] {
        let config = serde_json::json!({
            "architecture": arch, "os": "linux", "config": { "Cmd": ["/hello"] },
            "rootfs": { "type": "layers", "diff_ids": [digest(&layer)] },
        })
        .to_string()
        .into_bytes();
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(&config), "size": config.len() },
            "layers": [ { "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(&layer), "size": layer.len() } ],
        })
        .to_string()
        .into_bytes();
        entries.push(serde_json::json!({
            "mediaType": OCI_MANIFEST, "digest": digest(&manifest), "size": manifest.len(),
            "platform": { "architecture": arch, "os": "linux" },
        }));
        blobs.push(config);
        manifests.push(manifest);
    }
    let index = serde_json::json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries }).to_string().into_bytes();
    Built { blobs, manifests, index }
}

/// Write every image of the catalog.
fn seed(port: u16) {
    let mut built: std::collections::BTreeMap<String, (Built, Option<String>)> = std::collections::BTreeMap::new();
    for image in images() {
        let (repo, tag) = repository_and_tag(&image);
        let (b, first) = built.entry(tag.clone()).or_insert_with(|| (build(&tag), None));
        for blob in &b.blobs {
            push_blob(port, &repo, blob, first.as_deref());
        }
        for m in &b.manifests {
            put(port, &format!("/v2/{repo}/manifests/{}", digest(m)), OCI_MANIFEST, m);
        }
        put(port, &format!("/v2/{repo}/manifests/{tag}"), OCI_INDEX, &b.index);
        first.get_or_insert(repo);
    }
}

/// A blob into `repo`: mounted from `from` when it holds it, else uploaded whole.
fn push_blob(port: u16, repo: &str, blob: &[u8], from: Option<&str>) {
    let d = digest(blob);
    if let Some(from) = from {
        let (status, _) = request(port, "POST", &format!("/v2/{repo}/blobs/uploads/?mount={d}&from={from}"), &[], &[]).expect("mount");
        if status == 201 {
            return;
        }
    }
    let (status, head) = request(port, "POST", &format!("/v2/{repo}/blobs/uploads/"), &[], &[]).expect("start an upload");
    assert_eq!(status, 202, "starting an upload to {repo}: {head}");
    let location = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("location")).map(|(_, v)| v.trim().to_string()))
        .expect("an upload location");
    let path = location.split_once("://").map_or(location.as_str(), |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..])).to_string();
    let sep = if path.contains('?') { '&' } else { '?' };
    put(port, &format!("{path}{sep}digest={d}"), "application/octet-stream", blob);
}

fn put(port: u16, path: &str, content_type: &str, body: &[u8]) {
    let (status, head) = request(port, "PUT", path, &[("Content-Type", content_type)], body).expect("a PUT");
    assert!(status == 201, "PUT {path}: {head}");
}

fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text.get(9..12)?.parse().ok()?;
    Some((status, text.split("\r\n\r\n").next().unwrap_or("").to_string()))
}

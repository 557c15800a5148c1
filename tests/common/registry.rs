//! A real OCI registry for end-to-end tests: Debian's docker-registry (the CNCF distribution
//! registry) on a free port, demanding the Basic login the emulator's GetAuthorizationToken
//! hands out, as ECR does. It can be stopped and started again on the same port and storage.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password inside the emulator's ECR token (`AWS:123456789012-auth-token`).
pub const ECR_TOKEN: &str = "123456789012-auth-token";

pub struct Registry {
    pub url: String,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Registry {
    /// Start a registry that accepts user `AWS` with `password`.
    pub fn start(password: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let out = Command::new("htpasswd")
            .args(["-Bbn", "AWS", password])
            .output()
            .unwrap_or_else(|e| panic!("htpasswd cannot run ({e}): run scripts/setup (it installs apache2-utils)"));
        assert!(out.status.success(), "htpasswd failed: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(dir.path().join("htpasswd"), &out.stdout).expect("write htpasswd");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let root = dir.path().display();
        let config = format!(
            "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {root}/data}}, delete: {{enabled: true}}}}\n\
             http: {{addr: 127.0.0.1:{port}, secret: ecship-tests}}\nauth: {{htpasswd: {{realm: ecship, path: {root}/htpasswd}}}}\n"
        );
        std::fs::write(dir.path().join("config.yml"), config).expect("write the registry config");
        let mut registry = Self { url: format!("http://127.0.0.1:{port}"), port, dir, child: None };
        registry.restart();
        registry
    }

    /// Start (again) on the same port and storage.
    pub fn restart(&mut self) {
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(self.dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("docker-registry cannot run ({e}): run scripts/setup (it installs Debian's docker-registry)"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.status("GET", "/v2/").is_none() {
            assert!(Instant::now() < deadline, "the registry did not answer on port {} within 20 s", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kill it (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The digest a tag (or digest) names in `repository`, asked over HTTP like a client.
    pub fn manifest_digest(&self, repository: &str, reference: &str) -> Option<String> {
        let (status, head) = self.request("HEAD", &format!("/v2/{repository}/manifests/{reference}"))?;
        (status == 200).then(|| {
            head.lines()
                .find_map(|l| {
                    l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("docker-content-digest")).map(|(_, v)| v.trim().to_string())
                })
                .unwrap_or_default()
        })
    }

    /// Whether the registry's storage holds a whole blob.
    pub fn has_blob(&self, digest: &str) -> bool {
        let hex = digest.trim_start_matches("sha256:");
        self.dir.path().join(format!("data/docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2])).is_file()
    }

    fn status(&self, method: &str, path: &str) -> Option<u16> {
        self.request(method, path).map(|(s, _)| s)
    }

    fn request(&self, method: &str, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let auth = base64_basic("AWS", ECR_TOKEN);
        let accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json";
        let req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\nAccept: {accept}\r\n\r\n");
        s.write_all(req.as_bytes()).ok()?;
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp).into_owned();
        let status = text.get(9..12)?.parse().ok()?;
        Some((status, text.split("\r\n\r\n").next().unwrap_or("").to_string()))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

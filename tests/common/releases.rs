//! ecship's releases as the GitHub Action downloads them, served over HTTP on a free local
//! port: the test's own `ecship` binary packed as cargo-dist packs a release archive
//! (`ecship-TARGET.tar.xz` holding `ecship-TARGET/ecship` and the README, beside
//! `ecship-TARGET.tar.xz.sha256`: `HEX *FILE`), laid out as GitHub serves a repository's
//! releases (`download/TAG/FILE` and `latest/download/FILE`). Every path asked is recorded.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// The cargo-dist target the action installs on this machine (as action.yml maps
/// `RUNNER_OS/RUNNER_ARCH`).
pub fn target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-musl",
        ("linux", "aarch64") => "aarch64-unknown-linux-musl",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        (os, arch) => panic!("ecship releases nothing for {os}/{arch}"),
    }
}

pub fn archive_name() -> String {
    format!("ecship-{}.tar.xz", target())
}

/// The archive and its checksum file, packed once per build of the binary (under target/tmp:
/// xz takes seconds over a debug binary).
pub fn packed() -> PathBuf {
    static PACKED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PACKED.get_or_init(pack).clone()
}

fn pack() -> PathBuf {
    let binary = assert_cmd::cargo::cargo_bin("ecship");
    let meta = std::fs::metadata(&binary).expect("the ecship binary is built by cargo test");
    let stamp = meta.modified().ok().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let done = tmp.join(format!("action-release-{}-{stamp}", meta.len()));
    if done.join(format!("{}.sha256", archive_name())).is_file() {
        return done;
    }
    for tool in ["tar", "xz"] {
        let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
        assert!(found, "{tool} is missing; the action and this test need it: apt-get install tar xz-utils");
    }
    std::fs::create_dir_all(&tmp).expect("target/tmp");
    let work = tempfile::Builder::new().prefix("action-packing-").tempdir_in(&tmp).expect("a temp dir");
    let root = work.path().join(format!("ecship-{}", target()));
    std::fs::create_dir_all(&root).expect("the archive's root");
    std::fs::copy(&binary, root.join("ecship")).expect("copy the binary");
    std::fs::copy(crate::common::root().join("README.md"), root.join("README.md")).expect("copy the README");
    let out = work.path().join("out");
    std::fs::create_dir_all(&out).expect("out");
    let archive = out.join(archive_name());
    let status = Command::new("tar")
        .arg("-cJf")
        .arg(&archive)
        .arg("-C")
        .arg(work.path())
        .arg(format!("ecship-{}", target()))
        .env("XZ_OPT", "-0 -T1")
        .status()
        .expect("tar runs");
    assert!(status.success(), "tar -cJf {}", archive.display());
    write_checksum(&archive);
    // Another run of the tests may have packed it first: theirs is as good.
    if std::fs::rename(&out, &done).is_err() {
        assert!(done.join(archive_name()).is_file(), "packed into {}", done.display());
    }
    // Archives of earlier builds.
    for old in std::fs::read_dir(&tmp).expect("target/tmp").flatten() {
        if old.file_name().to_string_lossy().starts_with("action-release-") && old.path() != done {
            let _ = std::fs::remove_dir_all(old.path());
        }
    }
    done
}

/// `HEX *FILE\n` beside the file, as cargo-dist writes it.
pub fn write_checksum(file: &Path) {
    let bytes = std::fs::read(file).expect("read the archive");
    let name = file.file_name().expect("a file name").to_string_lossy();
    std::fs::write(format!("{}.sha256", file.display()), format!("{:x} *{name}\n", Sha256::digest(&bytes))).expect("write the checksum");
}

/// A release server, stopped when dropped.
pub struct Releases {
    pub url: String,
    pub dir: tempfile::TempDir,
    requests: Arc<Mutex<Vec<String>>>,
    port: u16,
}

impl Releases {
    /// Serving the test's binary as release `tag`, which is also the latest.
    pub fn start(tag: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let packed = packed();
        for at in [format!("download/{tag}"), "latest/download".to_string()] {
            let to = dir.path().join(at);
            std::fs::create_dir_all(&to).expect("a release dir");
            for file in [archive_name(), format!("{}.sha256", archive_name())] {
                std::fs::hard_link(packed.join(&file), to.join(&file))
                    .or_else(|_| std::fs::copy(packed.join(&file), to.join(&file)).map(|_| ()))
                    .expect("place a release file");
            }
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (root, seen) = (dir.path().to_path_buf(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if serve(stream, &root, &seen).is_none() {
                    break;
                }
            }
        });
        Self { url: format!("http://127.0.0.1:{port}"), dir, requests, port }
    }

    /// The paths asked so far, in order, and forgotten.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.requests.lock().expect("the request log"))
    }
}

impl Drop for Releases {
    fn drop(&mut self) {
        // A request for /stop ends the accept loop.
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = s.write_all(b"GET /stop HTTP/1.0\r\n\r\n");
        }
    }
}

/// One GET answered with the file under `root`, or 404. `None` when asked to stop.
fn serve(stream: TcpStream, root: &Path, seen: &Mutex<Vec<String>>) -> Option<()> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    if path == "/stop" {
        return None;
    }
    seen.lock().ok()?.push(path.clone());
    let file = root.join(path.trim_start_matches('/'));
    let safe = !path.split('/').any(|p| p == "..");
    let mut stream = stream;
    match std::fs::read(&file).ok().filter(|_| safe && file.is_file()) {
        Some(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
        }
        None => {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nNot Found");
        }
    }
    Some(())
}

//! Writing OCI image layouts without Docker: one uncompressed tar layer per file, a config,
//! a manifest and index.json — a valid image a registry takes and a runtime could run.

#![allow(dead_code)]

use std::path::Path;

use sha2::{Digest, Sha256};

fn blob(dir: &Path, bytes: &[u8]) -> (String, usize) {
    let hex = format!("{:x}", Sha256::digest(bytes));
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir blobs");
    std::fs::write(dir.join("blobs/sha256").join(&hex), bytes).expect("write a blob");
    (format!("sha256:{hex}"), bytes.len())
}

/// A tar holding one file.
pub fn layer(name: &str, content: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o755);
    h.set_cksum();
    b.append_data(&mut h, name, content).expect("append to the tar");
    b.into_inner().expect("finish the tar")
}

/// Write a layout with one layer per `(path, content)`; returns the manifest's digest and
/// the digests of its blobs (config first).
pub fn write_layout(dir: &Path, files: &[(&str, Vec<u8>)]) -> (String, Vec<String>) {
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    for (name, content) in files {
        let tar = layer(name, content);
        diff_ids.push(format!("sha256:{:x}", Sha256::digest(&tar)));
        let (digest, size) = blob(dir, &tar);
        layers.push(serde_json::json!({ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": size }));
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": { "Cmd": [format!("/{}", files.first().map_or("app", |f| f.0))] },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    });
    let (config_digest, config_size) = blob(dir, config.to_string().as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size },
        "layers": layers,
    });
    let (digest, size) = blob(dir, manifest.to_string().as_bytes());
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": [
        { "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size }
    ]});
    std::fs::write(dir.join("index.json"), index.to_string()).expect("write index.json");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("write oci-layout");
    let mut blobs = vec![config_digest];
    blobs.extend(layers.iter().map(|l| l["digest"].as_str().unwrap_or_default().to_string()));
    (digest, blobs)
}

/// Tar a layout directory into an OCI archive.
pub fn write_archive(layout: &Path, archive: &Path) {
    let file = std::fs::File::create(archive).expect("create the archive");
    let mut b = tar::Builder::new(file);
    b.append_dir_all(".", layout).expect("tar the layout");
    b.finish().expect("finish the archive");
}

/// `n` bytes that do not compress (xorshift64*, seeded).
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(n);
    out
}

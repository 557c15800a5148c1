//! Local images: an OCI image layout directory, a tar of one (`docker save` from Docker 25
//! on, `buildah push … oci-archive:`), or a classic `docker save` tar. Reading one gives the
//! manifests byte for byte (their sha256 is the image's digest) and where each blob lives.
//! Layers are never read into memory: a blob is a file, or a byte range of the tar.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

/// Manifests and indexes larger than this are refused (registries cap them at 4 MiB).
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct LayoutError {
    pub path: String,
    pub message: String,
}

/// An image ready to push.
#[derive(Debug, Clone)]
pub struct LocalImage {
    /// The top manifest: an image manifest, or an index of them.
    pub manifest: Manifest,
    /// An index's image manifests, pushed (by digest) before it.
    pub children: Vec<Manifest>,
    /// Every blob the manifests name (configs and layers), each once.
    pub blobs: Vec<Blob>,
    /// The CPU architectures it holds images for (`amd64`, `arm64`), as its configs or its
    /// index say; empty when they do not say.
    pub architectures: Vec<String>,
}

impl LocalImage {
    pub fn digest(&self) -> &str {
        &self.manifest.digest
    }

    pub fn size(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub media_type: String,
    pub digest: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
    /// The file holding the blob, and where in it the blob starts.
    pub path: PathBuf,
    pub offset: u64,
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Read an OCI layout directory.
pub fn read_dir(dir: &Path) -> Result<LocalImage, LayoutError> {
    let store = Store::Dir(dir.to_path_buf());
    if !dir.join("index.json").is_file() {
        return Err(store.error(format!(
            "not an OCI image layout (no index.json){}",
            if dir.exists() { "" } else { ": the directory does not exist" }
        )));
    }
    read_layout(&store)
}

/// Read an image archive: a tar of an OCI layout, or a classic `docker save` tar.
pub fn read_archive(path: &Path) -> Result<LocalImage, LayoutError> {
    let store = Store::tar(path)?;
    if store.has("index.json") {
        read_layout(&store)
    } else if store.has("manifest.json") {
        read_docker_save(&store)
    } else {
        Err(store.error("neither an OCI archive (index.json) nor a `docker save` archive (manifest.json)".into()))
    }
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    platform: Option<Platform>,
}

#[derive(Deserialize)]
struct Index {
    manifests: Vec<Descriptor>,
}

/// The part of an image config (or an index entry's `platform`) that names its CPU.
#[derive(Deserialize)]
struct Platform {
    #[serde(default)]
    architecture: String,
}

#[derive(Deserialize)]
struct ImageManifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

fn read_layout(store: &Store) -> Result<LocalImage, LayoutError> {
    let index_bytes = store.read_file("index.json")?;
    let index: Index = serde_json::from_slice(&index_bytes).map_err(|e| store.error(format!("index.json is not an OCI index: {e}")))?;
    let entry = match index.manifests.as_slice() {
        [one] => one,
        [] => return Err(store.error("index.json lists no image".into())),
        many => {
            let refs: Vec<&str> = many
                .iter()
                .map(|d| d.annotations.get("org.opencontainers.image.ref.name").map_or(d.digest.as_str(), String::as_str))
                .collect();
            return Err(store.error(format!(
                "the layout holds {} images ({}); ecship pushes a layout of exactly one",
                many.len(),
                refs.join(", ")
            )));
        }
    };
    let manifest = store.manifest(entry)?;
    let mut image = LocalImage { manifest, children: Vec::new(), blobs: Vec::new(), architectures: Vec::new() };
    if matches!(image.manifest.media_type.as_str(), OCI_INDEX | DOCKER_LIST) {
        let list: Index =
            serde_json::from_slice(&image.manifest.bytes).map_err(|e| store.error(format!("{} is not an index: {e}", entry.digest)))?;
        for child in &list.manifests {
            let m = store.manifest(child)?;
            let arch = image_blobs(store, &m, &mut image.blobs)?;
            image.architectures.extend(child.platform.as_ref().map(|p| p.architecture.clone()).or(arch));
            image.children.push(m);
        }
    } else {
        let top = image.manifest.clone();
        image.architectures.extend(image_blobs(store, &top, &mut image.blobs)?);
    }
    image.architectures.retain(|a| !a.is_empty());
    image.architectures.sort();
    image.architectures.dedup();
    Ok(image)
}

/// Add an image manifest's blobs; returns the architecture its config names.
fn image_blobs(store: &Store, m: &Manifest, blobs: &mut Vec<Blob>) -> Result<Option<String>, LayoutError> {
    if !matches!(m.media_type.as_str(), OCI_MANIFEST | DOCKER_MANIFEST) {
        return Err(store.error(format!("{} has media type `{}`, not an image manifest", m.digest, m.media_type)));
    }
    let parsed: ImageManifest =
        serde_json::from_slice(&m.bytes).map_err(|e| store.error(format!("{} is not an image manifest: {e}", m.digest)))?;
    for d in std::iter::once(&parsed.config).chain(&parsed.layers) {
        if blobs.iter().any(|b| b.digest == d.digest) {
            continue;
        }
        blobs.push(store.blob(&d.digest, d.size)?);
    }
    let config = store.read_file(&store.blob_name(&parsed.config.digest)?)?;
    Ok(serde_json::from_slice::<Platform>(&config).ok().map(|p| p.architecture))
}

/// A classic `docker save` tar: a config file and uncompressed layer tars, with no manifest
/// of the registry's kind. ecship writes an OCI manifest for it (layers stay uncompressed).
fn read_docker_save(store: &Store) -> Result<LocalImage, LayoutError> {
    #[derive(Deserialize)]
    struct Entry {
        #[serde(rename = "Config")]
        config: String,
        #[serde(rename = "Layers")]
        layers: Vec<String>,
    }
    let entries: Vec<Entry> = serde_json::from_slice(&store.read_file("manifest.json")?)
        .map_err(|e| store.error(format!("manifest.json is not a `docker save` manifest: {e}")))?;
    let [entry] = entries.as_slice() else {
        return Err(store.error(format!("the archive holds {} images; ecship pushes an archive of exactly one", entries.len())));
    };
    let config = store.read_file(&entry.config)?;
    let architectures =
        serde_json::from_slice::<Platform>(&config).ok().map(|p| p.architecture).into_iter().filter(|a| !a.is_empty()).collect();
    let config_blob = store.hashed(&entry.config)?;
    let mut layers = Vec::new();
    let mut blobs = vec![config_blob.clone()];
    for name in &entry.layers {
        let blob = store.hashed(name)?;
        layers.push(serde_json::json!({ "mediaType": OCI_LAYER_TAR, "digest": blob.digest, "size": blob.size }));
        if !blobs.iter().any(|b| b.digest == blob.digest) {
            blobs.push(blob);
        }
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": config_blob.digest, "size": config.len() },
        "layers": layers,
    });
    let bytes = serde_json::to_vec(&manifest).map_err(|e| store.error(e.to_string()))?;
    Ok(LocalImage {
        manifest: Manifest { media_type: OCI_MANIFEST.into(), digest: sha256_digest(&bytes), bytes },
        children: Vec::new(),
        blobs,
        architectures,
    })
}

/// A tar entry's path without `./` and `..` parts.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Where a layout's files are: a directory, or entries of a tar (name → offset and size).
enum Store {
    Dir(PathBuf),
    Tar { path: PathBuf, entries: BTreeMap<String, (u64, u64)> },
}

impl Store {
    fn tar(path: &Path) -> Result<Store, LayoutError> {
        let err = |m: String| LayoutError { path: path.display().to_string(), message: m };
        let file = File::open(path).map_err(|e| err(format!("cannot open the archive: {e}")))?;
        let mut archive = tar::Archive::new(file);
        let mut entries = BTreeMap::new();
        let mut links = Vec::new();
        for entry in archive.entries_with_seek().map_err(|e| err(format!("not a tar archive: {e}")))? {
            let entry = entry.map_err(|e| err(format!("a damaged tar archive: {e}")))?;
            let name = clean(&entry.path().map_err(|e| err(format!("a tar entry with a bad name: {e}")))?.to_string_lossy());
            let kind = entry.header().entry_type();
            if kind.is_file() || kind == tar::EntryType::Continuous {
                entries.insert(name, (entry.raw_file_position(), entry.size()));
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry.link_name().ok().flatten().map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
                // A symlink is relative to its own directory; a hard link names an entry.
                let target = match (kind.is_symlink(), name.rsplit_once('/')) {
                    (true, Some((dir, _))) if !target.starts_with('/') => clean(&format!("{dir}/{target}")),
                    _ => clean(&target),
                };
                links.push((name, target));
            }
        }
        // Links point at other entries (`docker save` links repeated layers), maybe via links.
        for _ in 0..8 {
            for (name, target) in &links {
                if let Some(found) = entries.get(target).copied() {
                    entries.entry(name.clone()).or_insert(found);
                }
            }
        }
        Ok(Store::Tar { path: path.to_path_buf(), entries })
    }

    fn error(&self, message: String) -> LayoutError {
        let path = match self {
            Store::Dir(p) | Store::Tar { path: p, .. } => p.display().to_string(),
        };
        LayoutError { path, message }
    }

    fn has(&self, name: &str) -> bool {
        match self {
            Store::Dir(dir) => dir.join(name).is_file(),
            Store::Tar { entries, .. } => entries.contains_key(name),
        }
    }

    /// A file's path, offset and size.
    fn locate(&self, name: &str) -> Result<(PathBuf, u64, u64), LayoutError> {
        match self {
            Store::Dir(dir) => {
                let path = dir.join(name);
                let len = std::fs::metadata(&path).map_err(|e| self.error(format!("cannot read {name}: {e}")))?.len();
                Ok((path, 0, len))
            }
            Store::Tar { path, entries } => {
                let (offset, size) = entries.get(name).ok_or_else(|| self.error(format!("the archive has no {name}")))?;
                Ok((path.clone(), *offset, *size))
            }
        }
    }

    fn reader(&self, name: &str) -> Result<(std::io::Take<File>, u64), LayoutError> {
        let (path, offset, size) = self.locate(name)?;
        let mut file = File::open(&path).map_err(|e| self.error(format!("cannot read {name}: {e}")))?;
        file.seek(SeekFrom::Start(offset)).map_err(|e| self.error(format!("cannot read {name}: {e}")))?;
        Ok((file.take(size), size))
    }

    /// A small file, whole (manifests, indexes, configs).
    fn read_file(&self, name: &str) -> Result<Vec<u8>, LayoutError> {
        let (mut reader, size) = self.reader(name)?;
        if size > MAX_MANIFEST_BYTES {
            return Err(self.error(format!("{name} is {size} bytes; manifests and configs over 4 MiB are refused")));
        }
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|e| self.error(format!("cannot read {name}: {e}")))?;
        Ok(bytes)
    }

    /// A file as a blob, its digest computed by reading it once.
    fn hashed(&self, name: &str) -> Result<Blob, LayoutError> {
        let (path, offset, _) = self.locate(name)?;
        let (mut reader, size) = self.reader(name)?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut reader, &mut hasher).map_err(|e| self.error(format!("cannot read {name}: {e}")))?;
        Ok(Blob { digest: format!("sha256:{:x}", hasher.finalize()), size, path, offset })
    }

    fn blob_name(&self, digest: &str) -> Result<String, LayoutError> {
        match digest.strip_prefix("sha256:") {
            Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) => {
                Ok(format!("blobs/sha256/{hex}"))
            }
            _ => Err(self.error(format!("`{digest}` is not a sha256 digest"))),
        }
    }

    /// A manifest named by a descriptor, its bytes checked against the digest.
    fn manifest(&self, d: &Descriptor) -> Result<Manifest, LayoutError> {
        let bytes = self.read_file(&self.blob_name(&d.digest)?)?;
        if sha256_digest(&bytes) != d.digest {
            return Err(self.error(format!("the manifest {} does not match its digest: the layout is damaged", d.digest)));
        }
        let media_type = if d.media_type.is_empty() {
            // The manifest names its own type when the descriptor does not.
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v["mediaType"].as_str().map(str::to_string))
                .unwrap_or_else(|| OCI_MANIFEST.into())
        } else {
            d.media_type.clone()
        };
        Ok(Manifest { media_type, digest: d.digest.clone(), bytes })
    }

    fn blob(&self, digest: &str, size: u64) -> Result<Blob, LayoutError> {
        let name = self.blob_name(digest)?;
        let (path, offset, actual) =
            self.locate(&name).map_err(|_| self.error(format!("the blob {digest} is missing: the layout is incomplete")))?;
        if actual != size {
            return Err(self.error(format!("the blob {digest} is {actual} bytes, the manifest says {size}: the layout is damaged")));
        }
        Ok(Blob { digest: digest.to_string(), size, path, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dir: &Path, bytes: &[u8]) -> (String, usize) {
        let digest = sha256_digest(bytes);
        std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir");
        std::fs::write(dir.join("blobs/sha256").join(&digest[7..]), bytes).expect("write");
        (digest, bytes.len())
    }

    /// A layout of one image with one layer; returns the manifest digest.
    fn layout(dir: &Path) -> String {
        let (layer, layer_size) = put(dir, b"layer bytes");
        let (config, config_size) = put(dir, br#"{"os":"linux"}"#);
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": { "mediaType": OCI_CONFIG, "digest": config, "size": config_size },
            "layers": [ { "mediaType": OCI_LAYER_TAR, "digest": layer, "size": layer_size } ],
        });
        let (digest, size) = put(dir, manifest.to_string().as_bytes());
        let index =
            serde_json::json!({ "schemaVersion": 2, "manifests": [ { "mediaType": OCI_MANIFEST, "digest": digest, "size": size } ] });
        std::fs::write(dir.join("index.json"), index.to_string()).expect("write");
        digest
    }

    #[test]
    fn the_architectures_come_from_the_configs_or_the_index() {
        let dir = tempfile::tempdir().expect("dir");
        layout(dir.path());
        assert!(read_dir(dir.path()).expect("layout").architectures.is_empty(), "a config without one says nothing");

        let dir = tempfile::tempdir().expect("dir");
        let mut entries = Vec::new();
        for arch in ["arm64", "amd64"] {
            let (config, config_size) = put(dir.path(), format!(r#"{{"os":"linux","architecture":"{arch}"}}"#).as_bytes());
            let manifest = serde_json::json!({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": { "mediaType": OCI_CONFIG, "digest": config, "size": config_size }, "layers": [],
            });
            let (digest, size) = put(dir.path(), manifest.to_string().as_bytes());
            entries.push(serde_json::json!({ "mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                "platform": { "architecture": arch, "os": "linux" } }));
        }
        let list = serde_json::json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries });
        let (digest, size) = put(dir.path(), list.to_string().as_bytes());
        let index = serde_json::json!({ "schemaVersion": 2, "manifests": [ { "mediaType": OCI_INDEX, "digest": digest, "size": size } ] });
        std::fs::write(dir.path().join("index.json"), index.to_string()).expect("write");
        assert_eq!(read_dir(dir.path()).expect("index").architectures, ["amd64", "arm64"]);
    }

    #[test]
    fn a_layout_gives_its_manifest_digest_and_blobs() {
        let dir = tempfile::tempdir().expect("dir");
        let digest = layout(dir.path());
        let image = read_dir(dir.path()).expect("a valid layout");
        assert_eq!(image.digest(), digest);
        assert_eq!(sha256_digest(&image.manifest.bytes), digest, "the manifest is kept byte for byte");
        assert_eq!(image.blobs.len(), 2);
        assert_eq!(image.size(), 11 + 14);
    }

    #[test]
    fn broken_layouts_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("dir");
        let err = read_dir(&dir.path().join("nope")).expect_err("no layout");
        assert!(err.to_string().contains("does not exist"), "{err}");

        let digest = layout(dir.path());
        let config = sha256_digest(br#"{"os":"linux"}"#);
        std::fs::write(dir.path().join("blobs/sha256").join(&config[7..]), b"{}").expect("truncate");
        let err = read_dir(dir.path()).expect_err("a blob of the wrong size");
        assert!(err.to_string().contains("the layout is damaged"), "{err}");

        std::fs::remove_file(dir.path().join("blobs/sha256").join(&config[7..])).expect("rm");
        let err = read_dir(dir.path()).expect_err("a missing blob");
        assert!(err.to_string().contains("is missing"), "{err}");

        std::fs::write(dir.path().join("blobs/sha256").join(&digest[7..]), b"{\"tampered\":1}").expect("tamper");
        let err = read_dir(dir.path()).expect_err("a manifest that does not match its digest");
        assert!(err.to_string().contains("does not match its digest"), "{err}");

        let two = serde_json::json!({ "schemaVersion": 2, "manifests": [
            { "mediaType": OCI_MANIFEST, "digest": digest, "size": 1, "annotations": { "org.opencontainers.image.ref.name": "a" } },
            { "mediaType": OCI_MANIFEST, "digest": digest, "size": 1, "annotations": { "org.opencontainers.image.ref.name": "b" } },
        ]});
        std::fs::write(dir.path().join("index.json"), two.to_string()).expect("write");
        let err = read_dir(dir.path()).expect_err("two images");
        assert!(err.to_string().contains("holds 2 images (a, b)"), "{err}");
    }

    /// A tar of regular files, still open for more entries.
    fn tar_of(files: &[(&str, Vec<u8>)]) -> tar::Builder<Vec<u8>> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, data.as_slice()).expect("append");
        }
        b
    }

    #[test]
    fn a_docker_save_archive_becomes_an_oci_manifest_over_ranges_of_the_tar() {
        let dir = tempfile::tempdir().expect("dir");
        let config = br#"{"architecture":"amd64","os":"linux"}"#;
        let layer = b"pretend this is a layer tar".repeat(100);
        let b = tar_of(&[
            ("manifest.json", br#"[{"Config":"abc.json","RepoTags":["app:1"],"Layers":["l1/layer.tar"]}]"#.to_vec()),
            ("abc.json", config.to_vec()),
            ("l1/layer.tar", layer.clone()),
        ]);
        let path = dir.path().join("app.tar");
        std::fs::write(&path, b.into_inner().expect("tar")).expect("write");
        let image = read_archive(&path).expect("a docker save archive");
        let manifest: serde_json::Value = serde_json::from_slice(&image.manifest.bytes).expect("json");
        assert_eq!(manifest["layers"][0]["digest"], sha256_digest(&layer));
        assert_eq!(manifest["layers"][0]["mediaType"], OCI_LAYER_TAR);
        assert_eq!(manifest["config"]["digest"], sha256_digest(config));
        // Each blob is a byte range of the tar: read it back.
        let blob = image.blobs.iter().find(|b| b.digest == sha256_digest(&layer)).expect("the layer");
        let all = std::fs::read(&path).expect("read");
        let start = usize::try_from(blob.offset).expect("offset");
        assert_eq!(&all[start..start + layer.len()], layer.as_slice());

        // A repeated layer is a symlink to the first one: it is the same blob, not an empty one.
        let mut b = tar_of(&[
            ("manifest.json", br#"[{"Config":"abc.json","RepoTags":["app:1"],"Layers":["l1/layer.tar","l2/layer.tar"]}]"#.to_vec()),
            ("abc.json", config.to_vec()),
            ("l1/layer.tar", layer.clone()),
        ]);
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "l2/layer.tar", "../l1/layer.tar").expect("link");
        let linked = dir.path().join("linked.tar");
        std::fs::write(&linked, b.into_inner().expect("tar")).expect("write");
        let image = read_archive(&linked).expect("an archive with a linked layer");
        let manifest: serde_json::Value = serde_json::from_slice(&image.manifest.bytes).expect("json");
        assert_eq!(manifest["layers"][1]["digest"], sha256_digest(&layer));
        assert_eq!(image.blobs.len(), 2, "config and the one layer");

        std::fs::write(dir.path().join("junk.tar"), b"not a tar at all").expect("write");
        let err = read_archive(&dir.path().join("junk.tar")).expect_err("junk");
        assert!(err.to_string().contains("junk.tar"), "{err}");
    }
}

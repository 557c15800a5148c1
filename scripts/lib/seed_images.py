"""Push a small multi-platform image (linux/amd64 and linux/arm64) under each REPO:TAG given,
to a local registry that demands ECR's Basic login: the images a benchmark's specs name by
tag, so that `plan` can pin each to a digest. Each tag is an image of its own.

Usage: python scripts/lib/seed_images.py REGISTRY_URL REPO:TAG...
"""

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.error
import urllib.request

AUTH = "Basic " + base64.b64encode(b"AWS:123456789012-auth-token").decode()
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method: str, url: str, body: bytes = b"", content_type: str = "") -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body if method in ("POST", "PUT") else None, method=method)
    req.add_header("Authorization", AUTH)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)


def image(tag: str) -> tuple[list[bytes], list[bytes], bytes]:
    content = f"hello from a benchmark image, version {tag}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("hello")
        info.size = len(content)
        t.addfile(info, io.BytesIO(content))
    layer = buf.getvalue()
    blobs, manifests, entries = [layer], [], []
    for arch in ("amd64", "arm64"):
        config = json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": [digest(layer)]}}).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(layer), "size": len(layer)}],
        }).encode()
        blobs.append(config)
        manifests.append(manifest)
        entries.append({"mediaType": OCI_MANIFEST, "digest": digest(manifest), "size": len(manifest), "platform": {"architecture": arch, "os": "linux"}})
    return blobs, manifests, json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()


def push_blob(base: str, repo: str, blob: bytes) -> None:
    d = digest(blob)
    if request("HEAD", f"{base}/v2/{repo}/blobs/{d}")[0] == 200:
        return
    status, headers = request("POST", f"{base}/v2/{repo}/blobs/uploads/")
    if status != 202:
        sys.exit(f"seed_images: starting an upload to {repo}: HTTP {status}")
    location = headers.get("Location", "")
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    status, _ = request("PUT", f"{location}{sep}digest={d}", blob, "application/octet-stream")
    if status != 201:
        sys.exit(f"seed_images: uploading {d} to {repo}: HTTP {status}")


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit("usage: seed_images.py REGISTRY_URL REPO:TAG...")
    base, refs = sys.argv[1].rstrip("/"), sys.argv[2:]
    built = {}
    for ref in refs:
        repo, tag = ref.rsplit(":", 1)
        blobs, manifests, index = built.setdefault(tag, image(tag))
        for blob in blobs:
            push_blob(base, repo, blob)
        for m in manifests:
            request("PUT", f"{base}/v2/{repo}/manifests/{digest(m)}", m, OCI_MANIFEST)
        status, _ = request("PUT", f"{base}/v2/{repo}/manifests/{tag}", index, OCI_INDEX)
        if status != 201:
            sys.exit(f"seed_images: tagging {ref}: HTTP {status}")


if __name__ == "__main__":
    main()

"""Write an OCI image layout of random layers: `oci-layout.py DIR LAYERS MIB_PER_LAYER`.

Each layer is a gzip'd tar holding one file of random bytes (so the gzip cannot shrink it):
the shape of a real image's layers, for pushing benchmarks.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def main():
    root, layers, mib = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    descriptors, diff_ids = [], []
    for i in range(layers):
        content = os.urandom(int(mib * 1024 * 1024))
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(f"layer{i}.bin")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        raw = buf.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        d = blob(root, gzip.compress(raw, compresslevel=1, mtime=0))
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **d})
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/layer0.bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(root, config)},
        "layers": descriptors,
    }).encode()
    m = blob(root, manifest)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
        "annotations": {"org.opencontainers.image.ref.name": "latest"},
    }]}
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(m["digest"])


main()

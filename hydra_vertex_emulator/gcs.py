"""gs:// URIs <-> the local storage folder, and copies of artifacts to a GCS emulator.

`gs://bucket/a/b` lives at `<storage_dir>/bucket/a/b`: the folder Vertex mounts as /gcs/bucket/a/b.
Vertex's containers see Cloud Storage at /gcs/ (Cloud Storage FUSE); the emulator's components see
the storage folder instead: a parameter value `/gcs/bucket/a` becomes `<storage_dir>/bucket/a`.
Every such path is confined to the storage folder (storage_paths.py).
"""

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from google.api_core.exceptions import Conflict
from google.auth.credentials import AnonymousCredentials
from google.cloud.storage import Bucket, Client

from hydra_vertex_pipelines.vertex_facts import GS, split_gs_uri

from .storage_paths import mount_path, uri_path

log = logging.getLogger(__name__)


def local_path(storage_dir: Path, uri: str) -> Path:
    """Where a gs:// URI lives on this machine (inside the storage folder, else ValueError)."""
    return uri_path(storage_dir, uri)


def check_storage_dir(storage_dir: Path) -> None:
    """The storage folder stands in for Vertex's /gcs/ in the paths that components get in their
    args, which may quote them (as the launcher does): like /gcs/, it cannot hold a quote."""
    text = str(storage_dir)
    if any(c in text for c in "'\"") or "${" in text:
        raise ValueError(
            f"storage dir {text!r}: components see it where Vertex AI has /gcs/, so it cannot "
            "hold a quote or '${'; choose another folder"
        )


def gcs_uri(storage_dir: Path, path: Path) -> str:
    """The gs:// URI of a path under the storage folder."""
    return GS + path.relative_to(storage_dir).as_posix()


def mounted_values(storage_dir: Path, values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as the job's components see them: /gcs/<bucket>/<path> is the folder of
    gs://<bucket>/<path>, as under Vertex's Cloud Storage mount."""
    mounted = dict(values)
    for name, value in values.items():
        path = mount_path(storage_dir, value) if isinstance(value, str) else None
        if path is not None:
            mounted[name] = str(path)
    return mounted


class GcsUploader:
    """Copies output artifacts to a GCS (emulator) endpoint under their gs:// URIs."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._client = Client(
            project="hydra-vertex-emulator",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": endpoint},
        )
        self._lock = threading.Lock()
        self._buckets: set[str] = set()

    def _ensure_bucket(self, name: str) -> Bucket:
        with self._lock:
            if name not in self._buckets:
                if self._client.lookup_bucket(name) is None:
                    try:
                        self._client.create_bucket(name)
                        log.info(f"Created bucket gs://{name} at {self.endpoint}")
                    except Conflict:
                        pass  # created meanwhile by another client of the endpoint
                self._buckets.add(name)
            return self._client.bucket(name)

    def upload(self, uri: str, path: Path, modified_since: float | None = None) -> int:
        """Upload the file, or the folder's files recursively (those modified since a time,
        when given); returns the number of objects."""
        bucket_name, prefix = split_gs_uri(uri)
        bucket = self._ensure_bucket(bucket_name)
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        if modified_since is not None:
            files = [f for f in files if f.stat().st_mtime >= modified_since]
        for file in files:
            relative = "" if file == path else file.relative_to(path).as_posix()
            name = "/".join(part for part in (prefix, relative) if part)
            bucket.blob(name).upload_from_filename(str(file))
        return len(files)

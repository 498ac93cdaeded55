"""Copies of Cloud Storage folders into local dirs (a job's Hydra output: logs, .hydra/); a copy
never fails a sweep: whatever goes wrong is one warning per job.

Which Cloud Storage: the storage emulator named by STORAGE_EMULATOR_HOST when it is set (no
credentials); none when Vertex AI is a plain-http endpoint (an emulator) without one, so that an
offline sweep never reaches for Application Default Credentials or Google's endpoints; Cloud
Storage with ADC otherwise.
"""

import logging
import os
import threading
from pathlib import Path, PurePosixPath

from google.auth.credentials import AnonymousCredentials
from google.cloud.storage import Client as StorageClient

from ...vertex_facts import split_gs_uri

log = logging.getLogger(__name__)

# google-cloud-storage's own variable for its emulator
STORAGE_EMULATOR_ENV = "STORAGE_EMULATOR_HOST"


def download_folder(client: StorageClient, uri: str, dest: Path) -> int:
    """Copy every object under the gs:// folder `uri` into `dest`; returns how many. Object names
    that would land outside `dest` are skipped."""
    bucket, folder = split_gs_uri(uri)
    prefix = f"{folder}/" if folder else ""
    count = 0
    for blob in client.list_blobs(bucket, prefix=prefix):
        relative = PurePosixPath(blob.name[len(prefix) :])
        if not relative.parts or ".." in relative.parts or blob.name.endswith("/"):
            continue
        target = dest.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        blob.download_to_filename(str(target))
        count += 1
    return count


class OutputCopier:
    """Copies Hydra output dirs back for one sweep, from any thread."""

    def __init__(self, project: str, api_endpoint: str | None) -> None:
        self.client: StorageClient | None = None
        self._why_not: str | None = None
        self._lock = threading.Lock()
        emulator = os.environ.get(STORAGE_EMULATOR_ENV)
        if not emulator and (api_endpoint or "").startswith("http://"):
            self._why_not = (
                f"Vertex AI is the plain-http endpoint {api_endpoint} and {STORAGE_EMULATOR_ENV} "
                "is not set: set it to the storage emulator's endpoint to copy them"
            )
            return
        try:
            credentials = AnonymousCredentials() if emulator else None  # type: ignore[no-untyped-call]
            self.client = StorageClient(project=project, credentials=credentials)
        except Exception as e:  # no ADC, unreadable credentials file, ...
            self._why_not = f"no Cloud Storage client ({type(e).__name__}: {e})"

    def copy(self, uri: str, dest: Path, label: str) -> bool:
        """Whether the folder was copied; why not is a warning (once per sweep without a
        client)."""
        if self.client is None:
            with self._lock:
                why, self._why_not = self._why_not, None
            if why is not None:  # said once per sweep
                log.warning(f"Hydra outputs are not copied back: {why}")
            return False
        try:
            download_folder(self.client, uri, dest)
        except Exception as e:  # credentials, network, RetryError, permissions: never fatal
            log.warning(f"{label}: Hydra output not copied from {uri}: {type(e).__name__}: {e}")
            return False
        return True

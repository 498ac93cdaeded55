"""Copies of Cloud Storage folders into local dirs (a job's Hydra output: logs, .hydra).

google-cloud-storage talks to the storage emulator named by STORAGE_EMULATOR_HOST when it is set,
without credentials; to Cloud Storage with ADC otherwise.
"""

from pathlib import Path, PurePosixPath

from google.cloud.storage import Client as StorageClient

from ...vertex_facts import split_gs_uri


def storage_client(project: str) -> StorageClient:
    return StorageClient(project=project)


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

"""Beside gcp-storage-emulator: output artifacts are uploaded under their gs:// URIs and read back
through the GCS JSON API with google-cloud-storage."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_helpers import Pipeline, tasks_by_name, wait_done
from gcp_storage_emulator.server import create_server
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform_v1.types import PipelineState
from google.cloud.storage import Client

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def gcs_endpoint() -> Iterator[str]:
    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def vertex_emulator_config(tmp_path: Path, gcs_endpoint: str) -> EmulatorConfig:
    return EmulatorConfig(
        port=0, storage_dir=tmp_path / "vertex-storage", gcs_endpoint=gcs_endpoint
    )


def test_artifacts_are_uploaded(
    vertex_aiplatform: Emulator, pipeline: Pipeline, gcs_endpoint: str
) -> None:
    job = pipeline.job("uploads")
    job.submit()
    assert wait_done(job) == PipelineState.PIPELINE_STATE_SUCCEEDED
    tasks = tasks_by_name(job)
    dataset = tasks["prep"].outputs["dataset"].artifacts[0].uri
    hydra_output = tasks["train"].outputs["hydra_output"].artifacts[0].uri

    client = Client(
        project="reader",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": gcs_endpoint},
    )
    bucket_name, _, prefix = dataset.removeprefix("gs://").partition("/")
    bucket = client.bucket(bucket_name)
    assert bucket.blob(f"{prefix}/data.txt").download_as_text() == "n=3"
    _, _, run_prefix = hydra_output.removeprefix("gs://").partition("/")
    names = [blob.name for blob in client.list_blobs(bucket_name, prefix=run_prefix)]
    assert names == [f"{run_prefix}/main.log"]

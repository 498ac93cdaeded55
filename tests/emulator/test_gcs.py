"""Beside gcp-storage-emulator: output artifacts are uploaded under their gs:// URIs, and what a
task writes under a /gcs/ path under its gs:// URI (as through Vertex's Cloud Storage mount);
read back through the GCS JSON API with google-cloud-storage."""

from pathlib import Path

import pytest
from emulator_helpers import RUN_DIR_URI, Pipeline, tasks_by_name, wait_done
from google.auth.credentials import AnonymousCredentials
from google.cloud.storage import Client

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig
from hydra_vertex_pipelines.vertex_api import PipelineState


@pytest.fixture
def vertex_emulator_config(tmp_path: Path, gcs_emulator: str) -> EmulatorConfig:
    return EmulatorConfig(
        port=0, storage_dir=tmp_path / "vertex-storage", gcs_endpoint=gcs_emulator
    )


def test_artifacts_and_mounted_writes_are_uploaded(
    vertex_aiplatform: Emulator, pipeline: Pipeline, gcs_emulator: str
) -> None:
    job = pipeline.job("uploads")
    job.submit()
    assert wait_done(job) == PipelineState.PIPELINE_STATE_SUCCEEDED
    tasks = tasks_by_name(job)
    dataset = tasks["prep"].outputs["dataset"].artifacts[0].uri
    prep_output = tasks["prep"].outputs["hydra_output"].artifacts[0].uri

    client = Client(
        project="reader",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": gcs_emulator},
    )
    bucket_name, _, prefix = dataset.removeprefix("gs://").partition("/")
    bucket = client.bucket(bucket_name)
    assert bucket.blob(f"{prefix}/data.txt").download_as_text() == "n=3"
    _, _, prep_prefix = prep_output.removeprefix("gs://").partition("/")
    names = [blob.name for blob in client.list_blobs(bucket_name, prefix=prep_prefix)]
    assert names == [f"{prep_prefix}/main.log"]
    # train's hydra.run.dir is /gcs/<bucket>/<run dir>: the component wrote there
    _, _, run_prefix = RUN_DIR_URI.removeprefix("gs://").partition("/")
    names = [blob.name for blob in client.list_blobs(bucket_name, prefix=run_prefix)]
    assert names == [f"{run_prefix}/main.log"]


@pytest.mark.parametrize("name", ["it's", 'a "b"', "x${y}"])
def test_a_storage_dir_that_args_cannot_quote_is_refused(tmp_path: Path, name: str) -> None:
    """Components see the storage dir where Vertex has /gcs/, in args that quote paths."""
    with pytest.raises(ValueError, match="cannot hold a quote"):
        Emulator(EmulatorConfig(port=0, storage_dir=tmp_path / name))

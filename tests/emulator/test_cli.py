"""`python -m hydra_vertex_emulator`: serves until SIGTERM; bad settings exit with a usage error."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import requests
from emulator_helpers import Pipeline, poll
from google.auth.credentials import AnonymousCredentials

from hydra_vertex_emulator.names import parent_name
from hydra_vertex_emulator.storage_emulator import free_port
from hydra_vertex_pipelines.vertex_api import PipelineJob, PipelineServiceClient, PipelineState


def answers(client: PipelineServiceClient, parent: str) -> bool:
    try:
        list(client.list_pipeline_jobs(parent=parent))
    except requests.exceptions.ConnectionError:
        return False
    return True


def test_serves_until_terminated(pipeline: Pipeline, tmp_path: Path) -> None:
    port = free_port()
    storage = tmp_path / "storage"
    command = [sys.executable, "-m", "hydra_vertex_emulator", "--port", str(port)]
    command += ["--storage-dir", str(storage), "--max-parallel-jobs", "1", "--error-rate", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = PipelineServiceClient(
            transport="rest",
            client_options={"api_endpoint": endpoint},
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        )
        parent = parent_name("cli-project", "europe-west4")
        poll(lambda: answers(client, parent), "the emulator to answer")
        job = PipelineJob(
            display_name="cli",
            pipeline_spec=pipeline.template.spec,
            runtime_config=PipelineJob.RuntimeConfig(
                gcs_output_directory="gs://cli-bucket/root",
                parameter_values=pipeline.parameters(),
            ),
        )
        created = client.create_pipeline_job(parent=parent, pipeline_job=job, pipeline_job_id="c")
        poll(
            lambda: (
                client.get_pipeline_job(name=created.name).state
                == PipelineState.PIPELINE_STATE_SUCCEEDED
            ),
            "the job to succeed",
        )
        assert (storage / "cli-bucket" / "root").is_dir()
        with urllib.request.urlopen(f"{endpoint}/emulator/stats", timeout=10) as response:
            assert json.loads(response.read())["created"] == {"c": 1}
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert f"Vertex AI Pipelines emulator on http://127.0.0.1:{port}" in stderr


def test_bad_settings_are_usage_errors() -> None:
    command = [sys.executable, "-m", "hydra_vertex_emulator", "--port", "0"]
    done = subprocess.run(
        [*command, "--error-codes", "418"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "error_codes must be some of [403, 429, 500, 503, 504]" in done.stderr
    remote = subprocess.run(
        [*command, "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60
    )
    assert remote.returncode == 2
    assert "whoever reaches the emulator can run any command" in remote.stderr
    assert "--allow-remote" in remote.stderr

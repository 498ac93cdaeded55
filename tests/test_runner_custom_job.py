"""The LocalRunner and the emulator on custom-job tasks as google-cloud-pipeline-components
compiles them (not through the launcher): the CustomJob payload is filled in and parsed as Vertex
does, its container runs with its env, and a payload Vertex could not parse fails its task with
Vertex's message."""

import copy
import json
import time
from pathlib import Path
from typing import Any

import kfp.compiler
import yaml
from google.auth.credentials import AnonymousCredentials
from google_cloud_pipeline_components.v1.custom_job import (
    create_custom_training_job_from_component,
)
from kfp import dsl

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_pipelines.runner import (
    JobDirHandler,
    LocalRunner,
    MemoryTaskCache,
    PipelineOutcome,
    PipelineResult,
    RunSettings,
    TaskState,
)
from hydra_vertex_pipelines.runner.spec import component_of, dag_tasks
from hydra_vertex_pipelines.vertex_api import PipelineJob, PipelineServiceClient, PipelineState


@dsl.container_component
def write(text: str, out: dsl.Output[dsl.Artifact]) -> dsl.ContainerSpec:
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'mkdir -p "$1" && echo "$0 $MODE" >> "$1/written"'],
        args=[text, out.path],
    )


# GCPC's defaults (reserved_ip_ranges and psc_interface_config left without a value), Spot
write_job = create_custom_training_job_from_component(
    write,
    machine_type="n1-standard-4",
    accelerator_type="NVIDIA_TESLA_T4",
    strategy="SPOT",
    env=[{"name": "MODE", "value": "spot"}],
)


@dsl.pipeline(name="custom-job")
def one_custom_job(text: str) -> None:
    write_job(text=text).set_caching_options(True)


def compiled(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "pipeline.yaml"
    kfp.compiler.Compiler().compile(one_custom_job, str(path))
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    return spec


def run(
    spec: dict[str, Any], text: str, job_dir: Path, cache: MemoryTaskCache | None = None
) -> PipelineResult:
    runner = LocalRunner(
        spec,
        {"text": text},
        RunSettings(label="t", echo=False),
        JobDirHandler(job_dir, job_dir / "artifacts"),
        cache=cache,
    )
    return runner.run()


def test_the_custom_jobs_container_runs_with_its_env_and_is_cached(tmp_path: Path) -> None:
    spec = compiled(tmp_path)
    cache = MemoryTaskCache()
    first = run(spec, "a b,c=d", tmp_path / "0", cache)
    assert first.outcome == PipelineOutcome.SUCCEEDED, first.error
    task = first.tasks["write"]
    assert (task.output_artifacts["out"] / "written").read_text() == "a b,c=d spot\n"
    # GCPC's launcher output, written as the launcher would (no Google Cloud resource here)
    assert json.loads(task.output_parameters["gcp_resources"]) == {"resources": []}
    again = run(spec, "a b,c=d", tmp_path / "1", cache)
    assert again.tasks["write"].cached
    assert (again.tasks["write"].output_artifacts["out"] / "written").read_text().count("\n") == 1
    other = run(spec, "other", tmp_path / "2", cache)
    assert not other.tasks["write"].cached


def test_a_value_that_breaks_the_payloads_json_fails_the_task_as_on_vertex(
    tmp_path: Path,
) -> None:
    result = run(compiled(tmp_path), 'say "hi"', tmp_path / "0")
    assert result.outcome == PipelineOutcome.FAILED
    task = result.tasks["write"]
    assert task.state == TaskState.FAILED
    assert task.error is not None
    assert task.error.startswith("Failed to parse the custom job payload")
    assert not (tmp_path / "0" / "artifacts" / "write" / "out").exists()


def test_a_payload_field_the_api_does_not_know_fails_the_task(tmp_path: Path) -> None:
    spec = copy.deepcopy(compiled(tmp_path))
    component = component_of(spec, dag_tasks(spec)["write"])
    pools = component["inputDefinitions"]["parameters"]["worker_pool_specs"]["defaultValue"]
    pools[0]["machine_spec"]["gpu_kind"] = "T4"
    result = run(spec, "x", tmp_path / "0")
    error = result.tasks["write"].error
    assert error is not None and "gpu_kind" in error


def test_the_emulator_accepts_and_runs_custom_job_tasks(
    vertex_emulator: Emulator, tmp_path: Path
) -> None:
    client = PipelineServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": vertex_emulator.endpoint},
    )
    spec = compiled(tmp_path)
    names = {}
    for job_id, text in (("good", "fine"), ("quoted", 'say "hi"')):
        job = PipelineJob(
            pipeline_spec=spec,
            runtime_config=PipelineJob.RuntimeConfig(
                gcs_output_directory="gs://bucket/root", parameter_values={"text": text}
            ),
        )
        created = client.create_pipeline_job(
            parent="projects/p/locations/us-central1", pipeline_job=job, pipeline_job_id=job_id
        )
        names[job_id] = created.name
    done = {job_id: wait_for(client, name) for job_id, name in names.items()}
    assert done["good"].state == PipelineState.PIPELINE_STATE_SUCCEEDED
    assert done["quoted"].state == PipelineState.PIPELINE_STATE_FAILED
    (task,) = [t for t in done["quoted"].job_detail.task_details if t.task_name == "write"]
    assert task.error.message.startswith("Failed to parse the custom job payload")


def wait_for(client: PipelineServiceClient, name: str, timeout_s: float = 60.0) -> PipelineJob:
    """Poll until the job is finished; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while (job := client.get_pipeline_job(name=name)).state not in FINISHED:
        assert time.monotonic() < deadline, f"{job.name} did not finish in {timeout_s:g} s"
        time.sleep(0.05)
    return job


FINISHED = (
    PipelineState.PIPELINE_STATE_SUCCEEDED,
    PipelineState.PIPELINE_STATE_FAILED,
    PipelineState.PIPELINE_STATE_CANCELLED,
)

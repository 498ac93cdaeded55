"""PipelineJobs shaped as Vertex answers them, taken from public sources (each fixture in
vertex_jobs/ names its source and what was adapted), read through the launcher's client and its
result reading: a Get answered with the fixture by a server on 127.0.0.1, the job parsed by the
aiplatform_v1 REST client as from Vertex, then the return value and failure read as the launcher
reads them. Naming differs between them (the root task named after the job id, taskName the DAG
key, two tasks with one name): the value is found by the task that reports it."""

import json
from pathlib import Path
from typing import Any

import pytest
from local_servers import Reply, serve

from hydra_vertex_pipelines.executors.vertex.client import VertexClient, pipeline_service
from hydra_vertex_pipelines.executors.vertex.results import failure_message, return_value_text
from hydra_vertex_pipelines.executors.vertex.retry import RetryPolicy
from hydra_vertex_pipelines.vertex_api import PipelineJob, PipelineState

FIXTURES = sorted((Path(__file__).parent / "vertex_jobs").glob("*.json"))
CONSOLE = "https://console.cloud.google.com/vertex-ai/pipelines/runs/x"


def fixture(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    assert data["source"].startswith("https://"), "each fixture names its public source"
    return data


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_a_public_vertex_job_reads_as_expected(path: Path) -> None:
    data = fixture(path)
    job_json, expect = data["pipelineJob"], data["expect"]
    # strictly a PipelineJob: no field the API does not have
    PipelineJob.from_json(json.dumps(job_json), ignore_unknown_fields=False)
    with serve(lambda call: Reply(200, job_json)) as endpoint:
        _, project, _, location, *_ = job_json["name"].split("/")
        service = pipeline_service(location, endpoint, 1)
        client = VertexClient(service, project, location, RetryPolicy(deadline_s=10))
        job = client.get(job_json["name"])
    assert PipelineState(job.state).name == expect["state"]
    assert return_value_text(job, data["main_task"]) == expect["return_value"]
    message = failure_message(job, CONSOLE)
    for line in expect.get("failure", []):
        assert any(said.startswith(line) for said in message.splitlines()), message


def test_the_fixtures_cover_every_naming_seen() -> None:
    """The shapes the lookup must not depend on: a root task that reports outputs, tasks that
    share a name, a task named by its DAG key beside others, a failed job."""
    stems = {p.stem for p in FIXTURES}
    assert stems >= {
        "root_task_reports_outputs",
        "tasks_sharing_a_name",
        "task_named_by_dag_key",
        "failed_job",
    }

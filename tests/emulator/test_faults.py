"""Injected faults as the real client meets them: 429/503 answers (the client does not retry by
itself), creates that succeed but lose their answer, and latency; the counters that show it."""

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
import requests
from emulator_helpers import Pipeline, sdk, wait_done
from google.api_core import exceptions
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_emulator.faults import FaultConfig
from hydra_vertex_emulator.names import parent_name
from hydra_vertex_emulator.pytest_plugin import LOCATION, PROJECT
from hydra_vertex_pipelines.vertex_api import PipelineJob, PipelineServiceClient, PipelineState


def emulator_call(emulator: Emulator, method: str, path: str, body: Any = None) -> Any:
    """The emulator's own /emulator/ endpoints (not part of the Vertex API)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(emulator.endpoint + path, data, headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.parametrize(
    ("code", "error"),
    [(503, exceptions.ServiceUnavailable), (429, exceptions.TooManyRequests)],
)
def test_error_answers_reach_the_caller_unretried(
    vertex_aiplatform: Emulator, pipeline: Pipeline, code: int, error: type[Exception]
) -> None:
    vertex_aiplatform.set_faults(
        FaultConfig(error_rate=1.0, error_codes=(code,), error_kinds=("create",))
    )
    with pytest.raises(error):
        pipeline.job("refused").submit()
    stats = vertex_aiplatform.stats()
    assert stats["requests"]["create"] == 1  # the aiplatform client does not retry creates
    assert stats["injected"] == {str(code): 1}
    assert stats["created"] == {}
    assert sdk().PipelineJob.list() == []  # lists are not faulted (error_kinds)


def test_a_retrying_caller_gets_through(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    vertex_aiplatform.set_faults(FaultConfig(error_rate=0.5, seed=1, error_kinds=("create",)))
    client = PipelineServiceClient(
        transport="rest",
        client_options={"api_endpoint": vertex_aiplatform.endpoint},
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    )
    job = PipelineJob(
        display_name="retried",
        pipeline_spec=pipeline.template.spec,
        runtime_config=PipelineJob.RuntimeConfig(
            gcs_output_directory="gs://emulated-bucket/pipelines",
            parameter_values=pipeline.parameters(),
        ),
    )
    retry = Retry(
        predicate=if_exception_type(exceptions.ServiceUnavailable, exceptions.TooManyRequests),
        initial=0.01,
        maximum=0.05,
        timeout=20,
    )
    created = client.create_pipeline_job(
        parent=parent_name(PROJECT, LOCATION),
        pipeline_job=job,
        pipeline_job_id="retried",
        retry=retry,
    )
    assert created.state == PipelineState.PIPELINE_STATE_PENDING
    stats = vertex_aiplatform.stats()
    injected = sum(stats["injected"].values())
    assert injected >= 1
    assert stats["requests"]["create"] == injected + 1
    assert stats["created"] == {"retried": 1}


def test_create_whose_answer_is_lost(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    vertex_aiplatform.set_faults(FaultConfig(drop_first_creates=1))
    with pytest.raises(requests.exceptions.ConnectionError):
        pipeline.job("lost-answer").submit()
    assert vertex_aiplatform.stats()["created"] == {"lost-answer": 1}
    assert vertex_aiplatform.stats()["injected"] == {"dropped": 1}
    # submitting again finds the job that was created
    with pytest.raises(exceptions.Conflict):
        pipeline.job("lost-answer").submit()
    job = sdk().PipelineJob.get("lost-answer")
    assert wait_done(job) == PipelineState.PIPELINE_STATE_SUCCEEDED
    pipeline.job("answered").submit()  # only the first create lost its answer
    assert vertex_aiplatform.stats()["created"] == {"lost-answer": 1, "answered": 1}


def test_drop_rate(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    vertex_aiplatform.set_faults(FaultConfig(drop_create_rate=1.0))
    for job_id in ("dropped-1", "dropped-2"):
        with pytest.raises(requests.exceptions.ConnectionError):
            pipeline.job(job_id).submit()
    assert sorted(job.name for job in sdk().PipelineJob.list()) == ["dropped-1", "dropped-2"]


def test_latency(vertex_aiplatform: Emulator) -> None:
    vertex_aiplatform.set_faults(FaultConfig(latency_s=0.3))
    started = time.monotonic()
    sdk().PipelineJob.list()
    assert time.monotonic() - started >= 0.3


def test_emulator_endpoints(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    settings = {"error_rate": 1.0, "error_codes": [503], "error_kinds": ["list"]}
    assert emulator_call(vertex_aiplatform, "POST", "/emulator/faults", settings)["error_rate"] == 1
    with pytest.raises(exceptions.ServiceUnavailable):
        sdk().PipelineJob.list()
    stats = emulator_call(vertex_aiplatform, "GET", "/emulator/stats")
    assert stats["requests"]["list"] == 1
    assert stats["injected"] == {"503": 1}
    assert emulator_call(vertex_aiplatform, "GET", "/emulator/faults")["error_codes"] == [503]
    emulator_call(vertex_aiplatform, "POST", "/emulator/reset")
    assert emulator_call(vertex_aiplatform, "GET", "/emulator/stats")["injected"] == {}
    with pytest.raises(urllib.error.HTTPError) as refused:
        emulator_call(vertex_aiplatform, "POST", "/emulator/faults", {"error_rate": 2})
    assert refused.value.code == 400
    assert "error_rate must be between 0 and 1" in refused.value.read().decode()

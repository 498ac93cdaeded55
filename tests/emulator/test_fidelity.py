"""Where the emulator answers as Vertex does (sources in resources.py, cache.py, protos.py and
the README's "What behaves as on Vertex"): the list view, the cache's scope per pipeline name,
and requests parsed strictly as PipelineJob and PipelineSpec messages."""

import copy
from pathlib import Path
from typing import Any

from emulator_helpers import Pipeline, compile_pipeline, runs, sdk, tasks_by_name, wait_done
from raw_requests import JOBS_PATH, call, create, create_body

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_pipelines.vertex_api import PipelineState, PipelineTaskDetail


def test_list_answers_the_list_view_and_get_the_whole_job(
    vertex_aiplatform: Emulator, pipeline: Pipeline
) -> None:
    job = pipeline.job("listed")
    job.submit()
    wait_done(job)
    (listed,) = call(vertex_aiplatform, "GET", JOBS_PATH, None, {}).body["pipelineJobs"]
    assert "jobDetail" not in listed  # "Not available in the list view"
    assert listed["pipelineSpec"]["pipelineInfo"]["name"] == "emulated"
    assert listed["state"] == "PIPELINE_STATE_SUCCEEDED" and listed["labels"]
    # the SDK's simple view names the pipeline's contexts in its read mask
    mask = "name,jobDetail.pipelineRunContext,jobDetail.taskDetails"
    (masked,) = call(vertex_aiplatform, "GET", f"{JOBS_PATH}?readMask={mask}", None, {}).body[
        "pipelineJobs"
    ]
    assert set(masked) == {"name", "jobDetail"}
    assert set(masked["jobDetail"]) == {"pipelineRunContext"}
    assert masked["jobDetail"]["pipelineRunContext"]["displayName"] == "listed"
    # the SDK's list has no task details either; a Get has them
    (sdk_listed,) = sdk().PipelineJob.list()
    assert not sdk_listed.gca_resource.job_detail.task_details
    assert [t.task_name for t in job.task_details] == ["listed", "prep", "train"]


def test_the_cache_is_shared_by_pipelines_of_the_same_name_only(
    vertex_aiplatform: Emulator, pipeline: Pipeline, tmp_path: Path
) -> None:
    """The same component and inputs in a pipeline of another name run again."""
    other = compile_pipeline(tmp_path, pipeline_name="other-pipeline")
    runs_of_prep = []
    for job_id, compiled in (("first", pipeline), ("other", other), ("again", pipeline)):
        job = compiled.job(job_id)
        job.submit()
        assert wait_done(job) == PipelineState.PIPELINE_STATE_SUCCEEDED
        runs_of_prep.append(runs(tmp_path, "prep"))
    assert runs_of_prep == [1, 2, 2]
    again = tasks_by_name(sdk().PipelineJob.get("again"))
    assert again["prep"].state == PipelineTaskDetail.State.SKIPPED
    assert "executor_detail" not in again["prep"]  # no container ran


def _refusal(emulator: Emulator, body: dict[str, Any], job_id: str) -> str:
    answer = create(emulator, body, job_id)
    assert answer.status == 400 and answer.google_error, answer
    message: str = answer.body["error"]["message"]
    return message


def test_requests_are_parsed_strictly_as_vertex_parses_them(
    vertex_emulator: Emulator, pipeline: Pipeline
) -> None:
    valid = create_body(pipeline)
    wrong_type = copy.deepcopy(valid) | {"encryptionSpec": {"kmsKeyName": 5}}
    assert "pipeline_job" in _refusal(vertex_emulator, wrong_type, "wrong-type")
    unknown_in_spec = copy.deepcopy(valid)
    unknown_in_spec["pipelineSpec"]["pipelineInfo"]["displayNme"] = "typo"
    message = _refusal(vertex_emulator, unknown_in_spec, "unknown-in-spec")
    assert "is not a PipelineSpec" in message and "displayNme" in message
    unknown_in_deployment = copy.deepcopy(valid)
    executors = unknown_in_deployment["pipelineSpec"]["deploymentSpec"]["executors"]
    executors["exec-prep"]["container"]["resources"] = {"cpuLimit": "many"}
    message = _refusal(vertex_emulator, unknown_in_deployment, "bad-deployment")
    assert "is not a PipelineDeploymentConfig" in message and "cpuLimit" in message
    assert vertex_emulator.stats()["created"] == {}
    assert create(vertex_emulator, valid, "valid").status == 200

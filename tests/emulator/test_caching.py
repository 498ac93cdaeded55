"""Vertex caching: a task whose component and inputs match an earlier successful execution is
not run again; it is reported SKIPPED with a CACHED execution and the earlier outputs."""

import json
from pathlib import Path

from emulator_helpers import Pipeline, runs, tasks_by_name, wait_done
from google.cloud.aiplatform_v1.types.execution import Execution

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_pipelines.vertex_api import PipelineState, PipelineTaskDetail


def test_cached_task_reuses_outputs(
    vertex_aiplatform: Emulator, pipeline: Pipeline, tmp_path: Path
) -> None:
    first = pipeline.job("lr-1", overrides=("data.n=3", "optim.lr=0.1", "+mode=ok"))
    first.submit()
    assert wait_done(first) == PipelineState.PIPELINE_STATE_SUCCEEDED
    second = pipeline.job("lr-2", overrides=("data.n=3", "optim.lr=0.2", "+mode=ok"))
    second.submit()
    assert wait_done(second) == PipelineState.PIPELINE_STATE_SUCCEEDED

    earlier, cached = tasks_by_name(first)["prep"], tasks_by_name(second)["prep"]
    assert cached.state == PipelineTaskDetail.State.SKIPPED
    assert cached.execution.state == Execution.State.CACHED
    uri = earlier.outputs["dataset"].artifacts[0].uri
    assert cached.outputs["dataset"].artifacts[0].uri == uri
    train = tasks_by_name(second)["train"]
    assert train.state == PipelineTaskDetail.State.SUCCEEDED  # other inputs: it ran
    assert train.inputs["dataset"].artifacts[0].uri == uri
    assert json.loads(train.execution.metadata["output:return_value"])["lr"] == "0.2"
    assert (runs(tmp_path, "prep"), runs(tmp_path, "train")) == (1, 2)


def test_same_inputs_skip_every_task(
    vertex_aiplatform: Emulator, pipeline: Pipeline, tmp_path: Path
) -> None:
    for job_id in ("same-1", "same-2"):
        job = pipeline.job(job_id)
        job.submit()
        assert wait_done(job) == PipelineState.PIPELINE_STATE_SUCCEEDED
    tasks = tasks_by_name(job)
    assert tasks["train"].state == PipelineTaskDetail.State.SKIPPED
    assert json.loads(tasks["train"].execution.metadata["output:return_value"])["lr"] == "0.1"
    assert (runs(tmp_path, "prep"), runs(tmp_path, "train")) == (1, 1)


def test_enable_caching_false_runs_everything(
    vertex_aiplatform: Emulator, pipeline: Pipeline, tmp_path: Path
) -> None:
    first = pipeline.job("cached-1")
    first.submit()
    wait_done(first)
    # aiplatform rewrites every task's cachingOptions in the spec it sends
    second = pipeline.job("uncached-2", enable_caching=False)
    second.submit()
    assert wait_done(second) == PipelineState.PIPELINE_STATE_SUCCEEDED
    states = {name: task.state for name, task in tasks_by_name(second).items()}
    assert states["prep"] == states["train"] == PipelineTaskDetail.State.SUCCEEDED
    assert (runs(tmp_path, "prep"), runs(tmp_path, "train")) == (2, 2)


def test_failed_executions_are_not_cached(
    vertex_aiplatform: Emulator, pipeline: Pipeline, tmp_path: Path
) -> None:
    failing = ("data.n=3", "optim.lr=0.1", "+mode=fail")
    for job_id in ("fail-1", "fail-2"):
        job = pipeline.job(job_id, overrides=failing)
        job.submit()
        assert wait_done(job) == PipelineState.PIPELINE_STATE_FAILED
    assert (runs(tmp_path, "prep"), runs(tmp_path, "train")) == (1, 2)

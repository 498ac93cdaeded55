"""Cancel: a running job's task is stopped; a queued job never starts; a finished one refuses."""

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from emulator_helpers import Pipeline, poll, tasks_by_name, wait_done
from google.api_core import exceptions
from google.cloud.aiplatform_v1.types.execution import Execution
from processes import alive

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_pipelines.vertex_api import PipelineState, PipelineTaskDetail

if TYPE_CHECKING:
    from google.cloud import aiplatform

SLEEPING = ("data.n=3", "optim.lr=0.1", "+mode=sleep")


def train_running(job: "aiplatform.PipelineJob") -> bool:
    train = tasks_by_name(job).get("train")
    return train is not None and train.state == PipelineTaskDetail.State.RUNNING


def test_cancel_running_job(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    job = pipeline.job("sleeper", overrides=SLEEPING)
    job.submit()
    poll(lambda: train_running(job), "train to run")
    assert job.state == PipelineState.PIPELINE_STATE_RUNNING
    started = time.monotonic()
    job.cancel()
    assert wait_done(job) == PipelineState.PIPELINE_STATE_CANCELLED
    assert time.monotonic() - started < 10  # the sleeping process was killed
    tasks = tasks_by_name(job)
    assert tasks["prep"].state == PipelineTaskDetail.State.SUCCEEDED
    assert tasks["train"].state == PipelineTaskDetail.State.CANCELLED
    assert tasks["train"].execution.state == Execution.State.CANCELLED
    assert tasks["sleeper"].state == PipelineTaskDetail.State.CANCELLED  # the root: the job id
    assert job.gca_resource.error.code == 1
    job.wait()  # a cancelled job is done; wait() raises only for a failed one


def test_cancel_ends_a_task_whose_detached_grandchild_holds_its_output(
    vertex_aiplatform: Emulator, pipeline: Pipeline, tmp_path: Path
) -> None:
    """A daemon started in its own session keeps the task's stdout open: the job still ends
    CANCELLED (the output is read a short grace period more), and the daemon is killed."""
    job = pipeline.job("detached", overrides=("data.n=3", "optim.lr=0.1", "+mode=detach"))
    job.submit()
    pid_file = tmp_path / "train.count.pid"
    poll(lambda: train_running(job) and pid_file.exists(), "train to start its grandchild")
    started = time.monotonic()
    job.cancel()
    assert wait_done(job) == PipelineState.PIPELINE_STATE_CANCELLED
    assert time.monotonic() - started < 15
    assert not alive(int(pid_file.read_text()))


def test_queued_jobs_wait_and_cancel_at_once(
    vertex_aiplatform: Emulator, pipeline: Pipeline
) -> None:
    jobs = [pipeline.job(f"queued-{i}", overrides=SLEEPING) for i in range(3)]
    for job in jobs:
        job.submit()
    poll(lambda: train_running(jobs[0]) and train_running(jobs[1]), "two jobs to run")
    assert jobs[2].state == PipelineState.PIPELINE_STATE_PENDING  # max_parallel_jobs=2
    assert jobs[2].task_details == []
    jobs[2].cancel()
    assert jobs[2].state == PipelineState.PIPELINE_STATE_CANCELLED
    jobs[0].cancel()
    assert wait_done(jobs[0]) == PipelineState.PIPELINE_STATE_CANCELLED
    assert jobs[2].state == PipelineState.PIPELINE_STATE_CANCELLED
    assert jobs[2].task_details == []


def test_cancel_finished_job_is_refused(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    job = pipeline.job("finished")
    job.submit()
    wait_done(job)
    with pytest.raises(exceptions.BadRequest, match="already in state") as raised:
        job.cancel()
    # REST maps the status by HTTP code: FAILED_PRECONDITION arrives as BadRequest, its gRPC
    # status only in the body
    assert not isinstance(raised.value, exceptions.FailedPrecondition)
    assert raised.value.response.json()["error"]["status"] == "FAILED_PRECONDITION"


def test_delete_running_job_is_refused(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    job = pipeline.job("busy", overrides=SLEEPING)
    job.submit()
    poll(lambda: train_running(job), "train to run")
    with pytest.raises(exceptions.BadRequest, match="cancel it first"):
        job.delete()

"""Create, get, wait and delete PipelineJobs through aiplatform.PipelineJob; what a run records."""

import json
import re
from pathlib import Path

import pytest
from emulator_helpers import (
    PIPELINE_ROOT,
    RUN_DIR,
    RUN_DIR_URI,
    TRAIN_DISPLAY_NAME,
    Pipeline,
    compile_pipeline,
    runs,
    sdk,
    tasks_by_name,
    wait_done,
)
from google.api_core import exceptions
from google.cloud.aiplatform_v1.types.execution import Execution

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_emulator.names import project_number
from hydra_vertex_emulator.pytest_plugin import LOCATION, PROJECT
from hydra_vertex_pipelines.vertex_api import PipelineState, PipelineTaskDetail


def test_submit_wait_and_task_details(
    vertex_aiplatform: Emulator, pipeline: Pipeline, tmp_path: Path
) -> None:
    job = pipeline.job("run-1", labels={"sweep": "s1"})
    job.submit()
    number = project_number(PROJECT)
    assert job.resource_name == f"projects/{number}/locations/{LOCATION}/pipelineJobs/run-1"
    assert wait_done(job) == PipelineState.PIPELINE_STATE_SUCCEEDED
    job.wait()  # returns at once: the job is done

    resource = job.gca_resource
    assert resource.display_name == "display-run-1"
    assert resource.labels["sweep"] == "s1"
    assert "vertex-ai-pipelines-run-billing-id" in resource.labels  # Vertex adds it too
    assert resource.runtime_config.gcs_output_directory == PIPELINE_ROOT
    assert resource.runtime_config.parameter_values["optim__lr"] == "0.1"
    assert resource.pipeline_spec["pipelineInfo"]["name"] == "emulated"
    assert resource.create_time <= resource.start_time <= resource.end_time
    assert not resource.error.message

    tasks = tasks_by_name(job)
    # the root DAG first, as on Vertex, named after the job id
    assert list(tasks) == ["run-1", "prep", "train"]
    root = tasks["run-1"]
    assert root.execution.schema_title == "system.Run"
    assert root.task_unique_name == root.execution.display_name == "run-1"
    assert not root.parent_task_id and "executor_detail" not in root
    assert root.state == PipelineTaskDetail.State.SUCCEEDED
    for name in ("prep", "train"):
        task = tasks[name]
        assert task.state == PipelineTaskDetail.State.SUCCEEDED
        assert task.execution.state == Execution.State.COMPLETE
        assert task.parent_task_id == root.task_id
        assert task.start_time <= task.end_time
        assert [s.state for s in task.pipeline_task_status][-1] == task.state

    # taskName is the DAG key, also for a task with a display name
    train = tasks["train"]
    spec_tasks = resource.pipeline_spec["root"]["dag"]["tasks"]
    assert spec_tasks["train"]["taskInfo"]["name"] == TRAIN_DISPLAY_NAME
    assert train.task_unique_name == train.execution.display_name == "train"
    # each task that ran is the CustomJob its container ran as
    main_jobs = {n: tasks[n].executor_detail.container_detail.main_job for n in ("prep", "train")}
    for main_job in main_jobs.values():
        assert re.fullmatch(rf"projects/{number}/locations/{LOCATION}/customJobs/\d+", main_job)
    assert main_jobs["prep"] != main_jobs["train"]
    assert train.execution.metadata["input:optim__lr"] == "0.1"
    # the run dir as submitted (/gcs/...), though the component got the storage dir's folder
    assert train.execution.metadata["input:hydra_run_dir"] == RUN_DIR
    marker = vertex_aiplatform.local_path(RUN_DIR_URI) / "main.log"
    assert marker.read_text() == "done\n"
    returned = json.loads(train.execution.metadata["output:return_value"])
    assert returned == {"lr": "0.1", "inputs": {"dataset": "n=3"}}

    dataset = tasks["prep"].outputs["dataset"].artifacts[0]
    assert dataset.uri.startswith(f"{PIPELINE_ROOT}/{number}/run-1/prep_")
    assert dataset.uri.endswith("/dataset")
    assert dataset.schema_title == "system.Artifact"
    assert train.inputs["dataset"].artifacts[0].uri == dataset.uri
    local = vertex_aiplatform.local_path(dataset.uri)
    assert (local / "data.txt").read_text() == "n=3"
    assert (runs(tmp_path, "prep"), runs(tmp_path, "train")) == (1, 1)


def test_failed_component(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    job = pipeline.job("fails", overrides=("data.n=3", "optim.lr=0.1", "+mode=fail"))
    job.submit()
    assert wait_done(job) == PipelineState.PIPELINE_STATE_FAILED
    with pytest.raises(RuntimeError, match="The failed tasks are: \\[train\\]"):
        job.wait()
    train = tasks_by_name(job)["train"]
    assert train.state == PipelineTaskDetail.State.FAILED
    assert train.execution.state == Execution.State.FAILED
    assert "exited with status 3" in train.error.message
    assert "the component failed on purpose" in train.error.message
    assert job.gca_resource.error.code == 9


def test_tasks_behind_a_failure_are_never_scheduled(
    vertex_aiplatform: Emulator, tmp_path: Path
) -> None:
    job = compile_pipeline(tmp_path, prep_mode="fail").job("prep-fails")
    job.submit()
    assert wait_done(job) == PipelineState.PIPELINE_STATE_FAILED
    tasks = tasks_by_name(job)
    assert tasks["prep"].state == PipelineTaskDetail.State.FAILED
    assert "train" not in tasks
    assert runs(tmp_path, "train") == 0


def test_missing_parameter_is_refused_and_nothing_is_created(
    vertex_aiplatform: Emulator, pipeline: Pipeline
) -> None:
    job = sdk().PipelineJob(
        display_name="incomplete",
        template_path=str(pipeline.spec_path),
        job_id="incomplete",
        pipeline_root=PIPELINE_ROOT,
        parameter_values={"optim__lr": "0.1"},
    )
    with pytest.raises(exceptions.BadRequest, match="missing values for pipeline parameters"):
        job.submit()
    assert sdk().PipelineJob.list() == []
    assert vertex_aiplatform.stats()["created"] == {}


def test_duplicate_job_id_conflicts(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    first = pipeline.job("twice")
    first.submit()
    with pytest.raises(exceptions.Conflict, match="already exists"):
        pipeline.job("twice").submit()
    assert wait_done(first) == PipelineState.PIPELINE_STATE_SUCCEEDED
    assert vertex_aiplatform.stats()["created"] == {"twice": 1}
    assert vertex_aiplatform.stats()["requests"]["create"] == 2


def test_unknown_job_and_unknown_route(vertex_aiplatform: Emulator) -> None:
    with pytest.raises(exceptions.NotFound, match="does not exist"):
        sdk().PipelineJob.get("no-such-job")
    with pytest.raises(exceptions.NotFound, match="was not found"):
        sdk().CustomTrainingJob.get("123")  # another service: not emulated
    assert vertex_aiplatform.stats()["requests"]["unknown"] == 1


def test_delete(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    job = pipeline.job("deleted")
    job.submit()
    wait_done(job)
    job.delete()  # waits for the long-running operation, which is done at once
    with pytest.raises(exceptions.NotFound):
        sdk().PipelineJob.get("deleted")

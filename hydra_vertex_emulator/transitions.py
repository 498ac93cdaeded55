"""How a job's record changes: tasks scheduled and finished, the job started, ended, cancelled."""

import time
from dataclasses import dataclass, field

from hydra_vertex_pipelines.runner import PipelineOutcome, PipelineResult, TaskState

from .store import ArtifactRecord, JobRecord, TaskRecord

# a finished pipeline's state -> job state, root execution state, google.rpc.Code of its error
JOB_OUTCOMES = {
    "SUCCEEDED": ("PIPELINE_STATE_SUCCEEDED", "COMPLETE", 0),
    "FAILED": ("PIPELINE_STATE_FAILED", "FAILED", 9),
    "CANCELLED": ("PIPELINE_STATE_CANCELLED", "CANCELLED", 1),
}
# google.rpc.Code of the emulator's own failures
INTERNAL = 13


@dataclass(frozen=True)
class TaskUpdate:
    """What a task's record becomes, prepared outside the store's lock."""

    key: str
    task_id: int
    execution_id: int
    # the CustomJob its container runs as; None when answered from the cache
    main_job_id: int | None
    state: str
    execution_state: str
    start_time: float
    end_time: float | None
    error: str | None
    input_parameters: dict[str, str] = field(default_factory=dict)
    output_parameters: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, ArtifactRecord] = field(default_factory=dict)
    outputs: dict[str, ArtifactRecord] = field(default_factory=dict)


def _record_state(task: TaskRecord, state: str, at: float) -> None:
    if not task.history or task.history[-1][1] != state:
        task.history.append((at, state))
    task.state = state


def apply_task_update(record: JobRecord, update: TaskUpdate) -> None:
    task = record.tasks.get(update.key)
    if task is None:
        task = TaskRecord(
            key=update.key,
            task_id=update.task_id,
            execution_id=update.execution_id,
            schema_title="system.ContainerExecution",
            create_time=update.start_time,
        )
        record.tasks[update.key] = task
    _record_state(task, update.state, update.end_time or update.start_time)
    task.execution_state = update.execution_state
    task.main_job_id = update.main_job_id
    task.start_time, task.end_time, task.error = update.start_time, update.end_time, update.error
    task.input_parameters = dict(update.input_parameters)
    task.output_parameters = dict(update.output_parameters)
    task.inputs, task.outputs = dict(update.inputs), dict(update.outputs)


def start_job(record: JobRecord, root_task_id: int, root_execution_id: int) -> None:
    """RUNNING, with the root DAG's task. On Vertex the root task is named after the job id and
    its execution's schema is system.Run: the aiplatform SDK finds a pipeline's outputs on the
    task whose taskName is the job's id (vertexai/language_models/_evaluatable_language_models.py,
    _get_gcs_uri_from_pipeline_task_details) or whose execution is system.Run
    (_language_models.py, the tuning job's model), as its unit tests' PipelineJobs have it
    (python-aiplatform tests/unit/aiplatform/test_language_models.py, make_pipeline_job)."""
    now = time.time()
    record.state, record.start_time = "PIPELINE_STATE_RUNNING", now
    record.root = TaskRecord(
        key=record.job_id,
        task_id=root_task_id,
        execution_id=root_execution_id,
        schema_title="system.Run",
        create_time=now,
        state="RUNNING",
        execution_state="RUNNING",
        start_time=now,
        input_parameters=dict(record.parameter_values),
        history=[(now, "RUNNING")],
    )


def finish_job(record: JobRecord, outcome: str, error: tuple[int, str] | None) -> None:
    now = time.time()
    state, execution_state, _ = JOB_OUTCOMES[outcome]
    record.state, record.end_time, record.error = state, now, error
    if record.root is not None:
        _record_state(record.root, outcome, now)
        record.root.execution_state, record.root.end_time = execution_state, now
        if error is not None:
            record.root.error = error[1]


def request_cancel(record: JobRecord) -> None:
    """PENDING: cancelled at once; RUNNING: cancelling until the runner has stopped."""
    if record.state == "PIPELINE_STATE_PENDING":
        finish_job(record, "CANCELLED", (1, "The PipelineJob was cancelled before it started."))
    elif record.state == "PIPELINE_STATE_RUNNING":
        record.state = "PIPELINE_STATE_CANCELLING"


def job_error(result: PipelineResult) -> tuple[int, str] | None:
    code = JOB_OUTCOMES[result.outcome.value][2]
    if result.outcome == PipelineOutcome.SUCCEEDED:
        return None
    if result.outcome == PipelineOutcome.CANCELLED:
        return code, "The PipelineJob was cancelled."
    failed = [name for name, task in result.tasks.items() if task.state == TaskState.FAILED]
    return code, (
        f"The DAG failed because some tasks failed. The failed tasks are: [{', '.join(failed)}]. "
        f"{result.error}"
    )

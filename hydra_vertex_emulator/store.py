"""The job store: PipelineJob records by resource name, thread-safe, handed out as copies."""

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import already_exists, not_found

T = TypeVar("T")


@dataclass(frozen=True)
class ArtifactRecord:
    # ML Metadata id
    artifact_id: int
    # gs://... where the artifact lives
    uri: str
    # artifactType of the output definition
    schema_title: str
    schema_version: str
    create_time: float


@dataclass
class TaskRecord:
    # the task's key in the DAG; the root's is the job id (Vertex names the root task so)
    key: str
    task_id: int
    execution_id: int
    # system.ContainerExecution, or system.Run for the root
    schema_title: str
    create_time: float
    # the id of the CustomJob its container ran as (executorDetail.containerDetail.mainJob);
    # None: no container ran (the root, a task answered from the cache)
    main_job_id: int | None = None
    # PipelineTaskDetail.State and Execution.State names
    state: str = "PENDING"
    execution_state: str = "NEW"
    start_time: float | None = None
    end_time: float | None = None
    # why the task failed or was cancelled
    error: str | None = None
    input_parameters: dict[str, str] = field(default_factory=dict)
    output_parameters: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, ArtifactRecord] = field(default_factory=dict)
    outputs: dict[str, ArtifactRecord] = field(default_factory=dict)
    # (time, state) of each state change
    history: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class JobRecord:
    # projects/{number}/locations/{location}/pipelineJobs/{id}
    name: str
    # projects/{number}/locations/{location}
    parent: str
    job_id: str
    # the input fields of the PipelineJob as the client sent them (camelCase JSON)
    request: dict[str, Any]
    # pipeline parameter values as the components receive them
    parameter_values: dict[str, str]
    # fast or slow (runtimeConfig.failurePolicy; Vertex's default is slow)
    failure_policy: str
    create_time: float
    update_time: float
    state: str = "PIPELINE_STATE_PENDING"
    start_time: float | None = None
    end_time: float | None = None
    # (google.rpc.Code, message) of a failed or cancelled job
    error: tuple[int, str] | None = None
    # the root DAG's task, once the job runs
    root: TaskRecord | None = None
    # the DAG's tasks by key, in the order they were scheduled
    tasks: dict[str, TaskRecord] = field(default_factory=dict)

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.request["pipelineSpec"]
        return spec


class JobStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, JobRecord] = {}

    def add(self, record: JobRecord) -> None:
        with self._lock:
            if record.name in self._jobs:
                raise already_exists(f"PipelineJob {record.name} already exists.")
            self._jobs[record.name] = record

    def get(self, name: str) -> JobRecord:
        with self._lock:
            return copy.deepcopy(self._find(name))

    def in_parent(self, parent: str) -> list[JobRecord]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._jobs.values() if r.parent == parent]

    def update(self, name: str, change: Callable[[JobRecord], T]) -> T:
        """Apply `change` to the stored record atomically; its update time becomes now."""
        with self._lock:
            record = self._find(name)
            result = change(record)
            record.update_time = time.time()
            return result

    def remove(self, name: str) -> None:
        with self._lock:
            self._find(name)
            del self._jobs[name]

    def _find(self, name: str) -> JobRecord:
        try:
            return self._jobs[name]
        except KeyError:
            raise not_found(f"PipelineJob {name} does not exist.") from None

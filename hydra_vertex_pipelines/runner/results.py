"""What running a pipeline produces: each task's state and outputs, and the pipeline's outcome."""

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


class TaskState(Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    # not run: an upstream task failed or was skipped, or the pipeline fails fast
    SKIPPED = "SKIPPED"


class PipelineOutcome(Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@dataclass
class TaskResult:
    # the task's key in the spec's DAG
    task: str
    state: TaskState = TaskState.PENDING
    # wall-clock times (time.time()) of start and end
    start_time: float | None = None
    end_time: float | None = None
    # why the task failed
    error: str | None = None
    # outputs were reused from an earlier execution
    cached: bool = False
    # resolved input parameter values
    input_parameters: dict[str, str] = field(default_factory=dict)
    # paths of the input artifacts
    input_artifacts: dict[str, Path] = field(default_factory=dict)
    # values of the output parameters
    output_parameters: dict[str, str] = field(default_factory=dict)
    # files the component writes its output parameters to
    output_parameter_files: dict[str, Path] = field(default_factory=dict)
    # paths of the output artifacts
    output_artifacts: dict[str, Path] = field(default_factory=dict)
    # what the inline task's function gave back (the inline task only)
    inline_return: Any = None


@dataclass
class PipelineResult:
    outcome: PipelineOutcome
    # per task, in execution order
    tasks: dict[str, TaskResult]
    # the first failure, with the task's name
    error: str | None = None

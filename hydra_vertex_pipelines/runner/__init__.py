"""Runs a compiled pipeline spec on this machine: local mode and the emulator use it.

spec          reading the spec: task order, components, containers, parameters
placeholders  {{$.inputs...}} / {{$.outputs...}} resolved as Vertex does
process       a component's process: its own session, streamed output, timeout, kill
cache         Vertex's task caching
handler       the host's seam: where outputs go, what a task's state change does
runner        LocalRunner: the tasks in order, retries, failure policy, cancel
"""

from .cache import MemoryTaskCache, TaskCache
from .handler import LOGS_DIR, JobDirHandler, TaskHandler
from .results import PipelineOutcome, PipelineResult, TaskResult, TaskState
from .runner import InlineTask, LocalRunner, RunSettings
from .spec import SpecError, check_parameter_values, task_order

__all__ = [
    "LOGS_DIR",
    "InlineTask",
    "JobDirHandler",
    "LocalRunner",
    "MemoryTaskCache",
    "PipelineOutcome",
    "PipelineResult",
    "RunSettings",
    "SpecError",
    "TaskCache",
    "TaskHandler",
    "TaskResult",
    "TaskState",
    "check_parameter_values",
    "task_order",
]

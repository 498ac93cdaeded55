"""The seam between the runner and whoever hosts it: where a task's outputs go, and what happens
when a task's state changes. Local mode lays a job out under its job dir; the emulator lays it out
as Vertex does and records task details."""

from pathlib import Path
from typing import Protocol

from .results import TaskResult


class TaskHandler(Protocol):
    def task_folder(self, task: str) -> Path:
        """The folder of one execution's outputs (called once per execution, before it runs)."""
        ...

    def log_file(self, task: str) -> Path:
        """Where the task's output is saved."""
        ...

    def task_changed(self, result: TaskResult) -> None:
        """Called when a task starts, ends, is skipped or cancelled."""
        ...


# local mode: each task's output is saved in <job dir>/logs/<task>.log (the job dir is the main
# component's Hydra output dir, which has Hydra's own <job name>.log)
LOGS_DIR = "logs"


class JobDirHandler:
    """Local mode: `<artifact root>/<task>/<output>`, `<job dir>/logs/<task>.log`, no
    notifications."""

    def __init__(self, job_dir: Path, artifact_root: Path) -> None:
        self.job_dir = job_dir
        self.artifact_root = artifact_root

    def task_folder(self, task: str) -> Path:
        return self.artifact_root / task

    def log_file(self, task: str) -> Path:
        return self.job_dir / LOGS_DIR / f"{task}.log"

    def task_changed(self, result: TaskResult) -> None:
        pass

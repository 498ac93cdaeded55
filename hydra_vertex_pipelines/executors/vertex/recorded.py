"""A sweep as its manifest recorded it, seen on Vertex AI: what `hydra-vertex-sweep` works from.

Each poll is one List call per page of the sweep's jobs (name, state and labels); a finished job's
result is one Get.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...compiling.custom_job import RETURN_VALUE_FILE, read_return_value
from ...vertex_api import PipelineJob, PipelineState
from ...vertex_facts import TERMINAL_JOB_STATES
from .client import VertexClient, pipeline_service
from .manifest import (
    MANIFEST_NAME,
    NOT_CREATED,
    JobEntry,
    ManifestWriter,
    SweepHeader,
    header_from_name,
    read_manifest,
)
from .results import HYDRA_OUTPUT_DIR, return_value_text
from .resume import listed_jobs
from .retry import RetryPolicy
from .storage import OutputCopier

# a job recorded in the manifest that Vertex AI does not have
NOT_FOUND = "NOT_FOUND"


class NoSweep(Exception):
    """No manifest, or no sweep in it: the message says what was looked for."""


@dataclass(frozen=True)
class Connection:
    """Where the sweep's jobs are: the manifest's record, or the user's flags."""

    project: str | None = None
    location: str | None = None
    api_endpoint: str | None = None


@dataclass(frozen=True)
class JobResult:
    entry: JobEntry
    state: str
    # the return value, when the job succeeded and reported one
    value: Any = None
    # why the job did not succeed (the pipeline's error)
    error: str | None = None


def state_of(entry: JobEntry, listed: dict[str, PipelineJob]) -> str:
    """The job's state on Vertex AI; NOT_CREATED or NOT_FOUND when Vertex does not have it."""
    job = listed.get(entry.job_id)
    if job is not None:
        return str(PipelineState(job.state).name)
    return NOT_CREATED if entry.state == NOT_CREATED else NOT_FOUND


def is_settled(state: str) -> bool:
    """Nothing more will happen to the job."""
    return state in TERMINAL_JOB_STATES or state in (NOT_CREATED, NOT_FOUND)


class RecordedSweep:
    def __init__(
        self, sweep_dir: Path, connection: Connection, sweep_id: str | None = None
    ) -> None:
        self.sweep_dir = sweep_dir
        self.manifest_path = sweep_dir / MANIFEST_NAME
        sweeps = read_manifest(self.manifest_path)
        if not sweeps:
            raise NoSweep(f"no sweep recorded in {self.manifest_path}")
        if sweep_id is not None and sweep_id not in sweeps:
            raise NoSweep(f"no sweep {sweep_id} in {self.manifest_path}: {', '.join(sweeps)}")
        sweep = sweeps[sweep_id] if sweep_id else list(sweeps.values())[-1]
        self.sweep_id = sweep.sweep_id
        self.jobs = list(sweep.latest().values())
        if not self.jobs:
            raise NoSweep(f"sweep {self.sweep_id} in {self.manifest_path} has no jobs")
        recorded = sweep.header or header_from_name(self.sweep_id, self.jobs[0].name)
        self.header = SweepHeader(
            self.sweep_id,
            connection.project or recorded.project,
            connection.location or recorded.location,
            connection.api_endpoint or recorded.api_endpoint,
            recorded.pipeline_root,
            recorded.sweep_label,
        )
        service = pipeline_service(self.header.location, self.header.api_endpoint, 8)
        self.client = VertexClient(
            service, self.header.project, self.header.location, RetryPolicy(deadline_s=120.0)
        )
        self.manifest = ManifestWriter(self.manifest_path)
        self.states: dict[str, str] = {}

    def poll(self) -> dict[str, str]:
        """Every job's state (one List call per page), changes appended to the manifest."""
        listed = listed_jobs(self.client, self.sweep_id, self.header.label_keys)
        for entry in self.jobs:
            state = state_of(entry, listed)
            if state != self.states.get(entry.job_id) and state in PipelineState.__members__:
                self.manifest.state(self.sweep_id, entry.job_id, state)
            self.states[entry.job_id] = state
        return self.states

    def result(self, entry: JobEntry, copier: OutputCopier) -> JobResult:
        """The job's value or error (one Get), its Hydra output copied into its job dir."""
        state = self.states[entry.job_id]
        if state not in TERMINAL_JOB_STATES:
            return JobResult(entry, state, error=entry.error if state == NOT_CREATED else None)
        job = self.client.get(entry.name)
        copied = None
        if entry.hydra_output_uri and entry.job_dir:
            dest = Path(entry.job_dir) / HYDRA_OUTPUT_DIR
            copied = (
                dest if copier.copy(entry.hydra_output_uri, dest, f"#{entry.job_num}") else None
            )
        if state != "PIPELINE_STATE_SUCCEEDED":
            return JobResult(entry, state, error=job.error.message or "no error message")
        if entry.main_task is None:
            return JobResult(entry, state)
        if entry.main_custom_job:  # its value is a file of its Hydra output dir
            text = None if copied is None else read_return_value(copied)
            if text is None:
                why = f"no {RETURN_VALUE_FILE} in its Hydra output {entry.hydra_output_uri}"
                return JobResult(entry, state, error=f"the return value was not read: {why}")
        else:
            text = return_value_text(job, entry.main_task)
        return JobResult(entry, state, value=None if text is None else json.loads(text))

    def close(self) -> None:
        self.manifest.close()

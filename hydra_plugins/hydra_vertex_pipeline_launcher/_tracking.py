"""Waiting for a sweep: one List call per poll interval reads the state of all its jobs."""

import time
from collections.abc import Callable

from google.cloud.aiplatform_v1.types import PipelineState

from ._job_request import SWEEP_LABEL
from ._progress import SweepProgress
from ._vertex_client import VertexClient, job_id_of

FINISHED_STATES = frozenset(
    {
        PipelineState.PIPELINE_STATE_SUCCEEDED,
        PipelineState.PIPELINE_STATE_FAILED,
        PipelineState.PIPELINE_STATE_CANCELLED,
    }
)


def is_finished(state: PipelineState) -> bool:
    return state in FINISHED_STATES


def wait_for_jobs(
    client: VertexClient,
    sweep: str,
    states: dict[str, PipelineState],
    poll_interval_s: float,
    progress: SweepProgress,
    on_finished: Callable[[str], None],
) -> None:
    """Poll until every job in `states` (job id -> last state seen, updated in place) has
    finished, calling `on_finished(job id)` once per job as it finishes. Jobs of the sweep that
    are not in `states` (other launches into the same sweep dir) are ignored."""
    for job in [j for j, state in states.items() if is_finished(state)]:
        on_finished(job)
    next_poll = time.monotonic()
    while not all(is_finished(s) for s in states.values()):
        time.sleep(max(0.0, next_poll - time.monotonic()))
        next_poll = time.monotonic() + poll_interval_s
        for listed in client.list_labelled(SWEEP_LABEL, sweep):
            job = job_id_of(listed.name)
            if job in states and not is_finished(states[job]):
                states[job] = PipelineState(listed.state)
                if is_finished(states[job]):
                    on_finished(job)
        progress.update(PipelineState(s).name for s in states.values())

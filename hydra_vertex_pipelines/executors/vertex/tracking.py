"""Waiting for a sweep: one List call per poll interval reads the state of all its jobs; a job
that the List leaves out is read on its own (one Get), so that a deleted job ends the wait.

Each call rides out transient errors (an outage, a restarting endpoint) under the client's retry
policy, for as long as its deadline; a call that gives up raises GaveUp.
"""

import time
from collections.abc import Callable

from google.api_core import exceptions

from ...vertex_api import PipelineState
from ...vertex_facts import TERMINAL_JOB_STATES, job_id_of
from .client import VertexClient
from .labels import LabelKeys
from .progress import SweepProgress

FINISHED_STATES = frozenset(PipelineState.__members__[name] for name in TERMINAL_JOB_STATES)


def is_finished(state: PipelineState) -> bool:
    return state in FINISHED_STATES


def unlisted_state(client: VertexClient, job: str) -> PipelineState:
    """The state of a job that a List did not return: read with a Get (a List may lag behind a
    create); a job that no longer exists (deleted) counts as failed."""
    try:
        return PipelineState(client.get(client.name_of(job)).state)
    except exceptions.NotFound:
        return PipelineState(PipelineState.PIPELINE_STATE_FAILED)


def wait_for_jobs(
    client: VertexClient,
    sweep: str,
    keys: LabelKeys,
    states: dict[str, PipelineState],
    poll_interval_s: float,
    progress: SweepProgress,
    on_change: Callable[[str, PipelineState], None],
) -> None:
    """Poll until every job in `states` (job id -> last state seen, updated in place) has
    finished, calling `on_change(job id, state)` on each change, and once for each job that has
    finished already. The sweep's jobs carry the label keys `keys`. Jobs of the sweep that are
    not in `states` (earlier batches of a batched sweeper, earlier attempts) are ignored; a job
    of `states` that is not listed is read on its own.

    An interrupt raises in this thread at once (interrupts.py) and sets the client's `stop`;
    should its exception have been lost on the way (raised inside a finalizer, or a callback
    that swallows it), the wait still ends at its next poll, with KeyboardInterrupt."""
    for job in [j for j, state in states.items() if is_finished(state)]:
        on_change(job, states[job])
    next_poll = time.monotonic()
    while not all(is_finished(s) for s in states.values()):
        if client.policy.stop.wait(max(0.0, next_poll - time.monotonic())):
            raise KeyboardInterrupt("the sweep is stopping")
        next_poll = time.monotonic() + poll_interval_s
        listed = {
            job_id_of(j.name): PipelineState(j.state)
            for j in client.list_labelled(keys.sweep, sweep)
        }
        for job in [j for j, state in states.items() if not is_finished(state)]:
            state = listed[job] if job in listed else unlisted_state(client, job)
            if state != states[job]:
                states[job] = state
                on_change(job, state)
        progress.update(PipelineState(s).name for s in states.values())

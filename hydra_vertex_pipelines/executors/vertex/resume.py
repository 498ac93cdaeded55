"""resume=true: the jobs of the previous launch recorded in the manifest, adopted when they run
exactly what this launch would (same spec and parameters digest), submitted again otherwise.

One List call (per page) reads the state and labels of every job of the sweep:

    succeeded, pending, running    adopted: its result is read, or it is waited for
    failed, cancelled, cancelling  submitted again as a new attempt (a new job id)
    recorded but not on Vertex     submitted (its create never landed; the same job id)
    not recorded                   submitted
    another digest                 not adopted: ResumeMismatch lists every such job
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hydra.errors import CompactHydraException

from ...vertex_api import PipelineJob, PipelineState
from ...vertex_facts import job_id_of
from .client import VertexClient
from .labels import LabelKeys
from .manifest import ManifestSweep
from .request import JobRequest, with_attempt

# states after which a job is submitted again
RERUN_STATES = frozenset(
    {
        PipelineState.PIPELINE_STATE_FAILED,
        PipelineState.PIPELINE_STATE_CANCELLED,
        PipelineState.PIPELINE_STATE_CANCELLING,
    }
)


class ResumeMismatch(CompactHydraException):
    """Jobs of the previous launch run something else than this launch would."""


@dataclass
class ResumePlan:
    # jobs found on Vertex AI that run what this launch asks for, as the List answered them
    adopted: list[tuple[JobRequest, PipelineJob]] = field(default_factory=list)
    # jobs to create (new attempts included)
    to_submit: list[JobRequest] = field(default_factory=list)
    # jobs submitted again after a failed or cancelled attempt: (request, previous state)
    rerun: list[tuple[JobRequest, str]] = field(default_factory=list)


def listed_jobs(client: VertexClient, sweep: str, keys: LabelKeys) -> dict[str, PipelineJob]:
    """Every job of the sweep on Vertex AI by job id (name, state and labels only); its jobs
    carry the label keys `keys`."""
    return {job_id_of(j.name): j for j in client.list_labelled(keys.sweep, sweep)}


def plan_resume(
    requests: Sequence[JobRequest],
    previous: ManifestSweep,
    listed: Mapping[str, PipelineJob],
    client: VertexClient,
    manifest_path: str,
) -> ResumePlan:
    recorded = previous.latest()
    plan = ResumePlan()
    mismatches: list[str] = []
    for request in requests:
        num = request.plan.num
        entry = recorded.get(num)
        if entry is None:
            plan.to_submit.append(request)
            continue
        job = listed.get(entry.job_id)
        listed_digest = job.labels.get(request.label_keys.digest) if job else None
        digests = [d for d in (entry.digest, listed_digest) if d]
        if any(d != request.digest for d in digests):
            mismatches.append(
                f"#{num} ({request.description}): {entry.job_id} ran digest {digests[-1]}, "
                f"this launch's is {request.digest}"
            )
            continue
        project, location = client.project, client.location
        attempt = with_attempt(request, entry.attempt, project, location)
        if job is None:
            plan.to_submit.append(attempt)
        elif job.state in RERUN_STATES:
            again = with_attempt(request, entry.attempt + 1, project, location)
            plan.to_submit.append(again)
            plan.rerun.append((again, PipelineState(job.state).name))
        else:
            plan.adopted.append((attempt, job))
    if mismatches:
        lines = "\n".join(f"  - {m}" for m in mismatches)
        raise ResumeMismatch(
            f"hydra.launcher.resume=true: {len(mismatches)} job(s) of sweep "
            f"{previous.sweep_id} in {manifest_path} ran something else than this launch "
            "would (the code, the config or the overrides changed), so nothing was adopted "
            f"or submitted:\n{lines}\nLaunch without resume=true (a new sweep), or into "
            "another hydra.sweep.dir, or restore what changed."
        )
    return plan

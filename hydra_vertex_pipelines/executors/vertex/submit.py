"""Submission: every job's create call, `max_workers` at a time, one log line per job.

Each job's intent goes into the manifest (fsync) before its create is sent. An interrupt (the
policy's stop event) starts no further create and no further retry; what was in flight finishes.
"""

import logging
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from google.api_core import exceptions
from requests import RequestException

from ...vertex_api import PipelineJob
from .client import VertexClient
from .manifest import NOT_CREATED, JobEntry, ManifestWriter
from .request import JobRequest
from .retry import GaveUp, Stopped

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmittedJob:
    request: JobRequest
    # the job as Vertex answered the create (or the GET after ALREADY_EXISTS); None: no answer
    job: PipelineJob | None
    # why the job was not created, or why it is not known whether it was
    error: str | None = None
    # no answer, but the create was sent: the job may exist (a cancel by name settles it)
    maybe_created: bool = False


def manifest_entry(request: JobRequest, name: str, return_value: bool) -> JobEntry:
    plan = request.plan
    return JobEntry(
        sweep_id=request.sweep_id,
        job_num=plan.num,
        job_id=request.job_id,
        name=name,
        overrides=list(plan.overrides),
        console_url=request.console_url,
        attempt=request.attempt,
        digest=request.digest,
        job_dir=str(plan.job_dir),
        hydra_output_uri=request.hydra_output_uri,
        main_task=request.compiled.template.main_task if return_value else None,
        main_custom_job=request.compiled.template.main_custom_job,
    )


def create_job(
    client: VertexClient, manifest: ManifestWriter, request: JobRequest, return_value: bool
) -> SubmittedJob:
    """Write the job's intent, create it, record the answer."""
    stop = client.policy.stop
    if stop.is_set():
        return SubmittedJob(request, None, "not submitted: the sweep was interrupted")
    manifest.intent(manifest_entry(request, client.name_of(request.job_id), return_value))
    sweep, jid = request.sweep_id, request.job_id
    try:
        job = client.create(request.pipeline_job, jid)
    except (Stopped, GaveUp) as e:
        return SubmittedJob(request, None, f"not known to be submitted: {e}", maybe_created=True)
    except exceptions.GoogleAPICallError as e:
        error = f"Vertex AI refused the job: {e.message}"
        manifest.state(sweep, jid, NOT_CREATED, error)
        return SubmittedJob(request, None, error)
    except RequestException as e:  # not a connection error: a bad endpoint URL, ...
        error = f"Vertex AI could not be called: {e}"
        manifest.state(sweep, jid, NOT_CREATED, error)
        return SubmittedJob(request, None, error)
    if job.labels.get(request.label_keys.digest) != request.digest:
        error = (
            f"job id {jid} exists already and runs something else; it was not adopted: "
            "launch the sweep again"
        )
        manifest.state(sweep, jid, NOT_CREATED, error)
        return SubmittedJob(request, None, error)
    manifest.state(sweep, jid, job.state.name)
    return SubmittedJob(request, job)


class Submission:
    """Creates run on a pool, started as jobs come; `results` (by job num) fills as answers come,
    so that whoever handles an interrupt knows which jobs exist. Answers are logged in job order,
    one line per job."""

    def __init__(
        self,
        client: VertexClient,
        manifest: ManifestWriter,
        max_workers: int,
        return_value: bool,
    ) -> None:
        self.client = client
        self.manifest = manifest
        self.return_value = return_value
        self.results: dict[int, SubmittedJob] = {}
        # job nums whose create has started (a worker took it)
        self.started: set[int] = set()
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="vertex-create")
        # creates started whose answer is not logged yet, in job order
        self._unlogged: deque[Future[SubmittedJob]] = deque()

    @property
    def in_flight(self) -> int:
        """Creates started that have not answered yet."""
        return len(self.started - set(self.results))

    def _create(self, request: JobRequest) -> SubmittedJob:
        self.started.add(request.plan.num)
        result = create_job(self.client, self.manifest, request, self.return_value)
        self.results[request.plan.num] = result
        return result

    def start(self, request: JobRequest) -> None:
        """Queue the job's create; log the answers that have come, in order."""
        self._unlogged.append(self._pool.submit(self._create, request))
        while self._unlogged and self._unlogged[0].done():
            log_submission(self._unlogged.popleft().result())

    def wait(self) -> None:
        """Wait for the answers of the creates started, logging each."""
        while self._unlogged:
            log_submission(self._unlogged.popleft().result())

    def submit(self, requests: Iterable[JobRequest]) -> None:
        """Create the jobs and wait for their answers."""
        for request in requests:
            self.start(request)
        self.wait()

    def finish(self, wait: bool) -> None:
        """Start no more creates; with `wait`, let those in flight end."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


def log_submission(result: SubmittedJob) -> None:
    request = result.request
    head = f"\t#{request.plan.num} : {request.description} ->"
    if result.job is None:
        log.error(f"{head} not submitted: {result.error}")
    else:
        log.info(f"{head} {request.job_id}, {request.console_url}")

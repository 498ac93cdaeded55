"""Submission: every job's create call, `max_workers` at a time, one log line per job."""

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from google.api_core import exceptions
from google.cloud.aiplatform_v1.types import PipelineJob
from requests import RequestException

from .client import VertexClient
from .labels import DIGEST_LABEL
from .request import JobRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmittedJob:
    request: JobRequest
    # the job as Vertex answered the create (or the GET after ALREADY_EXISTS); None: not created
    job: PipelineJob | None
    # why the job was not created
    error: str | None = None


def _create(client: VertexClient, request: JobRequest) -> SubmittedJob:
    try:
        job = client.create(request.pipeline_job, request.job_id)
    except exceptions.GoogleAPICallError as e:
        return SubmittedJob(request, None, f"Vertex AI refused the job: {e.message}")
    except RequestException as e:
        return SubmittedJob(request, None, f"Vertex AI could not be reached: {e}")
    if job.labels.get(DIGEST_LABEL) != request.digest:
        return SubmittedJob(
            request,
            None,
            f"job id {request.job_id} exists already and runs something else; it was not "
            "adopted: launch the sweep again",
        )
    return SubmittedJob(request, job)


def submit_jobs(
    client: VertexClient,
    requests: Sequence[JobRequest],
    max_workers: int,
    submitted: dict[int, SubmittedJob],
) -> None:
    """Create the jobs; `submitted` (by job num) fills as answers come, so that whoever catches
    an interrupt knows which jobs exist. An interrupt stops the creates not yet started."""

    def create(request: JobRequest) -> SubmittedJob:
        submitted[request.plan.num] = _create(client, request)
        return submitted[request.plan.num]

    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="vertex-create")
    try:
        futures = [pool.submit(create, request) for request in requests]
        for future in futures:
            _log_submission(future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _log_submission(result: SubmittedJob) -> None:
    request = result.request
    head = f"\t#{request.plan.num} : {request.description} ->"
    if result.job is None:
        log.error(f"{head} not submitted: {result.error}")
    else:
        log.info(f"{head} {request.job_id}, {request.console_url}")

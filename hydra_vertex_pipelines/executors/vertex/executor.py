"""mode=vertex: submit each job's pipeline to Vertex AI Pipelines, track them, return results."""

import logging
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import google.auth.exceptions
from google.api_core import exceptions
from google.cloud.aiplatform_v1.types import PipelineState
from google.cloud.storage import Client as StorageClient
from hydra.core.utils import JobReturn, JobStatus
from requests import RequestException

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ...compiling.compiled_job import CompiledJob
from ...compiling.run_dir import mounted_run_dir
from ...planning.job_plan import JobPlan
from ...returns import failed, unfinished
from ...vertex_facts import mounted_path
from .client import VertexClient, pipeline_service
from .manifest import MANIFEST_NAME, append_manifest
from .progress import SweepProgress, state_text, summary_table
from .request import JobRequest, job_requests, sweep_id
from .results import vertex_job_return
from .retry import RetryPolicy
from .storage import download_folder, storage_client
from .submit import SubmittedJob, submit_jobs
from .tracking import is_finished, wait_for_jobs

log = logging.getLogger(__name__)

HYDRA_OUTPUT_DIR = "hydra_output"
SUMMARY_VALUE_WIDTH = 40


def vertex_client(conf: VertexPipelineLauncherConf) -> VertexClient:
    assert conf.project is not None
    service = pipeline_service(conf.location, conf.api_endpoint, conf.max_concurrent_submissions)
    return VertexClient(service, conf.project, conf.location, RetryPolicy())


def copy_hydra_output(gcs: StorageClient | None, request: JobRequest) -> None:
    """The main task's Hydra output dir into <job dir>/hydra_output; a failed copy is a warning,
    not a failed job."""
    if gcs is None:
        return
    dest = request.plan.job_dir / HYDRA_OUTPUT_DIR
    uri = request.hydra_output_uri
    try:
        download_folder(gcs, uri, dest)
    except (exceptions.GoogleAPICallError, RequestException, OSError) as e:
        log.warning(f"#{request.plan.num}: Hydra output not copied from {uri}: {e}")


def collect(
    client: VertexClient,
    gcs: StorageClient | None,
    request: JobRequest,
    name: str,
    return_value: bool,
) -> JobReturn:
    """The finished job read in full (List omits task details), its Hydra output copied."""
    plan = request.plan
    try:
        job = client.get(name)
    except exceptions.NotFound:
        return failed(
            plan, f"job #{plan.num} was deleted from Vertex AI before it finished ({name})"
        )
    except (exceptions.GoogleAPICallError, RequestException) as e:
        return failed(plan, f"job #{plan.num} finished, but reading its result failed: {e}")
    copy_hydra_output(gcs, request)
    return vertex_job_return(request, job, return_value, request.plan.job_dir / HYDRA_OUTPUT_DIR)


def unwaited_returns(plans: Sequence[JobPlan]) -> dict[int, JobReturn]:
    """The JobReturns of jobs submitted but not waited for: UNKNOWN, no value."""
    return {plan.num: unfinished(plan) for plan in plans}


def job_return(plan: JobPlan, result: SubmittedJob, finished: Mapping[int, JobReturn]) -> JobReturn:
    """FAILED if the job was not created; else its result, or UNKNOWN if it was not waited for."""
    if result.job is None:
        return failed(plan, f"job #{plan.num}: {result.error}")
    return finished[plan.num]


def summary_value(ret: JobReturn) -> str:
    if ret.status == JobStatus.COMPLETED:
        return repr(ret.return_value)[:SUMMARY_VALUE_WIDTH]
    return "see the error below" if ret.status == JobStatus.FAILED else ""


def log_summary(
    requests: Sequence[JobRequest], states: Mapping[str, PipelineState], returns: list[JobReturn]
) -> None:
    rows = [
        (
            request.plan.num,
            state_text(states[request.job_id].name)
            if request.job_id in states
            else "not submitted",
            summary_value(ret),
            request.job_id,
        )
        for request, ret in zip(requests, returns, strict=True)
    ]
    log.info(f"Vertex AI sweep results:\n{summary_table(rows)}")


def wait_and_collect(
    client: VertexClient,
    conf: VertexPipelineLauncherConf,
    sweep: str,
    submitted: Mapping[int, SubmittedJob],
    states: dict[str, PipelineState],
) -> dict[int, JobReturn]:
    """Track the created jobs; each one's result is read (and its output copied) as it ends."""
    created = {r.request.job_id: r for r in submitted.values() if r.job is not None}
    try:
        gcs: StorageClient | None = storage_client(str(conf.project))
    except google.auth.exceptions.DefaultCredentialsError as e:
        log.warning(f"Hydra outputs will not be copied: no Cloud Storage client ({e})")
        gcs = None
    pool = ThreadPoolExecutor(conf.max_concurrent_submissions, thread_name_prefix="vertex-result")
    futures: dict[int, Future[JobReturn]] = {}

    def on_finished(job_id: str) -> None:
        result = created[job_id]
        assert result.job is not None
        num = result.request.plan.num
        progress.job_finished(f"#{num} : {state_text(states[job_id].name)} ({job_id})")
        futures[num] = pool.submit(
            collect, client, gcs, result.request, result.job.name, conf.return_value
        )

    progress = SweepProgress(sys.stdout)
    log.info(f"Waiting for {len(created)} jobs (status poll every {conf.poll_interval_s:g} s)")
    try:
        wait_for_jobs(client, sweep, states, conf.poll_interval_s, progress, on_finished)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        progress.close()
    pool.shutdown(wait=True)
    return {num: future.result() for num, future in futures.items()}


def cancel_job(client: VertexClient, name: str) -> None:
    try:
        client.cancel(name)
    except (exceptions.GoogleAPICallError, RequestException) as e:
        log.error(f"Could not cancel {name}: {e}")


def cancel_unfinished(
    client: VertexClient,
    submitted: Mapping[int, SubmittedJob],
    states: Mapping[str, PipelineState],
    max_workers: int,
) -> None:
    names = [
        r.job.name
        for r in submitted.values()
        if r.job is not None and not is_finished(states.get(r.request.job_id, r.job.state))
    ]
    log.warning(f"Interrupted: cancelling {len(names)} jobs of this sweep")
    with ThreadPoolExecutor(max_workers, thread_name_prefix="vertex-cancel") as pool:
        pool.map(lambda name: cancel_job(client, name), names)


class VertexExecutor:
    """Submits the jobs of one launch of the multirun that started at `started_ns`."""

    def __init__(self, conf: VertexPipelineLauncherConf, sweep_dir: Path, started_ns: int) -> None:
        self.conf = conf
        self.sweep_dir = sweep_dir
        self.started_ns = started_ns

    def main_run_dir(self, plan: JobPlan) -> str:
        assert self.conf.pipeline_root is not None
        return mounted_run_dir(self.conf.pipeline_root, plan)

    def artifact_root(self, plan: JobPlan) -> str:
        assert self.conf.pipeline_root is not None
        return mounted_path(self.conf.pipeline_root)

    def execute(self, jobs: Sequence[CompiledJob]) -> list[JobReturn]:
        conf = self.conf
        plans = [job.plan for job in jobs]
        sweep = sweep_id(self.sweep_dir, self.started_ns)
        requests = job_requests(jobs, conf, sweep)
        client = vertex_client(conf)
        pipelines = ", ".join(sorted({str(job.spec_path) for job in jobs}))
        log.info(f"Sweep {sweep}: submitting to {client.parent} (pipeline spec: {pipelines})")
        manifest = self.sweep_dir / MANIFEST_NAME
        submitted: dict[int, SubmittedJob] = {}
        states: dict[str, PipelineState] = {}
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="vertex-returns") as builder:
                # not waiting: their JobReturns (deep copies of configs) are built meanwhile
                unwaited = None if conf.wait else builder.submit(unwaited_returns, plans)
                try:
                    submit_jobs(client, requests, conf.max_concurrent_submissions, submitted)
                finally:
                    append_manifest(
                        manifest, [submitted[p.num] for p in plans if p.num in submitted]
                    )
            states |= {
                r.request.job_id: r.job.state for r in submitted.values() if r.job is not None
            }
            if unwaited is None:
                finished = wait_and_collect(client, conf, sweep, submitted, states)
            else:
                log.info(f"Submitted; not waiting for results (wait=false). The jobs: {manifest}")
                finished = unwaited.result()
        except KeyboardInterrupt:
            if conf.cancel_on_interrupt:
                cancel_unfinished(client, submitted, states, conf.max_concurrent_submissions)
            log.warning(f"The sweep's jobs: {manifest}")
            raise
        returns = [job_return(plan, submitted[plan.num], finished) for plan in plans]
        if conf.wait:
            log_summary(requests, states, returns)
        return returns

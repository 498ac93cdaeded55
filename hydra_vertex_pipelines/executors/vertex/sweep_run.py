"""SweepRun: one launch (one batch of a batched sweeper) of a sweep on Vertex AI, in order: record
the sweep, adopt the previous launch's jobs (resume=true), submit the others as they are planned
(shared tasks first), wait, read each result as its job ends. What is known of every job lives
here, so that an interrupt, an outage or a job that cannot be planned (stopping.py) can be acted
on at any instant."""

import logging
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from hydra.core.utils import JobReturn

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ...compiling.compiled_job import CompiledJob
from ...planning.job_plan import JobPlan
from ...planning.overrides import JobOverride
from ...returns import failed, unfinished
from ...vertex_api import PipelineState
from .. import JobBatch
from .client import VertexClient
from .labels import LabelKeys
from .manifest import ManifestSweep, ManifestWriter, SweepHeader
from .progress import SweepProgress, state_text
from .request import JobRequest, RequestBuilder
from .results import collect
from .resume import listed_jobs, plan_resume
from .retry import RetryPolicy
from .shared import shared_tasks, wait_for_shared_tasks
from .storage import OutputCopier
from .submit import Submission, SubmittedJob
from .tracking import is_finished, wait_for_jobs

log = logging.getLogger(__name__)


def poll_policy(conf: VertexPipelineLauncherConf, create_policy: RetryPolicy) -> RetryPolicy:
    """Reads (status polls, results) back off up to a poll interval (at least 1 s, at most
    30 s) between tries: a wait that rides out an outage notices its end about as soon as a poll
    would. Creates keep the longer backoff that quota errors (429) call for."""
    backoff = min(30.0, max(1.0, conf.poll_interval_s))
    return RetryPolicy(
        deadline_s=create_policy.deadline_s, max_backoff_s=backoff, stop=create_policy.stop
    )


class SweepRun:
    def __init__(
        self,
        conf: VertexPipelineLauncherConf,
        client: VertexClient,
        manifest: ManifestWriter,
        sweep: str,
        sweep_dir: Path,
        label_keys: LabelKeys,
    ) -> None:
        self.conf = conf
        self.client = client
        self.poll_client = client.with_policy(poll_policy(conf, client.policy))
        self.manifest = manifest
        self.sweep = sweep
        self.sweep_dir = sweep_dir
        # the keys of the labels on the sweep's jobs (an adopted sweep keeps its own)
        self.label_keys = label_keys
        self.submission = Submission(
            client, manifest, conf.max_concurrent_submissions, conf.return_value
        )
        self.requests = RequestBuilder(conf, sweep, label_keys)
        # the plan of every job taken so far, in order
        self.plans: list[JobPlan] = []
        # jobs of the previous launch found running what this one asks for (resume=true)
        self.adopted: dict[int, SubmittedJob] = {}
        # job id -> the last state seen, for every job that exists
        self.states: dict[str, PipelineState] = {}
        self.collecting: ThreadPoolExecutor | None = None

    def jobs(self) -> dict[int, SubmittedJob]:
        """Every job of this launch known so far, adopted or submitted, by job num."""
        return self.adopted | dict(self.submission.results)

    def unfinished_names(self) -> list[str]:
        """Resource names of the jobs that exist and have not finished, as last seen."""
        return [
            r.job.name
            for r in self.jobs().values()
            if r.job is not None
            and not is_finished(self.states.get(r.request.job_id, PipelineState(r.job.state)))
        ]

    def run(self, batch: JobBatch, previous: ManifestSweep | None) -> list[JobReturn]:
        """Submit the jobs as they are planned (with resume=true, every job is planned first:
        what was adopted is decided before anything is submitted); the JobReturns."""
        conf = self.conf
        header = SweepHeader(
            sweep_id=self.sweep,
            project=self.client.project,
            location=self.client.location,
            api_endpoint=conf.api_endpoint,
            pipeline_root=conf.pipeline_root,
            sweep_label=self.label_keys.sweep,
        )
        self.manifest.sweep(header)
        requests: Iterator[JobRequest] = (self.request(job) for job in batch)
        count = len(batch)
        if previous is not None:
            to_submit = self.adopt(list(requests), previous)
            requests, count = iter(to_submit), len(to_submit)
        self.submit(requests, count, batch.overrides)
        self.submission.wait()
        self.submission.finish(wait=True)
        jobs = self.jobs()
        self.states |= {
            r.request.job_id: PipelineState(r.job.state) for r in jobs.values() if r.job
        }
        if conf.wait:
            finished = self.wait_and_collect(jobs)
        else:
            log.info(
                "Submitted; not waiting for results (wait=false). The jobs: "
                f"{self.manifest.path}; `hydra-vertex-sweep wait {self.sweep_dir}` waits for them"
            )
            finished = {plan.num: unfinished(plan) for plan in self.plans}
        return [job_return(plan, jobs[plan.num], finished) for plan in self.plans]

    def request(self, job: CompiledJob) -> JobRequest:
        """The job's request; its plan is kept for its JobReturn."""
        self.plans.append(job.plan)
        return self.requests(job)

    def adopt(self, requests: Sequence[JobRequest], previous: ManifestSweep) -> list[JobRequest]:
        """The previous launch's jobs that run what `requests` ask for are adopted; the jobs to
        submit are returned."""
        listed = listed_jobs(self.poll_client, self.sweep, self.label_keys)
        plan = plan_resume(requests, previous, listed, self.client, str(self.manifest.path))
        recorded = previous.latest()
        counts = Counter(state_text(PipelineState(job.state).name) for _, job in plan.adopted)
        adopted = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        log.info(
            f"Resuming sweep {self.sweep}: adopted {len(plan.adopted)} jobs ({adopted}); "
            f"{len(plan.to_submit)} to submit, {len(plan.rerun)} of them again after failing"
        )
        for request, job in plan.adopted:
            self.adopted[request.plan.num] = SubmittedJob(request, job)
            state = PipelineState(job.state).name
            if recorded[request.plan.num].state != state:
                self.manifest.state(self.sweep, request.job_id, state)
            log.info(
                f"\t#{request.plan.num} : {request.description} -> {request.job_id} "
                f"({state_text(state)}, adopted)"
            )
        for request, state in plan.rerun:
            log.info(
                f"\t#{request.plan.num} : {state_text(state)}; submitted again as attempt "
                f"{request.attempt} ({request.job_id})"
            )
        return plan.to_submit

    def submit(
        self,
        requests: Iterator[JobRequest],
        count: int,
        overrides: Sequence[Sequence[JobOverride]],
    ) -> None:
        """Create the `count` jobs as they come; with shared tasks (and shared_steps_once), the
        first job first and the others once its shared tasks have run (planned meanwhile).
        `overrides`: those of every job of the batch."""
        conf = self.conf
        first = next(requests, None)
        if first is None:
            return
        shared = []
        if conf.shared_steps_once and conf.wait and count > 1:
            shared = shared_tasks(first.compiled, overrides)
        if not shared:
            self.submission.start(first)
            for request in requests:
                self.submission.start(request)
            return
        log.info(
            f"Tasks {', '.join(shared)} run the same in every job: job #{first.plan.num} is "
            f"submitted first and the other {count - 1} once they have run there, so that "
            "Vertex's cache answers theirs (shared_steps_once)"
        )
        self.submission.submit([first])
        created = self.submission.results[first.plan.num].job
        waiter = ThreadPoolExecutor(1, thread_name_prefix="vertex-shared")
        waiting = None
        if created is not None:
            args = (self.poll_client, created.name, shared, conf.poll_interval_s)
            waiting = waiter.submit(wait_for_shared_tasks, *args)
        waiter.shutdown(wait=False)
        rest = list(requests)  # planned while the shared tasks run
        if waiting is not None:
            waiting.result()
        for request in rest:
            self.submission.start(request)

    def wait_and_collect(self, jobs: Mapping[int, SubmittedJob]) -> dict[int, JobReturn]:
        """Track the created jobs; each one's result is read (and its output copied) as it
        ends."""
        conf = self.conf
        created = {r.request.job_id: r for r in jobs.values() if r.job is not None}
        copier = OutputCopier(self.client.project, conf.api_endpoint)
        pool = ThreadPoolExecutor(
            conf.max_concurrent_submissions, thread_name_prefix="vertex-result"
        )
        self.collecting = pool
        futures: dict[int, Future[JobReturn]] = {}
        # adopted jobs that had finished: their line was logged when they were adopted
        ended_before = {job_id for job_id, state in self.states.items() if is_finished(state)}

        def on_change(job_id: str, state: PipelineState) -> None:
            self.manifest.state(self.sweep, job_id, PipelineState(state).name)
            if is_finished(state):
                result = created[job_id]
                assert result.job is not None
                num = result.request.plan.num
                if job_id not in ended_before:
                    progress.job_finished(
                        f"#{num} : {state_text(PipelineState(state).name)} ({job_id})"
                    )
                futures[num] = pool.submit(
                    collect,
                    self.poll_client,
                    copier,
                    result.request,
                    result.job.name,
                    conf.return_value,
                )

        progress = SweepProgress(sys.stdout)
        log.info(f"Waiting for {len(created)} jobs (status poll every {conf.poll_interval_s:g} s)")
        try:
            wait_for_jobs(
                self.poll_client,
                self.sweep,
                self.label_keys,
                self.states,
                conf.poll_interval_s,
                progress,
                on_change,
            )
            finished = {num: future.result() for num, future in futures.items()}
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            progress.close()
        pool.shutdown(wait=True)
        return finished


def job_return(plan: JobPlan, result: SubmittedJob, finished: Mapping[int, JobReturn]) -> JobReturn:
    """FAILED if the job was not created; else its result, or UNKNOWN if it was not waited for."""
    if result.job is None:
        return failed(plan, f"job #{plan.num}: {result.error}")
    return finished[plan.num]

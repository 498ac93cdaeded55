"""Runs created jobs with the LocalRunner on a bounded pool of worker threads; a job waits in
PIPELINE_STATE_PENDING until a worker takes it."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hydra_vertex_pipelines.runner import LocalRunner, RunSettings
from hydra_vertex_pipelines.vertex_facts import TERMINAL_JOB_STATES

from .cache import ExecutionCache
from .errors import failed_precondition
from .gcs import GcsUploader, mounted_values
from .job_run import Ids, JobRun
from .store import JobStore
from .transitions import INTERNAL, finish_job, job_error, request_cancel, start_job

log = logging.getLogger(__name__)


class JobExecutor:
    """The worker pool; `cancel` stops a job wherever it is (queued or running)."""

    def __init__(
        self,
        store: JobStore,
        cache: ExecutionCache,
        storage_dir: Path,
        uploader: GcsUploader | None,
        max_parallel_jobs: int,
        echo: bool,
    ) -> None:
        self.store = store
        self.cache = cache
        self.storage_dir = storage_dir
        self.uploader = uploader
        self.echo = echo
        self.ids = Ids()
        self._pool = ThreadPoolExecutor(max_parallel_jobs, thread_name_prefix="vertex-job")
        self._lock = threading.Lock()
        self._runners: dict[str, LocalRunner] = {}
        # set by shutdown: a job that a worker takes after it does not start
        self._closing = False

    def submit(self, name: str) -> None:
        self._pool.submit(self._run, name)

    def cancel(self, name: str) -> None:
        """Start cancelling (Vertex's cancel is asynchronous too); a finished job refuses."""
        with self._lock:
            state = self.store.get(name).state
            if state in TERMINAL_JOB_STATES:
                raise failed_precondition(
                    f"Cannot cancel PipelineJob {name}: it is already in state {state}."
                )
            self.store.update(name, request_cancel)
            runner = self._runners.get(name)
        if runner is not None:
            threading.Thread(target=runner.cancel, name=f"cancel {name}", daemon=True).start()

    def shutdown(self) -> None:
        """Cancel what runs, drop what waits, and wait for the workers."""
        with self._lock:
            self._closing = True
            runners = list(self._runners.values())
        stoppers = [threading.Thread(target=r.cancel, daemon=True) for r in runners]
        for stopper in stoppers:
            stopper.start()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for stopper in stoppers:
            stopper.join()

    def _start(self, name: str) -> LocalRunner | None:
        """The job's runner, registered and RUNNING; None if it was cancelled while queued or
        the emulator is shutting down (a runner registered then would never be cancelled)."""
        with self._lock:
            record = self.store.get(name)
            if self._closing or record.state != "PIPELINE_STATE_PENDING":
                return None
            run = JobRun(record, self.store, self.ids, self.storage_dir, self.uploader)
            runner = LocalRunner(
                record.spec,
                mounted_values(self.storage_dir, record.parameter_values),
                RunSettings(
                    label=record.job_id,
                    echo=self.echo,
                    fail_fast=record.failure_policy == "fast",
                ),
                run,
                cache=self.cache.scoped(record.parent, record.spec["pipelineInfo"]["name"]),
            )
            root_ids = self.ids.next(), self.ids.next()
            self.store.update(name, lambda r: start_job(r, *root_ids))
            self._runners[name] = runner
            return runner

    def _run(self, name: str) -> None:
        try:
            runner = self._start(name)
        except Exception as e:
            log.exception(f"Cannot start {name}")
            failure = (INTERNAL, f"The emulator cannot start the job: {e}")
            self.store.update(name, lambda r: finish_job(r, "FAILED", failure))
            return
        if runner is None:
            return
        log.info(f"{name}: running")
        try:
            result = runner.run()
            outcome, error = result.outcome.value, job_error(result)
        except Exception as e:
            log.exception(f"{name}: the emulator failed to run the job")
            outcome, error = "FAILED", (INTERNAL, f"The emulator failed to run the job: {e}")
        finally:
            with self._lock:
                del self._runners[name]
        self.store.update(name, lambda r: finish_job(r, outcome, error))
        log.info(f"{name}: {outcome.lower()}")

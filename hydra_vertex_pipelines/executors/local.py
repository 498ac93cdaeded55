"""mode=local: each job's compiled pipeline runs here through the LocalRunner."""

import json
import logging
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus, configure_log, run_job
from hydra.types import HydraContext, RunMode, TaskFunction
from omegaconf import DictConfig

from hydra_plugins.hydra_vertex_pipeline_launcher.callbacks import restore_launching_job
from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ..choices import FailurePolicy, LocalMain
from ..compiling.compiled_job import CompiledJob
from ..compiling.custom_job import RETURN_VALUE_FILE, read_return_value
from ..compiling.run_dir import local_artifacts, local_run_dir
from ..compiling.template import RETURN_VALUE_OUTPUT
from ..interrupts import InterruptGuard
from ..planning.job_plan import JobPlan
from ..returns import completed, failed
from ..runner import (
    LOGS_DIR,
    InlineTask,
    JobDirHandler,
    LocalRunner,
    MemoryTaskCache,
    PipelineOutcome,
    PipelineResult,
    RunSettings,
)
from . import JobBatch, PlanningFailed

log = logging.getLogger(__name__)


class InlineMain:
    """The main task run in this process through Hydra's run_job (breakpoints work): composed
    from the task's args, as its command composes them (a single run in its run dir), with the
    launching job's runtime set back as LaunchingJobCallback does. The app's own callbacks run;
    the launcher's are not needed here (the JobReturn is at hand)."""

    def __init__(
        self,
        plan: JobPlan,
        hydra_context: HydraContext,
        config: DictConfig,
        task_function: TaskFunction,
    ) -> None:
        self.plan = plan
        self.hydra_context = hydra_context
        self.config = config
        self.task_function = task_function

    def __call__(self, args: list[str]) -> tuple[JobReturn, str | None]:
        plan = self.plan
        config = self.hydra_context.config_loader.load_configuration(
            config_name=self.config.hydra.job.config_name, overrides=args, run_mode=RunMode.RUN
        )
        restore_launching_job(config, plan.runtime)
        ret = run_job(
            hydra_context=self.hydra_context,
            task_function=self.task_function,
            config=config,
            job_dir_key="hydra.run.dir",
            job_subdir_key=None,
        )
        # the job configured logging for itself (its log file, maybe disabling other loggers):
        # the launcher's logging comes back, as after each job of Hydra's basic launcher
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        ret.overrides = list(plan.overrides)
        if ret.status == JobStatus.FAILED:
            return ret, f"the task function raised {ret._return_value!r}"
        return ret, None


def job_return_of(job: CompiledJob, result: PipelineResult, return_value: bool) -> JobReturn:
    """The main task's return value, or why the pipeline failed; an inline main's own
    JobReturn when it ran."""
    plan = job.plan
    main = result.tasks[job.template.main_task]
    if isinstance(main.inline_return, JobReturn):
        return main.inline_return
    if result.outcome != PipelineOutcome.SUCCEEDED:
        return failed(
            plan,
            f"job #{plan.num} {result.outcome.value.lower()}: {result.error}\n"
            f"Component logs: {plan.job_dir / LOGS_DIR}/<task>.log",
        )
    text = main.output_parameters.get(RETURN_VALUE_OUTPUT) if return_value else None
    if return_value and job.template.main_custom_job:
        text = read_return_value(Path(job.main_run_dir))
        if text is None:
            return failed(
                plan,
                f"job #{plan.num} succeeded, but its main task {job.template.main_task} wrote no "
                f"{RETURN_VALUE_FILE} into its Hydra output dir {job.main_run_dir}",
            )
    value: Any = None if text is None else json.loads(text)
    return completed(plan, value)


class LocalExecutor:
    def __init__(
        self,
        conf: VertexPipelineLauncherConf,
        hydra_context: HydraContext,
        config: DictConfig,
        task_function: TaskFunction,
    ) -> None:
        self.conf = conf
        self.hydra_context = hydra_context
        self.config = config
        self.task_function = task_function

    def main_run_dir(self, plan: JobPlan) -> str:
        return local_run_dir(plan)

    def artifact_root(self, plan: JobPlan) -> str:
        return str(local_artifacts(plan))

    def _runner(self, job: CompiledJob, cache: MemoryTaskCache) -> LocalRunner:
        """The runner of the job's compiled pipeline, its files under the job dir."""
        plan, local = job.plan, self.conf.local
        inline = None
        if local.main == LocalMain.inline:
            run = InlineMain(plan, self.hydra_context, self.config, self.task_function)
            inline = InlineTask(job.template.main_task, run)
        return LocalRunner(
            job.template.spec,
            job.runtime_parameters,
            RunSettings(
                label=str(plan.num),
                timeout_s=local.timeout_s,
                fail_fast=self.conf.failure_policy == FailurePolicy.fast,
            ),
            JobDirHandler(plan.job_dir, local_artifacts(plan)),
            cache=cache,
            inline=inline,
        )

    def execute(self, batch: JobBatch) -> list[JobReturn]:
        """The jobs' results; every job is planned before any runs (a config that does not
        compose fails the sweep before anything ran). Ctrl-C, SIGTERM or SIGHUP stops every
        component (its whole process group) and ends the launcher without a traceback."""
        try:
            jobs = list(batch)
        except PlanningFailed as e:
            raise e.cause from None
        with InterruptGuard() as guard:
            try:
                returns = self._execute(jobs, guard)
                if guard.signum is not None:
                    raise KeyboardInterrupt  # its exception was lost; the components were stopped
                return returns
            except KeyboardInterrupt:
                log.warning(
                    f"Interrupted ({guard.signal_name}): the sweep's components were stopped"
                )
                raise guard.exit() from None

    def _execute(self, jobs: Sequence[CompiledJob], guard: InterruptGuard) -> list[JobReturn]:
        log.info(
            "Local mode: images and resources are not used; components run with this "
            "machine's interpreter and packages"
        )
        # tasks with caching on run once per sweep batch for the same inputs, as on Vertex
        cache = MemoryTaskCache()
        runners = [self._runner(job, cache) for job in jobs]
        guard.on_interrupt(lambda: cancel_all(runners))

        def execute(index: int) -> JobReturn:
            job = jobs[index]
            result = runners[index].run()
            log.info(f"#{job.plan.num} : {result.outcome.value.lower()}")
            return job_return_of(job, result, self.conf.return_value)

        if self.conf.local.max_parallel_jobs == 1:
            returns = []
            for index in range(len(jobs)):
                if guard.signum is not None:  # an interrupt whose exception was lost
                    raise KeyboardInterrupt  # no later job starts
                returns.append(execute(index))
            return returns
        with ThreadPoolExecutor(max_workers=self.conf.local.max_parallel_jobs) as pool:
            futures = [pool.submit(execute, i) for i in range(len(jobs))]
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
            except BaseException:
                cancel_all(runners)
                raise
            return [f.result() for f in futures]


def cancel_all(runners: Sequence[LocalRunner]) -> None:
    """Stop every component that runs, and every later one."""
    for runner in runners:
        runner.cancel()
